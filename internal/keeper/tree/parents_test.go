package tree

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// TestParentTableCopyOnWrite: a view keeps the paths its ids had while the
// table frees them and gives them to other paths.
func TestParentTableCopyOnWrite(t *testing.T) {
	p := newParentTable()
	a, b := p.intern("/a"), p.intern("/b")
	if p.intern("/a") != a || p.refs[a] != 2 {
		t.Fatalf("interning /a twice: id %d refs %d", a, p.refs[a])
	}
	v := p.freeze()
	p.release(a)
	p.release(a)
	if _, ok := p.lookup("/a"); ok || p.path(a) != "" {
		t.Fatal("/a is still interned after its last release")
	}
	if c := p.intern("/c"); c != a {
		t.Fatalf("the freed id %d was not reused (got %d): the test does not test", a, c)
	}
	if v.path(a) != "/a" || v.path(b) != "/b" || p.path(a) != "/c" || p.path(b) != "/b" {
		t.Fatalf("view %q %q, live %q %q", v.path(a), v.path(b), p.path(a), p.path(b))
	}
	// Ids past the first chunk, and a second view.
	var ids []uint32
	for i := 0; i < 3*parentChunkLen; i++ {
		ids = append(ids, p.intern(fmt.Sprintf("/x%d", i)))
	}
	v2 := p.freeze()
	for _, id := range ids {
		p.release(id)
	}
	for i, id := range ids {
		if got := v2.path(id); got != fmt.Sprintf("/x%d", i) {
			t.Fatalf("view 2: id %d is %q", id, got)
		}
	}
	if v.path(a) != "/a" || len(p.ids) != 2 {
		t.Fatalf("view 1 %q, live ids %v", v.path(a), p.ids)
	}
}

// TestFrozenKeepsFreedParent: a parent path freed and its id reused by the
// live tree after a Snapshot still resolves to the old path in the frozen
// copy, written while the live tree changes (run with -race).
func TestFrozenKeepsFreedParent(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustCreate("/x", 0)
	e.mustCreate("/x/c1", 0)
	e.mustCreate("/x/c2", 0)
	e.mustCreate("/y", 0)
	idX, _ := e.t.parents.lookup("/x")
	want := dump(e.t)
	f := e.t.Snapshot()
	var wg sync.WaitGroup
	var snap []byte
	start := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		var buf bytes.Buffer
		if _, err := f.WriteTo(&buf); err != nil {
			t.Error(err)
		}
		snap = buf.Bytes()
	}()
	e.del("/x/c1", -1)
	e.del("/x/c2", -1)
	close(start)
	e.mustCreate("/y/z", 0)
	if id, _ := e.t.parents.lookup("/y"); id != idX {
		t.Fatalf("the freed id %d was not reused (got %d): the test does not test", idX, id)
	}
	for i := 0; i < 300; i++ { // churn over more than one chunk of ids
		e.t.Apply(e.txn(jute.OpCreate, &jute.CreateRequest{Path: fmt.Sprintf("/y/z/p%d", i), ACL: open}))
		e.t.Apply(e.txn(jute.OpCreate, &jute.CreateRequest{Path: fmt.Sprintf("/y/z/p%d/c", i), ACL: open}))
	}
	wg.Wait()
	checkInvariants(t, e.t)
	old, err := Restore(bytes.NewReader(snap), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := dump(old); !reflect.DeepEqual(got, want) {
		t.Fatalf("frozen tree:\n%v\nwant:\n%v", got, want)
	}
}

// TestFailedMultiReleasesParent: a multi that creates under new parents and
// then fails leaves the parent table as it was.
func TestFailedMultiReleasesParent(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustCreate("/p", 0)
	before := len(e.t.parents.ids)
	r := e.apply(jute.OpMulti, &jute.MultiRequest{Ops: []jute.MultiOp{
		{Type: jute.OpCreate, Body: &jute.CreateRequest{Path: "/p/m", ACL: open}},
		{Type: jute.OpCreate, Body: &jute.CreateRequest{Path: "/p/m/c", ACL: open}},
		{Type: jute.OpDelete, Body: &jute.PathVersionRequest{Path: "/missing", Version: -1}},
	}})
	if r.Err != jute.ErrOK || r.Resp.(*jute.MultiResponse).Results[2].Err != jute.ErrNoNode {
		t.Fatalf("multi: %v %+v", r.Err.Name(), r.Resp)
	}
	if len(e.t.parents.ids) != before {
		t.Fatalf("parent table holds %d paths, held %d", len(e.t.parents.ids), before)
	}
	// The same ops without the failing one: both parents are interned,
	// and deleting the children frees them again.
	e.apply(jute.OpMulti, &jute.MultiRequest{Ops: []jute.MultiOp{
		{Type: jute.OpCreate, Body: &jute.CreateRequest{Path: "/p/m", ACL: open}},
		{Type: jute.OpCreate, Body: &jute.CreateRequest{Path: "/p/m/c", ACL: open}},
	}})
	if len(e.t.parents.ids) != before+2 {
		t.Fatalf("parent table holds %d paths, want %d", len(e.t.parents.ids), before+2)
	}
	e.del("/p/m/c", -1)
	e.del("/p/m", -1)
	if len(e.t.parents.ids) != before {
		t.Fatalf("parent table holds %d paths after the deletes, held %d", len(e.t.parents.ids), before)
	}
}

// TestKeyHashMatchesKey: the digest hashes a node's key as the bytes
// "parent path, NUL, name", as when nodes held them, so digests (and
// snapshots, whose end record carries one) agree with older versions.
func TestKeyHashMatchesKey(t *testing.T) {
	e := goldenTree(t)
	e.t.nodes.Ascend(func(n *node) bool {
		key := ""
		if n.parent() != rootParent {
			key = e.t.parents.path(n.parent()) + "\x00" + n.name()
		}
		if got, want := e.t.keyHash(n), hashString(key, keySeed); got != want {
			t.Fatalf("keyHash(%q) = %#x, want %#x", key, got, want)
		}
		return true
	})
}

// TestDescendants checks the subtree walk against a scan of every node,
// with sibling paths that sort between a node's children and its deeper
// descendants ("/a!" between "/a" and "/a/...").
func TestDescendants(t *testing.T) {
	e := goldenTree(t)
	for _, root := range []string{"/", "/a", "/a/b", "/a/b/c/d/e", "/a!", "/gone", "/zookeeper"} {
		var got, want []string
		e.t.descendants(root, func(n *node) bool {
			got = append(got, e.t.parents.pathOf(n))
			return true
		})
		prefix := root + "/"
		if root == rootPath {
			prefix = "/"
		}
		e.t.nodes.Ascend(func(n *node) bool {
			if p := e.t.parents.pathOf(n); p != rootPath && len(p) > len(prefix) && p[:len(prefix)] == prefix {
				want = append(want, p)
			}
			return true
		})
		if !reflect.DeepEqual(got, want) {
			t.Errorf("descendants(%s) = %v, want %v", root, got, want)
		}
		if len(want) > 1 { // stopping early
			var n int
			e.t.descendants(root, func(*node) bool { n++; return n < 2 })
			if n != 2 {
				t.Errorf("descendants(%s) went on after false: %d calls", root, n)
			}
		}
	}
}
