package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"ls /", []string{"ls", "/"}},
		{"  create   /a  b ", []string{"create", "/a", "b"}},
		{`create /a "hello world"`, []string{"create", "/a", "hello world"}},
		{`create /a 'x "y" z'`, []string{"create", "/a", `x "y" z`}},
		{`create /a "b`, []string{"create", "/a", "b"}},
		{`create /a a"b`, []string{"create", "/a", `a"b`}},
		{`create /a ""`, []string{"create", "/a", ""}},
		{"   ", []string{" "}},
		{`"`, nil},
		{"set\t/a\tx", []string{"set", "/a", "x"}},
	}
	for _, tc := range tests {
		if got := splitCommand(tc.line); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitCommand(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestParseOptions(t *testing.T) {
	specs := []optSpec{{"s", false, ""}, {"w", false, ""}, {"v", true, ""}, {"file", true, ""}}
	tests := []struct {
		tokens []string
		args   []string
		opts   map[string][]string
		err    string
	}{
		{[]string{"get", "-s", "/a"}, []string{"get", "/a"}, map[string][]string{"s": nil}, ""},
		{[]string{"set", "/a", "x", "-s"}, []string{"set", "/a", "x"}, map[string][]string{"s": nil}, ""},
		{[]string{"get", "-sw", "/a"}, []string{"get", "/a"}, map[string][]string{"s": nil, "w": nil}, ""},
		{[]string{"set", "-v5", "/a"}, []string{"set", "/a"}, map[string][]string{"v": {"5"}}, ""},
		{[]string{"set", "-v=5", "/a"}, []string{"set", "/a"}, map[string][]string{"v": {"5"}}, ""},
		{[]string{"set", "-v", "-1", "/a"}, []string{"set", "/a"}, map[string][]string{"v": {"-1"}}, ""},
		{[]string{"set", "-v", "-s", "/a"}, nil, nil, "org.apache.commons.cli.MissingArgumentException: Missing argument for option: v"},
		{[]string{"set", "-v", "-z", "/a"}, []string{"set", "/a"}, map[string][]string{"v": {"-z"}}, ""},
		{[]string{"set", "-v", "1", "-v", "2"}, []string{"set"}, map[string][]string{"v": {"1", "2"}}, ""},
		{[]string{"r", "-file", "f"}, []string{"r"}, map[string][]string{"file": {"f"}}, ""},
		{[]string{"set", "--", "-s", "-x"}, []string{"set", "-s", "-x"}, map[string][]string{}, ""},
		{[]string{"set", "-", "x"}, []string{"set", "-", "x"}, map[string][]string{}, ""},
		{[]string{"set", "/a", "-1"}, nil, nil, "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -1"},
		{[]string{"get", "-z"}, nil, nil, "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -z"},
		{[]string{"get", "-sz"}, nil, nil, "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -sz"},
		{[]string{"get", "--s"}, nil, nil, "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: --s"},
		{[]string{"set", "-v"}, nil, nil, "org.apache.commons.cli.MissingArgumentException: Missing argument for option: v"},
	}
	for _, tc := range tests {
		cl, err := parseOptions(specs, tc.tokens)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %s", tc.tokens, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.tokens, err)
			continue
		}
		if !reflect.DeepEqual(cl.args, tc.args) || !reflect.DeepEqual(cl.opts, tc.opts) {
			t.Errorf("%q: args %q opts %q, want %q %q", tc.tokens, cl.args, cl.opts, tc.args, tc.opts)
		}
	}

	group := quotaOpts(true)
	if _, err := parseGroup(group, quotaGroup(), true, []string{"setquota", "/a"}); err == nil ||
		err.Error() != "org.apache.commons.cli.MissingOptionException: Missing required option: "+
			"[-n num soft quota, -b bytes soft quota, -N num hard quota, -B bytes hard quota]" {
		t.Errorf("missing group option: %v", err)
	}
	if _, err := parseGroup(group, quotaGroup(), true, []string{"setquota", "-n", "1", "-b", "2", "/a"}); err == nil ||
		err.Error() != "org.apache.commons.cli.AlreadySelectedException: The option 'b' was specified but an option from this group has already been selected: 'n'" {
		t.Errorf("two group options: %v", err)
	}
}

func TestJavaNumbers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		err  string
	}{
		{"12", 12, ""}, {"0x1f", 31, ""}, {"#10", 16, ""}, {"010", 8, ""}, {"-3", -3, ""}, {"0", 0, ""},
		{"x", 0, `java.lang.NumberFormatException: For input string: "x"`},
		{"0xzz", 0, `java.lang.NumberFormatException: For input string: "zz" under radix 16`},
		{"", 0, "java.lang.NumberFormatException: Zero length string"},
	} {
		got, err := javaDecodeInt(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("decode(%q): %v, want %s", tc.in, err, tc.err)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("decode(%q) = %d, %v", tc.in, got, err)
		}
	}
	if _, err := javaParseInt("99999999999"); err == nil || err.Error() != `java.lang.NumberFormatException: For input string: "99999999999"` {
		t.Errorf("parseInt overflow: %v", err)
	}
}

func TestHexDumpMatchesNetty(t *testing.T) {
	// testdata/hexdump.golden is netty 4.1's ByteBufUtil.prettyHexDump of
	// these inputs, the first four framed in brackets.
	golden, err := os.ReadFile("testdata/hexdump.golden")
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 300)
	for i := range big {
		big[i] = byte(i)
	}
	var b strings.Builder
	for _, d := range [][]byte{[]byte("hello"), {}, []byte("0123456789abcdef"), []byte("0123456789abcdefXYZ\né")} {
		b.WriteString("[" + hexDump(d) + "]\n")
	}
	b.WriteString(hexDump(big) + "\n")
	if b.String() != string(golden) {
		t.Errorf("hexDump differs from netty's:\n%s\nwant:\n%s", b.String(), golden)
	}
}

func TestFormats(t *testing.T) {
	if got := permString(jute.PermAll); got != "cdrwa" {
		t.Errorf("permString = %q", got)
	}
	a := jute.ACL{Perms: jute.PermRead | jute.PermWrite, ID: jute.ID{Scheme: "digest", ID: "u,1:x%}"}}
	if got := aclLine(a); got != "'digest,'u%2C1:x%25%7D\n: rw" {
		t.Errorf("aclLine = %q", got)
	}
	var errs []string
	acl := parseACL("world:anyone:rz,bad,ip:10.0.0.1:cdrwa,", func(s string) { errs = append(errs, s) })
	want := []jute.ACL{{Perms: jute.PermRead, ID: jute.ID{Scheme: "world", ID: "anyone"}},
		{Perms: jute.PermAll, ID: jute.ID{Scheme: "ip", ID: "10.0.0.1"}}}
	if !reflect.DeepEqual(acl, want) || !reflect.DeepEqual(errs, []string{"Unknown perm type: z", "bad does not have the form scheme:id:perm"}) {
		t.Errorf("parseACL = %v, errors %q", acl, errs)
	}
	cfg := "server.1=a:2888:3888:participant;2181\nserver.2=b:2888:3888;0.0.0.0:2182\nserver.3=c:1:2\nversion=100000000\n"
	if got := clientConfigString(cfg); got != "100000000 0.0.0.0:2181,0.0.0.0:2182," {
		t.Errorf("clientConfigString = %q", got)
	}
	if got := javaDate(0); !strings.HasPrefix(got, "Thu Jan 01 ") && !strings.HasPrefix(got, "Wed Dec 31 ") {
		t.Errorf("javaDate(0) = %q", got)
	}
	st := statsTrack{"count": 5, "bytes": -1, "countHardLimit": -1, "byteHardLimit": -1}
	if st.String() != "count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1" {
		t.Errorf("statsTrack = %q", st.String())
	}
	back, err := parseStatsTrack([]byte(st.String()))
	if err != nil || !reflect.DeepEqual(back, st) {
		t.Errorf("parseStatsTrack = %v %v", back, err)
	}
}

func TestUsage39(t *testing.T) {
	s := newShell(context.Background(), Config{Dialect: Dialect39})
	if got, want := s.usageStr("get", getOpts(Dialect39)), "get [-s] [-w] [-b] [-x] path\n"+
		" -b   Output data in base64 format\n"+
		" -s   Print znode stats additionally\n"+
		" -w   Watch for changes on the znode\n"+
		" -x   Output data in hexdump format\n"; got != want {
		t.Errorf("get usage:\n%q\nwant\n%q", got, want)
	}
	if got, want := s.usageStr("set", setOpts(Dialect39)), "set path data [-s] [-v version] [-b]\n"+
		" -b         Supply data in base64 format\n"+
		" -s         Print znode stats additionally\n"+
		" -v <arg>   Set with an expected version\n"; got != want {
		t.Errorf("set usage:\n%q\nwant\n%q", got, want)
	}
	if got := renderOptions(lsOpts()); got != " -?   help\n -R   recurse\n -s   stat\n -w   watch" {
		t.Errorf("ls help %q", got)
	}
}

// shellRun runs the CLI against addr with a script and returns what it
// printed with zxids, times and session ids normalised.
func shellRun(t *testing.T, cfg Config, script string) string {
	t.Helper()
	var out bytes.Buffer
	cfg.Stdin, cfg.Stdout, cfg.Stderr = strings.NewReader(script), &out, &out
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	Run(ctx, cfg)
	return strings.Join(normalize(out.String()), "\n") + "\n"
}

// TestDialect39 checks the 3.9-only behaviour zkCli.sh 3.8 cannot serve as
// reference for: data in base64 and hex, zxids in events, help in usage
// messages, the prompt, --server, and removal events printed in order.
func TestDialect39(t *testing.T) {
	srv := zktest.StartApache(t)
	script := `create /d hi
get -b /d
get -x /d
set -b /d aGVsbG8=
get /d
set -b /d a.b
`
	got := shellRun(t, Config{Args: []string{"--server", srv.Addr, "-waitforconnection"}}, script)
	want := `Connecting to ` + srv.Addr + `

WATCHER::

WatchedEvent state:SyncConnected type:None path:null zxid: -1
Welcome to ZooKeeper!
JLine support is disabled
Created /d
aGk=
         +-------------------------------------------------+
         |  0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f |
+--------+-------------------------------------------------+----------------+
|00000000| 68 69                                           |hi              |
+--------+-------------------------------------------------+----------------+
hello
Exception in thread "main" java.lang.IllegalArgumentException: Illegal base64 character 2e
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	script = `get -w /d
ls -w /d
removewatches /d -c
removewatches /d -d
addWatch -m persistent /d
removewatches /d -p
get
close
ls /
`
	got = shellRun(t, Config{Args: []string{"-server", srv.Addr, "-waitforconnection"}, Terminal: true}, script)
	want = `Connecting to ` + srv.Addr + `

WATCHER::

WatchedEvent state:SyncConnected type:None path:null zxid: -1
Welcome to ZooKeeper!
JLine support is enabled
[zk: ` + srv.Addr + `(CONNECTED) 0] hello
[zk: ` + srv.Addr + `(CONNECTED) 1] []
[zk: ` + srv.Addr + `(CONNECTED) 2] 
WATCHER::

WatchedEvent state:SyncConnected type:ChildWatchRemoved path:/d zxid: -1
[zk: ` + srv.Addr + `(CONNECTED) 3] 
WATCHER::

WatchedEvent state:SyncConnected type:DataWatchRemoved path:/d zxid: -1
[zk: ` + srv.Addr + `(CONNECTED) 4] [zk: ` + srv.Addr + `(CONNECTED) 5] KeeperErrorCode = MarshallingError for /d
[zk: ` + srv.Addr + `(CONNECTED) 6] get [-s] [-w] [-b] [-x] path
 -b   Output data in base64 format
 -s   Print znode stats additionally
 -w   Watch for changes on the znode
 -x   Output data in hexdump format

[zk: ` + srv.Addr + `(CONNECTED) 7] 
WATCHER::

WatchedEvent state:Closed type:None path:null zxid: -1
[zk: ` + srv.Addr + `(CLOSED) 8] Not connected
[zk: ` + srv.Addr + `(CLOSED) 9] `
	if got != want+"\n" {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	// connect replaces a closed session; ours prints the new session's
	// event before the next command's output.
	script = "close\nls /d\nconnect " + srv.Addr + "\nls /d\nhistory\nredo 1\nquit\nls /\n"
	got = shellRun(t, Config{Args: []string{"-server", srv.Addr, "-waitforconnection"}}, script)
	want = `Connecting to ` + srv.Addr + `

WATCHER::

WatchedEvent state:SyncConnected type:None path:null zxid: -1
Welcome to ZooKeeper!
JLine support is disabled

WATCHER::

WatchedEvent state:Closed type:None path:null zxid: -1
Not connected

WATCHER::

WatchedEvent state:SyncConnected type:None path:null zxid: -1
[]
0 - close
1 - ls /d
2 - connect ` + srv.Addr + `
3 - ls /d
4 - history
[]

WATCHER::

WatchedEvent state:Closed type:None path:null zxid: -1
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestBadTimeout(t *testing.T) {
	var out bytes.Buffer
	code := Run(context.Background(), Config{Args: []string{"-server", "127.0.0.1:1", "-timeout", "x", "ls", "/"}, Stdout: &out, Stderr: &out})
	if out.String() != "Connecting to 127.0.0.1:1\nException in thread \"main\" java.lang.NumberFormatException: For input string: \"x\"\n" || code != 1 {
		t.Errorf("output %q, status %d", out.String(), code)
	}
}

// FuzzParseLine feeds arbitrary lines to the shell's parsers: the line
// splitter, commons-cli option parsing with every command's options, and
// the number and quota formats. None may panic.
func FuzzParseLine(f *testing.F) {
	for _, l := range []string{"ls -s /", `create -e "/a b" 'c' acl`, "set -v5 /a x", "setquota -n 1 -b 2 /a",
		"reconfig -file f -add=x", "--", "-", `"`, "count=1,bytes=-1=;countHardLimit=2", "0x1f"} {
		f.Add(l)
	}
	specSets := [][]optSpec{lsOpts(), getOpts(Dialect39), setOpts(Dialect39), createOpts(), deleteOpts(), deleteAllOpts(),
		statOpts(), getACLOpts(), setACLOpts(), addWatchOpts(), configOpts(), reconfigOpts(), removeWatchesOpts(Dialect39)}
	f.Fuzz(func(t *testing.T, line string) {
		args := splitCommand(line)
		for _, specs := range specSets {
			parseOptions(specs, args)
		}
		parseGroup(quotaOpts(true), quotaGroup(), true, args)
		parseStatsTrack([]byte(line))
		javaDecodeInt(line)
		javaParseInt(line)
		javaBase64(line)
		parseACL(line, func(string) {})
		clientConfigString(line)
	})
}

func TestCobraCommand(t *testing.T) {
	cmd := NewZKCLICommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(""))
	cmd.SetArgs([]string{"-server", "127.0.0.1:1", "bogus"})
	err := cmd.Execute()
	var ee *ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 127 {
		t.Fatalf("Execute: %v", err)
	}
	if !strings.Contains(out.String(), "Command not found: Command not found bogus") {
		t.Errorf("output %q", out.String())
	}
}
