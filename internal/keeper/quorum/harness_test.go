package quorum_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/quorum"
	"github.com/zkafka/zkafka/internal/keeper/quorum/quorumtest"
	"github.com/zkafka/zkafka/internal/keeper/storage"
	"github.com/zkafka/zkafka/internal/testkit/wait"
)

const testTick = 100 * time.Millisecond // raft tick 10ms, election timeout 100-200ms

// kv is a key/value Applier: entries are "key=value".
type kv struct {
	t        testing.TB
	mu       sync.Mutex
	data     map[string]string
	last     uint64 // last applied or restored index
	restores int
	confs    int
	applies  int // calls of Apply
}

func newKV(t testing.TB) *kv { return &kv{t: t, data: map[string]string{}} }

func (k *kv) Apply(ents []quorum.Entry) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.applies++
	for _, e := range ents {
		if e.Index <= k.last {
			k.t.Errorf("entry %d applied after %d", e.Index, k.last)
		}
		k.last = e.Index
		if e.Conf != nil {
			k.confs++
			continue
		}
		key, val, ok := strings.Cut(string(e.Data), "=")
		if !ok {
			k.t.Errorf("entry %d: bad data %q", e.Index, e.Data)
			continue
		}
		k.data[key] = val
	}
}

type kvSnap struct {
	Last uint64
	Data map[string]string
}

func (k *kv) Snapshot() (func(io.Writer) error, error) {
	k.mu.Lock()
	s := kvSnap{Last: k.last, Data: maps.Clone(k.data)}
	k.mu.Unlock()
	return func(w io.Writer) error { return json.NewEncoder(w).Encode(s) }, nil
}

func (k *kv) Restore(index, term uint64, r io.Reader) error {
	var s kvSnap
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return err
	}
	if s.Last != index {
		return fmt.Errorf("snapshot of index %d restored as %d", s.Last, index)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.data, k.last = s.Data, index
	k.restores++
	return nil
}

func (k *kv) get(key string) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.data[key]
	return v, ok
}

func (k *kv) applyCalls() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.applies
}

func (k *kv) snapshot() map[string]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return maps.Clone(k.data)
}

func (k *kv) restoreCount() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.restores
}

// cluster is an ensemble on a quorumtest.Network, each member on its own
// MemFS.
type cluster struct {
	t       *testing.T
	net     *quorumtest.Network
	members []quorum.Member
	fs      map[uint64]*storage.MemFS
	apps    map[uint64]*kv
	nodes   map[uint64]*quorum.Node
	tune    func(*quorum.Config)
	// transport makes member id's transport; nil means the in-memory
	// network.
	transport func(id uint64) quorum.Transport
}

func newCluster(t *testing.T, voters, learners int, seed uint64, tune func(*quorum.Config)) *cluster {
	var addrs []string
	for i := 1; i <= voters+learners; i++ {
		addrs = append(addrs, fmt.Sprintf("mem-%d", i))
	}
	return newClusterOn(t, voters, addrs, seed, tune, nil)
}

// newClusterOn starts len(addrs) members, the first voters of them voters,
// member i+1 at addrs[i].
func newClusterOn(t *testing.T, voters int, addrs []string, seed uint64, tune func(*quorum.Config), transport func(uint64) quorum.Transport) *cluster {
	c := &cluster{
		t: t, net: quorumtest.NewNetwork(seed), tune: tune, transport: transport,
		fs: map[uint64]*storage.MemFS{}, apps: map[uint64]*kv{}, nodes: map[uint64]*quorum.Node{},
	}
	for i, a := range addrs {
		c.members = append(c.members, quorum.Member{ID: uint64(i + 1), Addr: a, Learner: i >= voters})
	}
	for _, m := range c.members {
		c.fs[m.ID] = storage.NewMemFS()
		c.start(m.ID)
	}
	t.Cleanup(func() {
		for id := range c.nodes {
			c.stop(id)
		}
	})
	return c
}

func (c *cluster) config(id uint64) quorum.Config {
	cfg := quorum.Config{
		ID: id, Members: c.members, TickTime: testTick,
		FS: c.fs[id], DataDir: "/data", LogDir: "/log",
		Applier:   c.apps[id],
		SnapCount: 1 << 30,
	}
	if c.transport != nil {
		cfg.Transport = c.transport(id)
	} else {
		cfg.Transport = c.net.Transport(id)
	}
	if c.tune != nil {
		c.tune(&cfg)
	}
	return cfg
}

// start starts member id from what its file system holds.
func (c *cluster) start(id uint64) *quorum.Node {
	c.t.Helper()
	c.apps[id] = newKV(c.t)
	n, err := quorum.Start(c.config(id))
	if err != nil {
		c.t.Fatalf("start %d: %v", id, err)
	}
	c.nodes[id] = n
	return n
}

// stop closes member id cleanly.
func (c *cluster) stop(id uint64) {
	c.t.Helper()
	if n := c.nodes[id]; n != nil {
		if err := n.Close(); err != nil {
			c.t.Errorf("close %d: %v", id, err)
		}
		delete(c.nodes, id)
	}
}

// crash stops member id as a power loss would: its disk keeps only what was
// synced.
func (c *cluster) crash(id uint64) {
	c.t.Helper()
	clone := c.fs[id].CrashClone()
	c.stop(id)
	c.fs[id] = clone
}

// leader waits until every running member in ids (all running when empty)
// agrees on one leader that considers itself leader, and returns it.
func (c *cluster) leader(ids ...uint64) uint64 {
	c.t.Helper()
	if len(ids) == 0 {
		for id := range c.nodes {
			ids = append(ids, id)
		}
	}
	var lead uint64
	wait.For(c.t, 15*time.Second, "a leader", func() bool {
		lead = 0
		for _, id := range ids {
			st := c.nodes[id].Status()
			if st.Leader == 0 || (lead != 0 && st.Leader != lead) {
				return false
			}
			lead = st.Leader
		}
		ln := c.nodes[lead]
		return ln != nil && ln.Status().Role == quorum.RoleLeader
	})
	return lead
}

// write proposes key=value through member via and waits until via applied
// it, retrying lost proposals.
func (c *cluster) write(via uint64, key, value string) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := c.nodes[via].Propose(ctx, []byte(key+"="+value))
		if err == nil {
			for ctx.Err() == nil {
				if v, ok := c.apps[via].get(key); ok && v == value {
					cancel()
					return
				}
				time.Sleep(2 * time.Millisecond)
			}
		} else if !errors.Is(err, quorum.ErrNoLeader) && !errors.Is(err, quorum.ErrDropped) && !errors.Is(err, context.DeadlineExceeded) {
			cancel()
			c.t.Fatalf("propose via %d: %v", via, err)
		} else {
			time.Sleep(testTick / 10)
		}
		cancel()
	}
	c.t.Fatalf("write %s=%s via %d not applied in time", key, value, via)
}

// converged waits until the given members hold exactly want.
func (c *cluster) converged(want map[string]string, ids ...uint64) {
	c.t.Helper()
	for _, id := range ids {
		wait.For(c.t, 20*time.Second, fmt.Sprintf("member %d to hold %d keys", id, len(want)), func() bool {
			return maps.Equal(c.apps[id].snapshot(), want)
		})
	}
}

func (c *cluster) running() []uint64 {
	var ids []uint64
	for id := range c.nodes {
		ids = append(ids, id)
	}
	return ids
}

func newMemFS() *storage.MemFS { return storage.NewMemFS() }
