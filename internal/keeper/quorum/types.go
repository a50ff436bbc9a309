package quorum

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"go.etcd.io/raft/v3/raftpb"
)

var (
	// ErrStopped is returned by the methods of a Node that was closed or
	// stopped by a storage failure (Node.Err says which).
	ErrStopped = errors.New("quorum: node stopped")

	// ErrNoLeader is returned by Propose, ProposeConfChange and ReadIndex
	// when the node knows of no leader to send the request to.
	ErrNoLeader = errors.New("quorum: no leader")

	// ErrDropped is returned by Propose when raft refused the proposal (a
	// leadership transfer is under way, or too much is uncommitted).
	ErrDropped = errors.New("quorum: proposal dropped")

	// ErrCorrupt is wrapped by errors about damaged raft state on disk: a
	// state file whose checksum fails, a snapshot body that does not parse,
	// a log that does not continue the snapshot. Damage in the log or a
	// snapshot file found by package storage wraps storage.ErrCorrupt too.
	ErrCorrupt = errors.New("quorum: corrupt raft state")
)

// Entry is one committed log entry handed to the Applier.
type Entry struct {
	// Index is the raft log index; it grows by one per entry.
	Index uint64
	// Term is the raft term the entry was proposed in.
	Term uint64
	// Data is what Propose was given. Treat it as read-only.
	Data []byte
	// Conf is set for configuration-change entries (then Data is nil) and
	// holds the membership after the change was applied.
	Conf *Membership
	// ConfData is the data given to ProposeConfChangeData, nil for the
	// other configuration changes (the bootstrap entries, ProposeConfChange,
	// raft's own entry that leaves a joint configuration). Read-only.
	ConfData []byte
}

// Zxid returns the entry's ZooKeeper transaction id: see Zxid.
func (e Entry) Zxid() int64 { return Zxid(e.Term, e.Index) }

// Zxid maps a raft entry's (term, index) to a ZooKeeper zxid:
//
//	zxid = term<<32 + index
//
// While index < 2^32 the high 32 bits are the term (ZooKeeper's epoch) and
// the low 32 bits the index (its counter), so tools that split a zxid read a
// leader epoch that changes with every election. The sum grows with every
// later entry of a log (terms never decrease along a log and indexes always
// increase), so zxids only grow across leader changes, and unlike
// ZooKeeper's counter it never wraps and never forces an election: past
// 2^32 entries the index carries into the high bits and the order still
// holds. Every replica computes the same zxid for the same entry.
func Zxid(term, index uint64) int64 { return int64(term<<32 + index) }

// Member is one server of the ensemble as raft sees it.
type Member struct {
	// ID is the raft node id: the server's myid (non-zero).
	ID uint64
	// Addr is the peer address ("host:quorumPort") other members dial.
	Addr string
	// Learner is true for observers (server.N=...:observer): they receive
	// every entry but never vote and never count for a majority.
	Learner bool
}

// Membership is the set of members in force after a configuration change.
type Membership struct {
	// Members lists every member, voters and learners, by ascending ID.
	Members []Member
	// ConfState is raft's view of the same configuration (including the
	// outgoing voters of a joint configuration).
	ConfState *raftpb.ConfState
}

// Voters returns the IDs of the voting members.
func (m *Membership) Voters() []uint64 { return m.ConfState.GetVoters() }

// Learners returns the IDs of the learners (observers).
func (m *Membership) Learners() []uint64 { return m.ConfState.GetLearners() }

// Applier is the replicated state machine the Node drives: the keeper's tree
// and sessions. All of its methods are called from the node's goroutine,
// one at a time, in log order; none may call back into the Node's
// blocking methods (Propose, ReadIndex, WaitApplied, Close).
type Applier interface {
	// Apply applies committed entries in order. It is called once per entry
	// after the state last restored, with no gaps: entries that carry no
	// data (the empty entry a new leader appends) are not passed, but their
	// index counts as applied. Apply cannot fail: a state machine that
	// cannot apply a committed entry must stop the process.
	Apply(ents []Entry)
	// Snapshot captures the state after the last applied entry. It runs on
	// the node's goroutine, so it must be quick (freeze a copy-on-write
	// view); the returned function writes that state and runs on another
	// goroutine, concurrently with later Apply calls.
	Snapshot() (write func(io.Writer) error, err error)
	// Restore replaces the whole state with the one in r, taken after entry
	// index (of the given term). It is called at start from the newest
	// snapshot on disk and when the leader sends a snapshot. An error
	// wrapping storage.ErrCorrupt makes the caller fall back to an older
	// snapshot at start; any other error stops the node.
	Restore(index, term uint64, r io.Reader) error
}

// Membership encoding, used in the state file, in snapshot data and in the
// context of configuration-change entries. All integers little-endian:
//
//	count u32 | count × ( id u64 | learner u8 | addrLen u16 | addr )
//
// In a configuration-change entry's context the members added are followed
// by the application data of ProposeConfChangeData (Entry.ConfData).
const maxMembers = 1 << 16

func appendMembers(b []byte, ms []Member) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ms)))
	for _, m := range ms {
		b = binary.LittleEndian.AppendUint64(b, m.ID)
		l := byte(0)
		if m.Learner {
			l = 1
		}
		b = append(b, l)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(m.Addr)))
		b = append(b, m.Addr...)
	}
	return b
}

// decodeMembers parses an encoded member list and returns the bytes after it.
func decodeMembers(b []byte) ([]Member, []byte, error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("member list of %d bytes: %w", len(b), ErrCorrupt)
	}
	n := binary.LittleEndian.Uint32(b)
	b = b[4:]
	if n > maxMembers || uint64(n)*11 > uint64(len(b)) {
		return nil, nil, fmt.Errorf("member list says %d members in %d bytes: %w", n, len(b), ErrCorrupt)
	}
	ms := make([]Member, 0, n)
	for range n {
		if len(b) < 11 {
			return nil, nil, fmt.Errorf("member list cut short: %w", ErrCorrupt)
		}
		m := Member{ID: binary.LittleEndian.Uint64(b)}
		switch b[8] {
		case 0:
		case 1:
			m.Learner = true
		default:
			return nil, nil, fmt.Errorf("member %d has learner flag %d: %w", m.ID, b[8], ErrCorrupt)
		}
		l := int(binary.LittleEndian.Uint16(b[9:]))
		b = b[11:]
		if len(b) < l {
			return nil, nil, fmt.Errorf("member %d address cut short: %w", m.ID, ErrCorrupt)
		}
		m.Addr = string(b[:l])
		b = b[l:]
		if m.ID == 0 {
			return nil, nil, fmt.Errorf("member with id 0: %w", ErrCorrupt)
		}
		ms = append(ms, m)
	}
	return ms, b, nil
}

// sortMembers orders members by ID and checks IDs are unique and non-zero.
func sortMembers(ms []Member) ([]Member, error) {
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
	for i, m := range ms {
		if m.ID == 0 {
			return nil, errors.New("quorum: member id 0")
		}
		if i > 0 && ms[i-1].ID == m.ID {
			return nil, fmt.Errorf("quorum: member id %d listed twice", m.ID)
		}
		if len(m.Addr) > 0xffff {
			return nil, fmt.Errorf("quorum: member %d address too long", m.ID)
		}
	}
	return ms, nil
}

// confStateOf returns the raft configuration of a member list.
func confStateOf(ms []Member) *raftpb.ConfState {
	cs := &raftpb.ConfState{}
	for _, m := range ms {
		if m.Learner {
			cs.Learners = append(cs.Learners, m.ID)
		} else {
			cs.Voters = append(cs.Voters, m.ID)
		}
	}
	return cs
}
