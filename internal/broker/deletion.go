package broker

// Topic deletion, config change notifications and the local logs that
// follow them.
//
// Kafka deletes a topic in steps: DeleteTopics creates
// /admin/delete_topics/<topic>; the controller sees it, tells every live
// replica to stop and delete its log (the log dir is renamed to
// <topic>-<p>.<uuid>-delete and then removed), and, once they all did,
// deletes the topic's z-nodes and the mark. A replica on a dead broker
// makes the topic ineligible until that broker returns. zkafka has no
// controller-to-broker requests yet, so every broker watches the marks
// itself and drops its logs of marked topics, and the controller removes a
// marked topic from ZooKeeper once all of its replicas are on live
// brokers. A broker that missed the mark (it was down, or the watch
// coalesced) drops its logs when the topic leaves /brokers/topics (checked
// again in ZooKeeper before anything is deleted) or comes back with another
// topic id than its partition.metadata records.
//
// Config changes follow Kafka's notifications: every broker watches
// /config/changes and, for each new config_change_<seq> naming a topic,
// re-reads the topic and applies its configs to its logs of it.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/zkafka/zkafka/internal/broker/cluster"
	plog "github.com/zkafka/zkafka/internal/broker/log"
	"github.com/zkafka/zkafka/internal/config"
)

// deletionRetry is how often pending deletions are looked at again (the
// controller may have moved, a replica's broker may have come back).
const deletionRetry = 500 * time.Millisecond

// watchAdmin starts the goroutine that carries out topic deletions and
// applies config change notifications. watchCluster calls it once the
// first topic list was read.
func (b *Broker) watchAdmin() error {
	dels, err := b.reg.WatchTopicDeletions(b.ctx)
	if err != nil {
		return fmt.Errorf("broker: watching topic deletions: %w", err)
	}
	changes, err := b.reg.WatchConfigChanges(b.ctx)
	if err != nil {
		return fmt.Errorf("broker: watching config changes: %w", err)
	}
	// The notifications present now were made before the topics were read.
	var last int64 = -1
	select {
	case names := <-changes:
		for _, n := range names {
			if seq, ok := cluster.ConfigChangeSequence(n); ok {
				last = max(last, seq)
			}
		}
	case <-b.ctx.Done():
		return nil
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		retry := time.NewTicker(deletionRetry)
		defer retry.Stop()
		var pending []string
		for {
			select {
			case names, ok := <-dels:
				if !ok {
					return
				}
				pending = names
				pending = b.processDeletions(pending)
			case names, ok := <-changes:
				if !ok {
					return
				}
				last = b.processConfigChanges(names, last)
			case <-retry.C:
				if len(pending) > 0 {
					pending = b.processDeletions(pending)
				}
			case <-b.ctx.Done():
				return
			}
		}
	}()
	return nil
}

// processDeletions works on the topics marked for deletion and returns
// those still marked: this broker drops its logs of each, and the
// controller removes each whose replicas are all on live brokers.
func (b *Broker) processDeletions(marked []string) []string {
	if !b.cfg.DeleteTopicEnable {
		return nil // Kafka's controller leaves the marks alone too
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	var left []string
	for _, name := range marked {
		b.parts.dropTopic(name, "topic marked for deletion")
		if !b.reg.IsController() {
			left = append(left, name)
			continue
		}
		t, err := b.reg.ReadTopic(ctx, name)
		if err != nil && !errors.Is(err, cluster.ErrUnknownTopic) {
			b.log.Warn("reading a topic marked for deletion", "topic", name, "err", err)
			left = append(left, name)
			continue
		}
		if err == nil {
			live := b.meta.brokerIDs()
			var offline []int32
			for _, a := range t.Partitions {
				for _, r := range a.Replicas {
					if !slices.Contains(live, r) && !slices.Contains(offline, r) {
						offline = append(offline, r)
					}
				}
			}
			if len(offline) > 0 {
				b.log.Debug("topic deletion waits for replicas on offline brokers", "topic", name, "brokers", fmt.Sprint(offline))
				left = append(left, name)
				continue
			}
		}
		if err := b.reg.CompleteTopicDeletion(ctx, name); err != nil {
			b.log.Warn("completing topic deletion", "topic", name, "err", err)
			left = append(left, name)
			continue
		}
		b.log.Info(fmt.Sprintf("Deletion of topic %s successfully completed", name))
	}
	return left
}

// processConfigChanges applies the notifications after sequence last and
// returns the last one seen.
func (b *Broker) processConfigChanges(names []string, last int64) int64 {
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	for _, n := range names {
		seq, ok := cluster.ConfigChangeSequence(n)
		if !ok || seq <= last {
			continue
		}
		last = seq
		c, err := b.reg.ReadConfigChange(ctx, n)
		if err != nil {
			b.log.Debug("skipping config change notification", "name", n, "err", err)
			continue
		}
		if c.EntityType == cluster.ConfigTypeTopic {
			b.applyTopicConfig(ctx, c.EntityName)
		}
	}
	return last
}

// syncPartitions is syncTopics' step for the local logs: it drops the logs
// of topics that are gone, marked for deletion or back with another topic
// id, opens those of partitions this broker leads, and records topic ids
// in partition.metadata as Kafka does.
func (b *Broker) syncPartitions(names []string, topics map[string]cluster.Topic) {
	listed := make(map[string]bool, len(names))
	for _, n := range names {
		listed[n] = true
	}
	open := make(map[string]cluster.Topic, len(topics))
	for n, t := range topics {
		if !(t.MarkedForDeletion && b.cfg.DeleteTopicEnable) {
			open[n] = t
		}
	}
	gone := map[string]bool{} // unlisted topics, checked again: the list may predate a create
	for _, lp := range b.parts.local() {
		t, known := topics[lp.tp.Topic]
		if !listed[lp.tp.Topic] {
			isGone, checked := gone[lp.tp.Topic]
			if !checked {
				isGone = b.topicGone(lp.tp.Topic)
				gone[lp.tp.Topic] = isGone
			}
			if isGone {
				b.parts.drop(lp.tp, "topic deleted")
			}
			continue
		}
		switch {
		case known && t.MarkedForDeletion && b.cfg.DeleteTopicEnable:
			b.parts.drop(lp.tp, "topic marked for deletion")
		case known && !t.ID.IsZero() && lp.hasID && lp.id != [16]byte(t.ID):
			b.parts.drop(lp.tp, "topic recreated with topic id "+t.ID.String())
		}
	}
	// The topics were read one by one, and this broker may have changed
	// some meanwhile (CreatePartitions, AlterConfigs): a topic whose served
	// logs are newer than what was read is read again, so neither the
	// metadata cache nor the logs go back to the older state.
	served := b.parts.servedByTopic()
	for n, t := range open {
		if !newerThan(b.cfg, served[n], t) {
			continue
		}
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		fresh, err := b.reg.ReadTopic(ctx, n)
		cancel()
		if err == nil && !(fresh.MarkedForDeletion && b.cfg.DeleteTopicEnable) {
			b.meta.putTopic(fresh)
			open[n] = fresh
		}
	}
	b.parts.sync(open, b.id)
	for n, t := range open {
		if t.ID.IsZero() {
			continue
		}
		for p := range t.Partitions {
			if part, ok := b.parts.get(n, p); ok {
				if _, has := part.log.TopicID(); !has {
					if err := part.log.SetTopicID([16]byte(t.ID)); err != nil {
						b.log.Warn("recording topic id", "partition", n+"-"+strconv.Itoa(int(p)), "err", err)
					}
				}
			}
		}
	}
}

// topicGone reports whether ZooKeeper says the topic does not exist.
func (b *Broker) topicGone(name string) bool {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	_, err := b.reg.ReadTopic(ctx, name)
	return errors.Is(err, cluster.ErrUnknownTopic)
}

// localPartition is a partition with a log on this broker.
type localPartition struct {
	tp     plog.TopicPartition
	served bool
	id     [16]byte
	hasID  bool
}

// local lists the partitions with a log on this broker, served or not
// (the log manager opens every log found in log.dirs), with the topic id
// their partition.metadata records.
func (ps *partitions) local() []localPartition {
	logs := ps.mgr.Logs()
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	out := make([]localPartition, 0, len(logs))
	for _, l := range logs {
		lp := localPartition{tp: l.TopicPartition()}
		_, lp.served = ps.m[lp.tp]
		lp.id, lp.hasID = l.TopicID()
		out = append(out, lp)
	}
	return out
}

// servedByTopic returns the partitions this broker serves, by topic.
func (ps *partitions) servedByTopic() map[string][]*partition {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	out := map[string][]*partition{}
	for tp, p := range ps.m {
		out[tp.Topic] = append(out[tp.Topic], p)
	}
	return out
}

// newerThan reports whether served (a topic's served partitions) holds a
// partition that t does not have, or one with other configs than t's.
func newerThan(cfg *config.Broker, served []*partition, t cluster.Topic) bool {
	if len(served) == 0 {
		return false
	}
	want := logConfig(cfg, t.Configs)
	for _, p := range served {
		if _, ok := t.Partitions[p.tp.Partition]; !ok || p.log.Config() != want {
			return true
		}
	}
	return false
}

// dropTopic drops every local log of a topic.
func (ps *partitions) dropTopic(topic, why string) {
	for _, lp := range ps.local() {
		if lp.tp.Topic == topic {
			ps.drop(lp.tp, why)
		}
	}
}

// drop stops serving a partition and deletes its log as Kafka does (the
// log manager renames its dir to <topic>-<p>.<uuid>-delete, so a crash
// midway leaves a name removed at the next start, then removes it).
// Fetches waiting on it wake and find it gone. ps.mu is held throughout
// so that serve cannot reopen the dir meanwhile.
func (ps *partitions) drop(tp plog.TopicPartition, why string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if _, ok := ps.mgr.Get(tp.Topic, tp.Partition); !ok {
		return
	}
	p, served := ps.m[tp]
	delete(ps.m, tp)
	ps.log.Info("deleting log", "partition", tp.String(), "reason", why)
	if err := ps.mgr.Remove(tp.Topic, tp.Partition); err != nil {
		ps.log.Error("deleting log", "partition", tp.String(), "err", err)
	}
	if served {
		p.appended() // wake long-polling fetches
	}
}
