// Package broker is zkafka's Kafka-compatible broker: it serves Kafka
// clients on its listeners (through package wire), keeps partition logs on
// disk (package plog) and its cluster state in ZooKeeper in Kafka's own
// z-node layout (package cluster).
//
// Each protocol operation lives in a file named by its api key
// (00_produce.go, 01_fetch.go, ...), opening with the versions it serves.
// This broker leads every partition it is assigned (replication
// factor 1); replication and consumer groups come later.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/zkafka/zkafka/internal/broker/cluster"
	"github.com/zkafka/zkafka/internal/broker/wire"
	"github.com/zkafka/zkafka/internal/config"
)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("broker: closed")

// Options configure a Broker.
type Options struct {
	// Config is the validated server.properties.
	Config *config.Broker
	// Listener, when set, serves clients instead of listening on the
	// configured listener (tests pass one bound to port 0).
	Listener net.Listener
	// Logger receives the broker's logs (default: discard).
	Logger *slog.Logger
}

// Broker is one Kafka broker.
type Broker struct {
	cfg *config.Broker
	log *slog.Logger
	id  int32

	reg   *cluster.Registry
	ln    net.Listener
	srv   *wire.Server
	parts *partitions
	meta  *metadata

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	rnd    *rand.Rand
	rndMu  sync.Mutex

	lastController atomic.Int32 // last controller id seen, for metadata while ZooKeeper is away
}

// New validates the options; Start does the work.
func New(o Options) (*Broker, error) {
	if o.Config == nil {
		return nil, errors.New("broker: no config")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Broker{cfg: o.Config, log: o.Logger, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.lastController.Store(-1)
	ln := o.Listener
	if ln == nil {
		l, err := net.Listen("tcp", b.cfg.Listeners[0].Addr())
		if err != nil {
			return nil, fmt.Errorf("broker: listening on %s: %w", b.cfg.Listeners[0], err)
		}
		ln = l
	}
	srv, err := wire.New(wire.Options{
		Listener:       ln,
		Name:           b.cfg.Listeners[0].Name,
		Handler:        wire.HandlerFunc(b.handle),
		Versions:       versions,
		Logger:         b.log,
		MaxRequestSize: int32(b.cfg.SocketRequestMaxBytes),
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	b.srv, b.ln = srv, ln
	return b, nil
}

// Start connects to ZooKeeper and registers the broker, opens the logs,
// reads the cluster's brokers and topics and only then serves requests, in
// Kafka's order, logging each step as Kafka's server.log does.
func (b *Broker) Start(ctx context.Context) error {
	b.log.Info("starting", "broker.id", b.cfg.BrokerID)
	b.log.Info("KafkaConfig values:\n" + strings.Join(b.cfg.Lines(), "\n"))
	b.log.Info("Connecting to zookeeper on " + b.cfg.ZooKeeperConnect)
	endpoints := b.endpoints()
	reg, err := cluster.Connect(ctx, cluster.Options{
		Connect:        b.cfg.ZooKeeperConnect,
		SessionTimeout: b.cfg.ZooKeeperSessionTimeout(),
		BrokerID:       int32(b.cfg.BrokerID),
		Endpoints:      endpoints,
		Rack:           b.cfg.BrokerRack,
		Logger:         b.log,
	})
	if err != nil {
		return fmt.Errorf("broker: connecting to zookeeper %s: %w", b.cfg.ZooKeeperConnect, err)
	}
	b.reg = reg
	b.id = reg.BrokerID()
	b.log.Info("Cluster ID = " + reg.ClusterID())
	parts, err := openPartitions(b.cfg, b.id, reg.ClusterID(), b.log)
	if err != nil {
		reg.Close()
		return err
	}
	b.parts = parts
	b.meta = newMetadata()
	if err := b.watchCluster(); err != nil {
		b.Close()
		return err
	}
	// Requests are served only now that the broker knows the cluster: the
	// listener was bound in New, so a client may already be connected (as
	// in Kafka, whose acceptors bind before request processing is enabled
	// at the end of startup), and it must not see an empty cluster.
	if err := b.srv.Start(); err != nil {
		b.Close()
		return err
	}
	b.log.Info(fmt.Sprintf("[KafkaServer id=%d] started", b.id), "addr", b.ln.Addr().String())
	return nil
}

// Addr is the address clients connect to.
func (b *Broker) Addr() net.Addr { return b.ln.Addr() }

// ID is the broker id in use.
func (b *Broker) ID() int32 { return b.id }

// Close stops serving, deregisters from ZooKeeper and flushes and closes
// the logs (a graceful stop: the next start needs no recovery).
func (b *Broker) Close() error {
	b.log.Info(fmt.Sprintf("[KafkaServer id=%d] shutting down", b.id))
	b.cancel()
	var errs []error
	errs = append(errs, b.srv.Close())
	b.wg.Wait()
	if b.reg != nil {
		errs = append(errs, b.reg.Close())
	}
	if b.parts != nil {
		errs = append(errs, b.parts.close())
	}
	b.log.Info(fmt.Sprintf("[KafkaServer id=%d] shut down completed", b.id))
	return errors.Join(errs...)
}

// endpoints are the advertised listeners as registered in ZooKeeper. A
// listener bound to port 0 advertises the port it got.
func (b *Broker) endpoints() []cluster.Endpoint {
	var out []cluster.Endpoint
	_, boundPort, _ := net.SplitHostPort(b.ln.Addr().String())
	for _, l := range b.cfg.EffectiveAdvertisedListeners() {
		port := int32(l.Port)
		if port == 0 {
			var p int
			fmt.Sscan(boundPort, &p)
			port = int32(p)
		}
		out = append(out, cluster.Endpoint{Listener: l.Name, SecurityProtocol: l.SecurityProtocol, Host: l.Host, Port: port})
	}
	return out
}

// watchCluster keeps the metadata cache and the local partitions in step
// with ZooKeeper: live brokers and topics.
func (b *Broker) watchCluster() error {
	brokers, err := b.reg.WatchBrokers(b.ctx)
	if err != nil {
		return fmt.Errorf("broker: watching brokers: %w", err)
	}
	topics, err := b.reg.WatchTopics(b.ctx)
	if err != nil {
		return fmt.Errorf("broker: watching topics: %w", err)
	}
	// Read the first states before serving metadata.
	select {
	case bs := <-brokers:
		b.meta.setBrokers(bs)
	case <-time.After(10 * time.Second):
		return errors.New("broker: no broker list from zookeeper")
	}
	select {
	case names := <-topics:
		b.syncTopics(b.ctx, names)
	case <-time.After(10 * time.Second):
		return errors.New("broker: no topic list from zookeeper")
	}
	if err := b.watchAdmin(); err != nil { // topic deletions, config changes (deletion.go)
		return err
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			select {
			case bs, ok := <-brokers:
				if !ok {
					return
				}
				b.meta.setBrokers(bs)
			case names, ok := <-topics:
				if !ok {
					return
				}
				b.syncTopics(b.ctx, names)
			case <-b.ctx.Done():
				return
			}
		}
	}()
	return nil
}

// syncTopics reads every listed topic's assignment and state, refreshes the
// cache, opens logs for partitions this broker leads and drops those of
// deleted topics.
func (b *Broker) syncTopics(ctx context.Context, names []string) {
	at := b.meta.begin()
	topics := make(map[string]cluster.Topic, len(names))
	for _, n := range names {
		t, err := b.reg.ReadTopic(ctx, n)
		if err != nil {
			if !errors.Is(err, cluster.ErrUnknownTopic) {
				b.log.Warn("reading topic", "topic", n, "err", err)
			}
			continue
		}
		topics[n] = t
	}
	b.meta.setTopicsAt(at, topics)
	b.syncPartitions(names, topics) // drops deleted topics' logs, then parts.sync (deletion.go)
}

// refreshTopic re-reads one topic right after this broker changed it, so
// its own next request sees the change without waiting for the watch.
func (b *Broker) refreshTopic(ctx context.Context, name string) {
	at := b.meta.begin()
	t, err := b.reg.ReadTopic(ctx, name)
	if err != nil {
		return
	}
	b.meta.putTopicAt(at, t)
	b.parts.sync(map[string]cluster.Topic{name: t}, b.id)
}

// handle dispatches one request to its operation.
func (b *Broker) handle(ctx context.Context, c *wire.ConnInfo, req kmsg.Request) (kmsg.Response, error) {
	switch r := req.(type) {
	case *kmsg.ApiVersionsRequest:
		return b.srv.Versions().ApiVersionsResponse(r, 0), nil
	case *kmsg.MetadataRequest:
		return b.handleMetadata(ctx, r), nil
	case *kmsg.CreateTopicsRequest:
		return b.handleCreateTopics(ctx, r), nil
	case *kmsg.ProduceRequest:
		return b.handleProduce(ctx, r), nil
	case *kmsg.FetchRequest:
		return b.handleFetch(ctx, r), nil
	case *kmsg.ListOffsetsRequest:
		return b.handleListOffsets(r), nil
	case *kmsg.DeleteTopicsRequest:
		return b.handleDeleteTopics(ctx, r), nil
	case *kmsg.DeleteRecordsRequest:
		return b.handleDeleteRecords(r), nil
	case *kmsg.OffsetForLeaderEpochRequest:
		return b.handleOffsetForLeaderEpoch(r), nil
	case *kmsg.DescribeConfigsRequest:
		return b.handleDescribeConfigs(ctx, r), nil
	case *kmsg.AlterConfigsRequest:
		return b.handleAlterConfigs(ctx, r), nil
	case *kmsg.DescribeLogDirsRequest:
		return b.handleDescribeLogDirs(r), nil
	case *kmsg.CreatePartitionsRequest:
		return b.handleCreatePartitions(ctx, r), nil
	case *kmsg.IncrementalAlterConfigsRequest:
		return b.handleIncrementalAlterConfigs(ctx, r), nil
	case *kmsg.DescribeClusterRequest:
		return b.handleDescribeCluster(ctx, r), nil
	}
	return nil, fmt.Errorf("broker: api key %d is not served", req.Key())
}

// versions are the api versions this broker serves.
// versions are read-only after init.
var versions = map[int16]wire.VersionRange{
	0:  {Min: 3, Max: 9},  // Produce (v3+: record batches)
	1:  {Min: 4, Max: 12}, // Fetch (v4+: record batches; v13 uses topic ids)
	2:  {Min: 0, Max: 6},  // ListOffsets
	3:  {Min: 0, Max: 12}, // Metadata
	18: {Min: 0, Max: 3},  // ApiVersions
	19: {Min: 0, Max: 7},  // CreateTopics
	20: {Min: 0, Max: 6},  // DeleteTopics
	21: {Min: 0, Max: 2},  // DeleteRecords
	23: {Min: 0, Max: 4},  // OffsetForLeaderEpoch
	32: {Min: 0, Max: 4},  // DescribeConfigs
	33: {Min: 0, Max: 2},  // AlterConfigs
	35: {Min: 0, Max: 4},  // DescribeLogDirs
	37: {Min: 0, Max: 3},  // CreatePartitions
	44: {Min: 0, Max: 1},  // IncrementalAlterConfigs
	60: {Min: 0, Max: 1},  // DescribeCluster
}
