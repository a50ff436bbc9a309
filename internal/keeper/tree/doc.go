// Package tree is the keeper's in-memory znode database: a pure,
// deterministic state machine with ZooKeeper 3.9's semantics. Every replica
// that applies the same txns in the same order holds the same state: times
// and sequence numbers come from the txn, never from a clock. The package
// starts no goroutines and does no I/O except reading and writing
// snapshots through io.Reader and io.Writer.
//
// A Tree is not safe for concurrent use. The server guards it with a
// RWMutex: Apply, Snapshot and Restore under the write lock, the read
// methods (which never modify anything, not even caches) under the read
// lock.
//
// # Semantics
//
// Apply follows PrepRequestProcessor (validation, in its order) and DataTree
// (the change) of ZooKeeper 3.9, and returns what FinalRequestProcessor
// answers: the error code, the reply body and the watch events. The read
// methods follow FinalRequestProcessor's read paths, ACL checks included.
// Some facts that are easy to get wrong:
//
//   - A node stores ZooKeeper's cversion: the number of children ever
//     created under it. Sequential names use it (%010d), and clients see
//     2*cversion - numChildren, which counts deletes too.
//   - Deleting a child updates the parent's pzxid (when larger), never its
//     stored cversion.
//   - Clients see ephemeralOwner 0 for container and TTL nodes.
//   - A failed multi changes nothing; its reply header is OK and its results
//     are error results: OK for the ops before the failing one, the failing
//     op's code, RuntimeInconsistency after it.
//   - exists needs READ on an existing node, getACL needs READ or ADMIN and
//     hides digest credentials ("user:x") from callers without ADMIN.
//
// # Storage
//
// Nodes live in a copy-on-write B-tree (github.com/google/btree) ordered by
// the key "parent path, NUL, name", so a node's children are one contiguous
// sorted range. A node does not store that key: it stores the id of its
// parent's path in a table of parent paths (parents.go), which holds each
// path that has children once, and its own name. Nodes are immutable once in
// the tree: a change replaces the node. Snapshot therefore clones the B-tree
// in O(1) (and the parent table's list of chunks, which are copied on
// write), and the Frozen copy can be written by another goroutine while
// Apply goes on. Identical ACL lists are shared between nodes: a node holds
// the id of its list in the ACL cache. A digest of the whole state is kept
// up to date on every change.
//
// Each node is one pointer-free allocation sized exactly: parent id, name,
// data and a varint-coded stat that omits what a fresh persistent node does
// not need (see node.go for the layout). A znode of 100 bytes with a short
// name takes 128 bytes plus ~17 bytes of B-tree item, about 145 bytes of
// live heap whatever the length of its parent's path (BenchmarkMemory1M,
// BenchmarkMemory1MPopulate), and the garbage collector never scans it.
//
// # Txn log format
//
// Txn.Encode writes a txn as the log carries it (DecodeTxn reads it back):
//
//	+------+------+------+---------+------------+----+---------+--------------+
//	| 0x01 | zxid | time | session | auth       | op | hasBody | body         |
//	| byte | long | long | long    | vector<Id> | int| boolean | op's record  |
//	+------+------+------+---------+------------+----+---------+--------------+
//
// The body is the request record of the op (see Txn.Body); a body that does
// not fit its op is written as absent, and Apply answers MarshallingError
// for both forms, so a replica that applies the decoded txn answers exactly
// as the proposer did.
//
// # Snapshot format
//
// A snapshot is a magic string and a sequence of checksummed frames; all
// integers are big-endian, strings and buffers are jute's (int length, -1
// for null, then the bytes):
//
//	+-------------------+
//	| "ZKTSNAP" 0x01    |  magic and format version (8 bytes)
//	+-------------------+
//	| frame: header     |  lastZxid long
//	| frame: session *  |  id long, timeout int, passwd buffer      (by id)
//	| frame: quota *    |  path ustring ("/a/b": a path with a quota) (sorted)
//	| frame: acl/node * |  in key order; an acl frame precedes the first
//	|                   |  node that uses it, and nodes refer to ACLs by
//	|                   |  the order of their acl frames (0, 1, ...)
//	| frame: end        |  node, acl, session, quota counts (long each),
//	|                   |  digest long
//	+-------------------+
//
//	frame: +---------+---------+------+----------------------+
//	       | len u32 | crc u32 | type | body (len-1 bytes)   |
//	       +---------+---------+------+----------------------+
//	       crc: CRC-32C (Castagnoli) of type and body
//	       type: 'H' header, 'S' session, 'Q' quota, 'A' acl, 'N' node, 'E' end
//
//	acl body:  jute vector of ACL (perms int, scheme ustring, id ustring)
//	node body: path ustring, data buffer, acl index int,
//	           czxid, mzxid, ctime, mtime long, version, cversion, aversion int,
//	           ephemeralOwner long, pzxid long
//
// Parents precede their children (key order), the root comes first,
// numChildren is recounted and the digest recomputed on Restore and compared
// with the end frame. Nothing may follow the end frame. A snapshot that ends
// early is reported as ErrSnapshotTruncated, damage as ErrSnapshotCorrupt.
package tree
