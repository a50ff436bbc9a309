package storage

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// entryData is the deterministic payload of entry i in term t.
func entryData(i, t uint64) []byte {
	d := fmt.Appendf(nil, "t%d-e%d-", t, i)
	for j := uint64(0); j < i%37; j++ {
		d = append(d, byte('a'+j%26))
	}
	return d
}

func mkEntries(from, to, term uint64) []Entry {
	var es []Entry
	for i := from; i <= to; i++ {
		es = append(es, Entry{Term: term, Index: i, Data: entryData(i, term)})
	}
	return es
}

func recSize(e Entry) int64 { return int64(recordHeaderSize + len(e.Data)) }

const testDir = "/data"

func walDir() string { return filepath.Join(testDir, walDirName) }

func openWAL(t testing.TB, fsys FS, opts WALOptions) *WAL {
	t.Helper()
	w, err := OpenWAL(fsys, testDir, opts)
	if err != nil {
		t.Fatalf("OpenWAL: %v", err)
	}
	return w
}

// writeWAL makes a closed WAL holding es.
func writeWAL(t testing.TB, fsys FS, opts WALOptions, es []Entry) {
	t.Helper()
	w := openWAL(t, fsys, opts)
	if err := w.Append(es...); err != nil {
		t.Fatalf("Append: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func readAll(t testing.TB, w *WAL) []Entry {
	t.Helper()
	var out []Entry
	if err := w.ReadFrom(0, func(e Entry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatalf("ReadFrom: %v", err)
	}
	return out
}

func sameEntries(t testing.TB, got, want []Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Term != want[i].Term || got[i].Index != want[i].Index || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Fatalf("entry %d: got {%d %d %q}, want {%d %d %q}", i,
				got[i].Term, got[i].Index, got[i].Data, want[i].Term, want[i].Index, want[i].Data)
		}
	}
}

func segmentFiles(t testing.TB, fsys FS) []string {
	t.Helper()
	names, err := fsys.ReadDir(walDir())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, segmentSuffix) {
			out = append(out, filepath.Join(walDir(), n))
		}
	}
	return out
}

func readFile(t testing.TB, fsys FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile replaces name's contents durably.
func writeFile(t testing.TB, fsys FS, name string, data []byte) {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fsys.SyncDir(filepath.Dir(name)); err != nil {
		t.Fatal(err)
	}
}

func fileSize(t testing.TB, fsys FS, name string) int64 {
	t.Helper()
	return int64(len(readFile(t, fsys, name)))
}

func flip(b []byte, i int) []byte {
	c := slices.Clone(b)
	c[i] ^= 0x41
	return c
}

// flushForTest writes buffered records to the file without syncing them.
func (w *WAL) flushForTest() error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	return w.flush()
}

// preparedForTest reports whether a preallocated segment is ready.
func (w *WAL) preparedForTest() bool {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	return w.preallocReady()
}
