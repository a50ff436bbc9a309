package wire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Handler serves decoded requests. Handle may block (Produce with acks=-1,
// Fetch long polls) and, with Options.MaxInFlightPerConn > 1, is called
// concurrently for requests of one connection; responses are written in
// request order regardless.
//
// The byte fields of a request (a Produce request's record batches above
// all) point into the buffer the frame was read into. For Produce, that
// buffer is reused for a later request once Handle returns: a handler that
// keeps any byte slice of a ProduceRequest past Handle must copy it (the
// handler may modify the bytes while it runs, as the broker rewrites batch
// offsets in place). Other requests' buffers are never reused.
//
// Handle returns the response to req (its version is set to the request's
// before encoding), or nil for no response at all (Produce with acks=0). A
// non-nil error closes the connection after the responses before this one
// are written. ctx is cancelled when the connection or the server closes.
type Handler interface {
	Handle(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
	return f(ctx, c, req)
}

// ConnInfo describes the connection and header of the request being handled.
// Each Handle call gets its own copy; the handler may keep it.
type ConnInfo struct {
	// ID numbers the server's connections from 1.
	ID uint64
	// Listener is Options.Name, the Kafka listener name.
	Listener string
	// LocalAddr and RemoteAddr are the connection's endpoints.
	LocalAddr, RemoteAddr net.Addr
	// Context is cancelled when the connection closes.
	Context context.Context
	// ClientID is the request header's client id ("" when null).
	ClientID string
	// CorrelationID is the request header's correlation id.
	CorrelationID int32
	// ClientSoftwareName and ClientSoftwareVersion are what the latest
	// valid ApiVersions v3+ request on this connection announced (KIP-511).
	ClientSoftwareName, ClientSoftwareVersion string
}

// Defaults of Options fields left zero.
const (
	// DefaultMaxInFlightPerConn matches Kafka, which handles one request
	// per connection at a time.
	DefaultMaxInFlightPerConn = 1
	// DefaultMaxQueuedRequests is Kafka's queued.max.requests default.
	DefaultMaxQueuedRequests = 500
	// DefaultIdleTimeout is Kafka's connections.max.idle.ms default.
	DefaultIdleTimeout = 10 * time.Minute
)

// Options configure a Server.
type Options struct {
	// Addr is the address to listen on when Listener is nil.
	Addr string
	// Listener, when set, is used instead of listening on Addr; the server
	// closes it on Close.
	Listener net.Listener
	// Name is the Kafka listener name reported in ConnInfo (for example
	// "PLAINTEXT").
	Name string
	// Handler serves requests. Required.
	Handler Handler
	// Versions lists the api keys and version ranges the broker serves;
	// requests of anything else close the connection, except ApiVersions,
	// which is answered with UNSUPPORTED_VERSION. Must include ApiVersions.
	Versions map[int16]VersionRange
	// HandleSASL passes SaslHandshake and SaslAuthenticate to the Handler.
	// When false, the server answers them itself with ILLEGAL_SASL_STATE,
	// as Kafka does on a listener without SASL. Either way they must be in
	// Versions to be accepted.
	HandleSASL bool
	// MaxRequestSize is socket.request.max.bytes; 0 means
	// DefaultMaxRequestSize.
	MaxRequestSize int32
	// MaxInFlightPerConn bounds the requests of one connection read and not
	// yet answered; 0 means DefaultMaxInFlightPerConn. With 1, the next
	// request is read only after the previous response is written.
	MaxInFlightPerConn int
	// MaxQueuedRequests bounds the requests being handled across all
	// connections (queued.max.requests); 0 means
	// DefaultMaxQueuedRequests. Readers wait when it is reached.
	MaxQueuedRequests int
	// IdleTimeout closes a connection without traffic or requests in
	// flight for that long (connections.max.idle.ms); 0 means
	// DefaultIdleTimeout, negative means never.
	IdleTimeout time.Duration
	// Logger receives connection-level logs; nil discards them.
	Logger *slog.Logger
	// Metrics receives counters; nil gives the server its own.
	Metrics *Metrics
}

// ErrServerClosed is returned by Start after Close, or when called twice.
var ErrServerClosed = errors.New("wire: server closed or already started")

// ErrInvalidOptions is returned by New for unusable Options.
var ErrInvalidOptions = errors.New("wire: invalid options")

// Server accepts Kafka-protocol connections and serves them with a Handler.
type Server struct {
	opts     Options
	versions *VersionTable
	log      *slog.Logger
	metrics  *Metrics
	queued   chan struct{} // global bound on requests being handled
	frames   framePool     // big request buffers, reused (Produce)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	ln      net.Listener
	started bool
	closed  bool
	conns   map[*conn]struct{}
	nextID  uint64
}

// New validates opts and returns a Server that is not yet listening.
func New(opts Options) (*Server, error) {
	if opts.Handler == nil {
		return nil, fmt.Errorf("%w: Handler is required", ErrInvalidOptions)
	}
	if opts.MaxRequestSize < 0 || opts.MaxInFlightPerConn < 0 || opts.MaxQueuedRequests < 0 {
		return nil, fmt.Errorf("%w: negative limit", ErrInvalidOptions)
	}
	vt, err := NewVersionTable(opts.Versions)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if opts.MaxRequestSize == 0 {
		opts.MaxRequestSize = DefaultMaxRequestSize
	}
	if opts.MaxInFlightPerConn == 0 {
		opts.MaxInFlightPerConn = DefaultMaxInFlightPerConn
	}
	if opts.MaxQueuedRequests == 0 {
		opts.MaxQueuedRequests = DefaultMaxQueuedRequests
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	s := &Server{
		opts:     opts,
		versions: vt,
		log:      opts.Logger,
		metrics:  opts.Metrics,
		queued:   make(chan struct{}, opts.MaxQueuedRequests),
		conns:    map[*conn]struct{}{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = new(Metrics)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Versions returns the server's version table.
func (s *Server) Versions() *VersionTable { return s.versions }

// SupportedVersions returns the range served for apiKey and whether it is
// served.
func (s *Server) SupportedVersions(apiKey int16) (lo, hi int16, ok bool) {
	return s.versions.SupportedVersions(apiKey)
}

// Metrics returns the server's counters.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Start listens (unless Options.Listener is set) and starts accepting
// connections in the background.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return ErrServerClosed
	}
	ln := s.opts.Listener
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", s.opts.Addr)
		if err != nil {
			return fmt.Errorf("wire: listen on %q: %w", s.opts.Addr, err)
		}
	}
	s.ln, s.started = ln, true
	s.log.Info("kafka listener started", "listener", s.opts.Name, "addr", ln.Addr().String())
	s.wg.Add(1)
	go s.acceptLoop(ln)
	return nil
}

// Addr returns the listening address, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close stops accepting, closes every connection, cancels in-flight
// handlers' contexts and waits for every goroutine of the server to return.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	s.cancel()
	var err error
	ln := s.ln
	if ln == nil {
		ln = s.opts.Listener // never started: still ours to close
	}
	if ln != nil {
		if cerr := ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = fmt.Errorf("wire: close listener: %w", cerr)
		}
	}
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and retry.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; retrying", "listener", s.opts.Name, "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		backoff = 0
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.nextID++
		c := newConn(s, nc, s.nextID)
		s.conns[c] = struct{}{}
		s.wg.Add(2)
		s.mu.Unlock()
		s.metrics.connsAccepted.Add(1)
		s.metrics.connsOpen.Add(1)
		go c.writeLoop()
		go c.readLoop()
	}
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.metrics.connsOpen.Add(-1)
}
