package broker

// OffsetForLeaderEpoch, versions 0–4: for each partition this broker
// leads, the largest leader epoch at or below the one asked for that the
// log knows and the offset where it ended (the log end offset for the
// current epoch), from the leader epoch cache; (-1, -1) for an epoch the
// log does not know. A current leader epoch given (v2+) that is older than
// the partition's is FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH.
// Consumers use it to detect truncation after a leader change (KIP-320);
// followers (the replica id of v3+) will once replication lands.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (b *Broker) handleOffsetForLeaderEpoch(r *kmsg.OffsetForLeaderEpochRequest) *kmsg.OffsetForLeaderEpochResponse {
	resp := kmsg.NewPtrOffsetForLeaderEpochResponse()
	for _, t := range r.Topics {
		rt := kmsg.NewOffsetForLeaderEpochResponseTopic()
		rt.Topic = t.Topic
		topic, known := b.meta.topic(t.Topic)
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			rp.Partition, rp.LeaderEpoch, rp.EndOffset = p.Partition, -1, -1
			_, exists := topic.Partitions[p.Partition]
			part, served := b.parts.get(t.Topic, p.Partition)
			current := topic.States[p.Partition].LeaderEpoch
			switch {
			case !served && known && exists:
				rp.ErrorCode = kerr.NotLeaderForPartition.Code
			case !served:
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case r.Version >= 2 && p.CurrentLeaderEpoch != -1 && p.CurrentLeaderEpoch < current:
				rp.ErrorCode = kerr.FencedLeaderEpoch.Code
			case r.Version >= 2 && p.CurrentLeaderEpoch != -1 && p.CurrentLeaderEpoch > current:
				rp.ErrorCode = kerr.UnknownLeaderEpoch.Code
			default:
				if epoch, end := part.log.EndOffsetForEpoch(p.LeaderEpoch); end >= 0 {
					rp.LeaderEpoch, rp.EndOffset = epoch, end
				}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
