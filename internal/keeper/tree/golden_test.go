package tree

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

var rewriteGolden = flag.Bool("rewrite-golden", false, "rewrite testdata/golden.snap from this code")

// goldenTree is richTree plus paths that exercise the key order across
// parents: a parent path that is a prefix of another ("/a" and "/a!",
// "/a-"), a deep chain, a parent whose only child was deleted and a parent
// created and emptied again.
func goldenTree(tb testing.TB) *env {
	e := richTree(tb)
	for _, p := range []string{"/a!", "/a!/x", "/a-", "/a-/y", "/a/b", "/a/b/c", "/a/b/c/d", "/a/b/c/d/e",
		"/a/bb", "/a/bb/z", "/gone", "/gone/child", "/\u00e9", "/\u00e9/x"} {
		e.mustCreate(p, 0)
	}
	e.del("/gone/child", -1)
	e.create("/gone/again", []byte("x"), open, jute.ModeEphemeral)
	e.setData("/a/b/c", []byte("changed"), -1)
	return e
}

// TestGoldenSnapshot: testdata/golden.snap was written by the code before
// the parent table (nodes holding their whole key), from goldenTree. It must
// restore (Restore recomputes the digest and compares it with the one that
// code recorded), hold the same state as goldenTree built now, and this code
// must write the very same bytes for it.
func TestGoldenSnapshot(t *testing.T) {
	e := goldenTree(t)
	now := snapshotBytes(t, e.t.Snapshot())
	file := filepath.Join("testdata", "golden.snap")
	if *rewriteGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, now, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	restored, err := Restore(bytes.NewReader(old), Options{ExtendedTypes: true})
	if err != nil {
		t.Fatalf("restoring the golden snapshot: %v", err)
	}
	checkInvariants(t, restored)
	sameTree(t, restored, e.t)
	if !bytes.Equal(now, old) {
		t.Fatalf("this code writes %d bytes for goldenTree, the golden snapshot has %d (or they differ)", len(now), len(old))
	}
	if again := snapshotBytes(t, restored.Snapshot()); !bytes.Equal(again, old) {
		t.Fatalf("the restored golden snapshot writes differently")
	}
}
