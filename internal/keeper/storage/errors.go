package storage

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt means data on disk is damaged in a way a crash cannot explain:
	// a bad record followed by valid ones, a gap in indexes, a bad segment
	// header in the middle of the log, or a snapshot whose checksum fails.
	// Errors wrapping it are *CorruptError values that name the file and offset.
	ErrCorrupt = errors.New("storage: corrupt data")

	// ErrTorn classifies damage at the very end of the log that a crash in the
	// middle of a write explains (a partial or zero-filled last record). OpenWAL
	// repairs such a tail and logs it; callers do not receive ErrTorn from it.
	ErrTorn = errors.New("storage: torn write")

	// ErrClosed is returned by methods of a closed WAL.
	ErrClosed = errors.New("storage: closed")

	// ErrCompacted is returned when the entries asked for were removed by
	// Compact (or never written below FirstIndex).
	ErrCompacted = errors.New("storage: requested index is compacted")

	// ErrUnavailable is returned when the entries asked for are beyond
	// LastIndex.
	ErrUnavailable = errors.New("storage: requested entry is unavailable")

	// ErrOutOfOrder is returned by Append for an entry whose index is not
	// LastIndex()+1 or whose term is below LastTerm().
	ErrOutOfOrder = errors.New("storage: entry out of order")

	// ErrTooLarge is returned by Append for an entry whose data exceeds
	// MaxEntryBytes.
	ErrTooLarge = errors.New("storage: entry too large")
)

// CorruptError describes damaged data on disk. Err is ErrCorrupt, or ErrTorn
// for damage classified as a torn tail.
type CorruptError struct {
	Path   string // file holding the damage
	Offset int64  // byte offset of the damage in the file
	Reason string // what is wrong
	Err    error  // ErrCorrupt or ErrTorn
}

// Error implements error.
func (e *CorruptError) Error() string {
	kind := "corrupt"
	if e.Err == ErrTorn {
		kind = "torn"
	}
	return fmt.Sprintf("storage: %s data in %s at offset %d: %s", kind, e.Path, e.Offset, e.Reason)
}

// Unwrap returns ErrCorrupt or ErrTorn.
func (e *CorruptError) Unwrap() error { return e.Err }

func corruptf(path string, off int64, format string, args ...any) error {
	return &CorruptError{Path: path, Offset: off, Reason: fmt.Sprintf(format, args...), Err: ErrCorrupt}
}
