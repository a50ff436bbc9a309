package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/keeper/storage"
	"github.com/zkafka/zkafka/internal/keeper/tree"
	"github.com/zkafka/zkafka/internal/testkit/wait"
)

// TestEnsembleDuplicateProposalAppliedOnce: a network that delivers a
// message twice must not make a write happen twice. A follower forwards
// its clients' writes to the leader as raft MsgProp messages; raft
// appends every MsgProp it receives, so a duplicated one becomes two log
// entries with the same request id (proposer, incarnation, seq). Apply
// skips the second (the dedup table, ensemble_dedup.go): an unconditional
// setData acknowledged with version 1 leaves the node at version 1, a
// sequential create makes one node.
func TestEnsembleDuplicateProposalAppliedOnce(t *testing.T) {
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
	if te.nw.Stats().Duplicated == 0 {
		t.Fatal("the network duplicated no message: the test tested nothing")
	}
}

// rawSetEntry encodes a txn entry as a proposer would: setData path
// (version -1) under request id (proposer, inc, seq).
func rawSetEntry(proposer, inc, seq uint64, path string, data []byte) []byte {
	var enc jute.Encoder
	enc.SetBytes(appendEntryHeader(nil, entryTxn, proposer, inc, seq))
	txn := tree.Txn{Time: 1, Op: jute.OpSetData, Body: &jute.SetDataRequest{Path: path, Data: data, Version: -1}}
	txn.Encode(&enc)
	return enc.Bytes()
}

// TestEnsembleDedupSurvivesSnapshot: a member that installs the leader's
// snapshot (its log was compacted past the member) and then restarts from
// its own snapshot skips a late copy of an entry the snapshot covers,
// exactly as the members that applied the original do.
func TestEnsembleDedupSurvivesSnapshot(t *testing.T) {
	te := newTestEnsemble(t, 3, func(o *Options) {
		o.SnapCount = 20
		o.Ensemble.CompactionSlack = 5
	})
	lead := te.waitLeader()
	f := te.follower(lead)
	c, _ := connectTo(t, []string{te.addr(lead)}, 4*time.Second)
	mustCreate(t, c, "/d", nil, 0)
	te.stop(f)

	// The entry, as a member 7 (incarnation 6) would have proposed it, and
	// a first copy of an older incarnation, then its retirement.
	orig := rawSetEntry(7, 6, 1, "/d", []byte("once"))
	propose := func(data []byte) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := te.servers[lead].ens.node.Propose(ctx, data); err != nil {
			t.Fatal(err)
		}
	}
	propose(rawSetEntry(7, 4, 9, "/d", []byte("old incarnation")))
	propose(orig)
	wait.For(t, 10*time.Second, "the entry to be applied", func() bool {
		_, st, err := c.Get("/d")
		return err == nil && st.Version == 2
	})
	for i := range 60 {
		mustCreate(t, c, "/d/n-", []byte{byte(i)}, zk.FlagSequence)
	}
	wait.For(t, 10*time.Second, "the leader to compact its log past the stopped member", func() bool {
		idxs, err := te.servers[lead].snaps.List()
		return err == nil && len(idxs) > 0
	})
	back := te.start(f)
	version := func(s *Server) int32 {
		s.db.mu.RLock()
		defer s.db.mu.RUnlock()
		_, st, e := s.db.tree.GetData("/d", nil)
		if e != jute.ErrOK {
			return -1
		}
		return st.Version
	}
	wait.For(t, 15*time.Second, "the stopped member to catch up", func() bool { return version(back) == 2 })
	if n := dedupOf(back, 7); n == nil || n.inc != 6 || n.seq != 1 {
		t.Fatalf("restored dedup table for proposer 7: %+v", n)
	}
	// Late copies: of the applied entry, and of the retired incarnation.
	propose(orig)
	propose(rawSetEntry(7, 4, 10, "/d", []byte("old incarnation, later seq")))
	mustCreate(t, c, "/after", nil, 0)
	for id, s := range te.servers {
		wait.For(t, 10*time.Second, "every member to apply the marker", func() bool {
			s.db.mu.RLock()
			defer s.db.mu.RUnlock()
			_, ok := s.db.tree.Exists("/after")
			return ok
		})
		if v := version(s); v != 2 {
			t.Errorf("member %d: /d at version %d after late copies, want 2", id, v)
		}
	}
	// Every member restarts from its own snapshot and log: same table.
	for id := range te.servers {
		te.stop(id)
	}
	for _, m := range te.members {
		te.start(m.ID)
	}
	te.waitLeader()
	for id, s := range te.servers {
		if n := dedupOf(s, 7); n == nil || n.inc != 6 || n.seq != 1 || len(n.retired) != 1 || n.retired[0] != 4 {
			t.Errorf("member %d after restart: dedup table for proposer 7: %+v", id, n)
		}
	}
}

// dedupOf returns a copy of what member s's dedup table holds for a
// proposer (Apply changes the table under db.mu).
func dedupOf(s *Server, proposer uint64) *proposerDedup {
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	p := s.ens.dedup.m[proposer]
	if p == nil {
		return nil
	}
	c := *p
	c.retired = slices.Clone(p.retired)
	return &c
}

func TestDedupTable(t *testing.T) {
	var d dedupTable
	steps := []struct {
		proposer, inc, seq uint64
		want               bool
	}{
		{1, 10, 1, true},
		{1, 10, 1, false}, // a copy
		{1, 10, 3, true},  // a gap: seq 2 was lost
		{1, 10, 2, false}, // overtaken
		{2, 20, 1, true},  // another proposer
		{1, 12, 1, true},  // a restart: incarnation 10 retires
		{1, 10, 4, false}, // late copy from the retired incarnation
		{1, 12, 2, true},
		{1, 14, 1, true}, {1, 16, 1, true}, {1, 18, 1, true}, {1, 20, 1, true},
		{1, 10, 5, true}, // retired longest ago: forgotten after maxRetiredIncarnations
		{3, 31, 5, true}, // odd incarnation: a server from before the table,
		{3, 31, 5, true}, // applied as it applies every entry
		{3, 31, 4, true},
	}
	for i, s := range steps {
		if got := d.admit(s.proposer, s.inc, s.seq); got != s.want {
			t.Fatalf("step %d: admit(%d, %d, %d) = %v, want %v", i, s.proposer, s.inc, s.seq, got, s.want)
		}
	}
	if d.m[3] != nil {
		t.Fatal("an odd incarnation entered the table")
	}
	if inc := newIncarnation(); inc&1 != 0 || inc == 0 {
		t.Fatalf("incarnation %#x: want even and not zero", inc)
	}
	if n := len(d.m[1].retired); n != maxRetiredIncarnations {
		t.Fatalf("%d retired incarnations kept, want %d", n, maxRetiredIncarnations)
	}

	// Snapshot head round trip, followed by the tree's bytes.
	head := d.appendSnapshotHead(nil)
	in := append(append([]byte(nil), head...), "ZKTSNAP\x01..."...)
	br := bufio.NewReader(bytes.NewReader(in))
	got, err := readSnapshotHead(br)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := br.Peek(7)
	if string(rest) != "ZKTSNAP" {
		t.Fatalf("reader left at %q, want the tree snapshot", rest)
	}
	if len(got.m) != len(d.m) {
		t.Fatalf("restored %d proposers, want %d", len(got.m), len(d.m))
	}
	for id, p := range d.m {
		q := got.m[id]
		if q == nil || q.inc != p.inc || q.seq != p.seq || !slices.Equal(q.retired, p.retired) {
			t.Fatalf("proposer %d: restored %+v, want %+v", id, q, p)
		}
	}
	// A version 1 snapshot (the tree alone) gives an empty table.
	v1, err := readSnapshotHead(bufio.NewReader(bytes.NewReader([]byte("ZKTSNAP\x01"))))
	if err != nil || len(v1.m) != 0 {
		t.Fatalf("version 1 snapshot: %v, %d proposers", err, len(v1.m))
	}
	// A later format version is reported as such, not as damage: a quorum
	// member would skip a damaged snapshot (or fail with "corrupt") where
	// this one must say that it is too old to read it.
	v3 := append([]byte(nil), head...)
	v3[len(ensSnapMagic)] = ensSnapVersion + 1
	_, err = readSnapshotHead(bufio.NewReader(bytes.NewReader(v3)))
	if !errors.Is(err, errNewerEnsembleSnapshot) || errors.Is(err, errBadEnsembleSnapshot) || !strings.Contains(err.Error(), "format version 3") {
		t.Fatalf("version 3 snapshot: %v, want errNewerEnsembleSnapshot naming version 3", err)
	}
	var e ensemble // Restore fails before it touches the server
	if err := e.Restore(5, 2, bytes.NewReader(v3)); !errors.Is(err, errNewerEnsembleSnapshot) || errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("restoring a version 3 snapshot: %v, want errNewerEnsembleSnapshot and not storage.ErrCorrupt", err)
	}
	// A flipped bit in the dedup section is corruption.
	for _, at := range []int{len(ensSnapMagic) + 2, len(head) - 10, len(head) - 1} {
		bad := append([]byte(nil), head...)
		bad[at] ^= 0x10
		if _, err := readSnapshotHead(bufio.NewReader(bytes.NewReader(bad))); err == nil {
			t.Errorf("flipped byte %d: no error", at)
		}
	}
}
