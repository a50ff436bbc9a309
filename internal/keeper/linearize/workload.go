package linearize

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/zkclient"
)

// Config describes a workload. Servers is required; zero values of the
// rest take the defaults named.
type Config struct {
	// Servers are the keeper's client addresses; each session starts on
	// one of them at random and moves to another when its connection
	// fails.
	Servers []string
	// Clients is the number of concurrent sessions (default 5), Keys the
	// number of znodes they share (default 3).
	Clients, Keys int
	// Duration is how long clients keep starting operations (default 3s).
	Duration time.Duration
	// OpsPerClient, when > 0, stops each client after that many
	// operations even before Duration.
	OpsPerClient int
	// Pause is the wait between two operations of a client (default 0).
	Pause time.Duration
	// Root is the parent znode of the keys (default "/linearize"); it is
	// created if missing, and the keys Root/k0... must not exist.
	Root string
	// OpTimeout bounds one operation; one without a reply by then has an
	// unknown outcome (default 3s).
	OpTimeout time.Duration
	// SessionTimeout is the timeout the sessions ask for (default 6s).
	SessionTimeout time.Duration
	// Seed makes the choice of operations repeatable (the server's
	// interleaving is not); 0 picks one from the clock.
	Seed uint64
	// Dial, when set, opens the clients' connections (a fault-injecting
	// proxy, for instance).
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Logger receives the workload's and clients' logs; nil discards.
	Logger *slog.Logger
}

func (c *Config) fill() error {
	if len(c.Servers) == 0 {
		return errors.New("linearize: no servers")
	}
	if c.Clients <= 0 {
		c.Clients = 5
	}
	if c.Keys <= 0 {
		c.Keys = 3
	}
	if c.Duration <= 0 {
		c.Duration = 3 * time.Second
	}
	if c.Root == "" {
		c.Root = "/linearize"
	}
	if c.OpTimeout <= 0 {
		c.OpTimeout = 3 * time.Second
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = 6 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// KeyPath returns the znode path of key k under root.
func KeyPath(root string, k int) string {
	return fmt.Sprintf("%s/k%d", strings.TrimSuffix(root, "/"), k)
}

// Run runs the workload until cfg.Duration has passed (or ctx is done, or
// every client did OpsPerClient operations) and returns what every session
// did and was told. It fails only when the workload cannot start (no
// server reachable, root not creatable) or ctx ends before the first
// session; failures of the servers during the run are recorded as unknown
// outcomes, which is what the run is for.
func Run(ctx context.Context, cfg Config) (*History, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, start: time.Now()}
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	deadline := r.start.Add(cfg.Duration)
	rctx, cancel := context.WithDeadline(ctx, deadline.Add(cfg.OpTimeout+time.Second))
	defer cancel()
	var wg sync.WaitGroup
	recs := make([][]Op, cfg.Clients)
	for w := range cfg.Clients {
		wg.Go(func() { recs[w] = r.client(rctx, w, deadline) })
	}
	wg.Wait()
	h := &History{Keys: cfg.Keys}
	for _, ops := range recs {
		h.Ops = append(h.Ops, ops...)
	}
	slices.SortStableFunc(h.Ops, func(a, b Op) int { return cmp.Compare(a.Call, b.Call) })
	r.mu.Lock()
	h.Sessions = r.sessions
	r.mu.Unlock()
	return h, nil
}

type runner struct {
	cfg   Config
	start time.Time

	mu       sync.Mutex
	sessions int // sessions handed out
}

func (r *runner) now() int64 { return int64(time.Since(r.start)) }

func (r *runner) connect(ctx context.Context) (*zkclient.Client, error) {
	servers := slices.Clone(r.cfg.Servers)
	rand.Shuffle(len(servers), func(i, j int) { servers[i], servers[j] = servers[j], servers[i] })
	c, err := zkclient.New(zkclient.Options{
		Servers:        strings.Join(servers, ","),
		SessionTimeout: r.cfg.SessionTimeout,
		Dial:           r.cfg.Dial,
		Logger:         r.cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("linearize: client: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, r.cfg.SessionTimeout)
	defer cancel()
	if err := c.WaitConnected(wctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("linearize: connecting to %v: %w", r.cfg.Servers, err)
	}
	return c, nil
}

// setup creates the root (each key is created by the workload itself).
func (r *runner) setup(ctx context.Context) error {
	c, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	for p := range pathPrefixes(r.cfg.Root) {
		octx, cancel := context.WithTimeout(ctx, r.cfg.OpTimeout)
		_, _, err := c.Create(octx, p, nil, zkclient.OpenACL(), 0, 0)
		cancel()
		if err != nil && !errors.Is(err, jute.ErrNodeExists) {
			return fmt.Errorf("linearize: creating %s: %w", p, err)
		}
	}
	return nil
}

// pathPrefixes yields "/a", "/a/b" for "/a/b".
func pathPrefixes(p string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for i := 1; i <= len(p); i++ {
			if i == len(p) || p[i] == '/' {
				if !yield(p[:i]) {
					return
				}
			}
		}
	}
}

// client runs one worker: a session doing random operations, replaced by
// a new one when it expires.
func (r *runner) client(ctx context.Context, w int, deadline time.Time) []Op {
	rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(w)))
	var ops []Op
	seq := 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		c, err := r.connect(ctx)
		if err != nil {
			r.cfg.Logger.Warn("linearize: no session", "client", w, "err", err)
			continue
		}
		r.mu.Lock()
		session := r.sessions
		r.sessions++
		r.mu.Unlock()
		known := make([]int32, r.cfg.Keys) // last version seen per key
		for time.Now().Before(deadline) && ctx.Err() == nil {
			if r.cfg.OpsPerClient > 0 && len(ops) >= r.cfg.OpsPerClient {
				c.Close()
				return ops
			}
			seq++
			op := r.do(ctx, c, rng, Op{Session: session, Client: w, Data: fmt.Sprintf("c%d-%d", w, seq)}, known)
			ops = append(ops, op)
			if op.Outcome == Unknown {
				// Wait for the session to come back, so a client has at
				// most one write of unknown outcome per outage.
				wctx, cancel := context.WithTimeout(ctx, r.cfg.SessionTimeout)
				err := c.WaitConnected(wctx)
				cancel()
				if err != nil {
					break
				}
			}
			if r.cfg.Pause > 0 {
				t := time.NewTimer(r.cfg.Pause)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
			}
		}
		c.Close()
	}
	return ops
}

// do picks and runs one operation and records it.
func (r *runner) do(ctx context.Context, c *zkclient.Client, rng *rand.Rand, op Op, known []int32) Op {
	op.Key = rng.IntN(r.cfg.Keys)
	path := KeyPath(r.cfg.Root, op.Key)
	op.Version = -1
	switch n := rng.IntN(100); {
	case n < 30:
		op.Kind = Get
	case n < 45:
		op.Kind = SyncGet
	case n < 60:
		op.Kind = Create
	case n < 90:
		op.Kind = Set
		if rng.IntN(4) != 0 {
			op.Version = known[op.Key]
		}
	default:
		op.Kind = Delete
		if rng.IntN(2) != 0 {
			op.Version = known[op.Key]
		}
	}
	if op.Kind != Create && op.Kind != Set {
		op.Data = ""
	}
	octx, cancel := context.WithTimeout(ctx, r.cfg.OpTimeout)
	defer cancel()
	op.Server = c.Server()
	op.Call = r.now()
	var hdr jute.ReplyHeader
	var err error
	switch op.Kind {
	case Create:
		var resp jute.Create2Response
		hdr, err = c.Raw(octx, jute.OpCreate2, &jute.CreateRequest{Path: path, Data: []byte(op.Data), ACL: zkclient.OpenACL()}, &resp)
		op.ReadVersion, op.Czxid, op.Mzxid = resp.Stat.Version, resp.Stat.Czxid, resp.Stat.Mzxid
	case Set:
		var resp jute.StatResponse
		hdr, err = c.Raw(octx, jute.OpSetData, &jute.SetDataRequest{Path: path, Data: []byte(op.Data), Version: op.Version}, &resp)
		op.ReadVersion, op.Czxid, op.Mzxid = resp.Stat.Version, resp.Stat.Czxid, resp.Stat.Mzxid
	case Delete:
		hdr, err = c.Raw(octx, jute.OpDelete, &jute.PathVersionRequest{Path: path, Version: op.Version}, nil)
	case SyncGet:
		var resp jute.PathRequest
		hdr, err = c.Raw(octx, jute.OpSync, &jute.PathRequest{Path: path}, &resp)
		if err != nil {
			break
		}
		fallthrough
	case Get:
		var resp jute.GetDataResponse
		hdr, err = c.Raw(octx, jute.OpGetData, &jute.PathWatchRequest{Path: path}, &resp)
		op.ReadData, op.ReadVersion, op.Czxid, op.Mzxid = string(resp.Data), resp.Stat.Version, resp.Stat.Czxid, resp.Stat.Mzxid
		op.Found = err == nil
	}
	op.Return = r.now()
	op.Zxid = hdr.Zxid
	op.Err = zkclient.Code(err)
	switch {
	case err == nil:
		op.Outcome = OK
	case expected(op.Kind, op.Err):
		op.Outcome = Failed
		if op.Kind == Get || op.Kind == SyncGet { // NoNode is a read's answer
			op.Outcome = OK
		}
	default:
		op.Outcome = Unknown
		r.cfg.Logger.Debug("linearize: unknown outcome", "op", op.String(), "err", err)
	}
	if op.Outcome == OK {
		switch op.Kind {
		case Create, Set:
			known[op.Key] = op.ReadVersion
		case Get, SyncGet:
			if op.Found {
				known[op.Key] = op.ReadVersion
			}
		}
	}
	return op
}

// expected reports whether code is a reply the operation is specified to
// give, as opposed to a failure of the connection or the server.
func expected(k Kind, code jute.Err) bool {
	switch k {
	case Create:
		return code == jute.ErrNodeExists
	case Set, Delete:
		return code == jute.ErrNoNode || code == jute.ErrBadVersion
	case Get, SyncGet:
		return code == jute.ErrNoNode
	}
	return false
}
