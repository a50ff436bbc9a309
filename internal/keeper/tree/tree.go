package tree

import (
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/google/btree"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Options configure a Tree. Every replica must use the same options.
type Options struct {
	// ExtendedTypes is ZooKeeper's zookeeper.extendedTypesEnabled: TTL
	// nodes may be created, and ephemeralOwner values with the top byte
	// 0xff denote them.
	ExtendedTypes bool
	// ContainerMaxNeverUsedMs is znode.container.maxNeverUsedIntervalMs:
	// when not 0, an empty container that never had a child becomes a
	// deletion candidate once it is older (by mtime) than this.
	ContainerMaxNeverUsedMs int64
	// AuthSchemes names authentication schemes besides digest and ip that
	// the server has providers for (such as "sasl" or "x509"). Their ids are
	// always valid in ACLs, match by equality, and are what the "auth"
	// scheme expands to, like digest ids.
	AuthSchemes []string
}

// SessionInfo is what the tree keeps of a session: what createSession
// carried. Passwd must not be modified.
type SessionInfo struct {
	Timeout int32
	Passwd  []byte
}

// Event is a watch notification a change causes, in the order ZooKeeper's
// DataTree triggers them.
type Event struct {
	// Type is the Watcher.Event.EventType: 1 NodeCreated, 2 NodeDeleted,
	// 3 NodeDataChanged, 4 NodeChildrenChanged.
	Type int32
	Path string
	// ACL is the changed node's ACL (the parent's for
	// NodeChildrenChanged): ZooKeeper delivers an event only to watchers
	// allowed to READ it (see CanRead). Shared; do not modify.
	ACL []jute.ACL
}

// Event types.
const (
	EventNodeCreated         int32 = 1
	EventNodeDeleted         int32 = 2
	EventNodeDataChanged     int32 = 3
	EventNodeChildrenChanged int32 = 4
)

// Ephemeral types (EphemeralType).
type ephType uint8

const (
	ephVoid ephType = iota
	ephNormal
	ephContainer
	ephTTL
)

// Extended ephemeralOwner encoding (EphemeralType).
const (
	containerOwner    int64  = math.MinInt64
	extendedMask      uint64 = 0xff00000000000000
	reservedBitsMask  uint64 = 0x00ffff0000000000
	extendedValueMask uint64 = ^(extendedMask | reservedBitsMask)
	// MaxTTL is the largest TTL in milliseconds a TTL node may have.
	MaxTTL int64 = int64(extendedValueMask)
)

func ttlOwner(ttl int64) int64 { return int64(extendedMask | uint64(ttl)) }

func (t *Tree) ephType(owner int64) ephType {
	if t.opts.ExtendedTypes && uint64(owner)&extendedMask == extendedMask {
		if uint64(owner)&reservedBitsMask == 0 {
			return ephTTL
		}
		// ZooKeeper throws here; such owners never come from Apply.
		return ephNormal
	}
	switch owner {
	case containerOwner:
		return ephContainer
	case 0:
		return ephVoid
	}
	return ephNormal
}

// Tree is the znode database. It is not safe for concurrent use: Apply,
// Snapshot and Restore need exclusive access; the read methods (GetData,
// Exists, Stat, Children, GetACL, ACL, MultiRead, Ephemerals, AllChildrenNumber,
// Sessions, Session, NodeCount, ApproxDataSize, EphemeralCount,
// ExpiredCandidates, LastZxid, Digest) never modify the tree and may run
// concurrently with each other.
type Tree struct {
	opts  Options
	nodes *btree.BTreeG[*node]
	// parents holds the paths of the nodes' parents, which the nodes refer
	// to by id; nodes' order depends on it (parentTable.lessFunc).
	parents  *parentTable
	lastZxid int64
	sessions map[int64]SessionInfo
	// ephemerals maps a session to the paths of its ephemeral nodes.
	ephemerals map[int64]map[string]struct{}
	containers map[string]struct{}
	ttls       map[string]struct{}
	// quotas holds the paths with a quota (ZooKeeper's PathTrie), each as
	// "/" + its non-blank components joined by "/".
	quotas   map[string]struct{}
	acls     *aclCache
	dataSize int64
	// nodeDigest is the sum of the digests of all nodes; sessionDigest and
	// quotaDigest likewise for sessions and quota paths.
	nodeDigest, sessionDigest, quotaDigest uint64
	probes                                 sync.Pool
}

// btreeDegree is the B-tree's degree: nodes hold up to 255 items. A wide
// node costs less per item (1M znodes: ~17 B of B-tree per znode at 128,
// ~19 B at 32) and lookups make the same number of key comparisons.
const btreeDegree = 128

func newEmpty(o Options) *Tree {
	parents := newParentTable()
	t := &Tree{
		opts:       o,
		nodes:      btree.NewG[*node](btreeDegree, parents.lessFunc()),
		parents:    parents,
		sessions:   make(map[int64]SessionInfo),
		ephemerals: make(map[int64]map[string]struct{}),
		containers: make(map[string]struct{}),
		ttls:       make(map[string]struct{}),
		quotas:     make(map[string]struct{}),
		acls:       newACLCache(),
	}
	t.probes.New = func() any { return &probe{buf: make([]byte, 0, 128)} }
	return t
}

// New returns a tree holding what ZooKeeper's DataTree starts with: "/",
// "/zookeeper", "/zookeeper/quota" and "/zookeeper/config", all with zxid 0
// and time 0, world:anyone ALL except /zookeeper/config, which has
// world:anyone READ and aversion -1.
func New(o Options) *Tree {
	t := newEmpty(o)
	add := func(path string, acl []jute.ACL, aversion, children int32) {
		var parent uint32 // the root's
		parentPath, name, _ := splitPath(path)
		if path != rootPath {
			parent = t.parents.intern(parentPath)
		}
		n := makeNode(parent, name, []byte{}, &meta{aversion: aversion, numChildren: children, acl: t.acls.intern(acl)})
		t.nodes.ReplaceOrInsert(n)
		t.nodeDigest += t.digestOf(n)
		t.dataSize += int64(utf16Len(path))
	}
	add(rootPath, OpenACLUnsafe, 0, 1)
	add(procPath, OpenACLUnsafe, 0, 2)
	add(quotaPath, OpenACLUnsafe, 0, 0)
	add(configPath, ReadACLUnsafe, -1, 0)
	return t
}

// probe is a reusable lookup key.
type probe struct {
	buf []byte
}

// get returns the node at path, or nil. "" is the root, as in ZooKeeper.
func (t *Tree) get(path string) *node {
	var parent uint32 // the root's
	var name string
	if path != "" && path != rootPath {
		i := strings.LastIndexByte(path, '/')
		if i < 0 {
			return nil
		}
		id, ok := t.parents.lookup(path[:i])
		if !ok {
			return nil // the parent has no children
		}
		parent, name = id, path[i+1:]
	}
	p := t.probes.Get().(*probe)
	var pn *node
	p.buf, pn = probeChild(p.buf, parent, name)
	n, _ := t.nodes.Get(pn)
	t.probes.Put(p)
	return n
}

// children calls fn with the name of each child of the node with path, in
// byte order, until fn returns false.
func (t *Tree) children(path string, fn func(name string, n *node) bool) {
	t.childNodes(path, func(n *node) bool { return fn(n.name(), n) })
}

// childNodes calls fn with each child of the node with path, in name order,
// until fn returns false, and reports whether fn always returned true.
func (t *Tree) childNodes(path string, fn func(n *node) bool) bool {
	id, ok := t.parents.lookup(asParent(path))
	if !ok {
		return true
	}
	goOn := true
	_, lo := probeChild(nil, id, "")
	t.nodes.AscendGreaterOrEqual(lo, func(n *node) bool {
		if n.parent() != id {
			return false
		}
		goOn = fn(n)
		return goOn
	})
	return goOn
}

// descendants visits every node below path (not path itself), in key order.
func (t *Tree) descendants(path string, fn func(n *node) bool) {
	if path == "" || path == rootPath {
		t.nodes.Ascend(func(n *node) bool {
			if n.first == rootParent {
				return true
			}
			return fn(n)
		})
		return
	}
	// The children come first, then (after the children of paths such as
	// path+"!", which sort between) every node whose parent path starts
	// with path+"/".
	if !t.childNodes(path, fn) {
		return
	}
	below := path + "/"
	_, lo := probeInline(nil, below, "")
	t.nodes.AscendGreaterOrEqual(lo, func(n *node) bool {
		if !strings.HasPrefix(t.parents.path(n.parent()), below) {
			return false
		}
		return fn(n)
	})
}

// statOf returns the Stat ZooKeeper reports for n (DataNode.copyStat).
func (t *Tree) statOf(n *node) jute.Stat {
	m := n.meta()
	return t.stat(&m)
}

// stat returns the Stat ZooKeeper reports for a node with m.
func (t *Tree) stat(m *meta) jute.Stat {
	owner := m.owner
	if t.ephType(owner) != ephNormal {
		owner = 0
	}
	return jute.Stat{
		Czxid:          m.czxid,
		Mzxid:          m.mzxid,
		Ctime:          m.ctime,
		Mtime:          m.mtime,
		Version:        m.version,
		Cversion:       m.cversion*2 - m.numChildren,
		Aversion:       m.aversion,
		EphemeralOwner: owner,
		DataLength:     int32(m.dataLen),
		NumChildren:    m.numChildren,
		Pzxid:          m.pzxid,
	}
}

// LastZxid returns the zxid of the last applied txn (or restored snapshot).
func (t *Tree) LastZxid() int64 { return t.lastZxid }

// GetData answers getData: the node's data (nil for a null buffer; must not
// be modified) and stat. NoNode when it does not exist, NoAuth without READ.
func (t *Tree) GetData(path string, auth []jute.ID) ([]byte, jute.Stat, jute.Err) {
	n := t.get(path)
	if n == nil {
		return nil, jute.Stat{}, jute.ErrNoNode
	}
	m := n.meta()
	if !t.checkACL(t.acls.list(m.acl), jute.PermRead, auth) {
		return nil, jute.Stat{}, jute.ErrNoAuth
	}
	return n.dataOf(&m), t.stat(&m), jute.ErrOK
}

// Exists returns the stat of the node at path without any ACL check.
func (t *Tree) Exists(path string) (jute.Stat, bool) {
	n := t.get(path)
	if n == nil {
		return jute.Stat{}, false
	}
	return t.statOf(n), true
}

// Stat answers the exists request as ZooKeeper 3.9 does: BadArguments for a
// path holding NUL, NoAuth when the node exists but auth lacks READ, NoNode
// when it does not exist.
func (t *Tree) Stat(path string, auth []jute.ID) (jute.Stat, jute.Err) {
	if strings.IndexByte(path, 0) >= 0 {
		return jute.Stat{}, jute.ErrBadArguments
	}
	n := t.get(path)
	if n == nil {
		return jute.Stat{}, jute.ErrNoNode
	}
	m := n.meta()
	if !t.checkACL(t.acls.list(m.acl), jute.PermRead, auth) {
		return jute.Stat{}, jute.ErrNoAuth
	}
	return t.stat(&m), jute.ErrOK
}

// Children answers getChildren and getChildren2: the children's names in
// byte order and the node's stat. NoNode, then NoAuth without READ.
func (t *Tree) Children(path string, auth []jute.ID) ([]string, jute.Stat, jute.Err) {
	n := t.get(path)
	if n == nil {
		return nil, jute.Stat{}, jute.ErrNoNode
	}
	m := n.meta()
	if !t.checkACL(t.acls.list(m.acl), jute.PermRead, auth) {
		return nil, jute.Stat{}, jute.ErrNoAuth
	}
	names := make([]string, 0, m.numChildren)
	t.children(path, func(name string, _ *node) bool {
		names = append(names, name)
		return true
	})
	return names, t.stat(&m), jute.ErrOK
}

// GetACL answers getACL as ZooKeeper 3.9 does: NoNode, then NoAuth unless
// auth has READ or ADMIN; without ADMIN the id of every digest entry is
// shown as "user:x". The result is a copy.
func (t *Tree) GetACL(path string, auth []jute.ID) ([]jute.ACL, jute.Stat, jute.Err) {
	n := t.get(path)
	if n == nil {
		return nil, jute.Stat{}, jute.ErrNoNode
	}
	m := n.meta()
	list := t.acls.list(m.acl)
	if !t.checkACL(list, jute.PermRead|jute.PermAdmin, auth) {
		return nil, jute.Stat{}, jute.ErrNoAuth
	}
	out := make([]jute.ACL, len(list))
	copy(out, list)
	if !t.checkACL(list, jute.PermAdmin, auth) {
		for i := range out {
			if out[i].ID.Scheme == schemeDigest {
				out[i].ID.ID = redactDigest(out[i].ID.ID)
			}
		}
	}
	return out, t.stat(&m), jute.ErrOK
}

// ACL returns the node's ACL without any check or redaction (nil when the
// node does not exist). The slice must not be modified.
func (t *Tree) ACL(path string) []jute.ACL {
	n := t.get(path)
	if n == nil {
		return nil
	}
	return t.aclOf(n)
}

// Ephemerals answers getEphemerals: the paths of the session's ephemeral
// nodes that start with prefix (all of them when prefix is blank or "/"),
// sorted.
func (t *Tree) Ephemerals(session int64, prefix string) []string {
	trimmed := strings.TrimFunc(prefix, func(r rune) bool { return r <= ' ' })
	all := trimmed == "" || trimmed == rootPath
	out := []string{}
	for p := range t.ephemerals[session] {
		if all || strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// AllChildrenNumber answers getAllChildrenNumber: the number of nodes below
// path at any depth. NoNode, then NoAuth without READ. For "/" it counts
// every node but the root (ZooKeeper's node count minus its two entries for
// the root).
func (t *Tree) AllChildrenNumber(path string, auth []jute.ID) (int32, jute.Err) {
	n := t.get(path)
	if n == nil {
		return 0, jute.ErrNoNode
	}
	if !t.checkACL(t.aclOf(n), jute.PermRead, auth) {
		return 0, jute.ErrNoAuth
	}
	switch path {
	case rootPath:
		return int32(t.nodes.Len() - 1), jute.ErrOK
	case "":
		// ZooKeeper counts the keys starting with "/": every node.
		return int32(t.nodes.Len()), jute.ErrOK
	}
	var c int32
	t.descendants(path, func(*node) bool { c++; return true })
	return c, jute.ErrOK
}

// MultiRead answers multiRead: one result per op, getData
// (*jute.GetDataResponse) or getChildren (*jute.StringsResponse), or an
// error result with the op's code. An op of any other type fails the whole
// request with MarshallingError, as ZooKeeper does. An op's body may be
// *jute.PathWatchRequest (ZooKeeper's GetDataRequest and GetChildrenRequest)
// or *jute.PathRequest. Data in the results must not be modified (see
// GetData).
func (t *Tree) MultiRead(req *jute.MultiRequest, auth []jute.ID) (*jute.MultiResponse, jute.Err) {
	if req == nil {
		return nil, jute.ErrMarshallingError
	}
	resp := &jute.MultiResponse{Results: make([]jute.MultiResult, 0, len(req.Ops))}
	for _, op := range req.Ops {
		var path string
		switch b := op.Body.(type) {
		case *jute.PathWatchRequest:
			path = b.Path
		case *jute.PathRequest:
			path = b.Path
		default:
			return nil, jute.ErrMarshallingError
		}
		switch op.Type {
		case jute.OpGetData:
			data, st, err := t.GetData(path, auth)
			if err != jute.ErrOK {
				resp.Results = append(resp.Results, jute.MultiResult{Type: jute.OpError, Err: err})
				continue
			}
			resp.Results = append(resp.Results, jute.MultiResult{Type: jute.OpGetData,
				Body: &jute.GetDataResponse{Data: data, Stat: st}})
		case jute.OpGetChildren:
			names, _, err := t.Children(path, auth)
			if err != jute.ErrOK {
				resp.Results = append(resp.Results, jute.MultiResult{Type: jute.OpError, Err: err})
				continue
			}
			resp.Results = append(resp.Results, jute.MultiResult{Type: jute.OpGetChildren,
				Body: &jute.StringsResponse{Strings: names}})
		default:
			return nil, jute.ErrMarshallingError
		}
	}
	return resp, jute.ErrOK
}

// Sessions returns a copy of the open sessions.
func (t *Tree) Sessions() map[int64]SessionInfo {
	m := make(map[int64]SessionInfo, len(t.sessions))
	for id, s := range t.sessions {
		m[id] = s
	}
	return m
}

// Session returns one open session.
func (t *Tree) Session(id int64) (SessionInfo, bool) {
	s, ok := t.sessions[id]
	return s, ok
}

// NodeCount returns the number of znodes. ZooKeeper's zk_znode_count
// (DataTree.getNodeCount) is one more: its node table holds the root twice,
// under "" and "/".
func (t *Tree) NodeCount() int { return t.nodes.Len() }

// ApproxDataSize returns the sum over all znodes of the length of the path
// (in UTF-16 code units, as Java counts) and of the data: ZooKeeper's
// zk_approximate_data_size.
func (t *Tree) ApproxDataSize() int64 { return t.dataSize }

// EphemeralCount returns the number of ephemeral nodes (zk_ephemerals_count).
func (t *Tree) EphemeralCount() int {
	c := 0
	for _, s := range t.ephemerals {
		c += len(s)
	}
	return c
}

// ExpiredCandidates returns, sorted, what ZooKeeper's ContainerManager would
// delete at time now (ms since the epoch): empty containers that once had a
// child (or, with ContainerMaxNeverUsedMs, are older than that), and empty
// TTL nodes not modified for longer than their TTL. The caller deletes each
// with a deleteContainer txn, which deletes only what is still eligible.
func (t *Tree) ExpiredCandidates(now int64) []string {
	var out []string
	for p := range t.containers {
		if n := t.get(p); n != nil && t.expired(n, now) {
			out = append(out, p)
		}
	}
	for p := range t.ttls {
		if n := t.get(p); n != nil && t.expired(n, now) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// expired reports whether ContainerManager would delete n at time now.
func (t *Tree) expired(n *node, now int64) bool {
	m := n.meta()
	if m.numChildren != 0 {
		return false
	}
	switch t.ephType(m.owner) {
	case ephContainer:
		if m.cversion > 0 {
			return true
		}
		return t.opts.ContainerMaxNeverUsedMs != 0 && now-m.mtime > t.opts.ContainerMaxNeverUsedMs
	case ephTTL:
		ttl := int64(uint64(m.owner) & extendedValueMask)
		return ttl != 0 && now-m.mtime > ttl
	}
	return false
}

// Digest returns an order-independent digest of everything Apply changes:
// every node (path, data, stat, ACL), the sessions and the quota paths. Two
// trees that applied the same txns have the same digest. It is maintained
// incrementally, so the call is O(1).
func (t *Tree) Digest() uint64 {
	return t.nodeDigest + mix64(t.sessionDigest^0x5e55) + mix64(t.quotaDigest^0x9407a)
}
