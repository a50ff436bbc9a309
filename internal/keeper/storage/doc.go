// Package storage is the keeper's durable state on disk: the transaction log
// (a write-ahead log of raft entries) in dataLogDir and the snapshots in
// dataDir. Every entry acknowledged by WAL.Sync and every snapshot committed by
// SnapshotWriter.Commit survives kill -9 and power loss.
//
// Entries are opaque to this package: the keeper encodes its transactions into
// Entry.Data. The WAL stores exactly what go.etcd.io/raft/v3 log entries carry
// (term, index, data) so that it can back raft's Storage.
//
// # Layout
//
//	<dataLogDir>/wal/0000000000000001.wal   segment whose first entry has index 1
//	<dataLogDir>/wal/00000000000a3f01.wal   next segment (index 0xa3f01 onward)
//	<dataLogDir>/wal/next.prealloc          next segment being preallocated (removed at open)
//	<dataDir>/snap/00000000000a0000.snap    snapshot of the state after entry 0xa0000
//	<dataDir>/snap/00000000000b0000.snap.7.tmp  snapshot being written (removed at open)
//
// File names are the index as 16 lowercase hex digits. dataDir and dataLogDir
// may be the same directory.
//
// # WAL segment format
//
// All integers are little-endian. A segment is a 24-byte header followed by
// records, each holding one entry:
//
//	segment header (24 bytes)
//	+----------+----------+-----------------+----------+----------+
//	| magic u32| vers u32 | first index u64 | zero u32 | crc u32  |
//	| "ZKWL"   |    1     |                 |          | of 0..19 |
//	+----------+----------+-----------------+----------+----------+
//
//	record (24 + len(data) bytes)
//	+------------+------------+----------+-----------+---------------+
//	| length u32 | crc u32    | term u64 | index u64 | data          |
//	| 16+len(d)  | crc32c of  |          |           | length-16     |
//	|            | term..data |          |           | bytes         |
//	+------------+------------+----------+-----------+---------------+
//
// With WALOptions.Preallocate, the last segment is a file of SegmentBytes
// whose records are followed by zeros up to its end:
//
//	| header | record | record | ... | record | 0 0 0 0 0 0 ... 0 0 0 |
//	                                           ^ end of the log
//
// The file is written full of zeros and synced before it becomes a segment
// (it is prepared as next.prealloc while the previous segment fills, then its
// header is written and synced and it is renamed), so appending a record
// overwrites allocated blocks and fdatasync need not update the file's size.
// A segment that is not the last is cut to its records (durably) before the
// next one starts, so it never has a zero tail.
//
// The length counts the bytes after the crc field; the crc is CRC-32C
// (Castagnoli) over those same bytes. Indexes are contiguous within a segment
// and across segments: a segment's first index is the previous segment's last
// index plus one, and its header repeats the index in its name. Terms never
// decrease. These constants are frozen: a change needs a new version number.
//
// # WAL recovery
//
// OpenWAL reads every segment and classifies damage:
//
//   - A torn tail is a partial last record, a zero-filled tail, a record whose
//     checksum fails, or a segment header that is short or invalid, in the last
//     segment and with no valid record after it. It is what a crash in the
//     middle of a write leaves, and it was never acknowledged (Sync had not
//     returned). OpenWAL truncates it away (or removes a last segment with a
//     torn header) and logs a warning naming the file and offset. Internally
//     such damage is classified ErrTorn.
//   - With preallocation, zeros from the end of the last valid record to the
//     end of the last segment are the preallocated rest of it: the end of the
//     log, neither torn nor corrupt, kept for the next records. Without it,
//     such zeros are a torn tail (a crash after the file grew and before its
//     data reached the disk).
//   - Anything else is corruption: a bad record followed by a valid one, any
//     damage in a segment that is not the last, a gap or repeat in indexes (a
//     missing segment), a decreasing term. OpenWAL returns a *CorruptError
//     wrapping ErrCorrupt that names the file and offset. Data in the middle of
//     the log is never dropped silently.
//
// To keep that classification sound, a segment is fsynced before the next one
// is created, a new segment's header is fsynced before its directory is, and
// segment removals are made durable one at a time (oldest first when
// compacting, newest first when truncating), so a crash never leaves a hole.
//
// # Snapshot format
//
//	+-----------+----------+-----------+------- ... -------+------------+-----------+-----------+
//	| magic u32 | vers u32 | index u64 | body (the keeper's| length u64 | crc u32   | magic u32 |
//	| "ZKSN"    |    1     |           | encoded state)    | hdr+body   | of header | "ZKSE"    |
//	|           |          |           |                   |            | and body  |           |
//	+-----------+----------+-----------+------- ... -------+------------+-----------+-----------+
//	 header (16 bytes)                                      trailer (16 bytes)
//
// A snapshot is written to a temporary file, fsynced, renamed to its final name
// and then its directory is fsynced: a crash leaves either the complete new
// snapshot or none of it, and older snapshots are untouched. Readers verify
// the checksum while streaming and report a mismatch (a truncated or damaged
// file) as an error wrapping ErrCorrupt at the end of the body, so recovery can
// fall back to an older snapshot.
package storage
