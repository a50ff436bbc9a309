package tree

import (
	"reflect"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func acl(perms int32, scheme, id string) []jute.ACL {
	return []jute.ACL{{Perms: perms, ID: jute.ID{Scheme: scheme, ID: id}}}
}

// fixture builds the tree the error tables run against:
//
//	/p          world ALL, data "x", child /p/c
//	/e          ephemeral of sess1
//	/ro         world READ, child /ro/k
//	/nod        world ALL but DELETE, child /nod/k
//	/dig        digest u:p ALL
//	/tight      world nothing (perms 0)
func fixture(tb testing.TB, o Options) *env {
	e := newEnv(tb, o)
	for _, c := range []struct {
		path  string
		acl   []jute.ACL
		flags int32
	}{
		{"/p", open, 0}, {"/p/c", open, 0}, {"/e", open, jute.ModeEphemeral},
		{"/ro", acl(jute.PermRead, "world", "anyone"), 0},
		{"/nod", acl(jute.PermAll&^jute.PermDelete, "world", "anyone"), 0},
		{"/dig", acl(jute.PermAll, "digest", digestU.ID), 0},
		{"/tight", acl(0, "world", "anyone"), 0},
	} {
		if r := e.create(c.path, []byte("x"), c.acl, c.flags); r.Err != jute.ErrOK {
			tb.Fatalf("fixture %s: %v", c.path, r.Err.Name())
		}
	}
	for _, p := range []string{"/nod/k", "/ro/k"} {
		if r := e.as(sess1, []jute.ID{superUser}).create(p, nil, open, 0); r.Err != jute.ErrOK {
			tb.Fatalf("fixture %s: %v", p, r.Err.Name())
		}
	}
	return e
}

func TestCreateErrors(t *testing.T) {
	cr := func(path string, acl []jute.ACL, flags int32) *jute.CreateRequest {
		return &jute.CreateRequest{Path: path, ACL: acl, Flags: flags}
	}
	ttl := func(path string, flags int32, ttl int64) *jute.CreateTTLRequest {
		return &jute.CreateTTLRequest{Path: path, ACL: open, Flags: flags, TTL: ttl}
	}
	tests := []struct {
		name    string
		ext     bool
		session int64
		auth    []jute.ID
		op      jute.OpCode
		body    jute.Record
		want    jute.Err
		path    string
	}{
		{name: "persistent", op: jute.OpCreate, body: cr("/n", open, 0), path: "/n"},
		{name: "unknown flag", op: jute.OpCreate, body: cr("/n", open, 7), want: jute.ErrBadArguments},
		{name: "negative flag", op: jute.OpCreate2, body: cr("/n", open, -1), want: jute.ErrBadArguments},
		{name: "TTL mode disabled", op: jute.OpCreateTTL, body: ttl("/n", jute.ModePersistentWithTTL, 5), want: jute.ErrUnimplemented},
		{name: "TTL mode via create disabled", op: jute.OpCreate, body: cr("/n", open, jute.ModePersistentWithTTL), want: jute.ErrUnimplemented},
		{name: "TTL via create has no ttl", ext: true, op: jute.OpCreate, body: cr("/n", open, jute.ModePersistentWithTTL), want: jute.ErrBadArguments},
		{name: "TTL zero", ext: true, op: jute.OpCreateTTL, body: ttl("/n", jute.ModePersistentWithTTL, 0), want: jute.ErrBadArguments},
		{name: "TTL too large", ext: true, op: jute.OpCreateTTL, body: ttl("/n", jute.ModePersistentWithTTL, MaxTTL+1), want: jute.ErrBadArguments},
		{name: "TTL max", ext: true, op: jute.OpCreateTTL, body: ttl("/n", jute.ModePersistentWithTTL, MaxTTL), path: "/n"},
		{name: "TTL sequential", ext: true, op: jute.OpCreateTTL, body: ttl("/p/s", jute.ModePersistentSequentialWithTTL, 9), path: "/p/s0000000001"},
		{name: "ttl for non-TTL mode", ext: true, op: jute.OpCreateTTL, body: ttl("/n", 0, 5), want: jute.ErrBadArguments},
		{name: "createTTL without TTL mode or ttl", ext: true, op: jute.OpCreateTTL, body: ttl("/n", 0, -1), want: jute.ErrBadArguments},
		{name: "createTTL without TTL mode, existing", ext: true, op: jute.OpCreateTTL, body: ttl("/p", 0, -1), want: jute.ErrNodeExists},
		{name: "ephemeral unknown session", session: 0x999, op: jute.OpCreate, body: cr("/n", open, jute.ModeEphemeral), want: jute.ErrSessionExpired},
		{name: "persistent unknown session", session: 0x999, op: jute.OpCreate, body: cr("/n", open, 0), path: "/n"},
		{name: "empty path", op: jute.OpCreate, body: cr("", open, 0), want: jute.ErrBadArguments},
		{name: "relative path", op: jute.OpCreate, body: cr("n", open, 0), want: jute.ErrBadArguments},
		{name: "NUL", op: jute.OpCreate, body: cr("/n\x00", open, 0), want: jute.ErrBadArguments},
		{name: "nil ACL", op: jute.OpCreate, body: cr("/n", nil, 0), want: jute.ErrInvalidACL},
		{name: "empty ACL", op: jute.OpCreate, body: cr("/n", []jute.ACL{}, 0), want: jute.ErrInvalidACL},
		{name: "world other id", op: jute.OpCreate, body: cr("/n", acl(31, "world", "x"), 0), want: jute.ErrInvalidACL},
		{name: "unknown scheme", op: jute.OpCreate, body: cr("/n", acl(31, "sasl", "x"), 0), want: jute.ErrInvalidACL},
		{name: "super scheme", op: jute.OpCreate, body: cr("/n", acl(31, "super", ""), 0), want: jute.ErrInvalidACL},
		{name: "auth without identity", op: jute.OpCreate, body: cr("/n", acl(31, "auth", ""), 0), want: jute.ErrInvalidACL},
		{name: "auth with ip only", auth: []jute.ID{ipLocal}, op: jute.OpCreate, body: cr("/n", acl(31, "auth", ""), 0), want: jute.ErrInvalidACL},
		{name: "auth with digest", auth: []jute.ID{ipLocal, digestU}, op: jute.OpCreate, body: cr("/n", acl(31, "auth", ""), 0), path: "/n"},
		{name: "bad digest id", op: jute.OpCreate, body: cr("/n", acl(31, "digest", "u"), 0), want: jute.ErrInvalidACL},
		{name: "bad ip", op: jute.OpCreate, body: cr("/n", acl(31, "ip", "1.2.3"), 0), want: jute.ErrInvalidACL},
		{name: "InvalidACL before NoNode", op: jute.OpCreate, body: cr("/none/n", nil, 0), want: jute.ErrInvalidACL},
		{name: "no parent", op: jute.OpCreate, body: cr("/none/n", open, 0), want: jute.ErrNoNode},
		{name: "NoNode before NoAuth", op: jute.OpCreate, body: cr("/ro/none/n", open, 0), want: jute.ErrNoNode},
		{name: "no CREATE", op: jute.OpCreate, body: cr("/ro/n", open, 0), want: jute.ErrNoAuth},
		{name: "NoAuth before NodeExists", op: jute.OpCreate, body: cr("/ro/k", open, 0), want: jute.ErrNoAuth},
		{name: "super may", auth: []jute.ID{superUser}, op: jute.OpCreate, body: cr("/ro/n", open, 0), path: "/ro/n"},
		{name: "digest parent", auth: []jute.ID{digestU}, op: jute.OpCreate, body: cr("/dig/n", open, 0), path: "/dig/n"},
		{name: "digest parent other user", auth: []jute.ID{digestV}, op: jute.OpCreate, body: cr("/dig/n", open, 0), want: jute.ErrNoAuth},
		{name: "trailing slash", op: jute.OpCreate, body: cr("/p/", open, 0), want: jute.ErrBadArguments},
		{name: "trailing slash sequential", op: jute.OpCreate, body: cr("/p/", open, jute.ModePersistentSequential), path: "/p/0000000001"},
		{name: "trailing slash no parent", op: jute.OpCreate, body: cr("/none/", open, 0), want: jute.ErrNoNode},
		{name: "dot-dot parent", op: jute.OpCreate, body: cr("/p/../n", open, 0), want: jute.ErrNoNode},
		{name: "dot name", op: jute.OpCreate, body: cr("/p/.", open, 0), want: jute.ErrBadArguments},
		{name: "root", op: jute.OpCreate, body: cr("/", open, 0), want: jute.ErrNodeExists},
		{name: "exists", op: jute.OpCreate, body: cr("/p", open, 0), want: jute.ErrNodeExists},
		{name: "under ephemeral", op: jute.OpCreate, body: cr("/e/n", open, 0), want: jute.ErrNoChildrenForEphemerals},
		{name: "sequential under ephemeral", op: jute.OpCreate, body: cr("/e/n", open, jute.ModeEphemeralSequential), want: jute.ErrNoChildrenForEphemerals},
		{name: "wrong body", op: jute.OpCreate, body: &jute.SetDataRequest{Path: "/n"}, want: jute.ErrMarshallingError},
		{name: "nil body", op: jute.OpCreate2, want: jute.ErrMarshallingError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := fixture(t, Options{ExtendedTypes: tc.ext})
			sess := tc.session
			if sess == 0 {
				sess = sess1
			}
			before, digest := dump(e.t), e.t.Digest()
			r := e.as(sess, tc.auth).apply(tc.op, tc.body)
			if r.Err != tc.want {
				t.Fatalf("err %v, want %v", r.Err.Name(), tc.want.Name())
			}
			if tc.want != jute.ErrOK {
				if r.Resp != nil || r.Events != nil || r.Path != "" {
					t.Fatalf("failed create returned %+v", r)
				}
				if !reflect.DeepEqual(dump(e.t), before) || e.t.Digest() != digest {
					t.Fatalf("failed create changed the tree")
				}
				return
			}
			if r.Path != tc.path {
				t.Fatalf("path %q, want %q", r.Path, tc.path)
			}
			if _, ok := e.t.Exists(tc.path); !ok {
				t.Fatalf("%s not created", tc.path)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	pv := func(path string, v int32) *jute.PathVersionRequest {
		return &jute.PathVersionRequest{Path: path, Version: v}
	}
	sd := func(path string, v int32) *jute.SetDataRequest {
		return &jute.SetDataRequest{Path: path, Data: []byte("y"), Version: v}
	}
	sa := func(path string, acl []jute.ACL, v int32) *jute.SetACLRequest {
		return &jute.SetACLRequest{Path: path, ACL: acl, Version: v}
	}
	tests := []struct {
		name string
		auth []jute.ID
		op   jute.OpCode
		body jute.Record
		want jute.Err
	}{
		{"delete root", nil, jute.OpDelete, pv("/", -1), jute.ErrBadArguments},
		{"delete /zookeeper", nil, jute.OpDelete, pv("/zookeeper", -1), jute.ErrBadArguments},
		{"delete quota", nil, jute.OpDelete, pv("/zookeeper/quota", -1), jute.ErrBadArguments},
		{"delete config", []jute.ID{superUser}, jute.OpDelete, pv("/zookeeper/config", -1), jute.ErrBadArguments},
		{"delete relative", nil, jute.OpDelete, pv("p", -1), jute.ErrBadArguments},
		{"delete empty", nil, jute.OpDelete, pv("", -1), jute.ErrBadArguments},
		{"delete NUL", nil, jute.OpDelete, pv("/p\x00", -1), jute.ErrBadArguments},
		{"delete no parent", nil, jute.OpDelete, pv("/none/x", -1), jute.ErrNoNode},
		{"delete no DELETE", nil, jute.OpDelete, pv("/nod/k", -1), jute.ErrNoAuth},
		{"delete NoAuth before NoNode", nil, jute.OpDelete, pv("/nod/none", -1), jute.ErrNoAuth},
		{"delete missing", nil, jute.OpDelete, pv("/p/none", -1), jute.ErrNoNode},
		{"delete trailing slash", nil, jute.OpDelete, pv("/p/", -1), jute.ErrNoNode},
		{"delete BadVersion before NotEmpty", nil, jute.OpDelete, pv("/p", 5), jute.ErrBadVersion},
		{"delete not empty", nil, jute.OpDelete, pv("/p", 0), jute.ErrNotEmpty},
		{"delete ok", nil, jute.OpDelete, pv("/p/c", 0), jute.ErrOK},
		{"delete super", []jute.ID{superUser}, jute.OpDelete, pv("/nod/k", -1), jute.ErrOK},
		{"setData invalid path", nil, jute.OpSetData, sd("/p/", -1), jute.ErrBadArguments},
		{"setData empty path", nil, jute.OpSetData, sd("", -1), jute.ErrBadArguments},
		{"setData missing", nil, jute.OpSetData, sd("/none", -1), jute.ErrNoNode},
		{"setData no WRITE", nil, jute.OpSetData, sd("/ro", -1), jute.ErrNoAuth},
		{"setData NoAuth before BadVersion", nil, jute.OpSetData, sd("/ro", 7), jute.ErrNoAuth},
		{"setData bad version", nil, jute.OpSetData, sd("/p", 1), jute.ErrBadVersion},
		{"setData digest", []jute.ID{ipLocal, digestU}, jute.OpSetData, sd("/dig", 0), jute.ErrOK},
		{"setData digest other", []jute.ID{digestV}, jute.OpSetData, sd("/dig", 0), jute.ErrNoAuth},
		{"setData config", nil, jute.OpSetData, sd("/zookeeper/config", -1), jute.ErrNoAuth},
		{"setACL invalid path", nil, jute.OpSetACL, sa("/p/", open, -1), jute.ErrBadArguments},
		{"setACL InvalidACL before NoNode", nil, jute.OpSetACL, sa("/none", nil, -1), jute.ErrInvalidACL},
		{"setACL missing", nil, jute.OpSetACL, sa("/none", open, -1), jute.ErrNoNode},
		{"setACL no ADMIN", nil, jute.OpSetACL, sa("/ro", open, -1), jute.ErrNoAuth},
		{"setACL bad version", nil, jute.OpSetACL, sa("/p", open, 1), jute.ErrBadVersion},
		{"setACL ok", nil, jute.OpSetACL, sa("/p", open, 0), jute.ErrOK},
		{"setACL auth", []jute.ID{digestU}, jute.OpSetACL, sa("/dig", acl(31, "auth", ""), -1), jute.ErrOK},
		{"check invalid path", nil, jute.OpCheck, pv("p", -1), jute.ErrBadArguments},
		{"check missing", nil, jute.OpCheck, pv("/none", -1), jute.ErrNoNode},
		{"check no READ", nil, jute.OpCheck, pv("/tight", -1), jute.ErrNoAuth},
		{"check bad version", nil, jute.OpCheck, pv("/p", 3), jute.ErrBadVersion},
		{"check ok", nil, jute.OpCheck, pv("/p", 0), jute.ErrOK},
		{"reconfig", nil, jute.OpReconfig, &jute.ReconfigRequest{}, jute.ErrUnimplemented},
		{"read op", nil, jute.OpGetData, &jute.PathWatchRequest{Path: "/p"}, jute.ErrUnimplemented},
		{"deleteContainer wrong body", nil, jute.OpDeleteContainer, &jute.SetDataRequest{}, jute.ErrMarshallingError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := fixture(t, Options{})
			before, digest := dump(e.t), e.t.Digest()
			r := e.as(sess1, tc.auth).apply(tc.op, tc.body)
			if r.Err != tc.want {
				t.Fatalf("err %v, want %v", r.Err.Name(), tc.want.Name())
			}
			if tc.want != jute.ErrOK {
				if r.Resp != nil || r.Events != nil {
					t.Fatalf("failed op returned %+v", r)
				}
				if !reflect.DeepEqual(dump(e.t), before) || e.t.Digest() != digest {
					t.Fatalf("failed op changed the tree")
				}
			}
		})
	}
}

func TestStatsThroughLifecycle(t *testing.T) {
	e := newEnv(t, Options{})
	// txn 1, 2 were the two createSessions.
	r := e.create("/a", []byte("hello"), open, 0) // zxid 3, time 1_000_030
	want := jute.Stat{Czxid: 3, Mzxid: 3, Pzxid: 3, Ctime: 1_000_030, Mtime: 1_000_030, DataLength: 5}
	if got := r.Resp.(*jute.Create2Response).Stat; got != want {
		t.Fatalf("create2 stat %+v, want %+v", got, want)
	}
	if st := e.stat("/a"); st != want {
		t.Fatalf("stat %+v, want %+v", st, want)
	}
	root := e.stat("/")
	if root.NumChildren != 2 || root.Cversion != 0 || root.Pzxid != 3 {
		// stored cversion 1 (one create), 2 children: 2*1-2 = 0.
		t.Fatalf("root after create: %+v", root)
	}

	r = e.setData("/a", []byte("hi"), 0) // zxid 4
	want = jute.Stat{Czxid: 3, Mzxid: 4, Pzxid: 3, Ctime: 1_000_030, Mtime: 1_000_040, Version: 1, DataLength: 2}
	if got := r.Resp.(*jute.StatResponse).Stat; got != want {
		t.Fatalf("setData stat %+v, want %+v", got, want)
	}
	if len(r.Events) != 1 || r.Events[0].Type != EventNodeDataChanged || r.Events[0].Path != "/a" {
		t.Fatalf("setData events %v", r.Events)
	}

	r = e.apply(jute.OpSetACL, &jute.SetACLRequest{Path: "/a", ACL: acl(31, "world", "anyone"), Version: 0}) // zxid 5
	want.Aversion = 1
	if got := r.Resp.(*jute.StatResponse).Stat; got != want {
		t.Fatalf("setACL stat %+v, want %+v", got, want)
	}
	if r.Events != nil {
		t.Fatalf("setACL events %v", r.Events)
	}

	// Children: cversion counts creates and deletes, pzxid follows both.
	e.mustCreate("/a/x", 0) // zxid 6
	e.mustCreate("/a/y", 0) // zxid 7
	if st := e.stat("/a"); st.Cversion != 2 || st.NumChildren != 2 || st.Pzxid != 7 || st.Mzxid != 4 {
		t.Fatalf("/a after two creates: %+v", st)
	}
	if err := e.del("/a/x", -1); err != jute.ErrOK { // zxid 8
		t.Fatal(err)
	}
	if st := e.stat("/a"); st.Cversion != 3 || st.NumChildren != 1 || st.Pzxid != 8 {
		t.Fatalf("/a after delete: %+v", st)
	}
	// The sequence number is the stored cversion (creates only): 2.
	if p := e.mustCreate("/a/s", jute.ModePersistentSequential); p != "/a/s0000000002" {
		t.Fatalf("sequential %s", p)
	}
	if err := e.del("/a/s0000000002", -1); err != jute.ErrOK {
		t.Fatal(err)
	}
	if p := e.mustCreate("/a/s", jute.ModeEphemeralSequential); p != "/a/s0000000003" {
		t.Fatalf("sequential after delete %s", p)
	}
	if st := e.stat("/a/s0000000003"); st.EphemeralOwner != sess1 {
		t.Fatalf("ephemeral owner %#x", st.EphemeralOwner)
	}
}

func TestInitialTree(t *testing.T) {
	tr := New(Options{})
	want := map[string]jute.Stat{
		"/":                 {Cversion: -1, NumChildren: 1},
		"/zookeeper":        {Cversion: -2, NumChildren: 2},
		"/zookeeper/quota":  {},
		"/zookeeper/config": {Aversion: -1},
	}
	for p, st := range want {
		got, ok := tr.Exists(p)
		if !ok || got != st {
			t.Errorf("%s: %+v, want %+v", p, got, st)
		}
	}
	if got := tr.ACL("/zookeeper/config"); !reflect.DeepEqual(got, ReadACLUnsafe) {
		t.Errorf("config ACL %v", got)
	}
	if tr.NodeCount() != 4 || tr.ApproxDataSize() != 44 || tr.EphemeralCount() != 0 {
		t.Errorf("counts %d %d %d", tr.NodeCount(), tr.ApproxDataSize(), tr.EphemeralCount())
	}
	if names, _, _ := tr.Children("/", nil); !reflect.DeepEqual(names, []string{"zookeeper"}) {
		t.Errorf("children of / %v", names)
	}
	if names, _, _ := tr.Children("/zookeeper", nil); !reflect.DeepEqual(names, []string{"config", "quota"}) {
		t.Errorf("children of /zookeeper %v", names)
	}
	checkInvariants(t, tr)
}

func TestReplies(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.apply(jute.OpCreate, &jute.CreateRequest{Path: "/a", ACL: open})
	if p, ok := r.Resp.(*jute.PathRequest); !ok || p.Path != "/a" || r.Path != "/a" {
		t.Fatalf("create reply %+v", r)
	}
	want := []Event{{Type: EventNodeCreated, Path: "/a"}, {Type: EventNodeChildrenChanged, Path: "/"}}
	if !reflect.DeepEqual(noACL(r.Events), want) {
		t.Fatalf("create events %v", r.Events)
	}
	r = e.apply(jute.OpCreateContainer, &jute.CreateRequest{Path: "/a/c", ACL: open})
	if _, ok := r.Resp.(*jute.Create2Response); !ok {
		t.Fatalf("createContainer reply %T", r.Resp)
	}
	r = e.apply(jute.OpDelete, &jute.PathVersionRequest{Path: "/a/c", Version: -1})
	want = []Event{{Type: EventNodeDeleted, Path: "/a/c"}, {Type: EventNodeChildrenChanged, Path: "/a"}}
	if r.Resp != nil || !reflect.DeepEqual(noACL(r.Events), want) {
		t.Fatalf("delete reply %+v", r)
	}
	r = e.apply(jute.OpCheck, &jute.PathVersionRequest{Path: "/a", Version: 0})
	if r.Err != jute.ErrOK || r.Resp != nil || r.Events != nil {
		t.Fatalf("check reply %+v", r)
	}
}

func TestDataNilVersusEmpty(t *testing.T) {
	e := newEnv(t, Options{})
	e.create("/nil", nil, open, 0)
	e.create("/empty", []byte{}, open, 0)
	if d, _, _ := e.t.GetData("/nil", nil); d != nil {
		t.Fatalf("nil data read back as %#v", d)
	}
	if d, _, _ := e.t.GetData("/empty", nil); d == nil || len(d) != 0 {
		t.Fatalf("empty data read back as %#v", d)
	}
	e.setData("/empty", nil, -1)
	if d, _, _ := e.t.GetData("/empty", nil); d != nil {
		t.Fatalf("data set to nil read back as %#v", d)
	}
}

// TestCreateModes covers every mode through every create op, including the
// combinations ZooKeeper resolves oddly.
func TestCreateModes(t *testing.T) {
	tests := []struct {
		op        jute.OpCode
		flags     int32
		path      string
		owner     int64 // stored
		shown     int64 // in the stat
		container bool
		ttl       bool
	}{
		{jute.OpCreate, jute.ModePersistent, "/n", 0, 0, false, false},
		{jute.OpCreate, jute.ModeEphemeral, "/n", sess1, sess1, false, false},
		{jute.OpCreate2, jute.ModePersistentSequential, "/n0000000001", 0, 0, false, false},
		{jute.OpCreate2, jute.ModeEphemeralSequential, "/n0000000001", sess1, sess1, false, false},
		// ZooKeeper's create (not createContainer) with the container flag
		// makes a plain persistent node.
		{jute.OpCreate2, jute.ModeContainer, "/n", 0, 0, false, false},
		{jute.OpCreateContainer, jute.ModeContainer, "/n", containerOwner, 0, true, false},
		{jute.OpCreateContainer, jute.ModePersistent, "/n", containerOwner, 0, true, false},
		{jute.OpCreateContainer, jute.ModePersistentSequential, "/n0000000001", containerOwner, 0, true, false},
		{jute.OpCreateTTL, jute.ModePersistentWithTTL, "/n", ttlOwner(1000), 0, false, true},
		{jute.OpCreateTTL, jute.ModePersistentSequentialWithTTL, "/n0000000001", ttlOwner(1000), 0, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.op.String()+"/"+string(rune('0'+tc.flags)), func(t *testing.T) {
			e := newEnv(t, Options{ExtendedTypes: true})
			e.mustCreate("/x", 0) // root cversion 1: sequence 0000000001
			var body jute.Record = &jute.CreateRequest{Path: "/n", Data: []byte("d"), ACL: open, Flags: tc.flags}
			if tc.op == jute.OpCreateTTL {
				body = &jute.CreateTTLRequest{Path: "/n", Data: []byte("d"), ACL: open, Flags: tc.flags, TTL: 1000}
			}
			r := e.apply(tc.op, body)
			if r.Err != jute.ErrOK || r.Path != tc.path {
				t.Fatalf("%v %q", r.Err.Name(), r.Path)
			}
			n := e.t.get(tc.path)
			if o := n.meta().owner; o != tc.owner {
				t.Fatalf("stored owner %#x, want %#x", o, tc.owner)
			}
			if st := e.stat(tc.path); st.EphemeralOwner != tc.shown {
				t.Fatalf("shown owner %#x, want %#x", st.EphemeralOwner, tc.shown)
			}
			_, isC := e.t.containers[tc.path]
			_, isT := e.t.ttls[tc.path]
			if isC != tc.container || isT != tc.ttl {
				t.Fatalf("container %v ttl %v", isC, isT)
			}
			// Children are allowed under all but ephemerals.
			r = e.create(tc.path+"/c", nil, open, 0)
			want := jute.ErrOK
			if tc.shown != 0 {
				want = jute.ErrNoChildrenForEphemerals
			}
			if r.Err != want {
				t.Fatalf("child: %v, want %v", r.Err.Name(), want.Name())
			}
		})
	}
}

func TestSequentialNegativeAndWrap(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustCreate("/q", 0)
	// Force the stored cversion to the edge of int32 as a long-lived
	// parent could have it; ZooKeeper formats it with %010d.
	n := e.t.get("/q")
	m := n.meta()
	m.cversion = 1<<31 - 1
	e.t.replaceMeta(n, n.withMeta(&m))
	if p := e.mustCreate("/q/s", jute.ModePersistentSequential); p != "/q/s2147483647" {
		t.Fatalf("got %s", p)
	}
	// The new cversion wraps to MinInt32, which is not larger than the
	// old one, so DataTree.createNode leaves cversion (and pzxid) alone and
	// the next sequential create collides, as in ZooKeeper.
	if r := e.create("/q/s", nil, open, jute.ModePersistentSequential); r.Err != jute.ErrNodeExists {
		t.Fatalf("after wrap got %v %s", r.Err.Name(), r.Path)
	}
}
