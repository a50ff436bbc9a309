package tree

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// checkNode fails unless n decodes to key, data and m.
func checkNode(tb testing.TB, n *node, key string, data []byte, m meta) {
	tb.Helper()
	if got := n.key(); got != key {
		tb.Fatalf("key %q, want %q", got, key)
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
	long := strings.Repeat("k", 200) + "\x00" + strings.Repeat("n", 20000)
	tests := []struct {
		name string
		key  string
		data []byte
		m    meta
	}{
		{"root", "", []byte{}, meta{}},
		{"null data", "\x00a", nil, meta{czxid: 1, mzxid: 1, pzxid: 1, ctime: 5, mtime: 5}},
		{"leaf", "/bench/d1\x00n0000001234", make([]byte, 100),
			meta{czxid: 5<<32 | 1234, mzxid: 5<<32 | 1234, pzxid: 5<<32 | 1234, ctime: 1_770_000_000_000, mtime: 1_770_000_000_000}},
		{"every field", "/a\x00b", []byte("d"), meta{czxid: 10, mzxid: 20, pzxid: 15, ctime: 100, mtime: 90,
			owner: 0x1234567890abcdef, version: 3, cversion: 7, aversion: -1, numChildren: 4, acl: 99}},
		{"extremes", "\x00x", []byte{0xff}, meta{czxid: math.MinInt64, mzxid: math.MaxInt64, pzxid: -1,
			ctime: math.MaxInt64, mtime: math.MinInt64, owner: containerOwner,
			version: math.MinInt32, cversion: math.MaxInt32, aversion: math.MinInt32, numChildren: math.MaxInt32,
			acl: math.MaxUint32}},
		{"ttl owner", "\x00t", nil, meta{owner: ttlOwner(MaxTTL)}},
		{"long key", long, bytes.Repeat([]byte{0, 1}, 70000), meta{czxid: 1, mzxid: 2, pzxid: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := makeNode(tc.key, tc.data, &tc.m)
			checkNode(t, n, tc.key, tc.data, tc.m)
			m2 := tc.m
			m2.numChildren++
			m2.acl = 3
			checkNode(t, n.withMeta(&m2), tc.key, tc.data, m2)
			checkNode(t, n.withData([]byte("new")), tc.key, []byte("new"), tc.m)
			checkNode(t, n.withData(nil), tc.key, nil, tc.m)
			checkNode(t, n, tc.key, tc.data, tc.m) // unchanged
		})
	}
}

// TestNodeCompare checks the B-tree order against the keys' byte order,
// across the one-byte and longer length prefixes.
func TestNodeCompare(t *testing.T) {
	keys := []string{"", "\x00", "\x00a", "\x00b", strings.Repeat("a", 127), strings.Repeat("a", 128),
		strings.Repeat("a", 127) + "b", strings.Repeat("b", 300), "b"}
	for _, a := range keys {
		for _, b := range keys {
			na, nb := makeNode(a, nil, &meta{}), makeNode(b, nil, &meta{})
			_, pb := probeNode(nil, b)
			if nodeLess(na, nb) != (a < b) || nodeLess(na, pb) != (a < b) {
				t.Fatalf("nodeLess(%q, %q) = %v", a, b, nodeLess(na, nb))
			}
		}
	}
}

// TestNodeSize checks the point of the layout: a typical znode (20-odd
// byte path, 100 bytes of data, never changed) is one allocation in Go's
// 144-byte size class.
func TestNodeSize(t *testing.T) {
	key := "/bench/d123\x00n0000123456"
	data := make([]byte, 100)
	m := meta{czxid: 1_000_123, mzxid: 1_000_123, pzxid: 1_000_123, ctime: 1_770_000_000_000, mtime: 1_770_000_000_000}
	if allocs := testing.AllocsPerRun(100, func() { makeNode(key, data, &m) }); allocs != 1 {
		t.Fatalf("%v allocations per node", allocs)
	}
	n := makeNode(key, data, &m)
	_, _, metaLen, dataOff, dataLen := n.layout()
	if size := dataOff + dataLen; size > 144 {
		t.Fatalf("node of %d bytes (meta %d)", size, metaLen)
	}
}

func FuzzNodeEncoding(f *testing.F) {
	f.Add("/a\x00b", []byte("data"), false, int64(1), int64(2), int64(3), int64(4), int64(5), int64(0), int32(0), int32(0), int32(-1), int32(0), uint32(0))
	f.Add("", []byte{}, true, int64(math.MinInt64), int64(0), int64(math.MaxInt64), int64(-1), int64(1), containerOwner, int32(math.MaxInt32), int32(1), int32(2), int32(3), uint32(1<<31))
	f.Fuzz(func(t *testing.T, key string, data []byte, isNil bool, czxid, mzxid, pzxid, ctime, mtime, owner int64,
		version, cversion, aversion, children int32, acl uint32) {
		if isNil {
			data = nil
		} else if data == nil {
			data = []byte{}
		}
		m := meta{czxid: czxid, mzxid: mzxid, pzxid: pzxid, ctime: ctime, mtime: mtime, owner: owner,
			version: version, cversion: cversion, aversion: aversion, numChildren: children, acl: aclID(acl)}
		checkNode(t, makeNode(key, data, &m), key, data, m)
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
