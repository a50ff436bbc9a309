package tree

import (
	"encoding/binary"
	"unsafe"
)

// A node is one znode, held in ONE immutable allocation that contains no
// pointers, so the garbage collector never scans it and a znode costs one
// heap object, sized exactly. A *node points at the first byte of that
// allocation:
//
//	+---------+--------+------+------+------+--------+------------+------+
//	| parent  | nlen   | name | mask | mlen | dlen   | meta       | data |
//	| uvarint | uvarint|      | byte | byte | uvarint| mlen bytes |      |
//	+---------+--------+------+------+------+--------+------------+------+
//
//	parent: the id of the parent's path in the tree's parentTable
//	        (parents.go); 0 for the root, whose name is ""
//	name:   the last component of the node's path
//	mask bit 0: data is a null buffer (dlen is 0)
//	     bits 1-7: which optional meta fields are present (below)
//	meta: czxid, ctime                        zigzag varints, always
//	      mzxid-czxid        (bit 1)          zigzag varint
//	      pzxid-czxid        (bit 2)          zigzag varint
//	      mtime-ctime        (bit 3)          zigzag varint
//	      version, cversion, aversion (bit 4) zigzag varints
//	      numChildren        (bit 5)          zigzag varint
//	      ephemeralOwner     (bit 6)          8 bytes little-endian
//	      ACL id             (bit 7)          uvarint (an index into aclCache)
//
// A field whose bit is clear is 0 (for the deltas: equal to czxid or
// ctime). A persistent leaf that was never changed therefore carries only
// czxid and ctime. The parent's path is not in the node: siblings share
// one copy of it in the parent table. The benchmark's leaf
// (/zkpopulate-<16 hex>/b000123/n000456, 100 bytes of data, a zxid with
// epoch 1 and a time in ms) is 2 + 1 + 7 + 3 + 11 + 100 = 124 bytes and
// fits Go's 128-byte size class; with the whole 36-byte parent path inside
// it took 160. The key (parent, name) comes first so that B-tree comparisons
// find it at a fixed offset; the stat is decoded only when a reply needs
// it.
//
// A lookup probe (probeChild, probeInline) has the same key layout; only a
// probe may have the parent id inlineParent, followed by the parent path
// itself (uvarint length, bytes) before nlen.
//
// Nodes are never modified: a change makes a new node (makeNode,
// withMeta) and puts it in place of the old one.
type node struct{ first byte }

// Bits of the mask byte.
const (
	maskNilData  = 1 << 0
	maskMzxid    = 1 << 1
	maskPzxid    = 1 << 2
	maskMtime    = 1 << 3
	maskVersions = 1 << 4
	maskChildren = 1 << 5
	maskOwner    = 1 << 6
	maskACL      = 1 << 7
)

// maxMetaLen bounds the meta section: 6 zigzag varints of int64 (10 bytes
// each), 4 of int32 (5 each), the owner (8) and the ACL id (5).
const maxMetaLen = 6*10 + 4*5 + 8 + 5

// meta is a node's stat as stored (cversion is ZooKeeper's stored cversion,
// the number of children ever created) plus its ACL.
type meta struct {
	czxid, mzxid, pzxid         int64
	ctime, mtime                int64
	owner                       int64 // stored ephemeralOwner
	version, cversion, aversion int32
	numChildren                 int32
	acl                         aclID
	// Filled by node.meta and ignored by makeNode, which takes the data
	// itself: the length and offset of the node's data, and whether it is
	// a null buffer.
	dataLen, dataOff int
	nilData          bool
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// encode writes the meta section into b and returns the mask bits (without
// maskNilData) and its length.
func (m *meta) encode(b *[maxMetaLen]byte) (mask byte, n int) {
	put := func(v uint64) { n += binary.PutUvarint(b[n:], v) }
	put(zigzag(m.czxid))
	put(zigzag(m.ctime))
	if m.mzxid != m.czxid {
		mask |= maskMzxid
		put(zigzag(m.mzxid - m.czxid))
	}
	if m.pzxid != m.czxid {
		mask |= maskPzxid
		put(zigzag(m.pzxid - m.czxid))
	}
	if m.mtime != m.ctime {
		mask |= maskMtime
		put(zigzag(m.mtime - m.ctime))
	}
	if m.version != 0 || m.cversion != 0 || m.aversion != 0 {
		mask |= maskVersions
		put(zigzag(int64(m.version)))
		put(zigzag(int64(m.cversion)))
		put(zigzag(int64(m.aversion)))
	}
	if m.numChildren != 0 {
		mask |= maskChildren
		put(zigzag(int64(m.numChildren)))
	}
	if m.owner != 0 {
		mask |= maskOwner
		binary.LittleEndian.PutUint64(b[n:], uint64(m.owner))
		n += 8
	}
	if m.acl != 0 {
		mask |= maskACL
		put(uint64(m.acl))
	}
	return mask, n
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// makeNode returns a new node whose parent has id parent (rootParent for
// the root) with name, data (nil for a null buffer) and m.
func makeNode(parent uint32, name string, data []byte, m *meta) *node {
	var kb [2 * binary.MaxVarintLen32]byte
	k := binary.PutUvarint(kb[:], uint64(parent))
	k += binary.PutUvarint(kb[k:], uint64(len(name)))
	return buildNode(kb[:k], name, data, m)
}

// buildNode returns a new node with the key head (parent and nlen), name,
// data and m.
func buildNode(head []byte, name string, data []byte, m *meta) *node {
	var mb [maxMetaLen]byte
	mask, mlen := m.encode(&mb)
	if data == nil {
		mask |= maskNilData
	}
	size := len(head) + len(name) + 2 + uvarintLen(uint64(len(data))) + mlen + len(data)
	b := make([]byte, size)
	i := copy(b, head)
	i += copy(b[i:], name)
	b[i], b[i+1] = mask, byte(mlen)
	i += 2
	i += binary.PutUvarint(b[i:], uint64(len(data)))
	i += copy(b[i:], mb[:mlen])
	copy(b[i:], data)
	return (*node)(unsafe.Pointer(&b[0]))
}

// probeChild encodes the key of the child name of the parent with id parent
// into buf, reusing its storage, and returns it as a node for B-tree
// lookups.
//
// The buffer keeps at least one byte of spare capacity, so that the offset
// just past the key is inside its allocation (see parentTable.lessFunc).
func probeChild(buf []byte, parent uint32, name string) ([]byte, *node) {
	if need := 2*binary.MaxVarintLen32 + len(name) + 1; cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	buf = binary.AppendUvarint(buf[:0], uint64(parent))
	buf = binary.AppendUvarint(buf, uint64(len(name)))
	buf = append(buf, name...)
	return buf, (*node)(unsafe.Pointer(&buf[0]))
}

// probeInline is probeChild for a parent path that need not have an id: it
// sorts where the key "parent, NUL, name" would. parent must not be the
// root's.
func probeInline(buf []byte, parent, name string) ([]byte, *node) {
	buf = append(buf[:0], inlineParent)
	buf = binary.AppendUvarint(buf, uint64(len(parent)))
	buf = append(buf, parent...)
	buf = binary.AppendUvarint(buf, uint64(len(name)))
	buf = append(buf, name...)
	return buf, (*node)(unsafe.Pointer(&buf[0]))
}

// at returns the address of the byte at offset i of the node.
func (n *node) at(i int) *byte { return (*byte)(unsafe.Add(unsafe.Pointer(n), i)) }

// uvarint decodes the uvarint at offset i and returns it and the offset
// after it.
func (n *node) uvarint(i int) (uint64, int) {
	c := *n.at(i)
	if c < 0x80 {
		return uint64(c), i + 1
	}
	return n.uvarintSlow(i)
}

// str returns the l bytes at offset i as a string aliasing the node.
func (n *node) str(i, l int) string {
	if l == 0 {
		return "" // i may be the end of the allocation
	}
	return unsafe.String(n.at(i), l)
}

func (n *node) uvarintSlow(i int) (uint64, int) {
	var x uint64
	for s := uint(0); ; s += 7 {
		c := *n.at(i)
		i++
		if c < 0x80 {
			return x | uint64(c)<<s, i
		}
		x |= uint64(c&0x7f) << s
	}
}

// keyParts decodes the node's key: its parent id, the parent path when the
// id is inlineParent (probes only), its name (aliasing the node), and the
// offset of the mask byte.
func (n *node) keyParts() (parent uint32, inline, name string, end int) {
	p, i := n.uvarint(0)
	if p == inlineParent {
		var l uint64
		l, i = n.uvarint(i)
		inline = n.str(i, int(l))
		i += int(l)
	}
	l, i := n.uvarint(i)
	return uint32(p), inline, n.str(i, int(l)), i + int(l)
}

// head decodes a parent id of one or two bytes (up to 16383, every id of a
// tree with fewer parents) and returns it and the offset of nlen; off is 0
// for a longer id.
func (n *node) head() (id uint32, off int) {
	c := uint32(n.first)
	if c < 0x80 {
		return c, 1
	}
	if d := uint32(*n.at(1)); d < 0x80 {
		return c&0x7f | d<<7, 2
	}
	return 0, 0
}

// keyEnd returns the offset of the mask byte. Like parent and name, it
// reads stored nodes and probeChild probes, not probeInline ones.
func (n *node) keyEnd() int {
	if _, i := n.head(); i != 0 {
		if l := *n.at(i); l < 0x80 {
			return i + 1 + int(l)
		}
	}
	_, _, _, end := n.keyParts()
	return end
}

// parent returns the id of the node's parent (rootParent for the root).
func (n *node) parent() uint32 {
	if id, i := n.head(); i != 0 {
		return id
	}
	id, _, _, _ := n.keyParts()
	return id
}

// name returns the last component of the node's path ("" for the root). It
// aliases the node.
func (n *node) name() string {
	if _, i := n.head(); i != 0 {
		if l := *n.at(i); l < 0x80 {
			return n.str(i+1, int(l))
		}
	}
	_, _, name, _ := n.keyParts()
	return name
}

// layout returns the offsets of the node's parts.
func (n *node) layout() (mask byte, metaOff, metaLen, dataOff, dataLen int) {
	i := n.keyEnd()
	mask, metaLen = *n.at(i), int(*n.at(i + 1))
	dl, j := n.uvarint(i + 2)
	return mask, j, metaLen, j + metaLen, int(dl)
}

// data returns the node's data; nil when the node holds a null buffer. The
// slice aliases immutable memory and must not be modified.
func (n *node) data() []byte {
	mask, _, _, off, dl := n.layout()
	return n.dataAt(mask&maskNilData != 0, off, dl)
}

func (n *node) dataAt(isNil bool, off, dl int) []byte {
	if isNil {
		return nil
	}
	if dl == 0 {
		return []byte{}
	}
	return unsafe.Slice(n.at(off), dl)
}

// dataOf returns the data of n, which m was decoded from (see data).
func (n *node) dataOf(m *meta) []byte { return n.dataAt(m.nilData, m.dataOff, m.dataLen) }

// dataLen returns the length of the node's data.
func (n *node) dataLen() int {
	_, _, _, _, dl := n.layout()
	return dl
}

// nilData reports whether the node holds a null buffer.
func (n *node) nilData() bool {
	mask, _, _, _, _ := n.layout()
	return mask&maskNilData != 0
}

// zz decodes the zigzag varint at offset *i and advances *i.
func (n *node) zz(i *int) int64 {
	u, j := n.uvarint(*i)
	*i = j
	return unzigzag(u)
}

// meta decodes the node's stat, ACL id and data layout.
func (n *node) meta() (m meta) {
	mask, i, _, off, dl := n.layout()
	m.dataLen, m.dataOff, m.nilData = dl, off, mask&maskNilData != 0
	m.czxid = n.zz(&i)
	m.ctime = n.zz(&i)
	m.mzxid, m.pzxid, m.mtime = m.czxid, m.czxid, m.ctime
	if mask&^maskNilData == 0 {
		return m
	}
	if mask&maskMzxid != 0 {
		m.mzxid += n.zz(&i)
	}
	if mask&maskPzxid != 0 {
		m.pzxid += n.zz(&i)
	}
	if mask&maskMtime != 0 {
		m.mtime += n.zz(&i)
	}
	if mask&maskVersions != 0 {
		m.version = int32(n.zz(&i))
		m.cversion = int32(n.zz(&i))
		m.aversion = int32(n.zz(&i))
	}
	if mask&maskChildren != 0 {
		m.numChildren = int32(n.zz(&i))
	}
	if mask&maskOwner != 0 {
		m.owner = int64(binary.LittleEndian.Uint64(unsafe.Slice(n.at(i), 8)))
		i += 8
	}
	if mask&maskACL != 0 {
		u, _ := n.uvarint(i)
		m.acl = aclID(u)
	}
	return m
}

// withMeta returns a copy of n with the same key and data and the stat and
// ACL of m.
func (n *node) withMeta(m *meta) *node { return n.withDataMeta(n.data(), m) }

// withData returns a copy of n holding data (nil for a null buffer) with
// the same stat and ACL.
func (n *node) withData(data []byte) *node {
	m := n.meta()
	return n.withDataMeta(data, &m)
}

// withDataMeta returns a copy of n with the same key (parent and name)
// holding data (nil for a null buffer) and the stat and ACL of m.
func (n *node) withDataMeta(data []byte, m *meta) *node {
	return buildNode(unsafe.Slice(n.at(0), n.keyEnd()), "", data, m)
}
