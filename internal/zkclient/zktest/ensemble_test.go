package zktest

import (
	"regexp"
	"testing"
)

// TestStartApacheEnsemble: three Apache servers form one ensemble with one
// leader, and each answers on its own client port.
func TestStartApacheEnsemble(t *testing.T) {
	e := StartApacheEnsemble(t, 3)
	mode := regexp.MustCompile(`(?m)^Mode: (\w+)$`)
	modes := map[string]int{}
	for _, addr := range e.Addrs() {
		out, err := FourLetter(addr, "srvr")
		if err != nil {
			t.Fatal(err)
		}
		m := mode.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("srvr from %s has no Mode line:\n%s", addr, out)
		}
		modes[m[1]]++
	}
	if modes["leader"] != 1 || modes["follower"] != 2 {
		t.Fatalf("modes = %v, want one leader and two followers", modes)
	}
}
