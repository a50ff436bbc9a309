package server

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/keeper/session"
	"github.com/zkafka/zkafka/internal/keeper/tree"
	"github.com/zkafka/zkafka/internal/keeper/watch"
)

// handshake handles the ConnectRequest that opens every session. It returns
// false when the connection must end.
func (c *conn) handshake(buf []byte) bool {
	s := c.s
	var req jute.ConnectRequest
	d := jute.NewDecoder(buf)
	req.Decode(d)
	if err := d.Err(); err != nil {
		c.log.Warn("closing connection: malformed connect request", "err", err)
		return false
	}
	if !s.serving() {
		if s.readOnly() {
			return c.handshakeReadOnly(&req)
		}
		c.log.Info("refusing session request: no leader is known (the ensemble is electing one, or this server is cut off from it)")
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
	c.addAuth(jute.ID{Scheme: "ip", ID: c.remoteIP})

	if req.SessionID == 0 {
		id := s.nextSessionID()
		passwd := make([]byte, 16)
		rand.Read(passwd)
		c.sessionID = id
		if !c.addPending() {
			return false
		}
		p := &proposal{}
		p.txn = tree.Txn{Session: id, Op: jute.OpCreateSession,
			Body: &tree.CreateSession{Timeout: int32(c.timeout.Milliseconds()), Passwd: passwd}}
		p.done = func(res tree.Result, zxid int64) {
			s.attach(c)
			c.sessionCreated(zxid)
			c.sendConnectResponse(id, passwd)
			c.donePending()
			c.log.Info("established session", "session", sessionHex(id), "timeout", c.timeout, "zxid", fmt.Sprintf("0x%x", zxid))
		}
		s.propose(p)
		return true
	}

	info, ok := s.sessionInfo(req.SessionID)
	if !ok || !bytes.Equal(info.Passwd, req.Passwd) {
		c.log.Info("invalid session: expired or wrong password", "session", sessionHex(req.SessionID))
		c.sendConnectResponse(0, make([]byte, 16))
		c.finish()
		<-c.done
		return false
	}
	c.sessionID = req.SessionID
	s.attach(c)
	c.sendConnectResponse(req.SessionID, info.Passwd)
	c.log.Info("re-established session", "session", sessionHex(req.SessionID), "timeout", c.timeout)
	return true
}

func (c *conn) sendConnectResponse(id int64, passwd []byte) {
	timeout := int32(c.timeout.Milliseconds())
	if id == 0 {
		timeout = 0
	}
	resp := jute.ConnectResponse{TimeOut: timeout, SessionID: id, Passwd: passwd, ReadOnly: c.readOnly}
	var e jute.Encoder
	at := e.BeginFrame()
	resp.Encode(&e)
	e.EndFrame(at)
	c.enqueue(e.Bytes())
}

// writeBody returns an empty request record for an op that changes the
// tree, or nil when op is not such an op.
func writeBody(op jute.OpCode) jute.Record {
	switch op {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer:
		return &jute.CreateRequest{}
	case jute.OpCreateTTL:
		return &jute.CreateTTLRequest{}
	case jute.OpDelete, jute.OpCheck, jute.OpDeleteContainer:
		return &jute.PathVersionRequest{}
	case jute.OpSetData:
		return &jute.SetDataRequest{}
	case jute.OpSetACL:
		return &jute.SetACLRequest{}
	case jute.OpMulti:
		return &jute.MultiRequest{}
	}
	return nil
}

// isWrite reports whether op changes the tree (writeBody has a record for
// it); inlined, it allocates nothing.
func isWrite(op jute.OpCode) bool { return writeBody(op) != nil }

// body is writeBody for p's request, in p's own room for the common
// writes, so that such a write is one allocation.
func (p *proposal) body(op jute.OpCode) jute.Record {
	switch op {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer:
		return &p.bodies.create
	case jute.OpDelete, jute.OpCheck, jute.OpDeleteContainer:
		return &p.bodies.pathVersion
	case jute.OpSetData:
		return &p.bodies.setData
	}
	return writeBody(op)
}

// dispatch decodes and handles one request. An error ends the connection.
func (c *conn) dispatch(buf []byte) error {
	s := c.s
	d := &c.dec
	d.Reset(buf)
	var h jute.RequestHeader
	h.Decode(d)
	if err := d.Err(); err != nil {
		return fmt.Errorf("request header: %w: %w", ErrBadFrame, err)
	}
	if c.sessionClosed.Load() {
		return nil // the session is closed: ignore what the client still sends
	}
	start := time.Now()
	s.stats.outstanding.Add(1)
	if c.readOnly && c.dispatchReadOnly(h, start) {
		return nil
	}

	if isWrite(h.Type) {
		p := &proposal{from: c, xid: h.Xid, start: start}
		body := p.body(h.Type)
		body.Decode(d)
		if err := d.Err(); err != nil {
			s.stats.outstanding.Add(-1)
			return fmt.Errorf("%v request: %w: %w", h.Type, ErrBadFrame, err)
		}
		if !c.addPending() {
			s.stats.outstanding.Add(-1)
			return nil
		}
		p.txn = tree.Txn{Session: c.sessionID, Auth: c.authIDs(), Op: h.Type, Body: body}
		c.propose(p)
		return nil
	}

	switch h.Type {
	case jute.OpCloseSession:
		if !c.addPending() {
			return nil
		}
		p := &proposal{from: c, xid: h.Xid, start: start}
		p.txn = tree.Txn{Session: c.sessionID, Op: jute.OpCloseSession}
		p.done = func(res tree.Result, zxid int64) {
			c.writeApplied(p, res, zxid)
			// Let the client close first, as it does right after reading
			// the reply; closing here first makes Java clients report a
			// spurious Disconnected. The deadline bounds the wait.
			c.setReadDeadline(time.Now().Add(time.Second))
		}
		s.propose(p)
		c.sessionClosed.Store(true)
		return nil
	case jute.OpAuth:
		return c.handleAuth(d, h.Xid)
	}

	// Everything else reads: it waits for this session's earlier writes.
	if !c.waitPending() {
		s.stats.outstanding.Add(-1)
		return nil
	}
	c.deferWake.Store(true)
	zxid, err := c.read(h, d)
	c.deferWake.Store(false)
	c.getData.Data = nil // do not keep the node's data alive
	c.flushInline()
	if err != nil {
		s.stats.outstanding.Add(-1)
		return err
	}
	c.finishRequest(h.Type, h.Xid, zxid, start)
	return nil
}

// propose submits a write request of c's. An event loop serving c
// (c.batching) never waits for the write path: when it cannot take p at
// once, p is held (c.held) for the worker goroutine the loop then hands c
// to, which submits it before anything else.
func (c *conn) propose(p *proposal) {
	if c.batching {
		if w := c.s.tryWrites; w != nil && w.trySubmit(p) {
			return
		}
		c.held = p
		return
	}
	c.s.propose(p)
}

// writeApplied answers a write request of c (p.from) that the commit loop
// applied: it queues the reply without waking the writer (the commit loop
// writes the batch's replies itself afterwards, see commitLoop).
func (c *conn) writeApplied(p *proposal, res tree.Result, zxid int64) {
	c.replyQueued(jute.ReplyHeader{Xid: p.xid, Zxid: zxid, Err: res.Err}, res.Resp)
	c.finishRequest(p.txn.Op, p.xid, zxid, p.start)
	c.donePending()
}

func (c *conn) finishRequest(op jute.OpCode, xid int32, zxid int64, start time.Time) {
	c.s.stats.outstanding.Add(-1)
	now := time.Now()
	c.s.stats.record(op, start, now)
	c.stats.record(op, xid, zxid, start, now)
}

func decodeBody(d *jute.Decoder, op jute.OpCode, r jute.Record) error {
	r.Decode(d)
	if err := d.Err(); err != nil {
		return fmt.Errorf("%v request: %w: %w", op, ErrBadFrame, err)
	}
	return nil
}

// read serves a request that does not change the tree.
func (c *conn) read(h jute.RequestHeader, d *jute.Decoder) (int64, error) {
	s := c.s
	switch h.Type {
	case jute.OpPing:
		zxid := s.lastZxid()
		c.reply(jute.ReplyHeader{Xid: h.Xid, Zxid: zxid}, nil)
		return zxid, nil

	case jute.OpExists:
		req := &c.pathWatch
		*req = jute.PathWatchRequest{}
		return c.readLocked(h, d, req, func(db *database, auth []jute.ID) (jute.Err, jute.Record) {
			st, e := db.tree.Stat(req.Path, auth)
			// ZooKeeper leaves the watch when the node exists or does not,
			// not when the caller may not read it.
			if req.Watch && (e == jute.ErrOK || e == jute.ErrNoNode) {
				db.addWatch(req.Path, watch.KindData, c)
			}
			c.stat = jute.StatResponse{Stat: st}
			return e, &c.stat
		})

	case jute.OpGetData:
		req := &c.pathWatch // the reader's, reused: no allocation per read
		*req = jute.PathWatchRequest{}
		return c.readLocked(h, d, req, func(db *database, auth []jute.ID) (jute.Err, jute.Record) {
			data, st, e := db.tree.GetData(req.Path, auth)
			if e == jute.ErrOK && req.Watch {
				db.addWatch(req.Path, watch.KindData, c)
			}
			c.getData = jute.GetDataResponse{Data: data, Stat: st}
			return e, &c.getData
		})

	case jute.OpGetChildren, jute.OpGetChildren2:
		var req jute.PathWatchRequest
		return c.readLocked(h, d, &req, func(db *database, auth []jute.ID) (jute.Err, jute.Record) {
			kids, st, e := db.tree.Children(req.Path, auth)
			if e == jute.ErrOK && req.Watch {
				db.addWatch(req.Path, watch.KindChild, c)
			}
			if kids == nil {
				kids = []string{}
			}
			if h.Type == jute.OpGetChildren {
				return e, &jute.StringsResponse{Strings: kids}
			}
			return e, &jute.GetChildren2Response{Children: kids, Stat: st}
		})

	case jute.OpGetACL:
		var req jute.PathRequest
		return c.readLocked(h, d, &req, func(db *database, auth []jute.ID) (jute.Err, jute.Record) {
			acl, st, e := db.tree.GetACL(req.Path, auth)
			return e, &jute.GetACLResponse{ACL: acl, Stat: st}
		})

	case jute.OpSync:
		var req jute.PathRequest
		if err := decodeBody(d, h.Type, &req); err != nil {
			return 0, err
		}
		zxid, err := s.syncZxid()
		if err != nil {
			return 0, err
		}
		c.reply(jute.ReplyHeader{Xid: h.Xid, Zxid: zxid}, &jute.PathRequest{Path: req.Path})
		return zxid, nil

	case jute.OpGetEphemerals:
		var req jute.PathRequest
		return c.readLocked(h, d, &req, func(db *database, _ []jute.ID) (jute.Err, jute.Record) {
			eph := db.tree.Ephemerals(c.sessionID, req.Path)
			if eph == nil {
				eph = []string{}
			}
			return jute.ErrOK, &jute.StringsResponse{Strings: eph}
		})

	case jute.OpGetAllChildrenNumber:
		var req jute.PathRequest
		return c.readLocked(h, d, &req, func(db *database, auth []jute.ID) (jute.Err, jute.Record) {
			n, e := db.tree.AllChildrenNumber(req.Path, auth)
			return e, &jute.IntResponse{N: n}
		})

	case jute.OpMultiRead:
		var req jute.MultiRequest
		return c.readLocked(h, d, &req, func(db *database, auth []jute.ID) (jute.Err, jute.Record) {
			resp, e := db.tree.MultiRead(&req, auth)
			return e, resp
		})

	case jute.OpSetWatches, jute.OpSetWatches2:
		req := jute.SetWatches{Two: h.Type == jute.OpSetWatches2}
		return c.readLocked(h, d, &req, func(db *database, _ []jute.ID) (jute.Err, jute.Record) {
			db.setWatches(c, &req, db.tree.LastZxid())
			return jute.ErrOK, nil
		})

	case jute.OpAddWatch:
		var req jute.PathTypeRequest
		return c.readLocked(h, d, &req, func(db *database, _ []jute.ID) (jute.Err, jute.Record) {
			kind, err := watch.AddWatchMode(req.Type).Kind()
			if err != nil {
				return jute.ErrMarshallingError, nil
			}
			db.addWatch(req.Path, kind, c)
			// ZooKeeper answers addWatch with an ErrorResponse body (code 0).
			return jute.ErrOK, &jute.IntResponse{N: 0}
		})

	case jute.OpCheckWatches, jute.OpRemoveWatches:
		var req jute.PathTypeRequest
		return c.readLocked(h, d, &req, func(db *database, _ []jute.ID) (jute.Err, jute.Record) {
			wt := watch.WatcherType(req.Type)
			if !wt.Valid() {
				return jute.ErrMarshallingError, nil
			}
			found := false
			if h.Type == jute.OpCheckWatches {
				found = db.hasWatch(req.Path, wt, c)
			} else {
				found = db.removeWatch(req.Path, wt, c)
			}
			if !found {
				return jute.ErrNoWatcher, nil
			}
			return jute.ErrOK, nil
		})

	case jute.OpWhoAmI:
		zxid := s.lastZxid()
		resp := &jute.WhoAmIResponse{ClientInfo: []jute.ClientInfo{}}
		for _, id := range c.authIDs() {
			user := id.ID
			if id.Scheme == "digest" {
				if i := strings.IndexByte(user, ':'); i >= 0 {
					user = user[:i]
				}
			}
			resp.ClientInfo = append(resp.ClientInfo, jute.ClientInfo{AuthScheme: id.Scheme, User: user})
		}
		c.reply(jute.ReplyHeader{Xid: h.Xid, Zxid: zxid}, resp)
		return zxid, nil

	case jute.OpReconfig:
		return c.reconfig(h, d)
	}

	c.log.Warn("received packet of unknown type", "type", int32(h.Type))
	rh := jute.ReplyHeader{Xid: h.Xid, Zxid: s.lastZxid(), Err: jute.ErrUnimplemented}
	c.reply(rh, nil)
	return rh.Zxid, nil
}

// readLocked decodes a read request into req, then runs fn under the
// database read lock — so a watch it leaves cannot miss a change — with the
// connection's identities, and queues the reply fn returns.
func (c *conn) readLocked(h jute.RequestHeader, d *jute.Decoder, req jute.Record,
	fn func(db *database, auth []jute.ID) (jute.Err, jute.Record)) (int64, error) {
	if err := decodeBody(d, h.Type, req); err != nil {
		return 0, err
	}
	auth := c.authIDs()
	db := c.s.db
	db.mu.RLock()
	defer db.mu.RUnlock()
	zxid := db.tree.LastZxid()
	e, body := fn(db, auth)
	c.reply(jute.ReplyHeader{Xid: h.Xid, Zxid: zxid, Err: e}, body)
	return zxid, nil
}

// handleAuth adds an identity to the connection (xid -4). An unknown
// scheme is answered with AuthFailed and the connection is closed, as
// ZooKeeper does.
func (c *conn) handleAuth(d *jute.Decoder, xid int32) error {
	var ap jute.AuthPacket
	if err := decodeBody(d, jute.OpAuth, &ap); err != nil {
		return err
	}
	c.s.stats.outstanding.Add(-1)
	rh := jute.ReplyHeader{Xid: xid} // the request's xid (-4 from the Java client)
	switch ap.Scheme {
	case "digest":
		id := DigestID(string(ap.Auth))
		c.addAuth(jute.ID{Scheme: "digest", ID: id})
		if c.s.opts.SuperDigest != "" && id == c.s.opts.SuperDigest {
			c.addAuth(jute.ID{Scheme: "super", ID: ""})
		}
	case "ip":
		c.addAuth(jute.ID{Scheme: "ip", ID: c.remoteIP})
	default:
		c.log.Warn("authentication failed: no provider for scheme", "scheme", ap.Scheme)
		rh.Err = jute.ErrAuthFailed
		c.reply(rh, nil)
		c.finish()
		return nil
	}
	c.reply(rh, nil)
	return nil
}

// DigestID turns "user:password" into the digest scheme's id
// "user:base64(sha1(user:password))".
func DigestID(userPassword string) string {
	user, _, _ := strings.Cut(userPassword, ":")
	sum := sha1.Sum([]byte(userPassword))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}
