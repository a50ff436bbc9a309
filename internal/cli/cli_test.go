package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/zkclient"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// The differential tests run the same commands through Apache's zkCli.sh
// and through this package against one Apache ZooKeeper, and compare what
// both print once zxids, times, session ids and the version are
// normalised. zkCli.sh (3.8) is the reference, so the CLI runs in
// Dialect38 here.

var update = flag.Bool("update", false, "rewrite testdata/oneshot.golden from Apache zkCli.sh")

// interactiveScript is fed to both shells on stdin. It avoids events of
// other sessions and the Closed event of close, which Java prints at
// unpredictable points. zkCli.sh prints watch events from its event thread
// while its main thread goes on; a "sync" returns only once that thread
// has run everything queued before it, so one comes before "setAcl -R"
// (whose errors are printed without a newline, which a late event would
// end) and before "printwatches off" (Java checks the flag when it prints
// an event, not when the event arrives).
const interactiveScript = `create /t
create /t/a hello
create /t/a hello
create /t/b "two words"
create -s /t/s
create -s /t/s
create -e /t/e
create -s -e /t/se
create -c /t/c
create -t 1000000 /t/ttl
create -t 1000000 -s /t/ttls
create -t 0 /t/x
create -t abc /t/x
create -c -e /t/x
create -t 5 -e /t/x
create -t 5 -c /t/x
create
create /nope/x
create t/x
create /t/e/x
create /t/acl x world:anyone:r
create /t/bad x foo:bar
create /t/bad2 x digest:bad:cdrwa
create /t/perm x world:anyone:rz
ls /t
ls -s /t
ls -R /t
ls -R /nope
ls /t watch
ls
ls -z /t
ls -s
ls bad
ls /t/
ls //t
ls /t/./a
ls /t/../a
get /t/a
get -s /t/a
get /t
get /nope
get
get /t/a extra
set /t/a world
set -s /t/a again
set -v 7 /t/a x
set -v 2 /t/a x
set -s -v 3 /t/a y
set /t/a
set -v
set /t/acl z
stat /t/a
stat /nope
stat /t/a watch
stat
delete /t
delete /t/nope
delete -v 9 /t/b
delete -v 0 /t/b
delete /t/s0000000000 extra
delete
delete -z /t/x
delete -v
getAcl /t/a
getAcl -s /t/acl
getAcl /nope
setAcl /t/a world:anyone:cdr,ip:127.0.0.1:rwa
getAcl /t/a
setAcl -s -v 1 /t/a world:anyone:cdrwa
setAcl -v 0 /t/a world:anyone:r
setAcl /t/a bad
sync /t
setAcl -R /t world:anyone:cdrwa
setAcl /t
getAcl /t/acl
whoami
addauth digest u:p
whoami
create /t/mine secret auth::cdrwa
getAcl /t/mine
addauth
sync /t
sync /nope
sync t
getEphemerals /t
getEphemerals /nope
getAllChildrenNumber /t
getAllChildrenNumber /nope
getAllChildrenNumber
config
config -c
config -s
stat /t/ttl
get -w /t/a
set /t/a changed
set /t/a again
get -w /t/a
stat -w /t/w
ls -w /t
create /t/w
delete /t/w
get -w /t/a
ls -w /t
removewatches /t/a -d
removewatches /t -c
removewatches /t -a
removewatches /nope
removewatches /t/a -l
removewatches
addWatch /t
addWatch -m persistent /t/a
addWatch -m bogus /t
addWatch
set /t/a p1
create /t/rec
removewatches /t/a
removewatches /t
set /t/a p2
sync /t
printwatches off
get -w /t/a
set /t/a p3
printwatches
sync /t
sync /t
printwatches on
printwatches
setquota -n 5 /t
setquota -n 5 /t/a
setquota -b 10 /t
setquota /t
setquota -n 2 -b 3 /t
setquota -n 0 /t
setquota -n abc /t
setquota -n 5 /zookeeper/quota/x
setquota -n 5 /nope
listquota /t
listquota /nope
delquota -n /t
listquota /t
delquota /t
listquota /t
delquota /t
deleteall /t/a
deleteall /nope
deleteall -b 0 /t/rec
deleteall -b x /t
reconfig -add 1=localhost:1234:1235;1236
reconfig -remove 3 -v xyz
reconfig -file a -add b
reconfig
version extra
bogus command
history
redo 999
redo 1
redo 3
   
"
ls /
deleteall /t
ls /
addauth bogus x
ls /
`

// runApache runs zkCli.sh with args and stdin and returns its combined
// output and exit status.
func runApache(t *testing.T, args []string, stdin string) (string, int) {
	t.Helper()
	if _, err := os.Stat(zktest.ApacheCLI); err != nil {
		t.Skipf("no %s", zktest.ApacheCLI)
	}
	cmd := exec.Command(zktest.ApacheCLI, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("zkCli.sh: %v", err)
	}
	return out.String(), code
}

// runOurs runs the CLI in-process like runApache.
func runOurs(t *testing.T, args []string, stdin string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := Run(ctx, Config{Args: args, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &out, Dialect: Dialect38})
	return out.String(), code
}

var (
	reZxid  = regexp.MustCompile(`^([cmp]Zxid) = 0x[0-9a-f]+$`)
	reTime  = regexp.MustCompile(`^([cm]time) = .*$`)
	reOwner = regexp.MustCompile(`^ephemeralOwner = 0x[0-9a-f]*[1-9a-f][0-9a-f]*$`)
	reVer   = regexp.MustCompile(`^ZooKeeper CLI version: .*$`)
)

// normalize removes what legitimately differs between two runs: Java's
// logging noise and stack frames, zxids, times, session ids, the version.
func normalize(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "SLF4J:"), strings.HasPrefix(l, "\tat "), strings.HasPrefix(l, "\t... "):
			continue
		case reZxid.MatchString(l):
			l = reZxid.ReplaceAllString(l, "$1 = 0xZXID")
		case reTime.MatchString(l):
			l = reTime.ReplaceAllString(l, "$1 = TIME")
		case reOwner.MatchString(l):
			l = "ephemeralOwner = 0xSESSION"
		case reVer.MatchString(l):
			l = "ZooKeeper CLI version: VERSION"
		}
		out = append(out, l)
	}
	return out
}

// diffLines reports the first lines where want and got differ, with some
// context.
func diffLines(t *testing.T, want, got []string) {
	t.Helper()
	n := max(len(want), len(got))
	for i := 0; i < n; i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g || i >= len(want) || i >= len(got) {
			lo := max(0, i-8)
			t.Errorf("outputs differ at line %d:\n--- zkCli.sh\n%s\n--- ours\n%s", i+1,
				strings.Join(want[lo:min(len(want), i+8)], "\n"), strings.Join(got[lo:min(len(got), i+8)], "\n"))
			return
		}
	}
}

// resetServer deletes every node but /zookeeper and every quota.
func resetServer(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := zkclient.Connect(ctx, zkclient.Options{Servers: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.AddAuth(ctx, "digest", []byte("u:p"))
	var del func(p string)
	del = func(p string) {
		kids, _, err := c.GetChildren(ctx, p, false)
		if err != nil {
			return
		}
		for _, k := range kids {
			child := strings.TrimSuffix(p, "/") + "/" + k
			if child == "/zookeeper" {
				continue
			}
			del(child)
		}
		if p != "/" && p != "/zookeeper/quota" && p != "/zookeeper" {
			if err := c.Delete(ctx, p, -1); err != nil && !errors.Is(err, jute.ErrNoNode) {
				t.Fatalf("reset: delete %s: %v", p, err)
			}
		}
	}
	del("/")
	del("/zookeeper/quota")
}

func TestInteractiveMatchesZkCli(t *testing.T) {
	srv := zktest.StartApache(t)
	args := []string{"-server", srv.Addr}
	want, wantCode := runApache(t, args, interactiveScript)
	resetServer(t, srv.Addr)
	got, gotCode := runOurs(t, args, interactiveScript)
	if dir := os.Getenv("ZKCLI_TEST_DUMP"); dir != "" {
		os.WriteFile(filepath.Join(dir, "zkcli.out"), []byte(want), 0o644)
		os.WriteFile(filepath.Join(dir, "ours.out"), []byte(got), 0o644)
	}
	wantLines, gotLines := normalize(want), normalize(got)
	// The script ends with a refused identity, whose next command races
	// the connection's close in both shells (see authRace); the exit
	// status follows that command's outcome.
	sameOutcome := authOutcome(wantLines) == authOutcome(gotLines)
	wantOut, wantEvents := splitEvents(authRace(wantLines))
	gotOut, gotEvents := splitEvents(authRace(gotLines))
	diffLines(t, wantOut, gotOut)
	diffLines(t, wantEvents, gotEvents)
	if gotCode != wantCode && sameOutcome {
		t.Errorf("exit status %d, zkCli.sh's %d", gotCode, wantCode)
	}
}

// splitEvents separates watch events from the rest of the output. Java's
// event thread prints events while the main thread goes on with the next
// commands, so where an event lands among other lines varies from run to
// run (ours prints each event before the output of the call that follows
// it); only the order of the events themselves is fixed. Blank lines are
// dropped with the events they frame.
func splitEvents(lines []string) (out, events []string) {
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "WatchedEvent "):
			events = append(events, l)
		case l == "WATCHER::", l == "":
		default:
			out = append(out, l)
		}
	}
	return out, events
}

// oneShots are run as `zkCli.sh -server ADDR args...`, one process each;
// their outputs are kept in testdata/oneshot.golden (refreshed with
// -update) because each costs a JVM start. They run in order on one
// server that starts empty.
var oneShots = [][]string{
	{"create", "/o", "data"},
	{"create", "-e", "/o/e"},
	{"get", "-s", "/o"},
	{"ls", "/o"},
	{"ls", "/nope"},
	{"bogus"},
	{"get"},
	{"delete", "-v", "abc", "/o"},
	{"redo", "x"},
	{"addWatch", "o"},
	{"set", "-v", "99999999999", "/o", "x"},
	{"history"},
	{"version"},
	{"quit"},
	{"-timeout", "5000", "-waitforconnection", "stat", "/o"},
}

const goldenFile = "testdata/oneshot.golden"

// formatOneShot records one run for the golden file.
func formatOneShot(args []string, out string, code int) string {
	return fmt.Sprintf("$ %s\n%sexit %d\n\n", strings.Join(args, " "), strings.Join(append(normalize(out), ""), "\n"), code)
}

func TestOneShotMatchesZkCli(t *testing.T) {
	srv := zktest.StartApache(t)
	run := runOurs
	if *update {
		run = runApache
	}
	var b strings.Builder
	for _, args := range oneShots {
		out, code := run(t, append([]string{"-server", srv.Addr}, args...), "")
		out = strings.ReplaceAll(out, srv.Addr, "ADDR")
		b.WriteString(formatOneShot(args, out, code))
	}
	got := b.String()
	if *update {
		if err := os.WriteFile(filepath.FromSlash(goldenFile), []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(filepath.FromSlash(goldenFile))
	if err != nil {
		t.Fatalf("%v (run with -update to record it)", err)
	}
	diffLines(t, strings.Split(string(want), "\n"), strings.Split(got, "\n"))
}

func TestConnectionRefusedMatchesZkCli(t *testing.T) {
	port, err := zktest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-server", fmt.Sprintf("127.0.0.1:%d", port), "ls", "/"}
	want, wantCode := runApache(t, args, "")
	got, gotCode := runOurs(t, args, "")
	diffLines(t, normalize(want), normalize(got))
	if gotCode != wantCode {
		t.Errorf("exit status %d, zkCli.sh's %d", gotCode, wantCode)
	}
}
