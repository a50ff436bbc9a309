package server

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// ask4lw sends a four-letter word (plus extra bytes) and returns the answer.
func ask4lw(t *testing.T, addr, cmd string, extra ...byte) string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write(append([]byte(cmd), extra...)); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(nc)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return string(b)
}

// mntrMap parses mntr output into key → value, failing on a malformed line.
func mntrMap(t *testing.T, out string) (map[string]string, []string) {
	t.Helper()
	m := make(map[string]string)
	var keys []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		k, v, ok := strings.Cut(l, "\t")
		if !ok || !strings.HasPrefix(k, "zk_") {
			t.Fatalf("mntr line %q is not zk_<key>\\t<value>", l)
		}
		if _, dup := m[k]; dup {
			t.Fatalf("mntr repeats %s", k)
		}
		m[k] = v
		keys = append(keys, k)
	}
	return m, keys
}

func mntrInt(t *testing.T, m map[string]string, k string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(m[k], 10, 64)
	if err != nil {
		t.Fatalf("%s = %q: %v", k, m[k], err)
	}
	return n
}

// rawSession opens a session with a hand-made connect request, so that the
// test controls every packet the connection sends (no pings).
type rawSession struct {
	nc  net.Conn
	br  *bufio.Reader
	xid int32
}

func newRawSession(t *testing.T, addr string) *rawSession {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	req := binary.BigEndian.AppendUint32(nil, 0) // length, patched below
	req = binary.BigEndian.AppendUint32(req, 0)  // protocol version
	req = binary.BigEndian.AppendUint64(req, 0)  // last zxid seen
	req = binary.BigEndian.AppendUint32(req, 30000)
	req = binary.BigEndian.AppendUint64(req, 0) // session id
	req = binary.BigEndian.AppendUint32(req, 16)
	req = append(req, make([]byte, 16)...)
	req = append(req, 0) // readOnly
	binary.BigEndian.PutUint32(req, uint32(len(req)-4))
	if _, err := nc.Write(req); err != nil {
		t.Fatal(err)
	}
	r := &rawSession{nc: nc, br: bufio.NewReader(nc)}
	r.read(t)
	return r
}

func (r *rawSession) read(t *testing.T) []byte {
	t.Helper()
	r.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var lb [4]byte
	if _, err := io.ReadFull(r.br, lb[:]); err != nil {
		t.Fatalf("reading a reply: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint32(lb[:]))
	if _, err := io.ReadFull(r.br, b); err != nil {
		t.Fatalf("reading a reply: %v", err)
	}
	return b
}

// getData sends getData(path) and waits for its reply.
func (r *rawSession) getData(t *testing.T, path string) {
	t.Helper()
	r.xid++
	req := binary.BigEndian.AppendUint32(nil, 0)
	req = binary.BigEndian.AppendUint32(req, uint32(r.xid))
	req = binary.BigEndian.AppendUint32(req, 4) // getData
	req = binary.BigEndian.AppendUint32(req, uint32(len(path)))
	req = append(req, path...)
	req = append(req, 0) // no watch
	binary.BigEndian.PutUint32(req, uint32(len(req)-4))
	if _, err := r.nc.Write(req); err != nil {
		t.Fatal(err)
	}
	r.read(t)
}

// fixture is a server with a known tree: nodes created, one ephemeral, and
// two data watches, all by one session.
type fixture struct {
	s       *Server
	addr    string
	session int64
	created int // nodes created besides ZooKeeper's own
}

func newFixture(t *testing.T, mod func(*Options)) *fixture {
	t.Helper()
	s := testServer(t, mod)
	c, _ := connect(t, s)
	for _, p := range []string{"/a", "/b", "/b/c"} {
		if _, err := c.Create(p, []byte("data"), 0, open); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Create("/eph", nil, zk.FlagEphemeral, open); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.GetW("/a"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ExistsW("/nope"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ChildrenW("/b"); err != nil { // a child watch: not in wchs/wchc/wchp
		t.Fatal(err)
	}
	return &fixture{s: s, addr: s.Addr().String(), session: c.SessionID(), created: 4}
}

func TestFourLetterWordOutputs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	sid := fmt.Sprintf("0x%x", uint64(f.session))
	port := strconv.Itoa(f.s.Addr().(*net.TCPAddr).Port)
	statLayout := `Latency min/avg/max: \d+/\d+\.\d+(E\d+)?/\d+\nReceived: \d+\nSent: \d+\nConnections: \d+\nOutstanding: \d+\nZxid: 0x[0-9a-f]+\nMode: standalone\nNode count: ` +
		strconv.Itoa(f.created+5) + `\n$`
	version := regexp.QuoteMeta("Zookeeper version: " + Version + "\n")
	tests := []struct {
		cmd   string
		match string // a regexp for the whole output
		check func(t *testing.T, out string)
	}{
		{cmd: "ruok", match: `^imok$`},
		{cmd: "isro", match: `^rw$`},
		{cmd: "gtmk", match: `^306$`},
		{cmd: "hash", match: `^$`},
		{cmd: "srvr", match: `^` + version + statLayout},
		{cmd: "stat", match: `^` + version + `Clients:\n( /127\.0\.0\.1:\d+\[[01]\]\(queued=\d+,recved=\d+,sent=\d+\)\n)+\n` + statLayout},
		{cmd: "wchs", match: `^1 connections watching 2 paths\nTotal watches:2\n$`},
		{cmd: "wchc", match: `^` + sid + `\n\t/a\n\t/nope\n\n$`},
		{cmd: "wchp", match: `^/a\n\t` + sid + `\n/nope\n\t` + sid + `\n\n$`},
		{cmd: "dirs", match: `^datadir_size: \d+\nlogdir_size: [1-9]\d*\n$`},
		{cmd: "conf", match: `^clientPort=` + port + `\nsecureClientPort=-1\ndataDir=.+\ndataDirSize=\d+\ndataLogDir=.+\ndataLogSize=[1-9]\d*\n` +
			`tickTime=100\nmaxClientCnxns=0\nminSessionTimeout=200\nmaxSessionTimeout=2000\nclientPortListenBacklog=-1\nserverId=0\n$`},
		{cmd: "cons", match: `^( /127\.0\.0\.1:\d+\[[01]\]\(queued=\d+,recved=\d+,sent=\d+(,sid=0x[0-9a-f]+,lop=[A-Z]+,est=\d+,to=\d+,lcxid=0x[0-9a-f]+,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+)?\)\n)+\n$`,
			check: func(t *testing.T, out string) {
				if !strings.Contains(out, ",sid="+sid+",") || !strings.Contains(out, "[0](queued=0,recved=1,sent=0)\n") {
					t.Errorf("cons shows neither the session nor the asking connection:\n%s", out)
				}
			}},
		{cmd: "dump", match: `^SessionTracker dump:\nSession Sets \(1\)/\(1\):\n1 expire at \w{3} \w{3} \d\d \d\d:\d\d:\d\d \S+ \d{4}:\n\t` + sid + `\n` +
			`ephemeral nodes dump:\nSessions with Ephemerals \(1\):\n` + sid + `:\n\t/eph\n` +
			`Connections dump:\nConnections Sets \(\d+\)/\(2\):\n(\d+ expire at [^\n]+:\n(\tip: /127\.0\.0\.1:\d+ sessionId: 0x[0-9a-f]+\n)*)+$`},
		{cmd: "envi", match: `^Environment:\nzookeeper\.version=` + regexp.QuoteMeta(Version) + `\nhost\.name=.*\ngo\.version=go.+\nos\.name=.+\nos\.arch=.+\nos\.version=.*\n` +
			`user\.name=.*\nuser\.home=.*\nuser\.dir=.+\nos\.memory\.free=\d+MB\nos\.memory\.max=\d+MB\nos\.memory\.total=\d+MB\n$`},
		{cmd: "mntr", match: `^(zk_\w+\t[^\n]*\n)+$`, check: func(t *testing.T, out string) {
			m, keys := mntrMap(t, out)
			want := append([]string{"zk_version", "zk_server_state"}, prefixed(mntrGauges)...)
			if !slices.Equal(keys[:len(want)], want) {
				t.Errorf("mntr starts %v, want %v", keys[:len(want)], want)
			}
			if len(keys) != 2+len(mntrGauges)+len(mntrCounters)+5*len(mntrBasicSummaries)+9*len(mntrSummaries) {
				t.Errorf("mntr has %d keys", len(keys))
			}
			exact := map[string]string{
				"zk_version":              Version,
				"zk_server_state":         "standalone",
				"zk_znode_count":          strconv.Itoa(f.created + 5),
				"zk_ephemerals_count":     "1",
				"zk_global_sessions":      "1",
				"zk_watch_count":          "3", // the child watch counts here
				"zk_local_sessions":       "0",
				"zk_outstanding_requests": "0",
				"zk_auth_failed_count":    "0",
			}
			for k, v := range exact {
				if m[k] != v {
					t.Errorf("%s = %q, want %q", k, m[k], v)
				}
			}
			if m["zk_connection_drop_probability"] != "0.0" {
				t.Errorf("zk_connection_drop_probability = %q", m["zk_connection_drop_probability"])
			}
			for _, k := range []string{"zk_num_alive_connections", "zk_packets_received", "zk_packets_sent", "zk_bytes_received_count",
				"zk_connection_request_count", "zk_open_file_descriptor_count", "zk_max_file_descriptor_count", "zk_approximate_data_size",
				"zk_cnt_updatelatency", "zk_cnt_readlatency", "zk_cnt_fsynctime", "zk_cnt_sync_processor_batch_size",
				"zk_min_client_response_size", "zk_max_client_response_size", "zk_last_client_response_size", "zk_response_bytes"} {
				if mntrInt(t, m, k) <= 0 {
					t.Errorf("%s = %s, want > 0", k, m[k])
				}
			}
			if n := mntrInt(t, m, "zk_cnt_updatelatency"); n < int64(f.created)+1 { // creates + createSession
				t.Errorf("zk_cnt_updatelatency = %d, want at least %d", n, f.created+1)
			}
			if !regexp.MustCompile(`^\d+\.\d+(E\d+)?$`).MatchString(m["zk_avg_latency"]) {
				t.Errorf("zk_avg_latency = %q is not a Java double", m["zk_avg_latency"])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			out := ask4lw(t, f.addr, tt.cmd)
			if !regexp.MustCompile(tt.match).MatchString(out) {
				t.Errorf("%s output does not match %s:\n%s", tt.cmd, tt.match, out)
			}
			if tt.check != nil {
				tt.check(t, out)
			}
		})
	}
}

func prefixed(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = "zk_" + k
	}
	return out
}

// TestFourLetterWordResets: crst and srst put the counters back, cons and
// srvr show it, and the counters then follow the traffic exactly.
func TestFourLetterWordResets(t *testing.T) {
	t.Parallel()
	// A session that outlives the test without pings.
	s := testServer(t, func(o *Options) { o.MaxSessionTimeout = time.Minute })
	addr := s.Addr().String()
	r := newRawSession(t, addr)
	local := r.nc.LocalAddr().String()
	// consLine waits until the session's cons line matches want: the
	// writer counts a packet as sent just after the client may read it.
	consLine := func(what, want string) {
		t.Helper()
		re := regexp.MustCompile(want)
		deadline := time.Now().Add(10 * time.Second)
		for {
			var line string
			for _, l := range strings.Split(ask4lw(t, addr, "cons"), "\n") {
				if strings.HasPrefix(l, " /"+local+"[") {
					line = l
				}
			}
			if re.MatchString(line) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: cons line %q does not match %s\n%s", what, line, want, ask4lw(t, addr, "cons"))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	consLine("after the handshake", `\(queued=0,recved=1,sent=1,sid=0x[0-9a-f]+,lop=SESS,est=\d+,to=30000,lcxid=0x0,lzxid=0x1,`)
	r.getData(t, "/zookeeper")
	consLine("after getData", `\(queued=0,recved=2,sent=2,.*,lop=GETD,.*,lcxid=0x1,`)
	if got := ask4lw(t, addr, "crst"); got != "Connection stats reset.\n" {
		t.Fatalf("crst: %q", got)
	}
	consLine("after crst", `\(queued=0,recved=0,sent=0,sid=0x[0-9a-f]+,lop=NA,est=\d+,to=30000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0\)$`)
	r.getData(t, "/zookeeper")
	consLine("after crst and getData", `\(queued=0,recved=1,sent=1,.*,lcxid=0x2,`)

	if got := ask4lw(t, addr, "srst"); got != "Server stats reset.\n" {
		t.Fatalf("srst: %q", got)
	}
	out := ask4lw(t, addr, "srvr")
	// srvr counts itself as received; srst's answer may or may not have
	// been counted as sent when srvr looks.
	if !regexp.MustCompile(`\nLatency min/avg/max: 0/0\.0/0\nReceived: 1\nSent: [01]\n`).MatchString(out) {
		t.Errorf("srvr after srst:\n%s", out)
	}
	m, _ := mntrMap(t, ask4lw(t, addr, "mntr"))
	for _, k := range []string{"zk_cnt_readlatency", "zk_cnt_updatelatency", "zk_cnt_fsynctime", "zk_connection_request_count"} {
		if m[k] != "0" {
			t.Errorf("%s = %s after srst", k, m[k])
		}
	}
	if m["zk_min_client_response_size"] != "-1" {
		t.Errorf("zk_min_client_response_size = %s after srst", m["zk_min_client_response_size"])
	}
	r.getData(t, "/zookeeper")
	m, _ = mntrMap(t, ask4lw(t, addr, "mntr"))
	// srvr, mntr and mntr: 4 bytes each; getData: length, xid, type,
	// path length, path, watch flag.
	if want := strconv.Itoa(3*4 + 4 + 4 + 4 + 4 + len("/zookeeper") + 1); m["zk_cnt_readlatency"] != "1" || m["zk_bytes_received_count"] != want {
		t.Errorf("after one getData: cnt_readlatency %s, bytes_received_count %s", m["zk_cnt_readlatency"], m["zk_bytes_received_count"])
	}
}

func TestFourLetterWordWhitelist(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		whitelist []string
		allowed   []string
		refused   []string
	}{
		{"default", nil, []string{"srvr"}, []string{"ruok", "stat", "mntr", "dump", "stmk", telnetClose}},
		{"listed", []string{" ruok", "conf ", "wchs"}, []string{"srvr", "ruok", "conf", "wchs"}, []string{"stat", "wchc", "crst", "isro"}},
		{"star", []string{"*"}, []string{"srvr", "stat", "mntr", "dump", "envi", "hash"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testServer(t, func(o *Options) { o.FourLetterWords = tt.whitelist })
			addr := s.Addr().String()
			for _, cmd := range tt.allowed {
				if got := ask4lw(t, addr, cmd); strings.Contains(got, "not in the whitelist") {
					t.Errorf("%s refused: %q", cmd, got)
				}
			}
			for _, cmd := range tt.refused {
				name := cmd
				if cmd == telnetClose {
					name = "telnet close"
				}
				if got, want := ask4lw(t, addr, cmd), name+" is not executed because it is not in the whitelist.\n"; got != want {
					t.Errorf("%q: got %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestSetTraceMask(t *testing.T) {
	t.Parallel()
	s := testServer(t, nil)
	addr := s.Addr().String()
	if got := ask4lw(t, addr, "stmk", 0, 0, 0, 0, 0, 0, 0x12, 0x34); got != "4660" {
		t.Fatalf("stmk: %q", got)
	}
	if got := ask4lw(t, addr, "gtmk"); got != "4660" {
		t.Fatalf("gtmk after stmk: %q", got)
	}
	if got := ask4lw(t, addr, telnetClose); got != "" {
		t.Fatalf("telnet close: %q", got)
	}
}

func TestLastOpAbbrev(t *testing.T) {
	for op, want := range map[string]string{
		"getData": "GETD", "setData": "SETD", "create": "CREA", "create2": "CREA", "createTTL": "CREA",
		"delete": "DELE", "exists": "EXIS", "getChildren": "GETC", "getChildren2": "GETC", "ping": "PING",
		"createSession": "SESS", "closeSession": "CLOS", "multi": "MULT", "multiRead": "MLTR", "sync": "SYNC",
		"setWatches2": "STW2", "getAllChildrenNumber": "GETACN", "whoAmI": "HOMI", "NA": "NA", "sasl": "NA",
	} {
		if got := lastOpAbbrev(op); got != want {
			t.Errorf("lastOpAbbrev(%q) = %q, want %q", op, got, want)
		}
	}
}

func TestJavaDouble(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		want string
	}{{0, "0.0"}, {3, "3.0"}, {2.8462, "2.8462"}, {0.0769, "0.0769"}, {1e7, "1.0E7"}, {1.5e-4, "1.5E-4"}, {123456.5, "123456.5"}} {
		if got := javaDouble(tt.f); got != tt.want {
			t.Errorf("javaDouble(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
	if got := roundAvg(37, 13); got != 2.8462 {
		t.Errorf("roundAvg(37, 13) = %v", got)
	}
}

// repoRoot finds the directory holding go.mod.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// startApacheZooKeeper runs the reference Apache ZooKeeper, or skips.
func startApacheZooKeeper(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not starting Apache ZooKeeper")
	}
	script := filepath.Join(repoRoot(t), "..", "shared", "tools", "apache-zookeeper.sh")
	if _, err := os.Stat(script); err != nil {
		t.Skipf("no reference ZooKeeper: %v", err)
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("no reference ZooKeeper: java is not installed")
	}
	if _, err := os.Stat("/usr/share/java/zookeeper.jar"); err != nil {
		t.Skip("no reference ZooKeeper: the zookeeper package is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	out, err := exec.Command(script, strconv.Itoa(port), dir).CombinedOutput()
	if b, rerr := os.ReadFile(filepath.Join(dir, "pid")); rerr == nil {
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
			t.Cleanup(func() {
				if p, err := os.FindProcess(pid); err == nil {
					p.Kill()
				}
			})
		}
	}
	if err != nil {
		t.Skipf("the reference ZooKeeper did not start: %v\n%s", err, out)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// knownNewIn39 are the mntr keys ZooKeeper 3.9 added to 3.8's (the
// reference server is 3.8).
var knownNewIn39 = []string{
	"zk_restore_error_count", "zk_restore_rate_limited_count", "zk_snapshot_error_count", "zk_snapshot_rate_limited_count",
	"zk_avg_restore_time", "zk_min_restore_time", "zk_max_restore_time", "zk_cnt_restore_time", "zk_sum_restore_time",
}

// TestFourLetterWordsMatchApache compares mntr's keys and the line layout
// of srvr, stat and conf with Apache ZooKeeper's, after the same traffic.
func TestFourLetterWordsMatchApache(t *testing.T) {
	t.Parallel()
	apache := startApacheZooKeeper(t)
	ours := testServer(t, nil).Addr().String()
	traffic := func(addr string) {
		c, _ := connectAddr(t, addr, 10*time.Second)
		if _, err := c.Create("/diff", []byte("x"), 0, open); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Create("/diff-eph", nil, zk.FlagEphemeral, open); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := c.GetW("/diff"); err != nil {
			t.Fatal(err)
		}
	}
	traffic(apache)
	traffic(ours)

	// mntr: the same keys, but for the metric sets keyed at run time and
	// what 3.9 added.
	theirs, _ := mntrMap(t, ask4lw(t, apache, "mntr"))
	mine, _ := mntrMap(t, ask4lw(t, ours, "mntr"))
	for k := range theirs {
		if strings.HasSuffix(k, "_per_namespace") {
			continue
		}
		if _, ok := mine[k]; !ok {
			t.Errorf("mntr: Apache ZooKeeper prints %s, zkafka does not", k)
		}
	}
	for k := range mine {
		if _, ok := theirs[k]; !ok && !slices.Contains(knownNewIn39, k) {
			t.Errorf("mntr: zkafka prints %s, Apache ZooKeeper does not", k)
		}
	}
	for _, k := range []string{"zk_server_state", "zk_znode_count", "zk_ephemerals_count", "zk_global_sessions", "zk_watch_count", "zk_local_sessions"} {
		if theirs[k] != mine[k] {
			t.Errorf("mntr %s: Apache %q, zkafka %q", k, theirs[k], mine[k])
		}
	}

	// srvr, stat, conf: the same lines with the values masked.
	digits := regexp.MustCompile(`\d+`)
	mask := func(cmd, out string) string {
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			switch {
			case strings.HasPrefix(l, "Zookeeper version: "):
				l = "Zookeeper version: V"
			case strings.HasPrefix(l, "dataDir=") || strings.HasPrefix(l, "dataLogDir="):
				l, _, _ = strings.Cut(l, "=")
			case strings.HasPrefix(l, "Zxid: 0x"):
				l = "Zxid: 0x"
			case strings.HasPrefix(l, " /"):
				l = digits.ReplaceAllString(l, "N")
			default:
				if k, _, ok := strings.Cut(l, "="); ok && cmd == "conf" {
					l = k + "="
				}
				if k, _, ok := strings.Cut(l, ": "); ok && cmd != "conf" {
					l = k + ": "
				}
			}
			lines = append(lines, l)
		}
		return strings.Join(lines, "\n")
	}
	for _, cmd := range []string{"srvr", "stat", "conf"} {
		a, z := mask(cmd, ask4lw(t, apache, cmd)), mask(cmd, ask4lw(t, ours, cmd))
		if a != z {
			t.Errorf("%s layout differs:\nApache ZooKeeper:\n%s\nzkafka:\n%s", cmd, a, z)
		}
	}
}
