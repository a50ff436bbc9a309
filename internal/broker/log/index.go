package plog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
)

// Index entry sizes (frozen: Kafka's .index and .timeindex formats).
const (
	offsetEntrySize = 8  // relative offset int32, file position int32
	timeEntrySize   = 12 // timestamp int64, relative offset int32
)

// index is one segment's offset index or time index.
//
// While its segment is active the entries live in mem (authoritative) and
// the file is rewritten only when the segment is sealed or the log closed:
// an unclean shutdown rebuilds the active segment's indexes anyway. A
// sealed segment's index is only on disk and is searched with pread; its
// file is replaced atomically (temporary file + rename) when rewritten, so
// a reader with an open descriptor always sees a consistent file.
//
// mem and n are guarded by the owning Log's mu; readers search a snapshot
// (indexView). f is guarded by fmu.
type index struct {
	entrySize int
	path      string
	mem       []byte // active: the entries; nil when sealed
	n         int    // number of entries
	last      []byte // copy of the last entry, nil when n == 0

	fmu sync.Mutex
	f   *os.File // sealed: opened on first lookup
}

// indexView is a reader's snapshot of an index taken under the Log's mu.
type indexView struct {
	x   *index
	mem []byte // nil: search the file
	n   int
}

func newIndex(path string, entrySize int) *index {
	return &index{entrySize: entrySize, path: path, mem: []byte{}}
}

// loadIndex reads an index file's shape: its entry count and last entry.
// When active it also reads the entries into memory. A missing file is
// reported as fs.ErrNotExist; a size that is not a multiple of the entry
// size as ErrCorruptLog.
func loadIndex(path string, entrySize int, active bool) (*index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size()%int64(entrySize) != 0 {
		return nil, fmt.Errorf("%w: index %s has %d bytes, not a multiple of %d", ErrCorruptLog, path, st.Size(), entrySize)
	}
	x := &index{entrySize: entrySize, path: path, n: int(st.Size() / int64(entrySize))}
	if active {
		x.mem = make([]byte, st.Size())
		if _, err := io.ReadFull(f, x.mem); err != nil {
			return nil, err
		}
		if x.n > 0 {
			x.last = append([]byte(nil), x.mem[len(x.mem)-entrySize:]...)
		}
		return x, nil
	}
	if x.n > 0 {
		x.last = make([]byte, entrySize)
		if _, err := f.ReadAt(x.last, st.Size()-int64(entrySize)); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func (x *index) view() indexView { return indexView{x: x, mem: x.mem, n: x.n} }

// full reports whether the index holds maxBytes worth of entries
// (segment.index.bytes), which rolls the segment.
func (x *index) full(maxBytes int64) bool { return int64(x.n+1)*int64(x.entrySize) > maxBytes }

// add appends an entry to an active index. Caller holds the Log's mu.
func (x *index) add(e []byte) {
	x.mem = append(x.mem, e...)
	x.n++
	x.last = append(x.last[:0], e...)
}

// truncate keeps the first n entries of an active index. It copies them,
// so readers holding an older view never see the bytes change.
func (x *index) truncate(n int) {
	if n >= x.n {
		return
	}
	x.mem = append([]byte(nil), x.mem[:n*x.entrySize]...)
	x.n = n
	x.last = nil
	if n > 0 {
		x.last = append([]byte(nil), x.mem[(n-1)*x.entrySize:]...)
	}
}

// reset empties an active index.
func (x *index) reset() { x.mem, x.n, x.last = []byte{}, 0, nil }

// write stores the in-memory entries in the index file, atomically, and
// fsyncs it when sync is set.
func (x *index) write(sync bool) error {
	if err := writeFileAtomic(x.path, x.mem, sync); err != nil {
		return err
	}
	x.fmu.Lock()
	defer x.fmu.Unlock()
	if x.f != nil {
		x.f.Close()
		x.f = nil
	}
	return nil
}

// seal writes the entries to disk (fsynced) and drops them from memory.
// Caller holds the Log's mu.
func (x *index) seal() { x.mem = nil }

// activate reads a sealed index back into memory. Caller holds the Log's mu.
func (x *index) activate() error {
	if x.mem != nil {
		return nil
	}
	b, err := os.ReadFile(x.path)
	if err != nil {
		return err
	}
	if len(b) != x.n*x.entrySize {
		return fmt.Errorf("%w: index %s changed size", ErrCorruptLog, x.path)
	}
	x.mem = b
	return nil
}

// rename moves the index file (and keeps using an open descriptor).
func (x *index) rename(path string) error {
	x.fmu.Lock()
	defer x.fmu.Unlock()
	err := os.Rename(x.path, path)
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	x.path = path
	return err
}

func (x *index) close() {
	x.fmu.Lock()
	defer x.fmu.Unlock()
	if x.f != nil {
		x.f.Close()
		x.f = nil
	}
}

// search returns the largest i whose entry key is <= target (-1 when
// none) and that entry. key extracts the sort key of an entry.
func (v indexView) search(target int64, key func([]byte) int64) (int, []byte, error) {
	if v.n == 0 {
		return -1, nil, nil
	}
	size := v.x.entrySize
	if v.mem != nil {
		lo, hi := 0, v.n-1
		if key(v.mem[:size]) > target {
			return -1, nil, nil
		}
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if key(v.mem[mid*size:(mid+1)*size]) <= target {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		return lo, v.mem[lo*size : (lo+1)*size], nil
	}
	v.x.fmu.Lock()
	defer v.x.fmu.Unlock()
	if v.x.f == nil {
		f, err := os.Open(v.x.path)
		if err != nil {
			return -1, nil, err
		}
		v.x.f = f
	}
	e := make([]byte, size)
	read := func(i int) error {
		_, err := v.x.f.ReadAt(e, int64(i)*int64(size))
		return err
	}
	if err := read(0); err != nil {
		return -1, nil, err
	}
	if key(e) > target {
		return -1, nil, nil
	}
	lo, hi := 0, v.n-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if err := read(mid); err != nil {
			return -1, nil, err
		}
		if key(e) <= target {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if err := read(lo); err != nil {
		return -1, nil, err
	}
	return lo, e, nil
}

// Offset index entries: relative offset int32 | position int32.

func offsetEntry(rel int32, pos int32) []byte {
	var e [offsetEntrySize]byte
	binary.BigEndian.PutUint32(e[0:], uint32(rel))
	binary.BigEndian.PutUint32(e[4:], uint32(pos))
	return e[:]
}

func offsetKey(e []byte) int64      { return int64(int32(binary.BigEndian.Uint32(e))) }
func offsetEntryPos(e []byte) int64 { return int64(int32(binary.BigEndian.Uint32(e[4:]))) }

// Time index entries: timestamp int64 | relative offset int32.

func timeEntry(ts int64, rel int32) []byte {
	var e [timeEntrySize]byte
	binary.BigEndian.PutUint64(e[0:], uint64(ts))
	binary.BigEndian.PutUint32(e[8:], uint32(rel))
	return e[:]
}

func timeKey(e []byte) int64      { return int64(binary.BigEndian.Uint64(e)) }
func timeEntryRel(e []byte) int64 { return int64(int32(binary.BigEndian.Uint32(e[8:]))) }
