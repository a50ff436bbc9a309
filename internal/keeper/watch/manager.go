package watch

import (
	"slices"
	"strings"
)

// flags is the set of watches one watcher holds on one path.
type flags uint8

const (
	fData       flags = 1 << iota // one-shot getData/exists watch
	fChild                        // one-shot getChildren watch
	fPersistent                   // addWatch PERSISTENT
	fRecursive                    // addWatch PERSISTENT_RECURSIVE

	// ZooKeeper keeps two tables. A persistent watch is in both, a recursive
	// one only in the data table.
	dataTable  = fData | fPersistent | fRecursive
	childTable = fChild | fPersistent
	allFlags   = dataTable | childTable
)

// kindFlags maps a Kind to its flag; zero for an unknown kind.
func kindFlags(k Kind) flags {
	switch k {
	case KindData:
		return fData
	case KindChild:
		return fChild
	case KindPersistent:
		return fPersistent
	case KindPersistentRecursive:
		return fRecursive
	}
	return 0
}

// typeFlags maps a WatcherType to the flags it selects, as DataTree's
// removeWatch and containsWatcher do; zero for an unknown type.
func typeFlags(t WatcherType) flags {
	switch t {
	case WatcherChildren:
		return fChild
	case WatcherData:
		return fData
	case WatcherPersistent:
		return fPersistent
	case WatcherPersistentRecursive:
		return fRecursive
	case WatcherAny:
		return allFlags
	}
	return 0
}

// Manager is the keeper's watch table, generic over the watcher identity W
// (typically a connection handle or session id). The zero value is not
// usable; call [NewManager].
//
// A Manager is not safe for concurrent use: the caller serialises access
// (the keeper applies transactions and reads watches under its tree lock,
// which is also what makes watch registration and triggering atomic with
// respect to tree changes).
type Manager[W comparable] struct {
	byPath    map[string]map[W]flags
	byWatcher map[W]map[string]struct{}
	recursive int // (path, watcher) pairs holding a recursive watch
}

// NewManager returns an empty watch table.
func NewManager[W comparable]() *Manager[W] {
	return &Manager[W]{
		byPath:    make(map[string]map[W]flags),
		byWatcher: make(map[W]map[string]struct{}),
	}
}

// Add registers a watch of the given kind by w on path and reports whether
// it is new (false if w already had a watch of that kind there). Adding a
// watch never changes w's other kinds of watch on path. Add panics on an
// unknown kind.
func (m *Manager[W]) Add(path string, kind Kind, w W) bool {
	f := kindFlags(kind)
	if f == 0 {
		panic("watch: Add: unknown kind " + kind.String())
	}
	ws := m.byPath[path]
	if ws == nil {
		ws = make(map[W]flags, 1)
		m.byPath[path] = ws
	}
	old := ws[w]
	if old&f != 0 {
		return false
	}
	ws[w] = old | f
	if old == 0 {
		ps := m.byWatcher[w]
		if ps == nil {
			ps = make(map[string]struct{})
			m.byWatcher[w] = ps
		}
		ps[path] = struct{}{}
	}
	if f == fRecursive {
		m.recursive++
	}
	return true
}

// set stores w's new flags on path, dropping empty entries from both
// indexes and keeping the recursive counter. ws is m.byPath[path].
func (m *Manager[W]) set(path string, ws map[W]flags, w W, old, now flags) {
	if old&fRecursive != 0 && now&fRecursive == 0 {
		m.recursive--
	}
	if now != 0 {
		ws[w] = now
		return
	}
	delete(ws, w)
	if len(ws) == 0 {
		delete(m.byPath, path)
	}
	if ps := m.byWatcher[w]; ps != nil {
		delete(ps, path)
		if len(ps) == 0 {
			delete(m.byWatcher, w)
		}
	}
}

// Remove removes w's watches of type t on path, as a removeWatches request
// does, and reports whether any was removed (ZooKeeper answers NOWATCHER
// when none was). [WatcherAny] removes every kind; [WatcherData] removes the
// one-shot getData/exists watch; [WatcherChildren] the one-shot getChildren
// watch; [WatcherPersistent] and [WatcherPersistentRecursive] the addWatch
// watch of that mode. An invalid t removes nothing.
func (m *Manager[W]) Remove(path string, t WatcherType, w W) bool {
	ws := m.byPath[path]
	old := ws[w]
	f := old & typeFlags(t)
	if f == 0 {
		return false
	}
	m.set(path, ws, w, old, old&^f)
	return true
}

// Contains reports whether w has a watch of type t on path, as a
// checkWatches request asks. [WatcherAny] matches any kind.
func (m *Manager[W]) Contains(path string, t WatcherType, w W) bool {
	return m.byPath[path][w]&typeFlags(t) != 0
}

// RemoveWatcher drops every watch of w, as ZooKeeper does when a connection
// closes. Its cost is proportional to the number of paths w watches.
func (m *Manager[W]) RemoveWatcher(w W) {
	ps, ok := m.byWatcher[w]
	if !ok {
		return
	}
	delete(m.byWatcher, w)
	for p := range ps {
		ws := m.byPath[p]
		if ws[w]&fRecursive != 0 {
			m.recursive--
		}
		delete(ws, w)
		if len(ws) == 0 {
			delete(m.byPath, p)
		}
	}
}

// Trigger fires the watches that an event of type typ on path sets off,
// removes those that are one-shot, and returns one delivery per watcher
// (a watcher is notified at most once per call even if several of its
// watches match). Deliveries are in no particular order. It returns nil when
// no watch fires or typ is not one of the four node event types.
//
// The rules are ZooKeeper's (DataTree with its data and child WatchManagers):
//
//   - NodeCreated, NodeDataChanged: data watches on path fire and are
//     removed; persistent and recursive watches on path fire and stay.
//   - NodeDeleted: data and child watches on path fire and are removed;
//     persistent and recursive watches on path fire and stay.
//   - NodeChildrenChanged: child watches on path fire and are removed;
//     persistent watches on path fire and stay. Recursive watches never see
//     this type.
//   - NodeCreated, NodeDeleted, NodeDataChanged also fire recursive watches on
//     every ancestor of path, which stay.
//
// The caller reports each tree change the way ZooKeeper's DataTree does:
// create is Trigger(path, NodeCreated) then Trigger(parent,
// NodeChildrenChanged); delete is Trigger(path, NodeDeleted) then
// Trigger(parent, NodeChildrenChanged); setData is Trigger(path,
// NodeDataChanged). Those are separate calls, so a watcher may receive one
// event from each.
//
// Ancestors are only visited while some recursive watch exists, so the cost
// without recursive watches is one map lookup.
func (m *Manager[W]) Trigger(path string, typ EventType) []Delivery[W] {
	var match, clear flags
	switch typ {
	case NodeCreated, NodeDataChanged:
		match, clear = dataTable, fData
	case NodeDeleted:
		match, clear = dataTable|childTable, fData|fChild
	case NodeChildrenChanged:
		match, clear = childTable, fChild
	default:
		return nil
	}
	ev := Event{Type: typ, Path: path}
	var out []Delivery[W]
	if ws := m.byPath[path]; ws != nil {
		for w, old := range ws {
			if old&match == 0 {
				continue
			}
			out = append(out, Delivery[W]{Watcher: w, Event: ev})
			if old&clear != 0 {
				m.set(path, ws, w, old, old&^clear)
			}
		}
	}
	if m.recursive == 0 || typ == NodeChildrenChanged {
		return out
	}
	// Watchers found at path are unique (map keys); watchers found at
	// ancestors may repeat. Few watchers fire in practice, so dedup by
	// scanning out, switching to a set once it grows.
	var seen map[W]struct{}
	for p := path; p != "/" && p != ""; {
		p = parent(p)
		for w, f := range m.byPath[p] {
			if f&fRecursive == 0 {
				continue
			}
			if seen == nil && len(out) >= dedupScanMax {
				seen = make(map[W]struct{}, 2*len(out))
				for _, d := range out {
					seen[d.Watcher] = struct{}{}
				}
			}
			if seen != nil {
				if _, dup := seen[w]; dup {
					continue
				}
				seen[w] = struct{}{}
			} else if delivered(out, w) {
				continue
			}
			out = append(out, Delivery[W]{Watcher: w, Event: ev})
		}
	}
	return out
}

// dedupScanMax is how many deliveries Trigger dedups by linear scan before
// switching to a set.
const dedupScanMax = 16

// delivered reports whether out already has a delivery for w.
func delivered[W comparable](out []Delivery[W], w W) bool {
	for i := range out {
		if out[i].Watcher == w {
			return true
		}
	}
	return false
}

// parent returns the parent of an absolute path other than "/", as
// ZooKeeper's PathParentIterator walks it: "/a/b" → "/a" → "/".
func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// Summary returns the counts the wchs four-letter word prints.
//
// Like ZooKeeper, which reports only its data-watch table here, it counts
// getData/exists, persistent and recursive watches but not getChildren
// watches; a persistent watch counts once.
func (m *Manager[W]) Summary() Summary {
	var s Summary
	for _, ws := range m.byPath {
		n := 0
		for _, f := range ws {
			if f&dataTable != 0 {
				n++
			}
		}
		if n > 0 {
			s.Paths++
			s.Watches += n
		}
	}
	for w, ps := range m.byWatcher {
		for p := range ps {
			if m.byPath[p][w]&dataTable != 0 {
				s.Connections++
				break
			}
		}
	}
	return s
}

// WatchCount returns ZooKeeper's watch_count metric (mntr zk_watch_count):
// the size of its data-watch table plus the size of its child-watch table,
// so a persistent watch counts twice and a watcher holding both a data and a
// child watch on one path counts twice.
func (m *Manager[W]) WatchCount() int {
	n := 0
	for _, ws := range m.byPath {
		for _, f := range ws {
			if f&dataTable != 0 {
				n++
			}
			if f&childTable != 0 {
				n++
			}
		}
	}
	return n
}

// ByWatcher returns the wchc view: for every watcher, the paths it watches,
// sorted. Watchers are ordered by cmp (as for [slices.SortFunc]); with a nil
// cmp their order is unspecified. Like [Manager.Summary] it covers
// ZooKeeper's data-watch table only (getChildren watches are not listed).
func (m *Manager[W]) ByWatcher(cmp func(a, b W) int) []WatcherPaths[W] {
	out := make([]WatcherPaths[W], 0, len(m.byWatcher))
	for w, ps := range m.byWatcher {
		var paths []string
		for p := range ps {
			if m.byPath[p][w]&dataTable != 0 {
				paths = append(paths, p)
			}
		}
		if len(paths) == 0 {
			continue
		}
		slices.Sort(paths)
		out = append(out, WatcherPaths[W]{Watcher: w, Paths: paths})
	}
	if cmp != nil {
		slices.SortFunc(out, func(a, b WatcherPaths[W]) int { return cmp(a.Watcher, b.Watcher) })
	}
	return out
}

// ByPath returns the wchp view: for every watched path, sorted, its
// watchers ordered by cmp (unspecified if cmp is nil). Like
// [Manager.Summary] it covers ZooKeeper's data-watch table only.
func (m *Manager[W]) ByPath(cmp func(a, b W) int) []PathWatchers[W] {
	out := make([]PathWatchers[W], 0, len(m.byPath))
	for p, ws := range m.byPath {
		var watchers []W
		for w, f := range ws {
			if f&dataTable != 0 {
				watchers = append(watchers, w)
			}
		}
		if len(watchers) == 0 {
			continue
		}
		if cmp != nil {
			slices.SortFunc(watchers, cmp)
		}
		out = append(out, PathWatchers[W]{Path: p, Watchers: watchers})
	}
	slices.SortFunc(out, func(a, b PathWatchers[W]) int { return strings.Compare(a.Path, b.Path) })
	return out
}
