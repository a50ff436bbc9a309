package broker

// CreateTopics, versions 0–7: validates names, partition counts,
// replication factors and configs, assigns replicas as Kafka does, and
// writes the topic to ZooKeeper (assignment, config, partition states) in
// one transaction; validateOnly checks without writing. This broker
// serves replication factor 1 only: a larger one is refused with
// INVALID_REPLICATION_FACTOR until replication lands.

import (
	"context"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/zkafka/zkafka/internal/broker/admin"
	"github.com/zkafka/zkafka/internal/broker/cluster"
)

func (b *Broker) handleCreateTopics(ctx context.Context, r *kmsg.CreateTopicsRequest) *kmsg.CreateTopicsResponse {
	resp := kmsg.NewPtrCreateTopicsResponse()
	for _, t := range r.Topics {
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = t.Topic
		configs := map[string]string{}
		for _, c := range t.Configs {
			if c.Value != nil {
				configs[c.Name] = *c.Value
			}
		}
		var assignment map[int32][]int32
		if len(t.ReplicaAssignment) > 0 {
			assignment = map[int32][]int32{}
			for _, a := range t.ReplicaAssignment {
				assignment[a.Partition] = a.Replicas
			}
		}
		code, msg := b.createTopic(ctx, t.Topic, t.NumPartitions, t.ReplicationFactor, assignment, configs, r.ValidateOnly)
		rt.ErrorCode = code
		if msg != "" && r.Version >= 1 {
			m := msg
			rt.ErrorMessage = &m
		}
		if code == 0 {
			n, rf := t.NumPartitions, t.ReplicationFactor
			if n < 0 {
				n = int32(b.cfg.NumPartitions)
			}
			if rf < 0 {
				rf = int16(b.cfg.DefaultReplicationFactor)
			}
			if assignment != nil {
				n, rf = int32(len(assignment)), int16(len(assignment[0]))
			}
			rt.NumPartitions, rt.ReplicationFactor = n, rf
			if topic, ok := b.meta.topic(t.Topic); ok {
				rt.TopicID = topic.ID
			}
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// createTopic creates (or, with validateOnly, checks) one topic and returns
// Kafka's error code and message.
func (b *Broker) createTopic(ctx context.Context, name string, partitions int32, rf int16,
	assignment map[int32][]int32, configs map[string]string, validateOnly bool) (int16, string) {
	if err := cluster.ValidateTopicName(name); err != nil {
		return kerr.InvalidTopicException.Code, err.Error()
	}
	if _, exists := b.meta.topic(name); exists {
		return kerr.TopicAlreadyExists.Code, fmt.Sprintf("Topic '%s' already exists.", name)
	}
	if assignment == nil {
		if partitions == -1 {
			partitions = int32(b.cfg.NumPartitions)
		}
		if rf == -1 {
			rf = int16(b.cfg.DefaultReplicationFactor)
		}
		if rf > 1 {
			return kerr.InvalidReplicationFactor.Code, "replication factor " + strconv.Itoa(int(rf)) +
				" is not served yet: this broker keeps one replica per partition"
		}
		b.rndMu.Lock()
		start, shift := b.rnd.IntN(1<<20), b.rnd.IntN(1<<20)
		b.rndMu.Unlock()
		a, err := admin.Assign(b.meta.brokerIDs(), partitions, rf, start, shift)
		if err != nil {
			return errCode(err), err.Error()
		}
		assignment = make(map[int32][]int32, len(a))
		for p, reps := range a {
			assignment[int32(p)] = reps
		}
	} else if partitions != -1 || rf != -1 {
		return kerr.InvalidRequest.Code, "Both numPartitions or replicationFactor and replicasAssignment were set. Both cannot be used at the same time."
	}
	if code, msg := validateTopicConfigs(configs); code != 0 {
		return code, msg
	}
	if validateOnly {
		return 0, ""
	}
	var id cluster.UUID
	b.rndMu.Lock()
	for i := range id {
		id[i] = byte(b.rnd.IntN(256))
	}
	b.rndMu.Unlock()
	if _, err := b.reg.CreateTopic(ctx, cluster.NewTopic{Name: name, ID: id, Assignment: assignment, Configs: configs}); err != nil {
		return errCode(err), err.Error()
	}
	b.log.Info("created topic", "topic", name, "partitions", len(assignment))
	b.refreshTopic(ctx, name)
	return 0, ""
}

// validateTopicConfigs checks names and values against Kafka's topic
// configs (topicconfig.go), as CreateTopics does.
func validateTopicConfigs(configs map[string]string) (int16, string) {
	if _, err := validateTopicConfig(configs); err != nil {
		return err.code, err.msg
	}
	return 0, ""
}
