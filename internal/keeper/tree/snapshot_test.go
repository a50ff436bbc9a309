package tree

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// richTree builds a tree with every kind of node, ACL, session and quota.
func richTree(tb testing.TB) *env {
	e := newEnv(tb, Options{ExtendedTypes: true})
	e.mustCreate("/a", 0)
	e.create("/a/nil", nil, open, 0)
	e.create("/a/empty", []byte{}, open, 0)
	e.create("/a/digest", []byte("secret"), acl(31, "digest", digestU.ID), 0)
	e.as(sess1, []jute.ID{digestU}).create("/a/auth", nil, acl(31, "auth", ""), 0)
	e.mustCreate("/a/seq", jute.ModePersistentSequential)
	e.mustCreate("/a/eph", jute.ModeEphemeral)
	e.as(sess2, nil).mustCreate("/a/eph2", jute.ModeEphemeralSequential)
	e.apply(jute.OpCreateContainer, &jute.CreateRequest{Path: "/c", ACL: open})
	e.mustCreate("/c/x", 0)
	e.apply(jute.OpCreateTTL, &jute.CreateTTLRequest{Path: "/t", ACL: open, Flags: jute.ModePersistentWithTTL, TTL: 60000})
	e.setData("/a", []byte("v2"), -1)
	e.del("/a/seq0000000004", -1)
	e.create("/zookeeper/quota/a", nil, open, 0)
	e.create("/zookeeper/quota/a/zookeeper_limits", []byte("count=100,bytes=-1"), open, 0)
	e.create("/zookeeper/quota/a/zookeeper_stats", nil, open, 0)
	e.create("/\u4e2d\u6587", bytes.Repeat([]byte{0, 1, 2}, 1000), open, 0)
	return e
}

func snapshotBytes(tb testing.TB, f *Frozen) []byte {
	var buf bytes.Buffer
	n, err := f.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		tb.Fatalf("WriteTo: %d %v (buffer %d)", n, err, buf.Len())
	}
	return buf.Bytes()
}

// sameTree fails unless a and b hold the same state.
func sameTree(tb testing.TB, a, b *Tree) {
	tb.Helper()
	if !reflect.DeepEqual(dump(a), dump(b)) {
		da, db := dump(a), dump(b)
		for i := 0; i < len(da) && i < len(db); i++ {
			if da[i] != db[i] {
				tb.Fatalf("trees differ at %d:\n%s\n%s", i, da[i], db[i])
			}
		}
		tb.Fatalf("trees differ: %d and %d nodes", len(da), len(db))
	}
	if a.Digest() != b.Digest() || a.LastZxid() != b.LastZxid() || a.ApproxDataSize() != b.ApproxDataSize() ||
		a.EphemeralCount() != b.EphemeralCount() || !reflect.DeepEqual(a.Sessions(), b.Sessions()) ||
		!reflect.DeepEqual(a.quotas, b.quotas) || !reflect.DeepEqual(sortedSets(a.ephemerals), sortedSets(b.ephemerals)) ||
		!reflect.DeepEqual(a.containers, b.containers) || !reflect.DeepEqual(a.ttls, b.ttls) {
		tb.Fatalf("tree metadata differs")
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	e := richTree(t)
	f := e.t.Snapshot()
	if f.Zxid() != e.t.LastZxid() || f.Digest() != e.t.Digest() {
		t.Fatalf("frozen zxid %d digest %#x", f.Zxid(), f.Digest())
	}
	b := snapshotBytes(t, f)
	r, err := Restore(bytes.NewReader(b), Options{ExtendedTypes: true})
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, r)
	sameTree(t, e.t, r)
	// The restored tree goes on exactly like the original.
	for _, tr := range []*Tree{e.t, r} {
		tr.Apply(&Txn{Zxid: 1000, Time: 5, Session: sess1, Op: jute.OpCloseSession})
		tr.Apply(&Txn{Zxid: 1001, Time: 6, Session: sess1, Op: jute.OpCreate2,
			Body: &jute.CreateRequest{Path: "/a/seq", ACL: open, Flags: jute.ModePersistentSequential}})
	}
	sameTree(t, e.t, r)
	if _, ok := r.Exists("/a/seq0000000007"); !ok {
		t.Fatalf("sequence after restore: %v", dump(r))
	}
	// Writing the restored tree gives the same bytes.
	e2 := richTree(t)
	r2, _ := Restore(bytes.NewReader(snapshotBytes(t, e2.t.Snapshot())), Options{ExtendedTypes: true})
	if !bytes.Equal(snapshotBytes(t, r2.Snapshot()), b) {
		t.Fatal("snapshot of a restored tree differs")
	}
}

// TestSnapshotWhileApplying writes a Frozen in one goroutine while Apply
// keeps changing the tree in another (run with -race).
func TestSnapshotWhileApplying(t *testing.T) {
	e := richTree(t)
	for i := 0; i < 2000; i++ {
		e.t.Apply(e.txn(jute.OpCreate, &jute.CreateRequest{Path: fmt.Sprintf("/a/n%d", i), Data: []byte("x"), ACL: open}))
	}
	want := dump(e.t)
	wantDigest := e.t.Digest()
	f := e.t.Snapshot()
	var wg sync.WaitGroup
	var snap []byte
	wg.Add(1)
	go func() {
		defer wg.Done()
		var buf bytes.Buffer
		if _, err := f.WriteTo(&buf); err != nil {
			t.Error(err)
		}
		snap = buf.Bytes()
	}()
	for i := 0; i < 2000; i++ {
		p := fmt.Sprintf("/a/n%d", i)
		switch i % 3 {
		case 0:
			e.t.Apply(e.txn(jute.OpDelete, &jute.PathVersionRequest{Path: p, Version: -1}))
		case 1:
			e.t.Apply(e.txn(jute.OpSetData, &jute.SetDataRequest{Path: p, Data: []byte("changed"), Version: -1}))
		default:
			e.t.Apply(e.txn(jute.OpSetACL, &jute.SetACLRequest{Path: p, ACL: acl(1, "world", "anyone"), Version: -1}))
		}
	}
	e.t.Apply(e.txn(jute.OpCloseSession, nil))
	wg.Wait()
	r, err := Restore(bytes.NewReader(snap), Options{ExtendedTypes: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dump(r), want) || r.Digest() != wantDigest {
		t.Fatal("the snapshot does not show the tree as it was when frozen")
	}
	checkInvariants(t, e.t)
}

func TestRestoreRejectsDamage(t *testing.T) {
	good := snapshotBytes(t, richTree(t).t.Snapshot())
	if _, err := Restore(bytes.NewReader(good), Options{ExtendedTypes: true}); err != nil {
		t.Fatal(err)
	}
	// Every truncation is an error, and a truncation at or after the magic
	// that ends inside or before the end frame is ErrSnapshotTruncated.
	for n := 0; n < len(good); n++ {
		_, err := Restore(bytes.NewReader(good[:n]), Options{ExtendedTypes: true})
		if !errors.Is(err, ErrSnapshotTruncated) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	// Every single-byte change is an error.
	for i := 0; i < len(good); i++ {
		bad := bytes.Clone(good)
		bad[i] ^= 0x40
		if _, err := Restore(bytes.NewReader(bad), Options{ExtendedTypes: true}); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
	if _, err := Restore(bytes.NewReader(append(bytes.Clone(good), 0)), Options{}); !errors.Is(err, ErrSnapshotCorrupt) {
		t.Fatalf("trailing byte: %v", err)
	}
	bad := bytes.Clone(good)
	bad[len(snapMagic)] = 9
	if _, err := Restore(bytes.NewReader(bad), Options{}); !errors.Is(err, ErrSnapshotVersion) {
		t.Fatalf("version: %v", err)
	}
	if _, err := Restore(bytes.NewReader([]byte("not a snapshot at all")), Options{}); !errors.Is(err, ErrSnapshotCorrupt) {
		t.Fatalf("garbage: %v", err)
	}
}

// TestRestoreRejectsInconsistent feeds well-checksummed frames that do not
// describe a valid tree.
func TestRestoreRejectsInconsistent(t *testing.T) {
	type rec struct {
		typ  byte
		body func(e *jute.Encoder)
	}
	header := rec{recHeader, func(e *jute.Encoder) { e.Long(7) }}
	aclRec := rec{recACL, func(e *jute.Encoder) { jute.EncodeACLs(e, open) }}
	nodeRec := func(path string, aclIdx int32) rec {
		return rec{recNode, func(e *jute.Encoder) {
			e.String(path)
			e.Buffer(nil)
			e.Int(aclIdx)
			for i := 0; i < 4; i++ {
				e.Long(0)
			}
			e.Int(0)
			e.Int(0)
			e.Int(0)
			e.Long(0)
			e.Long(0)
		}}
	}
	end := func(nodes, acls int64, digest uint64) rec {
		return rec{recEnd, func(e *jute.Encoder) {
			e.Long(nodes)
			e.Long(acls)
			e.Long(0)
			e.Long(0)
			e.Long(int64(digest))
		}}
	}
	build := func(recs ...rec) []byte {
		var buf bytes.Buffer
		buf.WriteString(snapMagic + "\x01")
		fw := &frameWriter{w: bufioWriter(&buf)}
		for _, r := range recs {
			fw.e.Reset()
			r.body(&fw.e)
			fw.frame(r.typ)
		}
		fw.w.Flush()
		return buf.Bytes()
	}
	// A minimal valid snapshot: just the root.
	root := newEmpty(Options{})
	n := makeNode(rootParent, "", nil, &meta{acl: root.acls.intern(open)})
	root.nodes.ReplaceOrInsert(n)
	digest := root.digestOf(n) + mix64(0^0x5e55) + mix64(0^0x9407a)
	if _, err := Restore(bytes.NewReader(build(header, aclRec, nodeRec("/", 0), end(1, 1, digest))), Options{}); err != nil {
		t.Fatalf("minimal snapshot: %v", err)
	}
	tests := map[string][]rec{
		"no header":         {aclRec, nodeRec("/", 0), end(1, 1, digest)},
		"two headers":       {header, header, aclRec, nodeRec("/", 0), end(1, 1, digest)},
		"no root":           {header, end(0, 0, 0)},
		"root not first":    {header, aclRec, nodeRec("/a", 0), nodeRec("/", 0), end(2, 1, digest)},
		"orphan":            {header, aclRec, nodeRec("/", 0), nodeRec("/a/b", 0), end(2, 1, digest)},
		"out of order":      {header, aclRec, nodeRec("/", 0), nodeRec("/b", 0), nodeRec("/a", 0), end(3, 1, digest)},
		"duplicate":         {header, aclRec, nodeRec("/", 0), nodeRec("/a", 0), nodeRec("/a", 0), end(3, 1, digest)},
		"invalid path":      {header, aclRec, nodeRec("/", 0), nodeRec("/a/", 0), end(2, 1, digest)},
		"bad ACL index":     {header, aclRec, nodeRec("/", 1), end(1, 1, digest)},
		"unused ACL":        {header, aclRec, aclRec, nodeRec("/", 0), end(1, 2, digest)},
		"wrong count":       {header, aclRec, nodeRec("/", 0), end(2, 1, digest)},
		"wrong digest":      {header, aclRec, nodeRec("/", 0), end(1, 1, digest+1)},
		"unknown record":    {header, {'Z', func(*jute.Encoder) {}}, aclRec, nodeRec("/", 0), end(1, 1, digest)},
		"short record":      {header, {recSession, func(e *jute.Encoder) { e.Int(1) }}, aclRec, nodeRec("/", 0), end(1, 1, digest)},
		"long record":       {{recHeader, func(e *jute.Encoder) { e.Long(1); e.Int(0) }}, aclRec, nodeRec("/", 0), end(1, 1, digest)},
		"bad quota path":    {header, {recQuota, func(e *jute.Encoder) { e.String("a//b") }}, aclRec, nodeRec("/", 0), end(1, 1, digest)},
		"records after end": {header, aclRec, nodeRec("/", 0), end(1, 1, digest), header},
		"short node record": {header, aclRec, {recNode, func(e *jute.Encoder) { e.String("/"); e.Buffer(nil); e.Int(0) }}, end(1, 1, digest)},
		"long node record": {header, aclRec, {recNode, func(e *jute.Encoder) {
			nodeRec("/", 0).body(e)
			e.Int(0)
		}}, end(1, 1, digest)},
		"node data length": {header, aclRec, {recNode, func(e *jute.Encoder) { e.String("/"); e.Int(1000) }}, end(1, 1, digest)},
		"node path length": {header, aclRec, {recNode, func(e *jute.Encoder) { e.Int(-2) }}, end(1, 1, digest)},
	}
	for name, recs := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Restore(bytes.NewReader(build(recs...)), Options{}); !errors.Is(err, ErrSnapshotCorrupt) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, io.ErrClosedPipe
	}
	w.after--
	return len(p), nil
}

func TestWriteToError(t *testing.T) {
	f := richTree(t).t.Snapshot()
	if _, err := f.WriteTo(&failingWriter{}); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("got %v", err)
	}
}

func bufioWriter(w io.Writer) *bufio.Writer { return bufio.NewWriter(w) }
