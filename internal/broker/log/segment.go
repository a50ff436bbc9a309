package plog

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// segment is one <base>.log file with its .index and .timeindex.
//
// Lifetime: the Log's segment list holds one reference; a reader takes
// another (acquire, under the Log's mu) for the I/O it does after
// releasing mu. A segment removed from the list has its files renamed to
// *.deleted at once and closed and unlinked when the last reference goes.
type segment struct {
	base   int64
	name   string   // the .log's original path, for messages (immutable)
	file   *os.File // the .log; ReadAt/WriteAt only
	logger *slog.Logger

	refs    atomic.Int32
	gen     atomic.Uint64 // bumped each time the segment is truncated
	deleted atomic.Bool   // removed from the log; unlink at last release

	// Guarded by the Log's mu (written with appendMu held too).
	path            string // of the .log
	size            int64  // bytes of whole batches
	next            int64  // offset after the last batch (base when empty)
	offIdx, timeIdx *index
	maxTS           int64 // largest batch max timestamp, -1 when none
	maxTSOffset     int64 // last offset of the batch holding maxTS
	active          bool

	// Used by the appender only (appendMu).
	firstTS      int64     // max timestamp of the first batch
	firstTSKnown bool      // firstTS was read
	created      time.Time // when this process created or opened the segment
	sinceIndex   int64     // bytes appended since the last offset index entry
}

func segmentPaths(dir string, base int64) (log, idx, tidx string) {
	return filepath.Join(dir, segmentName(base, logSuffix)),
		filepath.Join(dir, segmentName(base, indexSuffix)),
		filepath.Join(dir, segmentName(base, timeIndexSuffix))
}

// createSegment creates the empty active segment base in dir. An empty
// leftover file of that name is replaced; a non-empty one is an error.
func createSegment(dir string, base int64, now time.Time, logger *slog.Logger) (*segment, error) {
	logPath, idxPath, tidxPath := segmentPaths(dir, base)
	if st, err := os.Stat(logPath); err == nil && st.Size() > 0 {
		return nil, fmt.Errorf("%w: segment %s already exists with %d bytes", ErrCorruptLog, logPath, st.Size())
	}
	f, err := os.OpenFile(logPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	for _, p := range []string{idxPath, tidxPath} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			f.Close()
			return nil, err
		}
	}
	s := &segment{
		base: base, name: logPath, file: f, logger: logger, path: logPath, next: base,
		offIdx: newIndex(idxPath, offsetEntrySize), timeIdx: newIndex(tidxPath, timeEntrySize),
		maxTS: -1, maxTSOffset: base, active: true, firstTS: -1, created: now,
	}
	s.refs.Store(1)
	return s, nil
}

// openSegmentFile opens an existing segment's .log; indexes are loaded by
// the caller.
func openSegmentFile(dir string, base int64, now time.Time, logger *slog.Logger) (*segment, error) {
	logPath, idxPath, tidxPath := segmentPaths(dir, base)
	f, err := os.OpenFile(logPath, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &segment{
		base: base, name: logPath, file: f, logger: logger, path: logPath, size: st.Size(), next: base,
		offIdx: newIndex(idxPath, offsetEntrySize), timeIdx: newIndex(tidxPath, timeEntrySize),
		maxTS: -1, maxTSOffset: base, firstTS: -1, created: now,
	}
	s.refs.Store(1)
	return s, nil
}

func (s *segment) acquire() { s.refs.Add(1) }

// release drops a reference; the last one closes the files and, for a
// deleted segment, unlinks them.
func (s *segment) release() {
	if s.refs.Add(-1) != 0 {
		return
	}
	s.file.Close()
	s.offIdx.close()
	s.timeIdx.close()
	if s.deleted.Load() {
		for _, p := range []string{s.path, s.offIdx.path, s.timeIdx.path} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				s.logger.Warn("removing deleted segment file", "file", p, "err", err)
			}
		}
	}
}

// markDeleted renames the segment's files to *.deleted (the .log first, so
// a crash never leaves a .log without its fate decided) and drops the
// list's reference. Caller holds appendMu and has removed s from the list.
func (s *segment) markDeleted() {
	s.renameDeleted()
	s.deleted.Store(true)
	s.release()
}

// renameDeleted renames the segment's files to *.deleted. Caller holds
// appendMu.
func (s *segment) renameDeleted() {
	if strings.HasSuffix(s.path, deletedSuffix) {
		return
	}
	if err := os.Rename(s.path, s.path+deletedSuffix); err != nil {
		s.logger.Warn("renaming deleted segment", "file", s.path, "err", err)
	} else {
		s.path += deletedSuffix
	}
	for _, x := range []*index{s.offIdx, s.timeIdx} {
		if err := x.rename(x.path + deletedSuffix); err != nil {
			s.logger.Warn("renaming deleted index", "file", x.path, "err", err)
		}
	}
}

// indexBatch applies Kafka's indexing rule for a batch h written at pos:
// an offset index entry (its last offset, its position) and a time index
// entry (largest timestamp so far) once more than interval bytes were
// written since the last entry. Caller holds the Log's mu.
func (s *segment) indexBatch(h hdr, pos int64, interval int32) {
	last := h.lastOffset()
	if ts := h.maxTimestamp(); ts > s.maxTS {
		s.maxTS, s.maxTSOffset = ts, last
	}
	if s.sinceIndex > int64(interval) {
		s.offIdx.add(offsetEntry(int32(last-s.base), int32(pos)))
		s.maybeAddTimeEntry()
		s.sinceIndex = 0
	}
	s.sinceIndex += h.size()
	if pos == 0 {
		s.firstTS, s.firstTSKnown = h.maxTimestamp(), true
	}
	s.next = last + 1
}

// maybeAddTimeEntry appends (maxTS, maxTSOffset) to the time index when it
// is larger than the last entry.
func (s *segment) maybeAddTimeEntry() {
	if s.maxTS < 0 {
		return
	}
	if s.timeIdx.last != nil && s.maxTS <= timeKey(s.timeIdx.last) {
		return
	}
	s.timeIdx.add(timeEntry(s.maxTS, int32(s.maxTSOffset-s.base)))
}

// writeIndexes stores the active segment's indexes on disk, the time index
// ending with the segment's largest timestamp as Kafka's does. Caller holds
// appendMu; the Log's mu is taken for the in-memory change.
func (s *segment) writeIndexes(mu interface {
	Lock()
	Unlock()
}, sync bool) error {
	mu.Lock()
	s.maybeAddTimeEntry()
	mu.Unlock()
	if err := s.offIdx.write(sync); err != nil {
		return err
	}
	return s.timeIdx.write(sync)
}

// firstTimestamp returns the max timestamp of the segment's first batch
// (Kafka's rolling-based timestamp), reading it from disk when unknown.
func (s *segment) firstTimestamp() int64 {
	if !s.firstTSKnown && s.size >= batchHeaderSize {
		var h [batchHeaderSize]byte
		if _, err := s.file.ReadAt(h[:], 0); err == nil {
			s.firstTS, s.firstTSKnown = hdr(h[:]).maxTimestamp(), true
		}
	}
	if !s.firstTSKnown {
		return -1
	}
	return s.firstTS
}

// largestTimestamp is what time-based retention compares: the largest
// batch timestamp, or the file's modification time when no batch has one.
func (s *segment) largestTimestamp() int64 {
	if s.maxTS >= 0 {
		return s.maxTS
	}
	st, err := s.file.Stat()
	if err != nil {
		return -1
	}
	return st.ModTime().UnixMilli()
}

// headerWalker reads batch headers of a segment file in order, through a
// buffer, without reading the records.
type headerWalker struct {
	f    io.ReaderAt
	end  int64 // stop here (segment size)
	buf  []byte
	bpos int64 // file position of buf[0]
	blen int
}

func newHeaderWalker(f io.ReaderAt, end int64) *headerWalker {
	return &headerWalker{f: f, end: end, buf: make([]byte, 16<<10)}
}

// at returns the header of the batch at pos. ok is false at the end of the
// segment; err reports a header that is cut off, too short or not magic 2,
// or a batch that runs past the end.
func (w *headerWalker) at(pos int64) (h hdr, ok bool, err error) {
	if pos >= w.end {
		return nil, false, nil
	}
	if pos+batchHeaderSize > w.end {
		return nil, false, fmt.Errorf("%d bytes at the end are not a whole batch header", w.end-pos)
	}
	if pos < w.bpos || pos+batchHeaderSize > w.bpos+int64(w.blen) {
		n := int64(len(w.buf))
		if w.end-pos < n {
			n = w.end - pos
		}
		m, err := w.f.ReadAt(w.buf[:n], pos)
		if int64(m) < batchHeaderSize {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return nil, false, err
		}
		w.bpos, w.blen = pos, m
	}
	h = hdr(w.buf[pos-w.bpos : pos-w.bpos+batchHeaderSize])
	if h.length() < minBatchLength || pos+h.size() > w.end {
		return nil, false, fmt.Errorf("batch length %d is invalid at this position", h.length())
	}
	if h.magic() != 2 {
		return nil, false, fmt.Errorf("batch has magic %d", h.magic())
	}
	return h, true, nil
}

// find returns the position and header of the first batch at or after pos
// whose last offset is >= target. ok is false when there is none.
func (w *headerWalker) find(pos, target int64) (int64, hdr, bool, error) {
	for {
		h, ok, err := w.at(pos)
		if err != nil || !ok {
			return pos, nil, false, err
		}
		if h.lastOffset() >= target {
			return pos, h, true, nil
		}
		pos += h.size()
	}
}

// lookupPos returns the position to start scanning for target: the
// position of the index entry with the largest offset <= target, or 0.
func lookupPos(v indexView, base, target int64) (int64, error) {
	rel := target - base
	if rel > math.MaxInt32 {
		rel = math.MaxInt32
	}
	i, e, err := v.search(rel, offsetKey)
	if err != nil || i < 0 {
		return 0, err
	}
	return offsetEntryPos(e), nil
}

// damage describes an invalid batch found during recovery.
type damage struct {
	pos    int64
	reason string
	// length is the batch length when it was plausible (the batch lies
	// within the file), else 0.
	length int64
}

// recoverResult is what a full scan of a segment found.
type recoverResult struct {
	validBytes int64
	dmg        *damage
}

// recover scans the whole segment: it checks every batch (framing, magic
// 2, CRC-32C, offsets increasing from minOffset and fitting the segment),
// rebuilds the indexes in memory, recomputes the timestamps and the next
// offset, and assigns leader epochs to cache. It stops at the first
// invalid batch and reports it; it does not truncate. Caller holds the
// Log's mu or owns s exclusively.
func (s *segment) recover(minOffset int64, interval int32, epochs *epochCache) (recoverResult, error) {
	s.offIdx.reset()
	s.timeIdx.reset()
	s.maxTS, s.maxTSOffset, s.firstTS, s.firstTSKnown, s.sinceIndex, s.next = -1, s.base, -1, false, 0, s.base
	st, err := s.file.Stat()
	if err != nil {
		return recoverResult{}, err
	}
	size := st.Size()
	br := bufio.NewReaderSize(io.NewSectionReader(s.file, 0, size), int(min(max(size, 16), 1<<20)))
	var header [batchHeaderSize]byte
	expect := max(minOffset, s.base)
	crcw := &crcWriter{}
	for pos := int64(0); pos < size; {
		bad := func(reason string, length int64) (recoverResult, error) {
			return recoverResult{validBytes: pos, dmg: &damage{pos: pos, reason: reason, length: length}}, nil
		}
		if size-pos < batchHeaderSize {
			return bad(fmt.Sprintf("%d bytes at the end are not a whole batch header", size-pos), 0)
		}
		if _, err := io.ReadFull(br, header[:]); err != nil {
			return recoverResult{}, err
		}
		h := hdr(header[:])
		length := int64(h.length())
		if length < minBatchLength || pos+length+logOverhead > size {
			return bad(fmt.Sprintf("batch length %d does not fit", length), 0)
		}
		if h.magic() != 2 {
			return bad(fmt.Sprintf("batch has magic %d", h.magic()), length)
		}
		crcw.crc = crc32.Update(0, castagnoli, header[offAttributes:])
		if _, err := io.CopyN(crcw, br, length+logOverhead-batchHeaderSize); err != nil {
			return recoverResult{}, err
		}
		if crcw.crc != h.crc() {
			return bad(fmt.Sprintf("batch crc is %08x, computed %08x", h.crc(), crcw.crc), length)
		}
		if h.baseOffset() < expect || h.lastOffsetDelta() < 0 || !fitsRelative(s.base, h.lastOffset()) {
			return recoverResult{}, fmt.Errorf("%w: %s: batch at byte %d has offsets [%d, %d], expected from %d within the segment",
				ErrCorruptLog, s.path, pos, h.baseOffset(), h.lastOffset(), expect)
		}
		s.indexBatch(h, pos, interval)
		if e := h.leaderEpoch(); e >= 0 {
			if latest, ok := epochs.latest(); !ok || e > latest.epoch {
				if err := epochs.assign(e, h.baseOffset()); err != nil {
					return recoverResult{}, err
				}
			}
		}
		expect = h.lastOffset() + 1
		pos += length + logOverhead
	}
	return recoverResult{validBytes: size}, nil
}

type crcWriter struct{ crc uint32 }

func (c *crcWriter) Write(p []byte) (int, error) {
	c.crc = crc32.Update(c.crc, castagnoli, p)
	return len(p), nil
}

// validBatchAfter reports whether a valid batch (magic 2, plausible
// length, matching CRC) starts anywhere in [from, size) of f. Recovery
// uses it to tell a torn tail (nothing valid after the damage) from
// corruption in the middle of the log.
func validBatchAfter(f io.ReaderAt, from, size int64) (int64, bool, error) {
	const chunk = 1 << 20
	buf := make([]byte, min(chunk, max(size-from, 0))+batchHeaderSize)
	for start := from; start+batchHeaderSize <= size; start += chunk {
		n := int64(len(buf))
		if size-start < n {
			n = size - start
		}
		m, err := f.ReadAt(buf[:n], start)
		if int64(m) < n {
			return 0, false, err
		}
		for i := int64(0); i < min(chunk, n-batchHeaderSize+1); i++ {
			h := hdr(buf[i : i+batchHeaderSize])
			if h.magic() != 2 {
				continue
			}
			length := int64(h.length())
			pos := start + i
			if length < minBatchLength || pos+length+logOverhead > size {
				continue
			}
			b := make([]byte, length+logOverhead)
			if _, err := f.ReadAt(b, pos); err != nil {
				return 0, false, err
			}
			if batchCRC(b) == hdr(b).crc() {
				return pos, true, nil
			}
		}
	}
	return 0, false, nil
}
