package zkclient

import (
	"sort"
	"strings"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// watchSet is the client's record of the watches it holds on the server,
// by the client's view of their paths, as Java's ZKWatchManager keeps it.
// It is a pure state machine: callers hold Client.mu.
//
// It decides which notifications reach the Watcher (materialize), what
// RemoveWatches removes, and what setWatches re-registers after a
// reconnect.
type watchSet struct {
	data       map[string]struct{} // getData, and exists on a node that exists
	exist      map[string]struct{} // exists on a node that does not exist
	child      map[string]struct{} // getChildren
	persistent map[string]struct{} // addWatch PERSISTENT
	recursive  map[string]struct{} // addWatch PERSISTENT_RECURSIVE
}

func newWatchSet() watchSet {
	return watchSet{
		data: map[string]struct{}{}, exist: map[string]struct{}{}, child: map[string]struct{}{},
		persistent: map[string]struct{}{}, recursive: map[string]struct{}{},
	}
}

// watchKind says which watch a request leaves when it succeeds.
type watchKind uint8

const (
	watchNone watchKind = iota
	watchData
	watchExists
	watchChild
	watchPersistent
	watchRecursive
)

// register records the watch a request of the given kind left, given the
// reply's code (Java's WatchRegistration.register).
func (w *watchSet) register(kind watchKind, path string, code jute.Err) {
	switch kind {
	case watchData:
		if code == jute.ErrOK {
			w.data[path] = struct{}{}
		}
	case watchExists:
		switch code {
		case jute.ErrOK:
			w.data[path] = struct{}{}
		case jute.ErrNoNode:
			w.exist[path] = struct{}{}
		}
	case watchChild:
		if code == jute.ErrOK {
			w.child[path] = struct{}{}
		}
	case watchPersistent:
		if code == jute.ErrOK {
			w.persistent[path] = struct{}{}
		}
	case watchRecursive:
		if code == jute.ErrOK {
			w.recursive[path] = struct{}{}
		}
	}
}

// materialize removes the one-shot watches an event fires and reports
// whether any watch of the client matched it (Java delivers the event only
// then).
func (w *watchSet) materialize(t EventType, path string) bool {
	hit := false
	take := func(m map[string]struct{}) {
		if _, ok := m[path]; ok {
			delete(m, path)
			hit = true
		}
	}
	switch t {
	case EventNodeDataChanged, EventNodeCreated:
		take(w.data)
		take(w.exist)
	case EventNodeChildrenChanged:
		take(w.child)
	case EventNodeDeleted:
		take(w.data)
		take(w.exist)
		take(w.child)
	default:
		return false
	}
	if _, ok := w.persistent[path]; ok {
		hit = true
	}
	// A recursive watch promises no child events (Java filters them out).
	if t != EventNodeChildrenChanged {
		for p := path; ; p = parentPath(p) {
			if _, ok := w.recursive[p]; ok {
				hit = true
			}
			if p == "/" {
				break
			}
		}
	}
	return hit
}

// parentPath returns the parent of an absolute path ("/" for "/").
func parentPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// has reports whether the client holds a watch of type t on path.
func (w *watchSet) has(path string, t WatcherType) bool {
	for _, m := range w.maps(t) {
		if _, ok := m[path]; ok {
			return true
		}
	}
	return false
}

// remove drops the watches of type t on path and returns the event types
// announcing their removal, in the order Child, Data, Persistent.
func (w *watchSet) remove(path string, t WatcherType) []EventType {
	var out []EventType
	drop := func(et EventType, ms ...map[string]struct{}) {
		found := false
		for _, m := range ms {
			if _, ok := m[path]; ok {
				delete(m, path)
				found = true
			}
		}
		if found {
			out = append(out, et)
		}
	}
	switch t {
	case WatcherChildren:
		drop(EventChildWatchRemoved, w.child)
	case WatcherData:
		drop(EventDataWatchRemoved, w.data, w.exist)
	case WatcherPersistent:
		drop(EventPersistentWatchRemoved, w.persistent)
	case WatcherPersistentRecursive:
		drop(EventPersistentWatchRemoved, w.recursive)
	case WatcherAny:
		drop(EventChildWatchRemoved, w.child)
		drop(EventDataWatchRemoved, w.data, w.exist)
		drop(EventPersistentWatchRemoved, w.persistent, w.recursive)
	}
	return out
}

func (w *watchSet) maps(t WatcherType) []map[string]struct{} {
	switch t {
	case WatcherChildren:
		return []map[string]struct{}{w.child}
	case WatcherData:
		return []map[string]struct{}{w.data, w.exist}
	case WatcherPersistent:
		return []map[string]struct{}{w.persistent}
	case WatcherPersistentRecursive:
		return []map[string]struct{}{w.recursive}
	case WatcherAny:
		return []map[string]struct{}{w.child, w.data, w.exist, w.persistent, w.recursive}
	}
	return nil
}

// empty reports whether the client holds no watch.
func (w *watchSet) empty() bool {
	return len(w.data)+len(w.exist)+len(w.child)+len(w.persistent)+len(w.recursive) == 0
}

// clear drops every watch (the session is gone).
func (w *watchSet) clear() { *w = newWatchSet() }

// setWatchesMaxLength is the number of path bytes after which a
// setWatches request is cut (ClientCnxn.SET_WATCHES_MAX_LENGTH).
const setWatchesMaxLength = 128 * 1024

// resetRequests builds the setWatches requests that re-register every
// watch on a new connection, as Java's primeConnection does: paths are
// given the chroot, batches end after 128 KiB of path, and a batch uses
// setWatches2 only when it holds persistent watches.
func (w *watchSet) resetRequests(lastZxid int64, chroot string) []*jute.SetWatches {
	lists := [5][]string{sorted(w.data), sorted(w.exist), sorted(w.child), sorted(w.persistent), sorted(w.recursive)}
	for i := range lists {
		for j, p := range lists[i] {
			lists[i][j] = serverPath(chroot, p)
		}
	}
	var out []*jute.SetWatches
	li, pi := 0, 0
	for {
		for li < len(lists) && pi >= len(lists[li]) {
			li, pi = li+1, 0
		}
		if li == len(lists) {
			return out
		}
		var batch [5][]string
		n := 0
		for n < setWatchesMaxLength {
			for li < len(lists) && pi >= len(lists[li]) {
				li, pi = li+1, 0
			}
			if li == len(lists) {
				break
			}
			p := lists[li][pi]
			pi++
			batch[li] = append(batch[li], p)
			n += len(p)
		}
		sw := &jute.SetWatches{
			RelativeZxid: lastZxid,
			DataWatches:  nonNil(batch[0]), ExistWatches: nonNil(batch[1]), ChildWatches: nonNil(batch[2]),
		}
		if len(batch[3])+len(batch[4]) > 0 {
			sw.Two = true
			sw.PersistentWatches = nonNil(batch[3])
			sw.PersistentRecursive = nonNil(batch[4])
		}
		out = append(out, sw)
	}
}

func sorted(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// serverPath prepends the chroot to a client path.
func serverPath(chroot, p string) string {
	if chroot == "" {
		return p
	}
	if p == "/" {
		return chroot
	}
	return chroot + p
}

// clientPath removes the chroot from a server path, as Java's stripChroot
// does; paths outside the chroot (such as /zookeeper/config) are kept.
func clientPath(chroot, p string) string {
	if chroot == "" {
		return p
	}
	if p == chroot {
		return "/"
	}
	if strings.HasPrefix(p, chroot+"/") {
		return p[len(chroot):]
	}
	return p
}
