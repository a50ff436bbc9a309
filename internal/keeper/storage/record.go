package storage

import (
	"bufio"
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

// validRecordAt reports whether b starts with a complete record that has an
// index in [minIndex, maxIndex] and a term >= minTerm, and whether its checksum
// is good. checked is the number of bytes checksummed.
func validRecordAt(b []byte, minIndex, maxIndex, minTerm uint64) (ok bool, checked int) {
	if len(b) < recordHeaderSize {
		return false, 0
	}
	length := uint64(binary.LittleEndian.Uint32(b))
	if length < recordMinLength || length+8 > uint64(len(b)) {
		return false, 0
	}
	idx := binary.LittleEndian.Uint64(b[16:])
	if idx < minIndex || idx > maxIndex || binary.LittleEndian.Uint64(b[8:]) < minTerm {
		return false, 0
	}
	return crc32.Checksum(b[8:8+length], castagnoli) == binary.LittleEndian.Uint32(b[4:]), int(length)
}

// errScanBudget means findValidRecord gave up: so many plausible record
// headers follow the damage that checking them all would take too long.
// Recovery then treats the damage as corruption rather than risk dropping
// data.
var errScanBudget = errors.New("too many plausible records after the damage to rule out valid data")

// findValidRecord looks in f between from and end for a record that could
// follow entry minIndex-1 with term minTerm. It is how recovery tells a torn
// tail (nothing valid after the damage) from corruption in the middle.
func findValidRecord(f io.ReaderAt, from, end int64, minIndex, minTerm uint64) (int64, bool, error) {
	if end-from < recordHeaderSize {
		return 0, false, nil
	}
	tail := make([]byte, end-from)
	if _, err := f.ReadAt(tail, from); err != nil && !errors.Is(err, io.EOF) {
		return 0, false, err
	}
	// Every record takes at least recordHeaderSize bytes, which bounds the
	// index of any record in the tail.
	maxIndex := minIndex + uint64(len(tail)/recordHeaderSize)
	budget := 4*len(tail) + 1<<20 // bytes to checksum: crafted data could make the scan quadratic
	for p := 0; p+recordHeaderSize <= len(tail); p++ {
		ok, checked := validRecordAt(tail[p:], minIndex, maxIndex, minTerm)
		if ok {
			return from + int64(p), true, nil
		}
		if budget -= checked; budget < 0 {
			return from + int64(p), true, errScanBudget
		}
	}
	return 0, false, nil
}
