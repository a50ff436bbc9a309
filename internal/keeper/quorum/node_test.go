package quorum_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/quorum"
	"github.com/zkafka/zkafka/internal/testkit/wait"
)

func TestReplication(t *testing.T) {
	for _, size := range []int{3, 5} {
		t.Run(fmt.Sprintf("%d-nodes", size), func(t *testing.T) {
			c := newCluster(t, size, 0, uint64(size), nil)
			lead := c.leader()
			want := map[string]string{}
			for i := range 30 {
				via := uint64(i%size) + 1 // followers forward to the leader
				k, v := fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i)
				c.write(via, k, v)
				want[k] = v
			}
			c.converged(want, c.running()...)
			st := c.nodes[lead].Status()
			if st.Role != quorum.RoleLeader || len(st.Members) != size {
				t.Fatalf("leader status %+v", st)
			}
			wait.For(t, 5*time.Second, "followers reported synced", func() bool {
				st := c.nodes[lead].Status()
				synced := 0
				for _, f := range st.Followers {
					if f.Synced {
						synced++
					}
				}
				return synced == size-1 && c.nodes[lead].Status().Role == quorum.RoleLeader
			})
			// Every member applied the same log: same index, same zxid.
			wait.For(t, 5*time.Second, "equal applied indexes", func() bool {
				a := c.nodes[1].Status()
				for _, id := range c.running() {
					if s := c.nodes[id].Status(); s.Applied != a.Applied || s.AppliedZxid != a.AppliedZxid {
						return false
					}
				}
				return true
			})
		})
	}
}

func TestLeaderKilledNoCommittedEntryLost(t *testing.T) {
	c := newCluster(t, 3, 0, 7, nil)
	old := c.leader()
	want := map[string]string{}
	for i := range 20 {
		k := fmt.Sprintf("a%d", i)
		c.write(old, k, "1")
		want[k] = "1"
	}
	zxidBefore := c.nodes[old].Status().AppliedZxid
	c.crash(old)
	lead := c.leader()
	if lead == old {
		t.Fatalf("crashed member %d still leader", old)
	}
	for i := range 20 {
		k := fmt.Sprintf("b%d", i)
		c.write(lead, k, "2")
		want[k] = "2"
	}
	c.converged(want, c.running()...)
	if z := c.nodes[lead].Status().AppliedZxid; z <= zxidBefore {
		t.Fatalf("zxid went from %#x to %#x across a leader change", zxidBefore, z)
	}
	c.start(old)
	c.converged(want, old)
}

func TestPartitionedMinority(t *testing.T) {
	c := newCluster(t, 5, 0, 11, nil)
	old := c.leader()
	want := map[string]string{"before": "x"}
	c.write(old, "before", "x")
	// The old leader and one follower are cut off.
	minority := []uint64{old, old%5 + 1}
	var majority []uint64
	for _, id := range []uint64{1, 2, 3, 4, 5} {
		if !slices.Contains(minority, id) {
			majority = append(majority, id)
		}
	}
	c.net.Partition(minority, majority)
	wait.For(t, 15*time.Second, "a leader in the majority", func() bool {
		return !slices.Contains(minority, c.leader(majority...))
	})
	// The old leader notices it lost its majority (CheckQuorum).
	wait.For(t, 15*time.Second, "the old leader to step down", func() bool {
		return c.nodes[old].Status().Role != quorum.RoleLeader
	})
	// A write through the minority is never applied there.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = c.nodes[minority[1]].Propose(ctx, []byte("minority=lost"))
	cancel()
	var firstMajority uint64
	for i := range 10 {
		k := fmt.Sprintf("m%d", i)
		c.write(majority[i%len(majority)], k, "y")
		want[k] = "y"
		if i == 0 {
			firstMajority = c.nodes[majority[0]].Status().Applied
		}
	}
	c.converged(want, majority...)
	for _, id := range minority {
		if st := c.nodes[id].Status(); st.Commit >= firstMajority {
			t.Fatalf("partitioned member %d has commit index %d, at or past the majority's write at %d", id, st.Commit, firstMajority)
		}
		if _, ok := c.apps[id].get("m0"); ok {
			t.Fatalf("partitioned member %d applied a write of the majority", id)
		}
	}
	c.net.Heal()
	c.converged(want, c.running()...)
	if _, ok := c.apps[minority[1]].get("minority"); ok {
		t.Fatalf("a write proposed in the minority was applied")
	}
}

func TestRestartCatchesUpByLog(t *testing.T) {
	c := newCluster(t, 3, 0, 13, nil)
	lead := c.leader()
	follower := uint64(1)
	if follower == lead {
		follower = 2
	}
	want := map[string]string{}
	c.write(lead, "k", "0")
	want["k"] = "0"
	c.converged(want, follower)
	c.crash(follower)
	for i := range 30 {
		k := fmt.Sprintf("k%d", i)
		c.write(lead, k, "v")
		want[k] = "v"
	}
	c.start(follower)
	c.converged(want, follower)
	if n := c.apps[follower].restoreCount(); n != 0 {
		t.Fatalf("follower restored %d snapshots, want catch-up by log", n)
	}
}

func TestRestartCatchesUpBySnapshot(t *testing.T) {
	c := newCluster(t, 3, 0, 17, func(cfg *quorum.Config) {
		cfg.SnapCount = 20
		cfg.CompactionSlack = 5
	})
	lead := c.leader()
	follower := uint64(1)
	if follower == lead {
		follower = 2
	}
	want := map[string]string{}
	c.write(lead, "k", "0")
	want["k"] = "0"
	c.converged(want, follower)
	c.crash(follower)
	for i := range 100 {
		k := fmt.Sprintf("k%d", i)
		c.write(lead, k, "v")
		want[k] = "v"
	}
	c.start(follower)
	c.converged(want, follower)
	if n := c.apps[follower].restoreCount(); n == 0 {
		t.Fatalf("follower caught up without a snapshot: the leader did not compact")
	}
	// It restarts from its own snapshot and log.
	c.stop(follower)
	c.start(follower)
	c.converged(want, follower)
	c.write(follower, "after", "restart")
}

func TestLearnerReceivesButNeverVotes(t *testing.T) {
	c := newCluster(t, 3, 1, 19, nil)
	lead := c.leader()
	want := map[string]string{}
	for i := range 10 {
		k := fmt.Sprintf("k%d", i)
		c.write(lead, k, "v")
		want[k] = "v"
	}
	c.converged(want, 4)
	// An observer forwards writes.
	c.write(4, "via-learner", "ok")
	want["via-learner"] = "ok"
	if st := c.nodes[4].Status(); st.Role != quorum.RoleLearner {
		t.Fatalf("member 4 role %v, want learner", st.Role)
	}
	// Two voters gone: one voter and the learner cannot elect anyone, and
	// the learner never stands.
	var voters []uint64
	for _, id := range []uint64{1, 2, 3} {
		if id != lead {
			voters = append(voters, id)
		}
	}
	c.crash(lead)
	c.crash(voters[0])
	rest := voters[1]
	deadline := time.Now().Add(20 * testTick) // ten election timeouts
	for time.Now().Before(deadline) {
		if st := c.nodes[4].Status(); st.Role != quorum.RoleLearner || st.Leader == 4 {
			t.Fatalf("learner status %+v", st)
		}
		if st := c.nodes[rest].Status(); st.Role == quorum.RoleLeader {
			t.Fatalf("member %d leads without a majority", rest)
		}
		time.Sleep(testTick / 4)
	}
	c.start(voters[0])
	c.converged(want, voters[0])
	c.leader(rest, voters[0], 4)
}

func TestReadIndex(t *testing.T) {
	c := newCluster(t, 3, 0, 23, nil)
	lead := c.leader()
	c.write(lead, "x", "1")
	for _, id := range c.running() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		idx, err := c.nodes[id].ReadIndex(ctx)
		if err != nil {
			cancel()
			t.Fatalf("ReadIndex on %d: %v", id, err)
		}
		if err := c.nodes[id].WaitApplied(ctx, idx); err != nil {
			cancel()
			t.Fatalf("WaitApplied on %d: %v", id, err)
		}
		cancel()
		if v, ok := c.apps[id].get("x"); !ok || v != "1" {
			t.Fatalf("member %d after sync reads x=%q", id, v)
		}
	}
}

func TestConfChangeAddsMember(t *testing.T) {
	c := newCluster(t, 3, 0, 29, nil)
	lead := c.leader()
	want := map[string]string{"a": "1"}
	c.write(lead, "a", "1")
	// Member 4 joins as a learner, then is promoted.
	c.members = append(c.members, quorum.Member{ID: 4, Addr: "mem-4"})
	c.fs[4] = newMemFS()
	tune := c.tune
	c.tune = func(cfg *quorum.Config) {
		if cfg.ID == 4 {
			cfg.Join = true
		}
		if tune != nil {
			tune(cfg)
		}
	}
	c.start(4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.nodes[lead].ProposeConfChange(ctx, []quorum.Member{{ID: 4, Addr: "mem-4", Learner: true}}, nil); err != nil {
		t.Fatal(err)
	}
	c.converged(want, 4)
	// converged sees "a", which member 4 applies before the conf change.
	wait.For(t, 10*time.Second, "member 4 a learner", func() bool { return c.nodes[4].Status().Role == quorum.RoleLearner })
	lead = c.leader()
	if err := c.nodes[lead].ProposeConfChange(ctx, []quorum.Member{{ID: 4, Addr: "mem-4"}}, nil); err != nil {
		t.Fatal(err)
	}
	wait.For(t, 10*time.Second, "member 4 promoted", func() bool {
		st := c.nodes[4].Status()
		return st.Role != quorum.RoleLearner && len(st.Members) == 4
	})
	c.write(4, "b", "2")
	want["b"] = "2"
	c.converged(want, c.running()...)
}
