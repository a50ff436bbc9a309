package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkafka/zkafka/internal/config"
	"github.com/zkafka/zkafka/internal/keeper/quorum"
	"github.com/zkafka/zkafka/internal/keeper/quorum/quorumtest"
	"github.com/zkafka/zkafka/internal/testkit/wait"
)

// testEnsemble is an in-process ensemble whose members talk over a
// quorumtest.Network and serve clients on 127.0.0.1:0.
type testEnsemble struct {
	t       *testing.T
	nw      *quorumtest.Network
	tick    time.Duration
	members []quorum.Member
	dirs    map[uint64]string
	servers map[uint64]*Server
	mod     func(*Options) // applied to every member's options
}

const ensembleTick = 200 * time.Millisecond

func newTestEnsemble(t *testing.T, n int, mod ...func(*Options)) *testEnsemble {
	t.Helper()
	return newTestEnsembleObservers(t, n, 0, mod...)
}

// newTestEnsembleObservers starts n voters and then observers learners.
func newTestEnsembleObservers(t *testing.T, n, observers int, mod ...func(*Options)) *testEnsemble {
	t.Helper()
	te := &testEnsemble{t: t, nw: quorumtest.NewNetwork(uint64(n)), tick: ensembleTick,
		dirs: map[uint64]string{}, servers: map[uint64]*Server{}}
	if len(mod) > 0 {
		te.mod = mod[0]
	}
	for id := uint64(1); id <= uint64(n+observers); id++ {
		te.members = append(te.members, quorum.Member{ID: id, Addr: fmt.Sprintf("mem:%d", id), Learner: id > uint64(n)})
		te.dirs[id] = t.TempDir()
	}
	for _, m := range te.members {
		te.start(m.ID)
	}
	t.Cleanup(func() {
		for id := range te.servers {
			te.stop(id)
		}
	})
	te.waitLeader()
	return te
}

// start starts (or restarts) member id on its data directory.
func (te *testEnsemble) start(id uint64) *Server {
	te.t.Helper()
	o := Options{
		ClientAddr:      "127.0.0.1:0",
		DataDir:         te.dirs[id],
		TickTime:        te.tick,
		FourLetterWords: []string{"*"},
		Ensemble: &EnsembleOptions{
			ID: id, Members: te.members, Transport: te.nw.Transport(id),
			ProposalTimeout: 2 * time.Second,
		},
	}
	if testing.Verbose() {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("member", id)
	}
	if te.mod != nil {
		te.mod(&o)
	}
	s, err := New(o)
	if err != nil {
		te.t.Fatalf("New(member %d): %v", id, err)
	}
	if err := s.Start(); err != nil {
		te.t.Fatalf("Start(member %d): %v", id, err)
	}
	te.servers[id] = s
	return s
}

// stop closes member id (a crash as far as the others can tell).
func (te *testEnsemble) stop(id uint64) {
	if s := te.servers[id]; s != nil {
		if err := s.Close(); err != nil {
			te.t.Logf("close member %d: %v", id, err)
		}
		delete(te.servers, id)
	}
}

// waitLeader waits until every running member knows the same leader and
// returns its id.
func (te *testEnsemble) waitLeader() uint64 {
	te.t.Helper()
	var lead uint64
	wait.For(te.t, 15*time.Second, "a leader known to every running member", func() bool {
		lead = 0
		for _, s := range te.servers {
			st := s.ens.node.Status()
			if st.Leader == 0 || (lead != 0 && st.Leader != lead) {
				return false
			}
			lead = st.Leader
		}
		return lead != 0 && te.servers[lead] != nil && te.servers[lead].mode() == "leader"
	})
	return lead
}

// follower returns the id of a running member that is not the leader.
func (te *testEnsemble) follower(lead uint64) uint64 {
	for _, m := range te.members {
		if m.ID != lead && te.servers[m.ID] != nil {
			return m.ID
		}
	}
	te.t.Fatal("no follower running")
	return 0
}

func (te *testEnsemble) addr(id uint64) string { return te.servers[id].Addr().String() }

func (te *testEnsemble) addrs() []string {
	var out []string
	for _, m := range te.members {
		if s := te.servers[m.ID]; s != nil {
			out = append(out, s.Addr().String())
		}
	}
	return out
}

// connectTo opens a session with the given servers (in that order).
func connectTo(t *testing.T, addrs []string, timeout time.Duration) (*zk.Conn, <-chan zk.Event) {
	t.Helper()
	c, ev, err := zk.Connect(addrs, timeout, zk.WithLogger(nopLogger{}), zk.WithHostProvider(&orderedHosts{}))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(15 * time.Second)
	for c.State() != zk.StateHasSession {
		select {
		case <-ev:
		case <-deadline:
			t.Fatalf("no session with %v after 15s (state %v)", addrs, c.State())
		}
	}
	return c, ev
}

// orderedHosts is a zk.HostProvider that tries the servers in the order
// given, round-robin (go-zookeeper's default shuffles them).
type orderedHosts struct {
	addrs []string
	next  int
	tried int
}

func (h *orderedHosts) Init(servers []string) error {
	h.addrs = slices.Clone(servers)
	return nil
}
func (h *orderedHosts) Len() int { return len(h.addrs) }
func (h *orderedHosts) Next() (string, bool) {
	a := h.addrs[h.next%len(h.addrs)]
	h.next++
	h.tried++
	return a, h.tried >= len(h.addrs)
}
func (h *orderedHosts) Connected() { h.tried = 0 }

func mustCreate(t *testing.T, c *zk.Conn, path string, data []byte, flags int32) string {
	t.Helper()
	p, err := c.Create(path, data, flags, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	return p
}

func TestEnsembleReplicatesWrites(t *testing.T) {
	te := newTestEnsemble(t, 3)
	lead := te.waitLeader()
	clients := map[uint64]*zk.Conn{}
	for _, m := range te.members {
		clients[m.ID], _ = connectTo(t, []string{te.addr(m.ID)}, 4*time.Second)
	}
	// A write on a follower and one on the leader, each visible on every
	// member after sync; the sequence counter is the ensemble's.
	f := te.follower(lead)
	mustCreate(t, clients[f], "/app", []byte("v1"), 0)
	p1 := mustCreate(t, clients[f], "/app/seq-", nil, zk.FlagSequence)
	p2 := mustCreate(t, clients[lead], "/app/seq-", nil, zk.FlagSequence)
	if p1 != "/app/seq-0000000000" || p2 != "/app/seq-0000000001" {
		t.Fatalf("sequential names %s, %s", p1, p2)
	}
	if _, err := clients[lead].Set("/app", []byte("v2"), 0); err != nil {
		t.Fatal(err)
	}
	// A refused conditional write is answered through the quorum too.
	if _, err := clients[f].Set("/app", []byte("nope"), 0); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("set with a stale version: %v, want ErrBadVersion", err)
	}
	for id, c := range clients {
		if _, err := c.Sync("/app"); err != nil {
			t.Fatalf("sync on member %d: %v", id, err)
		}
		data, st, err := c.Get("/app")
		if err != nil || string(data) != "v2" || st.Version != 1 || st.NumChildren != 2 {
			t.Fatalf("member %d: /app = %q %+v %v", id, data, st, err)
		}
	}
	// Modes as ZooKeeper reports them.
	modes := map[string]int{}
	for id := range te.servers {
		out := ask4lw(t, te.addr(id), "srvr")
		for _, line := range strings.Split(out, "\n") {
			if m, ok := strings.CutPrefix(line, "Mode: "); ok {
				modes[m]++
			}
		}
		mntr := ask4lw(t, te.addr(id), "mntr")
		want := "zk_server_state\tfollower\n"
		if id == lead {
			want = "zk_server_state\tleader\n"
			if !strings.Contains(mntr, "zk_synced_followers\t2\n") || !strings.Contains(mntr, "zk_pending_syncs\t0\n") {
				t.Errorf("leader's mntr lacks synced followers or pending syncs:\n%s", mntr)
			}
		}
		if !strings.Contains(mntr, want) || !strings.Contains(mntr, "zk_quorum_size\t3\n") {
			t.Errorf("member %d mntr lacks %q or quorum size:\n%s", id, want, mntr)
		}
	}
	if modes["leader"] != 1 || modes["follower"] != 2 {
		t.Fatalf("modes %v", modes)
	}
}

// rawEphemeral opens a session with a raw connection (so that it can stop
// pinging) and creates an ephemeral node at path on it.
func rawEphemeral(t *testing.T, addr, path string, timeoutMs int32) io.Closer {
	t.Helper()
	nc := rawConnect(t, addr, timeoutMs)
	body := []byte{}
	body = binary.BigEndian.AppendUint32(body, 1) // xid
	body = binary.BigEndian.AppendUint32(body, 1) // create
	body = binary.BigEndian.AppendUint32(body, uint32(len(path)))
	body = append(body, path...)
	body = binary.BigEndian.AppendUint32(body, 0xffffffff) // null data
	body = binary.BigEndian.AppendUint32(body, 1)          // one ACL
	body = binary.BigEndian.AppendUint32(body, 31)
	body = binary.BigEndian.AppendUint32(body, 5)
	body = append(body, "world"...)
	body = binary.BigEndian.AppendUint32(body, 6)
	body = append(body, "anyone"...)
	body = binary.BigEndian.AppendUint32(body, 1) // ephemeral
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	nc.Write(append(frame, body...))
	var hdr [20]byte // length, xid, zxid, err
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(nc, hdr[:]); err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	if code := int32(binary.BigEndian.Uint32(hdr[16:])); code != 0 {
		t.Fatalf("create %s: error %d", path, code)
	}
	return nc
}

func TestEnsembleEphemeralsVanishEverywhere(t *testing.T) {
	te := newTestEnsemble(t, 3)
	lead := te.waitLeader()
	f := te.follower(lead)
	type watcher struct {
		id uint64
		c  *zk.Conn
	}
	var ws []watcher
	for _, m := range te.members {
		c, _ := connectTo(t, []string{te.addr(m.ID)}, 4*time.Second)
		ws = append(ws, watcher{m.ID, c})
	}
	// Closed session: its ephemeral goes, and every member fires the watch.
	owner, _ := connectTo(t, []string{te.addr(f)}, 4*time.Second)
	mustCreate(t, owner, "/closed", nil, zk.FlagEphemeral)
	// Expired session: created on a follower, then silent; the leader
	// expires it from the touches it no longer gets.
	silent := rawEphemeral(t, te.addr(f), "/expired", 400)
	defer silent.Close()
	var chans []<-chan zk.Event
	for _, w := range ws {
		for _, p := range []string{"/closed", "/expired"} {
			if _, err := w.c.Sync(p); err != nil {
				t.Fatal(err)
			}
			ok, _, ch, err := w.c.ExistsW(p)
			if err != nil || !ok {
				t.Fatalf("member %d: %s exists=%v err=%v", w.id, p, ok, err)
			}
			chans = append(chans, ch)
		}
	}
	owner.Close()
	for i, ch := range chans {
		select {
		case ev := <-ch:
			if ev.Type != zk.EventNodeDeleted {
				t.Fatalf("watch %d: %+v", i, ev)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("watch %d (member %d) did not fire", i, ws[i/2].id)
		}
	}
	for _, w := range ws {
		for _, p := range []string{"/closed", "/expired"} {
			if ok, _, err := w.c.Exists(p); err != nil || ok {
				t.Fatalf("member %d: %s still exists (%v)", w.id, p, err)
			}
		}
	}
}

func TestEnsembleSurvivesLeaderFailure(t *testing.T) {
	te := newTestEnsemble(t, 3)
	lead := te.waitLeader()
	c, _ := connectTo(t, te.addrs(), 10*time.Second)
	mustCreate(t, c, "/q", nil, 0)
	var acked []string
	for range 5 {
		acked = append(acked, mustCreate(t, c, "/q/n-", nil, zk.FlagSequence))
	}
	te.stop(lead)
	start := time.Now()
	newLead := te.waitLeader()
	t.Logf("member %d took over from %d after %v (tickTime %v)", newLead, lead, time.Since(start), te.tick)
	// Writes go on (the client reconnects), the counter continues.
	for len(acked) < 10 {
		p, err := c.Create("/q/n-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
		if err != nil {
			continue // connection loss while the client moves: try again
		}
		acked = append(acked, p)
	}
	// The old leader comes back and catches up.
	te.start(lead)
	te.waitLeader()
	back, _ := connectTo(t, []string{te.addr(lead)}, 4*time.Second)
	if _, err := back.Sync("/q"); err != nil {
		t.Fatal(err)
	}
	kids, _, err := back.Children("/q")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range acked {
		if !slices.Contains(kids, strings.TrimPrefix(p, "/q/")) {
			t.Fatalf("acknowledged %s lost: restarted member has %v", p, kids)
		}
	}
	seqs := map[string]bool{}
	for _, p := range acked {
		if seqs[p] {
			t.Fatalf("sequence number reused: %s in %v", p, acked)
		}
		seqs[p] = true
	}
}

func TestEnsembleMinorityServesNoWrites(t *testing.T) {
	te := newTestEnsemble(t, 3)
	lead := te.waitLeader()
	f := te.follower(lead)
	c, _ := connectTo(t, []string{te.addr(f)}, 4*time.Second)
	mustCreate(t, c, "/before", nil, 0)
	te.nw.Isolate(f)
	// The isolated member loses its leader and drops its clients; nothing
	// it is asked to write is acknowledged.
	wait.For(t, 10*time.Second, "the isolated member to lose its leader", func() bool {
		return te.servers[f].ens.node.Status().Leader == 0
	})
	if _, err := c.Create("/during", nil, 0, zk.WorldACL(zk.PermAll)); err == nil {
		t.Fatal("the isolated member acknowledged a write")
	}
	if out := ask4lw(t, te.addr(f), "srvr"); !strings.Contains(out, "not currently serving") {
		t.Fatalf("srvr on the isolated member: %q", out)
	}
	// The majority goes on.
	others := []string{}
	for id := range te.servers {
		if id != f {
			others = append(others, te.addr(id))
		}
	}
	m, _ := connectTo(t, others, 4*time.Second)
	mustCreate(t, m, "/majority", nil, 0)
	te.nw.Heal()
	te.waitLeader()
	wait.For(t, 15*time.Second, "the healed member to catch up", func() bool {
		s := te.servers[f]
		s.db.mu.RLock()
		defer s.db.mu.RUnlock()
		_, ok := s.db.tree.Exists("/majority")
		return ok
	})
	s := te.servers[f]
	s.db.mu.RLock()
	_, during := s.db.tree.Exists("/during")
	s.db.mu.RUnlock()
	if during {
		t.Fatal("a write sent to the isolated member was applied after it rejoined (it was never acknowledged, but it must not be kept either)")
	}
}

func TestEnsembleFromConfig(t *testing.T) {
	cfg := `tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zk
clientPort=2181
quorumListenOnAllIPs=true
server.1=zk1:2888:3888
server.2=zk2:2889:3889
server.3=zk3:2890:3890:observer
`
	k, _, err := config.ParseKeeper(strings.NewReader(cfg), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.SetServerID(2); err != nil {
		t.Fatal(err)
	}
	e := OptionsFromConfig(k, nil).Ensemble
	if e == nil {
		t.Fatal("a quorum configuration gave no ensemble options")
	}
	want := []quorum.Member{{ID: 1, Addr: "zk1:2888"}, {ID: 2, Addr: "zk2:2889"}, {ID: 3, Addr: "zk3:2890", Learner: true}}
	if e.ID != 2 || e.PeerAddr != ":2889" || !slices.Equal(e.Members, want) || e.InitLimit != 10 || e.SyncLimit != 5 {
		t.Fatalf("ensemble options %+v", e)
	}
	standalone, _, err := config.ParseKeeper(strings.NewReader("dataDir=/d\nclientPort=2181\n"), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if OptionsFromConfig(standalone, nil).Ensemble != nil {
		t.Fatal("a standalone configuration gave ensemble options")
	}
}

// TestEnsembleCatchUpBySnapshot: a member down while the others write
// past their compacted log comes back through the leader's snapshot
// (Restore), sessions and ephemerals included; then every member restarts
// from its own snapshot and log.
func TestEnsembleCatchUpBySnapshot(t *testing.T) {
	te := newTestEnsemble(t, 3, func(o *Options) {
		o.SnapCount = 20
		o.Ensemble.CompactionSlack = 5
	})
	lead := te.waitLeader()
	f := te.follower(lead)
	te.stop(f)
	c, _ := connectTo(t, []string{te.addr(lead)}, 4*time.Second)
	mustCreate(t, c, "/eph", []byte("mine"), zk.FlagEphemeral)
	mustCreate(t, c, "/s", nil, 0)
	for i := range 60 {
		if _, err := c.Set("/s", fmt.Appendf(nil, "v%d", i), int32(i)); err != nil {
			t.Fatal(err)
		}
	}
	wait.For(t, 10*time.Second, "the leader to compact its log past the stopped member", func() bool {
		idxs, err := te.servers[lead].snaps.List()
		return err == nil && len(idxs) > 0
	})
	back := te.start(f)
	check := func(s *Server) bool {
		s.db.mu.RLock()
		defer s.db.mu.RUnlock()
		data, _, e := s.db.tree.GetData("/s", nil)
		_, eph := s.db.tree.Exists("/eph")
		return e == 0 && string(data) == "v59" && eph && len(s.db.tree.Sessions()) == 1
	}
	wait.For(t, 15*time.Second, "the restarted member to catch up", func() bool { return check(back) })
	// The restored session works on the member that restored it.
	c2, _ := connectTo(t, []string{te.addr(f)}, 4*time.Second)
	if _, err := c2.Set("/s", []byte("after"), 60); err != nil {
		t.Fatal(err)
	}
	// Every member restarts from its own snapshot and log.
	for _, m := range te.members {
		te.stop(m.ID)
	}
	for _, m := range te.members {
		te.start(m.ID)
	}
	te.waitLeader()
	for _, m := range te.members {
		s := te.servers[m.ID]
		wait.For(t, 15*time.Second, "a restarted member to hold the last write", func() bool {
			s.db.mu.RLock()
			defer s.db.mu.RUnlock()
			data, _, _ := s.db.tree.GetData("/s", nil)
			return string(data) == "after"
		})
	}
}

func TestEnsembleObserver(t *testing.T) {
	te := newTestEnsembleObservers(t, 3, 1)
	lead := te.waitLeader()
	obs, _ := connectTo(t, []string{te.addr(4)}, 4*time.Second)
	mustCreate(t, obs, "/from-observer", []byte("x"), 0)
	c, _ := connectTo(t, []string{te.addr(lead)}, 4*time.Second)
	if data, _, err := c.Get("/from-observer"); err != nil || string(data) != "x" {
		t.Fatalf("write through the observer: %q %v", data, err)
	}
	if out := ask4lw(t, te.addr(4), "srvr"); !strings.Contains(out, "Mode: observer\n") {
		t.Fatalf("observer's srvr:\n%s", out)
	}
	wait.For(t, 10*time.Second, "the leader to count a synced observer", func() bool {
		mntr := ask4lw(t, te.addr(lead), "mntr")
		return strings.Contains(mntr, "zk_synced_observers\t1\n") && strings.Contains(mntr, "zk_synced_followers\t2\n") &&
			strings.Contains(mntr, "zk_quorum_size\t3\n")
	})
	// An observer never leads: stop the leader, the new one is a voter.
	te.stop(lead)
	if l := te.waitLeader(); l == 4 {
		t.Fatal("the observer became leader")
	}
}

func TestEnsembleContainersAndTTL(t *testing.T) {
	te := newTestEnsemble(t, 3, func(o *Options) {
		o.ExtendedTypes = true
		o.ContainerCheckInterval = 100 * time.Millisecond
	})
	lead := te.waitLeader()
	f := te.follower(lead)
	c, _ := connectTo(t, []string{te.addr(f)}, 4*time.Second)
	if _, err := c.CreateContainer("/box", nil, zk.FlagContainer, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, c, "/box/item", nil, 0)
	if err := c.Delete("/box/item", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTTL("/ttl", nil, zk.FlagTTL, zk.WorldACL(zk.PermAll), 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	wait.For(t, 10*time.Second, "the emptied container and the expired TTL node to be deleted on every member", func() bool {
		for _, s := range te.servers {
			s.db.mu.RLock()
			_, box := s.db.tree.Exists("/box")
			_, ttl := s.db.tree.Exists("/ttl")
			s.db.mu.RUnlock()
			if box || ttl {
				return false
			}
		}
		return true
	})
}
