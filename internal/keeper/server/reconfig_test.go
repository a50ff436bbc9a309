package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/cli"
	"github.com/zkafka/zkafka/internal/config"
	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/keeper/quorum"
	"github.com/zkafka/zkafka/internal/testkit/wait"
	"github.com/zkafka/zkafka/internal/zkclient"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// superAuth is the digest identity the configured superDigest names.
const superAuth = "super:secret"

// configEnsemble is a testEnsemble whose members have server.N lines (as
// zoo.cfg gives them) with their real client addresses; quorum and
// election ports are made up (the test network needs none).
type configEnsemble struct {
	*testEnsemble
	lines map[uint64]config.Server // server.N lines by id
}

// newConfigEnsemble starts n members with reconfigEnabled and a super
// user; servers up to total (n < id ≤ total) get lines too, for members
// that join later.
func newConfigEnsemble(t *testing.T, n, total int) *configEnsemble {
	t.Helper()
	ce := &configEnsemble{lines: map[uint64]config.Server{}}
	for id := 1; id <= total; id++ {
		port, err := zktest.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ce.lines[uint64(id)] = config.Server{ID: int64(id), Host: "127.0.0.1", QuorumPort: 20000 + id,
			ElectionPort: 30000 + id, ClientHost: "127.0.0.1", ClientPort: port}
	}
	ce.testEnsemble = newTestEnsemble(t, n, func(o *Options) {
		id := o.Ensemble.ID
		sv := ce.lines[id]
		o.ClientAddr = sv.ClientAddr()
		o.ReconfigEnabled = true
		o.SuperDigest = DigestID(superAuth)
		o.Ensemble.StandaloneEnabled = true
		o.Ensemble.Members = nil
		o.Ensemble.Servers = nil
		for i := uint64(1); i <= uint64(n); i++ {
			o.Ensemble.Servers = append(o.Ensemble.Servers, ce.lines[i])
			o.Ensemble.Members = append(o.Ensemble.Members, quorum.Member{ID: i, Addr: ce.lines[i].QuorumAddr()})
		}
		if id > uint64(n) { // a member that joins a running ensemble
			o.Ensemble.Join = true
			o.Ensemble.Servers = append(o.Ensemble.Servers, sv)
			o.Ensemble.Members = append(o.Ensemble.Members, quorum.Member{ID: id, Addr: sv.QuorumAddr()})
		}
	})
	return ce
}

// startJoining starts member id (> n) with Join set.
func (ce *configEnsemble) startJoining(id uint64) *Server {
	ce.t.Helper()
	ce.members = append(ce.members, quorum.Member{ID: id, Addr: ce.lines[id].QuorumAddr()})
	ce.dirs[id] = ce.t.TempDir()
	return ce.start(id)
}

// waitSynced waits until the leader counts n synced followers: a reconfig
// needs a synced quorum in the new configuration.
func (ce *configEnsemble) waitSynced(lead uint64, n int) {
	ce.t.Helper()
	wait.For(ce.t, 10*time.Second, "the leader to see its followers synced", func() bool {
		return strings.Contains(fourLetter(ce.t, ce.addr(lead), "mntr"), fmt.Sprintf("zk_synced_followers\t%d\n", n))
	})
}

// line is member id's server.N value, as ZooKeeper writes it.
func (ce *configEnsemble) line(id uint64) string {
	return fmt.Sprintf("server.%d=127.0.0.1:%d:%d:participant;127.0.0.1:%d", id, 20000+id, 30000+id, ce.lines[id].ClientPort)
}

// text is the /zookeeper/config data for these members and version.
func (ce *configEnsemble) text(version int64, ids ...uint64) string {
	var lines []string
	for _, id := range ids {
		lines = append(lines, ce.line(id))
	}
	return strings.Join(append(lines, fmt.Sprintf("version=%x", version)), "\n")
}

func connectZK(t *testing.T, ctx context.Context, addr string, auth bool) *zkclient.Client {
	t.Helper()
	c, err := zkclient.Connect(ctx, zkclient.Options{Servers: addr, SessionTimeout: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if auth {
		if err := c.AddAuth(ctx, "digest", []byte(superAuth)); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// configOf reads /zookeeper/config from member id's own tree.
func (ce *configEnsemble) configOf(id uint64) (string, jute.Stat) {
	srv := ce.testEnsemble.servers[id]
	srv.db.mu.RLock()
	defer srv.db.mu.RUnlock()
	data, st, _ := srv.db.tree.GetData("/zookeeper/config", nil)
	return string(data), st
}

// TestEnsembleConfigNode: /zookeeper/config holds the initial ensemble in
// ZooKeeper's format (as Apache ZooKeeper 3.8 with reconfigEnabled shows
// it: version 100000000, data version -1, mzxid = version), on every
// member, and both our zk cli's and Apache zkCli.sh's config commands show
// it.
func TestEnsembleConfigNode(t *testing.T) {
	ce := newConfigEnsemble(t, 3, 3)
	ce.waitLeader()
	want := ce.text(0x100000000, 1, 2, 3)
	for _, m := range ce.members {
		got, st := ce.configOf(m.ID)
		if got != want || st.Version != -1 || st.Aversion != -1 || st.Mzxid != 0x100000000 || st.Czxid != 0 {
			t.Fatalf("member %d: /zookeeper/config = %q %+v, want %q", m.ID, got, st, want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := connectZK(t, ctx, ce.addr(1), false)
	data, st, err := c.GetConfig(ctx, false)
	if err != nil || string(data) != want || st.Version != -1 {
		t.Fatalf("getConfig: %q %+v %v", data, st, err)
	}
	var out bytes.Buffer
	if code := cli.Run(ctx, cli.Config{Args: []string{"-server", ce.addr(2), "config"}, Stdout: &out, Stderr: &out}); code != 0 ||
		!strings.Contains(out.String(), want+"\n") {
		t.Fatalf("zkafka zk cli config (exit %d):\n%s", code, out.String())
	}
	if testing.Short() {
		return
	}
	got := runApacheCLI(t, []string{"-server", ce.addr(3), "config"}, "")
	if !strings.Contains(got, want+"\n") {
		t.Fatalf("zkCli.sh config against zkafka:\n%s", got)
	}
}

// runApacheCLI runs Apache's zkCli.sh, or skips the test without it.
func runApacheCLI(t *testing.T, args []string, stdin string) string {
	t.Helper()
	if _, err := os.Stat(zktest.ApacheCLI); err != nil {
		t.Skipf("no %s", zktest.ApacheCLI)
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("no java")
	}
	cmd := exec.Command(zktest.ApacheCLI, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("zkCli.sh: %v", err)
		}
	}
	return out.String()
}

// TestEnsembleReconfig: a fourth server started to join is added by
// reconfig (only the super user may), catches up and serves; then a member
// is removed; /zookeeper/config follows on every member with the reconfig's
// zxid as version.
func TestEnsembleReconfig(t *testing.T) {
	ce := newConfigEnsemble(t, 3, 4)
	lead := ce.waitLeader()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	user := connectZK(t, ctx, ce.addr(lead), false)
	if _, _, err := user.Create(ctx, "/before", []byte("x"), zkACL, 0, 0); err != nil {
		t.Fatal(err)
	}
	joiner := ce.startJoining(4)
	add4 := ce.line(4)
	ce.waitSynced(lead, 2)
	checkReconfigRefusals(t, ctx, user, add4, "2,3")
	admin := connectZK(t, ctx, ce.addr(ce.follower(lead)), true)
	data, st, err := admin.Reconfig(ctx, add4, "", "", 0x100000000)
	if err != nil {
		t.Fatalf("reconfig -add: %v", err)
	}
	want := ce.text(st.Mzxid, 1, 2, 3, 4)
	if string(data) != want || st.Version != -1 || st.Mzxid <= 0x100000000 {
		t.Fatalf("reconfig -add answered %q %+v, want %q", data, st, want)
	}
	// The joined member catches up, serves, and is a voter.
	wait.For(t, 15*time.Second, "the joined member to hold the tree and the new configuration", func() bool {
		got, _ := ce.configOf(4)
		joiner.db.mu.RLock()
		_, ok := joiner.db.tree.Exists("/before")
		joiner.db.mu.RUnlock()
		return ok && got == want
	})
	c4 := connectZK(t, ctx, ce.addr(4), false)
	if _, _, err := c4.Create(ctx, "/from-4", nil, zkACL, 0, 0); err != nil {
		t.Fatalf("write through the joined member: %v", err)
	}
	if st := joiner.ens.node.Status(); st.Role == quorum.RoleLearner || len(st.Members) != 4 {
		t.Fatalf("joined member's status %+v", st)
	}
	for _, m := range ce.members {
		wait.For(t, 10*time.Second, "every member to show the new configuration", func() bool {
			got, _ := ce.configOf(m.ID)
			return got == want
		})
	}
	if mntr := fourLetter(t, ce.addr(ce.waitLeader()), "mntr"); !strings.Contains(mntr, "zk_quorum_size\t4\n") {
		t.Fatalf("leader's mntr after the add:\n%s", mntr)
	}
	if conf := fourLetter(t, ce.addr(1), "conf"); !strings.HasSuffix(conf, "membership: \n"+want+"\n") {
		t.Fatalf("conf after the add does not end with the new membership:\n%s", conf)
	}
	// Remove a member that is not the joined one; the configuration's
	// version is the condition.
	gone := uint64(3)
	if lead == 3 {
		gone = 2
	}
	rest := []uint64{1, 2, 3, 4}
	rest = append(rest[:gone-1], rest[gone:]...)
	data, st, err = admin.Reconfig(ctx, "", fmt.Sprint(gone), "", st.Mzxid)
	if err != nil {
		t.Fatalf("reconfig -remove %d: %v", gone, err)
	}
	if want := ce.text(st.Mzxid, rest...); string(data) != want {
		t.Fatalf("reconfig -remove answered %q, want %q", data, want)
	}
	wait.For(t, 10*time.Second, "the removed member to stop serving", func() bool {
		return strings.Contains(fourLetter(t, ce.addr(gone), "srvr"), "not currently serving")
	})
	if _, _, err := c4.Create(ctx, "/after-remove", nil, zkACL, 0, 0); err != nil {
		t.Fatalf("write after the remove: %v", err)
	}
	// Non-incremental: the same members, 4 as an observer.
	members := []string{}
	for _, id := range rest {
		l := strings.TrimPrefix(ce.line(id), fmt.Sprintf("server.%d=", id))
		if id == 4 {
			l = strings.Replace(l, ":participant", ":observer", 1)
		}
		members = append(members, fmt.Sprintf("server.%d=%s", id, l))
	}
	data, _, err = admin.Reconfig(ctx, "", "", strings.Join(members, ","), -1)
	if err != nil || !strings.Contains(string(data), "server.4=127.0.0.1:20004:30004:observer;") {
		t.Fatalf("reconfig -members: %q %v", data, err)
	}
	wait.For(t, 10*time.Second, "member 4 to observe", func() bool {
		return joiner.ens.node.Status().Role == quorum.RoleLearner
	})
}

// checkReconfigRefusals checks the refusals of reconfig, in ZooKeeper's
// order of checks, on a 3-voter ensemble with version 100000000 (Apache
// ZooKeeper 3.8 answers the same: TestApacheReconfig). c is not the super
// user; add is a valid joining line, leaveAllBut1 a leaving list that
// leaves one voter.
func checkReconfigRefusals(t *testing.T, ctx context.Context, c *zkclient.Client, add, leaveAllBut1 string) {
	t.Helper()
	refusals := []struct {
		name                      string
		joining, leaving, members string
		version                   int64
		want                      jute.Err
	}{
		{"stale version", add, "", "", 0x1234, jute.ErrBadVersion},
		{"no client port", add[:strings.IndexByte(add, ';')], "", "", -1, jute.ErrBadArguments},
		// Two joining servers on one (non-loopback) address.
		{"address of another server", "server.4=10.9.9.9:1000:1001;10.9.9.9:1002,server.5=10.9.9.9:1000:2001;10.9.9.9:2002", "", "", -1, jute.ErrBadArguments},
		{"one voter left", "", leaveAllBut1, "", -1, jute.ErrBadArguments},
		{"not the super user", add, "", "", -1, jute.ErrNoAuth},
	}
	for _, r := range refusals {
		if _, _, err := c.Reconfig(ctx, r.joining, r.leaving, r.members, r.version); !errors.Is(err, r.want) {
			t.Fatalf("%s: reconfig answered %v, want %v", r.name, err, r.want)
		}
	}
}

// reconfigCase is one reconfig request, from the super user or not, and
// the answer Apache ZooKeeper 3.8 gives it (TestApacheReconfig checks).
type reconfigCase struct {
	name                      string
	super                     bool
	joining, leaving, members string
	version                   int64
	want                      jute.Err
}

// reconfigCheckCases are refused reconfigs (none changes the ensemble) on
// a 3-voter ensemble whose /zookeeper/config data is cfg; add is a valid
// joining line. Apache checks (PrepRequestProcessor): reconfig enabled,
// version, parsing (BadArguments, or MarshallingError where its parser
// throws an unchecked exception), voters, synced quorum, and only then
// WRITE on /zookeeper/config (NoAuth): a client that is not the super user
// learns first what is wrong with its request.
func reconfigCheckCases(cfg, add string) []reconfigCase {
	base := strings.TrimSuffix(add[strings.IndexByte(add, '=')+1:], ";")
	var cases []reconfigCase
	for _, super := range []bool{false, true} {
		who := map[bool]string{false: "user", true: "super"}[super]
		bad := []reconfigCase{
			{name: "join without =", joining: "garbage", want: jute.ErrBadArguments},
			{name: "join spec unparsable", joining: "server.4=garbage", want: jute.ErrBadArguments},
			{name: "join id not a number", joining: "server.x=" + base, want: jute.ErrMarshallingError},
			{name: "leave id not a number", leaving: "abc", want: jute.ErrMarshallingError},
			{name: "members unknown key", members: "foo.1=x", want: jute.ErrBadArguments},
			{name: "members spec unparsable", members: "server.1=bad", want: jute.ErrBadArguments},
			{name: "members id not a number", members: "server.x=" + base, want: jute.ErrMarshallingError},
			{name: "members version not hex", members: cfg + "\nversion=zz", want: jute.ErrMarshallingError},
			{name: "members observers only", members: strings.Replace(add, ":participant;", ":observer;", 1), want: jute.ErrMarshallingError},
			{name: "stale version and a bad spec", joining: "garbage", version: 0x1234, want: jute.ErrBadVersion},
		}
		for _, c := range bad {
			c.name, c.super = who+": "+c.name, super
			if c.version == 0 {
				c.version = -1
			}
			cases = append(cases, c)
		}
	}
	// Requests that parse: only the super user may make them.
	for _, c := range []reconfigCase{
		{name: "join", joining: add},
		{name: "join, id after the last dot", joining: "member.4=" + add[strings.IndexByte(add, '=')+1:]},
		{name: "leave, blanks around the id", leaving: " 2 "},
		{name: "members: the config text with its version line", members: cfg},
		{name: "members: lines joined with commas", members: strings.ReplaceAll(cfg, "\n", ",")},
		{name: "members: a comment line", members: "# the same\n" + cfg},
	} {
		c.name, c.version, c.want = "user: "+c.name, -1, jute.ErrNoAuth
		cases = append(cases, c)
	}
	return cases
}

// checkReconfigCases sends each case through user (not the super user) or
// admin (the super user) and checks the answer.
func checkReconfigCases(t *testing.T, ctx context.Context, user, admin *zkclient.Client, cases []reconfigCase) {
	t.Helper()
	for _, r := range cases {
		c := user
		if r.super {
			c = admin
		}
		if _, _, err := c.Reconfig(ctx, r.joining, r.leaving, r.members, r.version); !errors.Is(err, r.want) {
			t.Errorf("%s: reconfig answered %v, want %v", r.name, err, r.want)
		}
	}
}

// TestReconfigCheckOrder runs reconfigCheckCases against a zkafka
// ensemble (TestApacheReconfig runs them against Apache ZooKeeper 3.8).
func TestReconfigCheckOrder(t *testing.T) {
	ce := newConfigEnsemble(t, 3, 4)
	lead := ce.waitLeader()
	ce.waitSynced(lead, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	user := connectZK(t, ctx, ce.addr(lead), false)
	admin := connectZK(t, ctx, ce.addr(ce.follower(lead)), true)
	cfg, _, err := user.GetConfig(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	checkReconfigCases(t, ctx, user, admin, reconfigCheckCases(string(cfg), ce.line(4)))
	if got, _ := ce.configOf(lead); got != string(cfg) {
		t.Fatalf("a refused reconfig changed /zookeeper/config to %q", got)
	}
}

// TestReconfigDisabled: without reconfigEnabled every reconfig is
// ReconfigDisabled, checked before anything else (the request's body, the
// client's rights), by zkafka as by Apache ZooKeeper 3.8 (standalone).
func TestReconfigDisabled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	servers := map[string]string{"zkafka": testServer(t, nil).Addr().String()}
	if !testing.Short() {
		servers["apache"] = zktest.StartApache(t).Addr
	}
	for name, addr := range servers {
		user := connectZK(t, ctx, addr, false)
		for _, r := range []struct{ joining, leaving, members string }{
			{"server.4=127.0.0.1:1:2;127.0.0.1:3", "", ""}, {"garbage", "", ""}, {"", "abc", ""}, {"", "", "server.x=y"},
		} {
			if _, _, err := user.Reconfig(ctx, r.joining, r.leaving, r.members, 0x1234); !errors.Is(err, jute.ErrReconfigDisabled) {
				t.Errorf("%s: reconfig %q %q %q answered %v, want ReconfigDisabled", name, r.joining, r.leaving, r.members, err)
			}
		}
	}
}

// TestApacheReconfig runs checkReconfigRefusals and an add and a remove
// against Apache ZooKeeper 3.8 (reconfigEnabled, a super digest): the
// reference for the answers and the /zookeeper/config text.
func TestApacheReconfig(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three JVMs")
	}
	e := zktest.StartApacheEnsembleEnv(t, 3, []string{
		"ZOO_CFG_EXTRA=reconfigEnabled=true",
		"JAVA_OPTS=-Dzookeeper.DigestAuthenticationProvider.superDigest=" + DigestID(superAuth)})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	user := connectZK(t, ctx, e.Servers[0].Addr, false)
	data, st, err := user.GetConfig(ctx, false)
	if err != nil || st.Version != -1 || st.Mzxid != 0x100000000 || !strings.HasSuffix(string(data), "\nversion=100000000") {
		t.Fatalf("Apache's /zookeeper/config: %q %+v %v", data, st, err)
	}
	lines := strings.Split(string(data), "\n")
	var ports [3]int
	for i := range ports {
		if ports[i], err = zktest.FreePort(); err != nil {
			t.Fatal(err)
		}
	}
	add := fmt.Sprintf("server.4=127.0.0.1:%d:%d:participant;127.0.0.1:%d", ports[0], ports[1], ports[2])
	checkReconfigRefusals(t, ctx, user, add, "2,3")
	admin := connectZK(t, ctx, e.Servers[1].Addr, true)
	checkReconfigCases(t, ctx, user, admin, reconfigCheckCases(string(data), add))
	data, st, err = admin.Reconfig(ctx, add, "", "", 0x100000000)
	want := strings.Join(append(lines[:3:3], add, fmt.Sprintf("version=%x", st.Mzxid)), "\n")
	if err != nil || string(data) != want || st.Version != -1 {
		t.Fatalf("Apache's reconfig -add: %q %+v %v, want %q", data, st, err, want)
	}
	data, st, err = admin.Reconfig(ctx, "", "4", "", st.Mzxid)
	want = strings.Join(append(lines[:3:3], fmt.Sprintf("version=%x", st.Mzxid)), "\n")
	if err != nil || string(data) != want {
		t.Fatalf("Apache's reconfig -remove: %q %+v %v, want %q", data, st, err, want)
	}
}

// TestApacheZkCliReconfigAgainstKeeper: Apache's zkCli.sh adds and removes
// a member of a zkafka ensemble with reconfig -add/-remove and shows the
// configuration with config.
func TestApacheZkCliReconfigAgainstKeeper(t *testing.T) {
	if testing.Short() {
		t.Skip("runs zkCli.sh")
	}
	ce := newConfigEnsemble(t, 3, 4)
	lead := ce.waitLeader()
	joiner := ce.startJoining(4)
	ce.waitSynced(lead, 2)
	script := strings.Join([]string{
		"addauth digest " + superAuth,
		"reconfig -add " + ce.line(4),
		"reconfig -remove " + fmt.Sprint(ce.follower(lead)),
		"config",
		"quit",
	}, "\n") + "\n"
	out := runApacheCLI(t, []string{"-server", ce.addr(lead)}, script)
	if strings.Count(out, "Committed new configuration:") != 2 || !strings.Contains(out, ce.line(4)+"\n") ||
		strings.Contains(out, "KeeperErrorCode") {
		t.Fatalf("zkCli.sh reconfig against zkafka:\n%s", out)
	}
	wait.For(t, 15*time.Second, "the added member to hold the configuration", func() bool {
		got, _ := ce.configOf(4)
		return strings.Contains(got, ce.line(4)) && !strings.Contains(got, fmt.Sprintf("server.%d=", ce.follower(lead)))
	})
	if st := joiner.ens.node.Status(); len(st.Members) != 3 {
		t.Fatalf("joined member's membership after the remove: %+v", st.Members)
	}
}

// TestEnsembleFromConfigReadOnlyJoin: readonlymode.enabled (any case of
// "true", as Boolean.getBoolean), zkafka.joinEnsemble and the server.N
// lines reach the ensemble options, and neither key is reported unknown.
func TestEnsembleFromConfigReadOnlyJoin(t *testing.T) {
	cases := []struct {
		extra          string
		readOnly, join bool
	}{
		{"", false, false},
		{"readonlymode.enabled=TRUE\n", true, false},
		{"readonlymode.enabled=yes\n", false, false},
		{"readonlymode.enabled=true\nzkafka.joinEnsemble=true\n", true, true},
	}
	for _, c := range cases {
		cfg := "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/d\nclientPort=2181\nstandaloneEnabled=false\n" + c.extra +
			"server.1=zk1:2888:3888;2181\nserver.2=zk2:2888:3888;2181\nserver.3=zk3:2888:3888:observer;2181\n"
		k, warnings, err := config.ParseKeeper(strings.NewReader(cfg), "zoo.cfg")
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range warnings {
			if strings.Contains(w, "readonlymode") || strings.Contains(w, "zkafka.") {
				t.Errorf("%q: warning %q", c.extra, w)
			}
		}
		if _, err := k.SetServerID(1); err != nil {
			t.Fatal(err)
		}
		e := EnsembleFromConfig(k)
		if e.ReadOnly != c.readOnly || e.Join != c.join || e.StandaloneEnabled || len(e.Servers) != 3 ||
			e.Servers[2].String() != "zk3:2888:3888:observer;0.0.0.0:2181" {
			t.Errorf("%q: ensemble options %+v", c.extra, e)
		}
	}
}

// FuzzNextConfig: any reconfig request parses without panicking, and an
// accepted one names only positive server ids with their own lines.
func FuzzNextConfig(f *testing.F) {
	f.Add("server.4=127.0.0.1:1:2;127.0.0.1:3", "", "")
	f.Add("", " 2 ,3", "")
	f.Add("", "", "# c\nserver.1=127.0.0.1:1:2;3,server.2 : 127.0.0.1:4:5;6\nversion=1")
	f.Add("a=b=c", "x", "server.1=127.0.0.1:1:2:observer")
	cur := map[uint64]config.Server{1: {ID: 1, Host: "127.0.0.1", QuorumPort: 1, ElectionPort: 2, ClientPort: 3}}
	f.Fuzz(func(t *testing.T, joining, leaving, members string) {
		for _, standalone := range []bool{false, true} {
			next, err := nextConfig(cur, &jute.ReconfigRequest{JoiningServers: joining, LeavingServers: leaving, NewMembers: members}, standalone)
			var rerr *errReconfig
			if err != nil && !errors.As(err, &rerr) {
				t.Fatalf("error %v is not a refusal", err)
			}
			for id, sv := range next {
				if id == 0 || uint64(sv.ID) != id {
					t.Fatalf("server %d holds %+v", id, sv)
				}
			}
		}
	})
}
