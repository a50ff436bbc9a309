package plog

import "errors"

// Errors a produce or fetch can be answered with. Each maps to one Kafka
// error code (see ErrorCode); the package wraps them with context, so test
// them with errors.Is.
var (
	// ErrCorruptMessage: a batch failed its CRC-32C, its length fields are
	// inconsistent (shorter than a header, longer than the bytes sent, a
	// partial trailing batch), its magic is unknown, or its compressed
	// payload cannot be decompressed. Kafka: CORRUPT_MESSAGE (2).
	ErrCorruptMessage = errors.New("corrupt message")
	// ErrMessageTooLarge: a batch is larger than Config.MaxMessageBytes
	// (message.max.bytes / max.message.bytes). Kafka: MESSAGE_TOO_LARGE (10).
	ErrMessageTooLarge = errors.New("message too large")
	// ErrRecordListTooLarge: one append is larger than Config.SegmentBytes, so
	// it can never fit in a segment. Kafka: RECORD_LIST_TOO_LARGE (18).
	ErrRecordListTooLarge = errors.New("record list too large")
	// ErrInvalidRecord: a batch is well framed but its content is not valid:
	// the record count does not match the records, the offset deltas are not
	// 0..n-1, a record is malformed, a client sent a control batch, an
	// idempotent batch has a negative sequence, a compacted topic got a record
	// without a key, or the compression codec id is unknown.
	// Kafka: INVALID_RECORD (87).
	ErrInvalidRecord = errors.New("invalid record")
	// ErrInvalidTimestamp: a record's timestamp is outside
	// message.timestamp.before/after.max.ms, or a producer set the
	// LogAppendTime timestamp type. Kafka: INVALID_TIMESTAMP (32).
	ErrInvalidTimestamp = errors.New("invalid timestamp")
	// ErrUnsupportedForMessageFormat: a batch uses the pre-0.11 message
	// format (magic 0 or 1), which this broker does not store.
	// Kafka: UNSUPPORTED_FOR_MESSAGE_FORMAT (43).
	ErrUnsupportedForMessageFormat = errors.New("unsupported message format (magic < 2)")
	// ErrOffsetOutOfRange: a read, truncation or DeleteRecords offset is below
	// the log start offset or above the log end offset (or high watermark).
	// Kafka: OFFSET_OUT_OF_RANGE (1).
	ErrOffsetOutOfRange = errors.New("offset out of range")
	// ErrOffsetsOutOfOrder: AppendAsFollower got batches whose offsets go
	// backwards or start below the log end offset (Kafka:
	// OffsetsOutOfOrderException / UnexpectedAppendOffsetException, which the
	// replica fetcher handles itself; ErrorCode maps it to -1).
	ErrOffsetsOutOfOrder = errors.New("offsets out of order")
	// ErrStorage: an I/O error on the log's files; the log may have lost its
	// last append. Kafka: KAFKA_STORAGE_ERROR (56).
	ErrStorage = errors.New("log storage error")
	// ErrClosed: the log or manager was closed (or deleted).
	// Kafka: NOT_LEADER_OR_FOLLOWER (6) is what a client should see, so
	// ErrorCode maps it there and the client refreshes its metadata.
	ErrClosed = errors.New("log closed")

	// ErrCorruptLog is returned by Open when a log's files are damaged in a
	// way recovery must not repair silently: a bad batch followed by valid
	// ones, damage in a segment that is not the last, offsets that go
	// backwards, an unreadable checkpoint. The error names the file and byte
	// position.
	ErrCorruptLog = errors.New("corrupt log")
	// ErrInvalidConfig is returned for a Config or ManagerConfig value out of
	// the range Kafka accepts; the message names the Kafka key.
	ErrInvalidConfig = errors.New("invalid log config")
	// ErrInconsistentBrokerID: a log dir's meta.properties holds another
	// broker.id than the one configured (Kafka: InconsistentBrokerIdException).
	ErrInconsistentBrokerID = errors.New("inconsistent broker.id")
	// ErrInconsistentClusterID: a log dir's meta.properties holds another
	// cluster.id than the cluster's (Kafka: InconsistentClusterIdException).
	ErrInconsistentClusterID = errors.New("inconsistent cluster.id")
	// ErrLogDirLocked: another process holds a log dir's .lock file.
	ErrLogDirLocked = errors.New("log dir locked by another process")
	// ErrInconsistentTopicID: partition.metadata already records another topic
	// ID (Kafka: InconsistentTopicIdException).
	ErrInconsistentTopicID = errors.New("inconsistent topic id")
	// ErrInvalidTopic: Manager.Create got a topic name Kafka would not
	// accept (empty, ".", "..", longer than 249 characters, or characters
	// other than ASCII letters, digits, '.', '_' and '-').
	ErrInvalidTopic = errors.New("invalid topic name")
)

// ErrorCode returns the Kafka protocol error code for an error returned by
// this package: 0 for nil, -1 (UNKNOWN_SERVER_ERROR) for errors it does not
// know.
func ErrorCode(err error) int16 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrOffsetOutOfRange):
		return 1
	case errors.Is(err, ErrCorruptMessage):
		return 2
	case errors.Is(err, ErrClosed):
		return 6
	case errors.Is(err, ErrMessageTooLarge):
		return 10
	case errors.Is(err, ErrRecordListTooLarge):
		return 18
	case errors.Is(err, ErrInvalidTimestamp):
		return 32
	case errors.Is(err, ErrUnsupportedForMessageFormat):
		return 43
	case errors.Is(err, ErrStorage):
		return 56
	case errors.Is(err, ErrInvalidRecord):
		return 87
	default:
		return -1
	}
}
