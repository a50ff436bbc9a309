// Package quorum replicates the keeper's transactions over a majority of an
// ensemble with go.etcd.io/raft/v3. Raft is the consensus engine; this
// package is the glue around it: the Ready loop (Node), the durable raft
// storage (Storage, on package storage's WAL and snapshots) and the peer
// transport (Transport: TCP, and quorumtest.Network for tests).
//
// # Using it (how the server plugs in)
//
//		n, err := quorum.Start(quorum.Config{
//			ID: myid, Members: members /* server.N lines */, TickTime: tickTime,
//			InitLimit: initLimit, SyncLimit: syncLimit,
//			DataDir: dataDir, LogDir: dataLogDir,
//			Transport: tcp /* quorum.NewTCP on this server's quorumPort */,
//			Applier: app /* the tree + sessions */, SnapCount: snapCount,
//		})
//
//	  - Writes: the server encodes a txn (with a request id naming the
//	    server and the request) and calls Propose. Every member's Applier
//	    receives the committed entry, in log order, in Apply; the member that
//	    proposed it matches the request id and answers the client. The
//	    zxid of the txn is Entry.Zxid(); the txn's time comes from the
//	    proposer (inside the data), never from the applying member's clock.
//	    A proposal may be lost (leader change): the proposer times the
//	    request out (ZooKeeper clients see connection loss and retry).
//	  - Reads are local. sync is ReadIndex then WaitApplied.
//	  - Status gives leader, term, role (leader, follower, learner for
//	    observers), commit and applied index, the applied zxid, and on the
//	    leader each follower's match index and whether it is synced (for
//	    srvr/mntr). Changes signals leader, role, term and membership changes
//	    (a new leader renews every session's timeout).
//	  - Snapshots: every SnapCount applied entries the node calls
//	    Applier.Snapshot on its goroutine (freeze a copy-on-write view: the
//	    tree's Snapshot), writes the state on another goroutine, then lets
//	    raft drop the log up to CompactionSlack entries before it. A
//	    follower further behind than the compacted log receives the snapshot
//	    and its Applier.Restore replaces the state. At start the newest valid
//	    snapshot is restored and the log after it replayed through Apply.
//	  - Membership: ProposeConfChange adds, promotes or removes members
//	    (reconfig); the Applier sees the change as an Entry with Conf set, the
//	    place to update /zookeeper/config. Observers are raft learners: they
//	    get every entry, forward proposals, never vote.
//
// # Threads
//
// One goroutine per Node owns the raft.RawNode. Each iteration takes a tick,
// received messages, proposals or requests, then handles every Ready: send
// the messages that acknowledge nothing (MsgApp, heartbeats, forwarded
// proposals), apply committed entries, save (Storage.Save: snapshot,
// entries, one fsync, HardState), send the acknowledgements (MsgAppResp,
// vote answers), Advance. So a leader's followers write new entries while
// the leader does (raft thesis §10.2.1); the leader counts its own copy
// only in Advance, after its fsync. Committed entries are durable on a
// majority already, so their answers do not wait for this member's fsync
// of the Ready's new entries (a leader's next batch, the entries of a
// follower's next MsgApp): the new entries are appended, a syncer
// goroutine fsyncs them while the loop applies, and the loop waits for
// the fsync before the HardState and the acknowledgements. A Ready
// carrying a snapshot saves and restores it first and applies after. Snapshot files are
// written by one goroutine at a time that the Node waits for on Close.
//
// Group commit: an iteration that received messages or proposals takes
// everything queued, yields once (runtime.Gosched: the connections and peer
// readers about to hand it more run first), takes what they added, and
// hands all proposals to raft as one MsgProp (Enqueue keeps their order),
// so a follower forwards them in one message and the leader appends them
// together. A leader holds new proposals (its own and those followers
// forward) while entries it appended are not committed yet and hands them
// to raft together once they are, or after 10 ms at most (Node.hold): one
// batch per round trip, whose MsgApp also carries the commit index. A lone
// client never waits (its previous write had committed). Before sending, a Ready's messages
// are coalesced per peer (coalesce.go): contiguous MsgApps become one,
// accepting MsgAppResps keep the highest index. Under load one Ready, one
// fsync, one message per peer and one Apply serve many writes.
//
// # Time: ZooKeeper ticks and raft ticks
//
// A raft tick is tickTime/TicksPerTickTime (tickTime/10). By default:
//
//	ElectionTick  = 10 raft ticks = 1 tickTime: a follower that hears no
//	                leader for a random 1..2 tickTime campaigns, so a
//	                silent leader is replaced within about 2 × tickTime. A
//	                leader whose process is gone (its connections closed, its
//	                port refuses) is replaced at once: see failover.go.
//	HeartbeatTick =  2 raft ticks = tickTime/5.
//	syncLimit     : a follower not heard from within syncLimit × tickTime is
//	                reported not synced (FollowerStatus.Synced), as
//	                ZooKeeper drops such a follower from its synced set.
//	                CheckQuorum makes a leader that has not heard from a
//	                majority within an election timeout step down.
//	initLimit     : how long a snapshot may take to reach a follower
//	                (TCPOptions.SnapshotTimeout = SnapshotTimeout(tickTime,
//	                initLimit)); Config.InitLimit is kept for Status users.
//
// PreVote is on, so a member rejoining after a partition does not depose a
// working leader.
//
// # zxid
//
// zxid = term<<32 + index (see Zxid): ZooKeeper's (epoch, counter) shape
// while the index stays below 2^32, growing along the log across leader
// changes, never wrapping and never forcing an election.
//
// # Files
//
//	<LogDir>/wal/<16 hex>.wal   the raft log: storage.WAL segments
//	<LogDir>/raftstate          HardState and the bootstrap membership
//	<LogDir>/raftstate.tmp      a state file being written (ignored)
//	<DataDir>/snap/<16 hex>.snap  snapshots (storage.Snapshots), name = index
//
// Log entries are storage.Entry{Term, Index, Data} with Data = one byte of
// raft entry type (0 normal, 1 conf change, 2 conf change v2) followed by the
// entry's data: storage.Entry has no type field. The log starts with the
// bootstrap entries 1..N (term 1): one ConfChange per initial member, the
// same bytes on every initial member, so that the membership is part of the
// replicated log.
//
// State file (all integers little-endian), replaced atomically (temporary
// file, fsync, rename, directory fsync):
//
//	+-----------+----------+----------+----------+------------+---------------+-----------+
//	| magic u32 | vers u32 | term u64 | vote u64 | commit u64 | members       | crc32c u32|
//	| "ZKRS"    |    1     |          |          |            | (bootstrap)   | of all    |
//	+-----------+----------+----------+----------+------------+---------------+-----------+
//	members = count u32, then per member: id u64 | learner u8 | addrLen u16 | addr
//
// It is rewritten only when the term or the vote changes (what raft needs
// durable before a message goes out); the commit index in it is a lower
// bound, raised at start to the snapshot index.
//
// Snapshot file body (inside storage.Snapshots' header and trailer):
//
//	metaLen u32 | raftpb.SnapshotMetadata (index, term, ConfState) | data
//	data = members (as above) | application state (Applier.Snapshot)
//
// data is exactly what a MsgSnap carries to a follower.
//
// # Recovery
//
// OpenStorage reads the state file (absent: a fresh server; a log of
// bootstrap entries only is an unfinished bootstrap and is discarded), then
// restores the newest snapshot whose checksum verifies, falling back to older
// ones. The log must continue the snapshot: a log ending before it, or whose
// entry at the snapshot index has another term (a crash after installing a
// leader's snapshot but before resetting the log), is discarded; a log that
// starts after snapshot+1 is ErrCorrupt. Raft's first index after a restart
// is snapshot+1. Torn log tails are repaired by package storage.
//
// Crash safety of Save: the snapshot file is committed before the log is
// reset; entries are fsynced before the state file is replaced; the state
// file is replaced before any message of the Ready goes out. So anything a
// member acknowledged (a vote, an appended entry) survives a crash.
//
// # Peer protocol (TCP)
//
// Each member dials every other member on its quorumPort (the peer's
// address) and sends; it receives on connections others dialled. A
// connection opens with a hello frame, then carries frames of one
// marshalled raftpb.Message each:
//
//	hello (24 bytes): magic u32 "ZKQP" | version u8 = 1 | kind u8 | 0 u16 | from u64 | to u64
//	                  kind 0 = stream of messages, 1 = one MsgSnap
//	frame:            length u32 | raftpb.Message (protobuf)
//
// The listener refuses a hello that is malformed, addressed to another
// member or from an unknown member, and closes a connection whose frame is
// larger than its limit (MaxMessageBytes, MaxSnapshotBytes for kind 1), does
// not parse, or claims another sender: only that connection. Each peer has
// a bounded send queue of encoded frames; a full queue drops the message
// and reports the peer unreachable (raft retries). Send encodes at once and,
// when the connection is idle, writes with one system call that does not
// block (the node's goroutine, no hand-off); the peer's writer goroutine
// writes what the socket did not take and what comes meanwhile. A broken
// connection drops what it had not written. Connections are re-dialled with exponential
// backoff. Snapshots travel on their own connection so that heartbeats are
// not stuck behind them. ZooKeeper's electionPort is not used: raft
// elections travel on the quorum port.
//
// # What package storage lacks (worked around here)
//
//   - storage.Entry has no type: the type is the first byte of Data.
//   - The WAL cannot hold a HardState record, so the HardState lives in a
//     separate file, rewritten only on term/vote changes.
//   - WAL.Compact removes whole segments only; raft's first index is kept
//     by this package, and the log may hold older entries on disk.
package quorum
