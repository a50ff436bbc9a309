package server

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/testkit/wait"
	"github.com/zkafka/zkafka/internal/zkclient"
)

// TestFiveMemberEnsembleFailures: a 5-member ensemble keeps serving
// writes with two members down (the leader and a follower), serves none
// with three down, and when they come back writes go on and every member
// catches up: it holds every acknowledged write, and the sequence counter
// never reused a number.
func TestFiveMemberEnsembleFailures(t *testing.T) {
	te := newTestEnsemble(t, 5)
	lead := te.waitLeader()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := zkclient.Connect(ctx, zkclient.Options{Servers: strings.Join(te.addrs(), ","), SessionTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.Create(ctx, "/five", nil, zkclient.OpenACL(), jute.ModePersistent, 0); err != nil {
		t.Fatal(err)
	}
	var acked []string
	// write creates n sequential children of /five, retrying a create
	// whose connection was lost (its outcome is unknown: it may leave a
	// child that was never acknowledged, which is allowed).
	write := func(n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for done := 0; done < n; {
			octx, ocancel := context.WithTimeout(ctx, 3*time.Second)
			p, _, err := c.Create(octx, "/five/n-", nil, zkclient.OpenACL(), jute.ModePersistentSequential, 0)
			ocancel()
			switch {
			case err == nil:
				acked = append(acked, p)
				done++
			case time.Now().After(deadline):
				t.Fatalf("no write acknowledged for 20s: %v", err)
			default:
				c.WaitConnected(ctx)
			}
		}
	}
	write(3)

	// Two members down, the leader among them: the other three elect a
	// leader and take writes.
	down := []uint64{lead, te.follower(lead)}
	for _, id := range down {
		te.stop(id)
	}
	start := time.Now()
	newLead := te.waitLeader()
	t.Logf("members %v down; member %d leads after %v", down, newLead, time.Since(start).Round(time.Millisecond))
	write(5)

	// A third member down: the two left know no leader, take no session
	// and acknowledge no write.
	te.stop(newLead)
	down = append(down, newLead)
	wait.For(t, 10*time.Second, "the two members left to lose their leader", func() bool {
		for _, s := range te.servers {
			if s.ens.node.Status().Leader != 0 {
				return false
			}
		}
		return true
	})
	for id := range te.servers {
		if out := ask4lw(t, te.addr(id), "srvr"); !strings.Contains(out, "not currently serving") {
			t.Fatalf("member %d serves without a quorum: %q", id, out)
		}
	}
	octx, ocancel := context.WithTimeout(ctx, 2*time.Second)
	_, _, err = c.Create(octx, "/five/minority", nil, zkclient.OpenACL(), jute.ModePersistent, 0)
	ocancel()
	if err == nil {
		t.Fatal("a write was acknowledged by two members of five")
	}
	for id, s := range te.servers {
		s.db.mu.RLock()
		_, there := s.db.tree.Exists("/five/minority")
		s.db.mu.RUnlock()
		if there {
			t.Fatalf("member %d applied a write without a quorum", id)
		}
	}

	// Back: writes go on, and every member catches up.
	for _, id := range down {
		te.start(id)
	}
	te.waitLeader()
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	write(3)
	want := map[string]bool{}
	for _, p := range acked {
		name := strings.TrimPrefix(p, "/five/")
		if want[name] {
			t.Fatalf("sequence number reused: %s in %v", p, acked)
		}
		want[name] = true
	}
	if !slices.IsSorted(acked) {
		t.Fatalf("sequence numbers went backwards: %v", acked)
	}
	if _, err := c.Sync(ctx, "/five"); err != nil {
		t.Fatal(err)
	}
	kids, _, err := c.GetChildren(ctx, "/five", false)
	if err != nil {
		t.Fatal(err)
	}
	for name := range want {
		if !slices.Contains(kids, name) {
			t.Fatalf("acknowledged /five/%s lost: the ensemble has %v", name, kids)
		}
	}
	for id, s := range te.servers {
		wait.For(t, 15*time.Second, fmt.Sprintf("member %d to hold every child of /five", id), func() bool {
			s.db.mu.RLock()
			defer s.db.mu.RUnlock()
			for _, k := range kids {
				if _, ok := s.db.tree.Exists("/five/" + k); !ok {
					return false
				}
			}
			return true
		})
	}
}
