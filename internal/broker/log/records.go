package plog

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// recordInfo is what the broker needs from one record of a batch; keys,
// values and headers are skipped, never copied.
type recordInfo struct {
	offsetDelta    int32
	timestampDelta int64
	hasKey         bool
}

// recordSource is a stream of (decompressed) record bytes. A clean end of
// the stream is io.EOF; any other error already wraps ErrCorruptMessage.
type recordSource interface {
	ReadByte() (byte, error)
	Discard(n int) (int, error)
}

// sliceSource is the recordSource of uncompressed records.
type sliceSource struct {
	b   []byte
	off int
}

func (s *sliceSource) ReadByte() (byte, error) {
	if s.off >= len(s.b) {
		return 0, io.EOF
	}
	c := s.b[s.off]
	s.off++
	return c, nil
}

func (s *sliceSource) Discard(n int) (int, error) {
	if rest := len(s.b) - s.off; n > rest {
		s.off = len(s.b)
		return rest, io.EOF
	}
	s.off += n
	return n, nil
}

// recReader reads the fields of one record, counting the bytes left in its
// declared body.
type recReader struct {
	src  recordSource
	left int64 // bytes of the record body not yet read
}

func eofIsInvalid(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: incorrect declared batch size, premature end of records", ErrInvalidRecord)
	}
	return err
}

func (r *recReader) byte() (byte, error) {
	if r.left < 1 {
		return 0, fmt.Errorf("%w: record body shorter than its fields", ErrInvalidRecord)
	}
	c, err := r.src.ReadByte()
	if err != nil {
		return 0, eofIsInvalid(err)
	}
	r.left--
	return c, nil
}

// uvarint reads an unsigned varint of at most maxBytes bytes.
func (r *recReader) uvarint(maxBytes int) (uint64, error) {
	var v uint64
	for i := 0; i < maxBytes; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: varint is too long", ErrInvalidRecord)
}

func (r *recReader) varint() (int32, error) {
	u, err := r.uvarint(5)
	if err != nil {
		return 0, err
	}
	if u > 0xffffffff {
		return 0, fmt.Errorf("%w: varint overflows int32", ErrInvalidRecord)
	}
	x := uint32(u)
	return int32(x>>1) ^ -int32(x&1), nil
}

func (r *recReader) varlong() (int64, error) {
	u, err := r.uvarint(10)
	if err != nil {
		return 0, err
	}
	return int64(u>>1) ^ -int64(u&1), nil
}

func (r *recReader) skip(n int32) error {
	if int64(n) > r.left {
		return fmt.Errorf("%w: field of %d bytes runs past its record", ErrInvalidRecord, n)
	}
	if _, err := r.src.Discard(int(n)); err != nil {
		return eofIsInvalid(err)
	}
	r.left -= int64(n)
	return nil
}

// readRecord reads one record: length varint, attributes int8,
// timestampDelta varlong, offsetDelta varint, key, value (varint length,
// -1 for null), header count varint and headers (key varint length >= 0,
// value varint length or -1). The fields must use exactly the declared
// length.
func readRecord(src recordSource) (recordInfo, error) {
	var ri recordInfo
	first := recReader{src: src, left: 5}
	length, err := first.varint()
	if err != nil {
		return ri, err
	}
	if length < 0 {
		return ri, fmt.Errorf("%w: negative record size %d", ErrInvalidRecord, length)
	}
	r := recReader{src: src, left: int64(length)}
	if _, err := r.byte(); err != nil { // attributes: unused
		return ri, err
	}
	if ri.timestampDelta, err = r.varlong(); err != nil {
		return ri, err
	}
	if ri.offsetDelta, err = r.varint(); err != nil {
		return ri, err
	}
	keyLen, err := r.varint()
	if err != nil {
		return ri, err
	}
	if keyLen >= 0 {
		ri.hasKey = true
		if err := r.skip(keyLen); err != nil {
			return ri, err
		}
	}
	valueLen, err := r.varint()
	if err != nil {
		return ri, err
	}
	if valueLen >= 0 {
		if err := r.skip(valueLen); err != nil {
			return ri, err
		}
	}
	headers, err := r.varint()
	if err != nil {
		return ri, err
	}
	if headers < 0 {
		return ri, fmt.Errorf("%w: invalid number of record headers %d", ErrInvalidRecord, headers)
	}
	for range headers {
		kl, err := r.varint()
		if err != nil {
			return ri, err
		}
		if kl < 0 {
			return ri, fmt.Errorf("%w: invalid negative header key size %d", ErrInvalidRecord, kl)
		}
		if err := r.skip(kl); err != nil {
			return ri, err
		}
		vl, err := r.varint()
		if err != nil {
			return ri, err
		}
		if vl >= 0 {
			if err := r.skip(vl); err != nil {
				return ri, err
			}
		}
	}
	if r.left != 0 {
		return ri, fmt.Errorf("%w: record declares %d bytes but its fields use %d", ErrInvalidRecord, length, int64(length)-r.left)
	}
	return ri, nil
}

// parseRecords reads exactly count records from src, calling fn for each,
// and checks that nothing follows them.
func parseRecords(src recordSource, count int32, fn func(i int32, r recordInfo) error) error {
	for i := int32(0); i < count; i++ {
		ri, err := readRecord(src)
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		if err := fn(i, ri); err != nil {
			return err
		}
	}
	switch _, err := src.ReadByte(); {
	case err == nil:
		return fmt.Errorf("%w: incorrect declared batch size, records still remaining after %d", ErrInvalidRecord, count)
	case errors.Is(err, io.EOF):
		return nil
	default:
		return err
	}
}

// sliceRec reads the fields of one record held in a byte slice: the twin of
// recReader over a sliceSource, without a call through an interface per
// byte, for uncompressed batches. It fails exactly where recReader fails,
// with the same errors (FuzzValidateBatch compares the two).
type sliceRec struct {
	b     []byte
	pos   int
	limit int // the end of the record's declared body (may lie past len(b))
}

func (r *sliceRec) byte() (byte, error) {
	if r.pos >= r.limit {
		return 0, fmt.Errorf("%w: record body shorter than its fields", ErrInvalidRecord)
	}
	if r.pos >= len(r.b) {
		return 0, eofIsInvalid(io.EOF)
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *sliceRec) uvarint(maxBytes int) (uint64, error) {
	// Fast path: the varint ends within the record and the slice.
	if end := min(r.limit, len(r.b)); r.pos < end {
		if c := r.b[r.pos]; c < 0x80 {
			r.pos++
			return uint64(c), nil
		}
		if r.pos+1 < end {
			if c := r.b[r.pos+1]; c < 0x80 {
				v := uint64(r.b[r.pos]&0x7f) | uint64(c)<<7
				r.pos += 2
				return v, nil
			}
		}
	}
	return r.uvarintSlow(maxBytes)
}

func (r *sliceRec) uvarintSlow(maxBytes int) (uint64, error) {
	var v uint64
	for i := 0; i < maxBytes; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: varint is too long", ErrInvalidRecord)
}

func (r *sliceRec) varint() (int32, error) {
	u, err := r.uvarint(5)
	if err != nil {
		return 0, err
	}
	if u > 0xffffffff {
		return 0, fmt.Errorf("%w: varint overflows int32", ErrInvalidRecord)
	}
	x := uint32(u)
	return int32(x>>1) ^ -int32(x&1), nil
}

func (r *sliceRec) varlong() (int64, error) {
	u, err := r.uvarint(10)
	if err != nil {
		return 0, err
	}
	return int64(u>>1) ^ -int64(u&1), nil
}

func (r *sliceRec) skip(n int32) error {
	if int64(n) > int64(r.limit-r.pos) {
		return fmt.Errorf("%w: field of %d bytes runs past its record", ErrInvalidRecord, n)
	}
	if int(n) > len(r.b)-r.pos {
		r.pos = len(r.b)
		return eofIsInvalid(io.EOF)
	}
	r.pos += int(n)
	return nil
}

// readSliceRecord reads one record (see readRecord) starting at b[pos] and
// returns it with the position after it.
func readSliceRecord(b []byte, pos int) (recordInfo, int, error) {
	var ri recordInfo
	r := sliceRec{b: b, pos: pos, limit: pos + 5}
	length, err := r.varint()
	if err != nil {
		return ri, r.pos, err
	}
	if length < 0 {
		return ri, r.pos, fmt.Errorf("%w: negative record size %d", ErrInvalidRecord, length)
	}
	start := r.pos
	r.limit = start + int(length)
	if _, err := r.byte(); err != nil { // attributes: unused
		return ri, r.pos, err
	}
	if ri.timestampDelta, err = r.varlong(); err != nil {
		return ri, r.pos, err
	}
	if ri.offsetDelta, err = r.varint(); err != nil {
		return ri, r.pos, err
	}
	keyLen, err := r.varint()
	if err != nil {
		return ri, r.pos, err
	}
	if keyLen >= 0 {
		ri.hasKey = true
		if err := r.skip(keyLen); err != nil {
			return ri, r.pos, err
		}
	}
	valueLen, err := r.varint()
	if err != nil {
		return ri, r.pos, err
	}
	if valueLen >= 0 {
		if err := r.skip(valueLen); err != nil {
			return ri, r.pos, err
		}
	}
	headers, err := r.varint()
	if err != nil {
		return ri, r.pos, err
	}
	if headers < 0 {
		return ri, r.pos, fmt.Errorf("%w: invalid number of record headers %d", ErrInvalidRecord, headers)
	}
	for range headers {
		kl, err := r.varint()
		if err != nil {
			return ri, r.pos, err
		}
		if kl < 0 {
			return ri, r.pos, fmt.Errorf("%w: invalid negative header key size %d", ErrInvalidRecord, kl)
		}
		if err := r.skip(kl); err != nil {
			return ri, r.pos, err
		}
		vl, err := r.varint()
		if err != nil {
			return ri, r.pos, err
		}
		if vl >= 0 {
			if err := r.skip(vl); err != nil {
				return ri, r.pos, err
			}
		}
	}
	if r.pos != r.limit {
		return ri, r.pos, fmt.Errorf("%w: record declares %d bytes but its fields use %d", ErrInvalidRecord, length, r.pos-start)
	}
	return ri, r.pos, nil
}

// parseSliceRecords is parseRecords over uncompressed records held in b.
func parseSliceRecords(b []byte, count int32, fn func(i int32, r recordInfo) error) error {
	pos := 0
	for i := int32(0); i < count; i++ {
		ri, next, err := readSliceRecord(b, pos)
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		pos = next
		if err := fn(i, ri); err != nil {
			return err
		}
	}
	if pos < len(b) {
		return fmt.Errorf("%w: incorrect declared batch size, records still remaining after %d", ErrInvalidRecord, count)
	}
	return nil
}

// codecs holds reusable decompressors. It is safe for concurrent use; a
// Manager shares one among its logs.
type codecs struct {
	gzip, zstd, lz4, snappy, bufio sync.Pool
}

// zstdMaxWindow bounds the memory a hostile zstd frame can make us
// allocate. Kafka producers use windows of a few MiB.
const zstdMaxWindow = 32 << 20

func newCodecs() *codecs { return &codecs{} }

// corruptReader tags every error of a decompressor but a clean io.EOF as
// ErrCorruptMessage.
type corruptReader struct{ r io.Reader }

func (c corruptReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF && !errors.Is(err, ErrCorruptMessage) {
		err = fmt.Errorf("%w: decompressing records: %v", ErrCorruptMessage, err)
	}
	return n, err
}

// forEachRecord decodes the records of the whole batch b (framing already
// checked), decompressing them as needed, and calls fn for each in order.
// The number of records must equal the header's count.
func (c *codecs) forEachRecord(b []byte, fn func(i int32, r recordInfo) error) error {
	h := hdr(b)
	count := h.recordCount()
	if count < 0 {
		return fmt.Errorf("%w: negative record count %d", ErrInvalidRecord, count)
	}
	payload := b[batchHeaderSize:]
	if h.codec() == codecNone {
		return parseSliceRecords(payload, count, fn)
	}
	dec, release, err := c.decompressor(h.codec(), payload)
	if err != nil {
		return err
	}
	defer release()
	br, _ := c.bufio.Get().(*bufio.Reader)
	if br == nil {
		br = bufio.NewReaderSize(corruptReader{dec}, 16<<10)
	} else {
		br.Reset(corruptReader{dec})
	}
	defer func() { br.Reset(nil); c.bufio.Put(br) }()
	return parseRecords(br, count, fn)
}

// decompressor returns a reader of the decompressed payload and a func
// that gives its decoder back to the pool.
func (c *codecs) decompressor(codec int, payload []byte) (io.Reader, func(), error) {
	in := bytes.NewReader(payload)
	switch codec {
	case codecGzip:
		zr, _ := c.gzip.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(in)
		} else {
			err = zr.Reset(in)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: gzip: %v", ErrCorruptMessage, err)
		}
		return zr, func() { c.gzip.Put(zr) }, nil
	case codecSnappy:
		sr, _ := c.snappy.Get().(*xerialReader)
		if sr == nil {
			sr = new(xerialReader)
		}
		if err := sr.reset(payload); err != nil {
			return nil, nil, err
		}
		return sr, func() { sr.src = nil; c.snappy.Put(sr) }, nil
	case codecLZ4:
		lr, _ := c.lz4.Get().(*lz4.Reader)
		if lr == nil {
			lr = lz4.NewReader(in)
		} else {
			lr.Reset(in)
		}
		return lr, func() { c.lz4.Put(lr) }, nil
	case codecZstd:
		zd, _ := c.zstd.Get().(*zstd.Decoder)
		var err error
		if zd == nil {
			zd, err = zstd.NewReader(in, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow), zstd.WithDecoderLowmem(true))
		} else {
			err = zd.Reset(in)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: zstd: %v", ErrCorruptMessage, err)
		}
		return zd, func() { _ = zd.Reset(nil); c.zstd.Put(zd) }, nil
	default:
		return nil, nil, fmt.Errorf("%w: unknown compression codec id %d", ErrInvalidRecord, codec)
	}
}

// xerialMagic starts snappy data in the xerial framing Kafka's Java client
// writes: the magic, int32 version 1, int32 compatible version 1, then
// blocks of int32 length + raw snappy block. Data without the magic is one
// raw snappy block (librdkafka's older format), as xerial itself accepts.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const xerialHeaderSize = 16

// xerialReader decompresses xerial-framed or raw snappy data.
type xerialReader struct {
	src []byte // framed blocks not yet decoded
	buf []byte // the current decoded block
	off int    // read position in buf
}

func (x *xerialReader) reset(p []byte) error {
	x.buf, x.off = x.buf[:0], 0
	if len(p) >= xerialHeaderSize && bytes.Equal(p[:len(xerialMagic)], xerialMagic) {
		x.src = p[xerialHeaderSize:]
		return nil
	}
	x.src = nil
	return x.decode(p)
}

// decode decodes one raw snappy block into buf, refusing blocks that claim
// more output than snappy can produce from their size (a copy element of
// 2 or 3 bytes yields at most 64 bytes).
func (x *xerialReader) decode(block []byte) error {
	n, err := snappy.DecodedLen(block)
	if err != nil {
		return fmt.Errorf("%w: snappy: %v", ErrCorruptMessage, err)
	}
	if n > 32*len(block)+64 {
		return fmt.Errorf("%w: snappy block of %d bytes claims %d decoded bytes", ErrCorruptMessage, len(block), n)
	}
	if cap(x.buf) < n {
		x.buf = make([]byte, n)
	}
	out, err := snappy.Decode(x.buf[:n], block)
	if err != nil {
		return fmt.Errorf("%w: snappy: %v", ErrCorruptMessage, err)
	}
	x.buf, x.off = out, 0
	return nil
}

func (x *xerialReader) Read(p []byte) (int, error) {
	for x.off >= len(x.buf) {
		if len(x.src) == 0 {
			return 0, io.EOF
		}
		if len(x.src) < 4 {
			return 0, fmt.Errorf("%w: snappy: truncated xerial block length", ErrCorruptMessage)
		}
		n := binary.BigEndian.Uint32(x.src)
		if uint64(n) > uint64(len(x.src)-4) {
			return 0, fmt.Errorf("%w: snappy: xerial block of %d bytes runs past the batch", ErrCorruptMessage, n)
		}
		block := x.src[4 : 4+n]
		x.src = x.src[4+n:]
		if err := x.decode(block); err != nil {
			return 0, err
		}
	}
	n := copy(p, x.buf[x.off:])
	x.off += n
	return n, nil
}
