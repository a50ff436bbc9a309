// Package gctune bounds the Go heap's headroom for servers that hold a large,
// long-lived heap (the keeper's znode tree), so that resident memory tracks
// the live data instead of doubling it.
//
// # Why
//
// Go's collector starts a cycle when the heap reaches a goal of
// live × (1 + GOGC/100); with the default GOGC=100 a process whose live heap
// is L holds up to 2L, and the scavenger keeps about 10% more than the goal
// resident. The keeper holds every znode in memory: 1,000,000 znodes of 100
// bytes are about 141 MiB of live heap (175 MiB before the tree stored each
// parent path once), and with the default GOGC the keeper's RSS was 330 MiB
// after creating them, while our target is a third of Apache ZooKeeper's RSS
// for the same tree (≈ 205 MiB on the benchmark machine, docs/benchmarks.md).
//
// A fixed lower GOGC would make small heaps (a fresh server, a test) collect
// constantly for no gain, and a memory limit (GOMEMLIMIT) is a cap that an
// operator, not the program, should choose. The tuner instead sets GOGC after
// every collection so that the next goal is
//
//	live + max(MinHeadroom, live × Fraction)
//
// never more headroom than Go's default (GOGC is at most 100), so a heap
// smaller than MinHeadroom behaves exactly as without the tuner.
//
// # The numbers
//
// Measured on the 2-core benchmark machine (client and server sharing the
// cores) with `zkafka bench zk-populate --n 1000000 --size 100`: RSS is ~15
// MiB of runtime and binary plus about 1.05 × the heap goal. The first rows
// were measured when the live heap after populating was ~175 MiB:
//
//	GC settings                     RSS after populate   after restart
//	GOGC=100 (no tuner)             330 MiB              316 MiB
//	MinHeadroom 16 MiB, 1/8         217 MiB              228 MiB
//	MinHeadroom 8 MiB, 1/16 (def.)  207-211 MiB          208 MiB
//
// Since the tree keeps each parent path once (tree/parents.go) the live heap
// after populating is ~141 MiB (gctrace: 148 MB live, 159 MB goal) and, with
// the defaults, RSS is 177 MiB after populating and 176-178 MiB after a
// restart. Under load right after populating (64 clients of `zkafka bench
// zk`, 20 s each) RSS peaked at 187 MiB for set and 190 MiB for get: the
// connections' buffers and goroutine stacks come on top of the heap, and
// the heap goal holds. Returning idle memory to the OS after a burst
// (debug.FreeOSMemory) would lower the idle number only; under load RSS
// returns to the goal plus those buffers, so the tuner does not do it.
//
// # The trade-off
//
// Less headroom means more collections for the same allocation rate: one
// every headroom/allocation-rate seconds, each costing about the work of
// marking the live heap. The tree keeps its nodes pointer-free, so marking
// a 1M-znode tree scans only the B-tree's pointer arrays and sets a mark bit
// per node: 20–50 ms of CPU per cycle. Under a saturating load of 16 clients
// (gctrace) the collector took 8% of the keeper's CPU for gets and 16% for
// sets with the defaults, 8% and 10% with 16 MiB and 1/8; with GOGC=100 it
// collects about once in 10 s. Heaps below MinHeadroom keep GOGC=100, and an
// operator who prefers CPU to memory sets GOGC (or GOMEMLIMIT).
//
// GOGC or GOMEMLIMIT in the environment means the operator chose: the tuner
// then does nothing.
package gctune

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// Defaults of Options.
const (
	// DefaultMinHeadroom is the smallest headroom the tuner leaves: heaps
	// with less live data than this keep Go's default GOGC=100.
	DefaultMinHeadroom = 8 << 20
	// DefaultFraction is the headroom of a large heap, as a fraction of its
	// live bytes.
	DefaultFraction = 1.0 / 16
	// DefaultInterval is how often the tuner looks for a finished
	// collection.
	DefaultInterval = 250 * time.Millisecond
)

// Options configure the tuner. The zero value means the defaults.
type Options struct {
	// MinHeadroom is the least heap growth, in bytes, allowed above the
	// live heap before the next collection. 0 means DefaultMinHeadroom.
	MinHeadroom uint64
	// Fraction is the heap growth allowed above the live heap, as a
	// fraction of it, when that is more than MinHeadroom. It must be in
	// (0, 1]; 0 means DefaultFraction.
	Fraction float64
	// Interval is how often the runtime's metrics are read. 0 means
	// DefaultInterval.
	Interval time.Duration
	// Logger receives the tuner's decisions at Debug level. nil discards
	// them.
	Logger *slog.Logger

	// Test seams; nil means the real runtime and environment.
	getenv  func(string) string
	source  func() (cycles, live uint64)
	setGC   func(percent int) (previous int)
	newTick func(time.Duration) (<-chan time.Time, func())
}

func (o *Options) fill() error {
	if o.MinHeadroom == 0 {
		o.MinHeadroom = DefaultMinHeadroom
	}
	if o.Fraction == 0 {
		o.Fraction = DefaultFraction
	}
	if !(o.Fraction > 0 && o.Fraction <= 1) {
		return fmt.Errorf("gctune: Fraction %v is not in (0, 1]", o.Fraction)
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.getenv == nil {
		o.getenv = os.Getenv
	}
	if o.source == nil {
		o.source = readRuntime()
	}
	if o.setGC == nil {
		o.setGC = debug.SetGCPercent
	}
	if o.newTick == nil {
		o.newTick = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	return nil
}

// Percent returns the GOGC value that puts the next heap goal at
// live + max(minHeadroom, live × fraction), rounded up, between 1 and Go's
// default of 100. A live heap of 0 (no collection yet) gives 100.
func Percent(live, minHeadroom uint64, fraction float64) int {
	if live == 0 {
		return 100
	}
	headroom := max(float64(minHeadroom), float64(live)*fraction)
	p := math.Ceil(headroom * 100 / float64(live))
	return int(min(max(p, 1), 100))
}

// readRuntime returns a reader of the number of finished collections and
// the live heap bytes the last one marked.
func readRuntime() func() (cycles, live uint64) {
	samples := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/live:bytes"},
	}
	return func() (uint64, uint64) {
		metrics.Read(samples)
		var cycles, live uint64
		if samples[0].Value.Kind() == metrics.KindUint64 {
			cycles = samples[0].Value.Uint64()
		}
		if samples[1].Value.Kind() == metrics.KindUint64 {
			live = samples[1].Value.Uint64()
		}
		return cycles, live
	}
}

// Start starts the tuner in a goroutine it owns and returns a function that
// stops the goroutine, waits for it to exit and restores the GOGC value it
// found. The goroutine also stops when ctx is done (GOGC is restored then
// too). When GOGC or GOMEMLIMIT is set in the environment, or the options
// are invalid, Start logs why and tunes nothing; stop is then a no-op.
func Start(ctx context.Context, o Options) (stop func()) {
	if err := o.fill(); err != nil {
		if o.Logger != nil {
			o.Logger.Warn("GC tuning off", "err", err)
		}
		return func() {}
	}
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		if v := o.getenv(env); v != "" {
			o.Logger.Debug("GC tuning off: set in the environment", env, v)
			return func() {}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	tick, stopTick := o.newTick(o.Interval)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer stopTick()
		run(ctx, &o, tick)
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// run is the tuner's loop: after each collection it sets GOGC for the live
// heap that collection found; on return it restores the GOGC it found.
func run(ctx context.Context, o *Options, tick <-chan time.Time) {
	var (
		lastCycles uint64
		current    = -1 // what the tuner set; -1 before it set anything
		original   int
	)
	defer func() {
		if current >= 0 {
			o.setGC(original)
			o.Logger.Debug("GC tuning stopped", "gogc", original)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		cycles, live := o.source()
		if cycles == lastCycles || live == 0 {
			continue
		}
		lastCycles = cycles
		p := Percent(live, o.MinHeadroom, o.Fraction)
		if p == current {
			continue
		}
		prev := o.setGC(p)
		if current < 0 {
			original = prev
		}
		current = p
		o.Logger.Debug("GC percent set", "gogc", p, "live_bytes", live, "goal_bytes", live+live*uint64(p)/100)
	}
}
