package server

// Exactly-once application of txn entries, and the ensemble's snapshot
// format.
//
// # Why
//
// A txn entry carries its request id: (proposer, incarnation, seq). Raft
// appends every proposal it receives, so a proposal delivered twice (a
// network that duplicates a forwarded MsgProp, a transport that resends
// after a reconnect) becomes two log entries with the same request id.
// Every member therefore keeps, in its replicated state, a dedup table:
// per proposer, the incarnation it runs now, the highest seq applied of
// that incarnation, and the few incarnations it ran before. Apply skips a
// txn entry whose seq is not above the highest applied of its incarnation,
// and every entry of a retired incarnation. Every member applies the same
// log to the same table, so they skip the same entries; the table is part
// of the snapshot, so a member restored from one skips them too.
//
// # Rules (why they are safe)
//
//   - A proposer assigns seqs in the order it hands proposals to raft
//     (ensemble.submit holds proposeMu across both), and raft carries one
//     member's proposals to the leader in order, so its entries appear in
//     the log in seq order. A seq not above the highest applied is thus a
//     copy of an entry already applied — or, if a network reordered two
//     forwarded proposals, an entry overtaken by a later one: skipping it
//     is still safe, because its proposer fails it at once (the client sees
//     ConnectionLoss: outcome unknown, and indeed nothing happened).
//   - Seqs may have gaps (a proposal lost with a leader change, refused by
//     raft, or timed out: its connection was closed): later seqs apply.
//   - A proposal is never proposed again under the same seq: a lost one is
//     failed (connection closed), so the client retries as a new request.
//     Were it re-proposed (same seq), the table would apply it once, and
//     the pending map answers once (take removes the entry).
//   - A restarted proposer has a new incarnation. Its first applied entry
//     retires the old incarnation; entries of a retired incarnation can
//     only be late copies, since that process is gone, and are skipped.
//     Each proposer keeps at most maxRetiredIncarnations retired ones, so
//     the table holds at most 1+maxRetiredIncarnations incarnations per
//     member id ever seen. Ids of removed members are kept (a removed
//     member's proposals may still be in flight): the ids an operator ever
//     configured are few.
//   - Touch entries (seq 0) are not deduplicated: renewing a session twice
//     changes nothing.
//   - Incarnations are even (newIncarnation). Servers from before the
//     dedup table chose odd ones and did not keep their seqs in order
//     (two connections could hand raft seq 6 before seq 5), so entries of
//     an odd incarnation are applied without the table, as those servers
//     apply every entry: an ensemble in the middle of a rolling upgrade
//     stays consistent.
//
// # Snapshot format (the application state inside a quorum snapshot)
//
// Version 2 (written now; all integers big-endian):
//
//	+------------+-------------+-----------+--------------------------+------------+--------------------+
//	| "ZKENSNAP" | version u8  | count u32 | count × proposer record  | crc32c u32 | tree snapshot      |
//	|  8 bytes   |     = 2     |           | (ascending proposer id)  | of the     | (tree.Frozen's     |
//	|            |             |           |                          | preceding  |  WriteTo, "ZKTSNAP"|
//	|            |             |           |                          | bytes      |  ...)              |
//	+------------+-------------+-----------+--------------------------+------------+--------------------+
//	proposer record = id u64 | incarnation u64 | seq u64 | retired u8 | retired × incarnation u64
//
// Version 1 (written before the dedup table existed) is the tree snapshot
// alone: it starts with "ZKTSNAP" and restores with an empty table.
//
// Compatibility: servers from before version 2 cannot read it. They take
// "ZKENSNAP" for the tree's magic and report a damaged snapshot ("bad
// magic"): one that receives a version 2 snapshot from an upgraded leader
// stops, and one started on a data directory a newer server wrote skips
// those snapshots as damaged. docs/ensemble.md (Upgrading) gives the order
// that avoids both: followers first, the leader last, no downgrade. A
// version above ensSnapVersion is reported as such
// (errNewerEnsembleSnapshot), not as damage.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
)

// Ensemble snapshot format constants. Frozen: a new layout gets a new
// version.
const (
	ensSnapMagic           = "ZKENSNAP"
	ensSnapVersion         = 2
	maxRetiredIncarnations = 4
	maxDedupProposers      = 1 << 16
)

var (
	// errBadEnsembleSnapshot is wrapped by errors about a damaged dedup
	// section.
	errBadEnsembleSnapshot = errors.New("server: corrupt ensemble snapshot")
	// errNewerEnsembleSnapshot is wrapped by the error for a snapshot whose
	// format version is above ensSnapVersion: written by a newer zkafka (a
	// leader already upgraded, or this data directory before a
	// downgrade). It is not damage: the snapshot is intact, this server
	// is too old to read it.
	errNewerEnsembleSnapshot = errors.New("server: ensemble snapshot written by a newer zkafka")
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// newIncarnation picks this run's incarnation: random, even and not zero
// (odd ones mark servers from before the dedup table).
func newIncarnation() uint64 {
	for {
		if inc := rand.Uint64() &^ 1; inc != 0 {
			return inc
		}
	}
}

// proposerDedup is what the dedup table knows of one proposer.
type proposerDedup struct {
	inc     uint64   // its current incarnation
	seq     uint64   // highest seq of inc applied
	retired []uint64 // earlier incarnations, oldest first
}

// dedupTable is the replicated table of applied request ids. It is owned by
// the quorum node's goroutine (Apply, Snapshot, Restore), which changes it
// under db.mu.
type dedupTable struct {
	m map[uint64]*proposerDedup
}

// admit reports whether the txn entry with request id (proposer, inc, seq)
// is to be applied, and records it when it is.
func (t *dedupTable) admit(proposer, inc, seq uint64) bool {
	if inc&1 == 1 {
		return true // a proposer from before the table: see the rules above
	}
	if t.m == nil {
		t.m = map[uint64]*proposerDedup{}
	}
	p := t.m[proposer]
	switch {
	case p == nil:
		t.m[proposer] = &proposerDedup{inc: inc, seq: seq}
		return true
	case p.inc == inc:
		if seq <= p.seq {
			return false
		}
		p.seq = seq
		return true
	case slices.Contains(p.retired, inc):
		return false
	}
	p.retired = append(p.retired, p.inc)
	if len(p.retired) > maxRetiredIncarnations {
		p.retired = slices.Delete(p.retired, 0, len(p.retired)-maxRetiredIncarnations)
	}
	p.inc, p.seq = inc, seq
	return true
}

// appendSnapshotHead appends the version 2 header and dedup section.
func (t *dedupTable) appendSnapshotHead(b []byte) []byte {
	start := len(b)
	b = append(b, ensSnapMagic...)
	b = append(b, ensSnapVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(len(t.m)))
	for _, id := range slices.Sorted(maps.Keys(t.m)) {
		p := t.m[id]
		b = binary.BigEndian.AppendUint64(b, id)
		b = binary.BigEndian.AppendUint64(b, p.inc)
		b = binary.BigEndian.AppendUint64(b, p.seq)
		b = append(b, byte(len(p.retired)))
		for _, inc := range p.retired {
			b = binary.BigEndian.AppendUint64(b, inc)
		}
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], crc32c))
}

// readSnapshotHead reads the dedup section of an ensemble snapshot from br
// and leaves br at the tree snapshot. A version 1 snapshot (the tree
// alone) gives an empty table.
func readSnapshotHead(br *bufio.Reader) (dedupTable, error) {
	t := dedupTable{m: map[uint64]*proposerDedup{}}
	head, err := br.Peek(len(ensSnapMagic))
	if err != nil || string(head) != ensSnapMagic {
		return t, nil // version 1, or too short: the tree reports what is wrong
	}
	h := crc32.New(crc32c)
	r := io.TeeReader(br, h)
	var fixed [len(ensSnapMagic) + 1 + 4]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return t, fmt.Errorf("dedup header: %w: %w", errBadEnsembleSnapshot, err)
	}
	switch v := fixed[len(ensSnapMagic)]; {
	case v > ensSnapVersion:
		return t, fmt.Errorf("ensemble snapshot format version %d; this server reads versions 1 to %d: "+
			"upgrade it (docs/ensemble.md, Upgrading): %w", v, ensSnapVersion, errNewerEnsembleSnapshot)
	case v != ensSnapVersion:
		return t, fmt.Errorf("ensemble snapshot version %d: %w", v, errBadEnsembleSnapshot)
	}
	n := binary.BigEndian.Uint32(fixed[len(ensSnapMagic)+1:])
	if n > maxDedupProposers {
		return t, fmt.Errorf("dedup table of %d proposers: %w", n, errBadEnsembleSnapshot)
	}
	var rec [25]byte
	for range n {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			return t, fmt.Errorf("dedup record: %w: %w", errBadEnsembleSnapshot, err)
		}
		id := binary.BigEndian.Uint64(rec[0:])
		p := &proposerDedup{inc: binary.BigEndian.Uint64(rec[8:]), seq: binary.BigEndian.Uint64(rec[16:])}
		k := int(rec[24])
		if k > maxRetiredIncarnations {
			return t, fmt.Errorf("proposer %d with %d retired incarnations: %w", id, k, errBadEnsembleSnapshot)
		}
		for range k {
			var ib [8]byte
			if _, err := io.ReadFull(r, ib[:]); err != nil {
				return t, fmt.Errorf("dedup record: %w: %w", errBadEnsembleSnapshot, err)
			}
			p.retired = append(p.retired, binary.BigEndian.Uint64(ib[:]))
		}
		if _, dup := t.m[id]; dup {
			return t, fmt.Errorf("proposer %d listed twice: %w", id, errBadEnsembleSnapshot)
		}
		t.m[id] = p
	}
	want := h.Sum32()
	var cb [4]byte
	if _, err := io.ReadFull(br, cb[:]); err != nil {
		return t, fmt.Errorf("dedup checksum: %w: %w", errBadEnsembleSnapshot, err)
	}
	if got := binary.BigEndian.Uint32(cb[:]); got != want {
		return t, fmt.Errorf("dedup checksum %#x, computed %#x: %w", got, want, errBadEnsembleSnapshot)
	}
	return t, nil
}
