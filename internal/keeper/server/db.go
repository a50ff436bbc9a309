package server

import (
	"sync"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/keeper/tree"
	"github.com/zkafka/zkafka/internal/keeper/watch"
)

// database is the znode tree with the watches left on it.
//
// Lock order: mu before wmu. Reads hold mu.RLock while they read the tree
// and leave a watch; the commit loop holds mu.Lock while it applies a txn
// and fires the watches it triggers. So a read either sees the state before
// a change and its watch fires for the change, or sees the state after it.
type database struct {
	mu   sync.RWMutex
	tree *tree.Tree

	wmu     sync.Mutex
	watches *watch.Manager[*conn]
}

func newDatabase(t *tree.Tree) *database {
	return &database{tree: t, watches: watch.NewManager[*conn]()}
}

func (db *database) addWatch(path string, k watch.Kind, c *conn) {
	db.wmu.Lock()
	db.watches.Add(path, k, c)
	db.wmu.Unlock()
}

func (db *database) hasWatch(path string, t watch.WatcherType, c *conn) bool {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	return db.watches.Contains(path, t, c)
}

func (db *database) removeWatch(path string, t watch.WatcherType, c *conn) bool {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	return db.watches.Remove(path, t, c)
}

func (db *database) dropWatcher(c *conn) {
	db.wmu.Lock()
	db.watches.RemoveWatcher(c)
	db.wmu.Unlock()
}

// fire delivers the watch events of one applied txn. The caller holds mu.
func (db *database) fire(events []tree.Event, zxid int64) {
	if len(events) == 0 {
		return
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	for _, ev := range events {
		for _, d := range db.watches.Trigger(ev.Path, watch.EventType(ev.Type)) {
			// As ZooKeeper: only watchers that may READ the node hear of
			// it (the watch is used up either way).
			if !db.tree.CanRead(ev.ACL, d.Watcher.authIDs()) {
				continue
			}
			d.Watcher.notify(int32(d.Event.Type), d.Event.Path, zxid)
		}
	}
}

// setWatches re-registers the watches a reconnecting client held, firing at
// once those whose node changed after relZxid, as ZooKeeper does. The
// caller holds mu for reading.
func (db *database) setWatches(c *conn, req *jute.SetWatches, zxid int64) {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	rel := req.RelativeZxid
	for _, p := range req.DataWatches {
		st, ok := db.tree.Exists(p)
		switch {
		case !ok:
			c.notify(int32(watch.NodeDeleted), p, zxid)
		case st.Mzxid > rel:
			c.notify(int32(watch.NodeDataChanged), p, zxid)
		default:
			db.watches.Add(p, watch.KindData, c)
		}
	}
	for _, p := range req.ExistWatches {
		if _, ok := db.tree.Exists(p); ok {
			c.notify(int32(watch.NodeCreated), p, zxid)
		} else {
			db.watches.Add(p, watch.KindData, c)
		}
	}
	for _, p := range req.ChildWatches {
		st, ok := db.tree.Exists(p)
		switch {
		case !ok:
			c.notify(int32(watch.NodeDeleted), p, zxid)
		case st.Pzxid > rel:
			c.notify(int32(watch.NodeChildrenChanged), p, zxid)
		default:
			db.watches.Add(p, watch.KindChild, c)
		}
	}
	for _, p := range req.PersistentWatches {
		db.watches.Add(p, watch.KindPersistent, c)
	}
	for _, p := range req.PersistentRecursive {
		db.watches.Add(p, watch.KindPersistentRecursive, c)
	}
}
