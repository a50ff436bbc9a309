package servertest_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkafka/zkafka/internal/keeper/server/servertest"
	"github.com/zkafka/zkafka/internal/testkit/wait"
)

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// TestRollingRestart restarts every member of a 3-member ensemble one at
// a time, as an operator upgrading it would, while a client writes
// without pause and another session holds an ephemeral node and does
// nothing else. Afterwards every member has every write whose reply
// arrived, the sequence counter went on from where it was (acknowledged
// sequential names grow in the order they were acknowledged), and the
// idle session was never expired: its ephemeral is still there and it
// never saw StateExpired.
func TestRollingRestart(t *testing.T) {
	e := servertest.Start(t, servertest.Options{})
	addrs := e.Addrs()
	// The held session's timeout is short beside the time each member
	// stays down, so a member that forgot to keep it alive (or a new
	// leader that expired it on stale liveness) would expire it.
	const heldTimeout = 1200 * time.Millisecond
	const sessionTimeout = 4 * time.Second // 20 ticks: the maximum

	held, heldEvents, err := zk.Connect(addrs, heldTimeout, zk.WithLogger(nopLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	var expired sync.WaitGroup
	expiredSeen := make(chan struct{})
	expired.Add(1)
	go func() {
		defer expired.Done()
		for ev := range heldEvents {
			if ev.State == zk.StateExpired {
				close(expiredSeen)
				return
			}
		}
	}()
	wait.For(t, 10*time.Second, "the held session to connect", func() bool { return held.State() == zk.StateHasSession })
	if _, err := held.Create("/held", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	heldID := held.SessionID()

	w, _, err := zk.Connect(addrs, sessionTimeout, zk.WithLogger(nopLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	wait.For(t, 10*time.Second, "the writer to connect", func() bool { return w.State() == zk.StateHasSession })
	if _, err := w.Create("/roll", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}

	// The writer creates sequential nodes one after another and records
	// those whose reply arrived.
	var (
		mu    sync.Mutex
		acked []string
	)
	ackedCount := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	ctx, stop := context.WithCancel(context.Background())
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		for ctx.Err() == nil {
			p, err := w.Create("/roll/n-", []byte("x"), zk.FlagSequence, zk.WorldACL(zk.PermAll))
			if err == nil {
				mu.Lock()
				acked = append(acked, p)
				mu.Unlock()
			}
		}
	}()
	defer func() { stop(); writer.Wait() }()
	// moreWrites waits for 20 more acknowledged writes and for at least
	// d to pass.
	moreWrites := func(what string, d time.Duration) {
		t.Helper()
		n, since := ackedCount(), time.Now()
		wait.For(t, 30*time.Second, fmt.Sprintf("20 more acknowledged writes %s", what), func() bool {
			return ackedCount() >= n+20 && time.Since(since) >= d
		})
	}

	moreWrites("before the first restart", 0)
	for _, id := range e.IDs() {
		e.Stop(id)
		moreWrites(fmt.Sprintf("while member %d is down", id), 2*heldTimeout)
		if err := e.Restart(id); err != nil {
			t.Fatal(err)
		}
		e.WaitLeader(t)
		// The restarted member has caught up once it serves, after a
		// sync, the last write acknowledged so far.
		mu.Lock()
		last := acked[len(acked)-1]
		mu.Unlock()
		wait.For(t, 30*time.Second, fmt.Sprintf("member %d to serve %s", id, last), func() bool {
			return hasNode(t, e.Addr(id), last)
		})
		moreWrites(fmt.Sprintf("after member %d is back", id), 0)
	}
	stop()
	writer.Wait()

	select {
	case <-expiredSeen:
		t.Fatal("the held session was expired during the rolling restart")
	default:
	}
	if got := held.SessionID(); got != heldID {
		t.Fatalf("the held session changed from %#x to %#x", heldID, got)
	}

	// Acknowledged sequential names grow in acknowledgement order.
	seqs := make([]int, len(acked))
	for i, p := range acked {
		n, err := strconv.Atoi(strings.TrimPrefix(p, "/roll/n-"))
		if err != nil {
			t.Fatalf("acknowledged name %q: %v", p, err)
		}
		seqs[i] = n
		if i > 0 && n <= seqs[i-1] {
			t.Fatalf("sequence went back: %s acknowledged after %s", p, acked[i-1])
		}
	}
	t.Logf("%d writes acknowledged, sequence %d..%d", len(acked), seqs[0], seqs[len(seqs)-1])

	// Every member has every acknowledged write and the held ephemeral.
	for _, id := range e.IDs() {
		c := connectOne(t, e.Addr(id))
		if _, err := c.Sync("/roll"); err != nil {
			t.Fatalf("member %d: sync: %v", id, err)
		}
		children, _, err := c.Children("/roll")
		if err != nil {
			t.Fatalf("member %d: children: %v", id, err)
		}
		have := map[string]bool{}
		for _, ch := range children {
			have["/roll/"+ch] = true
		}
		for _, p := range acked {
			if !have[p] {
				t.Errorf("member %d lost acknowledged write %s", id, p)
			}
		}
		_, st, err := c.Get("/held")
		if err != nil {
			t.Errorf("member %d: the held session's ephemeral: %v", id, err)
		} else if st.EphemeralOwner != heldID {
			t.Errorf("member %d: /held is owned by %#x, want %#x", id, st.EphemeralOwner, heldID)
		}
		c.Close()
	}
	held.Close()
	expired.Wait()
}

// connectOne connects to one member only and waits for the session.
func connectOne(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogger(nopLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, 20*time.Second, "a session on "+addr, func() bool { return c.State() == zk.StateHasSession })
	return c
}

// hasNode reports whether the member at addr, after a sync, has path; a
// member that is not serving yet has nothing.
func hasNode(t *testing.T, addr, path string) bool {
	c, _, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogger(nopLogger{}))
	if err != nil {
		return false
	}
	defer c.Close()
	if !wait.Until(2*time.Second, func() bool { return c.State() == zk.StateHasSession }) {
		return false
	}
	if _, err := c.Sync(path); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return false
	}
	ok, _, err := c.Exists(path)
	return err == nil && ok
}
