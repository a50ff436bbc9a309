package jute

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	stat := Stat{Czxid: 1, Mzxid: 2, Ctime: 3, Mtime: 4, Version: 5, Cversion: 6, Aversion: 7,
		EphemeralOwner: 8, DataLength: 9, NumChildren: 10, Pzxid: 11}
	acl := []ACL{{Perms: PermAll, ID: ID{Scheme: "world", ID: "anyone"}}, {Perms: PermRead, ID: ID{Scheme: "digest", ID: "u:x"}}}
	cases := []struct {
		name string
		in   Record
		out  Record
	}{
		{"stat", &stat, &Stat{}},
		{"connect-req", &ConnectRequest{LastZxidSeen: 7, TimeOut: 30000, SessionID: -5, Passwd: []byte("0123456789abcdef"), ReadOnly: true}, &ConnectRequest{}},
		{"connect-resp", &ConnectResponse{TimeOut: 4000, SessionID: 99, Passwd: []byte{1, 2}}, &ConnectResponse{}},
		{"req-header", &RequestHeader{Xid: 3, Type: OpCreate2}, &RequestHeader{}},
		{"reply-header", &ReplyHeader{Xid: -1, Zxid: 1 << 40, Err: ErrNoNode}, &ReplyHeader{}},
		{"event", &WatcherEvent{Type: 4, State: StateSyncConnected, Path: "/a"}, &WatcherEvent{}},
		{"create", &CreateRequest{Path: "/a", Data: []byte("x"), ACL: acl, Flags: ModeEphemeralSequential}, &CreateRequest{}},
		{"create-ttl", &CreateTTLRequest{Path: "/a", Data: []byte{}, ACL: acl, Flags: ModePersistentWithTTL, TTL: 1000}, &CreateTTLRequest{}},
		{"setdata", &SetDataRequest{Path: "/a", Data: []byte("y"), Version: -1}, &SetDataRequest{}},
		{"setacl", &SetACLRequest{Path: "/a", ACL: acl, Version: 2}, &SetACLRequest{}},
		{"getdata-resp", &GetDataResponse{Data: []byte("z"), Stat: stat}, &GetDataResponse{}},
		{"children2", &GetChildren2Response{Children: []string{"a", "b"}, Stat: stat}, &GetChildren2Response{}},
		{"setwatches2", &SetWatches{RelativeZxid: 5, DataWatches: []string{"/a"}, ExistWatches: []string{}, ChildWatches: []string{"/b"},
			PersistentWatches: []string{"/c"}, PersistentRecursive: []string{"/d"}, Two: true}, &SetWatches{Two: true}},
		{"auth", &AuthPacket{Scheme: "digest", Auth: []byte("u:p")}, &AuthPacket{}},
		{"whoami", &WhoAmIResponse{ClientInfo: []ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}}}, &WhoAmIResponse{}},
		{"multi", &MultiRequest{Ops: []MultiOp{
			{Type: OpCreate, Body: &CreateRequest{Path: "/a", ACL: acl}},
			{Type: OpSetData, Body: &SetDataRequest{Path: "/a", Data: []byte("d"), Version: 0}},
			{Type: OpCheck, Body: &PathVersionRequest{Path: "/a", Version: 1}},
			{Type: OpDelete, Body: &PathVersionRequest{Path: "/a", Version: -1}},
		}}, &MultiRequest{}},
		{"multi-resp", &MultiResponse{Results: []MultiResult{
			{Type: OpCreate, Body: &PathRequest{Path: "/a"}},
			{Type: OpSetData, Body: &StatResponse{Stat: stat}},
			{Type: OpDelete},
			{Type: OpError, Err: ErrNoNode},
		}}, &MultiResponse{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := Encode(tc.in)
			if err := Decode(b, tc.out); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(tc.in, tc.out) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", tc.out, tc.in)
			}
			if again := Encode(tc.out); !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs")
			}
		})
	}
}

func TestKnownBytes(t *testing.T) {
	// A ReplyHeader for xid 1, zxid 2, err NoNode (-101), as ZooKeeper sends it.
	want := []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0x9b}
	if got := Encode(&ReplyHeader{Xid: 1, Zxid: 2, Err: ErrNoNode}); !bytes.Equal(got, want) {
		t.Fatalf("got % x want % x", got, want)
	}
	// A null buffer is length -1.
	if got := Encode(&GetDataResponse{}); !bytes.Equal(got[:4], []byte{0xff, 0xff, 0xff, 0xff}) {
		t.Fatalf("null buffer: % x", got[:4])
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		r    Record
		want error
	}{
		{"short int", []byte{0, 0}, &RequestHeader{}, ErrShort},
		{"huge string", []byte{0x7f, 0xff, 0xff, 0xff}, &PathRequest{}, ErrLength},
		{"negative length", []byte{0xff, 0xff, 0xff, 0xfe}, &PathRequest{}, ErrLength},
		{"huge vector", []byte{0x7f, 0, 0, 0}, &StringsResponse{}, ErrLength},
		{"trailing", []byte{0, 0, 0, 0, 9}, &PathRequest{}, ErrLength},
		{"bad multi op", []byte{0, 0, 0, 3, 0, 0xff, 0xff, 0xff, 0xff}, &MultiRequest{}, ErrBadMultiOp},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := Decode(tc.in, tc.r); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestConnectRequestWithoutReadOnly(t *testing.T) {
	b := Encode(&ConnectRequest{TimeOut: 1, Passwd: []byte{}})
	b = b[:len(b)-1] // an old client does not send readOnly
	var r ConnectRequest
	if err := Decode(b, &r); err != nil || r.ReadOnly || r.TimeOut != 1 {
		t.Fatalf("got %+v, %v", r, err)
	}
}

// FuzzDecode feeds arbitrary bytes to every record decoder: each must
// either fail or decode to something that encodes back to the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add(uint8(0), Encode(&CreateRequest{Path: "/a", Data: []byte("x"), ACL: []ACL{{Perms: 31, ID: ID{"world", "anyone"}}}}))
	f.Add(uint8(1), Encode(&MultiRequest{Ops: []MultiOp{{Type: OpDelete, Body: &PathVersionRequest{Path: "/a"}}}}))
	f.Add(uint8(2), Encode(&ConnectRequest{Passwd: make([]byte, 16)}))
	f.Add(uint8(3), Encode(&SetWatches{DataWatches: []string{"/x"}}))
	f.Fuzz(func(t *testing.T, kind uint8, b []byte) {
		mk := []func() Record{
			func() Record { return &CreateRequest{} },
			func() Record { return &MultiRequest{} },
			func() Record { return &ConnectRequest{} },
			func() Record { return &SetWatches{} },
			func() Record { return &SetWatches{Two: true} },
			func() Record { return &MultiResponse{} },
			func() Record { return &CreateTTLRequest{} },
			func() Record { return &SetACLRequest{} },
			func() Record { return &WhoAmIResponse{} },
			func() Record { return &GetChildren2Response{} },
		}
		r := mk[int(kind)%len(mk)]()
		if err := Decode(b, r); err != nil {
			return
		}
		r2 := mk[int(kind)%len(mk)]()
		if err := Decode(Encode(r), r2); err != nil {
			t.Fatalf("re-decoding an encoded %T: %v", r, err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("%T changed on round trip", r)
		}
	})
}
