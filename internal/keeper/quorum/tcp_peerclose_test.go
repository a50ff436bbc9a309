package quorum_test

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/zkafka/zkafka/internal/keeper/quorum"
)

// fakePeer accepts member 1's connections as member 2 would and hands each
// to the test after reading its hello.
func fakePeer(t *testing.T) (addr string, conns <-chan net.Conn, accepts *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan net.Conn, 1024)
	accepts = new(atomic.Int64)
	done := make(chan struct{})
	go func() { // ends when the listener is closed
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			if _, err := io.ReadFull(c, make([]byte, 24)); err != nil {
				c.Close()
				continue
			}
			select {
			case ch <- c:
			default:
				c.Close()
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(ch)
		for c := range ch {
			c.Close()
		}
	})
	return ln.Addr().String(), ch, accepts
}

func startTCP(t *testing.T, peerAddr string) *quorum.TCP {
	t.Helper()
	tr, err := quorum.NewTCP(quorum.TCPOptions{ID: 1, ListenAddr: "127.0.0.1:0", MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	tr.AddPeer(2, peerAddr)
	if err := tr.Start(&recorder{msgs: make(chan *raftpb.Message, 16)}); err != nil {
		t.Fatal(err)
	}
	return tr
}

func nextConn(t *testing.T, conns <-chan net.Conn, what string) net.Conn {
	t.Helper()
	select {
	case c := <-conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s within 5 s", what)
		return nil
	}
}

// TestTCPRedialsIdleConnectionClosedByPeer closes the peer's end of an idle
// outbound connection, as a peer's restart does: the transport must dial
// again by itself, so that the next message (a vote, say) goes to the
// restarted peer instead of into the dead connection.
func TestTCPRedialsIdleConnectionClosedByPeer(t *testing.T) {
	addr, conns, _ := fakePeer(t)
	tr := startTCP(t, addr)
	first := nextConn(t, conns, "connection")
	first.Close() // the peer's process ended; nothing was sent on the connection
	second := nextConn(t, conns, "new connection after the peer closed the idle one")
	defer second.Close()
	tr.Send([]*raftpb.Message{{Type: raftpb.MessageType_MsgVoteResp.Enum(), From: new(uint64(1)), To: new(uint64(2)), Term: new(uint64(4))}})
	second.SetReadDeadline(time.Now().Add(5 * time.Second))
	var lb [4]byte
	if _, err := io.ReadFull(second, lb[:]); err != nil {
		t.Fatalf("message not received on the new connection: %v", err)
	}
	data := make([]byte, int(lb[0])|int(lb[1])<<8|int(lb[2])<<16|int(lb[3])<<24)
	if _, err := io.ReadFull(second, data); err != nil {
		t.Fatal(err)
	}
	var m raftpb.Message
	if err := proto.Unmarshal(data, &m); err != nil || m.GetType() != raftpb.MessageType_MsgVoteResp {
		t.Fatalf("received %v (err %v), want the MsgVoteResp", &m, err)
	}
}

// TestTCPBacksOffPeerClosingAtOnce is a peer that closes every connection
// as soon as it read the hello (one that refuses this member): the
// transport redials with growing pauses, not in a tight loop.
func TestTCPBacksOffPeerClosingAtOnce(t *testing.T) {
	addr, conns, accepts := fakePeer(t)
	startTCP(t, addr)
	stop := time.After(time.Second)
	for {
		select {
		case c := <-conns:
			c.Close()
			continue
		case <-stop:
		}
		break
	}
	// 10, 20, 40, 80 ms, then 100 ms each: about a dozen in one second.
	if n := accepts.Load(); n > 30 {
		t.Fatalf("%d connections in one second to a peer that closes each at once, want a backoff (10..100 ms)", n)
	} else {
		t.Logf("%d connections in one second", n)
	}
}
