package linearize

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/zkafka/zkafka/internal/keeper/quorum"
	"github.com/zkafka/zkafka/internal/keeper/quorum/quorumtest"
	"github.com/zkafka/zkafka/internal/keeper/server"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// keeperEnsemble is an in-process 3-member keeper ensemble over a
// quorumtest.Network. A member restarts on the same client address and
// data directory.
type keeperEnsemble struct {
	t       *testing.T
	nw      *quorumtest.Network
	members []quorum.Member
	dirs    []string
	addrs   []string
	mu      sync.Mutex
	servers []*server.Server // nil while a member is down
}

func startEnsemble(t *testing.T, n int) *keeperEnsemble {
	t.Helper()
	e := &keeperEnsemble{t: t, nw: quorumtest.NewNetwork(7), servers: make([]*server.Server, n)}
	for i := range n {
		e.members = append(e.members, quorum.Member{ID: uint64(i + 1), Addr: fmt.Sprintf("mem:%d", i+1)})
		e.dirs = append(e.dirs, t.TempDir())
		e.addrs = append(e.addrs, "127.0.0.1:0")
	}
	for i := range n {
		if err := e.start(i); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for i := range e.servers {
			e.stop(i)
		}
	})
	return e
}

func (e *keeperEnsemble) start(i int) error {
	o := server.Options{
		ClientAddr: e.addrs[i], DataDir: e.dirs[i], TickTime: 200 * time.Millisecond,
		FourLetterWords: []string{"srvr"},
		Ensemble: &server.EnsembleOptions{
			ID: e.members[i].ID, Members: e.members, Transport: e.nw.Transport(e.members[i].ID),
			ProposalTimeout: 2 * time.Second,
		},
	}
	if testing.Verbose() {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("member", i+1)
	}
	s, err := server.New(o)
	if err != nil {
		return err
	}
	if err := s.Start(); err != nil {
		s.Close()
		return err
	}
	e.mu.Lock()
	e.servers[i] = s
	e.addrs[i] = s.Addr().String()
	e.mu.Unlock()
	return nil
}

func (e *keeperEnsemble) stop(i int) {
	e.mu.Lock()
	s := e.servers[i]
	e.servers[i] = nil
	e.mu.Unlock()
	if s != nil {
		s.Close()
	}
}

// leader returns the index of the member whose srvr says leader, waiting
// for one.
func (e *keeperEnsemble) leader(ctx context.Context) (int, error) {
	for {
		e.mu.Lock()
		addrs := append([]string(nil), e.addrs...)
		up := append([]*server.Server(nil), e.servers...)
		e.mu.Unlock()
		for i, a := range addrs {
			if up[i] == nil {
				continue
			}
			if out, err := zktest.FourLetter(a, "srvr"); err == nil && strings.Contains(out, "Mode: leader\n") {
				return i, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("no leader: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestEnsembleLeaderKilledPasses runs the workload on a 3-member ensemble
// whose leader is killed a third of the way in and restarted at two
// thirds; the history must be linearizable, and writes must have gone on.
func TestEnsembleLeaderKilledPasses(t *testing.T) {
	e := startEnsemble(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.leader(ctx); err != nil {
		t.Fatal(err)
	}
	const dur = 6 * time.Second
	faults := make(chan error, 1)
	go func() {
		time.Sleep(dur / 3)
		i, err := e.leader(ctx)
		if err != nil {
			faults <- err
			return
		}
		t.Logf("killing member %d (the leader)", i+1)
		e.stop(i)
		time.Sleep(dur / 3)
		t.Logf("restarting member %d", i+1)
		faults <- e.start(i)
	}()
	h, r := run(t, Config{Servers: append([]string(nil), e.addrs...), Clients: 5, Keys: 5, Seed: 11, Duration: dur}, porcupine.Ok)
	if err := <-faults; err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	k := kinds(h)
	for _, kind := range []Kind{Create, Set, Get, SyncGet} {
		if k[kind][OK] < 5 {
			t.Errorf("%v: %v, want at least 5 OK", kind, k[kind])
		}
	}
}
