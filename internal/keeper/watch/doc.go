// Package watch is the keeper's watch bookkeeping, with the semantics of
// ZooKeeper 3.6+ (one-shot data, exists and child watches plus addWatch's
// persistent and persistent-recursive watches).
//
// The package is pure: [Manager.Trigger] does not notify anyone, it returns
// the deliveries for the caller to send. It starts no goroutines and is not
// safe for concurrent use.
//
// # Model
//
// ZooKeeper keeps two watch tables, one for data watches and one for child
// watches. This package keeps a single table whose entries say which of
// ZooKeeper's tables a watch would be in:
//
//	kind                     set by             data table  child table  one-shot
//	KindData                 getData, exists        ✓                        ✓
//	KindChild                getChildren                         ✓           ✓
//	KindPersistent           addWatch mode 0        ✓            ✓
//	KindPersistentRecursive  addWatch mode 1        ✓
//
// An event on a node fires the data table (NodeCreated, NodeDataChanged),
// the child table (NodeChildrenChanged) or both (NodeDeleted) at that path;
// recursive watches additionally fire from every ancestor for the data-table
// events. See [Manager.Trigger] for the full rules.
//
// The wchs, wchc and wchp views ([Manager.Summary], [Manager.ByWatcher],
// [Manager.ByPath]) cover the data table only, because ZooKeeper's
// four-letter words dump only that table; [Manager.WatchCount] is the sum of
// both tables, as ZooKeeper's watch_count metric is.
package watch
