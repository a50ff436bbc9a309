package bench

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func TestProbeGetData(t *testing.T) {
	t.Parallel()
	f := startFakeZK(t, "127.0.0.1:0", map[string][]byte{"/a/b": []byte("payload")}, 0)
	ctx := t.Context()

	data, err := ProbeGetData(ctx, f.addr(), "/a/b", 5*time.Second)
	if err != nil || string(data) != "payload" {
		t.Fatalf("ProbeGetData(/a/b) = %q, %v", data, err)
	}
	_, err = ProbeGetData(ctx, f.addr(), "/missing", 5*time.Second)
	if !errors.Is(err, ErrNotServing) || !errors.Is(err, jute.Err(-101)) {
		t.Fatalf("ProbeGetData(/missing) error = %v, want ErrNotServing wrapping NONODE", err)
	}

	f.drop.Store(1)
	if _, err := ProbeGetData(ctx, f.addr(), "/a/b", 5*time.Second); !errors.Is(err, ErrNotServing) {
		t.Fatalf("dropped connection: error = %v, want ErrNotServing", err)
	}

	port := freePort(t) // nothing listens there
	if _, err := ProbeGetData(ctx, "127.0.0.1:"+port, "/a/b", 5*time.Second); err == nil {
		t.Fatal("probe of a closed port succeeded")
	}
}

// TestProbeGetDataStalled: a server that accepts but never answers costs one attempt's
// timeout, no more.
func TestProbeGetDataStalled(t *testing.T) {
	t.Parallel()
	ln, err := listenLoopback(t)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ProbeGetData(t.Context(), ln, "/a", 100*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stalled server: error = %v, want the deadline", err)
	}
}

// listenLoopback listens on a free port and never accepts: the kernel completes the TCP
// handshake, and nothing ever answers.
func listenLoopback(t *testing.T) (string, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), nil
}

func TestWaitServing(t *testing.T) {
	t.Parallel()
	f := startFakeZK(t, "127.0.0.1:0", map[string][]byte{"/k": nil}, 3)
	at, err := WaitServing(t.Context(), f.addr(), "/k", time.Millisecond, time.Second)
	if err != nil || at.IsZero() {
		t.Fatalf("WaitServing = %v, %v", at, err)
	}
	if n := f.conns.Load(); n != 4 {
		t.Errorf("served after %d connections, want 4 (3 dropped)", n)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	if _, err := WaitServing(ctx, f.addr(), "/missing", time.Millisecond, time.Second); !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrNotServing) {
		t.Fatalf("WaitServing(/missing) error = %v, want the deadline and the last probe's ErrNotServing", err)
	}
}

func TestStatusExited(t *testing.T) {
	for status, want := range map[string]bool{
		"Name:\tjava\nState:\tS (sleeping)\nThreads:\t25\n": false,
		"Name:\tjava\nState:\tZ (zombie)\nThreads:\t24\n":   false, // the leader exited first
		"Name:\tjava\nState:\tZ (zombie)\nThreads:\t1\n":    true,
		"Name:\tzkafka\nState:\tX (dead)\nThreads:\t1\n":    true,
		"Name:\tzkafka\nState:\tR (running)\nThreads:\t1\n": false,
		"garbage": false,
	} {
		if got := statusExited(status); got != want {
			t.Errorf("statusExited(%q) = %v, want %v", status, got, want)
		}
	}
}

func TestRestartOptionsValidate(t *testing.T) {
	ok := RestartOptions{Server: "127.0.0.1:2181", Path: "/a", Command: []string{"true"}}
	o, err := ok.validate()
	if err != nil {
		t.Fatal(err)
	}
	if o.StopTimeout != DefaultStopTimeout || o.StartTimeout != DefaultStartTimeout || o.PollInterval != DefaultPollInterval {
		t.Errorf("defaults not filled: %+v", o)
	}
	for name, mod := range map[string]func(*RestartOptions){
		"two servers":      func(o *RestartOptions) { o.Server = "a:1,b:2" },
		"relative path":    func(o *RestartOptions) { o.Path = "a" },
		"no command":       func(o *RestartOptions) { o.Command = nil },
		"negative pid":     func(o *RestartOptions) { o.Pid = -1 },
		"negative timeout": func(o *RestartOptions) { o.StartTimeout = -time.Second },
	} {
		bad := ok
		mod(&bad)
		if _, err := bad.validate(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: validate() error = %v, want ErrInvalidOptions", name, err)
		}
	}
}

// helperCommand returns the test binary run as a fake server on addr (see TestMain).
func helperCommand(addr string, extraEnv ...string) ([]string, []string) {
	env := append(os.Environ(), helperEnv+"="+addr)
	return []string{os.Args[0], "-test.run=^$"}, append(env, extraEnv...)
}

// startHelper starts a fake server process on addr, waits until it serves and stops it when
// the test ends.
func startHelper(t *testing.T, addr string) int {
	t.Helper()
	argv, env := helperCommand(addr)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := WaitServing(ctx, addr, helperNode, 5*time.Millisecond, time.Second); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// stopAtEnd stops pid (started by Restart, so reaped by it) when the test ends.
func stopAtEnd(t *testing.T, pid int) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := StopProcess(ctx, pid); err != nil {
			t.Error(err)
		}
	})
}

func TestRestartForeground(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + freePort(t)
	old := startHelper(t, addr)
	argv, env := helperCommand(addr)
	log := filepath.Join(t.TempDir(), "server.log")
	res, err := Restart(t.Context(), RestartOptions{
		Server: addr, Path: helperNode, Pid: old, Command: argv, Env: env, LogFile: log,
		StartTimeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatalf("Restart: %v", err)
	}
	stopAtEnd(t, res.Pid)
	if !processExited(old) {
		t.Errorf("old server %d still runs", old)
	}
	if res.Pid == old || res.Pid <= 0 || res.Serving <= 0 || res.Stop <= 0 || res.RSS <= 0 {
		t.Errorf("result = %+v", res)
	}
	if _, err := ProbeGetData(t.Context(), addr, helperNode, 5*time.Second); err != nil {
		t.Errorf("restarted server does not serve: %v", err)
	}
	kv := res.KV()
	for _, k := range []string{"stop_s=", "serving_s=", "pid=" + strconv.Itoa(res.Pid), "rss_bytes="} {
		if !strings.Contains(kv, k) {
			t.Errorf("KV %q lacks %q", kv, k)
		}
	}
}

// TestRestartDetached: a start command that detaches the server, writes its pid to a file
// and exits, as apache-zookeeper.sh does.
func TestRestartDetached(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	addr := "127.0.0.1:" + freePort(t)
	argv, env := helperCommand(addr)
	pidFile := filepath.Join(t.TempDir(), "pid")
	if err := os.WriteFile(pidFile, []byte("1\n"), 0o644); err != nil { // stale: must be ignored
		t.Fatal(err)
	}
	script := []string{"sh", "-c", `"$0" "$1" >/dev/null 2>&1 </dev/null & echo $! >"$2"`, argv[0], argv[1], pidFile}
	res, err := Restart(t.Context(), RestartOptions{
		Server: addr, Path: helperNode, Command: script, Env: env, PidFile: pidFile,
		StartTimeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatalf("Restart: %v", err)
	}
	stopAtEnd(t, res.Pid)
	if res.Pid <= 1 || res.Stop != 0 || res.Serving <= 0 {
		t.Errorf("result = %+v", res)
	}
}

func TestRestartCommandFails(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + freePort(t)
	argv, env := helperCommand(addr, helperFail+"=1")
	start := time.Now()
	_, err := Restart(t.Context(), RestartOptions{
		Server: addr, Path: helperNode, Command: argv, Env: env, StartTimeout: time.Minute,
	})
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("Restart error = %v, want the command's exit status 3", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("failure noticed only after %v", time.Since(start))
	}
}

func TestKVFormats(t *testing.T) {
	r := &ZKResult{Op: OpSet, Client: ClientRaw, Clients: 64, Size: 100, Elapsed: 10 * time.Second, Ops: 1000, OpsPerSec: 100,
		P50: 1500 * time.Microsecond, P99: 3 * time.Millisecond, P999: 4 * time.Millisecond, Max: 5 * time.Millisecond, Mean: 1600 * time.Microsecond,
		ClientCPU: 12500 * time.Millisecond, Servers: []string{"h:1", "h:2"}, ServerOps: []int64{600, 400}}
	want := "op=set client=raw clients=64 rate=0 unsent=0 size=100 elapsed_s=10.000 ops=1000 errors=0 ops_per_s=100.0 p50_us=1500 p99_us=3000 p999_us=4000 max_us=5000 mean_us=1600 lag_p99_us=0 lag_max_us=0 client_cpu_s=12.500 servers=h:1,h:2 server_ops=600,400"
	if got := r.KV(); got != want {
		t.Errorf("ZKResult.KV() =\n%s\nwant\n%s", got, want)
	}
	p := &PopulateResult{Root: "/zkpopulate-ab", Known: "/zkpopulate-ab/b000000/n000000", Leaves: 2000, Parents: 2,
		Elapsed: 2 * time.Second, ClientCPU: 1500 * time.Millisecond}
	want = "root=/zkpopulate-ab known=/zkpopulate-ab/b000000/n000000 leaves=2000 znodes=2003 elapsed_s=2.000 creates_per_s=1001.0 client_cpu_s=1.500 rss_bytes=42"
	if got := p.KV(42); got != want {
		t.Errorf("PopulateResult.KV() =\n%s\nwant\n%s", got, want)
	}
	f := &FailoverResult{Op: OpSet, Clients: 8, Size: 100, Servers: []string{"h:1", "h:2", "h:3"}, Leader: 1, LeaderPid: 42, NewLeader: 2,
		KilledAt: 2 * time.Second, KillTook: time.Millisecond, FirstWrite: 800 * time.Millisecond, AllServers: 900 * time.Millisecond,
		ServerFirstWrite: []time.Duration{900 * time.Millisecond, -1, 800 * time.Millisecond}, KillStall: 850 * time.Millisecond,
		MaxStall: 850 * time.Millisecond, Elapsed: 4 * time.Second, Ops: 5000, Errors: 8, Writes: 5000, WritesPerSecBefore: 1500,
		ServerOps: []int64{2000, 1000, 2000}, Reconnects: 8, P50: time.Millisecond, P99: 2 * time.Millisecond, Max: 900 * time.Millisecond,
		ClientCPU: 300 * time.Millisecond}
	want = "op=set client=raw clients=8 size=100 servers=h:1,h:2,h:3 leader=h:2 leader_pid=42 new_leader=h:3 killed_at_s=2.000 " +
		"kill_took_s=0.001 first_write_s=0.800 all_servers_s=0.900 server_first_write_s=0.900,-,0.800 kill_stall_s=0.850 " +
		"max_stall_s=0.850 elapsed_s=4.000 ops=5000 errors=8 writes=5000 writes_per_s_before=1500.0 server_ops=2000,1000,2000 " +
		"reconnects=8 new_sessions=0 p50_us=1000 p99_us=2000 max_us=900000 client_cpu_s=0.300"
	if got := f.KV(); got != want {
		t.Errorf("FailoverResult.KV() =\n%s\nwant\n%s", got, want)
	}
	if s := f.String(); !strings.Contains(s, "h:2     killed leader  1000  -") || !strings.Contains(s, "h:3     new leader     2000  0.800s") {
		t.Errorf("FailoverResult.String() =\n%s", s)
	}
	rr := &RestartResult{Stop: 250 * time.Millisecond, Serving: 1500 * time.Millisecond, Pid: 7, RSS: 1 << 20}
	if got, want := rr.KV(), "stop_s=0.250 serving_s=1.500 pid=7 rss_bytes=1048576"; got != want {
		t.Errorf("RestartResult.KV() = %q, want %q", got, want)
	}
}

func TestKeeperCommands(t *testing.T) {
	root := NewCommand()
	for name, flags := range map[string]map[string]string{
		"zk":          {"format": "table"},
		"zk-populate": {"server": DefaultZKServer, "n": "1000000", "size": "100", "pid": "0", "keep": "true"},
		"zk-restart":  {"server": DefaultZKServer, "pid": "0", "poll": "10ms", "timeout": "5m0s", "pid-file": "", "log": ""},
	} {
		cmd, _, err := root.Find([]string{name})
		if err != nil || cmd.Name() != name {
			t.Fatalf("bench has no %s child: %v", name, err)
		}
		for flag, def := range flags {
			if f := cmd.Flags().Lookup(flag); f == nil || f.DefValue != def {
				t.Errorf("%s --%s = %+v, want default %q", name, flag, f, def)
			}
		}
	}
}

func TestKeeperCommandErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"bad format":        {"zk", "--format", "json"},
		"populate bad pid":  {"zk-populate", "--pid", "-2"},
		"populate bad size": {"zk-populate", "--size", "-1", "--server", "127.0.0.1:1"},
		"restart no path":   {"zk-restart", "--path", "relative", "--", "true"},
	} {
		t.Run(name, func(t *testing.T) {
			root := NewCommand()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&out)
			root.SetArgs(args)
			if err := root.Execute(); !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("Execute(%q) error = %v, want ErrInvalidOptions", args, err)
			}
		})
	}
}

// TestZKPopulateCommandApache runs `bench zk-populate` with a few znodes against Apache
// ZooKeeper, started by the workspace's script, and probes the node it names.
func TestZKPopulateCommandApache(t *testing.T) {
	t.Parallel()
	server, pid := startApacheZK(t)
	root := NewCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"zk-populate", "--server", server, "--n", "1500", "--size", "10", "--pid", strconv.Itoa(pid)})
	if err := root.Execute(); err != nil {
		t.Fatalf("zk-populate: %v\n%s", err, out.String())
	}
	kv := parseKV(out.String())
	if kv["leaves"] != "1500" || kv["znodes"] != "1503" || !strings.HasSuffix(kv["known"], "/b000000/n000000") {
		t.Fatalf("zk-populate printed %q", out.String())
	}
	if rss, _ := strconv.ParseInt(kv["rss_bytes"], 10, 64); rss <= 0 {
		t.Errorf("rss_bytes = %q", kv["rss_bytes"])
	}
	data, err := ProbeGetData(t.Context(), server, kv["known"], 10*time.Second)
	if err != nil || len(data) != 10 {
		t.Fatalf("probe of %s = %q, %v", kv["known"], data, err)
	}
}

// parseKV splits one line of key=value pairs.
func parseKV(line string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestProcessCPU(t *testing.T) {
	before := processCPU()
	if before <= 0 {
		t.Fatalf("processCPU() = %v at start", before)
	}
	deadline := time.Now().Add(10 * time.Second)
	x := 0
	for processCPU() <= before { // rusage advances in scheduler ticks: spin until it does
		if time.Now().After(deadline) {
			t.Fatal("processCPU() did not advance while spinning")
		}
		for i := range 1_000_000 {
			x += i
		}
	}
	_ = x
}
