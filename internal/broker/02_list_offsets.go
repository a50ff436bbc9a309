package broker

// ListOffsets, versions 0–6: the earliest (-2) and latest (-1) offsets and
// the first offset whose timestamp is at or after a given time. Not yet:
// v7's max-timestamp lookup (-3). Version 0's old-style offset list
// holds one offset. Isolation level is ignored (no transactions yet).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	plog "github.com/zkafka/zkafka/internal/broker/log"
)

func (b *Broker) handleListOffsets(r *kmsg.ListOffsetsRequest) *kmsg.ListOffsetsResponse {
	resp := kmsg.NewPtrListOffsetsResponse()
	for _, t := range r.Topics {
		rt := kmsg.NewListOffsetsResponseTopic()
		rt.Topic = t.Topic
		topic, known := b.meta.topic(t.Topic)
		for _, p := range t.Partitions {
			rp := kmsg.NewListOffsetsResponseTopicPartition()
			rp.Partition = p.Partition
			rp.Timestamp, rp.Offset, rp.LeaderEpoch = -1, -1, -1
			part, ok := b.parts.get(t.Topic, p.Partition)
			if !ok {
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				if known {
					if _, exists := topic.Partitions[p.Partition]; exists {
						rp.ErrorCode = kerr.NotLeaderForPartition.Code
					}
				}
				rt.Partitions = append(rt.Partitions, rp)
				continue
			}
			rp.LeaderEpoch = topic.States[p.Partition].LeaderEpoch
			switch p.Timestamp {
			case -1:
				rp.Offset = part.log.LogEndOffset()
			case -2:
				rp.Offset = part.log.LogStartOffset()
			default:
				ot, found, err := part.log.OffsetForTimestamp(p.Timestamp)
				switch {
				case err != nil:
					rp.ErrorCode = plog.ErrorCode(err)
				case found:
					rp.Offset, rp.Timestamp = ot.Offset, ot.Timestamp
				}
			}
			if r.Version == 0 {
				rp.OldStyleOffsets = []int64{rp.Offset}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
