package broker

import (
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/zkafka/zkafka/internal/broker/cluster"
	plog "github.com/zkafka/zkafka/internal/broker/log"
	"github.com/zkafka/zkafka/internal/config"
)

// partition is one partition this broker leads, with a channel that is
// closed (and replaced) on every append so long-polling fetches wake up.
type partition struct {
	tp  plog.TopicPartition
	log *plog.Log

	mu     sync.Mutex
	notify chan struct{}
}

func (p *partition) wait() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.notify
}

func (p *partition) appended() {
	p.mu.Lock()
	close(p.notify)
	p.notify = make(chan struct{})
	p.mu.Unlock()
}

// partitions are the partitions this broker leads. Their logs belong to a
// plog.Manager, which spreads new partitions over log.dirs (the dir with
// the fewest wins), checks meta.properties, and runs retention, flushes and
// checkpoints.
type partitions struct {
	cfg *config.Broker
	log *slog.Logger
	mgr *plog.Manager

	mu sync.RWMutex
	m  map[plog.TopicPartition]*partition
}

// openPartitions opens every log in log.dirs (recovering them after an
// unclean stop); a meta.properties naming another broker.id or cluster.id
// is an error, as in Kafka.
func openPartitions(cfg *config.Broker, id int32, clusterID string, logger *slog.Logger) (*partitions, error) {
	mc := plog.DefaultManagerConfig(cfg.Dirs(), id)
	mc.ClusterID = clusterID
	mc.Log = logConfig(cfg, nil)
	mc.RetentionCheckIntervalMs = cfg.LogRetentionCheckIntervalMs
	mc.FlushSchedulerIntervalMs = cfg.LogFlushSchedulerIntervalMs
	mc.Logger = logger
	mgr, err := plog.OpenManager(mc)
	if err != nil {
		return nil, fmt.Errorf("broker: opening log dirs: %w", err)
	}
	return &partitions{cfg: cfg, log: logger, mgr: mgr, m: map[plog.TopicPartition]*partition{}}, nil
}

func (ps *partitions) get(topic string, p int32) (*partition, bool) {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	part, ok := ps.m[plog.TopicPartition{Topic: topic, Partition: p}]
	return part, ok
}

// sync serves (creating the log when missing) every partition of topics
// that this broker leads, with the topic's config overrides.
func (ps *partitions) sync(topics map[string]cluster.Topic, me int32) {
	for name, t := range topics {
		for p, st := range t.States {
			if st.Leader != me {
				continue
			}
			tp := plog.TopicPartition{Topic: name, Partition: p}
			if err := ps.serve(tp, t.Configs); err != nil {
				ps.log.Error("opening partition log", "partition", tp.Topic+"-"+strconv.Itoa(int(p)), "err", err)
			}
		}
	}
}

func (ps *partitions) serve(tp plog.TopicPartition, topicConfigs map[string]string) error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	cfg := logConfig(ps.cfg, topicConfigs)
	if part, ok := ps.m[tp]; ok {
		if part.log.Config() != cfg {
			return part.log.SetConfig(cfg)
		}
		return nil
	}
	l, ok := ps.mgr.Get(tp.Topic, tp.Partition)
	if !ok {
		var err error
		if l, err = ps.mgr.Create(tp.Topic, tp.Partition); err != nil {
			return err
		}
	}
	if err := l.SetConfig(cfg); err != nil {
		return err
	}
	ps.m[tp] = &partition{tp: tp, log: l, notify: make(chan struct{})}
	ps.log.Info("serving partition", "partition", tp.Topic+"-"+strconv.Itoa(int(tp.Partition)), "dir", l.Dir(),
		"logEndOffset", l.LogEndOffset())
	return nil
}

// close flushes and closes every log (a clean shutdown: no recovery at the
// next start).
func (ps *partitions) close() error {
	ps.mu.Lock()
	ps.m = map[plog.TopicPartition]*partition{}
	ps.mu.Unlock()
	return ps.mgr.Close()
}

// logConfig is the broker's log settings with a topic's overrides.
func logConfig(cfg *config.Broker, topic map[string]string) plog.Config {
	c := plog.DefaultConfig()
	c.SegmentBytes = int64(cfg.LogSegmentBytes)
	c.SegmentMs = cfg.RollMillis()
	c.RetentionMs = cfg.RetentionMillis()
	c.RetentionBytes = cfg.LogRetentionBytes
	c.FlushMessages = cfg.LogFlushIntervalMessages
	c.FlushMs = cfg.FlushIntervalMillis()
	c.IndexIntervalBytes = int32(cfg.LogIndexIntervalBytes)
	c.MaxMessageBytes = int32(cfg.MessageMaxBytes)
	setInt := func(key string, dst *int64) {
		if v, ok := topic[key]; ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				*dst = n
			}
		}
	}
	setInt("segment.bytes", &c.SegmentBytes)
	setInt("segment.ms", &c.SegmentMs)
	setInt("retention.ms", &c.RetentionMs)
	setInt("retention.bytes", &c.RetentionBytes)
	setInt("flush.messages", &c.FlushMessages)
	setInt("flush.ms", &c.FlushMs)
	if v, ok := topic["max.message.bytes"]; ok {
		if n, err := strconv.ParseInt(v, 10, 32); err == nil {
			c.MaxMessageBytes = int32(n)
		}
	}
	if v, ok := topic["cleanup.policy"]; ok {
		c.CleanupPolicy = v
	}
	return c
}
