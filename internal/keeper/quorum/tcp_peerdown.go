package quorum

import (
	"errors"
	"net"
	"syscall"
	"time"
)

var (
	// errPeerClosed ends a writeLoop whose connection the peer closed.
	errPeerClosed = errors.New("quorum: the peer closed the connection")
	// errTransportClosed ends a probe when the transport or the peer is
	// being closed.
	errTransportClosed = errors.New("quorum: transport closed")
)

// watchClosed reads the outbound stream connection c until it ends and then
// closes the returned channel. The peer never writes on it, so a read
// returns only when the peer closed it (its process exited or restarted, or
// it refused the hello) or when c was closed here. Without this watch an
// idle connection, such as a follower's to another follower (raft sends
// them nothing), whose peer restarted looks healthy until a write to it
// fails: the first message written to it is lost, and when that is a vote
// or a vote answer, the election waits for raft's election timeout.
func (t *TCP) watchClosed(c net.Conn) <-chan struct{} {
	done := make(chan struct{})
	t.wg.Go(func() { // ends when c is closed, here or by the peer
		defer close(done)
		var b [64]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				return
			}
		}
	})
	return done
}

// peerDownProbes are the pauses before each connection attempt that checks
// whether a peer whose connection ended is gone. The later attempts cover a
// process that is exiting: its connections may close a moment before its
// listener does.
var peerDownProbes = [...]time.Duration{0, 20 * time.Millisecond, 80 * time.Millisecond}

// peerLost is called when a stream connection to or from peer id ended
// other than by this transport's shutdown. It probes the peer's quorum port
// on a tracked goroutine (one probe per peer at a time) and, when the port
// refuses connections, reports the peer down to a Handler that implements
// PeerDownHandler. A peer that accepts the probe is alive (a network blip);
// one that does not answer at all may be partitioned and is left to raft's
// election timeout.
func (t *TCP) peerLost(id uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.peers[id]
	if t.closed || p == nil {
		return
	}
	if _, ok := t.h.(PeerDownHandler); !ok {
		return
	}
	if !p.probing.CompareAndSwap(false, true) {
		return
	}
	t.wg.Go(func() {
		defer p.probing.Store(false)
		refused, err := t.probeRefused(p)
		if !refused {
			if errors.Is(err, errTransportClosed) {
				return
			}
			t.log.Info("quorum: a peer's connection ended but its port did not refuse a connection: leaving it to the election timeout", "peer", id, "probe", err)
			return
		}
		t.log.Info("quorum: peer is down: its connection ended and its port refuses connections", "peer", id)
		if h, ok := t.handler().(PeerDownHandler); ok {
			h.ReportPeerDown(id)
		}
	})
}

// probeRefused dials the peer a few times and says whether it refused a
// connection; when it did not, err says what the last probe met (nil: the
// peer accepted it). Accepted probe connections are closed at once,
// before any hello: the peer drops them.
func (t *TCP) probeRefused(p *peer) (refused bool, err error) {
	var last error
	for _, wait := range peerDownProbes {
		if wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-t.stop:
				timer.Stop()
				return false, errTransportClosed
			case <-p.stop:
				timer.Stop()
				return false, errTransportClosed
			}
		}
		p.mu.Lock()
		addr := p.addr
		p.mu.Unlock()
		d := net.Dialer{Timeout: t.opts.DialTimeout}
		c, err := d.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		switch probeVerdict(err) {
		case verdictRefused:
			return true, nil
		case verdictNoAnswer:
			return false, err
		}
		last = err
	}
	return false, last
}

// Probe verdicts: what one connection attempt says about a peer.
const (
	verdictAgain    = iota // it accepted (alive, or not yet closed), or reset the attempt: probe again
	verdictRefused         // its port refuses connections: the process is gone
	verdictNoAnswer        // no answer (a timeout, no route): perhaps a partition
)

// probeVerdict classifies a probe's dial error. A reset during connect
// (ECONNRESET) means the attempt reached a listening socket that closed
// before accepting it: a process that is exiting. Seen on loopback while a
// SIGKILLed leader's sockets were being closed (one survivor's probe in a
// 30-round failover run); taken for "no answer", it left this member out
// of the fast failover.
func probeVerdict(err error) int {
	switch {
	case err == nil, errors.Is(err, syscall.ECONNRESET):
		return verdictAgain
	case errors.Is(err, syscall.ECONNREFUSED):
		return verdictRefused
	default:
		return verdictNoAnswer
	}
}
