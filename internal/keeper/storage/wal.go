package storage

import (
	"cmp"
	"errors"
	"fmt"
	"io"
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

// Entry is one log entry: a raft entry's term, index and the keeper's encoded
// transaction. Entries handed out by the WAL share their Data with the WAL's
// cache and with other readers: treat Data as read-only.
type Entry struct {
	Term  uint64
	Index uint64
	Data  []byte
}

// WAL defaults.
const (
	// DefaultSegmentBytes is the size past which the WAL starts a new segment.
	DefaultSegmentBytes = 64 << 20
	// DefaultCacheBytes bounds the in-memory cache of recent entries.
	DefaultCacheBytes = 4 << 20

	flushBytes  = 1 << 20  // buffered records written to the file past this
	sparseEvery = 64 << 10 // bytes between points of a segment's offset index
	walDirName  = "wal"
	maxIndex    = 1<<64 - 1 // never a valid index: LastIndex()+1 must not wrap

	// preallocName is the file the next segment is prepared in (never a
	// segment name: recovery ignores it, OpenWAL removes a leftover one).
	preallocName = "next.prealloc"
	// preallocChunk is the size of the zero writes that prepare a segment.
	// Each is synced, then the preparation pauses for preallocPause (in the
	// background only), so that its writeback reaches the disk in small
	// pieces spread over a few seconds: the log's own syncs wait behind at
	// most one chunk, not a burst of 64 MiB.
	preallocChunk = 1 << 20
	preallocPause = 5 * time.Millisecond
)

// WALOptions configures OpenWAL. The zero value gives the defaults.
type WALOptions struct {
	// SegmentBytes is the size past which a new segment is started; 0 means
	// DefaultSegmentBytes. A segment always holds at least one record, so a
	// larger entry makes a larger segment.
	SegmentBytes int64
	// CacheBytes bounds the cache of recent entries (data plus record
	// overhead) that Entries and ReadFrom serve without reading disk; 0 means
	// DefaultCacheBytes, a negative value caches only entries not yet written
	// to the file.
	CacheBytes int64
	// Preallocate makes every segment a file of SegmentBytes zeros, written
	// and synced ahead of use by a background goroutine while the previous
	// segment fills; records then overwrite blocks that are already allocated,
	// which Datasync makes durable much faster than appends on most file
	// systems. A zero-filled tail after the last record is then the normal
	// end of the log (no warning, kept for reuse). The active segment found at
	// open is used as it is; the log moves on to a preallocated segment as
	// soon as one is ready.
	Preallocate bool
	// Logger receives repair warnings; nil discards them.
	Logger *slog.Logger

	// preallocInline prepares the next segment synchronously when it is
	// needed, instead of in the background (deterministic tests).
	preallocInline bool
}

// WAL is the keeper's write-ahead log: a directory of segment files holding
// entries with contiguous indexes.
//
// Concurrency: Append, Sync, TruncateAfter, Compact and Close are serialised
// by a mutex, Sync's wait for the disk included: the log's writers append
// and sync in turn (a group commit: many Appends, then one Sync), so an
// Append concurrent with a Sync would only split the next group. Any number
// of goroutines may call FirstIndex, LastIndex, LastTerm, Term, Entries and
// ReadFrom concurrently with them; they never wait for an fdatasync. Readers
// see every appended entry, synced or not.
//
// Locking: writeMu serialises writers. fileMu is held
// shared by readers while they read segment files and exclusively by
// TruncateAfter, Compact and Close, the only operations that shrink or remove
// files; Append and Sync only add bytes past what readers read, so they never
// wait for a reader. mu guards the in-memory state (segment list, indexes,
// cache) and is held briefly. errMu guards the sticky error. The order is
// writeMu, then fileMu, then mu; errMu is a leaf.
type WAL struct {
	fs   FS
	dir  string
	opts WALOptions
	log  *slog.Logger

	writeMu sync.Mutex
	// Owned by the writer (writeMu); segs' fields are also changed under mu.
	f           File      // active (last) segment; nil when the WAL is empty
	activeBytes int64     // size of the active segment including buf
	activeFile  int64     // size of the active segment's file (>= its records with a zero tail)
	buf         []byte    // encoded records not yet written to f
	dirty       bool      // bytes written to f since its last fsync
	prep        *prealloc // the next segment being prepared; nil when none is
	prepFailed  bool      // preparing failed; not tried again before the next segment

	errMu sync.Mutex
	err   error // sticky failure: the WAL must be reopened

	fileMu sync.RWMutex

	mu           sync.RWMutex
	closed       bool
	segs         []*segment
	lastIndex    uint64
	lastTerm     uint64
	flushedIndex uint64  // last index whose record is in the file (not in buf)
	cache        []Entry // recent entries, contiguous, ending at lastIndex
	cacheBytes   int64
}

// segment describes one segment file.
type segment struct {
	path       string
	first      uint64
	last       uint64 // first-1 when the segment holds no record
	size       int64  // bytes in the file, excluding the writer's buffer
	sparse     []sparsePoint
	lastSparse int64
}

// sparsePoint is an entry of a segment's offset index: record index is at off.
type sparsePoint struct {
	index uint64
	off   int64
}

func (s *segment) addSparse(index uint64, off int64) {
	if len(s.sparse) == 0 || off-s.lastSparse >= sparseEvery {
		s.sparse = append(s.sparse, sparsePoint{index, off})
		s.lastSparse = off
	}
}

// seek returns the offset and index of a record at or before index.
func (s *segment) seek(index uint64) (int64, uint64) {
	i := sort.Search(len(s.sparse), func(i int) bool { return s.sparse[i].index > index })
	if i == 0 {
		return walHeaderSize, s.first
	}
	return s.sparse[i-1].off, s.sparse[i-1].index
}

// OpenWAL opens (creating if needed) the WAL in dir/wal, where dir is the
// keeper's dataLogDir. It verifies every segment, repairs a torn tail (with a
// warning naming file and offset) and returns an error wrapping ErrCorrupt,
// naming file and offset, for any other damage.
func OpenWAL(fsys FS, dir string, opts WALOptions) (*WAL, error) {
	if opts.SegmentBytes < 0 {
		return nil, fmt.Errorf("storage: WALOptions.SegmentBytes is %d, must not be negative", opts.SegmentBytes)
	}
	if opts.SegmentBytes == 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	w := &WAL{fs: fsys, dir: filepath.Join(dir, walDirName), opts: opts, log: opts.Logger}
	if err := makeDir(fsys, w.dir); err != nil {
		return nil, fmt.Errorf("storage: create wal dir: %w", err)
	}
	names, err := fsys.ReadDir(w.dir)
	if err != nil {
		return nil, fmt.Errorf("storage: list wal dir: %w", err)
	}
	var segs []*segment
	for _, name := range names {
		first, ok := parseIndexName(name, segmentSuffix)
		if !ok {
			if strings.HasSuffix(name, segmentSuffix) {
				w.log.Warn("storage: ignoring wal file with a malformed name", "file", filepath.Join(w.dir, name))
			}
			continue
		}
		segs = append(segs, &segment{path: filepath.Join(w.dir, name), first: first, last: first - 1})
	}
	slices.SortFunc(segs, func(a, b *segment) int { return cmp.Compare(a.first, b.first) })
	if err := w.recover(segs); err != nil {
		return nil, err
	}
	if opts.Preallocate {
		// A leftover from before a crash or Close may be partly written.
		if err := fsys.Remove(w.preallocPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			w.closeActive()
			return nil, fmt.Errorf("storage: remove leftover %s: %w", w.preallocPath(), err)
		}
		w.maybePrepare()
	}
	return w, nil
}

// closeActive closes the active segment after a failed open.
func (w *WAL) closeActive() {
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}

// recover scans segs, repairs a torn tail and sets up the WAL's state.
func (w *WAL) recover(segs []*segment) error {
	var term uint64
	for i := 0; i < len(segs); i++ {
		s := segs[i]
		var expect uint64
		if i > 0 {
			expect = segs[i-1].last + 1
		}
		remove, t, err := w.scanSegment(s, i == len(segs)-1, expect, term)
		if err != nil {
			return err
		}
		if remove {
			if err := w.removeFile(s.path); err != nil {
				return err
			}
			segs = segs[:i]
			break
		}
		term = t
	}
	if len(segs) == 0 || segs[len(segs)-1].last < segs[0].first {
		// No entries at all: only header-only segments, which say nothing.
		for i := len(segs) - 1; i >= 0; i-- {
			if err := w.removeFile(segs[i].path); err != nil {
				return err
			}
		}
		return nil
	}
	active := segs[len(segs)-1]
	f, err := w.fs.OpenFile(active.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("storage: open wal segment: %w", err)
	}
	fileSize, err := f.Size()
	if err != nil {
		f.Close()
		return fmt.Errorf("storage: stat wal segment: %w", err)
	}
	w.f = f
	w.activeBytes = active.size
	w.activeFile = fileSize
	w.segs = segs
	w.lastIndex = active.last
	w.lastTerm = term
	w.flushedIndex = w.lastIndex
	return nil
}

// scanSegment verifies s. expect is the index s must start at (0: any) and
// minTerm the term of the entry before it. It returns remove when s is the
// last segment and its header is torn, and the term of its last entry.
func (w *WAL) scanSegment(s *segment, isLast bool, expect, minTerm uint64) (remove bool, lastTerm uint64, err error) {
	flag := os.O_RDONLY
	if isLast {
		flag = os.O_RDWR
	}
	f, err := w.fs.OpenFile(s.path, flag, 0)
	if err != nil {
		return false, 0, fmt.Errorf("storage: open wal segment: %w", err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return false, 0, fmt.Errorf("storage: stat wal segment: %w", err)
	}

	if s.first == 0 || s.first == maxIndex {
		return false, 0, corruptf(s.path, 0, "segment name says first index %d", s.first)
	}
	hdr := make([]byte, min(size, walHeaderSize))
	if _, err := f.ReadAt(hdr, 0); err != nil && !errors.Is(err, io.EOF) {
		return false, 0, fmt.Errorf("storage: read wal segment %s: %w", s.path, err)
	}
	first, reason := decodeSegmentHeader(hdr)
	if reason == "" && first != s.first {
		reason = fmt.Sprintf("header says first index %d, file name says %d", first, s.first)
	}
	if reason != "" {
		if !isLast {
			return false, 0, corruptf(s.path, 0, "%s", reason)
		}
		if off, ok, err := findValidRecord(f, walHeaderSize, size, s.first, minTerm); ok {
			return false, 0, afterDamage(s.path, 0, reason, off, err)
		} else if err != nil {
			return false, 0, fmt.Errorf("storage: read wal segment %s: %w", s.path, err)
		}
		w.log.Warn("storage: removing last wal segment with a torn header",
			"file", s.path, "offset", 0, "reason", reason, "bytes", size)
		return true, minTerm, nil
	}
	if expect != 0 && s.first != expect {
		return false, 0, corruptf(s.path, 0, "segment starts at index %d, want %d: a segment is missing or overlaps", s.first, expect)
	}

	rr := newRecordReader(f, walHeaderSize, size)
	next, term := s.first, minTerm
	for {
		off := rr.off
		e, err := rr.next()
		if err == io.EOF {
			break
		}
		var bad *badRecord
		if errors.As(err, &bad) {
			if !isLast {
				return false, 0, corruptf(s.path, bad.off, "%s", bad.reason)
			}
			if w.opts.Preallocate {
				zero, err := allZero(f, bad.off, size)
				if err != nil {
					return false, 0, fmt.Errorf("storage: read wal segment %s: %w", s.path, err)
				}
				if zero {
					// The preallocated rest of the segment: the end of the log.
					s.last, s.size = next-1, bad.off
					return false, term, nil
				}
			}
			voff, ok, err := findValidRecord(f, bad.off+1, size, next, term)
			if ok {
				return false, 0, afterDamage(s.path, bad.off, bad.reason, voff, err)
			} else if err != nil {
				return false, 0, fmt.Errorf("storage: read wal segment %s: %w", s.path, err)
			}
			torn := &CorruptError{Path: s.path, Offset: bad.off, Reason: bad.reason, Err: ErrTorn}
			w.log.Warn("storage: truncating torn wal tail",
				"file", s.path, "offset", bad.off, "reason", bad.reason, "dropped_bytes", size-bad.off, "err", torn)
			if err := f.Truncate(bad.off); err != nil {
				return false, 0, fmt.Errorf("storage: truncate torn wal tail: %w", err)
			}
			if err := f.Sync(); err != nil {
				return false, 0, fmt.Errorf("storage: sync repaired wal segment: %w", err)
			}
			size = bad.off
			break
		}
		if err != nil {
			return false, 0, fmt.Errorf("storage: read wal segment %s: %w", s.path, err)
		}
		if e.Index != next || e.Index == maxIndex {
			return false, 0, corruptf(s.path, off, "record has index %d, want %d", e.Index, next)
		}
		if e.Term < term {
			return false, 0, corruptf(s.path, off, "record %d has term %d, below the previous term %d", e.Index, e.Term, term)
		}
		s.addSparse(e.Index, off)
		next, term = next+1, e.Term
	}
	s.last = next - 1
	s.size = size
	return false, term, nil
}

// afterDamage is the error for damage at off followed by data that may be
// valid (at voff, or unknown when err is errScanBudget).
func afterDamage(path string, off int64, reason string, voff int64, err error) error {
	if err != nil {
		return corruptf(path, off, "%s; %v", reason, err)
	}
	return corruptf(path, off, "%s, yet a valid record follows at offset %d", reason, voff)
}

// removeFile removes name and makes the removal durable.
func (w *WAL) removeFile(name string) error {
	if err := w.fs.Remove(name); err != nil {
		return fmt.Errorf("storage: remove wal segment: %w", err)
	}
	if err := w.fs.SyncDir(w.dir); err != nil {
		return fmt.Errorf("storage: sync wal dir: %w", err)
	}
	return nil
}

// Dir returns the directory holding the segment files.
func (w *WAL) Dir() string { return w.dir }

// FirstIndex returns the index of the first entry, or 0 when the WAL is empty.
func (w *WAL) FirstIndex() uint64 {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if len(w.segs) == 0 {
		return 0
	}
	return w.segs[0].first
}

// LastIndex returns the index of the last entry appended (synced or not), or 0
// when the WAL is empty.
func (w *WAL) LastIndex() uint64 {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.lastIndex
}

// LastTerm returns the term of the last entry appended, or 0 when the WAL is
// empty.
func (w *WAL) LastTerm() uint64 {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.lastTerm
}

// usable reports why the writer may not proceed. Called with writeMu held.
func (w *WAL) usable() error {
	if w.closed {
		return ErrClosed
	}
	if err := w.failed(); err != nil {
		return fmt.Errorf("storage: wal failed earlier, reopen it: %w", err)
	}
	return nil
}

// failed returns the sticky failure, if any.
func (w *WAL) failed() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

// fail records a write failure: after it the on-disk state is unknown, so
// every later write fails until the WAL is reopened (and recovered).
func (w *WAL) fail(err error) error {
	w.errMu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.errMu.Unlock()
	return err
}

// Append adds entries to the log. The first must have index LastIndex()+1
// (any index >= 1 when the WAL is empty), the rest follow contiguously, and
// terms must not decrease; otherwise Append returns ErrOutOfOrder and appends
// nothing. Entries are buffered: they are durable only once Sync returns.
// Append copies Data. It may write to the file and, when it starts a new
// segment, fsync.
func (w *WAL) Append(entries ...Entry) error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	next, term := w.lastIndex+1, w.lastTerm
	for i, e := range entries {
		switch {
		case e.Index == 0:
			return fmt.Errorf("storage: append entry with index 0: %w", ErrOutOfOrder)
		case e.Index != next && (i > 0 || w.lastIndex != 0):
			return fmt.Errorf("storage: append entry %d, want index %d: %w", e.Index, next, ErrOutOfOrder)
		case e.Term < term:
			return fmt.Errorf("storage: append entry %d with term %d below term %d: %w", e.Index, e.Term, term, ErrOutOfOrder)
		case e.Index == maxIndex:
			return fmt.Errorf("storage: append entry with index %d: %w", e.Index, ErrOutOfOrder)
		case len(e.Data) > MaxEntryBytes:
			return fmt.Errorf("storage: append entry %d of %d bytes: %w", e.Index, len(e.Data), ErrTooLarge)
		}
		next, term = e.Index+1, e.Term
	}
	// One copy of all the data for the cache, not one per entry.
	total := 0
	for _, e := range entries {
		total += len(e.Data)
	}
	slab := make([]byte, 0, total)
	for _, e := range entries {
		var data []byte // empty data is cached as nil
		if len(e.Data) > 0 {
			at := len(slab)
			slab = append(slab, e.Data...)
			data = slab[at:len(slab):len(slab)]
		}
		if err := w.appendOne(e, data); err != nil {
			return err
		}
	}
	return nil
}

// appendOne appends e, whose copy of Data for the cache is data.
func (w *WAL) appendOne(e Entry, data []byte) error {
	rec := int64(recordHeaderSize + len(e.Data))
	if w.f == nil {
		if err := w.createSegment(e.Index); err != nil {
			return err
		}
	} else if s := w.segs[len(w.segs)-1]; s.last >= s.first &&
		(w.activeBytes+rec > w.opts.SegmentBytes || w.activeFile < w.opts.SegmentBytes && w.preallocReady()) {
		// Full, or not preallocated while a preallocated segment is ready.
		if err := w.roll(e.Index); err != nil {
			return err
		}
	}
	off := w.activeBytes
	w.buf = appendRecord(w.buf, e)
	w.activeBytes += rec

	w.mu.Lock()
	s := w.segs[len(w.segs)-1]
	s.last = e.Index
	s.addSparse(e.Index, off)
	w.lastIndex, w.lastTerm = e.Index, e.Term
	w.cache = append(w.cache, Entry{Term: e.Term, Index: e.Index, Data: data})
	w.cacheBytes += rec
	w.evictLocked()
	w.mu.Unlock()

	w.maybePrepare()
	if len(w.buf) >= flushBytes {
		return w.flush()
	}
	return nil
}

// evictLocked trims the cache to CacheBytes, never dropping an entry that is
// not yet in the file. Called with mu held.
func (w *WAL) evictLocked() {
	limit := max(w.opts.CacheBytes, 0)
	n := 0
	for n < len(w.cache) && w.cacheBytes > limit && w.cache[n].Index <= w.flushedIndex {
		w.cacheBytes -= int64(recordHeaderSize + len(w.cache[n].Data))
		n++
	}
	if n > 0 {
		// Readers may hold the old slice: never write below its length.
		w.cache = w.cache[n:]
	}
}

// flush writes the buffered records to the active segment (no fsync).
func (w *WAL) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	n := int64(len(w.buf))
	at := w.activeBytes - n // where the buffered records start in the file
	if _, err := w.f.WriteAt(w.buf, at); err != nil {
		return w.fail(fmt.Errorf("storage: write wal: %w", err))
	}
	w.activeFile = max(w.activeFile, at+n)
	if cap(w.buf) > 4*flushBytes {
		w.buf = nil
	} else {
		w.buf = w.buf[:0]
	}
	w.dirty = true
	w.mu.Lock()
	w.segs[len(w.segs)-1].size += n
	w.flushedIndex = w.lastIndex
	w.evictLocked()
	w.mu.Unlock()
	return nil
}

// Sync writes buffered entries and fsyncs the active segment: when it returns
// nil, every entry appended before the call survives a crash. Callers batch
// many Appends per Sync (group commit); a Sync with nothing new is cheap.
// Writers wait for it (see WAL).
func (w *WAL) Sync() error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	return w.syncLocked()
}

// syncLocked is Sync for a writer that holds writeMu (Sync, roll, Close).
func (w *WAL) syncLocked() error {
	if err := w.flush(); err != nil {
		return err
	}
	if err := w.failed(); err != nil {
		return err
	}
	if !w.dirty {
		return nil
	}
	if err := w.f.Datasync(); err != nil {
		return w.fail(fmt.Errorf("storage: fdatasync wal: %w", err))
	}
	w.dirty = false
	return nil
}

// roll makes the active segment durable and starts a new one at index first.
// A segment that is not the last has no zero tail: it is cut to its records
// first, durably, so that recovery can tell any damage in it from a torn tail.
func (w *WAL) roll(first uint64) error {
	if err := w.syncLocked(); err != nil {
		return err
	}
	if w.activeFile > w.activeBytes {
		if err := w.f.Truncate(w.activeBytes); err != nil {
			return w.fail(fmt.Errorf("storage: cut the zero tail of a full wal segment: %w", err))
		}
		if err := w.f.Sync(); err != nil {
			return w.fail(fmt.Errorf("storage: fsync wal segment: %w", err))
		}
		w.activeFile = w.activeBytes
	}
	if err := w.f.Close(); err != nil {
		return w.fail(fmt.Errorf("storage: close wal segment: %w", err))
	}
	w.f = nil
	return w.createSegment(first)
}

// createSegment creates the segment file for index first, durably, and makes
// it the active segment: the prepared zero-filled file when one is ready,
// else a file holding only the header.
func (w *WAL) createSegment(first uint64) error {
	path := filepath.Join(w.dir, segmentName(first))
	var f File
	var size int64
	if w.preallocReady() {
		var err error
		if f, size, err = w.takePrealloc(path, first); err != nil {
			return w.fail(err)
		}
	} else {
		var err error
		if f, err = w.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644); err != nil {
			return w.fail(fmt.Errorf("storage: create wal segment: %w", err))
		}
		if _, err := f.WriteAt(encodeSegmentHeader(first), 0); err != nil {
			f.Close()
			return w.fail(fmt.Errorf("storage: write wal segment header %s: %w", path, err))
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return w.fail(fmt.Errorf("storage: fsync wal segment %s: %w", path, err))
		}
		size = walHeaderSize
	}
	if err := w.fs.SyncDir(w.dir); err != nil {
		f.Close()
		return w.fail(fmt.Errorf("storage: fsync wal dir: %w", err))
	}
	w.f, w.activeBytes, w.activeFile, w.dirty = f, walHeaderSize, size, false
	w.mu.Lock()
	w.segs = append(w.segs, &segment{path: path, first: first, last: first - 1, size: walHeaderSize})
	w.mu.Unlock()
	w.prepFailed = false
	return nil
}

// TruncateAfter removes every entry with an index above index, durably (for
// raft log conflicts). Segments holding only such entries are removed, newest
// first. When index is below FirstIndex the WAL becomes empty and the next
// Append may start at any index. It is a no-op when index >= LastIndex.
func (w *WAL) TruncateAfter(index uint64) error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	if w.lastIndex == 0 || index >= w.lastIndex {
		return nil
	}
	if err := w.flush(); err != nil {
		return err
	}
	w.fileMu.Lock()
	defer w.fileMu.Unlock()

	for n := len(w.segs); n > 0 && w.segs[n-1].first > index; n-- {
		s := w.segs[n-1]
		if n == len(w.segs) && w.f != nil {
			w.f.Close()
			w.f = nil
			w.activeFile = 0
		}
		if err := w.removeFile(s.path); err != nil {
			return w.fail(err)
		}
		w.mu.Lock()
		w.segs = w.segs[:n-1]
		w.mu.Unlock()
	}
	if len(w.segs) == 0 {
		w.mu.Lock()
		w.lastIndex, w.lastTerm, w.flushedIndex = 0, 0, 0
		w.cache, w.cacheBytes = nil, 0
		w.mu.Unlock()
		w.activeBytes, w.dirty = 0, false
		return nil
	}

	s := w.segs[len(w.segs)-1]
	end, term, err := w.locate(s, index)
	if err != nil {
		return w.fail(err)
	}
	if w.f == nil {
		f, err := w.fs.OpenFile(s.path, os.O_RDWR, 0)
		if err != nil {
			return w.fail(fmt.Errorf("storage: open wal segment: %w", err))
		}
		w.f = f
	}
	if err := w.f.Truncate(end); err != nil {
		return w.fail(fmt.Errorf("storage: truncate wal segment %s: %w", s.path, err))
	}
	if err := w.f.Sync(); err != nil {
		return w.fail(fmt.Errorf("storage: fsync wal segment %s: %w", s.path, err))
	}
	w.activeBytes, w.activeFile, w.dirty = end, end, false

	w.mu.Lock()
	defer w.mu.Unlock()
	s.last, s.size = index, end
	k := sort.Search(len(s.sparse), func(i int) bool { return s.sparse[i].index > index })
	s.sparse = slices.Clip(s.sparse[:k]) // clip: readers may hold the longer slice
	s.lastSparse = 0
	if k > 0 {
		s.lastSparse = s.sparse[k-1].off
	}
	w.lastIndex, w.lastTerm, w.flushedIndex = index, term, index
	if len(w.cache) > 0 && w.cache[0].Index <= index {
		w.cache = slices.Clip(w.cache[:index-w.cache[0].Index+1])
	} else {
		w.cache = nil
	}
	w.cacheBytes = 0
	for _, e := range w.cache {
		w.cacheBytes += int64(recordHeaderSize + len(e.Data))
	}
	return nil
}

// locate returns the file offset just past entry index in s, and its term.
func (w *WAL) locate(s *segment, index uint64) (int64, uint64, error) {
	f, err := w.fs.Open(s.path)
	if err != nil {
		return 0, 0, fmt.Errorf("storage: open wal segment: %w", err)
	}
	defer f.Close()
	off, next := s.seek(index)
	rr := newRecordReader(f, off, s.size)
	for {
		roff := rr.off
		e, err := rr.next()
		if err != nil {
			return 0, 0, w.readFailure(s.path, roff, next, err)
		}
		if e.Index != next {
			return 0, 0, corruptf(s.path, roff, "record has index %d, want %d", e.Index, next)
		}
		if e.Index == index {
			return rr.off, e.Term, nil
		}
		next++
	}
}

// readFailure turns an error from recordReader.next into the error a reader
// returns.
func (w *WAL) readFailure(path string, off int64, want uint64, err error) error {
	var bad *badRecord
	switch {
	case errors.As(err, &bad):
		return corruptf(path, bad.off, "%s", bad.reason)
	case err == io.EOF:
		return corruptf(path, off, "segment ends before entry %d", want)
	default:
		return fmt.Errorf("storage: read wal segment %s: %w", path, err)
	}
}

// Compact removes, oldest first, every segment all of whose entries have
// indexes below index. It never removes the active segment nor the segment
// holding the last entry, so FirstIndex may stay below index.
func (w *WAL) Compact(index uint64) error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	w.fileMu.Lock()
	defer w.fileMu.Unlock()
	for len(w.segs) >= 2 {
		s0, s1 := w.segs[0], w.segs[1]
		if s1.first > index {
			break // s0 holds an entry >= index
		}
		if len(w.segs) == 2 && s1.last < s1.first {
			break // s0 holds the last entry
		}
		if err := w.removeFile(s0.path); err != nil {
			return w.fail(err)
		}
		w.mu.Lock()
		w.segs = w.segs[1:]
		n := 0
		for n < len(w.cache) && w.cache[n].Index < s1.first {
			w.cacheBytes -= int64(recordHeaderSize + len(w.cache[n].Data))
			n++
		}
		w.cache = w.cache[n:]
		w.mu.Unlock()
	}
	return nil
}

// Close syncs buffered entries and closes the WAL. Readers in progress finish
// first; later calls of any method return ErrClosed.
func (w *WAL) Close() error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if w.closed {
		return ErrClosed
	}
	err := w.failed()
	if err == nil && w.f != nil {
		err = w.syncLocked()
	}
	if w.f != nil {
		if cerr := w.f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("storage: close wal segment: %w", cerr)
		}
		w.f = nil
	}
	w.stopPrealloc()
	w.fileMu.Lock()
	w.mu.Lock()
	w.closed = true
	w.cache, w.cacheBytes = nil, 0
	w.mu.Unlock()
	w.fileMu.Unlock()
	return err
}

// Term returns the term of entry index.
func (w *WAL) Term(index uint64) (uint64, error) {
	ents, err := w.Entries(index, index+1, 0)
	if err != nil {
		return 0, err
	}
	return ents[0].Term, nil
}

// Entries returns the entries with indexes in [lo, hi), at least one when
// lo < hi, and no more than fit in maxBytes counting each as
// len(Data)+24 bytes (raft's Storage.Entries contract). It returns
// ErrCompacted when lo < FirstIndex and ErrUnavailable when hi > LastIndex+1
// or the WAL is empty. Recent entries come from memory, older ones from disk.
func (w *WAL) Entries(lo, hi, maxBytes uint64) ([]Entry, error) {
	if lo > hi {
		return nil, fmt.Errorf("storage: invalid entry range [%d, %d)", lo, hi)
	}
	var out []Entry
	var total uint64
	add := func(e Entry) (bool, error) {
		sz := uint64(recordHeaderSize + len(e.Data))
		if len(out) > 0 && total+sz > maxBytes {
			return false, nil
		}
		total += sz
		out = append(out, e)
		return true, nil
	}

	// Fast path: all from the cache, without fileMu.
	w.mu.RLock()
	if err := w.checkRangeLocked(lo, hi); err != nil {
		w.mu.RUnlock()
		return nil, err
	}
	if lo == hi {
		w.mu.RUnlock()
		return nil, nil
	}
	if cs := w.cacheStartLocked(); lo >= cs {
		for _, e := range w.cache[lo-cs : hi-cs] {
			if more, _ := add(e); !more {
				break
			}
		}
		w.mu.RUnlock()
		return out, nil
	}
	w.mu.RUnlock()

	if err := w.read(lo, hi, add); err != nil {
		return nil, err
	}
	return out, nil
}

// cloneData copies entry data, normalising empty data to nil.
func cloneData(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return slices.Clone(b)
}

// ReadFrom calls fn for each entry from index through LastIndex (as of the
// call), in order, reading older entries from disk. index 0 means
// FirstIndex. It returns ErrCompacted when index < FirstIndex, nothing when
// index > LastIndex or the WAL is empty, and fn's first error unchanged.
// fn must not call ReadFrom, TruncateAfter, Compact or Close: ReadFrom holds
// the read side of the lock those take.
func (w *WAL) ReadFrom(index uint64, fn func(Entry) error) error {
	return w.read(index, 0, func(e Entry) (bool, error) {
		if err := fn(e); err != nil {
			return false, err
		}
		return true, nil
	})
}

func (w *WAL) checkRangeLocked(lo, hi uint64) error {
	switch {
	case w.closed:
		return ErrClosed
	case w.lastIndex == 0:
		return fmt.Errorf("storage: entries [%d, %d) of an empty wal: %w", lo, hi, ErrUnavailable)
	case lo < w.segs[0].first:
		return fmt.Errorf("storage: entry %d is below first index %d: %w", lo, w.segs[0].first, ErrCompacted)
	case hi > w.lastIndex+1:
		return fmt.Errorf("storage: entry %d is beyond last index %d: %w", hi-1, w.lastIndex, ErrUnavailable)
	}
	return nil
}

func (w *WAL) cacheStartLocked() uint64 {
	if len(w.cache) > 0 {
		return w.cache[0].Index
	}
	return w.lastIndex + 1
}

// read calls fn for entries lo..hi-1 until fn returns false or an error; hi 0
// means through LastIndex with ReadFrom's rules for lo.
func (w *WAL) read(lo, hi uint64, fn func(Entry) (bool, error)) error {
	w.fileMu.RLock()
	defer w.fileMu.RUnlock()

	w.mu.RLock()
	if hi == 0 {
		if w.closed {
			w.mu.RUnlock()
			return ErrClosed
		}
		if lo == 0 && len(w.segs) > 0 {
			lo = w.segs[0].first
		}
		if w.lastIndex == 0 || lo > w.lastIndex {
			w.mu.RUnlock()
			return nil
		}
		hi = w.lastIndex + 1
	}
	if err := w.checkRangeLocked(lo, hi); err != nil {
		w.mu.RUnlock()
		return err
	}
	cs := w.cacheStartLocked()
	diskHi := min(hi, cs)
	var segs []segment
	if lo < diskHi {
		i := sort.Search(len(w.segs), func(i int) bool { return w.segs[i].first > lo }) - 1
		for ; i < len(w.segs) && w.segs[i].first < diskHi; i++ {
			segs = append(segs, *w.segs[i])
		}
	}
	var cached []Entry
	if hi > cs {
		cached = w.cache[max(lo, cs)-cs : hi-cs]
	}
	w.mu.RUnlock()

	if lo < diskHi {
		more, err := w.readDisk(segs, lo, diskHi, fn)
		if err != nil || !more {
			return err
		}
	}
	for _, e := range cached {
		if more, err := fn(e); err != nil || !more {
			return err
		}
	}
	return nil
}

// readDisk calls fn for entries lo..hi-1 stored in segs.
func (w *WAL) readDisk(segs []segment, lo, hi uint64, fn func(Entry) (bool, error)) (bool, error) {
	next := lo
	for i := range segs {
		s := &segs[i]
		if next >= hi {
			break
		}
		if next > s.last {
			continue
		}
		more, err := w.readSegment(s, next, min(hi, s.last+1), fn)
		if err != nil || !more {
			return more, err
		}
		next = min(hi, s.last+1)
	}
	if next < hi {
		return false, corruptf(w.dir, 0, "entries %d..%d are in no segment", next, hi-1)
	}
	return true, nil
}

// readSegment calls fn for entries lo..hi-1 of s.
func (w *WAL) readSegment(s *segment, lo, hi uint64, fn func(Entry) (bool, error)) (bool, error) {
	f, err := w.fs.Open(s.path)
	if err != nil {
		return false, fmt.Errorf("storage: open wal segment: %w", err)
	}
	defer f.Close()
	off, next := s.seek(lo)
	rr := newRecordReader(f, off, s.size)
	for next < hi {
		roff := rr.off
		e, err := rr.next()
		if err != nil {
			return false, w.readFailure(s.path, roff, next, err)
		}
		if e.Index != next {
			return false, corruptf(s.path, roff, "record has index %d, want %d", e.Index, next)
		}
		next++
		if e.Index < lo {
			continue
		}
		e.Data = cloneData(e.Data)
		if more, err := fn(e); err != nil || !more {
			return false, err
		}
	}
	return true, nil
}
