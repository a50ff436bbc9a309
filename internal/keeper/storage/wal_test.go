package storage

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestWALAppendReadReopen(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts WALOptions
	}{
		{"one segment", WALOptions{}},
		{"many segments", WALOptions{SegmentBytes: 300}},
		{"no cache", WALOptions{SegmentBytes: 300, CacheBytes: -1}},
		{"tiny segments", WALOptions{SegmentBytes: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := NewMemFS()
			w := openWAL(t, fsys, tc.opts)
			if w.FirstIndex() != 0 || w.LastIndex() != 0 || w.LastTerm() != 0 {
				t.Fatalf("empty WAL: first %d last %d term %d", w.FirstIndex(), w.LastIndex(), w.LastTerm())
			}
			want := append(mkEntries(1, 30, 1), mkEntries(31, 50, 3)...)
			for i := 0; i < len(want); i += 7 {
				if err := w.Append(want[i:min(i+7, len(want))]...); err != nil {
					t.Fatal(err)
				}
				if err := w.Sync(); err != nil {
					t.Fatal(err)
				}
			}
			check := func(w *WAL) {
				t.Helper()
				if w.FirstIndex() != 1 || w.LastIndex() != 50 || w.LastTerm() != 3 {
					t.Fatalf("first %d last %d term %d, want 1 50 3", w.FirstIndex(), w.LastIndex(), w.LastTerm())
				}
				sameEntries(t, readAll(t, w), want)
				got, err := w.Entries(10, 40, 1<<62)
				if err != nil {
					t.Fatal(err)
				}
				sameEntries(t, got, want[9:39])
				got, err = w.Entries(10, 40, 0)
				if err != nil {
					t.Fatal(err)
				}
				sameEntries(t, got, want[9:10])
				limit := uint64(recSize(want[9]) + recSize(want[10]) + recSize(want[11]))
				got, err = w.Entries(10, 40, limit)
				if err != nil {
					t.Fatal(err)
				}
				sameEntries(t, got, want[9:12])
				if term, err := w.Term(31); err != nil || term != 3 {
					t.Fatalf("Term(31) = %d, %v", term, err)
				}
				if _, err := w.Entries(0, 5, 100); !errors.Is(err, ErrCompacted) {
					t.Fatalf("Entries below first: %v", err)
				}
				if _, err := w.Entries(45, 52, 100); !errors.Is(err, ErrUnavailable) {
					t.Fatalf("Entries beyond last: %v", err)
				}
				var n int
				if err := w.ReadFrom(51, func(Entry) error { n++; return nil }); err != nil || n != 0 {
					t.Fatalf("ReadFrom(51): %d entries, %v", n, err)
				}
			}
			check(w)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			w = openWAL(t, fsys, tc.opts)
			defer w.Close()
			check(w)
			if tc.opts.SegmentBytes > 0 && len(segmentFiles(t, fsys)) < 2 {
				t.Fatalf("expected several segments, got %v", segmentFiles(t, fsys))
			}
		})
	}
}

func TestWALAppendErrors(t *testing.T) {
	w := openWAL(t, NewMemFS(), WALOptions{})
	if err := w.Append(Entry{Index: 0}); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("index 0: %v", err)
	}
	if err := w.Append(Entry{Term: 2, Index: 100}); err != nil {
		t.Fatalf("empty WAL takes any first index: %v", err)
	}
	for _, tc := range []struct {
		name string
		es   []Entry
	}{
		{"gap", []Entry{{Term: 2, Index: 102}}},
		{"repeat", []Entry{{Term: 2, Index: 100}}},
		{"gap inside batch", []Entry{{Term: 2, Index: 101}, {Term: 2, Index: 103}}},
		{"term goes down", []Entry{{Term: 1, Index: 101}}},
	} {
		if err := w.Append(tc.es...); !errors.Is(err, ErrOutOfOrder) {
			t.Errorf("%s: got %v, want ErrOutOfOrder", tc.name, err)
		}
	}
	if w.LastIndex() != 100 {
		t.Fatalf("a rejected batch changed LastIndex to %d", w.LastIndex())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(Entry{Term: 2, Index: 101}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := w.Entries(100, 101, 10); !errors.Is(err, ErrClosed) {
		t.Fatalf("Entries after Close: %v", err)
	}
}

// lastRecordOffset returns where the last of es starts in a single segment.
func lastRecordOffset(es []Entry) int64 {
	off := int64(walHeaderSize)
	for _, e := range es[:len(es)-1] {
		off += recSize(e)
	}
	return off
}

// TestWALTornLastRecord cuts the last record at every byte offset, and flips
// every byte of it: each is a torn tail, repaired with a warning, after which
// the entry can be appended again.
func TestWALTornLastRecord(t *testing.T) {
	es := mkEntries(1, 5, 1)
	base := NewMemFS()
	writeWAL(t, base, WALOptions{}, es)
	seg := segmentFiles(t, base)[0]
	orig := readFile(t, base, seg)
	start := lastRecordOffset(es)
	if int64(len(orig)) != start+recSize(es[4]) {
		t.Fatalf("segment is %d bytes, want %d", len(orig), start+recSize(es[4]))
	}
	type variant struct {
		name string
		data []byte
	}
	var vs []variant
	for cut := start + 1; cut < int64(len(orig)); cut++ {
		vs = append(vs, variant{fmt.Sprintf("cut at %d", cut), orig[:cut]})
	}
	for i := start; i < int64(len(orig)); i++ {
		vs = append(vs, variant{fmt.Sprintf("flip byte %d", i), flip(orig, int(i))})
	}
	zeroed := slices.Clone(orig)
	clear(zeroed[start:])
	vs = append(vs, variant{"last record zeroed", zeroed})

	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			fsys := base.CrashClone()
			writeFile(t, fsys, seg, v.data)
			log, buf := testLogger()
			w := openWAL(t, fsys, WALOptions{Logger: log})
			if w.LastIndex() != 4 {
				t.Fatalf("LastIndex %d after repair, want 4", w.LastIndex())
			}
			sameEntries(t, readAll(t, w), es[:4])
			out := buf.String()
			if !strings.Contains(out, "torn") || !strings.Contains(out, seg) || !strings.Contains(out, fmt.Sprintf("offset=%d", start)) {
				t.Fatalf("warning does not name file and offset %d: %s", start, out)
			}
			if got := fileSize(t, fsys, seg); got != start {
				t.Fatalf("segment is %d bytes after repair, want %d", got, start)
			}
			// Repair, then append again.
			if err := w.Append(es[4]); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			w = openWAL(t, fsys.CrashClone(), WALOptions{})
			defer w.Close()
			sameEntries(t, readAll(t, w), es)
		})
	}
}

func TestWALZeroFilledTail(t *testing.T) {
	es := mkEntries(1, 5, 1)
	base := NewMemFS()
	writeWAL(t, base, WALOptions{}, es)
	seg := segmentFiles(t, base)[0]
	orig := readFile(t, base, seg)
	for _, n := range []int{1, 7, 8, 23, 24, 25, 100, 4096} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			fsys := base.CrashClone()
			writeFile(t, fsys, seg, append(slices.Clone(orig), make([]byte, n)...))
			log, buf := testLogger()
			w := openWAL(t, fsys, WALOptions{Logger: log})
			defer w.Close()
			sameEntries(t, readAll(t, w), es)
			if got := fileSize(t, fsys, seg); got != int64(len(orig)) {
				t.Fatalf("segment is %d bytes after repair, want %d", got, len(orig))
			}
			if !strings.Contains(buf.String(), fmt.Sprintf("offset=%d", len(orig))) {
				t.Fatalf("no warning naming offset %d: %s", len(orig), buf.String())
			}
		})
	}
}

// TestWALCorruptMiddle damages a record that has valid records after it: at
// every byte of it, recovery must refuse, naming file and offset.
func TestWALCorruptMiddle(t *testing.T) {
	es := mkEntries(1, 5, 1)
	base := NewMemFS()
	writeWAL(t, base, WALOptions{}, es)
	seg := segmentFiles(t, base)[0]
	orig := readFile(t, base, seg)
	start := int64(walHeaderSize) + recSize(es[0]) + recSize(es[1]) // entry 3
	end := start + recSize(es[2])
	for i := start; i < end; i++ {
		fsys := base.CrashClone()
		writeFile(t, fsys, seg, flip(orig, int(i)))
		_, err := OpenWAL(fsys, testDir, WALOptions{})
		var ce *CorruptError
		if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) {
			t.Fatalf("flip byte %d: got %v, want ErrCorrupt", i, err)
		}
		if ce.Path != seg || ce.Offset != start || !strings.Contains(err.Error(), seg) {
			t.Fatalf("flip byte %d: error %q names %s at %d, want %s at %d", i, err, ce.Path, ce.Offset, seg, start)
		}
	}
	// Zeroing a middle record is corruption too, not a torn tail.
	fsys := base.CrashClone()
	z := slices.Clone(orig)
	clear(z[start:end])
	writeFile(t, fsys, seg, z)
	if _, err := OpenWAL(fsys, testDir, WALOptions{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("zeroed middle record: got %v, want ErrCorrupt", err)
	}
}

// multiSegment writes 40 entries over several small segments.
func multiSegment(t *testing.T) (*MemFS, []Entry, []string) {
	t.Helper()
	es := mkEntries(1, 40, 1)
	fsys := NewMemFS()
	writeWAL(t, fsys, WALOptions{SegmentBytes: 400}, es)
	segs := segmentFiles(t, fsys)
	if len(segs) < 4 {
		t.Fatalf("want at least 4 segments, got %d", len(segs))
	}
	return fsys, es, segs
}

func TestWALSegmentDamage(t *testing.T) {
	_, _, segs := multiSegment(t)
	for _, tc := range []struct {
		name    string
		damage  func(t *testing.T, fsys *MemFS)
		file    string // the file the error must name
		wantErr bool
	}{
		{
			name:    "missing middle segment",
			damage:  func(t *testing.T, fsys *MemFS) { fsys.Remove(segs[1]) },
			file:    segs[2],
			wantErr: true,
		},
		{
			name: "bad header in a middle segment",
			damage: func(t *testing.T, fsys *MemFS) {
				writeFile(t, fsys, segs[1], flip(readFile(t, fsys, segs[1]), 0))
			},
			file:    segs[1],
			wantErr: true,
		},
		{
			name: "header index disagrees with name",
			damage: func(t *testing.T, fsys *MemFS) {
				b := readFile(t, fsys, segs[1])
				copy(b, encodeSegmentHeader(999))
				writeFile(t, fsys, segs[1], b)
			},
			file:    segs[1],
			wantErr: true,
		},
		{
			name: "torn tail in a middle segment",
			damage: func(t *testing.T, fsys *MemFS) {
				b := readFile(t, fsys, segs[1])
				writeFile(t, fsys, segs[1], b[:len(b)-3])
			},
			file:    segs[1],
			wantErr: true,
		},
		{
			name: "zero tail in a middle segment",
			damage: func(t *testing.T, fsys *MemFS) {
				writeFile(t, fsys, segs[1], append(readFile(t, fsys, segs[1]), make([]byte, 64)...))
			},
			file:    segs[1],
			wantErr: true,
		},
		{
			name: "last segment with torn header is removed",
			damage: func(t *testing.T, fsys *MemFS) {
				writeFile(t, fsys, segs[len(segs)-1], encodeSegmentHeader(9)[:10])
			},
			file: segs[len(segs)-1],
		},
		{
			name: "last segment with bad header but valid records",
			damage: func(t *testing.T, fsys *MemFS) {
				last := segs[len(segs)-1]
				writeFile(t, fsys, last, flip(readFile(t, fsys, last), 2))
			},
			file:    segs[len(segs)-1],
			wantErr: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, es, _ := multiSegment(t)
			tc.damage(t, fsys)
			log, buf := testLogger()
			w, err := OpenWAL(fsys, testDir, WALOptions{SegmentBytes: 400, Logger: log})
			if tc.wantErr {
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.file) {
					t.Fatalf("got %v, want ErrCorrupt naming %s", err, tc.file)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if !strings.Contains(buf.String(), tc.file) {
				t.Fatalf("no warning naming %s: %s", tc.file, buf.String())
			}
			got := readAll(t, w)
			sameEntries(t, got, es[:len(got)])
			if len(got) >= len(es) {
				t.Fatalf("nothing was dropped")
			}
			// And the WAL goes on from there.
			next := mkEntries(uint64(len(got))+1, uint64(len(got))+3, 2)
			if err := w.Append(next...); err != nil {
				t.Fatal(err)
			}
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
			w2 := openWAL(t, fsys.CrashClone(), WALOptions{SegmentBytes: 400})
			defer w2.Close()
			sameEntries(t, readAll(t, w2), append(slices.Clone(got), next...))
		})
	}
}

func TestWALTruncateAfter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		index uint64
		want  uint64 // LastIndex after
	}{
		{"inside last segment", 38, 38},
		{"inside an earlier segment", 12, 12},
		{"at a segment's end", 0, 0}, // filled in below
		{"below first index", 0, 0},
		{"at last index", 40, 40},
		{"beyond last index", 45, 40},
		{"first entry only", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, es, segs := multiSegment(t)
			index, want := tc.index, tc.want
			if tc.name == "at a segment's end" {
				first, _ := parseIndexName(segs[2][len(walDir())+1:], segmentSuffix)
				index, want = first-1, first-1
			}
			w := openWAL(t, fsys, WALOptions{SegmentBytes: 400})
			// Readers hold entries from before; they must stay intact.
			before, err := w.Entries(1, 41, 1<<62)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.TruncateAfter(index); err != nil {
				t.Fatal(err)
			}
			if w.LastIndex() != want {
				t.Fatalf("LastIndex %d, want %d", w.LastIndex(), want)
			}
			var wantEs []Entry
			if want > 0 {
				wantEs = es[:want]
				if w.LastTerm() != 1 {
					t.Fatalf("LastTerm %d", w.LastTerm())
				}
			}
			sameEntries(t, readAll(t, w), wantEs)
			// New entries in a new term replace the truncated ones.
			from := want + 1
			if want == 0 {
				from = 7 // an emptied WAL starts anywhere
				wantEs = nil
			}
			next := mkEntries(from, from+9, 2)
			if err := w.Append(next...); err != nil {
				t.Fatal(err)
			}
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
			wantEs = append(slices.Clone(wantEs), next...)
			sameEntries(t, readAll(t, w), wantEs)
			sameEntries(t, before, es)
			w2 := openWAL(t, fsys.CrashClone(), WALOptions{SegmentBytes: 400})
			defer w2.Close()
			sameEntries(t, readAll(t, w2), wantEs)
			if w2.LastTerm() != 2 {
				t.Fatalf("LastTerm %d after reopen", w2.LastTerm())
			}
			w.Close()
		})
	}
}

func TestWALCompact(t *testing.T) {
	fsys, es, segs := multiSegment(t)
	w := openWAL(t, fsys, WALOptions{SegmentBytes: 400})
	defer w.Close()
	first2, _ := parseIndexName(segs[2][len(walDir())+1:], segmentSuffix)
	// Compacting to first2 removes segments 0 and 1, whose entries are all
	// below it; first2+1 would not remove segment 2, which holds first2.
	if err := w.Compact(first2 + 1); err != nil {
		t.Fatal(err)
	}
	if w.FirstIndex() != first2 {
		t.Fatalf("FirstIndex %d, want %d", w.FirstIndex(), first2)
	}
	if got := segmentFiles(t, fsys); !slices.Equal(got, segs[2:]) {
		t.Fatalf("segments %v, want %v", got, segs[2:])
	}
	if _, err := w.Entries(first2-1, first2+1, 1<<62); !errors.Is(err, ErrCompacted) {
		t.Fatalf("Entries below FirstIndex: %v", err)
	}
	if err := w.ReadFrom(1, func(Entry) error { return nil }); !errors.Is(err, ErrCompacted) {
		t.Fatalf("ReadFrom below FirstIndex: %v", err)
	}
	sameEntries(t, readAll(t, w), es[first2-1:])
	// Compacting past the end keeps the active segment.
	if err := w.Compact(1000); err != nil {
		t.Fatal(err)
	}
	if got := segmentFiles(t, fsys); len(got) != 1 || got[0] != segs[len(segs)-1] {
		t.Fatalf("segments %v, want only the active one", got)
	}
	last := w.FirstIndex()
	sameEntries(t, readAll(t, w), es[last-1:])
	if err := w.Append(mkEntries(41, 45, 1)...); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	w2 := openWAL(t, fsys.CrashClone(), WALOptions{SegmentBytes: 400})
	defer w2.Close()
	sameEntries(t, readAll(t, w2), append(slices.Clone(es[last-1:]), mkEntries(41, 45, 1)...))
}

// TestWALCompactKeepsLastEntry: when the active segment is empty, the segment
// holding the last entry stays.
func TestWALCompactKeepsLastEntry(t *testing.T) {
	fsys, es, segs := multiSegment(t)
	// A crash right after a roll leaves a header-only last segment.
	w := openWAL(t, fsys, WALOptions{SegmentBytes: 400})
	w.Close()
	writeFile(t, fsys, walDir()+"/"+segmentName(41), encodeSegmentHeader(41))
	w = openWAL(t, fsys, WALOptions{SegmentBytes: 400})
	defer w.Close()
	if w.LastIndex() != 40 {
		t.Fatalf("LastIndex %d", w.LastIndex())
	}
	if err := w.Compact(1000); err != nil {
		t.Fatal(err)
	}
	if got := segmentFiles(t, fsys); len(got) != 2 || got[0] != segs[len(segs)-1] {
		t.Fatalf("segments %v", got)
	}
	if term, err := w.Term(40); err != nil || term != 1 {
		t.Fatalf("Term(40) = %d, %v", term, err)
	}
	if err := w.Append(Entry{Term: 1, Index: 41}); err != nil {
		t.Fatal(err)
	}
	_ = es
}

// TestWALCrashUnsynced: power loss after Append without Sync loses exactly the
// unsynced entries.
func TestWALCrashUnsynced(t *testing.T) {
	fsys := NewMemFS()
	w := openWAL(t, fsys, WALOptions{})
	es := mkEntries(1, 15, 1)
	if err := w.Append(es[:10]...); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(es[10:]...); err != nil {
		t.Fatal(err)
	}
	crashed := fsys.CrashClone()
	w2 := openWAL(t, crashed, WALOptions{})
	sameEntries(t, readAll(t, w2), es[:10])
	// The crashed WAL goes on with different entries.
	if err := w2.Append(mkEntries(11, 12, 2)...); err != nil {
		t.Fatal(err)
	}
	w2.Close()
	w.Close()
}

// TestWALCrashAtEveryStep crashes (with and without torn writes) after every
// file system operation of a run of appends, syncs, rolls, compactions and a
// truncation, and checks that recovery never fails and never loses an
// acknowledged entry.
func TestWALCrashAtEveryStep(t *testing.T) {
	crashAtEveryStep(t, WALOptions{SegmentBytes: 500})
}

func crashAtEveryStep(t *testing.T, opts WALOptions) {
	fsys := NewMemFS()
	w := openWAL(t, fsys, opts)
	rng := rand.New(rand.NewPCG(1, 2))

	type crash struct {
		fs    *MemFS
		acked int // entries of model that must survive
		logs  [][]Entry
	}
	var model []Entry // what the WAL holds
	var alt []Entry   // during TruncateAfter: the log before it
	acked := 0
	var crashes []crash
	fsys.SetHook(func(op, name string) {
		logs := [][]Entry{slices.Clone(model)}
		if alt != nil {
			logs = append(logs, slices.Clone(alt))
		}
		crashes = append(crashes, crash{fsys.CrashClone(), acked, logs})
		torn := fsys.CrashCloneWith(func(_ string, synced, written int) int {
			return synced + rng.IntN(written-synced+1)
		})
		crashes = append(crashes, crash{torn, acked, logs})
	})

	next := uint64(1)
	appendN := func(n int, term uint64) {
		es := mkEntries(next, next+uint64(n)-1, term)
		model = append(model, es...)
		if err := w.Append(es...); err != nil {
			t.Fatal(err)
		}
		next += uint64(n)
	}
	sync := func() {
		if err := w.Sync(); err != nil {
			t.Fatal(err)
		}
		acked = len(model)
	}
	for i := 0; i < 25; i++ {
		appendN(1+rng.IntN(6), 1)
		sync()
	}
	if err := w.Compact(20); err != nil {
		t.Fatal(err)
	}
	// Truncate across segments, then go on in a new term.
	alt = slices.Clone(model)
	cut := uint64(len(model) - 25)
	model = model[:cut]
	acked = min(acked, int(cut))
	if err := w.TruncateAfter(cut); err != nil {
		t.Fatal(err)
	}
	alt = nil
	next = cut + 1
	for i := 0; i < 10; i++ {
		appendN(1+rng.IntN(6), 2)
		if i%3 != 2 {
			sync()
		}
	}
	w.Close()
	fsys.SetHook(nil)
	if len(crashes) < 100 {
		t.Fatalf("only %d crash points", len(crashes))
	}

	for i, c := range crashes {
		w, err := OpenWAL(c.fs, testDir, opts)
		if err != nil {
			t.Fatalf("crash %d: recovery failed: %v", i, err)
		}
		got := readAll(t, w)
		ok := len(got) == 0 && c.acked == 0
		for _, log := range c.logs {
			if len(got) == 0 {
				break
			}
			first := int(got[0].Index) - 1
			if first+len(got) > len(log) || first+len(got) < c.acked {
				continue
			}
			match := true
			for k, e := range got {
				l := log[first+k]
				if e.Index != l.Index || e.Term != l.Term || string(e.Data) != string(l.Data) {
					match = false
					break
				}
			}
			if match {
				ok = true
				break
			}
		}
		if !ok {
			t.Fatalf("crash %d: recovered entries %d..%d (%d acked) match no allowed history",
				i, w.FirstIndex(), w.LastIndex(), c.acked)
		}
		w.Close()
	}
}

func TestWALConcurrentReaders(t *testing.T) {
	fsys := NewMemFS()
	w := openWAL(t, fsys, WALOptions{SegmentBytes: 2000, CacheBytes: 1000})
	defer w.Close()
	if err := w.Append(mkEntries(1, 10, 1)...); err != nil {
		t.Fatal(err)
	}
	const last = 2000
	var wg sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, seed))
			for {
				select {
				case <-done:
					return
				default:
				}
				first, lastIdx := w.FirstIndex(), w.LastIndex()
				lo := first + rng.Uint64N(lastIdx-first+1)
				ents, err := w.Entries(lo, lastIdx+1, 1<<62)
				if errors.Is(err, ErrCompacted) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				for k, e := range ents {
					if e.Index != lo+uint64(k) || string(e.Data) != string(entryData(e.Index, 1)) {
						errs <- fmt.Errorf("entry %d: got index %d data %q", lo+uint64(k), e.Index, e.Data)
						return
					}
				}
				n := uint64(0)
				err = w.ReadFrom(lo, func(e Entry) error {
					if e.Index != lo+n {
						return fmt.Errorf("ReadFrom gave %d, want %d", e.Index, lo+n)
					}
					n++
					return nil
				})
				if err != nil && !errors.Is(err, ErrCompacted) {
					errs <- err
					return
				}
			}
		}(uint64(r))
	}
	for i := uint64(11); i <= last; i += 10 {
		if err := w.Append(mkEntries(i, i+9, 1)...); err != nil {
			t.Fatal(err)
		}
		if i%30 == 1 {
			if err := w.Sync(); err != nil {
				t.Fatal(err)
			}
		}
		if i%500 == 1 {
			if err := w.Compact(i - 200); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestWALReadFromStopsOnError(t *testing.T) {
	w := openWAL(t, NewMemFS(), WALOptions{})
	defer w.Close()
	if err := w.Append(mkEntries(1, 10, 1)...); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err := w.ReadFrom(3, func(e Entry) error {
		n++
		if e.Index == 5 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Fatalf("got %v after %d entries", err, n)
	}
}

func TestWALEmptyReopen(t *testing.T) {
	fsys := NewMemFS()
	w := openWAL(t, fsys, WALOptions{})
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// A header-only segment (crash right after creating it) is dropped.
	writeFile(t, fsys, walDir()+"/"+segmentName(5), encodeSegmentHeader(5))
	w = openWAL(t, fsys, WALOptions{})
	defer w.Close()
	if w.LastIndex() != 0 || len(segmentFiles(t, fsys)) != 0 {
		t.Fatalf("LastIndex %d, segments %v", w.LastIndex(), segmentFiles(t, fsys))
	}
	if err := w.Append(Entry{Term: 1, Index: 9}); err != nil {
		t.Fatal(err)
	}
}

// TestWALTailScanBudget: damage followed by a mass of plausible-looking record
// headers is refused as corruption (quickly) rather than scanned for ever or
// dropped.
func TestWALTailScanBudget(t *testing.T) {
	es := mkEntries(1, 3, 1)
	b := encodeSegmentHeader(1)
	for _, e := range es {
		b = appendRecord(b, e)
	}
	for range 200_000 / 8 {
		b = append(b, 0xe8, 0x03, 0, 0, 0, 0, 0, 0) // length, term and index 1000
	}
	fsys := NewMemFS()
	if err := makeDir(fsys, walDir()); err != nil {
		t.Fatal(err)
	}
	seg := walDir() + "/" + segmentName(1)
	writeFile(t, fsys, seg, b)
	_, err := OpenWAL(fsys, testDir, WALOptions{})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "too many") || !strings.Contains(err.Error(), seg) {
		t.Fatalf("got %v, want ErrCorrupt giving up on the scan", err)
	}
}
