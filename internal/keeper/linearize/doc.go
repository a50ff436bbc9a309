// Package linearize is a Jepsen-style consistency test for the keeper:
// Run drives concurrent ZooKeeper sessions against one server or an
// ensemble and records every call and reply; Check decides whether the
// recorded history is one that ZooKeeper's guarantees allow, with
// github.com/anishathalye/porcupine.
//
// # Workload
//
// Config.Clients sessions (internal/zkclient, which moves a session to
// another of Config.Servers when its connection fails, and is refused by a
// server behind the zxid it has seen) each loop over random operations on
// Config.Keys znodes Root/k0, Root/k1, ...: create, setData with the
// version last seen or -1, delete with a version or -1, getData, and sync
// followed by getData. Every create and setData writes a value no other
// write uses, so a read names the write it saw. An operation is recorded
// with its call and return times (monotonic clock), the reply (data,
// version, stat zxids, header zxid) and its Outcome: OK, Failed with a
// specified error (NodeExists; NoNode; BadVersion), or Unknown when no
// reply came (connection loss, timeout, expiry, any other error). After an
// Unknown outcome the client waits for its session to reconnect (or starts
// a new session when it expired), so each client leaves at most one
// write of unknown outcome per outage. Those are what make the check
// expensive: a write that never returns stays a candidate at every step,
// so proving a history illegal costs up to 2^n in the writes of unknown
// outcome on one key (simulated, 2 shared cores: 100 ops, ~5 per key, 33 ms
// at worst; 150 ops, ~7 per key, 1.3 s). Spread them over enough keys;
// Check's timeout turns a search too long into ErrUndecided.
//
// # What is checked
//
// ZooKeeper promises linearizable writes, FIFO order per session, and
// reads served from the local server's state: possibly stale, but never
// older than what the session saw or wrote before, and up to date after
// sync. Check verifies, per key, that there is one total order of that
// key's operations such that:
//
//   - Writes and sync-reads respect real time: if A returned before B was
//     called, A comes first. (A plain read also sits inside its own call
//     interval, so it can never see a write that had not yet happened.)
//   - Replaying the order on one znode gives every reply: a successful
//     create/set/delete found its precondition true (absent; version
//     matching or -1) and create/set report the version that follows; a
//     Failed one found it false with exactly that error; a sync-read
//     returns the current state (data and version, or NoNode).
//   - A plain getData may return any earlier state of the key (staleness
//     is allowed), but not one older than the session's floor. The floor
//     rises to the state a read of the session returned, and to the state
//     right after (or, for a Failed write, at) the session's own write. So
//     reads never go back in time within a session, a read after the
//     session's write sees that write or a later state, and a read after a
//     failed conditional write does not see a state before the one the
//     write was refused on.
//   - A write of Unknown outcome never returns: it may take effect at any
//     point after its call, or never (it is then ordered after everything
//     else). It does not raise its session's floor. A read of Unknown
//     outcome is dropped.
//
// This is one porcupine Model whose state per key is the chain of states
// the key went through plus each session's floor, partitioned by key, so
// keys are checked independently and in parallel.
//
// The model is blind to the order between keys. The zxid rules cover
// that, trusting the zxids the server reports only as far as they agree:
//
//   - Z1: in each session, reply zxids never decrease (the client refuses
//     servers behind it; this also catches a session reading key b older
//     than key a);
//   - Z2: a read's stat has czxid ≤ mzxid ≤ the reply's zxid;
//   - Z3: acknowledged writes have distinct zxids that respect real time;
//   - Z4: a read that found the znode reflects the tree as of its reply
//     zxid: no acknowledged write to the key lies in (mzxid, reply zxid].
//
// # What is not checked
//
//   - Cross-key session order beyond what zxids show; a server that lies
//     consistently about zxids passes Z1–Z4.
//   - A plain read that returns NoNode is not checked against zxids (a
//     delete of unknown outcome could explain it).
//   - Watches, ephemerals, sequential nodes, multi, ACLs, session expiry
//     timing; children lists.
//   - The real-time bound on a plain read's staleness: ZooKeeper gives
//     none, so a server that never applied other sessions' writes passes
//     as long as every session sees its own writes and sync works.
//   - Liveness: a run where every operation times out passes; the caller
//     should look at History.Counts.
//
// # Proof that it fails
//
// model_test.go holds hand-made histories that must be rejected — an
// acknowledged write lost, a read that misses the session's own write, a
// read going back in time, a stale sync-read, a create succeeding on an
// existing node, zxids going backwards — beside legal ones that must pass
// (a stale read by another session, writes of unknown outcome taking
// effect or not). sim_test.go generates hundreds of histories of a
// simulated correct server — concurrent, stale reads, unknown outcomes —
// which must all pass, and of one whose reads go back in time, which must
// all fail. run_test.go runs the workload against a standalone
// keeper (must pass) and through a proxy that injects server bugs —
// replaying an old getData reply, acknowledging a setData it never
// forwarded — which must be caught. Set ZKAFKA_LINEARIZE_VIZ to a
// directory to keep porcupine's HTML view of every history the tests
// check; failing checks log its path.
package linearize
