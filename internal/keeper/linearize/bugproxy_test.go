package linearize

import (
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// The proxies of this file model server bugs that only an ensemble can
// have (see TestEnsembleAckOnLeaderLossCaught and
// TestEnsembleStaleFollowerReadCaught); readFrame and writeFrame are
// proxy_test.go's.

// bugProxy is what the proxies share: a listener on 127.0.0.1:0 that
// relays each connection to target through the connection handler serve,
// and tracks the connections so that close ends them all.
type bugProxy struct {
	target   string
	ln       net.Listener
	serve    func(p *bugProxy, client, server net.Conn) // starts the connection's goroutines with wg.Go
	injected atomic.Int64                               // bugs injected

	mu    sync.Mutex
	conns map[net.Conn]struct{} // nil once closed
	wg    sync.WaitGroup
}

func startBugProxy(t *testing.T, target string, serve func(p *bugProxy, client, server net.Conn)) *bugProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &bugProxy{target: target, ln: ln, serve: serve, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

func (p *bugProxy) addr() string { return p.ln.Addr().String() }

func (p *bugProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// track adds connections to close with the proxy; false when it is closed.
func (p *bugProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

// untrack closes connections and forgets them.
func (p *bugProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *bugProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(c, s) {
			c.Close()
			s.Close()
			return
		}
		p.serve(p, c, s)
	}
}

// startAckProxy starts a proxy to one member that, when the member
// closes a connection while writes sent on it are unanswered, answers
// each of them OK, as the member would have if it acknowledged its
// proposals on giving up on them, and then closes the client's
// connection: a create of Path gets Path back, a conditional setData the
// version after the one it names, a delete nothing. (An unconditional
// setData, whose new version the proxy cannot know, is left unanswered.)
// The replies carry the last zxid the connection relayed. injected counts
// the writes so acknowledged.
func startAckProxy(t *testing.T, target string) *bugProxy {
	return startBugProxy(t, target, func(p *bugProxy, client, server net.Conn) {
		ac := &ackConn{p: p, client: client, server: server, pending: map[int32][]byte{}}
		p.wg.Go(ac.up)
		p.wg.Go(ac.down)
	})
}

// ackConn is one connection of an ack proxy.
type ackConn struct {
	p              *bugProxy
	client, server net.Conn

	mu      sync.Mutex       // guards the fields below and writes to client
	pending map[int32][]byte // xid -> the fabricated reply to a write in flight
	zxid    int64            // last reply zxid relayed
}

// up relays the client's frames, noting the writes.
func (ac *ackConn) up() {
	defer ac.p.untrack(ac.client, ac.server)
	first := true
	for {
		f, err := readFrame(ac.client)
		if err != nil {
			return
		}
		if !first {
			ac.note(f)
		}
		first = false
		if writeFrame(ac.server, f) != nil {
			return
		}
	}
}

// note prepares the OK reply to a write request (without its zxid, added
// when it is sent).
func (ac *ackConn) note(f []byte) {
	d := jute.NewDecoder(f)
	var h jute.RequestHeader
	h.Decode(d)
	var body jute.Record
	switch h.Type {
	case jute.OpCreate2:
		var req jute.CreateRequest
		req.Decode(d)
		if req.Flags != 0 {
			return
		}
		body = &jute.Create2Response{Path: req.Path, Stat: jute.Stat{DataLength: int32(len(req.Data))}}
	case jute.OpSetData:
		var req jute.SetDataRequest
		req.Decode(d)
		if req.Version < 0 {
			return
		}
		body = &jute.StatResponse{Stat: jute.Stat{Version: req.Version + 1, DataLength: int32(len(req.Data))}}
	case jute.OpDelete:
	default:
		return
	}
	e := jute.NewEncoder(nil)
	if body != nil {
		body.Encode(e)
	}
	ac.mu.Lock()
	ac.pending[h.Xid] = e.Bytes()
	ac.mu.Unlock()
}

// down relays the member's frames; when the member closes the
// connection, it acknowledges the writes still pending.
func (ac *ackConn) down() {
	defer ac.p.untrack(ac.client, ac.server)
	first := true
	for {
		f, err := readFrame(ac.server)
		if err != nil {
			ac.ackPending()
			return
		}
		if !first {
			d := jute.NewDecoder(f)
			var h jute.ReplyHeader
			h.Decode(d)
			ac.mu.Lock()
			delete(ac.pending, h.Xid)
			if h.Xid >= 0 || h.Xid == -1 {
				ac.zxid = max(ac.zxid, h.Zxid)
			}
			ac.mu.Unlock()
		}
		first = false
		ac.mu.Lock()
		err = writeFrame(ac.client, f)
		ac.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (ac *ackConn) ackPending() {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	xids := make([]int32, 0, len(ac.pending))
	for xid := range ac.pending {
		xids = append(xids, xid)
	}
	slices.Sort(xids)
	for _, xid := range xids {
		e := jute.NewEncoder(nil)
		(&jute.ReplyHeader{Xid: xid, Zxid: ac.zxid}).Encode(e)
		if writeFrame(ac.client, append(e.Bytes(), ac.pending[xid]...)) != nil {
			return
		}
		ac.p.injected.Add(1)
	}
	clear(ac.pending)
}

// startStaleProxy starts a proxy to target that relays everything but
// getData requests without a watch: it sends those to stale over a
// session of its own (one per relayed connection) and answers with that
// server's reply, under the larger of its zxid and the last one relayed
// on the connection (so that zxids never go back in a session).
// injected counts the reads so answered.
func startStaleProxy(t *testing.T, target, stale string) *bugProxy {
	return startBugProxy(t, target, func(p *bugProxy, client, server net.Conn) {
		sc := &staleConn{p: p, stale: stale, client: client, server: server}
		p.wg.Go(sc.up)
		p.wg.Go(sc.down)
	})
}

// staleConn is one connection of a stale proxy.
type staleConn struct {
	p              *bugProxy
	stale          string
	client, server net.Conn
	side           net.Conn // session with the stale server; up's
	sideXid        int32

	mu   sync.Mutex // guards zxid and writes to client
	zxid int64      // last reply zxid relayed from target
}

func (sc *staleConn) up() {
	defer func() {
		sc.p.untrack(sc.client, sc.server)
		if sc.side != nil {
			sc.p.untrack(sc.side)
		}
	}()
	first := true
	for {
		f, err := readFrame(sc.client)
		if err != nil {
			return
		}
		if !first {
			d := jute.NewDecoder(f)
			var h jute.RequestHeader
			h.Decode(d)
			if h.Type == jute.OpGetData {
				var req jute.PathWatchRequest
				req.Decode(d)
				if !req.Watch {
					if sc.detour(h.Xid, req) != nil {
						return
					}
					continue
				}
			}
		}
		first = false
		if writeFrame(sc.server, f) != nil {
			return
		}
	}
}

// detour answers a getData with the stale server's reply.
func (sc *staleConn) detour(xid int32, req jute.PathWatchRequest) error {
	if sc.side == nil {
		c, err := net.Dial("tcp", sc.stale)
		if err != nil {
			return err
		}
		if !sc.p.track(c) {
			c.Close()
			return net.ErrClosed
		}
		sc.side = c
		e := jute.NewEncoder(nil)
		(&jute.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)}).Encode(e)
		if err := writeFrame(c, e.Bytes()); err != nil {
			return err
		}
		if _, err := readFrame(c); err != nil { // ConnectResponse
			return err
		}
	}
	sc.sideXid++
	e := jute.NewEncoder(nil)
	(&jute.RequestHeader{Xid: sc.sideXid, Type: jute.OpGetData}).Encode(e)
	req.Encode(e)
	if err := writeFrame(sc.side, e.Bytes()); err != nil {
		return err
	}
	for {
		f, err := readFrame(sc.side)
		if err != nil {
			return err
		}
		d := jute.NewDecoder(f)
		var h jute.ReplyHeader
		h.Decode(d)
		if h.Xid != sc.sideXid {
			continue
		}
		sc.mu.Lock()
		defer sc.mu.Unlock()
		sc.zxid = max(sc.zxid, h.Zxid)
		out := jute.NewEncoder(nil)
		(&jute.ReplyHeader{Xid: xid, Zxid: sc.zxid, Err: h.Err}).Encode(out)
		sc.p.injected.Add(1)
		return writeFrame(sc.client, append(out.Bytes(), f[d.Offset():]...))
	}
}

func (sc *staleConn) down() {
	defer sc.p.untrack(sc.client, sc.server)
	first := true
	for {
		f, err := readFrame(sc.server)
		if err != nil {
			return
		}
		sc.mu.Lock()
		if !first {
			d := jute.NewDecoder(f)
			var h jute.ReplyHeader
			h.Decode(d)
			if h.Xid >= 0 || h.Xid == -1 {
				sc.zxid = max(sc.zxid, h.Zxid)
			}
		}
		first = false
		err = writeFrame(sc.client, f)
		sc.mu.Unlock()
		if err != nil {
			return
		}
	}
}
