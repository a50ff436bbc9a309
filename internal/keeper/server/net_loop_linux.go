//go:build linux

package server

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// The event loop: on Linux, established client connections are read by a
// few loops (one per P, GOMAXPROCS) instead of a goroutine each.
//
// # Why
//
// With a reader goroutine per connection, every request costs a read that
// returns the request, a second read that returns EAGAIN, a park of the
// goroutine in Go's netpoller and a wake-up through the scheduler's run
// queues when the next request arrives: about a fifth of a get's CPU, and
// the run-queue order is not the order requests arrived in, which
// stretches the latency tail when the cores are busy. A loop instead asks
// its epoll instance for every ready connection, reads each once, serves the
// reads it finds there in arrival order and writes each connection's
// replies with one write(2).
//
// # Who reads a connection
//
// A connection starts with its reader goroutine (conn.serve), which reads
// the handshake or a four-letter word. Once the session is set up and
// nothing is buffered, the goroutine registers the connection with a loop
// (edge-triggered) and ends. From then on the loop reads it, and serves
// inline the requests that cannot block (conn.inlineable): the reads of a
// session with no write in flight, and the writes of a session below
// maxInflightPerConn when the write path can take them without waiting
// (standalone: its commit loop's queue). The first request that may block
// (a read behind the session's own writes: FIFO order; sync, auth,
// closeSession; a write when the ensemble's write path or back-pressure
// could make it wait) hands the connection to a worker goroutine
// (loopWorker) together with everything read after it; a write the queue
// turned away (conn.held) goes first. The worker serves
// the requests with the ordinary blocking dispatch, reads the socket itself
// when the loop saw it become readable meanwhile (loopReadable) and hands
// the connection back when it has no complete request left. loopBusy,
// guarded by the loop's mutex, says who reads: the loop only when it is
// false, the worker only while it is true.
//
// Replies and watch events are queued and written exactly as with a reader
// goroutine (enqueue, send, the writer goroutine); the loop flushes what a
// connection's requests queued with flushNow, which never waits for a full
// socket.
//
// # Closing
//
// A registered connection is closed only by conn.close (which unregisters
// it before the descriptor closes) or, from any goroutine, by conn.abort,
// which shuts the socket down so that its reader — loop, worker or
// goroutine — reads end-of-file and tears the connection down.

// epollET is EPOLLET as the uint32 of an epoll event.
const epollET = 1 << 31

// loopYieldEvery is how long a loop that always finds work runs before it
// lets other goroutines have its P (runtime.Gosched).
const loopYieldEvery = 100 * time.Microsecond

// loopReadBuf is the size of a loop's read buffer: one read takes at most
// this much from one connection before the loop serves it.
const loopReadBuf = 64 << 10

// netLoop is one epoll instance and the goroutine (run) that reads the
// connections registered with it.
type netLoop struct {
	s    *Server
	epfd int
	// file is epfd registered with Go's netpoller: the loop parks there
	// (file's RawConn.Read) when no connection is ready.
	file *os.File
	rc   syscall.RawConn

	mu     sync.Mutex
	conns  map[int64]*conn // registered connections by conn id (the epoll data)
	closed bool            // stop was called: nothing more is registered

	// Owned by run.
	events []syscall.EpollEvent
	nready int
	// yielded is when run last gave up its P (parked or Gosched).
	yielded time.Time
	parked  bool // poll found nothing: run waited for the netpoller
	werr    error
	waitFn  func(fd uintptr) bool
	ready   []*conn
	again   []*conn // to read again in the next batch (serveConn)
	buf     []byte
}

// newNetLoops starts nothing; it creates n loops for s (run starts each).
func newNetLoops(s *Server, n int) ([]*netLoop, error) {
	loops := make([]*netLoop, 0, n)
	for range n {
		l, err := newNetLoop(s)
		if err != nil {
			for _, l := range loops {
				l.file.Close()
			}
			return nil, err
		}
		loops = append(loops, l)
	}
	return loops, nil
}

func newNetLoop(s *Server) (*netLoop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("server: event loop: epoll_create1: %w", err)
	}
	// Non-blocking, so that os.NewFile registers it with the netpoller.
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return nil, fmt.Errorf("server: event loop: %w", err)
	}
	f := os.NewFile(uintptr(epfd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("server: event loop: %w", err)
	}
	l := &netLoop{
		s:      s,
		epfd:   epfd,
		file:   f,
		rc:     rc,
		conns:  make(map[int64]*conn),
		events: make([]syscall.EpollEvent, 128),
		buf:    make([]byte, loopReadBuf),
	}
	l.waitFn = l.poll
	return l, nil
}

// poll collects ready connections without waiting; returning false tells
// the runtime to park run until epfd is readable (some connection ready).
func (l *netLoop) poll(fd uintptr) bool {
	n, err := syscall.EpollWait(int(fd), l.events, 0)
	if err == syscall.EINTR || (n == 0 && err == nil && len(l.again) == 0) {
		l.parked = true
		return false
	}
	l.nready, l.werr = n, err
	return n > 0 || err != nil || len(l.again) > 0
}

// run serves the loop's connections until stop.
func (l *netLoop) run() {
	defer l.shutdown()
	for {
		l.parked = false
		if err := l.rc.Read(l.waitFn); err != nil {
			l.mu.Lock()
			stopped := l.closed
			l.mu.Unlock()
			if !stopped {
				l.s.log.Error("event loop stopped", "err", err)
			}
			return
		}
		if l.werr != nil {
			l.s.log.Error("event loop stopped: epoll_wait", "err", l.werr)
			return
		}
		if l.parked {
			l.yielded = time.Now()
		}
		l.mu.Lock()
		for _, ev := range l.events[:l.nready] {
			c := l.conns[int64(uint32(ev.Fd))|int64(ev.Pad)<<32]
			switch {
			case c == nil:
			case c.loopBusy:
				c.loopReadable = true
			case !c.loopQueued:
				c.loopQueued = true
				l.ready = append(l.ready, c)
			}
		}
		for i, c := range l.again {
			// Not busy: serveConn did not hand it over. Not closed: the
			// map still holds it.
			if !c.loopQueued && l.conns[c.id] == c {
				c.loopQueued = true
				l.ready = append(l.ready, c)
			}
			l.again[i] = nil
		}
		l.again = l.again[:0]
		l.mu.Unlock()
		for i, c := range l.ready {
			c.loopQueued = false
			l.serveConn(c)
			l.ready[i] = nil
		}
		l.ready = l.ready[:0]
		// A loop that finds work batch after batch never parks: let the
		// goroutines its batches woke (workers, the commit loop, writers)
		// run now and then, rather than wait for preemption. One that
		// parks between batches (a light load) yields its P then.
		if now := time.Now(); now.Sub(l.yielded) >= loopYieldEvery {
			runtime.Gosched()
			l.yielded = time.Now()
		}
	}
}

// stop makes run return; run closes the connections still registered.
func (l *netLoop) stop() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.file.Close()
}

// shutdown closes every connection the loop still holds, those a worker
// is serving included (close wakes a worker waiting for its session's
// writes).
func (l *netLoop) shutdown() {
	l.mu.Lock()
	l.closed = true
	conns := make([]*conn, 0, len(l.conns))
	for _, c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// add registers c with the loop, which reads it from then on. It reports
// false when c stays with its reader goroutine (the loop is stopping, c is
// closed, or epoll refused it).
func (l *netLoop) add(c *conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || c.closed() {
		return false
	}
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollET,
		Fd:     int32(uint32(c.id)),
		Pad:    int32(c.id >> 32),
	}
	var cerr error
	err := c.raw.Control(func(fd uintptr) {
		cerr = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
	})
	if err == nil {
		err = cerr
	}
	if err != nil {
		c.log.Debug("connection stays with its reader goroutine", "err", err)
		return false
	}
	c.readFn = c.readOnce
	c.loop.Store(l)
	l.conns[c.id] = c
	return true
}

// remove unregisters c; conn.close calls it before the descriptor closes.
func (l *netLoop) remove(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns[c.id] != c {
		return
	}
	delete(l.conns, c.id)
	if !l.closed {
		c.raw.Control(func(fd uintptr) {
			syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
		})
	}
}

// serveConn reads what c has ready and serves it. c is not busy: the
// loop is its reader.
//
// It reads once: a read that did not fill the buffer took all there was
// (edge-triggered: data arriving later raises a new event); after one that
// did, c goes on l.again and is read again in the next batch, after the
// other ready connections, so that a client that pipelines without pause
// cannot keep the loop from the others.
func (l *netLoop) serveConn(c *conn) {
	n, err := c.rawRead(l.buf)
	if err != nil {
		c.logEnd(err)
		c.close()
		return
	}
	if n == 0 { // nothing after all (the event was for data already read)
		return
	}
	data := l.buf[:n]
	if len(c.inbuf) > 0 {
		c.inbuf = append(c.inbuf, data...)
		data = c.inbuf
	}
	full := n == len(l.buf)
	handed, err := l.serveFrames(c, data, full)
	if err != nil {
		c.log.Warn("closing connection", "session", sessionHex(c.sessionID), "err", err)
		c.close()
		return
	}
	if handed || c.closed() {
		return
	}
	c.flushNow()
	if full {
		l.again = append(l.again, c)
	}
}

// serveFrames serves the complete requests in data inline until one needs
// the worker; it keeps an incomplete tail in c.inbuf. It reports whether c
// was handed to a worker. more says the socket may hold more unread data.
func (l *netLoop) serveFrames(c *conn, data []byte, more bool) (bool, error) {
	c.batching = true // no defer: c.batching is the worker's once it is handed over
	for {
		frame, size, err := c.nextFrame(data)
		if err != nil {
			c.batching = false
			return false, err
		}
		if frame == nil {
			break
		}
		if !c.inlineable(frame) {
			l.handOff(c, data, more)
			return true, nil
		}
		data = data[size:]
		c.packetReceived(size)
		c.s.touch(c)
		if err := c.dispatch(frame); err != nil {
			c.batching = false
			return false, err
		}
		if c.closed() {
			c.batching = false
			return false, nil
		}
		if c.held != nil { // the write path is full: a worker waits
			l.handOff(c, data, more)
			return true, nil
		}
	}
	c.batching = false
	c.keep(data)
	return false, nil
}

// handOff gives c to a worker goroutine (loopWorker) with data, the
// requests not yet served. more says the socket may hold more unread data.
func (l *netLoop) handOff(c *conn, data []byte, more bool) {
	c.keep(data)
	c.batching = false
	c.flushNow() // replies of the requests before it
	l.mu.Lock()
	c.loopBusy = true
	c.loopReadable = more
	l.mu.Unlock()
	l.s.goFunc(func() { l.loopWorker(c) })
}

// loopWorker serves c's buffered requests with the blocking dispatch, then
// hands c back to the loop.
func (l *netLoop) loopWorker(c *conn) {
	if p := c.held; p != nil {
		c.held = nil
		c.s.propose(p)
	}
	for {
		data := c.inbuf
		for {
			frame, size, err := c.nextFrame(data)
			if err != nil {
				c.log.Warn("closing connection", "session", sessionHex(c.sessionID), "err", err)
				c.close()
				return
			}
			if frame == nil {
				break
			}
			data = data[size:]
			c.packetReceived(size)
			c.s.touch(c)
			if err := c.dispatch(frame); err != nil {
				c.log.Warn("closing connection", "session", sessionHex(c.sessionID), "err", err)
				c.close()
				return
			}
			if c.closed() {
				return
			}
		}
		c.keep(data)
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.close()
			return
		}
		if !c.loopReadable {
			c.loopBusy = false
			l.mu.Unlock()
			return
		}
		c.loopReadable = false
		l.mu.Unlock()
		// Read what arrived while the requests were served: the loop saw
		// the event but left the socket to us.
		if cap(c.inbuf)-len(c.inbuf) < 4<<10 {
			c.inbuf = append(make([]byte, 0, len(c.inbuf)+16<<10), c.inbuf...)
		}
		free := c.inbuf[len(c.inbuf):cap(c.inbuf)]
		n, err := c.rawRead(free)
		if err != nil {
			c.logEnd(err)
			c.close()
			return
		}
		c.inbuf = c.inbuf[:len(c.inbuf)+n]
		if n == len(free) {
			l.mu.Lock()
			c.loopReadable = true
			l.mu.Unlock()
		}
	}
}

// nextFrame returns the first complete request in data and its size with
// the length prefix, or a nil frame when data holds no complete request.
func (c *conn) nextFrame(data []byte) ([]byte, int, error) {
	if len(data) < 4 {
		return nil, 0, nil
	}
	n := int32(binary.BigEndian.Uint32(data))
	if n < 0 || int(n) > c.s.opts.MaxBuffer+1024 {
		return nil, 0, fmt.Errorf("packet length %d (max %d): %w", n, c.s.opts.MaxBuffer, ErrFrameTooLarge)
	}
	if len(data) < 4+int(n) {
		return nil, 0, nil
	}
	return data[4 : 4+n], 4 + int(n), nil
}

// keep stores the unserved tail of what was read (data, which may be a
// part of c.inbuf) in c.inbuf.
func (c *conn) keep(data []byte) {
	switch {
	case len(data) == 0:
		if cap(c.inbuf) > loopReadBuf {
			c.inbuf = nil // do not keep a large request's buffer
		} else {
			c.inbuf = c.inbuf[:0]
		}
	case len(data) <= len(c.inbuf) && &data[0] == &c.inbuf[len(c.inbuf)-len(data)]:
		c.inbuf = c.inbuf[:copy(c.inbuf, data)]
	default:
		c.inbuf = append(c.inbuf[:0], data...)
	}
}

// rawRead reads once from c's socket without waiting. It returns 0 and no
// error when nothing was there, io.EOF at end of stream.
func (c *conn) rawRead(p []byte) (int, error) {
	c.rdBuf = p
	err := c.raw.Read(c.readFn)
	n, rerr := c.rdN, c.rdErr
	c.rdBuf, c.rdErr = nil, nil
	switch {
	case err != nil:
		return 0, err
	case rerr == syscall.EAGAIN:
		return 0, nil
	case rerr != nil:
		return 0, fmt.Errorf("read: %w", rerr)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// readOnce is rawRead's one attempt; returning true tells the runtime not
// to wait for the descriptor.
func (c *conn) readOnce(fd uintptr) bool {
	for {
		c.rdN, c.rdErr = syscall.Read(int(fd), c.rdBuf)
		if c.rdErr != syscall.EINTR {
			return true
		}
	}
}

// shutdownSocket shuts c's socket down (both directions), so that whoever
// reads it reads end-of-file. It reports false when c has no descriptor
// or it is closed already.
func (c *conn) shutdownSocket() bool {
	if c.raw == nil {
		return false
	}
	var serr error
	err := c.raw.Control(func(fd uintptr) {
		serr = syscall.Shutdown(int(fd), syscall.SHUT_RDWR)
	})
	return err == nil && (serr == nil || serr == syscall.ENOTCONN)
}
