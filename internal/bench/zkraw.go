package bench

// ClientRaw: RunZK's own client of the ZooKeeper wire protocol, lean enough that the load
// generator costs the shared machine little CPU next to the server it measures.
//
// Each client has one rawConn: one TCP connection (TCP_NODELAY) and one session, opened
// with the connect handshake (ConnectRequest, ConnectResponse) and ended with closeSession,
// and used by one goroutine at a time. Requests go one at a time, encoded with
// internal/keeper/jute into a buffer the connection reuses, as one length-prefixed frame
// and one write(2); the reply is read into a reused buffer, as many bytes per read(2) as
// the socket holds, and only its header is decoded:
//
//	request:  len int32 | xid int32 | type int32 | body (getData, setData or create)
//	reply:    len int32 | xid int32 | zxid int64 | err int32 | body (not decoded)
//
// RunZK's measured phase drives the clients with a few epoll event loops on Linux
// (zkraw_linux.go: per operation one write(2), one read(2) and a share of one
// epoll_wait(2)), and elsewhere with one goroutine per client (runClient), as setup,
// closing and RunFailover do everywhere. (Go's net.Conn tries a read before waiting for
// readiness, so on that path each reply costs one read(2) that finds nothing, then one that
// gets it whole; waiting first is not safe, because the poller forgets a readiness that came
// before the wait.)
//
// Notifications (xid -1) and stray ping replies (xid -2) are skipped. A closed loop is
// never idle, so the client pings (xid -2) only before a request when nothing was sent for
// a third of the negotiated session timeout (the event loops write that ping and the
// request together, encodePingAnd). Nothing is allocated per request.
//
// The connection keeps the session's password and the highest zxid its replies carried,
// so that RunFailover can resume the session on another server (dialRawSession) after the
// connection broke; RunZK itself never reconnects.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	randv2 "math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Raw client limits: the first size of a connection's read buffer (it grows to fit a
// larger reply), the largest reply frame accepted, and how long closing a session may take.
const (
	rawReadBuffer   = 16 << 10
	rawMaxFrame     = 16 << 20
	rawCloseTimeout = 2 * time.Second
)

// errProtocol reports a reply the raw client cannot make sense of; errSessionRefused a
// ConnectResponse without a session (the session to resume has expired).
var (
	errProtocol       = errors.New("protocol violation")
	errSessionRefused = errors.New("session refused")
)

// worldACL is the ACL of every znode the raw client creates: world:anyone, all permissions
// (go-zookeeper's zk.WorldACL(zk.PermAll)).
var worldACL = []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}

// rawConn is one session over one TCP connection, used by one goroutine at a time (abort
// and deadline changes excepted, which net.Conn allows from any goroutine).
type rawConn struct {
	nc        *net.TCPConn
	addr      string
	sessionID int64
	passwd    []byte        // the session's password, to resume it on another connection
	lastZxid  int64         // the highest zxid a reply has carried (ZooKeeper refuses a resume behind it)
	timeout   time.Duration // the negotiated session timeout
	pingEvery time.Duration // a third of timeout
	lastSend  time.Time     // when the last request was written
	xid       int32         // xid of the last request

	enc jute.Encoder // request frame, reused
	rd  frameReader  // reply frames, buffer reused
	dec jute.Decoder // reply header

	// The request bodies of the load, filled once by load and reused.
	get    jute.PathWatchRequest
	set    jute.SetDataRequest
	create jute.CreateRequest
}

// dialRaw opens a session with one of the comma-separated hosts, tried in random order,
// asking for sessionTimeout. Each attempt (connect and handshake) is bounded by
// connectTimeout and by ctx.
func dialRaw(ctx context.Context, hosts string, sessionTimeout time.Duration) (*rawConn, error) {
	list := splitHosts(hosts)
	var errs []error
	for _, k := range randv2.Perm(len(list)) {
		c, err := dialRawHost(ctx, list[k], sessionTimeout)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("%w to %s: %w", ErrConnect, hosts, errors.Join(errs...))
}

// dialRawHost connects to addr and runs the handshake for a new session.
func dialRawHost(ctx context.Context, addr string, sessionTimeout time.Duration) (*rawConn, error) {
	req := jute.ConnectRequest{TimeOut: int32(sessionTimeout / time.Millisecond), Passwd: make([]byte, 16)}
	return dialRawSession(ctx, addr, req, connectTimeout)
}

// dialRawSession connects to addr and runs the handshake with req: a new session when
// req.SessionID is 0, else the resumption of that session (with its password and the last
// zxid seen). The attempt is bounded by timeout and by ctx. A server that refuses the
// session (it expired) gives an error wrapping errSessionRefused.
func dialRawSession(ctx context.Context, addr string, req jute.ConnectRequest, timeout time.Duration) (*rawConn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		nc.Close()
		return nil, fmt.Errorf("%s: not a TCP connection", addr)
	}
	c := &rawConn{nc: tc, addr: addr, lastZxid: req.LastZxidSeen, rd: frameReader{r: tc, buf: make([]byte, rawReadBuffer)}}
	if err := c.handshake(ctx, req); err != nil {
		tc.Close()
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	return c, nil
}

// handshake sends req and reads the ConnectResponse, within ctx.
func (c *rawConn) handshake(ctx context.Context, req jute.ConnectRequest) error {
	if err := c.nc.SetNoDelay(true); err != nil {
		return fmt.Errorf("set TCP_NODELAY: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		if err := c.nc.SetDeadline(dl); err != nil {
			return err
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) }) // unblock on cancel
	defer stop()

	c.enc.Reset()
	at := c.enc.BeginFrame()
	req.Encode(&c.enc)
	c.enc.EndFrame(at)
	if _, err := c.nc.Write(c.enc.Bytes()); err != nil {
		return fmt.Errorf("send connect request: %w", errors.Join(err, ctx.Err()))
	}
	frame, err := c.rd.next()
	if err != nil {
		return fmt.Errorf("read connect response: %w", errors.Join(err, ctx.Err()))
	}
	var resp jute.ConnectResponse
	if err := jute.Decode(frame, &resp); err != nil {
		return fmt.Errorf("connect response: %w", err)
	}
	if resp.TimeOut <= 0 || resp.SessionID == 0 {
		return fmt.Errorf("%w (timeout %d ms, session id %#x)", errSessionRefused, resp.TimeOut, resp.SessionID)
	}
	c.sessionID = resp.SessionID
	c.passwd = append([]byte(nil), resp.Passwd...)
	c.timeout = time.Duration(resp.TimeOut) * time.Millisecond
	c.pingEvery = c.timeout / 3
	c.lastSend = time.Now()
	stop()
	return c.nc.SetDeadline(time.Time{})
}

// load fills the reused request bodies for l's operations.
func (c *rawConn) load(l *zkLoad) {
	c.get = jute.PathWatchRequest{Path: l.node}
	c.set = jute.SetDataRequest{Path: l.node, Data: l.data, Version: -1}
	c.create = jute.CreateRequest{Path: l.seq, Data: l.data, ACL: worldACL, Flags: jute.ModePersistentSequential}
}

// do issues op (OpGet, OpSet or OpCreate, with the bodies load filled) at now and waits for
// its reply. It returns the reply's error code, or an error when the connection failed.
func (c *rawConn) do(op string, now time.Time) (jute.Err, error) {
	c.encode(op)
	code, _, err := c.call(c.xid, now)
	return code, err
}

// encode builds the whole frame of op's request (OpGet, OpSet or OpCreate, with the bodies
// load filled) in the reused buffer, with the next xid.
func (c *rawConn) encode(op string) {
	c.enc.Reset()
	c.appendRequest(op)
}

// encodePingAnd builds a ping's frame followed by op's request frame (as encode), to go out
// in one write: the server answers the ping first, and its reply is skipped (skipReply)
// while the reply to op is awaited.
func (c *rawConn) encodePingAnd(op string) {
	c.encodePing()
	c.appendRequest(op)
}

// appendRequest appends the frame of op's request to the reused buffer (see encode).
func (c *rawConn) appendRequest(op string) {
	var at int
	switch op {
	case OpGet:
		at = c.begin(jute.OpGetData)
		c.get.Encode(&c.enc)
	case OpSet:
		at = c.begin(jute.OpSetData)
		c.set.Encode(&c.enc)
	default:
		at = c.begin(jute.OpCreate)
		c.create.Encode(&c.enc)
	}
	c.enc.EndFrame(at)
}

// encodePing builds a ping's frame in the reused buffer.
func (c *rawConn) encodePing() {
	c.enc.Reset()
	at := c.frame(jute.XidPing, jute.OpPing)
	c.enc.EndFrame(at)
}

// createNode creates a persistent node; it is for setup, not measured.
func (c *rawConn) createNode(path string, data []byte) (jute.Err, error) {
	c.enc.Reset()
	at := c.begin(jute.OpCreate)
	req := jute.CreateRequest{Path: path, Data: data, ACL: worldACL, Flags: jute.ModePersistent}
	req.Encode(&c.enc)
	c.enc.EndFrame(at)
	code, _, err := c.call(c.xid, time.Now())
	return code, err
}

// ping sends a ping at now and waits for its reply.
func (c *rawConn) ping(now time.Time) error {
	c.encodePing()
	code, _, err := c.call(jute.XidPing, now)
	if err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	if code != jute.ErrOK {
		return fmt.Errorf("ping: %w", code)
	}
	return nil
}

// closeSession ends the session (closeSession, bounded by rawCloseTimeout) and closes the
// connection.
func (c *rawConn) closeSession() error {
	defer c.nc.Close()
	if err := c.nc.SetDeadline(time.Now().Add(rawCloseTimeout)); err != nil {
		return fmt.Errorf("close session %#x on %s: %w", c.sessionID, c.addr, err)
	}
	c.enc.Reset()
	c.enc.EndFrame(c.begin(jute.OpCloseSession))
	code, _, err := c.call(c.xid, time.Now())
	if err == nil && code != jute.ErrOK {
		err = code
	}
	if err != nil {
		return fmt.Errorf("close session %#x on %s: %w", c.sessionID, c.addr, err)
	}
	return nil
}

// begin appends the start of a request frame of type op with the next xid to the reused
// buffer, and returns the frame's position for EndFrame.
func (c *rawConn) begin(op jute.OpCode) int {
	c.xid++
	if c.xid <= 0 { // wrapped: xids of requests are positive
		c.xid = 1
	}
	return c.frame(c.xid, op)
}

// frame appends the start of a request frame with the given header to the reused buffer
// (which the caller resets first when the frame is the first one to go out).
func (c *rawConn) frame(xid int32, op jute.OpCode) int {
	at := c.enc.BeginFrame()
	h := jute.RequestHeader{Xid: xid, Type: op}
	h.Encode(&c.enc)
	return at
}

// call writes the frame built in the reused buffer and reads frames until the reply to xid,
// skipping notifications, ping replies and replies to requests abandoned earlier (older
// xids). It returns the reply's error code and body, which stays valid until the next call,
// or an error when the connection failed or the reply is malformed.
func (c *rawConn) call(xid int32, now time.Time) (jute.Err, []byte, error) {
	if _, err := c.nc.Write(c.enc.Bytes()); err != nil {
		return 0, nil, fmt.Errorf("send: %w", err)
	}
	c.lastSend = now
	for {
		frame, err := c.rd.next()
		if err != nil {
			return 0, nil, fmt.Errorf("read reply: %w", err)
		}
		h, body, err := c.reply(frame)
		if err != nil {
			return 0, nil, err
		}
		switch {
		case h.Xid == xid:
			c.lastZxid = max(c.lastZxid, h.Zxid)
			return h.Err, body, nil
		case skipReply(h.Xid, xid):
			continue
		default:
			return 0, nil, fmt.Errorf("%w: reply xid %d while waiting for %d", errProtocol, h.Xid, xid)
		}
	}
}

// reply decodes a reply frame's header and returns it with the body.
func (c *rawConn) reply(frame []byte) (jute.ReplyHeader, []byte, error) {
	c.dec.Reset(frame)
	var h jute.ReplyHeader
	h.Decode(&c.dec)
	if err := c.dec.Err(); err != nil {
		return h, nil, fmt.Errorf("reply header: %w", err)
	}
	return h, frame[c.dec.Offset():], nil
}

// skipReply reports whether a frame with xid got while waiting for the reply to want is to be
// skipped: a notification, a ping's reply, or the reply to a request abandoned earlier.
func skipReply(xid, want int32) bool {
	return xid == jute.XidNotification || xid == jute.XidPing || xid > 0 && xid < want
}

// frameReader reads length-prefixed frames into one reused buffer, as many bytes per read
// as the socket has, so a reply usually takes one read(2).
type frameReader struct {
	r          io.Reader
	buf        []byte
	start, end int // buf[start:end] is read but not yet returned
}

// next returns the next frame's payload, valid until the following call.
func (f *frameReader) next() ([]byte, error) {
	for {
		p, err := f.frame()
		if p != nil || err != nil {
			return p, err
		}
		if err := f.fill(f.need()); err != nil {
			return nil, err
		}
	}
}

// frame returns the next whole frame's payload already buffered, without reading, or nil
// when less than a whole frame is buffered.
func (f *frameReader) frame() ([]byte, error) {
	if f.end-f.start < 4 {
		return nil, nil
	}
	n := int(int32(binary.BigEndian.Uint32(f.buf[f.start:])))
	if n < 0 || n > rawMaxFrame {
		return nil, fmt.Errorf("%w: frame length %d", errProtocol, n)
	}
	if f.end-f.start < 4+n {
		return nil, nil
	}
	p := f.buf[f.start+4 : f.start+4+n]
	f.start += 4 + n
	return p, nil
}

// need is how many bytes must be buffered for the frame begun: 4 for its length, then 4
// and the length.
func (f *frameReader) need() int {
	if f.end-f.start < 4 {
		return 4
	}
	n := int(int32(binary.BigEndian.Uint32(f.buf[f.start:])))
	if n < 0 || n > rawMaxFrame {
		return 4 // frame reports the bad length
	}
	return 4 + n
}

// room makes space for need bytes behind start, moving or growing the buffer, and returns
// the free space after what is buffered.
func (f *frameReader) room(need int) []byte {
	if f.start == f.end {
		f.start, f.end = 0, 0
	}
	if len(f.buf)-f.start < need {
		if need > len(f.buf) {
			grown := make([]byte, max(need, 2*len(f.buf)))
			f.end = copy(grown, f.buf[f.start:f.end])
			f.buf = grown
		} else {
			f.end = copy(f.buf, f.buf[f.start:f.end])
		}
		f.start = 0
	}
	return f.buf[f.end:]
}

// fill reads until at least need bytes are buffered, moving or growing the buffer first
// when they would not fit behind start. The stream ending where nothing is buffered is
// io.EOF, anywhere else io.ErrUnexpectedEOF.
func (f *frameReader) fill(need int) error {
	if f.end-f.start >= need {
		return nil
	}
	f.room(need)
	for f.end-f.start < need {
		n, err := f.r.Read(f.buf[f.end:])
		f.end += n
		if err != nil && f.end-f.start < need {
			if errors.Is(err, io.EOF) && f.end > f.start {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// rawFleet is a zkFleet of rawConns. Its run is the event loops of zkraw_linux.go on
// Linux, runGoroutines (one goroutine per client) elsewhere.
type rawFleet struct {
	o       ZKOptions
	conns   []*rawConn
	aborted atomic.Bool
	closed  bool
	// noPwait2 makes the event loops of an open loop wait with epoll_wait alone, as on a
	// kernel without epoll_pwait2 (for the test of that fallback).
	noPwait2 bool
	// mu orders abort with an event loop taking a connection's socket from its net.Conn
	// and giving it back (the conns' nc fields).
	mu sync.Mutex
}

// dialRawFleet opens one raw session per client, client i to o.Servers[serverOf(i, n)],
// concurrently. On any failure it closes what it opened.
func dialRawFleet(ctx context.Context, o ZKOptions) (*rawFleet, error) {
	f := &rawFleet{o: o, conns: make([]*rawConn, o.Clients)}
	errs := make([]error, o.Clients)
	var wg sync.WaitGroup
	for i := range f.conns {
		wg.Go(func() {
			f.conns[i], errs[i] = dialRaw(ctx, o.Servers[serverOf(i, len(o.Servers))], o.SessionTimeout)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

// setup creates the nodes, each request bounded by connectTimeout and by ctx (a stalled
// server must not hold it forever).
func (f *rawFleet) setup(ctx context.Context, root string, data []byte) error {
	deadline := time.Now().Add(connectTimeout)
	for _, c := range f.conns {
		if err := c.nc.SetDeadline(deadline); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	stop := context.AfterFunc(ctx, f.abort)
	defer func() {
		if stop() {
			for _, c := range f.conns {
				_ = c.nc.SetDeadline(time.Time{})
			}
		}
	}()
	if code, err := f.conns[0].createNode(root, nil); err != nil || code != jute.ErrOK {
		return fmt.Errorf("create %s: %w", root, errors.Join(err, ctx.Err(), codeErr(code)))
	}
	errs := make([]error, len(f.conns))
	var wg sync.WaitGroup
	for i, c := range f.conns {
		wg.Go(func() {
			p := clientNode(root, i)
			if code, err := c.createNode(p, data); err != nil || code != jute.ErrOK {
				errs[i] = fmt.Errorf("create %s: %w", p, errors.Join(err, ctx.Err(), codeErr(code)))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

// codeErr is code as an error, nil for ErrOK.
func codeErr(code jute.Err) error {
	if code == jute.ErrOK {
		return nil
	}
	return code
}

// runGoroutines runs every client's closed loop in its own goroutine (runClient).
func (f *rawFleet) runGoroutines(loads []*zkLoad, stop, parent context.Context) error {
	return runEach(len(loads), stop, func(i int, stop context.Context) error {
		return f.runClient(i, loads[i], stop, parent)
	})
}

// runClient is client i's closed loop. An error reply (NoNode, ...) is counted and the loop
// goes on; a failed connection is counted and ends the client with an error naming it and
// wrapping ErrConnLost.
func (f *rawFleet) runClient(i int, l *zkLoad, stop, parent context.Context) error {
	c := f.conns[i]
	c.load(l)
	for stop.Err() == nil {
		if d, err := f.step(c, l); err != nil {
			if parent.Err() != nil {
				return nil // aborted by RunZK because the run was interrupted
			}
			l.record(d, err)
			return fmt.Errorf("client %d: %w", i, err)
		}
	}
	return nil
}

// step issues one operation of l on c and records it. When the connection fails it records
// nothing and returns the error, wrapping ErrConnLost, with the time the attempt took.
func (f *rawFleet) step(c *rawConn, l *zkLoad) (time.Duration, error) {
	op := l.next()
	t0 := time.Now()
	if t0.Sub(c.lastSend) > c.pingEvery {
		if err := c.ping(t0); err != nil {
			return time.Since(t0), f.lost(c, err)
		}
		t0 = time.Now()
	}
	code, err := c.do(op, t0)
	d := time.Since(t0)
	if err != nil {
		return d, f.lost(c, fmt.Errorf("%s %s: %w", op, l.node, err))
	}
	if code != jute.ErrOK {
		l.record(d, fmt.Errorf("%s %s: %w", op, l.node, code))
		return d, nil
	}
	l.record(d, nil)
	return d, nil
}

// lost wraps the failure of c's connection in ErrConnLost.
func (f *rawFleet) lost(c *rawConn, err error) error {
	if f.aborted.Load() {
		return fmt.Errorf("%w: no reply from %s by %v after the run's end: %w", ErrConnLost, c.addr, f.o.SessionTimeout, err)
	}
	return fmt.Errorf("%w to %s: %w", ErrConnLost, c.addr, err)
}

// abort makes every read and write in flight fail at once (a deadline in the past; an event
// loop sees aborted within rawLoopTick); close then sets a new deadline for the closeSession.
func (f *rawFleet) abort() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.aborted.Store(true)
	for _, c := range f.conns {
		if c != nil {
			_ = c.nc.SetDeadline(time.Unix(1, 0))
		}
	}
}

// cleanup ends the raw sessions first (so none expires while a large tree is removed), then
// removes root through a fresh go-zookeeper session.
func (f *rawFleet) cleanup(ctx context.Context, root string) error {
	f.close()
	return cleanupZK(ctx, f.o, nil, root)
}

// close ends every session concurrently, each bounded by rawCloseTimeout; failures (a
// server already gone) are logged at debug level.
func (f *rawFleet) close() {
	if f.closed {
		return
	}
	f.closed = true
	var wg sync.WaitGroup
	for _, c := range f.conns {
		if c == nil {
			continue
		}
		wg.Go(func() {
			if err := c.closeSession(); err != nil {
				f.o.Logger.Debug("raw client close", "err", err)
			}
		})
	}
	wg.Wait()
}
