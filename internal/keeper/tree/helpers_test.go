package tree

import (
	"fmt"
	"sort"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Identities used by the tests.
var (
	ipLocal   = jute.ID{Scheme: "ip", ID: "127.0.0.1"}
	digestU   = jute.ID{Scheme: "digest", ID: DigestID("u:p")}
	digestV   = jute.ID{Scheme: "digest", ID: DigestID("v:q")}
	superUser = jute.ID{Scheme: "super", ID: ""}
	open      = OpenACLUnsafe
)

const sess1, sess2 int64 = 0x100, 0x200

// env drives a tree with increasing zxids and times; views made by as share
// the clock.
type env struct {
	tb   testing.TB
	t    *Tree
	c    *clock
	auth []jute.ID
	sess int64
}

type clock struct{ zxid, time int64 }

func newEnv(tb testing.TB, o Options) *env {
	e := &env{tb: tb, t: New(o), c: &clock{time: 1_000_000}, sess: sess1}
	e.apply(jute.OpCreateSession, &CreateSession{Timeout: 30000, Passwd: []byte("pw1")})
	e.as(sess2, nil).apply(jute.OpCreateSession, &CreateSession{Timeout: 10000, Passwd: []byte("pw2")})
	return e
}

// as returns a view of e that issues txns for another session and identities.
func (e *env) as(session int64, auth []jute.ID) *env {
	c := *e
	c.sess, c.auth = session, auth
	return &c
}

func (e *env) txn(op jute.OpCode, body jute.Record) *Txn {
	e.c.zxid++
	e.c.time += 10
	return &Txn{Zxid: e.c.zxid, Time: e.c.time, Session: e.sess, Auth: e.auth, Op: op, Body: body}
}

func (e *env) apply(op jute.OpCode, body jute.Record) Result {
	e.tb.Helper()
	txn := e.txn(op, body)
	res := e.t.Apply(txn)
	if e.t.LastZxid() != txn.Zxid {
		e.tb.Fatalf("LastZxid %d after txn %d", e.t.LastZxid(), txn.Zxid)
	}
	checkInvariants(e.tb, e.t)
	return res
}

func (e *env) create(path string, data []byte, acl []jute.ACL, flags int32) Result {
	return e.apply(jute.OpCreate2, &jute.CreateRequest{Path: path, Data: data, ACL: acl, Flags: flags})
}

func (e *env) mustCreate(path string, flags int32) string {
	e.tb.Helper()
	r := e.create(path, []byte("d"), open, flags)
	if r.Err != jute.ErrOK {
		e.tb.Fatalf("create %s: %v", path, r.Err.Name())
	}
	return r.Path
}

func (e *env) del(path string, version int32) jute.Err {
	return e.apply(jute.OpDelete, &jute.PathVersionRequest{Path: path, Version: version}).Err
}

func (e *env) setData(path string, data []byte, version int32) Result {
	return e.apply(jute.OpSetData, &jute.SetDataRequest{Path: path, Data: data, Version: version})
}

func (e *env) stat(path string) jute.Stat {
	e.tb.Helper()
	st, ok := e.t.Exists(path)
	if !ok {
		e.tb.Fatalf("%s does not exist", path)
	}
	return st
}

// checkInvariants recomputes everything the tree maintains incrementally.
func checkInvariants(tb testing.TB, t *Tree) {
	tb.Helper()
	children := map[string]int32{}
	var digest uint64
	var size int64
	refs := map[aclID]int64{}
	ephemerals := map[int64]map[string]struct{}{}
	containers := map[string]struct{}{}
	ttls := map[string]struct{}{}
	parentRefs := map[uint32]int32{}
	var prev *node
	t.nodes.Ascend(func(n *node) bool {
		path := t.parents.pathOf(n)
		m := n.meta()
		if n.parent() != rootParent {
			parent, name, _ := splitPath(path)
			children[viewKey(parent)]++
			parentRefs[n.parent()]++
			if t.get(parent) == nil {
				tb.Fatalf("%s has no parent", path)
			}
			if id, ok := t.parents.lookup(parent); !ok || id != n.parent() || n.name() != name {
				tb.Fatalf("%s: parent id %d, table has %d %v", path, n.parent(), id, ok)
			}
			// The order is the byte order of the keys parent, NUL, name.
			pk := ""
			if prev.parent() != rootParent {
				pk = t.parents.path(prev.parent()) + "\x00" + prev.name()
			}
			if !(pk < parent+"\x00"+name) {
				tb.Fatalf("%s sorts after %q", path, pk)
			}
		} else if prev != nil {
			tb.Fatalf("the root is not first")
		}
		if t.get(path) != n {
			tb.Fatalf("get(%s) does not find its node", path)
		}
		prev = n
		digest += t.digestOf(n)
		size += int64(utf16Len(path) + n.dataLen())
		refs[m.acl]++
		switch t.ephType(m.owner) {
		case ephNormal:
			if ephemerals[m.owner] == nil {
				ephemerals[m.owner] = map[string]struct{}{}
			}
			ephemerals[m.owner][path] = struct{}{}
		case ephContainer:
			containers[path] = struct{}{}
		case ephTTL:
			ttls[path] = struct{}{}
		}
		return true
	})
	t.nodes.Ascend(func(n *node) bool {
		path := viewKey(t.parents.pathOf(n))
		m := n.meta()
		if m.numChildren != children[path] {
			tb.Fatalf("%s: numChildren %d, has %d", path, m.numChildren, children[path])
		}
		e := t.acls.entries[m.acl]
		if e == nil {
			tb.Fatalf("%s: ACL id %d is free", path, m.acl)
		}
		if e.refs != refs[m.acl] {
			tb.Fatalf("%s: ACL refs %d, used %d", path, e.refs, refs[m.acl])
		}
		if id, ok := t.acls.m[e.key]; !ok || id != m.acl {
			tb.Fatalf("%s: ACL not interned", path)
		}
		return true
	})
	if len(t.acls.m) != len(refs) {
		tb.Fatalf("ACL cache holds %d entries, %d used", len(t.acls.m), len(refs))
	}
	if live := len(t.acls.entries) - len(t.acls.free); live != len(refs) {
		tb.Fatalf("ACL table holds %d entries (%d free ids), %d used", len(t.acls.entries), len(t.acls.free), len(refs))
	}
	if len(t.parents.ids) != len(parentRefs) {
		tb.Fatalf("parent table holds %d paths, %d used", len(t.parents.ids), len(parentRefs))
	}
	for p, id := range t.parents.ids {
		if t.parents.path(id) != p || t.parents.refs[id] != parentRefs[id] {
			tb.Fatalf("parent %q: id %d names %q, refs %d, used %d", p, id, t.parents.path(id), t.parents.refs[id], parentRefs[id])
		}
	}
	if live := len(t.parents.refs) - firstParentID - len(t.parents.free); live != len(parentRefs) {
		tb.Fatalf("parent table: %d ids (%d free), %d used", len(t.parents.refs)-firstParentID, len(t.parents.free), len(parentRefs))
	}
	for _, id := range t.parents.free {
		if t.parents.refs[id] != 0 || t.parents.path(id) != "" {
			tb.Fatalf("free parent id %d: refs %d, path %q", id, t.parents.refs[id], t.parents.path(id))
		}
	}
	if digest != t.nodeDigest {
		tb.Fatalf("node digest %#x, recomputed %#x", t.nodeDigest, digest)
	}
	var sd, qd uint64
	for id, s := range t.sessions {
		sd += sessionHash(id, s)
	}
	for q := range t.quotas {
		qd += quotaHash(q)
	}
	if sd != t.sessionDigest || qd != t.quotaDigest {
		tb.Fatalf("session/quota digest mismatch")
	}
	if size != t.dataSize {
		tb.Fatalf("data size %d, recomputed %d", t.dataSize, size)
	}
	if fmt.Sprint(sortedSets(ephemerals)) != fmt.Sprint(sortedSets(t.ephemerals)) {
		tb.Fatalf("ephemerals %v, recomputed %v", sortedSets(t.ephemerals), sortedSets(ephemerals))
	}
	if fmt.Sprint(sortedKeys(containers)) != fmt.Sprint(sortedKeys(t.containers)) ||
		fmt.Sprint(sortedKeys(ttls)) != fmt.Sprint(sortedKeys(t.ttls)) {
		tb.Fatalf("container/TTL index mismatch")
	}
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedSets(m map[int64]map[string]struct{}) map[int64][]string {
	out := map[int64][]string{}
	for k, v := range m {
		out[k] = sortedKeys(v)
	}
	return out
}

// dump lists every node with its stat, data and ACL, for comparing trees.
func dump(t *Tree) []string {
	var out []string
	t.nodes.Ascend(func(n *node) bool {
		out = append(out, fmt.Sprintf("%s %q nil=%v %+v %v", t.parents.pathOf(n), n.data(), n.data() == nil, t.statOf(n), t.aclOf(n)))
		return true
	})
	return out
}

// noACL drops the ACLs that events carry, for comparing types and paths.
func noACL(evs []Event) []Event {
	if evs == nil {
		return nil
	}
	out := make([]Event, len(evs))
	for i, e := range evs {
		out[i] = Event{Type: e.Type, Path: e.Path}
	}
	return out
}
