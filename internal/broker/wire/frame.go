package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Errors that make the server close a connection. They reach the log, wrapped
// with the details.
var (
	// ErrFrameSize means a frame's size prefix was negative or larger than
	// the maximum request size.
	ErrFrameSize = errors.New("wire: invalid frame size")
	// ErrMalformedRequest means a request header or body could not be
	// decoded.
	ErrMalformedRequest = errors.New("wire: malformed request")
	// ErrUnknownAPIKey means a request carried an api key nobody knows.
	ErrUnknownAPIKey = errors.New("wire: unknown api key")
	// ErrUnsupportedVersion means a request's api key or version is not
	// served by this broker.
	ErrUnsupportedVersion = errors.New("wire: unsupported api version")
	// ErrBadResponse means a Handler returned a response that does not
	// answer the request.
	ErrBadResponse = errors.New("wire: handler returned a mismatched response")
)

// DefaultMaxRequestSize is Kafka's socket.request.max.bytes default.
const DefaultMaxRequestSize int32 = 104857600

// requestHeaderLen is the fixed part of every request header: api key, api
// version, correlation id.
const requestHeaderLen = 8

// firstFrameChunk bounds the memory committed to a frame before its bytes
// arrive; the buffer doubles as data comes in, up to the frame size.
const firstFrameChunk = 64 << 10

// Frame buffers of minPooledFrame bytes or more have a power-of-two capacity
// and, once their request is handled, go back to a framePool to be reused by
// the next frame that fits: a producer's big frames then cost one read into
// memory already touched, instead of a series of growing allocations the
// garbage collector has to clear and collect. Buffers above maxPooledFrame
// are not kept.
const (
	minPooledShift = 16 // firstFrameChunk
	maxPooledShift = 24 // 16 MiB
	minPooledFrame = 1 << minPooledShift
	maxPooledFrame = 1 << maxPooledShift
)

// framePool holds frame buffers by capacity class: class i holds buffers of
// capacity 1<<(minPooledShift+i). The zero value is ready; it is safe for
// concurrent use. The pools forget their buffers over two garbage
// collections, so an idle server gives the memory back.
type framePool struct {
	classes [maxPooledShift - minPooledShift + 1]sync.Pool
}

// get returns an empty buffer of capacity at least n from the pool, or nil
// when it holds none (or n is outside the pooled sizes).
func (p *framePool) get(n int) []byte {
	if p == nil || n < minPooledFrame || n > maxPooledFrame {
		return nil
	}
	shift := bits.Len(uint(n - 1)) // the smallest power of two >= n
	if bp, _ := p.classes[shift-minPooledShift].Get().(*[]byte); bp != nil {
		return (*bp)[:0]
	}
	return nil
}

// put gives b back for reuse; buffers that readFrame did not size for the
// pool are dropped. The caller must not touch b afterwards.
func (p *framePool) put(b []byte) {
	c := cap(b)
	if p == nil || c < minPooledFrame || c > maxPooledFrame || c&(c-1) != 0 {
		return
	}
	b = b[:0]
	p.classes[bits.Len(uint(c))-1-minPooledShift].Put(&b)
}

// readFrame reads one size-prefixed frame and returns its payload (the bytes
// after the size). readFull must fill its argument or fail. Big frames are
// read into a buffer of pool when it has one; otherwise the buffer starts at
// firstFrameChunk and doubles as bytes arrive (so a size prefix alone cannot
// make the server commit much memory), keeping power-of-two capacities that
// pool can take back. pool may be nil.
func readFrame(readFull func([]byte) error, maxSize int32, pool *framePool) ([]byte, error) {
	var sz [4]byte
	if err := readFull(sz[:]); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(sz[:]))
	if size < 0 || size > maxSize {
		return nil, fmt.Errorf("%w: %d (max %d)", ErrFrameSize, size, maxSize)
	}
	n := int(size)
	buf := pool.get(n)
	if buf == nil {
		buf = make([]byte, 0, min(n, firstFrameChunk))
	}
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), growFrame(cap(buf), n))
			copy(grown, buf)
			buf = grown
		}
		start := len(buf)
		buf = buf[:min(n, cap(buf))]
		if err := readFull(buf[start:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return buf, nil
}

// growFrame is the next capacity of a frame buffer of capacity c that must
// reach n bytes: double, to a power of two while that stays a poolable size
// (it may then exceed n), else to at most n.
func growFrame(c, n int) int {
	if next := 2 * c; next <= maxPooledFrame && c&(c-1) == 0 {
		return next
	}
	return min(2*c, n)
}

// request is one decoded request frame.
type request struct {
	key      int16
	version  int16
	corr     int32
	clientID string
	// req is the decoded body; nil when unsupportedApiVersions.
	req kmsg.Request
	// unsupportedApiVersions marks an ApiVersions request of a version not
	// served: its body is not decoded and the server answers it itself.
	unsupportedApiVersions bool
}

// parseRequest decodes a frame payload: header, then body with kmsg. Any
// error wraps ErrMalformedRequest, ErrUnknownAPIKey or ErrUnsupportedVersion.
func parseRequest(p []byte, t *VersionTable) (*request, error) {
	if len(p) < requestHeaderLen {
		return nil, fmt.Errorf("%w: header needs %d bytes, frame has %d", ErrMalformedRequest, requestHeaderLen, len(p))
	}
	r := &request{
		key:     int16(binary.BigEndian.Uint16(p[0:])),
		version: int16(binary.BigEndian.Uint16(p[2:])),
		corr:    int32(binary.BigEndian.Uint32(p[4:])),
	}
	kr := kmsg.RequestForKey(r.key)
	if kr == nil {
		return nil, fmt.Errorf("%w: %d", ErrUnknownAPIKey, r.key)
	}
	kr.SetVersion(r.version)
	switch {
	case t.Supports(r.key, r.version):
	case r.key == keyApiVersions:
		r.unsupportedApiVersions = true
	default:
		return nil, fmt.Errorf("%w: %s (key %d) v%d", ErrUnsupportedVersion, kmsg.NameForKey(r.key), r.key, r.version)
	}

	b := p[requestHeaderLen:]
	if r.key != keyControlledShutdown || r.version != 0 { // header v0 has no client id
		if len(b) < 2 {
			return nil, fmt.Errorf("%w: client id length missing", ErrMalformedRequest)
		}
		n := int16(binary.BigEndian.Uint16(b))
		b = b[2:]
		switch {
		case n == -1: // null: Kafka treats it as empty
		case n < 0 || int(n) > len(b):
			return nil, fmt.Errorf("%w: client id length %d", ErrMalformedRequest, n)
		default:
			r.clientID = string(b[:n])
			b = b[n:]
		}
	}
	if kr.IsFlexible() { // header v2: tagged fields, none of which we use
		tr := tagReader{src: b}
		kmsg.SkipTags(&tr)
		if tr.bad {
			return nil, fmt.Errorf("%w: header tagged fields", ErrMalformedRequest)
		}
		b = tr.src
	}
	if r.unsupportedApiVersions {
		return r, nil // Kafka does not parse the body either
	}
	if err := kr.ReadFrom(b); err != nil {
		return nil, fmt.Errorf("%w: %s v%d body: %w", ErrMalformedRequest, kmsg.NameForKey(r.key), r.version, err)
	}
	r.req = kr
	return r, nil
}

// tagReader feeds kmsg.SkipTags from a byte slice.
type tagReader struct {
	src []byte
	bad bool
}

// Uvarint implements kmsg.TagReader.
func (r *tagReader) Uvarint() uint32 {
	v, n := binary.Uvarint(r.src)
	if n <= 0 || n > 5 || v > 1<<32-1 {
		r.bad, r.src = true, nil
		return 0
	}
	r.src = r.src[n:]
	return uint32(v)
}

// Span implements kmsg.TagReader.
func (r *tagReader) Span(n int) []byte {
	if n < 0 || n > len(r.src) {
		r.bad, r.src = true, nil
		return nil
	}
	s := r.src[:n]
	r.src = r.src[n:]
	return s
}

// Ok stops kmsg.SkipTags at the first error.
func (r *tagReader) Ok() bool { return !r.bad }

// appendResponse appends a response frame for resp to dst. resp's version
// decides its flexibility; ApiVersions always uses response header v0.
func appendResponse(dst []byte, corr int32, resp kmsg.Response) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(corr))
	if resp.IsFlexible() && resp.Key() != keyApiVersions {
		dst = append(dst, 0) // response header v1: no tagged fields
	}
	dst = resp.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}
