package tree

import (
	"reflect"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func mCreate(typ jute.OpCode, path string, flags int32) jute.MultiOp {
	return jute.MultiOp{Type: typ, Body: &jute.CreateRequest{Path: path, Data: []byte("m"), ACL: open, Flags: flags}}
}

func mDelete(path string, v int32) jute.MultiOp {
	return jute.MultiOp{Type: jute.OpDelete, Body: &jute.PathVersionRequest{Path: path, Version: v}}
}

func mCheck(path string, v int32) jute.MultiOp {
	return jute.MultiOp{Type: jute.OpCheck, Body: &jute.PathVersionRequest{Path: path, Version: v}}
}

func mSet(path string, v int32) jute.MultiOp {
	return jute.MultiOp{Type: jute.OpSetData, Body: &jute.SetDataRequest{Path: path, Data: []byte("set"), Version: v}}
}

func TestMultiSuccess(t *testing.T) {
	e := newEnv(t, Options{})
	zxid := e.c.zxid + 1
	r := e.apply(jute.OpMulti, &jute.MultiRequest{Ops: []jute.MultiOp{
		mCreate(jute.OpCreate, "/m", 0),
		mCreate(jute.OpCreate2, "/m/x", 0),
		mCheck("/m", 0),
		mSet("/m", 0),
		mCreate(jute.OpCreate, "/m/s", jute.ModePersistentSequential),
		mDelete("/m/x", 0),
		mCreate(jute.OpCreate, "/m/c", jute.ModeContainer), // becomes createContainer
	}})
	if r.Err != jute.ErrOK {
		t.Fatalf("err %v", r.Err.Name())
	}
	res := r.Resp.(*jute.MultiResponse).Results
	types := []jute.OpCode{jute.OpCreate, jute.OpCreate2, jute.OpCheck, jute.OpSetData, jute.OpCreate, jute.OpDelete, jute.OpCreateContainer}
	for i, typ := range types {
		if res[i].Type != typ || res[i].Err != jute.ErrOK {
			t.Fatalf("result %d: %+v, want type %v", i, res[i], typ)
		}
	}
	if p := res[0].Body.(*jute.PathRequest).Path; p != "/m" {
		t.Fatalf("result 0 path %s", p)
	}
	// Every op of a multi has the multi's zxid; the setData saw /m with one
	// child created by this multi.
	if st := res[1].Body.(*jute.Create2Response).Stat; st.Czxid != zxid {
		t.Fatalf("create2 stat %+v", st)
	}
	set := res[3].Body.(*jute.StatResponse).Stat
	if set.Version != 1 || set.NumChildren != 1 || set.Cversion != 1 || set.Mzxid != zxid {
		t.Fatalf("setData stat %+v", set)
	}
	if p := res[4].Body.(*jute.PathRequest).Path; p != "/m/s0000000001" {
		t.Fatalf("sequential in multi %s", p)
	}
	if _, ok := e.t.containers["/m/c"]; !ok {
		t.Fatalf("/m/c is not a container")
	}
	want := []Event{
		{Type: EventNodeCreated, Path: "/m"}, {Type: EventNodeChildrenChanged, Path: "/"},
		{Type: EventNodeCreated, Path: "/m/x"}, {Type: EventNodeChildrenChanged, Path: "/m"},
		{Type: EventNodeDataChanged, Path: "/m"},
		{Type: EventNodeCreated, Path: "/m/s0000000001"}, {Type: EventNodeChildrenChanged, Path: "/m"},
		{Type: EventNodeDeleted, Path: "/m/x"}, {Type: EventNodeChildrenChanged, Path: "/m"},
		{Type: EventNodeCreated, Path: "/m/c"}, {Type: EventNodeChildrenChanged, Path: "/m"},
	}
	if !reflect.DeepEqual(noACL(r.Events), want) {
		t.Fatalf("events\n%v\nwant\n%v", r.Events, want)
	}
	if st := e.stat("/m"); st.NumChildren != 2 || st.Cversion != 4 || st.Pzxid != zxid || st.Version != 1 {
		t.Fatalf("/m after multi %+v", st)
	}
}

func TestMultiFailure(t *testing.T) {
	ok := jute.MultiResult{Type: jute.OpError, Err: jute.ErrOK}
	rt := jute.MultiResult{Type: jute.OpError, Err: jute.ErrRuntimeInconsistency}
	fail := func(err jute.Err) jute.MultiResult { return jute.MultiResult{Type: jute.OpError, Err: err} }
	tests := []struct {
		name string
		ops  []jute.MultiOp
		want []jute.MultiResult
	}{
		{"second op exists", []jute.MultiOp{mCreate(jute.OpCreate, "/m", 0), mCreate(jute.OpCreate, "/m", 0), mSet("/m", -1)},
			[]jute.MultiResult{ok, fail(jute.ErrNodeExists), rt}},
		{"first op", []jute.MultiOp{mSet("/none", -1), mDelete("/", -1)},
			[]jute.MultiResult{fail(jute.ErrNoNode), rt}},
		{"check version", []jute.MultiOp{mCheck("/a", 0), mCheck("/a", 3)},
			[]jute.MultiResult{ok, fail(jute.ErrBadVersion)}},
		{"sees earlier delete", []jute.MultiOp{mDelete("/a/b", -1), mCheck("/a/b", -1), mCreate(jute.OpCreate, "/z", 0)},
			[]jute.MultiResult{ok, fail(jute.ErrNoNode), rt}},
		{"sees earlier create's parent", []jute.MultiOp{mCreate(jute.OpCreate, "/a/b/c", 0), mDelete("/a/b", -1)},
			[]jute.MultiResult{ok, fail(jute.ErrNotEmpty)}},
		{"sees earlier setData version", []jute.MultiOp{mSet("/a", 0), mSet("/a", 0)},
			[]jute.MultiResult{ok, fail(jute.ErrBadVersion)}},
		{"ephemeral parent staged", []jute.MultiOp{mCreate(jute.OpCreate, "/eph", jute.ModeEphemeral), mCreate(jute.OpCreate, "/eph/x", 0)},
			[]jute.MultiResult{ok, fail(jute.ErrNoChildrenForEphemerals)}},
		{"staged ACL applies", []jute.MultiOp{
			{Type: jute.OpCreate, Body: &jute.CreateRequest{Path: "/r", ACL: acl(jute.PermRead, "world", "anyone")}},
			mCreate(jute.OpCreate, "/r/x", 0)},
			[]jute.MultiResult{ok, fail(jute.ErrNoAuth)}},
		{"createTTL without TTL mode becomes create", []jute.MultiOp{
			{Type: jute.OpCreateTTL, Body: &jute.CreateTTLRequest{Path: "/t", ACL: open, Flags: 0, TTL: 100}},
			mCheck("/none", -1)},
			[]jute.MultiResult{ok, fail(jute.ErrNoNode)}},
		{"createTTL bad flags", []jute.MultiOp{
			{Type: jute.OpCreateTTL, Body: &jute.CreateTTLRequest{Path: "/t", ACL: open, Flags: 9, TTL: 100}}},
			[]jute.MultiResult{fail(jute.ErrBadArguments)}},
		{"TTL disabled", []jute.MultiOp{
			{Type: jute.OpCreateTTL, Body: &jute.CreateTTLRequest{Path: "/t", ACL: open, Flags: jute.ModePersistentWithTTL, TTL: 100}}},
			[]jute.MultiResult{fail(jute.ErrUnimplemented)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			e.mustCreate("/a", 0)
			e.mustCreate("/a/b", 0)
			before, digest, seqBefore := dump(e.t), e.t.Digest(), e.stat("/").Cversion
			r := e.apply(jute.OpMulti, &jute.MultiRequest{Ops: tc.ops})
			if r.Err != jute.ErrOK {
				t.Fatalf("header err %v", r.Err.Name())
			}
			if got := r.Resp.(*jute.MultiResponse).Results; !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("results %+v, want %+v", got, tc.want)
			}
			if r.Events != nil {
				t.Fatalf("events %v", r.Events)
			}
			if !reflect.DeepEqual(dump(e.t), before) || e.t.Digest() != digest {
				t.Fatal("failed multi changed the tree")
			}
			// Sequence numbers are not consumed by a failed multi.
			if e.stat("/").Cversion != seqBefore {
				t.Fatal("cversion moved")
			}
		})
	}
}

func TestMultiMarshallingErrors(t *testing.T) {
	tests := []struct {
		name string
		body jute.Record
	}{
		{"not a multi body", &jute.CreateRequest{Path: "/x", ACL: open}},
		{"nil body", nil},
		{"read op", &jute.MultiRequest{Ops: []jute.MultiOp{mCreate(jute.OpCreate, "/x", 0),
			{Type: jute.OpGetData, Body: &jute.PathWatchRequest{Path: "/x"}}}}},
		{"unknown create flag", &jute.MultiRequest{Ops: []jute.MultiOp{mCreate(jute.OpCreate, "/x", 9)}}},
		{"TTL flag on create", &jute.MultiRequest{Ops: []jute.MultiOp{mCreate(jute.OpCreate2, "/x", jute.ModePersistentWithTTL)}}},
		{"null ACL", &jute.MultiRequest{Ops: []jute.MultiOp{{Type: jute.OpCreate, Body: &jute.CreateRequest{Path: "/x"}}}}},
		{"mismatched body", &jute.MultiRequest{Ops: []jute.MultiOp{{Type: jute.OpDelete, Body: &jute.SetDataRequest{Path: "/x"}}}}},
		{"setACL", &jute.MultiRequest{Ops: []jute.MultiOp{{Type: jute.OpSetACL, Body: &jute.SetACLRequest{Path: "/x", ACL: open}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{ExtendedTypes: true})
			before := dump(e.t)
			r := e.apply(jute.OpMulti, tc.body)
			if r.Err != jute.ErrMarshallingError || r.Resp != nil {
				t.Fatalf("got %+v", r)
			}
			if !reflect.DeepEqual(dump(e.t), before) {
				t.Fatal("tree changed")
			}
		})
	}
}

func TestMultiEmpty(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.apply(jute.OpMulti, &jute.MultiRequest{})
	if r.Err != jute.ErrOK || len(r.Resp.(*jute.MultiResponse).Results) != 0 {
		t.Fatalf("got %+v", r)
	}
}

func TestMultiTTL(t *testing.T) {
	e := newEnv(t, Options{ExtendedTypes: true})
	r := e.apply(jute.OpMulti, &jute.MultiRequest{Ops: []jute.MultiOp{
		{Type: jute.OpCreateTTL, Body: &jute.CreateTTLRequest{Path: "/t", ACL: open, Flags: jute.ModePersistentWithTTL, TTL: 100}},
		{Type: jute.OpCreateTTL, Body: &jute.CreateTTLRequest{Path: "/c", ACL: open, Flags: jute.ModeContainer, TTL: 100}},
		{Type: jute.OpCreateTTL, Body: &jute.CreateTTLRequest{Path: "/p", ACL: open, Flags: 0, TTL: 100}},
	}})
	res := r.Resp.(*jute.MultiResponse).Results
	if res[0].Type != jute.OpCreateTTL || res[1].Type != jute.OpCreateContainer || res[2].Type != jute.OpCreate {
		t.Fatalf("results %+v", res)
	}
	if e.t.get("/t").meta().owner != ttlOwner(100) || e.t.get("/c").meta().owner != containerOwner || e.t.get("/p").meta().owner != 0 {
		t.Fatal("wrong owners")
	}
}

func TestMultiRead(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustCreate("/a", 0)
	e.mustCreate("/a/b", 0)
	e.create("/secret", []byte("s"), acl(31, "digest", digestU.ID), 0)
	resp, err := e.t.MultiRead(&jute.MultiRequest{Ops: []jute.MultiOp{
		{Type: jute.OpGetData, Body: &jute.PathWatchRequest{Path: "/a"}},
		{Type: jute.OpGetChildren, Body: &jute.PathRequest{Path: "/a"}},
		{Type: jute.OpGetData, Body: &jute.PathWatchRequest{Path: "/none"}},
		{Type: jute.OpGetChildren, Body: &jute.PathWatchRequest{Path: "/secret"}},
		{Type: jute.OpGetData, Body: &jute.PathWatchRequest{Path: "bad"}},
	}}, nil)
	if err != jute.ErrOK {
		t.Fatal(err)
	}
	st := e.stat("/a")
	want := []jute.MultiResult{
		{Type: jute.OpGetData, Body: &jute.GetDataResponse{Data: []byte("d"), Stat: st}},
		{Type: jute.OpGetChildren, Body: &jute.StringsResponse{Strings: []string{"b"}}},
		{Type: jute.OpError, Err: jute.ErrNoNode},
		{Type: jute.OpError, Err: jute.ErrNoAuth},
		{Type: jute.OpError, Err: jute.ErrNoNode},
	}
	if !reflect.DeepEqual(resp.Results, want) {
		t.Fatalf("results %+v", resp.Results)
	}
	if _, err := e.t.MultiRead(&jute.MultiRequest{Ops: []jute.MultiOp{mCheck("/a", -1)}}, nil); err != jute.ErrMarshallingError {
		t.Fatalf("write op in multiRead: %v", err)
	}
	if resp, err := e.t.MultiRead(&jute.MultiRequest{}, nil); err != jute.ErrOK || len(resp.Results) != 0 {
		t.Fatalf("empty multiRead: %v %v", resp, err)
	}
}
