package quorum

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// Frozen peer protocol constants. See the package documentation.
const (
	helloMagic   = 0x50514b5a // "ZKQP" as little-endian bytes
	helloVersion = 1
	helloSize    = 24
	kindStream   = 0 // a long-lived connection carrying every message but MsgSnap
	kindSnapshot = 1 // a connection carrying one MsgSnap
)

// TCP transport defaults.
const (
	DefaultPeerQueue        = 4096
	DefaultMaxMessageBytes  = 64 << 20
	DefaultMaxSnapshotBytes = 1 << 30
	DefaultDialTimeout      = 3 * time.Second
	DefaultWriteTimeout     = 10 * time.Second
	DefaultSnapshotTimeout  = 5 * time.Minute
	DefaultMinBackoff       = 50 * time.Millisecond
	DefaultMaxBackoff       = 2 * time.Second
	helloTimeout            = 10 * time.Second
	maxFrameBytes           = 1<<32 - 1
	readChunk               = 1 << 20
)

var (
	// ErrFrameTooLarge is the error for a peer frame above the configured
	// limit; the connection carrying it is closed.
	ErrFrameTooLarge = errors.New("quorum: peer frame too large")
	// ErrBadHello is the error for a connection whose hello frame is
	// malformed or names the wrong member; it is closed.
	ErrBadHello = errors.New("quorum: bad peer hello")
)

// TCPOptions configures NewTCP.
type TCPOptions struct {
	// ID is this member's id; required.
	ID uint64
	// Listener accepts peers; when nil, NewTCP listens on ListenAddr
	// ("host:quorumPort"; port 0 picks one).
	Listener   net.Listener
	ListenAddr string
	// QueueSize bounds each peer's send queue (DefaultPeerQueue); a message
	// sent to a full queue is dropped and the peer reported unreachable.
	QueueSize int
	// MaxMessageBytes bounds a frame on a stream connection
	// (DefaultMaxMessageBytes); MaxSnapshotBytes a frame on a snapshot
	// connection (DefaultMaxSnapshotBytes, at most 4 GiB - 1). They play the
	// part of ZooKeeper's jute.maxbuffer for peer traffic.
	MaxMessageBytes  int
	MaxSnapshotBytes int
	// DialTimeout, WriteTimeout and SnapshotTimeout bound a connection
	// attempt, the write of a batch of messages and the transfer of a whole
	// snapshot (give it SnapshotTimeout(tickTime, initLimit)).
	DialTimeout, WriteTimeout, SnapshotTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between reconnects, doubled
	// after each failure.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives connection notes; nil discards them.
	Logger *slog.Logger
}

// SnapshotTimeout is how long a snapshot may take to reach a follower:
// initLimit ticks, as ZooKeeper bounds a follower's initial sync.
func SnapshotTimeout(tickTime time.Duration, initLimit int) time.Duration {
	return time.Duration(initLimit) * tickTime
}

// TCP is the peer transport: one outbound connection per peer carrying
// length-prefixed raft messages, a separate connection per snapshot, and a
// listener accepting the other members' connections. See the package
// documentation for the wire format.
type TCP struct {
	opts TCPOptions
	ln   net.Listener
	log  *slog.Logger

	mu      sync.Mutex
	h       Handler
	peers   map[uint64]*peer
	inbound map[net.Conn]struct{}
	closed  bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

var _ Transport = (*TCP)(nil)

type peer struct {
	id   uint64
	kick chan struct{} // (capacity 1) the writer has frames to write
	stop chan struct{}

	mu   sync.Mutex
	addr string
	conn net.Conn
	raw  syscall.RawConn // conn's, for writes that must not block (nil: none)
	// out holds encoded frames not written yet, in order; queued counts
	// the messages in it. While writing is set the writer goroutine owns
	// the connection's writes and Send only appends to out; out may then
	// start in the middle of a frame whose beginning was written.
	out     []byte
	queued  int
	writing bool
	spare   []byte // the writer's previous buffer, for reuse
	werr    error  // a write by Send failed: the writer gives the connection up

	probing atomic.Bool // a peerLost probe is running
}

// NewTCP listens for peers. Start begins accepting and delivering.
func NewTCP(opts TCPOptions) (*TCP, error) {
	if opts.ID == 0 {
		return nil, errors.New("quorum: TCPOptions.ID must not be 0")
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&opts.QueueSize, DefaultPeerQueue)
	def(&opts.MaxMessageBytes, DefaultMaxMessageBytes)
	def(&opts.MaxSnapshotBytes, DefaultMaxSnapshotBytes)
	opts.MaxMessageBytes = min(opts.MaxMessageBytes, maxFrameBytes)
	opts.MaxSnapshotBytes = min(opts.MaxSnapshotBytes, maxFrameBytes)
	defd(&opts.DialTimeout, DefaultDialTimeout)
	defd(&opts.WriteTimeout, DefaultWriteTimeout)
	defd(&opts.SnapshotTimeout, DefaultSnapshotTimeout)
	defd(&opts.MinBackoff, DefaultMinBackoff)
	defd(&opts.MaxBackoff, DefaultMaxBackoff)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ln := opts.Listener
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", opts.ListenAddr)
		if err != nil {
			return nil, fmt.Errorf("quorum: listen for peers: %w", err)
		}
	}
	return &TCP{
		opts: opts, ln: ln, log: opts.Logger,
		peers: map[uint64]*peer{}, inbound: map[net.Conn]struct{}{}, stop: make(chan struct{}),
	}, nil
}

// Addr returns the address peers connect to.
func (t *TCP) Addr() net.Addr { return t.ln.Addr() }

// Start implements Transport.
func (t *TCP) Start(h Handler) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.h != nil || t.closed {
		return errors.New("quorum: TCP transport started twice or closed")
	}
	t.h = h
	for _, p := range t.peers {
		t.startPeer(p)
	}
	t.wg.Go(t.acceptLoop)
	return nil
}

// AddPeer implements Transport.
func (t *TCP) AddPeer(id uint64, addr string) {
	if id == t.opts.ID {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if p := t.peers[id]; p != nil {
		p.mu.Lock()
		if p.addr != addr {
			p.addr = addr
			if p.conn != nil {
				p.conn.Close() // reconnect to the new address
			}
		}
		p.mu.Unlock()
		return
	}
	p := &peer{id: id, addr: addr, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	t.peers[id] = p
	if t.h != nil {
		t.startPeer(p)
	}
}

func (t *TCP) startPeer(p *peer) { t.wg.Go(func() { t.runPeer(p) }) }

// RemovePeer implements Transport.
func (t *TCP) RemovePeer(id uint64) {
	t.mu.Lock()
	p := t.peers[id]
	delete(t.peers, id)
	t.mu.Unlock()
	if p != nil {
		p.close()
	}
}

func (p *peer) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	if p.conn != nil {
		p.conn.Close()
	}
}

// Send implements Transport. Each message is encoded at once into its
// peer's buffer of unwritten frames. When the peer's connection is up and
// its writer idle, the frames are written right away by one write that
// cannot block (a socket with room takes them all): no hand-off to
// another goroutine. What the socket does not take, or what comes while a
// write is in progress or the connection is down, the peer's writer
// goroutine writes.
func (t *TCP) Send(msgs []*raftpb.Message) {
	t.mu.Lock()
	if t.closed || t.h == nil {
		t.mu.Unlock()
		return
	}
	var touched [4]*peer
	dirty := touched[:0]
	for _, m := range msgs {
		p := t.peers[m.GetTo()]
		if p == nil {
			if m.GetType() == raftpb.MessageType_MsgSnap {
				t.reportAsync(func(h Handler) { h.ReportSnapshot(m.GetTo(), raft.SnapshotFailure) })
			}
			continue
		}
		if m.GetType() == raftpb.MessageType_MsgSnap {
			// Marshal now: raft's snapshot data is shared and must not be
			// held long.
			data, err := proto.Marshal(m)
			if err != nil || len(data) > t.opts.MaxSnapshotBytes {
				t.log.Error("quorum: snapshot too large or unencodable", "to", m.GetTo(), "bytes", len(data), "err", err)
				t.reportAsync(func(h Handler) { h.ReportSnapshot(m.GetTo(), raft.SnapshotFailure) })
				continue
			}
			t.wg.Go(func() { t.sendSnapshot(p, data) })
			continue
		}
		p.mu.Lock()
		if p.queued >= t.opts.QueueSize {
			p.mu.Unlock()
			t.reportAsync(func(h Handler) { h.ReportUnreachable(m.GetTo()) })
			continue
		}
		p.out = t.appendFrame(p.out, m)
		p.queued++
		p.mu.Unlock()
		if !slices.Contains(dirty, p) {
			dirty = append(dirty, p)
		}
	}
	t.mu.Unlock()
	for _, p := range dirty {
		p.flush()
	}
}

// appendFrame encodes m as a frame at the end of b: the length, then the
// message marshalled in place. A message that cannot be sent is logged and
// left out.
func (t *TCP) appendFrame(b []byte, m *raftpb.Message) []byte {
	at := len(b)
	out, err := proto.MarshalOptions{}.MarshalAppend(append(b, 0, 0, 0, 0), m)
	if n := len(out) - at - 4; err != nil || n > t.opts.MaxMessageBytes {
		t.log.Error("quorum: dropping unsendable message", "to", m.GetTo(), "type", m.GetType(), "bytes", n, "err", err)
		return b[:at]
	}
	binary.LittleEndian.PutUint32(out[at:], uint32(len(out)-at-4))
	return out
}

// flush writes the peer's unwritten frames without blocking when its
// connection is up and its writer idle, and wakes the writer for what the
// socket did not take.
func (p *peer) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.writing || p.conn == nil || len(p.out) == 0 {
		return
	}
	if p.raw != nil && p.werr == nil {
		var n int
		var werr error
		err := p.raw.Write(func(fd uintptr) bool {
			n, werr = syscall.Write(int(fd), p.out)
			return true // never wait for room: the writer does
		})
		if err == nil {
			err = werr
		}
		switch {
		case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) || errors.Is(err, os.ErrDeadlineExceeded):
			n = 0 // the writer waits for room (with its own deadline)
		case err != nil:
			p.werr = err // the writer gives the connection up
			n = 0
		}
		p.out = p.out[:copy(p.out, p.out[n:])]
		if len(p.out) == 0 {
			p.queued = 0
			return
		}
	}
	p.writing = true
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// reportAsync calls a Handler method from a tracked goroutine: Send runs on
// the node's goroutine, which the Handler may wait for.
func (t *TCP) reportAsync(fn func(Handler)) {
	h := t.h
	t.wg.Go(func() { fn(h) })
}

func (t *TCP) handler() Handler {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	return t.h
}

func appendHello(b []byte, kind byte, from, to uint64) []byte {
	b = binary.LittleEndian.AppendUint32(b, helloMagic)
	b = append(b, helloVersion, kind, 0, 0)
	b = binary.LittleEndian.AppendUint64(b, from)
	return binary.LittleEndian.AppendUint64(b, to)
}

// parseHello checks a hello frame; it returns the connection kind and the
// sender's id.
func parseHello(b []byte) (kind byte, from, to uint64, err error) {
	if len(b) != helloSize {
		return 0, 0, 0, fmt.Errorf("%w: %d bytes", ErrBadHello, len(b))
	}
	if m := binary.LittleEndian.Uint32(b); m != helloMagic {
		return 0, 0, 0, fmt.Errorf("%w: magic %#x", ErrBadHello, m)
	}
	if b[4] != helloVersion {
		return 0, 0, 0, fmt.Errorf("%w: version %d", ErrBadHello, b[4])
	}
	kind = b[5]
	if kind != kindStream && kind != kindSnapshot {
		return 0, 0, 0, fmt.Errorf("%w: connection kind %d", ErrBadHello, kind)
	}
	if b[6] != 0 || b[7] != 0 {
		return 0, 0, 0, fmt.Errorf("%w: reserved bytes set", ErrBadHello)
	}
	from, to = binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint64(b[16:])
	return kind, from, to, nil
}

func appendFrame(b []byte, data []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// readFrame reads one length-prefixed frame of at most max bytes. Memory
// grows with the bytes actually received, not with the length claimed.
func readFrame(r io.Reader, max int, buf []byte) ([]byte, error) {
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(lb[:]))
	if n > max {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, max)
	}
	buf = buf[:0]
	for len(buf) < n {
		step := min(n-len(buf), readChunk)
		buf = append(buf, make([]byte, step)...)
		if _, err := io.ReadFull(r, buf[len(buf)-step:]); err != nil {
			return nil, noEOFNet(err)
		}
	}
	return buf, nil
}

func noEOFNet(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decodeMessage parses a frame from member from.
func (t *TCP) decodeMessage(data []byte, from uint64) (*raftpb.Message, error) {
	m := &raftpb.Message{}
	if err := proto.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("quorum: malformed raft message: %w", err)
	}
	if m.GetFrom() != from || m.GetTo() != t.opts.ID {
		return nil, fmt.Errorf("quorum: message from %d to %d on the connection of %d", m.GetFrom(), m.GetTo(), from)
	}
	return m, nil
}

func (t *TCP) acceptLoop() {
	for {
		c, err := t.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				t.log.Warn("quorum: accept peer", "err", err)
				select {
				case <-t.stop:
					return
				case <-time.After(t.opts.MinBackoff):
				}
				continue
			}
			return
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			c.Close()
			return
		}
		t.inbound[c] = struct{}{}
		t.mu.Unlock()
		t.wg.Go(func() { t.serveInbound(c) })
	}
}

// serveInbound reads a peer's connection until it fails or is malformed;
// any problem closes this connection only.
func (t *TCP) serveInbound(c net.Conn) {
	defer func() {
		c.Close()
		t.mu.Lock()
		delete(t.inbound, c)
		t.mu.Unlock()
	}()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	var hb [helloSize]byte
	c.SetReadDeadline(time.Now().Add(helloTimeout))
	if _, err := io.ReadFull(c, hb[:]); err != nil {
		t.log.Debug("quorum: peer hello", "remote", c.RemoteAddr(), "err", err)
		return
	}
	kind, from, to, err := parseHello(hb[:])
	if err == nil && to != t.opts.ID {
		err = fmt.Errorf("%w: addressed to member %d, this is %d", ErrBadHello, to, t.opts.ID)
	}
	if err == nil {
		t.mu.Lock()
		_, known := t.peers[from]
		t.mu.Unlock()
		if !known {
			err = fmt.Errorf("%w: member %d is not a known peer", ErrBadHello, from)
		}
	}
	if err != nil {
		t.log.Warn("quorum: refusing peer connection", "remote", c.RemoteAddr(), "err", err)
		return
	}
	c.SetReadDeadline(time.Time{})
	limit := t.opts.MaxMessageBytes
	if kind == kindSnapshot {
		limit = t.opts.MaxSnapshotBytes
		c.SetReadDeadline(time.Now().Add(t.opts.SnapshotTimeout))
	}
	br := bufio.NewReaderSize(c, 64<<10)
	var buf []byte
	for {
		data, err := readFrame(br, limit, buf)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				t.log.Warn("quorum: closing peer connection", "peer", from, "err", err)
			}
			if kind == kindStream {
				t.peerLost(from) // fast failover: tcp_peerdown.go
			}
			return
		}
		m, err := t.decodeMessage(data, from)
		if err != nil {
			t.log.Warn("quorum: closing peer connection", "peer", from, "err", err)
			return
		}
		if kind == kindStream && cap(data) <= 1<<20 {
			buf = data // protobuf copies bytes fields: the buffer is reusable
		}
		h := t.handler()
		if h == nil {
			return
		}
		h.Process(m)
	}
}

// runPeer owns the outbound stream connection to one peer: it dials with
// backoff and writes queued messages in batches.
func (t *TCP) runPeer(p *peer) {
	backoff := t.opts.MinBackoff
	for {
		select {
		case <-p.stop:
			return
		case <-t.stop:
			return
		default:
		}
		c, err := t.dial(p, kindStream)
		if err != nil {
			t.log.Debug("quorum: cannot reach peer", "peer", p.id, "err", err)
			t.dropQueued(p)
			if !t.pause(p, backoff) {
				return
			}
			backoff = min(2*backoff, t.opts.MaxBackoff)
			continue
		}
		p.mu.Lock()
		select {
		case <-p.stop:
			p.mu.Unlock()
			c.Close()
			return
		default:
		}
		p.conn, p.raw = c, nil
		if tc, ok := c.(*net.TCPConn); ok {
			if raw, err := tc.SyscallConn(); err == nil {
				p.raw = raw
			}
		}
		// Frames queued while the connection was down are whole: the
		// writer sends them first.
		p.writing = len(p.out) > 0
		p.mu.Unlock()
		connected := time.Now()
		err = t.writeLoop(p, c, t.watchClosed(c)) // watchClosed: tcp_peerdown.go
		p.mu.Lock()
		// What is left may start in the middle of a frame: it cannot go
		// on another connection (raft resends what matters).
		p.conn, p.raw, p.werr, p.writing = nil, nil, nil, false
		p.out, p.queued = p.out[:0], 0
		p.mu.Unlock()
		c.Close()
		if err != nil {
			t.log.Debug("quorum: lost peer connection", "peer", p.id, "err", err)
			if h := t.handler(); h != nil {
				h.ReportUnreachable(p.id)
			}
			t.peerLost(p.id) // fast failover: tcp_peerdown.go
		}
		if !errors.Is(err, errPeerClosed) || time.Since(connected) >= t.opts.MaxBackoff {
			backoff = t.opts.MinBackoff
			continue
		}
		// The peer closed the connection soon after accepting it (it
		// refuses this member, or keeps restarting): back off.
		if !t.pause(p, backoff) {
			return
		}
		backoff = min(2*backoff, t.opts.MaxBackoff)
	}
}

// pause waits d before runPeer dials p again; it reports false when p or
// the transport stopped meanwhile.
func (t *TCP) pause(p *peer, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.stop:
		return false
	case <-t.stop:
		return false
	case <-timer.C:
		return true
	}
}

// dropQueued empties a peer's queue while it cannot be reached (raft
// resends what matters) and reports it unreachable.
func (t *TCP) dropQueued(p *peer) {
	p.mu.Lock()
	p.out, p.queued = p.out[:0], 0
	p.mu.Unlock()
	if h := t.handler(); h != nil {
		h.ReportUnreachable(p.id)
	}
}

func (t *TCP) dial(p *peer, kind byte) (net.Conn, error) {
	p.mu.Lock()
	addr := p.addr
	p.mu.Unlock()
	d := net.Dialer{Timeout: t.opts.DialTimeout}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	c.SetWriteDeadline(time.Now().Add(t.opts.WriteTimeout))
	if _, err := c.Write(appendHello(nil, kind, t.opts.ID, p.id)); err != nil {
		c.Close()
		return nil, err
	}
	c.SetWriteDeadline(time.Time{})
	return c, nil
}

// writeLoop writes the peer's unwritten frames whenever Send leaves them
// to it (flush), until an error, a failed write of Send's, a stop, or
// closed (the peer closed the connection: errPeerClosed).
func (t *TCP) writeLoop(p *peer, c net.Conn, closed <-chan struct{}) error {
	for {
		p.mu.Lock()
		if err := p.werr; err != nil {
			p.mu.Unlock()
			return err
		}
		if len(p.out) == 0 {
			p.writing, p.queued = false, 0
			p.mu.Unlock()
			select {
			case <-p.kick:
			case <-p.stop:
				return nil
			case <-t.stop:
				return nil
			case <-closed:
				return errPeerClosed
			}
			continue
		}
		buf := p.out
		p.out, p.spare, p.queued = p.spare[:0], nil, 0
		p.writing = true
		p.mu.Unlock()
		c.SetWriteDeadline(time.Now().Add(t.opts.WriteTimeout))
		if _, err := c.Write(buf); err != nil {
			return err
		}
		// No deadline between writes: Send's writes (flush) would fail
		// with it once it passed.
		c.SetWriteDeadline(time.Time{})
		if cap(buf) <= 4<<20 {
			p.mu.Lock()
			p.spare = buf[:0]
			p.mu.Unlock()
		}
	}
}

// sendSnapshot writes one MsgSnap on its own connection and reports how it
// went.
func (t *TCP) sendSnapshot(p *peer, data []byte) {
	status := raft.SnapshotFailure
	defer func() {
		if h := t.handler(); h != nil {
			h.ReportSnapshot(p.id, status)
		}
	}()
	c, err := t.dial(p, kindSnapshot)
	if err != nil {
		t.log.Warn("quorum: cannot send snapshot", "peer", p.id, "err", err)
		return
	}
	defer c.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() { // closes the connection on shutdown; ends with sendSnapshot
		select {
		case <-t.stop:
			c.Close()
		case <-p.stop:
			c.Close()
		case <-stop:
		}
	}()
	c.SetWriteDeadline(time.Now().Add(t.opts.SnapshotTimeout))
	if _, err := c.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(data)))); err != nil {
		t.log.Warn("quorum: sending snapshot failed", "peer", p.id, "err", err)
		return
	}
	if _, err := c.Write(data); err != nil {
		t.log.Warn("quorum: sending snapshot failed", "peer", p.id, "err", err)
		return
	}
	status = raft.SnapshotFinish
}

// Close implements Transport.
func (t *TCP) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	close(t.stop)
	err := t.ln.Close()
	for _, p := range t.peers {
		p.close()
	}
	for c := range t.inbound {
		c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
