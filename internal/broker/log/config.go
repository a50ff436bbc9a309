package plog

import (
	"fmt"
	"math"
	"strings"
)

// Timestamp types (message.timestamp.type).
const (
	TimestampCreateTime    = "CreateTime"
	TimestampLogAppendTime = "LogAppendTime"
)

// Cleanup policies (cleanup.policy is a comma-separated list of these).
const (
	CleanupDelete  = "delete"
	CleanupCompact = "compact"
)

// Config is one partition log's configuration: the broker's log.* defaults
// overridden by the topic's configs. Build it with DefaultConfig and change
// what differs; every field is used as is (zero is a real value).
type Config struct {
	// SegmentBytes is segment.bytes (log.segment.bytes): roll when the
	// next append would make the segment larger. Default 1 GiB, min 14.
	SegmentBytes int64
	// SegmentMs is segment.ms (log.roll.ms / log.roll.hours): roll when the
	// newest batch's timestamp is this much later than the segment's first
	// batch (the segment's age when batches carry no timestamps).
	// Default 7 days, min 1.
	SegmentMs int64
	// RetentionMs is retention.ms (log.retention.ms/minutes/hours): delete
	// a segment once its largest timestamp is older than this. -1 keeps
	// segments forever. Default 168 hours.
	RetentionMs int64
	// RetentionBytes is retention.bytes (log.retention.bytes): delete the
	// oldest segments while the log stays at least this large. -1: no
	// limit (default).
	RetentionBytes int64
	// FlushMessages is flush.messages (log.flush.interval.messages): fsync
	// after this many unflushed messages. Default math.MaxInt64 (leave it
	// to the OS and replication, as Kafka does). Min 1.
	FlushMessages int64
	// FlushMs is flush.ms (log.flush.interval.ms): the Manager fsyncs a log
	// that has not been flushed for this long. Default math.MaxInt64.
	FlushMs int64
	// IndexIntervalBytes is index.interval.bytes (log.index.interval.bytes):
	// bytes between offset index entries. Default 4096, min 0.
	IndexIntervalBytes int32
	// SegmentIndexBytes is segment.index.bytes (log.index.size.max.bytes):
	// a segment rolls once an index would grow past it. Kafka preallocates
	// index files to this size; this package writes them at their real
	// size. Default 10 MiB, min 12 (one time index entry).
	SegmentIndexBytes int64
	// MaxMessageBytes is max.message.bytes (message.max.bytes): the largest
	// batch accepted from a producer. Default 1048588, min 0.
	MaxMessageBytes int32
	// CleanupPolicy is cleanup.policy: "delete" (default), "compact" or
	// "compact,delete". Time and size retention apply only with "delete";
	// "compact" requires keys. Compaction itself is not implemented.
	CleanupPolicy string
	// MessageTimestampType is message.timestamp.type: "CreateTime"
	// (default: keep the producer's timestamps) or "LogAppendTime" (the
	// broker stamps each batch with the append time).
	MessageTimestampType string
	// MessageTimestampBeforeMaxMs is message.timestamp.before.max.ms: reject
	// CreateTime records older than now minus this. Default math.MaxInt64.
	MessageTimestampBeforeMaxMs int64
	// MessageTimestampAfterMaxMs is message.timestamp.after.max.ms: reject
	// CreateTime records newer than now plus this. Default math.MaxInt64.
	MessageTimestampAfterMaxMs int64
}

// DefaultConfig returns Kafka's broker defaults.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:                1 << 30,
		SegmentMs:                   7 * 24 * 3600 * 1000,
		RetentionMs:                 168 * 3600 * 1000,
		RetentionBytes:              -1,
		FlushMessages:               math.MaxInt64,
		FlushMs:                     math.MaxInt64,
		IndexIntervalBytes:          4096,
		SegmentIndexBytes:           10 << 20,
		MaxMessageBytes:             1048588,
		CleanupPolicy:               CleanupDelete,
		MessageTimestampType:        TimestampCreateTime,
		MessageTimestampBeforeMaxMs: math.MaxInt64,
		MessageTimestampAfterMaxMs:  math.MaxInt64,
	}
}

// Validate checks every value against the range Kafka accepts; the error
// wraps ErrInvalidConfig and names the Kafka key.
func (c Config) Validate() error {
	bad := func(key string, v any, want string) error {
		return fmt.Errorf("%w: %s=%v: must be %s", ErrInvalidConfig, key, v, want)
	}
	switch {
	case c.SegmentBytes < 14:
		return bad("segment.bytes", c.SegmentBytes, ">= 14")
	case c.SegmentMs < 1:
		return bad("segment.ms", c.SegmentMs, ">= 1")
	case c.RetentionMs < -1:
		return bad("retention.ms", c.RetentionMs, ">= -1")
	case c.RetentionBytes < -1:
		return bad("retention.bytes", c.RetentionBytes, ">= -1")
	case c.FlushMessages < 1:
		return bad("flush.messages", c.FlushMessages, ">= 1")
	case c.FlushMs < 0:
		return bad("flush.ms", c.FlushMs, ">= 0")
	case c.IndexIntervalBytes < 0:
		return bad("index.interval.bytes", c.IndexIntervalBytes, ">= 0")
	case c.SegmentIndexBytes < timeEntrySize:
		return bad("segment.index.bytes", c.SegmentIndexBytes, fmt.Sprintf(">= %d", timeEntrySize))
	case c.MaxMessageBytes < 0:
		return bad("max.message.bytes", c.MaxMessageBytes, ">= 0")
	case c.MessageTimestampType != TimestampCreateTime && c.MessageTimestampType != TimestampLogAppendTime:
		return bad("message.timestamp.type", c.MessageTimestampType, "CreateTime or LogAppendTime")
	case c.MessageTimestampBeforeMaxMs < 0:
		return bad("message.timestamp.before.max.ms", c.MessageTimestampBeforeMaxMs, ">= 0")
	case c.MessageTimestampAfterMaxMs < 0:
		return bad("message.timestamp.after.max.ms", c.MessageTimestampAfterMaxMs, ">= 0")
	}
	policies := strings.Split(c.CleanupPolicy, ",")
	for _, p := range policies {
		if p = strings.TrimSpace(p); p != CleanupDelete && p != CleanupCompact {
			return bad("cleanup.policy", c.CleanupPolicy, "a list of delete and compact")
		}
	}
	return nil
}

func (c Config) hasPolicy(p string) bool {
	for _, s := range strings.Split(c.CleanupPolicy, ",") {
		if strings.TrimSpace(s) == p {
			return true
		}
	}
	return false
}

func (c Config) compacted() bool { return c.hasPolicy(CleanupCompact) }
func (c Config) deletes() bool   { return c.hasPolicy(CleanupDelete) }
