package wait

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fatalTB records the first Fatalf and ends the goroutine, as testing.T's does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls For with a fatalTB on its own goroutine (Fatalf ends it) and returns what
// Fatalf said, "" when For returned.
func run(d time.Duration, what string, cond func() bool) string {
	tb := &fatalTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		For(tb, d, what, cond)
	}()
	<-done
	return tb.msg
}

func TestForHolds(t *testing.T) {
	var calls atomic.Int32
	msg := run(10*time.Second, "the fifth call", func() bool { return calls.Add(1) >= 5 })
	if msg != "" || calls.Load() != 5 {
		t.Fatalf("For failed (%q) or called cond %d times, want 5", msg, calls.Load())
	}
}

func TestForTimesOut(t *testing.T) {
	start := time.Now()
	var calls atomic.Int32
	msg := run(50*time.Millisecond, "never", func() bool { calls.Add(1); return false })
	if !strings.Contains(msg, "timed out after 50ms waiting for never") {
		t.Fatalf("Fatalf said %q", msg)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("gave up after %v, before the deadline", d)
	}
	// Backing off from 1 ms to 20 ms, 50 ms hold about 6 checks, not 50.
	if n := calls.Load(); n < 2 || n > 20 {
		t.Errorf("cond called %d times in 50 ms", n)
	}
}

func TestForChecksAtDeadline(t *testing.T) {
	deadline := time.Now().Add(30 * time.Millisecond)
	if msg := run(30*time.Millisecond, "the deadline", func() bool { return !time.Now().Before(deadline) }); msg != "" {
		t.Fatalf("a condition holding at the deadline failed: %q", msg)
	}
}

func TestUntil(t *testing.T) {
	if !Until(time.Second, func() bool { return true }) {
		t.Error("Until of a condition that holds = false")
	}
	start := time.Now()
	if Until(20*time.Millisecond, func() bool { return false }) {
		t.Error("Until of a condition that never holds = true")
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("gave up after %v, before the deadline", d)
	}
}
