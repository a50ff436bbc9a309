package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkafka/zkafka/internal/keeper/server"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// The integration tests run every scenario against zkafka's keeper (a
// fresh in-process server per test) and against Apache ZooKeeper 3.8 when
// it is installed (one server for the package, each test under its own
// chroot).

// apacheZK is the package's reference server, started on first use.
var apacheZK struct {
	once sync.Once
	addr string
	skip string
	pid  int
	dir  string
	n    atomic.Int64 // chroots handed out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if apacheZK.pid != 0 {
		_ = syscall.Kill(apacheZK.pid, syscall.SIGTERM)
	}
	if apacheZK.dir != "" {
		os.RemoveAll(apacheZK.dir)
	}
	os.Exit(code)
}

func repoRoot(t testing.TB) string {
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
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// apacheAddr returns the reference server's address, or skips the test.
func apacheAddr(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not starting Apache ZooKeeper")
	}
	apacheZK.once.Do(func() {
		script := filepath.Join(repoRoot(t), "..", "shared", "tools", "apache-zookeeper.sh")
		if _, err := os.Stat(script); err != nil {
			apacheZK.skip = fmt.Sprintf("no reference ZooKeeper: %v", err)
			return
		}
		if _, err := exec.LookPath("java"); err != nil {
			apacheZK.skip = "no reference ZooKeeper: java is not installed"
			return
		}
		if _, err := os.Stat("/usr/share/java/zookeeper.jar"); err != nil {
			apacheZK.skip = "no reference ZooKeeper: the zookeeper package is not installed"
			return
		}
		port := freePort(t)
		dir, err := os.MkdirTemp("", "cluster-apache-zk-")
		if err != nil {
			apacheZK.skip = err.Error()
			return
		}
		apacheZK.dir = dir
		out, err := exec.Command(script, strconv.Itoa(port), dir).CombinedOutput()
		if b, rerr := os.ReadFile(filepath.Join(dir, "pid")); rerr == nil {
			apacheZK.pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if err != nil {
			apacheZK.skip = fmt.Sprintf("the reference ZooKeeper did not start: %v\n%s", err, out)
			return
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		// The script returns on "imok", which comes before the server
		// opens sessions.
		if err := zktest.WaitServing(addr, 30*time.Second); err != nil {
			apacheZK.skip = fmt.Sprintf("the reference ZooKeeper does not serve: %v", err)
			return
		}
		apacheZK.addr = addr
	})
	if apacheZK.skip != "" {
		t.Skip(apacheZK.skip)
	}
	return apacheZK.addr
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// env is one ZooKeeper to test against.
type env struct {
	name    string
	addr    string        // host:port of the server
	chroot  string        // "" or a chroot that isolates this test
	timeout time.Duration // session timeout that the server grants
	expiry  time.Duration // how long a silent session takes to expire, at most
}

// connect is the zookeeper.connect string for this env (plus an extra
// chroot suffix).
func (e env) connect(suffix string) string { return e.addr + e.chroot + suffix }

// forEachServer runs fn against the keeper and against Apache ZooKeeper.
func forEachServer(t *testing.T, fn func(t *testing.T, e env)) {
	t.Run("keeper", func(t *testing.T) {
		s, err := server.New(server.Options{
			ClientAddr: "127.0.0.1:0",
			DataDir:    t.TempDir(),
			TickTime:   100 * time.Millisecond,
			Logger:     testLogger(t),
		})
		if err != nil {
			t.Fatalf("keeper: %v", err)
		}
		if err := s.Start(); err != nil {
			t.Fatalf("keeper start: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, env{name: "keeper", addr: s.Addr().String(), timeout: time.Second, expiry: 5 * time.Second})
	})
	t.Run("apache", func(t *testing.T) {
		addr := apacheAddr(t)
		chroot := fmt.Sprintf("/t%d-%s", apacheZK.n.Add(1), strings.ReplaceAll(t.Name(), "/", "-"))
		// tickTime=2000: sessions last at least 4s; expiry is checked per tick.
		fn(t, env{name: "apache", addr: addr, chroot: chroot, timeout: 4 * time.Second, expiry: 15 * time.Second})
	})
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() && os.Getenv("CLUSTER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.DiscardHandler)
}

type nopZKLogger struct{}

func (nopZKLogger) Printf(string, ...any) {}

// observer opens a plain go-zookeeper session (no chroot) to look at what
// the registry wrote, as a ZooKeeper CLI would.
func observer(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogger(nopZKLogger{}), zk.WithLogInfo(false))
	if err != nil {
		t.Fatalf("observer: %v", err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(10 * time.Second)
	for c.State() != zk.StateHasSession {
		select {
		case <-ev:
		case <-deadline:
			t.Fatalf("observer: no session (state %v)", c.State())
		}
	}
	return c
}

// proxy is a TCP relay in front of a server that the test can cut: while
// blocked it drops every connection, so the client's session starves and
// the server expires it.
type proxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	blocked bool
	conns   map[net.Conn]bool
	wg      sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.blocked {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = true, true
		p.wg.Add(2)
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
		}
		go pipe(up, c)
		go pipe(c, up)
	}
}

func (p *proxy) block() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = true
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *proxy) unblock() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = false
}

func (p *proxy) close() {
	p.ln.Close()
	p.block()
	p.wg.Wait()
}
