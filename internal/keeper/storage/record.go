package storage

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Frozen format constants. See the package documentation.
const (
	walMagic         uint32 = 0x4c574b5a // "ZKWL" as little-endian bytes
	walVersion       uint32 = 1
	walHeaderSize           = 24 // magic, version, first index, zero, crc
	recordHeaderSize        = 24 // length, crc, term, index
	recordMinLength         = 16 // term + index: the least a length field may say
	segmentSuffix           = ".wal"
	nameDigits              = 16
)

// MaxEntryBytes is the largest Entry.Data that Append accepts.
const MaxEntryBytes = 1 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func segmentName(first uint64) string {
	return fmt.Sprintf("%016x%s", first, segmentSuffix)
}

// parseIndexName parses "<16 lowercase hex digits><suffix>".
func parseIndexName(name, suffix string) (uint64, bool) {
	base, ok := strings.CutSuffix(name, suffix)
	if !ok || len(base) != nameDigits {
		return 0, false
	}
	for _, c := range base {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(base, 16, 64)
	return v, err == nil
}

func encodeSegmentHeader(first uint64) []byte {
	b := make([]byte, walHeaderSize)
	binary.LittleEndian.PutUint32(b[0:], walMagic)
	binary.LittleEndian.PutUint32(b[4:], walVersion)
	binary.LittleEndian.PutUint64(b[8:], first)
	binary.LittleEndian.PutUint32(b[20:], crc32.Checksum(b[:20], castagnoli))
	return b
}

// decodeSegmentHeader returns the header's first index, or a reason it is
// invalid.
func decodeSegmentHeader(b []byte) (uint64, string) {
	if len(b) < walHeaderSize {
		return 0, fmt.Sprintf("segment header is %d bytes, want %d", len(b), walHeaderSize)
	}
	if got, want := binary.LittleEndian.Uint32(b[20:]), crc32.Checksum(b[:20], castagnoli); got != want {
		return 0, fmt.Sprintf("segment header checksum %#08x, want %#08x", got, want)
	}
	if m := binary.LittleEndian.Uint32(b[0:]); m != walMagic {
		return 0, fmt.Sprintf("bad segment magic %#08x", m)
	}
	if v := binary.LittleEndian.Uint32(b[4:]); v != walVersion {
		return 0, fmt.Sprintf("unsupported segment format version %d", v)
	}
	if z := binary.LittleEndian.Uint32(b[16:]); z != 0 {
		return 0, fmt.Sprintf("reserved header field is %#x, want 0", z)
	}
	return binary.LittleEndian.Uint64(b[8:]), ""
}

// appendRecord appends the encoding of e to b.
func appendRecord(b []byte, e Entry) []byte {
	off := len(b)
	b = slices.Grow(b, recordHeaderSize+len(e.Data))
	b = b[:off+recordHeaderSize] // every header byte is written below
	binary.LittleEndian.PutUint32(b[off:], uint32(recordMinLength+len(e.Data)))
	binary.LittleEndian.PutUint64(b[off+8:], e.Term)
	binary.LittleEndian.PutUint64(b[off+16:], e.Index)
	b = append(b, e.Data...)
	binary.LittleEndian.PutUint32(b[off+4:], crc32.Checksum(b[off+8:], castagnoli))
	return b
}

// badRecord is damage found while decoding a record: a candidate torn write or
// corruption, which the caller classifies.
type badRecord struct {
	off    int64
	reason string
}

func (b *badRecord) Error() string { return fmt.Sprintf("offset %d: %s", b.off, b.reason) }

// recordReader decodes records from a region of a segment file.
type recordReader struct {
	r       *bufio.Reader
	off     int64 // file offset of the next record
	end     int64 // file offset where the region ends
	hdr     [recordHeaderSize]byte
	scratch []byte
}

// newRecordReader reads records from f between file offsets off and end.
func newRecordReader(f io.ReaderAt, off, end int64) *recordReader {
	return &recordReader{
		r:   bufio.NewReaderSize(io.NewSectionReader(f, off, end-off), 64<<10),
		off: off,
		end: end,
	}
}

// next decodes the next record. The returned Data aliases a buffer that the
// next call reuses. It returns io.EOF at the end of the region, a *badRecord
// for damaged data, and any other error for a failed read.
func (rr *recordReader) next() (Entry, error) {
	left := rr.end - rr.off
	if left == 0 {
		return Entry{}, io.EOF
	}
	if left < recordHeaderSize {
		return Entry{}, &badRecord{rr.off, fmt.Sprintf("incomplete record: %d bytes left, a record takes at least %d", left, recordHeaderSize)}
	}
	if _, err := io.ReadFull(rr.r, rr.hdr[:]); err != nil {
		return Entry{}, readErr(rr.off, err)
	}
	length := int64(binary.LittleEndian.Uint32(rr.hdr[0:]))
	if length < recordMinLength {
		return Entry{}, &badRecord{rr.off, fmt.Sprintf("bad record length %d", length)}
	}
	if length+8 > left {
		return Entry{}, &badRecord{rr.off, fmt.Sprintf("incomplete record: length %d but %d bytes left", length, left-8)}
	}
	n := int(length - recordMinLength)
	if cap(rr.scratch) < n {
		rr.scratch = make([]byte, n)
	}
	data := rr.scratch[:n]
	if _, err := io.ReadFull(rr.r, data); err != nil {
		return Entry{}, readErr(rr.off, err)
	}
	crc := crc32.Update(crc32.Checksum(rr.hdr[8:], castagnoli), castagnoli, data)
	if want := binary.LittleEndian.Uint32(rr.hdr[4:]); crc != want {
		return Entry{}, &badRecord{rr.off, fmt.Sprintf("record checksum %#08x, want %#08x", crc, want)}
	}
	e := Entry{
		Term:  binary.LittleEndian.Uint64(rr.hdr[8:]),
		Index: binary.LittleEndian.Uint64(rr.hdr[16:]),
		Data:  data,
	}
	rr.off += 8 + length
	return e, nil
}

func readErr(off int64, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// The file is shorter than its size said: it shrank under us.
		return &badRecord{off, "file ends inside a record"}
	}
	return err
}

// plausibleHeader reports whether hdr (at least recordHeaderSize bytes) is
// the header of a record that fits in left bytes, has an index in [minIndex,
// maxIndex] and a term >= minTerm. It returns the record's length field.
func plausibleHeader(hdr []byte, left int64, minIndex, maxIndex, minTerm uint64) (uint64, bool) {
	length := uint64(binary.LittleEndian.Uint32(hdr))
	if length < recordMinLength || length+8 > uint64(left) {
		return 0, false
	}
	idx := binary.LittleEndian.Uint64(hdr[16:])
	if idx < minIndex || idx > maxIndex || binary.LittleEndian.Uint64(hdr[8:]) < minTerm {
		return 0, false
	}
	return length, true
}

// recordChecksumOK reports whether rec (a whole record: 8 + length bytes)
// carries a good checksum.
func recordChecksumOK(rec []byte) bool {
	return crc32.Checksum(rec[8:], castagnoli) == binary.LittleEndian.Uint32(rec[4:])
}

// errScanBudget means findValidRecord gave up: so many plausible record
// headers follow the damage that checking them all would take too long.
// Recovery then treats the damage as corruption rather than risk dropping
// data.
var errScanBudget = errors.New("too many plausible records after the damage to rule out valid data")

// scanWindow is how much of a segment's tail recovery holds in memory at a
// time while it looks for valid records or checks for zeros.
const scanWindow = 1 << 20

var zeroBlock [4096]byte

// nextNonZero returns the index of the first non-zero byte of b at or after
// i, or len(b).
func nextNonZero(b []byte, i int) int {
	for i+len(zeroBlock) <= len(b) && bytes.Equal(b[i:i+len(zeroBlock)], zeroBlock[:]) {
		i += len(zeroBlock)
	}
	for i < len(b) && b[i] == 0 {
		i++
	}
	return i
}

// allZero reports whether the bytes of f between from and end are all zero:
// the preallocated rest of a segment.
func allZero(f io.ReaderAt, from, end int64) (bool, error) {
	buf := make([]byte, min(end-from, scanWindow))
	for off := from; off < end; {
		b := buf[:min(int64(len(buf)), end-off)]
		if _, err := f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		if nextNonZero(b, 0) < len(b) {
			return false, nil
		}
		off += int64(len(b))
	}
	return true, nil
}

// findValidRecord looks in f between from and end for a record that could
// follow entry minIndex-1 with term minTerm. It is how recovery tells a torn
// tail (nothing valid after the damage) from corruption in the middle. It
// reads the region a window at a time and skips runs of zeros quickly (a
// record's length field is never zero), so a torn record followed by a
// preallocated zero tail is cheap to rule out.
func findValidRecord(f io.ReaderAt, from, end int64, minIndex, minTerm uint64) (int64, bool, error) {
	if end-from < recordHeaderSize {
		return 0, false, nil
	}
	// Every record takes at least recordHeaderSize bytes, which bounds the
	// index of any record in the tail.
	maxIndex := minIndex + uint64((end-from)/recordHeaderSize)
	budget := 4*(end-from) + 1<<20 // bytes to checksum: crafted data could make the scan quadratic
	last := end - recordHeaderSize // the last offset a record can start at
	buf := make([]byte, min(end-from, scanWindow+recordHeaderSize))
	var big []byte // a record longer than what is left of the window
	for ws := from; ws <= last; ws += scanWindow {
		b := buf[:min(int64(len(buf)), end-ws)]
		if _, err := f.ReadAt(b, ws); err != nil && !errors.Is(err, io.EOF) {
			return 0, false, err
		}
		stop := int(min(scanWindow, last-ws+1)) // candidate offsets in this window: ws+[0, stop)
		for i := 0; i < stop; i++ {
			// A valid record's length field has a non-zero byte.
			if b[i] == 0 {
				if q := nextNonZero(b, i) - 3; q > i {
					i = q - 1
					continue
				}
			}
			p := ws + int64(i)
			length, ok := plausibleHeader(b[i:], end-p, minIndex, maxIndex, minTerm)
			if !ok {
				continue
			}
			size := int(8 + length)
			rec := b[i:min(i+size, len(b))]
			if len(rec) < size { // the record goes on past the window
				if cap(big) < size {
					big = make([]byte, size)
				}
				rec = big[:size]
				if _, err := f.ReadAt(rec, p); err != nil && !errors.Is(err, io.EOF) {
					return 0, false, err
				}
			}
			if recordChecksumOK(rec) {
				return p, true, nil
			}
			if budget -= int64(length); budget < 0 {
				return p, true, errScanBudget
			}
		}
	}
	return 0, false, nil
}
