package zkclient

import (
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/server"
	"github.com/zkafka/zkafka/internal/keeper/server/servertest"
)

// The checks that Apache ZooKeeper and the standalone keeper pass
// (testOps, testChrootReconnectExpiry) run here against one member of a
// 3-member keeper ensemble: its leader, then a follower. Every session of
// a check talks to that one member, so the expectations stay those of a
// single server (a session's reads follow its own writes and those it
// was told about through watches).

func TestEnsembleOps(t *testing.T) {
	forEnsembleMembers(t, testOps)
}

func TestEnsembleChrootReconnectExpiry(t *testing.T) {
	forEnsembleMembers(t, testChrootReconnectExpiry)
}

// forEnsembleMembers runs test against the leader and against a follower
// of a fresh ensemble each, set up as startKeeper sets up the standalone
// keeper (extended types, containers swept every second, 10 s sessions
// allowed).
func forEnsembleMembers(t *testing.T, test func(t *testing.T, addr string)) {
	for _, role := range []string{"leader", "follower"} {
		t.Run(role, func(t *testing.T) {
			e := servertest.Start(t, servertest.Options{Modify: func(_ uint64, o *server.Options) {
				o.ExtendedTypes = true
				o.ContainerCheckInterval = time.Second
				o.MaxSessionTimeout = 40 * time.Second
			}})
			lead := e.WaitLeader(t)
			id := lead
			if role == "follower" {
				id = e.Followers(lead)[0]
			}
			test(t, e.Addr(id))
			// A leader change in the middle would have tested something
			// else than asked: say so.
			if m := e.Mode(id); m != role {
				t.Errorf("member %d is %q after the checks, was the %s", id, m, role)
			}
		})
	}
}
