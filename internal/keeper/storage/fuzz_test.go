package storage

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"testing"
)

// FuzzWALOpen: any bytes as a segment file give entries or an error, never a
// panic; an opened WAL reads back consistently, reopens to the same entries
// and takes the next append.
func FuzzWALOpen(f *testing.F) {
	valid := NewMemFS()
	writeWAL(f, valid, WALOptions{}, mkEntries(1, 4, 1))
	seg := readFile(f, valid, segmentFiles(f, valid)[0])
	f.Add(seg)
	f.Add(seg[:len(seg)-5])
	f.Add(append(bytes.Clone(seg), make([]byte, 30)...))
	f.Add(flip(seg, 40))
	f.Add(encodeSegmentHeader(1))
	f.Add(encodeSegmentHeader(1)[:7])
	f.Add([]byte{})
	f.Add(appendRecord(encodeSegmentHeader(1), Entry{Term: 1, Index: 1, Data: []byte("x")}))
	f.Add(appendRecord(encodeSegmentHeader(1), Entry{Term: 1, Index: 2}))

	f.Fuzz(func(t *testing.T, data []byte) {
		// Without and with preallocation: a zero tail is a torn tail to
		// repair in the first, the end of the log in the second.
		for _, opts := range []WALOptions{{}, preOpts(4096)} {
			fuzzWALOpenOnce(t, data, opts)
		}
	})
}

func fuzzWALOpenOnce(t *testing.T, data []byte, opts WALOptions) {
	fsys := NewMemFS()
	if err := makeDir(fsys, walDir()); err != nil {
		t.Fatal(err)
	}
	writeFile(t, fsys, filepath.Join(walDir(), segmentName(1)), data)
	w, err := OpenWAL(fsys, testDir, opts)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error does not wrap ErrCorrupt: %v", err)
		}
		return
	}
	var got []Entry
	if err := w.ReadFrom(0, func(e Entry) error {
		got = append(got, e)
		return nil
	}); err != nil {
		t.Fatalf("ReadFrom after a successful open: %v", err)
	}
	if n := uint64(len(got)); n > 0 && (got[0].Index != w.FirstIndex() || got[n-1].Index != w.LastIndex()) {
		t.Fatalf("entries %d..%d, WAL says %d..%d", got[0].Index, got[n-1].Index, w.FirstIndex(), w.LastIndex())
	}
	next := Entry{Term: w.LastTerm(), Index: w.LastIndex() + 1, Data: []byte("next")}
	if w.LastIndex() == 0 {
		next.Index = 1
	}
	if err := w.Append(next); err != nil {
		t.Fatalf("Append after open: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w2, err := OpenWAL(fsys, testDir, opts)
	if err != nil {
		t.Fatalf("reopen after repair: %v", err)
	}
	defer w2.Close()
	var again []Entry
	w2.ReadFrom(0, func(e Entry) error {
		again = append(again, e)
		return nil
	})
	sameEntries(t, again, append(got, next))
}

// FuzzSnapshotRead: any bytes as a snapshot file give its body or an error
// wrapping ErrCorrupt, never a panic.
func FuzzSnapshotRead(f *testing.F) {
	valid := NewMemFS()
	s := openSnaps(f, valid)
	writeSnap(f, s, 1, []byte("a small snapshot body"))
	snap := readFile(f, valid, filepath.Join(s.Dir(), "0000000000000001.snap"))
	f.Add(snap)
	f.Add(snap[:len(snap)-1])
	f.Add(flip(snap, 20))
	f.Add(snap[:snapHeaderSize])
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := NewMemFS()
		s := openSnaps(t, fsys)
		p := filepath.Join(s.Dir(), "0000000000000001.snap")
		writeFile(t, fsys, p, data)
		r, err := s.Open(1)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		defer r.Close()
		body, err := io.ReadAll(r)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Read error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		if !bytes.Equal(body, data[snapHeaderSize:len(data)-snapTrailerSize]) {
			t.Fatalf("body %q from file %q", body, data)
		}
	})
}
