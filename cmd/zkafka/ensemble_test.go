package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkafka/zkafka/internal/daemon"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// freePorts returns n ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// TestEnsembleProcessesSurviveLeaderKill runs three `zkafka zk start`
// processes from zoo.cfg files with server.N lines, SIGKILLs the leader
// under write load and restarts it: no acknowledged write is lost and the
// sequence counter continues.
func TestEnsembleProcessesSurviveLeaderKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three processes")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "zkafka")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ports := freePorts(t, 9)
	var servers, clients []string
	for i := range 3 {
		servers = append(servers, fmt.Sprintf("server.%d=127.0.0.1:%d:%d", i+1, ports[i], ports[6+i]))
		clients = append(clients, fmt.Sprintf("127.0.0.1:%d", ports[3+i]))
	}
	cfgs := make([]string, 3)
	for i := range 3 {
		d := filepath.Join(dir, fmt.Sprintf("s%d", i+1))
		if err := os.MkdirAll(filepath.Join(d, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "data", "myid"), []byte(strconv.Itoa(i+1)+"\n"), 0o644)
		cfg := fmt.Sprintf("tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\n%s\n",
			filepath.Join(d, "data"), ports[3+i], strings.Join(servers, "\n"))
		cfgs[i] = filepath.Join(d, "zoo.cfg")
		os.WriteFile(cfgs[i], []byte(cfg), 0o644)
	}
	zkCmd := func(i int, verb string) {
		t.Helper()
		c := exec.Command(bin, "zk", verb, cfgs[i])
		c.Env = append(os.Environ(), "ZOO_LOG_DIR="+filepath.Dir(cfgs[i]))
		if out, err := c.CombinedOutput(); err != nil && verb != "stop" {
			t.Fatalf("zk %s (server %d): %v\n%s", verb, i+1, err, out)
		}
	}
	for i := range 3 {
		zkCmd(i, "start")
	}
	t.Cleanup(func() {
		for i := range 3 {
			zkCmd(i, "stop")
		}
		if t.Failed() {
			for i := range 3 {
				b, _ := os.ReadFile(filepath.Join(filepath.Dir(cfgs[i]), "zookeeper.out"))
				t.Logf("server %d log:\n%s", i+1, b)
			}
		}
	})
	leader := func() int {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			for i, a := range clients {
				if out, err := zktest.FourLetter(a, "srvr"); err == nil && strings.Contains(out, "Mode: leader\n") {
					return i
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("no leader within 30s")
		return -1
	}
	lead := leader()

	c, _, err := zk.Connect(clients, 10*time.Second, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var acked []string
	stop := time.Now().Add(2 * time.Minute)
	create := func() {
		if time.Now().After(stop) {
			t.Fatalf("only %d writes acknowledged in 2 minutes", len(acked))
		}
		p, err := c.Create("/n-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
		if err == nil {
			acked = append(acked, p)
		}
	}
	for len(acked) < 50 {
		create()
	}
	pid, err := daemon.ReadPid(filepath.Join(filepath.Dir(cfgs[lead]), "data", "zookeeper_server.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for len(acked) < 100 {
		create()
	}
	t.Logf("killed leader %d; 50 more writes acknowledged %v later", lead+1, time.Since(killed).Round(time.Millisecond))
	os.Remove(filepath.Join(filepath.Dir(cfgs[lead]), "data", "zookeeper_server.pid"))
	zkCmd(lead, "start")
	for len(acked) < 150 {
		create()
	}
	// The restarted server has every acknowledged write.
	r, _, err := zk.Connect([]string{clients[lead]}, 10*time.Second, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var kids []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err = r.Sync("/"); err == nil {
			if kids, _, err = r.Children("/"); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("restarted server: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	seen := map[string]bool{}
	for i, p := range acked {
		if !slices.Contains(kids, strings.TrimPrefix(p, "/")) {
			t.Fatalf("acknowledged %s missing on the restarted server", p)
		}
		if seen[p] {
			t.Fatalf("sequence name %s given twice", p)
		}
		seen[p] = true
		if i > 0 && p <= acked[i-1] {
			t.Fatalf("sequence went back: %s after %s", p, acked[i-1])
		}
	}
}
