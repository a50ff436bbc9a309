package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
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

// TestPooledBuffersKeepRequestsApart sends big Produce and Fetch requests,
// several in flight on each of two connections, so that frame buffers and
// response buffers are recycled between them: every handler must see its own
// request's bytes and every client its own response's.
func TestPooledBuffersKeepRequestsApart(t *testing.T) {
	t.Parallel()
	const size = 200 << 10 // over minPooledFrame: pooled
	fill := func(b []byte, corr int32) {
		for i := range b {
			b[i] = byte(corr) ^ byte(i>>10)
		}
	}
	check := func(b []byte, corr int32) error {
		if len(b) != size {
			return fmt.Errorf("%d bytes, want %d", len(b), size)
		}
		for i := range b {
			if b[i] != byte(corr)^byte(i>>10) {
				return fmt.Errorf("byte %d of request %d is %#x", i, corr, b[i])
			}
		}
		return nil
	}
	hook := func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
		switch r := req.(type) {
		case *kmsg.ProduceRequest:
			if err := check(r.Topics[0].Partitions[0].Records, c.CorrelationID); err != nil {
				return nil, err
			}
			fill(r.Topics[0].Partitions[0].Records, 0) // a handler may scribble on its records
		case *kmsg.FetchRequest:
			resp := r.ResponseKind().(*kmsg.FetchResponse)
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic = "t"
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.RecordBatches = ResponseBuffer(ctx, size)
			fill(rp.RecordBatches, c.CorrelationID)
			rt.Partitions = append(rt.Partitions, rp)
			resp.Topics = append(resp.Topics, rt)
			return resp, nil
		}
		return nil, nil
	}
	versions := map[int16]VersionRange{1: {4, 12}}
	for k, v := range testVersions {
		versions[k] = v
	}
	s := startServer(t, hook, func(o *Options) { o.MaxInFlightPerConn = 4; o.Versions = versions })

	var wg sync.WaitGroup
	for conn := range 2 {
		c := dialRaw(t, s)
		wg.Go(func() {
			var reqs []kmsg.Request
			for i := range 24 {
				corr := int32(conn*1000 + i)
				var req kmsg.Request
				if i%2 == 0 {
					p := kmsg.NewPtrProduceRequest()
					p.SetVersion(7)
					p.Acks = 1
					rt := kmsg.NewProduceRequestTopic()
					rt.Topic = "t"
					rp := kmsg.NewProduceRequestTopicPartition()
					rp.Records = make([]byte, size)
					fill(rp.Records, corr)
					rt.Partitions = append(rt.Partitions, rp)
					p.Topics = append(p.Topics, rt)
					req = p
				} else {
					f := kmsg.NewPtrFetchRequest()
					f.SetVersion(11)
					req = f
				}
				c.send(corr, req)
				reqs = append(reqs, req)
				if len(reqs) < 3 && i < 23 {
					continue // keep a few in flight
				}
				for len(reqs) > 0 {
					got, resp := c.recv(reqs[0])
					want := corr - int32(len(reqs)-1)
					if got != want {
						t.Errorf("correlation id %d, want %d", got, want)
						return
					}
					if fr, ok := resp.(*kmsg.FetchResponse); ok {
						if err := check(fr.Topics[0].Partitions[0].RecordBatches, got); err != nil {
							t.Errorf("fetch response: %v", err)
							return
						}
					}
					reqs = reqs[1:]
				}
			}
		})
	}
	wg.Wait()
}
