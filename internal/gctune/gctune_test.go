package gctune

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

const mib = 1 << 20

func TestPercent(t *testing.T) {
	tests := []struct {
		name     string
		live     uint64
		min      uint64
		fraction float64
		want     int
	}{
		{"no collection yet", 0, 16 * mib, 0.125, 100},
		{"small heap keeps the default", 4 * mib, 16 * mib, 0.125, 100},
		{"live equal to the minimum", 16 * mib, 16 * mib, 0.125, 100},
		{"minimum headroom", 64 * mib, 16 * mib, 0.125, 25},
		{"minimum headroom rounds up", 48 * mib, 16 * mib, 0.125, 34},
		{"fraction takes over", 128 * mib, 16 * mib, 0.125, 13},
		{"large heap", 170 * mib, 16 * mib, 0.125, 13},
		{"1M znodes with 64 MiB minimum", 170 * mib, 64 * mib, 0.125, 38},
		{"1M znodes with the defaults", 175 * mib, DefaultMinHeadroom, DefaultFraction, 7},
		{"tiny fraction is at least 1", 1 << 40, 1, 0.001, 1},
		{"fraction 1 is the default", 1 << 30, 16 * mib, 1, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percent(tc.live, tc.min, tc.fraction); got != tc.want {
				t.Fatalf("Percent(%d, %d, %v) = %d, want %d", tc.live, tc.min, tc.fraction, got, tc.want)
			}
		})
	}
}

// fakeRuntime stands in for the runtime's metrics and GC percent.
type fakeRuntime struct {
	mu      sync.Mutex
	cycles  uint64
	live    uint64
	percent int
	sets    chan int // every value set, in order
}

func newFake(percent int) *fakeRuntime {
	return &fakeRuntime{percent: percent, sets: make(chan int, 16)}
}

func (f *fakeRuntime) gc(live uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cycles++
	f.live = live
}

func (f *fakeRuntime) source() (uint64, uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cycles, f.live
}

func (f *fakeRuntime) setGC(p int) int {
	f.mu.Lock()
	prev := f.percent
	f.percent = p
	f.mu.Unlock()
	f.sets <- p
	return prev
}

// harness runs the tuner with a fake runtime and a tick channel the test
// drives; tick returns once the loop has taken the tick and finished
// handling the previous one.
type harness struct {
	t       *testing.T
	fake    *fakeRuntime
	ticks   chan time.Time
	stop    func()
	started bool // a loop was started (its ticker made)
}

func start(t *testing.T, ctx context.Context, env map[string]string, o Options) *harness {
	h := &harness{t: t, fake: newFake(100), ticks: make(chan time.Time)}
	o.getenv = func(k string) string { return env[k] }
	o.source = h.fake.source
	o.setGC = h.fake.setGC
	o.newTick = func(time.Duration) (<-chan time.Time, func()) {
		h.started = true
		return h.ticks, func() {}
	}
	h.stop = Start(ctx, o)
	t.Cleanup(h.stop)
	return h
}

func (h *harness) tick() {
	h.t.Helper()
	select {
	case h.ticks <- time.Time{}:
	case <-time.After(5 * time.Second):
		h.t.Fatal("the tuner does not take ticks")
	}
}

// sync waits until the loop has handled every tick sent so far: it takes
// the next tick only after finishing the previous one.
func (h *harness) sync() { h.tick() }

func (h *harness) wantSet(want int) {
	h.t.Helper()
	select {
	case got := <-h.fake.sets:
		if got != want {
			h.t.Fatalf("set GOGC %d, want %d", got, want)
		}
	case <-time.After(5 * time.Second):
		h.t.Fatalf("GOGC not set, want %d", want)
	}
}

func (h *harness) wantNoSet() {
	h.t.Helper()
	select {
	case got := <-h.fake.sets:
		h.t.Fatalf("set GOGC %d, want nothing", got)
	default:
	}
}

func TestLoop(t *testing.T) {
	h := start(t, context.Background(), nil, Options{MinHeadroom: 16 * mib, Fraction: 0.125})

	h.tick() // no collection yet
	h.sync()
	h.wantNoSet()

	h.fake.gc(170 * mib)
	h.tick()
	h.wantSet(13)

	h.tick() // no new collection: nothing to do
	h.sync()
	h.wantNoSet()

	h.fake.gc(171 * mib) // same percent: not set again
	h.tick()
	h.sync()
	h.wantNoSet()

	h.fake.gc(64 * mib)
	h.tick()
	h.wantSet(25)

	h.fake.gc(2 * mib) // small again: Go's default
	h.tick()
	h.wantSet(100)

	h.fake.gc(1024 * mib)
	h.tick()
	h.wantSet(13)

	h.stop() // restores what it found
	h.wantSet(100)
	h.stop() // idempotent
	h.wantNoSet()
}

func TestStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h := start(t, ctx, nil, Options{})
	h.fake.gc(512 * mib) // defaults: 1/16 of 512 MiB is 32 MiB, 6.25%
	h.tick()
	h.wantSet(7)
	cancel()
	h.wantSet(100) // the goroutine restored GOGC on its way out
	done := make(chan struct{})
	go func() { h.stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("stop does not return after the context ended")
	}
}

func TestEnvironmentWins(t *testing.T) {
	for _, env := range []map[string]string{{"GOGC": "50"}, {"GOMEMLIMIT": "1GiB"}} {
		h := start(t, context.Background(), env, Options{})
		if h.started {
			t.Fatalf("%v: a tuner runs", env)
		}
		h.stop()
		h.wantNoSet()
	}
}

func TestInvalidFraction(t *testing.T) {
	for _, f := range []float64{-0.5, 1.5} {
		h := start(t, context.Background(), nil, Options{Fraction: f})
		if h.started {
			t.Fatalf("fraction %v: a tuner runs", f)
		}
		h.stop()
		h.wantNoSet()
	}
}

// TestRealRuntime runs the tuner against the real runtime: after a
// collection with a large live heap GOGC is below 100, and stop restores it.
func TestRealRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 64 MiB")
	}
	t.Setenv("GOGC", "") // the test must not inherit an operator's choice
	t.Setenv("GOMEMLIMIT", "")
	before := currentPercent()
	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, mib)
	}
	ticks := make(chan time.Time)
	stop := Start(context.Background(), Options{MinHeadroom: 8 * mib,
		newTick: func(time.Duration) (<-chan time.Time, func()) { return ticks, func() {} }})
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for currentPercent() >= 100 {
		if time.Now().After(deadline) {
			t.Fatal("GOGC still at 100 with 64 MiB live")
		}
		runtime.GC()
		ticks <- time.Time{}
		ticks <- time.Time{} // handled the previous tick
	}
	stop()
	if got := currentPercent(); got != before {
		t.Fatalf("GOGC %d after stop, want %d", got, before)
	}
	runtime.KeepAlive(live)
}

func currentPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
