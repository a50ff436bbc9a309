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

// conn is one client connection. It owns two goroutines: the reader
// (serve), which decodes requests in order and dispatches them, and the
// writer (writeLoop), which writes queued frames in the order they were
// queued. Replies and watch events are queued with enqueue, which never
// blocks, so the commit loop can queue while holding the database lock:
// that is what orders a watch event before any reply that reflects the
// change.
type conn struct {
	s        *Server
	nc       net.Conn
	id       int64
	remoteIP string
	started  time.Time
	log      *slog.Logger

	// Set by the reader only.
	sessionID int64
	timeout   time.Duration
	auth      []jute.ID // guarded by authMu for readers outside the reader goroutine
	authMu    sync.Mutex
	readOnly  bool
	// sessionClosed is set once closeSession was proposed.
	sessionClosed atomic.Bool

	outMu      sync.Mutex
	out        [][]byte
	outClosed  bool // no more frames are accepted
	closeAfter bool // close the socket once the queue is flushed
	wake       chan struct{}

	// pending counts this connection's writes that are proposed but not
	// yet applied; reads wait for it to reach zero (session FIFO order).
	pendMu  sync.Mutex
	pendCnd *sync.Cond
	pending int

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
	lastOp       atomic.Value // string
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

func (st *connStats) record(op string, xid int32, zxid int64, start time.Time) {
	now := time.Now()
	ms := now.Sub(start).Milliseconds()
	st.lastOp.Store(op)
	st.lastCxid.Store(int64(xid))
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
	c.stats.lastOp.Store("NA")
	return c
}

// enqueue queues one frame for the writer. It never blocks.
func (c *conn) enqueue(frame []byte) {
	c.outMu.Lock()
	if c.outClosed {
		c.outMu.Unlock()
		return
	}
	c.out = append(c.out, frame)
	c.outMu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// reply queues a reply header and body.
func (c *conn) reply(h jute.ReplyHeader, body jute.Record) {
	var e jute.Encoder
	at := e.BeginFrame()
	h.Encode(&e)
	if body != nil && h.Err == jute.ErrOK {
		body.Encode(&e)
	}
	e.EndFrame(at)
	c.enqueue(e.Bytes())
}

// notify queues a watch notification.
func (c *conn) notify(typ int32, path string, zxid int64) {
	var e jute.Encoder
	at := e.BeginFrame()
	h := jute.ReplyHeader{Xid: jute.XidNotification, Zxid: zxid, Err: jute.ErrOK}
	h.Encode(&e)
	ev := jute.WatcherEvent{Type: typ, State: jute.StateSyncConnected, Path: path}
	ev.Encode(&e)
	e.EndFrame(at)
	c.enqueue(e.Bytes())
}

// finish queues nothing more and closes the socket once what is queued has
// been written.
func (c *conn) finish() {
	c.outMu.Lock()
	c.outClosed = true
	c.closeAfter = true
	c.outMu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// writeLoop writes queued frames until the connection is closed.
func (c *conn) writeLoop() {
	defer c.close()
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	var batch [][]byte
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		for {
			c.outMu.Lock()
			batch, c.out = c.out, batch[:0]
			closeAfter := c.closeAfter
			c.outMu.Unlock()
			if len(batch) == 0 {
				if closeAfter {
					return
				}
				break
			}
			for i, f := range batch {
				if _, err := bw.Write(f); err != nil {
					return
				}
				batch[i] = nil
			}
			c.stats.packetsSent.Add(int64(len(batch)))
			if err := bw.Flush(); err != nil {
				return
			}
		}
	}
}

// close tears the connection down once; the server forgets it.
func (c *conn) close() {
	c.once.Do(func() {
		close(c.done)
		c.nc.Close()
		c.outMu.Lock()
		c.outClosed = true
		c.out = nil
		c.outMu.Unlock()
		c.pendMu.Lock()
		c.pendCnd.Broadcast()
		c.pendMu.Unlock()
		c.s.connClosed(c)
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

// authIDs returns a copy of the connection's identities.
func (c *conn) authIDs() []jute.ID {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	return append([]jute.ID(nil), c.auth...)
}

func (c *conn) addAuth(id jute.ID) {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	for _, a := range c.auth {
		if a == id {
			return
		}
	}
	c.auth = append(c.auth, id)
}

// readFrame reads one length-prefixed packet into buf (grown as needed).
func (c *conn) readFrame(br *bufio.Reader, buf []byte) ([]byte, error) {
	var lenb [4]byte
	if _, err := io.ReadFull(br, lenb[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(lenb[:]))
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
	defer c.close()
	br := bufio.NewReaderSize(c.nc, 64<<10)

	// A four-letter word arrives where the first packet's length would.
	head, err := br.Peek(4)
	if err != nil {
		return
	}
	if cmd := string(head); isFourLetterWord(cmd) {
		br.Discard(4)
		c.s.fourLetterWord(c, cmd)
		return
	}

	buf, err := c.readFrame(br, nil)
	if err != nil {
		c.logEnd(err)
		return
	}
	if !c.handshake(buf) {
		return
	}
	for {
		buf, err = c.readFrame(br, buf)
		if err != nil {
			c.logEnd(err)
			return
		}
		c.stats.packetsRecv.Add(1)
		c.s.stats.packetsReceived.Add(1)
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

func (c *conn) logEnd(err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || c.closed() {
		return
	}
	c.log.Warn("closing connection", "session", sessionHex(c.sessionID), "err", err)
}

func sessionHex(id int64) string { return fmt.Sprintf("0x%x", uint64(id)) }
