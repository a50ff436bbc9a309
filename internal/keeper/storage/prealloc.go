package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// errPreallocStopped ends a preparation that Close interrupted.
var errPreallocStopped = errors.New("storage: segment preparation stopped")

// prealloc is the next segment file being prepared: written full of zeros
// and synced, so that records overwrite allocated blocks (see
// WALOptions.Preallocate). Its goroutine is owned by the WAL: Close stops it
// and waits for it.
type prealloc struct {
	stop chan struct{} // closed to interrupt the preparation; nil when inline
	done chan struct{} // closed when the preparation ended; err is then set
	err  error
}

func (w *WAL) preallocPath() string { return filepath.Join(w.dir, preallocName) }

// maybePrepare starts preparing the next segment in the background once the
// active one is half full (so that the preparation's writes do not compete
// with the log's own for long), or at once when the active segment is not
// preallocated (the log moves on to a preallocated one as soon as it is
// ready). The caller holds writeMu (or is OpenWAL).
func (w *WAL) maybePrepare() {
	if !w.opts.Preallocate || w.opts.preallocInline || w.prep != nil || w.prepFailed {
		return
	}
	if w.activeFile < w.opts.SegmentBytes || w.activeBytes >= w.opts.SegmentBytes/2 {
		w.startPrealloc()
	}
}

// startPrealloc starts preparing the next segment in the background unless
// one is being prepared or is ready. The caller holds writeMu (or is
// OpenWAL).
func (w *WAL) startPrealloc() {
	if w.prep != nil {
		return
	}
	p := &prealloc{stop: make(chan struct{}), done: make(chan struct{})}
	w.prep = p
	path, size := w.preallocPath(), w.opts.SegmentBytes
	go func() {
		defer close(p.done)
		p.err = writeZeros(w.fs, path, size, p.stop)
	}()
}

// preallocReady reports whether a prepared segment file is ready to be
// taken. With preallocInline it prepares one first. A failed preparation is
// logged and forgotten: the log goes on with segments that are not
// preallocated, and the next segment tries again.
func (w *WAL) preallocReady() bool {
	if !w.opts.Preallocate {
		return false
	}
	if w.opts.preallocInline && w.prep == nil {
		p := &prealloc{done: make(chan struct{})}
		p.err = writeZeros(w.fs, w.preallocPath(), w.opts.SegmentBytes, nil)
		close(p.done)
		w.prep = p
	}
	if w.prep == nil {
		return false
	}
	select {
	case <-w.prep.done:
	default:
		return false
	}
	if err := w.prep.err; err != nil {
		w.prep = nil
		w.prepFailed = true
		w.log.Warn("storage: preparing the next wal segment failed; going on without preallocation",
			"file", w.preallocPath(), "err", err)
		return false
	}
	return true
}

// takePrealloc turns the prepared file into the segment for index first at
// path: it writes and syncs the header, then renames the file. The caller
// syncs the directory. It returns the open file and its size.
func (w *WAL) takePrealloc(path string, first uint64) (File, int64, error) {
	w.prep = nil
	tmp := w.preallocPath()
	f, err := w.fs.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("storage: open prepared wal segment: %w", err)
	}
	size, err := f.Size()
	if err == nil {
		_, err = f.WriteAt(encodeSegmentHeader(first), 0)
	}
	if err == nil {
		err = f.Datasync()
	}
	if err == nil {
		err = w.fs.Rename(tmp, path)
	}
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("storage: start wal segment %s from the prepared file: %w", path, err)
	}
	return f, size, nil
}

// stopPrealloc interrupts a preparation in progress, waits for it and
// removes its file. The caller holds writeMu.
func (w *WAL) stopPrealloc() {
	p := w.prep
	if p == nil {
		return
	}
	w.prep = nil
	if p.stop != nil {
		close(p.stop)
	}
	<-p.done
	if err := w.fs.Remove(w.preallocPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.log.Warn("storage: removing the prepared wal segment", "file", w.preallocPath(), "err", err)
	}
}

// writeZeros creates path holding size zero bytes, written (not merely
// allocated: overwriting unwritten extents costs as much as appending) and
// synced. It syncs every chunk and, when stop is not nil (in the
// background), pauses preallocPause after each, so that the writeback is
// spread out instead of delaying the log's own syncs in one burst. Closing
// stop interrupts it.
func writeZeros(fsys FS, path string, size int64, stop <-chan struct{}) error {
	f, err := fsys.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	zero := make([]byte, min(size, preallocChunk))
	var pause *time.Timer
	for off := int64(0); off < size; {
		n := min(int64(len(zero)), size-off)
		if _, err := f.WriteAt(zero[:n], off); err != nil {
			f.Close()
			return err
		}
		off += n
		if off == size || stop == nil {
			continue
		}
		if err := f.Datasync(); err != nil {
			f.Close()
			return err
		}
		if pause == nil {
			pause = time.NewTimer(preallocPause)
			defer pause.Stop()
		} else {
			pause.Reset(preallocPause)
		}
		select {
		case <-stop:
			f.Close()
			return errPreallocStopped
		case <-pause.C:
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
