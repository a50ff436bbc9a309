package quorumtest

import (
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

type sink struct {
	mu   sync.Mutex
	got  []uint64
	snap []raft.SnapshotStatus
}

func (s *sink) Process(m *raftpb.Message) {
	s.mu.Lock()
	s.got = append(s.got, m.GetIndex())
	s.mu.Unlock()
}
func (s *sink) ReportUnreachable(uint64) {}
func (s *sink) ReportSnapshot(_ uint64, st raft.SnapshotStatus) {
	s.mu.Lock()
	s.snap = append(s.snap, st)
	s.mu.Unlock()
}

func (s *sink) indexes() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint64(nil), s.got...)
}

// run sends 200 messages from 1 to 2 and returns what arrived, in order.
func run(t *testing.T, seed uint64) ([]uint64, Stats) {
	nw := NewNetwork(seed)
	nw.SetDropRate(0.2)
	nw.SetDuplicateRate(0.1)
	nw.SetDelay(0, time.Millisecond)
	a, b := nw.Transport(1), nw.Transport(2)
	sa, sb := &sink{}, &sink{}
	a.Start(sa)
	b.Start(sb)
	defer a.Close()
	defer b.Close()
	for i := range 200 {
		a.Send([]*raftpb.Message{{Type: raftpb.MessageType_MsgApp.Enum(), From: new(uint64(1)), To: new(uint64(2)), Index: new(uint64(i))}})
	}
	st := nw.Stats()
	want := st.Sent - st.Dropped + st.Duplicated
	deadline := time.Now().Add(10 * time.Second)
	for len(sb.indexes()) < want {
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d of %d", len(sb.indexes()), want)
		}
		time.Sleep(time.Millisecond)
	}
	return sb.indexes(), st
}

func TestNetworkIsDeterministicPerSeed(t *testing.T) {
	x, sx := run(t, 42)
	y, sy := run(t, 42)
	if sx.Sent != sy.Sent || sx.Dropped != sy.Dropped || sx.Duplicated != sy.Duplicated || len(x) != len(y) {
		t.Fatalf("same seed, different runs: %+v vs %+v", sx, sy)
	}
	for i := range x {
		if x[i] != y[i] {
			t.Fatalf("same seed, message %d differs: %d vs %d", i, x[i], y[i])
		}
	}
	if sx.Dropped == 0 || sx.Duplicated == 0 {
		t.Fatalf("faults not injected: %+v", sx)
	}
	for i := 1; i < len(x); i++ {
		if x[i] < x[i-1] {
			t.Fatalf("link reordered messages: %d after %d", x[i], x[i-1])
		}
	}
	z, _ := run(t, 43)
	if len(z) == len(x) {
		same := true
		for i := range z {
			same = same && z[i] == x[i]
		}
		if same {
			t.Fatalf("different seeds made the same decisions")
		}
	}
}

func TestNetworkPartitionAndHeal(t *testing.T) {
	nw := NewNetwork(1)
	a, b := nw.Transport(1), nw.Transport(2)
	sa, sb := &sink{}, &sink{}
	a.Start(sa)
	b.Start(sb)
	defer a.Close()
	defer b.Close()
	nw.Partition([]uint64{1}, []uint64{2})
	a.Send([]*raftpb.Message{{Type: raftpb.MessageType_MsgSnap.Enum(), From: new(uint64(1)), To: new(uint64(2)), Index: new(uint64(1))}})
	deadline := time.Now().Add(5 * time.Second)
	for {
		sa.mu.Lock()
		n := len(sa.snap)
		sa.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no snapshot report for a snapshot sent across a partition")
		}
		time.Sleep(time.Millisecond)
	}
	if sa.snap[0] != raft.SnapshotFailure || len(sb.indexes()) != 0 {
		t.Fatalf("across a partition: report %v, delivered %v", sa.snap, sb.indexes())
	}
	nw.Heal()
	a.Send([]*raftpb.Message{{Type: raftpb.MessageType_MsgApp.Enum(), From: new(uint64(1)), To: new(uint64(2)), Index: new(uint64(2))}})
	for len(sb.indexes()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("not delivered after heal")
		}
		time.Sleep(time.Millisecond)
	}
}
