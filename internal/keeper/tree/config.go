package tree

import "github.com/zkafka/zkafka/internal/keeper/jute"

// ConfigPath is the znode holding the ensemble's configuration
// (ZooDefs.CONFIG_NODE).
const ConfigPath = configPath

// SetConfig replaces the data of /zookeeper/config with an ensemble
// configuration, as ZooKeeper's reconfig txn and its configuration
// initialisation do: no ACL check, the data version becomes -1, mzxid
// (the configuration's version) and mtime come from the arguments, and
// LastZxid becomes zxid (the txn's). It returns the NodeDataChanged event
// for the node's watchers. It is deterministic like Apply: every replica
// that calls it with the same arguments holds the same tree.
func (t *Tree) SetConfig(data []byte, zxid, mzxid, time int64) []Event {
	t.lastZxid = zxid
	n := t.get(configPath)
	if n == nil {
		return nil // New always creates it; a restored tree has it too
	}
	var ev []Event
	p := prim{kind: primSetData, path: configPath, data: data, version: -1, cur: n}
	t.commitSetData(&p, mzxid, time, &ev)
	return ev
}

// HasPerm reports whether identities auth hold permission perm (a
// jute.Perm* bit) on a node with this ACL, as ZooKeeper's checkACL decides
// it (the super identity holds every permission).
func (t *Tree) HasPerm(acl []jute.ACL, perm int32, auth []jute.ID) bool {
	return t.checkACL(acl, perm, auth)
}
