package config

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const brokerMinimal = "zookeeper.connect=localhost:2181\n"

func parseBrokerText(t *testing.T, text string) (*Broker, []string) {
	t.Helper()
	b, w, err := ParseBroker(strings.NewReader(text), "server.properties")
	if err != nil {
		t.Fatalf("ParseBroker(%q): %v", text, err)
	}
	return b, w
}

func parseBrokerErr(t *testing.T, text string) *KeyError {
	t.Helper()
	_, _, err := ParseBroker(strings.NewReader(text), "server.properties")
	if err == nil {
		t.Fatalf("ParseBroker(%q): no error", text)
	}
	var ke *KeyError
	if !errors.As(err, &ke) {
		t.Fatalf("ParseBroker(%q): %v is not a *KeyError", text, err)
	}
	if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMissing) {
		t.Fatalf("ParseBroker(%q): %v wraps no sentinel", text, err)
	}
	return ke
}

func TestBrokerDefaults(t *testing.T) {
	b, warnings := parseBrokerText(t, brokerMinimal)
	if len(warnings) != 0 {
		t.Errorf("warnings = %q", warnings)
	}
	want := NewBroker()
	want.ZooKeeperConnect = "localhost:2181"
	want.ZooKeeperHosts = []string{"localhost:2181"}
	want.Listeners[0].SecurityProtocol = "PLAINTEXT"
	if !reflect.DeepEqual(b, want) {
		t.Errorf("defaults\n got %+v\nwant %+v", b, want)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"BrokerID", b.BrokerID, -1},
		{"ReservedBrokerMaxID", b.ReservedBrokerMaxID, 1000},
		{"Listeners", joinListeners(b.Listeners), "PLAINTEXT://:9092"},
		{"Listener addr", b.Listeners[0].Addr(), ":9092"},
		{"EffectiveAdvertisedListeners", joinListeners(b.EffectiveAdvertisedListeners()), "PLAINTEXT://:9092"},
		{"Dirs", b.Dirs(), []string{"/tmp/kafka-logs"}},
		{"NumPartitions", b.NumPartitions, 1},
		{"DefaultReplicationFactor", b.DefaultReplicationFactor, 1},
		{"MinInsyncReplicas", b.MinInsyncReplicas, 1},
		{"MessageMaxBytes", b.MessageMaxBytes, 1048588},
		{"ReplicaFetchMaxBytes", b.ReplicaFetchMaxBytes, 1048576},
		{"AutoCreateTopicsEnable", b.AutoCreateTopicsEnable, true},
		{"DeleteTopicEnable", b.DeleteTopicEnable, true},
		{"ZooKeeperSessionTimeout", b.ZooKeeperSessionTimeout(), 18 * time.Second},
		{"ZooKeeperConnectionTimeout", b.ZooKeeperConnectionTimeout(), 18 * time.Second},
		{"ZooKeeperChroot", b.ZooKeeperChroot, ""},
		{"LogFlushIntervalMessages", b.LogFlushIntervalMessages, int64(math.MaxInt64)},
		{"FlushIntervalMillis", b.FlushIntervalMillis(), int64(math.MaxInt64)},
		{"FlushInterval", b.FlushInterval(), time.Duration(math.MaxInt64)},
		{"LogSegmentBytes", b.LogSegmentBytes, 1 << 30},
		{"RollMillis", b.RollMillis(), int64(168 * 3600000)},
		{"Roll", b.Roll(), 168 * time.Hour},
		{"RollJitter", b.RollJitter(), time.Duration(0)},
		{"RetentionMillis", b.RetentionMillis(), int64(168 * 3600000)},
		{"LogRetentionBytes", b.LogRetentionBytes, int64(-1)},
		{"RetentionCheckInterval", b.RetentionCheckInterval(), 5 * time.Minute},
		{"LogCleanupPolicy", b.LogCleanupPolicy, []string{"delete"}},
		{"LogIndexIntervalBytes", b.LogIndexIntervalBytes, 4096},
		{"LogIndexSizeMaxBytes", b.LogIndexSizeMaxBytes, 10 << 20},
		{"LogMessageTimestampType", b.LogMessageTimestampType, "CreateTime"},
		{"NumNetworkThreads", b.NumNetworkThreads, 3},
		{"NumIOThreads", b.NumIOThreads, 8},
		{"SocketRequestMaxBytes", b.SocketRequestMaxBytes, 104857600},
		{"SocketSendBufferBytes", b.SocketSendBufferBytes, 102400},
		{"SocketReceiveBufferBytes", b.SocketReceiveBufferBytes, 102400},
		{"QueuedMaxRequests", b.QueuedMaxRequests, 500},
		{"GroupInitialRebalanceDelay", b.GroupInitialRebalanceDelay(), 3 * time.Second},
		{"OffsetsTopicReplicationFactor", b.OffsetsTopicReplicationFactor, 3},
		{"OffsetsTopicNumPartitions", b.OffsetsTopicNumPartitions, 50},
		{"OffsetsRetention", b.OffsetsRetention(), 7 * 24 * time.Hour},
		{"OffsetsRetentionCheckInterval", b.OffsetsRetentionCheckInterval(), 10 * time.Minute},
		{"TransactionStateLogReplicationFactor", b.TransactionStateLogReplicationFactor, 3},
		{"TransactionStateLogNumPartitions", b.TransactionStateLogNumPartitions, 50},
		{"TransactionStateLogMinISR", b.TransactionStateLogMinISR, 2},
		{"ControlledShutdownEnable", b.ControlledShutdownEnable, true},
		{"UncleanLeaderElectionEnable", b.UncleanLeaderElectionEnable, false},
		{"ReplicaLagTimeMax", b.ReplicaLagTimeMax(), 30 * time.Second},
		{"ReplicaFetchWaitMax", b.ReplicaFetchWaitMax(), 500 * time.Millisecond},
		{"ReplicaFetchBackoff", b.ReplicaFetchBackoff(), time.Second},
		{"NumReplicaFetchers", b.NumReplicaFetchers, 1},
		{"AutoLeaderRebalanceEnable", b.AutoLeaderRebalanceEnable, true},
		{"LeaderImbalanceCheckInterval", b.LeaderImbalanceCheckInterval(), 5 * time.Minute},
		{"ConnectionsMaxIdle", b.ConnectionsMaxIdle(), 10 * time.Minute},
		{"SegmentDeleteDelay", b.SegmentDeleteDelay(), time.Minute},
		{"FlushSchedulerInterval", b.FlushSchedulerInterval(), time.Duration(math.MaxInt64)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if d, limited := b.Retention(); !limited || d != 168*time.Hour {
		t.Errorf("Retention = %v, %v", d, limited)
	}
	if l, ok := b.InterBrokerListener(); !ok || l.String() != "PLAINTEXT://:9092" {
		t.Errorf("InterBrokerListener = %v, %v", l, ok)
	}
}

// TestBrokerDefaultsMatchKafka checks NewBroker's defaults against the
// values a Kafka 3.9 broker logs for an unset key.
func TestBrokerDefaultsMatchKafka(t *testing.T) {
	b := NewBroker()
	for _, k := range kafkaKeys {
		if got := b.show(k); got != k.def {
			t.Errorf("%s: default shown as %q, Kafka shows %q", k.name, got, k.def)
		}
	}
}

func TestBrokerKeyTables(t *testing.T) {
	if !slices.IsSortedFunc(kafkaKeys, func(a, b kafkaKey) int { return strings.Compare(a.name, b.name) }) {
		t.Error("kafkaKeys is not sorted")
	}
	if len(kafkaKeyByName) != len(kafkaKeys) {
		t.Error("kafkaKeys has duplicates")
	}
	if len(brokerFieldByKey) != len(brokerFields) {
		t.Error("brokerFields has duplicates")
	}
	for _, f := range brokerFields {
		if _, ok := kafkaKeyByName[f.key]; !ok {
			t.Errorf("field key %s is not a Kafka key", f.key)
		}
	}
}

func TestBrokerPrecedence(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	tests := []struct {
		name                 string
		text                 string
		retention            int64
		roll, jitter, flush  int64
		dirs                 []string
		connTimeout          time.Duration
		retentionMs, rollMs  *int64
		retentionMinutesNull bool
	}{
		{name: "defaults", retention: 168 * 3600000, roll: 168 * 3600000, flush: math.MaxInt64,
			dirs: []string{"/tmp/kafka-logs"}, connTimeout: 18 * time.Second, retentionMinutesNull: true},
		{name: "hours", text: "log.retention.hours=24\nlog.roll.hours=1\n", retention: 24 * 3600000, roll: 3600000,
			flush: math.MaxInt64, dirs: []string{"/tmp/kafka-logs"}, connTimeout: 18 * time.Second, retentionMinutesNull: true},
		{name: "minutes beat hours", text: "log.retention.hours=24\nlog.retention.minutes=30\n", retention: 30 * 60000,
			roll: 168 * 3600000, flush: math.MaxInt64, dirs: []string{"/tmp/kafka-logs"}, connTimeout: 18 * time.Second},
		{name: "ms beats minutes and hours", text: "log.retention.ms=1234\nlog.retention.hours=24\nlog.retention.minutes=30\n",
			retention: 1234, roll: 168 * 3600000, flush: math.MaxInt64, dirs: []string{"/tmp/kafka-logs"},
			connTimeout: 18 * time.Second, retentionMs: i64(1234)},
		{name: "ms -1 unlimited", text: "log.retention.ms=-1\n", retention: -1, roll: 168 * 3600000, flush: math.MaxInt64,
			dirs: []string{"/tmp/kafka-logs"}, connTimeout: 18 * time.Second, retentionMs: i64(-1), retentionMinutesNull: true},
		{name: "any negative is unlimited", text: "log.retention.hours=-1\n", retention: -1, roll: 168 * 3600000,
			flush: math.MaxInt64, dirs: []string{"/tmp/kafka-logs"}, connTimeout: 18 * time.Second, retentionMinutesNull: true},
		{name: "roll ms beats hours", text: "log.roll.ms=5000\nlog.roll.hours=2\nlog.roll.jitter.hours=1\n",
			retention: 168 * 3600000, roll: 5000, jitter: 3600000, flush: math.MaxInt64, dirs: []string{"/tmp/kafka-logs"},
			connTimeout: 18 * time.Second, rollMs: i64(5000), retentionMinutesNull: true},
		{name: "jitter ms beats hours", text: "log.roll.jitter.ms=7\nlog.roll.jitter.hours=1\n",
			retention: 168 * 3600000, roll: 168 * 3600000, jitter: 7, flush: math.MaxInt64, dirs: []string{"/tmp/kafka-logs"},
			connTimeout: 18 * time.Second, retentionMinutesNull: true},
		{name: "log.dirs beats log.dir", text: "log.dir=/a\nlog.dirs=/b, /c\n", retention: 168 * 3600000,
			roll: 168 * 3600000, flush: math.MaxInt64, dirs: []string{"/b", "/c"}, connTimeout: 18 * time.Second, retentionMinutesNull: true},
		{name: "log.dir is a list too", text: "log.dir=/a,/b,\n", retention: 168 * 3600000,
			roll: 168 * 3600000, flush: math.MaxInt64, dirs: []string{"/a", "/b"}, connTimeout: 18 * time.Second, retentionMinutesNull: true},
		{name: "flush ms set", text: "log.flush.interval.ms=1000\nlog.flush.scheduler.interval.ms=200\n",
			retention: 168 * 3600000, roll: 168 * 3600000, flush: 1000, dirs: []string{"/tmp/kafka-logs"},
			connTimeout: 18 * time.Second, retentionMinutesNull: true},
		{name: "flush falls back to scheduler", text: "log.flush.scheduler.interval.ms=200\n",
			retention: 168 * 3600000, roll: 168 * 3600000, flush: 200, dirs: []string{"/tmp/kafka-logs"},
			connTimeout: 18 * time.Second, retentionMinutesNull: true},
		{name: "connection timeout follows session", text: "zookeeper.session.timeout.ms=6000\n",
			retention: 168 * 3600000, roll: 168 * 3600000, flush: math.MaxInt64, dirs: []string{"/tmp/kafka-logs"},
			connTimeout: 6 * time.Second, retentionMinutesNull: true},
		{name: "connection timeout set", text: "zookeeper.session.timeout.ms=6000\nzookeeper.connection.timeout.ms=900\n",
			retention: 168 * 3600000, roll: 168 * 3600000, flush: math.MaxInt64, dirs: []string{"/tmp/kafka-logs"},
			connTimeout: 900 * time.Millisecond, retentionMinutesNull: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := parseBrokerText(t, brokerMinimal+tt.text)
			if got := b.RetentionMillis(); got != tt.retention {
				t.Errorf("RetentionMillis = %d, want %d", got, tt.retention)
			}
			if _, limited := b.Retention(); limited != (tt.retention >= 0) {
				t.Errorf("Retention limited = %v", limited)
			}
			if got := b.RollMillis(); got != tt.roll {
				t.Errorf("RollMillis = %d, want %d", got, tt.roll)
			}
			if got := b.RollJitterMillis(); got != tt.jitter {
				t.Errorf("RollJitterMillis = %d, want %d", got, tt.jitter)
			}
			if got := b.FlushIntervalMillis(); got != tt.flush {
				t.Errorf("FlushIntervalMillis = %d, want %d", got, tt.flush)
			}
			if got := b.Dirs(); !reflect.DeepEqual(got, tt.dirs) {
				t.Errorf("Dirs = %q, want %q", got, tt.dirs)
			}
			if got := b.ZooKeeperConnectionTimeout(); got != tt.connTimeout {
				t.Errorf("ZooKeeperConnectionTimeout = %v, want %v", got, tt.connTimeout)
			}
			if !reflect.DeepEqual(b.LogRetentionMs, tt.retentionMs) || !reflect.DeepEqual(b.LogRollMs, tt.rollMs) {
				t.Errorf("LogRetentionMs = %v, LogRollMs = %v", b.LogRetentionMs, b.LogRollMs)
			}
			if (b.LogRetentionMinutes == nil) != tt.retentionMinutesNull {
				t.Errorf("LogRetentionMinutes = %v", b.LogRetentionMinutes)
			}
		})
	}
}

// TestBrokerEveryFieldRejectsGarbage writes a malformed value for every key
// a Broker field takes and checks the error names that key.
func TestBrokerEveryFieldRejectsGarbage(t *testing.T) {
	// Keys whose values are free-form strings.
	free := map[string]bool{
		"broker.rack": true, "log.dir": true, "log.dirs": true,
		"inter.broker.listener.name": true, "control.plane.listener.name": true,
	}
	for _, f := range brokerFields {
		if free[f.key] {
			continue
		}
		t.Run(f.key, func(t *testing.T) {
			text := "zookeeper.connect=zk:2181\n" + f.key + "=x y[\n"
			ke := parseBrokerErr(t, text)
			if ke.Key != f.key {
				t.Fatalf("error %q names key %q, want %q", ke, ke.Key, f.key)
			}
			if !strings.HasPrefix(ke.Error(), "server.properties: "+f.key+": ") {
				t.Errorf("error %q does not start with the file and key", ke)
			}
			if ke.Line != 2 {
				t.Errorf("line = %d, want 2", ke.Line)
			}
		})
	}
}

func TestBrokerBadValues(t *testing.T) {
	tests := []struct {
		text string
		key  string
		msg  string // substring of the error
	}{
		{"num.partitions=x\n", "num.partitions", `server.properties: num.partitions: "x" is not an integer (line 2)`},
		{"num.partitions=0\n", "num.partitions", "0 must be at least 1"},
		{"num.partitions=2147483648\n", "num.partitions", "out of range"},
		{"min.insync.replicas=0\n", "min.insync.replicas", "must be at least 1"},
		{"message.max.bytes=-1\n", "message.max.bytes", "must be at least 0"},
		{"log.segment.bytes=13\n", "log.segment.bytes", "13 must be at least 14"},
		{"log.roll.hours=0\n", "log.roll.hours", "must be at least 1"},
		{"log.roll.ms=0\n", "log.roll.ms", "log.roll.ms must be greater than or equal to 1"},
		{"log.roll.jitter.ms=-1\n", "log.roll.jitter.ms", "greater than or equal to 0"},
		{"log.retention.ms=0\n", "log.retention.ms", "must be unlimited (-1) or, greater than or equal to 1"},
		{"log.retention.minutes=0\n", "log.retention.minutes", "must be unlimited"},
		{"log.retention.hours=0\n", "log.retention.hours", "must be unlimited"},
		{"log.retention.check.interval.ms=0\n", "log.retention.check.interval.ms", "must be at least 1"},
		{"log.cleanup.policy=delete,purge\n", "log.cleanup.policy", `"purge": string must be one of: compact, delete`},
		{"log.cleanup.policy=delete,\n", "log.cleanup.policy", `"": string must be one of`},
		{"log.index.size.max.bytes=3\n", "log.index.size.max.bytes", "must be at least 4"},
		{"log.message.timestamp.type=createtime\n", "log.message.timestamp.type", "string must be one of: CreateTime, LogAppendTime"},
		{"log.flush.interval.messages=0\n", "log.flush.interval.messages", "must be at least 1"},
		{"compression.type=brotli\n", "compression.type", "one of: uncompressed, zstd, lz4, snappy, gzip, producer"},
		{"auto.create.topics.enable=yes\n", "auto.create.topics.enable", `"yes" is not true or false`},
		{"offsets.topic.replication.factor=0\n", "offsets.topic.replication.factor", "must be at least 1"},
		{"offsets.topic.replication.factor=40000\n", "offsets.topic.replication.factor", "16-bit"},
		{"transaction.state.log.replication.factor=0\n", "transaction.state.log.replication.factor", "must be at least 1"},
		{"offsets.topic.num.partitions=0\n", "offsets.topic.num.partitions", "must be at least 1"},
		{"num.network.threads=0\n", "num.network.threads", "must be at least 1"},
		{"socket.request.max.bytes=0\n", "socket.request.max.bytes", "must be at least 1"},
		{"queued.max.requests=0\n", "queued.max.requests", "must be at least 1"},
		{"queued.max.request.bytes=10\n", "queued.max.request.bytes", "must be larger or equal to socket.request.max.bytes"},
		{"fetch.max.bytes=1023\n", "fetch.max.bytes", "must be at least 1024"},
		{"reserved.broker.max.id=-1\n", "reserved.broker.max.id", "must be at least 0"},
		{"replica.fetch.wait.max.ms=40000\n", "replica.socket.timeout.ms", "should always be at least replica.fetch.wait.max.ms"},
		{"replica.fetch.wait.max.ms=20000\nreplica.socket.timeout.ms=40000\nreplica.lag.time.max.ms=10000\n",
			"replica.fetch.wait.max.ms", "less than or equal to replica.lag.time.max.ms"},
		{"zookeeper.max.in.flight.requests=0\n", "zookeeper.max.in.flight.requests", "must be at least 1"},
		{"zookeeper.set.acl=true\n", "zookeeper.set.acl", "SASL or TLS"},
		{"log.dirs=\n", "log.dirs", "at least one log directory"},
		{"log.dirs= , \n", "log.dirs", "at least one log directory"},
		{"log.dirs=/a,/b,/a/\n", "log.dirs", `duplicate log directory found: "/a" and "/a/"`},
		{"log.dir=d,./d\n", "log.dir", "duplicate log directory"},
		{"log.cleaner.threads=two\n", "log.cleaner.threads", `"two" is not an integer`},
		{"log.cleaner.min.cleanable.ratio=half\n", "log.cleaner.min.cleanable.ratio", "is not a number"},
		{"log.preallocate=1\n", "log.preallocate", "is not true or false"},
		{"group.share.max.size=70000\n", "group.share.max.size", "16-bit"},
		{"process.roles=broker,controller\n", "process.roles", "KRaft mode is not supported"},
		{"controller.listener.names=CONTROLLER\n", "controller.listener.names", "must be empty when not running in KRaft mode"},
		{"zookeeper.metadata.migration.enable=true\n", "zookeeper.metadata.migration.enable", "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			ke := parseBrokerErr(t, brokerMinimal+tt.text)
			if ke.Key != tt.key {
				t.Errorf("key = %q, want %q (%v)", ke.Key, tt.key, ke)
			}
			if !strings.Contains(ke.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", ke, tt.msg)
			}
			if !strings.HasPrefix(ke.Error(), "server.properties: "+tt.key+": ") {
				t.Errorf("error %q does not start with the file and key", ke)
			}
			if ke.Line == 0 && strings.Contains(tt.text, tt.key+"=") {
				t.Errorf("error %q has no line", ke)
			}
		})
	}
}

func TestBrokerMissingZooKeeperConnect(t *testing.T) {
	_, _, err := ParseBroker(strings.NewReader("broker.id=0\n"), "server.properties")
	if !errors.Is(err, ErrMissing) {
		t.Fatalf("err = %v, want ErrMissing", err)
	}
	if want := "server.properties: zookeeper.connect: is required in ZooKeeper mode and has no default"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestBrokerID(t *testing.T) {
	tests := []struct {
		text string
		id   int
		err  string
	}{
		{"", -1, ""},
		{"broker.id=0\n", 0, ""},
		{"broker.id=1000\n", 1000, ""},
		{"broker.id=1001\n", 0, "broker.id: 1001 must be greater than or equal to -1 and not greater than reserved.broker.max.id (1000)"},
		{"broker.id=1001\nreserved.broker.max.id=2000\n", 1001, ""},
		{"broker.id=-2\n", 0, "broker.id: -2 must be greater than or equal to -1"},
		{"broker.id.generation.enable=false\n", 0, "broker.id: -1 must be greater than or equal to 0"},
		{"broker.id.generation.enable=false\nbroker.id=5000\n", 5000, ""},
		{"node.id=7\n", 7, ""},
		{"node.id=7\nbroker.id=7\n", 7, ""},
		{"node.id=7\nbroker.id=8\n", 0, "node.id: 7 must be the same as broker.id (8)"},
		{"node.id=x\n", 0, `node.id: "x" is not an integer`},
	}
	for _, tt := range tests {
		b, _, err := ParseBroker(strings.NewReader(brokerMinimal+tt.text), "server.properties")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.text, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.text, err)
			continue
		}
		if b.BrokerID != tt.id {
			t.Errorf("%q: BrokerID = %d, want %d", tt.text, b.BrokerID, tt.id)
		}
		if _, ok := b.Other["node.id"]; ok {
			t.Errorf("%q: node.id kept in Other", tt.text)
		}
	}
}

func TestBrokerListeners(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		listeners  string // joined, canonical
		advertised string // joined effective advertised listeners
		interName  string
		err        string // substring; "" = valid
		errKey     string
		warn       string
	}{
		{name: "default", listeners: "PLAINTEXT://:9092", advertised: "PLAINTEXT://:9092", interName: "PLAINTEXT"},
		{name: "host", text: "listeners=PLAINTEXT://localhost:9093\n", listeners: "PLAINTEXT://localhost:9093",
			advertised: "PLAINTEXT://localhost:9093", interName: "PLAINTEXT"},
		{name: "lower-case name", text: "listeners=plaintext://127.0.0.1:9092\n", listeners: "PLAINTEXT://127.0.0.1:9092",
			advertised: "PLAINTEXT://127.0.0.1:9092", interName: "PLAINTEXT"},
		{name: "ipv6", text: "listeners=PLAINTEXT://[::1]:9092\n", listeners: "PLAINTEXT://[::1]:9092",
			advertised: "PLAINTEXT://[::1]:9092", interName: "PLAINTEXT"},
		{name: "named listeners",
			text: "listeners=INTERNAL://:9092 , EXTERNAL://:9093\nlistener.security.protocol.map=INTERNAL:PLAINTEXT,external:plaintext\n" +
				"advertised.listeners=INTERNAL://broker1:9092,EXTERNAL://public.example:19093\ninter.broker.listener.name=internal\n",
			listeners: "INTERNAL://:9092,EXTERNAL://:9093", advertised: "INTERNAL://broker1:9092,EXTERNAL://public.example:19093", interName: "INTERNAL"},
		{name: "advertised subset", text: "listeners=PLAINTEXT://:9092,REPL://:9093\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,REPL:PLAINTEXT\n" +
			"advertised.listeners=PLAINTEXT://h:9092\n", listeners: "PLAINTEXT://:9092,REPL://:9093", advertised: "PLAINTEXT://h:9092", interName: "PLAINTEXT"},
		{name: "advertised may repeat ports", text: "listeners=A://:9092,PLAINTEXT://:9093\nlistener.security.protocol.map=A:PLAINTEXT,PLAINTEXT:PLAINTEXT\n" +
			"advertised.listeners=A://lb:9000,PLAINTEXT://lb:9000\n", listeners: "A://:9092,PLAINTEXT://:9093",
			advertised: "A://lb:9000,PLAINTEXT://lb:9000", interName: "PLAINTEXT"},
		{name: "ipv4 and ipv6 share a port", text: "listeners=PLAINTEXT://127.0.0.1:9092,V6://[::1]:9092\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,V6:PLAINTEXT\n",
			listeners: "PLAINTEXT://127.0.0.1:9092,V6://[::1]:9092", advertised: "PLAINTEXT://127.0.0.1:9092,V6://[::1]:9092", interName: "PLAINTEXT"},
		{name: "ephemeral ports repeat", text: "listeners=PLAINTEXT://:0,B://:0\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,B:PLAINTEXT\n",
			listeners: "PLAINTEXT://:0,B://:0", advertised: "PLAINTEXT://:0,B://:0", interName: "PLAINTEXT"},
		{name: "wildcard listener, routable advertised", text: "listeners=PLAINTEXT://0.0.0.0:9092\nadvertised.listeners=PLAINTEXT://10.1.2.3:9092\n",
			listeners: "PLAINTEXT://0.0.0.0:9092", advertised: "PLAINTEXT://10.1.2.3:9092", interName: "PLAINTEXT"},
		{name: "advertised ipv6 unspecified warns", text: "advertised.listeners=PLAINTEXT://[::]:9092\n",
			listeners: "PLAINTEXT://:9092", advertised: "PLAINTEXT://[::]:9092", interName: "PLAINTEXT", warn: "unspecified address"},

		{name: "ssl unsupported", text: "listeners=SSL://:9093\nsecurity.inter.broker.protocol=SSL\n", errKey: "listeners",
			err: "listener SSL uses security protocol SSL, which zkafka does not support (only PLAINTEXT)"},
		{name: "sasl via map unsupported", text: "listeners=PLAINTEXT://:9092,EXT://:9093\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,EXT:SASL_SSL\n",
			errKey: "listeners", err: "EXT uses security protocol SASL_SSL"},
		{name: "inter-broker protocol unsupported", text: "security.inter.broker.protocol=SSL\n", errKey: "security.inter.broker.protocol",
			err: "not supported by zkafka"},
		{name: "bad inter-broker protocol", text: "security.inter.broker.protocol=TLS\n", errKey: "security.inter.broker.protocol",
			err: "string must be one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"},
		{name: "no protocol for name", text: "listeners=INTERNAL://:9092\n", errKey: "listeners",
			err: "no security protocol defined for listener INTERNAL"},
		{name: "duplicate names", text: "listeners=PLAINTEXT://:9092,plaintext://:9093\n", errKey: "listeners",
			err: "each listener must have a different name"},
		{name: "duplicate ports", text: "listeners=PLAINTEXT://:9092,B://h:9092\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,B:PLAINTEXT\n",
			errKey: "listeners", err: "each listener must have a different port"},
		{name: "two ipv4 on one port", text: "listeners=PLAINTEXT://127.0.0.1:9092,B://127.0.0.2:9092\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,B:PLAINTEXT\n",
			errKey: "listeners", err: "one needs to be IPv4 and the other IPv6"},
		{name: "ip and name on one port", text: "listeners=PLAINTEXT://127.0.0.1:9092,B://:9092\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,B:PLAINTEXT\n",
			errKey: "listeners", err: "unless exactly one listener has an IPv4 address"},
		{name: "bad syntax", text: "listeners=localhost:9092\n", errKey: "listeners", err: `unable to parse "localhost:9092"`},
		{name: "bad host char", text: "listeners=PLAINTEXT://a b:9092\n", errKey: "listeners", err: "unable to parse"},
		{name: "no port", text: "listeners=PLAINTEXT://host\n", errKey: "listeners", err: "unable to parse"},
		{name: "port out of range", text: "listeners=PLAINTEXT://:65536\n", errKey: "listeners", err: "port 65536 is out of range 0-65535"},
		{name: "negative port", text: "listeners=PLAINTEXT://:-1\n", errKey: "listeners", err: "out of range"},
		{name: "empty name", text: "listeners= ://:9092\n", errKey: "listeners", err: "listener name is empty"},
		{name: "empty listeners", text: "listeners=\n", errKey: "listeners", err: "at least one broker advertised listener"},
		{name: "advertised wildcard", text: "advertised.listeners=PLAINTEXT://0.0.0.0:9092\n", errKey: "advertised.listeners",
			err: "cannot use the nonroutable meta-address 0.0.0.0"},
		{name: "wildcard listener advertised by default", text: "listeners=PLAINTEXT://0.0.0.0:9092\n", errKey: "listeners",
			err: "advertised.listeners is not set"},
		{name: "advertised name not a listener", text: "advertised.listeners=OTHER://h:9092\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT\n",
			errKey: "advertised.listeners", err: "subset of the ones defined in listeners"},
		{name: "inter-broker listener not advertised",
			text: "listeners=PLAINTEXT://:9092,REPL://:9093\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,REPL:PLAINTEXT\n" +
				"advertised.listeners=PLAINTEXT://h:9092\ninter.broker.listener.name=REPL\n",
			errKey: "inter.broker.listener.name", err: "must be a listener name defined in advertised.listeners"},
		{name: "inter-broker listener unmapped", text: "inter.broker.listener.name=NOPE\n", errKey: "inter.broker.listener.name",
			err: "not found in listener.security.protocol.map"},
		{name: "inter-broker default protocol not advertised", text: "listeners=A://:9092\nlistener.security.protocol.map=A:PLAINTEXT\n",
			errKey: "security.inter.broker.protocol", err: "the inter-broker listener is PLAINTEXT"},
		{name: "both inter-broker keys", text: "inter.broker.listener.name=PLAINTEXT\nsecurity.inter.broker.protocol=PLAINTEXT\n",
			errKey: "inter.broker.listener.name", err: "only one of inter.broker.listener.name and security.inter.broker.protocol"},
		{name: "control plane same as inter-broker", text: "control.plane.listener.name=PLAINTEXT\n", errKey: "control.plane.listener.name",
			err: "different value from the inter broker listener name"},
		{name: "map entry without colon", text: "listener.security.protocol.map=PLAINTEXT\n", errKey: "listener.security.protocol.map",
			err: "is not LISTENER_NAME:PROTOCOL"},
		{name: "map bad protocol", text: "listener.security.protocol.map=PLAINTEXT:TLS\n", errKey: "listener.security.protocol.map",
			err: "invalid security protocol `TLS`"},
		{name: "map empty name", text: "listener.security.protocol.map=:PLAINTEXT\n", errKey: "listener.security.protocol.map",
			err: "listener name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := brokerMinimal + tt.text
			if tt.err != "" {
				ke := parseBrokerErr(t, text)
				if ke.Key != tt.errKey || !strings.Contains(ke.Error(), tt.err) {
					t.Errorf("error %q (key %q), want key %q containing %q", ke, ke.Key, tt.errKey, tt.err)
				}
				return
			}
			b, warnings := parseBrokerText(t, text)
			if got := joinListeners(b.Listeners); got != tt.listeners {
				t.Errorf("listeners = %q, want %q", got, tt.listeners)
			}
			if got := joinListeners(b.EffectiveAdvertisedListeners()); got != tt.advertised {
				t.Errorf("advertised = %q, want %q", got, tt.advertised)
			}
			for _, l := range append(slices.Clone(b.Listeners), b.EffectiveAdvertisedListeners()...) {
				if l.SecurityProtocol != PlaintextProtocol {
					t.Errorf("%s: SecurityProtocol = %q", l, l.SecurityProtocol)
				}
			}
			if l, ok := b.InterBrokerListener(); !ok || l.Name != tt.interName {
				t.Errorf("InterBrokerListener = %v, %v; want %s", l, ok, tt.interName)
			}
			if tt.warn == "" && len(warnings) != 0 {
				t.Errorf("warnings = %q", warnings)
			}
			if tt.warn != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tt.warn)) {
				t.Errorf("warnings = %q, want one containing %q", warnings, tt.warn)
			}
		})
	}
}

func TestListenerString(t *testing.T) {
	for _, tt := range []struct {
		l         Listener
		str, addr string
	}{
		{Listener{Name: "PLAINTEXT", Port: 9092}, "PLAINTEXT://:9092", ":9092"},
		{Listener{Name: "PLAINTEXT", Host: "h", Port: 1}, "PLAINTEXT://h:1", "h:1"},
		{Listener{Name: "X", Host: "::1", Port: 2}, "X://[::1]:2", "[::1]:2"},
	} {
		if got := tt.l.String(); got != tt.str {
			t.Errorf("String = %q, want %q", got, tt.str)
		}
		if got := tt.l.Addr(); got != tt.addr {
			t.Errorf("Addr = %q, want %q", got, tt.addr)
		}
	}
}

func TestParseZooKeeperConnect(t *testing.T) {
	tests := []struct {
		in     string
		hosts  []string
		chroot string
		err    string
	}{
		{in: "localhost:2181", hosts: []string{"localhost:2181"}},
		{in: "zk1:2181,zk2:2182,zk3:2183/kafka", hosts: []string{"zk1:2181", "zk2:2182", "zk3:2183"}, chroot: "/kafka"},
		{in: "zk1,zk2:", hosts: []string{"zk1:2181", "zk2:2181"}},
		{in: " zk1:1 , ,zk2:2 ", hosts: []string{"zk1:1", "zk2:2"}},
		{in: "zk1:2181/", hosts: []string{"zk1:2181"}},
		{in: "zk1:2181/a/b-c/d.e", hosts: []string{"zk1:2181"}, chroot: "/a/b-c/d.e"},
		{in: "[::1]:2181,[fe80::1],127.0.0.1", hosts: []string{"[::1]:2181", "[fe80::1]:2181", "127.0.0.1:2181"}},
		{in: "", err: "names no ZooKeeper host"},
		{in: " , ", err: "names no ZooKeeper host"},
		{in: "/kafka", err: "names no ZooKeeper host"},
		{in: "zk:x", err: `port "x" is not an integer`},
		{in: "zk:0", err: "out of range 1-65535"},
		{in: "zk:65536", err: "out of range 1-65535"},
		{in: ":2181", err: `bad host ""`},
		{in: "[::1", err: "no matching ']'"},
		{in: "[::1]x", err: "expected :port"},
		{in: "zk:2181/kafka/", err: "must not end with /"},
		{in: "zk:2181//kafka", err: "empty node name"},
		{in: "zk:2181/a/../b", err: "relative paths not allowed"},
		{in: "zk:2181/a/./b", err: "relative paths not allowed"},
		{in: "zk:2181/a\x01", err: "invalid character"},
		{in: "zk:2181/a\x00", err: "null character"},
	}
	for _, tt := range tests {
		hosts, chroot, err := ParseZooKeeperConnect(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrInvalid) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(hosts, tt.hosts) || chroot != tt.chroot {
			t.Errorf("%q: hosts %q chroot %q, want %q %q", tt.in, hosts, chroot, tt.hosts, tt.chroot)
		}
	}
}

func TestBrokerZooKeeperConnect(t *testing.T) {
	b, _ := parseBrokerText(t, "zookeeper.connect=zk1:2181,zk2:2181/kafka/prod\n")
	if b.ZooKeeperConnect != "zk1:2181,zk2:2181/kafka/prod" {
		t.Errorf("ZooKeeperConnect = %q", b.ZooKeeperConnect)
	}
	if !reflect.DeepEqual(b.ZooKeeperHosts, []string{"zk1:2181", "zk2:2181"}) || b.ZooKeeperChroot != "/kafka/prod" {
		t.Errorf("hosts %q chroot %q", b.ZooKeeperHosts, b.ZooKeeperChroot)
	}
	ke := parseBrokerErr(t, "broker.id=1\nzookeeper.connect=zk1:2181/kafka/\n")
	if ke.Key != "zookeeper.connect" || ke.Line != 2 || !strings.Contains(ke.Error(), `chroot "/kafka/"`) {
		t.Errorf("error %q", ke)
	}
}

func TestBrokerWarningsAndOther(t *testing.T) {
	text := brokerMinimal +
		"no.such.key=1\n" +
		"listener.name.plaintext.connections.max.reauth.ms=5\n" +
		"num.replica.alter.log.dirs.threads=4\n" +
		"ssl.keystore.password=secret\n" +
		"inter.broker.protocol.version=3.9\n"
	b, warnings := parseBrokerText(t, text)
	want := []string{"The configuration 'no.such.key' was supplied but isn't a known config."}
	if !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings = %q, want %q", warnings, want)
	}
	for k, v := range map[string]string{
		"no.such.key": "1", "listener.name.plaintext.connections.max.reauth.ms": "5",
		"num.replica.alter.log.dirs.threads": "4", "ssl.keystore.password": "secret",
		"inter.broker.protocol.version": "3.9",
	} {
		if b.Other[k] != v {
			t.Errorf("Other[%s] = %q, want %q", k, b.Other[k], v)
		}
	}
	_, warnings = parseBrokerText(t, brokerMinimal+"authorizer.class.name=kafka.security.authorizer.AclAuthorizer\n")
	if len(warnings) != 1 || !strings.Contains(warnings[0], "ACLs are not enforced") {
		t.Errorf("warnings = %q", warnings)
	}
}

func TestBrokerLines(t *testing.T) {
	b, _ := parseBrokerText(t, "broker.id=0\n"+
		"zookeeper.connect=localhost:2181\n"+
		"log.dirs=/var/k1, /var/k2\n"+
		"log.retention.hours=24\n"+
		"log.cleanup.policy=compact,delete\n"+
		"ssl.keystore.password=secret\n"+
		"sasl.enabled.mechanisms=PLAIN, SCRAM-SHA-256\n"+
		"log.cleaner.min.cleanable.ratio=0.25\n"+
		"log.preallocate=TRUE\n"+
		"principal.builder.class=com.example.Builder\n"+
		"background.threads=+4\n"+
		"no.such.key=1\n")
	lines := b.Lines()
	if len(lines) != len(kafkaKeys)+1 {
		t.Fatalf("%d lines, want %d", len(lines), len(kafkaKeys)+1)
	}
	if lines[0] != "KafkaConfig values: " {
		t.Errorf("header = %q", lines[0])
	}
	if !slices.IsSorted(lines[1:]) {
		t.Error("lines are not sorted")
	}
	for _, want := range []string{
		"\tadvertised.listeners = null",
		"\tauthorizer.class.name = ",
		"\tbackground.threads = 4",
		"\tbroker.id = 0",
		"\tnode.id = 0",
		"\tlisteners = PLAINTEXT://:9092",
		"\tlistener.security.protocol.map = SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
		"\tlog.cleaner.io.max.bytes.per.second = 1.7976931348623157E308",
		"\tlog.cleaner.min.cleanable.ratio = 0.25",
		"\tlog.cleanup.policy = [compact, delete]",
		"\tlog.dir = /tmp/kafka-logs",
		"\tlog.dirs = /var/k1,/var/k2",
		"\tlog.flush.interval.messages = 9223372036854775807",
		"\tlog.flush.interval.ms = null",
		"\tlog.preallocate = true",
		"\tlog.retention.hours = 24",
		"\tlog.retention.minutes = null",
		"\tlog.retention.ms = null",
		"\tlog.roll.ms = null",
		"\tlog.segment.bytes = 1073741824",
		"\tmessage.max.bytes = 1048588",
		"\tprincipal.builder.class = class com.example.Builder",
		"\tsasl.enabled.mechanisms = [PLAIN, SCRAM-SHA-256]",
		"\tssl.keystore.password = [hidden]",
		"\tzookeeper.connect = localhost:2181",
		"\tzookeeper.connection.timeout.ms = null",
		"\tzookeeper.session.timeout.ms = 18000",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("no line %q", want)
		}
	}
	for _, l := range lines {
		if strings.Contains(l, "no.such.key") {
			t.Errorf("unknown key logged: %q", l)
		}
	}
}

func TestJavaDouble(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1, "1.0"}, {0.5, "0.5"}, {0.9, "0.9"}, {0.05, "0.05"},
		{1e-3, "0.001"}, {1e-4, "1.0E-4"}, {1234567, "1234567.0"}, {1e7, "1.0E7"}, {-2.5e10, "-2.5E10"},
		{math.MaxFloat64, "1.7976931348623157E308"}, {math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"}, {math.NaN(), "NaN"},
	} {
		if got := javaDouble(tt.f); got != tt.want {
			t.Errorf("javaDouble(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestCheckReplicationFactor(t *testing.T) {
	if err := CheckReplicationFactor(3, 3); err != nil {
		t.Errorf("3 of 3: %v", err)
	}
	err := CheckReplicationFactor(3, 1)
	if !errors.Is(err, ErrReplicationFactor) || err.Error() != "Replication factor: 3 larger than available brokers: 1." {
		t.Errorf("3 of 1: %v", err)
	}
	if err := CheckReplicationFactor(0, 1); err == nil || err.Error() != "Replication factor must be larger than 0." {
		t.Errorf("0 of 1: %v", err)
	}
}

func TestBrokerValidateHandBuilt(t *testing.T) {
	b := NewBroker()
	if err := b.Validate(); !errors.Is(err, ErrMissing) {
		t.Fatalf("Validate without zookeeper.connect: %v", err)
	}
	b.ZooKeeperConnect = "a:1,b/chroot"
	if err := b.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if !reflect.DeepEqual(b.ZooKeeperHosts, []string{"a:1", "b:2181"}) || b.ZooKeeperChroot != "/chroot" {
		t.Errorf("hosts %q chroot %q", b.ZooKeeperHosts, b.ZooKeeperChroot)
	}
	if b.Listeners[0].SecurityProtocol != PlaintextProtocol {
		t.Errorf("SecurityProtocol not filled in: %+v", b.Listeners[0])
	}
	for _, tt := range []struct {
		mutate func(*Broker)
		key    string
	}{
		{func(b *Broker) { b.NumPartitions = 0 }, "num.partitions"},
		{func(b *Broker) { b.OffsetsTopicReplicationFactor = 1 << 16 }, "offsets.topic.replication.factor"},
		{func(b *Broker) { b.LogCleanupPolicy = []string{"zap"} }, "log.cleanup.policy"},
		{func(b *Broker) { b.CompressionType = "" }, "compression.type"},
		{func(b *Broker) { b.LogDirs = []string{} }, "log.dirs"},
		{func(b *Broker) { b.LogDir = " , " }, "log.dir"},
		{func(b *Broker) { b.Listeners = []Listener{{Name: "plaintext", Port: 1}} }, "listeners"},
		{func(b *Broker) { b.Listeners = []Listener{{Name: "PLAINTEXT", Port: 70000}} }, "listeners"},
		{func(b *Broker) { b.ListenerSecurityProtocolMap = nil }, "listeners"},
		{func(b *Broker) { b.ListenerSecurityProtocolMap = []ListenerProtocol{{"PLAINTEXT", "TLS"}} }, "listener.security.protocol.map"},
		{func(b *Broker) { b.ZooKeeperConnect = "a:b" }, "zookeeper.connect"},
		{func(b *Broker) { b.BrokerID = -5 }, "broker.id"},
	} {
		c := NewBroker()
		c.ZooKeeperConnect = "zk"
		tt.mutate(c)
		err := c.Validate()
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Key != tt.key {
			t.Errorf("%s: Validate = %v", tt.key, err)
		}
	}
}

func TestLoadBroker(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(path, []byte("# c\nbroker.id=3\nzookeeper.connect=zk:2181\nnum.partitions=zero\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := LoadBroker(path)
	if err == nil || err.Error() != path+`: num.partitions: "zero" is not an integer (line 4)` {
		t.Errorf("err = %v", err)
	}
	if _, _, err := LoadBroker(filepath.Join(dir, "missing.properties")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, _, err := ParseBroker(strings.NewReader("a=\\u12"), "p"); !errors.Is(err, ErrSyntax) || !strings.HasPrefix(err.Error(), "p: ") {
		t.Errorf("syntax error: %v", err)
	}
}

// TestBrokerSampleConfig checks that the shipped config/server.properties
// loads cleanly.
func TestBrokerSampleConfig(t *testing.T) {
	b, warnings, err := LoadBroker(filepath.Join("..", "..", "config", "server.properties"))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %q", warnings)
	}
	if b.BrokerID != 0 || !reflect.DeepEqual(b.Dirs(), []string{"./data/kafka-logs"}) || b.NumPartitions != 1 ||
		!reflect.DeepEqual(b.ZooKeeperHosts, []string{"localhost:2181"}) || b.OffsetsTopicReplicationFactor != 1 ||
		b.TransactionStateLogReplicationFactor != 1 || b.TransactionStateLogMinISR != 1 || b.GroupInitialRebalanceDelayMs != 0 {
		t.Errorf("sample parsed to %+v", b)
	}
	if l, ok := b.InterBrokerListener(); !ok || l.Port != 9092 {
		t.Errorf("InterBrokerListener = %v, %v", l, ok)
	}
}

func FuzzParseBroker(f *testing.F) {
	for _, s := range []string{
		brokerMinimal,
		"broker.id=1\nzookeeper.connect=a:1,b:2/k\nlog.dirs=/a,/b\nlisteners=PLAINTEXT://:9092,B://[::1]:9093\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,B:PLAINTEXT\n",
		"zookeeper.connect=zk\nlog.retention.minutes=5\nlog.roll.ms=1\nlog.cleanup.policy=compact\n",
		"zookeeper.connect=zk\nadvertised.listeners=PLAINTEXT://0.0.0.0:1\n",
		"zookeeper.connect=zk\nnode.id=4\nssl.keystore.password=x\nfoo=bar\n",
		"num.partitions=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		b, _, err := ParseBroker(strings.NewReader(in), "server.properties")
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMissing) && !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			if !strings.HasPrefix(err.Error(), "server.properties: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if err := b.Validate(); err != nil {
			t.Fatalf("Validate after a successful parse: %v", err)
		}
		if len(b.Dirs()) == 0 || len(b.ZooKeeperHosts) == 0 || len(b.EffectiveAdvertisedListeners()) == 0 {
			t.Fatalf("invariants broken: %+v", b)
		}
		if _, ok := b.InterBrokerListener(); !ok {
			t.Fatal("no inter-broker listener")
		}
		if r := b.RetentionMillis(); r == 0 || r < -1 {
			t.Fatalf("RetentionMillis = %d", r)
		}
		if len(b.Lines()) != len(kafkaKeys)+1 {
			t.Fatal("Lines has the wrong length")
		}
	})
}
