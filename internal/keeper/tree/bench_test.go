package tree

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// fill creates n nodes of 100 bytes under /bench/dNNN/nNNNNNNNNN, 1000 per
// directory, and returns the tree.
func fill(tb testing.TB, n int) *Tree {
	tr := New(Options{})
	data := make([]byte, 100)
	zxid := int64(0)
	apply := func(path string) {
		zxid++
		r := tr.Apply(&Txn{Zxid: zxid, Time: zxid, Session: 1, Op: jute.OpCreate,
			Body: &jute.CreateRequest{Path: path, Data: data, ACL: OpenACLUnsafe}})
		if r.Err != jute.ErrOK {
			tb.Fatalf("create %s: %v", path, r.Err.Name())
		}
	}
	apply("/bench")
	for i := 0; i < n; i++ {
		if i%1000 == 0 {
			apply("/bench/d" + strconv.Itoa(i/1000))
		}
		apply("/bench/d" + strconv.Itoa(i/1000) + "/n" + fmt.Sprintf("%010d", i))
	}
	return tr
}

func BenchmarkApplyCreate(b *testing.B) {
	tr := New(Options{})
	tr.Apply(&Txn{Zxid: 1, Op: jute.OpCreate, Body: &jute.CreateRequest{Path: "/b", ACL: OpenACLUnsafe}})
	data := make([]byte, 100)
	paths := make([]string, b.N)
	for i := range paths {
		paths[i] = "/b/n" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := tr.Apply(&Txn{Zxid: int64(i + 2), Time: int64(i), Session: 1, Op: jute.OpCreate,
			Body: &jute.CreateRequest{Path: paths[i], Data: data, ACL: OpenACLUnsafe}})
		if r.Err != jute.ErrOK {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkApplySetData(b *testing.B) {
	tr := fill(b, 10_000)
	data := make([]byte, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % 10_000
		path := "/bench/d" + strconv.Itoa(j/1000) + "/n" + fmt.Sprintf("%010d", j)
		if r := tr.Apply(&Txn{Zxid: int64(20_000 + i), Op: jute.OpSetData,
			Body: &jute.SetDataRequest{Path: path, Data: data, Version: -1}}); r.Err != jute.ErrOK {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkGetData(b *testing.B) {
	tr := fill(b, 100_000)
	paths := make([]string, 1024)
	for i := range paths {
		j := i * 97
		paths[i] = "/bench/d" + strconv.Itoa(j/1000) + "/n" + fmt.Sprintf("%010d", j)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, _, err := tr.GetData(paths[i%len(paths)], nil); err != jute.ErrOK {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkChildren(b *testing.B) {
	tr := fill(b, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if names, _, _ := tr.Children("/bench/d3", nil); len(names) != 1000 {
			b.Fatal(len(names))
		}
	}
}

func BenchmarkSnapshotWrite1M(b *testing.B) {
	tr := fill(b, 1_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	var n int64
	for i := 0; i < b.N; i++ {
		var err error
		if n, err = tr.Snapshot().WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(n)
}

func BenchmarkRestore100k(b *testing.B) {
	tr := fill(b, 100_000)
	snap := snapshotBytes(b, tr.Snapshot())
	b.SetBytes(int64(len(snap)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Restore(bytesReader(snap), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemory1M reports the live heap per znode for 1,000,000 znodes
// with 100 bytes of data each (bytes/node: heap in use after a full
// collection, size classes included) and the heap objects per znode
// (objects/node).
func BenchmarkMemory1M(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tr := fill(b, 1_000_000)
		runtime.GC()
		runtime.ReadMemStats(&after)
		n := float64(tr.NodeCount())
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/node")
		b.ReportMetric(float64(after.HeapObjects-before.HeapObjects)/n, "objects/node")
		runtime.KeepAlive(tr)
	}
}

// BenchmarkMemory1MPopulate is BenchmarkMemory1M for the tree that `zkafka
// bench zk-populate --n 1000000 --size 100` makes: paths
// /zkpopulate-<16 hex>/b000123/n000456 (1000 children per parent), zxids of
// epoch 1, times in ms since the epoch.
func BenchmarkMemory1MPopulate(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tr := New(Options{})
		data := make([]byte, 100)
		zxid := int64(1) << 32
		apply := func(path string) {
			zxid++
			r := tr.Apply(&Txn{Zxid: zxid, Time: 1_770_000_000_000 + zxid&0xffffffff/30, Session: 1, Op: jute.OpCreate,
				Body: &jute.CreateRequest{Path: path, Data: data, ACL: OpenACLUnsafe}})
			if r.Err != jute.ErrOK {
				b.Fatalf("create %s: %v", path, r.Err.Name())
			}
		}
		const root = "/zkpopulate-0123456789abcdef"
		apply(root)
		for j := 0; j < 1_000_000; j++ {
			if j%1000 == 0 {
				apply(fmt.Sprintf("%s/b%06d", root, j/1000))
			}
			apply(fmt.Sprintf("%s/b%06d/n%06d", root, j/1000, j%1000))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		n := float64(tr.NodeCount())
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/node")
		b.ReportMetric(float64(after.HeapObjects-before.HeapObjects)/n, "objects/node")
		runtime.KeepAlive(tr)
	}
}

func bytesReader(b []byte) io.Reader { return &sliceReader{b: b} }

type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
