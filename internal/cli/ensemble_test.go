package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/server"
	"github.com/zkafka/zkafka/internal/keeper/server/servertest"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// TestZkCliAgainstKeeperEnsemble is TestZkCliAgainstKeeper (and `make
// interop`'s scripts/interop.zkcli) with Apache's zkCli.sh connected to
// one member of a 3-member keeper ensemble: the leader, then a follower.
// The reference stays a standalone Apache ZooKeeper: neither script
// prints anything that depends on the server's mode (no srvr, no
// /zookeeper/config), so an ensemble member must answer exactly as a
// standalone server does, once zxids, times and session ids are
// normalised as for the standalone comparison. A member is started fresh
// for each role and reset between the two scripts, like the reference.
func TestZkCliAgainstKeeperEnsemble(t *testing.T) {
	root, err := zktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	interop, err := os.ReadFile(filepath.Join(root, "scripts", "interop.zkcli"))
	if err != nil {
		t.Fatal(err)
	}
	// zkCli.sh prints watch events from its event thread and exits at
	// quit without waiting for it; a sync first drains it (see
	// interactiveScript), so no event of the script's persistent watch is
	// lost on either side.
	interopScript, ok := strings.CutSuffix(string(interop), "quit\n")
	if !ok {
		t.Fatal("scripts/interop.zkcli no longer ends with quit")
	}
	interopScript += "sync /\nquit\n"
	scripts := []struct{ name, text string }{{"interactive", interactiveScript}, {"interop.zkcli", interopScript}}
	type result struct {
		out  string
		code int
	}
	apache := zktest.StartApache(t)
	var want []result
	for _, sc := range scripts {
		out, code := runApache(t, []string{"-server", apache.Addr}, sc.text)
		want = append(want, result{out, code})
		resetServer(t, apache.Addr)
	}
	for _, role := range []string{"leader", "follower"} {
		t.Run(role, func(t *testing.T) {
			// The keeper settings of TestZkCliAgainstKeeper; sessions may
			// be as long as zkCli's default 30 s, as with its tickTime 2 s.
			e := servertest.Start(t, servertest.Options{Modify: func(_ uint64, o *server.Options) {
				o.ExtendedTypes = true
				o.ContainerCheckInterval = time.Second
				o.MaxSessionTimeout = 40 * time.Second
			}})
			id := e.WaitLeader(t)
			if role == "follower" {
				id = e.Followers(id)[0]
			}
			for i, sc := range scripts {
				t.Run(sc.name, func(t *testing.T) {
					got, gotCode := runApache(t, []string{"-server", e.Addr(id)}, sc.text)
					compareZkCli(t, want[i].out, want[i].code, got, gotCode)
				})
				resetServer(t, e.Addr(id))
			}
			if m := e.Mode(id); m != role {
				t.Errorf("member %d is %q after the scripts, was the %s: a leader change happened in the middle", id, m, role)
			}
		})
	}
}
