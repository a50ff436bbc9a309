// Package servertest runs in-process keeper ensembles for the tests of
// other packages (zkclient, cli, linearize): members of package server
// whose raft messages travel over a quorumtest.Network, which can drop,
// delay and partition them, and which serve clients on 127.0.0.1 ports
// picked by the system. A member that is stopped and started again keeps
// its data directory and its client address, as a restarted process
// would.
//
// Package server's own tests cannot import this package (it imports
// server); they use the harness in server/ensemble_test.go.
package servertest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/config"
	"github.com/zkafka/zkafka/internal/keeper/quorum"
	"github.com/zkafka/zkafka/internal/keeper/quorum/quorumtest"
	"github.com/zkafka/zkafka/internal/keeper/server"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// Options configure an Ensemble; zero values take the defaults named.
type Options struct {
	// Voters is the number of voting members (default 3); Observers
	// learners follow them (ids Voters+1...).
	Voters, Observers int
	// TickTime is every member's tickTime (default 200ms: an election
	// takes one to two ticks).
	TickTime time.Duration
	// ProposalTimeout is EnsembleOptions.ProposalTimeout (default 2s).
	ProposalTimeout time.Duration
	// Seed seeds the network's fault decisions (default 1).
	Seed uint64
	// Modify, when set, changes a member's options before it starts
	// (each time it starts). The harness then makes sure the whitelist
	// of four-letter words holds srvr, which it asks for the mode.
	Modify func(id uint64, o *server.Options)
	// VerboseLogs logs the members' Info lines too under `go test -v`
	// (else Warn and above); without -v their logs are discarded.
	VerboseLogs bool
}

// Ensemble is a running in-process ensemble. Its methods may be called
// from any goroutine.
type Ensemble struct {
	// Net carries the members' raft messages: partition, cut, drop and
	// delay them through it.
	Net *quorumtest.Network

	tb      testing.TB
	opts    Options
	members []quorum.Member

	lines []config.Server // server.N lines, in id order

	mu      sync.Mutex
	dirs    map[uint64]string
	addrs   map[uint64]string         // client address, kept across restarts
	servers map[uint64]*server.Server // absent while a member is down
}

// ErrNoLeader is returned by Leader when the members asked agree on no
// leader before the context ends.
var ErrNoLeader = errors.New("servertest: no leader")

// Start starts every member and waits until they agree on a leader. The
// members are stopped when the test ends.
func Start(tb testing.TB, o Options) *Ensemble {
	tb.Helper()
	if o.Voters <= 0 {
		o.Voters = 3
	}
	if o.TickTime <= 0 {
		o.TickTime = 200 * time.Millisecond
	}
	if o.ProposalTimeout <= 0 {
		o.ProposalTimeout = 2 * time.Second
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	e := &Ensemble{Net: quorumtest.NewNetwork(o.Seed), tb: tb, opts: o,
		dirs: map[uint64]string{}, addrs: map[uint64]string{}, servers: map[uint64]*server.Server{}}
	// The client listeners first, for the server.N lines.
	lns := map[uint64]net.Listener{}
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for id := uint64(1); id <= uint64(o.Voters+o.Observers); id++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		lns[id] = ln
		qp, ep := unusedPort(tb), unusedPort(tb)
		line := config.Server{ID: int64(id), Host: "127.0.0.1", QuorumPort: qp, ElectionPort: ep,
			Observer: id > uint64(o.Voters), ClientHost: "127.0.0.1", ClientPort: ln.Addr().(*net.TCPAddr).Port}
		e.lines = append(e.lines, line)
		e.members = append(e.members, quorum.Member{ID: id, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(qp)), Learner: line.Observer})
		e.dirs[id] = tb.TempDir()
		e.addrs[id] = ln.Addr().String()
	}
	tb.Cleanup(func() {
		for _, id := range e.IDs() {
			e.Stop(id)
		}
	})
	for _, id := range e.IDs() {
		ln := lns[id]
		delete(lns, id)
		if err := e.start(id, ln); err != nil {
			tb.Fatal(err)
		}
	}
	e.WaitLeader(tb)
	return e
}

// IDs returns every member's id, ascending.
func (e *Ensemble) IDs() []uint64 {
	ids := make([]uint64, len(e.members))
	for i, m := range e.members {
		ids[i] = m.ID
	}
	return ids
}

// Addr returns member id's client address (its last one while it is
// down).
func (e *Ensemble) Addr(id uint64) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addrs[id]
}

// Addrs returns every member's client address in id order, running or
// not.
func (e *Ensemble) Addrs() []string {
	var out []string
	for _, id := range e.IDs() {
		out = append(out, e.Addr(id))
	}
	return out
}

// Server returns member id's server, nil while it is down.
func (e *Ensemble) Server(id uint64) *server.Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.servers[id]
}

// Running reports whether member id is up.
func (e *Ensemble) Running(id uint64) bool { return e.Server(id) != nil }

// Restart starts member id again on its data directory and client
// address. It fails when the member is running.
func (e *Ensemble) Restart(id uint64) error {
	if e.Running(id) {
		return fmt.Errorf("servertest: member %d is running", id)
	}
	ln, err := net.Listen("tcp", e.Addr(id))
	if err != nil {
		return fmt.Errorf("servertest: member %d: %w", id, err)
	}
	return e.start(id, ln)
}

// start starts member id serving clients on ln, which it closes on
// failure.
func (e *Ensemble) start(id uint64, ln net.Listener) error {
	e.mu.Lock()
	dir := e.dirs[id]
	e.mu.Unlock()
	o := server.Options{
		ClientAddr:      ln.Addr().String(),
		DataDir:         dir,
		TickTime:        e.opts.TickTime,
		FourLetterWords: []string{"*"},
		Ensemble: &server.EnsembleOptions{
			ID: id, Members: e.members, Servers: e.lines, Transport: e.Net.Transport(id),
			ProposalTimeout: e.opts.ProposalTimeout,
		},
	}
	if testing.Verbose() {
		level := slog.LevelWarn
		if e.opts.VerboseLogs {
			level = slog.LevelInfo
		}
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("member", id)
	}
	if e.opts.Modify != nil {
		e.opts.Modify(id, &o)
		if !slices.Contains(o.FourLetterWords, "*") && !slices.Contains(o.FourLetterWords, "srvr") {
			o.FourLetterWords = append(o.FourLetterWords, "srvr")
		}
	}
	s, err := server.New(o)
	if err != nil {
		ln.Close()
		return fmt.Errorf("servertest: member %d: %w", id, err)
	}
	if err := s.StartListener(ln); err != nil {
		s.Close()
		return fmt.Errorf("servertest: member %d: %w", id, err)
	}
	e.mu.Lock()
	e.servers[id] = s
	e.mu.Unlock()
	return nil
}

// unusedPort returns a port nothing listened on a moment ago, for the
// server.N lines' quorum and election ports.
func unusedPort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Stop closes member id, which the others see as a crash; its data stays
// for Restart. Stopping a stopped member does nothing.
func (e *Ensemble) Stop(id uint64) {
	e.mu.Lock()
	s := e.servers[id]
	delete(e.servers, id)
	e.mu.Unlock()
	if s != nil {
		if err := s.Close(); err != nil {
			e.tb.Logf("servertest: closing member %d: %v", id, err)
		}
	}
}

// Mode returns what member id's srvr says it is: "leader", "follower",
// "observer", or "" while it is down or serves no clients (it knows no
// leader).
func (e *Ensemble) Mode(id uint64) string {
	if !e.Running(id) {
		return ""
	}
	out, err := zktest.FourLetter(e.Addr(id), "srvr")
	if err != nil {
		return ""
	}
	for l := range strings.SplitSeq(out, "\n") {
		if m, ok := strings.CutPrefix(l, "Mode: "); ok {
			return m
		}
	}
	return ""
}

// Leader waits until the running members among ids (every running member
// when ids is empty) serve clients under one leader, and returns its id.
// The leader need not be among ids.
func (e *Ensemble) Leader(ctx context.Context, ids ...uint64) (uint64, error) {
	if len(ids) == 0 {
		ids = e.IDs()
	}
	for {
		var lead uint64
		ok, leaders := true, 0
		for _, id := range e.IDs() {
			switch m := e.Mode(id); {
			case m == "leader":
				lead = id
				leaders++
			case m == "" && e.Running(id) && slices.Contains(ids, id):
				ok = false
			}
		}
		if ok && leaders == 1 {
			return lead, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%w among members %v: %w", ErrNoLeader, ids, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// WaitLeader is Leader with a 30 s deadline that fails tb.
func (e *Ensemble) WaitLeader(tb testing.TB, ids ...uint64) uint64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lead, err := e.Leader(ctx, ids...)
	if err != nil {
		tb.Fatal(err)
	}
	return lead
}

// Followers returns the running voting members other than lead, by id.
func (e *Ensemble) Followers(lead uint64) []uint64 {
	var out []uint64
	for _, m := range e.members {
		if m.ID != lead && !m.Learner && e.Running(m.ID) {
			out = append(out, m.ID)
		}
	}
	return out
}
