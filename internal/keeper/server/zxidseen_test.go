package server

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// TestClientAheadOfServerIsRefused: a client that has seen a zxid newer
// than the server's last one (it talked to a member that is further
// along) must not get a session there, or its reads could go back in
// time. ZooKeeper closes such a connection without a ConnectResponse
// ("client must try another server"); the client library then tries the
// next server of its list. A client whose zxid the server has is served,
// and the refusal touches no one else.
func TestClientAheadOfServerIsRefused(t *testing.T) {
	forEachKeeper(t, nil, func(t *testing.T, s *Server) {
		zc, _ := connect(t, s)
		if _, err := zc.Create("/seen", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
		checkAheadRefused(t, s.Addr().String(), s.lastZxid(), zc)
	})
}

// TestClientAheadOfApacheIsRefused runs the same check against Apache
// ZooKeeper, whose behaviour the test above expects of zkafka.
func TestClientAheadOfApacheIsRefused(t *testing.T) {
	t.Parallel()
	a := zktest.StartApache(t)
	zc, _ := connectAddr(t, a.Addr, 10*time.Second)
	if _, err := zc.Create("/seen", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	out, err := zktest.FourLetter(a.Addr, "srvr")
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for line := range strings.SplitSeq(out, "\n") {
		if v, ok := strings.CutPrefix(line, "Zxid: 0x"); ok {
			last, err = strconv.ParseInt(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatalf("srvr Zxid line %q: %v", line, err)
			}
		}
	}
	if last == 0 {
		t.Fatalf("no Zxid in srvr output:\n%s", out)
	}
	checkAheadRefused(t, a.Addr, last, zc)
}

// checkAheadRefused connects to addr, whose last zxid is last, as clients
// that have seen newer zxids (refused) and as one that has seen last
// (served); zc, another session there, must still be served afterwards.
func checkAheadRefused(t *testing.T, addr string, last int64, zc *zk.Conn) {
	t.Helper()
	if resp, err := connectSeen(t, addr, last+1); !errors.Is(err, io.EOF) && !errors.Is(err, errReset) {
		t.Errorf("client ahead by one zxid: got a %d-byte reply (err %v), want the connection closed without a reply", len(resp), err)
	}
	if resp, err := connectSeen(t, addr, last+1<<32); !errors.Is(err, io.EOF) && !errors.Is(err, errReset) {
		t.Errorf("client ahead by an epoch: got a %d-byte reply (err %v), want the connection closed without a reply", len(resp), err)
	}
	resp, err := connectSeen(t, addr, last)
	if err != nil {
		t.Fatalf("client at the server's zxid: %v, want a session", err)
	}
	// ConnectResponse: protocolVersion int32, timeOut int32, sessionId int64, passwd buffer.
	if len(resp) < 16 || binary.BigEndian.Uint64(resp[8:16]) == 0 {
		t.Fatalf("client at the server's zxid: ConnectResponse %x has no session id", resp)
	}
	if _, _, err := zc.Get("/seen"); err != nil {
		t.Errorf("the other session after the refusals: %v", err)
	}
}

// connectFrame is a framed ConnectRequest for a new session from a client
// that has seen zxid, asking for a timeoutMs session timeout.
func connectFrame(zxid int64, timeoutMs int32) []byte {
	req := make([]byte, 0, 64)
	req = binary.BigEndian.AppendUint32(req, 0) // length, patched below
	req = binary.BigEndian.AppendUint32(req, 0) // protocol version
	req = binary.BigEndian.AppendUint64(req, uint64(zxid))
	req = binary.BigEndian.AppendUint32(req, uint32(timeoutMs))
	req = binary.BigEndian.AppendUint64(req, 0)  // session id: a new session
	req = binary.BigEndian.AppendUint32(req, 16) // password
	req = append(req, make([]byte, 16)...)
	req = append(req, 0) // readOnly
	binary.BigEndian.PutUint32(req, uint32(len(req)-4))
	return req
}

// errReset stands for a connection reset by the server, which a refusal
// may also produce when the request was not read to its end.
var errReset = errors.New("connection reset")

// connectSeen sends a ConnectRequest that says the client has seen zxid
// and returns the body of the server's ConnectResponse, io.EOF (or
// errReset) when the server closed the connection without one.
func connectSeen(t *testing.T, addr string, zxid int64) ([]byte, error) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := connectFrame(zxid, 10000)
	if _, err := nc.Write(req); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var lb [4]byte
	if _, err := io.ReadFull(nc, lb[:]); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("no reply and no close within 10 s")
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, io.EOF
		}
		return nil, errReset
	}
	resp := make([]byte, binary.BigEndian.Uint32(lb[:]))
	if _, err := io.ReadFull(nc, resp); err != nil {
		return nil, err
	}
	return resp, nil
}
