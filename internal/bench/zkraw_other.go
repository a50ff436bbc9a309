//go:build !linux

package bench

import "context"

// pacedLoops reports that this platform's raw client cannot run an open loop: its waits
// would go through Go's timers, late by up to a millisecond, which would count as latency.
const pacedLoops = false

// run drives every client from its own goroutine: the event loops of zkraw_linux.go use
// epoll, which only Linux has.
func (f *rawFleet) run(loads []*zkLoad, stop, parent context.Context) error {
	return f.runGoroutines(loads, stop, parent)
}

// shards gives every client its own recorder: each has its own goroutine.
func (f *rawFleet) shards(clients int) int { return clients }
