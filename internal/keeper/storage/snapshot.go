package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
)

// Frozen snapshot format constants. See the package documentation.
const (
	snapMagic        uint32 = 0x4e534b5a // "ZKSN" as little-endian bytes
	snapTrailerMagic uint32 = 0x45534b5a // "ZKSE"
	snapVersion      uint32 = 1
	snapHeaderSize          = 16 // magic, version, index
	snapTrailerSize         = 16 // length, crc, magic
	snapSuffix              = ".snap"
	snapTmpSuffix           = ".tmp"
	snapDirName             = "snap"
)

// MinSnapRetainCount is the fewest snapshots Purge keeps, as ZooKeeper's
// autopurge.snapRetainCount.
const MinSnapRetainCount = 3

// SnapshotOptions configures OpenSnapshots.
type SnapshotOptions struct {
	// Logger receives notes about removed temporary files and purges; nil
	// discards them.
	Logger *slog.Logger
}

// Snapshots is the snapshot directory <dataDir>/snap. Its methods are safe for
// concurrent use; snapshots are usually written by one background goroutine
// while others list and read them.
type Snapshots struct {
	fs  FS
	dir string
	log *slog.Logger
	seq atomic.Uint64
}

// OpenSnapshots opens (creating if needed) the snapshot directory under
// dataDir and removes temporary files left by a crash while writing one.
func OpenSnapshots(fsys FS, dataDir string, opts SnapshotOptions) (*Snapshots, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Snapshots{fs: fsys, dir: filepath.Join(dataDir, snapDirName), log: opts.Logger}
	if err := makeDir(fsys, s.dir); err != nil {
		return nil, fmt.Errorf("storage: create snapshot dir: %w", err)
	}
	names, err := fsys.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("storage: list snapshot dir: %w", err)
	}
	removed := false
	for _, name := range names {
		if !strings.HasSuffix(name, snapTmpSuffix) {
			continue
		}
		p := filepath.Join(s.dir, name)
		if err := fsys.Remove(p); err != nil {
			return nil, fmt.Errorf("storage: remove temporary snapshot: %w", err)
		}
		s.log.Info("storage: removed unfinished snapshot", "file", p)
		removed = true
	}
	if removed {
		if err := fsys.SyncDir(s.dir); err != nil {
			return nil, fmt.Errorf("storage: fsync snapshot dir: %w", err)
		}
	}
	return s, nil
}

// Dir returns the directory holding the snapshot files.
func (s *Snapshots) Dir() string { return s.dir }

func (s *Snapshots) path(index uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%016x%s", index, snapSuffix))
}

// Create starts a snapshot of the state after entry index. Write the body to
// the returned writer, then Commit it (or Abort). Until Commit returns nil the
// snapshot does not exist for List and Open.
func (s *Snapshots) Create(index uint64) (*SnapshotWriter, error) {
	final := s.path(index)
	tmp := fmt.Sprintf("%s.%d%s", final, s.seq.Add(1), snapTmpSuffix)
	f, err := s.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("storage: create snapshot: %w", err)
	}
	w := &SnapshotWriter{s: s, f: f, tmp: tmp, final: final, index: index}
	w.w = bufio.NewWriterSize(f, 256<<10)
	hdr := make([]byte, snapHeaderSize)
	binary.LittleEndian.PutUint32(hdr[0:], snapMagic)
	binary.LittleEndian.PutUint32(hdr[4:], snapVersion)
	binary.LittleEndian.PutUint64(hdr[8:], index)
	if _, err := w.Write(hdr); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// List returns the indexes of the committed snapshots, newest first. It does
// not verify them: Open's reader does.
func (s *Snapshots) List() ([]uint64, error) {
	names, err := s.fs.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("storage: list snapshot dir: %w", err)
	}
	var idx []uint64
	for _, name := range names {
		if i, ok := parseIndexName(name, snapSuffix); ok {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	slices.Reverse(idx)
	return idx, nil
}

// Open returns a reader of the body of snapshot index. The header is checked
// here; the checksum is verified as the body streams, and Read returns an error
// wrapping ErrCorrupt (a *CorruptError naming the file) instead of io.EOF when
// it does not match, so a caller must read to io.EOF before trusting what it
// read. A missing snapshot gives an error wrapping fs.ErrNotExist.
func (s *Snapshots) Open(index uint64) (io.ReadCloser, error) {
	p := s.path(index)
	f, err := s.fs.Open(p)
	if err != nil {
		return nil, fmt.Errorf("storage: open snapshot: %w", err)
	}
	r, err := newSnapReader(f, p, index)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// Purge keeps the newest retain snapshots (at least MinSnapRetainCount),
// removes older ones, and, when wal is not nil, removes the WAL segments that
// only hold entries below the oldest retained snapshot's index.
func (s *Snapshots) Purge(retain int, wal *WAL) error {
	if retain < MinSnapRetainCount {
		s.log.Warn("storage: snapshot retain count raised to the minimum", "asked", retain, "min", MinSnapRetainCount)
		retain = MinSnapRetainCount
	}
	idx, err := s.List()
	if err != nil {
		return err
	}
	if len(idx) > retain {
		for _, i := range idx[retain:] {
			if err := s.fs.Remove(s.path(i)); err != nil {
				return fmt.Errorf("storage: purge snapshot: %w", err)
			}
			s.log.Info("storage: purged snapshot", "file", s.path(i))
		}
		if err := s.fs.SyncDir(s.dir); err != nil {
			return fmt.Errorf("storage: fsync snapshot dir: %w", err)
		}
		idx = idx[:retain]
	}
	if wal != nil && len(idx) > 0 {
		if err := wal.Compact(idx[len(idx)-1]); err != nil {
			return fmt.Errorf("storage: purge wal: %w", err)
		}
	}
	return nil
}

// SnapshotWriter writes one snapshot. It is not safe for concurrent use.
type SnapshotWriter struct {
	s     *Snapshots
	f     File
	w     *bufio.Writer
	tmp   string
	final string
	index uint64
	crc   uint32
	n     int64
	done  bool
	err   error
}

// Index returns the index the snapshot is taken at.
func (w *SnapshotWriter) Index() uint64 { return w.index }

// Write appends p to the snapshot body.
func (w *SnapshotWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("storage: write to finished snapshot: %w", os.ErrClosed)
	}
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.w.Write(p)
	w.crc = crc32.Update(w.crc, castagnoli, p[:n])
	w.n += int64(n)
	if err != nil {
		w.err = fmt.Errorf("storage: write snapshot %s: %w", w.tmp, err)
		return n, w.err
	}
	return n, nil
}

// Commit writes the trailer, makes the snapshot durable and gives it its final
// name. On error the temporary file is removed and the snapshot does not
// exist.
func (w *SnapshotWriter) Commit() error {
	if w.done {
		return fmt.Errorf("storage: commit finished snapshot: %w", os.ErrClosed)
	}
	if err := w.commit(); err != nil {
		w.Abort()
		return err
	}
	return nil
}

func (w *SnapshotWriter) commit() error {
	if w.err != nil {
		return w.err
	}
	tr := make([]byte, snapTrailerSize)
	binary.LittleEndian.PutUint64(tr[0:], uint64(w.n))
	binary.LittleEndian.PutUint32(tr[8:], w.crc)
	binary.LittleEndian.PutUint32(tr[12:], snapTrailerMagic)
	if _, err := w.w.Write(tr); err != nil {
		return fmt.Errorf("storage: write snapshot %s: %w", w.tmp, err)
	}
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("storage: write snapshot %s: %w", w.tmp, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("storage: fsync snapshot %s: %w", w.tmp, err)
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("storage: close snapshot %s: %w", w.tmp, err)
	}
	if err := w.s.fs.Rename(w.tmp, w.final); err != nil {
		return fmt.Errorf("storage: rename snapshot: %w", err)
	}
	w.done = true
	if err := w.s.fs.SyncDir(w.s.dir); err != nil {
		return fmt.Errorf("storage: fsync snapshot dir: %w", err)
	}
	return nil
}

// Abort discards the snapshot. It is a no-op after Commit succeeded.
func (w *SnapshotWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	if err := w.s.fs.Remove(w.tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("storage: remove aborted snapshot: %w", err)
	}
	return nil
}

// snapReader streams a snapshot body, verifying the trailer at its end.
type snapReader struct {
	f    File
	r    *bufio.Reader
	path string
	left int64 // body bytes not yet returned
	size int64
	crc  uint32
	err  error // sticky: io.EOF after a good trailer, or the failure
}

func newSnapReader(f File, path string, index uint64) (*snapReader, error) {
	size, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("storage: stat snapshot %s: %w", path, err)
	}
	if size < snapHeaderSize+snapTrailerSize {
		return nil, corruptf(path, size, "snapshot is %d bytes, shorter than its header and trailer", size)
	}
	r := &snapReader{f: f, path: path, size: size, left: size - snapHeaderSize - snapTrailerSize}
	r.r = bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 256<<10)
	hdr := make([]byte, snapHeaderSize)
	if _, err := io.ReadFull(r.r, hdr); err != nil {
		return nil, corruptf(path, 0, "reading header: %v", err)
	}
	r.crc = crc32.Checksum(hdr, castagnoli)
	switch {
	case binary.LittleEndian.Uint32(hdr[0:]) != snapMagic:
		return nil, corruptf(path, 0, "bad snapshot magic %#08x", binary.LittleEndian.Uint32(hdr[0:]))
	case binary.LittleEndian.Uint32(hdr[4:]) != snapVersion:
		return nil, corruptf(path, 4, "unsupported snapshot format version %d", binary.LittleEndian.Uint32(hdr[4:]))
	case binary.LittleEndian.Uint64(hdr[8:]) != index:
		return nil, corruptf(path, 8, "header says index %d, file name says %d", binary.LittleEndian.Uint64(hdr[8:]), index)
	}
	return r, nil
}

// Read implements io.Reader.
func (r *snapReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.left == 0 {
		r.err = r.verifyTrailer()
		return 0, r.err
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.r.Read(p)
	r.crc = crc32.Update(r.crc, castagnoli, p[:n])
	r.left -= int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = corruptf(r.path, r.size-r.left, "file ends inside the body")
		} else {
			err = fmt.Errorf("storage: read snapshot %s: %w", r.path, err)
		}
		r.err = err
		return n, err
	}
	return n, nil
}

func (r *snapReader) verifyTrailer() error {
	off := r.size - snapTrailerSize
	tr := make([]byte, snapTrailerSize)
	if _, err := io.ReadFull(r.r, tr); err != nil {
		return corruptf(r.path, off, "reading trailer: %v", err)
	}
	length := binary.LittleEndian.Uint64(tr[0:])
	crc := binary.LittleEndian.Uint32(tr[8:])
	switch {
	case binary.LittleEndian.Uint32(tr[12:]) != snapTrailerMagic:
		return corruptf(r.path, off, "bad trailer magic %#08x: truncated or damaged", binary.LittleEndian.Uint32(tr[12:]))
	case length != uint64(off):
		return corruptf(r.path, off, "trailer says %d bytes precede it, file has %d", length, off)
	case crc != r.crc:
		return corruptf(r.path, off, "snapshot checksum %#08x, trailer says %#08x", r.crc, crc)
	}
	return io.EOF
}

// Close implements io.Closer.
func (r *snapReader) Close() error {
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
