package tree

import (
	"reflect"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func TestSessions(t *testing.T) {
	e := newEnv(t, Options{})
	s, ok := e.t.Session(sess1)
	if !ok || s.Timeout != 30000 || string(s.Passwd) != "pw1" {
		t.Fatalf("session 1: %+v %v", s, ok)
	}
	if len(e.t.Sessions()) != 2 {
		t.Fatalf("sessions %v", e.t.Sessions())
	}
	// The copy is the caller's.
	m := e.t.Sessions()
	delete(m, sess1)
	if _, ok := e.t.Session(sess1); !ok {
		t.Fatal("Sessions returned the tree's map")
	}
	// Closing an unknown session is harmless.
	d := e.t.Digest()
	if r := e.as(0x777, nil).apply(jute.OpCloseSession, nil); r.Err != jute.ErrOK || r.Events != nil {
		t.Fatalf("close unknown: %+v", r)
	}
	if e.t.Digest() != d {
		t.Fatal("closing an unknown session changed the digest")
	}
	if r := e.apply(jute.OpCreateSession, &jute.PathRequest{}); r.Err != jute.ErrMarshallingError {
		t.Fatalf("createSession with wrong body: %v", r.Err.Name())
	}
}

func TestEphemeralCleanup(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustCreate("/a", 0)
	e.mustCreate("/b", 0)
	s1, s2 := e.as(sess1, nil), e.as(sess2, nil)
	s1.mustCreate("/a/e1", jute.ModeEphemeral)
	s1.mustCreate("/b/e", jute.ModeEphemeralSequential)
	s1.mustCreate("/z", jute.ModeEphemeral)
	s2.mustCreate("/a/e2", jute.ModeEphemeral)

	if got := e.t.Ephemerals(sess1, ""); !reflect.DeepEqual(got, []string{"/a/e1", "/b/e0000000000", "/z"}) {
		t.Fatalf("Ephemerals: %v", got)
	}
	if got := e.t.Ephemerals(sess1, " / "); len(got) != 3 {
		t.Fatalf("Ephemerals(' / '): %v", got)
	}
	if got := e.t.Ephemerals(sess1, "/a"); !reflect.DeepEqual(got, []string{"/a/e1"}) {
		t.Fatalf("Ephemerals(/a): %v", got)
	}
	if got := e.t.Ephemerals(sess1, "/b/e0"); !reflect.DeepEqual(got, []string{"/b/e0000000000"}) {
		t.Fatalf("Ephemerals(/b/e0): %v", got)
	}
	if got := e.t.Ephemerals(0x999, ""); got == nil || len(got) != 0 {
		t.Fatalf("Ephemerals of unknown session: %#v", got)
	}
	if e.t.EphemeralCount() != 4 {
		t.Fatalf("EphemeralCount %d", e.t.EphemeralCount())
	}
	zxid := e.c.zxid + 1
	r := s1.apply(jute.OpCloseSession, nil)
	want := []Event{
		{Type: EventNodeDeleted, Path: "/a/e1"}, {Type: EventNodeChildrenChanged, Path: "/a"},
		{Type: EventNodeDeleted, Path: "/b/e0000000000"}, {Type: EventNodeChildrenChanged, Path: "/b"},
		{Type: EventNodeDeleted, Path: "/z"}, {Type: EventNodeChildrenChanged, Path: "/"},
	}
	if r.Err != jute.ErrOK || !reflect.DeepEqual(noACL(r.Events), want) {
		t.Fatalf("close: %v %v", r.Err.Name(), r.Events)
	}
	if _, ok := e.t.Session(sess1); ok {
		t.Fatal("session 1 still open")
	}
	if st := e.stat("/a"); st.Pzxid != zxid || st.NumChildren != 1 || st.Cversion != 3 {
		t.Fatalf("/a after close: %+v", st)
	}
	if e.t.EphemeralCount() != 1 || len(e.t.Ephemerals(sess1, "")) != 0 {
		t.Fatalf("ephemerals left: %d", e.t.EphemeralCount())
	}
	// A closed session can no longer create ephemerals.
	if r := s1.create("/again", nil, open, jute.ModeEphemeral); r.Err != jute.ErrSessionExpired {
		t.Fatalf("ephemeral after close: %v", r.Err.Name())
	}
	// Deleting an ephemeral by hand updates the index.
	if err := e.del("/a/e2", -1); err != jute.ErrOK {
		t.Fatal(err)
	}
	if e.t.EphemeralCount() != 0 {
		t.Fatal("deleted ephemeral still counted")
	}
}

func TestReads(t *testing.T) {
	e := newEnv(t, Options{})
	for _, p := range []string{"/a", "/a/c", "/a/b", "/a/b/x", "/a-", "/a/b-"} {
		e.mustCreate(p, 0)
	}
	names, st, err := e.t.Children("/a", nil)
	if err != jute.ErrOK || !reflect.DeepEqual(names, []string{"b", "b-", "c"}) || st.NumChildren != 3 {
		t.Fatalf("Children /a: %v %+v %v", names, st, err.Name())
	}
	if names, _, _ := e.t.Children("/a/c", nil); names == nil || len(names) != 0 {
		t.Fatalf("Children of a leaf: %#v", names)
	}
	if _, _, err := e.t.Children("/none", nil); err != jute.ErrNoNode {
		t.Fatalf("Children missing: %v", err.Name())
	}
	// "" is the root, as in ZooKeeper's node table.
	if names, _, err := e.t.Children("", nil); err != jute.ErrOK || !reflect.DeepEqual(names, []string{"a", "a-", "zookeeper"}) {
		t.Fatalf("Children(\"\"): %v", names)
	}
	for path, want := range map[string]int32{"/a": 4, "/a/b": 1, "/a/c": 0, "/zookeeper": 2, "/": 9, "": 10} {
		if n, err := e.t.AllChildrenNumber(path, nil); err != jute.ErrOK || n != want {
			t.Errorf("AllChildrenNumber(%q) = %d %v, want %d", path, n, err.Name(), want)
		}
	}
	if _, err := e.t.AllChildrenNumber("/none", nil); err != jute.ErrNoNode {
		t.Fatalf("AllChildrenNumber missing: %v", err.Name())
	}
	for _, p := range []string{"a", "/a/", "/a//b", "/a\x00", "/a/b\x00x"} {
		if _, _, err := e.t.GetData(p, nil); err != jute.ErrNoNode {
			t.Errorf("GetData(%q): %v", p, err.Name())
		}
	}
	if e.t.NodeCount() != 10 {
		t.Fatalf("NodeCount %d", e.t.NodeCount())
	}
	// ApproxDataSize counts UTF-16 units of the path plus data bytes.
	before := e.t.ApproxDataSize()
	e.create("/\u00e9\u4e2d", []byte("12345"), open, 0)
	if got := e.t.ApproxDataSize() - before; got != 1+1+1+5 {
		t.Fatalf("ApproxDataSize grew by %d", got)
	}
}
