package server

import (
	"testing"
	"time"
)

// The op suite of server_test.go (go-zookeeper driving every op, watch,
// ACL scheme and error) runs against three servers under test, each in a
// subtest of its own:
//
//   - standalone: testServer;
//   - leader: the leader of a 3-member ensemble (newTestEnsemble);
//   - follower: a follower of such an ensemble.
//
// Every session of a test talks to that one server, so the expectations
// are those of a single server and stay the same for the three: a
// session's reads follow its own writes and what its watches told it,
// and a member applies every write in the ensemble's order before it
// answers the session that made it. What legitimately differs (srvr's
// Mode line) the tests take from the server under test.

// keeperRoles are the servers forEachKeeper runs a test against.
var keeperRoles = []string{"standalone", "leader", "follower"}

// forEachKeeper runs test once per keeperRoles entry, against a fresh
// server started with testServer's options changed by mod.
func forEachKeeper(t *testing.T, mod func(*Options), test func(t *testing.T, s *Server)) {
	t.Helper()
	for _, role := range keeperRoles {
		t.Run(role, func(t *testing.T) {
			s := keeperUnderTest(t, role, mod)
			test(t, s)
			if got := s.mode(); got != role {
				t.Errorf("the server under test is %q after the test, was the %s: a leader change happened in the middle", got, role)
			}
		})
	}
}

// keeperUnderTest starts the server a test talks to in the given role.
// Ensemble members get testServer's defaults (apart from tickTime, the
// ensemble harness's) before mod.
func keeperUnderTest(t *testing.T, role string, mod func(*Options)) *Server {
	t.Helper()
	if role == "standalone" {
		return testServer(t, mod)
	}
	te := newTestEnsemble(t, 3, func(o *Options) {
		o.ExtendedTypes = true
		o.ContainerCheckInterval = 100 * time.Millisecond
		if mod != nil {
			mod(o)
		}
	})
	id := te.waitLeader()
	if role == "follower" {
		id = te.follower(id)
	}
	return te.servers[id]
}
