// Package wait lets a test wait for a condition: it polls until the condition holds, and
// when a deadline passes first fails the test (For) or reports that it did not (Until).
// Tests wait on conditions, never sleep for ordering; this is the one poller they share.
//
// It imports nothing of zkafka's, so the tests of every package may use it, including
// those below the servers that internal/testkit starts (testkit imports the keeper and
// the broker, so their own tests cannot import it).
package wait

import (
	"testing"
	"time"
)

// Polling intervals: the first check after the condition failed comes after firstPoll,
// and the interval doubles up to maxPoll, so a condition that holds soon is seen soon
// and one that takes seconds is not polled hundreds of times a second.
const (
	firstPoll = time.Millisecond
	maxPoll   = 20 * time.Millisecond
)

// For polls cond until it returns true, and fails the test (t.Fatalf, naming what and d)
// if it has not by the time d has passed (see Until).
func For(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Until(d, cond) {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// Until polls cond until it returns true or d has passed, and reports whether it held.
// cond runs on the calling goroutine; it is checked once more at the deadline, so a
// condition that holds then counts.
func Until(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	pause := firstPoll
	for !cond() {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		time.Sleep(min(pause, left))
		pause = min(2*pause, maxPoll)
	}
	return true
}
