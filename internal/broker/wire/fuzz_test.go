package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// allKmsgVersions serves every api key kmsg knows at every version it can
// decode, so the fuzzer reaches every body decoder.
func allKmsgVersions(tb testing.TB) *VersionTable {
	tb.Helper()
	m := map[int16]VersionRange{}
	for k := int16(0); k < 1024; k++ {
		if r := kmsg.RequestForKey(k); r != nil {
			m[k] = VersionRange{0, r.MaxVersion()}
		}
	}
	vt, err := NewVersionTable(m)
	if err != nil {
		tb.Fatal(err)
	}
	return vt
}

// FuzzReadRequest feeds random byte streams to the frame reader and request
// decoder, as a connection's reader does: it must never panic, and every
// failure must be one that closes the connection.
func FuzzReadRequest(f *testing.F) {
	fm := kmsg.NewRequestFormatter(kmsg.FormatterClientID("fuzz"))
	seed := func(req kmsg.Request, version int16) {
		req.SetVersion(version)
		f.Add(fm.AppendRequest(nil, req, 1))
	}
	seed(kmsg.NewPtrApiVersionsRequest(), 0)
	seed(kmsg.NewPtrApiVersionsRequest(), 3)
	seed(kmsg.NewPtrMetadataRequest(), 1)
	seed(kmsg.NewPtrMetadataRequest(), 12)
	seed(kmsg.NewPtrControlledShutdownRequest(), 0)
	p := kmsg.NewPtrProduceRequest()
	topic := kmsg.NewProduceRequestTopic()
	topic.Topic = "t"
	topic.Partitions = []kmsg.ProduceRequestTopicPartition{kmsg.NewProduceRequestTopicPartition()}
	p.Topics = []kmsg.ProduceRequestTopic{topic}
	seed(p, 9)
	seed(kmsg.NewPtrFetchRequest(), 12)
	seed(kmsg.NewPtrSASLHandshakeRequest(), 1)
	// Two frames back to back, and an ApiVersions of a future version.
	two := fm.AppendRequest(nil, kmsg.NewPtrApiVersionsRequest(), 1)
	f.Add(fm.AppendRequest(two, kmsg.NewPtrMetadataRequest(), 2))
	f.Add([]byte{0, 0, 0, 10, 0, 18, 0, 99, 0, 0, 0, 1, 0xff, 0xff})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 0})

	vt := allKmsgVersions(f)
	var frames framePool
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		readFull := func(b []byte) error {
			_, err := io.ReadFull(r, b)
			return err
		}
		for {
			payload, err := readFrame(readFull, 1<<20, &frames)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrFrameSize) {
					t.Fatalf("readFrame: unexpected error class: %v", err)
				}
				return
			}
			req, err := parseRequest(payload, vt)
			frames.put(payload) // nothing below reads req's byte fields: reuse as the server does
			if err != nil {
				if !errors.Is(err, ErrMalformedRequest) && !errors.Is(err, ErrUnknownAPIKey) && !errors.Is(err, ErrUnsupportedVersion) {
					t.Fatalf("parseRequest: unexpected error class: %v", err)
				}
				return // the connection closes here
			}
			if key := int16(binary.BigEndian.Uint16(payload)); req.key != key {
				t.Fatalf("key %d, frame says %d", req.key, key)
			}
			if req.unsupportedApiVersions {
				if req.key != keyApiVersions || vt.Supports(req.key, req.version) || req.req != nil {
					t.Fatalf("bad unsupported-ApiVersions decode: %+v", req)
				}
				_ = appendResponse(nil, req.corr, vt.unsupportedApiVersionsResponse())
				continue
			}
			if req.req == nil || req.req.Key() != req.key || req.req.GetVersion() != req.version || !vt.Supports(req.key, req.version) {
				t.Fatalf("bad decode: %+v", req)
			}
			// What was decoded can be re-encoded and answered.
			_ = req.req.AppendTo(nil)
			resp := req.req.ResponseKind()
			resp.SetVersion(req.version)
			_ = appendResponse(nil, req.corr, resp)
		}
	})
}
