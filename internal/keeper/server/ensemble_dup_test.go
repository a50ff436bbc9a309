package server

import (
	"os"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestEnsembleDuplicateProposalAppliedOnce: a network that delivers a
// message twice must not make a write happen twice. A follower forwards
// its clients' writes to the leader as raft MsgProp messages; raft
// appends every MsgProp it receives, so a duplicated one becomes two log
// entries with the same request id (proposer, incarnation, seq), and
// Apply applies both: an unconditional setData acknowledged with version
// 1 leaves the node at version 2, a sequential create makes two nodes.
// The TCP transport never resends a message, so only quorumtest's
// SetDuplicateRate produces this today; a transport that retries (or a
// future resend after reconnect) would. Fix: skip, in Apply, a txn entry
// whose seq is not above the last one applied for its (proposer,
// incarnation), a table that must be part of the snapshot so that a
// member restored from one skips the same entries as the others.
//
// Known bug: skipped unless ZKAFKA_KNOWN_BUGS is set.
func TestEnsembleDuplicateProposalAppliedOnce(t *testing.T) {
	if os.Getenv("ZKAFKA_KNOWN_BUGS") == "" {
		t.Skip("known bug: a duplicated forwarded proposal is applied twice (set ZKAFKA_KNOWN_BUGS=1 to run)")
	}
	te := newTestEnsemble(t, 3)
	lead := te.waitLeader()
	c, _ := connectTo(t, []string{te.addr(te.follower(lead))}, 4*time.Second)
	mustCreate(t, c, "/dup", nil, 0)
	te.nw.SetDuplicateRate(1)
	st, err := c.Set("/dup", []byte("x"), -1)
	if err != nil {
		t.Fatal(err)
	}
	p := mustCreate(t, c, "/dup/s-", nil, zk.FlagSequence)
	te.nw.SetDuplicateRate(0)
	if _, err := c.Sync("/dup"); err != nil {
		t.Fatal(err)
	}
	_, now, err := c.Get("/dup")
	if err != nil {
		t.Fatal(err)
	}
	kids, _, err := c.Children("/dup")
	if err != nil {
		t.Fatal(err)
	}
	if now.Version != st.Version || len(kids) != 1 {
		t.Fatalf("one setData acknowledged with version %d left version %d; one sequential create (%s) left children %v",
			st.Version, now.Version, p, kids)
	}
}
