package plog

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
)

// Record batch (magic 2) layout: byte offsets of the header fields. Frozen:
// they are Kafka's wire and disk format.
const (
	offBaseOffset      = 0  // int64, rewritten by the broker
	offLength          = 8  // int32, bytes after this field
	offLeaderEpoch     = 12 // int32, rewritten by the broker
	offMagic           = 16 // int8, 2
	offCRC             = 17 // uint32, CRC-32C of bytes [offAttributes, end)
	offAttributes      = 21 // int16
	offLastOffsetDelta = 23 // int32
	offBaseTimestamp   = 27 // int64
	offMaxTimestamp    = 35 // int64
	offProducerID      = 43 // int64
	offProducerEpoch   = 51 // int16
	offBaseSequence    = 53 // int32
	offRecordCount     = 57 // int32
	batchHeaderSize    = 61 // records start here

	// logOverhead is the part of a batch not counted by its length field.
	logOverhead = 12
	// minBatchLength is the smallest valid length field (a header, no records).
	minBatchLength = batchHeaderSize - logOverhead

	attrCompressionMask = 0x07
	attrTimestampType   = 0x08 // set: LogAppendTime
	attrTransactional   = 0x10
	attrControl         = 0x20

	codecNone   = 0
	codecGzip   = 1
	codecSnappy = 2
	codecLZ4    = 3
	codecZstd   = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// hdr gives typed access to the header of a batch held in b. b must hold at
// least batchHeaderSize bytes.
type hdr []byte

func (h hdr) baseOffset() int64      { return int64(binary.BigEndian.Uint64(h[offBaseOffset:])) }
func (h hdr) length() int32          { return int32(binary.BigEndian.Uint32(h[offLength:])) }
func (h hdr) leaderEpoch() int32     { return int32(binary.BigEndian.Uint32(h[offLeaderEpoch:])) }
func (h hdr) magic() int8            { return int8(h[offMagic]) }
func (h hdr) crc() uint32            { return binary.BigEndian.Uint32(h[offCRC:]) }
func (h hdr) attributes() int16      { return int16(binary.BigEndian.Uint16(h[offAttributes:])) }
func (h hdr) lastOffsetDelta() int32 { return int32(binary.BigEndian.Uint32(h[offLastOffsetDelta:])) }
func (h hdr) baseTimestamp() int64   { return int64(binary.BigEndian.Uint64(h[offBaseTimestamp:])) }
func (h hdr) maxTimestamp() int64    { return int64(binary.BigEndian.Uint64(h[offMaxTimestamp:])) }
func (h hdr) producerID() int64      { return int64(binary.BigEndian.Uint64(h[offProducerID:])) }
func (h hdr) baseSequence() int32    { return int32(binary.BigEndian.Uint32(h[offBaseSequence:])) }
func (h hdr) recordCount() int32     { return int32(binary.BigEndian.Uint32(h[offRecordCount:])) }
func (h hdr) codec() int             { return int(h.attributes() & attrCompressionMask) }
func (h hdr) logAppendTime() bool    { return h.attributes()&attrTimestampType != 0 }
func (h hdr) control() bool          { return h.attributes()&attrControl != 0 }
func (h hdr) lastOffset() int64      { return h.baseOffset() + int64(h.lastOffsetDelta()) }
func (h hdr) size() int64            { return int64(h.length()) + logOverhead }

func (h hdr) setBaseOffset(o int64)   { binary.BigEndian.PutUint64(h[offBaseOffset:], uint64(o)) }
func (h hdr) setLeaderEpoch(e int32)  { binary.BigEndian.PutUint32(h[offLeaderEpoch:], uint32(e)) }
func (h hdr) setMaxTimestamp(t int64) { binary.BigEndian.PutUint64(h[offMaxTimestamp:], uint64(t)) }
func (h hdr) setAttributes(a int16)   { binary.BigEndian.PutUint16(h[offAttributes:], uint16(a)) }

// batchCRC computes the CRC-32C a whole batch b should carry.
func batchCRC(b []byte) uint32 { return crc32.Checksum(b[offAttributes:], castagnoli) }

// setCRC recomputes and stores the CRC of a whole batch b.
func setCRC(b []byte) { binary.BigEndian.PutUint32(b[offCRC:], batchCRC(b)) }

// frameBatch checks that b starts with a complete magic-2 batch and returns
// its size. It checks framing, magic and CRC, nothing inside the records.
// Errors wrap ErrCorruptMessage or ErrUnsupportedForMessageFormat.
func frameBatch(b []byte) (int, error) {
	if len(b) < logOverhead {
		return 0, fmt.Errorf("%w: %d trailing bytes are not a batch", ErrCorruptMessage, len(b))
	}
	length := int64(hdr(b).length())
	if length < minBatchLength {
		return 0, fmt.Errorf("%w: batch length %d is smaller than the minimum %d", ErrCorruptMessage, length, minBatchLength)
	}
	if length+logOverhead > int64(len(b)) {
		return 0, fmt.Errorf("%w: batch length %d runs past the %d bytes sent", ErrCorruptMessage, length, len(b)-logOverhead)
	}
	size := int(length + logOverhead)
	switch m := hdr(b).magic(); {
	case m == 2:
	case m == 0 || m == 1:
		return 0, fmt.Errorf("%w: batch has magic %d", ErrUnsupportedForMessageFormat, m)
	default:
		return 0, fmt.Errorf("%w: unknown magic %d", ErrCorruptMessage, m)
	}
	return size, nil
}

// checkCRC reports whether the whole batch b carries a valid CRC.
func checkCRC(b []byte) error {
	if got, want := batchCRC(b), hdr(b).crc(); got != want {
		return fmt.Errorf("%w: batch crc is %08x, computed %08x", ErrCorruptMessage, want, got)
	}
	return nil
}

// batchInfo describes one batch of an append after validation.
type batchInfo struct {
	pos, size    int   // within the appended bytes
	lastDelta    int32 // lastOffsetDelta
	maxTimestamp int64 // maximum record timestamp (-1 when none)
}

// validator checks produce record sets the way Kafka's broker does (see
// validateProduce). It is safe for concurrent use.
type validator struct {
	codecs *codecs
}

// validateProduce validates a produce request's record set: one or more
// magic-2 batches, each no larger than maxMessageBytes, with a valid CRC,
// a record count that matches its records (compressed records are
// decompressed to check) and offset deltas 0..n-1. It returns one batchInfo
// per batch. It never modifies records.
func (v *validator) validateProduce(records []byte, cfg *Config, nowMs int64) ([]batchInfo, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("%w: produce has no record batch", ErrInvalidRecord)
	}
	var infos []batchInfo
	for pos := 0; pos < len(records); {
		b := records[pos:]
		size, err := frameBatch(b)
		if err != nil {
			return nil, fmt.Errorf("batch at byte %d: %w", pos, err)
		}
		b = b[:size]
		if int64(size) > int64(cfg.MaxMessageBytes) {
			return nil, fmt.Errorf("%w: batch at byte %d is %d bytes, max.message.bytes is %d", ErrMessageTooLarge, pos, size, cfg.MaxMessageBytes)
		}
		if err := checkCRC(b); err != nil {
			return nil, fmt.Errorf("batch at byte %d: %w", pos, err)
		}
		maxTS, err := v.validateBatchContent(b, cfg, nowMs)
		if err != nil {
			return nil, fmt.Errorf("batch at byte %d: %w", pos, err)
		}
		infos = append(infos, batchInfo{pos: pos, size: size, lastDelta: hdr(b).lastOffsetDelta(), maxTimestamp: maxTS})
		pos += size
	}
	return infos, nil
}

// validateBatchContent applies Kafka's LogValidator checks for a client
// batch whose framing and CRC are valid, and returns the largest record
// timestamp.
func (v *validator) validateBatchContent(b []byte, cfg *Config, nowMs int64) (int64, error) {
	h := hdr(b)
	count := h.recordCount()
	if h.lastOffsetDelta() < 0 {
		return 0, fmt.Errorf("%w: batch has an invalid offset range (last offset delta %d)", ErrInvalidRecord, h.lastOffsetDelta())
	}
	if count <= 0 {
		return 0, fmt.Errorf("%w: invalid reported record count %d", ErrInvalidRecord, count)
	}
	if int64(h.lastOffsetDelta())+1 != int64(count) {
		return 0, fmt.Errorf("%w: inconsistent batch offset range [0, %d] and record count %d", ErrInvalidRecord, h.lastOffsetDelta(), count)
	}
	if h.control() {
		return 0, fmt.Errorf("%w: clients may not write control batches", ErrInvalidRecord)
	}
	if h.producerID() >= 0 && h.baseSequence() < 0 {
		return 0, fmt.Errorf("%w: invalid sequence number %d for producer id %d", ErrInvalidRecord, h.baseSequence(), h.producerID())
	}
	logAppendTime := cfg.MessageTimestampType == TimestampLogAppendTime
	compacted := cfg.compacted()
	maxTS := int64(-1)
	err := v.codecs.forEachRecord(b, func(i int32, r recordInfo) error {
		if r.offsetDelta != i {
			return fmt.Errorf("%w: record %d has offset delta %d", ErrInvalidRecord, i, r.offsetDelta)
		}
		if compacted && !r.hasKey {
			return fmt.Errorf("%w: record %d: compacted topic cannot accept a record without key", ErrInvalidRecord, i)
		}
		ts := recordTimestamp(h, r)
		if !logAppendTime && ts != -1 {
			diff := nowMs - ts
			if diff > cfg.MessageTimestampBeforeMaxMs || -diff > cfg.MessageTimestampAfterMaxMs {
				return fmt.Errorf("%w: record %d timestamp %d is out of range [now-%d, now+%d]", ErrInvalidTimestamp, i, ts, cfg.MessageTimestampBeforeMaxMs, cfg.MessageTimestampAfterMaxMs)
			}
		} else if h.logAppendTime() {
			return fmt.Errorf("%w: producers must not set the LogAppendTime timestamp type", ErrInvalidTimestamp)
		}
		if ts > maxTS {
			maxTS = ts
		}
		return nil
	})
	return maxTS, err
}

// fixBatch prepares a validated client batch for the log: it assigns
// baseOffset and the leader epoch, and sets the timestamp type and max
// timestamp Kafka would store (LogAppendTime: now; CreateTime: the largest
// record timestamp). The CRC covers attributes and maxTimestamp, so it is
// recomputed only when one of them changed; baseOffset and the epoch are
// outside it.
func fixBatch(b []byte, baseOffset int64, epoch int32, logAppendTime bool, nowMs, maxTS int64) {
	h := hdr(b)
	h.setBaseOffset(baseOffset)
	h.setLeaderEpoch(epoch)
	attrs, ts := h.attributes()&^attrTimestampType, maxTS
	if logAppendTime {
		attrs, ts = attrs|attrTimestampType, nowMs
	}
	if attrs != h.attributes() || ts != h.maxTimestamp() {
		h.setAttributes(attrs)
		h.setMaxTimestamp(ts)
		setCRC(b)
	}
}

// recordTimestamp returns the timestamp of a record of batch h.
func recordTimestamp(h hdr, r recordInfo) int64 {
	if h.logAppendTime() {
		return h.maxTimestamp()
	}
	return h.baseTimestamp() + r.timestampDelta
}

// fitsRelative reports whether offset o can be stored relative to base in
// an index (int32).
func fitsRelative(base, o int64) bool { return o-base >= 0 && o-base <= math.MaxInt32 }
