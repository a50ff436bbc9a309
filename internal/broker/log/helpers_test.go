package plog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var codecNames = map[int]string{codecNone: "none", codecGzip: "gzip", codecSnappy: "snappy", codecLZ4: "lz4", codecZstd: "zstd"}

// testRec is one record of a test batch; ts is absolute.
type testRec struct {
	key, value []byte
	ts         int64
	headers    []kmsg.Header
}

// encodeRecords encodes records (offset deltas 0..n-1) relative to baseTS.
func encodeRecords(baseTS int64, recs []testRec) []byte {
	var out []byte
	for i, r := range recs {
		kr := kmsg.Record{TimestampDelta64: r.ts - baseTS, OffsetDelta: int32(i), Key: r.key, Value: r.value, Headers: r.headers}
		body := kr.AppendTo(nil) // with Length 0: one varint byte
		kr.Length = int32(len(body) - 1)
		out = kr.AppendTo(out)
	}
	return out
}

// compress compresses a record payload as Kafka producers do.
func compress(t testing.TB, codec int, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch codec {
	case codecNone:
		return raw
	case codecGzip:
		w := gzip.NewWriter(&buf)
		w.Write(raw)
		w.Close()
	case codecSnappy: // xerial framing, 32 KiB blocks
		buf.Write(xerialMagic)
		binary.Write(&buf, binary.BigEndian, int32(1))
		binary.Write(&buf, binary.BigEndian, int32(1))
		for len(raw) > 0 {
			n := min(len(raw), 32<<10)
			blk := snappy.Encode(nil, raw[:n])
			binary.Write(&buf, binary.BigEndian, int32(len(blk)))
			buf.Write(blk)
			raw = raw[n:]
		}
	case codecLZ4:
		w := lz4.NewWriter(&buf)
		w.Write(raw)
		w.Close()
	case codecZstd:
		enc, err := zstd.NewWriter(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		return enc.EncodeAll(raw, nil)
	default:
		t.Fatalf("codec %d", codec)
	}
	return buf.Bytes()
}

type batchOpt func(*kmsg.RecordBatch)

// makeBatch builds a producer's batch (baseOffset 0, epoch -1) with a
// valid CRC, using kmsg.RecordBatch.
func makeBatch(t testing.TB, codec int, recs []testRec, opts ...batchOpt) []byte {
	t.Helper()
	baseTS, maxTS := int64(-1), int64(-1)
	if len(recs) > 0 {
		baseTS = recs[0].ts
		for _, r := range recs {
			baseTS = min(baseTS, r.ts)
			maxTS = max(maxTS, r.ts)
		}
	}
	payload := compress(t, codec, encodeRecords(baseTS, recs))
	rb := kmsg.RecordBatch{
		FirstOffset: 0, PartitionLeaderEpoch: -1, Magic: 2, Attributes: int16(codec),
		LastOffsetDelta: int32(len(recs) - 1), FirstTimestamp: baseTS, MaxTimestamp: maxTS,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: int32(len(recs)), Records: payload,
	}
	for _, o := range opts {
		o(&rb)
	}
	rb.Length = int32(minBatchLength + len(rb.Records))
	b := rb.AppendTo(nil)
	setCRC(b)
	return b
}

// simpleRecs returns n records with values of size bytes and timestamps
// ts, ts+1, ...
func simpleRecs(n, size int, ts int64) []testRec {
	recs := make([]testRec, n)
	for i := range recs {
		v := bytes.Repeat([]byte{byte('a' + i%26)}, size)
		recs[i] = testRec{key: []byte(fmt.Sprintf("k%d", i)), value: v, ts: ts + int64(i)}
	}
	return recs
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

var t0 = time.UnixMilli(1_700_000_000_000)

func openTest(t testing.TB, dir string, cfg Config) *Log {
	t.Helper()
	l, err := Open(dir, cfg, testLogger(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

func mustAppend(t testing.TB, l *Log, b []byte, epoch int32, now time.Time) AppendResult {
	t.Helper()
	res, err := l.Append(b, epoch, now)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return res
}

// batches splits a record set into its batches.
func batches(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		size, err := frameBatch(b)
		if err != nil {
			t.Fatalf("frameBatch: %v", err)
		}
		if err := checkCRC(b[:size]); err != nil {
			t.Fatalf("stored batch: %v", err)
		}
		out = append(out, b[:size])
		b = b[size:]
	}
	return out
}

// readAll reads the whole log from its start, batch by batch.
func readAll(t testing.TB, l *Log) [][]byte {
	t.Helper()
	var out [][]byte
	for off := l.LogStartOffset(); off < l.LogEndOffset(); {
		res, err := l.Read(off, 1<<20, 1<<62)
		if err != nil {
			t.Fatalf("Read(%d): %v", off, err)
		}
		bs := batches(t, res.Records)
		if len(bs) == 0 {
			t.Fatalf("Read(%d) returned nothing below LEO %d", off, l.LogEndOffset())
		}
		out = append(out, bs...)
		off = hdr(bs[len(bs)-1]).lastOffset() + 1
	}
	return out
}

func segFiles(t testing.TB, dir, suffix string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}
