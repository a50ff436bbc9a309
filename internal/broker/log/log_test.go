package plog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestAppendReadRoundTrip(t *testing.T) {
	for _, codec := range []int{codecNone, codecGzip, codecSnappy, codecLZ4, codecZstd} {
		for _, n := range []int{1, 7, 100} {
			t.Run(fmt.Sprintf("%s/%d", codecNames[codec], n), func(t *testing.T) {
				t.Parallel()
				l := openTest(t, filepath.Join(t.TempDir(), "t-0"), DefaultConfig())
				defer l.Close()
				var sent [][]byte
				for i := range 5 {
					recs := simpleRecs(n, 50+i, t0.UnixMilli()+int64(i*1000))
					recs[0].headers = []kmsg.Header{{Key: "h", Value: []byte("v")}, {Key: "nil"}}
					recs[len(recs)-1].key = nil
					b := makeBatch(t, codec, recs)
					orig := bytes.Clone(b)
					res := mustAppend(t, l, b, 3, t0)
					if want := int64(i * n); res.BaseOffset != want || res.LastOffset != want+int64(n)-1 {
						t.Fatalf("append %d: offsets [%d, %d], want [%d, %d]", i, res.BaseOffset, res.LastOffset, want, want+int64(n)-1)
					}
					if res.LogAppendTime != -1 || res.LogStartOffset != 0 {
						t.Fatalf("append result %+v", res)
					}
					// The broker changes only baseOffset and the epoch.
					binary.BigEndian.PutUint64(orig[offBaseOffset:], uint64(res.BaseOffset))
					binary.BigEndian.PutUint32(orig[offLeaderEpoch:], 3)
					sent = append(sent, orig)
				}
				if l.LogEndOffset() != int64(5*n) {
					t.Fatalf("LEO %d", l.LogEndOffset())
				}
				got := readAll(t, l)
				if len(got) != len(sent) {
					t.Fatalf("read %d batches, want %d", len(got), len(sent))
				}
				for i := range sent {
					if !bytes.Equal(got[i], sent[i]) {
						t.Fatalf("batch %d differs from what was sent", i)
					}
					var rb kmsg.RecordBatch
					if err := rb.ReadFrom(got[i]); err != nil || int(rb.NumRecords) != n {
						t.Fatalf("kmsg cannot read batch %d: %v", i, err)
					}
				}
				// Every offset finds the batch holding it.
				for off := int64(0); off < l.LogEndOffset(); off++ {
					res, err := l.Read(off, 1, math.MaxInt64)
					if err != nil {
						t.Fatal(err)
					}
					h := hdr(res.Records)
					if len(batches(t, res.Records)) != 1 || h.baseOffset() > off || h.lastOffset() < off {
						t.Fatalf("Read(%d, 1) gave batch [%d, %d]", off, h.baseOffset(), h.lastOffset())
					}
				}
			})
		}
	}
}

func TestReadLimits(t *testing.T) {
	l := openTest(t, filepath.Join(t.TempDir(), "t-0"), DefaultConfig())
	defer l.Close()
	var sizes []int
	for i := range 10 {
		b := makeBatch(t, codecNone, simpleRecs(2, 100, t0.UnixMilli()))
		sizes = append(sizes, len(b))
		mustAppend(t, l, b, 0, t0.Add(time.Duration(i)))
	}
	tests := []struct {
		name      string
		offset    int64
		maxBytes  int32
		maxOffset int64
		batches   int
		err       error
	}{
		{"one byte gives one whole batch (KIP-74)", 0, 1, math.MaxInt64, 1, nil},
		{"zero bytes gives one batch", 4, 0, math.MaxInt64, 1, nil},
		{"exactly two batches", 0, int32(sizes[0] + sizes[1]), math.MaxInt64, 2, nil},
		{"partial third batch is left out", 0, int32(sizes[0] + sizes[1] + 10), math.MaxInt64, 2, nil},
		{"everything", 0, 1 << 20, math.MaxInt64, 10, nil},
		{"from the middle of a batch", 5, 1 << 20, math.MaxInt64, 8, nil},
		{"maxOffset stops before the batch holding it", 0, 1 << 20, 6, 3, nil},
		{"maxOffset at the fetch offset gives nothing", 6, 1 << 20, 6, 0, nil},
		{"log end offset gives nothing", 20, 1 << 20, math.MaxInt64, 0, nil},
		{"past the end", 21, 1 << 20, math.MaxInt64, 0, ErrOffsetOutOfRange},
		{"negative", -1, 1 << 20, math.MaxInt64, 0, ErrOffsetOutOfRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := l.Read(tc.offset, tc.maxBytes, tc.maxOffset)
			if tc.err != nil {
				wantErr(t, err, tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(batches(t, res.Records)); got != tc.batches {
				t.Fatalf("%d batches, want %d", got, tc.batches)
			}
			if res.LogEndOffset != 20 || res.LogStartOffset != 0 {
				t.Fatalf("offsets in result: %+v", res)
			}
		})
	}
}

func TestAppendValidation(t *testing.T) {
	now := t0
	good := func() []byte { return makeBatch(t, codecNone, simpleRecs(3, 10, now.UnixMilli())) }
	withCount := func(n int32) batchOpt { return func(rb *kmsg.RecordBatch) { rb.NumRecords = n } }
	tests := []struct {
		name string
		cfg  func(*Config)
		data func() []byte
		want error
	}{
		{"empty", nil, func() []byte { return nil }, ErrInvalidRecord},
		{"crc", nil, func() []byte { b := good(); b[len(b)-1] ^= 1; return b }, ErrCorruptMessage},
		{"crc of attributes", nil, func() []byte { b := good(); b[offAttributes+1] ^= 0x40; return b }, ErrCorruptMessage},
		{"too large", func(c *Config) { c.MaxMessageBytes = 100 }, good, ErrMessageTooLarge},
		{"larger than a segment", func(c *Config) { c.SegmentBytes = 100 }, good, ErrRecordListTooLarge},
		{"count above records", nil, func() []byte {
			return makeBatch(t, codecNone, simpleRecs(3, 10, 0), withCount(4), func(rb *kmsg.RecordBatch) { rb.LastOffsetDelta = 3 })
		}, ErrInvalidRecord},
		{"count below records", nil, func() []byte {
			return makeBatch(t, codecNone, simpleRecs(3, 10, 0), withCount(2), func(rb *kmsg.RecordBatch) { rb.LastOffsetDelta = 1 })
		}, ErrInvalidRecord},
		{"compressed count mismatch", nil, func() []byte {
			return makeBatch(t, codecZstd, simpleRecs(3, 10, 0), withCount(4), func(rb *kmsg.RecordBatch) { rb.LastOffsetDelta = 3 })
		}, ErrInvalidRecord},
		{"last offset delta mismatch", nil, func() []byte {
			return makeBatch(t, codecNone, simpleRecs(3, 10, 0), func(rb *kmsg.RecordBatch) { rb.LastOffsetDelta = 5 })
		}, ErrInvalidRecord},
		{"zero records", nil, func() []byte { return makeBatch(t, codecNone, nil) }, ErrInvalidRecord},
		{"magic 1", nil, func() []byte { b := good(); b[offMagic] = 1; return b }, ErrUnsupportedForMessageFormat},
		{"magic 3", nil, func() []byte { b := good(); b[offMagic] = 3; return b }, ErrCorruptMessage},
		{"length past the end", nil, func() []byte { b := good(); return b[:len(b)-1] }, ErrCorruptMessage},
		{"length below a header", nil, func() []byte { b := good(); binary.BigEndian.PutUint32(b[offLength:], 20); return b }, ErrCorruptMessage},
		{"trailing bytes", nil, func() []byte { return append(good(), 0, 0, 0) }, ErrCorruptMessage},
		{"control batch", nil, func() []byte {
			return makeBatch(t, codecNone, simpleRecs(1, 4, 0), func(rb *kmsg.RecordBatch) { rb.Attributes |= attrControl })
		}, ErrInvalidRecord},
		{"idempotent without sequence", nil, func() []byte {
			return makeBatch(t, codecNone, simpleRecs(1, 4, 0), func(rb *kmsg.RecordBatch) { rb.ProducerID = 7 })
		}, ErrInvalidRecord},
		{"unknown codec", nil, func() []byte {
			return makeBatch(t, codecNone, simpleRecs(1, 4, 0), func(rb *kmsg.RecordBatch) { rb.Attributes |= 7 })
		}, ErrInvalidRecord},
		{"gzip garbage", nil, func() []byte {
			return makeBatch(t, codecNone, simpleRecs(1, 4, 0), func(rb *kmsg.RecordBatch) { rb.Attributes |= codecGzip })
		}, ErrCorruptMessage},
		{"truncated zstd", nil, func() []byte {
			return makeBatch(t, codecZstd, simpleRecs(50, 40, 0), func(rb *kmsg.RecordBatch) { rb.Records = rb.Records[:len(rb.Records)/2] })
		}, ErrCorruptMessage},
		{"offset deltas out of order", nil, func() []byte {
			recs := encodeRecords(0, simpleRecs(2, 4, 0))
			first := recs[:len(recs)/2] // both records have the same size
			swapped := append(bytes.Clone(recs[len(recs)/2:]), first...)
			return makeBatch(t, codecNone, simpleRecs(2, 4, 0), func(rb *kmsg.RecordBatch) { rb.Records = swapped })
		}, ErrInvalidRecord},
		{"record size lies", nil, func() []byte {
			return makeBatch(t, codecNone, simpleRecs(1, 4, 0), func(rb *kmsg.RecordBatch) { rb.Records[0] += 2 })
		}, ErrInvalidRecord},
		{"compacted topic needs keys", func(c *Config) { c.CleanupPolicy = "compact" }, func() []byte {
			return makeBatch(t, codecNone, []testRec{{value: []byte("x"), ts: now.UnixMilli()}})
		}, ErrInvalidRecord},
		{"timestamp too old", func(c *Config) { c.MessageTimestampBeforeMaxMs = 1000 }, func() []byte {
			return makeBatch(t, codecNone, simpleRecs(1, 4, now.UnixMilli()-5000))
		}, ErrInvalidTimestamp},
		{"timestamp in the future", func(c *Config) { c.MessageTimestampAfterMaxMs = 1000 }, func() []byte {
			return makeBatch(t, codecNone, simpleRecs(1, 4, now.UnixMilli()+5000))
		}, ErrInvalidTimestamp},
		{"producer sets LogAppendTime", func(c *Config) { c.MessageTimestampType = TimestampLogAppendTime }, func() []byte {
			return makeBatch(t, codecNone, simpleRecs(1, 4, 0), func(rb *kmsg.RecordBatch) { rb.Attributes |= attrTimestampType })
		}, ErrInvalidTimestamp},
		{"second batch corrupt", nil, func() []byte { b2 := good(); b2[70] ^= 0xff; return append(good(), b2...) }, ErrCorruptMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			l := openTest(t, filepath.Join(t.TempDir(), "t-0"), cfg)
			defer l.Close()
			_, err := l.Append(tc.data(), 0, now)
			wantErr(t, err, tc.want)
			if l.LogEndOffset() != 0 || l.Size() != 0 {
				t.Fatalf("rejected append changed the log: LEO %d size %d", l.LogEndOffset(), l.Size())
			}
			// The log still works.
			if err := l.SetConfig(DefaultConfig()); err != nil {
				t.Fatal(err)
			}
			mustAppend(t, l, good(), 0, now)
		})
	}
}

func TestMultipleBatchesInOneAppend(t *testing.T) {
	l := openTest(t, filepath.Join(t.TempDir(), "t-0"), DefaultConfig())
	defer l.Close()
	set := append(makeBatch(t, codecNone, simpleRecs(2, 10, 0)), makeBatch(t, codecGzip, simpleRecs(3, 10, 0))...)
	res := mustAppend(t, l, set, 1, t0)
	if res.BaseOffset != 0 || res.LastOffset != 4 {
		t.Fatalf("%+v", res)
	}
	got := readAll(t, l)
	if len(got) != 2 || hdr(got[1]).baseOffset() != 2 {
		t.Fatalf("got %d batches", len(got))
	}
}

func TestLogAppendTime(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MessageTimestampType = TimestampLogAppendTime
	l := openTest(t, filepath.Join(t.TempDir(), "t-0"), cfg)
	defer l.Close()
	for _, codec := range []int{codecNone, codecLZ4} {
		b := makeBatch(t, codec, simpleRecs(3, 10, 12345))
		now := t0.Add(time.Duration(codec) * time.Second)
		res := mustAppend(t, l, b, 0, now)
		if res.LogAppendTime != now.UnixMilli() {
			t.Fatalf("LogAppendTime %d", res.LogAppendTime)
		}
		rr, err := l.Read(res.BaseOffset, 1<<20, math.MaxInt64)
		if err != nil {
			t.Fatal(err)
		}
		h := hdr(batches(t, rr.Records)[0]) // batches checks the recomputed CRC
		if !h.logAppendTime() || h.maxTimestamp() != now.UnixMilli() || h.codec() != codec {
			t.Fatalf("attributes %x maxTimestamp %d", h.attributes(), h.maxTimestamp())
		}
	}
	ot, ok, err := l.OffsetForTimestamp(t0.UnixMilli() + 500)
	if err != nil || !ok || ot.Offset != 3 || ot.Timestamp != t0.UnixMilli()+3000 {
		t.Fatalf("OffsetForTimestamp = %+v %v %v", ot, ok, err)
	}
}

func TestMaxTimestampCorrected(t *testing.T) {
	l := openTest(t, filepath.Join(t.TempDir(), "t-0"), DefaultConfig())
	defer l.Close()
	b := makeBatch(t, codecNone, simpleRecs(3, 10, 1000), func(rb *kmsg.RecordBatch) { rb.MaxTimestamp = 5 })
	mustAppend(t, l, b, 0, t0)
	got := readAll(t, l)[0]
	if hdr(got).maxTimestamp() != 1002 {
		t.Fatalf("maxTimestamp %d, want the records' 1002", hdr(got).maxTimestamp())
	}
}

func TestSegmentRoll(t *testing.T) {
	t.Run("size", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.SegmentBytes = 2000
		dir := filepath.Join(t.TempDir(), "t-0")
		l := openTest(t, dir, cfg)
		var total int64
		for i := range 20 {
			b := makeBatch(t, codecNone, simpleRecs(2, 100, t0.UnixMilli()))
			total += int64(len(b))
			mustAppend(t, l, b, 0, t0.Add(time.Duration(i)*time.Millisecond))
		}
		if l.NumSegments() < 3 || l.Size() != total {
			t.Fatalf("%d segments, size %d (want %d)", l.NumSegments(), l.Size(), total)
		}
		for _, f := range segFiles(t, dir, logSuffix) {
			if fileSize(t, f) > cfg.SegmentBytes {
				t.Fatalf("%s is %d bytes", f, fileSize(t, f))
			}
		}
		names := segFiles(t, dir, logSuffix)
		if filepath.Base(names[0]) != "00000000000000000000.log" || len(filepath.Base(names[1])) != 24 {
			t.Fatalf("segment names %v", names)
		}
		if got := len(readAll(t, l)); got != 20 {
			t.Fatalf("read %d batches", got)
		}
		// The recovery point moved with each roll (sealed segments fsynced).
		if rp := l.RecoveryPoint(); rp == 0 {
			t.Fatalf("recovery point %d", rp)
		}
		l.Close()
		l = openTest(t, dir, cfg)
		defer l.Close()
		if got := len(readAll(t, l)); got != 20 || l.LogEndOffset() != 40 {
			t.Fatalf("after reopen: %d batches, LEO %d", got, l.LogEndOffset())
		}
	})
	t.Run("time", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.SegmentMs = 1000
		l := openTest(t, filepath.Join(t.TempDir(), "t-0"), cfg)
		defer l.Close()
		for i, tc := range []struct {
			ts   int64
			segs int
		}{{0, 1}, {500, 1}, {1000, 1}, {1001, 2}, {1500, 2}, {2002, 3}} {
			b := makeBatch(t, codecNone, simpleRecs(1, 10, t0.UnixMilli()+tc.ts))
			mustAppend(t, l, b, 0, t0)
			if l.NumSegments() != tc.segs {
				t.Fatalf("append %d (ts +%d): %d segments, want %d", i, tc.ts, l.NumSegments(), tc.segs)
			}
		}
	})
	t.Run("time without timestamps", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.SegmentMs = 1000
		clock := t0
		l, err := OpenWithOptions(filepath.Join(t.TempDir(), "t-0"), cfg, Options{Now: func() time.Time { return clock }})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		noTS := func() []byte { return makeBatch(t, codecNone, []testRec{{key: []byte("k"), ts: -1}}) }
		mustAppend(t, l, noTS(), 0, clock)
		clock = clock.Add(999 * time.Millisecond)
		mustAppend(t, l, noTS(), 0, clock)
		if l.NumSegments() != 1 {
			t.Fatal("rolled early")
		}
		clock = clock.Add(2 * time.Millisecond)
		mustAppend(t, l, noTS(), 0, clock)
		if l.NumSegments() != 2 {
			t.Fatalf("%d segments", l.NumSegments())
		}
	})
	t.Run("index full", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.IndexIntervalBytes = 0
		cfg.SegmentIndexBytes = 3 * offsetEntrySize
		l := openTest(t, filepath.Join(t.TempDir(), "t-0"), cfg)
		defer l.Close()
		for range 10 {
			mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(1, 10, t0.UnixMilli())), 0, t0)
		}
		if l.NumSegments() < 3 {
			t.Fatalf("%d segments", l.NumSegments())
		}
	})
}

func TestIndexLookups(t *testing.T) {
	cfg := DefaultConfig()
	cfg.IndexIntervalBytes = 300
	cfg.SegmentBytes = 8000
	dir := filepath.Join(t.TempDir(), "t-0")
	l := openTest(t, dir, cfg)
	var bases []int64
	for i := range 200 {
		n := 1 + i%4
		res := mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(n, 30, t0.UnixMilli()+int64(i)*10)), 0, t0)
		bases = append(bases, res.BaseOffset)
	}
	check := func(stage string) {
		t.Helper()
		for i, b := range bases {
			last := l.LogEndOffset() - 1
			if i+1 < len(bases) {
				last = bases[i+1] - 1
			}
			for off := b; off <= last; off++ {
				res, err := l.Read(off, 1, math.MaxInt64)
				if err != nil {
					t.Fatalf("%s: Read(%d): %v", stage, off, err)
				}
				if h := hdr(res.Records); h.baseOffset() != b {
					t.Fatalf("%s: Read(%d) gave batch %d, want %d", stage, off, h.baseOffset(), b)
				}
			}
		}
	}
	check("active")
	if l.NumSegments() < 3 {
		t.Fatalf("%d segments", l.NumSegments())
	}
	// Entries are sparse, ascending, and point at batch starts.
	for _, f := range segFiles(t, dir, indexSuffix) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if f != segFiles(t, dir, indexSuffix)[len(segFiles(t, dir, indexSuffix))-1] && len(raw) == 0 {
			t.Fatalf("sealed index %s is empty", f)
		}
		prev := int64(-1)
		for e := raw; len(e) > 0; e = e[offsetEntrySize:] {
			if offsetKey(e) <= prev {
				t.Fatalf("%s not ascending", f)
			}
			prev = offsetKey(e)
		}
	}
	l.Close()
	l = openTest(t, dir, cfg)
	defer l.Close()
	check("reopened")
}

func TestOffsetForTimestamp(t *testing.T) {
	cfg := DefaultConfig()
	cfg.IndexIntervalBytes = 100
	cfg.SegmentBytes = 3000
	l := openTest(t, filepath.Join(t.TempDir(), "t-0"), cfg)
	defer l.Close()
	base := t0.UnixMilli()
	// Batch i holds 4 records with timestamps base+100i+{0,10,20,30}, except
	// batch 5 whose timestamps go back in time (out of order producers).
	for i := range 20 {
		recs := simpleRecs(4, 20, 0)
		for j := range recs {
			recs[j].ts = base + int64(100*i+10*j)
		}
		if i == 5 {
			recs[0].ts, recs[1].ts, recs[2].ts, recs[3].ts = base+530, base+500, base+560, base+510
		}
		mustAppend(t, l, makeBatch(t, []int{codecNone, codecGzip, codecZstd}[i%3], recs), 0, t0)
	}
	if l.NumSegments() < 2 {
		t.Fatal("want several segments")
	}
	tests := []struct {
		ts         int64
		off, resTS int64
		ok         bool
	}{
		{base - 1000, 0, base, true},
		{base, 0, base, true},
		{base + 5, 1, base + 10, true},
		{base + 30, 3, base + 30, true},
		{base + 31, 4, base + 100, true},
		{base + 505, 20, base + 530, true}, // first record of batch 5 qualifies
		{base + 540, 22, base + 560, true},
		{base + 1230, 51, base + 1230, true},
		{base + 1930, 79, base + 1930, true},
		{base + 1931, -1, -1, false},
		{ListOffsetsEarliest, 0, -1, true},
		{ListOffsetsLatest, 80, -1, true},
		{ListOffsetsMaxTimestamp, 79, base + 1930, true},
	}
	for _, tc := range tests {
		got, ok, err := l.OffsetForTimestamp(tc.ts)
		if err != nil || ok != tc.ok || (ok && (got.Offset != tc.off || got.Timestamp != tc.resTS)) {
			t.Errorf("OffsetForTimestamp(%d) = %+v %v %v, want {%d %d} %v", tc.ts, got, ok, err, tc.off, tc.resTS, tc.ok)
		}
	}
	// Records below the log start offset are skipped.
	if err := l.DeleteRecordsBefore(2); err != nil {
		t.Fatal(err)
	}
	if got, ok, _ := l.OffsetForTimestamp(base); !ok || got.Offset != 2 || got.Timestamp != base+20 {
		t.Fatalf("after DeleteRecords: %+v", got)
	}
}

func TestRetention(t *testing.T) {
	fill := func(t *testing.T, cfg Config) *Log {
		cfg.SegmentBytes = 1000
		l := openTest(t, filepath.Join(t.TempDir(), "t-0"), cfg)
		t.Cleanup(func() { l.Close() })
		for i := range 30 {
			ts := t0.Add(time.Duration(i) * time.Minute).UnixMilli()
			mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(2, 100, ts)), 0, t0)
		}
		return l
	}
	t.Run("time", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.RetentionMs = 10 * 60 * 1000
		l := fill(t, cfg)
		segs := l.NumSegments()
		n, err := l.ApplyRetention(t0.Add(25 * time.Minute))
		if err != nil || n == 0 || l.NumSegments() != segs-n {
			t.Fatalf("deleted %d of %d: %v", n, segs, err)
		}
		// Everything left holds a timestamp within retention; the log start
		// moved to the first segment left.
		first := readAll(t, l)[0]
		if hdr(first).baseOffset() != l.LogStartOffset() {
			t.Fatalf("first batch %d, log start %d", hdr(first).baseOffset(), l.LogStartOffset())
		}
		if _, err := l.Read(0, 100, math.MaxInt64); err == nil {
			t.Fatal("offset 0 still readable")
		}
		deleted, _ := filepath.Glob(filepath.Join(l.Dir(), "*.deleted"))
		if len(deleted) != 0 {
			t.Fatalf("left %v", deleted)
		}
		// Much later the active segment goes too and a new empty one starts.
		n, err = l.ApplyRetention(t0.Add(time.Hour))
		if err != nil || l.NumSegments() != 1 || l.Size() != 0 || l.LogStartOffset() != 60 || l.LogEndOffset() != 60 {
			t.Fatalf("deleted %d: %v; %d segments size %d LSO %d", n, err, l.NumSegments(), l.Size(), l.LogStartOffset())
		}
		mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(1, 1, 0)), 0, t0)
		if l.LogEndOffset() != 61 {
			t.Fatal(l.LogEndOffset())
		}
	})
	t.Run("size", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.RetentionBytes = 3000
		l := fill(t, cfg)
		if _, err := l.ApplyRetention(t0); err != nil {
			t.Fatal(err)
		}
		if s := l.Size(); s < 3000 || s > 3000+1000 {
			t.Fatalf("size %d", s)
		}
	})
	t.Run("forever", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.RetentionMs = -1
		l := fill(t, cfg)
		if n, _ := l.ApplyRetention(t0.Add(1000 * time.Hour)); n != 0 {
			t.Fatalf("deleted %d", n)
		}
	})
	t.Run("compact only", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.CleanupPolicy = CleanupCompact
		cfg.RetentionMs = 1
		l := fill(t, cfg)
		if n, _ := l.ApplyRetention(t0.Add(1000 * time.Hour)); n != 0 {
			t.Fatalf("deleted %d", n)
		}
	})
	t.Run("no timestamps: file modification time", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.SegmentBytes = 500
		cfg.RetentionMs = 60 * 60 * 1000
		l := openTest(t, filepath.Join(t.TempDir(), "t-0"), cfg)
		defer l.Close()
		for range 5 {
			mustAppend(t, l, makeBatch(t, codecNone, []testRec{{key: []byte("k"), value: make([]byte, 200), ts: -1}}), 0, t0)
		}
		if n, _ := l.ApplyRetention(time.Now()); n != 0 {
			t.Fatalf("fresh files deleted: %d", n)
		}
		if n, _ := l.ApplyRetention(time.Now().Add(2 * time.Hour)); n != 5 {
			t.Fatalf("deleted %d", n)
		}
	})
	t.Run("high watermark", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.RetentionMs = 0
		l := fill(t, cfg)
		l.SetHighWatermark(10)
		if l.HighWatermark() != 10 {
			t.Fatal(l.HighWatermark())
		}
		if _, err := l.ApplyRetention(t0.Add(1000 * time.Hour)); err != nil {
			t.Fatal(err)
		}
		if l.LogStartOffset() > 10 || l.LogStartOffset() == 0 {
			t.Fatalf("log start %d with high watermark 10", l.LogStartOffset())
		}
	})
}

func TestDeleteRecordsBefore(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 1000
	dir := filepath.Join(t.TempDir(), "t-0")
	var persisted []int64
	l, err := OpenWithOptions(dir, cfg, Options{OnLogStartOffsetChange: func(l *Log) { persisted = append(persisted, l.LogStartOffset()) }})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(2, 100, t0.UnixMilli())), 0, t0)
	}
	segs := l.NumSegments()
	if err := l.DeleteRecordsBefore(15); err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != 15 || len(persisted) != 1 || persisted[0] != 15 {
		t.Fatalf("log start %d, persisted %v", l.LogStartOffset(), persisted)
	}
	if l.NumSegments() >= segs {
		t.Fatal("no segment deleted")
	}
	_, err = l.Read(14, 100, math.MaxInt64)
	wantErr(t, err, ErrOffsetOutOfRange)
	res, err := l.Read(15, 1, math.MaxInt64)
	if err != nil || hdr(res.Records).baseOffset() != 14 {
		t.Fatalf("Read(15): %v", err)
	}
	wantErr(t, l.DeleteRecordsBefore(41), ErrOffsetOutOfRange)
	if err := l.DeleteRecordsBefore(3); err != nil || l.LogStartOffset() != 15 {
		t.Fatal("moved back")
	}
	l.SetHighWatermark(20)
	wantErr(t, l.DeleteRecordsBefore(21), ErrOffsetOutOfRange)
	if err := l.DeleteRecordsBefore(-1); err != nil || l.LogStartOffset() != 20 {
		t.Fatalf("-1: %v, LSO %d", err, l.LogStartOffset())
	}
	l.Close()
	// Reopened with the checkpointed start offset.
	l, err = OpenWithOptions(dir, cfg, Options{LogStartOffset: 20})
	if err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != 20 {
		t.Fatal(l.LogStartOffset())
	}
	l.Close()
	// A checkpointed start past the end starts the log over there.
	l, err = OpenWithOptions(dir, cfg, Options{LogStartOffset: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.LogStartOffset() != 1000 || l.LogEndOffset() != 1000 || l.Size() != 0 {
		t.Fatalf("[%d, %d] size %d", l.LogStartOffset(), l.LogEndOffset(), l.Size())
	}
}

func TestLeaderEpochs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "t-0")
	l := openTest(t, dir, DefaultConfig())
	app := func(n int, epoch int32) {
		mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(n, 5, 0)), epoch, t0)
	}
	app(5, 0) // 0-4
	app(5, 0) // 5-9
	app(3, 2) // 10-12
	app(2, 5) // 13-14
	app(1, 3) // stale epoch: stamped, not a new entry
	tests := []struct {
		epoch, wantEpoch int32
		wantOffset       int64
	}{
		{-1, -1, -1}, {0, 0, 10}, {1, 0, 10}, {2, 2, 13}, {3, 2, 13}, {4, 2, 13}, {5, 5, 16}, {6, -1, -1},
	}
	for _, tc := range tests {
		e, o := l.EndOffsetForEpoch(tc.epoch)
		if e != tc.wantEpoch || o != tc.wantOffset {
			t.Errorf("EndOffsetForEpoch(%d) = (%d, %d), want (%d, %d)", tc.epoch, e, o, tc.wantEpoch, tc.wantOffset)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, leaderEpochFile))
	if err != nil || string(raw) != "0\n3\n0 0\n2 10\n5 13\n" {
		t.Fatalf("leader-epoch-checkpoint = %q, %v", raw, err)
	}
	// Truncation drops later epochs.
	if err := l.TruncateTo(13); err != nil {
		t.Fatal(err)
	}
	if e, o := l.EndOffsetForEpoch(2); e != 2 || o != 13 {
		t.Fatalf("after truncation: (%d, %d)", e, o)
	}
	// Requested epoch below every known one.
	if err := l.DeleteRecordsBefore(11); err != nil {
		t.Fatal(err)
	}
	if e, o := l.EndOffsetForEpoch(1); e != 1 || o != 11 {
		t.Fatalf("below first epoch: (%d, %d)", e, o)
	}
	l.Close()
	// The epochs survive a reopen, and recovery rebuilds them from batches
	// when the checkpoint is gone.
	os.Remove(filepath.Join(dir, leaderEpochFile))
	l = openTest(t, dir, DefaultConfig())
	defer l.Close()
	if e, ok := l.LatestEpoch(); !ok || e != 2 {
		t.Fatalf("latest epoch %d %v", e, ok)
	}
}

func TestFollowerAppendAndTruncate(t *testing.T) {
	leader := openTest(t, filepath.Join(t.TempDir(), "t-0"), DefaultConfig())
	defer leader.Close()
	for i := range 6 {
		mustAppend(t, leader, makeBatch(t, codecSnappy, simpleRecs(3, 20, t0.UnixMilli())), int32(i/2), t0)
	}
	all, err := leader.Read(0, 1<<20, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.SegmentBytes = 400
	f := openTest(t, filepath.Join(t.TempDir(), "t-0"), cfg)
	defer f.Close()
	// A partial batch at the end, as a Kafka leader may send, is ignored.
	res, err := f.AppendAsFollower(all.Records[:len(all.Records)-10])
	if err != nil || res.BaseOffset != 0 || res.LastOffset != 14 {
		t.Fatalf("%+v %v", res, err)
	}
	rest, _ := leader.Read(15, 1<<20, math.MaxInt64)
	if _, err := f.AppendAsFollower(rest.Records); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.Join(readAll(t, f), nil), all.Records) {
		t.Fatal("follower's log differs from the leader's")
	}
	if e, o := f.EndOffsetForEpoch(1); e != 1 || o != 12 {
		t.Fatalf("follower epochs: (%d, %d)", e, o)
	}
	_, err = f.AppendAsFollower(rest.Records)
	wantErr(t, err, ErrOffsetsOutOfOrder)
	bad := bytes.Clone(rest.Records)
	bad[40] ^= 1
	_, err = f.AppendAsFollower(bad)
	wantErr(t, err, ErrCorruptMessage)

	segs := f.NumSegments()
	for _, to := range []int64{16, 13, 7, 3} {
		if err := f.TruncateTo(to); err != nil {
			t.Fatal(err)
		}
		got := readAll(t, f)
		wantBatches := int(to / 3) // whole batches below to survive
		if len(got) != wantBatches || f.LogEndOffset() != 3*(to/3) {
			t.Fatalf("TruncateTo(%d): %d batches, LEO %d", to, len(got), f.LogEndOffset())
		}
	}
	if f.NumSegments() >= segs {
		t.Fatalf("segments %d -> %d", segs, f.NumSegments())
	}
	// Appending after truncation reuses the offsets.
	if _, err := f.AppendAsFollower(all.Records[:0]); err != nil {
		t.Fatal(err)
	}
	b := makeBatch(t, codecNone, simpleRecs(2, 5, 0))
	binary.BigEndian.PutUint64(b[offBaseOffset:], 3)
	if res, err := f.AppendAsFollower(b); err != nil || res.BaseOffset != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	if err := f.TruncateFullyAndStartAt(100); err != nil {
		t.Fatal(err)
	}
	if f.LogStartOffset() != 100 || f.LogEndOffset() != 100 || f.Size() != 0 || f.NumSegments() != 1 {
		t.Fatalf("after full truncation: [%d, %d] size %d", f.LogStartOffset(), f.LogEndOffset(), f.Size())
	}
	if _, ok := f.LatestEpoch(); ok {
		t.Fatal("epochs survived a full truncation")
	}
	if names := segFiles(t, f.Dir(), logSuffix); len(names) != 1 || !strings.HasSuffix(names[0], "00000000000000000100.log") {
		t.Fatalf("segments %v", names)
	}
}

func TestTopicID(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "t-0")
	l := openTest(t, dir, DefaultConfig())
	id := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	if err := l.SetTopicID(id); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, partitionMetadataFile))
	if string(raw) != "version: 0\ntopic_id: AQIDBAUGBwgJCgsMDQ4PEA" {
		t.Fatalf("partition.metadata = %q", raw)
	}
	wantErr(t, l.SetTopicID([16]byte{9}), ErrInconsistentTopicID)
	l.Close()
	l = openTest(t, dir, DefaultConfig())
	defer l.Close()
	if got, ok := l.TopicID(); !ok || got != id {
		t.Fatal("topic id lost")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		change func(*Config)
		key    string
	}{
		{func(c *Config) { c.SegmentBytes = 13 }, "segment.bytes"},
		{func(c *Config) { c.RetentionMs = -2 }, "retention.ms"},
		{func(c *Config) { c.FlushMessages = 0 }, "flush.messages"},
		{func(c *Config) { c.MessageTimestampType = "Now" }, "message.timestamp.type"},
		{func(c *Config) { c.CleanupPolicy = "delete,shred" }, "cleanup.policy"},
	}
	for _, tc := range tests {
		c := DefaultConfig()
		tc.change(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: %v", tc.key, err)
		}
		wantErr(t, err, ErrInvalidConfig)
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.CleanupPolicy = "compact,delete"
	if err := c.Validate(); err != nil || !c.compacted() || !c.deletes() {
		t.Fatal(err)
	}
}

func TestFlushMessages(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FlushMessages = 5
	l := openTest(t, filepath.Join(t.TempDir(), "t-0"), cfg)
	defer l.Close()
	mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(3, 5, 0)), 0, t0)
	if l.RecoveryPoint() != 0 || l.UnflushedMessages() != 3 {
		t.Fatalf("flushed early: %d", l.RecoveryPoint())
	}
	mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(3, 5, 0)), 0, t0)
	if l.RecoveryPoint() != 6 {
		t.Fatalf("recovery point %d", l.RecoveryPoint())
	}
}

func TestErrorCodes(t *testing.T) {
	for err, code := range map[error]int16{
		nil: 0, ErrOffsetOutOfRange: 1, ErrCorruptMessage: 2, ErrMessageTooLarge: 10,
		ErrRecordListTooLarge: 18, ErrInvalidTimestamp: 32, ErrUnsupportedForMessageFormat: 43,
		ErrStorage: 56, ErrInvalidRecord: 87, ErrClosed: 6, ErrCorruptLog: -1,
	} {
		wrapped := err
		if err != nil {
			wrapped = fmt.Errorf("ctx: %w", err)
		}
		if got := ErrorCode(wrapped); got != code {
			t.Errorf("ErrorCode(%v) = %d, want %d", err, got, code)
		}
	}
}

func TestClosed(t *testing.T) {
	l := openTest(t, filepath.Join(t.TempDir(), "t-0"), DefaultConfig())
	mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(1, 5, 0)), 0, t0)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := l.Append(makeBatch(t, codecNone, simpleRecs(1, 5, 0)), 0, t0)
	wantErr(t, err, ErrClosed)
	_, err = l.Read(0, 10, math.MaxInt64)
	wantErr(t, err, ErrClosed)
	wantErr(t, l.Flush(), ErrClosed)
	if l.LogEndOffset() != 1 {
		t.Fatal("offsets lost at close")
	}
	if err := l.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Dir()); !os.IsNotExist(err) {
		t.Fatal("dir not deleted")
	}
}
