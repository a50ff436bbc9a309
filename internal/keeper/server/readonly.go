package server

// Read-only mode: ZooKeeper's readonlymode.enabled for an ensemble member
// cut off from the quorum (issue 4, item 4).
//
// A member that knows no leader closes its clients and refuses sessions
// (ensemble.go). With EnsembleOptions.ReadOnly, once it has known no leader
// for ReadOnlyGrace (ZooKeeper: max(2 s, tickTime) after the peer starts
// LOOKING), it becomes a read-only server, as ZooKeeper's
// ReadOnlyZooKeeperServer:
//
//   - A client whose ConnectRequest has readOnly=false is refused (the
//     connection is closed). One with readOnly=true gets a local session:
//     a new id from this server's generator and a random password, never
//     replicated (no entry is proposed) and tracked for expiry by this
//     member only; the ConnectResponse says readOnly=true, so the client
//     reports ConnectedReadOnly. A client that reconnects with such a
//     session id and its password gets it back; a client that presents a
//     global (replicated) session is refused, as ZooKeeper refuses "global
//     session reconnection in RO mode"; an unknown session is answered as
//     expired.
//   - Reads are answered from this member's tree. sync and every write
//     (create, delete, setData, setACL, check, multi, reconfig) are
//     answered with NotReadOnly (ReadOnlyRequestProcessor); closeSession
//     of the local session closes it.
//   - isro answers "ro" (and is allowed by the 4lw whitelist, as ZooKeeper
//     adds it when read-only mode is enabled); srvr and stat print
//     "READ-ONLY mode; serving only read-only clients" after the version
//     and "Mode: read-only"; mntr's zk_server_state is read-only, without
//     the quorum lines (peer_state, quorum_size), and zk_local_sessions
//     counts the read-only sessions.
//   - When a leader is known again the member leaves read-only mode: it
//     closes every read-only connection and forgets the local sessions, so
//     the clients reconnect and get read-write sessions (a client that
//     never saw a read-write server asks for a new session).
//
// This is what Apache ZooKeeper 3.8 does with localSessionsEnabled=true;
// with its default (false) its read-only server cannot create any session
// (it answers the handshake with a NotReadOnly reply header instead of a
// ConnectResponse), which zkafka does not copy: read-only clients are
// served whatever localSessionsEnabled says.

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/keeper/session"
)

// readOnlyMode is an ensemble member's read-only server.
type readOnlyMode struct {
	enabled bool
	grace   time.Duration
	active  atomic.Bool

	// Owned by ensemble.run: the grace period running while no leader is
	// known (nil channel when none runs).
	timer  *time.Timer
	timerC <-chan time.Time

	// mu guards sessions and tracker; it is taken after Server.sessMu,
	// never before.
	mu       sync.Mutex
	sessions map[int64]*roSession // the local read-only sessions
	tracker  *session.Tracker
	nlocal   atomic.Int64 // len(sessions), for mntr
}

// roSession is a local read-only session.
type roSession struct {
	c       *conn // the connection holding it, nil once closed
	passwd  []byte
	timeout time.Duration
}

// defaultReadOnlyGrace is ZooKeeper's grace period before a LOOKING peer
// starts its read-only server: max(2 s, tickTime).
func defaultReadOnlyGrace(tick time.Duration) time.Duration { return max(2*time.Second, tick) }

func (ro *readOnlyMode) init(enabled bool, grace, tick time.Duration) {
	ro.enabled, ro.grace = enabled, grace
	if ro.grace <= 0 {
		ro.grace = defaultReadOnlyGrace(tick)
	}
	ro.sessions = map[int64]*roSession{}
	ro.tracker = session.NewTracker(tick)
}

// readOnly reports whether the server is a read-only server now.
func (s *Server) readOnly() bool { return s.ens != nil && s.ens.ro.active.Load() }

// readOnlyEnabled reports whether the server may become read-only.
func (s *Server) readOnlyEnabled() bool { return s.ens != nil && s.ens.ro.enabled }

// localSessions is mntr's zk_local_sessions: the read-only sessions.
func (s *Server) localSessions() int64 {
	if s.ens == nil {
		return 0
	}
	return s.ens.ro.nlocal.Load()
}

// readOnlyOwners adds the connections holding local read-only sessions
// to m (for cons, stat and dump).
func (s *Server) readOnlyOwners(m map[*conn]sessionOwner) {
	if s.ens == nil || !s.ens.ro.enabled {
		return
	}
	ro := &s.ens.ro
	ro.mu.Lock()
	defer ro.mu.Unlock()
	for id, rs := range ro.sessions {
		if rs.c != nil {
			m[rs.c] = sessionOwner{id: id, timeout: rs.timeout}
		}
	}
}

// roFollow reacts to the leader the quorum reports (from onChange): it
// starts the grace period when none is known, and leaves read-only mode
// when one is.
func (e *ensemble) roFollow(leader uint64) {
	ro := &e.ro
	if !ro.enabled {
		return
	}
	if leader == 0 && !e.removed.Load() {
		if ro.timer == nil && !ro.active.Load() {
			ro.timer = time.NewTimer(ro.grace)
			ro.timerC = ro.timer.C
		}
		return
	}
	e.roStopTimer()
	if ro.active.Load() {
		e.roLeave(fmt.Sprintf("leader %d is known", leader))
	}
}

func (e *ensemble) roStopTimer() {
	ro := &e.ro
	if ro.timer != nil {
		ro.timer.Stop()
		ro.timer, ro.timerC = nil, nil
	}
}

// roGraceOver runs when the grace period ends: still no leader, so the
// member becomes a read-only server.
func (e *ensemble) roGraceOver() {
	ro := &e.ro
	ro.timer, ro.timerC = nil, nil
	if e.node.Status().Leader != 0 || e.removed.Load() {
		return
	}
	if !e.listed() {
		// A member still waiting to join has no tree to serve.
		e.s.log.Info("not becoming read-only: this member is not in the configuration it holds")
		return
	}
	ro.mu.Lock()
	ro.active.Store(true)
	ro.mu.Unlock()
	e.s.log.Warn("read-only mode: no leader known for the grace period; serving read-only clients from the local tree",
		"grace", ro.grace, "zxid", fmt.Sprintf("0x%x", uint64(e.s.lastZxid())))
}

// roLeave ends read-only mode: every read-only connection is closed and
// the local sessions are forgotten.
func (e *ensemble) roLeave(why string) {
	ro := &e.ro
	ro.mu.Lock()
	ro.active.Store(false)
	var cs []*conn
	for _, rs := range ro.sessions {
		if rs.c != nil {
			cs = append(cs, rs.c)
		}
	}
	clear(ro.sessions)
	ro.nlocal.Store(0)
	ro.tracker = session.NewTracker(e.s.opts.TickTime)
	ro.mu.Unlock()
	e.s.log.Info("leaving read-only mode: closing read-only connections so that their clients reconnect read-write",
		"why", why, "connections", len(cs))
	for _, c := range cs {
		c.finish()
	}
}

// roExpire closes the local sessions whose timeout passed.
func (e *ensemble) roExpire(now time.Time) {
	ro := &e.ro
	if !ro.active.Load() {
		return
	}
	var cs []*conn
	ro.mu.Lock()
	for _, id := range ro.tracker.Expired(now) {
		if rs := ro.sessions[id]; rs != nil {
			delete(ro.sessions, id)
			if rs.c != nil {
				cs = append(cs, rs.c)
			}
			e.s.log.Info("expiring read-only session", "session", sessionHex(id))
		}
	}
	ro.nlocal.Store(int64(len(ro.sessions)))
	ro.mu.Unlock()
	for _, c := range cs {
		c.finish()
	}
}

// roTouch renews the local session of c (a packet arrived).
func (e *ensemble) roTouch(c *conn, now time.Time) {
	ro := &e.ro
	ro.mu.Lock()
	if rs := ro.sessions[c.sessionID]; rs != nil && rs.c == c {
		ro.tracker.Touch(c.sessionID, rs.timeout, now)
	}
	ro.mu.Unlock()
}

// handshakeReadOnly is the handshake of a read-only server (see the top of
// this file). It returns false when the connection must end.
func (c *conn) handshakeReadOnly(req *jute.ConnectRequest) bool {
	s := c.s
	ro := &s.ens.ro
	if !req.ReadOnly {
		c.log.Info("refusing session request for a client that did not ask for read-only: this server is in read-only mode")
		return false
	}
	if last := s.lastZxid(); req.LastZxidSeen > last {
		c.log.Info("refusing session request: client has seen a newer zxid; it must try another server",
			"client_zxid", fmt.Sprintf("0x%x", req.LastZxidSeen), "our_zxid", fmt.Sprintf("0x%x", last))
		return false
	}
	s.stats.connRequests.Add(1)
	c.timeout = session.NegotiateTimeout(time.Duration(req.TimeOut)*time.Millisecond,
		s.opts.MinSessionTimeout, s.opts.MaxSessionTimeout)
	c.readOnly = true
	c.addAuth(jute.ID{Scheme: "ip", ID: c.remoteIP})

	id, passwd := req.SessionID, req.Passwd
	if id == 0 {
		id = s.nextSessionID()
		passwd = make([]byte, 16)
		rand.Read(passwd)
	}
	now := time.Now()
	var old *conn
	ro.mu.Lock()
	if !ro.active.Load() {
		ro.mu.Unlock()
		return false // the quorum is back: the client reconnects read-write
	}
	rs := ro.sessions[id]
	switch {
	case req.SessionID == 0:
		rs = &roSession{c: c, passwd: passwd, timeout: c.timeout}
		ro.sessions[id] = rs
	case rs == nil:
		ro.mu.Unlock()
		s.db.mu.RLock()
		_, global := s.db.tree.Session(id)
		s.db.mu.RUnlock()
		if global {
			c.log.Info("refusing global session reconnection in read-only mode", "session", sessionHex(id))
			return false
		}
		c.log.Info("invalid session: expired or unknown to this read-only server", "session", sessionHex(id))
		c.sendConnectResponse(0, make([]byte, 16))
		c.finish()
		<-c.done
		return false
	case !bytes.Equal(rs.passwd, req.Passwd):
		ro.mu.Unlock()
		c.log.Info("invalid session: wrong password", "session", sessionHex(id))
		c.sendConnectResponse(0, make([]byte, 16))
		c.finish()
		<-c.done
		return false
	default:
		old, rs.c, rs.timeout = rs.c, c, c.timeout
	}
	ro.tracker.Touch(id, c.timeout, now)
	ro.nlocal.Store(int64(len(ro.sessions)))
	c.sessionID = id
	ro.mu.Unlock()
	if old != nil && old != c {
		old.finish()
	}
	c.sendConnectResponse(id, passwd)
	c.log.Info("established read-only session", "session", sessionHex(id), "timeout", c.timeout)
	return true
}

// dispatchReadOnly handles the requests a read-only session may not send
// to the tree: writes and sync get NotReadOnly, closeSession closes the
// local session. It reports whether it handled the request; reads go on
// the usual way.
func (c *conn) dispatchReadOnly(h jute.RequestHeader, start time.Time) bool {
	s := c.s
	switch {
	case h.Type == jute.OpCloseSession:
		if s.ens != nil {
			ro := &s.ens.ro
			ro.mu.Lock()
			if rs := ro.sessions[c.sessionID]; rs != nil && rs.c == c {
				delete(ro.sessions, c.sessionID)
				ro.tracker.Remove(c.sessionID)
				ro.nlocal.Store(int64(len(ro.sessions)))
			}
			ro.mu.Unlock()
		}
		zxid := s.lastZxid()
		c.reply(jute.ReplyHeader{Xid: h.Xid, Zxid: zxid}, nil)
		c.sessionClosed.Store(true)
		c.finishRequest(h.Type, h.Xid, zxid, start)
		// As for a replicated session: the client closes first.
		c.nc.SetReadDeadline(time.Now().Add(time.Second))
		return true
	case writeBody(h.Type) != nil, h.Type == jute.OpSync, h.Type == jute.OpReconfig,
		h.Type == jute.OpCreateSession:
		zxid := s.lastZxid()
		c.reply(jute.ReplyHeader{Xid: h.Xid, Zxid: zxid, Err: jute.ErrNotReadOnly}, nil)
		c.finishRequest(h.Type, h.Xid, zxid, start)
		return true
	}
	return false
}
