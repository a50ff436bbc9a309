package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// preOpts is a preallocating WAL with small segments, prepared inline so
// that the file system operations (and the crash points) are deterministic.
func preOpts(segBytes int64) WALOptions {
	return WALOptions{SegmentBytes: segBytes, Preallocate: true, preallocInline: true}
}

// TestWALPreallocateLayout: segments are SegmentBytes of zeros ahead of the
// records; a full segment is cut to its records before the next one starts;
// reopening reads the same entries without a warning and goes on appending
// where the records end.
func TestWALPreallocateLayout(t *testing.T) {
	const segBytes = 600
	fsys := NewMemFS()
	opts := preOpts(segBytes)
	w := openWAL(t, fsys, opts)
	es := mkEntries(1, 60, 1)
	for _, e := range es[:40] {
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
		if err := w.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	segs := segmentFiles(t, fsys)
	if len(segs) < 3 {
		t.Fatalf("want at least 3 segments, got %v", segs)
	}
	for i, seg := range segs {
		b := readFile(t, fsys, seg)
		if i == len(segs)-1 {
			if len(b) != segBytes {
				t.Fatalf("active segment %s is %d bytes, want the preallocated %d", seg, len(b), segBytes)
			}
			continue
		}
		// A sealed segment ends with its last record: no zero tail.
		first, _ := parseIndexName(filepath.Base(seg), segmentSuffix)
		next, _ := parseIndexName(filepath.Base(segs[i+1]), segmentSuffix)
		want := int64(walHeaderSize)
		for _, e := range es[first-1 : next-1] {
			want += recSize(e)
		}
		if int64(len(b)) != want {
			t.Fatalf("sealed segment %s is %d bytes, want %d (its records)", seg, len(b), want)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if names, _ := fsys.ReadDir(walDir()); slices.Contains(names, preallocName) {
		t.Fatalf("Close left %s behind: %v", preallocName, names)
	}

	log, buf := testLogger()
	opts.Logger = log
	w = openWAL(t, fsys, opts)
	sameEntries(t, readAll(t, w), es[:40])
	if out := buf.String(); strings.Contains(out, "WARN") {
		t.Fatalf("reopening a preallocated log warned: %s", out)
	}
	if err := w.Append(es[40:]...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openWAL(t, fsys.CrashClone(), opts)
	defer w.Close()
	sameEntries(t, readAll(t, w), es)
	if out := buf.String(); strings.Contains(out, "WARN") {
		t.Fatalf("warning: %s", out)
	}
}

// TestWALPreallocatedCrash: power loss with unsynced records in a
// preallocated segment, torn at every byte: recovery keeps exactly the
// synced entries (plus whole unsynced records that reached the disk), warns
// only when part of a record is left, and the log goes on from there.
func TestWALPreallocatedCrash(t *testing.T) {
	const segBytes = 4096
	base := NewMemFS()
	opts := preOpts(segBytes)
	w := openWAL(t, base, opts)
	es := mkEntries(1, 12, 1)
	if err := w.Append(es[:8]...); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(es[8:]...); err != nil {
		t.Fatal(err)
	}
	if err := w.flushForTest(); err != nil {
		t.Fatal(err)
	}
	seg := segmentFiles(t, base)[0]
	syncedEnd := int64(walHeaderSize)
	for _, e := range es[:8] {
		syncedEnd += recSize(e)
	}
	written := syncedEnd
	for _, e := range es[8:] {
		written += recSize(e)
	}
	for keep := syncedEnd; keep <= written; keep++ {
		t.Run(fmt.Sprint(keep), func(t *testing.T) {
			fsys := base.CrashCloneWith(func(name string, synced, n int) int {
				if name != seg {
					return synced
				}
				if int64(synced) != syncedEnd || n != segBytes {
					t.Fatalf("crash model: synced %d of %d, want %d of %d", synced, n, syncedEnd, segBytes)
				}
				return int(keep)
			})
			if got := fileSize(t, fsys, seg); got != segBytes {
				t.Fatalf("segment is %d bytes after the crash, want %d", got, segBytes)
			}
			// Whole records that reached the disk survive; a partial one is
			// a torn tail.
			want, end := 8, syncedEnd
			for want < len(es) && end+recSize(es[want]) <= keep {
				end += recSize(es[want])
				want++
			}
			log, buf := testLogger()
			o := opts
			o.Logger = log
			w := openWAL(t, fsys, o)
			sameEntries(t, readAll(t, w), es[:want])
			torn := keep > end
			if out := buf.String(); torn != strings.Contains(out, "torn") {
				t.Fatalf("torn tail %v, log: %s", torn, out)
			} else if torn && !strings.Contains(out, fmt.Sprintf("offset=%d", end)) {
				t.Fatalf("warning does not name offset %d: %s", end, out)
			}
			// Recovery, then append: the new entries land where the records
			// end and survive the next crash.
			next := mkEntries(uint64(want)+1, uint64(want)+3, 2)
			if err := w.Append(next...); err != nil {
				t.Fatal(err)
			}
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
			crashed := fsys.CrashClone()
			w.Close()
			w2 := openWAL(t, crashed, o)
			defer w2.Close()
			sameEntries(t, readAll(t, w2), append(slices.Clone(es[:want]), next...))
		})
	}
}

// TestWALPreallocatedTornThenZeros: a segment whose last record is torn and
// followed by the zero-filled preallocated rest is repaired with a warning
// naming the offset, keeps the records before it and takes new ones; damage
// with a valid record after it is still corruption.
func TestWALPreallocatedTornThenZeros(t *testing.T) {
	const segBytes = 2048
	es := mkEntries(1, 6, 1)
	img := encodeSegmentHeader(1)
	for _, e := range es {
		img = appendRecord(img, e)
	}
	start := lastRecordOffset(es)
	for _, tc := range []struct {
		name    string
		damage  func(b []byte)
		corrupt bool
	}{
		{"cut in the length field", func(b []byte) { clear(b[start+2:]) }, false},
		{"cut in the data", func(b []byte) { clear(b[start+recSize(es[5])-3:]) }, false},
		{"bad checksum", func(b []byte) { b[start+5] ^= 0x10 }, false},
		{"last record overwritten with garbage", func(b []byte) {
			for i := start; i < start+recSize(es[5]); i++ {
				b[i] = byte(i*7 + 1)
			}
		}, false},
		{"middle record damaged", func(b []byte) { b[lastRecordOffset(es[:3])+30] ^= 1 }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := make([]byte, segBytes)
			copy(b, img)
			tc.damage(b)
			fsys := NewMemFS()
			if err := makeDir(fsys, walDir()); err != nil {
				t.Fatal(err)
			}
			seg := filepath.Join(walDir(), segmentName(1))
			writeFile(t, fsys, seg, b)
			log, buf := testLogger()
			opts := preOpts(segBytes)
			opts.Logger = log
			w, err := OpenWAL(fsys, testDir, opts)
			if tc.corrupt {
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), seg) {
					t.Fatalf("got %v, want ErrCorrupt naming %s", err, seg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sameEntries(t, readAll(t, w), es[:5])
			out := buf.String()
			if !strings.Contains(out, "torn") || !strings.Contains(out, seg) || !strings.Contains(out, fmt.Sprintf("offset=%d", start)) {
				t.Fatalf("warning does not name file and offset %d: %s", start, out)
			}
			next := mkEntries(6, 9, 1)
			if err := w.Append(next...); err != nil {
				t.Fatal(err)
			}
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
			crashed := fsys.CrashClone()
			w.Close()
			opts.Logger = nil
			w2 := openWAL(t, crashed, opts)
			defer w2.Close()
			sameEntries(t, readAll(t, w2), append(slices.Clone(es[:5]), next...))
		})
	}
}

// TestWALCrashAtEveryStepPreallocated is TestWALCrashAtEveryStep with
// preallocated segments.
func TestWALCrashAtEveryStepPreallocated(t *testing.T) {
	crashAtEveryStep(t, preOpts(500))
}

// TestWALPreallocateBackground prepares segments in the background on the
// real file system: the log moves to a preallocated segment once one is
// ready, and Close stops the preparation and removes its file.
func TestWALPreallocateBackground(t *testing.T) {
	dir := t.TempDir()
	const segBytes = 3 << 20 // more than one chunk and one sync interval
	opts := WALOptions{SegmentBytes: segBytes, Preallocate: true}
	w, err := OpenWAL(OSFS{}, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	es := mkEntries(1, 30, 1)
	if err := w.Append(es[0]); err != nil { // before the preparation is done, most likely
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !w.preparedForTest() {
		if time.Now().After(deadline) {
			t.Fatal("no segment was prepared within 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, e := range es[1:] {
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
		if err := w.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	segs, _ := filepath.Glob(filepath.Join(dir, walDirName, "*"+segmentSuffix))
	last := segs[len(segs)-1]
	if fi, err := os.Stat(last); err != nil || fi.Size() != segBytes {
		t.Fatalf("active segment %s: %v, size %d, want %d", last, err, fi.Size(), segBytes)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, walDirName, preallocName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("prepared file after Close: %v", err)
	}
	w, err = OpenWAL(OSFS{}, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sameEntries(t, readAll(t, w), es)
}

// TestMemFSTornOverwrite: the crash model covers writes over synced bytes
// (a preallocated file), cut at any offset in file order.
func TestMemFSTornOverwrite(t *testing.T) {
	fsys := NewMemFS()
	if err := fsys.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Create("/d/f")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 10))
	f.Sync()
	fsys.SyncDir("/")
	fsys.SyncDir("/d")
	f.WriteAt([]byte("abc"), 2)
	f.WriteAt([]byte("xy"), 8)
	for k := 0; k <= 12; k++ {
		c := fsys.CrashCloneWith(func(_ string, synced, written int) int {
			if synced != 2 || written != 10 {
				t.Fatalf("keep(%d, %d), want (2, 10)", synced, written)
			}
			return k
		})
		got := string(readFile(t, c, "/d/f"))
		want := []byte("\x00\x00abc\x00\x00\x00xy")
		kk := max(2, min(k, 10))
		clear(want[kk:])
		if got != string(want) {
			t.Fatalf("keep %d: %q, want %q", k, got, want)
		}
	}
	if err := f.Datasync(); err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, fsys.CrashClone(), "/d/f")); got != "\x00\x00abc\x00\x00\x00xy" {
		t.Fatalf("after Datasync: %q", got)
	}
	if _, err := f.WriteAt([]byte("x"), -1); err == nil {
		t.Fatal("WriteAt at a negative offset succeeded")
	}
	a, _ := fsys.OpenFile("/d/f", os.O_RDWR|os.O_APPEND, 0)
	if _, err := a.WriteAt([]byte("x"), 0); err == nil {
		t.Fatal("WriteAt on an O_APPEND file succeeded")
	}
}
