package server

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/watch"
)

// Version is the ZooKeeper version zkafka reports; clients and tools parse
// it, so it names the ZooKeeper release whose protocol zkafka speaks.
const Version = "3.9.3-zkafka, built on 2026-11-25 00:00 UTC"

// fourLetterWords lists every command ZooKeeper answers on the client port
// (FourLetterCommands), by the four bytes that spell it.
var fourLetterWords = map[string]bool{
	"ruok": true, "srvr": true, "stat": true, "mntr": true, "conf": true, "cons": true,
	"crst": true, "srst": true, "envi": true, "wchs": true, "wchc": true, "wchp": true,
	"dump": true, "isro": true, "dirs": true, "gtmk": true, "stmk": true, "hash": true,
	telnetClose: true,
}

// telnetClose is what telnet sends for ^C (IAC IP IAC DO); ZooKeeper knows
// it as the command "telnet close".
const telnetClose = "\xff\xf4\xff\xfd"

func isFourLetterWord(s string) bool { return fourLetterWords[s] }

// sessionlessCnxnTimeout is zookeeper.nio.sessionlessCnxnTimeout's default:
// how long a connection without a session lives, and the bucket width of
// the connection expiry queue the dump command prints.
const sessionlessCnxnTimeout = 10 * time.Second

// stmkTimeout bounds the wait for stmk's 8-byte argument.
const stmkTimeout = 10 * time.Second

// allowed is ZooKeeper's FourLetterCommands.isEnabled: srvr always (zkServer.sh
// needs it), every command when the whitelist holds "*", else the listed
// ones.
func (s *Server) allowed(cmd string) bool {
	if cmd == "srvr" || (cmd == "isro" && s.readOnlyEnabled()) {
		return true
	}
	for _, w := range s.opts.FourLetterWords {
		if w = strings.TrimSpace(w); w == "*" || w == cmd {
			return true
		}
	}
	return false
}

// fourLetterWord answers a four-letter word and closes the connection. r
// reads what the client sent after the command (stmk's argument).
func (s *Server) fourLetterWord(c *conn, head string, r io.Reader) {
	cmd := head
	if head == telnetClose {
		cmd = "telnet close"
	}
	s.stats.markFourLetterWord(c, true)
	defer s.stats.markFourLetterWord(c, false)
	c.packetReceived(4)
	var out string
	switch {
	case !s.allowed(cmd):
		out = cmd + " is not executed because it is not in the whitelist.\n"
	case cmd == "telnet close":
		// ZooKeeper runs nothing for it; the connection just ends.
	case cmd == "stmk":
		var b [8]byte
		c.nc.SetReadDeadline(time.Now().Add(stmkTimeout))
		if _, err := io.ReadFull(r, b[:]); err != nil {
			c.log.Warn("closing connection: stmk without its 8-byte trace mask", "err", err)
			break
		}
		mask := int64(binary.BigEndian.Uint64(b[:]))
		s.stats.setTraceMask(mask)
		out = strconv.FormatInt(mask, 10)
	default:
		c.log.Info("processing four-letter word", "command", cmd)
		out = s.runCommand(cmd)
	}
	c.sendText(out)
	c.finish()
	<-c.done
}

// sendText queues a command's output the way ZooKeeper's SendBufferWriter
// sends it: in chunks of a little over 2 KiB, each one packet.
func (c *conn) sendText(out string) {
	const chunk = 2048
	for len(out) > 0 {
		n := len(out)
		if n > chunk {
			// The writer flushes at the first write that takes it past
			// 2048 bytes; commands write about a line at a time.
			n = chunk + 1
			if i := strings.IndexByte(out[n-1:], '\n'); i >= 0 {
				n += i
			} else {
				n = len(out)
			}
		}
		c.enqueue([]byte(out[:n]))
		out = out[n:]
	}
}

// runCommand produces a command's text output.
func (s *Server) runCommand(cmd string) string {
	var b strings.Builder
	if !s.serving() && !s.readOnly() && needsQuorum[cmd] {
		return notServing
	}
	switch cmd {
	case "ruok":
		return "imok"
	case "isro":
		if s.readOnly() {
			return "ro"
		}
		return "rw"
	case "gtmk":
		return strconv.FormatInt(s.stats.getTraceMask(), 10)
	case "srvr", "stat":
		s.writeStat(&b, cmd == "stat")
	case "mntr":
		for _, m := range s.monitorValues() {
			b.WriteString("zk_")
			b.WriteString(m.name)
			b.WriteByte('\t')
			b.WriteString(formatValue(m.value))
			b.WriteByte('\n')
		}
	case "conf":
		for _, l := range s.confLines() {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	case "cons":
		for _, ci := range s.connInfos() {
			ci.write(&b, false)
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	case "crst":
		s.resetConnStats()
		b.WriteString("Connection stats reset.\n")
	case "srst":
		s.stats.reset()
		b.WriteString("Server stats reset.\n")
	case "envi":
		b.WriteString("Environment:\n")
		for _, e := range environment() {
			b.WriteString(e.key)
			b.WriteByte('=')
			b.WriteString(e.value)
			b.WriteByte('\n')
		}
	case "wchs":
		b.WriteString(s.watchSummary().String())
		b.WriteByte('\n')
	case "wchc":
		for _, w := range s.watchesByWatcher() {
			fmt.Fprintf(&b, "0x%x\n", uint64(w.session))
			for _, p := range w.paths {
				b.WriteByte('\t')
				b.WriteString(p)
				b.WriteByte('\n')
			}
		}
		b.WriteByte('\n')
	case "wchp":
		for _, p := range s.watchesByPath() {
			b.WriteString(p.path)
			b.WriteByte('\n')
			for _, id := range p.sessions {
				fmt.Fprintf(&b, "\t0x%x\n", uint64(id))
			}
		}
		b.WriteByte('\n')
	case "dump":
		s.writeDump(&b)
	case "dirs":
		data, logs := s.dirSizes()
		fmt.Fprintf(&b, "datadir_size: %d\nlogdir_size: %d\n", data, logs)
	case "hash":
		// ZooKeeper lists the digests it logged every 128 txns; zkafka
		// keeps no such log.
	}
	return b.String()
}

// writeStat writes srvr (and, with clients, stat).
func (s *Server) writeStat(b *strings.Builder, clients bool) {
	fmt.Fprintf(b, "Zookeeper version: %s\n", Version)
	if s.readOnly() {
		b.WriteString("READ-ONLY mode; serving only read-only clients\n")
	}
	if clients {
		b.WriteString("Clients:\n")
		for _, ci := range s.connInfos() {
			ci.write(b, true)
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	lo, avg, hi := s.latency()
	fmt.Fprintf(b, "Latency min/avg/max: %d/%s/%d\n", lo, javaDouble(avg), hi)
	fmt.Fprintf(b, "Received: %d\nSent: %d\n", s.stats.packetsReceived.Load(), s.packetsSent())
	fmt.Fprintf(b, "Connections: %d\nOutstanding: %d\n", s.connCount(), s.stats.outstanding.Load())
	fmt.Fprintf(b, "Zxid: 0x%x\nMode: %s\n", uint64(s.lastZxid()), s.mode())
	fmt.Fprintf(b, "Node count: %d\n", s.nodeCount())
}

// latency returns ZooKeeper's request latency min/avg/max (ms).
func (s *Server) latency() (lo int64, avg float64, hi int64) {
	return max(s.stats.minLatency.Load(), 0), roundAvg(s.stats.totalLatency.Load(), s.stats.count.Load()), s.stats.maxLatency.Load()
}

// nodeCount is ZooKeeper's DataTree.getNodeCount, which counts the root
// twice (under "" and "/").
func (s *Server) nodeCount() int64 {
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	return int64(s.db.tree.NodeCount() + 1)
}

func (s *Server) packetsSent() int64 { return s.stats.packetsSent.Load() }

func (s *Server) connCount() int {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return len(s.conns)
}

// monitorValues returns what mntr prints, in ZooKeeper's order.
func (s *Server) monitorValues() []metric {
	s.db.mu.RLock()
	ephemerals := int64(s.db.tree.EphemeralCount())
	znodes := int64(s.db.tree.NodeCount() + 1)
	sessions := int64(len(s.db.tree.Sessions()))
	dataSize := s.db.tree.ApproxDataSize()
	s.db.mu.RUnlock()
	s.db.wmu.Lock()
	watches := int64(s.db.watches.WatchCount())
	s.db.wmu.Unlock()
	lo, avg, hi := s.latency()
	last, minResp, maxResp := s.stats.responseSizes()
	gauges := map[string]any{
		"ephemerals_count":            ephemerals,
		"num_alive_connections":       int64(s.connCount()),
		"avg_latency":                 avg,
		"outstanding_requests":        s.stats.outstanding.Load(),
		"znode_count":                 znodes,
		"global_sessions":             sessions,
		"non_mtls_remote_conn_count":  int64(0),
		"last_client_response_size":   last,
		"packets_sent":                s.packetsSent(),
		"packets_received":            s.stats.packetsReceived.Load(),
		"max_client_response_size":    maxResp,
		"connection_drop_probability": 0.0,
		"watch_count":                 watches,
		"auth_failed_count":           int64(0), // only TLS (Netty) handshakes count
		"min_latency":                 lo,
		"max_file_descriptor_count":   maxFileDescriptors(),
		"approximate_data_size":       dataSize,
		"open_file_descriptor_count":  openFileDescriptors(),
		"local_sessions":              s.localSessions(),
		"uptime":                      s.uptime(),
		"max_latency":                 hi,
		"outstanding_tls_handshake":   int64(0),
		"min_client_response_size":    minResp,
		"non_mtls_local_conn_count":   int64(0),
	}
	out := make([]metric, 0, 2+len(mntrGauges)+len(mntrCounters)+5*len(mntrBasicSummaries)+9*len(mntrSummaries))
	out = append(out, metric{"version", Version}, metric{"server_state", s.mode()})
	out = append(out, s.quorumMetrics()...)
	for _, n := range mntrGauges {
		out = append(out, metric{n, gauges[n]})
	}
	for _, n := range mntrCounters {
		out = append(out, metric{n, s.stats.counter(n)})
	}
	for _, n := range mntrBasicSummaries {
		out = s.stats.summaryNamed(n).values(out, n, false)
	}
	for _, n := range mntrSummaries {
		out = s.stats.summaryNamed(n).values(out, n, true)
	}
	return out
}

// uptime is ServerStats.getUptime: ms since the server started.
func (s *Server) uptime() int64 { return time.Since(s.startedAt).Milliseconds() }

// sessionOwner is a connection's session as the server knows it.
type sessionOwner struct {
	id      int64
	timeout time.Duration
}

// sessionOwners returns the connections that own a session. Reading
// sessionID and timeout under sessMu is what makes it safe: both are
// written before attach publishes the connection under that lock.
func (s *Server) sessionOwners() map[*conn]sessionOwner {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	m := make(map[*conn]sessionOwner, len(s.bySession))
	for id, c := range s.bySession {
		m[c] = sessionOwner{id: id, timeout: c.timeout}
	}
	s.readOnlyOwners(m)
	return m
}

// ownerOrSessionless returns c's session, or for a connection without one
// session id 0 and the sessionless connection timeout, as ZooKeeper's
// NIOServerCnxn reports it.
func ownerOrSessionless(owners map[*conn]sessionOwner, c *conn) sessionOwner {
	if o, ok := owners[c]; ok {
		return o
	}
	return sessionOwner{timeout: sessionlessCnxnTimeout}
}

// connections returns the open connections in the order they were
// accepted.
func (s *Server) connections() []*conn {
	s.connMu.Lock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	s.connMu.Unlock()
	slices.SortFunc(out, func(a, b *conn) int { return cmp.Compare(a.id, b.id) })
	return out
}

// connInfo is what ZooKeeper's ServerCnxn.dumpConnectionInfo and
// getConnectionInfo report about one connection.
type connInfo struct {
	remote      string // "127.0.0.1:50920" ("[0:0:0:0:0:0:0:1]:50920" for IPv6)
	interestOps int64
	queued      int64
	recved      int64
	sent        int64
	sessionID   int64
	lastOp      string
	established int64 // unix ms
	timeout     int64 // ms
	lastCxid    int64
	lastZxid    int64
	lastResp    int64 // elapsed-clock ms, 0 before the first response
	lastLatency int64
	minLatency  int64
	avgLatency  int64
	maxLatency  int64
}

// connInfos describes every open connection.
func (s *Server) connInfos() []connInfo {
	owners := s.sessionOwners()
	conns := s.connections()
	out := make([]connInfo, 0, len(conns))
	for _, c := range conns {
		out = append(out, s.connInfo(c, ownerOrSessionless(owners, c)))
	}
	return out
}

func (s *Server) connInfo(c *conn, owner sessionOwner) connInfo {
	st := &c.stats
	ci := connInfo{
		remote:      javaSocketAddr(c.nc.RemoteAddr()),
		interestOps: 1, // OP_READ
		recved:      st.packetsRecv.Load(),
		sent:        st.packetsSent.Load(),
		sessionID:   owner.id,
		established: c.started.UnixMilli(),
		timeout:     owner.timeout.Milliseconds(),
		lastCxid:    st.lastCxid.Load(),
		lastZxid:    st.lastZxid.Load(),
		lastLatency: st.lastLatency.Load(),
		maxLatency:  st.maxLatency.Load(),
	}
	if s.stats.isFourLetterWord(c) {
		ci.interestOps = 0 // ZooKeeper cancels a command's selection key
	}
	c.pendMu.Lock()
	ci.queued = int64(c.pending)
	c.pendMu.Unlock()
	ci.lastOp = lastOpAbbrev(st.lastOpName())
	if ms := st.lastResponse.Load(); ms != 0 {
		ci.lastResp = s.stats.elapsedMillis(time.UnixMilli(ms))
	}
	if n := st.latencyCount.Load(); n > 0 {
		ci.minLatency = st.minLatency.Load()
		ci.avgLatency = st.totalLatency.Load() / n
	}
	return ci
}

// write prints the connection as ZooKeeper's dumpConnectionInfo does.
func (ci *connInfo) write(b *strings.Builder, brief bool) {
	fmt.Fprintf(b, " /%s[%x](queued=%d,recved=%d,sent=%d", ci.remote, ci.interestOps, ci.queued, ci.recved, ci.sent)
	if !brief && ci.sessionID != 0 {
		fmt.Fprintf(b, ",sid=0x%x,lop=%s,est=%d,to=%d", uint64(ci.sessionID), ci.lastOp, ci.established, ci.timeout)
		if ci.lastCxid >= 0 {
			fmt.Fprintf(b, ",lcxid=0x%x", ci.lastCxid)
		}
		fmt.Fprintf(b, ",lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d",
			uint64(ci.lastZxid), ci.lastResp, ci.lastLatency, ci.minLatency, ci.avgLatency, ci.maxLatency)
	}
	b.WriteByte(')')
}

// lastOpAbbrev maps an operation's name (as jute.OpCode.String gives it) to
// the abbreviation ZooKeeper's FinalRequestProcessor records as the
// connection's last operation.
func lastOpAbbrev(op string) string {
	switch op {
	case "ping":
		return "PING"
	case "createSession":
		return "SESS"
	case "multi":
		return "MULT"
	case "multiRead":
		return "MLTR"
	case "create", "create2", "createTTL", "createContainer":
		return "CREA"
	case "delete", "deleteContainer":
		return "DELE"
	case "setData":
		return "SETD"
	case "reconfig":
		return "RECO"
	case "setACL":
		return "SETA"
	case "closeSession":
		return "CLOS"
	case "sync":
		return "SYNC"
	case "check":
		return "CHEC"
	case "exists":
		return "EXIS"
	case "getData":
		return "GETD"
	case "setWatches":
		return "SETW"
	case "setWatches2":
		return "STW2"
	case "addWatch":
		return "ADDW"
	case "getACL":
		return "GETA"
	case "getChildren", "getChildren2":
		return "GETC"
	case "getAllChildrenNumber":
		return "GETACN"
	case "checkWatches":
		return "CHKW"
	case "removeWatches":
		return "REMW"
	case "whoAmI":
		return "HOMI"
	case "getEphemerals":
		return "GETE"
	}
	return "NA"
}

// javaSocketAddr prints addr as Java prints an InetSocketAddress's address
// and port: IPv6 addresses in full (0:0:0:0:0:0:0:1) and in brackets.
func javaSocketAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	zone := ""
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host, zone = host[:i], host[i:]
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return net.JoinHostPort(host, port)
	}
	groups := make([]string, 8)
	for i := range groups {
		groups[i] = strconv.FormatUint(uint64(ip[2*i])<<8|uint64(ip[2*i+1]), 16)
	}
	return "[" + strings.Join(groups, ":") + zone + "]:" + port
}

// resetConnStats is crst: every connection's statistics start over.
func (s *Server) resetConnStats() {
	for _, c := range s.connections() {
		c.stats.clear()
	}
}

// watcherSessions is one wchc entry.
type watcherSessions struct {
	session int64
	paths   []string
}

// pathSessions is one wchp entry.
type pathSessions struct {
	path     string
	sessions []int64
}

func (s *Server) watchSummary() watch.Summary {
	s.db.wmu.Lock()
	defer s.db.wmu.Unlock()
	return s.db.watches.Summary()
}

// watchesByWatcher is wchc's view, by session id.
func (s *Server) watchesByWatcher() []watcherSessions {
	owners := s.sessionOwners()
	bySession := func(a, b *conn) int { return cmp.Compare(owners[a].id, owners[b].id) }
	s.db.wmu.Lock()
	ws := s.db.watches.ByWatcher(bySession)
	s.db.wmu.Unlock()
	out := make([]watcherSessions, 0, len(ws))
	for _, w := range ws {
		out = append(out, watcherSessions{session: owners[w.Watcher].id, paths: w.Paths})
	}
	return out
}

// watchesByPath is wchp's view, by path.
func (s *Server) watchesByPath() []pathSessions {
	owners := s.sessionOwners()
	bySession := func(a, b *conn) int { return cmp.Compare(owners[a].id, owners[b].id) }
	s.db.wmu.Lock()
	ps := s.db.watches.ByPath(bySession)
	s.db.wmu.Unlock()
	out := make([]pathSessions, 0, len(ps))
	for _, p := range ps {
		ids := make([]int64, len(p.Watchers))
		for i, w := range p.Watchers {
			ids[i] = owners[w].id
		}
		out = append(out, pathSessions{path: p.Path, sessions: ids})
	}
	return out
}

// expiryBucket is one set of ZooKeeper's ExpiryQueue: the sessions (or
// connections) that expire at one time.
type expiryBucket struct {
	at      time.Time
	members []string // as the dump command prints them
	ids     []int64  // the session ids (sessions only)
}

// sessionBuckets is the session tracker's expiry queue.
func (s *Server) sessionBuckets() (buckets []expiryBucket, n int) {
	s.db.mu.RLock()
	ids := make([]int64, 0, len(s.db.tree.Sessions()))
	for id := range s.db.tree.Sessions() {
		ids = append(ids, id)
	}
	s.db.mu.RUnlock()
	slices.Sort(ids)
	byTime := make(map[time.Time]*expiryBucket)
	s.sessMu.Lock()
	for _, id := range ids {
		at, ok := s.tracker.Deadline(id)
		if !ok {
			continue
		}
		b := byTime[at]
		if b == nil {
			b = &expiryBucket{at: at}
			byTime[at] = b
		}
		b.ids = append(b.ids, id)
		b.members = append(b.members, fmt.Sprintf("0x%x", uint64(id)))
		n++
	}
	s.sessMu.Unlock()
	return sortedBuckets(byTime), n
}

// connectionBuckets is NIOServerCnxnFactory's connection expiry queue:
// each connection expires its session timeout (10 s without a session)
// after its last activity, rounded up to the next 10 s.
func (s *Server) connectionBuckets() (buckets []expiryBucket, n int) {
	owners := s.sessionOwners()
	byTime := make(map[time.Time]*expiryBucket)
	interval := sessionlessCnxnTimeout.Milliseconds()
	for _, c := range s.connections() {
		last := c.started
		if ms := c.stats.lastResponse.Load(); ms != 0 && time.UnixMilli(ms).After(last) {
			last = time.UnixMilli(ms)
		}
		if ns := c.lastTouch.Load(); ns != 0 && time.Unix(0, ns).After(last) {
			last = time.Unix(0, ns)
		}
		o := ownerOrSessionless(owners, c)
		e := s.stats.elapsedMillis(last.Add(o.timeout))
		e = (e/interval + 1) * interval
		at := s.stats.elapsedTime(e)
		b := byTime[at]
		if b == nil {
			b = &expiryBucket{at: at}
			byTime[at] = b
		}
		b.members = append(b.members, fmt.Sprintf("ip: /%s sessionId: 0x%x", javaSocketAddr(c.nc.RemoteAddr()), uint64(o.id)))
		n++
	}
	return sortedBuckets(byTime), n
}

func sortedBuckets(m map[time.Time]*expiryBucket) []expiryBucket {
	out := make([]expiryBucket, 0, len(m))
	for _, b := range m {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b expiryBucket) int { return a.at.Compare(b.at) })
	return out
}

// javaDate formats t as java.util.Date.toString does.
func javaDate(t time.Time) string { return t.Local().Format("Mon Jan 02 15:04:05 MST 2006") }

// sessionEphemerals is one session and its ephemeral nodes.
type sessionEphemerals struct {
	session int64
	paths   []string
}

// ephemerals lists the sessions that own ephemeral nodes, by session id.
func (s *Server) ephemerals() []sessionEphemerals {
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	var out []sessionEphemerals
	for id := range s.db.tree.Sessions() {
		if paths := s.db.tree.Ephemerals(id, "/"); len(paths) > 0 {
			out = append(out, sessionEphemerals{session: id, paths: paths})
		}
	}
	slices.SortFunc(out, func(a, b sessionEphemerals) int { return cmp.Compare(a.session, b.session) })
	return out
}

// writeDump writes the dump command's output.
func (s *Server) writeDump(b *strings.Builder) {
	writeBuckets := func(name string, buckets []expiryBucket, n int) {
		fmt.Fprintf(b, "%s Sets (%d)/(%d):\n", name, len(buckets), n)
		for _, bk := range buckets {
			fmt.Fprintf(b, "%d expire at %s:\n", len(bk.members), javaDate(bk.at))
			for _, m := range bk.members {
				b.WriteByte('\t')
				b.WriteString(m)
				b.WriteByte('\n')
			}
		}
	}
	b.WriteString("SessionTracker dump:\n")
	sb, sn := s.sessionBuckets()
	writeBuckets("Session", sb, sn)
	b.WriteString("ephemeral nodes dump:\n")
	eph := s.ephemerals()
	fmt.Fprintf(b, "Sessions with Ephemerals (%d):\n", len(eph))
	for _, e := range eph {
		fmt.Fprintf(b, "0x%x:\n", uint64(e.session))
		for _, p := range e.paths {
			b.WriteByte('\t')
			b.WriteString(p)
			b.WriteByte('\n')
		}
	}
	b.WriteString("Connections dump:\n")
	cb, cn := s.connectionBuckets()
	writeBuckets("Connections", cb, cn)
}

// dirSizes is ZooKeeper's getDataDirSize and getLogDirSize: the bytes in
// the snapshot and transaction log directories.
func (s *Server) dirSizes() (data, logs int64) {
	return dirSize(s.snaps.Dir()), dirSize(s.logDir())
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			n += info.Size()
		}
		return nil
	})
	return n
}

// confLines is the conf command's output: Options.ConfLines with the
// runtime values (the port served, the directories' sizes) filled in, or
// ZooKeeper's standalone layout built from the options.
func (s *Server) confLines() []string {
	port := 0
	if a, ok := s.Addr().(*net.TCPAddr); ok {
		port = a.Port
	}
	data, logs := s.dirSizes()
	if len(s.opts.ConfLines) == 0 {
		if s.ens != nil {
			return append(s.defaultConfLines(port, data, logs), append([]string{"membership: "}, s.ensembleLines()...)...)
		}
		return s.defaultConfLines(port, data, logs)
	}
	out := slices.Clone(s.opts.ConfLines)
	for i, l := range out {
		k, _, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		switch k {
		case "clientPort":
			out[i] = k + "=" + strconv.Itoa(port)
		case "dataDirSize":
			out[i] = k + "=" + strconv.FormatInt(data, 10)
		case "dataLogSize":
			out[i] = k + "=" + strconv.FormatInt(logs, 10)
		}
	}
	if s.ens != nil { // the membership in force, as reconfig left it
		if i := slices.Index(out, "membership: "); i >= 0 {
			out = append(out[:i+1], s.ensembleLines()...)
		}
	}
	return out
}

// defaultConfLines is ZooKeeper's standalone layout of conf, for a server
// started without Options.ConfLines.
func (s *Server) defaultConfLines(port int, data, logs int64) []string {
	return []string{
		"clientPort=" + strconv.Itoa(port),
		"secureClientPort=-1",
		"dataDir=" + s.snaps.Dir(),
		"dataDirSize=" + strconv.FormatInt(data, 10),
		"dataLogDir=" + s.logDir(),
		"dataLogSize=" + strconv.FormatInt(logs, 10),
		"tickTime=" + strconv.FormatInt(s.opts.TickTime.Milliseconds(), 10),
		"maxClientCnxns=" + strconv.Itoa(s.opts.MaxClientCnxns),
		"minSessionTimeout=" + strconv.FormatInt(s.opts.MinSessionTimeout.Milliseconds(), 10),
		"maxSessionTimeout=" + strconv.FormatInt(s.opts.MaxSessionTimeout.Milliseconds(), 10),
		"clientPortListenBacklog=-1",
		"serverId=0",
	}
}

// envEntry is one line of envi.
type envEntry struct{ key, value string }

// environment is envi's list: ZooKeeper's Environment.list with the Java
// runtime's entries replaced by the Go runtime's.
func environment() []envEntry {
	host, _ := os.Hostname()
	userName, home := "", ""
	if u, err := user.Current(); err == nil {
		userName, home = u.Username, u.HomeDir
	}
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	wd, _ := os.Getwd()
	osVersion := "<NA>"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		osVersion = strings.TrimSpace(string(b))
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	const mb = 1 << 20
	total := int64(ms.HeapSys - ms.HeapReleased)
	free := max(total-int64(ms.HeapAlloc), 0)
	limit := debug.SetMemoryLimit(-1) // math.MaxInt64 when unset, like an unbounded Java heap
	return []envEntry{
		{"zookeeper.version", Version},
		{"host.name", host},
		{"go.version", runtime.Version()},
		{"os.name", javaOSName(runtime.GOOS)},
		{"os.arch", javaOSArch(runtime.GOARCH)},
		{"os.version", osVersion},
		{"user.name", userName},
		{"user.home", home},
		{"user.dir", wd},
		{"os.memory.free", strconv.FormatInt(free/mb, 10) + "MB"},
		{"os.memory.max", strconv.FormatInt(limit/mb, 10) + "MB"},
		{"os.memory.total", strconv.FormatInt(total/mb, 10) + "MB"},
	}
}

// javaOSName is Java's os.name for a GOOS.
func javaOSName(goos string) string {
	switch goos {
	case "linux":
		return "Linux"
	case "darwin":
		return "Mac OS X"
	case "windows":
		return "Windows"
	case "freebsd":
		return "FreeBSD"
	case "openbsd":
		return "OpenBSD"
	case "netbsd":
		return "NetBSD"
	case "solaris":
		return "SunOS"
	}
	return goos
}

// javaOSArch is Java's os.arch for a GOARCH.
func javaOSArch(goarch string) string {
	switch goarch {
	case "arm64":
		return "aarch64"
	case "386":
		return "x86"
	}
	return goarch
}
