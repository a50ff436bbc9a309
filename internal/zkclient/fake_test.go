package zkclient

import (
	"bufio"
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// fakeServer accepts connections, answers the handshake with the given
// session timeout and hands each connection to script.
type fakeServer struct {
	l  net.Listener
	wg sync.WaitGroup
}

// fakeConn is the server side of one connection.
type fakeConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

// request is one request frame as the fake server reads it.
type request struct {
	hdr  jute.RequestHeader
	body []byte
}

func startFake(t *testing.T, timeout time.Duration, script func(fc *fakeConn)) *fakeServer {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{l: l}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				fc := &fakeConn{t: t, c: c, br: bufio.NewReader(c)}
				frame, err := readFrame(fc.br, nil, 1<<20)
				if err != nil {
					return
				}
				var req jute.ConnectRequest
				if err := jute.Decode(frame, &req); err != nil {
					t.Errorf("fake server: ConnectRequest: %v", err)
					return
				}
				fc.send(&jute.ConnectResponse{TimeOut: int32(timeout / time.Millisecond), SessionID: 0x1234, Passwd: make([]byte, 16)})
				script(fc)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		s.wg.Wait()
	})
	return s
}

func (s *fakeServer) addr() string { return s.l.Addr().String() }

// send writes one frame holding the records.
func (fc *fakeConn) send(recs ...jute.Record) {
	var e jute.Encoder
	at := e.BeginFrame()
	for _, r := range recs {
		r.Encode(&e)
	}
	e.EndFrame(at)
	fc.c.Write(e.Bytes())
}

// read reads one request; ok is false when the client went away.
func (fc *fakeConn) read() (request, bool) {
	fc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	frame, err := readFrame(fc.br, nil, 1<<20)
	if err != nil {
		return request{}, false
	}
	d := jute.NewDecoder(frame)
	var r request
	r.hdr.Decode(d)
	r.body = frame[d.Offset():]
	return r, d.Err() == nil
}

// readNonPing reads the next request that is not a ping, answering pings;
// it answers closeSession and reports the end of the connection.
func (fc *fakeConn) readNonPing() (request, bool) {
	for {
		r, ok := fc.read()
		if ok && r.hdr.Type == jute.OpCloseSession {
			fc.send(&jute.ReplyHeader{Xid: r.hdr.Xid})
			return r, false
		}
		if !ok || r.hdr.Type != jute.OpPing {
			return r, ok
		}
		fc.send(&jute.ReplyHeader{Xid: jute.XidPing})
	}
}

func TestPipelinedRepliesMatchedByXid(t *testing.T) {
	srv := startFake(t, 10*time.Second, func(fc *fakeConn) {
		var reqs []request
		for len(reqs) < 3 {
			r, ok := fc.readNonPing()
			if !ok {
				return
			}
			reqs = append(reqs, r)
		}
		// Answer in reverse order, each with its own path as data.
		for i := len(reqs) - 1; i >= 0; i-- {
			var pw jute.PathWatchRequest
			jute.Decode(reqs[i].body, &pw)
			fc.send(&jute.ReplyHeader{Xid: reqs[i].hdr.Xid, Zxid: int64(10 + i)}, &jute.GetDataResponse{Data: []byte(pw.Path)})
		}
		fc.readNonPing()
	})
	c, err := Connect(ctxT(t), Options{Servers: srv.addr(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	for _, p := range []string{"/a", "/b", "/c"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, _, err := c.GetData(ctxT(t), p, false)
			if err != nil || string(d) != p {
				t.Errorf("GetData(%s) = %q, %v", p, d, err)
			}
		}()
	}
	wg.Wait()
	if z := c.LastZxid(); z < 10 {
		t.Fatalf("last zxid %d", z)
	}
}

func TestPingsKeepSessionAndSilenceEndsIt(t *testing.T) {
	pings := make(chan struct{}, 100)
	var mu sync.Mutex
	n := 0
	srv := startFake(t, 300*time.Millisecond, func(fc *fakeConn) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		answered := 0
		for {
			r, ok := fc.read()
			if !ok {
				return
			}
			if r.hdr.Type != jute.OpPing || r.hdr.Xid != jute.XidPing {
				continue
			}
			pings <- struct{}{}
			if !first {
				continue // silent: the client must give up after 2/3 of the timeout
			}
			fc.send(&jute.ReplyHeader{Xid: jute.XidPing})
			if answered++; answered == 3 {
				return // drop the first connection
			}
		}
	})
	ev := newEvents()
	c, err := Connect(ctxT(t), Options{Servers: srv.addr(), Watcher: ev.watcher, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.SessionTimeout() != 300*time.Millisecond {
		t.Fatalf("negotiated %v", c.SessionTimeout())
	}
	ev.waitFor(t, "connected", isEvent(EventNone, KeeperSyncConnected, ""))
	for range 3 {
		select {
		case <-pings:
		case <-time.After(5 * time.Second):
			t.Fatal("no ping")
		}
	}
	ev.waitFor(t, "dropped", isEvent(EventNone, KeeperDisconnected, ""))
	ev.waitFor(t, "reconnected", isEvent(EventNone, KeeperSyncConnected, ""))
	ev.waitFor(t, "timed out", isEvent(EventNone, KeeperDisconnected, ""))
}

func TestProtocolErrorsDropTheConnection(t *testing.T) {
	tests := []struct {
		name  string
		reply func(fc *fakeConn, r request)
	}{
		{"unknown xid", func(fc *fakeConn, r request) {
			fc.send(&jute.ReplyHeader{Xid: r.hdr.Xid + 100})
		}},
		{"frame too long", func(fc *fakeConn, r request) {
			fc.send(&jute.ReplyHeader{Xid: r.hdr.Xid}, &jute.GetDataResponse{Data: make([]byte, 4096)})
		}},
		{"negative length", func(fc *fakeConn, r request) {
			fc.c.Write([]byte{0xff, 0xff, 0xff, 0xf0})
		}},
		{"short header", func(fc *fakeConn, r request) {
			fc.c.Write([]byte{0, 0, 0, 3, 1, 2, 3})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, 10*time.Second, func(fc *fakeConn) {
				r, ok := fc.readNonPing()
				if !ok {
					return
				}
				tc.reply(fc, r)
				fc.read()
			})
			ev := newEvents()
			c, err := Connect(ctxT(t), Options{Servers: srv.addr(), Watcher: ev.watcher, MaxFrameSize: 1024, Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, _, err = c.GetData(ctxT(t), "/a", false)
			wantCode(t, err, jute.ErrConnectionLoss)
			ev.waitFor(t, "disconnected", isEvent(EventNone, KeeperDisconnected, ""))
		})
	}
}

func TestMalformedBodyFailsOnlyTheCall(t *testing.T) {
	srv := startFake(t, 10*time.Second, func(fc *fakeConn) {
		r, ok := fc.readNonPing()
		if !ok {
			return
		}
		fc.send(&jute.ReplyHeader{Xid: r.hdr.Xid}, &jute.IntResponse{N: 7}) // not a GetDataResponse
		r, ok = fc.readNonPing()
		if !ok {
			return
		}
		fc.send(&jute.ReplyHeader{Xid: r.hdr.Xid}, &jute.GetDataResponse{Data: []byte("ok")})
		fc.readNonPing()
	})
	c, err := Connect(ctxT(t), Options{Servers: srv.addr(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.GetData(ctxT(t), "/a", false); !errors.Is(err, ErrProtocol) {
		t.Fatalf("malformed body: %v", err)
	}
	if d, _, err := c.GetData(ctxT(t), "/a", false); err != nil || string(d) != "ok" {
		t.Fatalf("next call: %q %v", d, err)
	}
}

func TestCloseWithoutServerAndCancelledCalls(t *testing.T) {
	srv := startFake(t, 600*time.Millisecond, func(fc *fakeConn) {
		for {
			if _, ok := fc.read(); !ok { // answers nothing, not even closeSession
				return
			}
		}
	})
	c, err := Connect(ctxT(t), Options{Servers: srv.addr(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, _, err := c.GetData(ctx, "/a", false)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
	// The server never answers closeSession; Close must still return.
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %v", d)
	}
	if c.State() != StateClosed {
		t.Fatalf("state %v", c.State())
	}
}

func TestParseConnectString(t *testing.T) {
	tests := []struct {
		in      string
		servers []string
		chroot  string
		bad     bool
	}{
		{"127.0.0.1:2181", []string{"127.0.0.1:2181"}, "", false},
		{"a:1,b:2/app", []string{"a:1", "b:2"}, "/app", false},
		{"a, b:3 ,/", []string{"a:2181", "b:3"}, "", false},
		{"[::1]:2182,[::1]", []string{"[::1]:2182", "[::1]:2181"}, "", false},
		{"a:", []string{"a:2181"}, "", false},
		{"a:x", nil, "", true},
		{"", nil, "", true},
		{"a:1/app/", nil, "", true},
	}
	for _, tc := range tests {
		cs, err := ParseConnectString(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: no error", tc.in)
			}
			continue
		}
		if err != nil || cs.Chroot != tc.chroot || !slices.Equal(cs.Servers, tc.servers) {
			t.Errorf("%q = %+v, %v", tc.in, cs, err)
		}
	}
}

func TestValidatePath(t *testing.T) {
	tests := []struct{ path, reason string }{
		{"/", ""},
		{"/a/b", ""},
		{"", "Path length must be > 0"},
		{"a", "Path must start with / character"},
		{"/a/", "Path must not end with / character"},
		{"//a", `Invalid path string "//a" caused by empty node name specified @1`},
		{"/a/./b", `Invalid path string "/a/./b" caused by relative paths not allowed @3`},
		{"/a/..", `Invalid path string "/a/.." caused by relative paths not allowed @4`},
		{"/a..b", ""},
		{"/a\x00", `Invalid path string "/a` + "\x00" + `" caused by null character not allowed @2`},
		{"/a\x01", `Invalid path string "/a` + "\x01" + `" caused by invalid character @2`},
		{"/é\u0085", `Invalid path string "/é` + "\u0085" + `" caused by invalid character @2`},
		{"/😀", `Invalid path string "/😀" caused by invalid character @1`},
	}
	for _, tc := range tests {
		err := ValidatePath(tc.path, false)
		got := ""
		var pe *PathError
		if errors.As(err, &pe) {
			got = pe.Reason
		}
		if got != tc.reason {
			t.Errorf("ValidatePath(%q) = %q, want %q", tc.path, got, tc.reason)
		}
	}
	// A sequential node's path is checked with its counter: "/a/" is
	// fine, as "/a/1".
	if err := ValidatePath("/a/", true); err != nil {
		t.Errorf("sequential /a/: %v", err)
	}
}

func TestNextServer(t *testing.T) {
	srv := startFake(t, 10*time.Second, func(fc *fakeConn) {
		for {
			if _, ok := fc.readNonPing(); !ok {
				return
			}
		}
	})
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	c, err := Connect(ctxT(t), Options{Servers: deadAddr + "," + srv.addr(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Server() != srv.addr() || c.SessionID() != 0x1234 {
		t.Fatalf("connected to %s session 0x%x", c.Server(), c.SessionID())
	}
}
