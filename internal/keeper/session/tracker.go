package session

import (
	"container/heap"
	"slices"
	"time"
)

// Tracker keeps session deadlines in tick-sized buckets, exactly like
// ZooKeeper's ExpiryQueue used by SessionTrackerImpl: a session touched at
// now with timeout t expires at the first multiple of the tick interval that
// is strictly after now+t.
//
// Time is measured with [time.Time.Sub] from the first time the tracker is
// given, so times carrying a monotonic clock reading (such as those from
// [time.Now]) are immune to wall-clock jumps.
//
// A Tracker is not safe for concurrent use; the caller must serialise access
// (the keeper server guards it with its own lock).
type Tracker struct {
	tick     int64 // tick interval in nanoseconds, > 0
	base     time.Time
	haveBase bool

	deadlines map[int64]int64   // session id → bucket deadline (ns after base)
	buckets   map[int64]*bucket // bucket deadline → bucket
	queue     bucketHeap        // non-empty buckets, earliest deadline first
}

// bucket is the set of sessions that share one rounded deadline.
type bucket struct {
	deadline int64 // ns after Tracker.base
	ids      map[int64]struct{}
	index    int // position in Tracker.queue
}

// NewTracker returns an empty tracker whose buckets are tick wide. It panics
// if tick is not positive (ZooKeeper's tickTime is always positive).
func NewTracker(tick time.Duration) *Tracker {
	if tick <= 0 {
		panic("session: NewTracker: tick must be positive")
	}
	return &Tracker{
		tick:      int64(tick),
		deadlines: make(map[int64]int64),
		buckets:   make(map[int64]*bucket),
	}
}

// offset returns now as nanoseconds after the tracker's base time, fixing the
// base on first use.
func (t *Tracker) offset(now time.Time) int64 {
	if !t.haveBase {
		t.base = now
		t.haveBase = true
	}
	return int64(now.Sub(t.base))
}

// roundToNextInterval is ZooKeeper's ExpiryQueue rounding: the first multiple
// of the tick strictly after v. Division floors so that times before the
// base round the same way.
func (t *Tracker) roundToNextInterval(v int64) int64 {
	q := v / t.tick
	if v%t.tick != 0 && v < 0 {
		q--
	}
	return (q + 1) * t.tick
}

// Touch starts tracking session id, or moves it, so that it expires at the
// bucket deadline for now+timeout. Touching a session again within the same
// bucket changes nothing; a later touch moves it to a later bucket (and a
// touch with a shorter timeout may move it to an earlier one, as in
// ZooKeeper).
func (t *Tracker) Touch(id int64, timeout time.Duration, now time.Time) {
	off := t.offset(now)
	deadline := t.roundToNextInterval(off + int64(timeout))
	prev, ok := t.deadlines[id]
	if ok && prev == deadline {
		return
	}
	if ok {
		t.leave(id, prev)
	}
	b := t.buckets[deadline]
	if b == nil {
		b = &bucket{deadline: deadline, ids: make(map[int64]struct{})}
		t.buckets[deadline] = b
		heap.Push(&t.queue, b)
	}
	b.ids[id] = struct{}{}
	t.deadlines[id] = deadline
}

// leave takes id out of the bucket with the given deadline, dropping the
// bucket once it is empty.
func (t *Tracker) leave(id, deadline int64) {
	b := t.buckets[deadline]
	if b == nil {
		return
	}
	delete(b.ids, id)
	if len(b.ids) == 0 {
		delete(t.buckets, deadline)
		heap.Remove(&t.queue, b.index)
	}
}

// Remove stops tracking session id (the session was closed). Removing an
// unknown id does nothing.
func (t *Tracker) Remove(id int64) {
	deadline, ok := t.deadlines[id]
	if !ok {
		return
	}
	delete(t.deadlines, id)
	t.leave(id, deadline)
}

// Expired removes and returns every session whose bucket deadline is at or
// before now, sorted by id. It returns nil when nothing has expired.
//
// ZooKeeper's ExpiryQueue.poll hands out one bucket per call and is called in
// a loop; Expired hands out all due buckets at once, which is the same set.
func (t *Tracker) Expired(now time.Time) []int64 {
	off := t.offset(now)
	var out []int64
	for len(t.queue) > 0 && t.queue[0].deadline <= off {
		b := heap.Pop(&t.queue).(*bucket)
		delete(t.buckets, b.deadline)
		for id := range b.ids {
			delete(t.deadlines, id)
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// NextDeadline returns the earliest bucket deadline of any tracked session;
// the server's loop should call [Tracker.Expired] at that time. ok is false
// when no session is tracked.
func (t *Tracker) NextDeadline() (deadline time.Time, ok bool) {
	if len(t.queue) == 0 {
		return time.Time{}, false
	}
	return t.base.Add(time.Duration(t.queue[0].deadline)), true
}

// Deadline returns the bucket deadline of session id; ok is false when the
// session is not tracked.
func (t *Tracker) Deadline(id int64) (deadline time.Time, ok bool) {
	off, ok := t.deadlines[id]
	if !ok {
		return time.Time{}, false
	}
	return t.base.Add(time.Duration(off)), true
}

// Len returns the number of tracked sessions.
func (t *Tracker) Len() int { return len(t.deadlines) }

// bucketHeap is a min-heap of buckets by deadline for container/heap.
type bucketHeap []*bucket

func (h bucketHeap) Len() int           { return len(h) }
func (h bucketHeap) Less(i, j int) bool { return h[i].deadline < h[j].deadline }
func (h bucketHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *bucketHeap) Push(x any) {
	b := x.(*bucket)
	b.index = len(*h)
	*h = append(*h, b)
}

func (h *bucketHeap) Pop() any {
	old := *h
	n := len(old)
	b := old[n-1]
	old[n-1] = nil
	b.index = -1
	*h = old[:n-1]
	return b
}
