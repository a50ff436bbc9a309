package bench

// Failover: the leader of an ensemble is killed under write load, and the load's own
// clients time how long writes stay impossible.
//
//	load start        kill (SIGKILL sent / kill command returned)             stop
//	|-- Warmup -------|-- reconnecting, electing ... -- writes again ... -- After --|
//	                  |<-- FirstWrite ------>|                (any server)
//	                  |<-- AllServers ----------------->|     (every surviving server)
//	                    |<-- KillStall ----->|  the longest stretch without a completed write
//
// The clients are ClientRaw sessions spread over the servers as in RunZK. A client whose
// connection fails (the server died, or a follower dropped its clients on losing the
// leader, as Apache ZooKeeper does) resumes its session on its own server, round after
// round with Retry between rounds, so that each surviving server's first write after the
// kill is its own; the clients of the killed leader resume theirs on the other servers,
// spread over them. A session the ensemble has expired is replaced by a fresh one. Each request waits at most two thirds of
// the negotiated session timeout for its reply (the read timeout of ZooKeeper's own
// clients) before the client reconnects. A write counts towards a server's first write
// after the kill only when it was issued after the kill: a reply the dead leader committed
// before dying says nothing about the new one.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	randv2 "math/rand/v2"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Defaults filled in by FailoverOptions when a field is left zero.
const (
	DefaultFailoverClients = 16
	DefaultFailoverOp      = OpSet
	DefaultWarmup          = 2 * time.Second
	DefaultAfter           = time.Second
	DefaultFailoverTimeout = time.Minute
	DefaultRetry           = 20 * time.Millisecond
)

// Bounds of the failover run's side work: one reconnection attempt, one four-letter word,
// the search for the leader before the kill, the search for the new one afterwards, and a
// kill command.
const (
	reconnectAttemptTimeout = 2 * time.Second
	fourLetterTimeout       = 3 * time.Second
	findLeaderTimeout       = 30 * time.Second
	newLeaderTimeout        = 5 * time.Second
	leaderPoll              = 50 * time.Millisecond
	killCmdTimeout          = 30 * time.Second
)

// Errors of the failover run, wrapped with context.
var (
	// ErrNoLeader reports an ensemble where no server said it was the leader in time.
	ErrNoLeader = errors.New("bench: no leader")
	// ErrNoFailover reports writes that did not resume on every surviving server within
	// FailoverOptions.Timeout of the kill.
	ErrNoFailover = errors.New("bench: writes did not resume")
)

// FailoverOptions configures RunFailover. Zero fields take the Default* values.
type FailoverOptions struct {
	// Servers are the ensemble's client addresses (comma lists are split), at least
	// three; client i's home is Servers[i % len(Servers)]. Clients must be at least as
	// many as servers, so that every server has clients of its own.
	Servers []string
	// Clients is the number of sessions, each with one request in flight.
	Clients int
	// Op is OpSet (every request a write) or OpMixed (90% reads).
	Op string
	// Size is the data bytes of each set.
	Size int
	// SessionTimeout is the session timeout the clients ask for.
	SessionTimeout time.Duration
	// Warmup is how long the load runs before the kill; After how long it goes on once
	// every surviving server has served a write issued after the kill; Timeout how long
	// after the kill that may take at most.
	Warmup, After, Timeout time.Duration
	// Retry is the pause between two rounds of reconnection attempts over the servers.
	Retry time.Duration
	// Pids maps a server's address (as in Servers) to its process id, for the kill.
	Pids map[string]int
	// KillCmd, when set, kills the leader instead of a SIGKILL to its pid: a command for
	// sh -c in which {pid} (from Pids), {addr} and {id} (the leader's 1-based position in
	// Servers) are replaced. The kill counts as done when the command has returned.
	KillCmd string
	// Progress, when not nil, receives a progress line every Interval and a line for each
	// event (the kill, each server's first write after it).
	Progress io.Writer
	Interval time.Duration
	// Logger receives debug messages; nil discards them.
	Logger *slog.Logger
}

// validate fills defaults into a copy of o and reports what cannot be used.
func (o FailoverOptions) validate() (FailoverOptions, error) {
	servers, err := flattenServers(o.Servers)
	if err != nil {
		return o, err
	}
	if len(servers) < 3 {
		return o, fmt.Errorf("%w: %d servers: a leader failover needs an ensemble of at least 3", ErrInvalidOptions, len(servers))
	}
	o.Servers = servers
	if o.Clients == 0 {
		o.Clients = DefaultFailoverClients
	}
	if o.Clients < len(servers) {
		return o, fmt.Errorf("%w: %d clients for %d servers: every server needs one", ErrInvalidOptions, o.Clients, len(servers))
	}
	if o.Op == "" {
		o.Op = DefaultFailoverOp
	}
	if o.Op != OpSet && o.Op != OpMixed {
		return o, fmt.Errorf("%w: op %q is not %s or %s", ErrInvalidOptions, o.Op, OpSet, OpMixed)
	}
	if o.Size < 0 || o.Size > MaxSize {
		return o, fmt.Errorf("%w: size %d not in 0..%d", ErrInvalidOptions, o.Size, MaxSize)
	}
	for _, d := range []struct {
		p   *time.Duration
		def time.Duration
	}{
		{&o.SessionTimeout, DefaultSessionTimeout}, {&o.Warmup, DefaultWarmup}, {&o.After, DefaultAfter},
		{&o.Timeout, DefaultFailoverTimeout}, {&o.Retry, DefaultRetry}, {&o.Interval, DefaultInterval},
	} {
		if *d.p == 0 {
			*d.p = d.def
		}
		if *d.p < 0 {
			return o, fmt.Errorf("%w: negative duration %v", ErrInvalidOptions, *d.p)
		}
	}
	if o.KillCmd == "" && len(o.Pids) == 0 {
		return o, fmt.Errorf("%w: neither pids nor a kill command: the leader cannot be killed", ErrInvalidOptions)
	}
	for addr, pid := range o.Pids {
		if !slices.Contains(servers, addr) {
			return o, fmt.Errorf("%w: pid given for %s, which is not one of the servers", ErrInvalidOptions, addr)
		}
		if pid <= 0 {
			return o, fmt.Errorf("%w: pid %d for %s", ErrInvalidOptions, pid, addr)
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// ParsePids reads "key=pid" pairs into a map from server address to pid: key is a
// server's address as in servers or its 1-based position there (the server id when the
// servers are listed in id order). Comma-separated lists are split.
func ParsePids(pairs []string, servers []string) (map[string]int, error) {
	servers, err := flattenServers(servers)
	if err != nil {
		return nil, err
	}
	pids := map[string]int{}
	for _, p := range pairs {
		for _, kv := range splitHosts(p) {
			key, val, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("%w: pid %q is not key=pid", ErrInvalidOptions, kv)
			}
			pid, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil || pid <= 0 {
				return nil, fmt.Errorf("%w: pid %q of %s is not a process id", ErrInvalidOptions, val, key)
			}
			key = strings.TrimSpace(key)
			if n, err := strconv.Atoi(key); err == nil {
				if n < 1 || n > len(servers) {
					return nil, fmt.Errorf("%w: server %d out of 1..%d", ErrInvalidOptions, n, len(servers))
				}
				key = servers[n-1]
			} else if !slices.Contains(servers, key) {
				return nil, fmt.Errorf("%w: %s is not one of the servers %s", ErrInvalidOptions, key, strings.Join(servers, ","))
			}
			pids[key] = pid
		}
	}
	return pids, nil
}

// FailoverResult is what RunFailover measured. Times called "since the kill" are from the
// moment the SIGKILL was sent (or the kill command returned); a server index is a position
// in Servers.
type FailoverResult struct {
	// Op, Clients, Size and Servers repeat the options.
	Op      string
	Clients int
	Size    int
	Servers []string
	// Leader is the killed server, LeaderPid its pid (0 when unknown), NewLeader the
	// server that said it led afterwards (-1 when none did within a few seconds).
	Leader, LeaderPid, NewLeader int
	// KilledAt is when the kill was done, since the load started; KillTook how long the
	// SIGKILL or the kill command took.
	KilledAt, KillTook time.Duration
	// FirstWrite is the time from the kill to the first successful write issued after
	// it, on any server; AllServers to the moment every surviving server had served one.
	FirstWrite, AllServers time.Duration
	// ServerFirstWrite[k] is the time from the kill to the first successful write issued
	// after it on server k; -1 for the killed server and a server that served none.
	ServerFirstWrite []time.Duration
	// KillStall is the longest stretch without any successful write (by completion)
	// between the kill and the moment every surviving server had served one: the outage
	// the clients saw. MaxStall is the longest such stretch over the whole load.
	KillStall, MaxStall time.Duration
	// Elapsed is the length of the load, from start to stop.
	Elapsed time.Duration
	// Ops counts successful operations (reads and writes), Errors failed ones (error
	// replies, broken connections, timeouts), Writes successful writes.
	Ops, Errors, Writes int64
	// WritesPerSecBefore is the rate of successful writes before the kill.
	WritesPerSecBefore float64
	// ServerOps[k] counts the successful operations served by server k.
	ServerOps []int64
	// Reconnects counts sessions resumed on a new connection, NewSessions sessions that
	// had expired and were replaced by fresh ones.
	Reconnects, NewSessions int64
	// Latency percentiles and maximum of successful operations.
	P50, P99, Max time.Duration
	// ClientCPU is this process's CPU time during the load.
	ClientCPU time.Duration
	// FirstError is the first failure seen, when Errors > 0; CleanupErr why the root
	// could not be removed.
	FirstError, CleanupErr error
	// Root is the run's private root znode.
	Root string
}

// failoverRun is the state one RunFailover shares between its clients and its
// coordinator. The clients write only their own failoverClient and the atomics here.
type failoverRun struct {
	o       FailoverOptions
	start   time.Time
	events  *lockedWriter // nil without Progress
	killed  atomic.Int64  // since start in ns; 0 until the kill is done
	leader  atomic.Int32  // index of the server to kill (stored just before the kill); -1 before
	first   []atomic.Int64
	resumed chan struct{} // receives (without blocking) when a server's first write is noted
}

// failoverClient is one client's session and tallies, owned by its goroutine until the
// load stops (conn is also read by abort).
type failoverClient struct {
	idx         int // the client's number
	home, cur   int // the server it starts on and stays with unless that is killed; the one it is on
	conn        atomic.Pointer[rawConn]
	session     int64 // to resume after a broken connection; 0: open a new one
	passwd      []byte
	lastZxid    int64
	xid         int32
	writes      []time.Duration // completion of each successful write, since start
	serverOps   []int64
	reconnects  int64
	newSessions int64
	rec         *recorder
}

// RunFailover spreads a write load over o.Servers, kills the leader after o.Warmup and
// measures how long until writes succeed again on each surviving server; o.After later
// the load stops, the sessions are closed and the private root is removed through the
// surviving servers. It returns ErrNoFailover (with the partial result) when writes did not
// resume everywhere within o.Timeout, and ctx's error when ctx ends first. The killed
// server is left dead: restarting it is the caller's business.
func RunFailover(ctx context.Context, o FailoverOptions) (*FailoverResult, error) {
	o, err := o.validate()
	if err != nil {
		return nil, err
	}
	zo, err := ZKOptions{Servers: o.Servers, Client: ClientRaw, Clients: o.Clients, Op: o.Op, Size: o.Size,
		SessionTimeout: o.SessionTimeout, Logger: o.Logger}.validate()
	if err != nil {
		return nil, err
	}
	fleet, err := dialRawFleet(ctx, zo)
	if err != nil {
		return nil, err
	}
	root := "/zkfailover-" + randomHex(8)
	data := payload(o.Size)
	if err := fleet.setup(ctx, root, data); err != nil {
		fleet.close()
		return nil, errors.Join(err, cleanupZK(ctx, zo, nil, root))
	}

	n := len(o.Servers)
	r := &failoverRun{o: o, first: make([]atomic.Int64, n), resumed: make(chan struct{}, 1)}
	r.leader.Store(-1)
	if o.Progress != nil {
		r.events = &lockedWriter{w: o.Progress}
	}
	clients := make([]*failoverClient, o.Clients)
	recs := make([]*recorder, o.Clients)
	for i, c := range fleet.conns {
		home := serverOf(i, n)
		fc := &failoverClient{idx: i, home: home, cur: home, serverOps: make([]int64, n), rec: newRecorder()}
		fc.conn.Store(c)
		clients[i], recs[i] = fc, fc.rec
	}
	res := &FailoverResult{Op: o.Op, Clients: o.Clients, Size: o.Size, Servers: o.Servers, Root: root, Leader: -1, NewLeader: -1}

	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	cpu0 := processCPU()
	r.start = time.Now()
	var workers sync.WaitGroup
	for i, fc := range clients {
		node := clientNode(root, i)
		l := &zkLoad{op: o.Op, node: node, seq: node + "/n-", data: data, rec: fc.rec,
			rng: randv2.New(randv2.NewPCG(randv2.Uint64(), uint64(i)))}
		workers.Go(func() { r.client(stopCtx, fc, l) })
	}
	done := make(chan struct{})
	var helpers sync.WaitGroup
	helpers.Go(func() { // an interrupted run must not wait for requests in flight
		select {
		case <-done:
		case <-ctx.Done():
			abortClients(clients)
		}
	})
	if r.events != nil {
		helpers.Go(func() { _ = reportProgress(done, r.events, o.Interval, r.start, recs) })
	}

	runErr := r.coordinate(ctx, res)
	stop()
	workers.Wait()
	res.Elapsed = time.Since(r.start)
	res.ClientCPU = processCPU() - cpu0
	close(done)
	helpers.Wait()

	r.summarize(res, clients)
	res.CleanupErr = r.cleanup(ctx, clients, root, res.Leader)
	return res, runErr
}

// coordinate runs the load's timeline: warm-up, leader search, kill, waiting for writes on
// every surviving server, After. It fills the kill's fields of res.
func (r *failoverRun) coordinate(ctx context.Context, res *FailoverResult) error {
	o := r.o
	if err := sleepCtx(ctx, o.Warmup); err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	leader, err := findLeader(ctx, o.Servers, findLeaderTimeout)
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	res.Leader, res.LeaderPid = leader, o.Pids[o.Servers[leader]]
	// Before the kill, so that its clients, failing at once, already look elsewhere.
	r.leader.Store(int32(leader))
	t0 := time.Now()
	if err := r.kill(ctx, leader, res.LeaderPid); err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	killed := time.Since(r.start)
	res.KillTook = time.Since(t0)
	res.KilledAt = killed
	r.killed.Store(int64(killed))
	r.event("killed the leader %s (pid %d) at %.3fs", o.Servers[leader], res.LeaderPid, killed.Seconds())

	deadline := time.NewTimer(o.Timeout)
	defer deadline.Stop()
	for !r.allResumed(leader) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("failover: %w", ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("%w on every surviving server within %v of the kill", ErrNoFailover, o.Timeout)
		case <-r.resumed:
		}
	}
	if err := sleepCtx(ctx, o.After); err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	survivors := slices.Delete(slices.Clone(o.Servers), leader, leader+1)
	if nl, err := findLeader(ctx, survivors, newLeaderTimeout); err == nil {
		res.NewLeader = slices.Index(o.Servers, survivors[nl])
	} else {
		o.Logger.Debug("no new leader found", "err", err)
	}
	return nil
}

// allResumed reports whether every server but leader has served a write issued after the
// kill.
func (r *failoverRun) allResumed(leader int) bool {
	for k := range r.first {
		if k != leader && r.first[k].Load() == 0 {
			return false
		}
	}
	return true
}

// kill kills the leader: the kill command, or SIGKILL to pid.
func (r *failoverRun) kill(ctx context.Context, leader, pid int) error {
	addr := r.o.Servers[leader]
	if r.o.KillCmd == "" {
		if pid == 0 {
			return fmt.Errorf("the leader is %s, whose pid was not given", addr)
		}
		if err := killProcess(pid); err != nil {
			return fmt.Errorf("kill the leader %s: %w", addr, err)
		}
		return nil
	}
	if strings.Contains(r.o.KillCmd, "{pid}") && pid == 0 {
		return fmt.Errorf("the kill command needs {pid}, but the leader %s has none given", addr)
	}
	line := strings.NewReplacer("{pid}", strconv.Itoa(pid), "{addr}", addr, "{id}", strconv.Itoa(leader+1)).Replace(r.o.KillCmd)
	cctx, cancel := context.WithTimeout(ctx, killCmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(cctx, "sh", "-c", line).CombinedOutput()
	if err != nil {
		return fmt.Errorf("kill command %q for the leader %s: %w: %s", line, addr, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// event writes one line to the progress writer, if there is one.
func (r *failoverRun) event(format string, args ...any) {
	if r.events != nil {
		_, _ = fmt.Fprintf(r.events, "# "+format+"\n", args...)
	}
}

// client is one client's closed loop until ctx is done: requests on its connection, and
// reconnection when that fails.
func (r *failoverRun) client(ctx context.Context, fc *failoverClient, l *zkLoad) {
	c := fc.conn.Load()
	c.load(l)
	for ctx.Err() == nil {
		if c == nil {
			if c = r.reconnect(ctx, fc); c == nil {
				return
			}
			c.load(l)
		}
		op := l.next()
		t0 := time.Now()
		if t0.Sub(c.lastSend) > c.pingEvery {
			if err := c.ping(t0); err != nil {
				c = r.drop(fc, c, time.Since(t0), fmt.Errorf("%w to %s: %w", ErrConnLost, c.addr, err), false)
				continue
			}
			t0 = time.Now()
		}
		// The read timeout of ZooKeeper's clients: two thirds of the session timeout.
		_ = c.nc.SetReadDeadline(t0.Add(c.timeout * 2 / 3))
		code, err := c.do(op, t0)
		t1 := time.Now()
		if err != nil {
			if ctx.Err() != nil {
				return // the load is over (or interrupted): not a failure of the ensemble
			}
			c = r.drop(fc, c, t1.Sub(t0), fmt.Errorf("%w: %s %s on %s: %w", ErrConnLost, op, l.node, c.addr, err), false)
			continue
		}
		switch code {
		case jute.ErrOK:
		case jute.ErrSessionExpired, jute.ErrSessionMoved, jute.ErrConnectionLoss:
			c = r.drop(fc, c, t1.Sub(t0), fmt.Errorf("%s %s on %s: %w", op, l.node, c.addr, code), code == jute.ErrSessionExpired)
			continue
		default:
			l.rec.record(t1.Sub(t0), fmt.Errorf("%s %s on %s: %w", op, l.node, c.addr, code))
			continue
		}
		l.rec.record(t1.Sub(t0), nil)
		fc.serverOps[fc.cur]++
		if op == OpSet {
			r.wrote(fc, t0, t1)
		}
	}
}

// killProcess sends SIGKILL to pid.
func killProcess(pid int) error {
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("SIGKILL %d: %w", pid, err)
	}
	return nil
}

// wrote notes a successful write on fc's server, issued at t0 and answered at t1.
func (r *failoverRun) wrote(fc *failoverClient, t0, t1 time.Time) {
	done := t1.Sub(r.start)
	fc.writes = append(fc.writes, done)
	k := r.killed.Load()
	if k == 0 || int64(t0.Sub(r.start)) <= k {
		return
	}
	if r.first[fc.cur].Load() == 0 && r.first[fc.cur].CompareAndSwap(0, int64(done)) {
		r.event("%s: first write after the kill %.3fs after it", r.o.Servers[fc.cur], (time.Duration(int64(done) - k)).Seconds())
		select {
		case r.resumed <- struct{}{}:
		default:
		}
	}
}

// drop records the failure err of a request that took d, closes c and keeps what
// resuming its session needs (nothing when expired: the next session is new). It returns
// nil, the client's connection from now on.
func (r *failoverRun) drop(fc *failoverClient, c *rawConn, d time.Duration, err error, expired bool) *rawConn {
	fc.rec.record(d, err)
	r.o.Logger.Debug("connection lost", "server", c.addr, "err", err)
	fc.session, fc.passwd, fc.lastZxid, fc.xid = c.sessionID, c.passwd, c.lastZxid, c.xid
	if expired {
		fc.session, fc.passwd = 0, nil
	}
	fc.conn.Store(nil)
	_ = c.nc.Close()
	return nil
}

// reconnect resumes fc's session (or opens a fresh one when it expired), round after round
// with o.Retry between rounds, until a server accepts or ctx is done (then it returns nil).
// A client stays with its home server unless that is the killed leader: then it tries the
// others, starting from a different one for each client so that they share the load.
func (r *failoverRun) reconnect(ctx context.Context, fc *failoverClient) *rawConn {
	n := len(r.o.Servers)
	for {
		for _, s := range r.candidates(fc, n) {
			req := jute.ConnectRequest{TimeOut: int32(r.o.SessionTimeout / time.Millisecond), LastZxidSeen: fc.lastZxid,
				SessionID: fc.session, Passwd: fc.passwd}
			if fc.session == 0 {
				req.Passwd = make([]byte, 16)
			}
			c, err := dialRawSession(ctx, r.o.Servers[s], req, reconnectAttemptTimeout)
			if errors.Is(err, errSessionRefused) && fc.session != 0 {
				r.o.Logger.Debug("session expired", "session", fc.session, "server", r.o.Servers[s])
				fc.session, fc.passwd = 0, nil
				fc.newSessions++
				req.SessionID, req.Passwd = 0, make([]byte, 16)
				c, err = dialRawSession(ctx, r.o.Servers[s], req, reconnectAttemptTimeout)
			}
			if ctx.Err() != nil {
				if c != nil {
					_ = c.nc.Close()
				}
				return nil
			}
			if err != nil {
				r.o.Logger.Debug("reconnect", "server", r.o.Servers[s], "err", err)
				continue
			}
			c.xid = fc.xid
			fc.cur = s
			fc.reconnects++
			fc.conn.Store(c)
			return c
		}
		if sleepCtx(ctx, r.o.Retry) != nil {
			return nil
		}
	}
}

// candidates lists the servers fc tries to reconnect to, in order: its home, or when its
// home is the killed leader, every other server beginning at one that depends on the client.
func (r *failoverRun) candidates(fc *failoverClient, n int) []int {
	leader := int(r.leader.Load())
	if fc.home != leader {
		return []int{fc.home}
	}
	others := make([]int, 0, n-1)
	for k := range n - 1 {
		others = append(others, (leader+1+(fc.idx/n+k)%(n-1))%n)
	}
	return others
}

// abortClients makes every request in flight fail at once (a deadline in the past).
func abortClients(clients []*failoverClient) {
	for _, fc := range clients {
		if c := fc.conn.Load(); c != nil {
			_ = c.nc.SetDeadline(time.Unix(1, 0))
		}
	}
}

// summarize fills res's counts, latencies and gaps from the stopped clients.
func (r *failoverRun) summarize(res *FailoverResult, clients []*failoverClient) {
	recs := make([]*recorder, len(clients))
	res.ServerOps = make([]int64, len(r.o.Servers))
	var writes []time.Duration
	for i, fc := range clients {
		recs[i] = fc.rec
		for k, n := range fc.serverOps {
			res.ServerOps[k] += n
		}
		writes = append(writes, fc.writes...)
		res.Reconnects += fc.reconnects
		res.NewSessions += fc.newSessions
	}
	h := newHistogram()
	t := collect(recs, h)
	res.Ops, res.Errors, res.FirstError = t.ops, t.errs, t.firstErr
	if h.TotalCount() > 0 {
		res.P50 = histDuration(h.ValueAtQuantile(50))
		res.P99 = histDuration(h.ValueAtQuantile(99))
		res.Max = histDuration(h.Max())
	}
	res.Writes = int64(len(writes))
	slices.Sort(writes)
	killed := time.Duration(r.killed.Load())
	res.ServerFirstWrite = make([]time.Duration, len(r.o.Servers))
	res.FirstWrite, res.AllServers = -1, -1
	for k := range r.first {
		f := time.Duration(r.first[k].Load())
		if f == 0 || killed == 0 {
			res.ServerFirstWrite[k] = -1
			continue
		}
		d := f - killed
		res.ServerFirstWrite[k] = d
		if res.FirstWrite < 0 || d < res.FirstWrite {
			res.FirstWrite = d
		}
	}
	recovered := time.Duration(0)
	if killed > 0 && r.allResumed(int(r.leader.Load())) {
		for _, d := range res.ServerFirstWrite {
			res.AllServers = max(res.AllServers, d)
		}
		recovered = killed + res.AllServers
	}
	g := writeGaps(writes, killed, recovered, res.Elapsed)
	res.KillStall, res.MaxStall = g.killStall, g.maxStall
	if killed > 0 {
		res.WritesPerSecBefore = float64(g.before) / killed.Seconds()
	}
}

// gaps are the write gaps of one run.
type gaps struct {
	killStall, maxStall time.Duration
	before              int // writes completed by the kill
}

// writeGaps measures sorted write completion times (since the load's start) against the
// kill and recovery (when every surviving server had served a write; both 0 when they did
// not happen) and the load's end: the longest stretch without completions that reaches
// past the kill and begins before recovery (the whole rest of the load when there was
// none), the longest stretch without completions from start to end, and how many
// completed by the kill.
func writeGaps(writes []time.Duration, killed, recovered, end time.Duration) gaps {
	var g gaps
	if recovered == 0 {
		recovered = end
	}
	prev := time.Duration(0)
	for _, w := range append(slices.Clip(writes), end) {
		g.maxStall = max(g.maxStall, w-prev)
		if killed > 0 && w > killed && prev < recovered {
			g.killStall = max(g.killStall, w-prev)
		}
		prev = w
	}
	if killed > 0 {
		g.before, _ = slices.BinarySearch(writes, killed+1)
	}
	return g
}

// cleanup closes the sessions and removes root through the servers but the killed one.
func (r *failoverRun) cleanup(ctx context.Context, clients []*failoverClient, root string, leader int) error {
	var wg sync.WaitGroup
	for _, fc := range clients {
		if c := fc.conn.Load(); c != nil {
			wg.Go(func() {
				if err := c.closeSession(); err != nil {
					r.o.Logger.Debug("close session", "err", err)
				}
			})
		}
	}
	wg.Wait()
	var alive []string
	for k, s := range r.o.Servers {
		if k != leader {
			alive = append(alive, s)
		}
	}
	o := ZKOptions{Servers: []string{strings.Join(alive, ",")}, SessionTimeout: r.o.SessionTimeout, Duration: time.Second, Logger: r.o.Logger}
	return cleanupZK(ctx, o, nil, root)
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// Write implements io.Writer.
func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// modeRE and stateRE find a server's role in srvr's and mntr's answers.
var (
	modeRE  = regexp.MustCompile(`(?m)^Mode: (\S+)`)
	stateRE = regexp.MustCompile(`(?m)^zk_server_state\s+(\S+)`)
)

// ServerMode asks the server at addr for its role with the four-letter word srvr (its
// Mode line), or mntr (zk_server_state) when srvr has none: leader, follower, observer,
// standalone, read-only...
func ServerMode(addr string) (string, error) {
	out, err := fourLetter(addr, "srvr")
	if m := modeRE.FindStringSubmatch(out); m != nil {
		return m[1], nil
	}
	out2, err2 := fourLetter(addr, "mntr")
	if m := stateRE.FindStringSubmatch(out2); m != nil {
		return m[1], nil
	}
	return "", fmt.Errorf("%s: no Mode in srvr nor zk_server_state in mntr: %w", addr, errors.Join(err, err2))
}

// findLeader asks every server for its role until one says leader, for at most timeout,
// and returns its index.
func findLeader(ctx context.Context, servers []string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		modes := make([]string, len(servers))
		for k, s := range servers {
			m, err := ServerMode(s)
			if err != nil {
				m = err.Error()
			}
			if m == "leader" {
				return k, nil
			}
			modes[k] = s + ": " + m
		}
		if err := sleepCtx(ctx, leaderPoll); err != nil {
			return -1, fmt.Errorf("%w among %s within %v (%s)", ErrNoLeader, strings.Join(servers, ","), timeout, strings.Join(modes, "; "))
		}
	}
}

// fourLetter sends a four-letter word to addr and returns the whole answer.
func fourLetter(addr, word string) (string, error) {
	nc, err := net.DialTimeout("tcp", addr, fourLetterTimeout)
	if err != nil {
		return "", fmt.Errorf("%s to %s: %w", word, addr, err)
	}
	defer nc.Close()
	if err := nc.SetDeadline(time.Now().Add(fourLetterTimeout)); err != nil {
		return "", fmt.Errorf("%s to %s: %w", word, addr, err)
	}
	if _, err := io.WriteString(nc, word); err != nil {
		return "", fmt.Errorf("%s to %s: %w", word, addr, err)
	}
	b, err := io.ReadAll(nc)
	if err != nil {
		return string(b), fmt.Errorf("%s from %s: %w", word, addr, err)
	}
	return string(b), nil
}
