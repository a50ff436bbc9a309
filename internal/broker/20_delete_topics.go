package broker

// DeleteTopics, versions 0–6 (v6: by name or by topic id): on the
// controller, marks each topic for deletion under /admin/delete_topics
// (a topic already marked is waited for again, as Kafka does); the
// controller's deletion loop (deletion.go) then has every broker drop its
// logs of the topic and removes the topic from ZooKeeper. The request
// waits, up to its timeout, until the topics are gone from this broker's
// metadata, and answers REQUEST_TIMED_OUT for those that are not. A broker
// that is not the controller answers NOT_CONTROLLER; with
// delete.topic.enable=false every topic gets TOPIC_DELETION_DISABLED
// (INVALID_REQUEST before v3). Not yet: controller mutation quotas.

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/zkafka/zkafka/internal/broker/cluster"
)

// deletionPoll is how often a DeleteTopics request looks at the metadata
// cache while it waits for its topics to go.
const deletionPoll = 20 * time.Millisecond

func (b *Broker) handleDeleteTopics(ctx context.Context, r *kmsg.DeleteTopicsRequest) *kmsg.DeleteTopicsResponse {
	resp := kmsg.NewPtrDeleteTopicsResponse()
	type entry struct {
		name *string
		id   [16]byte
	}
	var entries []entry
	if r.Version >= 6 {
		for _, t := range r.Topics {
			entries = append(entries, entry{t.Topic, t.TopicID})
		}
	} else {
		for _, n := range r.TopicNames {
			name := n
			entries = append(entries, entry{name: &name})
		}
	}
	answer := func(code func(i int) int16) *kmsg.DeleteTopicsResponse {
		for i, e := range entries {
			rt := kmsg.NewDeleteTopicsResponseTopic()
			rt.Topic, rt.TopicID, rt.ErrorCode = e.name, e.id, code(i)
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	}
	switch {
	case !b.reg.IsController():
		return answer(func(int) int16 { return kerr.NotController.Code })
	case !b.cfg.DeleteTopicEnable:
		code := kerr.TopicDeletionDisabled.Code
		if r.Version < 3 {
			code = kerr.InvalidRequest.Code
		}
		return answer(func(int) int16 { return code })
	}
	for _, e := range entries {
		if e.name != nil && e.id != ([16]byte{}) { // Kafka fails the whole request
			return answer(func(int) int16 { return kerr.InvalidRequest.Code })
		}
	}
	codes := make([]int16, len(entries))
	var waiting []int
	_, topics := b.meta.snapshot()
	for i, e := range entries {
		if e.id != ([16]byte{}) {
			e.name = nil
			for n, t := range topics {
				if t.ID == cluster.UUID(e.id) {
					name := n
					entries[i].name, e.name = &name, &name
					break
				}
			}
			if e.name == nil {
				codes[i] = kerr.UnknownTopicID.Code
				continue
			}
		}
		if e.name == nil {
			codes[i] = kerr.UnknownTopicOrPartition.Code
			continue
		}
		if _, ok := topics[*e.name]; !ok {
			codes[i] = kerr.UnknownTopicOrPartition.Code
			continue
		}
		err := b.reg.MarkTopicForDeletion(ctx, *e.name)
		switch {
		case err == nil:
			b.log.Info("marked topic for deletion", "topic", *e.name)
		case errors.Is(err, cluster.ErrTopicMarkedForDeletion):
			// Wait for it again, as Kafka does.
		case errors.Is(err, cluster.ErrUnknownTopic):
			codes[i] = kerr.UnknownTopicOrPartition.Code
			continue
		default:
			b.log.Error("Error processing delete topic request", "topic", *e.name, "err", err)
			codes[i] = kerr.UnknownServerError.Code
			continue
		}
		waiting = append(waiting, i)
	}
	b.waitTopicsGone(ctx, time.Duration(r.TimeoutMillis)*time.Millisecond, func() []int {
		var left []int
		for _, i := range waiting {
			if _, ok := b.meta.topic(*entries[i].name); ok {
				left = append(left, i)
			}
		}
		waiting = left
		return left
	})
	for _, i := range waiting {
		codes[i] = kerr.RequestTimedOut.Code
	}
	return answer(func(i int) int16 { return codes[i] })
}

// waitTopicsGone polls left until it returns nothing, timeout passes or
// ctx ends; a timeout of zero or less does not wait at all.
func (b *Broker) waitTopicsGone(ctx context.Context, timeout time.Duration, left func() []int) {
	if timeout <= 0 {
		return
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(deletionPoll)
	defer tick.Stop()
	for len(left()) > 0 {
		select {
		case <-tick.C:
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		case <-b.ctx.Done():
			return
		}
	}
}
