package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Probe's wire constants: the session timeout it asks for, the largest reply it reads, and
// the xids of its two requests.
const (
	probeSessionTimeout = 30 * time.Second
	probeMaxPacket      = 1 << 20
	probeGetXid         = 1
	probeCloseXid       = 2
)

// ErrNotServing reports a server that answered a probe without serving the node: it refused
// or dropped the session, or answered getData with an error code.
var ErrNotServing = errors.New("bench: server not serving")

// ProbeGetData opens a fresh session on addr (host:port), reads path with getData and closes
// the session, all within timeout, and returns the node's data. It speaks the wire protocol
// directly so one attempt is one TCP connection: a client library would add its own
// reconnect back-off (go-zookeeper waits a second between rounds), which would blur a
// restart-to-serving measurement.
func ProbeGetData(ctx context.Context, addr, path string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("probe %s: %w", addr, err)
	}
	defer nc.Close()
	if dl, ok := ctx.Deadline(); ok {
		if err := nc.SetDeadline(dl); err != nil {
			return nil, fmt.Errorf("probe %s: %w", addr, err)
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) }) // unblock on cancel
	defer stop()

	data, err := probeSession(nc, path)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			err = errors.Join(err, cerr)
		} else if ctxOver(ctx) || errors.Is(err, os.ErrDeadlineExceeded) {
			err = errors.Join(err, context.DeadlineExceeded) // the socket's deadline is ctx's
		}
		return nil, fmt.Errorf("probe %s getData %s: %w", addr, path, err)
	}
	return data, nil
}

// probeSession runs the handshake, one getData and a closeSession on rw.
func probeSession(rw io.ReadWriter, path string) ([]byte, error) {
	var e jute.Encoder
	at := e.BeginFrame()
	e.Record(&jute.ConnectRequest{TimeOut: int32(probeSessionTimeout / time.Millisecond), Passwd: make([]byte, 16)})
	e.EndFrame(at)
	if _, err := rw.Write(e.Bytes()); err != nil {
		return nil, fmt.Errorf("send connect: %w", err)
	}
	pkt, err := readPacket(rw)
	if err != nil {
		return nil, fmt.Errorf("%w: connect: %w", ErrNotServing, err)
	}
	var cr jute.ConnectResponse
	if err := jute.Decode(pkt, &cr); err != nil {
		return nil, fmt.Errorf("connect response: %w", err)
	}
	if cr.TimeOut <= 0 || cr.SessionID == 0 {
		return nil, fmt.Errorf("%w: session refused (timeout %d)", ErrNotServing, cr.TimeOut)
	}

	e.Reset()
	at = e.BeginFrame()
	e.Record(&jute.RequestHeader{Xid: probeGetXid, Type: jute.OpGetData})
	e.Record(&jute.PathWatchRequest{Path: path})
	e.EndFrame(at)
	at = e.BeginFrame()
	e.Record(&jute.RequestHeader{Xid: probeCloseXid, Type: jute.OpCloseSession})
	e.EndFrame(at)
	if _, err := rw.Write(e.Bytes()); err != nil {
		return nil, fmt.Errorf("send getData: %w", err)
	}
	for {
		pkt, err := readPacket(rw)
		if err != nil {
			return nil, fmt.Errorf("%w: getData: %w", ErrNotServing, err)
		}
		d := jute.NewDecoder(pkt)
		var h jute.ReplyHeader
		d.Record(&h)
		if err := d.Err(); err != nil {
			return nil, fmt.Errorf("reply header: %w", err)
		}
		if h.Xid != probeGetXid {
			continue // a notification (xid -1) or anything else before our reply
		}
		if h.Err != 0 {
			return nil, fmt.Errorf("%w: %w", ErrNotServing, h.Err)
		}
		var r jute.GetDataResponse
		d.Record(&r)
		if err := d.Err(); err != nil {
			return nil, fmt.Errorf("getData reply: %w", err)
		}
		return r.Data, nil
	}
}

// readPacket reads one length-prefixed packet.
func readPacket(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(n[:]))
	if size < 0 || size > probeMaxPacket {
		return nil, fmt.Errorf("packet length %d: %w", size, jute.ErrLength)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// WaitServing probes addr every interval (each attempt bounded by attemptTimeout) until a
// getData of path succeeds, and returns the time of that success. It gives up when ctx is
// done, returning ctx's error with the last probe's that ctx did not cut short.
func WaitServing(ctx context.Context, addr, path string, interval, attemptTimeout time.Duration) (time.Time, error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last error
	for {
		_, err := ProbeGetData(ctx, addr, path, attemptTimeout)
		if err == nil {
			return time.Now(), nil
		}
		if !ctxOver(ctx) || last == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("wait for %s to serve %s: %w (last: %w)", addr, path, ctx.Err(), last)
		case <-t.C:
		}
	}
}

// ctxOver reports whether ctx is done or its deadline has passed: a socket deadline taken
// from ctx can fire a moment before ctx itself reports it.
func ctxOver(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}
