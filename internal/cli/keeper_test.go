package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/server"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// TestZkCliAgainstKeeper runs Apache's own zkCli.sh with the interactive
// script against Apache ZooKeeper and against zkafka's keeper: a real
// client must not be able to tell the two servers apart.
func TestZkCliAgainstKeeper(t *testing.T) {
	apache := zktest.StartApache(t)
	want, wantCode := runApache(t, []string{"-server", apache.Addr}, interactiveScript)

	s, err := server.New(server.Options{
		ClientAddr:             "127.0.0.1:0",
		DataDir:                t.TempDir(),
		TickTime:               2 * time.Second,
		ExtendedTypes:          true,
		FourLetterWords:        []string{"*"},
		ContainerCheckInterval: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	got, gotCode := runApache(t, []string{"-server", s.Addr().String()}, interactiveScript)
	compareZkCli(t, want, wantCode, got, gotCode)
}

// compareZkCli compares what zkCli.sh printed and its exit status against
// Apache ZooKeeper (want) and against zkafka's keeper (got).
func compareZkCli(t *testing.T, want string, wantCode int, got string, gotCode int) {
	t.Helper()
	wantLines, gotLines := dropConnecting(normalize(want)), dropConnecting(normalize(got))
	sameOutcome := authOutcome(wantLines) == authOutcome(gotLines)
	wantOut, wantEvents := splitEvents(authRace(wantLines))
	gotOut, gotEvents := splitEvents(authRace(gotLines))
	diffLines(t, wantOut, gotOut)
	diffLines(t, wantEvents, gotEvents)
	// The exit status follows the last command's outcome, which after a
	// refused identity depends on the same race (see authRace).
	if gotCode != wantCode && sameOutcome {
		t.Errorf("zkCli.sh exit status %d against zkafka, %d against Apache", gotCode, wantCode)
	}
}

// dropConnecting removes the "Connecting to host:port" lines, which name
// the two servers' different ports.
func dropConnecting(lines []string) []string {
	out := lines[:0:0]
	for _, l := range lines {
		if !strings.HasPrefix(l, "Connecting to ") {
			out = append(out, l)
		}
	}
	return out
}

// isAuthRace reports whether l is one of the two outcomes of a command
// that races a refused identity (see authRace).
func isAuthRace(l string) bool {
	return l == "Not connected" || strings.HasPrefix(l, "KeeperErrorCode = AuthFailed")
}

// authOutcome is the last line that authRace would rewrite: which way the
// race went for the script's last command, on which the exit status
// depends.
func authOutcome(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if isAuthRace(lines[i]) {
			return lines[i]
		}
	}
	return ""
}

// authRace: after a refused identity the server answers AuthFailed and
// closes the connection (Apache and zkafka alike); whether zkCli's next
// command reports the AuthFailed or "Not connected" depends on which its
// threads see first, so both read the same here.
func authRace(lines []string) []string {
	for i, l := range lines {
		if isAuthRace(l) {
			lines[i] = "<auth failed or not connected>"
		}
	}
	return lines
}
