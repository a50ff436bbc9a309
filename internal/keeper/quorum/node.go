package quorum

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"
	"google.golang.org/protobuf/proto"

	"github.com/zkafka/zkafka/internal/keeper/storage"
)

// TicksPerTickTime is how many raft ticks make one ZooKeeper tickTime.
const TicksPerTickTime = 10

// Node defaults.
const (
	DefaultInitLimit        = 10
	DefaultSyncLimit        = 5
	DefaultElectionTicks    = TicksPerTickTime     // one tickTime
	DefaultHeartbeatTicks   = TicksPerTickTime / 5 // five heartbeats per tickTime
	DefaultSnapCount        = 100000
	DefaultCompactionSlack  = 5000
	DefaultMaxSizePerMsg    = 1 << 20
	DefaultMaxInflightMsgs  = 256
	DefaultMaxUncommitted   = 256 << 20
	maxProposalsPerLoop     = 1024
	maxMessagesPerLoop      = 1024
	maxHeldEntries          = 1024
	maxHoldTime             = 10 * time.Millisecond
	recvQueue               = 4096
	readRetryTicks          = DefaultElectionTicks
	statusRefreshEveryTicks = TicksPerTickTime / 2
)

// Config configures a Node. Zero values get the defaults documented on each
// field.
type Config struct {
	// ID is this server's member id (myid); not 0.
	ID uint64
	// Members is the ensemble from the configuration (server.N lines),
	// including this server. A fresh server starts its log with it as the
	// voters and learners; afterwards the log and snapshots decide the
	// membership and Members only supplies addresses.
	Members []Member
	// Join makes a fresh server start with an empty membership: it waits
	// for the leader of a running ensemble that has added it (reconfig) to
	// send it the log. Members still give the peers' addresses.
	Join bool

	// TickTime is ZooKeeper's tickTime; required. A raft tick is
	// TickTime/TicksPerTickTime.
	TickTime time.Duration
	// InitLimit (ticks; DefaultInitLimit) bounds how long a snapshot may
	// take to reach a follower; the transport enforces it (see
	// SnapshotTimeout).
	InitLimit int
	// SyncLimit (ticks; DefaultSyncLimit): a follower not heard from within
	// it is reported as not synced in Status.
	SyncLimit int
	// ElectionTicks and HeartbeatTicks are raft's ElectionTick and
	// HeartbeatTick (in raft ticks); defaults DefaultElectionTicks and
	// DefaultHeartbeatTicks.
	ElectionTicks, HeartbeatTicks int

	// FS, DataDir, LogDir and WAL are as in StorageOptions.
	FS      storage.FS
	DataDir string
	LogDir  string
	WAL     storage.WALOptions

	// Transport carries messages to the other members; required.
	Transport Transport
	// Applier is the state machine; required.
	Applier Applier

	// SnapCount is how many entries are applied between snapshots
	// (DefaultSnapCount).
	SnapCount uint64
	// CompactionSlack is how many entries before a snapshot stay in the
	// log for followers slightly behind (DefaultCompactionSlack).
	CompactionSlack uint64
	// SnapRetainCount is how many snapshot files are kept (at least
	// storage.MinSnapRetainCount).
	SnapRetainCount int
	// MaxSizePerMsg, MaxInflightMsgs, MaxUncommittedBytes are raft's flow
	// control (DefaultMaxSizePerMsg, DefaultMaxInflightMsgs,
	// DefaultMaxUncommitted).
	MaxSizePerMsg       uint64
	MaxInflightMsgs     int
	MaxUncommittedBytes uint64

	// Logger receives the node's and raft's logs; nil discards them.
	Logger *slog.Logger

	maxHold time.Duration // maxHoldTime unless a test sets it (export_test.go)
}

func (c *Config) fill() error {
	switch {
	case c.ID == 0:
		return errors.New("quorum: Config.ID must not be 0")
	case c.TickTime <= 0:
		return errors.New("quorum: Config.TickTime must be positive")
	case c.Transport == nil:
		return errors.New("quorum: Config.Transport is required")
	case c.Applier == nil:
		return errors.New("quorum: Config.Applier is required")
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.InitLimit, DefaultInitLimit)
	def(&c.SyncLimit, DefaultSyncLimit)
	def(&c.ElectionTicks, DefaultElectionTicks)
	def(&c.HeartbeatTicks, DefaultHeartbeatTicks)
	def(&c.MaxInflightMsgs, DefaultMaxInflightMsgs)
	def(&c.SnapRetainCount, storage.MinSnapRetainCount)
	if c.maxHold <= 0 {
		c.maxHold = maxHoldTime
	}
	if c.ElectionTicks <= c.HeartbeatTicks {
		return fmt.Errorf("quorum: ElectionTicks %d must exceed HeartbeatTicks %d", c.ElectionTicks, c.HeartbeatTicks)
	}
	if c.SnapCount == 0 {
		c.SnapCount = DefaultSnapCount
	}
	if c.CompactionSlack == 0 {
		c.CompactionSlack = DefaultCompactionSlack
	}
	if c.MaxSizePerMsg == 0 {
		c.MaxSizePerMsg = DefaultMaxSizePerMsg
	}
	if c.MaxUncommittedBytes == 0 {
		c.MaxUncommittedBytes = DefaultMaxUncommitted
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if _, err := sortMembers(c.Members); err != nil {
		return err
	}
	return nil
}

// Role is a member's part in the ensemble.
type Role int

// Roles. An observer is a learner.
const (
	RoleFollower Role = iota
	RoleCandidate
	RoleLeader
	RoleLearner
)

func (r Role) String() string {
	switch r {
	case RoleLeader:
		return "leader"
	case RoleCandidate:
		return "candidate"
	case RoleLearner:
		return "learner"
	}
	return "follower"
}

// Status is a node's view of the ensemble.
type Status struct {
	ID     uint64
	Leader uint64 // 0 when no leader is known
	Term   uint64
	Role   Role
	// Commit is the highest index known committed; Applied the last index
	// handed to the Applier (or restored), AppliedZxid its zxid.
	Commit      uint64
	Applied     uint64
	AppliedZxid int64
	// Members is the membership after the last applied entry.
	Members []Member
	// Followers is filled on the leader only (refreshed every half
	// tickTime): one line per other member.
	Followers []FollowerStatus
}

// FollowerStatus is the leader's view of one follower or learner.
type FollowerStatus struct {
	ID      uint64
	Learner bool
	// Match is the highest index known to be in its log.
	Match uint64
	// Synced: it answered within syncLimit ticks and receives entries as
	// they come (not probing, not waiting for a snapshot).
	Synced bool
}

type proposal struct {
	data    []byte
	errc    chan error  // Propose waits on it
	refused func(error) // Enqueue's callback
}

type readReq struct {
	ctx    context.Context
	res    chan readRes
	key    uint64
	issued int
}

type readRes struct {
	index uint64
	err   error
}

type report struct {
	id     uint64
	snap   bool
	status raft.SnapshotStatus
}

type snapResult struct {
	meta *raftpb.SnapshotMetadata
	err  error
}

type waiter struct {
	index uint64
	ch    chan struct{}
}

// Node is one member of the ensemble: it runs raft (a raft.RawNode) in one
// goroutine that owns it, persists through Storage, sends through the
// Transport and applies committed entries to the Applier. Its methods are
// safe for concurrent use.
type Node struct {
	cfg  Config
	id   uint64
	rn   *raft.RawNode
	st   *Storage
	tr   Transport
	app  Applier
	log  *slog.Logger
	tick time.Duration

	recvc    chan *raftpb.Message
	propc    chan proposal
	actc     chan func()
	reportc  chan report
	syncReq  chan struct{} // saveApplying asks the syncer for an fsync
	syncDone chan error    // and waits for its answer
	snapc    chan snapResult
	stopc    chan struct{}
	done     chan struct{}
	changes  chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	status      atomic.Pointer[Status]
	applied     atomic.Uint64
	appliedTerm atomic.Uint64
	errMu       sync.Mutex
	err         error
	waitMu      sync.Mutex
	waiters     []waiter

	// Owned by the loop goroutine.
	members    map[uint64]Member
	confState  *raftpb.ConfState
	soft       raft.SoftState
	term       uint64
	commit     uint64
	snapIndex  uint64
	snapping   bool
	reads      map[uint64]*readReq
	readSeq    uint64
	ticks      int
	lastHeard  map[uint64]int
	followers  []FollowerStatus
	unreported map[uint64]bool
	early      []*raftpb.Message // handleReady's scratch
	props      []proposal        // proposals taken, not yet handed to raft (see hold)
	heldProps  []*raftpb.Message // followers' forwarded MsgProps the leader holds (see hold)
	heldEnts   int               // entries in props and heldProps
	appendedTo uint64            // index of the last entry this member saved
	holdTimer  *time.Timer       // fires maxHoldTime after holding began; stopped when not holding
	holding    bool              // holdTimer is armed
	holdOver   bool              // holdTimer fired: release at once
	fo         failover          // fast failover: failover.go

	// membersGen and followersGen count the changes of members and
	// followers; publishStatus rebuilds a list when its count moved past
	// the one it last published (pubMembersGen, pubFollowersGen).
	membersGen, pubMembersGen     uint64
	followersGen, pubFollowersGen uint64
}

// Start opens the storage (restoring the Applier from the newest snapshot),
// starts the transport and the node's goroutine. Close stops it.
func Start(cfg Config) (*Node, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	st, err := OpenStorage(StorageOptions{
		FS: cfg.FS, DataDir: cfg.DataDir, LogDir: cfg.LogDir, WAL: cfg.WAL,
		Restore: cfg.Applier.Restore, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	n, err := start(cfg, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	return n, nil
}

func start(cfg Config, st *Storage) (*Node, error) {
	if st.Fresh() {
		var boot []Member
		if !cfg.Join {
			boot = cfg.Members
			if !slices.ContainsFunc(boot, func(m Member) bool { return m.ID == cfg.ID }) {
				return nil, fmt.Errorf("quorum: server %d is not among the configured members", cfg.ID)
			}
		}
		if err := st.Bootstrap(boot); err != nil {
			return nil, err
		}
	}
	meta := st.SnapshotMeta()
	n := &Node{
		cfg: cfg, id: cfg.ID, st: st, tr: cfg.Transport, app: cfg.Applier, log: cfg.Logger,
		tick:       cfg.TickTime / TicksPerTickTime,
		recvc:      make(chan *raftpb.Message, recvQueue),
		propc:      make(chan proposal, maxProposalsPerLoop),
		actc:       make(chan func()),
		reportc:    make(chan report, 1024),
		syncReq:    make(chan struct{}),
		syncDone:   make(chan error, 1),
		snapc:      make(chan snapResult, 1),
		stopc:      make(chan struct{}),
		done:       make(chan struct{}),
		changes:    make(chan struct{}, 1),
		members:    map[uint64]Member{},
		confState:  meta.GetConfState(),
		snapIndex:  meta.GetIndex(),
		reads:      map[uint64]*readReq{},
		lastHeard:  map[uint64]int{},
		unreported: map[uint64]bool{},
	}
	if n.tick <= 0 {
		n.tick = time.Millisecond
	}
	for _, m := range st.Members() {
		n.members[m.ID] = m
	}
	n.applied.Store(meta.GetIndex())
	n.appliedTerm.Store(meta.GetTerm())
	hs, _, _ := st.InitialState()
	n.term, n.commit = hs.GetTerm(), hs.GetCommit()

	rc := &raft.Config{
		ID:                        cfg.ID,
		ElectionTick:              cfg.ElectionTicks,
		HeartbeatTick:             cfg.HeartbeatTicks,
		Storage:                   st,
		Applied:                   meta.GetIndex(),
		MaxSizePerMsg:             cfg.MaxSizePerMsg,
		MaxCommittedSizePerReady:  4 * cfg.MaxSizePerMsg,
		MaxUncommittedEntriesSize: cfg.MaxUncommittedBytes,
		MaxInflightMsgs:           cfg.MaxInflightMsgs,
		CheckQuorum:               true,
		PreVote:                   true,
		StepDownOnRemoval:         true,
		Logger:                    raftLogger{cfg.Logger},
	}
	rn, err := raft.NewRawNode(rc)
	if err != nil {
		return nil, fmt.Errorf("quorum: start raft: %w", err)
	}
	n.rn = rn
	n.syncPeers(cfg.Members)
	n.publishStatus()
	if err := n.tr.Start(n); err != nil {
		return nil, fmt.Errorf("quorum: start transport: %w", err)
	}
	n.wg.Go(n.syncer)
	go n.run()
	return n, nil
}

// syncPeers gives the transport the address of every member but this one,
// preferring the configured addresses, and removes peers no longer members.
func (n *Node) syncPeers(configured []Member) {
	addr := map[uint64]string{}
	for _, m := range n.members {
		addr[m.ID] = m.Addr
	}
	for _, m := range configured {
		if _, ok := n.members[m.ID]; ok || len(n.members) == 0 || n.cfg.Join {
			addr[m.ID] = m.Addr
		}
	}
	for id, a := range addr {
		if id != n.id && a != "" {
			n.tr.AddPeer(id, a)
		}
	}
}

// ID returns the node's member id.
func (n *Node) ID() uint64 { return n.id }

// Done is closed when the node's goroutine has stopped (Close, or a storage
// failure: see Err).
func (n *Node) Done() <-chan struct{} { return n.done }

// Err returns the error that stopped the node, if any.
func (n *Node) Err() error {
	n.errMu.Lock()
	defer n.errMu.Unlock()
	return n.err
}

// Changes returns a channel that receives a value (coalesced) whenever the
// leader, the role, the term or the membership changes; read Status then.
func (n *Node) Changes() <-chan struct{} { return n.changes }

// Status returns the node's current view.
func (n *Node) Status() Status {
	st := *n.status.Load()
	st.Applied = n.applied.Load()
	st.AppliedZxid = Zxid(n.appliedTerm.Load(), st.Applied)
	return st
}

// Propose hands data to raft as a new entry. It returns when raft has taken
// it (on a follower: forwarded it to the leader), not when it is committed:
// the entry reaches the Applier on every member once a majority has it
// durable. A proposal can still be lost (leader change, lost message), so
// the caller matches applied entries to its requests by an id inside data
// and gives up after a deadline. It returns ErrNoLeader when no leader is
// known and ErrDropped when raft refuses it.
func (n *Node) Propose(ctx context.Context, data []byte) error {
	p := proposal{data: data, errc: make(chan error, 1)}
	select {
	case n.propc <- p:
	case <-ctx.Done():
		return ctx.Err()
	case <-n.done:
		return ErrStopped
	}
	select {
	case err := <-p.errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-n.done:
		return ErrStopped
	}
}

// Enqueue hands data to raft like Propose but does not wait for raft to
// take it. Proposals enqueued one after the other (by one goroutine, or
// under the caller's lock) reach raft in that order, and a follower
// forwards them to the leader in that order. When raft refuses one
// (ErrNoLeader, ErrDropped), refused is called with the error on the
// node's goroutine: it must be quick and must not call the Node's blocking
// methods. Enqueue blocks while the node's queue is full; it returns
// ctx.Err() or ErrStopped when the proposal was not enqueued (refused is
// then not called).
func (n *Node) Enqueue(ctx context.Context, data []byte, refused func(error)) error {
	select {
	case n.propc <- proposal{data: data, refused: refused}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-n.done:
		return ErrStopped
	}
}

// propose hands the proposals of one loop turn to raft as one MsgProp
// (what RawNode.Propose makes for one), so that a follower forwards them to
// the leader in one message and the leader appends and replicates them
// together, in order; it reports the outcome to each.
func (n *Node) propose(batch []proposal) {
	ents := make([]*raftpb.Entry, len(batch))
	for i, p := range batch {
		ents[i] = &raftpb.Entry{Data: p.data}
	}
	err := n.proposeErr(n.rn.Step(&raftpb.Message{Type: raftpb.MessageType_MsgProp.Enum(), From: new(n.id), Entries: ents}))
	for _, p := range batch {
		switch {
		case p.errc != nil:
			p.errc <- err
		case err != nil && p.refused != nil:
			p.refused(err)
		}
	}
}

// do runs fn on the node's goroutine and waits for it.
func (n *Node) do(ctx context.Context, fn func()) error {
	ran := make(chan struct{})
	select {
	case n.actc <- func() { fn(); close(ran) }:
	case <-ctx.Done():
		return ctx.Err()
	case <-n.done:
		return ErrStopped
	}
	<-ran
	return nil
}

// ProposeConfChange proposes a membership change: add (or, for an existing
// learner with Learner false, promote) the given members and remove the
// given ids. Several voter changes at once go through a joint configuration
// that raft leaves by itself. The change takes effect on each member when
// its entry is applied (the Applier sees it as an Entry with Conf set).
func (n *Node) ProposeConfChange(ctx context.Context, add []Member, remove []uint64) error {
	return n.ProposeConfChangeData(ctx, add, remove, nil)
}

// ProposeConfChangeData is ProposeConfChange with application data carried
// in the entry: every member's Applier sees it as the Entry's ConfData
// (the server puts the request id and ZooKeeper's server specs there).
// Raft refuses a change while another one is pending (its leader appends
// an empty entry instead), so the caller matches applied entries to its
// request by the data and gives up after a deadline, as with Propose.
func (n *Node) ProposeConfChangeData(ctx context.Context, add []Member, remove []uint64, data []byte) error {
	add, err := sortMembers(add)
	if err != nil {
		return err
	}
	cc := &raftpb.ConfChangeV2{Context: append(appendMembers(nil, add), data...)}
	for _, m := range add {
		t := raftpb.ConfChangeType_ConfChangeAddNode
		if m.Learner {
			t = raftpb.ConfChangeType_ConfChangeAddLearnerNode
		}
		cc.Changes = append(cc.Changes, &raftpb.ConfChangeSingle{Type: t.Enum(), NodeId: new(m.ID)})
	}
	for _, id := range remove {
		cc.Changes = append(cc.Changes, &raftpb.ConfChangeSingle{Type: raftpb.ConfChangeType_ConfChangeRemoveNode.Enum(), NodeId: new(id)})
	}
	var perr error
	if err := n.do(ctx, func() { perr = n.proposeErr(n.rn.ProposeConfChange(cc)) }); err != nil {
		return err
	}
	return perr
}

func (n *Node) proposeErr(err error) error {
	if errors.Is(err, raft.ErrProposalDropped) {
		if n.rn.BasicStatus().Lead == raft.None {
			return ErrNoLeader
		}
		return fmt.Errorf("%w: %w", ErrDropped, err)
	}
	if err != nil {
		return fmt.Errorf("quorum: propose: %w", err)
	}
	return nil
}

// TransferLeadership asks the leader to hand leadership to member to.
func (n *Node) TransferLeadership(ctx context.Context, to uint64) error {
	return n.do(ctx, func() { n.rn.TransferLeader(to) })
}

// ReadIndex returns an index such that, once this member has applied it, a
// read sees every write committed before ReadIndex was called (raft's
// ReadIndex: the leader confirms it still leads with a round of
// heartbeats). ZooKeeper's sync is ReadIndex followed by WaitApplied.
func (n *Node) ReadIndex(ctx context.Context) (uint64, error) {
	r := &readReq{ctx: ctx, res: make(chan readRes, 1)}
	if err := n.do(ctx, func() { n.startRead(r) }); err != nil {
		return 0, err
	}
	select {
	case res := <-r.res:
		return res.index, res.err
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-n.done:
		return 0, ErrStopped
	}
}

// WaitApplied returns once entry index has been applied (or restored).
func (n *Node) WaitApplied(ctx context.Context, index uint64) error {
	if n.applied.Load() >= index {
		return nil
	}
	ch := make(chan struct{})
	n.waitMu.Lock()
	if n.applied.Load() >= index {
		n.waitMu.Unlock()
		return nil
	}
	n.waiters = append(n.waiters, waiter{index, ch})
	n.waitMu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-n.done:
		return ErrStopped
	}
}

// Close stops the node: its goroutine, the transport, then the storage.
func (n *Node) Close() error {
	n.stopOnce.Do(func() { close(n.stopc) })
	<-n.done
	terr := n.tr.Close()
	n.wg.Wait()
	serr := n.st.Close()
	if err := n.Err(); err != nil {
		return err
	}
	if terr != nil {
		return fmt.Errorf("quorum: close transport: %w", terr)
	}
	return serr
}

// Process implements Handler.
func (n *Node) Process(m *raftpb.Message) {
	select {
	case n.recvc <- m:
	case <-n.done:
	}
}

// ReportUnreachable implements Handler.
func (n *Node) ReportUnreachable(id uint64) {
	select {
	case n.reportc <- report{id: id}:
	default: // a hint; the loop has many queued already
	}
}

// ReportSnapshot implements Handler.
func (n *Node) ReportSnapshot(id uint64, status raft.SnapshotStatus) {
	select {
	case n.reportc <- report{id: id, snap: true, status: status}:
	case <-n.done:
	}
}

func (n *Node) fail(err error) {
	n.errMu.Lock()
	if n.err == nil {
		n.err = err
	}
	n.errMu.Unlock()
	n.log.Error("quorum: node stopped", "err", err)
}

// run is the node's goroutine: it owns the RawNode.
func (n *Node) run() {
	defer close(n.done)
	t := time.NewTicker(n.tick)
	defer t.Stop()
	n.holdTimer = time.NewTimer(time.Hour)
	n.holdTimer.Stop()
	defer n.holdTimer.Stop()
	for {
		select {
		case <-t.C:
			n.onTick()
		case <-n.holdTimer.C:
			n.holding, n.holdOver = false, true // release hands the held proposals to raft
		case m := <-n.recvc:
			n.step(m)
			n.gather()
		case p := <-n.propc:
			n.addProp(p)
			n.gather()
		case fn := <-n.actc:
			fn()
		case r := <-n.reportc:
			n.onReport(r)
		case r := <-n.snapc:
			n.onSnapshotDone(r)
		case <-n.stopc:
			n.failReads(ErrStopped)
			return
		}
		for {
			n.release()
			if !n.rn.HasReady() {
				break
			}
			if err := n.handleReady(); err != nil {
				n.fail(err)
				n.failReads(ErrStopped)
				return
			}
		}
	}
}

// gather takes what else is waiting (messages, proposals), lets the
// goroutines that are about to hand the node more (connections reading
// requests, peers' readers) run once, and takes what they added: each
// Ready then carries more entries, so that one fsync, one message per peer
// and one apply serve more writes. Yielding costs no system call; the node
// does not wait when nothing came. The run loop then hands the proposals
// to raft (release).
func (n *Node) gather() {
	for round := range 2 {
	drain:
		for range maxMessagesPerLoop + maxProposalsPerLoop {
			select {
			case m := <-n.recvc:
				n.step(m)
			case p := <-n.propc:
				n.addProp(p)
			default:
				break drain
			}
		}
		if round == 0 {
			runtime.Gosched()
		}
	}
}

func (n *Node) addProp(p proposal) {
	n.props = append(n.props, p)
	n.heldEnts++
}

// hold reports whether the leader keeps new proposals (its own and those
// followers forward) back from raft for now: while entries it appended
// earlier are not committed yet, for at most maxHoldTime (a slow network
// or disk does not add more than that to a write's latency), and while
// fewer than maxHeldEntries wait. The
// held ones go to raft together once the earlier entries commit (release,
// on every turn of the loop), so under load the leader appends, fsyncs and
// replicates one batch per round trip instead of one per message that
// happened to wake it, and the MsgApp that carries the commit also carries
// the next batch (no commit-only MsgApp, no answer to it). A lone client
// waits for nothing: its previous write was committed before it was
// answered. Nothing is held on a follower (forwarded at once) or when the
// node is not leader any more (the next Ready tells it, and release then
// hands everything to raft, which forwards or refuses it).
func (n *Node) hold() bool {
	if n.soft.RaftState != raft.StateLeader || n.heldEnts >= maxHeldEntries {
		return false
	}
	if st := n.rn.BasicStatus(); st.GetCommit() >= n.appendedTo {
		return false
	}
	if n.holdOver {
		return false
	}
	if !n.holding {
		n.holding = true
		n.holdTimer.Reset(n.cfg.maxHold)
	}
	return true
}

// release hands the held proposals to raft unless hold says to keep them:
// the followers' MsgProps in the order they came, then this member's own
// as one MsgProp (propose).
func (n *Node) release() {
	if n.heldEnts == 0 || n.hold() {
		return
	}
	if n.holding {
		n.holding = false
		n.holdTimer.Stop()
	}
	n.holdOver = false
	for i, m := range n.heldProps {
		n.stepRaft(m)
		n.heldProps[i] = nil
	}
	n.heldProps = n.heldProps[:0]
	if len(n.props) > 0 {
		n.propose(n.props)
		clear(n.props)
		n.props = n.props[:0]
	}
	n.heldEnts = 0
}

func (n *Node) step(m *raftpb.Message) {
	if m.GetTo() != n.id {
		return
	}
	n.lastHeard[m.GetFrom()] = n.ticks
	if m.GetType() == raftpb.MessageType_MsgProp && n.soft.RaftState == raft.StateLeader {
		n.heldProps = append(n.heldProps, m)
		n.heldEnts += len(m.GetEntries())
		return
	}
	n.stepRaft(m)
}

func (n *Node) stepRaft(m *raftpb.Message) {
	if err := n.rn.Step(m); err != nil && !errors.Is(err, raft.ErrStepPeerNotFound) {
		n.log.Debug("quorum: step", "from", m.GetFrom(), "type", m.GetType(), "err", err)
	}
}

func (n *Node) onReport(r report) {
	if r.snap {
		n.rn.ReportSnapshot(r.id, r.status)
		n.st.ReleaseSnapshotData()
		return
	}
	n.rn.ReportUnreachable(r.id)
}

func (n *Node) onTick() {
	n.rn.Tick()
	n.ticks++
	for key, r := range n.reads {
		if r.ctx.Err() != nil {
			delete(n.reads, key)
			continue
		}
		if n.ticks-r.issued >= readRetryTicks {
			// raft drops read requests it cannot serve: ask again.
			r.issued = n.ticks
			n.rn.ReadIndex(readKey(key))
		}
	}
	if n.ticks%statusRefreshEveryTicks == 0 {
		n.refreshFollowers()
		n.publishStatus()
	}
}

func readKey(k uint64) []byte { return binary.BigEndian.AppendUint64(nil, k) }

func (n *Node) startRead(r *readReq) {
	if n.rn.BasicStatus().Lead == raft.None {
		r.res <- readRes{err: ErrNoLeader}
		return
	}
	n.readSeq++
	r.key, r.issued = n.readSeq, n.ticks
	n.reads[r.key] = r
	n.rn.ReadIndex(readKey(r.key))
}

func (n *Node) failReads(err error) {
	for k, r := range n.reads {
		r.res <- readRes{err: err}
		delete(n.reads, k)
	}
}

func (n *Node) refreshFollowers() {
	n.followersGen++
	n.followers = n.followers[:0]
	if n.soft.RaftState != raft.StateLeader {
		return
	}
	limit := n.cfg.SyncLimit * TicksPerTickTime
	n.rn.WithProgress(func(id uint64, _ raft.ProgressType, pr tracker.Progress) {
		if id == n.id {
			return
		}
		heard, ok := n.lastHeard[id]
		n.followers = append(n.followers, FollowerStatus{
			ID: id, Learner: pr.IsLearner, Match: pr.Match,
			Synced: ok && n.ticks-heard <= limit && pr.State == tracker.StateReplicate,
		})
	})
	slices.SortFunc(n.followers, func(a, b FollowerStatus) int { return cmp.Compare(a.ID, b.ID) })
}

func (n *Node) role() Role {
	switch n.soft.RaftState {
	case raft.StateLeader:
		return RoleLeader
	case raft.StateCandidate, raft.StatePreCandidate:
		return RoleCandidate
	}
	if slices.Contains(n.confState.GetLearners(), n.id) {
		return RoleLearner
	}
	return RoleFollower
}

// publishStatus stores the node's view for Status. It runs on most
// Readies (the commit index moves), so the member and follower lists of
// the previous view are shared when they did not change.
func (n *Node) publishStatus() {
	st := &Status{ID: n.id, Leader: n.soft.Lead, Term: n.term, Role: n.role(), Commit: n.commit}
	prev := n.status.Load()
	if prev != nil && n.membersGen == n.pubMembersGen {
		st.Members = prev.Members
	} else {
		st.Members = slices.SortedFunc(maps.Values(n.members), func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
		n.pubMembersGen = n.membersGen
	}
	if prev != nil && n.followersGen == n.pubFollowersGen {
		st.Followers = prev.Followers
	} else {
		st.Followers = slices.Clone(n.followers)
		n.pubFollowersGen = n.followersGen
	}
	n.status.Store(st)
}

func (n *Node) notifyChange() {
	select {
	case n.changes <- struct{}{}:
	default:
	}
}

// handleReady does one Ready: persist, send, apply, advance.
func (n *Node) handleReady() error {
	rd := n.rn.Ready()
	changed := false
	if rd.SoftState != nil && (rd.SoftState.Lead != n.soft.Lead || rd.SoftState.RaftState != n.soft.RaftState) {
		if rd.SoftState.Lead != n.soft.Lead {
			n.log.Info("quorum: leader changed", "leader", rd.SoftState.Lead, "state", rd.SoftState.RaftState.String())
		}
		n.soft = *rd.SoftState
		changed = true
		if n.soft.RaftState == raft.StateLeader {
			n.refreshFollowers()
		}
	}
	if hs := rd.HardState; hs != nil {
		if hs.GetTerm() != n.term {
			changed = true
		}
		n.term, n.commit = hs.GetTerm(), max(n.commit, hs.GetCommit())
	}
	// Messages that need nothing durable go out before the fsync, so that
	// followers write a leader's new entries while the leader writes them
	// (raft thesis §10.2.1); the answers that acknowledge this member's
	// state go out after it.
	early, late := splitMessages(rd.Messages, n.early[:0])
	early = coalesce(early, n.cfg.MaxSizePerMsg)
	late = coalesce(late, n.cfg.MaxSizePerMsg)
	if len(early) > 0 {
		n.tr.Send(early)
	}
	clear(early)
	n.early = early[:0]
	// Committed entries are applied before this Ready's new entries are
	// durable: they are durable on a majority already, so their answers
	// need not wait for this member's fsync of later entries (a leader's
	// next batch, a follower's next MsgApp). When there are both, the
	// fsync runs on the syncer goroutine while this one applies. A
	// snapshot in the Ready comes first: the entries continue it.
	appliedEarly := false
	if len(rd.CommittedEntries) > 0 && raft.IsEmptySnap(rd.Snapshot) {
		if err := n.saveApplying(rd, &changed); err != nil {
			return err
		}
		appliedEarly = true
	} else if err := n.st.Save(rd.HardState, rd.Entries, rd.Snapshot); err != nil {
		return err
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		n.appendedTo = rd.Snapshot.GetMetadata().GetIndex()
	}
	if len(rd.Entries) > 0 {
		// The entries of a Ready end the log (they replace any suffix).
		n.appendedTo = rd.Entries[len(rd.Entries)-1].GetIndex()
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := n.restore(rd.Snapshot); err != nil {
			return err
		}
		changed = true
	}
	if len(late) > 0 {
		n.tr.Send(late)
	}
	for _, rs := range rd.ReadStates {
		if len(rs.RequestCtx) != 8 {
			continue
		}
		key := binary.BigEndian.Uint64(rs.RequestCtx)
		if r := n.reads[key]; r != nil {
			r.res <- readRes{index: rs.Index}
			delete(n.reads, key)
		}
	}
	if len(rd.CommittedEntries) > 0 && !appliedEarly {
		confChanged, err := n.apply(rd.CommittedEntries)
		if err != nil {
			return err
		}
		changed = changed || confChanged
	}
	n.rn.Advance(rd)
	if changed {
		n.publishStatus()
		n.notifyChange()
	} else if rd.HardState != nil {
		n.publishStatus()
	}
	n.maybeSnapshot()
	return nil
}

// saveApplying saves a Ready without a snapshot and applies its committed
// entries meanwhile: the new entries are appended, the syncer goroutine
// fsyncs them while this goroutine applies, and the HardState is saved
// once the fsync is done (as Storage.Save orders them). Without new
// entries there is nothing to wait for and the fsync is not handed off.
func (n *Node) saveApplying(rd raft.Ready, changed *bool) error {
	syncing := false
	if len(rd.Entries) > 0 {
		if err := n.st.append(rd.Entries); err != nil {
			return err
		}
		n.syncReq <- struct{}{}
		syncing = true
	}
	confChanged, aerr := n.apply(rd.CommittedEntries)
	*changed = *changed || confChanged
	if syncing {
		if err := <-n.syncDone; err != nil {
			return err
		}
	}
	if aerr != nil {
		return aerr
	}
	return n.st.saveHardState(rd.HardState)
}

// syncer fsyncs the log when the loop asks (saveApplying) and answers on
// syncDone. It stops once the loop has (done): the loop may still ask
// after stopc closed, and it waits for each answer before it asks again
// or returns.
func (n *Node) syncer() {
	for {
		select {
		case <-n.syncReq:
			n.syncDone <- n.st.syncLog()
		case <-n.done:
			return
		}
	}
}

// splitMessages splits a Ready's messages into those that may go out before
// the Ready is persisted (appended to early, which is returned) and those
// that may not (late: rd.Messages reordered in place). Only the answers
// that acknowledge this member's state (MsgAppResp: "I have these entries";
// MsgVoteResp, MsgPreVoteResp: "I vote for you") must wait for the fsync;
// raft itself queues exactly these behind the local write (its
// msgsAfterAppend, which it sends at once in AsyncStorageWrites mode). The
// rest (MsgApp, heartbeats, forwarded proposals, votes asked for) commit
// this member to nothing: a leader counts its own copy of an entry only in
// Advance, after Save, and any answer to an early message is stepped by
// this goroutine after Save returns. A crash between the send and the
// fsync leaves followers holding entries the leader lost, which raft
// allows (thesis §10.2.1: a leader may write its log in parallel with
// replicating it).
func splitMessages(msgs []*raftpb.Message, early []*raftpb.Message) (_, late []*raftpb.Message) {
	late = msgs[:0]
	for _, m := range msgs {
		switch m.GetType() {
		case raftpb.MessageType_MsgAppResp, raftpb.MessageType_MsgVoteResp, raftpb.MessageType_MsgPreVoteResp:
			late = append(late, m)
		default:
			early = append(early, m)
		}
	}
	return early, late
}

// restore installs a snapshot the leader sent (already persisted by Save).
func (n *Node) restore(snap *raftpb.Snapshot) error {
	meta := snap.GetMetadata()
	members, appData, err := splitSnapshotData(snap.GetData())
	if err != nil {
		return fmt.Errorf("quorum: snapshot %d: %w", meta.GetIndex(), err)
	}
	if err := n.app.Restore(meta.GetIndex(), meta.GetTerm(), bytes.NewReader(appData)); err != nil {
		return fmt.Errorf("quorum: restore snapshot %d: %w", meta.GetIndex(), err)
	}
	n.log.Info("quorum: restored snapshot from the leader", "index", meta.GetIndex(), "term", meta.GetTerm())
	old := n.members
	n.members = map[uint64]Member{}
	n.membersGen++
	for _, m := range members {
		n.members[m.ID] = m
	}
	for id := range old {
		if _, ok := n.members[id]; !ok && id != n.id {
			n.tr.RemovePeer(id)
		}
	}
	n.syncPeers(nil)
	n.confState = proto.Clone(meta.GetConfState()).(*raftpb.ConfState)
	n.snapIndex = meta.GetIndex()
	n.setApplied(meta.GetIndex(), meta.GetTerm())
	return nil
}

// apply hands committed entries to the Applier, applying configuration
// changes to raft and the transport on the way.
func (n *Node) apply(ents []*raftpb.Entry) (confChanged bool, err error) {
	out := make([]Entry, 0, len(ents))
	for _, e := range ents {
		if e.GetIndex() <= n.applied.Load() {
			continue
		}
		switch e.GetType() {
		case raftpb.EntryType_EntryNormal:
			if len(e.GetData()) > 0 {
				out = append(out, Entry{Index: e.GetIndex(), Term: e.GetTerm(), Data: e.GetData()})
			}
		case raftpb.EntryType_EntryConfChange, raftpb.EntryType_EntryConfChangeV2:
			ms, data, err := n.applyConfChange(e)
			if err != nil {
				return false, err
			}
			out = append(out, Entry{Index: e.GetIndex(), Term: e.GetTerm(), Conf: ms, ConfData: data})
			confChanged = true
		}
	}
	if len(out) > 0 {
		n.app.Apply(out)
	}
	last := ents[len(ents)-1]
	n.setApplied(last.GetIndex(), last.GetTerm())
	return confChanged, nil
}

// applyConfChange applies a configuration-change entry and returns the
// membership after it and the application data of its context.
func (n *Node) applyConfChange(e *raftpb.Entry) (*Membership, []byte, error) {
	var cc raftpb.ConfChangeI
	var ctx []byte
	if e.GetType() == raftpb.EntryType_EntryConfChange {
		var c raftpb.ConfChange
		if err := proto.Unmarshal(e.GetData(), &c); err != nil {
			return nil, nil, fmt.Errorf("quorum: entry %d: conf change: %v: %w", e.GetIndex(), err, ErrCorrupt)
		}
		cc, ctx = &c, c.GetContext()
	} else {
		var c raftpb.ConfChangeV2
		if err := proto.Unmarshal(e.GetData(), &c); err != nil {
			return nil, nil, fmt.Errorf("quorum: entry %d: conf change: %v: %w", e.GetIndex(), err, ErrCorrupt)
		}
		cc, ctx = &c, c.GetContext()
	}
	addrs := map[uint64]string{}
	var data []byte
	if len(ctx) > 0 {
		if ms, rest, err := decodeMembers(ctx); err == nil {
			for _, m := range ms {
				addrs[m.ID] = m.Addr
			}
			if len(rest) > 0 {
				data = rest
			}
		} else {
			n.log.Warn("quorum: conf change with an unreadable member list", "index", e.GetIndex(), "err", err)
		}
	}
	n.confState = n.rn.ApplyConfChange(cc)
	n.membersGen++
	for _, ch := range cc.AsV2().GetChanges() {
		id := ch.GetNodeId()
		switch ch.GetType() {
		case raftpb.ConfChangeType_ConfChangeAddNode, raftpb.ConfChangeType_ConfChangeAddLearnerNode:
			m := n.members[id]
			m.ID = id
			m.Learner = ch.GetType() == raftpb.ConfChangeType_ConfChangeAddLearnerNode
			if a, ok := addrs[id]; ok && a != "" {
				m.Addr = a
			}
			n.members[id] = m
			if id != n.id && m.Addr != "" {
				n.tr.AddPeer(id, m.Addr)
			}
		case raftpb.ConfChangeType_ConfChangeRemoveNode:
			delete(n.members, id)
			if id != n.id {
				n.tr.RemovePeer(id)
			}
		}
	}
	n.log.Info("quorum: membership changed", "index", e.GetIndex(), "voters", n.confState.GetVoters(), "learners", n.confState.GetLearners())
	ms := &Membership{ConfState: proto.Clone(n.confState).(*raftpb.ConfState)}
	for _, id := range slices.Sorted(maps.Keys(n.members)) {
		ms.Members = append(ms.Members, n.members[id])
	}
	return ms, data, nil
}

func (n *Node) setApplied(index, term uint64) {
	n.appliedTerm.Store(term)
	n.applied.Store(index)
	n.waitMu.Lock()
	kept := n.waiters[:0]
	for _, w := range n.waiters {
		if w.index <= index {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	clear(n.waiters[len(kept):])
	n.waiters = kept
	n.waitMu.Unlock()
}

// maybeSnapshot starts a snapshot when SnapCount entries were applied since
// the last one. The Applier freezes its state here; the file is written by
// another goroutine.
func (n *Node) maybeSnapshot() {
	applied := n.applied.Load()
	if n.snapping || applied < n.snapIndex+n.cfg.SnapCount {
		return
	}
	write, err := n.app.Snapshot()
	if err != nil {
		n.log.Error("quorum: applier cannot snapshot", "index", applied, "err", err)
		n.snapIndex = applied // try again after SnapCount more entries
		return
	}
	meta := &raftpb.SnapshotMetadata{
		Index: new(applied), Term: new(n.appliedTerm.Load()),
		ConfState: proto.Clone(n.confState).(*raftpb.ConfState),
	}
	members := slices.Collect(maps.Values(n.members))
	members, _ = sortMembers(members)
	n.snapping = true
	n.wg.Go(func() {
		err := n.st.CreateSnapshot(meta, members, write)
		select {
		case n.snapc <- snapResult{meta: meta, err: err}:
		case <-n.done:
		}
	})
}

func (n *Node) onSnapshotDone(r snapResult) {
	n.snapping = false
	idx := r.meta.GetIndex()
	if r.err != nil {
		n.log.Error("quorum: snapshot failed", "index", idx, "err", r.err)
		n.snapIndex = max(n.snapIndex, idx) // try again after SnapCount more entries
		return
	}
	n.log.Info("quorum: snapshot written", "index", idx, "term", r.meta.GetTerm())
	n.snapIndex = max(n.snapIndex, idx)
	if idx > n.cfg.CompactionSlack {
		if err := n.st.Compact(idx - n.cfg.CompactionSlack); err != nil {
			n.log.Warn("quorum: compaction failed", "index", idx-n.cfg.CompactionSlack, "err", err)
		}
	}
	if err := n.st.PurgeSnapshots(n.cfg.SnapRetainCount); err != nil {
		n.log.Warn("quorum: purging old snapshots failed", "err", err)
	}
}
