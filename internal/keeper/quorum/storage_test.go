package quorum

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/zkafka/zkafka/internal/keeper/storage"
)

// logModel is what a storage must hold: entries from first to last, the
// term and vote.
type logModel struct {
	first      uint64
	ents       map[uint64]string // index -> "term/data"
	last       uint64
	term, vote uint64
}

func (m logModel) clone() logModel {
	c := m
	c.ents = make(map[uint64]string, len(m.ents))
	for k, v := range m.ents {
		c.ents[k] = v
	}
	return c
}

func entKey(term uint64, data []byte) string { return fmt.Sprintf("%d/%s", term, data) }

func openTest(t *testing.T, fs *storage.MemFS) *Storage {
	t.Helper()
	s, err := OpenStorage(StorageOptions{FS: fs, DataDir: "/data", LogDir: "/log", WAL: storage.WALOptions{SegmentBytes: 512}})
	if err != nil {
		t.Fatalf("open storage: %v", err)
	}
	return s
}

// observe reads a storage's log and state.
func observe(t *testing.T, s *Storage) logModel {
	t.Helper()
	hs, _, _ := s.InitialState()
	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	m := logModel{first: first, last: last, ents: map[uint64]string{}, term: hs.GetTerm(), vote: hs.GetVote()}
	if last >= first {
		ents, err := s.Entries(first, last+1, 1<<62)
		if err != nil {
			t.Fatalf("entries [%d, %d]: %v", first, last, err)
		}
		for _, e := range ents {
			m.ents[e.GetIndex()] = entKey(e.GetTerm(), e.GetData())
		}
	}
	if _, err := s.Term(first - 1); err != nil {
		t.Fatalf("term of %d (before first): %v", first-1, err)
	}
	return m
}

// TestStorageCrashEveryStep runs a sequence of Saves (appends, conflicting
// suffixes, term and vote changes, a snapshot from the leader) and crashes
// the disk after every file operation. After a crash between Saves the
// reopened storage holds exactly what was acknowledged; after a crash inside
// a Save it opens and holds the state before or after that Save, index by
// index.
func TestStorageCrashEveryStep(t *testing.T) {
	fs := storage.NewMemFS()
	s := openTest(t, fs)
	if err := s.Bootstrap([]Member{{ID: 1, Addr: "a"}, {ID: 2, Addr: "b"}, {ID: 3, Addr: "c"}}); err != nil {
		t.Fatal(err)
	}
	acked := observe(t, s)
	if acked.last != 3 || acked.term != 1 {
		t.Fatalf("after bootstrap: last %d term %d", acked.last, acked.term)
	}

	type crash struct {
		fs       *storage.MemFS
		before   logModel
		midSave  bool
		saveStep int
	}
	var crashes []crash
	step, inSave := 0, false
	fs.SetHook(func(op, name string) {
		crashes = append(crashes, crash{fs: fs.CrashClone(), before: acked.clone(), midSave: inSave, saveStep: step})
	})

	rng := rand.New(rand.NewPCG(1, 2))
	term, vote := uint64(2), uint64(1)
	var afters []logModel
	for step = 0; step < 40; step++ {
		var ents []*raftpb.Entry
		var snap *raftpb.Snapshot
		switch {
		case step == 25:
			// The leader sends a snapshot beyond our log.
			idx := acked.last + 10
			snap = &raftpb.Snapshot{
				Metadata: &raftpb.SnapshotMetadata{Index: new(idx), Term: new(term), ConfState: &raftpb.ConfState{Voters: []uint64{1, 2, 3}}},
				Data:     appendMembers(nil, []Member{{ID: 1, Addr: "a"}}),
			}
		case step%7 == 6 && acked.last > acked.first+2:
			// A new term overwrites a suffix.
			term++
			from := acked.last - uint64(rng.IntN(2))
			for i := range 3 {
				ents = append(ents, &raftpb.Entry{Index: new(from + uint64(i)), Term: new(term), Data: fmt.Appendf(nil, "c%d-%d", step, i)})
			}
		default:
			n := 1 + rng.IntN(4)
			for i := range n {
				ents = append(ents, &raftpb.Entry{Index: new(acked.last + 1 + uint64(i)), Term: new(term), Data: fmt.Appendf(nil, "e%d-%d", step, i)})
			}
		}
		if step%5 == 4 {
			vote = uint64(1 + rng.IntN(3))
			term++
			for _, e := range ents {
				e.Term = new(term)
			}
		}
		hs := &raftpb.HardState{Term: new(term), Vote: new(vote), Commit: new(uint64(0))}
		inSave = true
		if err := s.Save(hs, ents, snap); err != nil {
			t.Fatalf("step %d: save: %v", step, err)
		}
		inSave = false
		acked = observe(t, s)
		if acked.term != term || acked.vote != vote {
			t.Fatalf("step %d: term/vote %d/%d, want %d/%d", step, acked.term, acked.vote, term, vote)
		}
		afters = append(afters, acked.clone())
		crashes = append(crashes, crash{fs: fs.CrashClone(), before: acked.clone(), saveStep: step})
	}
	fs.SetHook(nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for i, c := range crashes {
		r, err := OpenStorage(StorageOptions{FS: c.fs, DataDir: "/data", LogDir: "/log"})
		if err != nil {
			t.Fatalf("crash %d (step %d, mid-save %v): reopen: %v", i, c.saveStep, c.midSave, err)
		}
		got := observe(t, r)
		r.Close()
		if !c.midSave {
			if !sameLog(got, c.before) || got.term != c.before.term || got.vote != c.before.vote {
				t.Fatalf("crash %d after step %d: got %+v, acknowledged %+v", i, c.saveStep, got, c.before)
			}
			continue
		}
		after := afters[c.saveStep]
		if got.term != c.before.term && got.term != after.term {
			t.Fatalf("crash %d in step %d: term %d is neither %d nor %d", i, c.saveStep, got.term, c.before.term, after.term)
		}
		for idx := got.first; idx <= got.last; idx++ {
			e := got.ents[idx]
			if e != c.before.ents[idx] && e != after.ents[idx] {
				t.Fatalf("crash %d in step %d: entry %d = %q, neither before (%q) nor after (%q)", i, c.saveStep, idx, e, c.before.ents[idx], after.ents[idx])
			}
		}
		// Acknowledged entries that the Save did not replace survive.
		for idx := c.before.first; idx <= c.before.last; idx++ {
			if after.ents[idx] == c.before.ents[idx] && idx >= got.first && got.ents[idx] != c.before.ents[idx] {
				t.Fatalf("crash %d in step %d: acknowledged entry %d lost", i, c.saveStep, idx)
			}
		}
	}
	mid := 0
	for _, c := range crashes {
		if c.midSave {
			mid++
		}
	}
	if mid < 40 {
		t.Fatalf("only %d crash points inside a Save", mid)
	}
	t.Logf("%d crash points checked, %d inside a Save", len(crashes), mid)
}

func sameLog(a, b logModel) bool {
	if a.first != b.first || a.last != b.last {
		return false
	}
	for i := a.first; i <= a.last; i++ {
		if a.ents[i] != b.ents[i] {
			return false
		}
	}
	return true
}

func TestStorageSnapshotCompactAndReopen(t *testing.T) {
	fs := storage.NewMemFS()
	s := openTest(t, fs)
	if err := s.Bootstrap([]Member{{ID: 1, Addr: "a"}}); err != nil {
		t.Fatal(err)
	}
	var ents []*raftpb.Entry
	for i := uint64(2); i <= 200; i++ {
		ents = append(ents, &raftpb.Entry{Index: new(i), Term: new(uint64(2)), Data: fmt.Appendf(nil, "d%d", i)})
	}
	if err := s.Save(&raftpb.HardState{Term: new(uint64(2)), Vote: new(uint64(1)), Commit: new(uint64(200))}, ents, nil); err != nil {
		t.Fatal(err)
	}
	meta := &raftpb.SnapshotMetadata{Index: new(uint64(150)), Term: new(uint64(2)), ConfState: &raftpb.ConfState{Voters: []uint64{1}}}
	if err := s.CreateSnapshot(meta, []Member{{ID: 1, Addr: "a"}}, func(w ioWriter) error { _, err := w.Write([]byte("state@150")); return err }); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(140); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Entries(100, 141, 1<<30); !errors.Is(err, raft.ErrCompacted) {
		t.Fatalf("entries below the compaction: %v, want ErrCompacted", err)
	}
	if tm, err := s.Term(140); err != nil || tm != 2 {
		t.Fatalf("term of the compacted index: %d, %v", tm, err)
	}
	// raft asks for the snapshot: loaded in the background.
	waitSnap := func() *raftpb.Snapshot {
		for range 1000 {
			sn, err := s.Snapshot()
			if err == nil {
				return sn
			}
			if !errors.Is(err, raft.ErrSnapshotTemporarilyUnavailable) {
				t.Fatal(err)
			}
			waitBriefly()
		}
		t.Fatal("snapshot never loaded")
		return nil
	}
	sn := waitSnap()
	ms, app, err := splitSnapshotData(sn.GetData())
	if err != nil || len(ms) != 1 || string(app) != "state@150" || sn.GetMetadata().GetIndex() != 150 {
		t.Fatalf("snapshot data: members %v app %q err %v", ms, app, err)
	}
	s.Close()

	var restored string
	r, err := OpenStorage(StorageOptions{FS: fs.CrashClone(), DataDir: "/data", LogDir: "/log", Restore: func(index, term uint64, rd ioReader) error {
		b, err := readAll(rd)
		restored = fmt.Sprintf("%d/%d/%s", index, term, b)
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if restored != "150/2/state@150" {
		t.Fatalf("restored %q", restored)
	}
	if f, _ := r.FirstIndex(); f != 151 {
		t.Fatalf("first index after reopen %d, want 151", f)
	}
	if l, _ := r.LastIndex(); l != 200 {
		t.Fatalf("last index after reopen %d, want 200", l)
	}
	hs, cs, _ := r.InitialState()
	if hs.GetCommit() != 200 || len(cs.GetVoters()) != 1 {
		t.Fatalf("initial state %v %v", hs, cs)
	}
}

func TestStorageMissingStateFileIsAnError(t *testing.T) {
	fs := storage.NewMemFS()
	s := openTest(t, fs)
	if err := s.Bootstrap([]Member{{ID: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(&raftpb.HardState{Term: new(uint64(2)), Vote: new(uint64(1))}, []*raftpb.Entry{{Index: new(uint64(2)), Term: new(uint64(2))}}, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := fs.Remove("/log/" + stateFileName); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStorage(StorageOptions{FS: fs, DataDir: "/data", LogDir: "/log"}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open without state file: %v, want ErrCorrupt", err)
	}
}

func TestStateFileRoundTripAndDamage(t *testing.T) {
	st := diskState{term: 7, vote: 3, commit: 99, boot: []Member{{ID: 1, Addr: "h1:2888"}, {ID: 4, Addr: "h4:2888", Learner: true}}}
	b := encodeState(st)
	got, err := decodeState(b)
	if err != nil || got.term != 7 || got.vote != 3 || got.commit != 99 || len(got.boot) != 2 || !got.boot[1].Learner {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for i := range b {
		d := append([]byte(nil), b...)
		d[i] ^= 0x40
		if _, err := decodeState(d); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
	}
	if _, err := decodeState(b[:len(b)-1]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short file: %v", err)
	}
}

func TestZxidGrowsAlongTheLog(t *testing.T) {
	type pos struct{ term, index uint64 }
	log := []pos{{1, 1}, {1, 2}, {2, 3}, {2, 1<<32 - 1}, {2, 1 << 32}, {3, 1<<32 + 1}, {9, 1<<33 + 5}}
	for i := 1; i < len(log); i++ {
		a, b := Zxid(log[i-1].term, log[i-1].index), Zxid(log[i].term, log[i].index)
		if b <= a {
			t.Fatalf("zxid of %v (%#x) not above %v (%#x)", log[i], b, log[i-1], a)
		}
	}
	if z := Zxid(5, 17); z>>32 != 5 || z&0xffffffff != 17 {
		t.Fatalf("zxid %#x does not read as epoch 5 counter 17", z)
	}
}

// TestStorageRecentEntries: the entries Entries serves from memory (the
// newest appends) are those the log holds, across a replaced suffix, a
// size limit and a reopen.
func TestStorageRecentEntries(t *testing.T) {
	fs := storage.NewMemFS()
	s := openTest(t, fs)
	if err := s.Bootstrap([]Member{{ID: 1, Addr: "a"}}); err != nil {
		t.Fatal(err)
	}
	ents := func(term, from, to uint64) []*raftpb.Entry {
		var out []*raftpb.Entry
		for i := from; i <= to; i++ {
			out = append(out, &raftpb.Entry{Term: new(term), Index: new(i), Data: fmt.Appendf(nil, "t%d-i%d", term, i)})
		}
		return out
	}
	hs := &raftpb.HardState{Term: new(uint64(2)), Vote: new(uint64(1)), Commit: new(uint64(1))}
	if err := s.Save(hs, ents(2, 2, 30), nil); err != nil {
		t.Fatal(err)
	}
	hs.Term = new(uint64(3))
	if err := s.Save(hs, ents(3, 20, 25), nil); err != nil { // replaces 20..30
		t.Fatal(err)
	}
	fromMemory := observe(t, s)
	if fromMemory.last != 25 || fromMemory.ents[21] != "3/t3-i21" || fromMemory.ents[19] != "2/t2-i19" {
		t.Fatalf("after a replaced suffix: last %d, 19=%q 21=%q", fromMemory.last, fromMemory.ents[19], fromMemory.ents[21])
	}
	limited, err := s.Entries(2, 26, uint64(2*(entryOverhead+len("t2-i2"))))
	if err != nil || len(limited) != 2 {
		t.Fatalf("size-limited read: %d entries, %v", len(limited), err)
	}
	if one, err := s.Entries(5, 6, 1); err != nil || len(one) != 1 {
		t.Fatalf("a read below one entry's size: %d entries, %v", len(one), err)
	}
	s.Close()
	r := openTest(t, fs)
	defer r.Close()
	if fromLog := observe(t, r); !sameLog(fromMemory, fromLog) {
		t.Fatalf("served from memory %+v, from the log after reopening %+v", fromMemory, fromLog)
	}
}
