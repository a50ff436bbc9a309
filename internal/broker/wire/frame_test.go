package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// frameStream returns size-prefixed frames with the given payload sizes, each
// payload filled with its index so a mix-up shows.
func frameStream(sizes ...int) ([]byte, [][]byte) {
	var stream []byte
	var payloads [][]byte
	for i, n := range sizes {
		p := bytes.Repeat([]byte{byte(i + 1)}, n)
		stream = binary.BigEndian.AppendUint32(stream, uint32(n))
		stream = append(stream, p...)
		payloads = append(payloads, p)
	}
	return stream, payloads
}

func TestReadFrameReusesPooledBuffers(t *testing.T) {
	sizes := []int{10, 100 << 10, 100 << 10, 300 << 10, 90 << 10, 0, 70 << 10, maxPooledFrame + 5}
	stream, want := frameStream(sizes...)
	r := bytes.NewReader(stream)
	reads := 0
	readFull := func(b []byte) error {
		reads++
		_, err := io.ReadFull(r, b)
		return err
	}
	var pool framePool
	for i, n := range sizes {
		reads = 0
		got, err := readFrame(readFull, 1<<30, &pool)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got, want[i]) {
			t.Fatalf("frame %d: payload of %d bytes differs from the %d sent", i, len(got), n)
		}
		if c := cap(got); n >= minPooledFrame && c <= maxPooledFrame && c&(c-1) != 0 {
			t.Errorf("frame %d: capacity %d of a poolable frame is not a power of two", i, c)
		}
		// The second 100 KiB frame and the 90 KiB one fit a buffer given back
		// before: one read for the size, one for the payload.
		if (i == 2 || i == 4) && reads != 2 && !raceEnabled {
			t.Errorf("frame %d: %d reads, want 2 (a pooled buffer)", i, reads)
		}
		pool.put(got)
	}
	if _, err := readFrame(readFull, 1<<30, &pool); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last frame: %v, want EOF", err)
	}
}

func TestReadFrameTruncatedAndOversized(t *testing.T) {
	stream, _ := frameStream(200 << 10)
	for _, tc := range []struct {
		name    string
		data    []byte
		max     int32
		wantErr error
	}{
		{"torn payload", stream[:len(stream)-1], 1 << 30, io.ErrUnexpectedEOF},
		{"torn size", stream[:3], 1 << 30, io.ErrUnexpectedEOF},
		{"over the maximum", stream, 100 << 10, ErrFrameSize},
		{"negative size", []byte{0xff, 0, 0, 0}, 1 << 30, ErrFrameSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := bytes.NewReader(tc.data)
			var pool framePool
			_, err := readFrame(func(b []byte) error { _, err := io.ReadFull(r, b); return err }, tc.max, &pool)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestFramePoolRefusesOddBuffers(t *testing.T) {
	var pool framePool
	pool.put(make([]byte, 0, 100<<10)) // not a power of two
	pool.put(make([]byte, 0, 1<<10))   // too small
	pool.put(make([]byte, 0, 2*maxPooledFrame))
	for _, n := range []int{minPooledFrame, 100 << 10, maxPooledFrame} {
		if b := pool.get(n); b != nil {
			t.Errorf("get(%d) returned a buffer of capacity %d that was never poolable", n, cap(b))
		}
	}
	if raceEnabled {
		return // sync.Pool may drop the next put
	}
	pool.put(make([]byte, 5, 128<<10))
	if b := pool.get(100 << 10); b == nil || len(b) != 0 || cap(b) != 128<<10 {
		t.Fatalf("get(100 KiB) after put(128 KiB): len %d cap %d", len(b), cap(b))
	}
}
