package quorum

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/zkafka/zkafka/internal/keeper/storage"
)

// StorageOptions configures OpenStorage.
type StorageOptions struct {
	// FS is the file system; nil means storage.OSFS.
	FS storage.FS
	// DataDir holds the snapshots (DataDir/snap).
	DataDir string
	// LogDir holds the log (LogDir/wal) and the state file
	// (LogDir/raftstate). It may equal DataDir.
	LogDir string
	// WAL configures the log.
	WAL storage.WALOptions
	// Restore is called while opening with the newest valid snapshot's
	// application state (see Applier.Restore). It may be nil when the
	// caller keeps no state (tests of the storage alone).
	Restore func(index, term uint64, r io.Reader) error
	// Logger receives recovery notes; nil discards them.
	Logger *slog.Logger
}

// Storage is raft's durable storage: it implements raft.Storage for the
// RawNode and persists what each Ready asks for. Entries live in a
// storage.WAL, the HardState and the initial membership in the state file,
// snapshots in storage.Snapshots; see the package documentation for the
// files and the recovery rules.
//
// Concurrency: raft.Storage methods, Save, Compact and Close are called by the
// node's goroutine; CreateSnapshot may run on another goroutine at the same
// time. mu guards the fields below it.
type Storage struct {
	fs     storage.FS
	logDir string
	wal    *storage.WAL
	snaps  *storage.Snapshots
	log    *slog.Logger
	wg     sync.WaitGroup // background snapshot loads

	mu       sync.Mutex
	closed   bool
	fresh    bool
	hs       diskState // latest HardState (commit may be ahead of disk)
	saved    diskState // as in the state file
	snap     *raftpb.SnapshotMetadata
	members  []Member // membership as of snap (boot members when none)
	first    uint64   // raft's first index: entries [first, last] are in the WAL
	prevTerm uint64   // term of entry first-1
	snapData []byte   // cached raft snapshot data of snap, for sending
	loading  bool
	// recent are the raft entries of the newest appends, by index
	// (recent[i] has index recent[0].Index+i): Entries serves them without
	// decoding the log's copy (committed entries are read back at once).
	recent []*raftpb.Entry

	// appendBuf and appendOut are append's scratch buffers (kept while at
	// most maxAppendScratch bytes); append runs on one goroutine at a time
	// (the node's; Bootstrap before it starts).
	appendBuf []byte
	appendOut []storage.Entry
}

// maxAppendScratch bounds the data buffer Storage.append keeps for reuse.
const maxAppendScratch = 1 << 20

// maxRecentEntries bounds Storage.recent; entryOverhead is what an entry
// costs beyond its data when Entries limits a batch by size (the log's
// record header).
const (
	maxRecentEntries = 8192
	entryOverhead    = 24
)

// OpenStorage opens (creating if needed) the raft storage, restores the
// newest valid snapshot through opts.Restore and makes the log continue it.
// A torn log tail is repaired (package storage); other damage is an error.
func OpenStorage(opts StorageOptions) (*Storage, error) {
	if opts.FS == nil {
		opts.FS = storage.OSFS{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.WAL.Logger == nil {
		opts.WAL.Logger = opts.Logger
	}
	wal, err := storage.OpenWAL(opts.FS, opts.LogDir, opts.WAL)
	if err != nil {
		return nil, fmt.Errorf("quorum: open log: %w", err)
	}
	s := &Storage{fs: opts.FS, logDir: opts.LogDir, wal: wal, log: opts.Logger}
	if err := s.open(opts); err != nil {
		wal.Close()
		return nil, err
	}
	return s, nil
}

func (s *Storage) open(opts StorageOptions) error {
	snaps, err := storage.OpenSnapshots(s.fs, opts.DataDir, storage.SnapshotOptions{Logger: opts.Logger})
	if err != nil {
		return fmt.Errorf("quorum: open snapshots: %w", err)
	}
	s.snaps = snaps
	list, err := snaps.List()
	if err != nil {
		return fmt.Errorf("quorum: %w", err)
	}
	st, ok, err := readState(s.fs, s.logDir)
	if err != nil {
		return err
	}
	if !ok {
		if len(list) > 0 || s.wal.LastTerm() > bootstrapTerm {
			return fmt.Errorf("quorum: %s is missing but the log or snapshots exist: %w", stateFileName, ErrCorrupt)
		}
		if s.wal.LastIndex() != 0 {
			// A crash in the middle of Bootstrap: nothing was acknowledged.
			s.log.Info("quorum: discarding an unfinished bootstrap", "entries", s.wal.LastIndex())
			if err := s.wal.TruncateAfter(0); err != nil {
				return fmt.Errorf("quorum: reset log: %w", err)
			}
		}
		s.fresh = true
		s.snap = &raftpb.SnapshotMetadata{ConfState: &raftpb.ConfState{}}
		s.first = 1
		return nil
	}
	s.hs, s.saved = st, st
	s.snap = &raftpb.SnapshotMetadata{ConfState: &raftpb.ConfState{}}
	s.members = st.boot

	restored := false
	for _, idx := range list {
		meta, members, err := s.restoreSnapshot(idx, opts.Restore)
		if errors.Is(err, storage.ErrCorrupt) || errors.Is(err, ErrCorrupt) {
			s.log.Warn("quorum: skipping damaged snapshot", "index", idx, "err", err)
			restored = restored || opts.Restore != nil
			continue
		}
		if err != nil {
			return err
		}
		s.snap, s.members, restored = meta, members, false
		break
	}
	if restored && s.snap.GetIndex() == 0 {
		// A damaged snapshot was partly restored and nothing replaced it.
		return fmt.Errorf("quorum: no valid snapshot to restore: %w", ErrCorrupt)
	}

	S, T := s.snap.GetIndex(), s.snap.GetTerm()
	wf, wl := s.wal.FirstIndex(), s.wal.LastIndex()
	s.first, s.prevTerm = S+1, T
	switch {
	case wl == 0:
	case wl < S:
		s.log.Info("quorum: log ends before the snapshot; discarding it", "log_last", wl, "snapshot", S)
		if err := s.wal.TruncateAfter(0); err != nil {
			return fmt.Errorf("quorum: reset log: %w", err)
		}
	case wf > S+1:
		return fmt.Errorf("quorum: log starts at %d, after snapshot %d: entries are missing: %w", wf, S, ErrCorrupt)
	case S >= wf && S > 0:
		t, err := s.wal.Term(S)
		if err != nil {
			return fmt.Errorf("quorum: read log: %w", err)
		}
		if t != T {
			// The snapshot came from the leader and replaced a log that
			// diverged; the crash came before the log was reset.
			s.log.Info("quorum: log disagrees with the snapshot; discarding it", "index", S, "log_term", t, "snapshot_term", T)
			if err := s.wal.TruncateAfter(0); err != nil {
				return fmt.Errorf("quorum: reset log: %w", err)
			}
		}
	}
	s.hs.commit = max(s.hs.commit, S)
	if last := s.lastIndexLocked(); s.hs.commit > last {
		return fmt.Errorf("quorum: commit index %d is beyond the last entry %d: %w", s.hs.commit, last, ErrCorrupt)
	}
	return nil
}

// restoreSnapshot reads snapshot idx and hands its application state to
// restore, verifying the whole file.
func (s *Storage) restoreSnapshot(idx uint64, restore func(uint64, uint64, io.Reader) error) (*raftpb.SnapshotMetadata, []Member, error) {
	rc, err := s.snaps.Open(idx)
	if err != nil {
		return nil, nil, fmt.Errorf("quorum: %w", err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	meta, members, err := readSnapshotHead(br)
	if err != nil {
		return nil, nil, fmt.Errorf("quorum: snapshot %d: %w", idx, err)
	}
	if meta.GetIndex() != idx {
		return nil, nil, fmt.Errorf("quorum: snapshot %d says index %d: %w", idx, meta.GetIndex(), ErrCorrupt)
	}
	if restore != nil {
		if err := restore(meta.GetIndex(), meta.GetTerm(), br); err != nil {
			// A checksum failure found while restoring is corruption.
			return nil, nil, fmt.Errorf("quorum: restore snapshot %d: %w", idx, err)
		}
	}
	// Read to the end: the checksum is verified there.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, nil, fmt.Errorf("quorum: snapshot %d: %w", idx, err)
	}
	return meta, members, nil
}

// Snapshot file body, after storage.Snapshots' header (little-endian):
//
//	metaLen u32 | SnapshotMetadata (protobuf) | raft snapshot data
//
// and raft snapshot data (what MsgSnap carries) is
//
//	members (see appendMembers) | application state (Applier.Snapshot)
const maxSnapMetaBytes = 64 << 20

func readSnapshotHead(r io.Reader) (*raftpb.SnapshotMetadata, []Member, error) {
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, nil, fmt.Errorf("read metadata length: %w", noEOF(err))
	}
	n := binary.LittleEndian.Uint32(lb[:])
	if n > maxSnapMetaBytes {
		return nil, nil, fmt.Errorf("metadata of %d bytes: %w", n, ErrCorrupt)
	}
	mb := make([]byte, n)
	if _, err := io.ReadFull(r, mb); err != nil {
		return nil, nil, fmt.Errorf("read metadata: %w", noEOF(err))
	}
	meta := &raftpb.SnapshotMetadata{}
	if err := proto.Unmarshal(mb, meta); err != nil {
		return nil, nil, fmt.Errorf("metadata: %v: %w", err, ErrCorrupt)
	}
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, nil, fmt.Errorf("read members: %w", noEOF(err))
	}
	cnt := binary.LittleEndian.Uint32(lb[:])
	if cnt > maxMembers {
		return nil, nil, fmt.Errorf("%d members: %w", cnt, ErrCorrupt)
	}
	buf := slices.Clone(lb[:])
	for range cnt {
		var h [11]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return nil, nil, fmt.Errorf("read members: %w", noEOF(err))
		}
		buf = append(buf, h[:]...)
		al := int(binary.LittleEndian.Uint16(h[9:]))
		addr := make([]byte, al)
		if _, err := io.ReadFull(r, addr); err != nil {
			return nil, nil, fmt.Errorf("read members: %w", noEOF(err))
		}
		buf = append(buf, addr...)
	}
	members, _, err := decodeMembers(buf)
	if err != nil {
		return nil, nil, err
	}
	return meta, members, nil
}

// noEOF turns an early end of a snapshot into corruption.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("snapshot ends early: %w", ErrCorrupt)
	}
	return err
}

// splitSnapshotData splits raft snapshot data into members and application
// state.
func splitSnapshotData(data []byte) ([]Member, []byte, error) {
	if len(data) == 0 {
		return nil, nil, nil
	}
	return decodeMembers(data)
}

// Fresh reports whether the storage held no state at all when opened (a new
// server): Bootstrap must be called before the node starts.
func (s *Storage) Fresh() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fresh
}

// Bootstrap starts a fresh log with the ensemble every initial member starts
// from: entries 1..N (term 1), one configuration change adding each member
// (voter or learner), committed from the start. Every initial member must
// bootstrap with the same list, so their logs begin identically, and a
// server added later rebuilds the membership by replaying the log like any
// other entry. A server that joins a running ensemble bootstraps with no
// members and receives the log (or a snapshot) from the leader.
func (s *Storage) Bootstrap(members []Member) error {
	members, err := sortMembers(members)
	if err != nil {
		return err
	}
	s.mu.Lock()
	fresh := s.fresh
	s.mu.Unlock()
	if !fresh {
		return errors.New("quorum: bootstrap of storage that already holds state")
	}
	ents, err := bootstrapEntries(members)
	if err != nil {
		return err
	}
	st := diskState{boot: members}
	if len(ents) > 0 {
		if err := s.append(ents); err != nil {
			return err
		}
		if err := s.wal.Sync(); err != nil {
			return fmt.Errorf("quorum: sync log: %w", err)
		}
		st.term, st.commit = bootstrapTerm, uint64(len(ents))
	}
	if err := writeState(s.fs, s.logDir, st); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fresh = false
	s.hs, s.saved = st, st
	s.members = members
	return nil
}

// bootstrapTerm is the term of the bootstrap entries; elections start above.
const bootstrapTerm = 1

// bootstrapEntries encodes one ConfChange entry per member, deterministically.
func bootstrapEntries(members []Member) ([]*raftpb.Entry, error) {
	ents := make([]*raftpb.Entry, len(members))
	for i, m := range members {
		t := raftpb.ConfChangeType_ConfChangeAddNode
		if m.Learner {
			t = raftpb.ConfChangeType_ConfChangeAddLearnerNode
		}
		cc := &raftpb.ConfChange{Type: t.Enum(), NodeId: new(m.ID), Context: appendMembers(nil, []Member{m})}
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(cc)
		if err != nil {
			return nil, fmt.Errorf("quorum: encode bootstrap entry: %w", err)
		}
		ents[i] = &raftpb.Entry{
			Type: raftpb.EntryType_EntryConfChange.Enum(), Term: new(uint64(bootstrapTerm)),
			Index: new(uint64(i + 1)), Data: data,
		}
	}
	return ents, nil
}

// Members returns the membership as of the newest snapshot (or the
// bootstrap): entries after it may change it.
func (s *Storage) Members() []Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.members)
}

// SnapshotMeta returns the metadata of the newest snapshot (index 0 when
// there is none).
func (s *Storage) SnapshotMeta() *raftpb.SnapshotMetadata {
	s.mu.Lock()
	defer s.mu.Unlock()
	return proto.Clone(s.snap).(*raftpb.SnapshotMetadata)
}

// InitialState implements raft.Storage.
func (s *Storage) InitialState() (*raftpb.HardState, *raftpb.ConfState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hs := &raftpb.HardState{Term: new(s.hs.term), Vote: new(s.hs.vote), Commit: new(s.hs.commit)}
	return hs, proto.Clone(raftpb.EnsureConfState(s.snap.GetConfState())).(*raftpb.ConfState), nil
}

func (s *Storage) lastIndexLocked() uint64 {
	if l := s.wal.LastIndex(); l >= s.first {
		return l
	}
	return s.first - 1
}

// LastIndex implements raft.Storage.
func (s *Storage) LastIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastIndexLocked(), nil
}

// FirstIndex implements raft.Storage.
func (s *Storage) FirstIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, nil
}

// Term implements raft.Storage.
func (s *Storage) Term(i uint64) (uint64, error) {
	s.mu.Lock()
	first, prev, last := s.first, s.prevTerm, s.lastIndexLocked()
	s.mu.Unlock()
	switch {
	case i+1 < first:
		return 0, raft.ErrCompacted
	case i+1 == first:
		return prev, nil
	case i > last:
		return 0, raft.ErrUnavailable
	}
	t, err := s.wal.Term(i)
	if err != nil {
		return 0, mapWALErr(err)
	}
	return t, nil
}

// Entries implements raft.Storage.
func (s *Storage) Entries(lo, hi, maxSize uint64) ([]*raftpb.Entry, error) {
	s.mu.Lock()
	first, last := s.first, s.lastIndexLocked()
	s.mu.Unlock()
	switch {
	case lo < first:
		return nil, raft.ErrCompacted
	case hi > last+1:
		return nil, raft.ErrUnavailable
	case lo >= hi:
		return nil, nil
	}
	if out := s.recentEntries(lo, hi, maxSize); out != nil {
		return out, nil
	}
	ents, err := s.wal.Entries(lo, hi, maxSize)
	if err != nil {
		return nil, mapWALErr(err)
	}
	out := make([]*raftpb.Entry, len(ents))
	for i, e := range ents {
		pe, err := decodeEntry(e)
		if err != nil {
			return nil, err
		}
		out[i] = pe
	}
	return out, nil
}

// recentEntries returns entries [lo, hi) (at least one, then at most
// maxSize bytes of data) from recent, or nil when recent lacks some.
func (s *Storage) recentEntries(lo, hi, maxSize uint64) []*raftpb.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := uint64(len(s.recent))
	if n == 0 {
		return nil
	}
	base := s.recent[0].GetIndex()
	if lo < base || hi > base+n {
		return nil
	}
	src := s.recent[lo-base : hi-base]
	var size uint64
	for i, e := range src {
		size += uint64(len(e.GetData())) + entryOverhead
		if i > 0 && size > maxSize {
			src = src[:i]
			break
		}
	}
	return slices.Clone(src)
}

// remember records appended entries in recent. The caller holds mu.
func (s *Storage) remember(ents []*raftpb.Entry) {
	e0 := ents[0].GetIndex()
	if n := uint64(len(s.recent)); n > 0 {
		base := s.recent[0].GetIndex()
		if e0 >= base && e0 <= base+n {
			clear(s.recent[e0-base:])
			s.recent = s.recent[:e0-base] // raft replaced a suffix
		} else {
			clear(s.recent)
			s.recent = s.recent[:0]
		}
	}
	s.recent = append(s.recent, ents...)
	if len(s.recent) > 2*maxRecentEntries {
		keep := slices.Clone(s.recent[len(s.recent)-maxRecentEntries:])
		clear(s.recent)
		s.recent = keep
	}
}

func mapWALErr(err error) error {
	switch {
	case errors.Is(err, storage.ErrCompacted):
		return raft.ErrCompacted
	case errors.Is(err, storage.ErrUnavailable):
		return raft.ErrUnavailable
	}
	return fmt.Errorf("quorum: read log: %w", err)
}

// A log entry's Data is its raft entry type (one byte) then its data: the
// storage.Entry has no type field.
func decodeEntry(e storage.Entry) (*raftpb.Entry, error) {
	if len(e.Data) == 0 || e.Data[0] > byte(raftpb.EntryType_EntryConfChangeV2) {
		return nil, fmt.Errorf("quorum: log entry %d has no valid type byte: %w", e.Index, ErrCorrupt)
	}
	pe := &raftpb.Entry{Term: new(e.Term), Index: new(e.Index), Type: raftpb.EntryType(e.Data[0]).Enum()}
	if len(e.Data) > 1 {
		pe.Data = e.Data[1:]
	}
	return pe, nil
}

// Snapshot implements raft.Storage. The data is read from disk in the
// background the first time raft asks (raft retries while it gets
// raft.ErrSnapshotTemporarilyUnavailable) and kept until ReleaseSnapshotData.
func (s *Storage) Snapshot() (*raftpb.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	meta := proto.Clone(s.snap).(*raftpb.SnapshotMetadata)
	if meta.GetIndex() == 0 {
		return &raftpb.Snapshot{Metadata: meta, Data: appendMembers(nil, s.members)}, nil
	}
	if s.snapData != nil {
		return &raftpb.Snapshot{Metadata: meta, Data: s.snapData}, nil
	}
	if !s.loading && !s.closed {
		s.loading = true
		s.wg.Add(1)
		go s.loadSnapshotData(meta.GetIndex())
	}
	return nil, raft.ErrSnapshotTemporarilyUnavailable
}

func (s *Storage) loadSnapshotData(idx uint64) {
	defer s.wg.Done()
	data, err := s.readSnapshotData(idx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loading = false
	if err != nil {
		s.log.Error("quorum: cannot read snapshot to send", "index", idx, "err", err)
		return
	}
	if s.snap.GetIndex() == idx && !s.closed {
		s.snapData = data
	}
}

func (s *Storage) readSnapshotData(idx uint64) ([]byte, error) {
	rc, err := s.snaps.Open(idx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	var lb [4]byte
	if _, err := io.ReadFull(br, lb[:]); err != nil {
		return nil, noEOF(err)
	}
	n := binary.LittleEndian.Uint32(lb[:])
	if n > maxSnapMetaBytes {
		return nil, fmt.Errorf("metadata of %d bytes: %w", n, ErrCorrupt)
	}
	if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
		return nil, noEOF(err)
	}
	return io.ReadAll(br)
}

// ReleaseSnapshotData drops the cached snapshot data (after it was sent).
func (s *Storage) ReleaseSnapshotData() {
	s.mu.Lock()
	s.snapData = nil
	s.mu.Unlock()
}

// Save persists what a Ready asks for, in an order that keeps the disk
// consistent at every crash point: a snapshot received from the leader
// (file committed, then the log reset), then the entries (replacing any
// conflicting suffix), one fsync of the log, then the HardState's term and
// vote when they changed (state file, atomically). When Save returns nil,
// all of it survives a crash: only then may the Ready's messages go out.
// The commit index alone is not written (raft does not need it durable; it
// is saved with the next term or vote change, and recovery raises it to the
// snapshot index).
func (s *Storage) Save(hs *raftpb.HardState, ents []*raftpb.Entry, snap *raftpb.Snapshot) error {
	if snap != nil && !raft.IsEmptySnap(snap) {
		if err := s.installSnapshot(snap); err != nil {
			return err
		}
	}
	if len(ents) > 0 {
		if err := s.append(ents); err != nil {
			return err
		}
		if err := s.syncLog(); err != nil {
			return err
		}
	}
	return s.saveHardState(hs)
}

// syncLog makes the entries appended so far durable (one fsync of the
// log). It may run on another goroutine than the one appending: the node
// applies committed entries meanwhile (node.go, handleReady).
func (s *Storage) syncLog() error {
	if err := s.wal.Sync(); err != nil {
		return fmt.Errorf("quorum: sync log: %w", err)
	}
	return nil
}

// saveHardState records hs, replacing the state file when the term or the
// vote changed; the entries of the same Ready must be durable already.
func (s *Storage) saveHardState(hs *raftpb.HardState) error {
	if hs == nil || raft.IsEmptyHardState(hs) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hs.term, s.hs.vote, s.hs.commit = hs.GetTerm(), hs.GetVote(), max(hs.GetCommit(), s.hs.commit)
	if s.hs.term != s.saved.term || s.hs.vote != s.saved.vote {
		st := s.hs
		st.boot = s.saved.boot
		if err := writeState(s.fs, s.logDir, st); err != nil {
			return err
		}
		s.saved = st
	}
	return nil
}

func (s *Storage) append(ents []*raftpb.Entry) error {
	s.mu.Lock()
	first := s.first
	s.mu.Unlock()
	if ents[0].GetIndex() < first {
		skip := first - ents[0].GetIndex()
		if skip >= uint64(len(ents)) {
			return nil
		}
		ents = ents[skip:]
	}
	e0 := ents[0].GetIndex()
	if wl := s.wal.LastIndex(); wl != 0 && e0 <= wl {
		// raft replaces a conflicting suffix.
		if err := s.wal.TruncateAfter(e0 - 1); err != nil {
			return fmt.Errorf("quorum: truncate log after %d: %w", e0-1, err)
		}
	} else if wl == 0 && e0 != first {
		return fmt.Errorf("quorum: append entry %d to an empty log starting at %d", e0, first)
	}
	// The WAL copies the data: the scratch buffers serve every append.
	size := 0
	for _, e := range ents {
		size += 1 + len(e.GetData())
	}
	buf := s.appendBuf[:0]
	if cap(buf) < size {
		buf = make([]byte, 0, size)
	}
	out := s.appendOut[:0]
	for _, e := range ents {
		start := len(buf)
		buf = append(buf, byte(e.GetType()))
		buf = append(buf, e.GetData()...)
		out = append(out, storage.Entry{Term: e.GetTerm(), Index: e.GetIndex(), Data: buf[start:len(buf):len(buf)]})
	}
	err := s.wal.Append(out...)
	clear(out)
	if cap(buf) <= maxAppendScratch {
		s.appendBuf, s.appendOut = buf[:0], out[:0]
	} else {
		s.appendBuf, s.appendOut = nil, nil
	}
	if err != nil {
		s.mu.Lock()
		s.recent = nil
		s.mu.Unlock()
		return fmt.Errorf("quorum: append to log: %w", err)
	}
	s.mu.Lock()
	s.remember(ents)
	s.mu.Unlock()
	return nil
}

// installSnapshot makes a snapshot from the leader durable: its file first,
// then an empty log that continues it.
func (s *Storage) installSnapshot(snap *raftpb.Snapshot) error {
	meta := snap.GetMetadata()
	members, _, err := splitSnapshotData(snap.GetData())
	if err != nil {
		return fmt.Errorf("quorum: snapshot %d from the leader: %w", meta.GetIndex(), err)
	}
	if err := s.writeSnapshotFile(meta, func(w io.Writer) error {
		_, err := w.Write(snap.GetData())
		return err
	}, nil); err != nil {
		return err
	}
	if err := s.wal.TruncateAfter(0); err != nil {
		return fmt.Errorf("quorum: reset log for snapshot %d: %w", meta.GetIndex(), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snap = proto.Clone(meta).(*raftpb.SnapshotMetadata)
	s.members = members
	s.first, s.prevTerm = meta.GetIndex()+1, meta.GetTerm()
	s.hs.commit = max(s.hs.commit, meta.GetIndex())
	s.snapData = nil
	s.recent = nil
	return nil
}

// writeSnapshotFile writes and commits the snapshot file for meta. With
// members not nil the body is members then write's output (a local
// snapshot); with members nil write produces the whole raft data.
func (s *Storage) writeSnapshotFile(meta *raftpb.SnapshotMetadata, write func(io.Writer) error, members []Member) error {
	mb, err := proto.Marshal(meta)
	if err != nil {
		return fmt.Errorf("quorum: encode snapshot metadata: %w", err)
	}
	w, err := s.snaps.Create(meta.GetIndex())
	if err != nil {
		return fmt.Errorf("quorum: %w", err)
	}
	head := binary.LittleEndian.AppendUint32(nil, uint32(len(mb)))
	head = append(head, mb...)
	if members != nil {
		head = appendMembers(head, members)
	}
	if _, err := w.Write(head); err != nil {
		w.Abort()
		return fmt.Errorf("quorum: write snapshot %d: %w", meta.GetIndex(), err)
	}
	if err := write(w); err != nil {
		w.Abort()
		return fmt.Errorf("quorum: write snapshot %d: %w", meta.GetIndex(), err)
	}
	if err := w.Commit(); err != nil {
		return fmt.Errorf("quorum: %w", err)
	}
	return nil
}

// CreateSnapshot writes a snapshot of the application state after entry
// meta.Index (write produces it; see Applier.Snapshot) with the membership
// in force there, and makes it the snapshot raft sends to followers that
// fell behind. It may run on any goroutine. The log is not compacted here:
// see Compact.
func (s *Storage) CreateSnapshot(meta *raftpb.SnapshotMetadata, members []Member, write func(io.Writer) error) error {
	if members == nil {
		members = []Member{}
	}
	if err := s.writeSnapshotFile(meta, write, members); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if meta.GetIndex() > s.snap.GetIndex() {
		s.snap = proto.Clone(meta).(*raftpb.SnapshotMetadata)
		s.members = slices.Clone(members)
		s.snapData = nil
	}
	return nil
}

// Compact makes index the last entry raft may no longer read (first index
// index+1) and removes the log segments wholly below it. index must not be
// beyond the newest snapshot. Entries between index and the snapshot stay
// readable so that followers slightly behind catch up by log.
func (s *Storage) Compact(index uint64) error {
	s.mu.Lock()
	if index > s.snap.GetIndex() {
		s.mu.Unlock()
		return fmt.Errorf("quorum: compact to %d beyond snapshot %d", index, s.snap.GetIndex())
	}
	if index+1 <= s.first {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	t, err := s.Term(index)
	if err != nil {
		return fmt.Errorf("quorum: compact to %d: %w", index, err)
	}
	s.mu.Lock()
	s.first, s.prevTerm = index+1, t
	s.mu.Unlock()
	if err := s.wal.Compact(index); err != nil {
		return fmt.Errorf("quorum: compact log: %w", err)
	}
	return nil
}

// PurgeSnapshots keeps the newest retain snapshot files (at least
// storage.MinSnapRetainCount) and removes older ones.
func (s *Storage) PurgeSnapshots(retain int) error {
	return s.snaps.Purge(retain, nil)
}

// Close waits for background snapshot reads and closes the log.
func (s *Storage) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return storage.ErrClosed
	}
	s.closed = true
	s.snapData = nil
	s.mu.Unlock()
	s.wg.Wait()
	return s.wal.Close()
}
