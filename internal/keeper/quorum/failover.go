package quorum

import (
	"context"
	"slices"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// Fast failover.
//
// Raft alone replaces a dead leader only when a follower's randomised
// election timeout (1..2 × tickTime here) passes without heartbeats.
// ZooKeeper's followers instead notice at once that the leader's TCP
// connection closed. The transports report the same thing here: a peer is
// down when its connection ended and its quorum port refuses connections (a
// process that exited, or a closed transport), not when it merely went quiet
// (a partition or a slow machine still waits for the election timeout).
//
// A follower told that its leader is down starts an election at once, as
// the target of a leadership transfer would (raft's MsgTimeoutNow, stepped
// locally): the candidate skips the pre-vote and its vote requests carry
// the transfer context, so the other followers answer them although they
// heard from the dead leader within the election timeout (the leader lease
// that CheckQuorum keeps would make them ignore an ordinary campaign).
// Only WHEN an election starts changes: votes still require an up-to-date
// log and a voter grants one vote per term.
//
// To avoid a split vote when every survivor notices at once, the surviving
// voters take turns by id: the lowest id not itself recently reported down
// campaigns at once, the k-th lowest after k × failoverStagger (plus half a
// stagger for each lower voter counted out only because it was reported
// down: a restarted member is not heard from by the other followers, yet
// campaigns at once; plus a fraction of a stagger by position, which
// separates two survivors that count the dead differently and so compute
// the same k), and a delayed one gives up when a new leader has appeared
// or it has voted for another candidate of the new election. When the first campaign fails (its
// log was behind: under a write load the followers' logs differ by a few
// entries), a survivor that refused it tries in its turn; raft's own
// election timeout remains the last resort. A member campaigns early at most once per leader
// term and once per election timeout, so a peer that keeps "dying" cannot
// make the ensemble loop through elections.

// PeerDownHandler is implemented by a Handler (the Node) that wants to know
// at once when a peer is gone. A Transport that can tell (TCP: the peer's
// connection ended and its port refuses connections; quorumtest: the peer's
// transport was closed) calls ReportPeerDown; it may be called from any
// goroutine, more than once for the same event, and must not block long.
type PeerDownHandler interface {
	ReportPeerDown(id uint64)
}

var _ PeerDownHandler = (*Node)(nil)

// failover is the Node's fast-failover state, owned by the loop goroutine.
type failover struct {
	// down holds the loop tick at which each peer was last reported down.
	down map[uint64]int
	// handledLead and handledTerm name the leader term whose death this
	// member acted on last; early is the tick of its last early campaign
	// (valid when campaigned).
	handledLead, handledTerm uint64
	early                    int
	campaigned               bool
}

// failoverStagger is the pause between the turns of the surviving voters:
// half a raft tick (tickTime/20), time enough for a candidate's vote
// requests to reach the others (who then wait for it) on a loaded machine,
// short because under a write load the first in turn often has a shorter
// log than another survivor and loses.
func (n *Node) failoverStagger() time.Duration {
	return max(n.tick/2, 10*time.Millisecond)
}

// ReportPeerDown implements PeerDownHandler: it hands the report to the
// node's goroutine.
func (n *Node) ReportPeerDown(id uint64) {
	select {
	case <-n.done:
		return
	default:
	}
	n.wg.Go(func() {
		n.do(context.Background(), func() { n.onPeerDown(id) }) // returns at once once the node stopped
	})
}

// onPeerDown runs on the loop goroutine.
func (n *Node) onPeerDown(id uint64) {
	if n.fo.down == nil {
		n.fo.down = map[uint64]int{}
	}
	n.fo.down[id] = n.ticks
	st := n.rn.BasicStatus()
	if st.RaftState != raft.StateFollower || !n.isVoter(n.id) {
		return
	}
	switch {
	case st.Lead == id:
	case st.Lead == raft.None && st.GetVote() == raft.None:
		// No leader and no vote this term: a candidate asked first and we
		// refused it (its log was behind ours), or the leader is unknown;
		// take our turn.
	default:
		return
	}
	if n.fo.handledLead == id && n.fo.handledTerm == st.GetTerm() {
		return // already acting on this death
	}
	n.fo.handledLead, n.fo.handledTerm = id, st.GetTerm()
	rank, doubtful := 0, 0
	for _, v := range n.voters() {
		switch {
		case v >= n.id || v == id:
		case n.recentlyDown(v):
			doubtful++
		default:
			rank++
		}
	}
	n.log.Info("quorum: leader is down", "leader", id, "term", st.GetTerm(), "turn", rank, "lower_reported_down", doubtful)
	if rank == 0 && doubtful == 0 {
		n.campaignEarly(id, st.GetTerm())
		return
	}
	// A lower voter reported down may be back already (restarted: this
	// member hears nothing from another follower) and campaigning at once;
	// wait half a turn for each such one, so that its vote request arrives
	// first. Survivors whose views of who else is down differ (a peer's
	// death reported to one of them but not yet to another) can compute the
	// same wait; a small offset by position among the voters breaks the
	// tie, so that one's vote requests reach the other before it campaigns
	// too.
	vs := n.voters()
	pos := slices.Index(vs, n.id)
	stagger := n.failoverStagger()
	wait := time.Duration(rank)*stagger + time.Duration(doubtful)*stagger/2 + time.Duration(pos)*stagger/time.Duration(2*len(vs))
	term := st.GetTerm()
	n.wg.Go(func() {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
			n.do(context.Background(), func() { n.campaignEarly(id, term) })
		case <-n.done:
		}
	})
}

// campaignEarly starts an election unless a leader other than dead is known
// or this member voted for another candidate after term.
func (n *Node) campaignEarly(dead, term uint64) {
	st := n.rn.BasicStatus()
	switch {
	case st.RaftState != raft.StateFollower:
		return
	case st.Lead != raft.None && st.Lead != dead:
		return // a new leader
	case st.GetTerm() > term && st.GetVote() != raft.None && st.GetVote() != n.id:
		return // an election is under way for another candidate
	case st.GetTerm() < term:
		return
	}
	electionTicks := n.cfg.ElectionTicks
	if n.fo.campaigned && n.ticks-n.fo.early < electionTicks {
		n.log.Info("quorum: not campaigning early twice within an election timeout", "leader", dead)
		return
	}
	n.fo.campaigned, n.fo.early = true, n.ticks
	n.log.Info("quorum: campaigning at once: the leader is down", "leader", dead, "term", st.GetTerm())
	// A leadership transfer's MsgTimeoutNow, stepped locally: raft
	// campaigns with the transfer context (no pre-vote; the voters'
	// leader lease does not hold it back).
	m := &raftpb.Message{Type: raftpb.MessageType_MsgTimeoutNow.Enum(), From: new(dead), To: new(n.id), Term: new(st.GetTerm())}
	if err := n.rn.Step(m); err != nil {
		n.log.Warn("quorum: early campaign", "err", err)
	}
}

// recentlyDown says whether peer id was reported down within the last
// election timeout and has not been heard from since.
func (n *Node) recentlyDown(id uint64) bool {
	at, ok := n.fo.down[id]
	if !ok || n.ticks-at > n.cfg.ElectionTicks {
		return false
	}
	heard, ok := n.lastHeard[id]
	return !ok || heard <= at
}

func (n *Node) voters() []uint64 {
	vs := slices.Concat(n.confState.GetVoters(), n.confState.GetVotersOutgoing())
	slices.Sort(vs)
	return slices.Compact(vs)
}

func (n *Node) isVoter(id uint64) bool { return slices.Contains(n.voters(), id) }
