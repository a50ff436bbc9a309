package zkclient

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// FuzzReadReply feeds arbitrary server bytes through the client's reply
// path — framing, headers, notifications, auth answers and the body of
// every kind of reply — and checks that malformed input yields errors,
// never a panic.
func FuzzReadReply(f *testing.F) {
	frame := func(recs ...jute.Record) []byte {
		var e jute.Encoder
		at := e.BeginFrame()
		for _, r := range recs {
			r.Encode(&e)
		}
		e.EndFrame(at)
		return e.Bytes()
	}
	f.Add(frame(&jute.ConnectResponse{TimeOut: 3000, SessionID: 1, Passwd: make([]byte, 16)}))
	f.Add(frame(&jute.ReplyHeader{Xid: jute.XidNotification, Zxid: -1}, &jute.WatcherEvent{Type: 3, State: 3, Path: "/a"}))
	f.Add(frame(&jute.ReplyHeader{Xid: 1, Zxid: 5}, &jute.GetDataResponse{Data: []byte("x")}))
	f.Add(frame(&jute.ReplyHeader{Xid: 2, Zxid: 5}, &jute.GetChildren2Response{Children: []string{"a", "b"}}))
	f.Add(frame(&jute.ReplyHeader{Xid: jute.XidAuth, Err: jute.ErrAuthFailed}))
	f.Add(frame(&jute.ReplyHeader{Xid: 9}, &jute.MultiResponse{Results: []jute.MultiResult{
		{Type: jute.OpCreate, Body: &jute.PathRequest{Path: "/a"}},
		{Type: jute.OpError, Err: jute.ErrNoNode},
	}}))
	f.Add(frame(&jute.ReplyHeader{Xid: 12}, &jute.WhoAmIResponse{ClientInfo: []jute.ClientInfo{{AuthScheme: "ip", User: "x"}}}))
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 1})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})

	// The response record each pending xid expects.
	resps := []func() jute.Record{
		func() jute.Record { return &jute.GetDataResponse{} },
		func() jute.Record { return &jute.GetChildren2Response{} },
		func() jute.Record { return &jute.StatResponse{} },
		func() jute.Record { return &jute.Create2Response{} },
		func() jute.Record { return &jute.GetACLResponse{} },
		func() jute.Record { return &jute.StringsResponse{} },
		func() jute.Record { return &jute.PathRequest{} },
		func() jute.Record { return &jute.IntResponse{} },
		func() jute.Record { return &jute.MultiResponse{} },
		func() jute.Record { return &jute.WhoAmIResponse{} },
		func() jute.Record { return &jute.ConnectResponse{} },
		func() jute.Record { return nil },
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cr jute.ConnectResponse
		_ = decodeConnectResponse(data, &cr)
		if len(data) >= 4 {
			_ = decodeConnectResponse(data[4:], &cr)
		}

		c, err := newClient(Options{Servers: "127.0.0.1:1/chroot", Watcher: func(Event) {}, MaxFrameSize: 1 << 16, AllNotifications: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, mk := range resps {
			xid := int32(i + 1)
			cl := &call{xid: xid, op: jute.OpGetData, path: "/p", resp: mk(), done: make(chan struct{}), watch: watchKind(i % 6), watchPath: "/p"}
			c.pending[xid] = cl
		}
		c.authSent = []*call{{xid: jute.XidAuth, op: jute.OpAuth, done: make(chan struct{})}}
		r := bytes.NewReader(data)
		for {
			frame, err := readFrame(r, nil, c.maxFrame)
			if err != nil {
				break
			}
			if err := c.handleFrame(frame); err != nil {
				break
			}
		}
		// Bodies decoded directly, as every kind of reply.
		if _, body, err := parseReply(data); err == nil {
			for _, mk := range resps {
				if rec := mk(); rec != nil {
					_ = decodeBody(body, rec)
				}
			}
		}
		// A declared length never makes readFrame allocate beyond the limit.
		if len(data) >= 4 && int32(binary.BigEndian.Uint32(data)) > 1<<16 {
			if _, err := readFrame(bytes.NewReader(data), nil, 1<<16); err == nil {
				t.Fatal("oversized frame accepted")
			}
		}
	})
}
