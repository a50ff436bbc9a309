package zkclient

import (
	"context"
	"sync"
)

// eventQueue delivers events to the Watcher one at a time, in the order
// they were pushed, from its own goroutine (Java's EventThread). It counts
// events pushed and delivered so that a call can wait until the events
// received before its reply have been delivered (Options.OrderedEvents).
type eventQueue struct {
	fn   func(Event)
	wake chan struct{} // capacity 1
	done chan struct{} // closed when run returns

	mu        sync.Mutex
	q         []Event
	queued    uint64
	delivered uint64
	changed   chan struct{} // closed and replaced when delivered grows
	stopping  bool
}

func newEventQueue(fn func(Event)) *eventQueue {
	return &eventQueue{
		fn:      fn,
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		changed: make(chan struct{}),
	}
}

// push queues an event. Without a Watcher it is dropped.
func (q *eventQueue) push(ev Event) {
	if q.fn == nil {
		return
	}
	q.mu.Lock()
	q.q = append(q.q, ev)
	q.queued++
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// seq returns the number of events pushed so far.
func (q *eventQueue) seq() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued
}

// waitDelivered waits until the first n events have been delivered, ctx is
// done or the queue has stopped.
func (q *eventQueue) waitDelivered(ctx context.Context, n uint64) {
	for {
		q.mu.Lock()
		if q.delivered >= n {
			q.mu.Unlock()
			return
		}
		ch := q.changed
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return
		case <-q.done:
			return
		}
	}
}

// run delivers events until stop is called and the queue is empty.
func (q *eventQueue) run() {
	defer close(q.done)
	for {
		q.mu.Lock()
		if len(q.q) == 0 {
			stopping := q.stopping
			q.mu.Unlock()
			if stopping {
				return
			}
			<-q.wake
			continue
		}
		ev := q.q[0]
		q.q[0] = Event{}
		q.q = q.q[1:]
		q.mu.Unlock()
		q.fn(ev)
		q.mu.Lock()
		q.delivered++
		close(q.changed)
		q.changed = make(chan struct{})
		q.mu.Unlock()
	}
}

// stop delivers what is queued, then ends run and waits for it.
func (q *eventQueue) stop() {
	q.mu.Lock()
	q.stopping = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	<-q.done
}
