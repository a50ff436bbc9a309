package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// testVersions is what the test broker serves.
var testVersions = map[int16]VersionRange{
	0:  {3, 9},  // Produce
	3:  {0, 12}, // Metadata
	17: {0, 1},  // SaslHandshake
	18: {0, 3},  // ApiVersions
	36: {0, 2},  // SaslAuthenticate
}

// testHandler answers ApiVersions and Metadata (one broker: the server
// itself, no topics) and Produce (nil for acks=0); hook, when set, runs first
// and wins when it returns a response or error.
type testHandler struct {
	srv  func() *Server
	hook func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error)
}

func (h *testHandler) Handle(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
	if h.hook != nil {
		if resp, err := h.hook(ctx, c, req); resp != nil || err != nil {
			return resp, err
		}
	}
	s := h.srv()
	switch r := req.(type) {
	case *kmsg.ApiVersionsRequest:
		return s.Versions().ApiVersionsResponse(r, 0), nil
	case *kmsg.MetadataRequest:
		resp := r.ResponseKind().(*kmsg.MetadataResponse)
		addr := s.Addr().(*net.TCPAddr)
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID, b.Host, b.Port = 1, addr.IP.String(), int32(addr.Port)
		resp.Brokers = []kmsg.MetadataResponseBroker{b}
		resp.ClusterID = kmsg.StringPtr("wire-test")
		resp.ControllerID = 1
		return resp, nil
	case *kmsg.ProduceRequest:
		if r.Acks == 0 {
			return nil, nil
		}
		return r.ResponseKind(), nil
	}
	return nil, errors.New("test handler: unexpected request")
}

// startServer starts a server on 127.0.0.1:0 with the test handler; edit
// adjusts the options first.
func startServer(t *testing.T, hook func(context.Context, *ConnInfo, kmsg.Request) (kmsg.Response, error), edit func(*Options)) *Server {
	t.Helper()
	var s *Server
	h := &testHandler{srv: func() *Server { return s }, hook: hook}
	opts := Options{
		Addr:     "127.0.0.1:0",
		Name:     "PLAINTEXT",
		Handler:  h,
		Versions: testVersions,
		Logger:   testLogger(t),
	}
	if edit != nil {
		edit(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.DiscardHandler)
}

// rawConn is a hand-driven client connection.
type rawConn struct {
	t  *testing.T
	nc net.Conn
}

func dialRaw(t *testing.T, s *Server) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{t: t, nc: nc}
}

func (c *rawConn) writeBytes(b []byte) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// send writes req (at its set version) with the given correlation id.
func (c *rawConn) send(corr int32, req kmsg.Request) {
	c.t.Helper()
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw-test"))
	c.writeBytes(f.AppendRequest(nil, req, corr))
}

// readFrame reads one response frame and returns its payload.
func (c *rawConn) readFrame() ([]byte, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var sz [4]byte
	if _, err := io.ReadFull(c.nc, sz[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(sz[:]))
	if _, err := io.ReadFull(c.nc, b); err != nil {
		return nil, err
	}
	return b, nil
}

// recv reads one response to req and decodes it; it returns the correlation
// id.
func (c *rawConn) recv(req kmsg.Request) (int32, kmsg.Response) {
	c.t.Helper()
	b, err := c.readFrame()
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	corr := int32(binary.BigEndian.Uint32(b))
	resp := req.ResponseKind()
	body := b[4:]
	if resp.IsFlexible() && resp.Key() != keyApiVersions {
		if len(body) == 0 || body[0] != 0 {
			c.t.Fatalf("response header v1: want empty tagged fields, got % x", body)
		}
		body = body[1:]
	}
	if err := resp.ReadFrom(body); err != nil {
		c.t.Fatalf("decode %T: %v", resp, err)
	}
	return corr, resp
}

// expectClosed waits for the server to close the connection.
func (c *rawConn) expectClosed() {
	c.t.Helper()
	for {
		_, err := c.readFrame()
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatalf("connection still open: %v", err)
		}
		return // EOF or reset
	}
}

// roundTrip checks the connection still works with an ApiVersions v0.
func (c *rawConn) roundTrip(corr int32) {
	c.t.Helper()
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(0)
	c.send(corr, req)
	got, resp := c.recv(req)
	if got != corr {
		c.t.Fatalf("correlation id %d, want %d", got, corr)
	}
	if ec := resp.(*kmsg.ApiVersionsResponse).ErrorCode; ec != 0 {
		c.t.Fatalf("ApiVersions error %d", ec)
	}
}

func newMetadata(version int16) *kmsg.MetadataRequest {
	r := kmsg.NewPtrMetadataRequest()
	r.SetVersion(version)
	return r
}
