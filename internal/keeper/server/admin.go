package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The AdminServer is ZooKeeper's JettyAdminServer: HTTP on
// Options.AdminAddr. GET /commands lists the commands as links; GET
// /commands/<name> (a command's name or one of its aliases, such as the
// four-letter word) runs it and answers its response as JSON, laid out as
// Jackson's pretty printer lays it out:
//
//	{
//	  "read_only" : false,
//	  "command" : "is_read_only",
//	  "error" : null
//	}

// adminCommandURL is admin.commandURL's default; zkafka serves only it.
const adminCommandURL = "/commands"

// adminIdleTimeout is zookeeper.admin.idleTimeout's default.
const adminIdleTimeout = 30 * time.Second

// adminShutdownWait bounds how long Close waits for admin requests in
// progress before it drops them.
const adminShutdownWait = 5 * time.Second

// adminServer is the running AdminServer.
type adminServer struct {
	ln  net.Listener
	srv *http.Server
}

// listenAdmin opens the AdminServer's listener, or returns nil when
// Options.AdminAddr is empty. ZooKeeper does not start when its admin port
// cannot be bound, so neither does zkafka.
func (s *Server) listenAdmin() (*adminServer, error) {
	if s.opts.AdminAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", s.opts.AdminAddr)
	if err != nil {
		return nil, fmt.Errorf("server: starting the AdminServer on %s: %w", s.opts.AdminAddr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(adminCommandURL, s.serveAdmin)
	mux.HandleFunc(adminCommandURL+"/", s.serveAdmin)
	return &adminServer{ln: ln, srv: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: adminIdleTimeout,
		IdleTimeout:       adminIdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}}, nil
}

// startAdmin serves a (from listenAdmin) until Close; a nil a does nothing.
func (s *Server) startAdmin(a *adminServer) {
	if a == nil {
		return
	}
	s.admin = a
	s.log.Info("started AdminServer", "addr", a.ln.Addr().String(), "commandURL", adminCommandURL)
	s.goFunc(func() {
		if err := a.srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("AdminServer stopped", "err", err)
		}
	})
}

// closeAdmin stops the AdminServer: no new requests, and those in progress
// get adminShutdownWait to finish.
func (s *Server) closeAdmin() {
	if s.admin == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminShutdownWait)
	defer cancel()
	if err := s.admin.srv.Shutdown(ctx); err != nil {
		s.admin.srv.Close()
	}
}

// AdminAddr returns the address the AdminServer listens on, or nil when it
// is disabled (Options.AdminAddr is empty) or the server is not started.
func (s *Server) AdminAddr() net.Addr {
	if s.admin == nil {
		return nil
	}
	return s.admin.ln.Addr()
}

// serveAdmin is JettyAdminServer's CommandServlet.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, adminCommandURL)
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if name == "" || name == "/" {
		// No command: links to all of them, one per line, as Jetty prints
		// them (no content type).
		w.Header()["Content-Type"] = nil
		var b strings.Builder
		for _, c := range adminCommandNames() {
			fmt.Fprintf(&b, "<a href=\"%s/%s\">%s</a>\n<br/>\n", adminCommandURL, c, c)
		}
		io.WriteString(w, b.String())
		return
	}
	name = name[1:]
	kwargs := make(map[string]string)
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			kwargs[k] = v[0]
		}
	}
	resp, status := s.runAdminCommand(name, kwargs, r.Header.Get("Authorization"), r.Method == http.MethodGet)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, jsonString(resp))
}

// adminCommand is one of ZooKeeper's admin Commands.
type adminCommand struct {
	names []string // the primary name first, then the aliases
	// auth: the command needs an Authorization header (ZooKeeper checks
	// it against the root's ACL for ALL).
	auth bool
	// post: the command runs on POST (restore), not on GET.
	post bool
	run  func(s *Server, kwargs map[string]string) (jsonObject, int)
}

// adminCommands are ZooKeeper 3.9's admin commands, as a standalone server
// answers them.
var adminCommands = []adminCommand{
	{names: []string{"connection_stat_reset", "crst"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		s.resetConnStats()
		return nil, http.StatusOK
	}},
	{names: []string{"configuration", "conf", "config"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		return s.confJSON(), http.StatusOK
	}},
	{names: []string{"connections", "cons"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		return jsonObject{{"connections", s.connectionsJSON(false)}, {"secure_connections", []any{}}}, http.StatusOK
	}},
	{names: []string{"hash"}, run: func(*Server, map[string]string) (jsonObject, int) {
		return jsonObject{{"digests", []any{}}}, http.StatusOK
	}},
	{names: []string{"dirs"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		data, logs := s.dirSizes()
		return jsonObject{{"datadir_size", data}, {"logdir_size", logs}}, http.StatusOK
	}},
	{names: []string{"dump"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		return s.dumpJSON(), http.StatusOK
	}},
	{names: []string{"environment", "env", "envi"}, run: func(*Server, map[string]string) (jsonObject, int) {
		var o jsonObject
		for _, e := range environment() {
			o = append(o, jsonField{e.key, e.value})
		}
		return o, http.StatusOK
	}},
	{names: []string{"get_trace_mask", "gtmk"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		return jsonObject{{"tracemask", s.stats.getTraceMask()}}, http.StatusOK
	}},
	{names: []string{"initial_configuration", "icfg"}, run: func(*Server, map[string]string) (jsonObject, int) {
		// ZooKeeper shows the text of the file it was started with; a
		// server started without one shows null, and zkafka keeps none.
		return jsonObject{{"initial_configuration", nil}}, http.StatusOK
	}},
	{names: []string{"is_read_only", "isro"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		return jsonObject{{"read_only", s.readOnly()}}, http.StatusOK
	}},
	{names: []string{"last_snapshot", "lsnp"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		zxid, ts := s.lastSnapshot()
		return jsonObject{{"zxid", strconv.FormatUint(uint64(zxid), 16)}, {"timestamp", ts}}, http.StatusOK
	}},
	{names: []string{"leader", "lead"}, run: func(*Server, map[string]string) (jsonObject, int) {
		// A standalone ZooKeeperServer is no QuorumZooKeeperServer.
		return jsonObject{{"error", "server is not initialized"}}, http.StatusOK
	}},
	{names: []string{"monitor", "mntr"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		ms := s.monitorValues()
		o := make(jsonObject, len(ms))
		for i, m := range ms {
			o[i] = jsonField{m.name, m.value}
		}
		return o, http.StatusOK
	}},
	{names: []string{"observer_connection_stat_reset", "orst"}, run: func(*Server, map[string]string) (jsonObject, int) {
		return nil, http.StatusOK
	}},
	{names: []string{"restore", "rest"}, auth: true, post: true, run: func(*Server, map[string]string) (jsonObject, int) {
		// As ZooKeeper with zookeeper.admin.restore.enabled=false: zkafka
		// cannot load a ZooKeeper snapshot stream.
		return nil, http.StatusServiceUnavailable
	}},
	{names: []string{"ruok"}, run: func(*Server, map[string]string) (jsonObject, int) {
		return nil, http.StatusOK
	}},
	{names: []string{"set_trace_mask", "stmk"}, run: func(s *Server, kwargs map[string]string) (jsonObject, int) {
		v, ok := kwargs["traceMask"]
		if !ok {
			return jsonObject{{"error", "setTraceMask requires long traceMask argument"}}, http.StatusOK
		}
		mask, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return jsonObject{{"error", "setTraceMask requires long traceMask argument, got " + v}}, http.StatusOK
		}
		s.stats.setTraceMask(mask)
		return jsonObject{{"tracemask", mask}}, http.StatusOK
	}},
	{names: []string{"snapshot", "snap"}, auth: true, run: func(*Server, map[string]string) (jsonObject, int) {
		// As ZooKeeper with zookeeper.admin.snapshot.enabled=false:
		// zkafka's snapshots are not in ZooKeeper's format.
		return nil, http.StatusServiceUnavailable
	}},
	{names: []string{"server_stats", "srvr"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		return s.serverStatsJSON(), http.StatusOK
	}},
	{names: []string{"stats", "stat"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		o := s.serverStatsJSON()
		o = append(o, jsonField{"connections", s.connectionsJSON(true)}, jsonField{"secure_connections", []any{}})
		return o, http.StatusOK
	}},
	{names: []string{"stat_reset", "srst"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		s.stats.reset()
		return nil, http.StatusOK
	}},
	{names: []string{"observers", "obsr"}, run: func(*Server, map[string]string) (jsonObject, int) {
		return jsonObject{{"synced_observers", int64(0)}, {"observers", []any{}}}, http.StatusOK
	}},
	{names: []string{"system_properties", "sysp"}, run: func(*Server, map[string]string) (jsonObject, int) {
		props := []envEntry{
			{"file.separator", string(filepath.Separator)},
			{"line.separator", "\n"},
			{"path.separator", string(filepath.ListSeparator)},
		}
		props = append(props, environment()...)
		slices.SortFunc(props, func(a, b envEntry) int { return strings.Compare(a.key, b.key) })
		var o jsonObject
		for _, p := range props {
			o = append(o, jsonField{p.key, p.value})
		}
		return o, http.StatusOK
	}},
	{names: []string{"voting_view"}, run: func(*Server, map[string]string) (jsonObject, int) {
		return jsonObject{{"current_config", jsonObject{}}}, http.StatusOK
	}},
	{names: []string{"watches", "wchc"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		var m jsonObject
		for _, w := range s.watchesByWatcher() {
			m = append(m, jsonField{strconv.FormatInt(w.session, 10), stringsJSON(w.paths)})
		}
		return jsonObject{{"session_id_to_watched_paths", orEmpty(m)}}, http.StatusOK
	}},
	{names: []string{"watches_by_path", "wchp"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		var m jsonObject
		for _, p := range s.watchesByPath() {
			m = append(m, jsonField{p.path, int64sJSON(p.sessions)})
		}
		return jsonObject{{"path_to_session_ids", orEmpty(m)}}, http.StatusOK
	}},
	{names: []string{"watch_summary", "wchs"}, run: func(s *Server, _ map[string]string) (jsonObject, int) {
		sum := s.watchSummary()
		return jsonObject{
			{"num_connections", int64(sum.Connections)},
			{"num_paths", int64(sum.Paths)},
			{"num_total_watches", int64(sum.Watches)},
		}, http.StatusOK
	}},
	{names: []string{"zabstate"}, run: func(*Server, map[string]string) (jsonObject, int) {
		return jsonObject{{"voting", false}, {"zabstate", ""}}, http.StatusOK
	}},
}

// lookupAdminCommand finds a command by any of its names.
func lookupAdminCommand(name string) *adminCommand {
	for i := range adminCommands {
		if slices.Contains(adminCommands[i].names, name) {
			return &adminCommands[i]
		}
	}
	return nil
}

// adminCommandNames returns the commands' primary names, sorted.
func adminCommandNames() []string {
	out := make([]string, len(adminCommands))
	for i, c := range adminCommands {
		out[i] = c.names[0]
	}
	slices.Sort(out)
	return out
}

// runAdminCommand is ZooKeeper's Commands.runCommand: it returns the
// response (CommandResponse.toMap) and the HTTP status.
func (s *Server) runAdminCommand(name string, kwargs map[string]string, authInfo string, get bool) (jsonObject, int) {
	cmd := lookupAdminCommand(name)
	if cmd == nil {
		return commandResponse(name, "Unknown command: "+name, nil), http.StatusOK
	}
	if cmd.auth && authInfo == "" {
		return commandResponse(name, "Auth info is missing for the command", nil), http.StatusUnauthorized
	}
	if cmd.post == get {
		// ZooKeeper fails inside its servlet here; say what is wrong.
		return commandResponse(name, "Command does not support this HTTP method", nil), http.StatusMethodNotAllowed
	}
	data, status := cmd.run(s, kwargs)
	return commandResponse(cmd.names[0], "", data), status
}

// commandResponse is CommandResponse.toMap: the command's data, then
// "command" and "error" unless the data already holds them (a command that
// reports an error itself puts "error" first).
func commandResponse(command, errMsg string, data jsonObject) jsonObject {
	out := slices.Clone(data)
	if !out.has("command") {
		out = append(out, jsonField{"command", command})
	}
	if !out.has("error") {
		var e any
		if errMsg != "" {
			e = errMsg
		}
		out = append(out, jsonField{"error", e})
	}
	return out
}

// serverStatsJSON is the srvr command's response: ZooKeeper's ServerStats
// bean as Jackson serialises it.
func (s *Server) serverStatsJSON() jsonObject {
	lo, avg, hi := s.latency()
	last, minResp, maxResp := s.stats.responseSizes()
	resp := func() jsonObject {
		return jsonObject{{"last_buffer_size", last}, {"min_buffer_size", minResp}, {"max_buffer_size", maxResp}}
	}
	data, logs := s.dirSizes()
	return jsonObject{
		{"version", Version},
		{"read_only", false},
		{"server_stats", jsonObject{
			{"packets_sent", s.packetsSent()},
			{"packets_received", s.stats.packetsReceived.Load()},
			{"fsync_threshold_exceed_count", s.stats.fsyncSlow.Load()},
			{"client_response_stats", resp()},
			{"data_dir_size", data},
			{"log_dir_size", logs},
			{"server_state", s.mode()},
			{"last_processed_zxid", s.lastZxid()},
			{"outstanding_requests", s.stats.outstanding.Load()},
			{"avg_latency", avg},
			{"max_latency", hi},
			{"min_latency", lo},
			{"num_alive_client_connections", int64(s.connCount())},
			{"auth_failed_count", int64(0)},
			{"non_mtlsremote_conn_count", int64(0)},
			{"non_mtlslocal_conn_count", int64(0)},
			{"provider_null", false},
			{"uptime", s.uptime()},
		}},
		{"client_response", resp()},
		{"node_count", s.nodeCount()},
	}
}

// connectionsJSON is ServerCnxnFactory.getAllConnectionInfo.
func (s *Server) connectionsJSON(brief bool) []any {
	infos := s.connInfos()
	out := make([]any, len(infos))
	for i, ci := range infos {
		o := jsonObject{
			{"remote_socket_address", ci.remote},
			{"interest_ops", ci.interestOps},
			{"outstanding_requests", ci.queued},
			{"packets_received", ci.recved},
			{"packets_sent", ci.sent},
		}
		if !brief {
			o = append(o,
				jsonField{"session_id", ci.sessionID},
				jsonField{"last_operation", ci.lastOp},
				jsonField{"established", ci.established},
				jsonField{"session_timeout", ci.timeout},
				jsonField{"last_cxid", ci.lastCxid},
				jsonField{"last_zxid", ci.lastZxid},
				jsonField{"last_response_time", ci.lastResp},
				jsonField{"last_latency", ci.lastLatency},
				jsonField{"min_latency", ci.minLatency},
				jsonField{"avg_latency", ci.avgLatency},
				jsonField{"max_latency", ci.maxLatency},
			)
		}
		out[i] = o
	}
	return out
}

// confJSON is ZooKeeperServerConf.toMap, read off the conf lines.
func (s *Server) confJSON() jsonObject {
	kv := make(map[string]string)
	for _, l := range s.confLines() {
		if k, v, ok := strings.Cut(l, "="); ok {
			kv[k] = v
		}
	}
	num := func(k string) any {
		n, err := strconv.ParseInt(kv[k], 10, 64)
		if err != nil {
			return kv[k]
		}
		return n
	}
	return jsonObject{
		{"client_port", num("clientPort")},
		{"data_dir", kv["dataDir"]},
		{"data_log_dir", kv["dataLogDir"]},
		{"tick_time", num("tickTime")},
		{"max_client_cnxns", num("maxClientCnxns")},
		{"min_session_timeout", num("minSessionTimeout")},
		{"max_session_timeout", num("maxSessionTimeout")},
		{"server_id", num("serverId")},
		{"client_port_listen_backlog", num("clientPortListenBacklog")},
	}
}

// dumpJSON is the dump command's response: session expiry times (on
// ZooKeeper's elapsed-time clock) and ephemeral nodes by session.
func (s *Server) dumpJSON() jsonObject {
	var expiry jsonObject
	buckets, _ := s.sessionBuckets()
	for _, b := range buckets {
		expiry = append(expiry, jsonField{strconv.FormatInt(s.stats.elapsedMillis(b.at), 10), int64sJSON(b.ids)})
	}
	var eph jsonObject
	for _, e := range s.ephemerals() {
		eph = append(eph, jsonField{strconv.FormatInt(e.session, 10), stringsJSON(e.paths)})
	}
	return jsonObject{
		{"expiry_time_to_session_ids", orEmpty(expiry)},
		{"session_id_to_ephemeral_paths", orEmpty(eph)},
	}
}

// lastSnapshot is the newest snapshot's zxid and modification time (unix
// seconds), both -1 without one.
func (s *Server) lastSnapshot() (zxid, timestamp int64) {
	idxs, err := s.snaps.List()
	if err != nil || len(idxs) == 0 {
		return -1, -1
	}
	prefix := fmt.Sprintf("%016x", idxs[0])
	ents, err := os.ReadDir(s.snaps.Dir())
	if err != nil {
		return int64(idxs[0]), -1
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) && !strings.HasSuffix(e.Name(), ".tmp") {
			if info, err := e.Info(); err == nil {
				return int64(idxs[0]), info.ModTime().Unix()
			}
		}
	}
	return int64(idxs[0]), -1
}

// jsonField is one member of a jsonObject.
type jsonField struct {
	key   string
	value any
}

// jsonObject is a JSON object whose members keep their order. Values are
// nil, bool, int64, float64 (written as Java writes a double), string,
// jsonObject or []any.
type jsonObject []jsonField

func (o jsonObject) has(key string) bool {
	for _, f := range o {
		if f.key == key {
			return true
		}
	}
	return false
}

// orEmpty turns a nil object into an empty one (written "{ }").
func orEmpty(o jsonObject) jsonObject {
	if o == nil {
		return jsonObject{}
	}
	return o
}

func stringsJSON(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func int64sJSON(ns []int64) []any {
	out := make([]any, len(ns))
	for i, n := range ns {
		out[i] = n
	}
	return out
}

// jsonString writes v as Jackson's default pretty printer does: objects
// with one member per line indented by two spaces per level and " : "
// between name and value, arrays on one line ("[ 1, 2 ]"), empty ones as
// "{ }" and "[ ]", no final newline.
func jsonString(v any) string {
	var b strings.Builder
	writeJSON(&b, v, 0)
	return b.String()
}

func writeJSON(b *strings.Builder, v any, nesting int) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case int:
		b.WriteString(strconv.Itoa(v))
	case float64:
		b.WriteString(javaDouble(v))
	case string:
		writeJSONString(b, v)
	case jsonObject:
		if len(v) == 0 {
			b.WriteString("{ }")
			return
		}
		b.WriteByte('{')
		for i, f := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
			b.WriteString(strings.Repeat("  ", nesting+1))
			writeJSONString(b, f.key)
			b.WriteString(" : ")
			writeJSON(b, f.value, nesting+1)
		}
		b.WriteByte('\n')
		b.WriteString(strings.Repeat("  ", nesting))
		b.WriteByte('}')
	case []any:
		if len(v) == 0 {
			b.WriteString("[ ]")
			return
		}
		b.WriteString("[ ")
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSON(b, e, nesting)
		}
		b.WriteString(" ]")
	default:
		writeJSONString(b, fmt.Sprint(v))
	}
}

// writeJSONString quotes s as Jackson does: short escapes for the usual
// control characters, \u00XX for the others, everything else as is.
func writeJSONString(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}
