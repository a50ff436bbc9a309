package quorum

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/zkafka/zkafka/internal/keeper/storage"
)

// Frozen state file format constants. See the package documentation.
const (
	stateFileName    = "raftstate"
	stateTmpName     = "raftstate.tmp"
	stateMagic       = 0x53524b5a // "ZKRS" as little-endian bytes
	stateVersion     = 1
	stateFixedBytes  = 32 // magic, version, term, vote, commit
	stateMaxBytes    = 16 << 20
	stateTrailerSize = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// diskState is the content of the state file: raft's HardState and the
// ensemble the log started with.
type diskState struct {
	term, vote, commit uint64
	boot               []Member
}

func encodeState(st diskState) []byte {
	b := make([]byte, 0, stateFixedBytes+64)
	b = binary.LittleEndian.AppendUint32(b, stateMagic)
	b = binary.LittleEndian.AppendUint32(b, stateVersion)
	b = binary.LittleEndian.AppendUint64(b, st.term)
	b = binary.LittleEndian.AppendUint64(b, st.vote)
	b = binary.LittleEndian.AppendUint64(b, st.commit)
	b = appendMembers(b, st.boot)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func decodeState(b []byte) (diskState, error) {
	var st diskState
	if len(b) < stateFixedBytes+4+stateTrailerSize {
		return st, fmt.Errorf("state file of %d bytes: %w", len(b), ErrCorrupt)
	}
	body, sum := b[:len(b)-stateTrailerSize], binary.LittleEndian.Uint32(b[len(b)-stateTrailerSize:])
	if crc32.Checksum(body, castagnoli) != sum {
		return st, fmt.Errorf("state file checksum mismatch: %w", ErrCorrupt)
	}
	if m := binary.LittleEndian.Uint32(body); m != stateMagic {
		return st, fmt.Errorf("state file magic %#x: %w", m, ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(body[4:]); v != stateVersion {
		return st, fmt.Errorf("state file version %d, want %d: %w", v, stateVersion, ErrCorrupt)
	}
	st.term = binary.LittleEndian.Uint64(body[8:])
	st.vote = binary.LittleEndian.Uint64(body[16:])
	st.commit = binary.LittleEndian.Uint64(body[24:])
	boot, rest, err := decodeMembers(body[stateFixedBytes:])
	if err != nil {
		return st, fmt.Errorf("state file: %w", err)
	}
	if len(rest) != 0 {
		return st, fmt.Errorf("state file has %d trailing bytes: %w", len(rest), ErrCorrupt)
	}
	st.boot = boot
	return st, nil
}

// readState reads dir's state file; ok is false when there is none.
func readState(fsys storage.FS, dir string) (st diskState, ok bool, err error) {
	f, err := fsys.Open(filepath.Join(dir, stateFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("quorum: open state file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, stateMaxBytes+1))
	if err != nil {
		return st, false, fmt.Errorf("quorum: read state file: %w", err)
	}
	if len(b) > stateMaxBytes {
		return st, false, fmt.Errorf("quorum: state file %s is larger than %d bytes: %w", filepath.Join(dir, stateFileName), stateMaxBytes, ErrCorrupt)
	}
	st, err = decodeState(b)
	if err != nil {
		return st, false, fmt.Errorf("quorum: %s: %w", filepath.Join(dir, stateFileName), err)
	}
	return st, true, nil
}

// writeState replaces dir's state file atomically and durably: write a
// temporary file, fsync it, rename it over the old one, fsync the directory.
// A crash at any point leaves either the old or the new file.
func writeState(fsys storage.FS, dir string, st diskState) error {
	tmp := filepath.Join(dir, stateTmpName)
	f, err := fsys.Create(tmp)
	if err != nil {
		return fmt.Errorf("quorum: create state file: %w", err)
	}
	if _, err := f.Write(encodeState(st)); err != nil {
		f.Close()
		return fmt.Errorf("quorum: write state file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("quorum: fsync state file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("quorum: close state file: %w", err)
	}
	if err := fsys.Rename(tmp, filepath.Join(dir, stateFileName)); err != nil {
		return fmt.Errorf("quorum: rename state file: %w", err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("quorum: fsync state dir: %w", err)
	}
	return nil
}
