package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// TestRunZKSpreadsClients puts three counting proxies in front of one keeper and gives
// them to RunZK as three servers: client i connects to proxy i mod 3 and to no other,
// the root's cleanup goes through the first, and the result counts ops per server.
func TestRunZKSpreadsClients(t *testing.T) {
	t.Parallel()
	server := startKafkaKeeper(t)
	for _, client := range []string{ClientRaw, ClientGoZK} {
		t.Run(client, func(t *testing.T) {
			var proxies []*cutProxy
			var addrs []string
			for range 3 {
				p := startCutProxy(t, server)
				proxies = append(proxies, p)
				addrs = append(addrs, p.ln.Addr().String())
			}
			res, err := RunZK(t.Context(), ZKOptions{
				Servers:  []string{addrs[0] + "," + addrs[1], addrs[2]}, // a list and a repeated flag mixed
				Client:   client,
				Clients:  7,
				Op:       OpSet,
				Duration: 300 * time.Millisecond,
			})
			if err != nil {
				t.Fatalf("RunZK: %v", err)
			}
			// Clients 0, 3, 6 on the first proxy, 1, 4 on the second, 2, 5 on the third.
			// The raw client removes the root through a fresh session on the first server;
			// go-zookeeper reuses client 0's.
			want := []int32{3, 2, 2}
			if client == ClientRaw {
				want[0]++
			}
			for k, p := range proxies {
				if got := p.accepted.Load(); got != want[k] {
					t.Errorf("server %d accepted %d connections, want %d", k, got, want[k])
				}
			}
			if !slices.Equal(res.Servers, addrs) || len(res.ServerOps) != 3 {
				t.Fatalf("servers %v, server ops %v", res.Servers, res.ServerOps)
			}
			var sum int64
			for k, n := range res.ServerOps {
				if n <= 0 {
					t.Errorf("server %d: %d ops", k, n)
				}
				sum += n
			}
			if sum != res.Ops {
				t.Errorf("server ops %v sum to %d, ops = %d", res.ServerOps, sum, res.Ops)
			}
			kv := parseKV(res.KV())
			if kv["servers"] != strings.Join(addrs, ",") || kv["server_ops"] != kvInts(res.ServerOps) {
				t.Errorf("KV() = %q", res.KV())
			}
			if out := res.String(); !strings.Contains(out, "servers: "+addrs[0]+" (") {
				t.Errorf("String() does not list the servers:\n%s", out)
			}
		})
	}
}

func TestServerOf(t *testing.T) {
	counts := make([]int, 3)
	for i := range 64 {
		counts[serverOf(i, 3)]++
	}
	if !slices.Equal(counts, []int{22, 21, 21}) {
		t.Fatalf("64 clients over 3 servers: %v", counts)
	}
}

func TestParsePids(t *testing.T) {
	servers := []string{"h:1,h:2", "h:3"}
	tests := []struct {
		name  string
		pairs []string
		want  map[string]int
		bad   bool
	}{
		{name: "positions", pairs: []string{"1=10,2=20", "3=30"}, want: map[string]int{"h:1": 10, "h:2": 20, "h:3": 30}},
		{name: "addresses", pairs: []string{"h:2=20"}, want: map[string]int{"h:2": 20}},
		{name: "none", want: map[string]int{}},
		{name: "no equals", pairs: []string{"1:10"}, bad: true},
		{name: "position 0", pairs: []string{"0=10"}, bad: true},
		{name: "position 4", pairs: []string{"4=10"}, bad: true},
		{name: "unknown address", pairs: []string{"h:9=10"}, bad: true},
		{name: "not a pid", pairs: []string{"1=x"}, bad: true},
		{name: "negative pid", pairs: []string{"1=-3"}, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePids(tt.pairs, servers)
			if tt.bad {
				if !errors.Is(err, ErrInvalidOptions) {
					t.Fatalf("ParsePids(%q) = %v, %v; want ErrInvalidOptions", tt.pairs, got, err)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("ParsePids(%q) = %v, %v; want %v", tt.pairs, got, err, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("ParsePids(%q) = %v, want %v", tt.pairs, got, tt.want)
				}
			}
		})
	}
}

func TestFailoverOptionsValidate(t *testing.T) {
	three := []string{"a:1,b:2,c:3"}
	pids := map[string]int{"a:1": 1}
	o, err := FailoverOptions{Servers: three, Pids: pids}.validate()
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Servers) != 3 || o.Clients != DefaultFailoverClients || o.Op != OpSet || o.Warmup != DefaultWarmup ||
		o.After != DefaultAfter || o.Timeout != DefaultFailoverTimeout || o.Retry != DefaultRetry ||
		o.SessionTimeout != DefaultSessionTimeout || o.Logger == nil {
		t.Errorf("defaults not filled: %+v", o)
	}
	for name, bad := range map[string]FailoverOptions{
		"two servers":       {Servers: []string{"a:1,b:2"}, Pids: pids},
		"fewer clients":     {Servers: three, Clients: 2, Pids: pids},
		"get":               {Servers: three, Op: OpGet, Pids: pids},
		"no way to kill":    {Servers: three},
		"pid of a stranger": {Servers: three, Pids: map[string]int{"d:4": 1}},
		"negative warmup":   {Servers: three, Pids: pids, Warmup: -time.Second},
		"huge size":         {Servers: three, Pids: pids, Size: MaxSize + 1},
	} {
		if _, err := bad.validate(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: validate() = %v, want ErrInvalidOptions", name, err)
		}
	}
	if _, err := (FailoverOptions{Servers: three, KillCmd: "true"}).validate(); err != nil {
		t.Errorf("a kill command without pids: %v", err)
	}
}

func TestWriteGaps(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	tests := []struct {
		name                     string
		writes                   []time.Duration
		killed, recovered, end   int
		killStall, maxStall, bef int
	}{
		// Writes every 10 ms, the kill at 35, a straggler at 38 (the old leader's last
		// commit), nothing until 900, then dense again: the outage is 38..900.
		{name: "outage", writes: ms(10, 20, 30, 38, 900, 910, 920), killed: 35, recovered: 910, end: 950,
			killStall: 862, maxStall: 862, bef: 3},
		// A longer stall before the kill counts in the whole load only.
		{name: "earlier stall", writes: ms(10, 1010, 1020, 1200, 1210), killed: 1100, recovered: 1200, end: 1300,
			killStall: 180, maxStall: 1000, bef: 3},
		// No recovery: the stall runs to the end.
		{name: "never resumed", writes: ms(10, 20), killed: 25, end: 500, killStall: 480, maxStall: 480, bef: 2},
		{name: "no kill", writes: ms(10, 20), end: 100, maxStall: 80},
		{name: "no writes", killed: 50, end: 100, killStall: 100, maxStall: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
			g := writeGaps(tt.writes, d(tt.killed), d(tt.recovered), d(tt.end))
			if g.killStall != d(tt.killStall) || g.maxStall != d(tt.maxStall) || g.before != tt.bef {
				t.Fatalf("writeGaps = %+v, want kill stall %dms, max stall %dms, %d before", g, tt.killStall, tt.maxStall, tt.bef)
			}
		})
	}
}

// TestFailoverKill runs the two ways of killing: SIGKILL to a pid, and a kill command with
// its placeholders replaced, whose failure is reported with its output.
func TestFailoverKill(t *testing.T) {
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Skipf("no sleep command: %v", err)
	}
	r := &failoverRun{o: FailoverOptions{Servers: []string{"a:1", "b:2", "c:3"}}}
	if err := r.kill(t.Context(), 1, sleeper.Process.Pid); err != nil {
		t.Fatal(err)
	}
	err := sleeper.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("sleep ended with %v, want SIGKILL", err)
	}
	if err := r.kill(t.Context(), 1, 0); err == nil {
		t.Fatal("kill without a pid succeeded")
	}

	out := filepath.Join(t.TempDir(), "out")
	r.o.KillCmd = "echo {pid} {addr} {id} > " + out
	if err := r.kill(t.Context(), 2, 4242); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "4242 c:3 3\n" {
		t.Fatalf("kill command wrote %q, %v", b, err)
	}
	r.o.KillCmd = "echo no such server >&2; exit 3"
	if err := r.kill(t.Context(), 0, 1); err == nil || !strings.Contains(err.Error(), "no such server") {
		t.Fatalf("failing kill command: %v", err)
	}
	r.o.KillCmd = "kill -9 {pid}"
	if err := r.kill(t.Context(), 0, 0); err == nil {
		t.Fatal("a kill command with {pid} but no pid ran")
	}
}

// TestFailoverApache kills the leader of a 3-server Apache ZooKeeper ensemble under a set
// load of 8 clients: every surviving server serves writes again, the clients of the dead
// leader moved, another server leads, and the root is gone afterwards.
func TestFailoverApache(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not starting an Apache ZooKeeper ensemble")
	}
	t.Parallel()
	e := zktest.StartApacheEnsemble(t, 3)
	pids := map[string]int{}
	for _, s := range e.Servers {
		pids[s.Addr] = s.Pid()
	}
	var progress bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	res, err := RunFailover(ctx, FailoverOptions{
		Servers:  e.Addrs(),
		Clients:  8,
		Op:       OpSet,
		Warmup:   time.Second,
		After:    300 * time.Millisecond,
		Timeout:  time.Minute,
		Pids:     pids,
		Progress: &progress,
		Interval: 250 * time.Millisecond,
	})
	if res != nil {
		t.Logf("\n%s\n%s", res, res.KV())
	}
	if err != nil {
		t.Fatalf("RunFailover: %v\n%s", err, progress.String())
	}
	leader := res.Leader
	if leader < 0 || leader > 2 || res.LeaderPid != pids[e.Addrs()[leader]] {
		t.Fatalf("leader %d, pid %d", leader, res.LeaderPid)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !processExited(res.LeaderPid) {
		if time.Now().After(deadline) {
			t.Fatalf("the leader %d still runs", res.LeaderPid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if res.NewLeader < 0 || res.NewLeader == leader {
		t.Errorf("new leader %d, killed %d", res.NewLeader, leader)
	}
	for k, d := range res.ServerFirstWrite {
		if (k == leader) != (d < 0) || d > res.AllServers || (d >= 0 && d < res.FirstWrite) {
			t.Errorf("server %d: first write %v after the kill (first %v, all %v)", k, d, res.FirstWrite, res.AllServers)
		}
		if k != leader && res.ServerOps[k] <= 0 {
			t.Errorf("server %d: %d ops", k, res.ServerOps[k])
		}
	}
	if res.FirstWrite <= 0 || res.KillStall <= 0 || res.KillStall > res.MaxStall {
		t.Errorf("first write %v, kill stall %v, max stall %v", res.FirstWrite, res.KillStall, res.MaxStall)
	}
	// Clients 0..7 over 3 servers: the leader's 2 or 3 had to move.
	if res.Reconnects < 2 || res.Writes != res.Ops || res.WritesPerSecBefore <= 0 {
		t.Errorf("reconnects %d, writes %d of %d ops, %.0f writes/s before", res.Reconnects, res.Writes, res.Ops, res.WritesPerSecBefore)
	}
	if res.CleanupErr != nil {
		t.Errorf("cleanup: %v", res.CleanupErr)
	}
	if kv := parseKV(res.KV()); kv["leader"] != e.Addrs()[leader] || kv["all_servers_s"] != secs(res.AllServers) {
		t.Errorf("KV() = %q", res.KV())
	}
	if !strings.Contains(progress.String(), "# killed the leader "+e.Addrs()[leader]) {
		t.Errorf("progress has no kill line:\n%s", progress.String())
	}
	survivor := e.Addrs()[(leader+1)%3]
	checkRootGone(t, survivor, res.Root)
}

// TestReconnectCandidates: a client goes back to its own server, unless that is the killed
// leader; the leader's clients spread over the others.
func TestReconnectCandidates(t *testing.T) {
	r := &failoverRun{}
	r.leader.Store(-1)
	if got := r.candidates(&failoverClient{idx: 4, home: 1}, 3); !slices.Equal(got, []int{1}) {
		t.Errorf("before the kill: %v", got)
	}
	r.leader.Store(1)
	for _, tt := range []struct {
		idx, home int
		want      []int
	}{
		{idx: 0, home: 0, want: []int{0}},
		{idx: 2, home: 2, want: []int{2}},
		{idx: 1, home: 1, want: []int{2, 0}},
		{idx: 4, home: 1, want: []int{0, 2}},
		{idx: 7, home: 1, want: []int{2, 0}},
	} {
		if got := r.candidates(&failoverClient{idx: tt.idx, home: tt.home}, 3); !slices.Equal(got, tt.want) {
			t.Errorf("client %d of server %d: candidates %v, want %v", tt.idx, tt.home, got, tt.want)
		}
	}
}
