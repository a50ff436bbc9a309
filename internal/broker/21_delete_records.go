package broker

// DeleteRecords, versions 0–2: advances each partition's log start offset
// to the offset given (-1: the high watermark); segments wholly below it
// are deleted at once and the new start offset is checkpointed. An offset
// beyond the high watermark is OFFSET_OUT_OF_RANGE; one at or below the
// current start changes nothing. The answer's low watermark is the log
// start offset afterwards. A partition this broker does not lead is
// NOT_LEADER_OR_FOLLOWER; a topic whose cleanup.policy lacks delete is
// POLICY_VIOLATION. With one replica per partition the request never waits
// for followers.

import (
	"errors"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	plog "github.com/zkafka/zkafka/internal/broker/log"
)

func (b *Broker) handleDeleteRecords(r *kmsg.DeleteRecordsRequest) *kmsg.DeleteRecordsResponse {
	resp := kmsg.NewPtrDeleteRecordsResponse()
	for _, t := range r.Topics {
		rt := kmsg.NewDeleteRecordsResponseTopic()
		rt.Topic = t.Topic
		topic, known := b.meta.topic(t.Topic)
		for _, p := range t.Partitions {
			rp := kmsg.NewDeleteRecordsResponseTopicPartition()
			rp.Partition, rp.LowWatermark = p.Partition, -1
			_, exists := topic.Partitions[p.Partition]
			part, served := b.parts.get(t.Topic, p.Partition)
			switch {
			case !known || !exists:
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case !served:
				rp.ErrorCode = kerr.NotLeaderForPartition.Code
			case !hasDeletePolicy(part.log.Config().CleanupPolicy):
				rp.ErrorCode = kerr.PolicyViolation.Code
			case p.Offset < -1:
				rp.ErrorCode = kerr.OffsetOutOfRange.Code
			default:
				err := part.log.DeleteRecordsBefore(p.Offset)
				switch {
				case err == nil:
					rp.LowWatermark = part.log.LogStartOffset()
					b.log.Info("deleted records", "partition", t.Topic+"-"+strconv.Itoa(int(p.Partition)), "logStartOffset", rp.LowWatermark)
				case errors.Is(err, plog.ErrOffsetOutOfRange):
					rp.ErrorCode = kerr.OffsetOutOfRange.Code
				default:
					rp.ErrorCode = plog.ErrorCode(err)
				}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// hasDeletePolicy reports whether a cleanup.policy list holds delete.
func hasDeletePolicy(policy string) bool {
	for _, p := range strings.Split(policy, ",") {
		if strings.TrimSpace(p) == plog.CleanupDelete {
			return true
		}
	}
	return false
}
