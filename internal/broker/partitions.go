package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/zkafka/zkafka/internal/broker/cluster"
	plog "github.com/zkafka/zkafka/internal/broker/log"
	"github.com/zkafka/zkafka/internal/config"
)

// ErrBrokerIDMismatch means a log dir's meta.properties names another
// broker.
var ErrBrokerIDMismatch = errors.New("broker: broker.id does not match meta.properties")

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

// partitions are the logs of the partitions this broker leads, spread over
// log.dirs: a new partition goes to the dir holding the fewest.
type partitions struct {
	cfg *config.Broker
	log *slog.Logger

	mu     sync.RWMutex
	m      map[plog.TopicPartition]*partition
	where  map[plog.TopicPartition]string // dir of every partition found on disk
	counts map[string]int
}

// openPartitions prepares every log dir: meta.properties is checked (a
// broker.id or cluster.id that differs is an error, as in Kafka) or
// written, and the partition dirs present are noted; their logs open once
// ZooKeeper says the topic exists.
func openPartitions(cfg *config.Broker, id int32, clusterID string, logger *slog.Logger) (*partitions, error) {
	ps := &partitions{cfg: cfg, log: logger, m: map[plog.TopicPartition]*partition{},
		where: map[plog.TopicPartition]string{}, counts: map[string]int{}}
	for _, dir := range cfg.Dirs() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("broker: log dir %s: %w", dir, err)
		}
		mp, ok, err := plog.ReadMetaProperties(dir)
		if err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
		if ok {
			if mp.BrokerID != id {
				return nil, fmt.Errorf("Configured broker.id %d doesn't match stored broker.id Some(%d) in meta.properties in %s: %w",
					id, mp.BrokerID, dir, ErrBrokerIDMismatch)
			}
			if mp.ClusterID != "" && mp.ClusterID != clusterID {
				return nil, fmt.Errorf("The Cluster ID %s doesn't match stored clusterId Some(%s) in meta.properties in %s: %w",
					clusterID, mp.ClusterID, dir, ErrBrokerIDMismatch)
			}
		} else if err := plog.WriteMetaProperties(dir, plog.MetaProperties{BrokerID: id, ClusterID: clusterID}, time.Now()); err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
		ps.counts[dir] = 0
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("broker: reading log dir %s: %w", dir, err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			if tp, ok := plog.ParseTopicPartition(e.Name()); ok {
				ps.where[tp] = dir
				ps.counts[dir]++
			}
		}
	}
	return ps, nil
}

func (ps *partitions) get(topic string, p int32) (*partition, bool) {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	part, ok := ps.m[plog.TopicPartition{Topic: topic, Partition: p}]
	return part, ok
}

// sync opens (creating when missing) the log of every partition of topics
// that this broker leads.
func (ps *partitions) sync(topics map[string]cluster.Topic, me int32) {
	for name, t := range topics {
		for p, st := range t.States {
			if st.Leader != me {
				continue
			}
			tp := plog.TopicPartition{Topic: name, Partition: p}
			if _, ok := ps.get(name, p); ok {
				continue
			}
			if err := ps.open(tp, t.Configs); err != nil {
				ps.log.Error("opening partition log", "partition", tp.Topic+"-"+strconv.Itoa(int(p)), "err", err)
			}
		}
	}
}

func (ps *partitions) open(tp plog.TopicPartition, topicConfigs map[string]string) error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if _, ok := ps.m[tp]; ok {
		return nil
	}
	dir, ok := ps.where[tp]
	if !ok {
		for _, d := range ps.cfg.Dirs() { // fewest partitions wins; ties go to the first listed
			if !ok || ps.counts[d] < ps.counts[dir] {
				dir, ok = d, true
			}
		}
		ps.where[tp] = dir
		ps.counts[dir]++
	}
	l, err := plog.Open(filepath.Join(dir, tp.Topic+"-"+strconv.Itoa(int(tp.Partition))), logConfig(ps.cfg, topicConfigs), ps.log)
	if err != nil {
		return err
	}
	ps.m[tp] = &partition{tp: tp, log: l, notify: make(chan struct{})}
	ps.log.Info("opened partition log", "partition", tp.Topic+"-"+strconv.Itoa(int(tp.Partition)), "dir", dir,
		"logEndOffset", l.LogEndOffset())
	return nil
}

// close flushes and closes every log (clean shutdown: no recovery next
// start).
func (ps *partitions) close() error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var errs []error
	for _, p := range ps.m {
		errs = append(errs, p.log.Close())
	}
	ps.m = map[plog.TopicPartition]*partition{}
	return errors.Join(errs...)
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
