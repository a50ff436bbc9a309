// Package jute encodes and decodes ZooKeeper's wire records.
//
// ZooKeeper describes its protocol in the jute IDL (zookeeper.jute). The
// binary form is simple and big-endian:
//
//	int      4 bytes, two's complement
//	long     8 bytes, two's complement
//	boolean  1 byte, 0 or 1
//	buffer   int length (-1 for null) followed by the bytes
//	ustring  int length (-1 for null) followed by UTF-8 bytes
//	vector   int count (-1 for null) followed by the elements
//	record   its fields in declaration order, no framing
//
// On TCP every packet is a 4-byte big-endian length followed by that many
// bytes. This package holds one compact codec (Encoder, Decoder) and the
// records, each a plain struct with Encode and Decode methods. It imports
// nothing else of zkafka.
package jute

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Sentinel errors returned (wrapped) by Decoder.Err.
var (
	// ErrShort means the input ended inside a field.
	ErrShort = errors.New("jute: input too short")
	// ErrLength means a length or count prefix is negative or larger than
	// the input or the configured maximum.
	ErrLength = errors.New("jute: invalid length")
)

// Record is a jute record: it appends itself to an Encoder and reads itself
// from a Decoder.
type Record interface {
	Encode(e *Encoder)
	Decode(d *Decoder)
}

// Encoder appends jute fields to a byte slice. The zero value is ready to use.
type Encoder struct {
	b []byte
}

// NewEncoder returns an Encoder that appends to buf[:0].
func NewEncoder(buf []byte) *Encoder { return &Encoder{b: buf[:0]} }

// SetBytes makes the encoder append to b (keeping b's contents).
func (e *Encoder) SetBytes(b []byte) { e.b = b }

// Bytes returns the encoded bytes.
func (e *Encoder) Bytes() []byte { return e.b }

// Len returns the number of bytes encoded so far.
func (e *Encoder) Len() int { return len(e.b) }

// Reset empties the encoder, keeping its buffer.
func (e *Encoder) Reset() { e.b = e.b[:0] }

// Int appends a jute int.
func (e *Encoder) Int(v int32) { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) }

// Long appends a jute long.
func (e *Encoder) Long(v int64) { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) }

// Bool appends a jute boolean.
func (e *Encoder) Bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// Buffer appends a jute buffer; nil is encoded as length -1.
func (e *Encoder) Buffer(v []byte) {
	if v == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(v)))
	e.b = append(e.b, v...)
}

// String appends a jute ustring.
func (e *Encoder) String(v string) {
	e.Int(int32(len(v)))
	e.b = append(e.b, v...)
}

// Strings appends a vector of ustrings; nil is encoded as count -1.
func (e *Encoder) Strings(v []string) {
	if v == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(v)))
	for _, s := range v {
		e.String(s)
	}
}

// Record appends a record.
func (e *Encoder) Record(r Record) { r.Encode(e) }

// BeginFrame reserves room for a 4-byte length prefix and returns its
// position; EndFrame fills it in.
func (e *Encoder) BeginFrame() int {
	at := len(e.b)
	e.b = append(e.b, 0, 0, 0, 0)
	return at
}

// EndFrame writes the length of everything after the prefix at pos.
func (e *Encoder) EndFrame(pos int) {
	binary.BigEndian.PutUint32(e.b[pos:], uint32(len(e.b)-pos-4))
}

// Decoder reads jute fields from a byte slice. The first failure sticks:
// later reads return zero values and Err reports the failure.
type Decoder struct {
	b   []byte
	off int
	err error
}

// NewDecoder returns a Decoder over b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Reset points the decoder at b and clears its error.
func (d *Decoder) Reset(b []byte) { d.b, d.off, d.err = b, 0, nil }

// Err returns the first decoding failure, or nil.
func (d *Decoder) Err() error { return d.err }

// Remaining returns the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.b) - d.off }

// Offset returns the number of bytes read so far.
func (d *Decoder) Offset() int { return d.off }

func (d *Decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *Decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b)-d.off {
		d.fail(fmt.Errorf("reading %s (%d bytes) at offset %d of %d: %w", what, n, d.off, len(d.b), ErrShort))
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

// Int reads a jute int.
func (d *Decoder) Int() int32 {
	p := d.take(4, "int")
	if p == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(p))
}

// Long reads a jute long.
func (d *Decoder) Long() int64 {
	p := d.take(8, "long")
	if p == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(p))
}

// Bool reads a jute boolean (any non-zero byte is true, as in Java).
func (d *Decoder) Bool() bool {
	p := d.take(1, "boolean")
	return p != nil && p[0] != 0
}

// OptionalBool reads a trailing boolean when there are bytes left and
// returns false otherwise. ConnectRequest's readOnly flag is such a field:
// old clients do not send it.
func (d *Decoder) OptionalBool() bool {
	if d.err != nil || d.Remaining() < 1 {
		return false
	}
	return d.Bool()
}

func (d *Decoder) length(what string) int {
	n := d.Int()
	if d.err != nil {
		return -1
	}
	if n < -1 || int(n) > len(d.b)-d.off {
		d.fail(fmt.Errorf("%s length %d at offset %d with %d bytes left: %w", what, n, d.off-4, len(d.b)-d.off, ErrLength))
		return -1
	}
	return int(n)
}

// Buffer reads a jute buffer. Length -1 yields nil; the result is a copy.
func (d *Decoder) Buffer() []byte {
	n := d.length("buffer")
	if n < 0 {
		return nil
	}
	p := d.take(n, "buffer")
	out := make([]byte, n)
	copy(out, p)
	return out
}

// String reads a jute ustring (null reads as "").
func (d *Decoder) String() string {
	n := d.length("ustring")
	if n < 0 {
		return ""
	}
	return string(d.take(n, "ustring"))
}

// count reads a vector count; -1 (null) reads as -1. Counts larger than the
// bytes left divided by minSize are rejected before anything is allocated.
func (d *Decoder) count(minSize int) int {
	n := d.Int()
	if d.err != nil {
		return -1
	}
	if n < -1 || (n > 0 && int(n) > (len(d.b)-d.off)/minSize) {
		d.fail(fmt.Errorf("vector count %d at offset %d with %d bytes left: %w", n, d.off-4, len(d.b)-d.off, ErrLength))
		return -1
	}
	return int(n)
}

// Strings reads a vector of ustrings; a null vector reads as nil.
func (d *Decoder) Strings() []string {
	n := d.count(4)
	if n < 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.String()
	}
	return out
}

// Record reads a record.
func (d *Decoder) Record(r Record) { r.Decode(d) }

// Encode encodes r into a new byte slice.
func Encode(r Record) []byte {
	var e Encoder
	r.Encode(&e)
	return e.Bytes()
}

// Decode decodes b into r and fails when b is malformed or has bytes left
// over.
func Decode(b []byte, r Record) error {
	d := NewDecoder(b)
	r.Decode(d)
	if d.err != nil {
		return d.err
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("%d trailing bytes after %T: %w", d.Remaining(), r, ErrLength)
	}
	return nil
}
