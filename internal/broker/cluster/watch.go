package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/go-zookeeper/zk"
)

// WatchTopics delivers the sorted topic names under /brokers/topics: the
// current list at once, then the new list after every change. The watch is
// re-armed after each event, across reconnections and session expiry. The
// channel holds only the latest list (a slow reader skips intermediate
// ones) and is closed when ctx ends or the registry closes.
func (r *Registry) WatchTopics(ctx context.Context) (<-chan []string, error) {
	return watchChildren(ctx, r, TopicsPath, func(_ context.Context, kids []string) ([]string, error) {
		return kids, nil
	})
}

// WatchTopicDeletions delivers the topics marked for deletion under
// /admin/delete_topics, as WatchTopics does: the controller's work list.
func (r *Registry) WatchTopicDeletions(ctx context.Context) (<-chan []string, error) {
	return watchChildren(ctx, r, DeleteTopicsPath, func(_ context.Context, kids []string) ([]string, error) {
		return kids, nil
	})
}

// WatchBrokers delivers the registrations of the live brokers, sorted by
// id, as WatchTopics does: the current set at once, then the set after
// every broker that joins or leaves.
func (r *Registry) WatchBrokers(ctx context.Context) (<-chan []BrokerInfo, error) {
	return watchChildren(ctx, r, BrokerIDsPath, r.readBrokers)
}

// readBrokers reads the registrations of the given ids, sorted by id,
// leaving out those that vanish or cannot be decoded.
func (r *Registry) readBrokers(ctx context.Context, ids []string) ([]BrokerInfo, error) {
	out := make([]BrokerInfo, 0, len(ids))
	for _, s := range ids {
		id, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			r.log.Warn("ignoring a non-numeric broker id", "path", BrokerIDsPath+"/"+s)
			continue
		}
		data, _, err := r.s.get(ctx, BrokerPath(int32(id)))
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			return nil, err
		}
		b, err := DecodeBrokerInfo(int32(id), data)
		if err != nil {
			r.log.Warn("ignoring an unreadable broker registration", "path", BrokerPath(int32(id)), "err", err)
			continue
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b BrokerInfo) int { return cmpInt(a.ID, b.ID) })
	return out, nil
}

// watchChildren runs one watcher goroutine over path's children; read turns
// each sorted child list into the delivered value.
func watchChildren[T any](ctx context.Context, r *Registry, path string, read func(context.Context, []string) (T, error)) (<-chan T, error) {
	ctx, cancel := r.merge(ctx)
	// The first value is read here, so errors reach the caller.
	v, ch, err := readChildren(ctx, r, path, read)
	if err != nil {
		cancel()
		return nil, err
	}
	r.mu.Lock()
	if r.ctx.Err() != nil {
		r.mu.Unlock()
		cancel()
		return nil, ErrClosed
	}
	r.wg.Add(1)
	r.mu.Unlock()
	out := make(chan T, 1)
	out <- v
	go func() {
		defer r.wg.Done()
		defer cancel()
		defer close(out)
		backoff := 100 * time.Millisecond
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch: // any event, EventNotWatching included: read again
			}
			for {
				v, ch, err = readChildren(ctx, r, path, read)
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					return
				}
				r.log.Warn("watch failed; retrying", "path", path, "err", err, "after", backoff)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 2*time.Second)
			}
			backoff = 100 * time.Millisecond
			select { // keep only the latest value
			case <-out:
			default:
			}
			out <- v
		}
	}()
	return out, nil
}

// readChildren lists path's children leaving a watch; when path does not
// exist it leaves a watch for its creation and reports no children.
func readChildren[T any](ctx context.Context, r *Registry, path string, read func(context.Context, []string) (T, error)) (T, <-chan zk.Event, error) {
	var zero T
	for {
		kids, ch, err := r.s.childrenW(ctx, path)
		if errors.Is(err, zk.ErrNoNode) {
			var ok bool
			ok, _, ch, err = r.s.existsW(ctx, path)
			if err == nil && ok {
				continue // created meanwhile
			}
			kids = nil
		}
		if err != nil {
			return zero, nil, err
		}
		if kids == nil {
			kids = []string{}
		}
		slices.Sort(kids)
		v, err := read(ctx, kids)
		if err != nil {
			return zero, nil, fmt.Errorf("cluster: watching %s: %w", path, err)
		}
		return v, ch, nil
	}
}
