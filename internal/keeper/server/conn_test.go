package server

import (
	"bufio"
	"encoding/binary"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// TestSlowReaderDoesNotStallWrites: a client that sends writes and does not
// read their replies fills its socket; the commit loop, which writes the
// replies of each batch, must leave the rest to that connection's writer
// and go on committing for the others. The slow client then gets every
// reply, in order.
func TestSlowReaderDoesNotStallWrites(t *testing.T) {
	t.Parallel()
	s := testServer(t, func(o *Options) { o.MaxSessionTimeout = time.Minute })
	addr := s.Addr().String()
	acl := []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}

	fast := newRawSession(t, addr)
	fast.xid++
	if _, err := fast.nc.Write(frame(request(fast.xid, jute.OpCreate, &jute.CreateRequest{Path: "/slow", ACL: acl}))); err != nil {
		t.Fatal(err)
	}
	checkReply(t, fast.read(t), fast.xid)

	// The slow client: a small receive buffer, and multis of 1000 setData
	// whose replies (about 90 KB each) it does not read.
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	slow := &rawSession{nc: nc, br: bufio.NewReader(nc)}
	var e jute.Encoder
	at := e.BeginFrame()
	(&jute.ConnectRequest{TimeOut: 60000, Passwd: make([]byte, 16)}).Encode(&e)
	e.EndFrame(at)
	if _, err := nc.Write(e.Bytes()); err != nil {
		t.Fatal(err)
	}
	slow.read(t)
	multi := &jute.MultiRequest{}
	for range 1000 {
		multi.Ops = append(multi.Ops, jute.MultiOp{Type: jute.OpSetData, Body: &jute.SetDataRequest{Path: "/slow", Data: []byte("x"), Version: -1}})
	}
	const multis = 100 // ~9 MB of replies: more than both socket buffers hold
	go func() {
		for i := int32(1); i <= multis; i++ {
			if _, err := nc.Write(frame(request(i, jute.OpMulti, multi))); err != nil {
				return
			}
		}
	}()

	// Meanwhile the fast client's writes are answered, until all of the
	// slow client's are applied.
	deadline := time.Now().Add(60 * time.Second)
	for {
		fast.xid++
		if _, err := fast.nc.Write(frame(request(fast.xid, jute.OpSetData, &jute.SetDataRequest{Path: "/slow", Data: []byte("f"), Version: -1}))); err != nil {
			t.Fatal(err)
		}
		r := fast.read(t) // fails after 10 s without a reply
		checkReply(t, r, fast.xid)
		st := r[16:]
		if version := int32(binary.BigEndian.Uint32(st[32:])); version >= multis*1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow client's writes were not applied within 60s")
		}
	}
	for i := int32(1); i <= multis; i++ {
		checkReply(t, slow.read(t), i)
	}
}

// frame prefixes a request body with its length.
func frame(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// checkReply checks a reply frame's xid and error code.
func checkReply(t *testing.T, r []byte, xid int32) {
	t.Helper()
	if got, e := int32(binary.BigEndian.Uint32(r)), int32(binary.BigEndian.Uint32(r[12:])); got != xid || e != 0 {
		t.Fatalf("reply xid %d err %d, want xid %d err 0", got, e, xid)
	}
}
