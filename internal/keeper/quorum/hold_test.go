package quorum_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/quorum"
	"github.com/zkafka/zkafka/internal/testkit/wait"
)

// TestLeaderBatchesProposalsPerRoundTrip proposes a stream of writes on the
// leader, one every millisecond, while every raft message takes 20 ms: the
// leader (allowed to hold proposals longer than a round trip) must hold the
// proposals that come while a batch is uncommitted and append them
// together once it commits, so the writes commit (and are applied) in
// about one batch per round trip, not one per proposal.
func TestLeaderBatchesProposalsPerRoundTrip(t *testing.T) {
	const (
		writes = 100
		delay  = 20 * time.Millisecond
	)
	c := newCluster(t, 3, 0, 31, func(cfg *quorum.Config) { quorum.SetMaxHold(cfg, time.Minute) })
	lead := c.leader()
	c.write(lead, "warm", "1")
	c.net.SetDelay(delay, delay)
	app := c.apps[lead]
	before := app.applyCalls()
	start := time.Now()
	for i := range writes {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.nodes[lead].Enqueue(ctx, fmt.Appendf(nil, "k%d=v", i), func(err error) { t.Errorf("write %d refused: %v", i, err) })
		cancel()
		if err != nil {
			t.Fatalf("enqueue %d: %v", i, err)
		}
		time.Sleep(time.Millisecond)
	}
	last := fmt.Sprintf("k%d", writes-1)
	wait.For(t, 20*time.Second, "the last write applied on the leader", func() bool {
		_, ok := app.get(last)
		return ok
	})
	elapsed := time.Since(start)
	for i := range writes {
		if _, ok := app.get(fmt.Sprintf("k%d", i)); !ok {
			t.Fatalf("write %d not applied after the last one", i)
		}
	}
	batches := app.applyCalls() - before
	// A round trip is two messages; one more batch for the first write and
	// one for a heartbeat-driven retry.
	limit := int(elapsed/(2*delay)) + 2
	t.Logf("%d writes applied in %d batches in %v (limit %d)", writes, batches, elapsed, limit)
	if batches > limit {
		t.Fatalf("%d writes applied in %d batches within %v: more than one batch per %v round trip (%d)", writes, batches, elapsed, 2*delay, limit)
	}
}
