package plog

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// FuzzValidateBatch feeds random record sets to the produce validator: it
// must return an error or accept only well-framed batches whose records it
// can decode again, and never panic.
func FuzzValidateBatch(f *testing.F) {
	for _, codec := range []int{codecNone, codecGzip, codecSnappy, codecLZ4, codecZstd} {
		b := makeBatch(f, codec, simpleRecs(3, 20, 1000))
		f.Add(b)
		odd := bytes.Clone(b)
		odd[0] = 1 // CRCs are fixed up for inputs starting with an odd byte
		f.Add(odd)
		f.Add(append(bytes.Clone(b), b...))
		f.Add(b[:len(b)-5])
		raw := makeBatch(f, codecNone, simpleRecs(2, 5, 1000))
		f.Add(raw)
	}
	f.Add([]byte{})
	f.Add(make([]byte, 61))
	v := validator{codecs: newCodecs()}
	cfg := DefaultConfig()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 0 && data[0]&1 == 1 {
			// Give every framed batch a valid CRC, so the fuzzer reaches
			// the record and decompression checks.
			data = bytes.Clone(data)
			for pos := 0; pos+batchHeaderSize <= len(data); {
				size := int(hdr(data[pos:]).size())
				if size < batchHeaderSize || pos+size > len(data) {
					break
				}
				setCRC(data[pos : pos+size])
				pos += size
			}
		}
		infos, err := v.validateProduce(data, &cfg, 1000)
		if err != nil {
			for _, want := range []error{ErrCorruptMessage, ErrInvalidRecord, ErrMessageTooLarge, ErrInvalidTimestamp, ErrUnsupportedForMessageFormat} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("error of no Kafka class: %v", err)
		}
		pos := 0
		for _, in := range infos {
			if in.pos != pos {
				t.Fatalf("batch at %d, want %d", in.pos, pos)
			}
			b := data[in.pos : in.pos+in.size]
			if checkCRC(b) != nil {
				t.Fatal("accepted a bad crc")
			}
			n := int32(0)
			if err := v.codecs.forEachRecord(b, func(int32, recordInfo) error { n++; return nil }); err != nil || n != hdr(b).recordCount() {
				t.Fatalf("accepted batch does not decode: %v", err)
			}
			pos += in.size
		}
		if pos != len(data) {
			t.Fatalf("accepted %d of %d bytes", pos, len(data))
		}
	})
}

// FuzzRecover opens a log whose only segment holds random bytes: Open must
// fail with ErrCorruptLog or leave a log of whole valid batches that reads
// back, and never panic.
func FuzzRecover(f *testing.F) {
	var seg []byte
	for i, codec := range []int{codecNone, codecGzip, codecZstd, codecNone} {
		b := makeBatch(f, codec, simpleRecs(1+i, 30, 1000))
		hdr(b).setBaseOffset(int64(len(seg) / 50))
		seg = append(seg, b...)
	}
	f.Add(seg)
	f.Add(seg[:len(seg)-7])
	f.Add(append(bytes.Clone(seg), make([]byte, 100)...))
	mid := bytes.Clone(seg)
	mid[100] ^= 0xff
	f.Add(mid)
	f.Add([]byte{})
	cfg := DefaultConfig()
	cfg.IndexIntervalBytes = 64
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := filepath.Join(t.TempDir(), "t-0")
		os.MkdirAll(dir, 0o755)
		path := filepath.Join(dir, segmentName(0, logSuffix))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := OpenWithOptions(dir, cfg, Options{})
		if err != nil {
			if !errors.Is(err, ErrCorruptLog) {
				t.Fatalf("error of no class: %v", err)
			}
			return
		}
		defer l.abandon() // Close's fsyncs would only slow the fuzzer down
		if l.Size() > int64(len(data)) {
			t.Fatalf("size %d > %d", l.Size(), len(data))
		}
		if l.Size() > 0 && !bytes.HasPrefix(data, readWhole(t, l)) {
			t.Fatal("recovered bytes are not a prefix of the file")
		}
		// The log takes appends afterwards.
		if _, err := l.Append(makeBatch(t, codecNone, simpleRecs(1, 3, 1000)), 0, time.UnixMilli(1000)); err != nil {
			t.Fatal(err)
		}
	})
}

func readWhole(t *testing.T, l *Log) []byte {
	var out []byte
	for _, b := range readAll(t, l) {
		out = append(out, b...)
	}
	if out == nil {
		if res, err := l.Read(l.LogStartOffset(), math.MaxInt32, math.MaxInt64); err == nil {
			out = res.Records
		}
	}
	return out
}

// FuzzSliceRecords checks the parser of uncompressed records against the
// general one (over a sliceSource): the same records, or the same error.
// The first byte of the input is the record count, the rest the records.
func FuzzSliceRecords(f *testing.F) {
	recs := simpleRecs(3, 20, 1000)
	payload := encodeRecords(1000, recs)
	f.Add(append([]byte{3}, payload...))
	f.Add(append([]byte{2}, payload...))
	f.Add(append([]byte{4}, payload...))
	f.Add(append([]byte{3}, payload[:len(payload)-3]...))
	f.Add(append([]byte{1}, 0x0a, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f))
	f.Add([]byte{0})
	withHeaders := []testRec{{value: []byte("v"), ts: 1000, headers: []kmsg.Header{{Key: "h", Value: []byte("x")}, {Key: "n"}}}, {ts: 1001}}
	f.Add(append([]byte{2}, encodeRecords(1000, withHeaders)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		count, records := int32(data[0]%32), data[1:]
		var general, fast []recordInfo
		errGeneral := parseRecords(&sliceSource{b: records}, count, func(_ int32, r recordInfo) error {
			general = append(general, r)
			return nil
		})
		errFast := parseSliceRecords(records, count, func(_ int32, r recordInfo) error {
			fast = append(fast, r)
			return nil
		})
		if fmt.Sprint(errGeneral) != fmt.Sprint(errFast) {
			t.Fatalf("errors differ:\ngeneral: %v\nfast:    %v", errGeneral, errFast)
		}
		if !slices.Equal(general, fast) {
			t.Fatalf("records differ:\ngeneral: %+v\nfast:    %+v", general, fast)
		}
	})
}
