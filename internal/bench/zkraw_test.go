package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func TestFrameReader(t *testing.T) {
	var stream bytes.Buffer
	frames := [][]byte{[]byte("a"), {}, bytes.Repeat([]byte("b"), 3*rawReadBuffer), []byte("tail")}
	for _, f := range frames {
		var e jute.Encoder
		at := e.BeginFrame()
		e.Buffer(f)
		e.EndFrame(at)
		stream.Write(e.Bytes())
	}
	for name, r := range map[string]io.Reader{
		"whole":    bytes.NewReader(stream.Bytes()),
		"one byte": iotest.OneByteReader(bytes.NewReader(stream.Bytes())),
		"half":     iotest.HalfReader(bytes.NewReader(stream.Bytes())),
	} {
		t.Run(name, func(t *testing.T) {
			fr := frameReader{r: r, buf: make([]byte, 64)}
			for i, want := range frames {
				got, err := fr.next()
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				d := jute.NewDecoder(got)
				if b := d.Buffer(); d.Err() != nil || !bytes.Equal(b, want) || d.Remaining() != 0 {
					t.Fatalf("frame %d = %d bytes (%v), want %d", i, len(b), d.Err(), len(want))
				}
			}
			if _, err := fr.next(); !errors.Is(err, io.EOF) {
				t.Fatalf("after the last frame: err = %v, want EOF", err)
			}
		})
	}

	// A stream that ends inside a frame, and a frame length out of range.
	fr := frameReader{r: bytes.NewReader([]byte{0, 0, 0, 9, 1, 2}), buf: make([]byte, 64)}
	if _, err := fr.next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated frame: err = %v, want ErrUnexpectedEOF", err)
	}
	fr = frameReader{r: bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xfe}), buf: make([]byte, 64)}
	if _, err := fr.next(); !errors.Is(err, errProtocol) {
		t.Errorf("negative frame length: err = %v, want errProtocol", err)
	}
}

// TestRawConnFake talks to the fake server of the probe tests, which sends a notification
// before each getData reply.
func TestRawConnFake(t *testing.T) {
	f := startFakeZK(t, "127.0.0.1:0", map[string][]byte{"/known": []byte("hello")}, 0)
	c, err := dialRaw(t.Context(), f.addr(), 6*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c.sessionID != 0x1234 || c.timeout != 30*time.Second || c.pingEvery != 10*time.Second { // the fake grants 30 s
		t.Errorf("session %#x, ping every %v", c.sessionID, c.pingEvery)
	}
	c.load(&zkLoad{node: "/known", seq: "/known/n-"})
	c.encode(OpGet)
	code, body, err := c.call(c.xid, time.Now())
	if err != nil || code != jute.ErrOK {
		t.Fatalf("getData /known: %v, %v", code, err)
	}
	var r jute.GetDataResponse
	if err := jute.Decode(body, &r); err != nil || string(r.Data) != "hello" {
		t.Fatalf("getData /known = %q, %v", r.Data, err)
	}
	c.get.Path = "/missing"
	if code, err := c.do(OpGet, time.Now()); err != nil || code != jute.ErrNoNode {
		t.Fatalf("getData /missing = %v, %v; want NoNode", code, err)
	}
	if err := c.closeSession(); err != nil {
		t.Fatal(err)
	}
}

// TestRawConnKeeper checks the raw client's requests against a zkafka keeper, reading the
// results back with go-zookeeper.
func TestRawConnKeeper(t *testing.T) {
	t.Parallel()
	server := startKafkaKeeper(t)
	c, err := dialRaw(t.Context(), server, 6*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.closeSession()
	if c.timeout <= 0 || c.timeout > 6*time.Second || c.pingEvery != c.timeout/3 {
		t.Errorf("ping every %v, want a third of the negotiated session timeout %v", c.pingEvery, c.timeout)
	}
	root := "/raw-" + randomHex(4)
	if code, err := c.createNode(root, nil); err != nil || code != jute.ErrOK {
		t.Fatalf("create %s: %v, %v", root, code, err)
	}
	if code, err := c.createNode(root, nil); err != nil || code != jute.ErrNodeExists {
		t.Fatalf("create %s again: %v, %v; want NodeExists", root, code, err)
	}
	node := root + "/c0000"
	if code, err := c.createNode(node, []byte("old")); err != nil || code != jute.ErrOK {
		t.Fatalf("create %s: %v, %v", node, code, err)
	}
	c.load(&zkLoad{node: node, seq: node + "/n-", data: []byte("new data")})
	for _, op := range []string{OpSet, OpGet, OpCreate, OpCreate, OpCreate} {
		if code, err := c.do(op, time.Now()); err != nil || code != jute.ErrOK {
			t.Fatalf("%s: %v, %v", op, code, err)
		}
	}
	if err := c.ping(time.Now()); err != nil {
		t.Fatal(err)
	}
	// The body of a getData reply holds what set wrote.
	c.encode(OpGet)
	code, body, err := c.call(c.xid, time.Now())
	var r jute.GetDataResponse
	if err != nil || code != jute.ErrOK || jute.Decode(body, &r) != nil || string(r.Data) != "new data" || r.Stat.Version != 1 {
		t.Fatalf("getData %s = %q version %d (%v, %v)", node, r.Data, r.Stat.Version, code, err)
	}

	zc := dialTest(t, server)
	data, stat, err := zc.Get(node)
	if err != nil || string(data) != "new data" || stat.NumChildren != 3 {
		t.Fatalf("go-zookeeper reads %s = %q with %d children (%v)", node, data, stat.NumChildren, err)
	}
	kids, _, err := zc.Children(node)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kids {
		if len(k) != len("n-0000000000") || !strings.HasPrefix(k, "n-") {
			t.Errorf("child %q is not a sequential n-NNNNNNNNNN", k)
		}
	}
	acl, _, err := zc.GetACL(node)
	if err != nil || len(acl) != 1 || acl[0] != zk.WorldACL(zk.PermAll)[0] {
		t.Errorf("ACL of %s = %+v (%v), want world:anyone all", node, acl, err)
	}
	if err := DeleteTree(t.Context(), zc, root); err != nil {
		t.Fatal(err)
	}
}

// cannedZK answers every request with a reply of the right xid and a fixed body, from
// reused buffers, so that it allocates nothing per request itself: AllocsPerRun counts
// the whole process's allocations, and an in-process keeper's would hide the client's.
type cannedZK struct {
	ln     net.Listener
	answer atomic.Int64 // requests left to answer, over all connections; then it is mute
	pings  atomic.Int32 // pings received
	// served counts the requests received over all connections; the stallAt-th of them (1
	// for the first) is answered only stallFor after it came, as by a server that stalls.
	served   atomic.Int64
	stallAt  int64
	stallFor time.Duration
	// arrivals, when not nil, receives when each request came (not pings).
	arrivals chan time.Time
	mu       sync.Mutex
	conns    []net.Conn
	wg       sync.WaitGroup
}

// cannedAll makes a cannedZK answer every request.
const cannedAll = 1 << 62

// startCannedZK serves on a port of 127.0.0.1 until the test ends. It answers every
// handshake and the first answer requests (cannedAll: all), then reads requests and
// answers none. Each of opts sets up more of the server before it accepts a connection.
func startCannedZK(t *testing.T, answer int64, opts ...func(*cannedZK)) *cannedZK {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &cannedZK{ln: ln}
	s.answer.Store(answer)
	for _, o := range opts {
		o(s)
	}
	s.wg.Go(s.accept)
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *cannedZK) addr() string { return s.ln.Addr().String() }

func (s *cannedZK) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, nc)
		s.mu.Unlock()
		s.wg.Go(func() {
			defer nc.Close()
			s.serve(nc)
		})
	}
}

// serve answers the handshake, granting the session timeout asked for, then requests
// while s.answer lasts, until the client closes its session or either side closes the
// connection.
func (s *cannedZK) serve(nc net.Conn) {
	fr := frameReader{r: nc, buf: make([]byte, rawReadBuffer)}
	frame, err := fr.next()
	if err != nil {
		return
	}
	var cr jute.ConnectRequest
	if jute.Decode(frame, &cr) != nil {
		return
	}
	var e jute.Encoder
	at := e.BeginFrame()
	(&jute.ConnectResponse{TimeOut: cr.TimeOut, SessionID: 0x77, Passwd: make([]byte, 16)}).Encode(&e)
	e.EndFrame(at)
	if _, err := nc.Write(e.Bytes()); err != nil {
		return
	}
	// Every reply: a header and a getData-shaped body (data and stat), whatever the request.
	e.Reset()
	at = e.BeginFrame()
	(&jute.ReplyHeader{Xid: 0, Zxid: 1}).Encode(&e)
	(&jute.GetDataResponse{Data: payload(100)}).Encode(&e)
	e.EndFrame(at)
	reply := e.Bytes()
	for {
		req, err := fr.next()
		if err != nil || len(req) < 8 {
			return
		}
		op := jute.OpCode(int32(binary.BigEndian.Uint32(req[4:8])))
		if op == jute.OpPing {
			s.pings.Add(1)
		} else if s.arrivals != nil {
			s.arrivals <- time.Now()
		}
		if s.served.Add(1) == s.stallAt {
			time.Sleep(s.stallFor) // the stall this fake server is for, not ordering
		}
		if s.answer.Add(-1) < 0 {
			continue
		}
		copy(reply[4:8], req[:4]) // the request's xid
		if _, err := nc.Write(reply); err != nil {
			return
		}
		if op == jute.OpCloseSession {
			return
		}
	}
}

// TestRawStepAllocs checks that one operation of the raw client's loop, recording included,
// allocates nothing. The server is cannedZK: see there why not a keeper.
func TestRawStepAllocs(t *testing.T) {
	f := dialTestFleet(t, ZKOptions{Servers: []string{startCannedZK(t, cannedAll).addr()}}).(*rawFleet)
	for _, op := range []string{OpGet, OpSet, OpCreate, OpMixed} {
		l := testLoad(op, clientNode("/zkbench-0123456789abcdef", 0), newRecorder())
		f.conns[0].load(l)
		var stepErr error
		allocs := testing.AllocsPerRun(200, func() {
			if _, err := f.step(f.conns[0], l); err != nil && stepErr == nil {
				stepErr = err
			}
		})
		if stepErr != nil {
			t.Fatal(stepErr)
		}
		if tl := collect([]*recorder{l.rec}, newHistogram()); tl.ops != 201 || tl.errs != 0 {
			t.Fatalf("%s: %d ops, %d errors (%v)", op, tl.ops, tl.errs, tl.firstErr)
		}
		if allocs != 0 {
			t.Errorf("%s: %v allocations per operation, want 0", op, allocs)
		}
	}
}

// TestRunZKRawSetupStalled runs against a server that opens sessions and then answers
// nothing: RunZK gives up when its context does, not later.
func TestRunZKRawSetupStalled(t *testing.T) {
	t.Parallel()
	server := startCannedZK(t, 0).addr()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := RunZK(ctx, ZKOptions{Servers: []string{server}, Clients: 2, Duration: time.Minute, SessionTimeout: time.Second})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "create /zkbench-") {
		t.Fatalf("RunZK = %v, want the setup's create failing with the context's deadline", err)
	}
	if res != nil {
		t.Errorf("RunZK returned a result for a run that never started: %+v", res)
	}
	// The cleanup's go-zookeeper session gets no answer either: it fails when go-zookeeper
	// gives up on the reply, two thirds of the session timeout.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("RunZK took %v", d)
	}
}

// TestRawPingWhenIdle checks that a client idle for a third of the session timeout pings
// before its next request, and that a busy one does not.
func TestRawPingWhenIdle(t *testing.T) {
	t.Parallel()
	server := startKafkaKeeper(t)
	c, err := dialRaw(t.Context(), server, 6*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.closeSession()
	f := &rawFleet{conns: []*rawConn{c}}
	l := testLoad(OpGet, "/", newRecorder())
	c.load(l)
	xid := c.xid
	if _, err := f.step(c, l); err != nil || c.xid != xid+1 {
		t.Fatalf("step: %v, xid %d -> %d", err, xid, c.xid)
	}
	// Pretend the last request went out long ago: the step pings (xid -2, not counted in
	// c.xid) and then issues its request; the ping's reply comes first.
	c.lastSend = time.Now().Add(-c.pingEvery - time.Second)
	sent := c.lastSend
	if _, err := f.step(c, l); err != nil || c.xid != xid+2 || !c.lastSend.After(sent) {
		t.Fatalf("step after idling: %v, xid %d", err, c.xid)
	}
	if tl := collect([]*recorder{l.rec}, newHistogram()); tl.ops != 2 || tl.errs != 0 {
		t.Fatalf("%d ops, %d errors (%v)", tl.ops, tl.errs, tl.firstErr)
	}
}

// cutProxy forwards TCP connections to a server until cut closes every connection it has
// forwarded so far; it keeps accepting new ones.
type cutProxy struct {
	ln       net.Listener
	target   string
	accepted atomic.Int32 // connections forwarded
	mu       sync.Mutex
	conns    []net.Conn
	wg       sync.WaitGroup
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.accepted.Add(1)
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		p.wg.Go(func() { _, _ = io.Copy(out, in); out.Close() })
		p.wg.Go(func() { _, _ = io.Copy(in, out); in.Close() })
	}
}

// cut closes every forwarded connection.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// cutWriter cuts the proxy's connections on the first progress line.
type cutWriter struct {
	once sync.Once
	p    *cutProxy
}

func (w *cutWriter) Write(b []byte) (int, error) { w.once.Do(w.p.cut); return len(b), nil }

// TestRunZKRawConnDropped cuts every connection in the middle of a raw run: the run ends at
// once with ErrConnLost, not at its duration, and still removes its root.
func TestRunZKRawConnDropped(t *testing.T) {
	t.Parallel()
	server := startKafkaKeeper(t)
	p := startCutProxy(t, server)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res, err := RunZK(ctx, ZKOptions{
		Servers:  []string{p.ln.Addr().String()},
		Clients:  3,
		Op:       OpGet,
		Duration: 50 * time.Second,
		Progress: &cutWriter{p: p},
		Interval: 100 * time.Millisecond,
	})
	if !errors.Is(err, ErrConnLost) || res == nil {
		t.Fatalf("RunZK = %v, %v; want a partial result and ErrConnLost", res, err)
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "client ") || !strings.Contains(err.Error(), p.ln.Addr().String()) {
		t.Errorf("error %q names neither the client nor the server", err)
	}
	if res.Elapsed >= 10*time.Second || res.Ops <= 0 || res.Errors < 1 || !errors.Is(res.FirstError, ErrConnLost) {
		t.Errorf("elapsed %v, ops %d, errors %d (%v)", res.Elapsed, res.Ops, res.Errors, res.FirstError)
	}
	if res.CleanupErr != nil {
		t.Errorf("cleanup: %v", res.CleanupErr)
	}
	checkRootGone(t, server, res.Root)
}
