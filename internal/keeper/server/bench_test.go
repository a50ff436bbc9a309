package server

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// benchSession is a raw client session that allocates nothing per request,
// so that a benchmark's allocations are the server's.
type benchSession struct {
	nc  net.Conn
	req []byte // one request frame, sent as it is
	buf []byte
}

func newBenchSession(b *testing.B, addr string) *benchSession {
	b.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { nc.Close() })
	var e jute.Encoder
	at := e.BeginFrame()
	(&jute.ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16)}).Encode(&e)
	e.EndFrame(at)
	if _, err := nc.Write(e.Bytes()); err != nil {
		b.Fatal(err)
	}
	bs := &benchSession{nc: nc, buf: make([]byte, 64<<10)}
	if err := bs.readFrame(); err != nil {
		b.Fatalf("connect response: %v", err)
	}
	return bs
}

func (bs *benchSession) use(xid int32, op jute.OpCode, body jute.Record) {
	var e jute.Encoder
	at := e.BeginFrame()
	(&jute.RequestHeader{Xid: xid, Type: op}).Encode(&e)
	body.Encode(&e)
	e.EndFrame(at)
	bs.req = e.Bytes()
}

func (bs *benchSession) readFrame() error {
	if _, err := io.ReadFull(bs.nc, bs.buf[:4]); err != nil {
		return err
	}
	n := int(binary.BigEndian.Uint32(bs.buf))
	if _, err := io.ReadFull(bs.nc, bs.buf[:n]); err != nil {
		return err
	}
	return nil
}

// roundTrip sends the request and reads its reply, whose error code it
// checks.
func (bs *benchSession) roundTrip() error {
	if _, err := bs.nc.Write(bs.req); err != nil {
		return err
	}
	if err := bs.readFrame(); err != nil {
		return err
	}
	if e := int32(binary.BigEndian.Uint32(bs.buf[12:])); e != 0 {
		return fmt.Errorf("reply error %d", e)
	}
	return nil
}

// BenchmarkRequests runs getData and setData of a 100-byte znode from 1,
// 16 and 64 raw sessions (one request in flight each, as zkafka bench zk),
// in the same process as the server: allocs/op are the server's (the client
// allocates nothing per request), ns/op is the round trip on this machine,
// writes/fsync the log's group commit (setData).
//
// -cpu 1 runs it with one P (GOMAXPROCS=1), where writes once fell to
// about 1.6 per fsync with 64 sessions: every write went to a goroutine of
// its own, and the commit loop, readied by the first, synced before the
// others ran.
func BenchmarkRequests(b *testing.B) {
	for _, op := range []jute.OpCode{jute.OpGetData, jute.OpSetData} {
		for _, clients := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%v/clients=%d", op, clients), func(b *testing.B) {
				s := testServer(b, func(o *Options) { o.MaxSessionTimeout = time.Minute })
				addr := s.Addr().String()
				sess := make([]*benchSession, clients)
				for i := range sess {
					bs := newBenchSession(b, addr)
					path := fmt.Sprintf("/b%d", i)
					bs.use(1, jute.OpCreate, &jute.CreateRequest{Path: path, Data: make([]byte, 100),
						ACL: []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}})
					if err := bs.roundTrip(); err != nil {
						b.Fatal(err)
					}
					if op == jute.OpGetData {
						bs.use(2, op, &jute.PathWatchRequest{Path: path})
					} else {
						bs.use(2, op, &jute.SetDataRequest{Path: path, Data: make([]byte, 100), Version: -1})
					}
					sess[i] = bs
				}
				b.ReportAllocs()
				fsyncs := s.stats.fsyncs.Load()
				b.ResetTimer()
				var wg sync.WaitGroup
				per := b.N / clients
				errs := make(chan error, clients)
				for i, bs := range sess {
					n := per
					if i == 0 {
						n += b.N % clients
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range n {
							if err := bs.roundTrip(); err != nil {
								errs <- err
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
				if n := s.stats.fsyncs.Load() - fsyncs; op == jute.OpSetData && n > 0 {
					b.ReportMetric(float64(b.N)/float64(n), "writes/fsync")
				}
			})
		}
	}
}
