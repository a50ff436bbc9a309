package storage

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestFS runs the same operations against OSFS and MemFS.
func TestFS(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys func(t *testing.T) (FS, string)
	}{
		{"OSFS", func(t *testing.T) (FS, string) { return OSFS{}, t.TempDir() }},
		{"MemFS", func(t *testing.T) (FS, string) { return NewMemFS(), "/tmp/x" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, dir := tc.fsys(t)
			sub := filepath.Join(dir, "a", "b")
			if err := makeDir(fsys, sub); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(sub, "f")
			f, err := fsys.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("hello "))
			f.Write([]byte("world"))
			if n, _ := f.Size(); n != 11 {
				t.Fatalf("Size %d", n)
			}
			if err := f.Truncate(5); err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("!")) // O_APPEND writes at the new end
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4)
			if n, err := f.ReadAt(buf, 2); n != 4 || err != nil || string(buf) != "llo!" {
				t.Fatalf("ReadAt = %d %v %q", n, err, buf)
			}
			if n, err := f.ReadAt(buf, 4); n != 2 || err != io.EOF {
				t.Fatalf("ReadAt past end = %d %v", n, err)
			}
			f.Close()
			if _, err := fsys.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644); !errors.Is(err, fs.ErrExist) {
				t.Fatalf("O_EXCL on existing file: %v", err)
			}
			if err := fsys.Rename(p, filepath.Join(sub, "g")); err != nil {
				t.Fatal(err)
			}
			if _, err := fsys.Open(p); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Open of renamed-away file: %v", err)
			}
			g, err := fsys.Open(filepath.Join(sub, "g"))
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := io.ReadAll(g); string(b) != "hello!" {
				t.Fatalf("content %q", b)
			}
			if _, err := g.Write([]byte("x")); err == nil {
				t.Fatal("Write to a read-only file succeeded")
			}
			g.Close()
			if err := fsys.SyncDir(sub); err != nil {
				t.Fatal(err)
			}
			names, err := fsys.ReadDir(sub)
			if err != nil || !slices.Equal(names, []string{"g"}) {
				t.Fatalf("ReadDir = %v, %v", names, err)
			}
			if err := fsys.Remove(filepath.Join(sub, "g")); err != nil {
				t.Fatal(err)
			}
			if err := fsys.Remove(filepath.Join(sub, "g")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("second Remove: %v", err)
			}
			if _, err := fsys.ReadDir(filepath.Join(dir, "nope")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("ReadDir of missing dir: %v", err)
			}
		})
	}
}

func TestMemFSCrashClone(t *testing.T) {
	m := NewMemFS()
	if err := makeDir(m, "/d"); err != nil {
		t.Fatal(err)
	}
	read := func(fsys *MemFS, name string) (string, bool) {
		f, err := fsys.Open(name)
		if err != nil {
			return "", false
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		return string(b), true
	}

	// Synced data in a synced directory survives; later writes do not.
	f, _ := m.Create("/d/a")
	f.Write([]byte("durable"))
	f.Sync()
	m.SyncDir("/d")
	f.Write([]byte(" lost"))
	// A removal not synced is undone; a rename not synced is undone.
	h, _ := m.Create("/d/c")
	h.Sync()
	m.SyncDir("/d")
	m.Remove("/d/c")
	// A file whose directory entry was never synced is lost, data or not.
	g, _ := m.Create("/d/b")
	g.Write([]byte("x"))
	g.Sync()
	m.Rename("/d/a", "/d/a2")

	c := m.CrashClone()
	if s, ok := read(c, "/d/a"); !ok || s != "durable" {
		t.Fatalf("/d/a = %q %v", s, ok)
	}
	for _, name := range []string{"/d/b", "/d/a2"} {
		if _, ok := read(c, name); ok {
			t.Fatalf("%s survived without a directory sync", name)
		}
	}
	if _, ok := read(c, "/d/c"); !ok {
		t.Fatal("unsynced removal was kept")
	}

	// Torn: keep part of the unsynced bytes.
	torn := m.CrashCloneWith(func(name string, synced, written int) int {
		if name != "/d/a" || synced != 7 || written != 12 {
			t.Errorf("keep(%q, %d, %d)", name, synced, written)
		}
		return synced + 2
	})
	if s, _ := read(torn, "/d/a"); s != "durable l" {
		t.Fatalf("torn /d/a = %q", s)
	}

	// Overwriting synced bytes: only the synced version survives.
	f.Truncate(3)
	a, err := m.OpenFile("/d/a2", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("XYZ"))
	if s, _ := read(m.CrashCloneWith(func(string, int, int) int { return 1 << 20 }), "/d/a"); s != "durable" {
		t.Fatalf("after overwrite, crash gives %q", s)
	}
	a.Sync()
	m.SyncDir("/d")
	if s, _ := read(m.CrashClone(), "/d/a2"); s != "durXYZ" {
		t.Fatalf("after sync, crash gives %q", s)
	}

	// A directory made by makeDir survives: its parent was synced.
	if err := makeDir(m, "/x/y/z"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.CrashClone().ReadDir("/x/y/z"); err != nil {
		t.Fatalf("makeDir not durable: %v", err)
	}
	// MkdirAll alone is not.
	m.MkdirAll("/p/q", 0o755)
	if _, err := m.CrashClone().ReadDir("/p"); err == nil {
		t.Fatal("unsynced mkdir survived")
	}
}
