package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	randv2 "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		in      ZKOptions
		wantErr bool
		check   func(t *testing.T, o ZKOptions)
	}{
		{name: "defaults", check: func(t *testing.T, o ZKOptions) {
			if len(o.Servers) != 1 || o.Servers[0] != DefaultZKServer || o.Client != ClientRaw || o.Clients != 1 || o.Op != OpGet ||
				o.Duration != DefaultDuration || o.SessionTimeout != DefaultSessionTimeout ||
				o.Interval != DefaultInterval || o.Logger == nil || o.Size != 0 {
				t.Errorf("defaults not filled: %+v", o)
			}
		}},
		{name: "kept", in: ZKOptions{Servers: []string{"a:1, b:2", "c:3"}, Client: ClientGoZK, Clients: 64, Op: OpMixed, Size: 100},
			check: func(t *testing.T, o ZKOptions) {
				if strings.Join(o.Servers, "|") != "a:1|b:2|c:3" || o.Client != ClientGoZK || o.Clients != 64 || o.Op != OpMixed || o.Size != 100 {
					t.Errorf("options changed: %+v", o)
				}
			}},
		{name: "bad op", in: ZKOptions{Op: "delete"}, wantErr: true},
		{name: "bad client", in: ZKOptions{Client: "curator"}, wantErr: true},
		{name: "negative clients", in: ZKOptions{Clients: -1}, wantErr: true},
		{name: "negative size", in: ZKOptions{Size: -1}, wantErr: true},
		{name: "huge size", in: ZKOptions{Size: MaxSize + 1}, wantErr: true},
		{name: "blank server", in: ZKOptions{Servers: []string{" , "}}, wantErr: true},
		{name: "negative duration", in: ZKOptions{Duration: -time.Second}, wantErr: true},
		{name: "negative interval", in: ZKOptions{Interval: -time.Second}, wantErr: true},
		{name: "open loop", in: ZKOptions{Rate: 5000, Clients: 64}, check: func(t *testing.T, o ZKOptions) {
			if o.Rate != 5000 || o.Client != ClientRaw {
				t.Errorf("options changed: %+v", o)
			}
		}},
		{name: "negative rate", in: ZKOptions{Rate: -1}, wantErr: true},
		{name: "huge rate", in: ZKOptions{Rate: MaxRate + 1}, wantErr: true},
		{name: "open loop with gozk", in: ZKOptions{Rate: 100, Client: ClientGoZK}, wantErr: true},
		// 64 clients at 19 ops/s: each idle 3.37 s, over a third of the 10 s session timeout.
		{name: "open loop too slow for the sessions", in: ZKOptions{Rate: 19, Clients: 64}, wantErr: true},
		{name: "open loop just fast enough", in: ZKOptions{Rate: 20, Clients: 64}, check: func(t *testing.T, o ZKOptions) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := tt.in.validate()
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidOptions) {
					t.Fatalf("validate() error = %v, want ErrInvalidOptions", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("validate(): %v", err)
			}
			tt.check(t, o)
		})
	}
}

func TestSplitHosts(t *testing.T) {
	got := splitHosts(" a:1, b:2 ,,c:3 ")
	if strings.Join(got, "|") != "a:1|b:2|c:3" {
		t.Fatalf("splitHosts = %q", got)
	}
	if len(splitHosts(" , ")) != 0 {
		t.Fatal("blank connect string gave hosts")
	}
}

func TestRecorderAndCollect(t *testing.T) {
	a, b := newRecorder(), newRecorder()
	for i := 1; i <= 1000; i++ {
		a.record(time.Duration(i)*time.Microsecond, nil) // 1µs..1ms uniformly
	}
	b.record(2*time.Second, nil)
	b.record(0, nil)             // clamped up to 1µs
	b.record(2*time.Minute, nil) // clamped down to 60s
	boom := errors.New("boom")
	b.record(time.Millisecond, boom)
	b.record(time.Millisecond, errors.New("second"))

	h := newHistogram()
	tl := collect([]*recorder{a, b}, h)
	if tl.ops != 1003 || tl.errs != 2 || !errors.Is(tl.firstErr, boom) {
		t.Fatalf("tally = %+v", tl)
	}
	if h.TotalCount() != 1003 {
		t.Fatalf("merged count = %d, want 1003", h.TotalCount())
	}
	var r ZKResult
	r.Elapsed = 2 * time.Second
	r.fill(tl, h)
	if r.OpsPerSec != 501.5 {
		t.Errorf("ops/s = %v", r.OpsPerSec)
	}
	if !(r.Min <= r.P50 && r.P50 <= r.P99 && r.P99 <= r.P999 && r.P999 <= r.Max) {
		t.Errorf("percentiles out of order: %+v", r)
	}
	near := func(got, want time.Duration) bool { return got >= want*99/100 && got <= want*101/100 }
	if !near(r.P50, 500*time.Microsecond) || !near(r.P99, 991*time.Microsecond) {
		t.Errorf("p50 = %v, p99 = %v", r.P50, r.P99)
	}
	if !near(r.Max, time.Minute) || r.Min != time.Microsecond {
		t.Errorf("min = %v, max = %v (want clamped to 1µs and 60s)", r.Min, r.Max)
	}

	// collect resets its target: collecting again gives the same, not double.
	if tl2 := collect([]*recorder{a, b}, h); tl2.ops != tl.ops || h.TotalCount() != 1003 {
		t.Fatalf("second collect: %+v, count %d", tl2, h.TotalCount())
	}
}

// TestRunEach checks that runEach runs every task, returns the first failure and cancels the
// stop context of the tasks still running, and that without a failure it waits for all.
func TestRunEach(t *testing.T) {
	errBoom := errors.New("boom")
	var ran [3]bool
	err := runEach(3, t.Context(), func(k int, stop context.Context) error {
		ran[k] = true
		if k == 1 {
			return fmt.Errorf("task %d: %w", k, errBoom)
		}
		<-stop.Done() // only the failure of task 1 ends the others
		return nil
	})
	if !errors.Is(err, errBoom) || err.Error() != "task 1: boom" || ran != [3]bool{true, true, true} {
		t.Fatalf("runEach = %v, ran %v; want task 1's error after all ran", err, ran)
	}
	var done [4]bool
	if err := runEach(4, t.Context(), func(k int, stop context.Context) error { done[k] = true; return nil }); err != nil || done != [4]bool{true, true, true, true} {
		t.Fatalf("runEach = %v, done %v", err, done)
	}
}

func TestFillEmpty(t *testing.T) {
	var r ZKResult
	r.fill(tally{errs: 3}, newHistogram())
	if r.Ops != 0 || r.Errors != 3 || r.OpsPerSec != 0 || r.P99 != 0 {
		t.Fatalf("empty result = %+v", r)
	}
}

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	start := time.Unix(1000, 0)
	p := newProgress(&buf, start)
	if err := p.tick(start.Add(time.Second), 500, 0, 1500*time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if err := p.tick(start.Add(3*time.Second), 1500, 2, 80*time.Microsecond); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines: %q", len(lines), buf.String())
	}
	for i, want := range [][]string{
		{"1.0s", "ops      500", "ops/s      500.0", "p99    1.50ms", "errors 0"},
		{"3.0s", "ops     1000", "ops/s      500.0", "p99      80µs", "errors 2"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
}

func TestFmtLatency(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                         "0µs",
		999 * time.Microsecond:    "999µs",
		1234 * time.Microsecond:   "1.23ms",
		2500 * time.Millisecond:   "2.50s",
		time.Minute + time.Second: "61.00s",
	} {
		if got := fmtLatency(d); got != want {
			t.Errorf("fmtLatency(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestResultString(t *testing.T) {
	r := &ZKResult{Op: OpGet, Client: ClientGoZK, Clients: 16, Size: 100, Elapsed: 10 * time.Second, Ops: 123456, OpsPerSec: 12345.6,
		P50: 900 * time.Microsecond, P99: 3 * time.Millisecond, P999: 8 * time.Millisecond, Max: 40 * time.Millisecond,
		Errors: 1, FirstError: errors.New("boom")}
	s := r.String()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) != 3 {
		t.Fatalf("String() = %q", s)
	}
	for _, w := range []string{"op", "client", "clients", "ops/s", "p99.9", "max"} {
		if !strings.Contains(lines[0], w) {
			t.Errorf("header %q lacks %q", lines[0], w)
		}
	}
	for _, w := range []string{"get", "gozk", "16", "100", "10.0s", "123456", "12345.6", "900µs", "3.00ms", "8.00ms", "40.00ms"} {
		if !strings.Contains(lines[1], w) {
			t.Errorf("row %q lacks %q", lines[1], w)
		}
	}
	if !strings.Contains(lines[2], "boom") {
		t.Errorf("first error missing: %q", lines[2])
	}
	if !strings.Contains(lines[1], "closed") {
		t.Errorf("closed loop row %q does not say so", lines[1])
	}
	r.Rate, r.Unsent, r.SendLagP99, r.SendLagMax, r.FirstError, r.Errors = 5000, 7, 20*time.Microsecond, 2*time.Millisecond, nil, 0
	lines = strings.Split(strings.TrimSpace(r.String()), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], "5000/s") || !strings.Contains(lines[2], "up to 20µs (p99) and 2.00ms (max)") ||
		!strings.Contains(lines[3], "7 operations due were never sent") {
		t.Errorf("open loop behind: String() = %q", r.String())
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tjava\nVmPeak:\t 999 kB\nVmRSS:\t  123456 kB\nThreads: 9\n"
	got, err := parseVmRSS(strings.NewReader(status))
	if err != nil || got != 123456*1024 {
		t.Fatalf("parseVmRSS = %d, %v", got, err)
	}
	if _, err := parseVmRSS(strings.NewReader("Name:\tkthreadd\n")); !errors.Is(err, ErrNoVmRSS) {
		t.Fatalf("no VmRSS: err = %v", err)
	}
	if _, err := parseVmRSS(strings.NewReader("VmRSS: lots\n")); !errors.Is(err, ErrNoVmRSS) {
		t.Fatalf("malformed VmRSS: err = %v", err)
	}
}

func TestMemoryRSSSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	rss, err := MemoryRSS(os.Getpid())
	if err != nil || rss <= 0 {
		t.Fatalf("MemoryRSS(self) = %d, %v", rss, err)
	}
}

func TestCommandTree(t *testing.T) {
	root := NewCommand()
	zkCmd, _, err := root.Find([]string{"zk"})
	if err != nil || zkCmd.Name() != "zk" {
		t.Fatalf("bench has no zk child: %v", err)
	}
	for name, def := range map[string]string{
		"server": "[127.0.0.1:2181]", "client": "raw", "clients": "1", "op": "get", "duration": "10s", "size": "100", "interval": "1s",
	} {
		f := zkCmd.Flags().Lookup(name)
		if f == nil || f.DefValue != def {
			t.Errorf("flag --%s = %+v, want default %s", name, f, def)
		}
	}
}

func TestCommandRejectsBadOp(t *testing.T) {
	cmd := NewZKCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"--op", "delete"})
	if err := cmd.Execute(); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("Execute() error = %v, want ErrInvalidOptions", err)
	}
}

func TestRunZKNoServer(t *testing.T) {
	t.Parallel()
	port := freePort(t) // nothing listens there
	for _, client := range []string{ClientRaw, ClientGoZK} {
		t.Run(client, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			_, err := RunZK(ctx, ZKOptions{Servers: []string{"127.0.0.1:" + port}, Client: client, Duration: time.Second})
			if !errors.Is(err, ErrConnect) {
				t.Fatalf("RunZK to a closed port: err = %v, want ErrConnect", err)
			}
			// go-zookeeper retries until the deadline; the raw client reports the refusal.
			if client == ClientGoZK && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("RunZK to a closed port: err = %v, want it wrapping the deadline", err)
			}
			if client == ClientRaw && !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("RunZK to a closed port: err = %v, want it wrapping ECONNREFUSED", err)
			}
		})
	}
}

// runEveryOp drives every op with both clients for a moment against server and checks
// each result, and that the run's root is gone afterwards.
func runEveryOp(t *testing.T, server string) {
	for _, client := range []string{ClientRaw, ClientGoZK} {
		for _, op := range []string{OpGet, OpSet, OpCreate, OpMixed} {
			t.Run(client+"/"+op, func(t *testing.T) {
				var progress bytes.Buffer
				res, err := RunZK(t.Context(), ZKOptions{
					Servers:  []string{server, server + "," + server}, // three servers, all the same
					Client:   client,
					Clients:  3,
					Op:       op,
					Duration: 400 * time.Millisecond,
					Size:     100,
					Progress: &progress,
					Interval: 100 * time.Millisecond,
				})
				if err != nil {
					t.Fatalf("RunZK: %v", err)
				}
				t.Logf("\n%s", res)
				if res.Client != client || res.Op != op || res.Clients != 3 {
					t.Errorf("result names client %q op %q clients %d", res.Client, res.Op, res.Clients)
				}
				if res.Ops <= 0 || res.Errors != 0 || res.OpsPerSec <= 0 {
					t.Errorf("ops = %d, errors = %d (%v), ops/s = %v", res.Ops, res.Errors, res.FirstError, res.OpsPerSec)
				}
				if !(0 < res.Min && res.Min <= res.P50 && res.P50 <= res.P99 && res.P99 <= res.P999 && res.P999 <= res.Max) {
					t.Errorf("percentiles out of order: min %v p50 %v p99 %v p99.9 %v max %v", res.Min, res.P50, res.P99, res.P999, res.Max)
				}
				if res.Elapsed < 400*time.Millisecond {
					t.Errorf("elapsed %v shorter than the duration", res.Elapsed)
				}
				if res.CleanupErr != nil {
					t.Errorf("cleanup: %v", res.CleanupErr)
				}
				if res.ClientCPU <= 0 {
					t.Errorf("client CPU = %v", res.ClientCPU)
				}
				if !strings.Contains(progress.String(), "ops/s") {
					t.Errorf("no progress line in %q", progress.String())
				}
				if kv := parseKV(res.KV()); kv["client"] != client || kv["op"] != op {
					t.Errorf("KV() = %q", res.KV())
				}
				checkRootGone(t, server, res.Root)
			})
		}
	}
}

// TestRunZKKeeper drives every op with both clients against an in-process zkafka keeper.
func TestRunZKKeeper(t *testing.T) {
	t.Parallel()
	runEveryOp(t, startKafkaKeeper(t))
}

// TestRunZKApache drives every op with both clients against Apache ZooKeeper.
func TestRunZKApache(t *testing.T) {
	t.Parallel()
	server, _ := startApacheZK(t)
	runEveryOp(t, server)
}

// TestErrorRepliesCounted runs each client's loop on a node that does not exist: every
// NoNode reply is an error, none a success, and the loop goes on.
func TestErrorRepliesCounted(t *testing.T) {
	t.Parallel()
	server := startKafkaKeeper(t)
	for _, client := range []string{ClientRaw, ClientGoZK} {
		for _, op := range []string{OpGet, OpSet, OpCreate} {
			t.Run(client+"/"+op, func(t *testing.T) {
				fleet := dialTestFleet(t, ZKOptions{Servers: []string{server}, Client: client})
				l := testLoad(op, "/missing", newRecorder())
				stop, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
				defer cancel()
				if err := fleet.run([]*zkLoad{l}, stop, t.Context()); err != nil {
					t.Fatalf("run: %v (an error reply must not end the client)", err)
				}
				tl := collect([]*recorder{l.rec}, newHistogram())
				if tl.ops != 0 || tl.errs < 2 {
					t.Fatalf("ops %d errors %d (%v), want no success and several errors", tl.ops, tl.errs, tl.firstErr)
				}
				if !errors.Is(tl.firstErr, jute.ErrNoNode) && !errors.Is(tl.firstErr, zk.ErrNoNode) {
					t.Fatalf("first error %v, want NoNode", tl.firstErr)
				}
				if !strings.Contains(tl.firstErr.Error(), op+" /missing") {
					t.Errorf("first error %q does not name the op and path", tl.firstErr)
				}
			})
		}
	}
}

// cancelWriter cancels a context on its first write: a run interrupted after one progress line.
type cancelWriter struct{ cancel context.CancelFunc }

func (w cancelWriter) Write(p []byte) (int, error) { w.cancel(); return len(p), nil }

// TestRunZKInterrupted cancels a raw run after its first progress line, against a zkafka
// keeper and against Apache ZooKeeper: a partial result, context.Canceled, no errors
// counted, and the root removed.
func TestRunZKInterrupted(t *testing.T) {
	t.Parallel()
	for name, start := range map[string]func(*testing.T) string{
		"keeper": startKafkaKeeper,
		"apache": func(t *testing.T) string { server, _ := startApacheZK(t); return server },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			server := start(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			res, err := RunZK(ctx, ZKOptions{
				Servers:  []string{server},
				Clients:  4,
				Op:       OpCreate,
				Duration: time.Minute,
				Progress: cancelWriter{cancel},
				Interval: 200 * time.Millisecond,
			})
			if !errors.Is(err, context.Canceled) || res == nil {
				t.Fatalf("RunZK = %v, %v; want a partial result and context.Canceled", res, err)
			}
			if res.Ops <= 0 || res.Errors != 0 || res.Elapsed >= time.Minute {
				t.Errorf("partial result: ops %d, errors %d (%v), elapsed %v", res.Ops, res.Errors, res.FirstError, res.Elapsed)
			}
			if res.CleanupErr != nil {
				t.Errorf("cleanup: %v", res.CleanupErr)
			}
			checkRootGone(t, server, res.Root)
		})
	}
}

func TestPopulateApache(t *testing.T) {
	t.Parallel()
	server, pid := startApacheZK(t)
	const n = 2500
	res, err := Populate(t.Context(), server, n, 10)
	if err != nil {
		t.Fatalf("Populate: %v", err)
	}
	if res.Leaves != n || res.Parents != 3 || res.Known == "" {
		t.Fatalf("result = %+v", res)
	}
	c := dialTest(t, server)
	data, _, err := c.Get(res.Known)
	if err != nil || len(data) != 10 {
		t.Fatalf("get %s = %q, %v", res.Known, data, err)
	}
	total := 0
	kids, _, err := c.Children(res.Root)
	if err != nil || len(kids) != res.Parents {
		t.Fatalf("children of root = %d, %v", len(kids), err)
	}
	for _, k := range kids {
		leaves, _, err := c.Children(res.Root + "/" + k)
		if err != nil {
			t.Fatal(err)
		}
		total += len(leaves)
	}
	if total != n {
		t.Fatalf("found %d leaves, want %d", total, n)
	}
	if rss, err := MemoryRSS(pid); err != nil || rss <= 0 {
		t.Errorf("MemoryRSS(zookeeper) = %d, %v", rss, err)
	}
	if err := DeleteTree(t.Context(), c, res.Root); err != nil {
		t.Fatalf("DeleteTree: %v", err)
	}
	if ok, _, err := c.Exists(res.Root); err != nil || ok {
		t.Fatalf("root still exists after DeleteTree (err %v)", err)
	}
}

// startApacheZK starts Apache ZooKeeper on a free port with the workspace's script and
// stops it when the test ends. It skips when the script or java is missing.
func startApacheZK(t *testing.T) (server string, pid int) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not starting Apache ZooKeeper")
	}
	script := filepath.Join(repoRoot(t), "..", "shared", "tools", "apache-zookeeper.sh")
	if _, err := os.Stat(script); err != nil {
		t.Skipf("Apache ZooKeeper start script missing (%v): skipping", err)
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("java not installed: skipping the Apache ZooKeeper test")
	}
	port := freePort(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute) // may apt-get install first
	defer cancel()
	out, err := exec.CommandContext(ctx, script, port, dir).CombinedOutput()
	if raw, rerr := os.ReadFile(filepath.Join(dir, "pid")); rerr == nil {
		pid, _ = strconv.Atoi(strings.TrimSpace(string(raw)))
	}
	if pid > 0 {
		t.Cleanup(func() { stopProcess(t, pid) })
	}
	if err != nil {
		t.Fatalf("%s %s %s: %v\n%s", script, port, dir, err, out)
	}
	// ruok answers before the server opens sessions; on a loaded machine
	// that can take a while.
	if err := zktest.WaitServing("127.0.0.1:"+port, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + port, pid
}

// stopProcess sends SIGTERM to pid (not our child: the script detached it) and waits until
// it is gone or a zombie, so the test's temporary directory can be removed.
func stopProcess(t *testing.T, pid int) {
	p, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	_ = p.Signal(syscall.SIGTERM) // what kill "$(cat DIR/pid)" sends
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return
		}
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("process %d still running 20s after SIGTERM", pid)
}

// repoRoot is the directory holding go.mod, found upwards from the package directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// freePort returns a port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// testLoad is a client's load of op on node (creates under node/n-, 100 bytes of data),
// recording into rec, with a fixed random sequence.
func testLoad(op, node string, rec *recorder) *zkLoad {
	return &zkLoad{op: op, node: node, seq: node + "/n-", data: payload(100), rec: rec,
		rng: randv2.New(randv2.NewPCG(1, 2))}
}

// dialTestFleet validates o (defaults filled) and connects its clients with o.Client's
// implementation; the sessions are closed when the test ends.
func dialTestFleet(t *testing.T, o ZKOptions) zkFleet {
	t.Helper()
	o, err := o.validate()
	if err != nil {
		t.Fatal(err)
	}
	var f zkFleet
	if o.Client == ClientRaw {
		f, err = dialRawFleet(t.Context(), o)
	} else {
		f, err = dialGoZKFleet(t.Context(), o)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	return f
}

// checkRootGone fails the test unless root is gone from server.
func checkRootGone(t *testing.T, server, root string) {
	t.Helper()
	if ok, _, err := dialTest(t, server).Exists(root); err != nil || ok {
		t.Errorf("root %s still exists (err %v)", root, err)
	}
}

// dialTest opens a session for the test's own checks, closed when the test ends.
func dialTest(t *testing.T, server string) *zk.Conn {
	t.Helper()
	c, err := dialZK(t.Context(), server, 10*time.Second, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
