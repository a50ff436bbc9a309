package quorum_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/quorum"
	"github.com/zkafka/zkafka/internal/keeper/storage"
)

// TestLeaderReplicatesWhileItsFsyncIsPending stops a leader between writing
// a new entry to its log and syncing it: the followers must get the entry
// and make it durable meanwhile (the leader sends before its fsync). The
// leader then crashes with the entry unsynced; the followers' new leader
// commits it, and the old leader, restarted without it, catches up.
func TestLeaderReplicatesWhileItsFsyncIsPending(t *testing.T) {
	c := newCluster(t, 3, 0, 11, nil)
	lead := c.leader()
	c.write(lead, "warm", "1")
	want := map[string]string{"warm": "1"}
	c.converged(want, 1, 2, 3)

	var followers []uint64
	for _, id := range []uint64{1, 2, 3} {
		if id != lead {
			followers = append(followers, id)
		}
	}
	// The leader's goroutine stops in its first log write (in Save, before
	// the fsync) until release is closed.
	blocked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c.fs[lead].SetHook(func(op, name string) {
		if op == "write" && strings.Contains(name, "/wal/") {
			once.Do(func() { close(blocked); <-release })
		}
	})
	proposed := make(chan error, 1)
	go func() { proposed <- c.nodes[lead].Propose(context.Background(), []byte("k=v")) }()
	select {
	case <-blocked:
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the leader did not write the proposal to its log")
	}
	// Both followers must hold the entry durably while the leader has not
	// synced it (or done anything else: without its heartbeats the
	// followers may elect a new leader meanwhile, which is fine).
	for _, id := range followers {
		deadline := time.Now().Add(10 * time.Second)
		for !durablyHolds(t, c.fs[id], "k=v") {
			if time.Now().After(deadline) {
				close(release)
				t.Fatalf("while the leader's fsync was pending, follower %d did not sync the entry", id)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}

	// Power loss on the leader: its disk keeps what was synced, not the entry.
	clone := c.fs[lead].CrashClone()
	c.net.Isolate(lead)
	close(release)
	if err := <-proposed; err != nil {
		t.Fatalf("propose: %v", err)
	}
	c.stop(lead)
	c.fs[lead] = clone
	c.net.Heal()
	want["k"] = "v"
	newLead := c.leader(followers...)
	c.write(newLead, "after", "2") // commits the entries of earlier terms
	want["after"] = "2"
	c.converged(want, followers...)
	c.start(lead)
	c.converged(want, lead)
	if st := c.nodes[lead].Status(); st.Role == quorum.RoleLeader && st.Leader != lead {
		t.Fatalf("inconsistent status after restart: %+v", st)
	}
}

// durablyHolds reports whether the synced part of the log in fsys (what a
// power loss keeps) contains data.
func durablyHolds(t *testing.T, fsys *storage.MemFS, data string) bool {
	t.Helper()
	crashed := fsys.CrashClone()
	names, err := crashed.ReadDir("/log/wal")
	if err != nil {
		t.Fatalf("read log dir: %v", err)
	}
	for _, name := range names {
		f, err := crashed.Open("/log/wal/" + name)
		if err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		if bytes.Contains(b, []byte(data)) {
			return true
		}
	}
	return false
}
