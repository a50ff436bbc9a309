package tree

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sort"
	"unsafe"

	"github.com/google/btree"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Errors of Restore (wrapped with details).
var (
	// ErrSnapshotTruncated means the input ended before the end record:
	// a torn or partial snapshot.
	ErrSnapshotTruncated = errors.New("tree: snapshot truncated")
	// ErrSnapshotCorrupt means the input is damaged or inconsistent: bad
	// magic, a checksum mismatch, a malformed or misplaced record, counts
	// or digest that do not match, bytes after the end record.
	ErrSnapshotCorrupt = errors.New("tree: snapshot corrupt")
	// ErrSnapshotVersion means the snapshot has a format version this code
	// does not read.
	ErrSnapshotVersion = errors.New("tree: unknown snapshot format version")
)

// Snapshot format constants. Frozen: a new layout gets a new version.
const (
	snapMagic   = "ZKTSNAP"
	snapVersion = 1

	recHeader  = 'H'
	recSession = 'S'
	recQuota   = 'Q'
	recACL     = 'A'
	recNode    = 'N'
	recEnd     = 'E'

	frameHeaderLen = 8
	maxFrameLen    = 1 << 30
)

// Frozen is a point-in-time copy of a tree, made by Snapshot in O(1) (plus a
// copy of the sessions). It may be written by another goroutine while Apply
// goes on changing the tree.
//
// The Frozen only ever walks its B-tree in order (Ascend): a search would
// compare its nodes by the live tree's parent table, whose ids it no longer
// shares. Its nodes' parent paths come from parents, its own view of the
// table.
type Frozen struct {
	nodes   *btree.BTreeG[*node]
	parents parentView
	// acls resolves the nodes' ACL ids: a copy of the cache's table, whose
	// entries (list and hash) never change.
	acls     []*aclEntry
	sessions map[int64]SessionInfo
	quotas   []string
	zxid     int64
	digest   uint64
}

// Snapshot returns a frozen copy of the tree. Like Apply it needs exclusive
// access to the tree for the duration of the call.
func (t *Tree) Snapshot() *Frozen {
	q := make([]string, 0, len(t.quotas))
	for p := range t.quotas {
		q = append(q, p)
	}
	sort.Strings(q)
	return &Frozen{
		nodes:    t.nodes.Clone(),
		parents:  t.parents.freeze(),
		acls:     slices.Clone(t.acls.entries),
		sessions: t.Sessions(),
		quotas:   q,
		zxid:     t.lastZxid,
		digest:   t.Digest(),
	}
}

// Zxid returns the zxid of the last txn the frozen tree includes.
func (f *Frozen) Zxid() int64 { return f.zxid }

// Digest returns the tree digest at the time of the snapshot.
func (f *Frozen) Digest() uint64 { return f.digest }

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type frameWriter struct {
	w   *bufio.Writer
	e   jute.Encoder
	h   [frameHeaderLen + 1]byte
	err error
}

// frame writes one record: the body is what f.e holds.
func (fw *frameWriter) frame(typ byte) {
	if fw.err != nil {
		return
	}
	body := fw.e.Bytes()
	h := fw.h[:]
	h[8] = typ
	binary.BigEndian.PutUint32(h[0:], uint32(len(body)+1))
	binary.BigEndian.PutUint32(h[4:], crc32.Update(crc32.Update(0, crcTable, h[8:9]), crcTable, body))
	if _, err := fw.w.Write(h); err != nil {
		fw.err = err
		return
	}
	if _, err := fw.w.Write(body); err != nil {
		fw.err = err
	}
}

// WriteTo writes the snapshot to w (see the package documentation for the
// format) and returns the number of bytes written.
func (f *Frozen) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	fw := &frameWriter{w: bufio.NewWriterSize(cw, 256<<10)}
	if _, err := fw.w.WriteString(snapMagic + string(rune(snapVersion))); err != nil {
		return cw.n, fmt.Errorf("writing snapshot: %w", err)
	}
	fw.e.Reset()
	fw.e.Long(f.zxid)
	fw.frame(recHeader)

	ids := make([]int64, 0, len(f.sessions))
	for id := range f.sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := f.sessions[id]
		fw.e.Reset()
		fw.e.Long(id)
		fw.e.Int(s.Timeout)
		fw.e.Buffer(s.Passwd)
		fw.frame(recSession)
	}
	for _, q := range f.quotas {
		fw.e.Reset()
		fw.e.String(q)
		fw.frame(recQuota)
	}

	aclIndex := make(map[aclID]int32)
	var nodes int64
	var pathBuf []byte
	f.nodes.Ascend(func(n *node) bool {
		m := n.meta()
		idx, ok := aclIndex[m.acl]
		if !ok {
			idx = int32(len(aclIndex))
			aclIndex[m.acl] = idx
			fw.e.Reset()
			jute.EncodeACLs(&fw.e, f.acls[m.acl].list)
			fw.frame(recACL)
		}
		pathBuf = f.parents.appendPath(pathBuf[:0], n)
		fw.e.Reset()
		fw.e.String(unsafe.String(unsafe.SliceData(pathBuf), len(pathBuf)))
		fw.e.Buffer(n.data())
		fw.e.Int(idx)
		fw.e.Long(m.czxid)
		fw.e.Long(m.mzxid)
		fw.e.Long(m.ctime)
		fw.e.Long(m.mtime)
		fw.e.Int(m.version)
		fw.e.Int(m.cversion)
		fw.e.Int(m.aversion)
		fw.e.Long(m.owner)
		fw.e.Long(m.pzxid)
		fw.frame(recNode)
		nodes++
		return fw.err == nil
	})
	fw.e.Reset()
	fw.e.Long(nodes)
	fw.e.Long(int64(len(aclIndex)))
	fw.e.Long(int64(len(f.sessions)))
	fw.e.Long(int64(len(f.quotas)))
	fw.e.Long(int64(f.digest))
	fw.frame(recEnd)
	if fw.err == nil {
		fw.err = fw.w.Flush()
	}
	if fw.err != nil {
		return cw.n, fmt.Errorf("writing snapshot: %w", fw.err)
	}
	return cw.n, nil
}

// readFrame reads one frame into buf (reused) and returns its type and body.
// A clean end of input before the frame returns io.EOF.
func readFrame(r *bufio.Reader, buf []byte) (byte, []byte, []byte, error) {
	var h [frameHeaderLen]byte
	if n, err := io.ReadFull(r, h[:]); err != nil {
		if n == 0 && err == io.EOF {
			return 0, nil, buf, io.EOF
		}
		return 0, nil, buf, fmt.Errorf("frame header: %w", ErrSnapshotTruncated)
	}
	n := binary.BigEndian.Uint32(h[0:])
	if n == 0 || n > maxFrameLen {
		return 0, nil, buf, fmt.Errorf("frame length %d: %w", n, ErrSnapshotCorrupt)
	}
	// Grow as the bytes arrive, so a damaged length cannot make us
	// allocate much more than the input holds.
	buf = buf[:0]
	for len(buf) < int(n) {
		chunk := min(int(n)-len(buf), 1<<20)
		buf = slices.Grow(buf, chunk)
		m, err := io.ReadFull(r, buf[len(buf):len(buf)+chunk])
		buf = buf[:len(buf)+m]
		if err != nil {
			return 0, nil, buf, fmt.Errorf("frame of %d bytes: %w", n, ErrSnapshotTruncated)
		}
	}
	if crc32.Checksum(buf, crcTable) != binary.BigEndian.Uint32(h[4:]) {
		return 0, nil, buf, fmt.Errorf("frame checksum: %w", ErrSnapshotCorrupt)
	}
	return buf[0], buf[1:], buf, nil
}

// Restore reads a snapshot written by Frozen.WriteTo and rebuilds the tree
// with its indexes (ephemerals by owner, containers, TTL nodes, ACL
// sharing) under options o. Damaged input gives an error wrapping
// ErrSnapshotTruncated, ErrSnapshotCorrupt or ErrSnapshotVersion, never a
// wrong tree: every frame is checksummed, the structure is checked and the
// digest of the rebuilt tree must match the one recorded.
func Restore(r io.Reader, o Options) (*Tree, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	var magic [len(snapMagic) + 1]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("magic: %w", ErrSnapshotTruncated)
	}
	if string(magic[:len(snapMagic)]) != snapMagic {
		return nil, fmt.Errorf("bad magic %q: %w", magic, ErrSnapshotCorrupt)
	}
	if magic[len(snapMagic)] != snapVersion {
		return nil, fmt.Errorf("version %d: %w", magic[len(snapMagic)], ErrSnapshotVersion)
	}
	t := newEmpty(o)
	var (
		buf       []byte
		body      []byte
		typ       byte
		err       error
		d         jute.Decoder
		sawHeader bool
		acls      []aclID
		// The parent path and name of the last node read, for the
		// order check; lastParent is an interned path.
		lastParent, lastName string
		nodes                int64
		parentNode           *node // the node at lastParent
		parentID             uint32
		// children counts the children of each parent; numChildren is
		// not stored, and nodes are immutable, so parents are rebuilt
		// with their counts once all nodes are read.
		children = make(map[*node]int32)
		corrupt  = func(format string, a ...any) error {
			return fmt.Errorf(format+": %w", append(a, ErrSnapshotCorrupt)...)
		}
		wantDigest uint64
	)
	for {
		typ, body, buf, err = readFrame(br, buf)
		if err == io.EOF {
			return nil, fmt.Errorf("no end record: %w", ErrSnapshotTruncated)
		}
		if err != nil {
			return nil, err
		}
		d.Reset(body)
		if !sawHeader && typ != recHeader {
			return nil, corrupt("record %q before the header", typ)
		}
		switch typ {
		case recHeader:
			if sawHeader {
				return nil, corrupt("second header")
			}
			sawHeader = true
			t.lastZxid = d.Long()
		case recSession:
			id := d.Long()
			s := SessionInfo{Timeout: d.Int(), Passwd: d.Buffer()}
			if _, dup := t.sessions[id]; dup {
				return nil, corrupt("session %#x twice", id)
			}
			t.sessions[id] = s
			t.sessionDigest += sessionHash(id, s)
		case recQuota:
			q := d.String()
			if q == "" || quotaKey(q) != q {
				return nil, corrupt("quota path %q", q)
			}
			if _, dup := t.quotas[q]; dup {
				return nil, corrupt("quota path %q twice", q)
			}
			t.quotas[q] = struct{}{}
			t.quotaDigest += quotaHash(q)
		case recACL:
			list := jute.DecodeACLs(&d)
			if list == nil && d.Err() == nil {
				list = []jute.ACL{}
			}
			if d.Err() != nil {
				break
			}
			id, ok := t.acls.adopt(list)
			if !ok {
				return nil, corrupt("ACL %v twice", list)
			}
			acls = append(acls, id)
		case recNode:
			// The path and data alias the frame buffer: makeNode
			// copies them.
			path, data, idx, m, perr := parseNodeRecord(body)
			if perr != nil {
				return nil, corrupt("record %q: %v", typ, perr)
			}
			d.Reset(nil) // parsed whole
			if idx < 0 || int(idx) >= len(acls) {
				return nil, corrupt("node %q: ACL index %d of %d", path, idx, len(acls))
			}
			if pathProblem(path) != "" {
				return nil, corrupt("node path %q", path)
			}
			m.acl = acls[idx]
			t.acls.entries[m.acl].refs++
			var n *node
			if nodes == 0 {
				if path != rootPath {
					return nil, corrupt("first node %q is not the root", path)
				}
				n = makeNode(rootParent, "", data, &m)
			} else {
				if path == rootPath {
					return nil, corrupt("second root")
				}
				parentPath, name, _ := splitPath(path)
				// Key order: by parent path, then name (parents.go).
				if nodes > 1 && (parentPath < lastParent || parentPath == lastParent && name <= lastName) {
					return nil, corrupt("node %q out of order", path)
				}
				if nodes == 1 || parentPath != lastParent {
					if parentNode = t.get(parentPath); parentNode == nil {
						return nil, corrupt("node %q without parent", path)
					}
					parentID = t.parents.intern(parentPath)
					lastParent = t.parents.path(parentID)
				} else {
					t.parents.hold(parentID)
				}
				children[parentNode]++
				n = makeNode(parentID, name, data, &m)
				lastName = n.name()
			}
			t.nodes.ReplaceOrInsert(n)
			nodes++
		case recEnd:
			wantNodes, wantACLs, wantSessions, wantQuotas := d.Long(), d.Long(), d.Long(), d.Long()
			wantDigest = uint64(d.Long())
			if d.Err() != nil {
				break
			}
			if wantNodes != nodes || wantACLs != int64(len(acls)) ||
				wantSessions != int64(len(t.sessions)) || wantQuotas != int64(len(t.quotas)) {
				return nil, corrupt("end record counts %d/%d/%d/%d, read %d/%d/%d/%d",
					wantNodes, wantACLs, wantSessions, wantQuotas, nodes, len(acls), len(t.sessions), len(t.quotas))
			}
			if _, err := br.Peek(1); err != io.EOF {
				return nil, corrupt("data after the end record")
			}
		default:
			return nil, corrupt("unknown record type %q", typ)
		}
		if d.Err() != nil {
			return nil, corrupt("record %q: %v", typ, d.Err())
		}
		if d.Remaining() != 0 {
			return nil, corrupt("record %q: %d trailing bytes", typ, d.Remaining())
		}
		if typ == recEnd {
			break
		}
	}
	if nodes == 0 {
		return nil, corrupt("no root")
	}
	for _, id := range acls {
		if t.acls.entries[id].refs == 0 {
			return nil, corrupt("unused ACL")
		}
	}
	for parent, c := range children {
		m := parent.meta()
		m.numChildren = c
		t.nodes.ReplaceOrInsert(parent.withMeta(&m))
	}
	t.nodes.Ascend(func(n *node) bool {
		path := t.parents.pathOf(n)
		m := n.meta()
		t.nodeDigest += t.digestOf(n)
		t.dataSize += int64(utf16Len(path) + m.dataLen)
		t.index(path, m.owner)
		return true
	})
	if t.Digest() != wantDigest {
		return nil, corrupt("digest %#x, recorded %#x", t.Digest(), wantDigest)
	}
	return t, nil
}

// parseNodeRecord decodes the body of a node frame (see the package
// documentation) without copying: path and data alias body.
func parseNodeRecord(body []byte) (path string, data []byte, acl int32, m meta, err error) {
	r := rawReader{b: body}
	pb := r.buffer()
	path = unsafe.String(unsafe.SliceData(pb), len(pb))
	data = r.buffer()
	acl = r.int()
	m.czxid, m.mzxid, m.ctime, m.mtime = r.long(), r.long(), r.long(), r.long()
	m.version, m.cversion, m.aversion = r.int(), r.int(), r.int()
	m.owner, m.pzxid = r.long(), r.long()
	switch {
	case r.err != nil:
		return "", nil, 0, meta{}, r.err
	case r.off != len(body):
		return "", nil, 0, meta{}, fmt.Errorf("%d trailing bytes", len(body)-r.off)
	}
	return path, data, acl, m, nil
}

// rawReader reads jute fields from a byte slice without copying.
type rawReader struct {
	b   []byte
	off int
	err error
}

func (r *rawReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b)-r.off {
		r.err = fmt.Errorf("%d bytes needed at offset %d of %d", n, r.off, len(r.b))
		return nil
	}
	p := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return p
}

func (r *rawReader) int() int32 {
	if p := r.take(4); p != nil {
		return int32(binary.BigEndian.Uint32(p))
	}
	return 0
}

func (r *rawReader) long() int64 {
	if p := r.take(8); p != nil {
		return int64(binary.BigEndian.Uint64(p))
	}
	return 0
}

// buffer reads a jute buffer; length -1 is nil.
func (r *rawReader) buffer() []byte {
	n := r.int()
	switch {
	case r.err != nil || n == -1:
		return nil
	case n < -1:
		r.err = fmt.Errorf("length %d at offset %d", n, r.off-4)
		return nil
	}
	return r.take(int(n))
}
