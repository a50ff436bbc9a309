//go:build linux

package bench

// The raw clients' closed loops on Linux: a few event loops, each a goroutine with its own
// epoll instance, instead of one goroutine per client parked in Go's network poller.
//
// The load generator shares the machine's cores with the server it measures, so every
// microsecond it spends per operation is taken from the server. With one goroutine per
// client, each operation cost a write(2), a read(2) that found nothing (net.Conn reads before
// it waits), a park in the network poller, the poller's epoll_wait and a wake-up, and a
// read(2) that got the reply. A loop instead asks epoll (level-triggered) which of its
// connections have a reply, and per operation does one read(2), one write(2) and its share
// of one epoll_wait(2) over all the replies that came together:
//
//	epoll_wait ──► for each ready connection: read(2) once ─► every whole frame buffered:
//	    ▲            reply to the request in flight? record its latency, write(2) the next
//	    └──────────────────────────────────────────────────────────────────────┘
//
// It is the same closed loop: every client is its own session on its own connection, with
// exactly one request in flight; the next is written only after the reply, and the latency
// runs from just before the write to just after the reply's header is decoded (one
// monotonic clock read at each end). A client idle for a third of the session timeout
// writes a ping together with its next request, in one write; the ping's reply is skipped.
//
// In an open loop (pace.go) a client whose next operation is not yet due waits in the
// loop's heap of due times instead, and the loop's epoll wait ends at the earliest of them:
// epoll_pwait2(2), whose timeout is in nanoseconds, on a thread whose timer slack is 1 ns
// (the default 50 µs would count as latency). Latency then runs from the due time. Where
// epoll_pwait2 is refused (before Linux 5.11), the loop waits whole milliseconds with
// epoll_wait and polls through the last one.
//
// A loop takes its connections' sockets out of Go's network poller for the run (so a reply
// does not wake it as well): it duplicates each descriptor and closes the net.Conn, whose
// close removes its own descriptor from the poller; the socket lives on in the duplicate.
// When the loop ends it gives each socket back to a new net.Conn (net.FileConn), so closing
// the session works as before. Requests are small and one at a time, so a write that finds
// the socket's buffer full (only a payload near MaxSize can) waits for EPOLLOUT.
//
// Cost, measured 2026-11-25 against a standalone zkafka keeper on the same machine (2 cores
// shared by client and server, other work running), 64 clients, 100-byte data: the load
// generator's CPU time (user+sys of its process over the measured phase, client_cpu_s of
// --format kv) per operation, median of 5 runs of 5 s alternating with the previous
// build, was 6.9 µs for get and 9.0 µs for set, against 9.5 and 12.9 µs with one goroutine
// per client. About 85% of what is left is the kernel's: write(2) on loopback also carries
// the request through the server's TCP receive path. Measured with
//
//	zkafka bench zk --server 127.0.0.1:PORT --op get --clients 64 --duration 5s --format kv
//
// dividing client_cpu_s by ops.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// rawLoopClients is how many clients share one event loop (see rawLoops). rawLoopTick is
// the longest a loop waits in epoll_wait before it looks at abort; rawLoopYield how often
// it lets the scheduler run something else.
const (
	rawLoopClients = 64
	rawLoopTick    = 20 * time.Millisecond
	rawLoopYield   = 5 * time.Millisecond
)

// rawLoops is how many event loops drive n clients: one per rawLoopClients, but at most
// GOMAXPROCS-1 (at least one), so that a P stays free for the rest of the program. A loop
// blocked in epoll_wait holds its P in a system call; were every P so held, the runtime's
// monitor would take them back, at 20 µs intervals, costing more than the loops save.
func rawLoops(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0)-1, (n+rawLoopClients-1)/rawLoopClients))
}

// shards gives each event loop one recorder, shared by its clients: one histogram per
// loop stays in the CPU's cache where one per client would not.
func (f *rawFleet) shards(clients int) int { return rawLoops(clients) }

// run drives the clients with rawLoops(len(loads)) event loops, client i on loop i mod the
// number of loops. The first loop to fail cancels the others' stop.
func (f *rawFleet) run(loads []*zkLoad, stop, parent context.Context) error {
	loops := rawLoops(len(loads))
	return runEach(loops, stop, func(k int, stop context.Context) error {
		var clients []int
		for i := k; i < len(loads); i += loops {
			clients = append(clients, i)
		}
		return f.runLoop(clients, loads, stop, parent)
	})
}

// pacedLoops reports that this platform's raw client can run an open loop (pace.go).
const pacedLoops = true

// loopConn is one client in an event loop.
type loopConn struct {
	i    int   // the client's index
	slot int32 // its index in the loop's conns, its epoll events' data
	c    *rawConn
	l    *zkLoad
	fd   int           // the socket, a duplicate out of Go's poller, -1 once given back
	op   string        // the operation in flight
	xid  int32         // the xid of the request in flight
	t0   time.Duration // when its latency runs from: its send, or in an open loop its due time
	due  time.Duration // open loop: when the next operation is due
	sent time.Duration // when the last request went out
	out  []byte        // the part of the request the socket has not taken yet
	busy bool          // a request is in flight
}

// rawLoop is one event loop's state, owned by its goroutine. Its times are durations since
// base, read from the monotonic clock.
type rawLoop struct {
	f       *rawFleet
	ep      int
	base    time.Time
	stop    context.Context
	parent  context.Context // RunZK's: when it is done, failures are no failures (fail)
	conns   []loopConn
	active  int     // clients with a request in flight
	waiting dueHeap // open loop: clients waiting for their next operation's due time
	// pwait2 is false once epoll_pwait2(2) was refused (a kernel before 5.11, or a seccomp
	// filter): waits then fall back to epoll_wait's milliseconds (pacedWait).
	pwait2 bool
}

// runLoop drives the given clients until stop is done and every last reply is in, or until
// a connection fails (its error, naming the client, is returned; the other requests in
// flight are abandoned, and closeSession skips their replies). In an open loop a client
// also ends when its next operation falls after the schedule's end.
func (f *rawFleet) runLoop(clients []int, loads []*zkLoad, stop, parent context.Context) error {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return fmt.Errorf("client %d: epoll: %w", clients[0], err)
	}
	defer syscall.Close(ep)
	paced := loads[clients[0]].pace != nil
	if paced {
		defer lowTimerSlack()()
	}
	lp := &rawLoop{f: f, ep: ep, stop: stop, parent: parent, conns: make([]loopConn, len(clients)), base: time.Now(), pwait2: !f.noPwait2}
	defer lp.giveBack()
	for j, i := range clients {
		c := f.conns[i]
		c.load(loads[i])
		lc := &lp.conns[j]
		*lc = loopConn{i: i, slot: int32(j), c: c, l: loads[i], fd: -1, sent: c.lastSend.Sub(lp.base)}
		if lc.fd, err = f.takeSocket(c); err != nil {
			return fmt.Errorf("client %d: %w", i, f.lost(c, err))
		}
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(j)}
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, lc.fd, &ev); err != nil {
			return fmt.Errorf("client %d: epoll add: %w", i, err)
		}
	}
	if paced {
		lp.waiting = make(dueHeap, 0, len(lp.conns))
	}
	for j := range lp.conns {
		lc := &lp.conns[j]
		var err error
		switch {
		case stop.Err() != nil: // already over: nothing to wait for on this one
			err = lp.retire(lc)
		case paced:
			err = lp.queue(lc, time.Since(lp.base))
		default:
			err = lp.issue(lc)
		}
		if err != nil {
			return lp.fail(lc, err)
		}
	}
	events := make([]syscall.EpollEvent, len(lp.conns))
	var yielded time.Duration // when the loop last yielded, since base
	for lp.active > 0 || len(lp.waiting) > 0 {
		if f.aborted.Load() {
			for j := range lp.conns {
				if lc := &lp.conns[j]; lc.busy {
					return lp.fail(lc, fmt.Errorf("read reply: %w", os.ErrDeadlineExceeded))
				}
			}
		}
		if now := time.Since(lp.base); now-yielded > rawLoopYield {
			// A goroutine that never yields and spends its time in system calls makes
			// the runtime's monitor take its P away every 10 ms and then poll every
			// 20 µs for a while; yielding now and then spares that.
			runtime.Gosched()
			yielded = now
		}
		var n int
		var err error
		if paced {
			if lc, err := lp.issueDue(); err != nil {
				return lp.fail(lc, err)
			}
			if lp.active == 0 && len(lp.waiting) == 0 {
				break
			}
			n, err = lp.pacedWait(events)
		} else {
			n, err = syscall.EpollWait(ep, events, int(rawLoopTick/time.Millisecond))
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("client %d: epoll wait: %w", clients[0], err)
		}
		for _, ev := range events[:n] {
			lc := &lp.conns[ev.Fd]
			if ev.Events&syscall.EPOLLOUT != 0 && lc.out != nil {
				if err := lp.write(lc, lc.out); err != nil {
					return lp.fail(lc, err)
				}
			}
			if ev.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				if err := lp.readable(lc); err != nil {
					return lp.fail(lc, err)
				}
			}
		}
	}
	return nil
}

// issueDue (open loop) issues the operations due by now, or retires every waiting client
// when stop is done. It returns the client whose request could not be written, with why.
func (lp *rawLoop) issueDue() (*loopConn, error) {
	if lp.stop.Err() != nil {
		for len(lp.waiting) > 0 {
			lc := &lp.conns[lp.waiting.pop().slot]
			if err := lp.retire(lc); err != nil {
				return lc, err
			}
		}
		return nil, nil
	}
	now := time.Since(lp.base)
	for len(lp.waiting) > 0 && lp.waiting[0].due <= now {
		lc := &lp.conns[lp.waiting.pop().slot]
		if err := lp.issue(lc); err != nil {
			return lc, err
		}
		lc.l.rec.lag(lc.sent - lc.due)
	}
	return nil, nil
}

// pacedWait (open loop) waits for replies until the next due time, at most rawLoopTick,
// with a timeout in nanoseconds (epoll_pwait2), and returns the number of events.
func (lp *rawLoop) pacedWait(events []syscall.EpollEvent) (int, error) {
	wait := rawLoopTick
	if len(lp.waiting) > 0 {
		wait = max(0, min(wait, lp.waiting[0].due-time.Since(lp.base)))
	}
	if lp.pwait2 {
		n, err := epollPwait2(lp.ep, events, wait)
		if !errors.Is(err, syscall.ENOSYS) && !errors.Is(err, syscall.EPERM) {
			return n, err
		}
		lp.pwait2 = false
	}
	// Rounded down to the millisecond: within the last one before a due time, the loop
	// polls (costly, but on time).
	return syscall.EpollWait(lp.ep, events, int(wait/time.Millisecond))
}

// sysEpollPwait2 is epoll_pwait2(2)'s number, the same on every architecture Go runs on
// Linux but MIPS (where 441 is no system call, so ENOSYS: pacedWait falls back).
const sysEpollPwait2 = 441

// kernelTimespec is the kernel's struct __kernel_timespec, 64-bit fields everywhere.
type kernelTimespec struct{ sec, nsec int64 }

// epollPwait2 is epoll_wait(2) with a timeout in nanoseconds (Linux 5.11 and later).
func epollPwait2(ep int, events []syscall.EpollEvent, timeout time.Duration) (int, error) {
	ts := kernelTimespec{sec: int64(timeout / time.Second), nsec: int64(timeout % time.Second)}
	n, _, errno := syscall.Syscall6(sysEpollPwait2, uintptr(ep), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// prctl(2) options for the calling thread's timer slack.
const (
	prSetTimerSlack = 29
	prGetTimerSlack = 30
)

// lowTimerSlack locks the calling goroutine to its thread and sets the thread's timer slack
// to 1 ns, so that an open loop's waits end when asked and not up to 50 µs later (the
// default slack, which would count as latency). The function it returns restores both.
func lowTimerSlack() func() {
	runtime.LockOSThread()
	old, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prGetTimerSlack, 0, 0)
	if errno == 0 {
		_, _, errno = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
	}
	return func() {
		if errno == 0 {
			_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, old, 0)
		}
		runtime.UnlockOSThread()
	}
}

// issue writes lc's next operation, preceded by a ping in the same write when nothing went
// out for a third of the session timeout. Its latency runs from now, or in an open loop from
// its due time (then the client's slot moves on to its next operation).
func (lp *rawLoop) issue(lc *loopConn) error {
	now := time.Since(lp.base)
	lc.op = lc.l.next()
	if now-lc.sent > lc.c.pingEvery {
		lc.c.encodePingAnd(lc.op)
	} else {
		lc.c.encode(lc.op)
	}
	lc.xid = lc.c.xid
	lc.t0, lc.sent = now, now
	if p := lc.l.pace; p != nil {
		lc.t0 = lc.due
		lc.l.slot += p.clients
	}
	if !lc.busy {
		lc.busy = true
		lp.active++
	}
	return lp.write(lc, lc.c.enc.Bytes())
}

// write writes b, the rest of lc's request; what the socket does not take waits in lc.out
// for EPOLLOUT.
func (lp *rawLoop) write(lc *loopConn, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(lc.fd, b)
		switch {
		case err == nil:
			b = b[n:]
		case errors.Is(err, syscall.EINTR):
		case errors.Is(err, syscall.EAGAIN):
			if lc.out == nil {
				if err := lp.watch(lc, syscall.EPOLLOUT); err != nil {
					return err
				}
			}
			lc.out = b
			return nil
		default:
			return fmt.Errorf("send: %w", err)
		}
	}
	if lc.out != nil {
		lc.out = nil
		return lp.watch(lc, 0)
	}
	return nil
}

// watch sets the events lc's socket is watched for: replies, and extra (EPOLLOUT or 0).
func (lp *rawLoop) watch(lc *loopConn, extra uint32) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | extra, Fd: lc.slot}
	if err := syscall.EpollCtl(lp.ep, syscall.EPOLL_CTL_MOD, lc.fd, &ev); err != nil {
		return fmt.Errorf("epoll modify: %w", err)
	}
	return nil
}

// readable reads once from lc's socket, as much as it holds, and handles every whole frame
// buffered: the reply to the request in flight ends it (replied); notifications, ping replies
// and replies to abandoned requests are skipped.
func (lp *rawLoop) readable(lc *loopConn) error {
	rd := &lc.c.rd
	n, err := syscall.Read(lc.fd, rd.room(rd.need()))
	switch {
	case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EINTR):
		return nil
	case err != nil:
		return fmt.Errorf("read reply: %w", err)
	case n == 0 && rd.end > rd.start:
		return fmt.Errorf("read reply: %w", io.ErrUnexpectedEOF)
	case n == 0:
		return fmt.Errorf("read reply: %w", io.EOF)
	}
	rd.end += n
	for {
		frame, err := rd.frame()
		if err != nil || frame == nil {
			return err
		}
		h, _, err := lc.c.reply(frame)
		switch {
		case err != nil:
			return err
		case lc.busy && h.Xid == lc.xid:
			lc.c.lastZxid = max(lc.c.lastZxid, h.Zxid)
			if err := lp.replied(lc, h.Err); err != nil {
				return err
			}
		case skipReply(h.Xid, lc.xid):
		default:
			return fmt.Errorf("%w: reply xid %d while waiting for %d", errProtocol, h.Xid, lc.xid)
		}
	}
}

// replied ends lc's request with the reply's code: its latency or error is recorded, and
// unless stop is done the client goes on: at once in a closed loop, through queue in an
// open one.
func (lp *rawLoop) replied(lc *loopConn, code jute.Err) error {
	t1 := time.Since(lp.base)
	if code != jute.ErrOK {
		lc.l.record(t1-lc.t0, fmt.Errorf("%s %s: %w", lc.op, lc.l.node, code))
	} else {
		lc.l.record(t1-lc.t0, nil)
	}
	switch {
	case lp.stop.Err() != nil:
		return lp.retire(lc)
	case lc.l.pace != nil:
		return lp.queue(lc, t1)
	default:
		return lp.issue(lc)
	}
}

// queue (open loop) makes lc, with nothing in flight, wait for its next operation's due
// time, or issues it at once when it is due already (the client is behind); a client whose
// next operation falls after the schedule's end retires.
func (lp *rawLoop) queue(lc *loopConn, now time.Duration) error {
	p := lc.l.pace
	if p.over(lc.l.slot) {
		return lp.retire(lc)
	}
	lc.due = p.origin.Sub(lp.base) + p.at(lc.l.slot)
	if lc.due <= now {
		return lp.issue(lc)
	}
	if lc.busy {
		lc.busy = false
		lp.active--
	}
	lp.waiting.push(dueEntry{due: lc.due, slot: lc.slot})
	return nil
}

// retire ends lc's part in the run: nothing is in flight, and its socket leaves the loop's
// epoll set.
func (lp *rawLoop) retire(lc *loopConn) error {
	if lc.busy {
		lc.busy = false
		lp.active--
	}
	if err := syscall.EpollCtl(lp.ep, syscall.EPOLL_CTL_DEL, lc.fd, nil); err != nil {
		return fmt.Errorf("epoll delete: %w", err)
	}
	return nil
}

// fail ends the loop on lc's failed connection: the failure, wrapping ErrConnLost, is
// recorded and returned, unless the run was interrupted (parent done), which is no failure.
func (lp *rawLoop) fail(lc *loopConn, err error) error {
	if lp.parent.Err() != nil {
		return nil
	}
	err = lp.f.lost(lc.c, fmt.Errorf("%s %s: %w", lc.op, lc.l.node, err))
	lc.l.record(time.Since(lp.base)-lc.t0, err)
	return fmt.Errorf("client %d: %w", lc.i, err)
}

// giveBack returns every socket the loop took to a net.Conn of its client, and notes when
// each client last sent.
func (lp *rawLoop) giveBack() {
	for j := range lp.conns {
		lc := &lp.conns[j]
		if lc.c == nil {
			continue
		}
		lc.c.lastSend = lp.base.Add(lc.sent)
		if lc.fd >= 0 {
			lp.f.giveSocket(lc.c, lc.fd)
			lc.fd = -1
		}
	}
}

// takeSocket takes c's socket out of Go's network poller: it returns a duplicate of the
// descriptor (nonblocking, as Go left it) and closes c's net.Conn.
func (f *rawFleet) takeSocket(c *rawConn) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sc, err := c.nc.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("take socket: %w", err)
	}
	fd := -1
	var dupErr error
	err = sc.Control(func(s uintptr) {
		syscall.ForkLock.RLock() // no exec may inherit the duplicate before close-on-exec is set
		defer syscall.ForkLock.RUnlock()
		if fd, dupErr = syscall.Dup(int(s)); dupErr == nil {
			syscall.CloseOnExec(fd)
		}
	})
	if err = errors.Join(err, dupErr); err != nil {
		return -1, fmt.Errorf("take socket: %w", err)
	}
	_ = c.nc.Close() // the socket stays open through fd
	return fd, nil
}

// giveSocket hands fd, taken by takeSocket, to a new net.Conn of c (closing fd itself), which
// fails at once when the fleet was aborted meanwhile. When that fails, c keeps its closed
// net.Conn and closing its session fails (logged by close).
func (f *rawFleet) giveSocket(c *rawConn, fd int) {
	file := os.NewFile(uintptr(fd), c.addr)
	nc, err := net.FileConn(file)
	_ = file.Close()
	if err != nil {
		f.o.Logger.Debug("raw client: socket back to a net.Conn", "addr", c.addr, "err", err)
		return
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		nc.Close()
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c.nc, c.rd.r = tc, tc
	if f.aborted.Load() {
		_ = tc.SetDeadline(time.Unix(1, 0))
	}
}
