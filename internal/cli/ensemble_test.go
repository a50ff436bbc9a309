package cli

import (
	"os"
	"path/filepath"
	"regexp"
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
// The reference is one member of a 3-server Apache ZooKeeper ensemble
// (reconfigEnabled false in both), so that what depends on the ensemble
// (the interactive script's config, config -c and config -s, which print
// /zookeeper/config) is compared too. Besides what the standalone
// comparison normalises, ensembleNormalize masks what legitimately
// differs between two ensembles: the ports in /zookeeper/config, and so
// its length. A member is started fresh for each role and reset between
// the two scripts, like the reference.
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
	apache := zktest.StartApacheEnsemble(t, 3).Servers[0].Addr
	var want []result
	for _, sc := range scripts {
		out, code := runApache(t, []string{"-server", apache}, sc.text)
		want = append(want, result{ensembleNormalize(out), code})
		resetServer(t, apache)
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
					compareZkCli(t, want[i].out, want[i].code, ensembleNormalize(got), gotCode)
				})
				resetServer(t, e.Addr(id))
			}
			if m := e.Mode(id); m != role {
				t.Errorf("member %d is %q after the scripts, was the %s: a leader change happened in the middle", id, m, role)
			}
		})
	}
}

var (
	reLoopbackPort = regexp.MustCompile(`127\.0\.0\.1(:[0-9]+)+`) // host:port, host:quorum:election
)

// ensembleNormalize masks, in zkCli.sh's output, what differs between two
// ensembles that hold the same data: the ports of the servers in
// /zookeeper/config (config, config -c, config -s: quorum, election and
// client ports), and the data length
// that config -s prints after them. The configuration version is compared
// as it is (version=0 with reconfigEnabled=false, on both).
func ensembleNormalize(out string) string {
	out = reLoopbackPort.ReplaceAllString(out, "127.0.0.1:PORT")
	// The length of /zookeeper/config depends on its ports' digits.
	lines := strings.Split(out, "\n")
	inConfig := false
	for i, l := range lines {
		switch {
		case l == "version=VERSION":
			inConfig = true
		case inConfig && strings.HasPrefix(l, "dataLength = "):
			lines[i] = "dataLength = CONFIG"
			inConfig = false
		case inConfig && !strings.Contains(l, " = "):
			inConfig = false // config without -s: no stat follows
		}
	}
	return strings.Join(lines, "\n")
}
