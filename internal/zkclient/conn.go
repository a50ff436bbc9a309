package zkclient

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// readFrame reads one length-prefixed frame into buf (grown as needed) and
// returns its body. Lengths below zero or above max are protocol errors.
func readFrame(r io.Reader, buf []byte, max int) ([]byte, error) {
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(lb[:]))
	if n < 0 || int(n) > max {
		return nil, fmt.Errorf("frame length %d (limit %d): %w", n, max, ErrProtocol)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// writeRequest appends one request frame: length, header, body.
func writeRequest(e *jute.Encoder, xid int32, op jute.OpCode, body jute.Record) {
	at := e.BeginFrame()
	h := jute.RequestHeader{Xid: xid, Type: op}
	h.Encode(e)
	if body != nil {
		body.Encode(e)
	}
	e.EndFrame(at)
}

// decodeConnectResponse decodes the handshake reply. Old servers omit the
// trailing readOnly flag; the record's decoder allows that.
func decodeConnectResponse(frame []byte, resp *jute.ConnectResponse) error {
	if err := jute.Decode(frame, resp); err != nil {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	return nil
}

// parseReply splits a reply frame into its header and body.
func parseReply(frame []byte) (jute.ReplyHeader, []byte, error) {
	var h jute.ReplyHeader
	d := jute.NewDecoder(frame)
	h.Decode(d)
	if err := d.Err(); err != nil {
		return h, nil, fmt.Errorf("reply header: %w: %w", ErrProtocol, err)
	}
	return h, frame[d.Offset():], nil
}

// decodeBody decodes a reply body into resp; the body must hold exactly
// one record.
func decodeBody(body []byte, resp jute.Record) error {
	if err := jute.Decode(body, resp); err != nil {
		return fmt.Errorf("%T: %w: %w", resp, ErrProtocol, err)
	}
	return nil
}

// readLoop reads replies until the connection fails. A server silent for
// longer than timeout is given up on.
func (c *Client) readLoop(conn net.Conn, timeout time.Duration) error {
	br := bufio.NewReaderSize(conn, 64<<10)
	var buf []byte
	for {
		if timeout > 0 {
			conn.SetReadDeadline(time.Now().Add(timeout))
		}
		frame, err := readFrame(br, buf, c.maxFrame)
		if err != nil {
			return fmt.Errorf("zkclient: read from %s: %w", conn.RemoteAddr(), err)
		}
		buf = frame[:0]
		if err := c.handleFrame(frame); err != nil {
			return fmt.Errorf("zkclient: reply from %s: %w", conn.RemoteAddr(), err)
		}
	}
}

// handleFrame handles one reply frame: a ping or auth answer, a watch
// notification, or the reply to a call. An error ends the connection.
func (c *Client) handleFrame(frame []byte) error {
	h, body, err := parseReply(frame)
	if err != nil {
		return err
	}
	switch h.Xid {
	case jute.XidPing:
		return nil
	case jute.XidSetWatches:
		if h.Err != jute.ErrOK {
			c.log.Warn("setWatches failed", "err", h.Err)
		}
		return nil
	case jute.XidNotification:
		var ev jute.WatcherEvent
		if err := decodeBody(body, &ev); err != nil {
			return err
		}
		c.notify(ev, h.Zxid)
		return nil
	case jute.XidAuth:
		return c.authReply(h)
	}
	c.mu.Lock()
	cl := c.pending[h.Xid]
	if cl == nil {
		c.mu.Unlock()
		return fmt.Errorf("reply xid %d matches no request: %w", h.Xid, ErrProtocol)
	}
	delete(c.pending, h.Xid)
	if h.Zxid > 0 {
		c.lastZxid = h.Zxid
	}
	cl.hdr = h
	if h.Err == jute.ErrOK && cl.resp != nil {
		cl.err = decodeBody(body, cl.resp)
		if cl.err != nil {
			cl.err = fmt.Errorf("zkclient: %v %s: %w", cl.op, cl.path, cl.err)
		}
	}
	if cl.watch != watchNone && cl.err == nil {
		c.watches.register(cl.watch, cl.watchPath, h.Err)
	}
	cl.evSeq = c.events.seq()
	c.mu.Unlock()
	close(cl.done)
	return nil
}

// notify turns a notification into an event for the Watcher, when a watch
// of the client matches it.
func (c *Client) notify(ev jute.WatcherEvent, zxid int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := Event{Type: EventType(ev.Type), State: KeeperState(ev.State), Path: clientPath(c.chroot, ev.Path), Zxid: zxid}
	hit := c.watches.materialize(e.Type, e.Path)
	if hit || c.opts.AllNotifications || e.Type == EventNone {
		c.pushEventLocked(e)
	}
}

// authReply answers the oldest auth packet. AuthFailed ends the session:
// the server closes the connection after sending it.
func (c *Client) authReply(h jute.ReplyHeader) error {
	c.mu.Lock()
	var cl *call
	if len(c.authSent) > 0 {
		cl = c.authSent[0]
		c.authSent = c.authSent[1:]
	}
	if h.Err == jute.ErrAuthFailed {
		c.log.Warn("authentication failed")
		c.setStateLocked(StateAuthFailed)
		c.pushEventLocked(Event{Type: EventNone, State: KeeperAuthFailed, Zxid: NoZxid})
		c.eventsOff = true
		seq := c.events.seq()
		if cl != nil {
			cl.hdr = h
			cl.evSeq = seq
			close(cl.done)
		}
		c.failAllLocked(codeErr(jute.ErrAuthFailed))
		c.mu.Unlock()
		return fmt.Errorf("authentication failed: %w", errSessionEnded)
	}
	if cl != nil {
		cl.hdr = h
		cl.evSeq = c.events.seq()
		close(cl.done)
	}
	c.mu.Unlock()
	return nil
}

// writeLoop sends queued calls, and a ping whenever nothing was sent for
// pingEvery, until done is closed or a write fails.
func (c *Client) writeLoop(conn net.Conn, pingEvery time.Duration, done <-chan struct{}) error {
	if pingEvery <= 0 {
		pingEvery = time.Second
	}
	ping := time.NewTimer(pingEvery)
	defer ping.Stop()
	var e jute.Encoder
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		for _, cl := range batch {
			if cl.xid == jute.XidAuth {
				c.authSent = append(c.authSent, cl)
			} else {
				c.pending[cl.xid] = cl
			}
		}
		c.mu.Unlock()
		if len(batch) > 0 {
			e.Reset()
			for _, cl := range batch {
				writeRequest(&e, cl.xid, cl.op, cl.req)
			}
			if err := c.write(conn, e.Bytes(), pingEvery*2); err != nil {
				return err
			}
			ping.Reset(pingEvery)
			continue
		}
		select {
		case <-c.wake:
		case <-ping.C:
			e.Reset()
			writeRequest(&e, jute.XidPing, jute.OpPing, nil)
			if err := c.write(conn, e.Bytes(), pingEvery*2); err != nil {
				return err
			}
			ping.Reset(pingEvery)
		case <-done:
			return nil
		}
	}
}

func (c *Client) write(conn net.Conn, b []byte, timeout time.Duration) error {
	conn.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(b); err != nil {
		return fmt.Errorf("zkclient: write to %s: %w", conn.RemoteAddr(), err)
	}
	return nil
}
