package tree

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// checkNode fails unless n decodes to parent, name, data and m.
func checkNode(tb testing.TB, n *node, parent uint32, name string, data []byte, m meta) {
	tb.Helper()
	if p, inline, nm, _ := n.keyParts(); p != parent || inline != "" || nm != name || n.parent() != parent || n.name() != name {
		tb.Fatalf("key %d %q (inline %q), want %d %q", p, nm, inline, parent, name)
	}
	if got := n.data(); !bytes.Equal(got, data) || (got == nil) != (data == nil) {
		tb.Fatalf("data %q (nil %v), want %q (nil %v)", got, got == nil, data, data == nil)
	}
	if n.dataLen() != len(data) || n.nilData() != (data == nil) {
		tb.Fatalf("dataLen %d nilData %v, want %d %v", n.dataLen(), n.nilData(), len(data), data == nil)
	}
	got := n.meta()
	if !bytes.Equal(n.dataOf(&got), data) {
		tb.Fatalf("dataOf %q, want %q", n.dataOf(&got), data)
	}
	got.dataLen, got.dataOff, got.nilData = 0, 0, false
	if got != m {
		tb.Fatalf("meta %+v, want %+v", got, m)
	}
}

func TestNodeEncoding(t *testing.T) {
	long := strings.Repeat("n", 20000)
	tests := []struct {
		name   string
		parent uint32
		key    string
		data   []byte
		m      meta
	}{
		{"root", rootParent, "", []byte{}, meta{}},
		{"null data", 2, "a", nil, meta{czxid: 1, mzxid: 1, pzxid: 1, ctime: 5, mtime: 5}},
		{"leaf", 1234, "n0000001234", make([]byte, 100),
			meta{czxid: 5<<32 | 1234, mzxid: 5<<32 | 1234, pzxid: 5<<32 | 1234, ctime: 1_770_000_000_000, mtime: 1_770_000_000_000}},
		{"every field", 127, "b", []byte("d"), meta{czxid: 10, mzxid: 20, pzxid: 15, ctime: 100, mtime: 90,
			owner: 0x1234567890abcdef, version: 3, cversion: 7, aversion: -1, numChildren: 4, acl: 99}},
		{"extremes", math.MaxUint32, "x", []byte{0xff}, meta{czxid: math.MinInt64, mzxid: math.MaxInt64, pzxid: -1,
			ctime: math.MaxInt64, mtime: math.MinInt64, owner: containerOwner,
			version: math.MinInt32, cversion: math.MaxInt32, aversion: math.MinInt32, numChildren: math.MaxInt32,
			acl: math.MaxUint32}},
		{"ttl owner", 1 << 14, "t", nil, meta{owner: ttlOwner(MaxTTL)}},
		{"long name", 200, long, bytes.Repeat([]byte{0, 1}, 70000), meta{czxid: 1, mzxid: 2, pzxid: 3}},
		{"128-byte name", 128, strings.Repeat("a", 128), []byte{}, meta{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := makeNode(tc.parent, tc.key, tc.data, &tc.m)
			checkNode(t, n, tc.parent, tc.key, tc.data, tc.m)
			m2 := tc.m
			m2.numChildren++
			m2.acl = 3
			checkNode(t, n.withMeta(&m2), tc.parent, tc.key, tc.data, m2)
			checkNode(t, n.withData([]byte("new")), tc.parent, tc.key, []byte("new"), tc.m)
			checkNode(t, n.withData(nil), tc.parent, tc.key, nil, tc.m)
			checkNode(t, n.withDataMeta([]byte("x"), &m2), tc.parent, tc.key, []byte("x"), m2)
			checkNode(t, n, tc.parent, tc.key, tc.data, tc.m) // unchanged
		})
	}
}

// orderPaths are node paths whose keys (parent, NUL, name) exercise the
// order: siblings, prefixes, a parent path that is a prefix of another,
// names of 127/128 bytes, and (after enough fillers) parent ids of one, two
// and three bytes.
func orderPaths() []string {
	paths := []string{"/", "/a", "/b", "/a-", "/a/b", "/a-/x", "/a/b/c", "/a/bb/c", "/a!/z", "/ab/c",
		"/a/" + strings.Repeat("a", 127), "/a/" + strings.Repeat("a", 128), "/a/" + strings.Repeat("a", 127) + "b",
		"/" + strings.Repeat("p", 300) + "/q", "/\u00e9/x", "/a/b/c/d/e"}
	return paths
}

// TestNodeCompare checks the B-tree order (parentTable.lessFunc) against the
// byte order of the keys "parent path, NUL, name" that nodes held before
// the parent table, for stored nodes and both kinds of probe.
func TestNodeCompare(t *testing.T) {
	p := newParentTable()
	for i := 0; i < 20000; i++ { // push the later ids to three bytes
		p.intern(fmt.Sprintf("/filler%d", i))
		switch i {
		case 100:
			p.intern("/a") // a one-byte id
		case 300:
			p.intern("/a-") // a two-byte id
		}
	}
	less := p.lessFunc()
	type item struct {
		key string
		n   *node
	}
	var items []item
	for _, path := range orderPaths() {
		if path == rootPath {
			items = append(items, item{"", makeNode(rootParent, "", nil, &meta{})})
			continue
		}
		parent, name, _ := splitPath(path)
		key := parent + "\x00" + name
		items = append(items, item{key, makeNode(p.intern(parent), name, nil, &meta{})})
		_, pr := probeChild(nil, p.intern(parent), name)
		items = append(items, item{key, pr})
		if parent != "" {
			_, pi := probeInline(nil, parent, name)
			items = append(items, item{key, pi})
		}
	}
	// A probe for a parent path that has no id.
	_, pi := probeInline(nil, "/a/", "")
	items = append(items, item{"/a/\x00", pi})
	for _, a := range items {
		for _, b := range items {
			if a.n == b.n || a.n.first == inlineParent && b.n.first == inlineParent {
				continue // the B-tree never compares two probes
			}
			if got := less(a.n, b.n); got != (a.key < b.key) {
				t.Fatalf("less(%q, %q) = %v", a.key, b.key, got)
			}
		}
	}
}

// TestNodeSize checks the point of the layout: the benchmark's znode
// (/zkpopulate-<16 hex>/b000123/n000456, 100 bytes of data, never changed,
// a zxid of epoch 1 and a time in ms) is one allocation in Go's 128-byte
// size class, and a parent id of three bytes does not change that.
func TestNodeSize(t *testing.T) {
	data := make([]byte, 100)
	m := meta{czxid: 1<<32 | 1_000_123, mzxid: 1<<32 | 1_000_123, pzxid: 1<<32 | 1_000_123,
		ctime: 1_770_000_000_000, mtime: 1_770_000_000_000}
	for _, parent := range []uint32{1000, 1 << 20} {
		if allocs := testing.AllocsPerRun(100, func() { makeNode(parent, "n000456", data, &m) }); allocs != 1 {
			t.Fatalf("%v allocations per node", allocs)
		}
		n := makeNode(parent, "n000456", data, &m)
		_, _, metaLen, dataOff, dataLen := n.layout()
		if size := dataOff + dataLen; size > 128 {
			t.Fatalf("node of %d bytes (meta %d)", size, metaLen)
		}
	}
}

func FuzzNodeEncoding(f *testing.F) {
	f.Add(uint32(2), "b", []byte("data"), false, int64(1), int64(2), int64(3), int64(4), int64(5), int64(0), int32(0), int32(0), int32(-1), int32(0), uint32(0))
	f.Add(uint32(0), "", []byte{}, true, int64(math.MinInt64), int64(0), int64(math.MaxInt64), int64(-1), int64(1), containerOwner, int32(math.MaxInt32), int32(1), int32(2), int32(3), uint32(1<<31))
	f.Fuzz(func(t *testing.T, parent uint32, name string, data []byte, isNil bool, czxid, mzxid, pzxid, ctime, mtime, owner int64,
		version, cversion, aversion, children int32, acl uint32) {
		if parent == inlineParent {
			return // probes only
		}
		if isNil {
			data = nil
		} else if data == nil {
			data = []byte{}
		}
		m := meta{czxid: czxid, mzxid: mzxid, pzxid: pzxid, ctime: ctime, mtime: mtime, owner: owner,
			version: version, cversion: cversion, aversion: aversion, numChildren: children, acl: aclID(acl)}
		checkNode(t, makeNode(parent, name, data, &m), parent, name, data, m)
	})
}

// TestFrozenKeepsFreedACL: an ACL id freed and reused by the live tree
// after a Snapshot still names the old ACL for the frozen copy.
func TestFrozenKeepsFreedACL(t *testing.T) {
	e := newEnv(t, Options{})
	aclA := acl(jute.PermRead, "digest", digestU.ID)
	aclC := acl(jute.PermAll, "ip", "10.0.0.1")
	e.create("/x", nil, aclA, 0)
	idA := e.t.get("/x").meta().acl
	f := e.t.Snapshot()
	if r := e.as(sess1, []jute.ID{superUser}).apply(jute.OpSetACL,
		&jute.SetACLRequest{Path: "/x", ACL: open, Version: -1}); r.Err != jute.ErrOK {
		t.Fatalf("setACL: %v", r.Err.Name())
	}
	e.create("/y", nil, aclC, 0)
	if got := e.t.get("/y").meta().acl; got != idA {
		t.Fatalf("the freed id %d was not reused (got %d): the test does not test", idA, got)
	}
	checkInvariants(t, e.t)
	old, err := Restore(bytes.NewReader(snapshotBytes(t, f)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := old.ACL("/x"); !equalACL(got, aclA) {
		t.Fatalf("frozen /x has ACL %v, want %v", got, aclA)
	}
	if got := e.t.ACL("/y"); !equalACL(got, aclC) {
		t.Fatalf("live /y has ACL %v, want %v", got, aclC)
	}
}

// TestFailedMultiReleasesACL: a multi that fails after a create with a
// new ACL leaves the ACL cache as it was.
func TestFailedMultiReleasesACL(t *testing.T) {
	e := newEnv(t, Options{})
	before := len(e.t.acls.m)
	r := e.apply(jute.OpMulti, &jute.MultiRequest{Ops: []jute.MultiOp{
		{Type: jute.OpCreate, Body: &jute.CreateRequest{Path: "/m",
			ACL: append(acl(jute.PermAll, "world", "anyone"), acl(jute.PermRead, "ip", "10.1.2.3")...)}},
		{Type: jute.OpCreate, Body: &jute.CreateRequest{Path: "/m/c", ACL: acl(jute.PermRead, "ip", "10.1.2.4")}},
		{Type: jute.OpDelete, Body: &jute.PathVersionRequest{Path: "/missing", Version: -1}},
	}})
	if r.Err != jute.ErrOK || r.Resp.(*jute.MultiResponse).Results[2].Err != jute.ErrNoNode {
		t.Fatalf("multi: %v %+v", r.Err.Name(), r.Resp)
	}
	if len(e.t.acls.m) != before {
		t.Fatalf("ACL cache holds %d entries, held %d", len(e.t.acls.m), before)
	}
	checkInvariants(t, e.t)
}

func equalACL(a, b []jute.ACL) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzNodeOrder checks parentTable.lessFunc against the byte order of the keys
// "parent path, NUL, name" for two valid paths, stored or probed.
func FuzzNodeOrder(f *testing.F) {
	f.Add("/a/b", "/a!/c", uint16(5))
	f.Add("/", "/x", uint16(300))
	f.Fuzz(func(t *testing.T, a, b string, fillers uint16) {
		if pathProblem(a) != "" || pathProblem(b) != "" {
			return
		}
		p := newParentTable()
		for i := 0; i < int(fillers%400); i++ {
			p.intern(fmt.Sprintf("/f%d", i))
		}
		less := p.lessFunc()
		key := func(path string) string {
			if path == rootPath {
				return ""
			}
			parent, name, _ := splitPath(path)
			return parent + "\x00" + name
		}
		stored := func(path string) *node {
			if path == rootPath {
				return makeNode(rootParent, "", nil, &meta{})
			}
			parent, name, _ := splitPath(path)
			return makeNode(p.intern(parent), name, nil, &meta{})
		}
		na, nb := stored(a), stored(b)
		want := key(a) < key(b)
		if got := less(na, nb); got != want {
			t.Fatalf("less(%q, %q) = %v", a, b, got)
		}
		if b != rootPath {
			parent, name, _ := splitPath(b)
			_, pb := probeChild(nil, p.intern(parent), name)
			if got := less(na, pb); got != want {
				t.Fatalf("less(%q, probe %q) = %v", a, b, got)
			}
			if parent != "" {
				_, pi := probeInline(nil, parent, name)
				if got := less(na, pi); got != want {
					t.Fatalf("less(%q, inline probe %q) = %v", a, b, got)
				}
				if got := less(pi, na); got != (key(b) < key(a)) {
					t.Fatalf("less(inline probe %q, %q) = %v", b, a, got)
				}
			}
		}
	})
}
