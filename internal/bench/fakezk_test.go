package bench

import (
	"errors"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// fakeZK is just enough of a ZooKeeper server for ProbeGetData: the handshake, getData of
// the nodes it holds (NONODE otherwise) and closeSession. Its first drop connections are
// closed right after the connect request, as Apache ZooKeeper does while it loads its data.
type fakeZK struct {
	ln    net.Listener
	nodes map[string][]byte
	drop  atomic.Int32
	conns atomic.Int32 // connections accepted
	wg    sync.WaitGroup
}

// startFakeZK serves nodes on addr ("127.0.0.1:0" for any port) until the test ends.
func startFakeZK(t *testing.T, addr string, nodes map[string][]byte, drop int) *fakeZK {
	t.Helper()
	f, err := listenFakeZK(addr, nodes, drop)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.close)
	return f
}

func listenFakeZK(addr string, nodes map[string][]byte, drop int) (*fakeZK, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	f := &fakeZK{ln: ln, nodes: nodes}
	f.drop.Store(int32(drop))
	f.wg.Go(f.accept)
	return f, nil
}

func (f *fakeZK) addr() string { return f.ln.Addr().String() }

func (f *fakeZK) close() {
	f.ln.Close()
	f.wg.Wait()
}

func (f *fakeZK) accept() {
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		nc, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.conns.Add(1)
		conns.Go(func() {
			defer nc.Close()
			f.serve(nc)
		})
	}
}

// serve handles one connection; every error ends it.
func (f *fakeZK) serve(nc net.Conn) {
	if _, err := readPacket(nc); err != nil {
		return
	}
	if f.drop.Add(-1) >= 0 {
		return // "not running yet": close without a ConnectResponse
	}
	if writeFrame(nc, &jute.ConnectResponse{TimeOut: 30000, SessionID: 0x1234, Passwd: make([]byte, 16)}) != nil {
		return
	}
	for {
		pkt, err := readPacket(nc)
		if err != nil {
			return
		}
		d := jute.NewDecoder(pkt)
		var h jute.RequestHeader
		d.Record(&h)
		switch h.Type {
		case jute.OpGetData:
			var r jute.PathWatchRequest
			d.Record(&r)
			data, ok := f.nodes[r.Path]
			if !ok {
				_ = writeFrame(nc, &jute.ReplyHeader{Xid: h.Xid, Err: -101}) // NONODE
				continue
			}
			// A watch notification first, to show the probe skips it.
			_ = writeFrame(nc, &jute.ReplyHeader{Xid: -1}, &jute.WatcherEvent{Type: 3, State: 3, Path: r.Path})
			_ = writeFrame(nc, &jute.ReplyHeader{Xid: h.Xid}, &jute.GetDataResponse{Data: data})
		case jute.OpCloseSession:
			_ = writeFrame(nc, &jute.ReplyHeader{Xid: h.Xid})
			return
		default:
			return
		}
	}
}

func writeFrame(w io.Writer, recs ...jute.Record) error {
	var e jute.Encoder
	at := e.BeginFrame()
	for _, r := range recs {
		e.Record(r)
	}
	e.EndFrame(at)
	_, err := w.Write(e.Bytes())
	return err
}

// Environment of the helper process: TestMain turns the test binary into a fake server when
// helperEnv is set, serving helperNode on the address in helperEnv until SIGTERM. With
// helperFail set it exits 3 at once instead.
const (
	helperEnv  = "ZKAFKA_BENCH_FAKEZK_ADDR"
	helperFail = "ZKAFKA_BENCH_FAKEZK_FAIL"
	helperNode = "/known"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(helperEnv); addr != "" {
		os.Exit(runHelper(addr))
	}
	os.Exit(m.Run())
}

func runHelper(addr string) int {
	if os.Getenv(helperFail) != "" {
		return 3
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	f, err := listenFakeZK(addr, map[string][]byte{helperNode: []byte("hello")}, 0)
	if errors.Is(err, syscall.EADDRINUSE) {
		return 4
	}
	if err != nil {
		return 5
	}
	<-sig
	f.ln.Close() // connections in flight finish on their own; the process ends now
	return 0
}
