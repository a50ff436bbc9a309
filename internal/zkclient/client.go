// Package zkclient is a compact ZooKeeper client that speaks the jute
// protocol directly. It backs `zkafka zk cli` and the tests that need raw
// access to a server (operations go-zookeeper lacks: addWatch, whoAmI,
// getEphemerals, getAllChildrenNumber, multiRead, removeWatches by type).
//
// A Client holds one session. New parses the connect string
// ("host1:2181,host2:2181/chroot") and starts connecting in the background;
// calls made before the session is established wait for it. The session
// moves between servers as Java's client does:
//
//	    New
//	     |
//	     v       handshake ok
//	CONNECTING ----------------> CONNECTED (or CONNECTEDREADONLY)
//	     ^                           |
//	     +----- connection lost -----+
//	            (next server)
//
//	any state --- Close, or session expired ---> CLOSED
//	CONNECTED --- identity rejected -----------> AUTH_FAILED
//
// On every (re)connection the client sends the session id and password it
// has, resends the identities given to AddAuth and re-registers its watches
// with setWatches/setWatches2. A failed connection attempt or a lost
// connection fails the calls in flight with jute.ErrConnectionLoss, as
// Java's ClientCnxn does; a server answering the handshake with a zero
// timeout ends the session (jute.ErrSessionExpired, an Expired event).
//
// Goroutines: the client owns one connection loop, and per connection one
// reader and one writer; a dispatcher delivers events to Options.Watcher one
// at a time. Close stops all of them. Requests are pipelined: the writer
// sends whatever is queued, the reader matches replies to requests by xid.
// The writer pings when it has sent nothing for a third of the negotiated
// session timeout; the reader gives up on a server silent for two thirds.
package zkclient

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// DefaultMaxFrameSize is the largest reply the client accepts unless
// Options.MaxFrameSize says otherwise.
const DefaultMaxFrameSize = 4 << 20

// DefaultSessionTimeout is the session timeout asked for unless
// Options.SessionTimeout says otherwise (zkCli's default).
const DefaultSessionTimeout = 30 * time.Second

// Options configure a Client. Only Servers is required.
type Options struct {
	// Servers is the connect string: comma-separated host:port pairs with
	// an optional chroot suffix, e.g. "127.0.0.1:2181,127.0.0.1:2182/app".
	Servers string
	// SessionTimeout is the timeout asked for; the server may negotiate it.
	SessionTimeout time.Duration
	// ReadOnly allows the session on a read-only server.
	ReadOnly bool
	// Watcher receives every event — session state changes and watch
	// notifications — one at a time, on a goroutine of the client. It must
	// not call Close.
	Watcher func(Event)
	// OrderedEvents makes every call return only after Watcher has returned
	// for every event received before the call's reply, so a caller sees a
	// watch event before the data that follows it. Watcher must then not
	// call the Client at all.
	OrderedEvents bool
	// AllNotifications delivers every notification the server sends, even
	// those matching no watch the client holds (Java drops those).
	AllNotifications bool
	// Logger receives connection life-cycle logs; nil discards them.
	Logger *slog.Logger
	// Dial opens connections; nil uses a net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// MaxFrameSize bounds a reply's length; 0 means DefaultMaxFrameSize.
	MaxFrameSize int
	// Shuffle visits the servers in random order, as Java's
	// StaticHostProvider does; by default they are tried in order.
	Shuffle bool
	// SessionID and SessionPassword resume an existing session instead of
	// creating one (both from another Client's SessionID and
	// SessionPassword).
	SessionID       int64
	SessionPassword []byte
}

// authInfo is an identity added with AddAuth, resent on every connection.
type authInfo struct {
	scheme string
	auth   []byte
}

// call is one request from submission to reply.
type call struct {
	xid  int32
	op   jute.OpCode
	path string // client path, for errors
	req  jute.Record
	resp jute.Record // nil when the reply has no body

	watch     watchKind // watch left on success
	watchPath string

	hdr   jute.ReplyHeader
	err   error
	evSeq uint64 // events queued before the reply
	done  chan struct{}
	keep  bool // still send it if the caller stops waiting
}

func (c *call) fail(err error) {
	c.err = err
	close(c.done)
}

// Client is a ZooKeeper session. Its methods are safe for concurrent use.
//
// Lock order: Client.mu, then eventQueue.mu. No lock is held while the
// Watcher runs or while a connection is read or written.
type Client struct {
	opts     Options
	log      *slog.Logger
	servers  []string
	chroot   string
	maxFrame int
	timeout  time.Duration // requested session timeout

	ctx     context.Context // cancelled by Close: stops the connection loop
	cancel  context.CancelFunc
	runDone chan struct{}
	wake    chan struct{} // capacity 1: the queue has work

	events *eventQueue

	closeOnce sync.Once

	mu           sync.Mutex
	state        State
	stateCh      chan struct{} // closed and replaced on every state change
	closing      bool          // Close has begun; no new calls
	expired      bool          // the server ended the session
	eventsOff    bool          // no more events after Expired/AuthFailed/Closed
	sessionState KeeperState   // of the last session event delivered
	sessionID    int64
	passwd       []byte
	negotiated   time.Duration
	lastZxid     int64
	seenRW       bool
	xid          int32
	server       string
	queue        []*call         // not yet written
	pending      map[int32]*call // written, awaiting a reply
	authSent     []*call         // auth packets written, awaiting a reply
	auths        []authInfo      // resent on every connection
	watches      watchSet        // the watches the session holds
}

// New parses opts, starts connecting in the background and returns at once.
// Use WaitConnected (or Connect) to wait for the session.
func New(opts Options) (*Client, error) {
	c, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	go c.events.run()
	go c.run()
	return c, nil
}

// newClient builds a client without starting its goroutines.
func newClient(opts Options) (*Client, error) {
	cs, err := ParseConnectString(opts.Servers)
	if err != nil {
		return nil, err
	}
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = DefaultSessionTimeout
	}
	if opts.MaxFrameSize <= 0 {
		opts.MaxFrameSize = DefaultMaxFrameSize
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Dial == nil {
		var d net.Dialer
		opts.Dial = d.DialContext
	}
	servers := cs.Servers
	if opts.Shuffle {
		servers = append([]string(nil), servers...)
		rand.Shuffle(len(servers), func(i, j int) { servers[i], servers[j] = servers[j], servers[i] })
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		opts:         opts,
		log:          log.With("client", "zk"),
		servers:      servers,
		chroot:       cs.Chroot,
		maxFrame:     opts.MaxFrameSize,
		timeout:      opts.SessionTimeout,
		ctx:          ctx,
		cancel:       cancel,
		runDone:      make(chan struct{}),
		wake:         make(chan struct{}, 1),
		events:       newEventQueue(opts.Watcher),
		state:        StateConnecting,
		stateCh:      make(chan struct{}),
		sessionState: KeeperDisconnected,
		passwd:       make([]byte, 16),
		pending:      map[int32]*call{},
		watches:      newWatchSet(),
	}
	if opts.SessionID != 0 {
		c.sessionID = opts.SessionID
		c.passwd = append([]byte(nil), opts.SessionPassword...)
		c.seenRW = true
	}
	return c, nil
}

// Connect is New followed by WaitConnected; on failure the client is
// closed.
func Connect(ctx context.Context, opts Options) (*Client, error) {
	c, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := c.WaitConnected(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// WaitConnected waits until the client has a session on a server, the
// session ends, or ctx is done.
func (c *Client) WaitConnected(ctx context.Context) error {
	for {
		c.mu.Lock()
		st, ch := c.state, c.stateCh
		err := c.deadErrLocked(jute.OpCreateSession, "")
		c.mu.Unlock()
		if st.Connected() {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("zkclient: waiting for a session: %w", ctx.Err())
		}
	}
}

// State returns the connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// SessionID returns the session's id (0 before the first handshake).
func (c *Client) SessionID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

// SessionPassword returns a copy of the session's password.
func (c *Client) SessionPassword() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.passwd...)
}

// SessionTimeout returns the timeout the server negotiated (0 before the
// first handshake).
func (c *Client) SessionTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.negotiated
}

// Server returns the address of the server the client is connected or
// connecting to.
func (c *Client) Server() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.server
}

// Chroot returns the chroot of the connect string, or "".
func (c *Client) Chroot() string { return c.chroot }

// LastZxid returns the highest zxid seen in a reply.
func (c *Client) LastZxid() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastZxid
}

// setStateLocked changes the state and wakes WaitConnected.
func (c *Client) setStateLocked(s State) {
	if c.state == s {
		return
	}
	c.state = s
	close(c.stateCh)
	c.stateCh = make(chan struct{})
}

// pushEventLocked queues an event for the Watcher. Like Java's
// EventThread, it drops a session event (type None) that repeats the last
// session state, which starts as Disconnected: failed attempts to connect
// are announced once, or not at all before the first session.
func (c *Client) pushEventLocked(ev Event) {
	if c.eventsOff {
		return
	}
	if ev.Type == EventNone {
		if ev.State == c.sessionState {
			return
		}
		c.sessionState = ev.State
	}
	c.events.push(ev)
}

// deadErrLocked returns the error calls get once the client can serve no
// more, or nil while it can.
func (c *Client) deadErrLocked(op jute.OpCode, path string) error {
	switch {
	case c.state == StateAuthFailed:
		return &Error{Op: op, Path: path, Code: jute.ErrAuthFailed}
	case c.expired:
		return &Error{Op: op, Path: path, Code: jute.ErrSessionExpired}
	case c.closing || c.state == StateClosed:
		return fmt.Errorf("%w: %w", ErrClosed, &Error{Op: op, Path: path, Code: jute.ErrSessionExpired})
	}
	return nil
}

// failAllLocked fails every call in flight or queued: the pending ones
// first, then the queued ones, as Java's cleanup does.
//
// The failed calls wait (with OrderedEvents) for the events queued so far.
func (c *Client) failAllLocked(mkErr func(*call) error) {
	seq := c.events.seq()
	fail := func(cl *call) {
		cl.evSeq = seq
		cl.fail(mkErr(cl))
	}
	for _, cl := range sortedCalls(c.pending) {
		fail(cl)
	}
	c.pending = map[int32]*call{}
	for _, cl := range c.authSent {
		fail(cl)
	}
	c.authSent = nil
	for _, cl := range c.queue {
		fail(cl)
	}
	c.queue = nil
}

func codeErr(code jute.Err) func(*call) error {
	return func(cl *call) error { return &Error{Op: cl.op, Path: cl.path, Code: code} }
}

// submit queues a call and waits for its reply.
func (c *Client) submit(ctx context.Context, cl *call) error {
	cl.done = make(chan struct{})
	c.mu.Lock()
	if err := c.deadErrLocked(cl.op, cl.path); err != nil {
		c.mu.Unlock()
		return err
	}
	c.enqueueLocked(cl)
	c.mu.Unlock()
	select {
	case <-cl.done:
	case <-ctx.Done():
		c.mu.Lock()
		for i, q := range c.queue {
			if cl.keep {
				break
			}
			if q == cl {
				c.queue = append(c.queue[:i], c.queue[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		return fmt.Errorf("zkclient: %v %s: %w", cl.op, cl.path, ctx.Err())
	}
	if c.opts.OrderedEvents {
		c.events.waitDelivered(ctx, cl.evSeq)
	}
	if cl.err != nil {
		return cl.err
	}
	if cl.hdr.Err != jute.ErrOK {
		return &Error{Op: cl.op, Path: cl.path, Code: cl.hdr.Err}
	}
	return nil
}

// enqueueLocked gives a call its xid (auth packets keep theirs) and wakes
// the writer.
func (c *Client) enqueueLocked(cl *call) {
	if cl.xid == 0 {
		c.xid++
		if c.xid <= 0 {
			c.xid = 1
		}
		cl.xid = c.xid
	}
	c.queue = append(c.queue, cl)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Close ends the session (closeSession) and stops every goroutine of the
// client. Calls in flight fail. Close is idempotent and returns nil.
func (c *Client) Close() error {
	c.closeOnce.Do(func() { c.close(true) })
	return nil
}

// Abandon stops the client like Close but without ending the session: the
// connection is dropped and the server expires the session after its
// timeout, as it does when a client process exits (zkCli.sh ends that way
// unless told to quit). It is idempotent, and a no-op after Close.
func (c *Client) Abandon() error {
	c.closeOnce.Do(func() { c.close(false) })
	return nil
}

func (c *Client) close(endSession bool) {
	c.mu.Lock()
	c.closing = true
	var bye *call
	if endSession && c.state.Connected() && !c.expired {
		bye = &call{op: jute.OpCloseSession, done: make(chan struct{})}
		c.enqueueLocked(bye)
	}
	wait := c.negotiated * 2 / 3
	c.mu.Unlock()
	if bye != nil {
		if wait <= 0 || wait > 5*time.Second {
			wait = 5 * time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-bye.done:
		case <-t.C:
			c.log.Warn("no answer to closeSession", "after", wait)
		}
		t.Stop()
	}
	c.cancel()
	<-c.runDone
	c.mu.Lock()
	alive := c.state.Alive() && !c.expired
	c.setStateLocked(StateClosed)
	c.failAllLocked(func(cl *call) error {
		return fmt.Errorf("%w: %w", ErrClosed, &Error{Op: cl.op, Path: cl.path, Code: jute.ErrSessionExpired})
	})
	if alive {
		c.pushEventLocked(Event{Type: EventNone, State: KeeperClosed, Zxid: NoZxid})
	}
	c.eventsOff = true
	c.mu.Unlock()
	c.events.stop()
	c.log.Debug("closed", "session", fmt.Sprintf("0x%x", uint64(c.SessionID())))
}

// errSessionEnded stops the connection loop for good.
var errSessionEnded = errors.New("zkclient: session ended")

// run is the connection loop: it connects to one server after another
// until the session ends or Close is called.
func (c *Client) run() {
	defer close(c.runDone)
	next := 0
	failures := 0
	for c.ctx.Err() == nil {
		addr := c.servers[next%len(c.servers)]
		next++
		err := c.connectAndServe(addr)
		if errors.Is(err, errSessionEnded) || c.ctx.Err() != nil {
			return
		}
		c.mu.Lock()
		closing := c.closing
		c.mu.Unlock()
		if closing {
			return
		}
		c.log.Info("connection ended", "server", addr, "err", err)
		failures++
		if failures%len(c.servers) == 0 {
			// Every server failed in turn: wait a little, as Java's
			// StaticHostProvider does.
			t := time.NewTimer(time.Duration(200+rand.IntN(800)) * time.Millisecond)
			select {
			case <-t.C:
			case <-c.ctx.Done():
				t.Stop()
				return
			}
		}
	}
}

// connectAndServe makes one connection, serves it until it fails and
// cleans up after it.
func (c *Client) connectAndServe(addr string) error {
	c.mu.Lock()
	c.server = addr
	timeout := c.negotiated
	if timeout <= 0 {
		timeout = c.timeout
	}
	c.mu.Unlock()
	connectTimeout := timeout / time.Duration(len(c.servers))
	if connectTimeout < 100*time.Millisecond {
		connectTimeout = 100 * time.Millisecond
	}
	conn, err := c.handshake(addr, connectTimeout)
	if err != nil {
		c.mu.Lock()
		if !errors.Is(err, errSessionEnded) {
			// Java fails what is queued when an attempt fails, then tells
			// the Watcher.
			c.failAllLocked(codeErr(jute.ErrConnectionLoss))
			if !c.closing {
				c.pushEventLocked(Event{Type: EventNone, State: KeeperDisconnected, Zxid: NoZxid})
			}
		}
		c.mu.Unlock()
		return err
	}
	err = c.serve(conn)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateAuthFailed {
		return errSessionEnded
	}
	c.failAllLocked(codeErr(jute.ErrConnectionLoss))
	if !c.closing {
		c.setStateLocked(StateConnecting)
		c.pushEventLocked(Event{Type: EventNone, State: KeeperDisconnected, Zxid: NoZxid})
	}
	return err
}

// handshake dials addr, exchanges ConnectRequest and ConnectResponse and,
// on success, records the session and sends the identities and watches to
// restore.
func (c *Client) handshake(addr string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(c.ctx, timeout)
	defer cancel()
	conn, err := c.opts.Dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("zkclient: dial %s: %w", addr, err)
	}
	// Close the connection if Close is called mid-handshake.
	stop := context.AfterFunc(c.ctx, func() { conn.Close() })
	defer stop()
	conn.SetDeadline(time.Now().Add(timeout))

	c.mu.Lock()
	req := jute.ConnectRequest{
		LastZxidSeen: c.lastZxid,
		TimeOut:      int32(c.timeout / time.Millisecond),
		Passwd:       append([]byte(nil), c.passwd...),
		ReadOnly:     c.opts.ReadOnly,
	}
	if c.seenRW {
		req.SessionID = c.sessionID
	}
	c.mu.Unlock()
	var e jute.Encoder
	at := e.BeginFrame()
	req.Encode(&e)
	e.EndFrame(at)
	if _, err := conn.Write(e.Bytes()); err != nil {
		conn.Close()
		return nil, fmt.Errorf("zkclient: send ConnectRequest to %s: %w", addr, err)
	}
	frame, err := readFrame(conn, nil, c.maxFrame)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("zkclient: read ConnectResponse from %s: %w", addr, err)
	}
	var resp jute.ConnectResponse
	if err := decodeConnectResponse(frame, &resp); err != nil {
		conn.Close()
		return nil, fmt.Errorf("zkclient: ConnectResponse from %s: %w", addr, err)
	}
	conn.SetDeadline(time.Time{})

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		conn.Close()
		return nil, fmt.Errorf("zkclient: closed during handshake: %w", ErrClosed)
	}
	if resp.TimeOut <= 0 {
		conn.Close()
		c.log.Warn("session expired", "session", fmt.Sprintf("0x%x", uint64(c.sessionID)), "server", addr)
		c.expired = true
		c.setStateLocked(StateClosed)
		c.watches.clear()
		c.failAllLocked(codeErr(jute.ErrSessionExpired))
		c.pushEventLocked(Event{Type: EventNone, State: KeeperExpired, Zxid: NoZxid})
		c.eventsOff = true
		return nil, errSessionEnded
	}
	c.sessionID = resp.SessionID
	c.passwd = append([]byte(nil), resp.Passwd...)
	c.negotiated = time.Duration(resp.TimeOut) * time.Millisecond
	c.seenRW = c.seenRW || !resp.ReadOnly
	state, kstate := StateConnected, KeeperSyncConnected
	if resp.ReadOnly {
		state, kstate = StateConnectedReadOnly, KeeperConnectedReadOnly
	}
	c.log.Debug("session established", "server", addr,
		"session", fmt.Sprintf("0x%x", uint64(resp.SessionID)), "timeout", c.negotiated, "readonly", resp.ReadOnly)

	// Identities first, then the watches, then whatever was queued.
	e.Reset()
	for _, a := range c.auths {
		writeRequest(&e, jute.XidAuth, jute.OpAuth, &jute.AuthPacket{Scheme: a.scheme, Auth: a.auth})
		c.authSent = append(c.authSent, &call{xid: jute.XidAuth, op: jute.OpAuth, done: make(chan struct{})})
	}
	for _, sw := range c.watches.resetRequests(c.lastZxid, c.chroot) {
		op := jute.OpSetWatches
		if sw.Two {
			op = jute.OpSetWatches2
		}
		writeRequest(&e, jute.XidSetWatches, op, sw)
	}
	if e.Len() > 0 {
		conn.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := conn.Write(e.Bytes()); err != nil {
			conn.Close()
			c.authSent = nil
			return nil, fmt.Errorf("zkclient: restore session on %s: %w", addr, err)
		}
		conn.SetWriteDeadline(time.Time{})
	}
	c.setStateLocked(state)
	c.pushEventLocked(Event{Type: EventNone, State: kstate, Zxid: NoZxid})
	return conn, nil
}

// serve runs the reader and writer of a connection until either fails or
// Close is called, and waits for both.
func (c *Client) serve(conn net.Conn) error {
	done := make(chan struct{})
	var once sync.Once
	var connErr error
	end := func(err error) {
		once.Do(func() {
			connErr = err
			close(done)
			conn.Close()
		})
	}
	c.mu.Lock()
	timeout := c.negotiated
	c.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		end(c.readLoop(conn, timeout*2/3))
	}()
	go func() {
		defer wg.Done()
		end(c.writeLoop(conn, timeout/3, done))
	}()
	select {
	case <-done:
	case <-c.ctx.Done():
		end(ErrClosed)
	}
	wg.Wait()
	return connErr
}

// sortedCalls returns the calls of m by xid, oldest first.
func sortedCalls(m map[int32]*call) []*call {
	out := make([]*call, 0, len(m))
	for _, cl := range m {
		out = append(out, cl)
	}
	slices.SortFunc(out, func(a, b *call) int { return cmp.Compare(a.xid, b.xid) })
	return out
}
