package linearize

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// fault is what a faultProxy does to the traffic it relays.
type fault int

const (
	// relay changes nothing.
	relay fault = iota
	// cut closes the connection right after relaying every cutEvery-th
	// write request: the server applies it, the client never hears.
	cut
	// staleRead is a server bug: once a connection has been sent a
	// getData reply for a path that differs from the first reply any
	// connection got for it, every later getData reply for that path on
	// that connection carries the first one's body (under the real
	// header). The session's reads go back in time.
	staleRead
	// lostWrite is a server bug: every dropEvery-th conditional setData
	// is answered OK (version+1) without reaching the server.
	lostWrite
)

const (
	cutEvery  = 25
	dropEvery = 7
)

// faultProxy relays ZooKeeper connections to a server, injecting one
// fault.
type faultProxy struct {
	t      *testing.T
	target string
	fault  fault
	ln     net.Listener

	requests atomic.Int64 // write requests seen (cut, lostWrite)
	injected atomic.Int64 // faults injected

	mu    sync.Mutex
	first map[string][]byte // staleRead: first getData reply body per path
	conns map[net.Conn]struct{}

	wg sync.WaitGroup
}

func startProxy(t *testing.T, target string, f fault) *faultProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{t: t, target: target, fault: f, ln: ln, first: map[string][]byte{}, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

func (p *faultProxy) addr() string { return p.ln.Addr().String() }

func (p *faultProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *faultProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *faultProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			p.mu.Lock()
			for c := range p.conns {
				c.Close()
			}
			p.conns = nil // refuse what comes after
			p.mu.Unlock()
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(c) || !p.track(s) {
			c.Close()
			s.Close()
			return
		}
		pc := &proxyConn{p: p, client: c, server: s, pending: map[int32]string{}, last: map[string][]byte{}}
		p.wg.Go(pc.up)
		p.wg.Go(pc.down)
	}
}

// proxyConn is one relayed connection: up reads the client's frames,
// down the server's.
type proxyConn struct {
	p              *faultProxy
	client, server net.Conn

	wmu sync.Mutex // serializes writes to client

	mu      sync.Mutex
	pending map[int32]string  // getData xid -> path
	last    map[string][]byte // staleRead: last real getData body per path
	zxid    int64             // last reply zxid relayed
}

func (pc *proxyConn) stop() {
	pc.client.Close()
	pc.server.Close()
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > 1<<20 {
		return nil, errors.New("frame too long")
	}
	b := make([]byte, size)
	_, err := io.ReadFull(r, b)
	return b, err
}

func writeFrame(w io.Writer, b []byte) error {
	out := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(b)), uint32(len(b)))
	_, err := w.Write(append(out, b...))
	return err
}

func (pc *proxyConn) toClient(b []byte) error {
	pc.wmu.Lock()
	defer pc.wmu.Unlock()
	return writeFrame(pc.client, b)
}

// up relays client frames to the server.
func (pc *proxyConn) up() {
	defer pc.stop()
	first := true
	for {
		f, err := readFrame(pc.client)
		if err != nil {
			return
		}
		if first { // ConnectRequest
			first = false
			if writeFrame(pc.server, f) != nil {
				return
			}
			continue
		}
		d := jute.NewDecoder(f)
		var h jute.RequestHeader
		h.Decode(d)
		cutAfter := false
		switch h.Type {
		case jute.OpGetData:
			var req jute.PathWatchRequest
			req.Decode(d)
			pc.mu.Lock()
			pc.pending[h.Xid] = req.Path
			pc.mu.Unlock()
		case jute.OpCreate2, jute.OpSetData, jute.OpDelete:
			n := pc.p.requests.Add(1)
			if pc.p.fault == cut && n%cutEvery == 0 {
				cutAfter = true
			}
			if pc.p.fault == lostWrite && h.Type == jute.OpSetData {
				var req jute.SetDataRequest
				req.Decode(d)
				if req.Version >= 0 && n%dropEvery == 0 {
					pc.mu.Lock()
					zxid := pc.zxid
					pc.mu.Unlock()
					e := jute.NewEncoder(nil)
					(&jute.ReplyHeader{Xid: h.Xid, Zxid: zxid}).Encode(e)
					(&jute.StatResponse{Stat: jute.Stat{Czxid: 1, Mzxid: zxid, Version: req.Version + 1, DataLength: int32(len(req.Data))}}).Encode(e)
					pc.p.injected.Add(1)
					if pc.toClient(e.Bytes()) != nil {
						return
					}
					continue
				}
			}
		}
		if writeFrame(pc.server, f) != nil {
			return
		}
		if cutAfter {
			pc.p.injected.Add(1)
			return
		}
	}
}

// down relays server frames to the client.
func (pc *proxyConn) down() {
	defer pc.stop()
	first := true
	for {
		f, err := readFrame(pc.server)
		if err != nil {
			return
		}
		if first { // ConnectResponse
			first = false
			if pc.toClient(f) != nil {
				return
			}
			continue
		}
		d := jute.NewDecoder(f)
		var h jute.ReplyHeader
		h.Decode(d)
		pc.mu.Lock()
		if h.Xid >= 0 || h.Xid == -1 { // requests and notifications
			pc.zxid = max(pc.zxid, h.Zxid)
		}
		path, isGet := pc.pending[h.Xid]
		delete(pc.pending, h.Xid)
		if isGet && h.Err == jute.ErrOK && pc.p.fault == staleRead {
			body := f[d.Offset():]
			pc.p.mu.Lock()
			old, ok := pc.p.first[path]
			if !ok {
				pc.p.first[path] = bytes.Clone(body)
			}
			pc.p.mu.Unlock()
			seen, saw := pc.last[path]
			pc.last[path] = bytes.Clone(body)
			if ok && saw && !bytes.Equal(seen, old) {
				f = append(f[:d.Offset():d.Offset()], old...)
				pc.p.injected.Add(1)
			}
		}
		pc.mu.Unlock()
		if pc.toClient(f) != nil {
			return
		}
	}
}

func (f fault) String() string {
	return [...]string{"relay", "cut", "staleRead", "lostWrite"}[f]
}
