package config

// server.properties
//
// LoadBroker and ParseBroker read the configuration of a Kafka 3.9 broker
// in ZooKeeper mode into a Broker. Key names, types, defaults and the rules
// that tie keys together are Kafka's (KafkaConfig and the ServerConfigs,
// ServerLogConfigs, ReplicationConfigs, ZkConfigs, SocketServerConfigs,
// GroupCoordinatorConfig and Transaction*Configs definitions):
//
//	broker.id=0
//	listeners=PLAINTEXT://:9092,INTERNAL://10.0.0.5:9093     NAME://host:port, "" host = all interfaces
//	advertised.listeners=PLAINTEXT://broker1.example:9092    defaults to listeners; never 0.0.0.0
//	listener.security.protocol.map=INTERNAL:PLAINTEXT        only PLAINTEXT is served by zkafka
//	log.dirs=/data/k1,/data/k2                               else log.dir (/tmp/kafka-logs)
//	zookeeper.connect=zk1:2181,zk2:2181,zk3:2181/kafka       hosts[:port] (2181) and an optional chroot
//
// Values are trimmed as Kafka's ConfigDef trims them. A value Kafka would
// reject (not a number, out of its valid range, a rule between keys broken)
// is an error naming the file, key and line; so is anything zkafka does not
// serve (a security protocol other than PLAINTEXT, KRaft mode, ZooKeeper
// ACLs). Every other Kafka broker key is accepted, type-checked and kept in
// Broker.Other; an unknown key is a warning.

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults and limits of the broker configuration, as in Kafka 3.9.
const (
	// DefaultBrokerListeners is the listeners default.
	DefaultBrokerListeners = "PLAINTEXT://:9092"
	// DefaultBrokerLogDir is the log.dir default, used when log.dirs is
	// not set.
	DefaultBrokerLogDir = "/tmp/kafka-logs"
	// DefaultZooKeeperPort is the port of a zookeeper.connect host
	// written without one.
	DefaultZooKeeperPort = 2181
	// MinLogSegmentBytes is the smallest log.segment.bytes Kafka accepts:
	// the overhead of one v0 record.
	MinLogSegmentBytes = 14
	// PlaintextProtocol is the only security protocol zkafka serves.
	PlaintextProtocol = "PLAINTEXT"
)

// ErrReplicationFactor is wrapped by CheckReplicationFactor's errors.
var ErrReplicationFactor = errors.New("replication factor larger than available brokers")

// Broker is the configuration of a Kafka broker in ZooKeeper mode, read from
// server.properties. Each field names its key and Kafka's default. Start
// from NewBroker, which sets the defaults. Fields hold the keys as Kafka
// holds them: keys whose default is null are pointers (nil when not set)
// and the methods resolve them (RetentionMillis picks log.retention.ms,
// then .minutes, then .hours). Validate checks every value and the rules
// between keys, and fills in the fields marked "filled in by Validate".
type Broker struct {
	// ---- Server basics.

	// BrokerID identifies the broker (broker.id; -1). With -1 the broker
	// takes the id of meta.properties, else (BrokerIDGenerationEnable) one
	// generated from ZooKeeper above ReservedBrokerMaxID. node.id is read
	// as a synonym and must agree when both are set.
	BrokerID int
	// BrokerIDGenerationEnable allows broker.id=-1 (broker.id.generation.enable;
	// true). When false, broker.id must be 0 or more.
	BrokerIDGenerationEnable bool
	// ReservedBrokerMaxID is the largest broker.id that may be configured;
	// generated ids start above it (reserved.broker.max.id; 1000; >= 0).
	ReservedBrokerMaxID int
	// BrokerRack is the rack of the broker (broker.rack; "" = null).
	BrokerRack string

	// ---- Listeners.

	// Listeners are the addresses to listen on (listeners;
	// PLAINTEXT://:9092). An empty Host means all interfaces. Names are
	// unique and ports too, except that one IPv4 and one IPv6 literal may
	// share a port (and port 0, an ephemeral port, may repeat).
	Listeners []Listener
	// AdvertisedListeners are the addresses published in ZooKeeper for
	// clients and other brokers (advertised.listeners; nil = Listeners).
	// Their names must be among the listeners' names; the host 0.0.0.0 is
	// refused. See EffectiveAdvertisedListeners.
	AdvertisedListeners []Listener
	// ListenerSecurityProtocolMap maps listener names to security protocols
	// in the order written (listener.security.protocol.map;
	// SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT).
	// A later entry for a name wins. Listeners in use must map to PLAINTEXT.
	ListenerSecurityProtocolMap []ListenerProtocol
	// InterBrokerListenerName names the advertised listener other brokers
	// use (inter.broker.listener.name; "" = null: the listener named after
	// SecurityInterBrokerProtocol). Only one of the two keys may be set.
	InterBrokerListenerName string
	// SecurityInterBrokerProtocol is the protocol between brokers when
	// InterBrokerListenerName is not set (security.inter.broker.protocol;
	// PLAINTEXT).
	SecurityInterBrokerProtocol string
	// ControlPlaneListenerName names a listener reserved for controller
	// requests (control.plane.listener.name; "" = null: none). It must be
	// advertised and differ from the inter-broker listener.
	ControlPlaneListenerName string

	// ---- ZooKeeper.

	// ZooKeeperConnect is the connect string as written (zookeeper.connect;
	// required): host[:port],host[:port]...[/chroot].
	ZooKeeperConnect string
	// ZooKeeperHosts are the host:port addresses of ZooKeeperConnect, the
	// port defaulted to 2181 (filled in by Validate).
	ZooKeeperHosts []string
	// ZooKeeperChroot is the chroot path of ZooKeeperConnect, "" for none
	// ("/" is none too) (filled in by Validate). Kafka creates it at
	// startup when it does not exist.
	ZooKeeperChroot string
	// ZooKeeperSessionTimeoutMs is the session timeout asked for
	// (zookeeper.session.timeout.ms; 18000).
	ZooKeeperSessionTimeoutMs int
	// ZooKeeperConnectionTimeoutMs is how long to wait for a connection
	// (zookeeper.connection.timeout.ms; nil = ZooKeeperSessionTimeoutMs).
	ZooKeeperConnectionTimeoutMs *int
	// ZooKeeperMaxInFlightRequests bounds unanswered ZooKeeper requests
	// (zookeeper.max.in.flight.requests; 10; >= 1).
	ZooKeeperMaxInFlightRequests int
	// ZooKeeperSetACL makes the broker write secure ACLs on its znodes
	// (zookeeper.set.acl; false). Kafka requires SASL or TLS to ZooKeeper
	// for it, which zkafka does not have, so true is an error.
	ZooKeeperSetACL bool

	// ---- Log basics.

	// LogDirs are the directories holding partitions (log.dirs; nil =
	// LogDir). Duplicates are an error. See Dirs.
	LogDirs []string
	// LogDir is read, as a comma-separated list too, when log.dirs is not
	// set (log.dir; /tmp/kafka-logs).
	LogDir string
	// NumPartitions is the partition count of auto-created topics
	// (num.partitions; 1; >= 1).
	NumPartitions int
	// DefaultReplicationFactor is the replication factor of auto-created
	// topics (default.replication.factor; 1).
	DefaultReplicationFactor int
	// MinInsyncReplicas is how many in-sync replicas must have a write
	// produced with acks=all (min.insync.replicas; 1; >= 1).
	MinInsyncReplicas int
	// MessageMaxBytes is the largest record batch accepted
	// (message.max.bytes; 1048588; >= 0).
	MessageMaxBytes int
	// AutoCreateTopicsEnable creates unknown topics on metadata and
	// produce requests (auto.create.topics.enable; true).
	AutoCreateTopicsEnable bool
	// DeleteTopicEnable lets topics be deleted (delete.topic.enable; true).
	DeleteTopicEnable bool
	// CompressionType is the default compression of topics
	// (compression.type; producer: keep what the producer sent; or
	// uncompressed, zstd, lz4, snappy, gzip).
	CompressionType string
	// NumRecoveryThreadsPerDataDir is the threads per log dir for recovery
	// and shutdown flushing (num.recovery.threads.per.data.dir; 1; >= 1).
	NumRecoveryThreadsPerDataDir int

	// ---- Log segments, retention and flushing.

	// LogSegmentBytes is the largest segment file
	// (log.segment.bytes; 1073741824; >= 14).
	LogSegmentBytes int
	// LogRollMs is the longest time before a new segment is rolled
	// (log.roll.ms; nil = LogRollHours). See RollMillis.
	LogRollMs *int64
	// LogRollHours is used when log.roll.ms is not set (log.roll.hours;
	// 168; >= 1).
	LogRollHours int
	// LogRollJitterMs is the largest jitter subtracted from the roll time
	// (log.roll.jitter.ms; nil = LogRollJitterHours).
	LogRollJitterMs *int64
	// LogRollJitterHours is used when log.roll.jitter.ms is not set
	// (log.roll.jitter.hours; 0; >= 0).
	LogRollJitterHours int
	// LogRetentionMs is how long a segment is kept (log.retention.ms; nil =
	// LogRetentionMinutes; -1 = no limit). See RetentionMillis.
	LogRetentionMs *int64
	// LogRetentionMinutes is used when log.retention.ms is not set
	// (log.retention.minutes; nil = LogRetentionHours).
	LogRetentionMinutes *int
	// LogRetentionHours is used when neither log.retention.ms nor
	// log.retention.minutes is set (log.retention.hours; 168).
	LogRetentionHours int
	// LogRetentionBytes is the largest size of a partition's log before
	// old segments are deleted (log.retention.bytes; -1 = no limit).
	LogRetentionBytes int64
	// LogRetentionCheckIntervalMs is how often retention is enforced
	// (log.retention.check.interval.ms; 300000; >= 1).
	LogRetentionCheckIntervalMs int64
	// LogCleanupPolicy lists what happens to old segments: "delete",
	// "compact" or both (log.cleanup.policy; [delete]).
	LogCleanupPolicy []string
	// LogCleanerEnable runs the log cleaner that compacts topics
	// (log.cleaner.enable; true).
	LogCleanerEnable bool
	// LogIndexIntervalBytes is the bytes between offset index entries
	// (log.index.interval.bytes; 4096; >= 0).
	LogIndexIntervalBytes int
	// LogIndexSizeMaxBytes is the largest offset index file
	// (log.index.size.max.bytes; 10485760; >= 4).
	LogIndexSizeMaxBytes int
	// LogMessageTimestampType is the timestamp kept in records: CreateTime
	// (the producer's) or LogAppendTime (the broker's)
	// (log.message.timestamp.type; CreateTime).
	LogMessageTimestampType string
	// LogFlushIntervalMessages is the records appended to a partition
	// before it is fsynced (log.flush.interval.messages;
	// 9223372036854775807; >= 1).
	LogFlushIntervalMessages int64
	// LogFlushIntervalMs is the longest time a record stays unsynced
	// (log.flush.interval.ms; nil = LogFlushSchedulerIntervalMs).
	LogFlushIntervalMs *int64
	// LogFlushSchedulerIntervalMs is how often the flusher looks for logs
	// to fsync (log.flush.scheduler.interval.ms; 9223372036854775807).
	LogFlushSchedulerIntervalMs int64
	// LogFlushOffsetCheckpointIntervalMs is how often the recovery points
	// are checkpointed (log.flush.offset.checkpoint.interval.ms; 60000;
	// >= 0).
	LogFlushOffsetCheckpointIntervalMs int
	// LogSegmentDeleteDelayMs is how long a deleted segment's files wait
	// before they are removed (log.segment.delete.delay.ms; 60000; >= 0).
	LogSegmentDeleteDelayMs int64

	// ---- Socket server.

	// NumNetworkThreads is the threads serving the network
	// (num.network.threads; 3; >= 1).
	NumNetworkThreads int
	// NumIOThreads is the threads handling requests (num.io.threads; 8;
	// >= 1).
	NumIOThreads int
	// BackgroundThreads is the threads for background work
	// (background.threads; 10; >= 1).
	BackgroundThreads int
	// SocketSendBufferBytes is SO_SNDBUF (socket.send.buffer.bytes; 102400;
	// -1 = the OS default).
	SocketSendBufferBytes int
	// SocketReceiveBufferBytes is SO_RCVBUF (socket.receive.buffer.bytes;
	// 102400; -1 = the OS default).
	SocketReceiveBufferBytes int
	// SocketRequestMaxBytes is the largest request accepted
	// (socket.request.max.bytes; 104857600; >= 1).
	SocketRequestMaxBytes int
	// SocketListenBacklogSize is the listen backlog
	// (socket.listen.backlog.size; 50; >= 1).
	SocketListenBacklogSize int
	// QueuedMaxRequests is the requests queued before the network threads
	// stop reading (queued.max.requests; 500; >= 1).
	QueuedMaxRequests int
	// QueuedMaxRequestBytes bounds the bytes of queued requests
	// (queued.max.request.bytes; -1 = no bound; else >=
	// SocketRequestMaxBytes).
	QueuedMaxRequestBytes int64
	// ConnectionsMaxIdleMs closes connections idle this long
	// (connections.max.idle.ms; 600000).
	ConnectionsMaxIdleMs int64
	// RequestTimeoutMs is the timeout of the broker's own requests to
	// other brokers (request.timeout.ms; 30000).
	RequestTimeoutMs int
	// FetchMaxBytes is the largest fetch response (fetch.max.bytes;
	// 57671680; >= 1024).
	FetchMaxBytes int

	// ---- Replication.

	// ReplicaFetchMaxBytes is the bytes fetched per partition by followers
	// (replica.fetch.max.bytes; 1048576; >= 0).
	ReplicaFetchMaxBytes int
	// ReplicaFetchResponseMaxBytes is the largest follower fetch response
	// (replica.fetch.response.max.bytes; 10485760; >= 0).
	ReplicaFetchResponseMaxBytes int
	// ReplicaFetchWaitMaxMs is how long a follower fetch may wait
	// (replica.fetch.wait.max.ms; 500; at most ReplicaSocketTimeoutMs and
	// ReplicaLagTimeMaxMs).
	ReplicaFetchWaitMaxMs int
	// ReplicaFetchMinBytes is the bytes a follower fetch waits for
	// (replica.fetch.min.bytes; 1).
	ReplicaFetchMinBytes int
	// ReplicaFetchBackoffMs is the pause after a failed follower fetch
	// (replica.fetch.backoff.ms; 1000; >= 0).
	ReplicaFetchBackoffMs int
	// ReplicaSocketTimeoutMs is the socket timeout of follower fetches
	// (replica.socket.timeout.ms; 30000).
	ReplicaSocketTimeoutMs int
	// ReplicaLagTimeMaxMs drops a follower from the ISR when it has not
	// caught up for this long (replica.lag.time.max.ms; 30000).
	ReplicaLagTimeMaxMs int64
	// ReplicaHighWatermarkCheckpointIntervalMs is how often high
	// watermarks are checkpointed
	// (replica.high.watermark.checkpoint.interval.ms; 5000).
	ReplicaHighWatermarkCheckpointIntervalMs int64
	// NumReplicaFetchers is the fetcher threads per source broker
	// (num.replica.fetchers; 1).
	NumReplicaFetchers int
	// UncleanLeaderElectionEnable lets an out-of-sync replica become
	// leader, losing data (unclean.leader.election.enable; false).
	UncleanLeaderElectionEnable bool
	// AutoLeaderRebalanceEnable moves leadership back to preferred replicas
	// (auto.leader.rebalance.enable; true).
	AutoLeaderRebalanceEnable bool
	// LeaderImbalancePerBrokerPercentage triggers a rebalance above this
	// share of non-preferred leaders (leader.imbalance.per.broker.percentage;
	// 10).
	LeaderImbalancePerBrokerPercentage int
	// LeaderImbalanceCheckIntervalSeconds is how often leader balance is
	// checked (leader.imbalance.check.interval.seconds; 300; >= 1).
	LeaderImbalanceCheckIntervalSeconds int64
	// ControlledShutdownEnable moves leadership away before shutting down
	// (controlled.shutdown.enable; true).
	ControlledShutdownEnable bool
	// ControlledShutdownMaxRetries is the attempts at a controlled shutdown
	// (controlled.shutdown.max.retries; 3).
	ControlledShutdownMaxRetries int
	// ControlledShutdownRetryBackoffMs is the pause between attempts
	// (controlled.shutdown.retry.backoff.ms; 5000).
	ControlledShutdownRetryBackoffMs int64

	// ---- Group coordinator and the __consumer_offsets topic.

	// GroupInitialRebalanceDelayMs is how long a new group waits for more
	// members before its first rebalance (group.initial.rebalance.delay.ms;
	// 3000).
	GroupInitialRebalanceDelayMs int
	// GroupMinSessionTimeoutMs is the smallest session timeout a member
	// may ask for (group.min.session.timeout.ms; 6000).
	GroupMinSessionTimeoutMs int
	// GroupMaxSessionTimeoutMs is the largest session timeout a member may
	// ask for (group.max.session.timeout.ms; 1800000).
	GroupMaxSessionTimeoutMs int
	// GroupMaxSize is the most members of a group (group.max.size;
	// 2147483647; >= 1).
	GroupMaxSize int
	// OffsetsTopicReplicationFactor is the replication factor of
	// __consumer_offsets (offsets.topic.replication.factor; 3; >= 1; a
	// 16-bit integer). As in Kafka 3.x, the topic is created only once this
	// many brokers are alive: until then FindCoordinator answers
	// COORDINATOR_NOT_AVAILABLE and consumer groups cannot form. A single
	// broker needs it set to 1 (see CheckReplicationFactor).
	OffsetsTopicReplicationFactor int
	// OffsetsTopicNumPartitions is the partition count of
	// __consumer_offsets (offsets.topic.num.partitions; 50; >= 1).
	OffsetsTopicNumPartitions int
	// OffsetsTopicSegmentBytes is the segment size of __consumer_offsets
	// (offsets.topic.segment.bytes; 104857600; >= 1).
	OffsetsTopicSegmentBytes int
	// OffsetsRetentionMinutes is how long committed offsets of an empty
	// group are kept (offsets.retention.minutes; 10080; >= 1).
	OffsetsRetentionMinutes int
	// OffsetsRetentionCheckIntervalMs is how often stale offsets are
	// removed (offsets.retention.check.interval.ms; 600000; >= 1).
	OffsetsRetentionCheckIntervalMs int64
	// OffsetsCommitTimeoutMs is how long an offset commit waits for the
	// offsets topic's replicas (offsets.commit.timeout.ms; 5000; >= 1).
	OffsetsCommitTimeoutMs int
	// OffsetMetadataMaxBytes is the largest metadata string of a committed
	// offset (offset.metadata.max.bytes; 4096).
	OffsetMetadataMaxBytes int

	// ---- Transaction coordinator and the __transaction_state topic.

	// TransactionStateLogReplicationFactor is the replication factor of
	// __transaction_state (transaction.state.log.replication.factor; 3;
	// >= 1; a 16-bit integer). Like OffsetsTopicReplicationFactor, the
	// topic is created only once this many brokers are alive.
	TransactionStateLogReplicationFactor int
	// TransactionStateLogNumPartitions is the partition count of
	// __transaction_state (transaction.state.log.num.partitions; 50; >= 1).
	TransactionStateLogNumPartitions int
	// TransactionStateLogMinISR is min.insync.replicas of
	// __transaction_state (transaction.state.log.min.isr; 2; >= 1).
	TransactionStateLogMinISR int
	// TransactionStateLogSegmentBytes is the segment size of
	// __transaction_state (transaction.state.log.segment.bytes; 104857600;
	// >= 1).
	TransactionStateLogSegmentBytes int
	// TransactionMaxTimeoutMs is the largest transaction timeout a producer
	// may ask for (transaction.max.timeout.ms; 900000; >= 1).
	TransactionMaxTimeoutMs int
	// TransactionalIDExpirationMs expires idle transactional ids
	// (transactional.id.expiration.ms; 604800000; >= 1).
	TransactionalIDExpirationMs int
	// ProducerIDExpirationMs expires idle producer ids
	// (producer.id.expiration.ms; 86400000; >= 1).
	ProducerIDExpirationMs int

	// Other holds every key no field above takes, trimmed, as written:
	// the Kafka broker keys zkafka does not use (type-checked as Kafka
	// does), listener.name.* overrides, and unknown keys.
	Other map[string]string
}

// Listener is one entry of listeners or advertised.listeners:
// NAME://host:port.
type Listener struct {
	// Name is the listener name, upper-cased as Kafka normalises it.
	Name string
	// Host is the host without IPv6 brackets. "" in listeners means all
	// interfaces; in advertised listeners Kafka registers the local
	// canonical host name instead.
	Host string
	// Port is the port; 0 in listeners asks for an ephemeral port.
	Port int
	// SecurityProtocol is the protocol mapped to Name by
	// listener.security.protocol.map (filled in by Validate).
	SecurityProtocol string
}

// String returns the listener as Kafka writes it: NAME://host:port, with
// IPv6 hosts in brackets and an empty host left out (NAME://:port).
func (l Listener) String() string {
	if l.Host == "" {
		return l.Name + "://:" + strconv.Itoa(l.Port)
	}
	return l.Name + "://" + net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}

// Addr returns host:port, suitable for net.Listen and net.Dial (":port"
// for all interfaces).
func (l Listener) Addr() string {
	return net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}

// ListenerProtocol is one entry of listener.security.protocol.map.
type ListenerProtocol struct {
	// Listener is the listener name, upper-cased.
	Listener string
	// Protocol is the security protocol: PLAINTEXT, SSL, SASL_PLAINTEXT or
	// SASL_SSL.
	Protocol string
}

// securityProtocols are Kafka's SecurityProtocol names, in enum order.
var securityProtocols = []string{"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}

// defaultProtocolMap is listener.security.protocol.map's default in the
// order Kafka 3.8 and later write it.
var defaultProtocolMap = []ListenerProtocol{
	{"SASL_SSL", "SASL_SSL"}, {"PLAINTEXT", "PLAINTEXT"}, {"SSL", "SSL"}, {"SASL_PLAINTEXT", "SASL_PLAINTEXT"},
}

// NewBroker returns a Broker holding Kafka's defaults. ZooKeeperConnect is
// empty and must be set.
func NewBroker() *Broker {
	return &Broker{
		BrokerID:                     -1,
		BrokerIDGenerationEnable:     true,
		ReservedBrokerMaxID:          1000,
		Listeners:                    []Listener{{Name: PlaintextProtocol, Port: 9092}},
		ListenerSecurityProtocolMap:  slices.Clone(defaultProtocolMap),
		SecurityInterBrokerProtocol:  PlaintextProtocol,
		ZooKeeperSessionTimeoutMs:    18000,
		ZooKeeperMaxInFlightRequests: 10,

		LogDir:                       DefaultBrokerLogDir,
		NumPartitions:                1,
		DefaultReplicationFactor:     1,
		MinInsyncReplicas:            1,
		MessageMaxBytes:              1048588,
		AutoCreateTopicsEnable:       true,
		DeleteTopicEnable:            true,
		CompressionType:              "producer",
		NumRecoveryThreadsPerDataDir: 1,

		LogSegmentBytes:                    1 << 30,
		LogRollHours:                       168,
		LogRetentionHours:                  168,
		LogRetentionBytes:                  -1,
		LogRetentionCheckIntervalMs:        300000,
		LogCleanupPolicy:                   []string{"delete"},
		LogCleanerEnable:                   true,
		LogIndexIntervalBytes:              4096,
		LogIndexSizeMaxBytes:               10 << 20,
		LogMessageTimestampType:            "CreateTime",
		LogFlushIntervalMessages:           math.MaxInt64,
		LogFlushSchedulerIntervalMs:        math.MaxInt64,
		LogFlushOffsetCheckpointIntervalMs: 60000,
		LogSegmentDeleteDelayMs:            60000,

		NumNetworkThreads:        3,
		NumIOThreads:             8,
		BackgroundThreads:        10,
		SocketSendBufferBytes:    100 << 10,
		SocketReceiveBufferBytes: 100 << 10,
		SocketRequestMaxBytes:    100 << 20,
		SocketListenBacklogSize:  50,
		QueuedMaxRequests:        500,
		QueuedMaxRequestBytes:    -1,
		ConnectionsMaxIdleMs:     600000,
		RequestTimeoutMs:         30000,
		FetchMaxBytes:            55 << 20,

		ReplicaFetchMaxBytes:                     1 << 20,
		ReplicaFetchResponseMaxBytes:             10 << 20,
		ReplicaFetchWaitMaxMs:                    500,
		ReplicaFetchMinBytes:                     1,
		ReplicaFetchBackoffMs:                    1000,
		ReplicaSocketTimeoutMs:                   30000,
		ReplicaLagTimeMaxMs:                      30000,
		ReplicaHighWatermarkCheckpointIntervalMs: 5000,
		NumReplicaFetchers:                       1,
		AutoLeaderRebalanceEnable:                true,
		LeaderImbalancePerBrokerPercentage:       10,
		LeaderImbalanceCheckIntervalSeconds:      300,
		ControlledShutdownEnable:                 true,
		ControlledShutdownMaxRetries:             3,
		ControlledShutdownRetryBackoffMs:         5000,

		GroupInitialRebalanceDelayMs:    3000,
		GroupMinSessionTimeoutMs:        6000,
		GroupMaxSessionTimeoutMs:        1800000,
		GroupMaxSize:                    math.MaxInt32,
		OffsetsTopicReplicationFactor:   3,
		OffsetsTopicNumPartitions:       50,
		OffsetsTopicSegmentBytes:        100 << 20,
		OffsetsRetentionMinutes:         7 * 24 * 60,
		OffsetsRetentionCheckIntervalMs: 600000,
		OffsetsCommitTimeoutMs:          5000,
		OffsetMetadataMaxBytes:          4096,

		TransactionStateLogReplicationFactor: 3,
		TransactionStateLogNumPartitions:     50,
		TransactionStateLogMinISR:            2,
		TransactionStateLogSegmentBytes:      100 << 20,
		TransactionMaxTimeoutMs:              900000,
		TransactionalIDExpirationMs:          604800000,
		ProducerIDExpirationMs:               86400000,

		Other: map[string]string{},
	}
}

// LoadBroker reads the server.properties at path. It returns the
// configuration and warnings for the operator.
func LoadBroker(path string) (*Broker, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading configuration: %w", err)
	}
	defer f.Close()
	return ParseBroker(f, path)
}

// ParseBroker reads server.properties text from r; name (e.g. the path)
// prefixes errors. The result is validated.
func ParseBroker(r io.Reader, name string) (*Broker, []string, error) {
	props, err := ParseProperties(r)
	if err != nil {
		if name != "" {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, nil, err
	}
	return BrokerFromProperties(props, name)
}

// BrokerFromProperties builds and validates a Broker from parsed
// server.properties; name prefixes errors. It serves ParseBroker and
// callers that merge command-line overrides (kafka-server-start.sh
// --override key=value) into the properties first.
func BrokerFromProperties(props *Properties, name string) (*Broker, []string, error) {
	b := NewBroker()
	var warnings []string
	supplied := map[string]string{}
	for _, e := range props.Entries() {
		key := trimJava(e.Key)
		value := trimJava(e.Value)
		supplied[key] = value
		w, err := b.set(key, value)
		if err != nil {
			return nil, nil, withPlace(err, name, e.Line)
		}
		if w != "" {
			warnings = append(warnings, w)
		}
	}
	if err := b.applySupplied(supplied); err != nil {
		var ke *KeyError
		if errors.As(err, &ke) && ke.Line == 0 {
			ke.Line = props.Line(ke.Key)
		}
		return nil, nil, withPlace(err, name, 0)
	}
	w, err := b.validate()
	if err != nil {
		var ke *KeyError
		if errors.As(err, &ke) && ke.Line == 0 {
			ke.Line = props.Line(ke.Key)
		}
		return nil, nil, withPlace(err, name, 0)
	}
	return b, append(warnings, w...), nil
}

// set applies one key. It returns a warning for keys Kafka does not know.
func (b *Broker) set(key, v string) (string, error) {
	if f, ok := brokerFieldByKey[key]; ok {
		if err := f.set(b, key, v); err != nil {
			return "", err
		}
		if f.check != nil {
			return "", f.check(b)
		}
		return "", nil
	}
	if b.Other == nil {
		b.Other = map[string]string{}
	}
	if k, ok := kafkaKeyByName[key]; ok {
		if err := k.kind.check(key, v); err != nil {
			return "", err
		}
		b.Other[key] = v
		return "", nil
	}
	b.Other[key] = v
	if strings.HasPrefix(key, "listener.name.") {
		// Per-listener overrides (listener.name.<name>.<key>), which
		// Kafka reads by prefix.
		return "", nil
	}
	return fmt.Sprintf("The configuration '%s' was supplied but isn't a known config.", key), nil
}

// applySupplied applies the rules that depend on which keys were written,
// not only on their values.
func (b *Broker) applySupplied(supplied map[string]string) error {
	if v, ok := supplied["node.id"]; ok {
		// Kafka copies broker.id and node.id into each other when only
		// one is set, and requires them equal otherwise.
		delete(b.Other, "node.id")
		id, err := parseInt("node.id", v)
		if err != nil {
			return err
		}
		if _, set := supplied["broker.id"]; !set {
			b.BrokerID = id
		} else if id != b.BrokerID {
			return invalid("node.id", "%d must be the same as broker.id (%d)", id, b.BrokerID)
		}
	}
	if v := supplied["process.roles"]; len(splitKafkaList(v)) > 0 {
		return invalid("process.roles", "%q: KRaft mode is not supported; zkafka runs Kafka in ZooKeeper mode (remove process.roles)", v)
	}
	if v := supplied["controller.listener.names"]; v != "" {
		return invalid("controller.listener.names", "%q must be empty when not running in KRaft mode", v)
	}
	if v, ok := supplied["zookeeper.metadata.migration.enable"]; ok && strings.EqualFold(v, "true") {
		return invalid("zookeeper.metadata.migration.enable", "migration to KRaft is not supported by zkafka")
	}
	_, name := supplied["inter.broker.listener.name"]
	_, proto := supplied["security.inter.broker.protocol"]
	if name && proto {
		return invalid("inter.broker.listener.name", "only one of inter.broker.listener.name and security.inter.broker.protocol should be set")
	}
	return nil
}

// Validate checks every value and the rules between keys as Kafka does,
// and fills in the derived fields (ZooKeeperHosts, ZooKeeperChroot, the
// listeners' SecurityProtocol). Errors are *KeyError values naming the key.
func (b *Broker) Validate() error {
	_, err := b.validate()
	return err
}

// validate is Validate returning warnings too.
func (b *Broker) validate() ([]string, error) {
	var warnings []string
	for i := range brokerFields {
		if f := &brokerFields[i]; f.check != nil {
			if err := f.check(b); err != nil {
				return nil, err
			}
		}
	}
	if err := b.validateBrokerID(); err != nil {
		return nil, err
	}
	if b.ZooKeeperConnect == "" {
		return nil, &KeyError{Key: "zookeeper.connect", Msg: "is required in ZooKeeper mode and has no default", Err: ErrMissing}
	}
	hosts, chroot, err := ParseZooKeeperConnect(b.ZooKeeperConnect)
	if err != nil {
		return nil, invalid("zookeeper.connect", "%s", invalidText(err))
	}
	b.ZooKeeperHosts, b.ZooKeeperChroot = hosts, chroot
	if b.ZooKeeperSetACL {
		return nil, invalid("zookeeper.set.acl", "is true, but zkafka has no SASL or TLS connection to ZooKeeper to set secure ACLs with")
	}
	if err := b.validateLog(); err != nil {
		return nil, err
	}
	if b.ReplicaFetchWaitMaxMs > b.ReplicaSocketTimeoutMs {
		return nil, invalid("replica.socket.timeout.ms", "%d should always be at least replica.fetch.wait.max.ms (%d) to prevent unnecessary socket timeouts", b.ReplicaSocketTimeoutMs, b.ReplicaFetchWaitMaxMs)
	}
	if int64(b.ReplicaFetchWaitMaxMs) > b.ReplicaLagTimeMaxMs {
		return nil, invalid("replica.fetch.wait.max.ms", "%d should always be less than or equal to replica.lag.time.max.ms (%d) to prevent frequent changes in ISR", b.ReplicaFetchWaitMaxMs, b.ReplicaLagTimeMaxMs)
	}
	if b.QueuedMaxRequestBytes > 0 && b.QueuedMaxRequestBytes < int64(b.SocketRequestMaxBytes) {
		return nil, invalid("queued.max.request.bytes", "%d must be larger or equal to socket.request.max.bytes (%d)", b.QueuedMaxRequestBytes, b.SocketRequestMaxBytes)
	}
	w, err := b.validateListeners()
	if err != nil {
		return nil, err
	}
	warnings = append(warnings, w...)
	if v := b.Other["authorizer.class.name"]; v != "" {
		warnings = append(warnings, fmt.Sprintf("authorizer.class.name=%s is ignored: zkafka has no authorizer, so ACLs are not enforced", v))
	}
	return warnings, nil
}

// validateBrokerID applies Kafka's ZooKeeper-mode broker.id rules.
func (b *Broker) validateBrokerID() error {
	if b.BrokerIDGenerationEnable {
		if b.BrokerID < -1 || b.BrokerID > b.ReservedBrokerMaxID {
			return invalid("broker.id", "%d must be greater than or equal to -1 and not greater than reserved.broker.max.id (%d)", b.BrokerID, b.ReservedBrokerMaxID)
		}
	} else if b.BrokerID < 0 {
		return invalid("broker.id", "%d must be greater than or equal to 0 (broker.id.generation.enable is false)", b.BrokerID)
	}
	return nil
}

// validateLog checks the log directories and the resolved times.
func (b *Broker) validateLog() error {
	dirsKey := "log.dirs"
	if b.LogDirs == nil {
		dirsKey = "log.dir"
	}
	dirs := b.Dirs()
	if len(dirs) == 0 {
		return &KeyError{Key: dirsKey, Msg: "at least one log directory must be defined via log.dirs or log.dir", Err: ErrMissing}
	}
	seen := make(map[string]string, len(dirs))
	for _, d := range dirs {
		c := filepath.Clean(d)
		if prev, dup := seen[c]; dup {
			return invalid(dirsKey, "duplicate log directory found: %q and %q", prev, d)
		}
		seen[c] = d
	}
	if b.RollMillis() < 1 {
		return invalid(b.rollKey(), "log.roll.ms must be greater than or equal to 1 (it is %d)", b.RollMillis())
	}
	if b.RollJitterMillis() < 0 {
		key := "log.roll.jitter.hours"
		if b.LogRollJitterMs != nil {
			key = "log.roll.jitter.ms"
		}
		return invalid(key, "log.roll.jitter.ms must be greater than or equal to 0 (it is %d)", b.RollJitterMillis())
	}
	if b.RetentionMillis() == 0 {
		return invalid(b.retentionKey(), "log.retention.ms must be unlimited (-1) or, greater than or equal to 1 (it is 0)")
	}
	return nil
}

func (b *Broker) rollKey() string {
	if b.LogRollMs != nil {
		return "log.roll.ms"
	}
	return "log.roll.hours"
}

func (b *Broker) retentionKey() string {
	switch {
	case b.LogRetentionMs != nil:
		return "log.retention.ms"
	case b.LogRetentionMinutes != nil:
		return "log.retention.minutes"
	}
	return "log.retention.hours"
}

// validateListeners resolves the listeners' protocols and applies Kafka's
// rules between listeners, advertised.listeners, inter.broker.listener.name
// and control.plane.listener.name.
func (b *Broker) validateListeners() ([]string, error) {
	var warnings []string
	for _, p := range b.ListenerSecurityProtocolMap {
		if p.Listener == "" || strings.TrimSpace(p.Listener) != p.Listener || strings.ToUpper(p.Listener) != p.Listener {
			return nil, invalid("listener.security.protocol.map", "listener name %q must be non-empty and upper-case", p.Listener)
		}
		if !slices.Contains(securityProtocols, p.Protocol) {
			return nil, invalid("listener.security.protocol.map", "invalid security protocol %q (valid: %s)", p.Protocol, strings.Join(securityProtocols, ", "))
		}
	}
	if err := b.resolveListeners("listeners", b.Listeners, true); err != nil {
		return nil, err
	}
	advKey := "advertised.listeners"
	if b.AdvertisedListeners == nil {
		advKey = "listeners"
	} else if err := b.resolveListeners(advKey, b.AdvertisedListeners, false); err != nil {
		return nil, err
	}
	advertised := b.EffectiveAdvertisedListeners()
	if len(advertised) == 0 {
		return nil, invalid(advKey, "there must be at least one broker advertised listener")
	}
	names := make([]string, 0, len(b.Listeners))
	for _, l := range b.Listeners {
		names = append(names, l.Name)
	}
	var advNames []string
	for _, l := range advertised {
		advNames = append(advNames, l.Name)
		if !slices.Contains(names, l.Name) {
			return nil, invalid("advertised.listeners", "listener names must be equal to or a subset of the ones defined in listeners; found %s, valid options are %s",
				strings.Join(sortedUnique(advNames), ","), strings.Join(sortedUnique(names), ","))
		}
		switch l.Host {
		case "0.0.0.0":
			if advKey == "listeners" {
				return nil, invalid(advKey, "%s: advertised.listeners is not set, so listeners are advertised, and advertised.listeners cannot use the nonroutable meta-address 0.0.0.0; set advertised.listeners to a routable address", l)
			}
			return nil, invalid(advKey, "%s: advertised.listeners cannot use the nonroutable meta-address 0.0.0.0; use a routable IP address", l)
		case "::", "0:0:0:0:0:0:0:0":
			warnings = append(warnings, fmt.Sprintf("%s: advertised listener %s uses the unspecified address %s, which clients cannot connect to", advKey, l, l.Host))
		}
	}
	ibKey := "security.inter.broker.protocol"
	ib := b.InterBrokerListenerName
	if ib != "" {
		ibKey = "inter.broker.listener.name"
		ib = strings.ToUpper(ib)
		if _, ok := b.SecurityProtocol(ib); !ok {
			return nil, invalid(ibKey, "listener with name %s defined in inter.broker.listener.name not found in listener.security.protocol.map", ib)
		}
	} else {
		if !slices.Contains(securityProtocols, b.SecurityInterBrokerProtocol) {
			return nil, invalid(ibKey, "%q: string must be one of: %s", b.SecurityInterBrokerProtocol, strings.Join(securityProtocols, ", "))
		}
		ib = b.SecurityInterBrokerProtocol
		if ib != PlaintextProtocol {
			return nil, invalid(ibKey, "security protocol %s is not supported by zkafka (only PLAINTEXT)", ib)
		}
	}
	if !slices.Contains(advNames, ib) {
		return nil, invalid(ibKey, "inter.broker.listener.name must be a listener name defined in advertised.listeners; the inter-broker listener is %s, valid options are %s",
			ib, strings.Join(sortedUnique(advNames), ","))
	}
	if cp := b.ControlPlaneListenerName; cp != "" {
		cp = strings.ToUpper(cp)
		if _, ok := b.SecurityProtocol(cp); !ok {
			return nil, invalid("control.plane.listener.name", "listener with %s defined in control.plane.listener.name not found in listener.security.protocol.map", cp)
		}
		if !slices.Contains(advNames, cp) {
			return nil, invalid("control.plane.listener.name", "must be a listener name defined in advertised.listeners; valid options are %s", strings.Join(sortedUnique(advNames), ","))
		}
		if cp == ib {
			return nil, invalid("control.plane.listener.name", "should have a different value from the inter broker listener name; both are %s", cp)
		}
	}
	return warnings, nil
}

// resolveListeners fills in the security protocols of ls and checks names
// (and, for listeners, ports) as Kafka's listenerListToEndPoints does.
func (b *Broker) resolveListeners(key string, ls []Listener, distinctPorts bool) error {
	seen := map[string]bool{}
	for i := range ls {
		l := &ls[i]
		if l.Name == "" || strings.ToUpper(l.Name) != l.Name {
			return invalid(key, "listener name %q must be non-empty and upper-case", l.Name)
		}
		if l.Port < 0 || l.Port > 65535 {
			return invalid(key, "%s: port %d is out of range 0-65535", l, l.Port)
		}
		if seen[l.Name] {
			return invalid(key, "each listener must have a different name; %s appears twice", l.Name)
		}
		seen[l.Name] = true
		proto, ok := b.SecurityProtocol(l.Name)
		if !ok {
			return invalid(key, "no security protocol defined for listener %s (add it to listener.security.protocol.map)", l.Name)
		}
		if proto != PlaintextProtocol {
			return invalid(key, "listener %s uses security protocol %s, which zkafka does not support (only PLAINTEXT)", l.Name, proto)
		}
		l.SecurityProtocol = proto
	}
	if !distinctPorts {
		return nil
	}
	byPort := map[int][]Listener{}
	var ports []int
	for _, l := range ls {
		if l.Port == 0 {
			continue // ephemeral ports may repeat
		}
		if byPort[l.Port] == nil {
			ports = append(ports, l.Port)
		}
		byPort[l.Port] = append(byPort[l.Port], l)
	}
	for _, port := range ports {
		eps := byPort[port]
		if len(eps) < 2 {
			continue
		}
		var withIP, withoutIP []Listener
		for _, l := range eps {
			if listenerIPVersion(l.Host) != 0 {
				withIP = append(withIP, l)
			} else {
				withoutIP = append(withoutIP, l)
			}
		}
		if len(withoutIP) > 1 {
			return invalid(key, "each listener must have a different port; %d is used by %s and %s", port, withoutIP[0], withoutIP[1])
		}
		switch {
		case len(withIP) == 0:
		case len(withIP) == 2 && len(withoutIP) == 0 && listenerIPVersion(withIP[0].Host)+listenerIPVersion(withIP[1].Host) == 4+6:
		case len(withIP) == 2:
			return invalid(key, "if you have two listeners on the same port then one needs to be IPv4 and the other IPv6; port %d", port)
		default:
			return invalid(key, "each listener must have a different port unless exactly one listener has an IPv4 address and the other IPv6 address; port %d", port)
		}
	}
	return nil
}

// listenerIPVersion returns 4 or 6 for an IP literal (an IPv6 zone allowed) and 0
// for anything else.
func listenerIPVersion(host string) int {
	if host == "" {
		return 0
	}
	h, _, _ := strings.Cut(host, "%")
	ip := net.ParseIP(h)
	switch {
	case ip == nil:
		return 0
	case strings.Contains(h, ":"):
		return 6
	}
	return 4
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// SecurityProtocol returns the protocol listener.security.protocol.map
// gives the listener name (upper-case), the last entry winning.
func (b *Broker) SecurityProtocol(listener string) (string, bool) {
	for i := len(b.ListenerSecurityProtocolMap) - 1; i >= 0; i-- {
		if p := b.ListenerSecurityProtocolMap[i]; p.Listener == listener {
			return p.Protocol, true
		}
	}
	return "", false
}

// EffectiveAdvertisedListeners returns AdvertisedListeners, or Listeners
// when advertised.listeners is not set.
func (b *Broker) EffectiveAdvertisedListeners() []Listener {
	if b.AdvertisedListeners != nil {
		return b.AdvertisedListeners
	}
	return b.Listeners
}

// InterBrokerListener returns the advertised listener other brokers reach
// this one on: the one named by inter.broker.listener.name, else the one
// named after security.inter.broker.protocol. After Validate it exists.
func (b *Broker) InterBrokerListener() (Listener, bool) {
	name := strings.ToUpper(b.InterBrokerListenerName)
	if name == "" {
		name = b.SecurityInterBrokerProtocol
	}
	for _, l := range b.EffectiveAdvertisedListeners() {
		if l.Name == name {
			return l, true
		}
	}
	return Listener{}, false
}

// Dirs returns the log directories: log.dirs when set, else log.dir (both
// comma-separated lists).
func (b *Broker) Dirs() []string {
	if b.LogDirs != nil {
		return b.LogDirs
	}
	return splitKafkaCsv(b.LogDir)
}

// RollMillis returns the segment roll time in ms: log.roll.ms when set,
// else log.roll.hours.
func (b *Broker) RollMillis() int64 {
	if b.LogRollMs != nil {
		return *b.LogRollMs
	}
	return int64(b.LogRollHours) * 3600000
}

// Roll returns RollMillis as a Duration.
func (b *Broker) Roll() time.Duration { return msDuration(b.RollMillis()) }

// RollJitterMillis returns the roll jitter in ms: log.roll.jitter.ms when
// set, else log.roll.jitter.hours.
func (b *Broker) RollJitterMillis() int64 {
	if b.LogRollJitterMs != nil {
		return *b.LogRollJitterMs
	}
	return int64(b.LogRollJitterHours) * 3600000
}

// RollJitter returns RollJitterMillis as a Duration.
func (b *Broker) RollJitter() time.Duration { return msDuration(b.RollJitterMillis()) }

// RetentionMillis returns the retention time in ms as Kafka resolves it:
// log.retention.ms when set, else log.retention.minutes, else
// log.retention.hours; any negative result is -1, no limit.
func (b *Broker) RetentionMillis() int64 {
	var ms int64
	switch {
	case b.LogRetentionMs != nil:
		ms = *b.LogRetentionMs
	case b.LogRetentionMinutes != nil:
		ms = int64(*b.LogRetentionMinutes) * 60000
	default:
		ms = int64(b.LogRetentionHours) * 3600000
	}
	if ms < 0 {
		return -1
	}
	return ms
}

// Retention returns RetentionMillis as a Duration, and false when
// retention by time is unlimited.
func (b *Broker) Retention() (time.Duration, bool) {
	ms := b.RetentionMillis()
	if ms < 0 {
		return 0, false
	}
	return msDuration(ms), true
}

// RetentionCheckInterval returns log.retention.check.interval.ms as a
// Duration.
func (b *Broker) RetentionCheckInterval() time.Duration {
	return msDuration(b.LogRetentionCheckIntervalMs)
}

// FlushIntervalMillis returns log.flush.interval.ms, or
// log.flush.scheduler.interval.ms when it is not set.
func (b *Broker) FlushIntervalMillis() int64 {
	if b.LogFlushIntervalMs != nil {
		return *b.LogFlushIntervalMs
	}
	return b.LogFlushSchedulerIntervalMs
}

// FlushInterval returns FlushIntervalMillis as a Duration (the default,
// Long.MAX_VALUE ms, saturates to the largest Duration: never).
func (b *Broker) FlushInterval() time.Duration { return msDuration(b.FlushIntervalMillis()) }

// FlushSchedulerInterval returns log.flush.scheduler.interval.ms as a
// Duration.
func (b *Broker) FlushSchedulerInterval() time.Duration {
	return msDuration(b.LogFlushSchedulerIntervalMs)
}

// SegmentDeleteDelay returns log.segment.delete.delay.ms as a Duration.
func (b *Broker) SegmentDeleteDelay() time.Duration { return msDuration(b.LogSegmentDeleteDelayMs) }

// ZooKeeperSessionTimeout returns zookeeper.session.timeout.ms as a
// Duration.
func (b *Broker) ZooKeeperSessionTimeout() time.Duration {
	return msDuration(int64(b.ZooKeeperSessionTimeoutMs))
}

// ZooKeeperConnectionTimeout returns zookeeper.connection.timeout.ms, or
// the session timeout when it is not set, as a Duration.
func (b *Broker) ZooKeeperConnectionTimeout() time.Duration {
	if b.ZooKeeperConnectionTimeoutMs != nil {
		return msDuration(int64(*b.ZooKeeperConnectionTimeoutMs))
	}
	return b.ZooKeeperSessionTimeout()
}

// ConnectionsMaxIdle returns connections.max.idle.ms as a Duration.
func (b *Broker) ConnectionsMaxIdle() time.Duration { return msDuration(b.ConnectionsMaxIdleMs) }

// ReplicaLagTimeMax returns replica.lag.time.max.ms as a Duration.
func (b *Broker) ReplicaLagTimeMax() time.Duration { return msDuration(b.ReplicaLagTimeMaxMs) }

// ReplicaFetchWaitMax returns replica.fetch.wait.max.ms as a Duration.
func (b *Broker) ReplicaFetchWaitMax() time.Duration {
	return msDuration(int64(b.ReplicaFetchWaitMaxMs))
}

// ReplicaFetchBackoff returns replica.fetch.backoff.ms as a Duration.
func (b *Broker) ReplicaFetchBackoff() time.Duration {
	return msDuration(int64(b.ReplicaFetchBackoffMs))
}

// GroupInitialRebalanceDelay returns group.initial.rebalance.delay.ms as a
// Duration.
func (b *Broker) GroupInitialRebalanceDelay() time.Duration {
	return msDuration(int64(b.GroupInitialRebalanceDelayMs))
}

// OffsetsRetention returns offsets.retention.minutes as a Duration.
func (b *Broker) OffsetsRetention() time.Duration {
	return msDuration(int64(b.OffsetsRetentionMinutes) * 60000)
}

// OffsetsRetentionCheckInterval returns offsets.retention.check.interval.ms
// as a Duration.
func (b *Broker) OffsetsRetentionCheckInterval() time.Duration {
	return msDuration(b.OffsetsRetentionCheckIntervalMs)
}

// LeaderImbalanceCheckInterval returns
// leader.imbalance.check.interval.seconds as a Duration.
func (b *Broker) LeaderImbalanceCheckInterval() time.Duration {
	return msDuration(b.LeaderImbalanceCheckIntervalSeconds * 1000)
}

// CheckReplicationFactor returns nil when a topic with replicationFactor
// replicas can be placed on aliveBrokers brokers, else an error wrapping
// ErrReplicationFactor whose text is Kafka's InvalidReplicationFactor
// message, e.g. "Replication factor: 3 larger than available brokers: 1.".
// Kafka 3.x creates __consumer_offsets and __transaction_state with their
// configured replication factor or not at all (never with fewer replicas).
func CheckReplicationFactor(replicationFactor, aliveBrokers int) error {
	switch {
	case replicationFactor <= 0:
		return &replicationFactorError{"Replication factor must be larger than 0."}
	case replicationFactor > aliveBrokers:
		return &replicationFactorError{fmt.Sprintf("Replication factor: %d larger than available brokers: %d.", replicationFactor, aliveBrokers)}
	}
	return nil
}

type replicationFactorError struct{ msg string }

func (e *replicationFactorError) Error() string { return e.msg }
func (e *replicationFactorError) Unwrap() error { return ErrReplicationFactor }

// ParseZooKeeperConnect splits a zookeeper.connect string as the ZooKeeper
// client does: an optional chroot from the first '/', then comma-separated
// hosts (blank entries skipped), each host, [IPv6] or host:port with the
// port defaulting to 2181. It returns host:port addresses and the chroot
// ("" when absent or "/"). Errors wrap ErrInvalid.
func ParseZooKeeperConnect(s string) (hosts []string, chroot string, err error) {
	hostPart := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		hostPart, chroot = s[:i], s[i:]
		if chroot == "/" {
			chroot = ""
		} else if err := validateZKPath(chroot); err != nil {
			return nil, "", fmt.Errorf("%w: chroot %q: %s", ErrInvalid, chroot, err.Error())
		}
	}
	for _, h := range strings.Split(hostPart, ",") {
		h = trimJava(h)
		if h == "" {
			continue
		}
		host, port := h, DefaultZooKeeperPort
		var portText string
		if strings.HasPrefix(h, "[") {
			end := strings.IndexByte(h, ']')
			if end < 0 {
				return nil, "", fmt.Errorf("%w: %q starts with '[' but has no matching ']'", ErrInvalid, h)
			}
			host = h[1:end]
			switch rest := h[end+1:]; {
			case rest == "":
			case rest[0] == ':' && len(rest) > 1:
				portText = rest[1:]
			default:
				return nil, "", fmt.Errorf("%w: %q: expected :port after ']'", ErrInvalid, h)
			}
		} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
			host = h[:i]
			portText = h[i+1:] // "host:" keeps the default port
		}
		if portText != "" {
			n, err := strconv.ParseInt(portText, 10, 32)
			if err != nil {
				return nil, "", fmt.Errorf("%w: %q: port %q is not an integer", ErrInvalid, h, portText)
			}
			if n < 1 || n > 65535 {
				return nil, "", fmt.Errorf("%w: %q: port %d is out of range 1-65535", ErrInvalid, h, n)
			}
			port = int(n)
		}
		if host == "" || strings.ContainsAny(host, " \t/[]") {
			return nil, "", fmt.Errorf("%w: %q: bad host %q", ErrInvalid, h, host)
		}
		hosts = append(hosts, net.JoinHostPort(host, strconv.Itoa(port)))
	}
	if len(hosts) == 0 {
		return nil, "", fmt.Errorf("%w: %q names no ZooKeeper host", ErrInvalid, s)
	}
	return hosts, chroot, nil
}

// validateZKPath applies ZooKeeper's PathUtils.validatePath to a chroot.
func validateZKPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return errors.New("path must start with / character")
	}
	if strings.HasSuffix(p, "/") {
		return errors.New("path must not end with / character")
	}
	for _, seg := range strings.Split(p[1:], "/") {
		switch seg {
		case "":
			return errors.New("empty node name specified")
		case ".", "..":
			return errors.New("relative paths not allowed")
		}
	}
	for _, r := range p {
		switch {
		case r == 0:
			return errors.New("null character not allowed")
		case r > 0 && r < 0x1f, r > 0x7f && r < 0x9f, r > 0xd800 && r < 0xf8ff, r > 0xfff0 && r < 0xffff:
			return fmt.Errorf("invalid character %U", r)
		}
	}
	return nil
}

// invalidText returns the message of an error wrapping ErrInvalid without the
// sentinel's prefix.
func invalidText(err error) string {
	return strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")
}

// Lines returns the configuration as Kafka logs it at startup from
// AbstractConfig.logAll: the line "KafkaConfig values: ", then one
// "\tkey = value" line for every Kafka 3.9 broker key, sorted by key, with
// Kafka's rendering (null for unset keys, [a, b] for lists, [hidden] for
// passwords). strings.Join(lines, "\n")+"\n" is the text of Kafka's log
// message. As in Kafka, keys resolved from others show their own value
// (log.retention.ms = null when only log.retention.hours is set); broker.id
// shows the configured id, so call Lines before replacing a -1 with a
// generated id. Kafka shows string-typed values as written; here
// listeners, advertised.listeners and listener.security.protocol.map show
// in their normalised form (upper-case names) and log.dirs without the
// spaces around its commas.
func (b *Broker) Lines() []string {
	lines := make([]string, 0, len(kafkaKeys)+1)
	lines = append(lines, "KafkaConfig values: ")
	for _, k := range kafkaKeys {
		lines = append(lines, "\t"+k.name+" = "+b.show(k))
	}
	return lines
}

// show renders the value of one key.
func (b *Broker) show(k kafkaKey) string {
	if f, ok := brokerFieldByKey[k.name]; ok {
		return f.show(b)
	}
	if k.name == "node.id" {
		return strconv.Itoa(b.BrokerID)
	}
	if v, ok := b.Other[k.name]; ok {
		return k.kind.render(v)
	}
	return k.def
}

// ---- Parsing helpers.

// isJavaRegexSpace reports whether c is in Java's regex \s.
func isJavaRegexSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// splitKafkaCsv splits a trimmed comma-separated list as Kafka's
// Csv.parseCsvList does: whitespace around commas dropped, empty entries
// skipped. It returns a non-nil slice.
func splitKafkaCsv(s string) []string {
	out := []string{}
	for _, p := range strings.Split(trimJava(s), ",") {
		if p = strings.TrimFunc(p, isJavaRegexSpace); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitKafkaList splits a LIST-typed value as Kafka's ConfigDef does: "" is an
// empty list; otherwise every comma separates an entry, empty ones kept.
func splitKafkaList(s string) []string {
	s = trimJava(s)
	if s == "" {
		return []string{}
	}
	out := strings.Split(s, ",")
	for i := range out {
		out[i] = strings.TrimFunc(out[i], isJavaRegexSpace)
	}
	return out
}

func parseKafkaShort(key, v string) (int, error) {
	n, err := strconv.ParseInt(v, 10, 16)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, invalid(key, "%q is out of range for a 16-bit integer", v)
		}
		return 0, invalid(key, "%q is not an integer", v)
	}
	return int(n), nil
}

func parseKafkaDouble(key, v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(v, "d"), "D"), 64)
	if err != nil {
		var ne *strconv.NumError
		if !(errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange)) {
			return 0, invalid(key, "%q is not a number", v)
		}
	}
	return f, nil
}

// parseListeners parses a listeners or advertised.listeners value. The
// security protocols are filled in by Validate.
func parseListeners(key, v string) ([]Listener, error) {
	entries := splitKafkaCsv(v)
	out := make([]Listener, 0, len(entries))
	for _, e := range entries {
		l, err := parseListener(e)
		if err != nil {
			return nil, invalid(key, "%s", err.Error())
		}
		out = append(out, l)
	}
	return out, nil
}

// parseListener parses NAME://host:port as Kafka's endpoint pattern
// ^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+) does.
func parseListener(e string) (Listener, error) {
	bad := fmt.Errorf("unable to parse %q as a listener NAME://host:port", e)
	i := strings.LastIndex(e, "://")
	if i < 0 {
		return Listener{}, bad
	}
	name, rest := e[:i], e[i+3:]
	j := strings.LastIndexByte(rest, ':')
	if j < 0 {
		return Listener{}, bad
	}
	host, portText := rest[:j], rest[j+1:]
	host = strings.TrimPrefix(host, "[")
	host = strings.TrimSuffix(host, "]")
	for _, c := range host {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.ContainsRune("-%._:", c)) {
			return Listener{}, bad
		}
	}
	digits := strings.TrimPrefix(portText, "-")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return Listener{}, bad
	}
	port, err := strconv.ParseInt(portText, 10, 32)
	if err != nil {
		return Listener{}, fmt.Errorf("%q: port %q is out of range", e, portText)
	}
	if port < 0 || port > 65535 {
		return Listener{}, fmt.Errorf("%q: port %d is out of range 0-65535", e, port)
	}
	if strings.TrimSpace(name) == "" {
		return Listener{}, fmt.Errorf("%q: the listener name is empty", e)
	}
	return Listener{Name: strings.ToUpper(name), Host: host, Port: int(port)}, nil
}

// parseProtocolMap parses listener.security.protocol.map as Kafka's
// Csv.parseCsvMap and ListenerName.normalised do.
func parseProtocolMap(key, v string) ([]ListenerProtocol, error) {
	out := []ListenerProtocol{}
	if v == "" {
		return out, nil
	}
	parts := strings.Split(v, ",")
	for len(parts) > 0 && strings.TrimFunc(parts[len(parts)-1], isJavaRegexSpace) == "" {
		parts = parts[:len(parts)-1] // Java's split drops trailing empties
	}
	for _, p := range parts {
		p = strings.TrimFunc(p, isJavaRegexSpace)
		i := strings.LastIndexByte(p, ':')
		if i < 0 {
			return nil, invalid(key, "entry %q is not LISTENER_NAME:PROTOCOL", p)
		}
		name, proto := trimJava(p[:i]), strings.ToUpper(trimJava(p[i+1:]))
		if name == "" {
			return nil, invalid(key, "entry %q: the listener name is empty", p)
		}
		if !slices.Contains(securityProtocols, proto) {
			return nil, invalid(key, "invalid security protocol `%s` (valid: %s)", trimJava(p[i+1:]), strings.Join(securityProtocols, ", "))
		}
		out = append(out, ListenerProtocol{Listener: strings.ToUpper(name), Protocol: proto})
	}
	return out, nil
}

// ---- Kafka's value kinds.

// kafkaKind is a ConfigDef type.
type kafkaKind uint8

const (
	kBool kafkaKind = iota + 1
	kShort
	kInt
	kLong
	kDouble
	kString
	kList
	kClass
	kPassword
)

// check parses v as Kafka would and reports a value it would reject.
func (k kafkaKind) check(key, v string) error {
	var err error
	switch k {
	case kBool:
		_, err = parseBool(key, v)
	case kShort:
		_, err = parseKafkaShort(key, v)
	case kInt:
		_, err = parseInt(key, v)
	case kLong:
		_, err = parseLong(key, v)
	case kDouble:
		_, err = parseKafkaDouble(key, v)
	}
	return err
}

// render shows a supplied (valid) value as Kafka's logAll does.
func (k kafkaKind) render(v string) string {
	switch k {
	case kBool:
		return strings.ToLower(v)
	case kShort, kInt, kLong:
		n, _ := strconv.ParseInt(v, 10, 64)
		return strconv.FormatInt(n, 10)
	case kDouble:
		f, _ := parseKafkaDouble("", v)
		return javaDouble(f)
	case kList:
		return "[" + strings.Join(splitKafkaList(v), ", ") + "]"
	case kClass:
		return "class " + v
	case kPassword:
		return "[hidden]"
	}
	return v
}

// javaDouble formats f as Java's Double.toString does.
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1.7976931348623157E+308
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	exp = strings.TrimPrefix(exp, "+")
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}

// ---- Field descriptors: one per key a Broker field takes.

// brokerField parses, checks and shows the Broker field of one key.
type brokerField struct {
	key   string
	set   func(b *Broker, key, v string) error
	check func(b *Broker) error // nil: any value of the type
	show  func(b *Broker) string
}

func kafkaAtLeast(key string, v, min int64) error {
	if v < min {
		return invalid(key, "%d must be at least %d", v, min)
	}
	return nil
}

func intField(key string, p func(*Broker) *int, min ...int) brokerField {
	f := brokerField{
		key: key,
		set: func(b *Broker, key, v string) (err error) {
			*p(b), err = parseInt(key, v)
			return err
		},
		show: func(b *Broker) string { return strconv.Itoa(*p(b)) },
	}
	if len(min) > 0 {
		f.check = func(b *Broker) error { return kafkaAtLeast(key, int64(*p(b)), int64(min[0])) }
	}
	return f
}

// shortField is a 16-bit integer key, kept in an int.
func shortField(key string, p func(*Broker) *int, min ...int) brokerField {
	f := intField(key, p, min...)
	f.set = func(b *Broker, key, v string) (err error) {
		*p(b), err = parseKafkaShort(key, v)
		return err
	}
	check := f.check
	f.check = func(b *Broker) error {
		if v := *p(b); v < math.MinInt16 || v > math.MaxInt16 {
			return invalid(key, "%d is out of range for a 16-bit integer", v)
		}
		if check != nil {
			return check(b)
		}
		return nil
	}
	return f
}

func longField(key string, p func(*Broker) *int64, min ...int64) brokerField {
	f := brokerField{
		key: key,
		set: func(b *Broker, key, v string) (err error) {
			*p(b), err = parseLong(key, v)
			return err
		},
		show: func(b *Broker) string { return strconv.FormatInt(*p(b), 10) },
	}
	if len(min) > 0 {
		f.check = func(b *Broker) error { return kafkaAtLeast(key, *p(b), min[0]) }
	}
	return f
}

// optIntField is an int key whose default is null.
func optIntField(key string, p func(*Broker) **int) brokerField {
	return brokerField{
		key: key,
		set: func(b *Broker, key, v string) error {
			n, err := parseInt(key, v)
			*p(b) = &n
			return err
		},
		show: func(b *Broker) string {
			if v := *p(b); v != nil {
				return strconv.Itoa(*v)
			}
			return "null"
		},
	}
}

// optLongField is a long key whose default is null.
func optLongField(key string, p func(*Broker) **int64) brokerField {
	return brokerField{
		key: key,
		set: func(b *Broker, key, v string) error {
			n, err := parseLong(key, v)
			*p(b) = &n
			return err
		},
		show: func(b *Broker) string {
			if v := *p(b); v != nil {
				return strconv.FormatInt(*v, 10)
			}
			return "null"
		},
	}
}

func boolField(key string, p func(*Broker) *bool) brokerField {
	return brokerField{
		key: key,
		set: func(b *Broker, key, v string) (err error) {
			*p(b), err = parseBool(key, v)
			return err
		},
		show: func(b *Broker) string { return strconv.FormatBool(*p(b)) },
	}
}

// stringField is a string key; with valid values, one of them exactly
// (Kafka's ValidString is case-sensitive). An empty field shows as null
// when nullable.
func stringField(key string, p func(*Broker) *string, nullable bool, valid ...string) brokerField {
	f := brokerField{
		key: key,
		set: func(b *Broker, key, v string) error {
			*p(b) = v
			return nil
		},
		show: func(b *Broker) string {
			if v := *p(b); v != "" || !nullable {
				return v
			}
			return "null"
		},
	}
	if len(valid) > 0 {
		f.check = func(b *Broker) error {
			if v := *p(b); !slices.Contains(valid, v) {
				return invalid(key, "%q: string must be one of: %s", v, strings.Join(valid, ", "))
			}
			return nil
		}
	}
	return f
}

// brokerFields lists the keys Broker fields take.
var brokerFields = []brokerField{
	intField("broker.id", func(b *Broker) *int { return &b.BrokerID }),
	boolField("broker.id.generation.enable", func(b *Broker) *bool { return &b.BrokerIDGenerationEnable }),
	intField("reserved.broker.max.id", func(b *Broker) *int { return &b.ReservedBrokerMaxID }, 0),
	stringField("broker.rack", func(b *Broker) *string { return &b.BrokerRack }, true),
	{
		key: "listeners",
		set: func(b *Broker, key, v string) (err error) {
			b.Listeners, err = parseListeners(key, v)
			return err
		},
		show: func(b *Broker) string { return joinListeners(b.Listeners) },
	},
	{
		key: "advertised.listeners",
		set: func(b *Broker, key, v string) (err error) {
			b.AdvertisedListeners, err = parseListeners(key, v)
			return err
		},
		show: func(b *Broker) string {
			if b.AdvertisedListeners == nil {
				return "null"
			}
			return joinListeners(b.AdvertisedListeners)
		},
	},
	{
		key: "listener.security.protocol.map",
		set: func(b *Broker, key, v string) (err error) {
			b.ListenerSecurityProtocolMap, err = parseProtocolMap(key, v)
			return err
		},
		show: func(b *Broker) string {
			parts := make([]string, len(b.ListenerSecurityProtocolMap))
			for i, p := range b.ListenerSecurityProtocolMap {
				parts[i] = p.Listener + ":" + p.Protocol
			}
			return strings.Join(parts, ",")
		},
	},
	stringField("inter.broker.listener.name", func(b *Broker) *string { return &b.InterBrokerListenerName }, true),
	stringField("security.inter.broker.protocol", func(b *Broker) *string { return &b.SecurityInterBrokerProtocol }, false, securityProtocols...),
	stringField("control.plane.listener.name", func(b *Broker) *string { return &b.ControlPlaneListenerName }, true),

	{
		key: "zookeeper.connect",
		set: func(b *Broker, key, v string) error {
			if _, _, err := ParseZooKeeperConnect(v); err != nil {
				return invalid(key, "%s", invalidText(err))
			}
			b.ZooKeeperConnect = v
			return nil
		},
		show: func(b *Broker) string {
			if b.ZooKeeperConnect == "" {
				return "null"
			}
			return b.ZooKeeperConnect
		},
	},
	intField("zookeeper.session.timeout.ms", func(b *Broker) *int { return &b.ZooKeeperSessionTimeoutMs }),
	optIntField("zookeeper.connection.timeout.ms", func(b *Broker) **int { return &b.ZooKeeperConnectionTimeoutMs }),
	intField("zookeeper.max.in.flight.requests", func(b *Broker) *int { return &b.ZooKeeperMaxInFlightRequests }, 1),
	boolField("zookeeper.set.acl", func(b *Broker) *bool { return &b.ZooKeeperSetACL }),

	{
		key: "log.dirs",
		set: func(b *Broker, key, v string) error {
			b.LogDirs = splitKafkaCsv(v)
			return nil
		},
		show: func(b *Broker) string {
			if b.LogDirs == nil {
				return "null"
			}
			return strings.Join(b.LogDirs, ",")
		},
	},
	stringField("log.dir", func(b *Broker) *string { return &b.LogDir }, false),
	intField("num.partitions", func(b *Broker) *int { return &b.NumPartitions }, 1),
	intField("default.replication.factor", func(b *Broker) *int { return &b.DefaultReplicationFactor }),
	intField("min.insync.replicas", func(b *Broker) *int { return &b.MinInsyncReplicas }, 1),
	intField("message.max.bytes", func(b *Broker) *int { return &b.MessageMaxBytes }, 0),
	boolField("auto.create.topics.enable", func(b *Broker) *bool { return &b.AutoCreateTopicsEnable }),
	boolField("delete.topic.enable", func(b *Broker) *bool { return &b.DeleteTopicEnable }),
	stringField("compression.type", func(b *Broker) *string { return &b.CompressionType }, false,
		"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
	intField("num.recovery.threads.per.data.dir", func(b *Broker) *int { return &b.NumRecoveryThreadsPerDataDir }, 1),

	intField("log.segment.bytes", func(b *Broker) *int { return &b.LogSegmentBytes }, MinLogSegmentBytes),
	optLongField("log.roll.ms", func(b *Broker) **int64 { return &b.LogRollMs }),
	intField("log.roll.hours", func(b *Broker) *int { return &b.LogRollHours }, 1),
	optLongField("log.roll.jitter.ms", func(b *Broker) **int64 { return &b.LogRollJitterMs }),
	intField("log.roll.jitter.hours", func(b *Broker) *int { return &b.LogRollJitterHours }, 0),
	optLongField("log.retention.ms", func(b *Broker) **int64 { return &b.LogRetentionMs }),
	optIntField("log.retention.minutes", func(b *Broker) **int { return &b.LogRetentionMinutes }),
	intField("log.retention.hours", func(b *Broker) *int { return &b.LogRetentionHours }),
	longField("log.retention.bytes", func(b *Broker) *int64 { return &b.LogRetentionBytes }),
	longField("log.retention.check.interval.ms", func(b *Broker) *int64 { return &b.LogRetentionCheckIntervalMs }, 1),
	{
		key: "log.cleanup.policy",
		set: func(b *Broker, key, v string) error {
			b.LogCleanupPolicy = splitKafkaList(v)
			return nil
		},
		check: func(b *Broker) error {
			for _, p := range b.LogCleanupPolicy {
				if p != "compact" && p != "delete" {
					return invalid("log.cleanup.policy", "%q: string must be one of: compact, delete", p)
				}
			}
			return nil
		},
		show: func(b *Broker) string { return "[" + strings.Join(b.LogCleanupPolicy, ", ") + "]" },
	},
	boolField("log.cleaner.enable", func(b *Broker) *bool { return &b.LogCleanerEnable }),
	intField("log.index.interval.bytes", func(b *Broker) *int { return &b.LogIndexIntervalBytes }, 0),
	intField("log.index.size.max.bytes", func(b *Broker) *int { return &b.LogIndexSizeMaxBytes }, 4),
	stringField("log.message.timestamp.type", func(b *Broker) *string { return &b.LogMessageTimestampType }, false,
		"CreateTime", "LogAppendTime"),
	longField("log.flush.interval.messages", func(b *Broker) *int64 { return &b.LogFlushIntervalMessages }, 1),
	optLongField("log.flush.interval.ms", func(b *Broker) **int64 { return &b.LogFlushIntervalMs }),
	longField("log.flush.scheduler.interval.ms", func(b *Broker) *int64 { return &b.LogFlushSchedulerIntervalMs }),
	intField("log.flush.offset.checkpoint.interval.ms", func(b *Broker) *int { return &b.LogFlushOffsetCheckpointIntervalMs }, 0),
	longField("log.segment.delete.delay.ms", func(b *Broker) *int64 { return &b.LogSegmentDeleteDelayMs }, 0),

	intField("num.network.threads", func(b *Broker) *int { return &b.NumNetworkThreads }, 1),
	intField("num.io.threads", func(b *Broker) *int { return &b.NumIOThreads }, 1),
	intField("background.threads", func(b *Broker) *int { return &b.BackgroundThreads }, 1),
	intField("socket.send.buffer.bytes", func(b *Broker) *int { return &b.SocketSendBufferBytes }),
	intField("socket.receive.buffer.bytes", func(b *Broker) *int { return &b.SocketReceiveBufferBytes }),
	intField("socket.request.max.bytes", func(b *Broker) *int { return &b.SocketRequestMaxBytes }, 1),
	intField("socket.listen.backlog.size", func(b *Broker) *int { return &b.SocketListenBacklogSize }, 1),
	intField("queued.max.requests", func(b *Broker) *int { return &b.QueuedMaxRequests }, 1),
	longField("queued.max.request.bytes", func(b *Broker) *int64 { return &b.QueuedMaxRequestBytes }),
	longField("connections.max.idle.ms", func(b *Broker) *int64 { return &b.ConnectionsMaxIdleMs }),
	intField("request.timeout.ms", func(b *Broker) *int { return &b.RequestTimeoutMs }),
	intField("fetch.max.bytes", func(b *Broker) *int { return &b.FetchMaxBytes }, 1024),

	intField("replica.fetch.max.bytes", func(b *Broker) *int { return &b.ReplicaFetchMaxBytes }, 0),
	intField("replica.fetch.response.max.bytes", func(b *Broker) *int { return &b.ReplicaFetchResponseMaxBytes }, 0),
	intField("replica.fetch.wait.max.ms", func(b *Broker) *int { return &b.ReplicaFetchWaitMaxMs }),
	intField("replica.fetch.min.bytes", func(b *Broker) *int { return &b.ReplicaFetchMinBytes }),
	intField("replica.fetch.backoff.ms", func(b *Broker) *int { return &b.ReplicaFetchBackoffMs }, 0),
	intField("replica.socket.timeout.ms", func(b *Broker) *int { return &b.ReplicaSocketTimeoutMs }),
	longField("replica.lag.time.max.ms", func(b *Broker) *int64 { return &b.ReplicaLagTimeMaxMs }),
	longField("replica.high.watermark.checkpoint.interval.ms", func(b *Broker) *int64 { return &b.ReplicaHighWatermarkCheckpointIntervalMs }),
	intField("num.replica.fetchers", func(b *Broker) *int { return &b.NumReplicaFetchers }),
	boolField("unclean.leader.election.enable", func(b *Broker) *bool { return &b.UncleanLeaderElectionEnable }),
	boolField("auto.leader.rebalance.enable", func(b *Broker) *bool { return &b.AutoLeaderRebalanceEnable }),
	intField("leader.imbalance.per.broker.percentage", func(b *Broker) *int { return &b.LeaderImbalancePerBrokerPercentage }),
	longField("leader.imbalance.check.interval.seconds", func(b *Broker) *int64 { return &b.LeaderImbalanceCheckIntervalSeconds }, 1),
	boolField("controlled.shutdown.enable", func(b *Broker) *bool { return &b.ControlledShutdownEnable }),
	intField("controlled.shutdown.max.retries", func(b *Broker) *int { return &b.ControlledShutdownMaxRetries }),
	longField("controlled.shutdown.retry.backoff.ms", func(b *Broker) *int64 { return &b.ControlledShutdownRetryBackoffMs }),

	intField("group.initial.rebalance.delay.ms", func(b *Broker) *int { return &b.GroupInitialRebalanceDelayMs }),
	intField("group.min.session.timeout.ms", func(b *Broker) *int { return &b.GroupMinSessionTimeoutMs }),
	intField("group.max.session.timeout.ms", func(b *Broker) *int { return &b.GroupMaxSessionTimeoutMs }),
	intField("group.max.size", func(b *Broker) *int { return &b.GroupMaxSize }, 1),
	shortField("offsets.topic.replication.factor", func(b *Broker) *int { return &b.OffsetsTopicReplicationFactor }, 1),
	intField("offsets.topic.num.partitions", func(b *Broker) *int { return &b.OffsetsTopicNumPartitions }, 1),
	intField("offsets.topic.segment.bytes", func(b *Broker) *int { return &b.OffsetsTopicSegmentBytes }, 1),
	intField("offsets.retention.minutes", func(b *Broker) *int { return &b.OffsetsRetentionMinutes }, 1),
	longField("offsets.retention.check.interval.ms", func(b *Broker) *int64 { return &b.OffsetsRetentionCheckIntervalMs }, 1),
	intField("offsets.commit.timeout.ms", func(b *Broker) *int { return &b.OffsetsCommitTimeoutMs }, 1),
	intField("offset.metadata.max.bytes", func(b *Broker) *int { return &b.OffsetMetadataMaxBytes }),

	shortField("transaction.state.log.replication.factor", func(b *Broker) *int { return &b.TransactionStateLogReplicationFactor }, 1),
	intField("transaction.state.log.num.partitions", func(b *Broker) *int { return &b.TransactionStateLogNumPartitions }, 1),
	intField("transaction.state.log.min.isr", func(b *Broker) *int { return &b.TransactionStateLogMinISR }, 1),
	intField("transaction.state.log.segment.bytes", func(b *Broker) *int { return &b.TransactionStateLogSegmentBytes }, 1),
	intField("transaction.max.timeout.ms", func(b *Broker) *int { return &b.TransactionMaxTimeoutMs }, 1),
	intField("transactional.id.expiration.ms", func(b *Broker) *int { return &b.TransactionalIDExpirationMs }, 1),
	intField("producer.id.expiration.ms", func(b *Broker) *int { return &b.ProducerIDExpirationMs }, 1),
}

func joinListeners(ls []Listener) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.String()
	}
	return strings.Join(parts, ",")
}

// brokerFieldByKey and kafkaKeyByName index the tables; built once, never
// changed.
var (
	brokerFieldByKey = func() map[string]*brokerField {
		m := make(map[string]*brokerField, len(brokerFields))
		for i := range brokerFields {
			m[brokerFields[i].key] = &brokerFields[i]
		}
		return m
	}()
	kafkaKeyByName = func() map[string]kafkaKey {
		m := make(map[string]kafkaKey, len(kafkaKeys))
		for _, k := range kafkaKeys {
			m[k.name] = k
		}
		return m
	}()
)

// kafkaKey is one key of Kafka 3.9's broker ConfigDef: its type and its
// default as logAll shows it.
type kafkaKey struct {
	name string
	kind kafkaKind
	def  string
}

// kafkaKeys lists every Kafka 3.9 broker key in sorted order, as the
// "KafkaConfig values:" block of a ZooKeeper-mode broker shows them.
var kafkaKeys = []kafkaKey{
	{"advertised.listeners", kString, "null"},
	{"alter.config.policy.class.name", kClass, "null"},
	{"alter.log.dirs.replication.quota.window.num", kInt, "11"},
	{"alter.log.dirs.replication.quota.window.size.seconds", kInt, "1"},
	{"authorizer.class.name", kString, ""},
	{"auto.create.topics.enable", kBool, "true"},
	{"auto.include.jmx.reporter", kBool, "true"},
	{"auto.leader.rebalance.enable", kBool, "true"},
	{"background.threads", kInt, "10"},
	{"broker.heartbeat.interval.ms", kInt, "2000"},
	{"broker.id", kInt, "-1"},
	{"broker.id.generation.enable", kBool, "true"},
	{"broker.rack", kString, "null"},
	{"broker.session.timeout.ms", kInt, "9000"},
	{"client.quota.callback.class", kClass, "null"},
	{"compression.gzip.level", kInt, "-1"},
	{"compression.lz4.level", kInt, "9"},
	{"compression.type", kString, "producer"},
	{"compression.zstd.level", kInt, "3"},
	{"connection.failed.authentication.delay.ms", kInt, "100"},
	{"connections.max.idle.ms", kLong, "600000"},
	{"connections.max.reauth.ms", kLong, "0"},
	{"control.plane.listener.name", kString, "null"},
	{"controlled.shutdown.enable", kBool, "true"},
	{"controlled.shutdown.max.retries", kInt, "3"},
	{"controlled.shutdown.retry.backoff.ms", kLong, "5000"},
	{"controller.listener.names", kString, "null"},
	{"controller.quorum.append.linger.ms", kInt, "25"},
	{"controller.quorum.bootstrap.servers", kList, "[]"},
	{"controller.quorum.election.backoff.max.ms", kInt, "1000"},
	{"controller.quorum.election.timeout.ms", kInt, "1000"},
	{"controller.quorum.fetch.timeout.ms", kInt, "2000"},
	{"controller.quorum.request.timeout.ms", kInt, "2000"},
	{"controller.quorum.retry.backoff.ms", kInt, "20"},
	{"controller.quorum.voters", kList, "[]"},
	{"controller.quota.window.num", kInt, "11"},
	{"controller.quota.window.size.seconds", kInt, "1"},
	{"controller.socket.timeout.ms", kInt, "30000"},
	{"create.topic.policy.class.name", kClass, "null"},
	{"default.replication.factor", kInt, "1"},
	{"delegation.token.expiry.check.interval.ms", kLong, "3600000"},
	{"delegation.token.expiry.time.ms", kLong, "86400000"},
	{"delegation.token.master.key", kPassword, "null"},
	{"delegation.token.max.lifetime.ms", kLong, "604800000"},
	{"delegation.token.secret.key", kPassword, "null"},
	{"delete.records.purgatory.purge.interval.requests", kInt, "1"},
	{"delete.topic.enable", kBool, "true"},
	{"early.start.listeners", kString, "null"},
	{"eligible.leader.replicas.enable", kBool, "false"},
	{"fetch.max.bytes", kInt, "57671680"},
	{"fetch.purgatory.purge.interval.requests", kInt, "1000"},
	{"group.consumer.assignors", kList, "[org.apache.kafka.coordinator.group.assignor.UniformAssignor, org.apache.kafka.coordinator.group.assignor.RangeAssignor]"},
	{"group.consumer.heartbeat.interval.ms", kInt, "5000"},
	{"group.consumer.max.heartbeat.interval.ms", kInt, "15000"},
	{"group.consumer.max.session.timeout.ms", kInt, "60000"},
	{"group.consumer.max.size", kInt, "2147483647"},
	{"group.consumer.migration.policy", kString, "disabled"},
	{"group.consumer.min.heartbeat.interval.ms", kInt, "5000"},
	{"group.consumer.min.session.timeout.ms", kInt, "45000"},
	{"group.consumer.session.timeout.ms", kInt, "45000"},
	{"group.coordinator.append.linger.ms", kInt, "10"},
	{"group.coordinator.new.enable", kBool, "false"},
	{"group.coordinator.rebalance.protocols", kList, "[classic]"},
	{"group.coordinator.threads", kInt, "1"},
	{"group.initial.rebalance.delay.ms", kInt, "3000"},
	{"group.max.session.timeout.ms", kInt, "1800000"},
	{"group.max.size", kInt, "2147483647"},
	{"group.min.session.timeout.ms", kInt, "6000"},
	{"group.share.delivery.count.limit", kInt, "5"},
	{"group.share.enable", kBool, "false"},
	{"group.share.heartbeat.interval.ms", kInt, "5000"},
	{"group.share.max.groups", kShort, "10"},
	{"group.share.max.heartbeat.interval.ms", kInt, "15000"},
	{"group.share.max.record.lock.duration.ms", kInt, "60000"},
	{"group.share.max.session.timeout.ms", kInt, "60000"},
	{"group.share.max.size", kShort, "200"},
	{"group.share.min.heartbeat.interval.ms", kInt, "5000"},
	{"group.share.min.record.lock.duration.ms", kInt, "15000"},
	{"group.share.min.session.timeout.ms", kInt, "45000"},
	{"group.share.partition.max.record.locks", kInt, "200"},
	{"group.share.record.lock.duration.ms", kInt, "30000"},
	{"group.share.session.timeout.ms", kInt, "45000"},
	{"initial.broker.registration.timeout.ms", kInt, "60000"},
	{"inter.broker.listener.name", kString, "null"},
	{"inter.broker.protocol.version", kString, "3.9-IV0"},
	{"kafka.metrics.polling.interval.secs", kInt, "10"},
	{"kafka.metrics.reporters", kList, "[]"},
	{"leader.imbalance.check.interval.seconds", kLong, "300"},
	{"leader.imbalance.per.broker.percentage", kInt, "10"},
	{"listener.security.protocol.map", kString, "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT"},
	{"listeners", kString, "PLAINTEXT://:9092"},
	{"log.cleaner.backoff.ms", kLong, "15000"},
	{"log.cleaner.dedupe.buffer.size", kLong, "134217728"},
	{"log.cleaner.delete.retention.ms", kLong, "86400000"},
	{"log.cleaner.enable", kBool, "true"},
	{"log.cleaner.io.buffer.load.factor", kDouble, "0.9"},
	{"log.cleaner.io.buffer.size", kInt, "524288"},
	{"log.cleaner.io.max.bytes.per.second", kDouble, "1.7976931348623157E308"},
	{"log.cleaner.max.compaction.lag.ms", kLong, "9223372036854775807"},
	{"log.cleaner.min.cleanable.ratio", kDouble, "0.5"},
	{"log.cleaner.min.compaction.lag.ms", kLong, "0"},
	{"log.cleaner.threads", kInt, "1"},
	{"log.cleanup.policy", kList, "[delete]"},
	{"log.dir", kString, "/tmp/kafka-logs"},
	{"log.dir.failure.timeout.ms", kLong, "30000"},
	{"log.dirs", kString, "null"},
	{"log.flush.interval.messages", kLong, "9223372036854775807"},
	{"log.flush.interval.ms", kLong, "null"},
	{"log.flush.offset.checkpoint.interval.ms", kInt, "60000"},
	{"log.flush.scheduler.interval.ms", kLong, "9223372036854775807"},
	{"log.flush.start.offset.checkpoint.interval.ms", kInt, "60000"},
	{"log.index.interval.bytes", kInt, "4096"},
	{"log.index.size.max.bytes", kInt, "10485760"},
	{"log.initial.task.delay.ms", kLong, "30000"},
	{"log.local.retention.bytes", kLong, "-2"},
	{"log.local.retention.ms", kLong, "-2"},
	{"log.message.downconversion.enable", kBool, "true"},
	{"log.message.format.version", kString, "3.0-IV1"},
	{"log.message.timestamp.after.max.ms", kLong, "9223372036854775807"},
	{"log.message.timestamp.before.max.ms", kLong, "9223372036854775807"},
	{"log.message.timestamp.difference.max.ms", kLong, "9223372036854775807"},
	{"log.message.timestamp.type", kString, "CreateTime"},
	{"log.preallocate", kBool, "false"},
	{"log.retention.bytes", kLong, "-1"},
	{"log.retention.check.interval.ms", kLong, "300000"},
	{"log.retention.hours", kInt, "168"},
	{"log.retention.minutes", kInt, "null"},
	{"log.retention.ms", kLong, "null"},
	{"log.roll.hours", kInt, "168"},
	{"log.roll.jitter.hours", kInt, "0"},
	{"log.roll.jitter.ms", kLong, "null"},
	{"log.roll.ms", kLong, "null"},
	{"log.segment.bytes", kInt, "1073741824"},
	{"log.segment.delete.delay.ms", kLong, "60000"},
	{"max.connection.creation.rate", kInt, "2147483647"},
	{"max.connections", kInt, "2147483647"},
	{"max.connections.per.ip", kInt, "2147483647"},
	{"max.connections.per.ip.overrides", kString, ""},
	{"max.incremental.fetch.session.cache.slots", kInt, "1000"},
	{"max.request.partition.size.limit", kInt, "2000"},
	{"message.max.bytes", kInt, "1048588"},
	{"metadata.log.dir", kString, "null"},
	{"metadata.log.max.record.bytes.between.snapshots", kLong, "20971520"},
	{"metadata.log.max.snapshot.interval.ms", kLong, "3600000"},
	{"metadata.log.segment.bytes", kInt, "1073741824"},
	{"metadata.log.segment.min.bytes", kInt, "8388608"},
	{"metadata.log.segment.ms", kLong, "604800000"},
	{"metadata.max.idle.interval.ms", kInt, "500"},
	{"metadata.max.retention.bytes", kLong, "104857600"},
	{"metadata.max.retention.ms", kLong, "604800000"},
	{"metric.reporters", kList, "[]"},
	{"metrics.num.samples", kInt, "2"},
	{"metrics.recording.level", kString, "INFO"},
	{"metrics.sample.window.ms", kLong, "30000"},
	{"min.insync.replicas", kInt, "1"},
	{"node.id", kInt, "-1"},
	{"num.io.threads", kInt, "8"},
	{"num.network.threads", kInt, "3"},
	{"num.partitions", kInt, "1"},
	{"num.recovery.threads.per.data.dir", kInt, "1"},
	{"num.replica.alter.log.dirs.threads", kInt, "null"},
	{"num.replica.fetchers", kInt, "1"},
	{"offset.metadata.max.bytes", kInt, "4096"},
	{"offsets.commit.required.acks", kShort, "-1"},
	{"offsets.commit.timeout.ms", kInt, "5000"},
	{"offsets.load.buffer.size", kInt, "5242880"},
	{"offsets.retention.check.interval.ms", kLong, "600000"},
	{"offsets.retention.minutes", kInt, "10080"},
	{"offsets.topic.compression.codec", kInt, "0"},
	{"offsets.topic.num.partitions", kInt, "50"},
	{"offsets.topic.replication.factor", kShort, "3"},
	{"offsets.topic.segment.bytes", kInt, "104857600"},
	{"password.encoder.cipher.algorithm", kString, "AES/CBC/PKCS5Padding"},
	{"password.encoder.iterations", kInt, "4096"},
	{"password.encoder.key.length", kInt, "128"},
	{"password.encoder.keyfactory.algorithm", kString, "null"},
	{"password.encoder.old.secret", kPassword, "null"},
	{"password.encoder.secret", kPassword, "null"},
	{"principal.builder.class", kClass, "class org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder"},
	{"process.roles", kList, "[]"},
	{"producer.id.expiration.check.interval.ms", kInt, "600000"},
	{"producer.id.expiration.ms", kInt, "86400000"},
	{"producer.purgatory.purge.interval.requests", kInt, "1000"},
	{"queued.max.request.bytes", kLong, "-1"},
	{"queued.max.requests", kInt, "500"},
	{"quota.window.num", kInt, "11"},
	{"quota.window.size.seconds", kInt, "1"},
	{"remote.fetch.max.wait.ms", kInt, "500"},
	{"remote.log.index.file.cache.total.size.bytes", kLong, "1073741824"},
	{"remote.log.manager.copier.thread.pool.size", kInt, "-1"},
	{"remote.log.manager.copy.max.bytes.per.second", kLong, "9223372036854775807"},
	{"remote.log.manager.copy.quota.window.num", kInt, "11"},
	{"remote.log.manager.copy.quota.window.size.seconds", kInt, "1"},
	{"remote.log.manager.expiration.thread.pool.size", kInt, "-1"},
	{"remote.log.manager.fetch.max.bytes.per.second", kLong, "9223372036854775807"},
	{"remote.log.manager.fetch.quota.window.num", kInt, "11"},
	{"remote.log.manager.fetch.quota.window.size.seconds", kInt, "1"},
	{"remote.log.manager.task.interval.ms", kLong, "30000"},
	{"remote.log.manager.task.retry.backoff.max.ms", kLong, "30000"},
	{"remote.log.manager.task.retry.backoff.ms", kLong, "500"},
	{"remote.log.manager.task.retry.jitter", kDouble, "0.2"},
	{"remote.log.manager.thread.pool.size", kInt, "10"},
	{"remote.log.metadata.custom.metadata.max.bytes", kInt, "128"},
	{"remote.log.metadata.manager.class.name", kString, "org.apache.kafka.server.log.remote.metadata.storage.TopicBasedRemoteLogMetadataManager"},
	{"remote.log.metadata.manager.class.path", kString, "null"},
	{"remote.log.metadata.manager.impl.prefix", kString, "rlmm.config."},
	{"remote.log.metadata.manager.listener.name", kString, "null"},
	{"remote.log.reader.max.pending.tasks", kInt, "100"},
	{"remote.log.reader.threads", kInt, "10"},
	{"remote.log.storage.manager.class.name", kString, "null"},
	{"remote.log.storage.manager.class.path", kString, "null"},
	{"remote.log.storage.manager.impl.prefix", kString, "rsm.config."},
	{"remote.log.storage.system.enable", kBool, "false"},
	{"replica.fetch.backoff.ms", kInt, "1000"},
	{"replica.fetch.max.bytes", kInt, "1048576"},
	{"replica.fetch.min.bytes", kInt, "1"},
	{"replica.fetch.response.max.bytes", kInt, "10485760"},
	{"replica.fetch.wait.max.ms", kInt, "500"},
	{"replica.high.watermark.checkpoint.interval.ms", kLong, "5000"},
	{"replica.lag.time.max.ms", kLong, "30000"},
	{"replica.selector.class", kString, "null"},
	{"replica.socket.receive.buffer.bytes", kInt, "65536"},
	{"replica.socket.timeout.ms", kInt, "30000"},
	{"replication.quota.window.num", kInt, "11"},
	{"replication.quota.window.size.seconds", kInt, "1"},
	{"request.timeout.ms", kInt, "30000"},
	{"reserved.broker.max.id", kInt, "1000"},
	{"sasl.client.callback.handler.class", kClass, "null"},
	{"sasl.enabled.mechanisms", kList, "[GSSAPI]"},
	{"sasl.jaas.config", kPassword, "null"},
	{"sasl.kerberos.kinit.cmd", kString, "/usr/bin/kinit"},
	{"sasl.kerberos.min.time.before.relogin", kLong, "60000"},
	{"sasl.kerberos.principal.to.local.rules", kList, "[DEFAULT]"},
	{"sasl.kerberos.service.name", kString, "null"},
	{"sasl.kerberos.ticket.renew.jitter", kDouble, "0.05"},
	{"sasl.kerberos.ticket.renew.window.factor", kDouble, "0.8"},
	{"sasl.login.callback.handler.class", kClass, "null"},
	{"sasl.login.class", kClass, "null"},
	{"sasl.login.connect.timeout.ms", kInt, "null"},
	{"sasl.login.read.timeout.ms", kInt, "null"},
	{"sasl.login.refresh.buffer.seconds", kShort, "300"},
	{"sasl.login.refresh.min.period.seconds", kShort, "60"},
	{"sasl.login.refresh.window.factor", kDouble, "0.8"},
	{"sasl.login.refresh.window.jitter", kDouble, "0.05"},
	{"sasl.login.retry.backoff.max.ms", kLong, "10000"},
	{"sasl.login.retry.backoff.ms", kLong, "100"},
	{"sasl.mechanism.controller.protocol", kString, "GSSAPI"},
	{"sasl.mechanism.inter.broker.protocol", kString, "GSSAPI"},
	{"sasl.oauthbearer.clock.skew.seconds", kInt, "30"},
	{"sasl.oauthbearer.expected.audience", kList, "null"},
	{"sasl.oauthbearer.expected.issuer", kString, "null"},
	{"sasl.oauthbearer.jwks.endpoint.refresh.ms", kLong, "3600000"},
	{"sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms", kLong, "10000"},
	{"sasl.oauthbearer.jwks.endpoint.retry.backoff.ms", kLong, "100"},
	{"sasl.oauthbearer.jwks.endpoint.url", kString, "null"},
	{"sasl.oauthbearer.scope.claim.name", kString, "scope"},
	{"sasl.oauthbearer.sub.claim.name", kString, "sub"},
	{"sasl.oauthbearer.token.endpoint.url", kString, "null"},
	{"sasl.server.callback.handler.class", kClass, "null"},
	{"sasl.server.max.receive.size", kInt, "524288"},
	{"security.inter.broker.protocol", kString, "PLAINTEXT"},
	{"security.providers", kString, "null"},
	{"server.max.startup.time.ms", kLong, "9223372036854775807"},
	{"socket.connection.setup.timeout.max.ms", kLong, "30000"},
	{"socket.connection.setup.timeout.ms", kLong, "10000"},
	{"socket.listen.backlog.size", kInt, "50"},
	{"socket.receive.buffer.bytes", kInt, "102400"},
	{"socket.request.max.bytes", kInt, "104857600"},
	{"socket.send.buffer.bytes", kInt, "102400"},
	{"ssl.allow.dn.changes", kBool, "false"},
	{"ssl.allow.san.changes", kBool, "false"},
	{"ssl.cipher.suites", kList, "[]"},
	{"ssl.client.auth", kString, "none"},
	{"ssl.enabled.protocols", kList, "[TLSv1.2, TLSv1.3]"},
	{"ssl.endpoint.identification.algorithm", kString, "https"},
	{"ssl.engine.factory.class", kClass, "null"},
	{"ssl.key.password", kPassword, "null"},
	{"ssl.keymanager.algorithm", kString, "SunX509"},
	{"ssl.keystore.certificate.chain", kPassword, "null"},
	{"ssl.keystore.key", kPassword, "null"},
	{"ssl.keystore.location", kString, "null"},
	{"ssl.keystore.password", kPassword, "null"},
	{"ssl.keystore.type", kString, "JKS"},
	{"ssl.principal.mapping.rules", kString, "DEFAULT"},
	{"ssl.protocol", kString, "TLSv1.3"},
	{"ssl.provider", kString, "null"},
	{"ssl.secure.random.implementation", kString, "null"},
	{"ssl.trustmanager.algorithm", kString, "PKIX"},
	{"ssl.truststore.certificates", kPassword, "null"},
	{"ssl.truststore.location", kString, "null"},
	{"ssl.truststore.password", kPassword, "null"},
	{"ssl.truststore.type", kString, "JKS"},
	{"telemetry.max.bytes", kInt, "1048576"},
	{"transaction.abort.timed.out.transaction.cleanup.interval.ms", kInt, "10000"},
	{"transaction.max.timeout.ms", kInt, "900000"},
	{"transaction.partition.verification.enable", kBool, "true"},
	{"transaction.remove.expired.transaction.cleanup.interval.ms", kInt, "3600000"},
	{"transaction.state.log.load.buffer.size", kInt, "5242880"},
	{"transaction.state.log.min.isr", kInt, "2"},
	{"transaction.state.log.num.partitions", kInt, "50"},
	{"transaction.state.log.replication.factor", kShort, "3"},
	{"transaction.state.log.segment.bytes", kInt, "104857600"},
	{"transactional.id.expiration.ms", kInt, "604800000"},
	{"unclean.leader.election.enable", kBool, "false"},
	{"unclean.leader.election.interval.ms", kLong, "300000"},
	{"unstable.api.versions.enable", kBool, "false"},
	{"unstable.feature.versions.enable", kBool, "false"},
	{"zookeeper.clientCnxnSocket", kString, "null"},
	{"zookeeper.connect", kString, "null"},
	{"zookeeper.connection.timeout.ms", kInt, "null"},
	{"zookeeper.max.in.flight.requests", kInt, "10"},
	{"zookeeper.metadata.migration.enable", kBool, "false"},
	{"zookeeper.metadata.migration.min.batch.size", kInt, "200"},
	{"zookeeper.session.timeout.ms", kInt, "18000"},
	{"zookeeper.set.acl", kBool, "false"},
	{"zookeeper.ssl.cipher.suites", kList, "null"},
	{"zookeeper.ssl.client.enable", kBool, "false"},
	{"zookeeper.ssl.crl.enable", kBool, "false"},
	{"zookeeper.ssl.enabled.protocols", kList, "null"},
	{"zookeeper.ssl.endpoint.identification.algorithm", kString, "HTTPS"},
	{"zookeeper.ssl.keystore.location", kString, "null"},
	{"zookeeper.ssl.keystore.password", kPassword, "null"},
	{"zookeeper.ssl.keystore.type", kString, "null"},
	{"zookeeper.ssl.ocsp.enable", kBool, "false"},
	{"zookeeper.ssl.protocol", kString, "TLSv1.2"},
	{"zookeeper.ssl.truststore.location", kString, "null"},
	{"zookeeper.ssl.truststore.password", kPassword, "null"},
	{"zookeeper.ssl.truststore.type", kString, "null"},
}
