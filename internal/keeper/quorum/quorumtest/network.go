// Package quorumtest holds test doubles for package quorum: an in-memory
// Network whose transports can drop, delay, duplicate and partition raft
// messages. Fault decisions come from a generator seeded by the test, so a
// run with the same seed makes the same decisions for the same sequence of
// sends.
package quorumtest

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/zkafka/zkafka/internal/keeper/quorum"
)

// linkQueue bounds the messages in flight on one directed link; more are
// dropped, as a full TCP send queue drops them.
const linkQueue = 4096

// Network connects in-memory transports. The zero value is not usable; use
// NewNetwork.
type Network struct {
	mu        sync.Mutex
	rng       *rand.Rand
	eps       map[uint64]*Transport
	drop, dup float64
	minDelay  time.Duration
	maxDelay  time.Duration
	cut       map[[2]uint64]bool
	stats     Stats
}

// Stats counts what the network did.
type Stats struct {
	Sent, Delivered, Dropped, Duplicated int
}

// NewNetwork returns an empty network whose fault decisions are seeded with
// seed.
func NewNetwork(seed uint64) *Network {
	return &Network{
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		eps: map[uint64]*Transport{},
		cut: map[[2]uint64]bool{},
	}
}

// Transport returns a new transport for member id, replacing (and closing
// the delivery to) an earlier one with that id: a restarted server.
func (nw *Network) Transport(id uint64) *Transport {
	t := &Transport{nw: nw, id: id, links: map[uint64]*link{}, stop: make(chan struct{})}
	nw.mu.Lock()
	nw.eps[id] = t
	nw.mu.Unlock()
	return t
}

// SetDropRate makes each message be lost with probability p.
func (nw *Network) SetDropRate(p float64) { nw.mu.Lock(); nw.drop = p; nw.mu.Unlock() }

// SetDuplicateRate makes each message be delivered twice with probability p.
func (nw *Network) SetDuplicateRate(p float64) { nw.mu.Lock(); nw.dup = p; nw.mu.Unlock() }

// SetDelay delays each message by a duration drawn uniformly from
// [min, max]. Messages on one link stay in order.
func (nw *Network) SetDelay(min, max time.Duration) {
	nw.mu.Lock()
	nw.minDelay, nw.maxDelay = min, max
	nw.mu.Unlock()
}

// Cut stops messages from one member to another (one direction).
func (nw *Network) Cut(from, to uint64) {
	nw.mu.Lock()
	nw.cut[[2]uint64{from, to}] = true
	nw.mu.Unlock()
}

// Partition cuts every link between members of different groups. Members
// in no group keep their links.
func (nw *Network) Partition(groups ...[]uint64) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	for i, g := range groups {
		for j, h := range groups {
			if i == j {
				continue
			}
			for _, a := range g {
				for _, b := range h {
					nw.cut[[2]uint64{a, b}] = true
				}
			}
		}
	}
}

// Isolate cuts every link to and from the given members.
func (nw *Network) Isolate(ids ...uint64) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	for _, a := range ids {
		for b := range nw.eps {
			if a != b {
				nw.cut[[2]uint64{a, b}], nw.cut[[2]uint64{b, a}] = true, true
			}
		}
	}
}

// Heal restores every link.
func (nw *Network) Heal() { nw.mu.Lock(); clear(nw.cut); nw.mu.Unlock() }

// Stats returns the counters so far.
func (nw *Network) Stats() Stats { nw.mu.Lock(); defer nw.mu.Unlock(); return nw.stats }

// item is one message on a link.
type item struct {
	data []byte
	at   time.Time
	snap bool
}

type link struct {
	to uint64
	q  chan item
}

// Transport is one member's end of the Network; it implements
// quorum.Transport.
type Transport struct {
	nw *Network
	id uint64

	mu       sync.Mutex
	h        quorum.Handler
	links    map[uint64]*link
	closed   bool
	stop     chan struct{}
	wg       sync.WaitGroup // link goroutines
	inflight sync.WaitGroup // deliveries into h
}

var _ quorum.Transport = (*Transport)(nil)

// Start implements quorum.Transport.
func (t *Transport) Start(h quorum.Handler) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.h != nil {
		return errors.New("quorumtest: transport started twice")
	}
	t.h = h
	return nil
}

// AddPeer implements quorum.Transport: the network needs no addresses.
func (t *Transport) AddPeer(id uint64, addr string) {}

// RemovePeer implements quorum.Transport.
func (t *Transport) RemovePeer(id uint64) {}

// Send implements quorum.Transport.
func (t *Transport) Send(msgs []*raftpb.Message) {
	for _, m := range msgs {
		data, err := proto.Marshal(m)
		if err != nil {
			panic("quorumtest: marshal raft message: " + err.Error())
		}
		snap := m.GetType() == raftpb.MessageType_MsgSnap
		nw := t.nw
		nw.mu.Lock()
		nw.stats.Sent++
		copies := 1
		if nw.drop > 0 && nw.rng.Float64() < nw.drop {
			copies = 0
		} else if nw.dup > 0 && nw.rng.Float64() < nw.dup {
			copies = 2
			nw.stats.Duplicated++
		}
		delay := nw.minDelay
		if nw.maxDelay > nw.minDelay {
			delay += time.Duration(nw.rng.Int64N(int64(nw.maxDelay - nw.minDelay + 1)))
		}
		if copies == 0 {
			nw.stats.Dropped++
		}
		nw.mu.Unlock()
		if copies == 0 {
			if snap {
				t.report(func(h quorum.Handler) { h.ReportSnapshot(m.GetTo(), raft.SnapshotFailure) })
			}
			continue
		}
		l := t.link(m.GetTo())
		if l == nil {
			return
		}
		for range copies {
			select {
			case l.q <- item{data: data, at: time.Now().Add(delay), snap: snap}:
			default:
				nw.mu.Lock()
				nw.stats.Dropped++
				nw.mu.Unlock()
				t.report(func(h quorum.Handler) { h.ReportUnreachable(m.GetTo()) })
			}
		}
	}
}

// report calls fn with the handler unless the transport is closed.
func (t *Transport) report(fn func(quorum.Handler)) {
	t.mu.Lock()
	if t.closed || t.h == nil {
		t.mu.Unlock()
		return
	}
	h := t.h
	t.inflight.Add(1)
	t.mu.Unlock()
	defer t.inflight.Done()
	fn(h)
}

func (t *Transport) link(to uint64) *link {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	l := t.links[to]
	if l == nil {
		l = &link{to: to, q: make(chan item, linkQueue)}
		t.links[to] = l
		t.wg.Add(1)
		go t.deliver(l)
	}
	return l
}

// deliver is the goroutine of one link; the sending Transport owns it.
func (t *Transport) deliver(l *link) {
	defer t.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var it item
		select {
		case it = <-l.q:
		case <-t.stop:
			return
		}
		if d := time.Until(it.at); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-t.stop:
				return
			}
		}
		ok := t.nw.handTo(t.id, l.to, it.data)
		switch {
		case it.snap && ok:
			t.report(func(h quorum.Handler) { h.ReportSnapshot(l.to, raft.SnapshotFinish) })
		case it.snap:
			t.report(func(h quorum.Handler) { h.ReportSnapshot(l.to, raft.SnapshotFailure) })
		case !ok:
			t.report(func(h quorum.Handler) { h.ReportUnreachable(l.to) })
		}
	}
}

// handTo delivers a message unless the link is cut or the recipient gone.
func (nw *Network) handTo(from, to uint64, data []byte) bool {
	nw.mu.Lock()
	dst := nw.eps[to]
	if nw.cut[[2]uint64{from, to}] || dst == nil {
		nw.stats.Dropped++
		nw.mu.Unlock()
		return false
	}
	nw.stats.Delivered++
	nw.mu.Unlock()
	m := &raftpb.Message{}
	if err := proto.Unmarshal(data, m); err != nil {
		panic("quorumtest: unmarshal raft message: " + err.Error())
	}
	dst.mu.Lock()
	if dst.closed || dst.h == nil {
		dst.mu.Unlock()
		return false
	}
	h := dst.h
	dst.inflight.Add(1)
	dst.mu.Unlock()
	defer dst.inflight.Done()
	h.Process(m)
	return true
}

// Close implements quorum.Transport: the member leaves the network. The
// other members' handlers that implement quorum.PeerDownHandler hear that it
// is down, as a TCP peer notices a closed connection and a refused port
// (cutting links with Cut, Partition or Isolate signals nothing: a real
// partition closes no connection).
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	close(t.stop)
	t.mu.Unlock()
	t.nw.mu.Lock()
	var peers []*Transport
	if t.nw.eps[t.id] == t {
		delete(t.nw.eps, t.id)
		for _, p := range t.nw.eps {
			peers = append(peers, p)
		}
	}
	t.nw.mu.Unlock()
	t.wg.Wait()
	t.inflight.Wait()
	slices.SortFunc(peers, func(a, b *Transport) int { return cmp.Compare(a.id, b.id) })
	for _, p := range peers {
		p.report(func(h quorum.Handler) {
			if pd, ok := h.(quorum.PeerDownHandler); ok {
				pd.ReportPeerDown(t.id)
			}
		})
	}
	return nil
}
