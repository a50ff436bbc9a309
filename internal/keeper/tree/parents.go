package tree

import (
	"strings"
	"unsafe"
)

// A node does not hold its parent's path: it holds the id of that path in
// the tree's parentTable, which keeps each path that has children once. A
// million znodes spread over a thousand parents then store a thousand parent
// paths instead of a million (see node.go).
//
// Ids are what the B-tree's order depends on (parentTable.lessFunc compares the
// paths they name), so an id names one path for as long as any node in the
// live tree refers to it. An id is held by every node whose parent it names,
// committed or staged by a multi that is still being validated; when the last
// such node goes (a delete commits, a multi fails) the id is freed and may be
// given to another path.
//
// A Frozen view resolves the ids of its nodes long after the live tree has
// moved on, from another goroutine, while Apply frees and reuses ids. So the
// paths live in fixed-size chunks that are copied on write: freeze hands out
// a copy of the chunk list and bumps a generation; a chunk of an older
// generation is never written again, the live table writes to a copy. A
// snapshot costs one pointer per chunk; the first write to a chunk after it
// copies the chunk (4 KiB). The live tree reads paths from a flat slice
// instead, one load per comparison.
//
// A parent path costs its bytes once plus about 75 bytes of table (map
// entry, two slice slots, CRCs, count). A node saves its parent's path less
// a byte or two of id, so a tree of many leaves per parent (zk-populate's
// 1000) is much smaller than with whole keys, and one where most parents
// have a single child (a chain) is ~75 bytes per parent larger.

// Values of a node's parent field besides the ids of the table.
const (
	// rootParent is the root node's parent field: it has no parent, and it
	// sorts before every other node.
	rootParent = 0
	// inlineParent marks a lookup probe that carries its parent path in the
	// probe itself (a path that may have no id, see probeInline). Stored
	// nodes never have it.
	inlineParent = 1
	// firstParentID is the smallest id the table gives out.
	firstParentID = 2
)

const (
	parentChunkBits = 8
	parentChunkLen  = 1 << parentChunkBits
)

// parentChunk holds the paths of parentChunkLen consecutive ids ("" for an
// id that is free). gen is the table generation that may still write it.
type parentChunk struct {
	gen   uint64
	paths [parentChunkLen]string
}

// parentTable interns the paths of the nodes that have children (or are
// about to get one). The root's path as a parent is "", as in splitPath.
// It belongs to one Tree and follows its locking: changes under the write
// lock, lookups (path, lookup, less) under the read lock.
type parentTable struct {
	ids   map[string]uint32 // path → id, the live ids only
	paths []string          // id → path, for the live tree (comparisons)
	// chunks hold the same as paths, by id>>parentChunkBits, for the views.
	chunks []*parentChunk
	crcs   []uint64 // by id: keyPrefixCRC of the path, for keyHash
	refs   []int32  // by id: the nodes that hold it
	free   []uint32 // freed ids, reused last-freed first
	gen    uint64
}

func newParentTable() *parentTable {
	return &parentTable{ids: make(map[string]uint32), paths: make([]string, firstParentID),
		crcs: make([]uint64, firstParentID), refs: make([]int32, firstParentID)}
}

// parentView is what a Frozen keeps of the table: the chunks as they were.
// It is read-only and safe to use while the live table changes.
type parentView struct {
	chunks []*parentChunk
}

// path returns the path with id in the view.
func (v parentView) path(id uint32) string {
	return v.chunks[id>>parentChunkBits].paths[id&(parentChunkLen-1)]
}

// path returns the path of a live id.
func (p *parentTable) path(id uint32) string { return p.paths[id] }

// lookup returns the id of path; ok is false when no node has path as its
// parent.
func (p *parentTable) lookup(path string) (id uint32, ok bool) {
	id, ok = p.ids[path]
	return id, ok
}

// intern returns the id of path and counts one more holder of it.
func (p *parentTable) intern(path string) uint32 {
	if id, ok := p.ids[path]; ok {
		p.refs[id]++
		return id
	}
	var id uint32
	if n := len(p.free); n > 0 {
		id = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		id = uint32(len(p.refs))
		p.refs = append(p.refs, 0)
		p.paths = append(p.paths, "")
		p.crcs = append(p.crcs, 0)
	}
	path = strings.Clone(path) // it may alias a request's buffer
	p.set(id, path)
	p.crcs[id] = keyPrefixCRC(path)
	p.ids[path] = id
	p.refs[id] = 1
	return id
}

// hold counts one more holder of id, a live id.
func (p *parentTable) hold(id uint32) { p.refs[id]++ }

// release counts one holder of id less and frees it after the last.
func (p *parentTable) release(id uint32) {
	if p.refs[id]--; p.refs[id] > 0 {
		return
	}
	delete(p.ids, p.path(id))
	p.set(id, "")
	p.free = append(p.free, id)
}

// set writes the path of id, copying its chunk first when a view may read
// it.
func (p *parentTable) set(id uint32, path string) {
	p.paths[id] = path
	ci := int(id >> parentChunkBits)
	for len(p.chunks) <= ci {
		p.chunks = append(p.chunks, nil)
	}
	c := p.chunks[ci]
	switch {
	case c == nil:
		c = &parentChunk{gen: p.gen}
		p.chunks[ci] = c
	case c.gen != p.gen:
		cp := *c
		cp.gen = p.gen
		c = &cp
		p.chunks[ci] = c
	}
	c.paths[id&(parentChunkLen-1)] = path
}

// freeze returns a view of the table as it is; later changes copy the
// chunks they write.
func (p *parentTable) freeze() parentView {
	v := parentView{chunks: append([]*parentChunk(nil), p.chunks...)}
	p.gen++
	return v
}

// lessFunc returns the B-tree order of nodes: the byte order of the keys
// "parent path, NUL, name" (the root's key is ""). Valid paths hold no NUL,
// so it is the order of the parent paths, then of the names: a node's
// children are one contiguous range, sorted by name, and a parent sorts
// before its descendants. (A closure rather than the method value p.less,
// which would add a call to every comparison. Not inlined: a copy of the
// closure inlined into its caller was compiled without inlining the calls
// in it.)
//
//go:noinline
func (p *parentTable) lessFunc() func(a, b *node) bool {
	return func(a, b *node) bool {
		// Fast paths: one-byte ids (the first 126 parents) and names
		// shorter than 128 bytes.
		const oneByte = 0x80 - firstParentID // uint8(id-firstParentID) < oneByte
		if fa, fb := a.first, b.first; fa == fb {
			// Siblings, which is how most comparisons near the leaves go.
			if fa-firstParentID < oneByte {
				if la, lb := *a.at(1), *b.at(1); la|lb < 0x80 {
					// Offset 2 is inside a and b even for an empty
					// name: a stored node goes on with its mask, a
					// probe's buffer has spare capacity (probeChild).
					return unsafe.String(a.at(2), int(la)) < unsafe.String(b.at(2), int(lb))
				}
			}
		} else if fa-firstParentID < oneByte && fb-firstParentID < oneByte {
			// Two live ids name two different paths.
			return p.paths[fa] < p.paths[fb]
		}
		return p.less(a, b)
	}
}

// less is lessFunc's order for any ids.
func (p *parentTable) less(a, b *node) bool {
	pa, ia := a.head()
	pb, ib := b.head()
	if ia != 0 && ib != 0 && pa >= firstParentID && pb >= firstParentID {
		if pa != pb {
			return p.path(pa) < p.path(pb)
		}
		if la, lb := *a.at(ia), *b.at(ib); la|lb < 0x80 {
			return a.str(ia+1, int(la)) < b.str(ib+1, int(lb))
		}
	}
	return p.lessSlow(a, b) // the root, an inline probe, long ids or names
}

func (p *parentTable) lessSlow(a, b *node) bool {
	pa, parentA, nameA, _ := a.keyParts()
	pb, parentB, nameB, _ := b.keyParts()
	switch {
	case pa == rootParent:
		return pb != rootParent
	case pb == rootParent:
		return false
	case pa == pb && pa != inlineParent:
		return nameA < nameB
	case pa != inlineParent && pb != inlineParent:
		return p.path(pa) < p.path(pb)
	}
	if pa != inlineParent {
		parentA = p.path(pa)
	}
	if pb != inlineParent {
		parentB = p.path(pb)
	}
	if parentA != parentB {
		return parentA < parentB
	}
	return nameA < nameB
}

// appendPath appends the path of n, a node of the live tree, to b.
func (p *parentTable) appendPath(b []byte, n *node) []byte {
	id := n.parent()
	if id == rootParent {
		return appendNodePath(b, true, "", "")
	}
	return appendNodePath(b, false, p.path(id), n.name())
}

// pathOf returns the path of n, a node of the live tree.
func (p *parentTable) pathOf(n *node) string {
	id := n.parent()
	if id == rootParent {
		return rootPath
	}
	return p.path(id) + "/" + n.name()
}

// appendPath appends the path of n, a node of the frozen tree, to b.
func (v parentView) appendPath(b []byte, n *node) []byte {
	id := n.parent()
	if id == rootParent {
		return appendNodePath(b, true, "", "")
	}
	return appendNodePath(b, false, v.path(id), n.name())
}
