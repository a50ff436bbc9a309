// Package bench holds zkafka's load generators, the code behind `zkafka bench`.
//
// RunZK drives a ZooKeeper ensemble (zkafka's keeper or Apache ZooKeeper; it cannot tell
// them apart) with a fixed number of clients, spread over the ensemble's servers (client i
// on server i mod n). Every client is its own session over its own TCP connection and keeps exactly one request in flight (a closed loop), so throughput is
// clients divided by latency and the numbers compare like with like across servers. The
// sessions are made by one of two clients (ZKOptions.Client): ClientRaw, this package's own
// lean implementation of the wire protocol (zkraw.go: one write and one read per request,
// no allocation per request), or ClientGoZK, github.com/go-zookeeper/zk, a full client
// library that costs the shared machine more CPU per request. All znodes live under a
// private root, /zkbench-<random>, which is removed afterwards:
//
//	/zkbench-3f9a0c1d2e4b5a69          root, one per run
//	├── c0000                          client 0's node (Size bytes): set/get target
//	│   ├── n-0000000000               create: persistent-sequential children, Size bytes
//	│   └── n-0000000001
//	└── c0001                          client 1's node
//
// With ZKOptions.Rate the loop is open instead (pace.go): the clients send Rate operations
// a second between them on a fixed schedule, still one request in flight each, and latency
// runs from each operation's due time, so that servers compare at the same offered load and
// a stall counts against every operation it delayed.
//
// Latencies of successful operations go into one HdrHistogram per client (1 µs to 60 s,
// three significant digits), merged for live progress lines and the final ZKResult.
//
// Populate fills a server with many znodes quickly (pipelined creates over several
// connections) and MemoryRSS reads a process's resident set size, for memory and restart
// measurements. Restart stops a server by pid, runs its start command and times until
// ProbeGetData, a one-connection raw-protocol getData on a fresh session, first succeeds.
// The subcommands zk-populate and zk-restart expose them to scripts/bench-keeper.sh, which
// compares zkafka's keeper with Apache ZooKeeper (docs/benchmarks.md).
//
// RunFailover (failover.go, `bench zk-failover`) kills an ensemble's leader under a write
// load of raw clients that resume their sessions elsewhere, and times from the clients'
// own writes how long the ensemble took to accept writes again on each surviving server;
// scripts/bench-ensemble.sh runs it and RunZK against 3-server ensembles.
//
// The client and the server usually share one machine, so every number this package
// prints describes that machine, cores shared, not the server alone.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	randv2 "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/go-zookeeper/zk"
)

// Operations RunZK can generate, the values of ZKOptions.Op.
const (
	// OpCreate creates persistent-sequential znodes of Size bytes under the client's node.
	OpCreate = "create"
	// OpSet sets Size bytes of data on the client's node.
	OpSet = "set"
	// OpGet reads the client's node.
	OpGet = "get"
	// OpMixed does 90% OpGet and 10% OpSet, chosen at random per operation.
	OpMixed = "mixed"
)

// Client implementations RunZK can drive the server with, the values of ZKOptions.Client.
const (
	// ClientRaw speaks the wire protocol itself (zkraw.go): one TCP connection per client,
	// one write and one read per request, no allocation per request.
	ClientRaw = "raw"
	// ClientGoZK uses github.com/go-zookeeper/zk, one *zk.Conn per client.
	ClientGoZK = "gozk"
)

// Defaults filled in by ZKOptions when a field is left zero.
const (
	DefaultZKServer       = "127.0.0.1:2181"
	DefaultClient         = ClientRaw
	DefaultClients        = 1
	DefaultOp             = OpGet
	DefaultDuration       = 10 * time.Second
	DefaultSessionTimeout = 10 * time.Second
	DefaultInterval       = time.Second
)

// MaxSize is the largest payload RunZK and Populate accept: ZooKeeper's default
// jute.maxbuffer is just under 1 MiB per request, path and header included.
const MaxSize = 1<<20 - 4096

// connectTimeout bounds how long a client may take to establish its session.
const connectTimeout = 15 * time.Second

// Errors returned by this package, wrapped with context.
var (
	// ErrInvalidOptions reports a ZKOptions (or Populate argument) that cannot be used.
	ErrInvalidOptions = errors.New("bench: invalid options")
	// ErrConnect reports a client that did not establish a ZooKeeper session in time.
	ErrConnect = errors.New("bench: could not connect")
	// ErrConnLost reports a ClientRaw connection that failed during the run (closed or
	// reset by the server, a malformed reply, or no reply long after the run's end): the
	// raw client does not reconnect, so the run ends with this error.
	ErrConnLost = errors.New("bench: connection lost")
	// ErrNoVmRSS reports a /proc/<pid>/status without a VmRSS line (a kernel thread or a
	// process that has exited).
	ErrNoVmRSS = errors.New("bench: no VmRSS in process status")
)

// ZKOptions configures RunZK. Zero fields take the Default* values; Size 0 means empty data.
type ZKOptions struct {
	// Servers are the ensemble's client addresses, host:port each; client i connects to
	// Servers[i % len(Servers)] and only to it, so the load spreads evenly over the servers.
	// An entry may be a comma-separated list: validate splits it, so {"a,b,c"} and
	// {"a", "b", "c"} are the same three servers. The root is created and removed through
	// Servers[0]; each client creates its own node through its own session, so its first
	// read finds the node even on a follower that has not caught up with the root's creator.
	Servers []string
	// Client is the client implementation, ClientRaw or ClientGoZK.
	Client string
	// Clients is the number of concurrent sessions, each with one request in flight.
	Clients int
	// Rate, when above 0, makes the run an open loop (pace.go): Rate operations a second
	// over all clients, sent on a fixed schedule, latency measured from each operation's due
	// time. 0 is the closed loop: each client sends its next request when the reply is in.
	// It needs ClientRaw on Linux (the event loops time the sends to the microsecond), and
	// each client must send more often than every third of SessionTimeout (it pings only
	// together with an operation).
	Rate int
	// Op is one of OpCreate, OpSet, OpGet, OpMixed.
	Op string
	// Duration is how long the measured phase runs; setup and cleanup are not counted.
	Duration time.Duration
	// Size is the number of data bytes written by create and set, and stored in each
	// client's node for get.
	Size int
	// SessionTimeout is the session timeout every client asks for.
	SessionTimeout time.Duration
	// Progress, when not nil, receives a line every Interval during the measured phase.
	Progress io.Writer
	// Interval is the period of progress lines.
	Interval time.Duration
	// Logger receives the ZooKeeper client library's messages at debug level; nil discards.
	Logger *slog.Logger
}

// validate fills defaults into a copy of o and reports what cannot be used.
func (o ZKOptions) validate() (ZKOptions, error) {
	if len(o.Servers) == 0 {
		o.Servers = []string{DefaultZKServer}
	}
	servers, err := flattenServers(o.Servers)
	if err != nil {
		return o, err
	}
	o.Servers = servers
	if o.Client == "" {
		o.Client = DefaultClient
	}
	if o.Client != ClientRaw && o.Client != ClientGoZK {
		return o, fmt.Errorf("%w: client %q is not %s or %s", ErrInvalidOptions, o.Client, ClientRaw, ClientGoZK)
	}
	if o.Clients == 0 {
		o.Clients = DefaultClients
	}
	if o.Clients < 0 {
		return o, fmt.Errorf("%w: clients %d < 1", ErrInvalidOptions, o.Clients)
	}
	if o.Rate < 0 || o.Rate > MaxRate {
		return o, fmt.Errorf("%w: rate %d not in 0..%d", ErrInvalidOptions, o.Rate, MaxRate)
	}
	if o.Rate > 0 && (o.Client != ClientRaw || !pacedLoops) {
		return o, fmt.Errorf("%w: an open loop (rate %d) needs the %s client's event loops, on Linux", ErrInvalidOptions, o.Rate, ClientRaw)
	}
	if o.Op == "" {
		o.Op = DefaultOp
	}
	switch o.Op {
	case OpCreate, OpSet, OpGet, OpMixed:
	default:
		return o, fmt.Errorf("%w: op %q is not one of create, set, get, mixed", ErrInvalidOptions, o.Op)
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Duration < 0 {
		return o, fmt.Errorf("%w: duration %v < 0", ErrInvalidOptions, o.Duration)
	}
	if o.Size < 0 || o.Size > MaxSize {
		return o, fmt.Errorf("%w: size %d not in 0..%d", ErrInvalidOptions, o.Size, MaxSize)
	}
	if o.SessionTimeout == 0 {
		o.SessionTimeout = DefaultSessionTimeout
	}
	if o.SessionTimeout < 0 {
		return o, fmt.Errorf("%w: session timeout %v < 0", ErrInvalidOptions, o.SessionTimeout)
	}
	if idle := time.Duration(o.Clients) * time.Second / time.Duration(max(o.Rate, 1)); o.Rate > 0 && idle >= o.SessionTimeout/3 {
		// A paced client pings only together with its next operation.
		return o, fmt.Errorf("%w: rate %d is too low for %d clients: each would send every %v, a third of the session timeout %v or more",
			ErrInvalidOptions, o.Rate, o.Clients, idle, o.SessionTimeout)
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Interval < 0 {
		return o, fmt.Errorf("%w: interval %v < 0", ErrInvalidOptions, o.Interval)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// flattenServers splits every comma-separated entry of servers into its host:port
// addresses, in order. An entry without any address is an error.
func flattenServers(servers []string) ([]string, error) {
	var flat []string
	for _, s := range servers {
		hosts := splitHosts(s)
		if len(hosts) == 0 {
			return nil, fmt.Errorf("%w: empty server %q", ErrInvalidOptions, s)
		}
		flat = append(flat, hosts...)
	}
	return flat, nil
}

// serverOf is the index in a list of n servers of the one client i connects to.
func serverOf(i, n int) int { return i % n }

// ZKResult is the outcome of one RunZK.
type ZKResult struct {
	// Op, Client, Clients, Size and Rate repeat the options the run used (Rate 0: a
	// closed loop).
	Op      string
	Client  string
	Clients int
	Size    int
	Rate    int
	// Servers are the servers the clients were spread over, client i on
	// Servers[i % len(Servers)]; ServerOps[k] counts the successful operations of the
	// clients on Servers[k].
	Servers   []string
	ServerOps []int64
	// Root is the run's private root znode (removed by the cleanup unless CleanupErr).
	Root string
	// Elapsed is the measured phase's wall time, from the first request to the last reply.
	Elapsed time.Duration
	// Ops counts successful operations, Errors failed ones; only successes are in the
	// latency figures.
	Ops    int64
	Errors int64
	// OpsPerSec is Ops divided by Elapsed.
	OpsPerSec float64
	// Unsent counts, in an open loop, the operations due before the measured phase's end
	// that were not sent when the clients stopped: the servers did not keep up with Rate.
	// Their latencies are in no figure. It is 0 when the run was interrupted or failed.
	Unsent int64
	// SendLagP99 and SendLagMax are, in an open loop, how late the load generator sent the
	// operations that waited for their due time (not those held back by a reply still
	// due): its own delay, which their latencies include. Near the latencies, they say the
	// load generator, not the servers, set them.
	SendLagP99, SendLagMax time.Duration
	// Latency percentiles and extremes of successful operations.
	Min, P50, P99, P999, Max time.Duration
	// Mean is the average latency of successful operations.
	Mean time.Duration
	// ClientCPU is the CPU time (user and system) this process spent during the measured
	// phase: the load generator's own cost, which shares the machine with the server.
	ClientCPU time.Duration
	// FirstError is the first failure seen, when Errors > 0.
	FirstError error
	// CleanupErr is why the root could not be removed, if it could not.
	CleanupErr error
}

// String prints r as a one-row table with a header (see WriteZKTable).
func (r *ZKResult) String() string {
	var b strings.Builder
	_ = WriteZKTable(&b, r) // a strings.Builder never fails
	if len(r.Servers) > 0 {
		b.WriteString("servers:")
		for k, srv := range r.Servers {
			fmt.Fprintf(&b, " %s", srv)
			if k < len(r.ServerOps) {
				fmt.Fprintf(&b, " (%d ops)", r.ServerOps[k])
			}
		}
		b.WriteString("\n")
	}
	if r.Rate > 0 {
		fmt.Fprintf(&b, "open loop: operations went out up to %s (p99) and %s (max) after their due times\n",
			fmtLatency(r.SendLagP99), fmtLatency(r.SendLagMax))
	}
	if r.Unsent > 0 {
		fmt.Fprintf(&b, "open loop behind: %d operations due were never sent (the servers did not keep up with %d ops/s; "+
			"the latencies leave them out)\n", r.Unsent, r.Rate)
	}
	if r.FirstError != nil {
		fmt.Fprintf(&b, "first error: %v\n", r.FirstError)
	}
	if r.CleanupErr != nil {
		fmt.Fprintf(&b, "cleanup of %s failed: %v\n", r.Root, r.CleanupErr)
	}
	return b.String()
}

// fill sets r's counts and latency figures from a tally and its merged histogram.
func (r *ZKResult) fill(t tally, h *hdrhistogram.Histogram) {
	r.Ops, r.Errors, r.FirstError = t.ops, t.errs, t.firstErr
	if r.Elapsed > 0 {
		r.OpsPerSec = float64(r.Ops) / r.Elapsed.Seconds()
	}
	if h.TotalCount() == 0 {
		return
	}
	r.Min = histDuration(h.Min())
	r.P50 = histDuration(h.ValueAtQuantile(50))
	r.P99 = histDuration(h.ValueAtQuantile(99))
	r.P999 = histDuration(h.ValueAtQuantile(99.9))
	r.Max = histDuration(h.Max())
	r.Mean = time.Duration(h.Mean() * float64(time.Microsecond))
}

// RunZK runs one load test as o describes and returns its result. It connects every client
// (all must get a session), creates the private root and the clients' nodes, runs the
// measured phase for o.Duration, then removes the root (best effort, bounded in time; a
// failure lands in ZKResult.CleanupErr). Cancelling ctx stops the run early: RunZK then
// returns the partial result with an error wrapping ctx.Err(). A ClientRaw connection that
// fails during the run ends it for every client: RunZK returns the partial result with an
// error wrapping ErrConnLost.
func RunZK(ctx context.Context, o ZKOptions) (*ZKResult, error) {
	o, err := o.validate()
	if err != nil {
		return nil, err
	}
	root := "/zkbench-" + randomHex(8)
	var fleet zkFleet
	switch o.Client {
	case ClientRaw:
		fleet, err = dialRawFleet(ctx, o)
	default:
		fleet, err = dialGoZKFleet(ctx, o)
	}
	if err != nil {
		return nil, err
	}
	defer fleet.close()

	data := payload(o.Size)
	if err := fleet.setup(ctx, root, data); err != nil {
		return nil, errors.Join(err, fleet.cleanup(ctx, root))
	}
	res := &ZKResult{Op: o.Op, Client: o.Client, Clients: o.Clients, Size: o.Size, Rate: o.Rate, Root: root, Servers: o.Servers}

	recs := make([]*recorder, fleet.shards(o.Clients))
	for k := range recs {
		recs[k] = newRecorder()
		if o.Rate > 0 {
			recs[k].lags = newHistogram()
		}
	}
	cpu0 := processCPU()
	start := time.Now()
	// The clients stop issuing at stopAt; requests in flight are aborted after grace.
	stopAt, grace := start.Add(o.Duration), o.Duration+o.SessionTimeout
	var pace *pacing
	if o.Rate > 0 {
		pace = &pacing{origin: start.Add(pacedLeadIn), rate: int64(o.Rate), clients: int64(o.Clients), end: o.Duration}
		stopAt = pace.origin.Add(o.Duration + pacedDrain)
		grace += pacedLeadIn + pacedDrain
	}
	runCtx, cancel := context.WithDeadline(ctx, stopAt)
	defer cancel()

	loads := make([]*zkLoad, o.Clients)
	for i := range loads {
		node := clientNode(root, i)
		loads[i] = &zkLoad{
			op:   o.Op,
			node: node,
			seq:  node + "/n-",
			data: data,
			rec:  recs[i%len(recs)],
			rng:  randv2.New(randv2.NewPCG(randv2.Uint64(), uint64(i))),
			pace: pace,
			slot: int64(i),
		}
	}
	done := make(chan struct{})
	var helpers sync.WaitGroup
	// A request stuck past the deadline (a stalled server) or an interrupted run must not
	// hold RunZK: aborting the connections fails outstanding requests at once.
	helpers.Go(func() {
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case <-done:
		case <-ctx.Done():
			fleet.abort()
		case <-timer.C:
			fleet.abort()
		}
	})
	var progressErr error
	if o.Progress != nil {
		helpers.Go(func() { progressErr = reportProgress(done, o.Progress, o.Interval, start, recs) })
	}
	failErr := fleet.run(loads, runCtx, ctx) // the first client failure that ended the run
	res.Elapsed = time.Since(start)
	res.ClientCPU = processCPU() - cpu0
	close(done)
	helpers.Wait()

	hist := newHistogram()
	res.fill(collect(recs, hist), hist)
	res.ServerOps = serverOps(loads, len(o.Servers))
	if pace != nil {
		if ctx.Err() == nil && failErr == nil { // else the clients stopped early, not behind
			for _, l := range loads {
				res.Unsent += pace.unsent(l.slot)
			}
		}
		collectLags(recs, hist)
		res.SendLagP99, res.SendLagMax = histDuration(hist.ValueAtQuantile(99)), histDuration(hist.Max())
	}
	res.CleanupErr = fleet.cleanup(ctx, root)
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("zk bench interrupted: %w", err)
	}
	if failErr != nil {
		return res, fmt.Errorf("zk bench: %w", failErr)
	}
	if progressErr != nil {
		return res, progressErr
	}
	return res, nil
}

// serverOps sums the successful operations of the clients (loads[i] is client i's) per
// server, for n servers spread over as serverOf does.
func serverOps(loads []*zkLoad, n int) []int64 {
	ops := make([]int64, n)
	for i, l := range loads {
		ops[serverOf(i, n)] += l.done
	}
	return ops
}

// zkFleet is the sessions one RunZK drives, one per client, all made by one client
// implementation (ClientRaw or ClientGoZK).
type zkFleet interface {
	// setup creates root through client 0, then every client's node through that client's
	// own session, concurrently.
	setup(ctx context.Context, root string, data []byte) error
	// run drives every client's closed loop (loads[i] is client i's), issuing its
	// operations one at a time until stop is done and its last reply is in. A failed
	// operation is recorded in the load's recorder; run returns an error, naming the client,
	// only for a failure that ends a client, and then ends the others early. Failures
	// caused by abort after parent was cancelled are neither recorded nor returned.
	run(loads []*zkLoad, stop, parent context.Context) error
	// shards is how many recorders the given number of clients share: client i records
	// into the (i mod shards)th, each recorder written by one goroutine only.
	shards(clients int) int
	// abort fails every request in flight at once; it may be called from any goroutine.
	abort()
	// cleanup removes root (see cleanupZK), ending the sessions first when it does not
	// need them.
	cleanup(ctx context.Context, root string) error
	// close ends every session; calling it again does nothing.
	close()
}

// zkLoad is what one client does: its operation mix, its node and where its results go.
type zkLoad struct {
	op   string // OpCreate, OpSet, OpGet or OpMixed
	node string // the client's own node, root/cNNNN
	seq  string // node + "/n-", the prefix of its sequential creates
	data []byte
	rec  *recorder // shared with other clients driven by the same goroutine (zkFleet.shards)
	rng  *randv2.Rand
	done int64 // successful operations, counted by the goroutine driving the client
	// In an open loop, pace is the run's schedule and slot the number of the client's next
	// operation in it (pace.go); pace is nil in a closed loop.
	pace *pacing
	slot int64
}

// record notes one finished operation of the client (see recorder.record).
func (l *zkLoad) record(d time.Duration, err error) {
	if err == nil {
		l.done++
	}
	l.rec.record(d, err)
}

// next returns the operation to issue next: the load's op, or for OpMixed get or set at
// random (9 to 1).
func (l *zkLoad) next() string {
	if l.op != OpMixed {
		return l.op
	}
	if l.rng.IntN(10) == 0 {
		return OpSet
	}
	return OpGet
}

// runEach runs task(k, stop) for every k in [0, n), each in its own goroutine, until all
// have returned. The first error is returned and cancels the stop context the others were
// given, so they end early; the tasks' errors name what failed (a client, an event loop).
func runEach(n int, stop context.Context, task func(k int, stop context.Context) error) error {
	stop, cancel := context.WithCancel(stop)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for k := range n {
		wg.Go(func() {
			if err := task(k, stop); err != nil {
				once.Do(func() {
					first = err
					cancel()
				})
			}
		})
	}
	wg.Wait()
	return first
}

// reportProgress writes a progress line every interval until done is closed. It returns
// the first write error and stops reporting after it.
func reportProgress(done <-chan struct{}, w io.Writer, interval time.Duration, start time.Time, recs []*recorder) error {
	p := newProgress(w, start)
	agg := newHistogram()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return nil
		case now := <-t.C:
			tl := collect(recs, agg)
			if err := p.tick(now, tl.ops, tl.errs, histDuration(agg.ValueAtQuantile(99))); err != nil {
				return err
			}
		}
	}
}

// goZKFleet is a zkFleet of go-zookeeper connections.
type goZKFleet struct {
	o     ZKOptions
	conns []*zk.Conn
}

// dialGoZKFleet connects o.Clients go-zookeeper sessions (see dialAll).
func dialGoZKFleet(ctx context.Context, o ZKOptions) (*goZKFleet, error) {
	conns, err := dialAll(ctx, o)
	if err != nil {
		return nil, err
	}
	return &goZKFleet{o: o, conns: conns}, nil
}

func (f *goZKFleet) setup(ctx context.Context, root string, data []byte) error {
	return setupZK(ctx, f.conns, root, data)
}

// run runs every client in its own goroutine (runClient).
func (f *goZKFleet) run(loads []*zkLoad, stop, parent context.Context) error {
	return runEach(len(loads), stop, func(i int, stop context.Context) error {
		return f.runClient(i, loads[i], stop, parent)
	})
}

// runClient issues one request at a time until stop is done. A request failing because
// parent was cancelled (RunZK closed the connection) is not counted. It never ends the run:
// the library reconnects by itself, and requests failing meanwhile count as errors.
func (f *goZKFleet) runClient(i int, l *zkLoad, stop, parent context.Context) error {
	conn := f.conns[i]
	acl := zk.WorldACL(zk.PermAll)
	for stop.Err() == nil {
		op := l.next()
		t0 := time.Now()
		var err error
		switch op {
		case OpCreate:
			_, err = conn.Create(l.seq, l.data, zk.FlagSequence, acl)
		case OpSet:
			_, err = conn.Set(l.node, l.data, -1)
		case OpGet:
			_, _, err = conn.Get(l.node)
		}
		d := time.Since(t0)
		if err != nil && parent.Err() != nil && (errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrClosing)) {
			return nil // closed by RunZK because the run was interrupted, not a server failure
		}
		if err != nil {
			err = fmt.Errorf("%s %s: %w", op, l.node, err)
		}
		l.record(d, err)
	}
	return nil
}

// shards gives every client its own recorder: each has its own goroutine.
func (f *goZKFleet) shards(clients int) int { return clients }

// abort closes every connection: requests in flight fail with zk.ErrConnectionClosed.
func (f *goZKFleet) abort() { closeAll(f.conns) }

func (f *goZKFleet) cleanup(ctx context.Context, root string) error {
	return cleanupZK(ctx, f.o, f.conns[0], root)
}

func (f *goZKFleet) close() { closeAll(f.conns) }

// setupZK creates the root and every client's node, each client through its own session.
func setupZK(ctx context.Context, conns []*zk.Conn, root string, data []byte) error {
	acl := zk.WorldACL(zk.PermAll)
	if _, err := conns[0].Create(root, nil, 0, acl); err != nil {
		return fmt.Errorf("create %s: %w", root, err)
	}
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			p := clientNode(root, i)
			if _, err := c.Create(p, data, 0, acl); err != nil {
				errs[i] = fmt.Errorf("create %s: %w", p, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

// cleanupZK removes root, reusing c when it is not nil and its session is still up, and
// dialing a fresh go-zookeeper session otherwise. It runs even when ctx is cancelled,
// bounded by its own deadline.
func cleanupZK(ctx context.Context, o ZKOptions, c *zk.Conn, root string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(30*time.Second, 2*o.Duration))
	defer cancel()
	if c == nil || c.State() != zk.StateHasSession {
		fresh, err := dialZK(ctx, o.Servers[0], o.SessionTimeout, o.Logger)
		if err != nil {
			return fmt.Errorf("cleanup %s: %w", root, err)
		}
		defer fresh.Close()
		c = fresh
	}
	if err := DeleteTree(ctx, c, root); err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	return nil
}

// deleteBatch is how many deletes go into one multi; deleteParallel how many multis one
// DeleteTree keeps in flight on its connection.
const (
	deleteBatch    = 500
	deleteParallel = 8
)

// DeleteTree removes path and everything below it through c, deleting children in batches
// with multi (pipelined several at a time) and falling back to single deletes for a batch
// that fails, e.g. because a child has children of its own. A missing path is not an
// error. It stops between requests when ctx is done and then closes nothing: the caller
// owns c.
func DeleteTree(ctx context.Context, c *zk.Conn, path string) error {
	kids, _, err := c.Children(path)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete tree %s: children: %w", path, err)
	}
	sem := make(chan struct{}, deleteParallel)
	errs := make([]error, (len(kids)+deleteBatch-1)/deleteBatch)
	var wg sync.WaitGroup
	for b := range errs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return fmt.Errorf("delete tree %s: %w", path, ctx.Err())
		}
		batch := kids[b*deleteBatch : min(len(kids), (b+1)*deleteBatch)]
		wg.Go(func() {
			defer func() { <-sem }()
			errs[b] = deleteChildren(ctx, c, path, batch)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := c.Delete(path, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("delete tree %s: %w", path, err)
	}
	return nil
}

// deleteChildren removes the named children of parent: one multi, or one by one (recursing
// where a child is not empty) when the multi fails.
func deleteChildren(ctx context.Context, c *zk.Conn, parent string, names []string) error {
	ops := make([]any, len(names))
	for i, n := range names {
		ops[i] = &zk.DeleteRequest{Path: parent + "/" + n, Version: -1}
	}
	if _, err := c.Multi(ops...); err == nil {
		return nil
	}
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("delete tree %s: %w", parent, err)
		}
		p := parent + "/" + n
		err := c.Delete(p, -1)
		switch {
		case err == nil, errors.Is(err, zk.ErrNoNode):
		case errors.Is(err, zk.ErrNotEmpty):
			if err := DeleteTree(ctx, c, p); err != nil {
				return err
			}
		default:
			return fmt.Errorf("delete %s: %w", p, err)
		}
	}
	return nil
}

// dialAll connects one session per client, client i to o.Servers[serverOf(i, n)] alone
// (the library reconnects to that server only). On any failure it closes what it opened.
func dialAll(ctx context.Context, o ZKOptions) ([]*zk.Conn, error) {
	conns := make([]*zk.Conn, o.Clients)
	errs := make([]error, o.Clients)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			conns[i], errs[i] = dialZK(ctx, o.Servers[serverOf(i, len(o.Servers))], o.SessionTimeout, o.Logger)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeAll(conns)
		return nil, err
	}
	return conns, nil
}

// dialZK opens a session to one of the comma-separated hosts and waits until it is
// established, for at most connectTimeout.
func dialZK(ctx context.Context, hosts string, sessionTimeout time.Duration, log *slog.Logger) (*zk.Conn, error) {
	c, events, err := zk.Connect(splitHosts(hosts), sessionTimeout,
		zk.WithLogger(zkLogger{log}), zk.WithLogInfo(false))
	if err != nil {
		return nil, fmt.Errorf("%w to %s: %w", ErrConnect, hosts, err)
	}
	timer := time.NewTimer(connectTimeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil, fmt.Errorf("%w to %s: connection closed", ErrConnect, hosts)
			}
			if ev.State == zk.StateHasSession {
				// Later events are dropped by the library when nobody reads them.
				return c, nil
			}
		case <-ctx.Done():
			c.Close()
			return nil, fmt.Errorf("%w to %s: %w", ErrConnect, hosts, ctx.Err())
		case <-timer.C:
			c.Close()
			return nil, fmt.Errorf("%w to %s: no session within %v", ErrConnect, hosts, connectTimeout)
		}
	}
}

// closeAll closes every non-nil connection concurrently (each Close may wait up to a
// second for the server's reply). Closing twice is harmless.
func closeAll(conns []*zk.Conn) {
	var wg sync.WaitGroup
	for _, c := range conns {
		if c != nil {
			wg.Go(c.Close)
		}
	}
	wg.Wait()
}

// zkLogger sends the client library's printf-style messages to slog at debug level.
type zkLogger struct{ log *slog.Logger }

// Printf implements zk.Logger.
func (l zkLogger) Printf(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...), "component", "go-zookeeper")
}

// splitHosts splits a connect string into its host:port pairs, dropping blanks.
func splitHosts(s string) []string {
	var hosts []string
	for h := range strings.SplitSeq(s, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// clientNode is client i's own node under root.
func clientNode(root string, i int) string { return fmt.Sprintf("%s/c%04d", root, i) }

// payload returns size bytes of printable filler.
func payload(size int) []byte {
	return []byte(strings.Repeat("x", size))
}

// randomHex returns n random bytes as hex, for unique root names.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b)
}
