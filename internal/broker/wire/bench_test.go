package wire

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// BenchmarkProduceRoundTrip sends 1 MiB Produce requests over one loopback
// connection, one at a time, to a handler that only answers them: the
// server's cost per request (frame read, decode, response) beside TCP's.
func BenchmarkProduceRoundTrip(b *testing.B) {
	var s *Server
	s, err := New(Options{
		Addr: "127.0.0.1:0", Versions: testVersions, Logger: slog.New(slog.DiscardHandler),
		Handler: HandlerFunc(func(_ context.Context, _ *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
			return req.(*kmsg.ProduceRequest).ResponseKind(), nil
		}),
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	p := kmsg.NewPtrProduceRequest()
	p.SetVersion(7)
	p.Acks = 1
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = make([]byte, 1<<20)
	rt.Partitions = append(rt.Partitions, rp)
	p.Topics = append(p.Topics, rt)
	frame := kmsg.NewRequestFormatter().AppendRequest(nil, p, 1)
	br := bufio.NewReader(nc)
	reply := make([]byte, 64<<10)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := nc.Write(frame); err != nil {
			b.Fatal(err)
		}
		var sz [4]byte
		if _, err := io.ReadFull(br, sz[:]); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(br, reply[:binary.BigEndian.Uint32(sz[:])]); err != nil {
			b.Fatal(err)
		}
	}
}
