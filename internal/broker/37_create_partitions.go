package broker

// CreatePartitions, versions 0–3: on the controller, raises a topic's
// partition count. The new partitions get the replicas given or, as
// Kafka's AdminZkClient assigns them, replicas spread over the live
// brokers continuing from partition 0's first replica, with partition 0's
// replication factor; they are written to ZooKeeper with their partition
// states in one transaction. validateOnly checks without writing. A count
// that is not an increase is INVALID_PARTITIONS; a topic marked for
// deletion INVALID_TOPIC_EXCEPTION; a broker that is not the controller
// answers NOT_CONTROLLER. Other brokers learn of the new partitions
// through a topic config change notification (the unchanged config
// written again), since zkafka has no LeaderAndIsr requests yet. Not yet:
// controller mutation quotas.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/zkafka/zkafka/internal/broker/admin"
	"github.com/zkafka/zkafka/internal/broker/cluster"
)

func (b *Broker) handleCreatePartitions(ctx context.Context, r *kmsg.CreatePartitionsRequest) *kmsg.CreatePartitionsResponse {
	resp := kmsg.NewPtrCreatePartitionsResponse()
	count := map[string]int{}
	for _, t := range r.Topics {
		count[t.Topic]++
	}
	controller := b.reg.IsController()
	for _, t := range r.Topics {
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = t.Topic
		var code int16
		var msg string
		switch {
		case !controller:
			code = kerr.NotController.Code
		case count[t.Topic] > 1:
			code, msg = kerr.InvalidRequest.Code, "Duplicate topic in request."
		default:
			code, msg = b.createPartitions(ctx, t, r.ValidateOnly)
			if code == 0 && !r.ValidateOnly && r.TimeoutMillis <= 0 {
				code = kerr.RequestTimedOut.Code // done, but not waited for: Kafka's answer
			}
		}
		rt.ErrorCode = code
		if msg != "" {
			m := msg
			rt.ErrorMessage = &m
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// createPartitions adds one topic's partitions (ZkAdminManager.createPartitions).
func (b *Broker) createPartitions(ctx context.Context, t kmsg.CreatePartitionsRequestTopic, validateOnly bool) (int16, string) {
	topic, err := b.reg.ReadTopic(ctx, t.Topic)
	switch {
	case errors.Is(err, cluster.ErrUnknownTopic):
		return kerr.UnknownTopicOrPartition.Code, fmt.Sprintf("The topic '%s' does not exist.", t.Topic)
	case err != nil:
		return kerr.UnknownServerError.Code, err.Error()
	case topic.MarkedForDeletion:
		return kerr.InvalidTopicException.Code, "The topic is queued for deletion."
	}
	for _, a := range topic.Partitions {
		if len(a.AddingReplicas) > 0 || len(a.RemovingReplicas) > 0 {
			return kerr.ReassignmentInProgress.Code, fmt.Sprintf("A partition reassignment is in progress for the topic '%s'.", t.Topic)
		}
	}
	existing := int32(len(topic.Partitions))
	add := t.Count - existing
	switch {
	case add < 0:
		return kerr.InvalidPartitions.Code, fmt.Sprintf("Topic currently has %d partitions, which is higher than the requested %d.", existing, t.Count)
	case add == 0:
		return kerr.InvalidPartitions.Code, fmt.Sprintf("Topic already has %d partitions.", existing)
	}
	p0, ok := topic.Partitions[0]
	if !ok || len(p0.Replicas) == 0 {
		return kerr.UnknownServerError.Code, fmt.Sprintf("Unexpected existing replica assignment for topic '%s', partition id 0 is missing.", t.Topic)
	}
	live := b.meta.brokerIDs()
	slices.Sort(live)
	assignment := make(map[int32][]int32, add)
	if t.Assignment != nil {
		var unknown []string
		for _, a := range t.Assignment {
			for _, id := range a.Replicas {
				s := fmt.Sprint(id)
				if !slices.Contains(live, id) && !slices.Contains(unknown, s) {
					unknown = append(unknown, s)
				}
			}
		}
		if len(unknown) > 0 {
			return kerr.InvalidReplicaAssignment.Code, "Unknown broker(s) in replica assignment: " + strings.Join(unknown, ", ") + "."
		}
		if int32(len(t.Assignment)) != add {
			return kerr.InvalidReplicaAssignment.Code, fmt.Sprintf("Increasing the number of partitions by %d but %d assignments provided.", add, len(t.Assignment))
		}
		var badParts, badRFs []string
		for i, a := range t.Assignment {
			p := existing + int32(i)
			if len(a.Replicas) == 0 {
				return kerr.InvalidReplicaAssignment.Code, fmt.Sprintf("Cannot have replication factor of 0 for partition id %d.", p)
			}
			if hasDuplicateIDs(a.Replicas) {
				return kerr.InvalidReplicaAssignment.Code, fmt.Sprintf("Duplicate brokers not allowed in replica assignment: %s for partition id %d.", joinIDs(a.Replicas), p)
			}
			if len(a.Replicas) != len(p0.Replicas) {
				badParts = append(badParts, fmt.Sprint(p))
				badRFs = append(badRFs, fmt.Sprint(len(a.Replicas)))
			}
			assignment[p] = slices.Clone(a.Replicas)
		}
		if len(badParts) > 0 {
			return kerr.InvalidReplicaAssignment.Code, fmt.Sprintf("Inconsistent replication factor between partitions, partition 0 has %d while partitions [%s] have replication factors [%s], respectively.",
				len(p0.Replicas), strings.Join(badParts, ", "), strings.Join(badRFs, ", "))
		}
	} else {
		// Continue from partition 0's first replica, as Kafka does.
		start := max(0, slices.IndexFunc(live, func(id int32) bool { return id >= p0.Replicas[0] }))
		all, err := admin.Assign(live, existing+add, int16(len(p0.Replicas)), start, start)
		if err != nil {
			return errCode(err), err.Error()
		}
		for p := existing; p < existing+add; p++ {
			assignment[p] = all[p]
		}
	}
	if validateOnly {
		return 0, ""
	}
	updated, err := b.reg.AddPartitions(ctx, t.Topic, existing, assignment)
	switch {
	case errors.Is(err, cluster.ErrUnknownTopic):
		return kerr.UnknownTopicOrPartition.Code, fmt.Sprintf("The topic '%s' does not exist.", t.Topic)
	case errors.Is(err, cluster.ErrTopicMarkedForDeletion):
		return kerr.InvalidTopicException.Code, "The topic is queued for deletion."
	case errors.Is(err, cluster.ErrStaleState):
		return kerr.InvalidPartitions.Code, err.Error()
	case err != nil:
		return kerr.UnknownServerError.Code, err.Error()
	}
	b.log.Info(fmt.Sprintf("Creating %d partitions for '%s' with the following replica assignment: %v.", add, t.Topic, assignment))
	b.meta.putTopic(updated)
	b.parts.sync(map[string]cluster.Topic{t.Topic: updated}, b.id)
	// Tell the other brokers, which watch config changes.
	if err := b.reg.SetTopicConfig(ctx, t.Topic, updated.Configs); err != nil {
		b.log.Warn("notifying brokers of new partitions", "topic", t.Topic, "err", err)
	}
	return 0, ""
}

func hasDuplicateIDs(ids []int32) bool {
	for i, id := range ids {
		if slices.Contains(ids[i+1:], id) {
			return true
		}
	}
	return false
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ", ")
}
