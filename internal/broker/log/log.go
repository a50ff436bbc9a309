package plog

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Special timestamps of ListOffsets, accepted by OffsetForTimestamp.
const (
	// ListOffsetsLatest (-1) asks for the log end offset.
	ListOffsetsLatest int64 = -1
	// ListOffsetsEarliest (-2) asks for the log start offset.
	ListOffsetsEarliest int64 = -2
	// ListOffsetsMaxTimestamp (-3, KIP-734) asks for the record with the
	// largest timestamp.
	ListOffsetsMaxTimestamp int64 = -3
)

// Options are what a Log needs beyond its Config when opened. The Manager
// fills them from the log dir's checkpoint files; a Log opened on its own
// (Open) gets the zero value: every segment is recovered.
type Options struct {
	// Logger receives warnings about repaired damage; nil discards them.
	Logger *slog.Logger
	// CleanShutdown is true when the log dir holds .kafka_cleanshutdown: the
	// files were closed cleanly, so no segment is scanned (indexes are only
	// sanity-checked and the end offset is read from the batch headers
	// after the last index entry).
	CleanShutdown bool
	// RecoveryPoint is the log's entry in recovery-point-offset-checkpoint:
	// every offset below it was fsynced. After an unclean shutdown the
	// segment holding it and every later segment are scanned.
	RecoveryPoint int64
	// LogStartOffset is the log's entry in log-start-offset-checkpoint (0
	// when absent; the first segment's base offset is used when larger).
	LogStartOffset int64
	// OnLogStartOffsetChange is called (without the log's locks held) after
	// DeleteRecordsBefore or a truncation moved the log start offset past
	// what the segment files imply, so the owner can persist it at once.
	OnLogStartOffsetChange func(*Log)
	// Now is the clock for segment ages and flush times; nil: time.Now.
	Now func() time.Time

	codecs *codecs
}

// AppendResult describes a successful append.
type AppendResult struct {
	// BaseOffset is the offset of the first record appended.
	BaseOffset int64
	// LastOffset is the offset of the last record appended.
	LastOffset int64
	// LogAppendTime is the time stamped on the batches (ms since the epoch)
	// when the topic uses LogAppendTime, else -1.
	LogAppendTime int64
	// LogStartOffset is the log start offset after the append.
	LogStartOffset int64
}

// ReadResult is the answer to a Read.
type ReadResult struct {
	// Records holds whole record batches exactly as stored, starting with
	// the batch that holds the requested offset (it may start before it;
	// consumers skip records below their fetch offset). Empty when there is
	// nothing to return. It is a fresh slice the caller owns.
	Records []byte
	// LogStartOffset and LogEndOffset are the log's at the time of the read.
	LogStartOffset int64
	LogEndOffset   int64
}

// OffsetAndTimestamp is a ListOffsets answer.
type OffsetAndTimestamp struct {
	Offset    int64
	Timestamp int64
}

// Log is one partition's log: a directory of segments.
//
// # Locking
//
// One writer, many readers. appendMu serializes every mutation (appends,
// rolls, truncation, retention, DeleteRecords, Close); validation of a
// produce (decompression included) runs before it is taken. mu guards the
// in-memory view readers use: the segment list, offsets, each segment's
// committed size and in-memory index. A writer writes the file first and
// then, under mu, publishes the new size and end offset, so a reader never
// sees bytes that are not completely written. Readers hold mu only to
// pick a segment and take a reference on it; the file I/O of a Read runs
// without any lock, so a slow disk read never blocks producers. A segment
// deleted meanwhile stays readable through its open descriptor until the
// last reference goes; a segment truncated meanwhile is detected by its
// generation counter and the read is retried. Flush fsyncs without
// appendMu too. The leader epoch cache has its own lock.
type Log struct {
	dir     string
	tp      TopicPartition
	logger  *slog.Logger
	val     validator
	epochs  *epochCache
	now     func() time.Time
	onStart func(*Log)

	appendMu sync.Mutex
	flushMu  sync.Mutex

	mu            sync.RWMutex
	cfg           Config
	segs          []*segment // by base offset; the last is the active segment
	logStart      int64
	logEnd        int64
	recoveryPoint int64
	highWatermark int64  // -1: not tracked, LogEndOffset is used
	truncGen      uint64 // bumped by every truncation
	lastFlush     time.Time
	topicID       [16]byte
	hasTopicID    bool
	closed        bool
	failed        error // a failed append could not be undone: no more writes
}

// Open opens the partition log in dir (creating it when missing) without
// knowledge of how it was shut down: every segment is scanned and
// repaired as after a crash. Brokers open logs through a Manager, which
// knows better.
func Open(dir string, cfg Config, logger *slog.Logger) (*Log, error) {
	return OpenWithOptions(dir, cfg, Options{Logger: logger})
}

// OpenWithOptions opens (or creates) the partition log in dir.
//
// Recovery: without a clean shutdown, the segment holding the recovery
// point and every later one are scanned batch by batch (framing, magic,
// CRC-32C, increasing offsets) and their indexes rebuilt. Damage at the
// end of the last segment with no valid batch after it is a torn write:
// it is truncated away with a warning naming the file and position. Any
// other damage (a bad batch followed by a valid one, damage in an earlier
// segment, offsets going backwards) fails with an error wrapping
// ErrCorruptLog that names the file and byte position. Missing or
// inconsistent index files are rebuilt in any case.
func OpenWithOptions(dir string, cfg Config, opts Options) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	cd := opts.codecs
	if cd == nil {
		cd = newCodecs()
	}
	tp, ok := ParseTopicPartition(filepath.Base(dir))
	if !ok {
		tp = TopicPartition{Topic: filepath.Base(dir), Partition: -1}
	}
	logger = logger.With("partition", tp.String())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	l := &Log{
		dir: dir, tp: tp, logger: logger, val: validator{codecs: cd}, now: now,
		onStart: opts.OnLogStartOffsetChange, cfg: cfg, highWatermark: -1,
	}
	var err error
	if l.epochs, err = loadEpochCache(filepath.Join(dir, leaderEpochFile)); err != nil {
		return nil, err
	}
	if l.topicID, l.hasTopicID, err = readPartitionMetadata(filepath.Join(dir, partitionMetadataFile)); err != nil {
		return nil, err
	}
	if err := l.load(opts); err != nil {
		for _, s := range l.segs {
			s.release()
		}
		return nil, err
	}
	l.lastFlush = now()
	return l, nil
}

// load finds the segments, recovers what needs it and sets the offsets.
func (l *Log) load(opts Options) error {
	bases, err := l.cleanDir()
	if err != nil {
		return err
	}
	now := l.now()
	for _, b := range bases {
		s, err := openSegmentFile(l.dir, b, now, l.logger)
		if err != nil {
			return err
		}
		l.segs = append(l.segs, s)
	}
	if len(l.segs) == 0 {
		s, err := createSegment(l.dir, max(opts.LogStartOffset, 0), now, l.logger)
		if err != nil {
			return err
		}
		l.segs = []*segment{s}
		if err := syncDir(l.dir); err != nil {
			return err
		}
	}
	// The first segment to scan: none after a clean shutdown, else the one
	// holding the recovery point.
	first := len(l.segs)
	if !opts.CleanShutdown {
		first = 0
		for i, s := range l.segs {
			if s.base <= opts.RecoveryPoint {
				first = i
			}
		}
	}
	var scanned []*segment
	prevNext := int64(-1) // end of the previous segment when it was scanned
	for i, s := range l.segs {
		last := i == len(l.segs)-1
		scan := i >= first
		if !scan {
			if err := l.loadIndexes(s, last); err != nil {
				l.logger.Warn("rebuilding indexes", "segment", s.path, "reason", err)
				scan = true
			}
		}
		if scan {
			if err := l.recoverSegment(s, last, max(s.base, prevNext)); err != nil {
				return err
			}
			scanned = append(scanned, s)
			prevNext = s.next
		} else {
			prevNext = -1
		}
		if !last {
			next := l.segs[i+1].base
			if s.next > next {
				return fmt.Errorf("%w: %s: batches run to offset %d, past the next segment's base offset %d", ErrCorruptLog, s.path, s.next-1, next)
			}
			if s.active {
				if err := s.writeIndexes(&l.mu, true); err != nil {
					return err
				}
				s.offIdx.seal()
				s.timeIdx.seal()
				s.active = false
			}
			s.next = next
		}
	}
	// What was scanned may have come from the page cache of a crashed
	// process: make it durable before the recovery point says so.
	for _, s := range scanned {
		if err := s.file.Sync(); err != nil {
			return err
		}
	}
	active := l.segs[len(l.segs)-1]
	active.active = true
	l.logEnd = active.next
	l.logStart = max(opts.LogStartOffset, l.segs[0].base)
	if l.logStart > l.logEnd {
		l.logger.Warn("log start offset is past the log end offset; starting the log over", "logStartOffset", l.logStart, "logEndOffset", l.logEnd)
		if err := l.truncateFullyLocked(l.logStart); err != nil {
			return err
		}
	}
	l.recoveryPoint = l.logEnd
	if err := l.epochs.truncateFromEnd(l.logEnd); err != nil {
		return err
	}
	return l.epochs.truncateFromStart(l.logStart)
}

// cleanDir removes what an interrupted operation left behind (*.deleted,
// *.tmp, *.cleaned files, indexes without a .log) and returns the base
// offsets of the segments, sorted.
func (l *Log) cleanDir() ([]int64, error) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, err
	}
	logs := make(map[int64]bool)
	for _, e := range entries {
		if b, ok := parseSegmentName(e.Name(), logSuffix); ok && e.Type().IsRegular() {
			logs[b] = true
		}
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(l.dir, name)
		switch {
		case strings.HasSuffix(name, swapSuffix):
			return nil, fmt.Errorf("%w: %s: unfinished Kafka log cleaner swap; this broker cannot complete it", ErrCorruptLog, path)
		case strings.HasSuffix(name, deletedSuffix), strings.HasSuffix(name, tmpSuffix), strings.HasSuffix(name, cleanedSuffix):
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		default:
			for _, suf := range []string{indexSuffix, timeIndexSuffix} {
				if b, ok := parseSegmentName(name, suf); ok && !logs[b] {
					l.logger.Warn("removing index without segment", "file", path)
					if err := os.Remove(path); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	bases := make([]int64, 0, len(logs))
	for b := range logs {
		bases = append(bases, b)
	}
	slices.Sort(bases)
	return bases, nil
}

// loadIndexes loads a cleanly closed segment's indexes and checks them as
// Kafka does. For the last (active) segment it also walks the batch headers
// after the last index entry to find the end offset. An error means the
// segment must be scanned.
func (l *Log) loadIndexes(s *segment, last bool) error {
	oi, err := loadIndex(s.offIdx.path, offsetEntrySize, last)
	if err != nil {
		return err
	}
	ti, err := loadIndex(s.timeIdx.path, timeEntrySize, last)
	if err != nil {
		return err
	}
	lastPos := int64(0)
	if oi.last != nil {
		rel, pos := offsetKey(oi.last), offsetEntryPos(oi.last)
		if rel < 0 || pos < 0 || pos >= s.size {
			return fmt.Errorf("offset index last entry (%d, %d) is outside the segment", rel, pos)
		}
		lastPos = pos
	}
	if ti.last != nil && timeEntryRel(ti.last) < 0 {
		return fmt.Errorf("time index last entry has offset %d before the base", timeEntryRel(ti.last))
	}
	s.offIdx, s.timeIdx = oi, ti
	if ti.last != nil {
		s.maxTS, s.maxTSOffset = timeKey(ti.last), s.base+timeEntryRel(ti.last)
	}
	if !last {
		return nil
	}
	// Walk the headers after the last index entry: end offset, timestamps.
	w := newHeaderWalker(s.file, s.size)
	pos := lastPos
	for {
		h, ok, err := w.at(pos)
		if err != nil {
			return fmt.Errorf("batch at byte %d: %v", pos, err)
		}
		if !ok {
			break
		}
		if h.maxTimestamp() > s.maxTS {
			s.maxTS, s.maxTSOffset = h.maxTimestamp(), h.lastOffset()
		}
		s.next = h.lastOffset() + 1
		pos += h.size()
	}
	if oi.last != nil {
		if s.next <= s.base+offsetKey(oi.last) {
			return fmt.Errorf("offset index last entry %d is past the last batch", s.base+offsetKey(oi.last))
		}
	}
	s.sinceIndex = s.size - lastPos
	if oi.last == nil {
		s.sinceIndex = s.size
	}
	s.active = true
	return nil
}

// recoverSegment scans s and repairs a torn tail when s is the last
// segment; see OpenWithOptions.
func (l *Log) recoverSegment(s *segment, last bool, minOffset int64) error {
	s.offIdx.mem, s.timeIdx.mem = []byte{}, []byte{}
	res, err := s.recover(minOffset, l.cfg.IndexIntervalBytes, l.epochs)
	if err != nil {
		return err
	}
	s.active = true
	if res.dmg == nil {
		s.size = res.validBytes
		return nil
	}
	d := res.dmg
	if !last {
		return fmt.Errorf("%w: %s: invalid batch at byte %d (offset %d expected): %s; it is not the last segment",
			ErrCorruptLog, s.path, d.pos, s.next, d.reason)
	}
	st, err := s.file.Stat()
	if err != nil {
		return err
	}
	from := d.pos + 1
	if d.length > 0 {
		from = d.pos + d.length + logOverhead
	}
	if at, ok, err := validBatchAfter(s.file, from, st.Size()); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("%w: %s: invalid batch at byte %d (offset %d expected): %s; a valid batch follows at byte %d",
			ErrCorruptLog, s.path, d.pos, s.next, d.reason, at)
	}
	l.logger.Warn("truncating torn tail of the log", "segment", s.path, "position", d.pos,
		"bytes", st.Size()-d.pos, "reason", d.reason)
	if err := s.file.Truncate(d.pos); err != nil {
		return err
	}
	s.size = d.pos
	return nil
}

// Dir returns the log's directory.
func (l *Log) Dir() string { return l.dir }

// TopicPartition returns the partition named by the directory (Partition
// is -1 when the name is not "<topic>-<partition>").
func (l *Log) TopicPartition() TopicPartition { return l.tp }

// Config returns the log's configuration.
func (l *Log) Config() Config {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cfg
}

// SetConfig changes the log's configuration (a topic config change); it
// applies to the following appends, rolls and retention checks.
func (l *Log) SetConfig(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cfg = cfg
	return nil
}

// LogStartOffset returns the first offset a consumer may read.
func (l *Log) LogStartOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.logStart
}

// LogEndOffset returns the offset the next appended record gets.
func (l *Log) LogEndOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.logEnd
}

// RecoveryPoint returns the offset below which everything is fsynced, for
// recovery-point-offset-checkpoint.
func (l *Log) RecoveryPoint() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.recoveryPoint
}

// HighWatermark returns the high watermark set with SetHighWatermark, or
// the log end offset when none was set.
func (l *Log) HighWatermark() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.hwLocked()
}

func (l *Log) hwLocked() int64 {
	if l.highWatermark < 0 {
		return l.logEnd
	}
	return min(l.highWatermark, l.logEnd)
}

// SetHighWatermark records the partition's high watermark (kept by the
// replica layer). Retention and DeleteRecordsBefore never remove data at
// or above it. It is clamped to [LogStartOffset, LogEndOffset]; until it
// is first set the log end offset is used.
func (l *Log) SetHighWatermark(hw int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.highWatermark = min(max(hw, l.logStart), l.logEnd)
}

// Size returns the bytes of all segments.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var n int64
	for _, s := range l.segs {
		n += s.size
	}
	return n
}

// NumSegments returns the number of segments.
func (l *Log) NumSegments() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.segs)
}

// LatestEpoch returns the latest leader epoch in the leader epoch cache.
func (l *Log) LatestEpoch() (int32, bool) {
	e, ok := l.epochs.latest()
	return e.epoch, ok
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch from the leader epoch
// cache: the largest epoch <= epoch the log knows and the end offset of
// that epoch (the start offset of the next epoch, or the log end offset
// for the latest epoch); (-1, -1) when epoch is undefined or newer than
// every epoch known. See Kafka's LeaderEpochFileCache.endOffsetFor.
func (l *Log) EndOffsetForEpoch(epoch int32) (int32, int64) {
	l.mu.RLock()
	leo := l.logEnd
	l.mu.RUnlock()
	return l.epochs.endOffsetFor(epoch, leo)
}

// TopicID returns the topic ID recorded in partition.metadata.
func (l *Log) TopicID() ([16]byte, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.topicID, l.hasTopicID
}

// SetTopicID records the topic ID in partition.metadata. Recording another
// ID than the one already recorded fails with ErrInconsistentTopicID.
func (l *Log) SetTopicID(id [16]byte) error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.RLock()
	old, has, closed := l.topicID, l.hasTopicID, l.closed
	l.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if has {
		if old != id {
			return fmt.Errorf("%w: %s records %s, asked to record %s", ErrInconsistentTopicID, l.dir, TopicIDString(old), TopicIDString(id))
		}
		return nil
	}
	if err := writePartitionMetadata(filepath.Join(l.dir, partitionMetadataFile), id); err != nil {
		return err
	}
	l.mu.Lock()
	l.topicID, l.hasTopicID = id, true
	l.mu.Unlock()
	return nil
}

// Append appends a produce request's record set (one or more magic-2
// batches, as the producer sent them) as the partition leader in
// leaderEpoch. Every batch is validated first (lengths, magic, CRC-32C,
// MaxMessageBytes, record count against the records, decompressing them
// when compressed, timestamps); errors wrap ErrCorruptMessage,
// ErrMessageTooLarge, ErrRecordListTooLarge, ErrInvalidRecord,
// ErrInvalidTimestamp or ErrUnsupportedForMessageFormat, and nothing is
// appended.
//
// Append rewrites in place, in records, the fields the broker owns:
// baseOffset, partitionLeaderEpoch, and (recomputing the CRC only then) the
// timestamp type and maxTimestamp when the topic uses LogAppendTime or the
// producer's maxTimestamp was not its records' maximum. The records are
// then written as they are. The caller must not use records concurrently.
func (l *Log) Append(records []byte, leaderEpoch int32, now time.Time) (AppendResult, error) {
	l.mu.RLock()
	cfg, closed := l.cfg, l.closed
	l.mu.RUnlock()
	if closed {
		return AppendResult{}, ErrClosed
	}
	if int64(len(records)) > cfg.SegmentBytes {
		return AppendResult{}, fmt.Errorf("%w: %d bytes exceed segment.bytes %d", ErrRecordListTooLarge, len(records), cfg.SegmentBytes)
	}
	nowMs := now.UnixMilli()
	infos, err := l.val.validateProduce(records, &cfg, nowMs)
	if err != nil {
		return AppendResult{}, err
	}
	logAppendTime := cfg.MessageTimestampType == TimestampLogAppendTime

	l.appendMu.Lock()
	if err := l.checkOpen(); err != nil {
		l.appendMu.Unlock()
		return AppendResult{}, err
	}
	cfg = l.cfg // SetConfig may have run since validation; sizes were checked
	base := l.logEnd
	next := base
	maxTS := int64(-1)
	for _, in := range infos {
		next += int64(in.lastDelta) + 1
		maxTS = max(maxTS, in.maxTimestamp)
	}
	if logAppendTime {
		maxTS = nowMs
	}
	seg, err := l.maybeRoll(&cfg, int64(len(records)), base, next-1, maxTS)
	if err != nil {
		l.appendMu.Unlock()
		return AppendResult{}, err
	}
	off := base
	for _, in := range infos {
		fixBatch(records[in.pos:in.pos+in.size], off, leaderEpoch, logAppendTime, nowMs, in.maxTimestamp)
		off += int64(in.lastDelta) + 1
	}
	if err := l.maybeAssignEpoch(leaderEpoch, base); err != nil {
		l.appendMu.Unlock()
		return AppendResult{}, err
	}
	if err := l.writeAndPublish(seg, &cfg, records, infos, next); err != nil {
		l.appendMu.Unlock()
		return AppendResult{}, err
	}
	l.mu.RLock()
	res := AppendResult{BaseOffset: base, LastOffset: next - 1, LogAppendTime: -1, LogStartOffset: l.logStart}
	unflushed := l.logEnd - l.recoveryPoint
	l.mu.RUnlock()
	l.appendMu.Unlock()
	if logAppendTime {
		res.LogAppendTime = nowMs
	}
	if unflushed >= cfg.FlushMessages {
		if err := l.Flush(); err != nil {
			return res, err
		}
	}
	return res, nil
}

// AppendAsFollower appends batches fetched from the partition leader,
// keeping their offsets and leader epochs. Each batch is checked for
// framing, magic 2 and CRC-32C (errors wrap ErrCorruptMessage); offsets must
// increase and start at or after the log end offset (ErrOffsetsOutOfOrder;
// gaps, as compaction leaves, are allowed). A partial batch at the end of
// records, as a Kafka leader's fetch response may carry, is ignored. The
// leader epoch cache learns each new epoch.
func (l *Log) AppendAsFollower(records []byte) (AppendResult, error) {
	var infos []batchInfo
	prevLast := int64(-1)
	for pos := 0; pos < len(records); {
		rest := records[pos:]
		if len(rest) < logOverhead || (hdr(rest).length() >= minBatchLength && int64(hdr(rest).length())+logOverhead > int64(len(rest))) {
			break // a partial trailing batch
		}
		size, err := frameBatch(rest)
		if err != nil {
			return AppendResult{}, fmt.Errorf("batch at byte %d: %w", pos, err)
		}
		b := records[pos : pos+size]
		if err := checkCRC(b); err != nil {
			return AppendResult{}, fmt.Errorf("batch at byte %d: %w", pos, err)
		}
		h := hdr(b)
		if h.lastOffsetDelta() < 0 || h.baseOffset() <= prevLast || h.baseOffset() < 0 {
			return AppendResult{}, fmt.Errorf("%w: batch at byte %d has offsets [%d, %d] after %d", ErrOffsetsOutOfOrder, pos, h.baseOffset(), h.lastOffset(), prevLast)
		}
		prevLast = h.lastOffset()
		infos = append(infos, batchInfo{pos: pos, size: size, lastDelta: h.lastOffsetDelta(), maxTimestamp: h.maxTimestamp()})
		pos += size
	}
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkOpen(); err != nil {
		return AppendResult{}, err
	}
	l.mu.RLock()
	cfg, leo, lso := l.cfg, l.logEnd, l.logStart
	l.mu.RUnlock()
	if len(infos) == 0 {
		return AppendResult{BaseOffset: leo, LastOffset: leo - 1, LogAppendTime: -1, LogStartOffset: lso}, nil
	}
	records = records[:infos[len(infos)-1].pos+infos[len(infos)-1].size]
	first := hdr(records).baseOffset()
	if first < leo {
		return AppendResult{}, fmt.Errorf("%w: first offset %d is below the log end offset %d", ErrOffsetsOutOfOrder, first, leo)
	}
	maxTS := int64(-1)
	for _, in := range infos {
		maxTS = max(maxTS, in.maxTimestamp)
	}
	seg, err := l.maybeRoll(&cfg, int64(len(records)), first, prevLast, maxTS)
	if err != nil {
		return AppendResult{}, err
	}
	if !fitsRelative(seg.base, prevLast) {
		return AppendResult{}, fmt.Errorf("%w: offsets [%d, %d] do not fit one segment", ErrOffsetsOutOfOrder, first, prevLast)
	}
	for _, in := range infos {
		h := hdr(records[in.pos:])
		if err := l.maybeAssignEpoch(h.leaderEpoch(), h.baseOffset()); err != nil {
			return AppendResult{}, err
		}
	}
	if err := l.writeAndPublish(seg, &cfg, records, infos, prevLast+1); err != nil {
		return AppendResult{}, err
	}
	l.mu.RLock()
	res := AppendResult{BaseOffset: first, LastOffset: prevLast, LogAppendTime: -1, LogStartOffset: l.logStart}
	l.mu.RUnlock()
	return res, nil
}

func (l *Log) checkOpen() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	return l.failed
}

// maybeAssignEpoch records a new leader epoch starting at offset.
// Caller holds appendMu.
func (l *Log) maybeAssignEpoch(epoch int32, offset int64) error {
	if epoch < 0 {
		return nil
	}
	if latest, ok := l.epochs.latest(); ok && epoch <= latest.epoch {
		return nil
	}
	if err := l.epochs.assign(epoch, offset); err != nil {
		return fmt.Errorf("%w: writing %s: %v", ErrStorage, leaderEpochFile, err)
	}
	return nil
}

// writeAndPublish writes records at the end of seg and then publishes the
// new size, index entries and end offset to readers. Caller holds appendMu.
func (l *Log) writeAndPublish(seg *segment, cfg *Config, records []byte, infos []batchInfo, next int64) error {
	pos := seg.size
	if _, err := seg.file.WriteAt(records, pos); err != nil {
		if terr := seg.file.Truncate(pos); terr != nil {
			l.logger.Error("cannot undo a failed append; the log takes no more writes", "segment", seg.path, "err", terr)
			l.mu.Lock()
			l.failed = fmt.Errorf("%w: %s holds a partial append: %v", ErrStorage, seg.path, terr)
			l.mu.Unlock()
		}
		return fmt.Errorf("%w: appending to %s: %v", ErrStorage, seg.path, err)
	}
	l.mu.Lock()
	for _, in := range infos {
		seg.indexBatch(hdr(records[in.pos:]), pos+int64(in.pos), cfg.IndexIntervalBytes)
	}
	seg.size += int64(len(records))
	seg.next = next
	l.logEnd = next
	l.mu.Unlock()
	return nil
}

// maybeRoll returns the segment an append of size bytes with offsets
// [first, last] and largest timestamp maxTS goes to, rolling a new one
// as Kafka's LogSegment.shouldRoll decides: the segment would grow past
// SegmentBytes, its first batch is SegmentMs older than maxTS (or, without
// timestamps, it was created SegmentMs ago), an index is full, or the
// offsets do not fit relative to its base. Caller holds appendMu.
func (l *Log) maybeRoll(cfg *Config, size, first, last, maxTS int64) (*segment, error) {
	seg := l.segs[len(l.segs)-1]
	var waited int64
	if ts := seg.firstTimestamp(); ts >= 0 {
		waited = maxTS - ts
	} else {
		waited = l.now().Sub(seg.created).Milliseconds()
	}
	roll := seg.size > cfg.SegmentBytes-size ||
		(seg.size > 0 && waited > cfg.SegmentMs) ||
		seg.offIdx.full(cfg.SegmentIndexBytes) || seg.timeIdx.full(cfg.SegmentIndexBytes) ||
		!fitsRelative(seg.base, last)
	if !roll {
		return seg, nil
	}
	return l.roll(max(first, l.logEnd))
}

// roll seals the active segment (indexes written, everything fsynced, so
// the recovery point moves to the new segment) and starts a new one at
// base. An empty active segment is replaced instead. Caller holds appendMu.
func (l *Log) roll(base int64) (*segment, error) {
	old := l.segs[len(l.segs)-1]
	if old.size > 0 {
		if err := old.writeIndexes(&l.mu, true); err != nil {
			return nil, fmt.Errorf("%w: sealing %s: %v", ErrStorage, old.path, err)
		}
		if err := old.file.Sync(); err != nil {
			return nil, fmt.Errorf("%w: sealing %s: %v", ErrStorage, old.path, err)
		}
	}
	if old.size == 0 && old.base == base {
		return old, nil
	}
	s, err := createSegment(l.dir, base, l.now(), l.logger)
	if err != nil {
		return nil, fmt.Errorf("%w: rolling: %v", ErrStorage, err)
	}
	if err := syncDir(l.dir); err != nil {
		s.release()
		return nil, fmt.Errorf("%w: rolling: %v", ErrStorage, err)
	}
	l.mu.Lock()
	if old.size == 0 {
		l.segs[len(l.segs)-1] = s
	} else {
		old.offIdx.seal()
		old.timeIdx.seal()
		old.active = false
		old.next = base
		l.segs = append(l.segs, s)
		l.recoveryPoint = max(l.recoveryPoint, min(base, l.logEnd))
	}
	l.mu.Unlock()
	if old.size == 0 {
		old.markDeleted()
	}
	l.logger.Debug("rolled segment", "base", base)
	return s, nil
}

// segmentFor returns the index of the segment that would hold offset: the
// last with base <= offset (0 when offset is below every base). Caller
// holds mu.
func (l *Log) segmentFor(offset int64) int {
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].base > offset })
	return max(i-1, 0)
}

// Read returns the batches to answer a fetch at offset: whole batches as
// stored, starting with the one that holds offset (found through the
// offset index and a short scan of batch headers), up to maxBytes but
// always at least that first batch (KIP-74), and only batches whose last
// offset is below maxOffset (the high watermark or last stable offset for
// consumers; math.MaxInt64 for followers). A read stays within one
// segment, as Kafka's does. offset == LogEndOffset gives an empty result;
// below LogStartOffset or above LogEndOffset it fails with
// ErrOffsetOutOfRange.
//
// The caller bounds maxBytes (fetch.max.bytes, replica.fetch.max.bytes):
// a read allocates up to min(maxBytes, rest of the segment).
//
// The bytes are read from the segment file with pread into a new slice
// (never decoded): kmsg's FetchResponse takes the records as a []byte, and
// a copy lets the log trim the read to whole batches and outlive segment
// deletion and truncation. sendfile would need the wire layer to write the
// records around kmsg and a segment kept alive until the write ended.
func (l *Log) Read(offset int64, maxBytes int32, maxOffset int64) (ReadResult, error) {
	return l.ReadWith(offset, maxBytes, maxOffset, nil)
}

// ReadWith is Read with the buffer the bytes are read into taken from
// alloc, which must return a slice of length n (a fresh one when alloc is
// nil). A caller that recycles its buffers (the broker's fetch path) saves
// the allocation and the garbage. Records is a prefix of that buffer.
func (l *Log) ReadWith(offset int64, maxBytes int32, maxOffset int64, alloc func(n int) []byte) (ReadResult, error) {
	if alloc == nil {
		alloc = func(n int) []byte { return make([]byte, n) }
	}
	var prev *segment
	for attempt := 0; ; attempt++ {
		l.mu.RLock()
		if l.closed {
			l.mu.RUnlock()
			return ReadResult{}, ErrClosed
		}
		res := ReadResult{LogStartOffset: l.logStart, LogEndOffset: l.logEnd}
		if offset < l.logStart || offset > l.logEnd {
			l.mu.RUnlock()
			return res, fmt.Errorf("%w: offset %d, log is [%d, %d]", ErrOffsetOutOfRange, offset, res.LogStartOffset, res.LogEndOffset)
		}
		i := l.segmentFor(offset)
		if prev != nil { // the previous segment held nothing at or after offset
			i = sort.Search(len(l.segs), func(i int) bool { return l.segs[i].base > prev.base })
		}
		if offset == l.logEnd || i >= len(l.segs) {
			l.mu.RUnlock()
			return res, nil
		}
		s := l.segs[i]
		view, size, gen := s.offIdx.view(), s.size, s.gen.Load()
		s.acquire()
		l.mu.RUnlock()

		data, found, err := s.read(view, size, offset, maxBytes, maxOffset, alloc)
		changed := s.gen.Load() != gen
		s.release()
		if changed && attempt < 5 {
			prev = nil
			continue
		}
		if err != nil {
			return res, err
		}
		if !found {
			prev = s
			continue
		}
		res.Records = data
		return res, nil
	}
}

// read reads from segment s (size bytes valid, index view v); see Log.Read.
func (s *segment) read(v indexView, size, offset int64, maxBytes int32, maxOffset int64, alloc func(int) []byte) ([]byte, bool, error) {
	pos, err := lookupPos(v, s.base, offset)
	if err != nil {
		return nil, false, fmt.Errorf("%w: reading index of %s: %v", ErrStorage, s.name, err)
	}
	w := newHeaderWalker(s.file, size)
	start, h, ok, err := w.find(pos, offset)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %s: batch at byte %d: %v", ErrCorruptLog, s.name, start, err)
	}
	if !ok {
		return nil, false, nil
	}
	if h.lastOffset() >= maxOffset {
		return []byte{}, true, nil
	}
	n := min(max(int64(maxBytes), h.size()), size-start)
	buf := alloc(int(n))[:n]
	if _, err := s.file.ReadAt(buf, start); err != nil {
		return nil, false, fmt.Errorf("%w: reading %s: %v", ErrStorage, s.name, err)
	}
	end := 0
	for end+batchHeaderSize <= len(buf) {
		bh := hdr(buf[end:])
		bs := int(bh.size())
		if bh.length() < minBatchLength || end+bs > len(buf) || bh.lastOffset() >= maxOffset {
			break
		}
		end += bs
	}
	return buf[:end], true, nil
}

// OffsetForTimestamp answers ListOffsets: for ts >= 0 the first record
// (in offset order, at or after the log start offset) whose timestamp is
// >= ts, with its timestamp, found through the time index, the offset index
// and the records of one batch; ok is false when there is none. The
// special values ListOffsetsLatest (log end offset), ListOffsetsEarliest
// (log start offset) and ListOffsetsMaxTimestamp (the first record with the
// largest timestamp) are answered too, with timestamp -1 for the first two.
// ListOffsets "latest" for consumers is the high watermark or last stable
// offset: that clamp is the caller's.
func (l *Log) OffsetForTimestamp(ts int64) (OffsetAndTimestamp, bool, error) {
	l.mu.RLock()
	lso, leo, closed := l.logStart, l.logEnd, l.closed
	l.mu.RUnlock()
	if closed {
		return OffsetAndTimestamp{}, false, ErrClosed
	}
	switch {
	case ts == ListOffsetsLatest:
		return OffsetAndTimestamp{leo, -1}, true, nil
	case ts == ListOffsetsEarliest:
		return OffsetAndTimestamp{lso, -1}, true, nil
	case ts == ListOffsetsMaxTimestamp:
		l.mu.RLock()
		maxTS := int64(-1)
		for _, s := range l.segs {
			maxTS = max(maxTS, s.maxTS)
		}
		l.mu.RUnlock()
		if maxTS < 0 {
			return OffsetAndTimestamp{-1, -1}, false, nil
		}
		ts = maxTS
	case ts < 0:
		return OffsetAndTimestamp{-1, -1}, false, nil
	}
	var prev *segment
	for {
		l.mu.RLock()
		if l.closed {
			l.mu.RUnlock()
			return OffsetAndTimestamp{}, false, ErrClosed
		}
		lso = l.logStart
		i := 0
		if prev != nil {
			i = sort.Search(len(l.segs), func(i int) bool { return l.segs[i].base > prev.base })
		}
		for i < len(l.segs) && l.segs[i].maxTS < ts {
			i++
		}
		if i >= len(l.segs) {
			l.mu.RUnlock()
			return OffsetAndTimestamp{-1, -1}, false, nil
		}
		s := l.segs[i]
		oview, tview, size := s.offIdx.view(), s.timeIdx.view(), s.size
		s.acquire()
		l.mu.RUnlock()
		r, found, err := s.findTimestamp(l.val.codecs, oview, tview, size, ts, lso)
		s.release()
		if err != nil || found {
			return r, found, err
		}
		prev = s
	}
}

// findTimestamp looks for the first record with timestamp >= ts and offset
// >= minOffset in segment s.
func (s *segment) findTimestamp(cd *codecs, oview, tview indexView, size, ts, minOffset int64) (OffsetAndTimestamp, bool, error) {
	from := s.base
	if i, e, err := tview.search(ts, timeKey); err != nil {
		return OffsetAndTimestamp{}, false, fmt.Errorf("%w: reading time index of %s: %v", ErrStorage, s.name, err)
	} else if i >= 0 {
		from = s.base + timeEntryRel(e)
	}
	from = max(from, minOffset)
	pos, err := lookupPos(oview, s.base, from)
	if err != nil {
		return OffsetAndTimestamp{}, false, fmt.Errorf("%w: reading index of %s: %v", ErrStorage, s.name, err)
	}
	w := newHeaderWalker(s.file, size)
	for {
		start, h, ok, err := w.find(pos, from)
		if err != nil {
			return OffsetAndTimestamp{}, false, fmt.Errorf("%w: %s: batch at byte %d: %v", ErrCorruptLog, s.name, start, err)
		}
		if !ok {
			return OffsetAndTimestamp{}, false, nil
		}
		pos = start + h.size()
		if h.maxTimestamp() < ts {
			continue
		}
		b := make([]byte, h.size())
		if _, err := s.file.ReadAt(b, start); err != nil {
			return OffsetAndTimestamp{}, false, fmt.Errorf("%w: reading %s: %v", ErrStorage, s.name, err)
		}
		bh := hdr(b)
		var out OffsetAndTimestamp
		found := false
		err = cd.forEachRecord(b, func(_ int32, r recordInfo) error {
			off, rts := bh.baseOffset()+int64(r.offsetDelta), recordTimestamp(bh, r)
			if rts >= ts && off >= minOffset {
				out, found = OffsetAndTimestamp{off, rts}, true
				return errStop
			}
			return nil
		})
		if err != nil && err != errStop {
			return OffsetAndTimestamp{}, false, fmt.Errorf("%w: %s: batch at byte %d: %v", ErrCorruptLog, s.name, start, err)
		}
		if found {
			return out, true, nil
		}
	}
}

var errStop = errors.New("stop")

// DeleteRecordsBefore advances the log start offset to offset (the
// DeleteRecords API): records below it are no longer readable, and
// segments wholly below it are deleted at once. offset must not exceed the
// high watermark (ErrOffsetOutOfRange; -1 means the high watermark, as in
// DeleteRecordsRequest); an offset at or below the current
// log start offset changes nothing. The new log start offset is reported
// to Options.OnLogStartOffsetChange for persisting.
func (l *Log) DeleteRecordsBefore(offset int64) error {
	l.appendMu.Lock()
	if err := l.checkOpen(); err != nil {
		l.appendMu.Unlock()
		return err
	}
	l.mu.Lock()
	if offset == -1 {
		offset = l.hwLocked()
	}
	if hw := l.hwLocked(); offset > hw || offset < 0 {
		l.mu.Unlock()
		l.appendMu.Unlock()
		return fmt.Errorf("%w: cannot delete records before %d, high watermark is %d", ErrOffsetOutOfRange, offset, hw)
	}
	if offset <= l.logStart {
		l.mu.Unlock()
		l.appendMu.Unlock()
		return nil
	}
	l.logStart = offset
	l.mu.Unlock()
	err := l.epochs.truncateFromStart(offset)
	if _, derr := l.deleteSegments(func(s, next *segment) bool { return next != nil && next.base <= offset }); err == nil {
		err = derr
	}
	l.appendMu.Unlock()
	if l.onStart != nil {
		l.onStart(l)
	}
	return err
}

// ApplyRetention deletes old segments as Kafka's retention check does:
// segments wholly below the log start offset; with cleanup.policy delete,
// the oldest segments whose largest timestamp is more than RetentionMs
// before now, and the oldest segments while the log stays at least
// RetentionBytes large. Only segments wholly below the high watermark go.
// The active segment goes too when it qualifies and is not empty, after a
// new empty segment is rolled (as in Kafka, so an idle partition still
// expires). It returns the number of segments deleted.
func (l *Log) ApplyRetention(now time.Time) (int, error) {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkOpen(); err != nil {
		return 0, err
	}
	l.mu.RLock()
	cfg, lso := l.cfg, l.logStart
	l.mu.RUnlock()
	total := 0
	n, err := l.deleteSegments(func(s, next *segment) bool { return next != nil && next.base <= lso })
	total += n
	if err != nil || !cfg.deletes() {
		return total, err
	}
	if cfg.RetentionMs >= 0 {
		nowMs := now.UnixMilli()
		n, err = l.deleteSegments(func(s, _ *segment) bool { return nowMs-s.largestTimestamp() > cfg.RetentionMs })
		total += n
		if err != nil {
			return total, err
		}
	}
	if cfg.RetentionBytes >= 0 {
		diff := l.Size() - cfg.RetentionBytes
		if diff > 0 {
			n, err = l.deleteSegments(func(s, _ *segment) bool {
				if diff-s.size >= 0 {
					diff -= s.size
					return true
				}
				return false
			})
			total += n
		}
	}
	return total, err
}

// deleteSegments deletes the oldest segments while pred holds (pred sees
// each segment and the one after it, nil for the active segment), stopping
// at the first segment not wholly below the high watermark. Caller holds
// appendMu.
func (l *Log) deleteSegments(pred func(s, next *segment) bool) (int, error) {
	l.mu.RLock()
	segs := slices.Clone(l.segs)
	hw := l.hwLocked()
	leo := l.logEnd
	l.mu.RUnlock()
	n := 0
	for i, s := range segs {
		var next *segment
		if i+1 < len(segs) {
			next = segs[i+1]
		}
		if next == nil && s.size == 0 {
			break
		}
		below := (next != nil && next.base <= hw) || (next == nil && hw >= leo)
		if !below || !pred(s, next) {
			break
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	if n == len(segs) {
		if _, err := l.roll(leo); err != nil {
			return 0, err
		}
	}
	l.mu.Lock()
	victims := slices.Clone(l.segs[:n])
	l.segs = slices.Delete(l.segs, 0, n)
	l.logStart = max(l.logStart, l.segs[0].base)
	lso := l.logStart
	l.mu.Unlock()
	for _, s := range victims {
		l.logger.Info("deleting segment", "segment", s.path, "bytes", s.size)
		s.markDeleted()
	}
	return n, l.epochs.truncateFromStart(lso)
}

// TruncateTo removes every batch at or after the one holding offset (a
// follower truncating what its leader never committed). The log end offset
// becomes offset, or the base offset of the batch holding offset when
// offset falls inside a batch (Kafka would report offset itself, leaving
// a follower unable to append the leader's batch). Offsets at or past the
// log end change nothing; an offset below the first segment empties the
// log (TruncateFullyAndStartAt).
func (l *Log) TruncateTo(offset int64) error {
	if offset < 0 {
		return fmt.Errorf("%w: cannot truncate to %d", ErrOffsetOutOfRange, offset)
	}
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkOpen(); err != nil {
		return err
	}
	l.mu.RLock()
	leo, first := l.logEnd, l.segs[0].base
	i := l.segmentFor(offset)
	s := l.segs[i]
	view, size := s.offIdx.view(), s.size
	l.mu.RUnlock()
	if offset >= leo {
		return nil
	}
	if offset < first {
		err := l.truncateFullyLocked(offset)
		if err == nil && l.onStart != nil {
			l.onStart(l)
		}
		return err
	}
	l.logger.Info("truncating log", "offset", offset, "logEndOffset", leo)
	pos, err := lookupPos(view, s.base, offset)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	w := newHeaderWalker(s.file, size)
	start, h, ok, err := w.find(pos, offset)
	if err != nil {
		return fmt.Errorf("%w: %s: batch at byte %d: %v", ErrCorruptLog, s.path, start, err)
	}
	if !ok {
		start = size
	} else {
		offset = min(offset, h.baseOffset()) // the whole batch holding offset goes
	}
	// Truncate under mu with the generation bumped, so a reader snapshots
	// either the old size and generation (and retries) or the new ones.
	l.mu.Lock()
	defer l.mu.Unlock()
	s.gen.Add(1)
	if err := s.file.Truncate(start); err != nil {
		return fmt.Errorf("%w: truncating %s: %v", ErrStorage, s.path, err)
	}
	// Rebuild the in-memory state of s from its indexes and headers.
	for _, x := range []*index{s.offIdx, s.timeIdx} {
		if err := x.activate(); err != nil {
			return fmt.Errorf("%w: %v", ErrStorage, err)
		}
	}
	rel := offset - s.base
	keep := 0
	for keep < s.offIdx.n && offsetKey(s.offIdx.mem[keep*offsetEntrySize:]) < rel {
		keep++
	}
	s.offIdx.truncate(keep)
	keep = 0
	for keep < s.timeIdx.n && timeEntryRel(s.timeIdx.mem[keep*timeEntrySize:]) < rel {
		keep++
	}
	s.timeIdx.truncate(keep)
	s.maxTS, s.maxTSOffset = -1, s.base
	if e := s.timeIdx.last; e != nil {
		s.maxTS, s.maxTSOffset = timeKey(e), s.base+timeEntryRel(e)
	}
	walkFrom := int64(0)
	if e := s.offIdx.last; e != nil {
		walkFrom = offsetEntryPos(e)
	}
	w = newHeaderWalker(s.file, start)
	for p := walkFrom; ; {
		h, ok, err := w.at(p)
		if err != nil || !ok {
			break
		}
		if h.maxTimestamp() > s.maxTS {
			s.maxTS, s.maxTSOffset = h.maxTimestamp(), h.lastOffset()
		}
		p += h.size()
	}
	s.sinceIndex = start - walkFrom
	s.firstTS, s.firstTSKnown = -1, false
	s.size, s.next, s.active = start, offset, true
	victims := slices.Clone(l.segs[i+1:])
	l.segs = l.segs[:i+1]
	l.logEnd = offset
	l.recoveryPoint = min(l.recoveryPoint, offset)
	if l.highWatermark > offset {
		l.highWatermark = offset
	}
	l.truncGen++
	for _, v := range victims {
		v.markDeleted()
	}
	if err := l.epochs.truncateFromEnd(offset); err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	return nil
}

// TruncateFullyAndStartAt deletes every segment and starts the log over,
// empty, at offset (a follower far behind a leader whose log starts later).
func (l *Log) TruncateFullyAndStartAt(offset int64) error {
	if offset < 0 {
		return fmt.Errorf("%w: cannot start at %d", ErrOffsetOutOfRange, offset)
	}
	l.appendMu.Lock()
	err := l.checkOpen()
	if err == nil {
		err = l.truncateFullyLocked(offset)
	}
	l.appendMu.Unlock()
	if err == nil && l.onStart != nil {
		l.onStart(l)
	}
	return err
}

// truncateFullyLocked: caller holds appendMu (or owns the log during
// load). Old segments are renamed to *.deleted before the new one is
// created (it may reuse a base offset); readers still holding them read
// the old bytes through their descriptors.
func (l *Log) truncateFullyLocked(offset int64) error {
	l.logger.Info("truncating log fully", "newStart", offset)
	l.mu.RLock()
	victims := slices.Clone(l.segs)
	l.mu.RUnlock()
	for _, v := range victims {
		v.renameDeleted()
	}
	s, err := createSegment(l.dir, offset, l.now(), l.logger)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	l.mu.Lock()
	l.segs = []*segment{s}
	l.logStart, l.logEnd, l.recoveryPoint = offset, offset, offset
	if l.highWatermark >= 0 {
		l.highWatermark = offset
	}
	l.truncGen++
	l.mu.Unlock()
	for _, v := range victims {
		v.deleted.Store(true)
		v.release()
	}
	if err := syncDir(l.dir); err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	if err := l.epochs.clear(); err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	return nil
}

// Flush fsyncs every segment holding offsets at or above the recovery
// point and moves the recovery point to the log end offset of the moment
// Flush started. Appends continue meanwhile.
func (l *Log) Flush() error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	target, gen, rp := l.logEnd, l.truncGen, l.recoveryPoint
	var segs []*segment
	if target > rp {
		segs = slices.Clone(l.segs[l.segmentFor(rp):])
		for _, s := range segs {
			s.acquire()
		}
	}
	l.mu.RUnlock()
	var err error
	for _, s := range segs {
		if err == nil {
			if serr := s.file.Sync(); serr != nil {
				err = fmt.Errorf("%w: fsync %s: %v", ErrStorage, s.name, serr)
			}
		}
		s.release()
	}
	if err != nil {
		return err
	}
	l.mu.Lock()
	if l.truncGen == gen && target > l.recoveryPoint {
		l.recoveryPoint = target
	}
	l.lastFlush = l.now()
	l.mu.Unlock()
	return nil
}

// UnflushedMessages returns how many offsets lie above the recovery point.
func (l *Log) UnflushedMessages() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.logEnd - l.recoveryPoint
}

// LastFlush returns when the log was last flushed (or opened).
func (l *Log) LastFlush() time.Time {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.lastFlush
}

// Close flushes the log, writes the active segment's indexes (their last
// time index entry holding the segment's largest timestamp, as Kafka's
// do) and closes its files. The recovery point is then the log end offset.
// The clean-shutdown marker is per log dir, as in Kafka: the Manager
// writes .kafka_cleanshutdown once every log of the dir closed cleanly.
// Close is idempotent; later calls of other methods fail with ErrClosed.
func (l *Log) Close() error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.RLock()
	closed := l.closed
	l.mu.RUnlock()
	if closed {
		return nil
	}
	err := l.Flush()
	active := l.segs[len(l.segs)-1]
	if werr := active.writeIndexes(&l.mu, true); err == nil && werr != nil {
		err = fmt.Errorf("%w: writing indexes of %s: %v", ErrStorage, active.path, werr)
	}
	l.mu.Lock()
	l.closed = true
	segs := l.segs // kept for the offsets and sizes still reported
	l.mu.Unlock()
	for _, s := range segs {
		s.release()
	}
	return err
}

// Delete closes the log, without flushing it, and removes its directory.
func (l *Log) Delete() error {
	l.abandon()
	return os.RemoveAll(l.dir)
}

// abandon closes the log without flushing or writing anything.
func (l *Log) abandon() {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	segs, closed := l.segs, l.closed
	l.closed = true
	l.mu.Unlock()
	if closed {
		return
	}
	for _, s := range segs {
		s.release()
	}
}

// startOffsetCheckpoint returns the log start offset when it lies beyond
// the first segment's base offset: the only case Kafka writes it to
// log-start-offset-checkpoint, since otherwise the files imply it.
func (l *Log) startOffsetCheckpoint() (int64, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if len(l.segs) == 0 || l.logStart <= l.segs[0].base {
		return 0, false
	}
	return l.logStart, true
}
