package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-zookeeper/zk"
)

// AddPartitions adds partitions to an existing topic, as Kafka's
// AdminZkClient.createPartitionsWithAssignment followed by the controller's
// onNewPartitionCreation: in one transaction the topic node gets the new
// assignment (written only if the node is still at the version read, and
// only while the topic has exactly existing partitions) and every new
// partition its state node, whose leader is the first live replica and
// whose ISR the live replicas. add maps each new partition (existing,
// existing+1, ...) to its replicas. It fails with ErrUnknownTopic when the
// topic is gone, ErrTopicMarkedForDeletion when it is being deleted,
// ErrInvalidAssignment for partitions that are not the next ones, and
// ErrStaleState when the topic no longer has existing partitions.
func (r *Registry) AddPartitions(ctx context.Context, topic string, existing int32, add map[int32][]int32) (Topic, error) {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	if len(add) == 0 {
		return Topic{}, fmt.Errorf("%w: no partitions to add to topic %s", ErrInvalidAssignment, topic)
	}
	for p := existing; p < existing+int32(len(add)); p++ {
		if _, ok := add[p]; !ok {
			return Topic{}, fmt.Errorf("%w: new partitions of %s must follow partition %d", ErrInvalidAssignment, topic, existing-1)
		}
	}
	for attempt := 0; ; attempt++ {
		data, stat, err := r.s.get(ctx, TopicPath(topic))
		if errors.Is(err, zk.ErrNoNode) {
			return Topic{}, fmt.Errorf("%w: topic %s", ErrUnknownTopic, topic)
		}
		if err != nil {
			return Topic{}, err
		}
		if marked, _, err := r.s.exists(ctx, DeleteTopicPath(topic)); err != nil {
			return Topic{}, err
		} else if marked {
			return Topic{}, fmt.Errorf("%w: topic %s", ErrTopicMarkedForDeletion, topic)
		}
		a, err := DecodeTopicAssignment(topic, data)
		if err != nil {
			return Topic{}, fmt.Errorf("cluster: %s: %w", TopicPath(topic), err)
		}
		if int32(len(a.Partitions)) != existing {
			return Topic{}, fmt.Errorf("%w: topic %s has %d partitions, not %d", ErrStaleState, topic, len(a.Partitions), existing)
		}
		brokers, err := r.s.children(ctx, BrokerIDsPath)
		if err != nil {
			return Topic{}, err
		}
		live := map[int32]bool{}
		for _, b := range brokers {
			if id, err := strconv.ParseInt(b, 10, 32); err == nil {
				live[int32(id)] = true
			}
		}
		ctrlEpoch, _ := r.ControllerEpoch()
		if !r.IsController() {
			if e, _, err := r.readControllerEpoch(ctx); err == nil {
				ctrlEpoch = e
			}
		}
		next := TopicAssignment{Topic: topic, ID: a.ID, Partitions: make(map[int32]ReplicaAssignment, len(a.Partitions)+len(add))}
		for p, ra := range a.Partitions {
			next.Partitions[p] = ra
		}
		states := map[int32]PartitionState{}
		ops := []any{&zk.SetDataRequest{Path: TopicPath(topic), Data: nil, Version: stat.Version}}
		if _, err := r.s.children(ctx, TopicPartitionsPath(topic)); errors.Is(err, zk.ErrNoNode) {
			ops = append(ops, &zk.CreateRequest{Path: TopicPartitionsPath(topic)})
		} else if err != nil {
			return Topic{}, err
		}
		for p := existing; p < existing+int32(len(add)); p++ {
			reps := slices.Clone(add[p])
			next.Partitions[p] = ReplicaAssignment{Replicas: reps}
			st := PartitionState{Leader: NoLeader, ISR: []int32{}, ControllerEpoch: ctrlEpoch}
			for _, b := range reps {
				if live[b] {
					if st.Leader == NoLeader {
						st.Leader = b
					}
					st.ISR = append(st.ISR, b)
				}
			}
			states[p] = st
			ops = append(ops,
				&zk.CreateRequest{Path: PartitionPath(topic, p)},
				&zk.CreateRequest{Path: PartitionStatePath(topic, p), Data: EncodePartitionState(st)})
		}
		enc := EncodeTopicAssignment(next)
		ops[0].(*zk.SetDataRequest).Data = enc
		_, retried, err := r.s.multi(ctx, ops...)
		switch {
		case err == nil:
		case (errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNodeExists)) && retried:
			// Maybe our own attempt whose reply was lost.
			if cur, _, gerr := r.s.get(ctx, TopicPath(topic)); gerr == nil && bytes.Equal(cur, enc) {
				break
			}
			if attempt < 3 {
				continue
			}
			return Topic{}, fmt.Errorf("cluster: adding partitions to %s: %w", topic, err)
		case errors.Is(err, zk.ErrBadVersion) && attempt < 3:
			continue // the topic node changed meanwhile: read it again
		case errors.Is(err, zk.ErrNoNode):
			return Topic{}, fmt.Errorf("%w: topic %s", ErrUnknownTopic, topic)
		default:
			return Topic{}, fmt.Errorf("cluster: adding partitions to %s: %w", topic, err)
		}
		r.log.Info("added partitions", "topic", topic, "from", existing, "to", existing+int32(len(add)))
		t, err := r.ReadTopic(ctx, topic)
		if err != nil {
			return Topic{}, err
		}
		return t, nil
	}
}

// ReadTopicConfig reads a topic's config overrides from
// /config/topics/<topic> (empty when the node is missing).
func (r *Registry) ReadTopicConfig(ctx context.Context, topic string) (map[string]string, error) {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	data, _, err := r.s.get(ctx, TopicConfigPath(topic))
	if errors.Is(err, zk.ErrNoNode) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := DecodeEntityConfig(data)
	if err != nil {
		return nil, fmt.Errorf("cluster: %s: %w", TopicConfigPath(topic), err)
	}
	return c, nil
}

// WatchConfigChanges delivers the sorted names of the config change
// notifications under /config/changes ("config_change_0000000042"), as
// WatchTopics does: the current list at once, then the list after every
// change. Kafka's brokers follow it to apply config changes (ZkConfigManager).
func (r *Registry) WatchConfigChanges(ctx context.Context) (<-chan []string, error) {
	return watchChildren(ctx, r, ConfigChangesPath, func(_ context.Context, kids []string) ([]string, error) {
		out := kids[:0]
		for _, k := range kids {
			if strings.HasPrefix(k, ConfigChangePrefix) {
				out = append(out, k)
			}
		}
		return out, nil
	})
}

// ReadConfigChange reads one notification named by WatchConfigChanges (an
// error wrapping zk.ErrNoNode when it was removed meanwhile).
func (r *Registry) ReadConfigChange(ctx context.Context, name string) (ConfigChange, error) {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	data, _, err := r.s.get(ctx, ConfigChangesPath+"/"+name)
	if err != nil {
		return ConfigChange{}, err
	}
	c, err := DecodeConfigChange(data)
	if err != nil {
		return c, fmt.Errorf("cluster: %s/%s: %w", ConfigChangesPath, name, err)
	}
	return c, nil
}

// ConfigChangeSequence returns the sequence number of a notification name
// ("config_change_0000000042" is 42); false for other names.
func ConfigChangeSequence(name string) (int64, bool) {
	s, ok := strings.CutPrefix(name, ConfigChangePrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
