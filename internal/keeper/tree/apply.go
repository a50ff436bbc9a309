package tree

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Result is the outcome of Apply.
type Result struct {
	// Err is the code of the reply header. A multi answers OK and carries
	// the per-op codes in its MultiResponse.
	Err jute.Err
	// Resp is the reply body, nil when there is none (delete, check,
	// createSession, closeSession, every error): *jute.PathRequest (create),
	// *jute.Create2Response (create2, createTTL, createContainer),
	// *jute.StatResponse (setData, setACL), *jute.MultiResponse (multi).
	Resp jute.Record
	// Events are the watch notifications the txn causes, in order; none
	// when it fails.
	Events []Event
	// Path is the path of the created node for the create ops.
	Path string
}

// Apply applies one txn and returns ZooKeeper's answer. It works in the
// txn's scratch space (see Txn), where it may leave the Result's Events and
// Resp: they stay valid until txn is applied again. It is
// deterministic: only the tree and the txn decide the outcome (times come
// from txn.Time). A txn that fails leaves the tree unchanged except for
// LastZxid, which becomes txn.Zxid whatever the outcome (ZooKeeper logs
// failed txns too).
//
// The checks run in PrepRequestProcessor's order; besides those Apply
// refuses an ephemeral create for a session the tree does not know
// (SessionExpired), since the node could never be removed.
func (t *Tree) Apply(txn *Txn) Result {
	r := t.apply(txn)
	t.lastZxid = txn.Zxid
	return r
}

func (t *Tree) apply(txn *Txn) Result {
	if txn.Op == jute.OpMulti {
		return t.applyMulti(txn)
	}
	if txn.Op == jute.OpCloseSession {
		return t.closeSession(txn)
	}
	if txn.Op == jute.OpDeleteContainer {
		var path string
		switch body := txn.Body.(type) {
		case *jute.PathRequest:
			if body == nil {
				return Result{Err: jute.ErrMarshallingError}
			}
			path = body.Path
		case *jute.PathVersionRequest:
			if body == nil {
				return Result{Err: jute.ErrMarshallingError}
			}
			path = body.Path
		default:
			return Result{Err: jute.ErrMarshallingError}
		}
		b := batch{t: t, txn: txn}
		if err := b.deleteContainer(path); err != jute.ErrOK {
			return Result{Err: err}
		}
		return Result{Events: b.commit()}
	}
	switch txn.Op {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL, jute.OpDelete,
		jute.OpCheck, jute.OpSetData, jute.OpSetACL, jute.OpCreateSession:
	default:
		// reconfig is not supported yet; anything else is not a write.
		return Result{Err: jute.ErrUnimplemented}
	}
	if !bodyFits(txn.Op, txn.Body) {
		return Result{Err: jute.ErrMarshallingError}
	}
	if txn.Op == jute.OpCreateSession {
		return t.createSession(txn.Session, txn.Body.(*CreateSession))
	}
	b := &txn.scratch.b // not a local: it would escape (b.prims points into b)
	*b = batch{t: t, txn: txn}
	pi, err := -1, jute.ErrOK
	switch txn.Op {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer:
		r := txn.Body.(*jute.CreateRequest)
		pi, err = b.create(txn.Op, r.Path, r.Data, r.ACL, r.Flags, -1)
	case jute.OpCreateTTL:
		r := txn.Body.(*jute.CreateTTLRequest)
		pi, err = b.create(txn.Op, r.Path, r.Data, r.ACL, r.Flags, r.TTL)
	case jute.OpDelete:
		r := txn.Body.(*jute.PathVersionRequest)
		pi, err = b.delete(r.Path, r.Version)
	case jute.OpCheck:
		r := txn.Body.(*jute.PathVersionRequest)
		err = b.check(r.Path, r.Version)
	case jute.OpSetData:
		r := txn.Body.(*jute.SetDataRequest)
		pi, err = b.setData(r.Path, r.Data, r.Version)
	case jute.OpSetACL:
		r := txn.Body.(*jute.SetACLRequest)
		pi, err = b.setACL(r.Path, r.ACL, r.Version)
	}
	r := b.single(txn.Op, pi, err)
	*b = batch{} // keep no node alive
	return r
}

// single commits a one-op batch and builds its result; prim is the index
// of the prim whose stat the reply carries, or -1.
func (b *batch) single(op jute.OpCode, prim int, err jute.Err) Result {
	if err != jute.ErrOK {
		return Result{Err: err}
	}
	r := Result{Events: b.commit()}
	if prim < 0 {
		return r
	}
	p := &b.prims[prim]
	switch op {
	case jute.OpCreate:
		r.Path = p.path
		r.Resp = &jute.PathRequest{Path: p.path}
	case jute.OpCreate2, jute.OpCreateTTL, jute.OpCreateContainer:
		r.Path = p.path
		r.Resp = &jute.Create2Response{Path: p.path, Stat: p.stat}
	case jute.OpSetData, jute.OpSetACL:
		resp := &b.txn.scratch.stat
		*resp = jute.StatResponse{Stat: p.stat}
		r.Resp = resp
	}
	return r
}

func (t *Tree) createSession(id int64, cs *CreateSession) Result {
	if old, ok := t.sessions[id]; ok {
		t.sessionDigest -= sessionHash(id, old)
	}
	s := SessionInfo{Timeout: cs.Timeout, Passwd: bytes.Clone(cs.Passwd)}
	t.sessions[id] = s
	t.sessionDigest += sessionHash(id, s)
	return Result{}
}

// closeSession deletes the session's ephemeral nodes, in path order, and
// forgets the session. An unknown session is not an error.
func (t *Tree) closeSession(txn *Txn) Result {
	paths := make([]string, 0, len(t.ephemerals[txn.Session]))
	for p := range t.ephemerals[txn.Session] {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	b := batch{t: t, txn: txn}
	for _, p := range paths {
		parent, name, _ := splitPath(p)
		b.stage(prim{kind: primDelete, path: p, parent: parent, name: name})
	}
	ev := b.commit()
	if s, ok := t.sessions[txn.Session]; ok {
		t.sessionDigest -= sessionHash(txn.Session, s)
		delete(t.sessions, txn.Session)
	}
	return Result{Events: ev}
}

// createMode is CreateMode.
type createMode struct {
	ephemeral, sequential, container, ttl bool
}

// modeOf is CreateMode.fromFlag.
func modeOf(flags int32) (createMode, bool) {
	switch flags {
	case jute.ModePersistent:
		return createMode{}, true
	case jute.ModeEphemeral:
		return createMode{ephemeral: true}, true
	case jute.ModePersistentSequential:
		return createMode{sequential: true}, true
	case jute.ModeEphemeralSequential:
		return createMode{ephemeral: true, sequential: true}, true
	case jute.ModeContainer:
		return createMode{container: true}, true
	case jute.ModePersistentWithTTL:
		return createMode{ttl: true}, true
	case jute.ModePersistentSequentialWithTTL:
		return createMode{sequential: true, ttl: true}, true
	}
	return createMode{}, false
}

// Kinds of primitive change, the operations of ZooKeeper's DataTree.
type primKind uint8

const (
	primCreate primKind = iota + 1
	primDelete
	primSetData
	primSetACL
)

// prim is one primitive change, decided while validating and carried out
// by commit.
type prim struct {
	kind         primKind
	path         string
	parent, name string     // create, delete
	node         *node      // create: the new node (its ACL interned)
	acl          []jute.ACL // setACL: the fixed-up ACL
	cversion     int32      // create: the parent's new (stored) cversion
	data         []byte     // setData
	version      int32      // setData: the new version; setACL: the new aversion
	stat         jute.Stat  // filled by commit: the node's stat after the change
	// cur and curParent are the node and its parent as validation saw
	// them, set only for a txn of one prim, where commit may use them
	// instead of looking them up again.
	cur, curParent *node
}

// batch validates the ops of one txn against the tree plus the changes of
// the ops before them, then commits them all.
type batch struct {
	t   *Tree
	txn *Txn
	// view holds, inside a multi, the nodes as the staged prims leave
	// them, by path (nil for deleted). Outside a multi it is nil and
	// nothing is staged before validation ends.
	view  map[string]*node
	prims []prim
	one   [1]prim // backing store for the common single prim
}

// cached returns n when validation results may be reused by commit.
func (b *batch) cached(n *node) *node {
	if b.view != nil {
		return nil
	}
	return n
}

func viewKey(path string) string {
	if path == "" {
		return rootPath
	}
	return path
}

func (b *batch) get(path string) *node {
	if b.view != nil {
		if n, ok := b.view[viewKey(path)]; ok {
			return n
		}
	}
	return b.t.get(path)
}

// stage records p and, inside a multi, its effect on the view.
func (b *batch) stage(p prim) int {
	if b.prims == nil {
		b.prims = b.one[:0]
	}
	b.prims = append(b.prims, p)
	if b.view == nil {
		return len(b.prims) - 1
	}
	zxid := b.txn.Zxid
	switch p.kind {
	case primCreate:
		b.view[p.path] = p.node
		par := b.get(p.parent)
		m := par.meta()
		childCreated(&m, p.cversion, zxid)
		b.view[viewKey(p.parent)] = par.withMeta(&m)
	case primDelete:
		par := b.get(p.parent)
		m := par.meta()
		childDeleted(&m, zxid)
		b.view[viewKey(p.parent)] = par.withMeta(&m)
		b.view[p.path] = nil
	case primSetData:
		n := b.get(p.path)
		m := n.meta()
		dataSet(&m, p.version, zxid, b.txn.Time)
		b.view[p.path] = n.withDataMeta(p.data, &m)
	}
	return len(b.prims) - 1
}

// childCreated is what DataTree.createNode does to the parent's stat;
// cversion is the parent's new stored cversion.
func childCreated(m *meta, cversion int32, zxid int64) {
	m.numChildren++
	if cversion > m.cversion {
		m.cversion = cversion
		m.pzxid = zxid
	}
}

// childDeleted is what DataTree.deleteNode does to the parent's stat.
func childDeleted(m *meta, zxid int64) {
	m.numChildren--
	if zxid > m.pzxid {
		m.pzxid = zxid
	}
}

// dataSet is what DataTree.setData does to the node's stat.
func dataSet(m *meta, version int32, zxid, time int64) {
	m.version = version
	m.mtime = time
	m.mzxid = zxid
}

// create validates a create of any kind (PrepRequestProcessor.
// pRequest2TxnCreate) and stages it; ttl is -1 for the ops without one.
func (b *batch) create(op jute.OpCode, path string, data []byte, acl []jute.ACL, flags int32, ttl int64) (int, jute.Err) {
	t := b.t
	mode, ok := modeOf(flags)
	if !ok {
		return -1, jute.ErrBadArguments
	}
	if mode.ttl && !t.opts.ExtendedTypes {
		return -1, jute.ErrUnimplemented
	}
	if mode.ttl {
		if ttl <= 0 || ttl > MaxTTL {
			return -1, jute.ErrBadArguments
		}
	} else if ttl >= 0 {
		return -1, jute.ErrBadArguments
	}
	if mode.ephemeral {
		if _, ok := t.sessions[b.txn.Session]; !ok {
			return -1, jute.ErrSessionExpired
		}
	}
	parentPath, _, ok := splitPath(path)
	if !ok || strings.IndexByte(path, 0) >= 0 {
		return -1, jute.ErrBadArguments
	}
	fixed, err := t.fixupACL(acl, b.txn.Auth)
	if err != jute.ErrOK {
		return -1, err
	}
	parent := b.get(parentPath)
	if parent == nil {
		return -1, jute.ErrNoNode
	}
	pm := parent.meta()
	if !t.checkACL(t.acls.list(pm.acl), jute.PermCreate, b.txn.Auth) {
		return -1, jute.ErrNoAuth
	}
	if mode.sequential {
		path += fmt.Sprintf("%010d", pm.cversion)
	}
	if pathProblem(path) != "" {
		return -1, jute.ErrBadArguments
	}
	if b.get(path) != nil {
		return -1, jute.ErrNodeExists
	}
	if t.ephType(pm.owner) == ephNormal {
		return -1, jute.ErrNoChildrenForEphemerals
	}
	if op == jute.OpCreateTTL && !mode.ttl {
		// ZooKeeper's checks pass this (ttl < 0 with a mode without TTL),
		// and applying it then throws.
		return -1, jute.ErrBadArguments
	}
	var owner int64
	switch {
	case op == jute.OpCreateContainer:
		owner = containerOwner
	case op == jute.OpCreateTTL:
		owner = ttlOwner(ttl)
	case mode.ephemeral:
		owner = b.txn.Session
	}
	// The parent path of a valid path is valid, so path names its node.
	parentPath, name, _ := splitPath(path)
	// The ACL and the parent path are interned now, so that later ops of a
	// multi see them; a multi that fails releases them (see unstage).
	n := makeNode(t.parents.intern(parentPath), name, data, &meta{
		czxid: b.txn.Zxid, mzxid: b.txn.Zxid, pzxid: b.txn.Zxid,
		ctime: b.txn.Time, mtime: b.txn.Time, owner: owner, acl: t.acls.intern(fixed),
	})
	return b.stage(prim{kind: primCreate, path: path, parent: parentPath, name: name, node: n,
		cversion: pm.cversion + 1, curParent: b.cached(parent)}), jute.ErrOK
}

// parentForDelete is getParentPathAndValidate.
func parentForDelete(path string) (parent, name string, err jute.Err) {
	parent, name, ok := splitPath(path)
	if !ok || strings.IndexByte(path, 0) >= 0 || isSpecialPath(path) {
		return "", "", jute.ErrBadArguments
	}
	return parent, name, jute.ErrOK
}

func (b *batch) delete(path string, version int32) (int, jute.Err) {
	parentPath, name, err := parentForDelete(path)
	if err != jute.ErrOK {
		return -1, err
	}
	parent := b.get(parentPath)
	if parent == nil {
		return -1, jute.ErrNoNode
	}
	if !b.t.checkACL(b.t.aclOf(parent), jute.PermDelete, b.txn.Auth) {
		return -1, jute.ErrNoAuth
	}
	n := b.get(path)
	if n == nil {
		return -1, jute.ErrNoNode
	}
	m := n.meta()
	if version != -1 && version != m.version {
		return -1, jute.ErrBadVersion
	}
	if m.numChildren > 0 {
		return -1, jute.ErrNotEmpty
	}
	return b.stage(prim{kind: primDelete, path: path, parent: parentPath, name: name,
		cur: b.cached(n), curParent: b.cached(parent)}), jute.ErrOK
}

// deleteContainer deletes path only while ExpiredCandidates would still
// name it at the txn's time (BadVersion otherwise, ZooKeeper's code for a
// node that is not a container).
func (b *batch) deleteContainer(path string) jute.Err {
	parentPath, name, err := parentForDelete(path)
	if err != jute.ErrOK {
		return err
	}
	n := b.get(path)
	if n == nil {
		return jute.ErrNoNode
	}
	if m := n.meta(); m.numChildren > 0 {
		return jute.ErrNotEmpty
	}
	if !b.t.expired(n, b.txn.Time) {
		return jute.ErrBadVersion
	}
	if b.get(parentPath) == nil {
		return jute.ErrNoNode
	}
	b.stage(prim{kind: primDelete, path: path, parent: parentPath, name: name})
	return jute.ErrOK
}

func (b *batch) setData(path string, data []byte, version int32) (int, jute.Err) {
	if pathProblem(path) != "" {
		return -1, jute.ErrBadArguments
	}
	n := b.get(path)
	if n == nil {
		return -1, jute.ErrNoNode
	}
	m := n.meta()
	if !b.t.checkACL(b.t.acls.list(m.acl), jute.PermWrite, b.txn.Auth) {
		return -1, jute.ErrNoAuth
	}
	if version != -1 && version != m.version {
		return -1, jute.ErrBadVersion
	}
	return b.stage(prim{kind: primSetData, path: path, data: data, version: m.version + 1, cur: b.cached(n)}), jute.ErrOK
}

func (b *batch) setACL(path string, acl []jute.ACL, version int32) (int, jute.Err) {
	if pathProblem(path) != "" {
		return -1, jute.ErrBadArguments
	}
	fixed, err := b.t.fixupACL(acl, b.txn.Auth)
	if err != jute.ErrOK {
		return -1, err
	}
	n := b.get(path)
	if n == nil {
		return -1, jute.ErrNoNode
	}
	m := n.meta()
	if !b.t.checkACL(b.t.acls.list(m.acl), jute.PermAdmin, b.txn.Auth) {
		return -1, jute.ErrNoAuth
	}
	if version != -1 && version != m.aversion {
		return -1, jute.ErrBadVersion
	}
	return b.stage(prim{kind: primSetACL, path: path, acl: fixed, version: m.aversion + 1, cur: b.cached(n)}), jute.ErrOK
}

func (b *batch) check(path string, version int32) jute.Err {
	if pathProblem(path) != "" {
		return jute.ErrBadArguments
	}
	n := b.get(path)
	if n == nil {
		return jute.ErrNoNode
	}
	m := n.meta()
	if !b.t.checkACL(b.t.acls.list(m.acl), jute.PermRead, b.txn.Auth) {
		return jute.ErrNoAuth
	}
	if version != -1 && version != m.version {
		return jute.ErrBadVersion
	}
	return jute.ErrOK
}

// multiOp is one op of a multi after ZooKeeper 3.9's
// MultiOperationRecord.deserialize has reinterpreted it.
type multiOp struct {
	typ     jute.OpCode
	path    string
	data    []byte
	acl     []jute.ACL
	flags   int32
	ttl     int64
	version int32
}

// normalize turns a multi op into what ZooKeeper 3.9 processes. ok is false
// when ZooKeeper fails the whole request with MarshallingError: an op that
// is not a write, a create with an unknown or TTL mode or a null ACL.
// A create whose mode is container becomes createContainer; a createTTL
// whose mode is not TTL becomes create (or createContainer) without TTL.
func normalize(o jute.MultiOp) (multiOp, bool) {
	if !multiBodyFits(o.Type, o.Body) {
		return multiOp{}, false
	}
	switch o.Type {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer:
		r := o.Body.(*jute.CreateRequest)
		mode, ok := modeOf(r.Flags)
		if !ok || mode.ttl || r.ACL == nil {
			return multiOp{}, false
		}
		typ := o.Type
		if mode.container {
			typ = jute.OpCreateContainer
		}
		return multiOp{typ: typ, path: r.Path, data: r.Data, acl: r.ACL, flags: r.Flags, ttl: -1}, true
	case jute.OpCreateTTL:
		r := o.Body.(*jute.CreateTTLRequest)
		m := multiOp{typ: jute.OpCreate, path: r.Path, data: r.Data, acl: r.ACL, flags: r.Flags, ttl: -1}
		if mode, ok := modeOf(r.Flags); ok {
			switch {
			case mode.ttl:
				m.typ, m.ttl = jute.OpCreateTTL, r.TTL
			case mode.container:
				m.typ = jute.OpCreateContainer
			}
		}
		return m, true
	case jute.OpDelete, jute.OpCheck:
		r := o.Body.(*jute.PathVersionRequest)
		return multiOp{typ: o.Type, path: r.Path, version: r.Version}, true
	default: // setData
		r := o.Body.(*jute.SetDataRequest)
		return multiOp{typ: o.Type, path: r.Path, data: r.Data, version: r.Version}, true
	}
}

// applyMulti applies a multi atomically. When an op fails nothing changes
// and the results are ZooKeeper's: OK error results for the ops before it,
// its code, RuntimeInconsistency for the ops after it; the header is OK.
func (t *Tree) applyMulti(txn *Txn) Result {
	req, ok := txn.Body.(*jute.MultiRequest)
	if !ok || req == nil {
		return Result{Err: jute.ErrMarshallingError}
	}
	ops := make([]multiOp, len(req.Ops))
	for i, o := range req.Ops {
		if ops[i], ok = normalize(o); !ok {
			return Result{Err: jute.ErrMarshallingError}
		}
	}
	b := batch{t: t, txn: txn, view: make(map[string]*node, 2*len(ops))}
	primOf := make([]int, len(ops))
	failed, code := -1, jute.ErrOK
	for i, op := range ops {
		var err jute.Err
		primOf[i] = -1
		switch op.typ {
		case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
			primOf[i], err = b.create(op.typ, op.path, op.data, op.acl, op.flags, op.ttl)
		case jute.OpDelete:
			primOf[i], err = b.delete(op.path, op.version)
		case jute.OpSetData:
			primOf[i], err = b.setData(op.path, op.data, op.version)
		case jute.OpCheck:
			err = b.check(op.path, op.version)
		}
		if err != jute.ErrOK {
			failed, code = i, err
			break
		}
	}
	results := make([]jute.MultiResult, len(ops))
	if failed >= 0 {
		b.unstage()
		for i := range results {
			switch {
			case i < failed:
				results[i] = jute.MultiResult{Type: jute.OpError, Err: jute.ErrOK}
			case i == failed:
				results[i] = jute.MultiResult{Type: jute.OpError, Err: code}
			default:
				results[i] = jute.MultiResult{Type: jute.OpError, Err: jute.ErrRuntimeInconsistency}
			}
		}
		return Result{Resp: &jute.MultiResponse{Results: results}}
	}
	ev := b.commit()
	for i, op := range ops {
		res := jute.MultiResult{Type: op.typ}
		switch op.typ {
		case jute.OpCreate:
			res.Body = &jute.PathRequest{Path: b.prims[primOf[i]].path}
		case jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
			p := &b.prims[primOf[i]]
			res.Body = &jute.Create2Response{Path: p.path, Stat: p.stat}
		case jute.OpSetData:
			res.Body = &jute.StatResponse{Stat: b.prims[primOf[i]].stat}
		}
		results[i] = res
	}
	return Result{Resp: &jute.MultiResponse{Results: results}, Events: ev}
}

// unstage releases what validation took for the staged prims of a batch
// that will not be committed: the ACL references of new nodes.
func (b *batch) unstage() {
	for i := range b.prims {
		if p := &b.prims[i]; p.kind == primCreate {
			m := p.node.meta()
			b.t.acls.release(m.acl)
			b.t.parents.release(p.node.parent())
		}
	}
}

// commit carries out the staged prims in order and returns the events (nil
// for none), in the txn's scratch space when they fit.
func (b *batch) commit() []Event {
	ev := b.txn.scratch.events[:0]
	for i := range b.prims {
		p := &b.prims[i]
		switch p.kind {
		case primCreate:
			p.stat = b.t.commitCreate(p, b.txn.Zxid, &ev)
		case primDelete:
			b.t.commitDelete(p, b.txn.Zxid, &ev)
		case primSetData:
			p.stat = b.t.commitSetData(p, b.txn.Zxid, b.txn.Time, &ev)
		case primSetACL:
			p.stat = b.t.commitSetACL(p)
		}
	}
	if len(ev) == 0 {
		return nil
	}
	return ev
}

// replaceMeta puts nw in place of old when only stat fields or the ACL
// differ.
func (t *Tree) replaceMeta(old, nw *node) {
	t.nodes.ReplaceOrInsert(nw)
	kh := t.keyHash(old)
	t.nodeDigest += t.metaPart(kh, nw) - t.metaPart(kh, old)
}

// replaceFull puts nw in place of old when the data may differ too.
func (t *Tree) replaceFull(old, nw *node) {
	t.nodes.ReplaceOrInsert(nw)
	t.nodeDigest += t.digestOf(nw) - t.digestOf(old)
	t.dataSize += int64(nw.dataLen() - old.dataLen())
}

// commitCreate is DataTree.createNode.
func (t *Tree) commitCreate(p *prim, zxid int64, ev *[]Event) jute.Stat {
	par := p.curParent
	if par == nil {
		par = t.get(p.parent)
	}
	if par != nil {
		m := par.meta()
		childCreated(&m, p.cversion, zxid)
		t.replaceMeta(par, par.withMeta(&m))
	}
	n := p.node
	m := n.meta()
	t.nodes.ReplaceOrInsert(n)
	t.nodeDigest += t.digestOf(n)
	t.dataSize += int64(utf16Len(p.path) + m.dataLen)
	t.index(p.path, m.owner)
	st := t.stat(&m)
	t.quotaOnCreate(p.parent, p.name, p.path, m.dataLen)
	*ev = append(*ev, Event{Type: EventNodeCreated, Path: p.path, ACL: t.acls.list(m.acl)},
		Event{Type: EventNodeChildrenChanged, Path: eventParent(p.parent), ACL: t.aclOf(par)})
	return st
}

// index adds the node at path with owner to the container, TTL or
// ephemeral index.
func (t *Tree) index(path string, owner int64) {
	switch t.ephType(owner) {
	case ephContainer:
		t.containers[path] = struct{}{}
	case ephTTL:
		t.ttls[path] = struct{}{}
	case ephNormal:
		s := t.ephemerals[owner]
		if s == nil {
			s = make(map[string]struct{})
			t.ephemerals[owner] = s
		}
		s[path] = struct{}{}
	}
}

// unindex removes the node at path with owner from the index that holds
// it.
func (t *Tree) unindex(path string, owner int64) {
	switch t.ephType(owner) {
	case ephContainer:
		delete(t.containers, path)
	case ephTTL:
		delete(t.ttls, path)
	case ephNormal:
		if s := t.ephemerals[owner]; s != nil {
			delete(s, path)
			if len(s) == 0 {
				delete(t.ephemerals, owner)
			}
		}
	}
}

// commitDelete is DataTree.deleteNode.
func (t *Tree) commitDelete(p *prim, zxid int64, ev *[]Event) {
	par := p.curParent
	if par == nil {
		par = t.get(p.parent)
	}
	if par != nil {
		m := par.meta()
		childDeleted(&m, zxid)
		t.replaceMeta(par, par.withMeta(&m))
	}
	n := p.cur
	if n == nil {
		n = t.get(p.path)
	}
	if n == nil {
		return
	}
	m := n.meta()
	acl := t.acls.list(m.acl)
	t.nodes.Delete(n)
	t.nodeDigest -= t.digestOf(n)
	t.dataSize -= int64(utf16Len(p.path) + m.dataLen)
	t.acls.release(m.acl)
	t.parents.release(n.parent()) // after digestOf, which needs the path
	t.unindex(p.path, m.owner)
	t.quotaOnDelete(p.parent, p.name, p.path, m.dataLen)
	*ev = append(*ev, Event{Type: EventNodeDeleted, Path: p.path, ACL: acl},
		Event{Type: EventNodeChildrenChanged, Path: eventParent(p.parent), ACL: t.aclOf(par)})
}

// commitSetData is DataTree.setData.
func (t *Tree) commitSetData(p *prim, zxid, time int64, ev *[]Event) jute.Stat {
	n := p.cur
	if n == nil {
		n = t.get(p.path)
	}
	m := n.meta()
	oldLen := m.dataLen
	dataSet(&m, p.version, zxid, time)
	nn := n.withDataMeta(p.data, &m)
	t.replaceFull(n, nn)
	m.dataLen = len(p.data)
	st := t.stat(&m)
	if len(t.quotas) > 0 {
		if prefix := t.maxQuotaPrefix(p.path); prefix != "" {
			t.updateQuotaStat(prefix, int64(m.dataLen-oldLen), 0)
		}
	}
	*ev = append(*ev, Event{Type: EventNodeDataChanged, Path: p.path, ACL: t.acls.list(m.acl)})
	return st
}

// commitSetACL is DataTree.setACL; it triggers no watch.
func (t *Tree) commitSetACL(p *prim) jute.Stat {
	n := p.cur
	if n == nil {
		n = t.get(p.path)
	}
	m := n.meta()
	old := m.acl
	m.acl = t.acls.intern(p.acl)
	m.aversion = p.version
	t.replaceMeta(n, n.withMeta(&m)) // hashes the old ACL: release it after
	t.acls.release(old)
	return t.stat(&m)
}

// aclOf returns n's ACL list, or nil for a nil node.
func (t *Tree) aclOf(n *node) []jute.ACL {
	if n == nil {
		return nil
	}
	m := n.meta()
	return t.acls.list(m.acl)
}
