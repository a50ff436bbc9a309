package broker

// Fetch, versions 4–12: reads record batches straight from the segment
// files (no decoding), at least one batch for the first partition with
// data even past the byte limits (KIP-74), honouring max bytes overall and
// per partition. When less than min bytes are there, the request waits up
// to max wait and wakes as soon as any of its partitions gets an append.
// Fetch sessions (KIP-227) are not kept: every response is a full one with
// session id 0, which clients accept. Not yet: v13+ (topic ids),
// read_committed isolation (the last stable offset is the high watermark).

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	plog "github.com/zkafka/zkafka/internal/broker/log"
	"github.com/zkafka/zkafka/internal/broker/wire"
)

func (b *Broker) handleFetch(ctx context.Context, r *kmsg.FetchRequest) *kmsg.FetchResponse {
	var deadline <-chan time.Time
	if r.MaxWaitMillis > 0 {
		t := time.NewTimer(time.Duration(r.MaxWaitMillis) * time.Millisecond)
		defer t.Stop()
		deadline = t.C
	}
	for {
		// Take the wake-up channels before reading, so an append between
		// the read and the wait is not missed.
		var waits []<-chan struct{}
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				if part, ok := b.parts.get(t.Topic, p.Partition); ok {
					waits = append(waits, part.wait())
				}
			}
		}
		resp, size := b.fetchOnce(ctx, r)
		if size >= int(r.MinBytes) || deadline == nil || len(waits) == 0 {
			return resp
		}
		if !waitAny(ctx, deadline, waits) {
			resp, _ = b.fetchOnce(ctx, r)
			return resp
		}
	}
}

// waitAny blocks until one channel is closed (true) or the deadline or ctx
// ends (false).
func waitAny(ctx context.Context, deadline <-chan time.Time, waits []<-chan struct{}) bool {
	woke := make(chan struct{})
	stop := make(chan struct{})
	defer close(stop)
	for _, w := range waits {
		go func(w <-chan struct{}) {
			select {
			case <-w:
				select {
				case woke <- struct{}{}:
				case <-stop:
				}
			case <-stop:
			}
		}(w)
	}
	select {
	case <-woke:
		return true
	case <-deadline:
		return false
	case <-ctx.Done():
		return false
	}
}

// fetchOnce reads what r asks for once. The records are read into buffers
// of the wire server's pool (wire.ResponseBuffer), which it takes back once
// the response is encoded.
func (b *Broker) fetchOnce(ctx context.Context, r *kmsg.FetchRequest) (*kmsg.FetchResponse, int) {
	alloc := func(n int) []byte { return wire.ResponseBuffer(ctx, n) }
	resp := kmsg.NewPtrFetchResponse()
	total := 0
	maxBytes := int(r.MaxBytes)
	if r.Version < 3 || maxBytes <= 0 {
		maxBytes = int(^uint32(0) >> 1)
	}
	for _, t := range r.Topics {
		rt := kmsg.NewFetchResponseTopic()
		rt.Topic = t.Topic
		topic, known := b.meta.topic(t.Topic)
		for _, p := range t.Partitions {
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.Partition = p.Partition
			rp.RecordBatches = []byte{} // Kafka sends empty records, never null
			rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
			part, ok := b.parts.get(t.Topic, p.Partition)
			if !ok {
				if known {
					if _, exists := topic.Partitions[p.Partition]; exists {
						rp.ErrorCode = kerr.NotLeaderForPartition.Code
					} else {
						rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
					}
				} else {
					rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				}
				rt.Partitions = append(rt.Partitions, rp)
				continue
			}
			leo := part.log.LogEndOffset()
			rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = leo, leo, part.log.LogStartOffset()
			limit := min(int(p.PartitionMaxBytes), maxBytes-total)
			if limit <= 0 && total > 0 {
				rt.Partitions = append(rt.Partitions, rp)
				continue
			}
			if total == 0 {
				limit = max(limit, 1) // at least one batch for the first partition (KIP-74)
			}
			res, err := part.log.ReadWith(p.FetchOffset, int32(limit), leo, alloc)
			switch {
			case errors.Is(err, plog.ErrOffsetOutOfRange):
				rp.ErrorCode = kerr.OffsetOutOfRange.Code
			case err != nil:
				rp.ErrorCode = plog.ErrorCode(err)
			default:
				if res.Records != nil {
					rp.RecordBatches = res.Records
				}
				total += len(res.Records)
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, total
}
