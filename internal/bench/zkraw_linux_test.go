//go:build linux

package bench

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"slices"
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

// pace puts loads on an open-loop schedule of rate operations a second over them, due from
// a moment after now until end after it (their recorders noting send lags), and returns
// the schedule and a stop context ending when the run's drain does.
func pace(t *testing.T, loads []*zkLoad, rate int64, end time.Duration) (*pacing, context.Context) {
	p := &pacing{origin: time.Now().Add(pacedLeadIn), rate: rate, clients: int64(len(loads)), end: end}
	for i, l := range loads {
		l.pace, l.slot = p, int64(i)
		if l.rec.lags == nil {
			l.rec.lags = newHistogram()
		}
	}
	stop, cancel := context.WithDeadline(t.Context(), p.origin.Add(end+pacedDrain))
	t.Cleanup(cancel)
	return p, stop
}

// TestRawLoopPaced runs an open loop of 4 clients at 2000 operations a second for 500 ms,
// with epoll_pwait2 and with the epoll_wait fallback: exactly the 1000 operations due are
// sent, none before it is due (the k-th request to arrive came no earlier than the k-th
// due time), and every one is answered.
func TestRawLoopPaced(t *testing.T) {
	t.Parallel()
	for _, fallback := range []bool{false, true} {
		t.Run(map[bool]string{false: "pwait2", true: "fallback"}[fallback], func(t *testing.T) {
			arrivals := make(chan time.Time, 2000)
			s := startCannedZK(t, cannedAll, func(s *cannedZK) { s.arrivals = arrivals })
			f := dialTestFleet(t, ZKOptions{Servers: []string{s.addr()}, Clients: 4}).(*rawFleet)
			f.noPwait2 = fallback
			loads, recs := loopLoads(f, 4, OpGet)
			p, stop := pace(t, loads, 2000, 500*time.Millisecond)
			if err := f.run(loads, stop, t.Context()); err != nil {
				t.Fatal(err)
			}
			tl := collect(recs, newHistogram())
			var unsent int64
			for _, l := range loads {
				unsent += p.unsent(l.slot)
			}
			if tl.ops != 1000 || tl.errs != 0 || unsent != 0 {
				t.Fatalf("ops %d, errors %d (%v), unsent %d; want the 1000 due", tl.ops, tl.errs, tl.firstErr, unsent)
			}
			// Later requests (closing the sessions) arrive after the check.
			got := make([]time.Time, len(arrivals))
			for k := range got {
				got[k] = <-arrivals
			}
			if len(got) != 1000 {
				t.Fatalf("%d requests arrived, want 1000", len(got))
			}
			slices.SortFunc(got, time.Time.Compare)
			for k, at := range got {
				if due := p.origin.Add(p.at(int64(k))); at.Before(due) {
					t.Fatalf("request %d arrived %v before operation %d was due", k, due.Sub(at), k)
				}
			}
		})
	}
}

// TestRawLoopPacedAllocs checks that an open loop, like the closed one, allocates nothing
// per operation.
func TestRawLoopPacedAllocs(t *testing.T) {
	f := dialTestFleet(t, ZKOptions{Servers: []string{startCannedZK(t, cannedAll).addr()}, Clients: 2}).(*rawFleet)
	loads, recs := loopLoads(f, 2, OpMixed)
	_, stop := pace(t, loads, 20000, 300*time.Millisecond)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := f.run(loads, stop, t.Context())
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	tl := collect(recs, newHistogram())
	if tl.ops != 6000 || tl.errs != 0 {
		t.Fatalf("ops %d, errors %d (%v); want the 6000 due", tl.ops, tl.errs, tl.firstErr)
	}
	if mallocs := after.Mallocs - before.Mallocs; mallocs*50 > uint64(tl.ops) {
		t.Errorf("%d allocations in %d operations, want none per operation", mallocs, tl.ops)
	}
}

// TestRunZKOpenLoopStall runs an open loop of one client at 1000 operations a second for
// 1 s against a server that holds its 20th reply for 300 ms. The 200-odd operations due
// during the stall go out late, and each counts from its due time: at least a fifth of
// the run's latencies are above 100 ms, so p99 is. Measured from the requests' sending,
// only the stalled one would be, and p99 would stay far below.
func TestRunZKOpenLoopStall(t *testing.T) {
	t.Parallel()
	const setup = 2 // the root and the client's node
	s := startCannedZK(t, cannedAll, func(s *cannedZK) { s.stallAt, s.stallFor = setup+20, 300*time.Millisecond })
	res, err := RunZK(t.Context(), ZKOptions{Servers: []string{s.addr()}, Clients: 1, Rate: 1000, Duration: time.Second,
		SessionTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", res)
	if res.Ops != 1000 || res.Errors != 0 || res.Unsent != 0 || res.Rate != 1000 {
		t.Fatalf("ops %d, errors %d (%v), unsent %d, rate %d; want the 1000 due at 1000/s", res.Ops, res.Errors, res.FirstError,
			res.Unsent, res.Rate)
	}
	if res.P99 < 100*time.Millisecond || res.Max < 300*time.Millisecond {
		t.Errorf("p99 %v, max %v: the operations the stall delayed were not measured from their due times", res.P99, res.Max)
	}
	if res.P50 >= 100*time.Millisecond {
		t.Errorf("p50 %v: more than the stall's operations were slow", res.P50)
	}
	// The operations the stall held back waited for a reply, not for their due times: they
	// are not in the send lags.
	if res.SendLagP99 >= 100*time.Millisecond {
		t.Errorf("send lag p99 %v counts the stall", res.SendLagP99)
	}
	if kv := parseKV(res.KV()); kv["rate"] != "1000" || kv["unsent"] != "0" {
		t.Errorf("KV() = %q", res.KV())
	}
}

// TestCommandRate runs `bench zk --rate` against a canned server: the flag reaches RunZK,
// and the key=value line reports the rate and exactly the operations due.
func TestCommandRate(t *testing.T) {
	t.Parallel()
	cmd := NewZKCommand()
	var out, progress bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&progress)
	cmd.SetArgs([]string{"--server", startCannedZK(t, cannedAll).addr(), "--clients", "2", "--rate", "2000",
		"--duration", "200ms", "--session-timeout", "1s", "--format", "kv"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	kv := parseKV(strings.TrimSpace(out.String()))
	if kv["rate"] != "2000" || kv["ops"] != "400" || kv["unsent"] != "0" || kv["errors"] != "0" || kv["lag_max_us"] == "" {
		t.Errorf("output %q; want rate 2000 and the 400 operations due", out.String())
	}
	if !strings.Contains(progress.String(), "rate=2000/s") {
		t.Errorf("progress %q does not name the rate", progress.String())
	}
}
