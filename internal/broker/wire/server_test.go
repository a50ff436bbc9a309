package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestKgoClient(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.Addr().String()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	av, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("ApiVersions: %v", err)
	}
	if av.ErrorCode != 0 {
		t.Fatalf("ApiVersions error %d", av.ErrorCode)
	}
	got := map[int16]VersionRange{}
	for _, k := range av.ApiKeys {
		got[k.ApiKey] = VersionRange{k.MinVersion, k.MaxVersion}
	}
	if len(got) != len(testVersions) {
		t.Fatalf("ApiVersions lists %v, want %v", got, testVersions)
	}
	for k, r := range testVersions {
		if got[k] != r {
			t.Errorf("key %d: %v, want %v", k, got[k], r)
		}
	}

	md, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	if len(md.Brokers) != 1 || md.Brokers[0].NodeID != 1 || len(md.Topics) != 0 {
		t.Fatalf("Metadata brokers %+v topics %+v", md.Brokers, md.Topics)
	}
	if md.Version != 12 {
		t.Errorf("Metadata answered at v%d, want v12 (the served max)", md.Version)
	}
	// kgo starts with the newest ApiVersions it knows (v4+), gets
	// UNSUPPORTED_VERSION with our range, and retries at v3.
	if n := s.Metrics().Requests(keyApiVersions); n < 2 {
		t.Errorf("ApiVersions requests %d, want >= 2 (a rejected try and a retry)", n)
	}
}

func TestApiVersionsTooNewRawBytes(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, nil)
	c := dialRaw(t, s)

	// ApiVersions v127: flexible header (client id, empty tags), and a
	// body that is not even valid: it must not be parsed.
	var req []byte
	req = binary.BigEndian.AppendUint16(req, 18)
	req = binary.BigEndian.AppendUint16(req, 127)
	req = binary.BigEndian.AppendUint32(req, 0x01020304)
	req = binary.BigEndian.AppendUint16(req, 1)
	req = append(req, 'x', 0, 0xff, 0xff, 0xff)
	c.writeBytes(binary.BigEndian.AppendUint32(nil, uint32(len(req))))
	c.writeBytes(req)

	b, err := c.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x01, 0x02, 0x03, 0x04, // correlation id; response header v0
		0, 35, // UNSUPPORTED_VERSION
		0, 0, 0, 1, // one api key (v0: int32 array length)
		0, 18, 0, 0, 0, 3, // ApiVersions 0..3
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("response\n got % x\nwant % x", b, want)
	}

	// The client retries at v3 on the same connection: header v0 response
	// even though v3 is flexible.
	v3 := kmsg.NewPtrApiVersionsRequest()
	v3.SetVersion(3)
	v3.ClientSoftwareName, v3.ClientSoftwareVersion = "raw-test", "1.0"
	c.send(7, v3)
	frame, err := c.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(3)
	if err := resp.ReadFrom(frame[4:]); err != nil {
		t.Fatalf("decode v3 response right after the correlation id: %v", err)
	}
	if resp.ErrorCode != 0 || len(resp.ApiKeys) != len(testVersions) {
		t.Fatalf("v3 response: error %d, %d keys", resp.ErrorCode, len(resp.ApiKeys))
	}
	if !slices.IsSortedFunc(resp.ApiKeys, func(a, b kmsg.ApiVersionsResponseApiKey) int { return int(a.ApiKey) - int(b.ApiKey) }) {
		t.Errorf("api keys not sorted: %+v", resp.ApiKeys)
	}
}

func TestApiVersionsInvalidSoftwareName(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, nil)
	c := dialRaw(t, s)
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(3)
	req.ClientSoftwareName, req.ClientSoftwareVersion = "bad name!", "1"
	c.send(1, req)
	_, resp := c.recv(req)
	if r := resp.(*kmsg.ApiVersionsResponse); r.ErrorCode != ErrCodeInvalidRequest || len(r.ApiKeys) != 0 {
		t.Fatalf("error %d keys %d, want INVALID_REQUEST and none", r.ErrorCode, len(r.ApiKeys))
	}
}

func TestResponsesInRequestOrder(t *testing.T) {
	t.Parallel()
	const n = 8
	const base = 100
	done := make([]chan struct{}, n)
	for i := range done {
		done[i] = make(chan struct{})
	}
	var mu sync.Mutex
	var finished []int32
	hook := func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
		i := int(c.CorrelationID - base)
		// Request i finishes only after request i+1 did: handling
		// completes in reverse order.
		if i+1 < n {
			select {
			case <-done[i+1]:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		mu.Lock()
		finished = append(finished, c.CorrelationID)
		mu.Unlock()
		close(done[i])
		return nil, nil // fall through to the Metadata answer
	}
	s := startServer(t, hook, func(o *Options) { o.MaxInFlightPerConn = n })
	c := dialRaw(t, s)
	req := newMetadata(9)
	for i := range n {
		c.send(int32(base+i), req)
	}
	for i := range n {
		corr, _ := c.recv(req)
		if corr != int32(base+i) {
			t.Fatalf("response %d has correlation id %d, want %d", i, corr, base+i)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i, corr := range finished {
		if corr != int32(base+n-1-i) {
			t.Fatalf("handlers finished in order %v, want reverse", finished)
		}
	}
}

func TestDefaultHandlesOneRequestPerConnection(t *testing.T) {
	t.Parallel()
	var cur, peak atomic.Int32
	hook := func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
		v := cur.Add(1)
		for {
			p := peak.Load()
			if v <= p || peak.CompareAndSwap(p, v) {
				break
			}
		}
		cur.Add(-1)
		return nil, nil
	}
	s := startServer(t, hook, nil)
	c := dialRaw(t, s)
	req := newMetadata(1)
	for i := range 5 {
		c.send(int32(i), req)
	}
	for i := range 5 {
		if corr, _ := c.recv(req); corr != int32(i) {
			t.Fatalf("correlation id %d, want %d", corr, i)
		}
	}
	if p := peak.Load(); p != 1 {
		t.Fatalf("peak concurrency %d, want 1", p)
	}
}

func TestNilResponseSendsNothing(t *testing.T) {
	t.Parallel()
	var produced atomic.Int32
	hook := func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
		if _, ok := req.(*kmsg.ProduceRequest); ok {
			produced.Add(1)
		}
		return nil, nil
	}
	s := startServer(t, hook, nil)
	c := dialRaw(t, s)
	p := kmsg.NewPtrProduceRequest()
	p.SetVersion(7)
	p.Acks = 0
	c.send(1, p)
	c.roundTrip(2) // the first response on the wire must be this one
	if produced.Load() != 1 {
		t.Fatalf("handler saw %d produce requests, want 1", produced.Load())
	}
}

func TestProtocolErrorsCloseOnlyThatConnection(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, func(o *Options) { o.MaxRequestSize = 1024 })
	bystander := dialRaw(t, s)
	bystander.roundTrip(1)

	frame := func(payload []byte) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(len(payload))), payload...)
	}
	header := func(key, version int16, rest ...byte) []byte {
		b := binary.BigEndian.AppendUint16(nil, uint16(key))
		b = binary.BigEndian.AppendUint16(b, uint16(version))
		b = binary.BigEndian.AppendUint32(b, 9)
		return append(b, rest...)
	}
	formatted := func(req kmsg.Request) []byte {
		return kmsg.NewRequestFormatter().AppendRequest(nil, req, 9)
	}
	createTopics := kmsg.NewPtrCreateTopicsRequest()
	createTopics.SetVersion(4)
	tests := []struct {
		name string
		data []byte
	}{
		{"oversized frame", binary.BigEndian.AppendUint32(nil, 1025)},
		{"negative size", []byte{0xff, 0xff, 0xff, 0xfe}},
		{"short header", frame([]byte{0, 3, 0})},
		{"empty frame", frame(nil)},
		{"client id too long", frame(header(3, 1, 0x00, 0x40, 'a'))},
		{"negative client id length", frame(header(3, 1, 0xff, 0x00))},
		{"unknown api key", frame(header(999, 0, 0xff, 0xff))},
		{"unsupported version", formatted(newMetadata(13))},
		{"api not served", formatted(createTopics)},
		{"truncated body", frame(header(3, 1, 0xff, 0xff, 0x00, 0x00, 0x00, 0x05))},
		{"bad header tags", frame(header(3, 9, 0xff, 0xff, 0x01, 0x00, 0x7f))},
		{"garbage", frame(bytes.Repeat([]byte{0xa5}, 64))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Metrics().Snapshot().ProtocolErrors
			c := dialRaw(t, s)
			c.writeBytes(tc.data)
			c.expectClosed()
			if after := s.Metrics().Snapshot().ProtocolErrors; after != before+1 {
				t.Errorf("protocol errors %d -> %d, want +1", before, after)
			}
			bystander.roundTrip(2)
			fresh := dialRaw(t, s)
			fresh.roundTrip(3)
		})
	}
}

func TestSASLWithoutSASL(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, nil)
	c := dialRaw(t, s)

	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.SetVersion(1)
	hs.Mechanism = "PLAIN"
	c.send(1, hs)
	_, resp := c.recv(hs)
	if r := resp.(*kmsg.SASLHandshakeResponse); r.ErrorCode != ErrCodeIllegalSASLState || len(r.SupportedMechanisms) != 0 {
		t.Fatalf("SaslHandshake: error %d mechanisms %v", r.ErrorCode, r.SupportedMechanisms)
	}

	auth := kmsg.NewPtrSASLAuthenticateRequest()
	auth.SetVersion(2)
	c.send(2, auth)
	_, resp = c.recv(auth)
	if r := resp.(*kmsg.SASLAuthenticateResponse); r.ErrorCode != ErrCodeIllegalSASLState || r.ErrorMessage == nil {
		t.Fatalf("SaslAuthenticate: error %d message %v", r.ErrorCode, r.ErrorMessage)
	}
	c.roundTrip(3)
}

func TestHandlerErrorClosesAfterEarlierResponses(t *testing.T) {
	t.Parallel()
	hook := func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
		if c.CorrelationID == 2 {
			return nil, errors.New("boom")
		}
		return nil, nil
	}
	s := startServer(t, hook, func(o *Options) { o.MaxInFlightPerConn = 1 })
	c := dialRaw(t, s)
	req := newMetadata(1)
	c.send(1, req)
	c.send(2, req)
	if corr, _ := c.recv(req); corr != 1 {
		t.Fatalf("correlation id %d, want 1", corr)
	}
	c.expectClosed()
}

func TestHandlerPanicClosesConnection(t *testing.T) {
	t.Parallel()
	hook := func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
		if _, ok := req.(*kmsg.MetadataRequest); ok {
			panic("handler bug")
		}
		return nil, nil
	}
	s := startServer(t, hook, nil)
	c := dialRaw(t, s)
	c.send(1, newMetadata(1))
	c.expectClosed()
	dialRaw(t, s).roundTrip(1)
}

func TestMismatchedResponseClosesConnection(t *testing.T) {
	t.Parallel()
	hook := func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
		if _, ok := req.(*kmsg.MetadataRequest); ok {
			return kmsg.NewPtrApiVersionsResponse(), nil
		}
		return nil, nil
	}
	s := startServer(t, hook, nil)
	c := dialRaw(t, s)
	c.send(1, newMetadata(1))
	c.expectClosed()
}

func TestConnInfo(t *testing.T) {
	t.Parallel()
	got := make(chan *ConnInfo, 1)
	hook := func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
		if _, ok := req.(*kmsg.MetadataRequest); ok {
			got <- c
		}
		return nil, nil
	}
	s := startServer(t, hook, nil)
	c := dialRaw(t, s)
	av := kmsg.NewPtrApiVersionsRequest()
	av.SetVersion(3)
	av.ClientSoftwareName, av.ClientSoftwareVersion = "raw-test", "1.2.3"
	c.send(1, av)
	c.recv(av)
	md := newMetadata(12)
	c.send(42, md)
	c.recv(md)
	ci := <-got
	if ci.ClientID != "raw-test" || ci.CorrelationID != 42 || ci.Listener != "PLAINTEXT" ||
		ci.ClientSoftwareName != "raw-test" || ci.ClientSoftwareVersion != "1.2.3" ||
		ci.RemoteAddr.String() != c.nc.LocalAddr().String() || ci.ID == 0 || ci.Context == nil {
		t.Fatalf("ConnInfo %+v", ci)
	}
}

func TestCloseWaitsForBlockedHandlers(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	var running atomic.Int32
	hook := func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
		running.Add(1)
		defer running.Add(-1)
		close(entered)
		<-ctx.Done() // a long poll that only ends with the connection
		return nil, ctx.Err()
	}
	var s *Server
	h := &testHandler{srv: func() *Server { return s }, hook: hook}
	s, err := New(Options{Addr: "127.0.0.1:0", Handler: h, Versions: testVersions, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, s)
	c.send(1, newMetadata(1))
	<-entered
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := running.Load(); n != 0 {
		t.Fatalf("%d handlers still running after Close", n)
	}
	c.expectClosed()
	if err := s.Start(); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	const idle = 100 * time.Millisecond
	release := make(chan struct{})
	hook := func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
		if _, ok := req.(*kmsg.MetadataRequest); ok {
			<-release
		}
		return nil, nil
	}
	s := startServer(t, hook, func(o *Options) {
		o.IdleTimeout = idle
		o.MaxInFlightPerConn = 2 // the reader waits for the next frame meanwhile
	})

	// A request in flight longer than the idle timeout keeps the
	// connection open.
	busy := dialRaw(t, s)
	md := newMetadata(1)
	busy.send(1, md)
	time.Sleep(3 * idle)
	close(release)
	if corr, _ := busy.recv(md); corr != 1 {
		t.Fatalf("correlation id %d", corr)
	}

	// Silence closes it.
	dialRaw(t, s).expectClosed()
	busy.expectClosed()
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, nil)
	c := dialRaw(t, s)
	c.roundTrip(1)
	c.roundTrip(2)
	md := newMetadata(5)
	c.send(3, md)
	c.recv(md)
	// The writer records a request as completed after its write returns,
	// which may be after the client has read the response.
	var snap MetricsSnapshot
	for deadline := time.Now().Add(5 * time.Second); ; {
		snap = s.Metrics().Snapshot()
		if snap.APIs[3].Completed == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if snap.APIs[keyApiVersions].Requests != 2 || snap.APIs[3].Requests != 1 {
		t.Fatalf("per-api counts %+v", snap.APIs)
	}
	if a := snap.APIs[3]; a.Completed != 1 || a.TotalLatency <= 0 || a.MaxLatency <= 0 {
		t.Fatalf("Metadata latency %+v", a)
	}
	if snap.BytesIn == 0 || snap.BytesOut == 0 || snap.ConnectionsAccepted != 1 || snap.ConnectionsOpen != 1 {
		t.Fatalf("snapshot %+v", snap)
	}
}

func TestNewValidation(t *testing.T) {
	t.Parallel()
	h := HandlerFunc(func(context.Context, *ConnInfo, kmsg.Request) (kmsg.Response, error) { return nil, nil })
	tests := []struct {
		name string
		opts Options
	}{
		{"no handler", Options{Versions: testVersions}},
		{"no ApiVersions", Options{Handler: h, Versions: map[int16]VersionRange{3: {0, 12}}}},
		{"unknown key", Options{Handler: h, Versions: map[int16]VersionRange{18: {0, 3}, 9999: {0, 0}}}},
		{"max beyond kmsg", Options{Handler: h, Versions: map[int16]VersionRange{18: {0, 100}}}},
		{"min above max", Options{Handler: h, Versions: map[int16]VersionRange{18: {3, 1}}}},
		{"negative min", Options{Handler: h, Versions: map[int16]VersionRange{18: {-1, 3}}}},
		{"negative limit", Options{Handler: h, Versions: testVersions, MaxInFlightPerConn: -1}},
	}
	for _, tc := range tests {
		if _, err := New(tc.opts); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: err %v, want ErrInvalidOptions", tc.name, err)
		}
	}
	s, err := New(Options{Handler: h, Versions: testVersions})
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi, ok := s.SupportedVersions(3); !ok || lo != 0 || hi != 12 {
		t.Errorf("SupportedVersions(3) = %d, %d, %v", lo, hi, ok)
	}
	if _, _, ok := s.SupportedVersions(19); ok {
		t.Error("SupportedVersions(19) ok for an api not served")
	}
	if s.Addr() != nil {
		t.Error("Addr before Start")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestGivenListenerAndHandleSASL(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var sawHandshake atomic.Bool
	hook := func(ctx context.Context, c *ConnInfo, req kmsg.Request) (kmsg.Response, error) {
		if r, ok := req.(*kmsg.SASLHandshakeRequest); ok {
			sawHandshake.Store(true)
			resp := r.ResponseKind().(*kmsg.SASLHandshakeResponse)
			resp.SupportedMechanisms = []string{"PLAIN"}
			return resp, nil
		}
		return nil, nil
	}
	s := startServer(t, hook, func(o *Options) {
		o.Addr, o.Listener, o.HandleSASL = "", ln, true
	})
	if s.Addr().String() != ln.Addr().String() {
		t.Fatalf("Addr %v, want %v", s.Addr(), ln.Addr())
	}
	c := dialRaw(t, s)
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.SetVersion(1)
	c.send(1, hs)
	_, resp := c.recv(hs)
	if r := resp.(*kmsg.SASLHandshakeResponse); r.ErrorCode != 0 || !sawHandshake.Load() {
		t.Fatalf("handler not consulted: %+v", r)
	}
}
