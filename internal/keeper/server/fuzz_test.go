package server

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// request encodes one client request frame body (header + record).
func request(xid int32, op jute.OpCode, body jute.Record) []byte {
	var e jute.Encoder
	h := jute.RequestHeader{Xid: xid, Type: op}
	h.Encode(&e)
	if body != nil {
		body.Encode(&e)
	}
	return e.Bytes()
}

// FuzzDispatch sends one arbitrary packet on an established session and
// then checks that the server still answers a ping on another connection:
// no input may crash the server or wedge it.
func FuzzDispatch(f *testing.F) {
	acl := []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
	seeds := [][]byte{
		request(1, jute.OpCreate, &jute.CreateRequest{Path: "/f", Data: []byte("x"), ACL: acl}),
		request(1, jute.OpCreateTTL, &jute.CreateTTLRequest{Path: "/t", ACL: acl, Flags: jute.ModePersistentWithTTL, TTL: 100}),
		request(2, jute.OpGetData, &jute.PathWatchRequest{Path: "/f", Watch: true}),
		request(3, jute.OpSetData, &jute.SetDataRequest{Path: "/f", Data: []byte("y"), Version: -1}),
		request(4, jute.OpGetChildren2, &jute.PathWatchRequest{Path: "/", Watch: true}),
		request(5, jute.OpMulti, &jute.MultiRequest{Ops: []jute.MultiOp{{Type: jute.OpCheck, Body: &jute.PathVersionRequest{Path: "/f", Version: 0}}}}),
		request(6, jute.OpMultiRead, &jute.MultiRequest{Ops: []jute.MultiOp{{Type: jute.OpGetData, Body: &jute.PathWatchRequest{Path: "/f"}}}}),
		request(7, jute.OpSetWatches2, &jute.SetWatches{DataWatches: []string{"/f"}, Two: true}),
		request(8, jute.OpAddWatch, &jute.PathTypeRequest{Path: "/", Type: 1}),
		request(9, jute.OpRemoveWatches, &jute.PathTypeRequest{Path: "/", Type: 3}),
		request(-4, jute.OpAuth, &jute.AuthPacket{Scheme: "digest", Auth: []byte("a:b")}),
		request(10, jute.OpSetACL, &jute.SetACLRequest{Path: "/f", ACL: acl, Version: -1}),
		request(11, jute.OpDelete, &jute.PathVersionRequest{Path: "/f", Version: -1}),
		request(12, jute.OpWhoAmI, nil),
		request(13, jute.OpGetAllChildrenNumber, &jute.PathRequest{Path: "/"}),
		request(14, jute.OpGetEphemerals, &jute.PathRequest{Path: "/"}),
		request(15, jute.OpReconfig, &jute.ReconfigRequest{}),
		request(16, jute.OpCode(9999), nil),
		{0, 0, 0},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	s := testServer(f, func(o *Options) { o.MaxBuffer = 1 << 16 })
	addr := s.Addr().String()
	f.Fuzz(func(t *testing.T, packet []byte) {
		nc := rawConnect(t, addr, 30000)
		frame := binary.BigEndian.AppendUint32(nil, uint32(len(packet)))
		nc.Write(append(frame, packet...))
		// Close the session so the fuzzer does not pile up sessions.
		closeReq := request(1000, jute.OpCloseSession, nil)
		nc.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(closeReq))), closeReq...))
		// Read replies until the closeSession reply or the server hangs up.
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			var lb [4]byte
			if _, err := io.ReadFull(nc, lb[:]); err != nil {
				break
			}
			reply := make([]byte, binary.BigEndian.Uint32(lb[:]))
			if _, err := io.ReadFull(nc, reply); err != nil {
				break
			}
			if len(reply) >= 4 && int32(binary.BigEndian.Uint32(reply)) == 1000 {
				break
			}
		}
		nc.Close()

		// The server must still serve others.
		probe, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("server gone after %x: %v", packet, err)
		}
		defer probe.Close()
		probe.Write([]byte("ruok"))
		probe.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(probe)
		if string(b) != "imok" {
			t.Fatalf("server not answering after %x: %q", packet, b)
		}
	})
}
