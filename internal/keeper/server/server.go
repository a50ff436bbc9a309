// Package server is the keeper's network server: it accepts ZooKeeper
// client connections, runs the request pipeline, tracks sessions, and makes
// every write durable in the transaction log before it is applied and
// answered.
//
// The write path (two goroutines: the commit loop owns the log, the apply
// loop the tree's changes):
//
//	event loop  ──propose──▶ proposals ──▶ commit loop: assign zxids, encode,
//	(or worker,                             WAL append (a batch), fdatasync
//	conn reader)
//	                                              │ durable batch
//	                                              ▼
//	                                        apply loop: apply to the tree
//	                                        under db lock, fire watches,
//	                                        queue replies; then write each
//	                                        connection's queue once, without
//	                                        waiting (the rest: its writer)
//
// The next batch is logged and synced while the previous one is applied
// and answered; a batch is applied and answered only once it is durable.
//
// Reads are served by the connection's reader goroutine under the database
// read lock, after that connection's earlier writes have been applied, so a
// session sees its requests answered in the order it sent them.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/keeper/session"
	"github.com/zkafka/zkafka/internal/keeper/storage"
	"github.com/zkafka/zkafka/internal/keeper/tree"
)

// ErrClosed is returned by operations on a server that has been closed.
var ErrClosed = errors.New("server: closed")

// Options configure a Server. Zero values take ZooKeeper's defaults.
type Options struct {
	// ClientAddr is the host:port clients connect to; port 0 picks one.
	ClientAddr string
	// DataDir holds snapshots; DataLogDir (default DataDir) the txn log.
	DataDir, DataLogDir string
	// TickTime is ZooKeeper's basic time unit (default 3s).
	TickTime time.Duration
	// Session timeout bounds (defaults 2× and 20× TickTime).
	MinSessionTimeout, MaxSessionTimeout time.Duration
	// MaxClientCnxns limits connections from one IP (0 = no limit).
	MaxClientCnxns int
	// MaxBuffer is jute.maxbuffer: the largest packet accepted.
	MaxBuffer int
	// SnapCount is how many txns are logged between snapshots.
	SnapCount int
	// SnapRetainCount and PurgeInterval drive autopurge (0 = off).
	SnapRetainCount int
	PurgeInterval   time.Duration
	// ExtendedTypes enables TTL nodes (extendedTypesEnabled).
	ExtendedTypes bool
	// ReconfigEnabled allows the reconfig operation.
	ReconfigEnabled bool
	// FourLetterWords is the 4lw.commands.whitelist; "*" allows all.
	FourLetterWords []string
	// SuperDigest is "super:<base64 sha1>"; a client authenticating to it
	// is the superuser.
	SuperDigest string
	// ServerID is this server's id (myid), the top byte of session ids.
	ServerID int64
	// ContainerCheckInterval is how often empty containers and expired TTL
	// nodes are looked for (default 60s).
	ContainerCheckInterval time.Duration
	// ConfLines is the effective configuration, printed by `conf`.
	ConfLines []string
	// AdminAddr is the host:port of the AdminServer (HTTP, /commands);
	// "" = disabled, port 0 picks one (see Server.AdminAddr).
	AdminAddr string
	// Ensemble makes the server one member of a replicated ensemble (see
	// ensemble.go); nil runs it standalone.
	Ensemble *EnsembleOptions
	// Logger receives the server's logs (default: discard).
	Logger *slog.Logger
	// GoroutineConns keeps every client connection with its own reader
	// goroutine instead of handing established sessions to the event
	// loops (Linux; see net_loop_linux.go). Elsewhere it is always so.
	GoroutineConns bool

	// fsys is the file system of a standalone server's data (tests; nil:
	// storage.OSFS).
	fsys storage.FS
}

func (o *Options) fill() error {
	if o.DataDir == "" {
		return errors.New("server: DataDir is required")
	}
	if o.DataLogDir == "" {
		o.DataLogDir = o.DataDir
	}
	if o.ClientAddr == "" {
		o.ClientAddr = ":2181"
	}
	if o.TickTime <= 0 {
		o.TickTime = 3 * time.Second
	}
	if o.MinSessionTimeout <= 0 {
		o.MinSessionTimeout = 2 * o.TickTime
	}
	if o.MaxSessionTimeout <= 0 {
		o.MaxSessionTimeout = 20 * o.TickTime
	}
	if o.MaxBuffer <= 0 {
		o.MaxBuffer = 0xfffff
	}
	if o.SnapCount <= 1 {
		o.SnapCount = 100000
	}
	if o.SnapRetainCount < 3 {
		o.SnapRetainCount = 3
	}
	if o.ContainerCheckInterval <= 0 {
		o.ContainerCheckInterval = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// proposal is one write waiting for the commit loop. Right after the txn
// is applied, in the commit loop with the database locked, done runs, or,
// without done, from.writeApplied answers request xid received at start.
// Replies queued on from do not wake its writer: the commit loop writes
// them after the batch (conn.flushNow). A proposal is one allocation per
// write request: it holds the request record of the common writes (see
// proposal.body) and the txn holds Apply's working space and reply.
type proposal struct {
	txn    tree.Txn
	from   *conn
	xid    int32
	start  time.Time
	done   func(res tree.Result, zxid int64)
	bodies struct {
		setData     jute.SetDataRequest
		create      jute.CreateRequest
		pathVersion jute.PathVersionRequest
	}
}

// Server is a standalone keeper.
type Server struct {
	opts Options
	log  *slog.Logger

	db     *database
	wal    *storage.WAL // standalone only
	snaps  *storage.Snapshots
	writes writePath
	// tryWrites is writes when it can take a proposal without waiting
	// (event loops propose writes themselves then), else nil.
	tryWrites trySubmitter
	ens       *ensemble // nil when standalone

	ln        net.Listener
	loops     []*netLoop   // event loops reading client connections (none: reader goroutines)
	admin     *adminServer // nil when Options.AdminAddr is ""
	proposals chan *proposal
	lastZxidA atomic.Int64
	startedAt time.Time

	sessMu    sync.Mutex
	tracker   *session.Tracker
	gen       *session.Generator
	bySession map[int64]*conn
	closing   map[int64]bool

	connMu     sync.Mutex
	conns      map[*conn]struct{}
	perIP      map[string]int
	nextConnID int64

	stats serverStats

	snapMu      sync.Mutex
	snapRunning bool
	sinceSnap   int
	snapAt      int

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the server starts
	errMu  sync.Mutex
	err    error
}

// New opens the data directories, recovers the tree from the newest valid
// snapshot and the transaction log, and returns a server ready to Start.
func New(opts Options) (*Server, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	s := &Server{
		opts:      opts,
		log:       opts.Logger,
		proposals: make(chan *proposal, 4096),
		bySession: make(map[int64]*conn),
		closing:   make(map[int64]bool),
		conns:     make(map[*conn]struct{}),
		perIP:     make(map[string]int),
		tracker:   session.NewTracker(opts.TickTime),
		gen:       session.NewGenerator(opts.ServerID, time.Now()),
	}
	s.stats.minLatency.Store(-1)
	if opts.Ensemble != nil {
		return s, s.openEnsemble()
	}
	s.writes = standaloneLog{s}
	if err := s.recover(); err != nil {
		if s.wal != nil {
			s.wal.Close()
		}
		return nil, err
	}
	s.resetSnapThreshold()
	return s, nil
}

// recover loads the newest valid snapshot and replays the log after it,
// recording the startup metrics as ZooKeeper does: startup_snap_load_time
// (always), startup_txns_load_time and startup_txns_loaded (unless the
// database was empty: no snapshot and no log), dbinittime (always), in ms.
func (s *Server) recover() error {
	var fsys storage.FS = storage.OSFS{}
	if s.opts.fsys != nil {
		fsys = s.opts.fsys
	}
	start := time.Now()
	snaps, err := storage.OpenSnapshots(fsys, s.opts.DataDir, storage.SnapshotOptions{Logger: s.log})
	if err != nil {
		return fmt.Errorf("server: opening snapshots in %s: %w", s.opts.DataDir, err)
	}
	s.snaps = snaps
	topts := tree.Options{ExtendedTypes: s.opts.ExtendedTypes}
	var t *tree.Tree
	idxs, err := snaps.List()
	if err != nil {
		return fmt.Errorf("server: listing snapshots: %w", err)
	}
	for _, idx := range idxs {
		rc, err := snaps.Open(idx)
		if err != nil {
			s.log.Warn("skipping unreadable snapshot", "zxid", fmt.Sprintf("0x%x", idx), "err", err)
			continue
		}
		restored, err := tree.Restore(rc, topts)
		rc.Close()
		if err != nil {
			s.log.Warn("skipping invalid snapshot", "zxid", fmt.Sprintf("0x%x", idx), "err", err)
			continue
		}
		t = restored
		s.log.Info("loaded snapshot", "zxid", fmt.Sprintf("0x%x", idx), "nodes", t.NodeCount())
		break
	}
	snapLoaded := t != nil
	if t == nil {
		t = tree.New(topts)
	}
	s.stats.startupSnapLoad.add(time.Since(start).Milliseconds(), false)
	txnsStart := time.Now()
	wal, err := storage.OpenWAL(fsys, s.opts.DataLogDir, storage.WALOptions{Logger: s.log, Preallocate: true})
	if err != nil {
		return fmt.Errorf("server: opening transaction log in %s: %w", s.opts.DataLogDir, err)
	}
	s.wal = wal
	from := uint64(t.LastZxid()) + 1
	replayed := 0
	if wal.LastIndex() >= from {
		if first := wal.FirstIndex(); first > from {
			return fmt.Errorf("server: transaction log starts at zxid 0x%x but the snapshot ends at 0x%x: %w",
				first, from-1, storage.ErrCorrupt)
		}
		err = wal.ReadFrom(from, func(e storage.Entry) error {
			txn, err := tree.DecodeTxn(e.Data)
			if err != nil {
				return fmt.Errorf("txn at zxid 0x%x: %w", e.Index, err)
			}
			t.Apply(txn)
			replayed++
			return nil
		})
		if err != nil {
			return fmt.Errorf("server: replaying transaction log: %w", err)
		}
	} else if last := wal.LastIndex(); last+1 < from && last != 0 {
		return fmt.Errorf("server: transaction log ends at zxid 0x%x, before the snapshot at 0x%x: %w",
			last, from-1, storage.ErrCorrupt)
	}
	if snapLoaded || wal.LastIndex() != 0 {
		s.stats.startupTxnsLoad.add(time.Since(txnsStart).Milliseconds(), false)
		s.stats.startupTxnsLoaded.add(int64(replayed), false)
	}
	s.stats.dbInit.add(time.Since(start).Milliseconds(), false)
	s.log.Info("recovered", "zxid", fmt.Sprintf("0x%x", t.LastZxid()), "replayed", replayed,
		"nodes", t.NodeCount(), "sessions", len(t.Sessions()), "took", time.Since(start))
	s.db = newDatabase(t)
	s.lastZxidA.Store(t.LastZxid())
	now := time.Now()
	for id, info := range t.Sessions() {
		s.tracker.Touch(id, time.Duration(info.Timeout)*time.Millisecond, now)
	}
	s.sinceSnap = replayed
	return nil
}

// Start listens on ClientAddr and starts serving.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.ClientAddr)
	if err != nil {
		return fmt.Errorf("server: listening on %s: %w", s.opts.ClientAddr, err)
	}
	return s.StartListener(ln)
}

// StartListener starts serving on ln (and the AdminServer). It closes ln
// when the AdminServer cannot listen.
func (s *Server) StartListener(ln net.Listener) error {
	admin, err := s.listenAdmin()
	if err != nil {
		ln.Close()
		return err
	}
	s.ln = ln
	s.startedAt = time.Now()
	s.tryWrites, _ = s.writes.(trySubmitter)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.log.Info("serving clients", "addr", ln.Addr().String(), "dataDir", s.opts.DataDir,
		"dataLogDir", s.opts.DataLogDir, "tickTime", s.opts.TickTime)
	// After recovery, snapshot what the log replayed (as ZooKeeper does at
	// start), before the commit loop owns the snapshot bookkeeping.
	if s.sinceSnap > 0 {
		s.startSnapshot(s.db.tree.Snapshot())
	}
	if !s.opts.GoroutineConns {
		loops, err := newNetLoops(s, runtime.GOMAXPROCS(0))
		if err != nil {
			s.log.Warn("client connections keep their reader goroutines", "err", err)
		}
		s.loops = loops
		for _, l := range loops {
			s.goFunc(l.run)
		}
	}
	s.goFunc(s.writes.run)
	s.goFunc(s.acceptLoop)
	if s.ens == nil { // an ensemble's leader expires sessions (ensemble.go)
		s.goFunc(s.expiryLoop)
	}
	s.goFunc(s.containerLoop)
	if s.opts.PurgeInterval > 0 {
		s.goFunc(s.purgeLoop)
	}
	s.startAdmin(admin)
	return nil
}

func (s *Server) goFunc(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// Addr returns the address clients connect to.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Err returns the error that stopped the server, if any.
func (s *Server) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// Done is closed when the server stops, by Close or by a fatal error.
func (s *Server) Done() <-chan struct{} { return s.ctx.Done() }

// fail stops the server after an error it cannot continue past (the log
// could not be written): nothing unlogged may be acknowledged.
func (s *Server) fail(err error) {
	s.errMu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.errMu.Unlock()
	s.log.Error("stopping: unrecoverable error", "err", err)
	s.cancel()
	s.ln.Close()
}

// Close stops accepting, closes every connection, waits for the server's
// goroutines and the running snapshot, and closes the log.
func (s *Server) Close() error {
	if s.cancel == nil {
		return s.writes.close()
	}
	s.cancel()
	s.ln.Close()
	s.closeAdmin()
	s.connMu.Lock()
	for c := range s.conns {
		c.abort()
	}
	s.connMu.Unlock()
	for _, l := range s.loops {
		l.stop()
	}
	s.wg.Wait()
	err := s.writes.close()
	s.log.Info("stopped", "zxid", fmt.Sprintf("0x%x", s.lastZxid()))
	return err
}

func (s *Server) acceptLoop() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				s.log.Error("accept failed", "err", err)
				s.fail(fmt.Errorf("server: accept: %w", err))
			}
			return
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		c, ok := s.register(nc)
		if !ok {
			nc.Close()
			continue
		}
		s.goFunc(c.serve)
	}
}

// register admits a connection unless its address already has
// MaxClientCnxns.
func (s *Server) register(nc net.Conn) (*conn, bool) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.ctx.Err() != nil {
		return nil, false
	}
	s.nextConnID++
	c := newConn(s, nc, s.nextConnID)
	if max := s.opts.MaxClientCnxns; max > 0 && s.perIP[c.remoteIP] >= max {
		s.log.Warn("too many connections from one address", "ip", c.remoteIP, "max", max)
		s.stats.connRejected.Add(1)
		return nil, false
	}
	s.perIP[c.remoteIP]++
	s.conns[c] = struct{}{}
	return c, true
}

// connClosed forgets a closed connection and the watches it held.
func (s *Server) connClosed(c *conn) {
	s.connMu.Lock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		if s.perIP[c.remoteIP]--; s.perIP[c.remoteIP] <= 0 {
			delete(s.perIP, c.remoteIP)
		}
	}
	s.connMu.Unlock()
	s.sessMu.Lock()
	if c.sessionID != 0 && s.bySession[c.sessionID] == c {
		delete(s.bySession, c.sessionID)
	}
	s.sessMu.Unlock()
	s.db.dropWatcher(c)
}

// propose queues a write for the commit loop. It blocks while the queue is
// full (back-pressure) and drops the write when the server is stopping.
func (s *Server) propose(p *proposal) {
	s.writes.submit(p)
}

func (s *Server) lastZxid() int64 { return s.lastZxidA.Load() }

const maxBatch = 1024

// maxEncodeBuf bounds the txn encoding buffer the commit loop keeps
// between batches.
const maxEncodeBuf = 4 << 20

// commitBatch is a batch of proposals in the commit pipeline: logged and
// made durable by the commit loop, then applied and answered by the apply
// loop. The two loops pass their two batches back and forth.
type commitBatch struct {
	props   []*proposal
	entries []storage.Entry
}

// commitLoop owns the transaction log: it takes the proposals queued so
// far as a batch, assigns their zxids, logs them with one append and one
// fdatasync (group commit), and hands the durable batch to the apply loop.
// While the apply loop applies and answers batch N, the commit loop logs
// and syncs batch N+1; nothing is applied or answered before it is durable.
func (s *Server) commitLoop() {
	durable := make(chan *commitBatch, 2)
	free := make(chan *commitBatch, 2)
	for range 2 {
		free <- &commitBatch{
			props:   make([]*proposal, 0, maxBatch),
			entries: make([]storage.Entry, 0, maxBatch),
		}
	}
	s.goFunc(func() { s.applyLoop(durable, free) })
	var enc []byte // the batch's txns, encoded; the WAL copies them
	next := s.lastZxid()
	for {
		var first *proposal
		select {
		case first = <-s.proposals:
		case <-s.ctx.Done():
			return
		}
		var b *commitBatch
		select {
		case b = <-free: // waits while the apply loop holds both batches
		case <-s.ctx.Done():
			return
		}
		b.props = append(b.props[:0], first)
		s.drainProposals(b)
		if len(b.props) < maxBatch {
			// Let the goroutines that are about to submit (workers woken
			// under back-pressure, reader goroutines) run before the
			// fdatasync: with one P they would otherwise wait for it, each
			// write paying a sync of its own (TestOneProcBatchesWrites).
			runtime.Gosched()
			s.drainProposals(b)
		}
		now := time.Now().UnixMilli()
		b.entries = b.entries[:0]
		if cap(enc) > maxEncodeBuf {
			enc = nil
		}
		var e jute.Encoder
		e.SetBytes(enc[:0])
		for _, p := range b.props {
			next++
			p.txn.Zxid = next
			p.txn.Time = now
			at := e.Len()
			p.txn.Encode(&e)
			buf := e.Bytes()
			// A buffer that grew leaves earlier entries on the old array,
			// which they keep alive: still valid.
			b.entries = append(b.entries, storage.Entry{Term: 1, Index: uint64(next), Data: buf[at:len(buf):len(buf)]})
		}
		enc = e.Bytes()
		err := s.wal.Append(b.entries...)
		clear(b.entries) // the WAL copied the data: do not keep enc's arrays alive
		if err != nil {
			s.fail(fmt.Errorf("server: appending to the transaction log: %w", err))
			return
		}
		if err := s.stats.timedSync(s.wal.Sync, len(b.props)); err != nil {
			s.fail(fmt.Errorf("server: syncing the transaction log: %w", err))
			return
		}
		s.stats.fsyncs.Add(1)
		durable <- b // never blocks: there are two batches
	}
}

// drainProposals moves the proposals waiting on s.proposals into b, up to
// maxBatch, without waiting.
func (s *Server) drainProposals(b *commitBatch) {
	for len(b.props) < maxBatch {
		select {
		case p := <-s.proposals:
			b.props = append(b.props, p)
		default:
			return
		}
	}
}

// applyLoop applies the durable batches in order and answers them, handing
// each batch back to the commit loop on free.
func (s *Server) applyLoop(durable <-chan *commitBatch, free chan<- *commitBatch) {
	flush := make([]*conn, 0, maxBatch)
	var gen uint64 // applied batch number, to write each connection once
	for {
		select {
		case b := <-durable:
			s.applyBatch(b, &gen, &flush)
			free <- b // never blocks: there are two batches
		case <-s.ctx.Done():
			return
		}
	}
}

// applyBatch applies a durable batch under the database lock, answers its
// proposals, writes the replies it queued and starts a snapshot when one is
// due. gen and flush are the apply loop's.
func (s *Server) applyBatch(b *commitBatch, gen *uint64, flush *[]*conn) {
	s.db.mu.Lock()
	for _, p := range b.props {
		res := s.db.tree.Apply(&p.txn)
		s.afterApply(&p.txn, res)
		s.db.fire(res.Events, p.txn.Zxid)
		switch {
		case p.done != nil:
			p.done(res, p.txn.Zxid)
		case p.from != nil:
			p.from.writeApplied(p, res, p.txn.Zxid)
		}
	}
	last := b.props[len(b.props)-1].txn.Zxid
	s.lastZxidA.Store(last)
	var frozen *tree.Frozen
	s.sinceSnap += len(b.props)
	if s.sinceSnap >= s.snapAt && !s.snapshotRunning() {
		frozen = s.db.tree.Snapshot()
	}
	s.db.mu.Unlock()
	*gen++
	fl := (*flush)[:0]
	for _, p := range b.props {
		if c := p.from; c != nil && c.flushGen != *gen {
			c.flushGen = *gen
			fl = append(fl, c)
		}
	}
	for _, c := range fl {
		c.flushNow()
	}
	clear(fl)
	*flush = fl[:0]
	clear(b.props) // do not keep the batch's requests alive until it is reused
	b.props = b.props[:0]
	if frozen != nil {
		s.startSnapshot(frozen)
	}
}

// afterApply keeps the session table in step with the tree.
func (s *Server) afterApply(txn *tree.Txn, res tree.Result) {
	switch txn.Op {
	case jute.OpCloseSession:
		s.sessMu.Lock()
		s.tracker.Remove(txn.Session)
		delete(s.closing, txn.Session)
		c := s.bySession[txn.Session]
		delete(s.bySession, txn.Session)
		s.sessMu.Unlock()
		// An expired session's connection is closed; a client that asked
		// for the close gets its reply first (see dispatch).
		if c != nil && !c.sessionClosed.Load() {
			c.finish()
		}
	}
}

func (s *Server) resetSnapThreshold() {
	half := s.opts.SnapCount / 2
	s.snapAt = half + rand.IntN(half+1)
}

func (s *Server) snapshotRunning() bool {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	return s.snapRunning
}

// startSnapshot writes f in the background; one snapshot runs at a time.
func (s *Server) startSnapshot(f *tree.Frozen) {
	s.snapMu.Lock()
	if s.snapRunning {
		s.snapMu.Unlock()
		return
	}
	s.snapRunning = true
	s.snapMu.Unlock()
	s.sinceSnap = 0
	s.resetSnapThreshold()
	s.goFunc(func() {
		defer func() {
			s.snapMu.Lock()
			s.snapRunning = false
			s.snapMu.Unlock()
		}()
		start := time.Now()
		if err := s.writeSnapshot(f); err != nil {
			s.log.Error("snapshot failed", "zxid", fmt.Sprintf("0x%x", f.Zxid()), "err", err)
			return
		}
		s.stats.snapshotTaken(time.Since(start))
		s.log.Info("snapshot written", "zxid", fmt.Sprintf("0x%x", f.Zxid()), "took", time.Since(start))
	})
}

func (s *Server) writeSnapshot(f *tree.Frozen) error {
	w, err := s.snaps.Create(uint64(f.Zxid()))
	if err != nil {
		return err
	}
	if _, err := f.WriteTo(w); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// purgeLoop is autopurge: every PurgeInterval it keeps the newest
// SnapRetainCount snapshots and the log they need.
func (s *Server) purgeLoop() {
	t := time.NewTicker(s.opts.PurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := s.snaps.Purge(s.opts.SnapRetainCount, s.wal); err != nil {
				s.log.Warn("autopurge failed", "err", err)
			}
		case <-s.ctx.Done():
			return
		}
	}
}

// expiryLoop proposes closeSession for sessions whose timeout passed.
func (s *Server) expiryLoop() {
	t := time.NewTicker(s.opts.TickTime / 2)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			s.sessMu.Lock()
			expired := s.tracker.Expired(now)
			var todo []int64
			for _, id := range expired {
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
		case <-s.ctx.Done():
			return
		}
	}
}

// containerLoop deletes empty containers and expired TTL nodes, as
// ZooKeeper's ContainerManager does, through the log.
func (s *Server) containerLoop() {
	t := time.NewTicker(s.opts.ContainerCheckInterval)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			if s.ens != nil && s.mode() != "leader" {
				continue // in an ensemble the leader does it
			}
			s.db.mu.RLock()
			paths := s.db.tree.ExpiredCandidates(now.UnixMilli())
			s.db.mu.RUnlock()
			for _, p := range paths {
				s.propose(&proposal{txn: tree.Txn{Op: jute.OpDeleteContainer, Body: &jute.PathVersionRequest{Path: p, Version: -1}}})
			}
		case <-s.ctx.Done():
			return
		}
	}
}

// nextSessionID hands out a new session id.
func (s *Server) nextSessionID() int64 {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	return s.gen.Next()
}

// sessionInfo returns a live session's stored timeout and password.
func (s *Server) sessionInfo(id int64) (tree.SessionInfo, bool) {
	s.sessMu.Lock()
	closing := s.closing[id]
	s.sessMu.Unlock()
	if closing {
		return tree.SessionInfo{}, false
	}
	s.db.mu.RLock()
	info, ok := s.db.tree.Session(id)
	s.db.mu.RUnlock()
	if !ok && s.ens != nil {
		// This member may not have applied the createSession yet.
		return s.ens.sessionInfoSynced(id)
	}
	return info, ok
}

// attach binds a session to a connection, closing the connection that held
// it before (the client moved).
func (s *Server) attach(c *conn) {
	s.sessMu.Lock()
	old := s.bySession[c.sessionID]
	s.bySession[c.sessionID] = c
	if !s.closing[c.sessionID] {
		s.tracker.Touch(c.sessionID, c.timeout, time.Now())
	}
	s.sessMu.Unlock()
	if old != nil && old != c {
		old.finish()
	}
}

// touch renews a session on every packet its connection sends.
func (s *Server) touch(c *conn) {
	if c.sessionID == 0 {
		return
	}
	// Touching moves the deadline by whole ticks; touching more than a few
	// times per tick changes nothing but contends for sessMu.
	now := time.Now()
	if last := c.lastTouch.Load(); now.UnixNano()-last < int64(s.opts.TickTime/4) {
		return
	}
	c.lastTouch.Store(now.UnixNano())
	if c.readOnly {
		s.ens.roTouch(c, now)
		return
	}
	s.sessMu.Lock()
	if s.bySession[c.sessionID] == c && !s.closing[c.sessionID] {
		s.tracker.Touch(c.sessionID, c.timeout, now)
	}
	s.sessMu.Unlock()
}
