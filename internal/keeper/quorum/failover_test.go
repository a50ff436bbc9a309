package quorum_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/quorum"
	"github.com/zkafka/zkafka/internal/testkit/wait"
)

// failoverTick is a tickTime long enough that a fast failover cannot be
// mistaken for raft's election timeout (2..4 s) on a loaded machine.
const failoverTick = 2 * time.Second

// failoverBound is how soon a new leader must be known after the old one's
// transport closed: a quarter tickTime plus slack for a loaded machine,
// still half the shortest election timeout.
const failoverBound = failoverTick / 2

// tcpCluster starts n voters over TCP on loopback with tickTime tick; tcps
// receives each member's current transport.
func tcpCluster(t *testing.T, n int, tick time.Duration, tcps map[uint64]*quorum.TCP) *cluster {
	t.Helper()
	lns := map[uint64]net.Listener{}
	var addrs []string
	for id := uint64(1); id <= uint64(n); id++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[id] = ln
		addrs = append(addrs, ln.Addr().String())
	}
	transport := func(id uint64) quorum.Transport {
		ln := lns[id]
		if ln == nil {
			var err error
			if ln, err = net.Listen("tcp", addrs[id-1]); err != nil {
				t.Fatalf("listen again on %s: %v", addrs[id-1], err)
			}
		}
		delete(lns, id)
		tr, err := quorum.NewTCP(quorum.TCPOptions{ID: id, Listener: ln, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if tcps != nil {
			tcps[id] = tr
		}
		return tr
	}
	return newClusterOn(t, n, addrs, 1, func(cfg *quorum.Config) {
		cfg.TickTime = tick
		if os.Getenv("FO_DEBUG") != "" {
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil)).With("id", cfg.ID)
		}
	}, transport)
}

// killLeaderAndTime stops the leader (its node and transport, as a killed
// process closes its sockets) and returns the old leader, the new one and
// how long the survivors took to agree on it.
func killLeaderAndTime(t *testing.T, c *cluster) (old, lead uint64, gap time.Duration) {
	t.Helper()
	old = c.leader()
	start := time.Now()
	c.stop(old)
	lead = c.leader()
	gap = time.Since(start)
	if lead == old {
		t.Fatalf("stopped member %d still leader", old)
	}
	return old, lead, gap
}

func TestFailoverAfterLeaderKilled(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes int
		tcp   bool
	}{
		{"memory-3", 3, false},
		{"tcp-3", 3, true},
		{"tcp-5", 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *cluster
			if tc.tcp {
				c = tcpCluster(t, tc.nodes, failoverTick, nil)
			} else {
				c = newCluster(t, tc.nodes, 0, 3, func(cfg *quorum.Config) { cfg.TickTime = failoverTick })
			}
			want := map[string]string{}
			first := c.leader()
			for i := range 20 {
				k := fmt.Sprintf("a%d", i)
				c.write(uint64(i%tc.nodes)+1, k, "1")
				want[k] = "1"
			}
			term := c.nodes[first].Status().Term
			old, lead, gap := killLeaderAndTime(t, c)
			t.Logf("%d nodes: leader %d stopped, leader %d known to every survivor after %v (tickTime %v)", tc.nodes, old, lead, gap, failoverTick)
			checkOneFastElection(t, c, lead, term, gap)
			for i := range 20 {
				k := fmt.Sprintf("b%d", i)
				c.write(lead, k, "2")
				want[k] = "2"
			}
			c.converged(want, c.running()...)
		})
	}
}

// TestFailoverNextInTurn stops the member whose turn would be first, then
// the leader: the survivors heard that it is down too, so the next in turn
// campaigns after half a turn (in case the member came back) instead of
// waiting a whole turn for it, or an election timeout.
func TestFailoverNextInTurn(t *testing.T) {
	c := tcpCluster(t, 5, failoverTick, nil)
	want := map[string]string{}
	for i := range 10 {
		k := fmt.Sprintf("a%d", i)
		c.write(uint64(i%5)+1, k, "1")
		want[k] = "1"
	}
	// Leader 2, so that member 1 would be first in turn.
	const old, firstTurn = 2, 1
	if lead := c.leader(); lead != old {
		if err := c.nodes[lead].TransferLeadership(context.Background(), old); err != nil {
			t.Fatal(err)
		}
		wait.For(t, 10*time.Second, "leadership to move to 2", func() bool { return c.leader() == old })
	}
	start := time.Now()
	c.stop(firstTurn)
	c.stop(old)
	lead := c.leader()
	gap := time.Since(start)
	t.Logf("leader %d and member %d stopped: leader %d after %v", old, firstTurn, lead, gap)
	if gap > failoverBound {
		t.Fatalf("new leader after %v, want within %v", gap, failoverBound)
	}
	for i := range 10 {
		k := fmt.Sprintf("b%d", i)
		c.write(lead, k, "2")
		want[k] = "2"
	}
	c.converged(want, c.running()...)
}

// TestFailoverBlipKeepsLeader breaks the connections between a live leader
// and a follower again and again: the follower's probe finds the leader's
// port open, so nobody campaigns.
func TestFailoverBlipKeepsLeader(t *testing.T) {
	const tick = 200 * time.Millisecond // election timeout 200..400ms
	tcps := map[uint64]*quorum.TCP{}
	c := tcpCluster(t, 3, tick, tcps)
	lead := c.leader()
	c.write(lead, "k", "v")
	term := c.nodes[lead].Status().Term
	follower := slices.DeleteFunc([]uint64{1, 2, 3}, func(id uint64) bool { return id == lead })[0]
	broke := 0
	for i := range 10 {
		wait.For(t, 5*time.Second, "the connections to come back", func() bool {
			return quorum.BreakPeerConn(tcps[lead], follower)
		})
		if quorum.BreakPeerConn(tcps[follower], lead) {
			broke++
		}
		broke++
		c.write(lead, fmt.Sprintf("k%d", i), "v")
	}
	if broke < 10 {
		t.Fatalf("broke only %d connections", broke)
	}
	time.Sleep(3 * tick) // a campaign would have started and ended by now
	for id, n := range c.nodes {
		if st := n.Status(); st.Term != term || st.Leader != lead {
			t.Errorf("member %d: leader %d term %d, want leader %d term %d (an election after a blip)", id, st.Leader, st.Term, lead, term)
		}
	}
}

// TestFailoverFalseReportsDoNotLoop makes a follower hear again and again
// that its live leader is down: it campaigns at most once per election
// timeout, so the ensemble settles on a leader.
func TestFailoverFalseReportsDoNotLoop(t *testing.T) {
	c := newCluster(t, 3, 0, 5, nil)
	lead := c.leader()
	c.write(lead, "k", "v")
	term := c.nodes[lead].Status().Term
	follower := slices.DeleteFunc([]uint64{1, 2, 3}, func(id uint64) bool { return id == lead })[0]
	for range 10 { // within one election timeout (testTick)
		c.nodes[follower].ReportPeerDown(lead)
		time.Sleep(testTick / 20)
	}
	now := c.leader()
	c.write(now, "k2", "v")
	got := c.nodes[now].Status().Term
	if got > term+2 {
		t.Fatalf("term went from %d to %d after false reports: elections loop", term, got)
	}
	t.Logf("term %d -> %d, leader %d -> %d", term, got, lead, now)
}

// TestFailoverFirstInTurnBehind stops the leader when the survivor whose
// turn is first lacks the last entries (as under a write load): the other
// survivor refuses its campaign and wins its own, in its turn.
func TestFailoverFirstInTurnBehind(t *testing.T) {
	c := newCluster(t, 3, 0, 11, func(cfg *quorum.Config) { cfg.TickTime = failoverTick })
	lead := c.leader()
	want := map[string]string{}
	for i := range 5 {
		k := fmt.Sprintf("a%d", i)
		c.write(lead, k, "1")
		want[k] = "1"
	}
	rest := slices.DeleteFunc([]uint64{1, 2, 3}, func(id uint64) bool { return id == lead })
	behind, ahead := rest[0], rest[1]
	c.net.Cut(lead, behind)
	for i := range 5 {
		k := fmt.Sprintf("b%d", i)
		c.write(lead, k, "2")
		want[k] = "2"
	}
	term := c.nodes[ahead].Status().Term
	start := time.Now()
	c.stop(lead)
	next := c.leader()
	gap := time.Since(start)
	t.Logf("leader %d stopped, %d behind: leader %d after %v", lead, behind, next, gap)
	if next != ahead {
		t.Fatalf("leader %d, want %d (the survivor with the longer log)", next, ahead)
	}
	if gap > failoverBound {
		t.Fatalf("new leader after %v, want within %v", gap, failoverBound)
	}
	if got := c.nodes[next].Status().Term; got != term+2 {
		t.Errorf("term went from %d to %d: want two elections (the refused one, then %d's)", term, got, ahead)
	}
	c.converged(want, behind, ahead)
}

// checkOneFastElection fails the test when the new leader lead took
// longer than failoverBound or more than one election (from term).
func checkOneFastElection(t *testing.T, c *cluster, lead, term uint64, gap time.Duration) {
	t.Helper()
	if gap > failoverBound {
		t.Fatalf("new leader after %v, want within %v (the election timeout is %v..%v)", gap, failoverBound, failoverTick, 2*failoverTick)
	}
	if got := c.nodes[lead].Status().Term; got != term+1 {
		t.Errorf("term went from %d to %d: want one election", term, got)
	}
}
