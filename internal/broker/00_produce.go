package broker

// Produce, versions 3–9: each partition's record batches are validated and
// appended to its log (the broker rewrites only base offset and leader
// epoch). acks=0 gets no response; acks=1 and acks=-1 are answered once the
// batches are in the log (one replica: the ISR is the leader). A produce to
// a topic that does not exist creates it when auto.create.topics.enable
// allows, answering UNKNOWN_TOPIC_OR_PARTITION meanwhile so the client
// retries. Not yet: transactions and idempotent-producer sequence checks.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	plog "github.com/zkafka/zkafka/internal/broker/log"
)

func (b *Broker) handleProduce(ctx context.Context, r *kmsg.ProduceRequest) kmsg.Response {
	resp := kmsg.NewPtrProduceResponse()
	now := time.Now()
	for _, t := range r.Topics {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic = t.Topic
		topic, known := b.meta.topic(t.Topic)
		for _, p := range t.Partitions {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition = p.Partition
			rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = -1, -1, -1
			part, ok := b.parts.get(t.Topic, p.Partition)
			switch {
			case ok:
				epoch := topic.States[p.Partition].LeaderEpoch
				res, err := part.log.Append(p.Records, epoch, now)
				rp.ErrorCode = plog.ErrorCode(err)
				if err == nil {
					rp.BaseOffset, rp.LogAppendTime, rp.LogStartOffset = res.BaseOffset, res.LogAppendTime, res.LogStartOffset
					part.appended()
				} else {
					msg := err.Error()
					rp.ErrorMessage = &msg
				}
			case known:
				if _, exists := topic.Partitions[p.Partition]; exists {
					rp.ErrorCode = kerr.NotLeaderForPartition.Code
				} else {
					rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				}
			default:
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				if b.cfg.AutoCreateTopicsEnable {
					b.autoCreate(ctx, t.Topic)
				}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if r.Acks == 0 {
		return nil
	}
	return resp
}
