package server

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestMain lets the crash test run this test binary as a keeper process.
func TestMain(m *testing.M) {
	if dir := os.Getenv("ZKAFKA_CRASH_CHILD_DIR"); dir != "" {
		crashChild(dir, os.Getenv("ZKAFKA_CRASH_CHILD_ADDR"))
		return
	}
	os.Exit(m.Run())
}

// crashChild serves a keeper until it is killed.
func crashChild(dir, addr string) {
	s, err := New(Options{ClientAddr: addr, DataDir: dir, TickTime: 500 * time.Millisecond, SnapCount: 500,
		FourLetterWords: []string{"mntr"}})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	if err := s.Start(); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("ADDR", s.Addr().String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	s.Close()
}

func startChild(t *testing.T, dir, addr string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ZKAFKA_CRASH_CHILD_DIR="+dir, "ZKAFKA_CRASH_CHILD_ADDR="+addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		cmd.Process.Kill()
		t.Fatalf("child did not start: %q %v", line, err)
	}
	return cmd, strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
}

// TestCrashKeepsAcknowledgedWrites kills a keeper process with SIGKILL
// under a write load, restarts it, and checks that every write whose reply
// arrived is there, with its version and the sequence counter intact.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	child, addr := startChild(t, dir, "127.0.0.1:0")
	defer child.Process.Kill()

	c, _ := connectAddr(t, addr, 4*time.Second)
	if _, err := c.Create("/crash", nil, 0, open); err != nil {
		t.Fatal(err)
	}
	const writers = 8
	var (
		mu       sync.Mutex
		created  = map[string]bool{}
		versions = map[string]int32{}
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			node := fmt.Sprintf("/crash/v%d", w)
			if _, err := c.Create(node, nil, 0, open); err != nil {
				return
			}
			mu.Lock()
			created[node] = true
			versions[node] = 0
			mu.Unlock()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				p, err := c.Create("/crash/s-", []byte(node), zk.FlagSequence, open)
				if err != nil {
					return
				}
				st, err := c.Set(node, []byte(p), -1)
				mu.Lock()
				created[p] = true
				if err == nil {
					versions[node] = st.Version
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}(w)
	}
	// Let the load run until enough writes are acknowledged, then kill.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(created)
		mu.Unlock()
		if n >= 600 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	close(stop)
	c.Close()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(created) < 100 {
		t.Fatalf("only %d writes acknowledged before the kill", len(created))
	}
	child2, addr2 := startChild(t, dir, "127.0.0.1:0")
	defer func() { child2.Process.Signal(syscall.SIGTERM); child2.Wait() }()
	c2, _ := connectAddr(t, addr2, 4*time.Second)
	maxSeq := ""
	for p := range created {
		ok, st, err := c2.Exists(p)
		if err != nil || !ok {
			t.Fatalf("acknowledged %s lost after SIGKILL (%v)", p, err)
		}
		if v, isVersioned := versions[p]; isVersioned && st.Version < v {
			t.Fatalf("%s has version %d, %d was acknowledged", p, st.Version, v)
		}
		if strings.HasPrefix(p, "/crash/s-") && p > maxSeq {
			maxSeq = p
		}
	}
	next, err := c2.Create("/crash/s-", nil, zk.FlagSequence, open)
	if err != nil || next <= maxSeq {
		t.Fatalf("sequence went back: next %q after acknowledged %q (%v)", next, maxSeq, err)
	}
	t.Logf("%d acknowledged writes survived SIGKILL; next sequence %s", len(created), next)
}
