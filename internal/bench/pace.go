package bench

// The open loop (ZKOptions.Rate, `bench zk --rate`): the clients send on a fixed schedule
// instead of as fast as the replies come back, so that two servers can be compared at the
// same offered load rather than each at the load its own speed sets.
//
// The schedule spreads Rate operations a second evenly over all clients: the n-th operation
// of the run (n = 0, 1, 2, ...) is due at origin + n/Rate seconds, and client i of C has the
// operations n = i, i+C, i+2C, ... Operations are due until the measured phase's length has
// passed; the last ones due may still go out up to pacedDrain later, when the clients are
// behind. A client still keeps at most one request in flight: an operation whose due time
// comes while the previous one waits for its reply goes out as soon as that reply is in.
//
// Latency runs from the due time, not from the moment the request was written: a server that
// stalls for 100 ms delays every operation due meanwhile, and each of them counts the time it
// waited to be sent (otherwise the load generator would record one slow request where its
// users would have seen a hundred, the "coordinated omission" of closed-loop measurements).
// The load generator's own lateness in sending counts too, so the event loops (the only
// paced clients, zkraw_linux.go) wait for due times with nanosecond timeouts.
//
// A run whose servers cannot keep up with the rate falls behind: its latencies grow with the
// backlog, its ops/s stay below the rate, and the operations still unsent when the clients
// stop are counted as ZKResult.Unsent.

import "time"

// Open-loop timing: the schedule's origin comes pacedLeadIn after the run's start, so that
// the event loops are ready for the first due time; operations due before the measured
// phase's end may still go out until pacedDrain after it.
const (
	pacedLeadIn = 5 * time.Millisecond
	pacedDrain  = time.Second
)

// MaxRate is the highest ZKOptions.Rate accepted (its schedule's arithmetic stays exact far
// beyond any rate a machine reaches).
const MaxRate = 100_000_000

// pacing is the schedule of one open-loop run, shared by its clients (see the top of this
// file). It is not changed once the run starts.
type pacing struct {
	origin  time.Time     // when operation 0 is due
	rate    int64         // operations per second over all clients
	clients int64         // client i's operations are n = i, i+clients, ...
	end     time.Duration // operations due at or after origin+end are not sent
}

// at is when operation n is due, after origin, rounded down to the nanosecond.
func (p *pacing) at(n int64) time.Duration {
	return time.Duration(n/p.rate)*time.Second + time.Duration(n%p.rate*int64(time.Second)/p.rate)
}

// total is how many operations are due before end: the least n with at(n) >= end.
func (p *pacing) total() int64 {
	secs, ns := int64(p.end/time.Second), int64(p.end%time.Second)
	return secs*p.rate + (ns*p.rate+int64(time.Second)-1)/int64(time.Second)
}

// over reports whether operation n is due at or after end, so not part of the run.
func (p *pacing) over(n int64) bool { return p.at(n) >= p.end }

// unsent is how many of the client's operations due before end it has not issued; n is its
// next operation.
func (p *pacing) unsent(n int64) int64 {
	left := p.total() - n
	if left <= 0 {
		return 0
	}
	return (left + p.clients - 1) / p.clients
}

// dueEntry is a client of an event loop waiting until its next operation is due.
type dueEntry struct {
	due  time.Duration // since the loop's base
	slot int32         // the client's index in the loop
}

// dueHeap holds the clients of one event loop that wait for their next due time, earliest
// first (a binary min-heap). Its capacity is set once, so it never allocates.
type dueHeap []dueEntry

// push adds e.
func (h *dueHeap) push(e dueEntry) {
	*h = append(*h, e)
	q := *h
	for k := len(q) - 1; k > 0; {
		parent := (k - 1) / 2
		if q[parent].due <= q[k].due {
			break
		}
		q[parent], q[k] = q[k], q[parent]
		k = parent
	}
}

// pop removes and returns the earliest entry; h must not be empty.
func (h *dueHeap) pop() dueEntry {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for k := 0; ; {
		least, l, r := k, 2*k+1, 2*k+2
		if l < len(q) && q[l].due < q[least].due {
			least = l
		}
		if r < len(q) && q[r].due < q[least].due {
			least = r
		}
		if least == k {
			break
		}
		q[k], q[least] = q[least], q[k]
		k = least
	}
	*h = q
	return top
}
