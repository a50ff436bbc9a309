package zkclient

import (
	"reflect"
	"strings"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func TestWatchSetMaterialize(t *testing.T) {
	w := newWatchSet()
	w.register(watchData, "/a", jute.ErrOK)
	w.register(watchExists, "/b", jute.ErrNoNode)
	w.register(watchExists, "/c", jute.ErrOK)
	w.register(watchChild, "/a", jute.ErrOK)
	w.register(watchChild, "/x", jute.ErrNoNode) // failed: no watch
	w.register(watchData, "/y", jute.ErrNoAuth)  // failed: no watch
	w.register(watchPersistent, "/p", jute.ErrOK)
	w.register(watchRecursive, "/r", jute.ErrOK)

	steps := []struct {
		t    EventType
		path string
		hit  bool
	}{
		{EventNodeDataChanged, "/a", true},
		{EventNodeDataChanged, "/a", false}, // one-shot
		{EventNodeChildrenChanged, "/a", true},
		{EventNodeCreated, "/b", true},
		{EventNodeDeleted, "/c", true},
		{EventNodeChildrenChanged, "/x", false},
		{EventNodeDataChanged, "/y", false},
		{EventNodeDataChanged, "/p", true},
		{EventNodeDataChanged, "/p", true}, // persistent
		{EventNodeChildrenChanged, "/p", true},
		{EventNodeCreated, "/r/a/b", true},
		{EventNodeDeleted, "/r", true},
		{EventNodeChildrenChanged, "/r", false}, // recursive watches get no child events
		{EventNodeDataChanged, "/q", false},
	}
	for i, s := range steps {
		if got := w.materialize(s.t, s.path); got != s.hit {
			t.Errorf("step %d %v %s: hit %v, want %v", i, s.t, s.path, got, s.hit)
		}
	}
	if !w.has("/p", WatcherPersistent) || !w.has("/r", WatcherAny) || w.has("/a", WatcherAny) {
		t.Errorf("has: %+v", w)
	}
}

func TestWatchSetRemove(t *testing.T) {
	w := newWatchSet()
	w.register(watchData, "/a", jute.ErrOK)
	w.register(watchExists, "/a", jute.ErrNoNode)
	w.register(watchChild, "/a", jute.ErrOK)
	w.register(watchPersistent, "/a", jute.ErrOK)
	w.register(watchRecursive, "/a", jute.ErrOK)
	if got := w.remove("/a", WatcherData); !reflect.DeepEqual(got, []EventType{EventDataWatchRemoved}) {
		t.Errorf("remove data: %v", got)
	}
	if w.has("/a", WatcherData) || !w.has("/a", WatcherChildren) {
		t.Error("data watches not removed alone")
	}
	if got := w.remove("/a", WatcherAny); !reflect.DeepEqual(got, []EventType{EventChildWatchRemoved, EventPersistentWatchRemoved}) {
		t.Errorf("remove any: %v", got)
	}
	if !w.empty() {
		t.Errorf("left %+v", w)
	}
	if got := w.remove("/a", WatcherAny); got != nil {
		t.Errorf("remove nothing: %v", got)
	}
}

func TestWatchSetResetRequests(t *testing.T) {
	w := newWatchSet()
	if got := w.resetRequests(5, ""); got != nil {
		t.Fatalf("no watches: %v", got)
	}
	w.register(watchData, "/", jute.ErrOK)
	w.register(watchExists, "/e", jute.ErrNoNode)
	w.register(watchChild, "/c", jute.ErrOK)
	got := w.resetRequests(7, "/app")
	want := []*jute.SetWatches{{RelativeZxid: 7, DataWatches: []string{"/app"}, ExistWatches: []string{"/app/e"}, ChildWatches: []string{"/app/c"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("setWatches %+v", got[0])
	}
	w.register(watchRecursive, "/r", jute.ErrOK)
	if got := w.resetRequests(7, ""); len(got) != 1 || !got[0].Two || !reflect.DeepEqual(got[0].PersistentRecursive, []string{"/r"}) {
		t.Fatalf("setWatches2 %+v", got[0])
	}

	// Many long paths are cut into batches of about 128 KiB.
	w = newWatchSet()
	long := "/" + strings.Repeat("x", 1000)
	for i := range 300 {
		w.register(watchData, long+string(rune('a'+i%26))+strings.Repeat("y", i/26), jute.ErrOK)
	}
	batches := w.resetRequests(1, "")
	n := 0
	for _, b := range batches {
		size := 0
		for _, p := range b.DataWatches {
			size += len(p)
		}
		if size > setWatchesMaxLength+1100 || b.Two {
			t.Errorf("batch of %d bytes (two=%v)", size, b.Two)
		}
		n += len(b.DataWatches)
	}
	if len(batches) != 3 || n != 300 {
		t.Errorf("%d batches holding %d paths", len(batches), n)
	}
}

func TestEventFormat(t *testing.T) {
	e := Event{Type: EventNodeDataChanged, State: KeeperSyncConnected, Path: "/a", Zxid: 5}
	if e.String() != "WatchedEvent state:SyncConnected type:NodeDataChanged path:/a zxid: 5" {
		t.Error(e.String())
	}
	e = Event{Type: EventNone, State: KeeperDisconnected, Zxid: NoZxid}
	if e.Format(false) != "WatchedEvent state:Disconnected type:None path:null" {
		t.Error(e.Format(false))
	}
}
