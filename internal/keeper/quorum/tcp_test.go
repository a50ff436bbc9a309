package quorum_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/zkafka/zkafka/internal/keeper/quorum"
)

func TestTCPCluster(t *testing.T) {
	lns := map[uint64]net.Listener{}
	var addrs []string
	for id := uint64(1); id <= 3; id++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[id] = ln
		addrs = append(addrs, ln.Addr().String())
	}
	transport := func(id uint64) quorum.Transport {
		ln := lns[id]
		if ln == nil { // a restart: listen again on the member's address
			var err error
			ln, err = net.Listen("tcp", addrs[id-1])
			if err != nil {
				t.Fatalf("listen again on %s: %v", addrs[id-1], err)
			}
		}
		delete(lns, id)
		tr, err := quorum.NewTCP(quorum.TCPOptions{ID: id, Listener: ln, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	c := newClusterOn(t, 3, addrs, 1, func(cfg *quorum.Config) {
		cfg.SnapCount = 40
		cfg.CompactionSlack = 5
	}, transport)
	lead := c.leader()
	want := map[string]string{}
	for i := range 30 {
		k := fmt.Sprintf("k%d", i)
		c.write(uint64(i%3)+1, k, "v")
		want[k] = "v"
	}
	c.converged(want, 1, 2, 3)

	c.crash(lead)
	next := c.leader()
	if next == lead {
		t.Fatalf("leader %d survived its crash", lead)
	}
	for i := range 60 { // past SnapCount: the returning member needs a snapshot
		k := fmt.Sprintf("after%d", i)
		c.write(next, k, "w")
		want[k] = "w"
	}
	c.start(lead)
	c.converged(want, 1, 2, 3)
	if c.apps[lead].restoreCount() == 0 {
		t.Fatalf("member %d caught up without the snapshot sent over TCP", lead)
	}
}

// recorder is a Handler that records what it is given.
type recorder struct{ msgs chan *raftpb.Message }

func (r *recorder) Process(m *raftpb.Message)                  { r.msgs <- m }
func (r *recorder) ReportUnreachable(uint64)                   {}
func (r *recorder) ReportSnapshot(uint64, raft.SnapshotStatus) {}

func hello(kind byte, from, to uint64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x50514b5a)
	b = append(b, 1, kind, 0, 0)
	b = binary.LittleEndian.AppendUint64(b, from)
	return binary.LittleEndian.AppendUint64(b, to)
}

func frame(data []byte) []byte {
	return append(binary.LittleEndian.AppendUint32(nil, uint32(len(data))), data...)
}

func heartbeat(from, to uint64) []byte {
	b, err := proto.Marshal(&raftpb.Message{Type: raftpb.MessageType_MsgHeartbeat.Enum(), From: new(from), To: new(to), Term: new(uint64(3))})
	if err != nil {
		panic(err)
	}
	return b
}

// closedByPeer reports whether the server closed c (reading hits EOF).
func closedByPeer(t *testing.T, c net.Conn) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return err != nil // connection reset
}

func TestTCPRefusesMalformedPeers(t *testing.T) {
	tr, err := quorum.NewTCP(quorum.TCPOptions{ID: 1, ListenAddr: "127.0.0.1:0", MaxMessageBytes: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.AddPeer(2, "127.0.0.1:1") // known, never reachable
	rec := &recorder{msgs: make(chan *raftpb.Message, 16)}
	if err := tr.Start(rec); err != nil {
		t.Fatal(err)
	}
	addr := tr.Addr().String()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	good := dial()
	good.Write(append(hello(0, 2, 1), frame(heartbeat(2, 1))...))
	select {
	case m := <-rec.msgs:
		if m.GetFrom() != 2 || m.GetType() != raftpb.MessageType_MsgHeartbeat {
			t.Fatalf("received %v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a well-formed message was not delivered")
	}

	cases := []struct {
		name string
		send []byte
	}{
		{"bad magic", append([]byte{1, 2, 3, 4}, hello(0, 2, 1)[4:]...)},
		{"unknown peer", hello(0, 9, 1)},
		{"addressed to another member", hello(0, 2, 5)},
		{"bad kind", hello(7, 2, 1)},
		{"unparsable message", append(hello(0, 2, 1), frame([]byte{0xff, 0xff, 0xff, 0xff, 0xff})...)},
		{"frame above the limit", append(hello(0, 2, 1), binary.LittleEndian.AppendUint32(nil, 4096)...)},
		{"message claiming another sender", append(hello(0, 2, 1), frame(heartbeat(3, 1))...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial()
			c.Write(tc.send)
			if !closedByPeer(t, c) {
				t.Fatal("connection not closed")
			}
		})
	}
	// The good connection still works.
	good.Write(frame(heartbeat(2, 1)))
	select {
	case <-rec.msgs:
	case <-time.After(5 * time.Second):
		t.Fatal("the well-formed connection stopped delivering after others misbehaved")
	}
	select {
	case m := <-rec.msgs:
		t.Fatalf("a malformed connection delivered %v", m)
	default:
	}
}

// TestTCPSendKeepsOrderAcrossPartialWrites sends messages large enough that
// the socket takes them in parts (Send writes what it can, the peer's
// writer the rest) mixed with small ones, in many Send calls: the peer
// must receive every message whole and in order.
func TestTCPSendKeepsOrderAcrossPartialWrites(t *testing.T) {
	recv := &recorder{msgs: make(chan *raftpb.Message, 64)}
	var trs []*quorum.TCP
	for id := uint64(1); id <= 2; id++ {
		tr, err := quorum.NewTCP(quorum.TCPOptions{ID: id, ListenAddr: "127.0.0.1:0", MaxMessageBytes: 16 << 20})
		if err != nil {
			t.Fatal(err)
		}
		trs = append(trs, tr)
	}
	trs[0].AddPeer(2, trs[1].Addr().String())
	trs[1].AddPeer(1, trs[0].Addr().String())
	if err := trs[0].Start(&recorder{msgs: make(chan *raftpb.Message, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := trs[1].Start(recv); err != nil {
		t.Fatal(err)
	}
	defer trs[0].Close()
	defer trs[1].Close()

	const count = 120
	size := func(i int) int {
		if i%7 == 3 {
			return 3<<20 + i // larger than a loopback socket takes at once
		}
		return 10 + i
	}
	go func() {
		for i := 0; i < count; {
			var batch []*raftpb.Message
			for j := 0; j < 1+i%3 && i < count; j++ {
				data := make([]byte, size(i))
				data[0], data[len(data)-1] = byte(i), byte(i)
				batch = append(batch, &raftpb.Message{
					Type: raftpb.MessageType_MsgApp.Enum(), From: new(uint64(1)), To: new(uint64(2)),
					Index: new(uint64(i)), Entries: []*raftpb.Entry{{Data: data}},
				})
				i++
			}
			trs[0].Send(batch)
		}
	}()
	for i := range count {
		select {
		case m := <-recv.msgs:
			data := m.GetEntries()[0].GetData()
			if m.GetIndex() != uint64(i) || len(data) != size(i) || data[0] != byte(i) || data[len(data)-1] != byte(i) {
				t.Fatalf("message %d: got index %d with %d bytes", i, m.GetIndex(), len(data))
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("message %d did not arrive", i)
		}
	}
}

// TestTCPSendAfterIdleLongerThanWriteTimeout sends a message, lets the
// connection idle past WriteTimeout, and sends another: the write deadline
// of an earlier write must not fail a later one (which would drop the
// message with the connection).
func TestTCPSendAfterIdleLongerThanWriteTimeout(t *testing.T) {
	const writeTimeout = 20 * time.Millisecond
	recv := &recorder{msgs: make(chan *raftpb.Message, 8)}
	var trs []*quorum.TCP
	for id := uint64(1); id <= 2; id++ {
		tr, err := quorum.NewTCP(quorum.TCPOptions{ID: id, ListenAddr: "127.0.0.1:0", WriteTimeout: writeTimeout})
		if err != nil {
			t.Fatal(err)
		}
		trs = append(trs, tr)
	}
	trs[0].AddPeer(2, trs[1].Addr().String())
	trs[1].AddPeer(1, trs[0].Addr().String())
	if err := trs[0].Start(&recorder{msgs: make(chan *raftpb.Message, 8)}); err != nil {
		t.Fatal(err)
	}
	if err := trs[1].Start(recv); err != nil {
		t.Fatal(err)
	}
	defer trs[0].Close()
	defer trs[1].Close()
	prop := func(i uint64) []*raftpb.Message {
		return []*raftpb.Message{{Type: raftpb.MessageType_MsgProp.Enum(), From: new(uint64(1)), To: new(uint64(2)),
			Entries: []*raftpb.Entry{{Data: []byte{byte(i)}}}, Index: new(i)}}
	}
	for i := range uint64(3) {
		trs[0].Send(prop(i))
		select {
		case m := <-recv.msgs:
			if m.GetIndex() != i {
				t.Fatalf("got message %d, want %d", m.GetIndex(), i)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("message %d did not arrive", i)
		}
		time.Sleep(3 * writeTimeout) // past the deadline of every earlier write
	}
}
