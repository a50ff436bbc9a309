package server

import (
	"bufio"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// serverStats are the server-wide counters behind srvr, stat, mntr and the
// AdminServer: ZooKeeper's ServerStats plus those of its ServerMetrics that
// zkafka measures. Its zero value is ready to use except minLatency, which
// New sets to -1.
type serverStats struct {
	packetsReceived atomic.Int64
	packetsSent     atomic.Int64
	outstanding     atomic.Int64
	fsyncs          atomic.Int64
	expired         atomic.Int64 // stale_sessions_expired
	minLatency      atomic.Int64 // ms, -1 before the first request
	maxLatency      atomic.Int64
	totalLatency    atomic.Int64
	count           atomic.Int64

	bytesReceived atomic.Int64 // bytes_received_count
	connRequests  atomic.Int64 // connection_request_count
	connRejected  atomic.Int64 // connection_rejected
	responseBytes atomic.Int64 // response_bytes
	fsyncSlow     atomic.Int64 // fsync_threshold_exceed_count

	// Client response sizes (ZooKeeper's BufferStats), each plus one: 0
	// until the first. Atomics, not a lock: every reply updates them.
	respLast, respMin, respMax atomic.Int64
	fsyncTime, syncBatch       summary // fsynctime, sync_processor_batch_size
	snapshotTime               summary // snapshottime
	// What this process's recovery took, as ZooKeeper records it once at
	// start (FileTxnSnapLog.restore, ZKDatabase.loadDataBase), in ms.
	startupSnapLoad            summary // startup_snap_load_time: finding and loading the snapshot
	startupTxnsLoad            summary // startup_txns_load_time: replaying the log after it
	startupTxnsLoaded          summary // startup_txns_loaded: txns replayed
	dbInit                     summary // dbinittime: snapshot and log, in all
	readLatency, updateLatency summary // readlatency, updatelatency (with percentiles)
	traceMask                  atomic.Int64
	traceMaskSet               atomic.Bool
	clockOnce                  sync.Once
	clockWall                  time.Time
	clockMs                    int64
	fourLWMu                   sync.Mutex
	fourLW                     map[*conn]struct{} // connections answering a four-letter word
}

// defaultTraceMask is ZooTrace's default text trace level, which gtmk
// prints until stmk changes it.
const defaultTraceMask = 306

// fsyncWarningThreshold is ZooKeeper's fsync.warningthresholdms default.
const fsyncWarningThreshold = time.Second

// isUpdate reports whether ZooKeeper gives requests of type op a txn
// header: they count as updatelatency, the others as readlatency.
func isUpdate(op jute.OpCode) bool {
	switch op {
	case jute.OpCreateSession, jute.OpCloseSession, jute.OpReconfig:
		return true
	}
	return writeBody(op) != nil
}

// record accounts one answered request of type op received at start and
// answered at now.
func (st *serverStats) record(op jute.OpCode, start, now time.Time) {
	ms := now.Sub(start).Milliseconds()
	if ms < 0 {
		return
	}
	st.totalLatency.Add(ms)
	st.count.Add(1)
	for {
		cur := st.minLatency.Load()
		if cur >= 0 && cur <= ms || st.minLatency.CompareAndSwap(cur, ms) {
			break
		}
	}
	for {
		cur := st.maxLatency.Load()
		if cur >= ms || st.maxLatency.CompareAndSwap(cur, ms) {
			break
		}
	}
	if isUpdate(op) {
		st.updateLatency.add(ms, true)
	} else {
		st.readLatency.add(ms, true)
	}
}

// reset is srst: ZooKeeper's ServerStats.reset, which also resets every
// ServerMetrics counter and summary.
func (st *serverStats) reset() {
	st.packetsReceived.Store(0)
	st.packetsSent.Store(0)
	st.minLatency.Store(-1)
	st.maxLatency.Store(0)
	st.totalLatency.Store(0)
	st.count.Store(0)
	st.expired.Store(0)
	st.bytesReceived.Store(0)
	st.connRequests.Store(0)
	st.connRejected.Store(0)
	st.responseBytes.Store(0)
	st.respLast.Store(0)
	st.respMin.Store(0)
	st.respMax.Store(0)
	for _, m := range []*summary{&st.fsyncTime, &st.syncBatch, &st.snapshotTime, &st.readLatency, &st.updateLatency,
		&st.startupSnapLoad, &st.startupTxnsLoad, &st.startupTxnsLoaded, &st.dbInit} {
		m.reset()
	}
}

// packetReceived counts one packet of n bytes (length prefix included) read
// from c, as ZooKeeper's ServerCnxn.packetReceived does.
func (c *conn) packetReceived(n int) {
	c.stats.packetsRecv.Add(1)
	c.s.stats.packetsReceived.Add(1)
	c.s.stats.bytesReceived.Add(int64(n))
}

// sessionCreated accounts the createSession that established c's new
// session, as ZooKeeper's FinalRequestProcessor does (lastOp SESS, cxid 0),
// timed from when the connection was accepted.
func (c *conn) sessionCreated(zxid int64) {
	now := time.Now()
	c.s.stats.record(jute.OpCreateSession, c.started, now)
	c.stats.record(jute.OpCreateSession, 0, zxid, c.started, now)
}

// clientResponse records the size of one reply or notification frame
// (length prefix included): client_response_size (without the prefix, as
// ZooKeeper measures it) and response_bytes.
func (st *serverStats) clientResponse(frameLen int) {
	st.responseBytes.Add(int64(frameLen))
	v := int64(frameLen-4) + 1
	st.respLast.Store(v)
	for {
		cur := st.respMin.Load()
		if cur != 0 && cur <= v || st.respMin.CompareAndSwap(cur, v) {
			break
		}
	}
	for {
		cur := st.respMax.Load()
		if cur >= v || st.respMax.CompareAndSwap(cur, v) {
			break
		}
	}
}

// responseSizes returns the last, smallest and largest client response
// size, -1 each before the first response.
func (st *serverStats) responseSizes() (last, minSize, maxSize int64) {
	// Zero (none yet) becomes -1, as ZooKeeper prints before the first.
	return st.respLast.Load() - 1, st.respMin.Load() - 1, st.respMax.Load() - 1
}

// timedSync runs sync (the log's fsync) for a batch of n txns and records
// fsynctime, sync_processor_batch_size and fsync_threshold_exceed_count.
func (st *serverStats) timedSync(sync func() error, n int) error {
	start := time.Now()
	err := sync()
	took := time.Since(start)
	st.fsyncTime.add(took.Milliseconds(), false)
	st.syncBatch.add(int64(n), false)
	if took > fsyncWarningThreshold {
		st.fsyncSlow.Add(1)
	}
	return err
}

// snapshotTaken records snapshottime.
func (st *serverStats) snapshotTaken(took time.Duration) {
	st.snapshotTime.add(took.Milliseconds(), false)
}

// getTraceMask returns the text trace level gtmk prints.
func (st *serverStats) getTraceMask() int64 {
	if !st.traceMaskSet.Load() {
		return defaultTraceMask
	}
	return st.traceMask.Load()
}

func (st *serverStats) setTraceMask(m int64) {
	st.traceMask.Store(m)
	st.traceMaskSet.Store(true)
}

// elapsedMillis converts t to ZooKeeper's Time.currentElapsedTime scale:
// milliseconds of the monotonic clock (System.nanoTime, which on Linux
// counts from boot). ZooKeeper shows that scale in cons (lresp) and in the
// session expiry times of the dump command.
func (st *serverStats) elapsedMillis(t time.Time) int64 {
	wall, ms := st.clock()
	return ms + t.Sub(wall).Milliseconds()
}

// elapsedTime is the inverse of elapsedMillis.
func (st *serverStats) elapsedTime(ms int64) time.Time {
	wall, base := st.clock()
	return wall.Add(time.Duration(ms-base) * time.Millisecond)
}

// clock returns a wall time and the elapsed-clock reading that goes with
// it, taken once.
func (st *serverStats) clock() (time.Time, int64) {
	st.clockOnce.Do(func() {
		st.clockWall = time.Now()
		st.clockMs = bootUptimeMillis()
	})
	return st.clockWall, st.clockMs
}

// bootUptimeMillis reads the time since boot from /proc/uptime; 0 where
// there is none.
func bootUptimeMillis() int64 {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	secs, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0
	}
	return int64(secs * 1000)
}

// markFourLetterWord notes that c is answering a four-letter word (cons
// shows its interest ops as 0, as ZooKeeper does for a cancelled key).
func (st *serverStats) markFourLetterWord(c *conn, on bool) {
	st.fourLWMu.Lock()
	defer st.fourLWMu.Unlock()
	if on {
		if st.fourLW == nil {
			st.fourLW = make(map[*conn]struct{})
		}
		st.fourLW[c] = struct{}{}
	} else {
		delete(st.fourLW, c)
	}
}

func (st *serverStats) isFourLetterWord(c *conn) bool {
	st.fourLWMu.Lock()
	defer st.fourLWMu.Unlock()
	_, ok := st.fourLW[c]
	return ok
}

// clear is ZooKeeper's ServerCnxn.resetStats (crst): every counter back to
// its initial value, lastOp NA and lastCxid/lastZxid -1.
func (st *connStats) clear() {
	st.packetsRecv.Store(0)
	st.packetsSent.Store(0)
	st.minLatency.Store(0)
	st.maxLatency.Store(0)
	st.totalLatency.Store(0)
	st.latencyCount.Store(0)
	st.lastOp.Store(0)
	st.lastCxid.Store(-1)
	st.lastZxid.Store(-1)
	st.lastResponse.Store(0)
	st.lastLatency.Store(0)
}

// summary is one of ZooKeeper's AvgMinMaxCounter or, when fed with
// percentiles on, AvgMinMaxPercentileCounter: count, sum, min, max and a
// uniform reservoir of samples for p50/p95/p99/p999.
type summary struct {
	mu         sync.Mutex
	count      int64
	total      int64
	min, max   int64
	samples    []int64
	seen       int64
	percentile bool
}

// reservoirSize is the size of ZooKeeper's ResettableUniformReservoir.
const reservoirSize = 4096

func (m *summary) add(v int64, percentiles bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.count == 0 || v < m.min {
		m.min = v
	}
	if m.count == 0 || v > m.max {
		m.max = v
	}
	m.count++
	m.total += v
	if !percentiles {
		return
	}
	m.percentile = true
	m.seen++
	if m.seen <= reservoirSize {
		m.samples = append(m.samples, v)
	} else if r := rand.Int64N(m.seen); r < reservoirSize {
		m.samples[r] = v
	}
}

func (m *summary) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.count, m.total, m.min, m.max, m.seen = 0, 0, 0, 0, 0
	m.samples = m.samples[:0]
}

// values appends the summary's metrics as ZooKeeper names them: avg_, min_,
// max_, cnt_, sum_ and, with percentiles, p50_, p95_, p99_, p999_.
func (m *summary) values(out []metric, name string, percentiles bool) []metric {
	var count, total, lo, hi int64
	var sorted []int64
	if m != nil {
		m.mu.Lock()
		count, total, lo, hi = m.count, m.total, m.min, m.max
		if percentiles {
			sorted = slices.Clone(m.samples)
		}
		m.mu.Unlock()
	}
	out = append(out,
		metric{"avg_" + name, roundAvg(total, count)},
		metric{"min_" + name, lo},
		metric{"max_" + name, hi},
		metric{"cnt_" + name, count},
		metric{"sum_" + name, total},
	)
	if percentiles {
		slices.Sort(sorted)
		for _, q := range []struct {
			name string
			q    float64
		}{{"p50_", 0.5}, {"p95_", 0.95}, {"p99_", 0.99}, {"p999_", 0.999}} {
			out = append(out, metric{q.name + name, int64(math.Floor(quantile(sorted, q.q) + 0.5))})
		}
	}
	return out
}

// quantile is the Dropwizard UniformSnapshot quantile ZooKeeper reports.
func quantile(sorted []int64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	pos := q * float64(n+1)
	i := int(pos)
	if i < 1 {
		return float64(sorted[0])
	}
	if i >= n {
		return float64(sorted[n-1])
	}
	lower, upper := float64(sorted[i-1]), float64(sorted[i])
	return lower + (pos-math.Floor(pos))*(upper-lower)
}

// roundAvg is AvgMinMaxCounter.getAvg: total/count rounded half-up to four
// decimals, 0 without data.
func roundAvg(total, count int64) float64 {
	if count <= 0 {
		return 0
	}
	return math.Floor(float64(total)/float64(count)*10000+0.5) / 10000
}

// metric is one mntr line: a name (without mntr's "zk_" prefix) and an
// int64, a float64 (printed as Java prints a double) or a string.
type metric struct {
	name  string
	value any
}

// formatValue prints a metric value as ZooKeeper's MonitorCommand does.
func formatValue(v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return javaDouble(v)
	case string:
		return v
	case nil:
		return "null"
	}
	return ""
}

// javaDouble formats f as Java's Double.toString does: at least one digit
// after the point, scientific notation ("1.0E7") outside [1e-3, 1e7).
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1.5E+07
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// The metrics a standalone Apache ZooKeeper 3.9 prints after version and
// server_state, in the order it prints them (the iteration order of its
// metrics provider's hash maps): gauges, counters, basic summaries (avg,
// min, max, cnt, sum) and summaries with percentiles. Metric sets that only
// print the keys seen at run time (read/write_per_namespace, quota sets) are
// left out.
var (
	mntrGauges = []string{
		"ephemerals_count", "num_alive_connections", "avg_latency", "outstanding_requests", "znode_count",
		"global_sessions", "non_mtls_remote_conn_count", "last_client_response_size", "packets_sent",
		"packets_received", "max_client_response_size", "connection_drop_probability", "watch_count",
		"auth_failed_count", "min_latency", "max_file_descriptor_count", "approximate_data_size",
		"open_file_descriptor_count", "local_sessions", "uptime", "max_latency", "outstanding_tls_handshake",
		"min_client_response_size", "non_mtls_local_conn_count",
	}
	mntrCounters = []string{
		"watch_bytes", "stale_requests_dropped", "throttled_ops", "insecure_admin_count", "connection_rejected",
		"sessionless_connections_expired", "dead_watchers_queued", "stale_requests", "connection_drop_count",
		"response_packet_cache_hits", "bytes_received_count", "add_dead_watcher_stall_time",
		"request_throttle_wait_count", "requests_not_forwarded_to_commit_processor", "response_packet_cache_misses",
		"prep_processor_request_queued", "stale_replies", "response_bytes", "ensemble_auth_fail", "diff_count",
		"connection_revalidate_count", "quit_leading_due_to_disloyal_voter", "unrecoverable_error_count",
		"unsuccessful_handshake", "commit_count", "outstanding_changes_queued", "request_commit_queued",
		"ensemble_auth_skip", "skip_learner_request_to_next_processor_count", "proposal_count",
		"large_requests_rejected", "outstanding_changes_removed", "restore_error_count",
		"cnxn_closed_without_zk_server_running", "looking_count", "snapshot_rate_limited_count",
		"learner_proposal_received_count", "digest_mismatches_count", "dead_watchers_cleared",
		"ensemble_auth_success", "learner_commit_received_count", "snapshot_error_count", "connection_request_count",
		"response_packet_get_children_cache_misses", "snap_count", "stale_sessions_expired",
		"restore_rate_limited_count", "response_packet_get_children_cache_hits", "sync_processor_request_queued",
		"tls_handshake_exceeded", "revalidate_count",
	}
	mntrBasicSummaries = []string{
		"socket_closing_time", "proposal_process_time", "leader_unavailable_time", "node_created_watch_count",
		"session_queues_drained", "write_commit_proc_req_queued", "connection_token_deficit",
		"read_commit_proc_req_queued", "node_deleted_watch_count", "startup_txns_load_time",
		"sync_processor_queue_size", "follower_sync_time", "prep_processor_queue_size", "fsynctime",
		"inflight_snap_count", "reads_issued_from_session_queue", "restore_time",
		"learner_request_processor_queue_size", "snapshottime", "unavailable_time", "startup_txns_loaded",
		"reads_after_write_in_session_queue", "requests_in_session_queue", "write_commit_proc_issued",
		"prep_process_time", "pending_session_queue_size", "time_waiting_empty_pool_in_commit_processor_read_ms",
		"commit_process_time", "dbinittime", "inflight_diff_count", "netty_queued_buffer_capacity", "election_time",
		"commit_commit_proc_req_queued", "sync_processor_batch_size", "node_children_watch_count",
		"write_batch_time_in_commit_processor", "read_commit_proc_issued",
		"concurrent_request_processing_in_commit_processor", "observer_sync_time", "node_changed_watch_count",
		"sync_process_time", "startup_snap_load_time",
	}
	mntrSummaries = []string{
		"prep_processor_queue_time_ms", "jvm_pause_time_ms", "close_session_prep_time", "read_commitproc_time_ms",
		"updatelatency", "local_write_committed_time_ms", "request_throttle_queue_time_ms", "readlatency",
		"quorum_ack_latency", "om_commit_process_time_ms", "read_final_proc_time_ms", "commit_propagation_latency",
		"dead_watchers_cleaner_latency", "write_final_proc_time_ms", "proposal_ack_creation_latency",
		"proposal_latency", "om_proposal_process_time_ms", "sync_processor_queue_and_flush_time_ms",
		"propagation_latency", "server_write_committed_time_ms", "sync_processor_queue_time_ms",
		"sync_processor_queue_flush_time_ms", "write_commitproc_time_ms",
	}
)

// counter returns the value of one of ZooKeeper's ServerMetrics counters;
// those that do not apply to zkafka are 0.
func (st *serverStats) counter(name string) int64 {
	switch name {
	case "bytes_received_count":
		return st.bytesReceived.Load()
	case "connection_request_count":
		return st.connRequests.Load()
	case "connection_rejected":
		return st.connRejected.Load()
	case "response_bytes":
		return st.responseBytes.Load()
	case "stale_sessions_expired":
		return st.expired.Load()
	}
	return 0
}

// summaryNamed returns the summary zkafka keeps under a ServerMetrics
// name, or nil for one that does not apply (it prints as zeros).
func (st *serverStats) summaryNamed(name string) *summary {
	switch name {
	case "fsynctime":
		return &st.fsyncTime
	case "sync_processor_batch_size":
		return &st.syncBatch
	case "snapshottime":
		return &st.snapshotTime
	case "readlatency":
		return &st.readLatency
	case "updatelatency":
		return &st.updateLatency
	case "startup_snap_load_time":
		return &st.startupSnapLoad
	case "startup_txns_load_time":
		return &st.startupTxnsLoad
	case "startup_txns_loaded":
		return &st.startupTxnsLoaded
	case "dbinittime":
		return &st.dbInit
	}
	return nil
}

// openFileDescriptors counts this process's open files (/proc/self/fd);
// -1 where that cannot be read, as ZooKeeper's OSMXBean reports.
func openFileDescriptors() int64 {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return int64(len(ents))
}

// maxFileDescriptors is the soft RLIMIT_NOFILE (/proc/self/limits); -1
// where that cannot be read.
func maxFileDescriptors() int64 {
	f, err := os.Open("/proc/self/limits")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				return -1
			}
			if fields[0] == "unlimited" {
				return math.MaxInt64
			}
			n, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}
