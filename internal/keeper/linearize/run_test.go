package linearize

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/zkafka/zkafka/internal/keeper/server"
)

// startKeeper runs a standalone keeper on 127.0.0.1:0.
func startKeeper(t *testing.T) string {
	t.Helper()
	s, err := server.New(server.Options{ClientAddr: "127.0.0.1:0", DataDir: t.TempDir(), TickTime: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr().String()
}

// run runs a short workload against servers and checks its history.
func run(t *testing.T, cfg Config, want porcupine.CheckResult) (*History, *Result) {
	t.Helper()
	if cfg.Duration == 0 {
		cfg.Duration = 2 * time.Second
	}
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := checked(t, h, want)
	t.Logf("%d ops by %d sessions, outcomes %v; model %v over %d ops in %v; zxid problems %d",
		len(h.Ops), h.Sessions, h.Counts(), r.Model, r.Ops, time.Since(start).Round(time.Millisecond), len(r.Zxid))
	return h, r
}

// kinds counts the ops of h by kind and outcome.
func kinds(h *History) map[Kind]map[Outcome]int {
	m := map[Kind]map[Outcome]int{}
	for _, o := range h.Ops {
		if m[o.Kind] == nil {
			m[o.Kind] = map[Outcome]int{}
		}
		m[o.Kind][o.Outcome]++
	}
	return m
}

func TestStandaloneKeeperPasses(t *testing.T) {
	addr := startKeeper(t)
	h, r := run(t, Config{Servers: []string{addr}, Clients: 5, Keys: 3, Seed: 1}, porcupine.Ok)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	// The run exercised what it claims to: every kind, successes and
	// refusals, reads that found data.
	k := kinds(h)
	for _, kind := range []Kind{Create, Set, Delete, Get, SyncGet} {
		if k[kind][OK] < 10 {
			t.Errorf("%v: %v, want at least 10 OK", kind, k[kind])
		}
	}
	for _, kind := range []Kind{Create, Set, Delete} {
		if k[kind][Failed] == 0 {
			t.Errorf("%v: %v, want some refused", kind, k[kind])
		}
	}
	if h.Counts()[Unknown] != 0 {
		t.Errorf("unknown outcomes without faults: %v", h.Counts())
	}
}

// TestUnknownOutcomesPass cuts connections right after relaying writes:
// the server applies them, the client never hears, and the session
// reconnects through the other of two addresses. Such histories are legal
// and must pass.
func TestUnknownOutcomesPass(t *testing.T) {
	addr := startKeeper(t)
	p1, p2 := startProxy(t, addr, cut), startProxy(t, addr, cut)
	h, r := run(t, Config{Servers: []string{p1.addr(), p2.addr()}, Clients: 5, Keys: 3, Seed: 2}, porcupine.Ok)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	cuts := p1.injected.Load() + p2.injected.Load()
	if n := h.Counts()[Unknown]; n == 0 || cuts == 0 {
		t.Fatalf("%d unknown outcomes after %d cuts; the test tested nothing", n, cuts)
	}
	// Sessions moved between the two addresses and kept their number.
	servers := map[int]map[string]bool{}
	moved := false
	for _, o := range h.Ops {
		if servers[o.Session] == nil {
			servers[o.Session] = map[string]bool{}
		}
		servers[o.Session][o.Server] = true
		moved = moved || len(servers[o.Session]) > 1
	}
	if !moved {
		t.Error("no session used both addresses")
	}
}

// TestStaleReadCaught: a server bug replays an old getData reply to a
// session that has seen newer data.
func TestStaleReadCaught(t *testing.T) {
	p := startProxy(t, startKeeper(t), staleRead)
	_, r := run(t, Config{Servers: []string{p.addr()}, Clients: 5, Keys: 3, Seed: 3}, porcupine.Illegal)
	if p.injected.Load() == 0 {
		t.Fatal("no stale read injected")
	}
	t.Logf("%d stale replies injected; verdict: %v", p.injected.Load(), r.Err())
	if !errors.Is(r.Err(), ErrNotLinearizable) {
		t.Fatalf("stale reads not caught by the model: %v", r.Err())
	}
	// The header's zxid is the real one, the stat an old one: Z4.
	if len(r.Zxid) == 0 {
		t.Error("stale reads not caught by the zxid rules")
	}
}

// TestLostWriteCaught: a server bug acknowledges conditional setData
// requests it never applies.
func TestLostWriteCaught(t *testing.T) {
	p := startProxy(t, startKeeper(t), lostWrite)
	_, r := run(t, Config{Servers: []string{p.addr()}, Clients: 5, Keys: 3, Seed: 4}, porcupine.Illegal)
	if p.injected.Load() == 0 {
		t.Fatal("no write lost")
	}
	t.Logf("%d writes lost; verdict: %v", p.injected.Load(), r.Err())
	if !errors.Is(r.Err(), ErrNotLinearizable) {
		t.Fatalf("lost writes not caught by the model: %v", r.Err())
	}
}

func TestRunNeedsServers(t *testing.T) {
	if _, err := Run(context.Background(), Config{}); err == nil {
		t.Fatal("Run without servers succeeded")
	}
}
