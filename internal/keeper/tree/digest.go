package tree

import "unsafe"

// The tree digest is a sum of per-item hashes, so it does not depend on
// order and is updated in O(1) per change. A node's hash has two parts: one
// over its key and data, one over its key, stat fields and ACL. A change
// that touches only the stat (a parent gaining a child) recomputes only the
// second part, so large data is never rehashed for it.

func hashString(s string, seed uint32) uint64 {
	return hash64(unsafe.Slice(unsafe.StringData(s), len(s)), seed)
}

// keySeed seeds the hash of a node's key.
const keySeed = 0x6b6579

// keyHash hashes the key of n, a node of the live tree: hash64 of its parent
// path, a NUL byte and its name ("" for the root), as when nodes held that
// key, so digests match those of older versions and their snapshots. It
// uses the tree's scratch buffer: Apply and Restore only.
func (t *Tree) keyHash(n *node) uint64 {
	id := n.parent()
	if id == rootParent {
		return hashString("", keySeed)
	}
	b := append(t.keyBuf[:0], t.parents.path(id)...)
	b = append(b, 0)
	b = append(b, n.name()...)
	t.keyBuf = b
	return hash64(b, keySeed)
}

func dataPart(kh uint64, n *node) uint64 {
	var nilBit uint64
	if n.nilData() {
		nilBit = 1
	}
	dh := hash64(n.data(), 0x64617461)
	return mix64(kh ^ mix64(dh+nilBit))
}

// metaPart hashes the stat and ACL of n.
func (t *Tree) metaPart(kh uint64, n *node) uint64 {
	m := n.meta()
	h := mix64(kh + 0x6d657461)
	h = mix64(h ^ uint64(m.czxid))
	h = mix64(h ^ uint64(m.mzxid))
	h = mix64(h ^ uint64(m.ctime))
	h = mix64(h ^ uint64(m.mtime))
	h = mix64(h ^ uint64(m.pzxid))
	h = mix64(h ^ uint64(m.owner))
	h = mix64(h ^ (uint64(uint32(m.version)) | uint64(uint32(m.cversion))<<32))
	h = mix64(h ^ (uint64(uint32(m.aversion)) | uint64(uint32(m.numChildren))<<32))
	return mix64(h ^ t.acls.entries[m.acl].hash)
}

// digestOf is the whole hash of one node.
func (t *Tree) digestOf(n *node) uint64 {
	kh := t.keyHash(n)
	return dataPart(kh, n) + t.metaPart(kh, n)
}

func sessionHash(id int64, s SessionInfo) uint64 {
	h := mix64(uint64(id) ^ 0x5345)
	h = mix64(h ^ uint64(uint32(s.Timeout)))
	if s.Passwd == nil {
		return mix64(h ^ 0xdead)
	}
	return mix64(h ^ hash64(s.Passwd, 0x7077))
}

func quotaHash(p string) uint64 { return hashString(p, 0x71756f74) }
