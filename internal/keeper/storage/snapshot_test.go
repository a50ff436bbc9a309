package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func openSnaps(t testing.TB, fsys FS) *Snapshots {
	t.Helper()
	s, err := OpenSnapshots(fsys, testDir, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func snapBody(index uint64, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(index + uint64(i)*7)
	}
	return b
}

func writeSnap(t testing.TB, s *Snapshots, index uint64, body []byte) {
	t.Helper()
	w, err := s.Create(index)
	if err != nil {
		t.Fatal(err)
	}
	// Several writes, to cross the writer's buffer.
	for len(body) > 0 {
		n := min(len(body), 100_000)
		if _, err := w.Write(body[:n]); err != nil {
			t.Fatal(err)
		}
		body = body[n:]
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func readSnap(s *Snapshots, index uint64) ([]byte, error) {
	r, err := s.Open(index)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys func(t *testing.T) (FS, string)
	}{
		{"MemFS", func(t *testing.T) (FS, string) { return NewMemFS(), testDir }},
		{"OSFS", func(t *testing.T) (FS, string) { return OSFS{}, t.TempDir() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, dir := tc.fsys(t)
			s, err := OpenSnapshots(fsys, dir, SnapshotOptions{})
			if err != nil {
				t.Fatal(err)
			}
			bodies := map[uint64][]byte{}
			for _, idx := range []uint64{100, 7, 0x1234, 300} {
				bodies[idx] = snapBody(idx, int(idx%5)*150_000)
				writeSnap(t, s, idx, bodies[idx])
			}
			list, err := s.List()
			if err != nil {
				t.Fatal(err)
			}
			if want := []uint64{0x1234, 300, 100, 7}; !slices.Equal(list, want) {
				t.Fatalf("List = %v, want %v", list, want)
			}
			for idx, body := range bodies {
				got, err := readSnap(s, idx)
				if err != nil {
					t.Fatalf("snapshot %d: %v", idx, err)
				}
				if !bytes.Equal(got, body) {
					t.Fatalf("snapshot %d: body differs", idx)
				}
			}
			if _, err := s.Open(5); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Open of a missing snapshot: %v", err)
			}
			names, _ := fsys.ReadDir(s.Dir())
			if want := "0000000000001234.snap"; !slices.Contains(names, want) {
				t.Fatalf("files %v, want %s among them", names, want)
			}
		})
	}
}

func TestSnapshotAbortAndTempFiles(t *testing.T) {
	fsys := NewMemFS()
	s := openSnaps(t, fsys)
	w, err := s.Create(10)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("half a snapshot"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	if names, _ := fsys.ReadDir(s.Dir()); len(names) != 0 {
		t.Fatalf("files left after Abort: %v", names)
	}
	// A writer that is neither committed nor aborted (a crash) leaves a
	// temporary file, removed at the next open.
	w, err = s.Create(20)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(snapBody(20, 300_000))
	if err := fsys.SyncDir(s.Dir()); err != nil {
		t.Fatal(err)
	}
	crashed := fsys.CrashClone()
	if names, _ := crashed.ReadDir(s.Dir()); len(names) != 1 || !strings.HasSuffix(names[0], snapTmpSuffix) {
		t.Fatalf("want one temporary file, got %v", names)
	}
	log, buf := testLogger()
	s2, err := OpenSnapshots(crashed, testDir, SnapshotOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if names, _ := crashed.ReadDir(s2.Dir()); len(names) != 0 {
		t.Fatalf("temporary file not removed: %v", names)
	}
	if list, _ := s2.List(); len(list) != 0 {
		t.Fatalf("List = %v", list)
	}
	if !strings.Contains(buf.String(), snapTmpSuffix) {
		t.Fatalf("removal not logged: %s", buf.String())
	}
}

// TestSnapshotCrashDuringCommit crashes after every file system operation of
// writing and committing a second snapshot: the newest listed snapshot must
// always read back whole, and the first one must stay usable.
func TestSnapshotCrashDuringCommit(t *testing.T) {
	fsys := NewMemFS()
	s := openSnaps(t, fsys)
	old := snapBody(100, 50_000)
	writeSnap(t, s, 100, old)
	var crashes []*MemFS
	var committed []bool
	done := false
	fsys.SetHook(func(op, name string) {
		crashes = append(crashes, fsys.CrashClone())
		committed = append(committed, done)
	})
	body := snapBody(200, 600_000)
	writeSnap(t, s, 200, body)
	done = true
	fsys.SetHook(nil)
	crashes = append(crashes, fsys.CrashClone())
	committed = append(committed, true)
	sawNew, sawOld := false, false
	for i, c := range crashes {
		s2, err := OpenSnapshots(c, testDir, SnapshotOptions{})
		if err != nil {
			t.Fatalf("crash %d: %v", i, err)
		}
		list, err := s2.List()
		if err != nil {
			t.Fatal(err)
		}
		if got, err := readSnap(s2, 100); err != nil || !bytes.Equal(got, old) {
			t.Fatalf("crash %d: old snapshot unusable: %v", i, err)
		}
		switch list[0] {
		case 200:
			sawNew = true
			if got, err := readSnap(s2, 200); err != nil || !bytes.Equal(got, body) {
				t.Fatalf("crash %d: listed new snapshot does not read back: %v", i, err)
			}
		case 100:
			sawOld = true
			if committed[i] {
				t.Fatalf("crash %d: committed snapshot lost", i)
			}
		default:
			t.Fatalf("crash %d: List = %v", i, list)
		}
		names, _ := c.ReadDir(s2.Dir())
		for _, n := range names {
			if strings.HasSuffix(n, snapTmpSuffix) {
				t.Fatalf("crash %d: temporary file %s survived open", i, n)
			}
		}
	}
	if !sawNew || !sawOld {
		t.Fatalf("crash points saw new %v old %v: want both", sawNew, sawOld)
	}
}

// TestSnapshotCorrupt damages the newest snapshot in several ways: each is
// reported as ErrCorrupt naming the file, and the older one still reads.
func TestSnapshotCorrupt(t *testing.T) {
	body := snapBody(200, 10_000)
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
		atOpen bool // detected by Open rather than by Read
	}{
		{"flip in header magic", func(b []byte) []byte { return flip(b, 0) }, true},
		{"flip in header index", func(b []byte) []byte { return flip(b, 9) }, true},
		{"flip in body", func(b []byte) []byte { return flip(b, 5000) }, false},
		{"flip last body byte", func(b []byte) []byte { return flip(b, len(b)-snapTrailerSize-1) }, false},
		{"flip in trailer length", func(b []byte) []byte { return flip(b, len(b)-16) }, false},
		{"flip in trailer crc", func(b []byte) []byte { return flip(b, len(b)-7) }, false},
		{"flip in trailer magic", func(b []byte) []byte { return flip(b, len(b)-1) }, false},
		{"truncated by 1", func(b []byte) []byte { return b[:len(b)-1] }, false},
		{"truncated to half", func(b []byte) []byte { return b[:len(b)/2] }, false},
		{"truncated into header", func(b []byte) []byte { return b[:20] }, true},
		{"empty", func(b []byte) []byte { return nil }, true},
		{"garbage appended", func(b []byte) []byte { return append(b, 1, 2, 3) }, false},
		{"zeros appended", func(b []byte) []byte { return append(b, make([]byte, 4096)...) }, false},
		{"body zeroed", func(b []byte) []byte {
			clear(b[snapHeaderSize : len(b)-snapTrailerSize])
			return b
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := NewMemFS()
			s := openSnaps(t, fsys)
			old := snapBody(100, 1000)
			writeSnap(t, s, 100, old)
			writeSnap(t, s, 200, body)
			p := filepath.Join(s.Dir(), "00000000000000c8.snap")
			writeFile(t, fsys, p, tc.damage(readFile(t, fsys, p)))

			r, err := s.Open(200)
			if tc.atOpen {
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) {
					t.Fatalf("Open: got %v, want ErrCorrupt naming %s", err, p)
				}
			} else {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				_, err = io.ReadAll(r)
				r.Close()
				var ce *CorruptError
				if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) || ce.Path != p {
					t.Fatalf("Read: got %v, want ErrCorrupt naming %s", err, p)
				}
			}
			// Recovery falls back to the older snapshot.
			if got, err := readSnap(s, 100); err != nil || !bytes.Equal(got, old) {
				t.Fatalf("older snapshot: %v", err)
			}
		})
	}
}

func TestSnapshotPurge(t *testing.T) {
	fsys := NewMemFS()
	s := openSnaps(t, fsys)
	w := openWAL(t, fsys, WALOptions{SegmentBytes: 400})
	defer w.Close()
	if err := w.Append(mkEntries(1, 120, 1)...); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	for _, idx := range []uint64{10, 30, 50, 70, 90, 110} {
		writeSnap(t, s, idx, snapBody(idx, 100))
	}
	segsBefore := segmentFiles(t, fsys)
	log, buf := testLogger()
	s.log = log
	// Asking for fewer than the minimum keeps the minimum.
	if err := s.Purge(1, w); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.List(); !slices.Equal(list, []uint64{110, 90, 70}) {
		t.Fatalf("List after purge = %v", list)
	}
	if !strings.Contains(buf.String(), "retain") {
		t.Fatalf("no warning about the retain count: %s", buf.String())
	}
	// Every segment left may hold entries >= 70, and none removed did.
	segsAfter := segmentFiles(t, fsys)
	if len(segsAfter) >= len(segsBefore) {
		t.Fatalf("no segment purged: %d before, %d after", len(segsBefore), len(segsAfter))
	}
	if w.FirstIndex() > 70 {
		t.Fatalf("FirstIndex %d: entries >= 70 were removed", w.FirstIndex())
	}
	next := segsBefore[len(segsBefore)-len(segsAfter)]
	if next != segsAfter[0] {
		t.Fatalf("purged segments are not the oldest: %v -> %v", segsBefore, segsAfter)
	}
	// The first kept segment is the one holding 70: the one after starts above.
	if len(segsAfter) > 1 {
		second, _ := parseIndexName(filepath.Base(segsAfter[1]), segmentSuffix)
		if second <= 70 {
			t.Fatalf("segment %s holds only entries below 70 but was kept", segsAfter[0])
		}
	}
	if _, err := w.Entries(70, 121, 1<<62); err != nil {
		t.Fatalf("entries after the oldest snapshot: %v", err)
	}
	// Purging with fewer snapshots than retained changes nothing.
	if err := s.Purge(5, nil); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.List(); len(list) != 3 {
		t.Fatalf("List = %v", list)
	}
}

func TestSnapshotWriterAfterCommit(t *testing.T) {
	s := openSnaps(t, NewMemFS())
	w, err := s.Create(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("Write after Commit succeeded")
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort after Commit: %v", err)
	}
	got, err := readSnap(s, 1)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty snapshot: %q, %v", got, err)
	}
	if w.Index() != 1 {
		t.Fatal(fmt.Sprint("Index ", w.Index()))
	}
}
