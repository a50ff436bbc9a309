package cluster

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// ErrBrokerIDInUse is returned by Connect when another live session holds
// /brokers/ids/<id>: Kafka's NodeExistsException at startup.
var ErrBrokerIDInUse = errors.New("cluster: broker id is registered by another live session: KeeperErrorCode = NodeExists")

// DefaultSessionTimeout is zookeeper.session.timeout.ms's default in Kafka 3.x.
const DefaultSessionTimeout = 18 * time.Second

// Options configure a Registry. The names follow the broker's
// server.properties keys.
type Options struct {
	// Connect is zookeeper.connect: "h1:2181,h2:2181,h3:2181/chroot". Every
	// server listed is used (the client fails over among them); the chroot,
	// if any, is created when missing.
	Connect string
	// SessionTimeout is zookeeper.session.timeout.ms (default 18s); the
	// server may negotiate it into its bounds.
	SessionTimeout time.Duration
	// BrokerID is broker.id. A negative id asks for a generated one
	// (broker.id.generation.enable): MaxReservedBrokerID plus the next
	// /brokers/seqid sequence number.
	BrokerID int32
	// MaxReservedBrokerID is reserved.broker.max.id (default 1000).
	MaxReservedBrokerID int32
	// Endpoints are the advertised listeners written in the registration.
	Endpoints []Endpoint
	// Rack is broker.rack ("" for none).
	Rack string
	// JMXPort is written as jmx_port; 0 means none (-1, Kafka's default).
	JMXPort int32
	// Features are the supported features written in the registration
	// (Kafka 3.x in ZooKeeper mode registers none).
	Features map[string]VersionRange
	// OnBecomeController is called when this broker wins the controller
	// election, with the new controller epoch; OnResign when it stops being
	// the controller (another broker took over, the session expired, or
	// Close). Both run on the registry's own goroutine, one at a time, and
	// must not call Close.
	OnBecomeController func(epoch int32)
	OnResign           func()
	// Logger receives the registry's logs (default: discard).
	Logger *slog.Logger
	// Rand is the source of cluster and topic ids (default crypto/rand).
	Rand io.Reader
	// Clock gives the registration and controller timestamps (default time.Now).
	Clock func() time.Time
}

// Registry is a broker's view of the cluster state kept in ZooKeeper in
// Kafka's layout: it registers the broker, takes part in the controller
// election and reads and writes topic state. Its methods are safe for
// concurrent use; every blocking one takes a context and keeps retrying
// across connection loss and session expiry until that context ends.
type Registry struct {
	opts      Options
	log       *slog.Logger
	s         *session
	clusterID string
	brokerID  int32

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the supervisor and the watchers

	randMu sync.Mutex
	rand   io.Reader

	mu          sync.Mutex
	brokerEpoch int64  // czxid of the current registration
	regSession  int64  // session that made the current registration
	regExpiries uint64 // session.expiries when it was made
	ctrl        controllerState

	closeOnce sync.Once
	closeErr  error
}

// Connect opens a ZooKeeper session, prepares Kafka's layout (chroot,
// persistent paths, cluster id), registers the broker and starts the
// goroutine that keeps the registration alive and runs the controller
// election. It fails with ErrBrokerIDInUse when another live broker has the
// id.
func Connect(ctx context.Context, opts Options) (*Registry, error) {
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = DefaultSessionTimeout
	}
	if opts.MaxReservedBrokerID <= 0 {
		opts.MaxReservedBrokerID = DefaultMaxReservedBrokerID
	}
	if opts.JMXPort == 0 {
		opts.JMXPort = DefaultJMXPort
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	servers, chroot, err := parseConnectString(opts.Connect)
	if err != nil {
		return nil, err
	}
	s, err := dialSession(servers, chroot, opts.SessionTimeout, log)
	if err != nil {
		return nil, err
	}
	r := &Registry{opts: opts, log: log, s: s, brokerID: opts.BrokerID, rand: opts.Rand}
	if r.rand == nil {
		r.rand = rand.Reader
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.ctrl.activeID = -1
	if err := r.start(ctx); err != nil {
		r.cancel()
		s.close()
		return nil, err
	}
	r.wg.Add(1)
	go r.supervise()
	return r, nil
}

func (r *Registry) start(ctx context.Context) error {
	log := r.log.With("connect", r.opts.Connect)
	log.Info("connecting to zookeeper")
	if err := r.s.waitSession(ctx); err != nil {
		return err
	}
	if r.s.chroot != "" { // as KafkaZkClient's createChrootIfNecessary
		if _, err := r.s.createRecursive(ctx, r.s.chroot, nil, true); err != nil {
			return fmt.Errorf("cluster: creating chroot %s: %w", r.s.chroot, err)
		}
	}
	for _, p := range PersistentPaths() {
		if _, err := r.s.createRecursive(ctx, p, nil, false); err != nil {
			return fmt.Errorf("cluster: creating top-level paths: %w", err)
		}
	}
	id, err := r.getOrCreateClusterID(ctx)
	if err != nil {
		return err
	}
	r.clusterID = id
	if r.brokerID < 0 {
		seq, err := r.nextBrokerSequence(ctx)
		if err != nil {
			return err
		}
		r.brokerID = r.opts.MaxReservedBrokerID + seq
		log.Info("generated broker id", "broker", r.brokerID)
	}
	return r.register(ctx)
}

// getOrCreateClusterID reads /cluster/id, creating it with a random id
// (base64 of a version-4 UUID, as CoreUtils.generateUuidAsBase64) when
// missing. Concurrent brokers agree: the first create wins and the others
// read its id.
func (r *Registry) getOrCreateClusterID(ctx context.Context) (string, error) {
	data, _, err := r.s.get(ctx, ClusterIDPath)
	if err == nil {
		return decodeClusterIDErr(data)
	}
	if !errors.Is(err, zk.ErrNoNode) {
		return "", fmt.Errorf("cluster: reading cluster id: %w", err)
	}
	u, err := r.randomUUID(false)
	if err != nil {
		return "", err
	}
	proposed := u.String()
	existed, err := r.s.createRecursive(ctx, ClusterIDPath, EncodeClusterID(proposed), false)
	if err != nil {
		return "", fmt.Errorf("cluster: creating cluster id: %w", err)
	}
	if !existed {
		r.log.Info("created cluster id", "cluster_id", proposed)
		return proposed, nil
	}
	if data, _, err = r.s.get(ctx, ClusterIDPath); err != nil {
		return "", fmt.Errorf("cluster: reading cluster id: %w", err)
	}
	return decodeClusterIDErr(data)
}

func decodeClusterIDErr(data []byte) (string, error) {
	id, err := DecodeClusterID(data)
	if err != nil {
		return "", fmt.Errorf("cluster: %s: %w", ClusterIDPath, err)
	}
	return id, nil
}

func (r *Registry) randomUUID(topicID bool) (UUID, error) {
	r.randMu.Lock()
	defer r.randMu.Unlock()
	return randomUUID(r.rand, topicID)
}

// nextBrokerSequence bumps /brokers/seqid and returns its new data version
// (generateBrokerSequenceId).
func (r *Registry) nextBrokerSequence(ctx context.Context) (int32, error) {
	for {
		stat, _, err := r.s.set(ctx, BrokerSequenceIDPath, []byte{}, -1)
		if err == nil {
			return stat.Version, nil
		}
		if !errors.Is(err, zk.ErrNoNode) {
			return 0, fmt.Errorf("cluster: generating broker id: %w", err)
		}
		if _, err := r.s.createRecursive(ctx, BrokerSequenceIDPath, []byte{}, false); err != nil {
			return 0, fmt.Errorf("cluster: generating broker id: %w", err)
		}
	}
}

// brokerInfo is what this broker registers.
func (r *Registry) brokerInfo() BrokerInfo {
	return BrokerInfo{
		ID:        r.brokerID,
		Version:   BrokerInfoVersion,
		Endpoints: r.opts.Endpoints,
		JMXPort:   r.opts.JMXPort,
		Rack:      r.opts.Rack,
		Timestamp: r.opts.Clock().UnixMilli(),
		Features:  r.opts.Features,
	}
}

// register creates the ephemeral /brokers/ids/<id> as Kafka's
// CheckedEphemeral does: create (no data) + setData in one multi; when the
// node exists it is ours if our session owns it, ours to replace if a
// previous session of ours owns it, and someone else's otherwise.
func (r *Registry) register(ctx context.Context) error {
	path := BrokerPath(r.brokerID)
	for {
		_, expiries, _ := r.s.snapshot()
		data := EncodeBrokerInfo(r.brokerInfo())
		res, _, err := r.s.multi(ctx,
			&zk.CreateRequest{Path: path, Flags: zk.FlagEphemeral},
			&zk.SetDataRequest{Path: path, Data: data, Version: 0})
		var stat *zk.Stat
		switch {
		case err == nil:
			if len(res) < 2 || res[1].Stat == nil {
				return fmt.Errorf("cluster: registering broker %d: multi returned no stat", r.brokerID)
			}
			stat = res[1].Stat
		case errors.Is(err, zk.ErrNodeExists):
			_, st, gerr := r.s.get(ctx, path)
			if errors.Is(gerr, zk.ErrNoNode) {
				continue // went away meanwhile
			}
			if gerr != nil {
				return fmt.Errorf("cluster: registering broker %d: %w", r.brokerID, gerr)
			}
			cur := r.s.sessionID()
			r.mu.Lock()
			prev := r.regSession
			r.mu.Unlock()
			switch owner := st.EphemeralOwner; {
			case owner == cur:
				stat = st
			case owner == prev && prev != 0:
				// ZOOKEEPER-2985: an expired session of ours still owns it.
				r.log.Info("replacing registration left by an expired session", "path", path,
					"owner", fmt.Sprintf("0x%x", owner), "session", fmt.Sprintf("0x%x", cur))
				if _, err := r.s.delete(ctx, path, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
					return fmt.Errorf("cluster: registering broker %d: %w", r.brokerID, err)
				}
				continue
			default:
				r.log.Error("error while creating ephemeral, node already exists and owner does not match current session",
					"path", path, "owner", fmt.Sprintf("0x%x", owner), "session", fmt.Sprintf("0x%x", cur))
				return fmt.Errorf("cluster: registering broker %d at %s (owner 0x%x, our session 0x%x): %w",
					r.brokerID, path, owner, cur, ErrBrokerIDInUse)
			}
		default:
			return fmt.Errorf("cluster: registering broker %d: %w", r.brokerID, err)
		}
		r.mu.Lock()
		r.brokerEpoch = stat.Czxid
		r.regSession = r.s.sessionID()
		r.regExpiries = expiries
		r.mu.Unlock()
		r.log.Info("registered broker", "broker", r.brokerID, "path", path,
			"endpoints", fmt.Sprint(r.opts.Endpoints), "broker_epoch", stat.Czxid)
		return nil
	}
}

// registrationCurrent reports whether the registration was made by a
// session that has not expired since.
func (r *Registry) registrationCurrent() bool {
	_, expiries, _ := r.s.snapshot()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.regExpiries == expiries && r.regSession != 0
}

// supervise is the registry's goroutine: it re-registers the broker after
// a session expiry and runs the controller election (Kafka's controller
// event thread for Expire, RegisterBrokerAndReelect, ControllerChange and
// Reelect).
func (r *Registry) supervise() {
	defer r.wg.Done()
	ctx := r.ctx
	ctrlWatch := r.elect(ctx)
	var retry <-chan time.Time
	for ctx.Err() == nil {
		state, expiries, changed := r.s.snapshot()
		r.mu.Lock()
		stale := expiries != r.regExpiries
		r.mu.Unlock()
		if stale {
			r.resign("session expired")
			if state == zk.StateHasSession && retry == nil {
				r.log.Warn("zookeeper session expired; registering the broker again")
				if err := r.register(ctx); err != nil {
					if ctx.Err() != nil {
						return
					}
					r.log.Error("re-registering the broker after session expiry", "err", err)
					retry = time.After(time.Second)
				} else {
					ctrlWatch = r.elect(ctx)
					continue
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-changed:
		case <-retry:
			retry = nil
		case <-ctrlWatch:
			ctrlWatch = r.elect(ctx)
		}
	}
}

// Close deregisters the broker (deleting its ephemeral node, for a
// graceful stop), resigns the controllership if held, closes the session
// and waits for every goroutine of the registry. Watch channels are closed.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock() // no watcher starts after this
		r.cancel()
		r.mu.Unlock()
		r.wg.Wait() // the supervisor and watchers stop on r.ctx
		timeout := min(r.opts.SessionTimeout, 5*time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		path := BrokerPath(r.brokerID)
		_, stat, err := r.s.get(ctx, path)
		switch {
		case err == nil && stat.EphemeralOwner == r.s.sessionID():
			if _, err := r.s.delete(ctx, path, stat.Version); err != nil && !errors.Is(err, zk.ErrNoNode) {
				r.closeErr = fmt.Errorf("cluster: deregistering broker %d: %w", r.brokerID, err)
			}
		case err != nil && !errors.Is(err, zk.ErrNoNode):
			r.closeErr = fmt.Errorf("cluster: deregistering broker %d: %w", r.brokerID, err)
		}
		r.resign("shutting down")
		r.s.close()
		r.log.Info("closed zookeeper session", "broker", r.brokerID)
	})
	return r.closeErr
}

// ClusterID is the cluster id from /cluster/id.
func (r *Registry) ClusterID() string { return r.clusterID }

// BrokerID is this broker's id (generated when Options.BrokerID was negative).
func (r *Registry) BrokerID() int32 { return r.brokerID }

// BrokerEpoch is the czxid of the current registration: Kafka's broker
// epoch, which changes with every (re)registration.
func (r *Registry) BrokerEpoch() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.brokerEpoch
}

// SessionID is the current ZooKeeper session id (0 while there is none).
func (r *Registry) SessionID() int64 { return r.s.sessionID() }

// ReadBroker reads the registration of broker id.
func (r *Registry) ReadBroker(ctx context.Context, id int32) (BrokerInfo, error) {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	data, _, err := r.s.get(ctx, BrokerPath(id))
	if err != nil {
		return BrokerInfo{}, err
	}
	b, err := DecodeBrokerInfo(id, data)
	if err != nil {
		return b, fmt.Errorf("cluster: %s: %w", BrokerPath(id), err)
	}
	return b, nil
}

// ReadBrokers reads every live broker's registration, sorted by id. A
// broker that goes away while being read is left out; one whose
// registration cannot be decoded is left out with a warning.
func (r *Registry) ReadBrokers(ctx context.Context) ([]BrokerInfo, error) {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	kids, err := r.s.children(ctx, BrokerIDsPath)
	if err != nil {
		return nil, err
	}
	return r.readBrokers(ctx, kids)
}

// merge returns a context that ends with ctx or, with cause ErrClosed, at
// Close.
func (r *Registry) merge(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(r.ctx, func() { cancel(ErrClosed) })
	return c, func() { stop(); cancel(nil) }
}
