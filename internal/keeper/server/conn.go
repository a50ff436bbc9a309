package server

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Errors that end a connection.
var (
	// ErrFrameTooLarge means a client announced a packet larger than
	// jute.maxbuffer (plus ZooKeeper's 1 KiB allowance for headers).
	ErrFrameTooLarge = errors.New("server: packet length exceeds jute.maxbuffer")
	// ErrBadFrame means a packet could not be decoded.
	ErrBadFrame = errors.New("server: malformed packet")
)

// maxInflightPerConn bounds the writes one connection may have in the
// commit pipeline before its reader stops reading (back-pressure).
const maxInflightPerConn = 1024

// maxQueuedBytes bounds the replies and events queued for one connection;
// a client that does not read them is disconnected rather than allowed to
// grow the server's memory without bound.
const maxQueuedBytes = 64 << 20

// conn is one client connection. It owns two goroutines: the reader
// (serve), which decodes requests in order and dispatches them, and the
// writer (writeLoop), which writes queued frames in the order they were
// queued. On Linux the reader hands an established session to an event
// loop and ends; the loop then reads the connection (net_loop_linux.go).
// Replies and watch events are queued with enqueue, which never blocks, so
// the commit loop can queue while holding the database lock: that is what
// orders a watch event before any reply that reflects the change.
type conn struct {
	s        *Server
	nc       net.Conn
	raw      syscall.RawConn // nc's descriptor, for flushNow; nil when nc has none
	id       int64
	remoteIP string
	started  time.Time
	log      *slog.Logger

	// Set by the reader only.
	sessionID int64
	timeout   time.Duration
	auth      atomic.Pointer[[]jute.ID] // immutable; replaced when an identity is added
	authMu    sync.Mutex                // serialises addAuth
	lastTouch atomic.Int64              // unix ns of the last session touch
	readOnly  bool                      // the session is a local read-only one (readonly.go)
	// sessionClosed is set once closeSession was proposed.
	sessionClosed atomic.Bool

	// Owned by the reader goroutine: the request decoder and the records
	// of the most common reads, reused (a reply is encoded as it is queued,
	// so nothing keeps them).
	dec       jute.Decoder
	pathWatch jute.PathWatchRequest
	getData   jute.GetDataResponse
	stat      jute.StatResponse

	outMu     sync.Mutex
	enc       jute.Encoder // encodes replies into out; guarded by outMu
	out       []byte       // encoded frames waiting for the writer, in order
	outFrames int          // how many frames out holds
	outClosed bool         // no more frames are accepted
	writing   bool         // a goroutine is writing a taken buffer
	spare     []byte       // the buffer last written, reused for the next batch
	// deferWake is set while the reader serves a read: it flushes inline
	// afterwards, so queueing need not wake the writer goroutine.
	deferWake  atomic.Bool
	closeAfter bool // close the socket once the queue is flushed
	wake       chan struct{}

	// flushGen is the commit loop's batch that last wrote this connection
	// (owned by the commit loop goroutine).
	flushGen uint64
	// tryWrite's state, used by whoever set writing.
	rawWrite func(fd uintptr) bool // c.writeOnce, made once
	rawBuf   []byte
	rawN     int
	rawErr   error

	// pending counts this connection's writes that are proposed but not
	// yet applied; reads wait for it to reach zero (session FIFO order).
	pendMu  sync.Mutex
	pendCnd *sync.Cond
	pending int

	// loop is the event loop that reads the connection, once the reader
	// goroutine handed it over (nil until then, and on other systems).
	loop atomic.Pointer[netLoop]
	// Guarded by loop.mu: a worker goroutine reads the connection
	// (loopBusy), and the loop saw it readable meanwhile (loopReadable).
	loopBusy     bool
	loopReadable bool
	loopQueued   bool // on the loop's list of connections to serve (owned by the loop)
	// Owned by whoever reads the connection in loop mode (the loop, or
	// the worker while loopBusy): bytes read but not yet served, and
	// rawRead's state.
	inbuf    []byte
	batching bool // the loop flushes after serving a batch: flushInline does not
	// held is a write the loop decoded but could not propose without
	// waiting; the worker it hands the connection to proposes it first.
	held   *proposal
	readFn func(fd uintptr) bool
	rdBuf  []byte
	rdN    int
	rdErr  error

	stats connStats
	done  chan struct{} // closed when the connection is torn down
	once  sync.Once
}

// connStats are the per-connection counters the cons four-letter word
// shows.
type connStats struct {
	packetsRecv  atomic.Int64
	packetsSent  atomic.Int64
	lastZxid     atomic.Int64
	lastOp       atomic.Int64 // lastOpSet|op, or 0 before the first ("NA")
	lastLatency  atomic.Int64 // ms
	minLatency   atomic.Int64
	maxLatency   atomic.Int64
	totalLatency atomic.Int64
	latencyCount atomic.Int64
	lastResponse atomic.Int64 // unix ms
	lastCxid     atomic.Int64
}

func (st *connStats) reset() {
	st.packetsRecv.Store(0)
	st.packetsSent.Store(0)
	st.minLatency.Store(0)
	st.maxLatency.Store(0)
	st.totalLatency.Store(0)
	st.latencyCount.Store(0)
}

// lastOpSet marks connStats.lastOp as holding an operation.
const lastOpSet = 1 << 32

// lastOpName is the name of the connection's last operation (as
// jute.OpCode.String gives it), or "NA".
func (st *connStats) lastOpName() string {
	v := st.lastOp.Load()
	if v&lastOpSet == 0 {
		return "NA"
	}
	return jute.OpCode(int32(uint32(v))).String()
}

// record accounts one answered request of type op received at start and
// answered at now.
func (st *connStats) record(op jute.OpCode, xid int32, zxid int64, start, now time.Time) {
	ms := now.Sub(start).Milliseconds()
	st.lastOp.Store(lastOpSet | int64(uint32(op)))
	if xid >= 0 { // as ZooKeeper: special xids (ping, auth) keep the last real one
		st.lastCxid.Store(int64(xid))
	}
	if zxid > 0 {
		st.lastZxid.Store(zxid)
	}
	st.lastLatency.Store(ms)
	st.lastResponse.Store(now.UnixMilli())
	st.totalLatency.Add(ms)
	if st.latencyCount.Add(1) == 1 || ms < st.minLatency.Load() {
		st.minLatency.Store(ms)
	}
	if ms > st.maxLatency.Load() {
		st.maxLatency.Store(ms)
	}
}

func newConn(s *Server, nc net.Conn, id int64) *conn {
	ip := nc.RemoteAddr().String()
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	c := &conn{
		s:        s,
		nc:       nc,
		id:       id,
		remoteIP: ip,
		started:  time.Now(),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		log:      s.log.With("remote", nc.RemoteAddr().String()),
	}
	c.pendCnd = sync.NewCond(&c.pendMu)
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			c.raw = rc
			c.rawWrite = c.writeOnce
		}
	}
	return c
}

// enqueue queues raw bytes (one frame, or a four-letter word's answer)
// for the writer. It never blocks.
func (c *conn) enqueue(frame []byte) {
	c.outMu.Lock()
	if c.outClosed {
		c.outMu.Unlock()
		return
	}
	c.out = append(c.out, frame...)
	c.outFrames++
	if len(c.out) > maxQueuedBytes {
		c.overflowLocked()
		return
	}
	c.outMu.Unlock()
	c.wakeWriter()
}

func (c *conn) wakeWriter() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// send encodes a frame straight into the output buffer (no allocation per
// reply once the buffer has grown) and wakes the writer unless the reader
// flushes afterwards (deferWake).
func (c *conn) send(h jute.ReplyHeader, body jute.Record) {
	if c.queue(h, body) && !c.deferWake.Load() {
		c.wakeWriter()
	}
}

// queue encodes a frame into the output buffer without waking the writer.
// It reports whether the frame was queued.
func (c *conn) queue(h jute.ReplyHeader, body jute.Record) bool {
	c.outMu.Lock()
	if c.outClosed {
		c.outMu.Unlock()
		return false
	}
	e := &c.enc
	e.SetBytes(c.out)
	at := e.BeginFrame()
	h.Encode(e)
	if body != nil {
		body.Encode(e)
	}
	e.EndFrame(at)
	c.out = e.Bytes()
	e.SetBytes(nil)
	c.s.stats.clientResponse(len(c.out) - at)
	c.outFrames++
	if len(c.out) > maxQueuedBytes {
		c.overflowLocked()
		return false
	}
	c.outMu.Unlock()
	return true
}

// flushNow writes what is queued from the calling goroutine (the commit
// loop) with at most one write(2) that does not wait: a full socket (a
// client that does not read) must not stall every session. Whatever is left
// goes to the writer goroutine, after the part written: order is kept as in
// flushInline.
func (c *conn) flushNow() {
	if c.raw == nil {
		c.wakeWriter()
		return
	}
	c.outMu.Lock()
	if c.writing || len(c.out) == 0 || c.outClosed {
		more := len(c.out) > 0 || c.closeAfter
		c.outMu.Unlock()
		if more {
			c.wakeWriter()
		}
		return
	}
	buf, frames := c.takeLocked()
	c.outMu.Unlock()
	n, err := c.tryWrite(buf)
	switch {
	case err != nil:
		c.abort() // the reader and writer fail and tear the connection down
		c.doneWriting(buf, frames)
	case n == len(buf):
		c.doneWriting(buf, frames)
	default:
		// The rest goes before anything queued meanwhile; its frames count
		// as sent once the writer has written them.
		// Kept even when finish closed the queue meanwhile: it closes the
		// socket only after what was queued before is written.
		c.outMu.Lock()
		c.out = append(buf[n:len(buf):len(buf)], c.out...)
		c.outFrames += frames
		c.writing = false
		c.outMu.Unlock()
		c.wakeWriter()
	}
}

// tryWrite writes buf with one write(2) that does not wait for room in the
// socket. It returns how much was written (0 when the socket is full). The
// caller is the goroutine that set writing.
func (c *conn) tryWrite(buf []byte) (int, error) {
	c.rawBuf = buf
	err := c.raw.Write(c.rawWrite)
	n, werr := c.rawN, c.rawErr
	c.rawBuf, c.rawErr = nil, nil
	switch {
	case err != nil:
		return 0, err
	case werr == syscall.EAGAIN:
		return 0, nil
	case werr != nil:
		return 0, werr
	}
	return n, nil
}

// writeOnce is tryWrite's one attempt on the descriptor; returning true
// tells the runtime not to wait for it to become writable.
func (c *conn) writeOnce(fd uintptr) bool {
	for {
		c.rawN, c.rawErr = syscall.Write(int(fd), c.rawBuf)
		if c.rawErr != syscall.EINTR {
			return true
		}
	}
}

// flushInline writes what is queued from the calling (reader) goroutine
// when no write is in progress: a read's reply then costs no hand-off to
// the writer goroutine. Order is kept because only the goroutine that set
// writing writes, and it takes everything queued so far.
func (c *conn) flushInline() {
	if c.batching {
		return // an event loop serves c: it flushes after the batch
	}
	c.outMu.Lock()
	if c.writing || len(c.out) == 0 || c.outClosed {
		more := len(c.out) > 0
		c.outMu.Unlock()
		if more {
			c.wakeWriter()
		}
		return
	}
	buf, frames := c.takeLocked()
	c.outMu.Unlock()
	_, err := c.nc.Write(buf)
	c.doneWriting(buf, frames)
	if err != nil {
		c.abort()
	}
}

// takeLocked takes the queued bytes for writing. The caller holds outMu.
func (c *conn) takeLocked() ([]byte, int) {
	buf, frames := c.out, c.outFrames
	c.out, c.outFrames = c.spare[:0], 0
	c.spare = nil
	c.writing = true
	return buf, frames
}

// doneWriting returns a written buffer for reuse and wakes the writer when
// more was queued meanwhile.
func (c *conn) doneWriting(buf []byte, frames int) {
	c.stats.packetsSent.Add(int64(frames))
	c.s.stats.packetsSent.Add(int64(frames))
	c.outMu.Lock()
	if cap(buf) <= 1<<20 { // do not keep a burst's buffer forever
		c.spare = buf[:0]
	}
	c.writing = false
	more := len(c.out) > 0 || c.closeAfter
	c.outMu.Unlock()
	if more {
		c.wakeWriter()
	}
}

// overflowLocked drops a connection whose client stopped reading: its
// queue passed maxQueuedBytes. The caller holds outMu; it is released.
func (c *conn) overflowLocked() {
	c.outClosed = true
	c.out = nil
	c.outMu.Unlock()
	c.log.Warn("closing connection: client is not reading its replies", "session", sessionHex(c.sessionID), "queued_limit", maxQueuedBytes)
	c.abort()
}

// abort makes the connection's reader and writer fail, so that they tear
// it down; any goroutine may call it, holding any lock. A connection that
// an event loop reads is shut down rather than closed: closing its
// descriptor would take it out of the loop's epoll set unseen.
func (c *conn) abort() {
	if !c.shutdownSocket() {
		c.nc.Close()
	}
}

// setReadDeadline bounds the wait for what the client sends next: past t
// the connection is closed (as net.Conn's read deadline ends the reader
// goroutine's read).
func (c *conn) setReadDeadline(t time.Time) {
	if c.loop.Load() == nil {
		c.nc.SetReadDeadline(t)
		if c.loop.Load() == nil {
			return
		}
	}
	// The event loop reads c (or took it over meanwhile): a timer aborts
	// it. Aborting a connection that is closed by then does nothing.
	time.AfterFunc(time.Until(t), c.abort)
}

// reply queues a reply header and, when it reports success, the body.
func (c *conn) reply(h jute.ReplyHeader, body jute.Record) {
	if h.Err != jute.ErrOK {
		body = nil
	}
	c.send(h, body)
}

// replyQueued is reply without waking the writer: the commit loop writes
// the replies of a batch itself once the batch is applied (flushNow).
func (c *conn) replyQueued(h jute.ReplyHeader, body jute.Record) {
	if h.Err != jute.ErrOK {
		body = nil
	}
	c.queue(h, body)
}

// notify queues a watch notification.
func (c *conn) notify(typ int32, path string, zxid int64) {
	h := jute.ReplyHeader{Xid: jute.XidNotification, Zxid: zxid, Err: jute.ErrOK}
	c.send(h, &jute.WatcherEvent{Type: typ, State: jute.StateSyncConnected, Path: path})
}

// finish queues nothing more and closes the socket once what is queued has
// been written.
func (c *conn) finish() {
	c.outMu.Lock()
	c.outClosed = true
	c.closeAfter = true
	c.outMu.Unlock()
	c.wakeWriter()
}

// writeLoop writes queued frames until the connection is closed. It swaps
// the output buffer with a spare one and writes everything queued with one
// system call.
func (c *conn) writeLoop() {
	defer c.close()
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		for {
			c.outMu.Lock()
			if c.writing {
				c.outMu.Unlock() // the reader is writing; it wakes us after
				break
			}
			if len(c.out) == 0 {
				closeAfter := c.closeAfter
				c.outMu.Unlock()
				if closeAfter {
					return
				}
				break
			}
			buf, frames := c.takeLocked()
			c.outMu.Unlock()
			if _, err := c.nc.Write(buf); err != nil {
				return
			}
			c.doneWriting(buf, frames)
		}
	}
}

// close tears the connection down once; the server forgets it.
func (c *conn) close() {
	c.once.Do(func() {
		close(c.done)
		c.s.connClosed(c) // as ZooKeeper: forgotten before the socket closes
		if l := c.loop.Load(); l != nil {
			l.remove(c) // before the descriptor can be reused
		}
		c.nc.Close()
		c.outMu.Lock()
		c.outClosed = true
		c.out = nil
		c.outMu.Unlock()
		c.pendMu.Lock()
		c.pendCnd.Broadcast()
		c.pendMu.Unlock()
	})
}

func (c *conn) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// addPending notes one more write in flight, waiting while too many are.
func (c *conn) addPending() bool {
	c.pendMu.Lock()
	defer c.pendMu.Unlock()
	for c.pending >= maxInflightPerConn && !c.closed() {
		c.pendCnd.Wait()
	}
	if c.closed() {
		return false
	}
	c.pending++
	return true
}

// donePending notes that a write was applied.
func (c *conn) donePending() {
	c.pendMu.Lock()
	c.pending--
	if c.pending <= 0 || c.pending == maxInflightPerConn-1 {
		c.pendCnd.Broadcast()
	}
	c.pendMu.Unlock()
}

// waitPending blocks until every write this connection proposed has been
// applied, so a read sees the session's own earlier writes.
func (c *conn) waitPending() bool {
	c.pendMu.Lock()
	defer c.pendMu.Unlock()
	for c.pending > 0 && !c.closed() {
		c.pendCnd.Wait()
	}
	return !c.closed()
}

// authIDs returns the connection's identities. The slice is shared and
// must not be modified.
func (c *conn) authIDs() []jute.ID {
	if p := c.auth.Load(); p != nil {
		return *p
	}
	return nil
}

func (c *conn) addAuth(id jute.ID) {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	cur := c.authIDs()
	for _, a := range cur {
		if a == id {
			return
		}
	}
	next := append(append(make([]jute.ID, 0, len(cur)+1), cur...), id)
	c.auth.Store(&next)
}

// readFrame reads one length-prefixed packet into buf (grown as needed).
func (c *conn) readFrame(br *bufio.Reader, buf []byte) ([]byte, error) {
	lenb, err := br.Peek(4)
	if err != nil {
		if len(lenb) > 0 && errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(lenb))
	br.Discard(4)
	if n < 0 || int(n) > c.s.opts.MaxBuffer+1024 {
		return nil, fmt.Errorf("packet length %d (max %d): %w", n, c.s.opts.MaxBuffer, ErrFrameTooLarge)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(br, buf); err != nil {
		return nil, fmt.Errorf("reading %d-byte packet: %w", n, err)
	}
	return buf, nil
}

// serve is the reader goroutine: handshake (or four-letter word), then
// requests in order until the connection ends.
func (c *conn) serve() {
	go c.writeLoop()
	handedOver := false
	defer func() {
		if !handedOver {
			c.close()
		}
	}()
	br := bufio.NewReaderSize(c.nc, 64<<10)

	// A four-letter word arrives where the first packet's length would.
	head, err := br.Peek(4)
	if err != nil {
		return
	}
	if cmd := string(head); isFourLetterWord(cmd) {
		br.Discard(4)
		c.s.fourLetterWord(c, cmd, br)
		return
	}

	buf, err := c.readFrame(br, nil)
	if err != nil {
		c.logEnd(err)
		return
	}
	c.packetReceived(4 + len(buf))
	if !c.handshake(buf) {
		return
	}
	for {
		if br.Buffered() == 0 && c.toLoop() {
			handedOver = true
			return
		}
		buf, err = c.readFrame(br, buf)
		if err != nil {
			c.logEnd(err)
			return
		}
		c.packetReceived(4 + len(buf))
		c.s.touch(c)
		if err := c.dispatch(buf); err != nil {
			c.log.Warn("closing connection", "session", sessionHex(c.sessionID), "err", err)
			return
		}
		if c.closed() {
			return
		}
	}
}

// toLoop hands the connection to an event loop, which reads it from then
// on; the reader goroutine then ends. It reports false when the
// connection stays with its reader goroutine: no loops (not Linux, or
// Options.GoroutineConns), no descriptor, or a session that needs the
// reader's deadlines (read-only, closing).
func (c *conn) toLoop() bool {
	loops := c.s.loops
	if len(loops) == 0 || c.raw == nil || c.readOnly || c.sessionClosed.Load() {
		return false
	}
	return loops[uint64(c.id)%uint64(len(loops))].add(c)
}

// inlineable reports whether an event loop may serve the request frame
// itself: a read that cannot block, from a session with no write in
// flight (a read waits for those), or a write when the write path can
// take writes without waiting (trySubmitter) and the session is below
// maxInflightPerConn. Anything else goes to a worker goroutine.
//
// The count of writes in flight only falls meanwhile (the reader alone
// raises it), so what inlineable saw still holds when the request runs.
func (c *conn) inlineable(frame []byte) bool {
	if len(frame) < 8 || c.readOnly || c.sessionClosed.Load() {
		return false
	}
	limit := 1 // a read: no write in flight
	switch op := jute.OpCode(int32(binary.BigEndian.Uint32(frame[4:8]))); op {
	case jute.OpGetData, jute.OpExists, jute.OpPing, jute.OpGetChildren, jute.OpGetChildren2,
		jute.OpGetACL, jute.OpGetAllChildrenNumber, jute.OpGetEphemerals, jute.OpMultiRead:
	default:
		if !isWrite(op) || c.s.tryWrites == nil {
			return false
		}
		limit = maxInflightPerConn
	}
	c.pendMu.Lock()
	ok := c.pending < limit
	c.pendMu.Unlock()
	return ok
}

func (c *conn) logEnd(err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || c.closed() {
		return
	}
	c.log.Warn("closing connection", "session", sessionHex(c.sessionID), "err", err)
}

func sessionHex(id int64) string { return fmt.Sprintf("0x%x", uint64(id)) }
