package watch

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// zkTable is a test model of one ZooKeeper WatchManager: path → watcher →
// set of modes (standard, persistent, recursive), written from ZooKeeper's
// documented behaviour independently of Manager's flag encoding.
type zkTable map[string]map[string]map[string]bool

func (t zkTable) add(path, w, mode string) {
	if t[path] == nil {
		t[path] = map[string]map[string]bool{}
	}
	if t[path][w] == nil {
		t[path][w] = map[string]bool{}
	}
	t[path][w][mode] = true
}

// remove drops mode ("" = all) and reports whether anything changed.
func (t zkTable) remove(path, w, mode string) bool {
	ms := t[path][w]
	if len(ms) == 0 {
		return false
	}
	changed := false
	if mode == "" {
		changed = true
		clear(ms)
	} else if ms[mode] {
		changed = true
		delete(ms, mode)
	}
	if len(ms) == 0 {
		delete(t[path], w)
	}
	if len(t[path]) == 0 {
		delete(t, path)
	}
	return changed
}

func (t zkTable) has(path, w, mode string) bool {
	ms := t[path][w]
	if mode == "" {
		return len(ms) > 0
	}
	return ms[mode]
}

// trigger is WatchManager.triggerWatch: everyone on path fires and loses
// the standard mode; with recursive=true, recursive watchers on ancestors fire.
func (t zkTable) trigger(path string, walk bool, fired map[string]bool) {
	for w := range t[path] {
		fired[w] = true
		t.remove(path, w, "std")
	}
	if !walk {
		return
	}
	for p := path; p != "/"; {
		p = parent(p)
		for w, ms := range t[p] {
			if ms["rec"] {
				fired[w] = true
			}
		}
	}
}

// zkModel is DataTree's pair of tables.
type zkModel struct{ data, child zkTable }

func (z zkModel) add(path string, k Kind, w string) {
	switch k {
	case KindData:
		z.data.add(path, w, "std")
	case KindChild:
		z.child.add(path, w, "std")
	case KindPersistent:
		z.data.add(path, w, "per")
		z.child.add(path, w, "per")
	case KindPersistentRecursive:
		z.data.add(path, w, "rec")
	}
}

func (z zkModel) hasRecursive() bool {
	for _, ws := range z.data {
		for _, ms := range ws {
			if ms["rec"] {
				return true
			}
		}
	}
	return false
}

func (z zkModel) trigger(path string, typ EventType) []string {
	fired := map[string]bool{}
	walk := z.hasRecursive()
	switch typ {
	case NodeCreated, NodeDataChanged:
		z.data.trigger(path, walk, fired)
	case NodeDeleted:
		z.data.trigger(path, walk, fired)
		z.child.trigger(path, false, fired) // suppressed duplicates: fired is a set
	case NodeChildrenChanged:
		z.child.trigger(path, false, fired)
	}
	return slices.Sorted(maps.Keys(fired))
}

func (z zkModel) removeWatch(path string, wt WatcherType, w string) bool {
	switch wt {
	case WatcherChildren:
		return z.child.remove(path, w, "std")
	case WatcherData:
		return z.data.remove(path, w, "std")
	case WatcherPersistent:
		a := z.child.remove(path, w, "per")
		b := z.data.remove(path, w, "per")
		return a || b
	case WatcherPersistentRecursive:
		return z.data.remove(path, w, "rec")
	case WatcherAny:
		a := z.child.remove(path, w, "")
		b := z.data.remove(path, w, "")
		return a || b
	}
	return false
}

func (z zkModel) contains(path string, wt WatcherType, w string) bool {
	switch wt {
	case WatcherChildren:
		return z.child.has(path, w, "std")
	case WatcherData:
		return z.data.has(path, w, "std")
	case WatcherPersistent:
		return z.data.has(path, w, "per")
	case WatcherPersistentRecursive:
		return z.data.has(path, w, "rec")
	case WatcherAny:
		return z.child.has(path, w, "") || z.data.has(path, w, "")
	}
	return false
}

func (z zkModel) removeWatcher(w string) {
	for _, t := range []zkTable{z.data, z.child} {
		for p := range t {
			t.remove(p, w, "")
		}
	}
}

func (z zkModel) summary() Summary {
	var s Summary
	conns := map[string]bool{}
	for _, ws := range z.data {
		s.Paths++
		s.Watches += len(ws)
		for w := range ws {
			conns[w] = true
		}
	}
	s.Connections = len(conns)
	return s
}

func (z zkModel) watchCount() int {
	n := 0
	for _, t := range []zkTable{z.data, z.child} {
		for _, ws := range t {
			n += len(ws)
		}
	}
	return n
}

// TestAgainstModel runs random operations against Manager and a model of
// ZooKeeper's two WatchManagers and compares every answer.
func TestAgainstModel(t *testing.T) {
	paths := []string{"/", "/a", "/a/b", "/a/b/c", "/a/bc", "/d", "/d/e"}
	ws := []string{"w0", "w1", "w2", "w3"}
	events := []EventType{NodeCreated, NodeDeleted, NodeDataChanged, NodeChildrenChanged}
	types := []WatcherType{WatcherChildren, WatcherData, WatcherAny, WatcherPersistent, WatcherPersistentRecursive}
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 1))
		m := NewManager[string]()
		z := zkModel{data: zkTable{}, child: zkTable{}}
		for step := range 400 {
			p := paths[r.IntN(len(paths))]
			w := ws[r.IntN(len(ws))]
			where := fmt.Sprintf("seed %d step %d", seed, step)
			switch op := r.IntN(10); {
			case op < 4:
				k := allKinds[r.IntN(len(allKinds))]
				m.Add(p, k, w)
				z.add(p, k, w)
			case op < 7:
				typ := events[r.IntN(len(events))]
				got := watchers(t, m.Trigger(p, typ), p, typ)
				if want := z.trigger(p, typ); !slices.Equal(got, want) {
					t.Fatalf("%s: Trigger(%s, %v) = %v, model %v", where, p, typ, got, want)
				}
			case op < 8:
				wt := types[r.IntN(len(types))]
				if got, want := m.Remove(p, wt, w), z.removeWatch(p, wt, w); got != want {
					t.Fatalf("%s: Remove(%s, %v, %s) = %v, model %v", where, p, wt, w, got, want)
				}
			case op < 9:
				wt := types[r.IntN(len(types))]
				if got, want := m.Contains(p, wt, w), z.contains(p, wt, w); got != want {
					t.Fatalf("%s: Contains(%s, %v, %s) = %v, model %v", where, p, wt, w, got, want)
				}
			default:
				if r.IntN(4) == 0 {
					m.RemoveWatcher(w)
					z.removeWatcher(w)
				}
			}
			if got, want := m.Summary(), z.summary(); got != want {
				t.Fatalf("%s: Summary = %+v, model %+v", where, got, want)
			}
			if got, want := m.WatchCount(), z.watchCount(); got != want {
				t.Fatalf("%s: WatchCount = %d, model %d", where, got, want)
			}
			checkInvariants(t, m)
		}
	}
}

// TestTriggerDedupMany drives Trigger past the linear-scan limit so that
// ancestor dedup uses a set.
func TestTriggerDedupMany(t *testing.T) {
	m := NewManager[int]()
	const n = 3 * dedupScanMax
	for i := range n {
		m.Add("/a/b", KindData, i)
		m.Add("/a", KindPersistentRecursive, i)
		m.Add("/", KindPersistentRecursive, i+n/2) // half overlap, half new
	}
	ds := m.Trigger("/a/b", NodeDataChanged)
	var got []int
	for _, d := range ds {
		got = append(got, d.Watcher)
	}
	slices.Sort(got)
	want := make([]int, n+n/2)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %d deliveries %v, want %d", len(got), got, len(want))
	}
}
