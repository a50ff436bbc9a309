package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// adminGet fetches /commands/<cmd> and decodes its JSON (numbers as
// json.Number, so session ids survive).
func adminGet(t *testing.T, s *Server, cmd string) (map[string]any, int) {
	t.Helper()
	resp, err := http.Get("http://" + s.AdminAddr().String() + "/commands/" + cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", cmd, ct)
	}
	d := json.NewDecoder(resp.Body)
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%s: decoding the response: %v", cmd, err)
	}
	return m, resp.StatusCode
}

func jsonInt(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestAdminCommands(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(o *Options) { o.AdminAddr = "127.0.0.1:0" })
	sid := strconv.FormatInt(f.session, 10)
	nodes := int64(f.created + 5)
	tests := []struct {
		path    string // command name or alias, with any query
		command string // the name the response carries
		status  int
		errMsg  string // the "error" member; "" = null
		check   func(t *testing.T, m map[string]any)
	}{
		{path: "ruok", command: "ruok"},
		{path: "srvr", command: "server_stats", check: func(t *testing.T, m map[string]any) {
			if jsonInt(t, m["node_count"]) != nodes || m["version"] != Version || m["read_only"] != false {
				t.Errorf("server_stats: %v", m)
			}
			st := m["server_stats"].(map[string]any)
			if st["server_state"] != "standalone" || jsonInt(t, st["packets_received"]) == 0 || jsonInt(t, st["last_processed_zxid"]) != f.s.lastZxid() {
				t.Errorf("server_stats.server_stats: %v", st)
			}
			if jsonInt(t, m["client_response"].(map[string]any)["max_buffer_size"]) <= 0 {
				t.Errorf("client_response: %v", m["client_response"])
			}
		}},
		{path: "stats", command: "stats", check: func(t *testing.T, m map[string]any) {
			conns := m["connections"].([]any)
			if len(conns) == 0 || len(conns[0].(map[string]any)) != 5 || len(m["secure_connections"].([]any)) != 0 {
				t.Errorf("stats connections: %v", m["connections"])
			}
		}},
		{path: "cons", command: "connections", check: func(t *testing.T, m map[string]any) {
			conns := m["connections"].([]any)
			if len(conns) != 1 {
				t.Fatalf("connections: %v", conns)
			}
			c := conns[0].(map[string]any)
			// The last operation is the client's getChildren or a ping.
			if op := c["last_operation"]; c["session_id"].(json.Number).String() != sid || op != "GETC" && op != "PING" || jsonInt(t, c["session_timeout"]) != 2000 ||
				!strings.HasPrefix(c["remote_socket_address"].(string), "127.0.0.1:") {
				t.Errorf("connection: %v", c)
			}
		}},
		{path: "monitor", command: "monitor", check: func(t *testing.T, m map[string]any) {
			if jsonInt(t, m["znode_count"]) != nodes || jsonInt(t, m["ephemerals_count"]) != 1 || m["server_state"] != "standalone" {
				t.Errorf("monitor: znode_count %v ephemerals_count %v", m["znode_count"], m["ephemerals_count"])
			}
			if m["avg_latency"].(json.Number).String() == "" || m["connection_drop_probability"].(json.Number).String() != "0.0" {
				t.Errorf("monitor doubles: %v %v", m["avg_latency"], m["connection_drop_probability"])
			}
		}},
		{path: "conf", command: "configuration", check: func(t *testing.T, m map[string]any) {
			if jsonInt(t, m["client_port"]) != int64(f.s.Addr().(*net.TCPAddr).Port) || jsonInt(t, m["tick_time"]) != 100 ||
				m["data_dir"] != f.s.snaps.Dir() || jsonInt(t, m["server_id"]) != 0 {
				t.Errorf("configuration: %v", m)
			}
		}},
		{path: "wchc", command: "watches", check: func(t *testing.T, m map[string]any) {
			if got := fmt.Sprint(m["session_id_to_watched_paths"]); got != "map["+sid+":[/a /nope]]" {
				t.Errorf("watches: %s", got)
			}
		}},
		{path: "wchp", command: "watches_by_path", check: func(t *testing.T, m map[string]any) {
			if got := fmt.Sprint(m["path_to_session_ids"]); got != "map[/a:["+sid+"] /nope:["+sid+"]]" {
				t.Errorf("watches_by_path: %s", got)
			}
		}},
		{path: "wchs", command: "watch_summary", check: func(t *testing.T, m map[string]any) {
			if jsonInt(t, m["num_connections"]) != 1 || jsonInt(t, m["num_paths"]) != 2 || jsonInt(t, m["num_total_watches"]) != 2 {
				t.Errorf("watch_summary: %v", m)
			}
		}},
		{path: "dump", command: "dump", check: func(t *testing.T, m map[string]any) {
			if got := fmt.Sprint(m["session_id_to_ephemeral_paths"]); got != "map["+sid+":[/eph]]" {
				t.Errorf("ephemerals: %s", got)
			}
			exp := m["expiry_time_to_session_ids"].(map[string]any)
			if len(exp) != 1 || !strings.Contains(fmt.Sprint(exp), "["+sid+"]") {
				t.Errorf("expiry: %v", exp)
			}
		}},
		{path: "dirs", command: "dirs", check: func(t *testing.T, m map[string]any) {
			if jsonInt(t, m["logdir_size"]) <= 0 || jsonInt(t, m["datadir_size"]) < 0 {
				t.Errorf("dirs: %v", m)
			}
		}},
		{path: "envi", command: "environment", check: func(t *testing.T, m map[string]any) {
			if m["zookeeper.version"] != Version || m["go.version"] == nil {
				t.Errorf("environment: %v", m)
			}
		}},
		{path: "isro", command: "is_read_only", check: func(t *testing.T, m map[string]any) {
			if m["read_only"] != false {
				t.Errorf("is_read_only: %v", m)
			}
		}},
		{path: "lsnp", command: "last_snapshot", check: func(t *testing.T, m map[string]any) {
			if _, err := strconv.ParseUint(m["zxid"].(string), 16, 64); err != nil {
				t.Errorf("last_snapshot zxid: %v", m)
			}
		}},
		{path: "leader", command: "leader", errMsg: "server is not initialized"},
		{path: "voting_view", command: "voting_view", check: func(t *testing.T, m map[string]any) {
			if len(m["current_config"].(map[string]any)) != 0 {
				t.Errorf("voting_view: %v", m)
			}
		}},
		{path: "hash", command: "hash"},
		{path: "gtmk", command: "get_trace_mask", check: func(t *testing.T, m map[string]any) {
			if jsonInt(t, m["tracemask"]) != defaultTraceMask {
				t.Errorf("get_trace_mask: %v", m)
			}
		}},
		{path: "set_trace_mask", command: "set_trace_mask", errMsg: "setTraceMask requires long traceMask argument"},
		{path: "set_trace_mask?traceMask=x", command: "set_trace_mask", errMsg: "setTraceMask requires long traceMask argument, got x"},
		{path: "zabstate", command: "zabstate"},
		{path: "observers", command: "observers"},
		{path: "icfg", command: "initial_configuration"},
		{path: "sysp", command: "system_properties"},
		{path: "orst", command: "observer_connection_stat_reset"},
		{path: "nosuch", command: "nosuch", errMsg: "Unknown command: nosuch"},
		{path: "snapshot", command: "snapshot", status: http.StatusUnauthorized, errMsg: "Auth info is missing for the command"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m, status := adminGet(t, f.s, tt.path)
			if want := cmpOr(tt.status, http.StatusOK); status != want {
				t.Errorf("status %d, want %d", status, want)
			}
			if m["command"] != tt.command {
				t.Errorf("command %v, want %s", m["command"], tt.command)
			}
			var wantErr any
			if tt.errMsg != "" {
				wantErr = tt.errMsg
			}
			if e, ok := m["error"]; !ok || e != wantErr {
				t.Errorf("error %v (present %v), want %v", e, ok, wantErr)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// TestAdminResets: stat_reset and connection_stat_reset clear what srvr
// and cons show, like srst and crst.
func TestAdminResets(t *testing.T) {
	t.Parallel()
	// A session that sends nothing by itself (no pings).
	s := testServer(t, func(o *Options) {
		o.AdminAddr = "127.0.0.1:0"
		o.MaxSessionTimeout = time.Minute
	})
	r := newRawSession(t, s.Addr().String())
	r.getData(t, "/zookeeper")
	adminGet(t, s, "connection_stat_reset")
	m, _ := adminGet(t, s, "connections")
	c := m["connections"].([]any)[0].(map[string]any)
	if c["last_operation"] != "NA" || jsonInt(t, c["last_cxid"]) != -1 || jsonInt(t, c["last_zxid"]) != -1 ||
		jsonInt(t, c["packets_received"]) != 0 || jsonInt(t, c["session_timeout"]) != 30000 {
		t.Errorf("after connection_stat_reset: %v", c)
	}
	adminGet(t, s, "stat_reset")
	m, _ = adminGet(t, s, "monitor")
	if jsonInt(t, m["cnt_updatelatency"]) != 0 || jsonInt(t, m["min_client_response_size"]) != -1 {
		t.Errorf("after stat_reset: cnt_updatelatency %v, min_client_response_size %v", m["cnt_updatelatency"], m["min_client_response_size"])
	}
	m, _ = adminGet(t, s, "set_trace_mask?traceMask=7")
	if jsonInt(t, m["tracemask"]) != 7 {
		t.Errorf("set_trace_mask: %v", m)
	}
	if got := ask4lw(t, s.Addr().String(), "gtmk"); got != "7" {
		t.Errorf("gtmk after set_trace_mask: %q", got)
	}
}

// TestAdminMatchesFourLetterWords: monitor carries mntr's keys in mntr's
// order, and the same numbers for what does not move between the two.
func TestAdminMatchesFourLetterWords(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(o *Options) { o.AdminAddr = "127.0.0.1:0" })
	mntr, keys := mntrMap(t, ask4lw(t, f.addr, "mntr"))
	resp, err := http.Get("http://" + f.s.AdminAddr().String() + "/commands/monitor")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var jsonKeys []string
	for _, l := range strings.Split(string(body), "\n") {
		if k, _, ok := strings.Cut(strings.TrimSpace(l), `" : `); ok {
			jsonKeys = append(jsonKeys, "zk_"+strings.TrimPrefix(k, `"`))
		}
	}
	if want := append(slices.Clone(keys), "zk_command", "zk_error"); !slices.Equal(jsonKeys, want) {
		t.Errorf("monitor keys differ from mntr's:\n%v\n%v", jsonKeys, want)
	}
	m, _ := adminGet(t, f.s, "monitor")
	for _, k := range []string{"znode_count", "ephemerals_count", "watch_count", "global_sessions", "approximate_data_size", "version"} {
		if got := fmt.Sprint(m[k]); got != mntr["zk_"+k] {
			t.Errorf("%s: monitor %s, mntr %s", k, got, mntr["zk_"+k])
		}
	}
}

func TestAdminCommandList(t *testing.T) {
	t.Parallel()
	s := testServer(t, func(o *Options) { o.AdminAddr = "127.0.0.1:0" })
	for _, path := range []string{"/commands", "/commands/"} {
		resp, err := http.Get("http://" + s.AdminAddr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var want strings.Builder
		for _, c := range []string{"configuration", "connection_stat_reset", "connections", "dirs", "dump", "environment",
			"get_trace_mask", "hash", "initial_configuration", "is_read_only", "last_snapshot", "leader", "monitor",
			"observer_connection_stat_reset", "observers", "restore", "ruok", "server_stats", "set_trace_mask", "snapshot",
			"stat_reset", "stats", "system_properties", "voting_view", "watch_summary", "watches", "watches_by_path", "zabstate"} {
			fmt.Fprintf(&want, "<a href=\"/commands/%s\">%s</a>\n<br/>\n", c, c)
		}
		if resp.StatusCode != http.StatusOK || string(body) != want.String() {
			t.Errorf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
	}
	resp, err := http.Get("http://" + s.AdminAddr().String() + "/elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /elsewhere: %d", resp.StatusCode)
	}
}

// TestJSONLayout checks the writer against Jackson's pretty printer, as
// ZooKeeper's AdminServer prints.
func TestJSONLayout(t *testing.T) {
	got := jsonString(commandResponse("stats", "", jsonObject{
		{"version", "3.9.3"},
		{"read_only", false},
		{"server_stats", jsonObject{{"avg_latency", 2.8462}, {"client_response_stats", jsonObject{{"last_buffer_size", int64(-1)}}}}},
		{"connections", []any{jsonObject{{"interest_ops", int64(1)}}, jsonObject{{"interest_ops", int64(0)}}}},
		{"secure_connections", []any{}},
		{"current_config", jsonObject{}},
		{"ids", []any{int64(1), int64(2)}},
		{"text", "a\"b\\c\nd\x01/é"},
		{"zero", 0.0},
	}))
	want := `{
  "version" : "3.9.3",
  "read_only" : false,
  "server_stats" : {
    "avg_latency" : 2.8462,
    "client_response_stats" : {
      "last_buffer_size" : -1
    }
  },
  "connections" : [ {
    "interest_ops" : 1
  }, {
    "interest_ops" : 0
  } ],
  "secure_connections" : [ ],
  "current_config" : { },
  "ids" : [ 1, 2 ],
  "text" : "a\"b\\c\nd\u0001/é",
  "zero" : 0.0,
  "command" : "stats",
  "error" : null
}`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := jsonString(commandResponse("leader", "", jsonObject{{"error", "server is not initialized"}})); got != "{\n  \"error\" : \"server is not initialized\",\n  \"command\" : \"leader\"\n}" {
		t.Errorf("an error the command reports goes first:\n%s", got)
	}
}

// TestAdminLifecycle: the AdminServer listens where Options.AdminAddr says,
// stops with the server, and a port already taken stops Start.
func TestAdminLifecycle(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s, err := New(Options{ClientAddr: "127.0.0.1:0", DataDir: t.TempDir(), AdminAddr: addr})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if got := s.AdminAddr().String(); got != addr {
		t.Errorf("AdminAddr %s, want %s", got, addr)
	}
	if m, status := adminGet(t, s, "ruok"); status != http.StatusOK || m["command"] != "ruok" {
		t.Errorf("ruok: %d %v", status, m)
	}

	// A second server cannot have the same admin port.
	s2, err := New(Options{ClientAddr: "127.0.0.1:0", DataDir: t.TempDir(), AdminAddr: addr})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(); err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Start with the admin port taken: %v", err)
	}
	s2.Close()

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if nc, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		nc.Close()
		t.Error("the AdminServer still accepts connections after Close")
	}

	// Disabled: no admin address.
	s3 := testServer(t, nil)
	if s3.AdminAddr() != nil {
		t.Errorf("AdminAddr %v with the AdminServer disabled", s3.AdminAddr())
	}
}
