package tree

import (
	"hash/crc32"
	"unsafe"
)

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
// key, so digests match those of older versions and their snapshots. The
// CRCs of "parent path, NUL" are kept with the parent's id (keyPrefixCRC),
// so only the name is hashed here.
func (t *Tree) keyHash(n *node) uint64 {
	id := n.parent()
	if id == rootParent {
		return hashString("", keySeed)
	}
	pre, name := t.parents.crcs[id], n.name()
	nb := unsafe.Slice(unsafe.StringData(name), len(name))
	lo := crc32.Update(uint32(pre), crcTable, nb)
	hi := crc32.Update(uint32(pre>>32), crcTable, nb)
	return hash64Sum(lo, hi, len(t.parents.paths[id])+1+len(name))
}

// keyPrefixCRC returns the two CRCs hash64 computes (seeded with keySeed
// and its complement) over the bytes "parent, NUL", as lo | hi<<32.
func keyPrefixCRC(parent string) uint64 {
	pb := unsafe.Slice(unsafe.StringData(parent), len(parent))
	nul := []byte{0}
	lo := crc32.Update(crc32.Update(keySeed, crcTable, pb), crcTable, nul)
	hi := crc32.Update(crc32.Update(^uint32(keySeed), crcTable, pb), crcTable, nul)
	return uint64(lo) | uint64(hi)<<32
}

// hash64Sum finishes hash64 (acl.go) from the two CRCs of n bytes.
func hash64Sum(lo, hi uint32, n int) uint64 {
	return mix64(uint64(hi)<<32 | uint64(lo) ^ uint64(n)*0x9e3779b97f4a7c15)
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
