package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrIdleTimeout means a connection was closed for having no traffic and no
// requests in flight for Options.IdleTimeout.
var ErrIdleTimeout = errors.New("wire: connection idle")

// conn is one client connection: a reader goroutine decodes frames and
// dispatches them, a writer goroutine writes responses in request order.
//
// Ordering: the reader appends a slot per request to queue before
// dispatching it; the writer takes slots in order and waits for each to be
// done. The inflight semaphore is taken by the reader before it reads a
// frame and given back by the writer once the response is written, so at
// most MaxInFlightPerConn requests are read and unanswered, and queue (of
// that capacity) never blocks the reader.
type conn struct {
	s   *Server
	nc  net.Conn
	id  uint64
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc

	queue      chan *slot
	inflight   chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once

	lastActive atomic.Int64 // unix nanos of the last byte read or written
	pending    atomic.Int32 // requests read and not yet answered

	readDeadline  time.Time // armed on nc; the reader's alone
	writeDeadline time.Time // armed on nc; the writer's alone

	swMu                 sync.Mutex
	swName, swVersionStr string
}

// slot is one request's place in the response order.
type slot struct {
	done  chan struct{} // closed when out/err are set
	out   []byte        // encoded response frame; nil for no response
	err   error         // non-nil: close the connection here
	key   int16
	start time.Time
}

func newConn(s *Server, nc net.Conn, id uint64) *conn {
	c := &conn{
		s:          s,
		nc:         nc,
		id:         id,
		log:        s.log.With("listener", s.opts.Name, "conn", id, "remote", nc.RemoteAddr().String()),
		queue:      make(chan *slot, s.opts.MaxInFlightPerConn),
		inflight:   make(chan struct{}, s.opts.MaxInFlightPerConn),
		writerDone: make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	c.touch()
	return c
}

// close cancels the connection's context and closes the socket; safe to call
// more than once and from any goroutine.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		c.cancel()
		_ = c.nc.Close()
	})
}

func (c *conn) touch() { c.lastActive.Store(time.Now().UnixNano()) }

// readFull fills b, enforcing the idle timeout: a read deadline is armed at
// the last activity plus IdleTimeout, and extended while requests are in
// flight (a long-polling Fetch is not idleness). The deadline is armed
// lazily: only when none is armed or the armed one has passed, and when it
// fires the read re-evaluates with the latest activity, so busy connections
// do not reset a timer on every read.
func (c *conn) readFull(b []byte) error {
	idle := c.s.opts.IdleTimeout
	for n := 0; n < len(b); {
		if idle > 0 {
			now := time.Now()
			if !c.readDeadline.After(now) {
				dl := time.Unix(0, c.lastActive.Load()).Add(idle)
				if !dl.After(now) {
					if c.pending.Load() == 0 {
						return fmt.Errorf("%w for %v", ErrIdleTimeout, idle)
					}
					dl = now.Add(idle)
				}
				if err := c.nc.SetReadDeadline(dl); err != nil {
					return fmt.Errorf("wire: set read deadline: %w", err)
				}
				c.readDeadline = dl
			}
		}
		m, err := c.nc.Read(b[n:])
		n += m
		if m > 0 {
			c.touch()
		}
		if err != nil && n < len(b) {
			if idle > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
				c.readDeadline = time.Time{}
				continue // re-evaluated at the top of the loop
			}
			if errors.Is(err, io.EOF) && n > 0 {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

func (c *conn) readLoop() {
	s := c.s
	defer s.wg.Done()
	defer func() {
		close(c.queue) // the writer answers what was dispatched, then closes
		<-c.writerDone
		c.close()
		s.removeConn(c)
	}()
	for {
		select {
		case c.inflight <- struct{}{}:
		case <-c.ctx.Done():
			return
		}
		payload, err := readFrame(c.readFull, s.opts.MaxRequestSize, &s.frames)
		if err != nil {
			<-c.inflight
			c.logReadError(err)
			return
		}
		s.metrics.bytesIn.Add(int64(4 + len(payload)))
		start := time.Now()
		r, err := parseRequest(payload, s.versions)
		if err != nil {
			<-c.inflight
			s.metrics.protocolErrors.Add(1)
			c.log.Warn("closing connection: invalid request", "err", err)
			return
		}
		s.metrics.request(r.key)
		c.pending.Add(1)
		sl := &slot{done: make(chan struct{}), key: r.key, start: start}
		c.queue <- sl

		switch {
		case r.unsupportedApiVersions:
			c.log.Debug("unsupported ApiVersions version; answering UNSUPPORTED_VERSION", "version", r.version)
			sl.out = appendResponse(nil, r.corr, s.versions.unsupportedApiVersionsResponse())
			close(sl.done)
			continue
		case !s.opts.HandleSASL && (r.key == keySASLHandshake || r.key == keySASLAuthenticate):
			sl.out = appendResponse(nil, r.corr, saslDisabledResponse(r.req))
			close(sl.done)
			continue
		case r.key == keyApiVersions:
			// KIP-511: remember what the client says it is.
			if av := r.req.(*kmsg.ApiVersionsRequest); av.Version >= 3 && ValidSoftwareInfo(av) {
				c.swMu.Lock()
				c.swName, c.swVersionStr = av.ClientSoftwareName, av.ClientSoftwareVersion
				c.swMu.Unlock()
			}
		}

		info := c.info(r)
		select {
		case s.queued <- struct{}{}:
		case <-c.ctx.Done():
			return
		}
		s.wg.Add(1)
		var recycle []byte
		if r.key == keyProduce {
			recycle = payload
		}
		go c.handle(sl, info, r, recycle)
	}
}

func (c *conn) logReadError(err error) {
	switch {
	case c.ctx.Err() != nil:
		// Closing: nothing to report.
	case errors.Is(err, ErrFrameSize):
		c.s.metrics.protocolErrors.Add(1)
		c.log.Warn("closing connection: invalid frame", "err", err)
	case errors.Is(err, ErrIdleTimeout):
		c.log.Debug("closing idle connection", "err", err)
	case errors.Is(err, io.EOF):
		c.log.Debug("connection closed by client")
	default:
		c.log.Debug("connection read failed", "err", err)
	}
}

func (c *conn) info(r *request) *ConnInfo {
	c.swMu.Lock()
	name, ver := c.swName, c.swVersionStr
	c.swMu.Unlock()
	return &ConnInfo{
		ID:                    c.id,
		Listener:              c.s.opts.Name,
		LocalAddr:             c.nc.LocalAddr(),
		RemoteAddr:            c.nc.RemoteAddr(),
		Context:               c.ctx,
		ClientID:              r.clientID,
		CorrelationID:         r.corr,
		ClientSoftwareName:    name,
		ClientSoftwareVersion: ver,
	}
}

// handle runs the Handler for one request and fills its slot. recycle, when
// not nil, is the request's frame buffer, given back to the server's pool
// once the handler is done with it (see Handler on Produce). Buffers the
// handler took with ResponseBuffer go back once the response is encoded.
func (c *conn) handle(sl *slot, info *ConnInfo, r *request, recycle []byte) {
	defer c.s.wg.Done()
	defer func() { <-c.s.queued }()
	defer close(sl.done)
	arena := &responseArena{pool: &c.s.frames}
	defer arena.release()
	resp, err := c.callHandler(context.WithValue(c.ctx, arenaKey{}, arena), info, r.req)
	if recycle != nil {
		r.req = nil
		c.s.frames.put(recycle)
	}
	switch {
	case err != nil:
		sl.err = fmt.Errorf("handler for %s v%d: %w", kmsg.NameForKey(r.key), r.version, err)
	case resp == nil:
		// No response (Produce acks=0).
	case resp.Key() != r.key:
		sl.err = fmt.Errorf("%w: %s response to %s request", ErrBadResponse, kmsg.NameForKey(resp.Key()), kmsg.NameForKey(r.key))
	default:
		resp.SetVersion(r.version)
		sl.out = appendResponse(c.s.responseBuffer(resp), r.corr, resp)
	}
}

// responseBuffer returns an empty buffer for encoding resp: for a Fetch
// response, one from the pool big enough for its records (the writer gives
// it back once written), so encoding does not grow it copy by copy; nil
// (kmsg allocates) for the small responses of everything else.
func (s *Server) responseBuffer(resp kmsg.Response) []byte {
	fr, ok := resp.(*kmsg.FetchResponse)
	if !ok {
		return nil
	}
	n := 256
	for _, t := range fr.Topics {
		n += 64 + len(t.Topic)
		for _, p := range t.Partitions {
			n += 128 + len(p.RecordBatches) + 16*len(p.AbortedTransactions)
		}
	}
	return poolBuffer(&s.frames, n)
}

// poolBuffer returns an empty buffer of capacity at least n: from pool when
// it has one, else a new one the pool can take back (a power of two) when n
// is a pooled size.
func poolBuffer(pool *framePool, n int) []byte {
	if b := pool.get(n); b != nil {
		return b
	}
	if n >= minPooledFrame && n <= maxPooledFrame {
		return make([]byte, 0, 1<<bits.Len(uint(n-1)))
	}
	return make([]byte, 0, n)
}

// callHandler calls the Handler, turning a panic into an error so that one
// bad request closes its connection, not the broker.
func (c *conn) callHandler(ctx context.Context, info *ConnInfo, req kmsg.Request) (resp kmsg.Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, fmt.Errorf("wire: handler panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return c.s.opts.Handler.Handle(ctx, info, req)
}

// responseArena holds the buffers a handler took with ResponseBuffer while
// serving one request.
type responseArena struct {
	pool *framePool
	mu   sync.Mutex // a handler may fill its response from several goroutines
	bufs [][]byte
}

// arenaKey is the context key of a request's responseArena.
type arenaKey struct{}

// ResponseBuffer returns a buffer of length n for bytes a Handler puts into
// its response, such as the records of a Fetch response. When ctx is (or
// derives from) the context Handle was called with, the buffer comes from
// the server's pool and goes back to it once the response has been encoded:
// the handler must not keep it, or anything pointing into it, past its
// response. With any other ctx it is a new slice.
func ResponseBuffer(ctx context.Context, n int) []byte {
	a, _ := ctx.Value(arenaKey{}).(*responseArena)
	if a == nil || n < minPooledFrame || n > maxPooledFrame {
		return make([]byte, n)
	}
	b := poolBuffer(a.pool, n)[:n]
	a.mu.Lock()
	a.bufs = append(a.bufs, b)
	a.mu.Unlock()
	return b
}

// release gives the arena's buffers back to the pool.
func (a *responseArena) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, b := range a.bufs {
		a.pool.put(b)
	}
	a.bufs = nil
}

func (c *conn) writeLoop() {
	s := c.s
	defer s.wg.Done()
	defer close(c.writerDone)
	defer c.close()
	for sl := range c.queue {
		select {
		case <-sl.done:
		case <-c.ctx.Done():
			return
		}
		if sl.err != nil {
			if c.ctx.Err() == nil {
				c.log.Warn("closing connection", "err", sl.err)
			}
			return
		}
		if sl.out != nil {
			if err := c.write(sl.out); err != nil {
				if c.ctx.Err() == nil {
					c.log.Debug("connection write failed", "err", err)
				}
				return
			}
			s.metrics.bytesOut.Add(int64(len(sl.out)))
			s.frames.put(sl.out)
			sl.out = nil
		}
		c.touch()
		s.metrics.done(sl.key, time.Since(sl.start))
		c.pending.Add(-1)
		<-c.inflight
	}
}

// write writes one response within the idle timeout: every write gets at
// least half of IdleTimeout (the deadline is re-armed only when less is left).
func (c *conn) write(b []byte) error {
	if idle := c.s.opts.IdleTimeout; idle > 0 {
		if now := time.Now(); c.writeDeadline.Sub(now) < idle/2 {
			dl := now.Add(idle)
			if err := c.nc.SetWriteDeadline(dl); err != nil {
				return fmt.Errorf("wire: set write deadline: %w", err)
			}
			c.writeDeadline = dl
		}
	}
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("wire: write response: %w", err)
	}
	return nil
}
