package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// connModes are the two ways a client connection is read: by the event
// loops (Linux) and by a reader goroutine per connection.
var connModes = []struct {
	name string
	mod  func(*Options)
}{
	{"loop", nil},
	{"goroutine", func(o *Options) { o.GoroutineConns = true }},
}

// forEachConnMode runs test in a parallel subtest per connMode, against a
// fresh server (testServer's options changed by the mode, then by mod)
// with one raw session open on it.
func forEachConnMode(t *testing.T, mod func(*Options), test func(t *testing.T, s *Server, sess *rawSession)) {
	t.Helper()
	for _, m := range connModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			s := testServer(t, func(o *Options) {
				if m.mod != nil {
					m.mod(o)
				}
				if mod != nil {
					mod(o)
				}
			})
			test(t, s, newRawSession(t, s.Addr().String()))
		})
	}
}

// TestPipelinedRequestsKeepSessionOrder sends reads, writes and a request
// larger than a loop's read buffer in one go, in pieces that split frames:
// the replies come in request order and every read sees the session's
// earlier writes.
func TestPipelinedRequestsKeepSessionOrder(t *testing.T) {
	t.Parallel()
	forEachConnMode(t, nil, func(t *testing.T, s *Server, sess *rawSession) {
		acl := []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
		big := bytes.Repeat([]byte("z"), 200<<10)
		type step struct {
			op   jute.OpCode
			body jute.Record
			want []byte // getData: the data it must return
		}
		steps := []step{
			{jute.OpCreate, &jute.CreateRequest{Path: "/p", Data: []byte("a"), ACL: acl}, nil},
			{jute.OpGetData, &jute.PathWatchRequest{Path: "/p"}, []byte("a")},
			{jute.OpSetData, &jute.SetDataRequest{Path: "/p", Data: []byte("b"), Version: -1}, nil},
			{jute.OpGetData, &jute.PathWatchRequest{Path: "/p"}, []byte("b")},
			{jute.OpPing, nil, nil},
			{jute.OpSetData, &jute.SetDataRequest{Path: "/p", Data: big, Version: -1}, nil},
			{jute.OpGetData, &jute.PathWatchRequest{Path: "/p"}, big},
			{jute.OpExists, &jute.PathWatchRequest{Path: "/p"}, nil},
			{jute.OpSetData, &jute.SetDataRequest{Path: "/p", Data: []byte("c"), Version: -1}, nil},
			{jute.OpGetData, &jute.PathWatchRequest{Path: "/p"}, []byte("c")},
		}
		var all []byte
		for i, st := range steps {
			all = append(all, frame(request(int32(i+1), st.op, st.body))...)
		}
		go func() {
			// Pieces of growing size, so that frames and length
			// prefixes are split across reads.
			for n := 1; len(all) > 0; n *= 3 {
				n = min(n, len(all))
				if _, err := sess.nc.Write(all[:n]); err != nil {
					return
				}
				all = all[n:]
			}
		}()
		for i, st := range steps {
			r := sess.read(t)
			checkReply(t, r, int32(i+1))
			if st.want != nil {
				n := int(binary.BigEndian.Uint32(r[16:]))
				if got := r[20 : 20+n]; !bytes.Equal(got, st.want) {
					t.Fatalf("reply %d: getData returned %d bytes %.10q, want %d bytes %.10q", i+1, len(got), got, len(st.want), st.want)
				}
			}
		}
	})
}

// TestEstablishedSessionsUseTheEventLoop: on Linux, an established session
// is read by an event loop unless Options.GoroutineConns says otherwise.
func TestEstablishedSessionsUseTheEventLoop(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the event loop is Linux-only")
	}
	forEachConnMode(t, nil, func(t *testing.T, s *Server, sess *rawSession) {
		sess.xid++
		if _, err := sess.nc.Write(frame(request(sess.xid, jute.OpPing, nil))); err != nil {
			t.Fatal(err)
		}
		checkReply(t, sess.read(t), sess.xid)
		// The reader hands the connection over after the handshake; it
		// may still be on its way.
		want := !s.opts.GoroutineConns
		deadline := time.Now().Add(10 * time.Second)
		for {
			s.connMu.Lock()
			inLoop := 0
			for c := range s.conns {
				if c.loop.Load() != nil {
					inLoop++
				}
			}
			n := len(s.conns)
			s.connMu.Unlock()
			if n == 1 && (inLoop == 1) == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d connections, %d in an event loop; want one, in a loop: %v", n, inLoop, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// TestClosedSessionsConnectionEnds: a client that closes its session and
// keeps the connection open is disconnected about a second later.
func TestClosedSessionsConnectionEnds(t *testing.T) {
	t.Parallel()
	forEachConnMode(t, nil, func(t *testing.T, s *Server, sess *rawSession) {
		for _, op := range []jute.OpCode{jute.OpPing, jute.OpCloseSession} {
			sess.xid++
			if _, err := sess.nc.Write(frame(request(sess.xid, op, nil))); err != nil {
				t.Fatal(err)
			}
			checkReply(t, sess.read(t), sess.xid)
		}
		sess.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := sess.br.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatalf("read after closeSession: %d bytes, %v; want the server to close the connection", n, err)
		}
	})
}

// TestCloseEndsLoopConnections: Close ends established connections, some
// with a request in the middle of a frame and one whose session waits for
// a write, and returns.
func TestCloseEndsLoopConnections(t *testing.T) {
	t.Parallel()
	for _, m := range connModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			s := testServer(t, m.mod)
			var sessions []*rawSession
			for i := range 8 {
				sess := newRawSession(t, s.Addr().String())
				sess.xid++
				req := frame(request(sess.xid, jute.OpGetData, &jute.PathWatchRequest{Path: fmt.Sprintf("/none%d", i)}))
				if i%2 == 1 {
					req = req[:len(req)-3] // half a request
				}
				if _, err := sess.nc.Write(req); err != nil {
					t.Fatal(err)
				}
				sessions = append(sessions, sess)
			}
			done := make(chan error, 1)
			go func() { done <- s.Close() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Close did not return within 30s")
			}
			for i, sess := range sessions {
				sess.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.ReadAll(sess.br); err != nil {
					t.Fatalf("session %d: the connection did not end: %v", i, err)
				}
			}
		})
	}
}

// TestWritesUnderBackPressureKeepSessionOrder fills the write path: the
// log's fdatasync is held while sessions pipeline more writes than the
// commit loop's queue holds, so that some cannot be proposed without
// waiting (an event loop hands those to a worker goroutine). Once the
// fdatasync goes on, every write is answered in order and each session's
// last read sees its last write.
func TestWritesUnderBackPressureKeepSessionOrder(t *testing.T) {
	t.Parallel()
	const sessions, writes = 6, 1000 // more writes than the queue and one batch hold
	for _, m := range connModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			g := newGatedFS()
			s := testServer(t, func(o *Options) {
				if m.mod != nil {
					m.mod(o)
				}
				o.DataDir = "/data"
				o.fsys = g
			})
			if sessions*writes <= cap(s.proposals)+maxBatch || writes >= maxInflightPerConn {
				t.Fatalf("%d sessions × %d writes do not overfill the queue (%d) and a batch (%d) within %d writes in flight each",
					sessions, writes, cap(s.proposals), maxBatch, maxInflightPerConn)
			}
			acl := []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
			var sess []*rawSession
			for len(sess) < sessions {
				sess = append(sess, newRawSession(t, s.Addr().String()))
			}
			for i, r := range sess {
				r.xid++
				req := request(r.xid, jute.OpCreate, &jute.CreateRequest{Path: fmt.Sprintf("/q%d", i), ACL: acl})
				if _, err := r.nc.Write(frame(req)); err != nil {
					t.Fatal(err)
				}
				checkReply(t, r.read(t), r.xid)
			}
			g.closed.Store(true)
			opened := false
			open := func() {
				if !opened {
					opened = true
					g.closed.Store(false)
					close(g.gate)
				}
			}
			defer open()
			errs := make(chan error, sessions)
			for i, r := range sess {
				var all []byte
				for j := range writes {
					all = append(all, frame(request(r.xid+int32(j)+1, jute.OpSetData,
						&jute.SetDataRequest{Path: fmt.Sprintf("/q%d", i), Data: fmt.Appendf(nil, "%d", j), Version: -1}))...)
				}
				all = append(all, frame(request(r.xid+writes+1, jute.OpGetData, &jute.PathWatchRequest{Path: fmt.Sprintf("/q%d", i)}))...)
				go func() {
					_, err := r.nc.Write(all)
					errs <- err
				}()
			}
			select {
			case <-g.entered:
			case <-time.After(10 * time.Second):
				t.Fatal("no fdatasync started")
			}
			for deadline := time.Now().Add(20 * time.Second); len(s.proposals) < cap(s.proposals); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the commit loop's queue holds %d proposals, want it full (%d)", len(s.proposals), cap(s.proposals))
				}
			}
			open()
			for range sess {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			for i, r := range sess {
				for range writes {
					r.xid++
					checkReply(t, r.read(t), r.xid)
				}
				r.xid++
				rep := r.read(t)
				checkReply(t, rep, r.xid)
				want := fmt.Appendf(nil, "%d", writes-1)
				if n := int(binary.BigEndian.Uint32(rep[16:])); !bytes.Equal(rep[20:20+n], want) {
					t.Fatalf("session %d: getData after its writes returned %q, want %q", i, rep[20:20+n], want)
				}
			}
		})
	}
}
