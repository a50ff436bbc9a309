package bench

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: latencies are recorded in microseconds from 1 µs to 60 s with three
// significant digits. Values outside the range are clamped to it, so nothing is dropped.
const (
	histLowest  = 1
	histHighest = 60_000_000
	histDigits  = 3
)

// newHistogram returns an empty latency histogram with the package's bounds.
func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histDigits)
}

// recordLatency adds d to h in microseconds, clamped to the histogram's range.
func recordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	us := d.Microseconds()
	us = max(us, histLowest)
	us = min(us, histHighest)
	// In range by construction, so RecordValue cannot fail.
	_ = h.RecordValue(us)
}

// histDuration converts a histogram value (microseconds) back to a duration.
func histDuration(v int64) time.Duration { return time.Duration(v) * time.Microsecond }

// recorder collects one client's outcomes. The client records after every operation; the
// progress reporter and the final summary read it under mu, so the lock is almost never
// contended.
type recorder struct {
	mu       sync.Mutex
	hist     *hdrhistogram.Histogram
	ops      int64
	errs     int64
	firstErr error
	// lags, in an open loop, holds how late operations that waited for their due time were
	// sent after it: the load generator's own delay, part of their latencies. nil in a
	// closed loop.
	lags *hdrhistogram.Histogram
}

func newRecorder() *recorder { return &recorder{hist: newHistogram()} }

// record notes one finished operation: its latency when it succeeded, an error otherwise.
func (r *recorder) record(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.ops++
	recordLatency(r.hist, d)
}

// lag notes that an operation went out d after its due time (see recorder.lags).
func (r *recorder) lag(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	recordLatency(r.lags, d)
}

// collectLags resets into and merges every recorder's lags into it.
func collectLags(recs []*recorder, into *hdrhistogram.Histogram) {
	into.Reset()
	for _, r := range recs {
		r.mu.Lock()
		if r.lags != nil {
			into.Merge(r.lags)
		}
		r.mu.Unlock()
	}
}

// tally is a point-in-time sum over recorders.
type tally struct {
	ops, errs int64
	firstErr  error
}

// collect resets into and merges every recorder's histogram into it, returning the summed
// counts. into must have the package's bounds.
func collect(recs []*recorder, into *hdrhistogram.Histogram) tally {
	into.Reset()
	var t tally
	for _, r := range recs {
		r.mu.Lock()
		into.Merge(r.hist)
		t.ops += r.ops
		t.errs += r.errs
		if t.firstErr == nil {
			t.firstErr = r.firstErr
		}
		r.mu.Unlock()
	}
	return t
}

// progress writes one line per reporting interval: elapsed time, operations finished in the
// interval, their rate, and the 99th percentile latency of the run so far. It is a pure
// formatter: the caller supplies the clock readings and counts.
type progress struct {
	w       io.Writer
	start   time.Time
	lastAt  time.Time
	lastOps int64
}

func newProgress(w io.Writer, start time.Time) *progress {
	return &progress{w: w, start: start, lastAt: start}
}

// tick reports the state at now given the cumulative counts and p99 so far.
func (p *progress) tick(now time.Time, ops, errs int64, p99 time.Duration) error {
	delta := ops - p.lastOps
	secs := now.Sub(p.lastAt).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(delta) / secs
	}
	p.lastAt, p.lastOps = now, ops
	_, err := fmt.Fprintf(p.w, "%7.1fs  ops %8d  ops/s %10.1f  p99 %9s  errors %d\n",
		now.Sub(p.start).Seconds(), delta, rate, fmtLatency(p99), errs)
	if err != nil {
		return fmt.Errorf("write progress: %w", err)
	}
	return nil
}

// fmtLatency prints a latency with a unit that keeps about three significant digits.
func fmtLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

// fmtRate prints an open loop's offered rate in operations a second, "closed" for a closed loop.
func fmtRate(rate int) string {
	if rate == 0 {
		return "closed"
	}
	return fmt.Sprintf("%d/s", rate)
}

// resultHeader names the columns of the result table: rate is the offered rate of an open
// loop ("closed" for a closed loop), ops/s what the servers did.
var resultHeader = []string{"op", "client", "clients", "rate", "size", "duration", "ops", "errors", "ops/s", "p50", "p99", "p99.9", "max"}

// WriteZKTable prints results as one aligned table, a header and one row per result, so
// several runs (different ops, client counts or servers) read side by side.
func WriteZKTable(w io.Writer, results ...*ZKResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if _, err := fmt.Fprintln(tw, strings.Join(resultHeader, "\t")); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	for _, r := range results {
		row := []string{
			r.Op,
			r.Client,
			fmt.Sprint(r.Clients),
			fmtRate(r.Rate),
			fmt.Sprint(r.Size),
			fmt.Sprintf("%.1fs", r.Elapsed.Seconds()),
			fmt.Sprint(r.Ops),
			fmt.Sprint(r.Errors),
			fmt.Sprintf("%.1f", r.OpsPerSec),
			fmtLatency(r.P50),
			fmtLatency(r.P99),
			fmtLatency(r.P999),
			fmtLatency(r.Max),
		}
		if _, err := fmt.Fprintln(tw, strings.Join(row, "\t")); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}
