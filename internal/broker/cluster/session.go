package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// ErrClosed is returned by every call on a closed Registry.
var ErrClosed = errors.New("cluster: registry closed")

// ErrBadConnectString is returned by Connect for a zookeeper.connect value
// it cannot use.
var ErrBadConnectString = errors.New("cluster: invalid zookeeper.connect")

// openACL is world:anyone with every permission: what Kafka writes when
// zookeeper.set.acl is false.
var openACL = zk.WorldACL(zk.PermAll)

// parseConnectString splits zookeeper.connect ("h1:2181,h2:2181/chroot")
// into host:port addresses (port 2181 when absent) and the chroot ("" for
// none), as ZooKeeper's ConnectStringParser does.
func parseConnectString(s string) (servers []string, chroot string, err error) {
	hosts := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hosts, chroot = s[:i], s[i:]
		if chroot == "/" {
			chroot = ""
		} else if err := validatePath(chroot); err != nil {
			return nil, "", fmt.Errorf("%w: chroot %q: %w", ErrBadConnectString, chroot, err)
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			host, port = strings.Trim(h, "[]"), "2181"
		}
		if host == "" {
			return nil, "", fmt.Errorf("%w: %q has an empty host", ErrBadConnectString, s)
		}
		servers = append(servers, net.JoinHostPort(host, port))
	}
	if len(servers) == 0 {
		return nil, "", fmt.Errorf("%w: %q lists no server", ErrBadConnectString, s)
	}
	return servers, chroot, nil
}

// validatePath checks a ZooKeeper path the way PathUtils.validatePath does
// for the characters that matter here.
func validatePath(p string) error {
	switch {
	case p == "" || p[0] != '/':
		return errors.New("path must start with /")
	case p == "/":
		return nil
	case strings.HasSuffix(p, "/"):
		return errors.New("path must not end with /")
	case strings.Contains(p, "//"):
		return errors.New("empty node name")
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "." || seg == ".." {
			return errors.New("relative paths not allowed")
		}
	}
	for _, r := range p {
		if r <= 0x1f || (r >= 0x7f && r <= 0x9f) || (r >= 0xd800 && r <= 0xf8ff) || (r >= 0xfff0 && r <= 0xffff) {
			return fmt.Errorf("invalid character %U", r)
		}
	}
	return nil
}

// staticHostProvider hands out the servers of the connect string in turn
// without resolving them up front (go-zookeeper's DNS provider fails the
// whole connect when one name does not resolve); the dialer resolves.
type staticHostProvider struct {
	mu         sync.Mutex
	servers    []string
	curr, last int
}

// Init takes the servers, already shuffled by go-zookeeper.
func (p *staticHostProvider) Init(servers []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(servers) == 0 {
		return errors.New("no servers")
	}
	p.servers, p.curr, p.last = servers, -1, -1
	return nil
}

// Len is the number of servers.
func (p *staticHostProvider) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.servers)
}

// Next returns the next server; retryStart is true once every server was
// tried since the last successful connection.
func (p *staticHostProvider) Next() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.curr = (p.curr + 1) % len(p.servers)
	retryStart := p.curr == p.last
	if p.last == -1 {
		p.last = 0
	}
	return p.servers[p.curr], retryStart
}

// Connected marks the current server as the last good one.
func (p *staticHostProvider) Connected() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = p.curr
}

// zkLogger routes go-zookeeper's log lines to slog at debug level.
type zkLogger struct{ log *slog.Logger }

// Printf implements zk.Logger.
func (l zkLogger) Printf(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...), "component", "zk-client")
}

// session is one go-zookeeper connection seen through the chroot. Every
// call takes a context and is retried across connection loss and session
// expiry (as Kafka's retryRequestUntilConnected) until the context ends.
// go-zookeeper itself fails over among the servers and, when the server
// reports the session expired, opens a new session on the same Conn.
type session struct {
	conn   *zk.Conn
	chroot string
	log    *slog.Logger

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every session state change
	state    zk.State
	expiries uint64 // StateExpired events seen
	closed   bool
	calls    sync.WaitGroup // goroutines running a go-zookeeper call
}

func dialSession(servers []string, chroot string, timeout time.Duration, log *slog.Logger) (*session, error) {
	s := &session{chroot: chroot, log: log, changed: make(chan struct{}), state: zk.StateDisconnected}
	conn, _, err := zk.Connect(servers, timeout,
		zk.WithHostProvider(&staticHostProvider{}),
		zk.WithLogger(zkLogger{log}),
		zk.WithLogInfo(false),
		zk.WithEventCallback(s.onEvent))
	if err != nil {
		return nil, fmt.Errorf("cluster: connecting to %s: %w", strings.Join(servers, ","), err)
	}
	s.conn = conn
	return s, nil
}

// onEvent runs on go-zookeeper's goroutines: it must not block.
func (s *session) onEvent(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	s.mu.Lock()
	s.state = ev.State
	if ev.State == zk.StateExpired {
		s.expiries++
	}
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// snapshot returns the session state, the number of expiries so far and a
// channel closed at the next change.
func (s *session) snapshot() (zk.State, uint64, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state, s.expiries, s.changed
}

func (s *session) sessionID() int64 { return s.conn.SessionID() }

// waitSession waits until the connection has a session.
func (s *session) waitSession(ctx context.Context) error {
	for {
		st, _, changed := s.snapshot()
		if s.isClosed() {
			return ErrClosed
		}
		if st == zk.StateHasSession {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("cluster: waiting for a ZooKeeper session (state %v): %w", st, context.Cause(ctx))
		}
	}
}

func (s *session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// close ends the session (its ephemeral nodes go at once) and waits for
// the calls in flight.
func (s *session) close() {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if !already {
		s.conn.Close()
	}
	s.calls.Wait()
}

// isConnectionError reports errors that say nothing about the operation:
// the request may or may not have been applied, and is worth retrying on
// the next connection or session.
func isConnectionError(err error) bool {
	switch {
	case errors.Is(err, zk.ErrConnectionClosed), errors.Is(err, zk.ErrNoServer),
		errors.Is(err, zk.ErrSessionExpired), errors.Is(err, zk.ErrSessionMoved),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// call runs fn, one go-zookeeper call, returning early when ctx ends (the
// call itself finishes in the background; session.close waits for it).
func call[T any](ctx context.Context, s *session, fn func() (T, error)) (T, error) {
	var zero T
	if ctx.Err() != nil {
		return zero, context.Cause(ctx)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return zero, ErrClosed
	}
	s.calls.Add(1)
	s.mu.Unlock()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer s.calls.Done()
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return zero, context.Cause(ctx)
	}
}

// do runs fn until it returns something other than a connection error,
// waiting for a session between attempts. retried reports that an earlier
// attempt failed: the operation may have been applied already.
func do[T any](ctx context.Context, s *session, fn func() (T, error)) (v T, retried bool, err error) {
	for attempt := 0; ; attempt++ {
		v, err = call(ctx, s, fn)
		if err == nil || !isConnectionError(err) {
			if errors.Is(err, zk.ErrClosing) {
				err = ErrClosed
			}
			return v, attempt > 0, err
		}
		if s.isClosed() {
			return v, true, ErrClosed
		}
		s.log.Debug("retrying ZooKeeper request after connection loss", "err", err, "attempt", attempt)
		if err := s.waitSession(ctx); err != nil {
			return v, true, err
		}
	}
}

// abs maps a path under the chroot to the server's path; rel the reverse.
func (s *session) abs(p string) string {
	if s.chroot == "" {
		return p
	}
	if p == "/" {
		return s.chroot
	}
	return s.chroot + p
}

func (s *session) rel(p string) string {
	if s.chroot == "" {
		return p
	}
	r := strings.TrimPrefix(p, s.chroot)
	if r == "" {
		return "/"
	}
	return r
}

type dataStat struct {
	data []byte
	stat *zk.Stat
}

func (s *session) get(ctx context.Context, p string) ([]byte, *zk.Stat, error) {
	r, _, err := do(ctx, s, func() (dataStat, error) {
		d, st, e := s.conn.Get(s.abs(p))
		return dataStat{d, st}, e
	})
	return r.data, r.stat, wrapOp("get", p, err)
}

type existsResult struct {
	ok   bool
	stat *zk.Stat
	ch   <-chan zk.Event
}

func (s *session) exists(ctx context.Context, p string) (bool, *zk.Stat, error) {
	r, _, err := do(ctx, s, func() (existsResult, error) {
		ok, st, e := s.conn.Exists(s.abs(p))
		return existsResult{ok, st, nil}, e
	})
	return r.ok, r.stat, wrapOp("exists", p, err)
}

// existsW is exists leaving a watch; the channel fires once.
func (s *session) existsW(ctx context.Context, p string) (bool, *zk.Stat, <-chan zk.Event, error) {
	r, _, err := do(ctx, s, func() (existsResult, error) {
		ok, st, ch, e := s.conn.ExistsW(s.abs(p))
		return existsResult{ok, st, ch}, e
	})
	return r.ok, r.stat, r.ch, wrapOp("exists", p, err)
}

type childrenResult struct {
	kids []string
	ch   <-chan zk.Event
}

func (s *session) children(ctx context.Context, p string) ([]string, error) {
	r, _, err := do(ctx, s, func() (childrenResult, error) {
		kids, _, e := s.conn.Children(s.abs(p))
		return childrenResult{kids, nil}, e
	})
	return r.kids, wrapOp("getChildren", p, err)
}

// childrenW is children leaving a watch; the channel fires once.
func (s *session) childrenW(ctx context.Context, p string) ([]string, <-chan zk.Event, error) {
	r, _, err := do(ctx, s, func() (childrenResult, error) {
		kids, _, ch, e := s.conn.ChildrenW(s.abs(p))
		return childrenResult{kids, ch}, e
	})
	return r.kids, r.ch, wrapOp("getChildren", p, err)
}

// create creates p and returns its path (sequential nodes get a suffix).
func (s *session) create(ctx context.Context, p string, data []byte, flags int32) (string, bool, error) {
	created, retried, err := do(ctx, s, func() (string, error) {
		return s.conn.Create(s.abs(p), data, flags, openACL)
	})
	return s.rel(created), retried, wrapOp("create", p, err)
}

func (s *session) set(ctx context.Context, p string, data []byte, version int32) (*zk.Stat, bool, error) {
	stat, retried, err := do(ctx, s, func() (*zk.Stat, error) {
		return s.conn.Set(s.abs(p), data, version)
	})
	return stat, retried, wrapOp("setData", p, err)
}

func (s *session) delete(ctx context.Context, p string, version int32) (bool, error) {
	_, retried, err := do(ctx, s, func() (struct{}, error) {
		return struct{}{}, s.conn.Delete(s.abs(p), version)
	})
	return retried, wrapOp("delete", p, err)
}

// multi runs ops (*zk.CreateRequest, *zk.SetDataRequest, *zk.DeleteRequest,
// *zk.CheckVersionRequest with chroot-relative paths) as one transaction.
// On failure go-zookeeper reports the first failing op's error only.
func (s *session) multi(ctx context.Context, ops ...any) ([]zk.MultiResponse, bool, error) {
	abs := make([]any, len(ops))
	for i, op := range ops {
		switch o := op.(type) {
		case *zk.CreateRequest:
			c := *o
			c.Path = s.abs(c.Path)
			if c.Acl == nil {
				c.Acl = openACL
			}
			abs[i] = &c
		case *zk.SetDataRequest:
			c := *o
			c.Path = s.abs(c.Path)
			abs[i] = &c
		case *zk.DeleteRequest:
			c := *o
			c.Path = s.abs(c.Path)
			abs[i] = &c
		case *zk.CheckVersionRequest:
			c := *o
			c.Path = s.abs(c.Path)
			abs[i] = &c
		default:
			return nil, false, fmt.Errorf("cluster: multi: unsupported op %T", op)
		}
	}
	res, retried, err := do(ctx, s, func() ([]zk.MultiResponse, error) {
		return s.conn.Multi(abs...)
	})
	return res, retried, wrapOp("multi", "", err)
}

// createRecursive creates p (with data) and any missing parents (with no
// data): Kafka's createRecursive. It reports whether p already existed
// (after a retried attempt that may be our own earlier attempt). raw paths
// bypass the chroot.
func (s *session) createRecursive(ctx context.Context, p string, data []byte, raw bool) (existed bool, err error) {
	full := p
	if !raw {
		full = s.abs(p)
	}
	create := func(path string, data []byte) error {
		_, _, err := do(ctx, s, func() (string, error) {
			return s.conn.Create(path, data, zk.FlagPersistent, openACL)
		})
		return err
	}
	var mkParents func(path string) error
	mkParents = func(path string) error {
		if path == "" {
			return nil
		}
		err := create(path, nil)
		if errors.Is(err, zk.ErrNoNode) {
			if err := mkParents(path[:strings.LastIndexByte(path, '/')]); err != nil {
				return err
			}
			err = create(path, nil)
		}
		if err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
		return nil
	}
	err = create(full, data)
	if errors.Is(err, zk.ErrNoNode) {
		if err := mkParents(full[:strings.LastIndexByte(full, '/')]); err != nil {
			return false, wrapOp("create", full, err)
		}
		err = create(full, data)
	}
	if errors.Is(err, zk.ErrNodeExists) {
		return true, nil
	}
	return false, wrapOp("create", full, err)
}

// wrapOp names the operation and path in err; errors.Is still finds the
// go-zookeeper sentinel inside.
func wrapOp(op, p string, err error) error {
	if err == nil || errors.Is(err, ErrClosed) {
		return err
	}
	if p == "" {
		return fmt.Errorf("cluster: zookeeper %s: %w", op, err)
	}
	return fmt.Errorf("cluster: zookeeper %s %s: %w", op, p, err)
}
