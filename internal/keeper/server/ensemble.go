package server

// The ensemble write path: the server as one member of a raft quorum
// (package quorum), as issue 4 describes.
//
// # Writes
//
// The connection goroutine proposes a write (s.propose → ensemble.submit):
// the entry carries the txn with the proposer's time and a request id
// (this server's id, its incarnation, a local sequence number). Raft
// replicates it; once a majority has it durable, every member applies it
// in log order (Apply, on the quorum node's goroutine) under db.mu with
// zxid = the entry's Zxid(), fires the watches it triggers, and the member
// whose request id it is runs the proposal's done callback, which answers
// the client. A proposal that never comes back (lost in a leader change, a
// dropped message, no leader) is failed when the raft term changes, when
// Propose refuses it, or after ProposalTimeout: the client's connection is
// closed, so the client reconnects (ConnectionLoss: the outcome is
// unknown, as with ZooKeeper), and the done callback runs with
// ConnectionLoss (its reply is dropped with the connection). A lost
// createSession is simply forgotten: the client times its handshake out
// and connects again. A txn entry whose request id was applied already (a
// duplicated message) is skipped by every member: the dedup table of
// ensemble_dedup.go, part of the replicated state and of its snapshots
// (whose format, version 2, is documented there).
//
// # Reads and sync
//
// Reads are served from this member's tree, after the session's earlier
// writes were applied here (the connection's pending count). sync is raft's
// ReadIndex followed by WaitApplied on this member: a read after it sees
// every write committed before the sync.
//
// # Sessions
//
// createSession and closeSession are entries. Every member's tracker learns
// a session when its createSession is applied and forgets it when its
// closeSession is. Only the leader expires sessions (proposing
// closeSession). Followers and observers tell the leader which sessions are
// alive: every tickTime/2 each of them proposes one touch entry listing the
// sessions of its connections that had traffic (or connected) since the
// previous round; every member's tracker applies it, so a new leader
// already knows who was alive, and a member that becomes leader still gives
// every session a fresh timeout. A touch entry changes nothing in the tree:
// it only advances the applied zxid (as configuration changes and a new
// leader's empty entry do), which pings report and the reconnect check
// compares with, so zxids stay consistent between members. A client may
// reconnect to any member with its id and password; a member that does not
// know the session yet syncs with the leader before refusing it.
//
// # Availability
//
// A member that knows no leader (an election is running, or it is cut off
// from a majority) closes its client connections and refuses new sessions,
// as a ZooKeeper server does when it loses its leader, so clients move to a
// member of the majority; four-letter words keep working. With read-only
// mode enabled it serves read-only clients after a grace period
// (readonly.go). Membership changes (reconfig, /zookeeper/config) are in
// reconfig.go.
//
// # Files
//
//	<dataDir>/quorum/snap/        snapshots (tree + sessions + membership)
//	<dataLogDir>/quorum/wal/      the raft log (txns, session entries)
//	<dataLogDir>/quorum/raftstate the raft HardState and bootstrap members
//
// The standalone server's log and snapshots (<dataLogDir>/wal,
// <dataDir>/snap) are not read by an ensemble member.
//
// # Entry format (frozen)
//
//	format u8 = 1 | kind u8 | proposer u64 | incarnation u64 | seq u64 | body
//	kind 1 (txn):   body = tree.Txn encoding (its zxid is ignored: the entry's)
//	kind 2 (touch): body = count u32 | count × session id u64
//
// All integers big-endian. The incarnation is random per run and even;
// servers from before the dedup table (ensemble_dedup.go) used odd ones.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkafka/zkafka/internal/config"
	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/keeper/quorum"
	"github.com/zkafka/zkafka/internal/keeper/session"
	"github.com/zkafka/zkafka/internal/keeper/storage"
	"github.com/zkafka/zkafka/internal/keeper/tree"
)

// EnsembleOptions make a server one member of a replicated ensemble.
type EnsembleOptions struct {
	// ID is this member's id (myid); not 0.
	ID uint64
	// Members is the ensemble (server.N lines), this member included;
	// observers are raft learners.
	Members []quorum.Member
	// PeerAddr is the address to listen on for the other members
	// (host:quorumPort) when Transport is nil.
	PeerAddr string
	// Transport carries raft messages; nil makes a TCP transport on
	// PeerAddr.
	Transport quorum.Transport
	// InitLimit and SyncLimit are ZooKeeper's (in ticks); defaults
	// quorum.DefaultInitLimit and quorum.DefaultSyncLimit.
	InitLimit, SyncLimit int
	// ProposalTimeout is how long a write, sync or session check may wait
	// for the quorum before the client's connection is closed (default
	// SyncLimit × TickTime).
	ProposalTimeout time.Duration
	// CompactionSlack is how many entries before a snapshot stay in the
	// raft log for members slightly behind (quorum.DefaultCompactionSlack);
	// a member further behind is sent the snapshot.
	CompactionSlack uint64
	// ReadOnly is ZooKeeper's readonlymode.enabled: a member that knows
	// no leader for ReadOnlyGrace serves read-only clients (readonly.go).
	ReadOnly bool
	// ReadOnlyGrace is how long a member waits without a leader before it
	// becomes read-only (default max(2 s, TickTime), as ZooKeeper).
	ReadOnlyGrace time.Duration
	// Servers are the server.N lines of the configuration, which give
	// /zookeeper/config the election and client addresses of the initial
	// members (reconfig.go). Members without a line are shown with the
	// peer address only.
	Servers []config.Server
	// Join makes a fresh member start with no membership and wait to be
	// added by a reconfig of the running ensemble (quorum.Config.Join),
	// instead of starting a new ensemble with Members.
	Join bool
	// StandaloneEnabled is zoo.cfg's standaloneEnabled: reconfig then
	// refuses a configuration of fewer than two voters, as ZooKeeper does.
	StandaloneEnabled bool
}

// Entry kinds and layout; see the comment at the top of this file.
const (
	entryFormat    = 1
	entryTxn       = 1
	entryTouch     = 2
	entryHeaderLen = 2 + 3*8
)

// pendingWrite is a proposal of this member waiting for its entry.
type pendingWrite struct {
	p        *proposal
	term     uint64
	deadline time.Time
}

// ensemble is the write path of an ensemble member, and the quorum's
// Applier.
type ensemble struct {
	s       *Server
	node    *quorum.Node
	id      uint64
	inc     uint64 // incarnation: request ids of an earlier run never match
	timeout time.Duration

	// proposeMu orders proposals: seqs reach raft in the order assigned
	// (the dedup table relies on it: ensemble_dedup.go).
	proposeMu sync.Mutex
	seq       atomic.Uint64
	mu        sync.Mutex
	pending   map[uint64]*pendingWrite

	syncs       atomic.Int64 // syncs in progress
	leaderSince atomic.Int64 // unix ms this member became leader, 0 when it is not

	// Owned by Apply (the quorum node's goroutine).
	flush    []*conn
	flushGen uint64
	dedup    dedupTable // replicated: ensemble_dedup.go

	// Owned by run.
	last      quorum.Status
	lastRound int64 // unix ns of the previous touch round

	ro      readOnlyMode   // readonly.go
	removed atomic.Bool    // a reconfig removed this member
	cfg     ensembleConfig // reconfig.go
}

var _ quorum.Applier = (*ensemble)(nil)
var _ writePath = (*ensemble)(nil)

// openEnsemble prepares an ensemble member: an empty tree that the quorum
// fills (from its snapshot and log) and the quorum node itself.
func (s *Server) openEnsemble() error {
	o := s.opts.Ensemble
	if o.ID == 0 {
		return errors.New("server: Ensemble.ID must not be 0")
	}
	if o.InitLimit <= 0 {
		o.InitLimit = quorum.DefaultInitLimit
	}
	if o.SyncLimit <= 0 {
		o.SyncLimit = quorum.DefaultSyncLimit
	}
	if o.ProposalTimeout <= 0 {
		o.ProposalTimeout = time.Duration(o.SyncLimit) * s.opts.TickTime
	}
	voters := 0
	for _, m := range o.Members {
		if !m.Learner {
			voters++
		}
	}
	if voters%2 == 0 {
		s.log.Warn("an ensemble of an even number of voting servers tolerates no more failures than one with a server fewer",
			"voters", voters, "tolerates", (voters-1)/2)
	}
	if s.opts.ServerID == 0 {
		s.opts.ServerID = int64(o.ID)
		s.gen = session.NewGenerator(s.opts.ServerID, time.Now())
	}
	s.db = newDatabase(tree.New(tree.Options{ExtendedTypes: s.opts.ExtendedTypes}))
	dataDir := filepath.Join(s.opts.DataDir, "quorum")
	logDir := filepath.Join(s.opts.DataLogDir, "quorum")
	snaps, err := storage.OpenSnapshots(storage.OSFS{}, dataDir, storage.SnapshotOptions{Logger: s.log})
	if err != nil {
		return fmt.Errorf("server: opening snapshots in %s: %w", dataDir, err)
	}
	s.snaps = snaps
	tr := o.Transport
	if tr == nil {
		tcp, err := quorum.NewTCP(quorum.TCPOptions{
			ID: o.ID, ListenAddr: o.PeerAddr, Logger: s.log,
			SnapshotTimeout: quorum.SnapshotTimeout(s.opts.TickTime, o.InitLimit),
		})
		if err != nil {
			return err
		}
		tr = tcp
	}
	e := &ensemble{
		s: s, id: o.ID, inc: newIncarnation(), timeout: o.ProposalTimeout,
		pending: map[uint64]*pendingWrite{},
	}
	e.ro.init(o.ReadOnly, o.ReadOnlyGrace, s.opts.TickTime)
	e.cfg.init(o)
	s.ens, s.writes = e, e
	start := time.Now()
	node, err := quorum.Start(quorum.Config{
		ID: o.ID, Members: o.Members, Join: o.Join, TickTime: s.opts.TickTime,
		InitLimit: o.InitLimit, SyncLimit: o.SyncLimit,
		DataDir: dataDir, LogDir: logDir,
		// Records overwrite zeroed, allocated blocks: fdatasync then has
		// no file size or block map to write (about twice as fast).
		WAL:       storage.WALOptions{Logger: s.log, Preallocate: true},
		Transport: tr, Applier: e,
		SnapCount: uint64(s.opts.SnapCount), SnapRetainCount: s.opts.SnapRetainCount,
		CompactionSlack: o.CompactionSlack,
		Logger:          s.log,
	})
	if err != nil {
		if o.Transport == nil {
			tr.Close()
		}
		return fmt.Errorf("server: starting the quorum member: %w", err)
	}
	e.node = node
	s.stats.dbInit.add(time.Since(start).Milliseconds(), false)
	st := node.Status()
	s.log.Info("ensemble member started", "id", o.ID, "members", len(st.Members), "applied", st.Applied,
		"zxid", fmt.Sprintf("0x%x", uint64(s.lastZxid())), "dataDir", dataDir, "logDir", logDir)
	return nil
}

func appendEntryHeader(b []byte, kind byte, proposer, inc, seq uint64) []byte {
	b = append(b, entryFormat, kind)
	b = binary.BigEndian.AppendUint64(b, proposer)
	b = binary.BigEndian.AppendUint64(b, inc)
	return binary.BigEndian.AppendUint64(b, seq)
}

type entryHeader struct {
	kind               byte
	proposer, inc, seq uint64
}

// errBadEntry is wrapped by errors about entries this version cannot read.
var errBadEntry = errors.New("server: malformed replicated entry")

func decodeEntryHeader(b []byte) (entryHeader, []byte, error) {
	if len(b) < entryHeaderLen {
		return entryHeader{}, nil, fmt.Errorf("%d bytes: %w", len(b), errBadEntry)
	}
	if b[0] != entryFormat {
		return entryHeader{}, nil, fmt.Errorf("format %d: %w", b[0], errBadEntry)
	}
	h := entryHeader{kind: b[1], proposer: binary.BigEndian.Uint64(b[2:]),
		inc: binary.BigEndian.Uint64(b[10:]), seq: binary.BigEndian.Uint64(b[18:])}
	return h, b[entryHeaderLen:], nil
}

// submit implements writePath: propose the txn to the quorum. The seq is
// assigned and the entry enqueued under proposeMu, so this member's
// entries reach the log in seq order (ensemble_dedup.go).
func (e *ensemble) submit(p *proposal) {
	s := e.s
	now := time.Now()
	p.txn.Time = now.UnixMilli()
	var enc jute.Encoder
	enc.SetBytes(appendEntryHeader(make([]byte, 0, 128), entryTxn, e.id, e.inc, 0))
	p.txn.Encode(&enc)
	data := enc.Bytes()
	pw := &pendingWrite{p: p, term: e.node.Status().Term, deadline: now.Add(e.timeout)}
	e.proposeMu.Lock()
	seq := e.seq.Add(1)
	binary.BigEndian.PutUint64(data[18:], seq)
	e.mu.Lock()
	e.pending[seq] = pw
	e.mu.Unlock()
	err := e.node.Enqueue(s.ctx, data, func(err error) { e.fail(seq, err) })
	e.proposeMu.Unlock()
	if err != nil {
		e.fail(seq, err)
	}
}

// take removes and returns the pending write with sequence seq.
func (e *ensemble) take(seq uint64) *pendingWrite {
	e.mu.Lock()
	defer e.mu.Unlock()
	pw := e.pending[seq]
	delete(e.pending, seq)
	return pw
}

// fail gives up on a pending write (see failProposal).
func (e *ensemble) fail(seq uint64, why error) {
	if pw := e.take(seq); pw != nil {
		e.failProposal(pw.p, why)
	}
}

// failProposal gives up on a proposal whose entry did not come back: the
// client's connection is closed (it reconnects and sees ConnectionLoss)
// and the done callback runs with ConnectionLoss for its bookkeeping.
func (e *ensemble) failProposal(p *proposal, why error) {
	s := e.s
	if e.dropProposal(p, why) {
		s.db.mu.Lock()
		answer(p, tree.Result{Err: jute.ErrConnectionLoss}, s.lastZxid())
		s.db.mu.Unlock()
	}
}

// dropProposal is failProposal but for the answer: it reports whether the
// proposal still needs one (answered with ConnectionLoss under db.mu).
func (e *ensemble) dropProposal(p *proposal, why error) bool {
	s := e.s
	txn := &p.txn
	if s.ctx.Err() != nil {
		return false
	}
	s.log.Info("write not committed; closing the client's connection so that it retries",
		"session", sessionHex(txn.Session), "op", txn.Op.String(), "err", why)
	switch {
	case txn.Op == jute.OpCreateSession:
		// No connection holds the session yet: the client times out its
		// handshake and connects again.
		return false
	case p.done == nil && p.from == nil:
		if txn.Op == jute.OpCloseSession { // an expiry: try again next round
			s.sessMu.Lock()
			if s.closing[txn.Session] {
				delete(s.closing, txn.Session)
				s.tracker.Touch(txn.Session, 0, time.Now())
			}
			s.sessMu.Unlock()
		}
		return false
	}
	c := p.from
	if c == nil {
		s.sessMu.Lock()
		c = s.bySession[txn.Session]
		s.sessMu.Unlock()
	}
	if c != nil {
		c.finish()
	}
	return true
}

// answer runs what a proposal asks for once its txn is applied (or has
// failed): done, or the reply to its connection's request. The caller
// holds db.mu.
func answer(p *proposal, res tree.Result, zxid int64) {
	switch {
	case p.done != nil:
		p.done(res, zxid)
	case p.from != nil:
		p.from.writeApplied(p, res, zxid)
	}
}

// run implements writePath: it follows the quorum's changes, fails lost
// proposals, and every tickTime/2 expires sessions (leader) or reports the
// live ones (follower, observer).
func (e *ensemble) run() {
	s := e.s
	t := time.NewTicker(s.opts.TickTime / 2)
	defer t.Stop()
	e.lastRound = time.Now().UnixNano()
	defer e.roStopTimer()
	e.onChange()
	for {
		select {
		case <-e.node.Changes():
			e.onChange()
		case <-e.ro.timerC:
			e.roGraceOver()
		case now := <-t.C:
			e.failExpired(now)
			e.roExpire(now)
			if e.last.Role == quorum.RoleLeader {
				e.expireSessions(now)
			} else if e.last.Leader != 0 {
				e.sendTouches(now)
			}
		case <-e.node.Done():
			s.fail(fmt.Errorf("server: the quorum member stopped: %w", e.node.Err()))
			return
		case <-s.ctx.Done():
			return
		}
	}
}

// close implements writePath.
func (e *ensemble) close() error { return e.node.Close() }

// onChange reacts to a new leader, term or role.
func (e *ensemble) onChange() {
	s := e.s
	prev, st := e.last, e.node.Status()
	e.last = st
	if st.Term != prev.Term {
		e.failOlderThan(st.Term)
	}
	if st.Leader == 0 && prev.Leader != 0 {
		s.log.Warn("lost the leader: closing client connections until one is elected", "term", st.Term)
		e.dropClients()
	}
	if st.Role == quorum.RoleLeader && prev.Role != quorum.RoleLeader {
		e.leaderSince.Store(time.Now().UnixMilli())
		e.renewSessions()
		s.log.Info("leading", "term", st.Term, "zxid", fmt.Sprintf("0x%x", uint64(s.lastZxid())))
	} else if st.Role != quorum.RoleLeader {
		e.leaderSince.Store(0)
	}
	if st.Leader != prev.Leader && st.Leader != 0 && st.Leader != e.id {
		s.log.Info("following", "leader", st.Leader, "term", st.Term, "role", st.Role.String())
	}
	e.cfgFollow()
	e.roFollow(st.Leader)
}

// failOlderThan fails the proposals made before term: a new leader may
// not carry them.
func (e *ensemble) failOlderThan(term uint64) {
	var lost []*pendingWrite
	e.mu.Lock()
	for seq, pw := range e.pending {
		if pw.term < term {
			lost = append(lost, pw)
			delete(e.pending, seq)
		}
	}
	e.mu.Unlock()
	for _, pw := range lost {
		e.failProposal(pw.p, fmt.Errorf("raft term changed to %d", term))
	}
}

// failExpired fails the proposals older than ProposalTimeout.
func (e *ensemble) failExpired(now time.Time) {
	var lost []*pendingWrite
	e.mu.Lock()
	for seq, pw := range e.pending {
		if now.After(pw.deadline) {
			lost = append(lost, pw)
			delete(e.pending, seq)
		}
	}
	e.mu.Unlock()
	for _, pw := range lost {
		e.failProposal(pw.p, fmt.Errorf("not committed within %v", e.timeout))
	}
}

// dropClients closes every client connection.
func (e *ensemble) dropClients() {
	s := e.s
	s.connMu.Lock()
	cs := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	s.connMu.Unlock()
	for _, c := range cs {
		c.finish()
	}
}

// renewSessions gives every session a fresh timeout (a new leader).
func (e *ensemble) renewSessions() {
	s := e.s
	s.db.mu.RLock()
	sessions := s.db.tree.Sessions()
	s.db.mu.RUnlock()
	now := time.Now()
	s.sessMu.Lock()
	clear(s.closing)
	for id, info := range sessions {
		s.tracker.Touch(id, time.Duration(info.Timeout)*time.Millisecond, now)
	}
	s.sessMu.Unlock()
}

// expireSessions proposes closeSession for the sessions whose timeout
// passed (the leader's part of server.go's expiryLoop).
func (e *ensemble) expireSessions(now time.Time) {
	s := e.s
	s.sessMu.Lock()
	var todo []int64
	for _, id := range s.tracker.Expired(now) {
		if !s.closing[id] {
			s.closing[id] = true
			todo = append(todo, id)
		}
	}
	s.sessMu.Unlock()
	for _, id := range todo {
		s.log.Info("expiring session", "session", sessionHex(id))
		s.stats.expired.Add(1)
		s.propose(&proposal{txn: tree.Txn{Session: id, Op: jute.OpCloseSession}})
	}
}

// sendTouches proposes a touch entry for the sessions of this member's
// connections that had traffic (or connected) since the previous round.
func (e *ensemble) sendTouches(now time.Time) {
	s := e.s
	cutoff := e.lastRound
	e.lastRound = now.UnixNano()
	b := appendEntryHeader(nil, entryTouch, e.id, e.inc, 0)
	at := len(b)
	b = append(b, 0, 0, 0, 0)
	n := uint32(0)
	s.sessMu.Lock()
	for id, c := range s.bySession {
		if max(c.lastTouch.Load(), c.started.UnixNano()) >= cutoff && !s.closing[id] {
			b = binary.BigEndian.AppendUint64(b, uint64(id))
			n++
		}
	}
	s.sessMu.Unlock()
	if n == 0 {
		return
	}
	binary.BigEndian.PutUint32(b[at:], n)
	if err := e.node.Propose(s.ctx, b); err != nil {
		s.log.Debug("session touches not proposed", "sessions", n, "err", err)
	}
}

// Apply implements quorum.Applier: committed entries in log order.
func (e *ensemble) Apply(ents []quorum.Entry) {
	s := e.s
	now := time.Now()
	e.flushGen++
	flush := e.flush[:0]
	s.db.mu.Lock()
	for _, ent := range ents {
		zxid := ent.Zxid()
		if ent.Conf != nil {
			e.applyConf(ent, now)
			s.lastZxidA.Store(zxid)
			continue
		}
		if len(ent.Data) == 0 {
			s.lastZxidA.Store(zxid)
			continue
		}
		h, body, err := decodeEntryHeader(ent.Data)
		if err == nil && h.kind == entryTouch {
			err = e.applyTouch(body, now)
		} else if err == nil && h.kind == entryTxn && !e.dedup.admit(h.proposer, h.inc, h.seq) {
			e.skipDuplicate(h, zxid)
		} else if err == nil && h.kind == entryTxn {
			var txn *tree.Txn
			if txn, err = tree.DecodeTxn(body); err == nil {
				txn.Zxid = zxid
				if c := e.applyTxn(txn, h, now); c != nil && c.flushGen != e.flushGen {
					c.flushGen = e.flushGen
					flush = append(flush, c)
				}
			}
		} else if err == nil {
			err = fmt.Errorf("kind %d: %w", h.kind, errBadEntry)
		}
		if err != nil {
			// Every member skips the same entry: the replicas stay equal.
			s.log.Error("skipping an entry this version cannot apply", "index", ent.Index, "zxid", fmt.Sprintf("0x%x", uint64(zxid)), "err", err)
		}
		s.lastZxidA.Store(zxid)
	}
	s.db.mu.Unlock()
	// Replies to this member's requests were queued without waking the
	// connections' writers: write them now, one write per connection.
	for _, c := range flush {
		c.flushNow()
	}
	clear(flush)
	e.flush = flush
}

// applyTxn applies one txn entry and answers it when this member proposed
// it, returning the connection the reply was queued on (or nil). The
// caller holds db.mu.
func (e *ensemble) applyTxn(txn *tree.Txn, h entryHeader, now time.Time) *conn {
	s := e.s
	res := s.db.tree.Apply(txn)
	if txn.Op == jute.OpCreateSession && res.Err == jute.ErrOK {
		if cs, ok := txn.Body.(*tree.CreateSession); ok {
			s.sessMu.Lock()
			s.tracker.Touch(txn.Session, time.Duration(cs.Timeout)*time.Millisecond, now)
			s.sessMu.Unlock()
		}
	}
	s.afterApply(txn, res)
	s.db.fire(res.Events, txn.Zxid)
	s.lastZxidA.Store(txn.Zxid)
	if h.proposer != e.id || h.inc != e.inc {
		return nil
	}
	pw := e.take(h.seq)
	if pw == nil {
		return nil
	}
	pw.p.txn.Zxid = txn.Zxid
	answer(pw.p, res, txn.Zxid)
	return pw.p.from
}

// skipDuplicate handles a txn entry the dedup table refused: a copy of an
// entry already applied (its proposal was answered then), or one overtaken
// by a later proposal of the same member. When it is this member's and
// still pending, the client's connection is closed: nothing happened. The
// caller holds db.mu.
func (e *ensemble) skipDuplicate(h entryHeader, zxid int64) {
	s := e.s
	s.log.Debug("skipping a duplicate txn entry", "zxid", fmt.Sprintf("0x%x", uint64(zxid)),
		"proposer", h.proposer, "seq", h.seq)
	if h.proposer != e.id || h.inc != e.inc {
		return
	}
	pw := e.take(h.seq)
	if pw == nil {
		return
	}
	if e.dropProposal(pw.p, errors.New("overtaken in the log by a later proposal of this member")) {
		answer(pw.p, tree.Result{Err: jute.ErrConnectionLoss}, s.lastZxid())
	}
}

// applyTouch renews the listed sessions. The caller holds db.mu.
func (e *ensemble) applyTouch(body []byte, now time.Time) error {
	s := e.s
	if len(body) < 4 {
		return fmt.Errorf("touch of %d bytes: %w", len(body), errBadEntry)
	}
	n := binary.BigEndian.Uint32(body)
	body = body[4:]
	if uint64(n)*8 != uint64(len(body)) {
		return fmt.Errorf("touch of %d sessions in %d bytes: %w", n, len(body), errBadEntry)
	}
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	for i := range int(n) {
		id := int64(binary.BigEndian.Uint64(body[8*i:]))
		if info, ok := s.db.tree.Session(id); ok && !s.closing[id] {
			s.tracker.Touch(id, time.Duration(info.Timeout)*time.Millisecond, now)
		}
	}
	return nil
}

// Snapshot implements quorum.Applier: freeze the tree (copy-on-write).
func (e *ensemble) Snapshot() (func(io.Writer) error, error) {
	s := e.s
	s.db.mu.Lock()
	f := s.db.tree.Snapshot()
	s.db.mu.Unlock()
	head := e.dedup.appendSnapshotHead(nil)
	return func(w io.Writer) error {
		start := time.Now()
		if _, err := w.Write(head); err != nil {
			return fmt.Errorf("server: writing the dedup table: %w", err)
		}
		if _, err := f.WriteTo(w); err != nil {
			return fmt.Errorf("server: writing the tree: %w", err)
		}
		s.stats.snapshotTaken(time.Since(start))
		return nil
	}, nil
}

// Restore implements quorum.Applier: replace the tree with a snapshot's.
// No watch fires; clients that reconnect resend their watches.
func (e *ensemble) Restore(index, term uint64, r io.Reader) error {
	s := e.s
	br := bufio.NewReaderSize(r, 256<<10)
	dedup, err := readSnapshotHead(br)
	if errors.Is(err, errNewerEnsembleSnapshot) { // not damage: this server is too old (ensemble_dedup.go)
		return fmt.Errorf("server: restoring the snapshot at index %d: %w", index, err)
	}
	if err != nil {
		return fmt.Errorf("server: restoring the dedup table at index %d: %w: %w", index, storage.ErrCorrupt, err)
	}
	t, err := tree.Restore(br, tree.Options{ExtendedTypes: s.opts.ExtendedTypes})
	if err != nil {
		return fmt.Errorf("server: restoring the tree at index %d: %w: %w", index, storage.ErrCorrupt, err)
	}
	s.db.mu.Lock()
	e.dedup = dedup
	s.db.tree = t
	s.lastZxidA.Store(quorum.Zxid(term, index))
	sessions := t.Sessions()
	s.db.mu.Unlock()
	now := time.Now()
	var orphans []*conn
	s.sessMu.Lock()
	for id, info := range sessions {
		s.tracker.Touch(id, time.Duration(info.Timeout)*time.Millisecond, now)
	}
	for id, c := range s.bySession {
		if _, ok := sessions[id]; !ok {
			orphans = append(orphans, c)
			delete(s.bySession, id)
		}
	}
	s.sessMu.Unlock()
	for _, c := range orphans {
		c.finish()
	}
	s.log.Info("restored the tree from a snapshot", "index", index, "term", term, "nodes", t.NodeCount(), "sessions", len(sessions))
	return nil
}

// sync waits until this member has applied every entry committed before
// the call (ZooKeeper's sync: ReadIndex, then WaitApplied).
func (e *ensemble) sync(ctx context.Context) error {
	e.syncs.Add(1)
	defer e.syncs.Add(-1)
	idx, err := e.node.ReadIndex(ctx)
	if err != nil {
		return err
	}
	return e.node.WaitApplied(ctx, idx)
}

// sessionInfoSynced looks a session up after syncing with the leader.
func (e *ensemble) sessionInfoSynced(id int64) (tree.SessionInfo, bool) {
	s := e.s
	ctx, cancel := context.WithTimeout(s.ctx, e.timeout)
	defer cancel()
	if err := e.sync(ctx); err != nil {
		return tree.SessionInfo{}, false
	}
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	return s.db.tree.Session(id)
}

// syncZxid answers sync: standalone at once, in an ensemble after catching
// up with the leader. An error closes the client's connection.
func (s *Server) syncZxid() (int64, error) {
	if s.ens == nil {
		return s.lastZxid(), nil
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.ens.timeout)
	defer cancel()
	if err := s.ens.sync(ctx); err != nil {
		return 0, fmt.Errorf("server: sync with the leader: %w", err)
	}
	return s.lastZxid(), nil
}

// serving reports whether the server takes client sessions: always when
// standalone, while a leader is known in an ensemble that has not removed
// this member. (A read-only server takes read-only sessions: readonly.go.)
func (s *Server) serving() bool {
	return s.ens == nil || (s.ens.node.Status().Leader != 0 && !s.ens.removed.Load())
}

// notServing is what ZooKeeper answers to four-letter words that need a
// running server while it has none (a member looking for its leader).
const notServing = "This ZooKeeper instance is not currently serving requests\n"

// needsQuorum lists the four-letter words answered with notServing while
// an ensemble member knows no leader.
var needsQuorum = map[string]bool{"srvr": true, "stat": true, "mntr": true, "cons": true, "wchs": true, "wchc": true, "wchp": true, "dump": true}

// mode is srvr's Mode and mntr's server_state: standalone, leader,
// follower, observer or read-only.
func (s *Server) mode() string {
	if s.ens == nil {
		return "standalone"
	}
	if s.readOnly() {
		return "read-only"
	}
	switch s.ens.node.Status().Role {
	case quorum.RoleLeader:
		return "leader"
	case quorum.RoleLearner:
		return "observer"
	}
	return "follower"
}

// logDir is where the server's log lives (for dirs and conf).
func (s *Server) logDir() string {
	if s.ens != nil {
		return filepath.Join(s.opts.DataLogDir, "quorum")
	}
	return s.wal.Dir()
}

// quorumMetrics are mntr's ensemble lines (after server_state), as Apache
// ZooKeeper 3.8 prints them: peer_state and quorum_size on every member;
// on the leader also learners, synced followers and observers, pending
// syncs and leader uptime (and followers, ZooKeeper 3.4's name for
// learners).
func (s *Server) quorumMetrics() []metric {
	if s.ens == nil || s.readOnly() { // a read-only server is no quorum server
		return nil
	}
	st := s.ens.node.Status()
	voters := 0
	for _, m := range st.Members {
		if !m.Learner {
			voters++
		}
	}
	peer := "following - broadcast"
	switch st.Role {
	case quorum.RoleLeader:
		peer = "leading - broadcast"
	case quorum.RoleLearner:
		peer = "observing - broadcast"
	case quorum.RoleCandidate:
		peer = "looking"
	}
	if st.Leader == 0 {
		peer = "looking"
	}
	out := []metric{{"peer_state", peer}, {"quorum_size", int64(voters)}}
	if st.Role != quorum.RoleLeader {
		return out
	}
	var synced, syncedObservers int64
	for _, f := range st.Followers {
		switch {
		case f.Synced && f.Learner:
			syncedObservers++
		case f.Synced:
			synced++
		}
	}
	uptime := int64(0)
	if since := s.ens.leaderSince.Load(); since > 0 {
		uptime = time.Now().UnixMilli() - since
	}
	return append(out,
		metric{"learners", int64(len(st.Followers))},
		metric{"followers", int64(len(st.Followers))},
		metric{"synced_followers", synced},
		metric{"synced_non_voting_followers", int64(0)},
		metric{"synced_observers", syncedObservers},
		metric{"pending_syncs", s.ens.syncs.Load()},
		metric{"leader_uptime", uptime},
	)
}
