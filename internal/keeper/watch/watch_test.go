package watch

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

var allKinds = []Kind{KindData, KindChild, KindPersistent, KindPersistentRecursive}

var allEvents = []EventType{
	EventNone, NodeCreated, NodeDeleted, NodeDataChanged, NodeChildrenChanged,
	DataWatchRemoved, ChildWatchRemoved, PersistentWatchRemoved,
}

// kindType is the WatcherType that selects exactly one kind.
var kindType = map[Kind]WatcherType{
	KindData:                WatcherData,
	KindChild:               WatcherChildren,
	KindPersistent:          WatcherPersistent,
	KindPersistentRecursive: WatcherPersistentRecursive,
}

// watchers returns the sorted watchers of ds, failing on a wrong event or a
// duplicate.
func watchers(t *testing.T, ds []Delivery[string], path string, typ EventType) []string {
	t.Helper()
	var out []string
	for _, d := range ds {
		if d.Event != (Event{Type: typ, Path: path}) {
			t.Errorf("delivery %+v: event is not %v on %s", d, typ, path)
		}
		out = append(out, d.Watcher)
	}
	slices.Sort(out)
	if len(slices.Compact(slices.Clone(out))) != len(out) {
		t.Errorf("duplicate deliveries: %v", out)
	}
	return out
}

// TestTriggerMatrix covers every event type against every kind of watch,
// set on the event's path, on an ancestor, on a descendant and on a sibling
// whose name shares a prefix.
func TestTriggerMatrix(t *testing.T) {
	type want struct{ fires, stays bool }
	const (
		fireGone = iota
		fireStay
		quiet
	)
	// onPath[kind][event] for a watch set on the event's own path.
	onPath := map[Kind]map[EventType]int{
		KindData:                {NodeCreated: fireGone, NodeDeleted: fireGone, NodeDataChanged: fireGone},
		KindChild:               {NodeDeleted: fireGone, NodeChildrenChanged: fireGone},
		KindPersistent:          {NodeCreated: fireStay, NodeDeleted: fireStay, NodeDataChanged: fireStay, NodeChildrenChanged: fireStay},
		KindPersistentRecursive: {NodeCreated: fireStay, NodeDeleted: fireStay, NodeDataChanged: fireStay},
	}
	// Only recursive watches see events below them, and never
	// NodeChildrenChanged.
	onAncestor := map[Kind]map[EventType]int{
		KindPersistentRecursive: {NodeCreated: fireStay, NodeDeleted: fireStay, NodeDataChanged: fireStay},
	}
	outcome := func(tab map[Kind]map[EventType]int, k Kind, e EventType) want {
		o, ok := tab[k][e]
		if !ok {
			o = quiet
		}
		return want{fires: o != quiet, stays: o != fireGone}
	}
	const path = "/app/node"
	places := []struct {
		name    string
		watchAt string
		tab     map[Kind]map[EventType]int
	}{
		{"path", path, onPath},
		{"parent", "/app", onAncestor},
		{"root", "/", onAncestor},
		{"descendant", path + "/child", nil},
		{"prefix sibling", "/app/no", nil},
		{"longer sibling", path + "x", nil},
	}
	for _, pl := range places {
		for _, k := range allKinds {
			for _, e := range allEvents {
				t.Run(fmt.Sprintf("%s/%v/%v", pl.name, k, e), func(t *testing.T) {
					m := NewManager[string]()
					m.Add(pl.watchAt, k, "w")
					got := watchers(t, m.Trigger(path, e), path, e)
					w := outcome(pl.tab, k, e)
					if fired := len(got) == 1; fired != w.fires {
						t.Errorf("fired = %v (%v), want %v", fired, got, w.fires)
					}
					if stays := m.Contains(pl.watchAt, kindType[k], "w"); stays != w.stays {
						t.Errorf("still registered = %v, want %v", stays, w.stays)
					}
					if !w.stays && (m.WatchCount() != 0 || len(m.byPath) != 0 || len(m.byWatcher) != 0) {
						t.Errorf("one-shot watch left state behind: %d watches", m.WatchCount())
					}
				})
			}
		}
	}
}

func TestTriggerDedup(t *testing.T) {
	tests := []struct {
		name  string
		adds  []add
		path  string
		typ   EventType
		want  []string
		after []has // checked after the trigger
	}{
		{
			name: "data and child watch on a deleted node: one event, both gone",
			adds: []add{{"/a", KindData, "w"}, {"/a", KindChild, "w"}},
			path: "/a", typ: NodeDeleted,
			want:  []string{"w"},
			after: []has{{"/a", WatcherAny, "w", false}},
		},
		{
			name: "every kind on the path: one event",
			adds: []add{{"/a", KindData, "w"}, {"/a", KindChild, "w"}, {"/a", KindPersistent, "w"}, {"/a", KindPersistentRecursive, "w"}},
			path: "/a", typ: NodeDeleted,
			want: []string{"w"},
			after: []has{
				{"/a", WatcherData, "w", false}, {"/a", WatcherChildren, "w", false},
				{"/a", WatcherPersistent, "w", true}, {"/a", WatcherPersistentRecursive, "w", true},
			},
		},
		{
			name: "recursive on several ancestors: one event",
			adds: []add{{"/", KindPersistentRecursive, "w"}, {"/a", KindPersistentRecursive, "w"}, {"/a/b", KindPersistentRecursive, "w"}},
			path: "/a/b/c", typ: NodeCreated,
			want: []string{"w"},
		},
		{
			name: "data watch on path plus recursive on ancestor: one event",
			adds: []add{{"/a/b", KindData, "w"}, {"/a", KindPersistentRecursive, "w"}, {"/a", KindPersistentRecursive, "v"}},
			path: "/a/b", typ: NodeDataChanged,
			want:  []string{"v", "w"},
			after: []has{{"/a/b", WatcherData, "w", false}, {"/a", WatcherPersistentRecursive, "w", true}},
		},
		{
			name: "many watchers, mixed",
			adds: []add{
				{"/a/b", KindData, "d"}, {"/a/b", KindChild, "c"}, {"/a/b", KindPersistent, "p"},
				{"/a", KindPersistentRecursive, "r1"}, {"/", KindPersistentRecursive, "r2"},
				{"/a", KindData, "parentdata"}, {"/a", KindPersistent, "parentpersistent"},
			},
			path: "/a/b", typ: NodeCreated,
			want: []string{"d", "p", "r1", "r2"},
			after: []has{
				{"/a/b", WatcherChildren, "c", true}, {"/a", WatcherData, "parentdata", true},
			},
		},
		{
			name: "recursive on root sees the root",
			adds: []add{{"/", KindPersistentRecursive, "w"}},
			path: "/", typ: NodeDataChanged,
			want: []string{"w"},
		},
		{
			name: "recursive on root sees deep paths",
			adds: []add{{"/", KindPersistentRecursive, "w"}},
			path: "/a/b/c/d/e", typ: NodeDeleted,
			want: []string{"w"},
		},
		{
			name: "recursive on root ignores children changes",
			adds: []add{{"/", KindPersistentRecursive, "w"}},
			path: "/", typ: NodeChildrenChanged,
		},
		{
			name: "persistent on parent gets children changed once, stays",
			adds: []add{{"/a", KindPersistent, "w"}, {"/a", KindChild, "w"}},
			path: "/a", typ: NodeChildrenChanged,
			want:  []string{"w"},
			after: []has{{"/a", WatcherPersistent, "w", true}, {"/a", WatcherChildren, "w", false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewManager[string]()
			for _, a := range tt.adds {
				m.Add(a.path, a.kind, a.w)
			}
			got := watchers(t, m.Trigger(tt.path, tt.typ), tt.path, tt.typ)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Trigger = %v, want %v", got, tt.want)
			}
			for _, h := range tt.after {
				if c := m.Contains(h.path, h.t, h.w); c != h.want {
					t.Errorf("Contains(%s, %v, %s) = %v, want %v", h.path, h.t, h.w, c, h.want)
				}
			}
			checkInvariants(t, m)
		})
	}
}

type add struct {
	path string
	kind Kind
	w    string
}

type has struct {
	path string
	t    WatcherType
	w    string
	want bool
}

func TestOneShotThenPersistent(t *testing.T) {
	m := NewManager[string]()
	m.Add("/a", KindData, "once")
	m.Add("/a", KindPersistent, "always")
	for i, want := range [][]string{{"always", "once"}, {"always"}, {"always"}} {
		got := watchers(t, m.Trigger("/a", NodeDataChanged), "/a", NodeDataChanged)
		if !slices.Equal(got, want) {
			t.Fatalf("trigger %d = %v, want %v", i, got, want)
		}
	}
	// Setting the one-shot watch again re-arms it.
	if !m.Add("/a", KindData, "once") {
		t.Fatal("re-adding a fired watch: not new")
	}
	got := watchers(t, m.Trigger("/a", NodeDataChanged), "/a", NodeDataChanged)
	if !slices.Equal(got, []string{"always", "once"}) {
		t.Fatalf("after re-arm = %v", got)
	}
	checkInvariants(t, m)
}

func TestAdd(t *testing.T) {
	m := NewManager[string]()
	for _, k := range allKinds {
		if !m.Add("/a", k, "w") {
			t.Errorf("Add(%v) first time: false", k)
		}
		if m.Add("/a", k, "w") {
			t.Errorf("Add(%v) second time: true", k)
		}
	}
	if m.recursive != 1 {
		t.Errorf("recursive = %d, want 1", m.recursive)
	}
	defer func() {
		if recover() == nil {
			t.Error("Add with an unknown kind did not panic")
		}
	}()
	m.Add("/a", Kind(0), "w")
}

// TestRemoveContains checks removeWatches and checkWatches for every
// WatcherType against every kind of watch.
func TestRemoveContains(t *testing.T) {
	types := []WatcherType{WatcherChildren, WatcherData, WatcherAny, WatcherPersistent, WatcherPersistentRecursive, 0, 6}
	selects := func(wt WatcherType, k Kind) bool {
		return wt == WatcherAny || kindType[k] == wt
	}
	for _, k := range allKinds {
		for _, wt := range types {
			t.Run(fmt.Sprintf("%v/%v", k, wt), func(t *testing.T) {
				m := NewManager[string]()
				m.Add("/a", k, "w")
				m.Add("/a", k, "other")
				want := selects(wt, k)
				if got := m.Contains("/a", wt, "w"); got != want {
					t.Errorf("Contains = %v, want %v", got, want)
				}
				if m.Contains("/b", wt, "w") || m.Contains("/a", wt, "nobody") {
					t.Error("Contains on another path or watcher: true")
				}
				if m.Remove("/b", wt, "w") || m.Remove("/a", wt, "nobody") {
					t.Error("Remove on another path or watcher: true")
				}
				if got := m.Remove("/a", wt, "w"); got != want {
					t.Errorf("Remove = %v, want %v", got, want)
				}
				if m.Remove("/a", wt, "w") {
					t.Error("second Remove: true")
				}
				if got := m.Contains("/a", WatcherAny, "w"); got == want {
					t.Errorf("after Remove, Contains(Any) = %v", got)
				}
				if !m.Contains("/a", kindType[k], "other") {
					t.Error("Remove touched another watcher")
				}
				checkInvariants(t, m)
			})
		}
	}
}

func TestRemoveKeepsOtherKinds(t *testing.T) {
	m := NewManager[string]()
	for _, k := range allKinds {
		m.Add("/a", k, "w")
	}
	for i, k := range allKinds {
		if !m.Remove("/a", kindType[k], "w") {
			t.Fatalf("Remove(%v): false", kindType[k])
		}
		for j, k2 := range allKinds {
			if got, want := m.Contains("/a", kindType[k2], "w"), j > i; got != want {
				t.Errorf("after removing %v: Contains(%v) = %v, want %v", k, kindType[k2], got, want)
			}
		}
		checkInvariants(t, m)
	}
	if len(m.byPath) != 0 || len(m.byWatcher) != 0 || m.recursive != 0 {
		t.Errorf("state left after removing everything: %v %v %d", m.byPath, m.byWatcher, m.recursive)
	}
	// A recursive watch removed with Remove no longer fires from ancestors.
	m.Add("/", KindPersistentRecursive, "r")
	m.Remove("/", WatcherAny, "r")
	if ds := m.Trigger("/x", NodeCreated); ds != nil {
		t.Errorf("removed recursive watch fired: %v", ds)
	}
}

func TestRemoveWatcher(t *testing.T) {
	m := NewManager[string]()
	for i := range 100 {
		p := fmt.Sprintf("/n%d", i)
		for _, k := range allKinds {
			m.Add(p, k, "gone")
		}
		m.Add(p, KindData, "kept")
	}
	m.Add("/", KindPersistentRecursive, "gone")
	m.RemoveWatcher("gone")
	m.RemoveWatcher("gone")
	m.RemoveWatcher("never")
	if m.recursive != 0 {
		t.Errorf("recursive = %d after RemoveWatcher", m.recursive)
	}
	if _, ok := m.byWatcher["gone"]; ok {
		t.Error("watcher still indexed")
	}
	for i := range 100 {
		p := fmt.Sprintf("/n%d", i)
		if m.Contains(p, WatcherAny, "gone") {
			t.Fatalf("%s still watched", p)
		}
		if !m.Contains(p, WatcherData, "kept") {
			t.Fatalf("%s lost the other watcher", p)
		}
	}
	got := watchers(t, m.Trigger("/n3", NodeDeleted), "/n3", NodeDeleted)
	if !slices.Equal(got, []string{"kept"}) {
		t.Errorf("Trigger = %v", got)
	}
	m.RemoveWatcher("kept")
	if len(m.byPath) != 0 || len(m.byWatcher) != 0 {
		t.Errorf("state left: %d paths, %d watchers", len(m.byPath), len(m.byWatcher))
	}
}

func TestTriggerNothing(t *testing.T) {
	m := NewManager[string]()
	if ds := m.Trigger("/a", NodeCreated); ds != nil {
		t.Errorf("empty manager: %v", ds)
	}
	m.Add("/a", KindChild, "w")
	if ds := m.Trigger("/a", NodeDataChanged); ds != nil {
		t.Errorf("child watch fired on data change: %v", ds)
	}
	if ds := m.Trigger("", NodeCreated); ds != nil {
		t.Errorf("empty path: %v", ds)
	}
}

// TestViews checks the wchs, wchc and wchp views and watch_count, including
// ZooKeeper's quirk of reporting only the data table in the views.
func TestViews(t *testing.T) {
	m := NewManager[int64]()
	m.Add("/b", KindData, 2)
	m.Add("/a", KindData, 2)
	m.Add("/a", KindPersistent, 1)
	m.Add("/c", KindPersistentRecursive, 3)
	m.Add("/a", KindChild, 3)    // child table only: not in the views
	m.Add("/kids", KindChild, 4) // watcher 4 has only child watches
	m.Add("/b", KindChild, 2)

	if got, want := m.Summary(), (Summary{Connections: 3, Paths: 3, Watches: 4}); got != want {
		t.Errorf("Summary = %+v, want %+v", got, want)
	}
	if got, want := m.Summary().String(), "3 connections watching 3 paths\nTotal watches:4"; got != want {
		t.Errorf("Summary.String = %q, want %q", got, want)
	}
	// data table: /b:2 /a:2 /a:1 /c:3 = 4; child table: /a:1 /a:3 /kids:4 /b:2 = 4.
	if got := m.WatchCount(); got != 8 {
		t.Errorf("WatchCount = %d, want 8", got)
	}
	cmp := func(a, b int64) int { return int(a - b) }
	wantByWatcher := []WatcherPaths[int64]{
		{1, []string{"/a"}},
		{2, []string{"/a", "/b"}},
		{3, []string{"/c"}},
	}
	if got := m.ByWatcher(cmp); !equalWP(got, wantByWatcher) {
		t.Errorf("ByWatcher = %v, want %v", got, wantByWatcher)
	}
	wantByPath := []PathWatchers[int64]{
		{"/a", []int64{1, 2}},
		{"/b", []int64{2}},
		{"/c", []int64{3}},
	}
	if got := m.ByPath(cmp); !equalPW(got, wantByPath) {
		t.Errorf("ByPath = %v, want %v", got, wantByPath)
	}
	if got := m.ByWatcher(nil); len(got) != 3 {
		t.Errorf("ByWatcher(nil) has %d entries", len(got))
	}
	if got := m.ByPath(nil); len(got) != 3 {
		t.Errorf("ByPath(nil) has %d entries", len(got))
	}
	empty := NewManager[int64]()
	if s := empty.Summary(); s != (Summary{}) || s.String() != "0 connections watching 0 paths\nTotal watches:0" {
		t.Errorf("empty Summary = %+v %q", s, s)
	}
}

func equalWP(a, b []WatcherPaths[int64]) bool {
	return slices.EqualFunc(a, b, func(x, y WatcherPaths[int64]) bool {
		return x.Watcher == y.Watcher && slices.Equal(x.Paths, y.Paths)
	})
}

func equalPW(a, b []PathWatchers[int64]) bool {
	return slices.EqualFunc(a, b, func(x, y PathWatchers[int64]) bool {
		return x.Path == y.Path && slices.Equal(x.Watchers, y.Watchers)
	})
}

func TestStrings(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{EventNone.String(), "None"},
		{NodeCreated.String(), "NodeCreated"},
		{NodeDeleted.String(), "NodeDeleted"},
		{NodeDataChanged.String(), "NodeDataChanged"},
		{NodeChildrenChanged.String(), "NodeChildrenChanged"},
		{DataWatchRemoved.String(), "DataWatchRemoved"},
		{ChildWatchRemoved.String(), "ChildWatchRemoved"},
		{PersistentWatchRemoved.String(), "PersistentWatchRemoved"},
		{EventType(0).String(), "EventType(0)"},
		{WatcherChildren.String(), "Children"},
		{WatcherData.String(), "Data"},
		{WatcherAny.String(), "Any"},
		{WatcherPersistent.String(), "Persistent"},
		{WatcherPersistentRecursive.String(), "PersistentRecursive"},
		{WatcherType(9).String(), "WatcherType(9)"},
		{KindData.String(), "Data"},
		{KindChild.String(), "Child"},
		{KindPersistent.String(), "Persistent"},
		{KindPersistentRecursive.String(), "PersistentRecursive"},
		{Kind(0).String(), "Kind(0)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestWireNumbers(t *testing.T) {
	nums := map[int32]int32{
		int32(EventNone): -1, int32(NodeCreated): 1, int32(NodeDeleted): 2, int32(NodeDataChanged): 3,
		int32(NodeChildrenChanged): 4, int32(DataWatchRemoved): 5, int32(ChildWatchRemoved): 6,
		int32(PersistentWatchRemoved): 7,
	}
	for got, want := range nums {
		if got != want {
			t.Errorf("event number %d, want %d", got, want)
		}
	}
	if WatcherChildren != 1 || WatcherData != 2 || WatcherAny != 3 || WatcherPersistent != 4 || WatcherPersistentRecursive != 5 {
		t.Error("WatcherType numbers differ from ZooKeeper's")
	}
	for wt := WatcherType(-1); wt <= 7; wt++ {
		if got, want := wt.Valid(), wt >= 1 && wt <= 5; got != want {
			t.Errorf("WatcherType(%d).Valid() = %v", wt, got)
		}
	}
	modes := []struct {
		mode AddWatchMode
		kind Kind
		err  error
	}{
		{0, KindPersistent, nil},
		{1, KindPersistentRecursive, nil},
		{2, 0, ErrUnknownMode},
		{-1, 0, ErrUnknownMode},
	}
	for _, tt := range modes {
		k, err := tt.mode.Kind()
		if k != tt.kind || !errors.Is(err, tt.err) {
			t.Errorf("AddWatchMode(%d).Kind() = %v, %v; want %v, %v", tt.mode, k, err, tt.kind, tt.err)
		}
	}
}

func TestParent(t *testing.T) {
	for in, want := range map[string]string{"/a": "/", "/a/b": "/a", "/a/b/c": "/a/b"} {
		if got := parent(in); got != want {
			t.Errorf("parent(%q) = %q, want %q", in, got, want)
		}
	}
}

// checkInvariants verifies the two indexes agree and the recursive counter
// is right.
func checkInvariants[W comparable](t *testing.T, m *Manager[W]) {
	t.Helper()
	rec := 0
	for p, ws := range m.byPath {
		if len(ws) == 0 {
			t.Errorf("empty watcher set kept for %s", p)
		}
		for w, f := range ws {
			if f == 0 {
				t.Errorf("zero flags kept for %s %v", p, w)
			}
			if f&fRecursive != 0 {
				rec++
			}
			if _, ok := m.byWatcher[w][p]; !ok {
				t.Errorf("%s %v missing from reverse index", p, w)
			}
		}
	}
	for w, ps := range m.byWatcher {
		if len(ps) == 0 {
			t.Errorf("empty path set kept for %v", w)
		}
		for p := range ps {
			if m.byPath[p][w] == 0 {
				t.Errorf("reverse index has %v %s not in table", w, p)
			}
		}
	}
	if rec != m.recursive {
		t.Errorf("recursive counter = %d, table has %d", m.recursive, rec)
	}
}

func BenchmarkTriggerNoWatches(b *testing.B) {
	m := NewManager[int64]()
	for i := range int64(10_000) {
		m.Add(fmt.Sprintf("/brokers/topics/t%d", i), KindData, i)
	}
	const path = "/brokers/topics/unwatched/partitions/0/state"
	b.ReportAllocs()
	for b.Loop() {
		if m.Trigger(path, NodeDataChanged) != nil {
			b.Fatal("fired")
		}
	}
}

func BenchmarkTriggerRecursiveDeep(b *testing.B) {
	m := NewManager[int64]()
	for i := range int64(10_000) {
		m.Add(fmt.Sprintf("/brokers/topics/t%d", i), KindData, i)
	}
	m.Add("/", KindPersistentRecursive, -1)
	m.Add("/brokers", KindPersistentRecursive, -2)
	m.Add("/brokers", KindPersistentRecursive, -1)
	path := "/brokers" + strings.Repeat("/deeper", 16) + "/leaf"
	b.ReportAllocs()
	for b.Loop() {
		if len(m.Trigger(path, NodeDataChanged)) != 2 {
			b.Fatal("wrong deliveries")
		}
	}
}
