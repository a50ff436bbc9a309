package zkclient

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// testLogger logs to the test's output when -v is given.
func testLogger(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// events collects the events a client delivers.
type events struct {
	mu  sync.Mutex
	evs []Event
	ch  chan struct{}
}

func newEvents() *events { return &events{ch: make(chan struct{}, 1)} }

func (e *events) watcher(ev Event) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
	select {
	case e.ch <- struct{}{}:
	default:
	}
}

// take returns the events so far and forgets them.
func (e *events) take() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.evs
	e.evs = nil
	return out
}

// waitFor waits until an event matching ok arrives, and returns it.
func (e *events) waitFor(t testing.TB, what string, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		e.mu.Lock()
		for i, ev := range e.evs {
			if ok(ev) {
				e.evs = append(e.evs[:i:i], e.evs[i+1:]...)
				e.mu.Unlock()
				return ev
			}
		}
		e.mu.Unlock()
		select {
		case <-e.ch:
		case <-deadline.C:
			t.Fatalf("no %s event; have %v", what, e.take())
		}
	}
}

func isEvent(typ EventType, state KeeperState, path string) func(Event) bool {
	return func(ev Event) bool { return ev.Type == typ && ev.State == state && ev.Path == path }
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantCode fails the test unless err carries code.
func wantCode(t testing.TB, err error, code jute.Err) {
	t.Helper()
	if code == jute.ErrOK {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	if !errors.Is(err, code) {
		t.Fatalf("got error %v, want %v", err, code)
	}
}

// proxy forwards TCP connections to a target and can cut them all and
// refuse new ones, to make a client lose its connection.
type proxy struct {
	t      testing.TB
	l      net.Listener
	target string

	mu     sync.Mutex
	conns  []net.Conn
	refuse bool
	wg     sync.WaitGroup
}

func newProxy(t testing.TB, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, l: l, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse, target := p.refuse, p.target
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); io.Copy(s, c); s.Close() }()
		go func() { defer p.wg.Done(); io.Copy(c, s); c.Close() }()
	}
}

// cut closes every forwarded connection; with refuse, new ones are
// closed at once until setRefuse(false).
func (p *proxy) cut(refuse bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = refuse
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) setRefuse(r bool) {
	p.mu.Lock()
	p.refuse = r
	p.mu.Unlock()
}

func (p *proxy) close() {
	p.l.Close()
	p.cut(true)
	p.wg.Wait()
}
