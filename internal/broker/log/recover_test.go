package plog

import (
	"bytes"
	"crypto/rand"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// buildLog writes n batches (codecs rotating) to a fresh log in two or more
// segments, closes it and returns its dir and the batches as stored.
func buildLog(t *testing.T, n int) (string, Config, [][]byte) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.IndexIntervalBytes = 200
	cfg.SegmentBytes = 1000
	dir := filepath.Join(t.TempDir(), "t-0")
	l := openTest(t, dir, cfg)
	for i := range n {
		codec := []int{codecNone, codecGzip, codecSnappy, codecLZ4, codecZstd}[i%5]
		mustAppend(t, l, makeBatch(t, codec, simpleRecs(1+i%3, 60, t0.UnixMilli()+int64(i))), int32(i/4), t0)
	}
	stored := readAll(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if len(segFiles(t, dir, logSuffix)) < 2 {
		t.Fatal("want several segments")
	}
	return dir, cfg, stored
}

func lastSegment(t *testing.T, dir string) string {
	t.Helper()
	s := segFiles(t, dir, logSuffix)
	return s[len(s)-1]
}

// batchStarts returns the positions of the batches in a segment file.
func batchStarts(t *testing.T, data []byte) []int {
	t.Helper()
	var out []int
	for pos := 0; pos < len(data); {
		out = append(out, pos)
		pos += int(hdr(data[pos:]).size())
	}
	return out
}

func sameBatches(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d batches, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("batch %d differs", i)
		}
	}
}

func TestRecoverTornTail(t *testing.T) {
	dir, cfg, stored := buildLog(t, 20)
	seg := lastSegment(t, dir)
	orig, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	starts := batchStarts(t, orig)
	last := starts[len(starts)-1]
	lastBase := hdr(orig[last:]).baseOffset()
	// Every cut inside the last batch loses exactly that batch.
	for cut := last; cut < len(orig); cut++ {
		if cut > last+batchHeaderSize+8 && cut%5 != 0 && cut != len(orig)-1 {
			continue // every position of the header, then a sample
		}
		if err := os.WriteFile(seg, orig[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := OpenWithOptions(dir, cfg, Options{})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if l.LogEndOffset() != lastBase || fileSize(t, seg) != int64(last) {
			t.Fatalf("cut at %d: LEO %d (want %d), file %d bytes (want %d)", cut, l.LogEndOffset(), lastBase, fileSize(t, seg), last)
		}
		if cut == last || cut == len(orig)-1 {
			sameBatches(t, readAll(t, l), stored[:len(stored)-1])
		}
		l.Close()
	}
	// A complete file loses nothing.
	os.WriteFile(seg, orig, 0o644)
	l := openTest(t, dir, cfg)
	sameBatches(t, readAll(t, l), stored)
	l.Close()
}

func TestRecoverDamagedTail(t *testing.T) {
	garbage := make([]byte, 3000)
	rand.Read(garbage)
	tests := []struct {
		name   string
		damage func(orig []byte, last int) []byte
		lost   int // batches lost
	}{
		{"zero-filled tail", func(o []byte, _ int) []byte { return append(bytes.Clone(o), make([]byte, 8192)...) }, 0},
		{"zeroed last batch", func(o []byte, last int) []byte {
			b := bytes.Clone(o)
			clear(b[last:])
			return b
		}, 1},
		{"zeroed end of last batch", func(o []byte, last int) []byte {
			b := bytes.Clone(o)
			clear(b[last+70:])
			return b
		}, 1},
		{"random garbage after the end", func(o []byte, _ int) []byte { return append(bytes.Clone(o), garbage...) }, 0},
		{"header of a batch that never came", func(o []byte, _ int) []byte { return append(bytes.Clone(o), o[:40]...) }, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, cfg, stored := buildLog(t, 12)
			seg := lastSegment(t, dir)
			orig, _ := os.ReadFile(seg)
			starts := batchStarts(t, orig)
			os.WriteFile(seg, tc.damage(orig, starts[len(starts)-1]), 0o644)
			for _, clean := range []bool{false, true} {
				// A torn tail after a "clean" shutdown is caught by the header
				// walk and repaired the same way.
				l, err := OpenWithOptions(dir, cfg, Options{CleanShutdown: clean, Logger: testLogger(t)})
				if err != nil {
					t.Fatalf("clean=%v: %v", clean, err)
				}
				sameBatches(t, readAll(t, l), stored[:len(stored)-tc.lost])
				l.Close()
			}
		})
	}
}

func TestRecoverCorruptMiddle(t *testing.T) {
	tests := []struct {
		name    string
		segment func(files []string) string
		pick    func(starts []int) int // batch whose payload is damaged
	}{
		{"middle of the last segment", func(f []string) string { return f[len(f)-1] }, func(s []int) int { return 1 }},
		{"first batch of the last segment", func(f []string) string { return f[len(f)-1] }, func(s []int) int { return 0 }},
		{"last batch of an earlier segment", func(f []string) string { return f[0] }, func(s []int) int { return len(s) - 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, cfg, _ := buildLog(t, 20)
			seg := tc.segment(segFiles(t, dir, logSuffix))
			data, _ := os.ReadFile(seg)
			starts := batchStarts(t, data)
			if len(starts) < 3 {
				t.Fatalf("segment has %d batches", len(starts))
			}
			pos := starts[tc.pick(starts)]
			data[pos+batchHeaderSize+3] ^= 0x55
			os.WriteFile(seg, data, 0o644)
			_, err := OpenWithOptions(dir, cfg, Options{})
			wantErr(t, err, ErrCorruptLog)
			msg := err.Error()
			if !strings.Contains(msg, filepath.Base(seg)) || !strings.Contains(msg, "byte "+strconv.Itoa(pos)) {
				t.Fatalf("error does not name file and position %d: %v", pos, err)
			}
			// The file was left alone.
			if got, _ := os.ReadFile(seg); !bytes.Equal(got, data) {
				t.Fatal("corrupt log was modified")
			}
		})
	}
}

func TestCleanShutdownHonoured(t *testing.T) {
	dir, cfg, stored := buildLog(t, 20)
	// Damage the CRC of a batch in the middle of the active segment.
	seg := lastSegment(t, dir)
	data, _ := os.ReadFile(seg)
	starts := batchStarts(t, data)
	data[starts[1]+batchHeaderSize+1] ^= 0x01
	os.WriteFile(seg, data, 0o644)
	// After a clean shutdown nothing is scanned: the log opens as it was.
	l, err := OpenWithOptions(dir, cfg, Options{CleanShutdown: true})
	if err != nil {
		t.Fatalf("clean open scanned the log: %v", err)
	}
	if l.LogEndOffset() != hdr(stored[len(stored)-1]).lastOffset()+1 || l.RecoveryPoint() != l.LogEndOffset() {
		t.Fatalf("LEO %d RP %d", l.LogEndOffset(), l.RecoveryPoint())
	}
	l.Close()
	// Without the marker the damage is found.
	_, err = OpenWithOptions(dir, cfg, Options{})
	wantErr(t, err, ErrCorruptLog)
	// With a recovery point past the damaged segment it is not scanned either.
	first := segFiles(t, dir, logSuffix)[0]
	fdata, _ := os.ReadFile(first)
	fdata[batchHeaderSize+2] ^= 1
	os.WriteFile(first, fdata, 0o644)
	data[starts[1]+batchHeaderSize+1] ^= 0x01 // repair the active segment
	os.WriteFile(seg, data, 0o644)
	l, err = OpenWithOptions(dir, cfg, Options{RecoveryPoint: hdr(data).baseOffset()})
	if err != nil {
		t.Fatalf("recovery point not honoured: %v", err)
	}
	l.Close()
	_, err = OpenWithOptions(dir, cfg, Options{RecoveryPoint: 0})
	wantErr(t, err, ErrCorruptLog)
}

func TestIndexesRebuilt(t *testing.T) {
	dir, cfg, stored := buildLog(t, 30)
	read := func() map[string][]byte {
		m := make(map[string][]byte)
		for _, suf := range []string{indexSuffix, timeIndexSuffix} {
			for _, f := range segFiles(t, dir, suf) {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				m[filepath.Base(f)] = b
			}
		}
		return m
	}
	want := read()
	nonEmpty := 0
	for _, b := range want {
		if len(b) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 4 {
		t.Fatalf("only %d non-empty index files", nonEmpty)
	}
	for _, clean := range []bool{true, false} {
		for name := range want {
			os.Remove(filepath.Join(dir, name))
		}
		l, err := OpenWithOptions(dir, cfg, Options{CleanShutdown: clean, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		sameBatches(t, readAll(t, l), stored)
		l.Close()
		got := read()
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				t.Fatalf("clean=%v: %s rebuilt as %d bytes, was %d", clean, name, len(got[name]), len(b))
			}
		}
	}
	// An index that is not a whole number of entries is rebuilt too.
	idx := segFiles(t, dir, indexSuffix)[0]
	os.WriteFile(idx, want[filepath.Base(idx)][:5], 0o644)
	l, err := OpenWithOptions(dir, cfg, Options{CleanShutdown: true})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := l.Read(hdr(stored[3]).baseOffset(), 1, math.MaxInt64); err != nil || !bytes.Equal(res.Records, stored[3]) {
		t.Fatal("read after rebuilding a short index", err)
	}
	l.Close()
	if got, _ := os.ReadFile(idx); !bytes.Equal(got, want[filepath.Base(idx)]) {
		t.Fatal("short index not rebuilt")
	}
}

func TestOpenCleansLeftovers(t *testing.T) {
	dir, cfg, stored := buildLog(t, 10)
	for _, name := range []string{
		"00000000000000000000.log.deleted", "00000000000000000000.index.deleted",
		"leader-epoch-checkpoint.tmp", "00000000000000099999.index", "00000000000000099999.timeindex",
	} {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644)
	}
	l := openTest(t, dir, cfg)
	defer l.Close()
	sameBatches(t, readAll(t, l), stored)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".deleted") || strings.HasSuffix(e.Name(), ".tmp") || strings.Contains(e.Name(), "99999") {
			t.Fatalf("left %s", e.Name())
		}
	}
	os.WriteFile(filepath.Join(dir, "00000000000000000000.log.swap"), nil, 0o644)
	_, err := OpenWithOptions(dir, cfg, Options{})
	wantErr(t, err, ErrCorruptLog)
}

func TestOffsetsBackwardsIsCorrupt(t *testing.T) {
	dir, cfg, _ := buildLog(t, 10)
	seg := lastSegment(t, dir)
	data, _ := os.ReadFile(seg)
	starts := batchStarts(t, data)
	// Give the second batch the first batch's base offset (outside the CRC).
	copy(data[starts[1]:starts[1]+8], data[0:8])
	os.WriteFile(seg, data, 0o644)
	_, err := OpenWithOptions(dir, cfg, Options{})
	wantErr(t, err, ErrCorruptLog)
}
