//go:build linux

package bench

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// loopLoads returns n clients' loads of op, sharded over recorders as the raw fleet shards
// them.
func loopLoads(f *rawFleet, n int, op string) ([]*zkLoad, []*recorder) {
	recs := make([]*recorder, f.shards(n))
	for k := range recs {
		recs[k] = newRecorder()
	}
	loads := make([]*zkLoad, n)
	for i := range loads {
		loads[i] = testLoad(op, clientNode("/zkbench-0123456789abcdef", i), recs[i%len(recs)])
	}
	return loads, recs
}

// TestRawLoopAllocs checks that the event loops allocate nothing per operation: over a run
// of thousands of operations, the process allocates only the run's fixed setup (the loop,
// its buffers, the sockets given back to net.Conns). The server is cannedZK, which
// allocates nothing per request.
func TestRawLoopAllocs(t *testing.T) {
	const clients = 4
	f := dialTestFleet(t, ZKOptions{Servers: []string{startCannedZK(t, cannedAll).addr()}, Clients: clients}).(*rawFleet)
	for _, op := range []string{OpGet, OpSet, OpCreate, OpMixed} {
		// Run longer until the run has enough operations to tell a fixed cost from one per
		// operation (a loaded machine is slow).
		for d := 100 * time.Millisecond; ; d *= 2 {
			loads, recs := loopLoads(f, clients, op)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			stop, cancel := context.WithTimeout(t.Context(), d)
			err := f.run(loads, stop, t.Context())
			cancel()
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatalf("%s: %v", op, err)
			}
			tl := collect(recs, newHistogram())
			if tl.errs != 0 {
				t.Fatalf("%s: %d errors (%v)", op, tl.errs, tl.firstErr)
			}
			if tl.ops < 5000 && d < 10*time.Second {
				continue
			}
			if mallocs := after.Mallocs - before.Mallocs; mallocs*50 > uint64(tl.ops) {
				t.Errorf("%s: %d allocations in %d operations, want none per operation", op, mallocs, tl.ops)
			}
			break
		}
	}
}

// TestRawLoopPing checks that a loop pings a connection idle for a third of the session
// timeout before its next request, once, and counts only the request.
func TestRawLoopPing(t *testing.T) {
	t.Parallel()
	s := startCannedZK(t, cannedAll)
	f := dialTestFleet(t, ZKOptions{Servers: []string{s.addr()}, Clients: 2}).(*rawFleet)
	c := f.conns[1]
	c.lastSend = time.Now().Add(-c.pingEvery - time.Second)
	loads, recs := loopLoads(f, 2, OpGet)
	stop, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := f.run(loads, stop, t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := s.pings.Load(); n != 1 {
		t.Errorf("%d pings, want 1", n)
	}
	tl := collect(recs, newHistogram())
	if tl.errs != 0 || loads[1].done == 0 || tl.ops != loads[0].done+loads[1].done {
		t.Errorf("ops %d (%d, %d), errors %d (%v)", tl.ops, loads[0].done, loads[1].done, tl.errs, tl.firstErr)
	}
	if !c.lastSend.After(time.Now().Add(-time.Second)) {
		t.Errorf("last send %v not noted after the run", c.lastSend)
	}
}

// TestRunZKRawStalled runs against a server that stops answering during the run: the
// requests in flight are given up a session timeout after the run's end, and the run ends
// with ErrConnLost, not when the stall ends.
func TestRunZKRawStalled(t *testing.T) {
	t.Parallel()
	// Setup takes 3 requests for 2 clients; then some operations are answered.
	s := startCannedZK(t, 3+200)
	start := time.Now()
	res, err := RunZK(t.Context(), ZKOptions{Servers: []string{s.addr()}, Clients: 2, Duration: 100 * time.Millisecond,
		SessionTimeout: time.Second})
	if !errors.Is(err, ErrConnLost) || res == nil || !strings.Contains(err.Error(), "after the run's end") {
		t.Fatalf("RunZK = %v, %v; want a partial result and ErrConnLost after the run's end", res, err)
	}
	if res.Ops <= 0 || res.Ops > 200 || res.Errors != 1 {
		t.Errorf("ops %d, errors %d (%v)", res.Ops, res.Errors, res.FirstError)
	}
	// The grace (duration and session timeout), closing the sessions (rawCloseTimeout) and
	// go-zookeeper giving up the cleanup (two thirds of the session timeout).
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("RunZK took %v", d)
	}
}

// TestRawLoopLargeRequests sends requests much larger than the client's socket buffer, so
// that writes stop part-way and finish on EPOLLOUT: every operation still completes.
func TestRawLoopLargeRequests(t *testing.T) {
	t.Parallel()
	f := dialTestFleet(t, ZKOptions{Servers: []string{startCannedZK(t, cannedAll).addr()}, Clients: 2}).(*rawFleet)
	for _, c := range f.conns {
		if err := c.nc.SetWriteBuffer(4096); err != nil {
			t.Fatal(err)
		}
	}
	loads, recs := loopLoads(f, 2, OpSet)
	for _, l := range loads {
		l.data = payload(512 << 10)
	}
	stop, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	// A write that never finishes would leave its reply awaited forever: abort it.
	grace, cancelGrace := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancelGrace()
	defer context.AfterFunc(grace, f.abort)()
	if err := f.run(loads, stop, t.Context()); err != nil {
		t.Fatal(err)
	}
	if tl := collect(recs, newHistogram()); tl.ops < 2 || tl.errs != 0 {
		t.Fatalf("ops %d, errors %d (%v)", tl.ops, tl.errs, tl.firstErr)
	}
}
