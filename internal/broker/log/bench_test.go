package plog

import (
	"math"
	"path/filepath"
	"testing"
)

// BenchmarkAppend1KB appends batches of 100 records of 1 KiB each
// (uncompressed, so validation parses every record), as a leader.
func BenchmarkAppend1KB(b *testing.B) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 64 << 20
	cfg.RetentionBytes = 256 << 20 // keep the disk use of long runs bounded
	l, err := Open(filepath.Join(b.TempDir(), "bench-0"), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	batch := makeBatch(b, codecNone, simpleRecs(100, 1024, t0.UnixMilli()))
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// Append rewrites only baseOffset and the epoch: the same buffer
		// stays a valid producer batch.
		if _, err := l.Append(batch, 0, t0); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			if _, err := l.ApplyRetention(t0); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkRead fetches 1 MiB at random offsets of a 64 MiB log.
func BenchmarkRead(b *testing.B) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 16 << 20
	l, err := Open(filepath.Join(b.TempDir(), "bench-0"), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	batch := makeBatch(b, codecNone, simpleRecs(10, 1024, t0.UnixMilli()))
	for l.Size() < 64<<20 {
		if _, err := l.Append(batch, 0, t0); err != nil {
			b.Fatal(err)
		}
	}
	leo := l.LogEndOffset()
	var n int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := int64(0); b.Loop(); i++ {
		res, err := l.Read((i*7919)%leo, 1<<20, math.MaxInt64)
		if err != nil {
			b.Fatal(err)
		}
		n += int64(len(res.Records))
	}
	b.SetBytes(n / int64(max(b.N, 1)))
}

// BenchmarkValidate1KB validates a produce batch of 1000 records of 1 KiB
// (uncompressed): framing, CRC-32C and every record's fields.
func BenchmarkValidate1KB(b *testing.B) {
	v := validator{codecs: newCodecs()}
	cfg := DefaultConfig()
	batch := makeBatch(b, codecNone, simpleRecs(1000, 1024, t0.UnixMilli()))
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.validateProduce(batch, &cfg, t0.UnixMilli()); err != nil {
			b.Fatal(err)
		}
	}
}
