package storage

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkAppendSync measures group commit on the real file system: each
// iteration appends a batch of 128-byte entries (about a small ZooKeeper txn)
// and fsyncs once. entries/s is the throughput a keeper could acknowledge.
//
// With prealloc=true the segments are preallocated (the keeper's setting);
// the first iterations wait until the background preparation is done. Run
// it where the keeper's dataLogDir lives: TMPDIR=/var/tmp go test ...
func BenchmarkAppendSync(b *testing.B) {
	for _, pre := range []bool{false, true} {
		for _, batch := range []int{1, 16, 128} {
			b.Run(fmt.Sprintf("prealloc=%v/batch=%d", pre, batch), func(b *testing.B) {
				benchAppendSync(b, pre, batch)
			})
		}
	}
}

func benchAppendSync(b *testing.B, pre bool, batch int) {
	w, err := OpenWAL(OSFS{}, b.TempDir(), WALOptions{Preallocate: pre})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	for pre && !w.preparedForTest() {
		time.Sleep(10 * time.Millisecond)
	}
	data := make([]byte, 128)
	es := make([]Entry, batch)
	next := uint64(1)
	b.SetBytes(int64(batch * (recordHeaderSize + len(data))))
	for b.Loop() {
		for i := range es {
			es[i] = Entry{Term: 1, Index: next, Data: data}
			next++
		}
		if err := w.Append(es...); err != nil {
			b.Fatal(err)
		}
		if err := w.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkEntriesDisk reads 64 entries from disk (not the cache) per
// iteration, as raft does for a follower that is behind.
func BenchmarkEntriesDisk(b *testing.B) {
	w, err := OpenWAL(OSFS{}, b.TempDir(), WALOptions{CacheBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	data := make([]byte, 128)
	const n = 100_000
	for i := uint64(1); i <= n; i++ {
		if err := w.Append(Entry{Term: 1, Index: i, Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Sync(); err != nil {
		b.Fatal(err)
	}
	lo := uint64(1)
	for b.Loop() {
		ents, err := w.Entries(lo, lo+64, 1<<62)
		if err != nil || len(ents) != 64 {
			b.Fatal(len(ents), err)
		}
		lo = (lo+7919)%(n-64) + 1
	}
}

// BenchmarkOpenPreallocated opens a log whose active segment is a
// preallocated 64 MiB file holding 1000 records: recovery reads the zero
// tail to rule out damage (from the page cache here).
func BenchmarkOpenPreallocated(b *testing.B) {
	dir := b.TempDir()
	opts := WALOptions{Preallocate: true}
	w, err := OpenWAL(OSFS{}, dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	for !w.preparedForTest() {
		time.Sleep(10 * time.Millisecond)
	}
	data := make([]byte, 128)
	for i := uint64(1); i <= 1000; i++ {
		if err := w.Append(Entry{Term: 1, Index: i, Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		w, err := OpenWAL(OSFS{}, dir, WALOptions{Preallocate: true, preallocInline: true})
		if err != nil {
			b.Fatal(err)
		}
		if w.LastIndex() != 1000 || w.activeFile != DefaultSegmentBytes {
			b.Fatalf("last index %d, active file %d bytes", w.LastIndex(), w.activeFile)
		}
		w.Close()
	}
}
