package zktest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Ensemble is a running Apache ZooKeeper ensemble: Servers[i] is server
// id i+1.
type Ensemble struct {
	// Servers are the members in id order; each one's Dir is DIR/s<id>.
	Servers []*Server
}

// Addrs returns the client addresses in id order.
func (e *Ensemble) Addrs() []string {
	addrs := make([]string, len(e.Servers))
	for i, s := range e.Servers {
		addrs[i] = s.Addr
	}
	return addrs
}

// Stop stops every member.
func (e *Ensemble) Stop() {
	for _, s := range e.Servers {
		s.Stop()
	}
}

// StartApacheEnsemble starts an ensemble of n Apache ZooKeeper servers on
// loopback with scripts/apache-ensemble.sh, waits until every member
// reports leader or follower, and stops them when the test ends. It skips
// the test when the reference server is unavailable.
func StartApacheEnsemble(tb testing.TB, n int) *Ensemble {
	tb.Helper()
	return StartApacheEnsembleEnv(tb, n, nil)
}

// StartApacheEnsembleEnv is StartApacheEnsemble with extra environment
// for the script, such as JAVA_OPTS=-Dreadonlymode.enabled=true or
// ZOO_CFG_EXTRA=reconfigEnabled=true (see scripts/apache-ensemble.sh).
func StartApacheEnsembleEnv(tb testing.TB, n int, env []string) *Ensemble {
	tb.Helper()
	Script(tb) // skips without java or the shared tools
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	script := filepath.Join(root, "scripts", "apache-ensemble.sh")
	dir := tb.TempDir()
	cmd := exec.Command("bash", script, strconv.Itoa(n), dir)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	runErr := cmd.Run()
	e := &Ensemble{}
	// Whatever started is stopped, also when the ensemble did not form.
	for i := 1; i <= n; i++ {
		d := filepath.Join(dir, fmt.Sprintf("s%d", i))
		if pid, err := readPid(d); err == nil {
			e.Servers = append(e.Servers, &Server{Dir: d, pid: pid})
		}
	}
	tb.Cleanup(e.Stop)
	if runErr != nil {
		tb.Fatalf("%s %d: %v: %s", script, n, runErr, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != n || len(e.Servers) != n {
		tb.Fatalf("%s %d printed %q", script, n, out.String())
	}
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != strconv.Itoa(i+1) {
			tb.Fatalf("%s: unexpected line %q", script, line)
		}
		e.Servers[i].Addr = net.JoinHostPort("127.0.0.1", f[1])
	}
	for _, s := range e.Servers {
		if err := WaitServing(s.Addr, 30*time.Second); err != nil {
			tb.Fatal(err)
		}
	}
	return e
}
