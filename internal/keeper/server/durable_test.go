package server

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkafka/zkafka/internal/keeper/storage"
)

// gatedFS is an in-memory file system whose transaction log fdatasyncs
// wait, once closed, for a go-ahead on gate after announcing themselves on
// entered. It refuses to preallocate segments (64 MiB of memory each).
type gatedFS struct {
	*storage.MemFS
	closed  atomic.Bool
	entered chan struct{}
	gate    chan struct{}
}

func newGatedFS() *gatedFS {
	return &gatedFS{MemFS: storage.NewMemFS(), entered: make(chan struct{}), gate: make(chan struct{})}
}

func (g *gatedFS) OpenFile(name string, flag int, perm fs.FileMode) (storage.File, error) {
	if strings.HasSuffix(name, ".prealloc") {
		return nil, errors.New("gatedFS: no preallocation")
	}
	f, err := g.MemFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	if filepath.Base(filepath.Dir(name)) != "wal" {
		return f, nil
	}
	return gatedFile{File: f, g: g}, nil
}

type gatedFile struct {
	storage.File
	g *gatedFS
}

func (f gatedFile) Datasync() error {
	if f.g.closed.Load() {
		f.g.entered <- struct{}{}
		<-f.g.gate
	}
	return f.File.Datasync()
}

// TestWriteAnsweredWhenDurable checks the write path's promise: a write is
// answered only once the log holding it is synced, and what was answered
// survives a crash (the in-memory disk keeps only what was synced).
func TestWriteAnsweredWhenDurable(t *testing.T) {
	g := newGatedFS()
	s := testServer(t, func(o *Options) { o.DataDir = "/data"; o.fsys = g })
	c, _ := connect(t, s)
	g.closed.Store(true)
	// Runs before testServer's Close, which syncs the log.
	t.Cleanup(func() {
		g.closed.Store(false)
		close(g.gate)
	})
	done := make(chan error, 1)
	go func() {
		_, err := c.Create("/durable", []byte("x"), 0, zk.WorldACL(zk.PermAll))
		done <- err
	}()
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the create's fdatasync did not start")
	}
	// The fdatasync is held: the create must not be answered nor applied.
	// (A window, not an ordering: a correct server never answers in it; a
	// server that answered before syncing would within it.)
	select {
	case err := <-done:
		t.Fatalf("create answered (err %v) before its log record was synced", err)
	case <-time.After(200 * time.Millisecond):
	}
	if exists(s, "/durable") {
		t.Fatal("create applied before its log record was synced")
	}
	g.gate <- struct{}{}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("create: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("create not answered after its fdatasync")
	}
	// Power fails now: the answered create is on the disk.
	s2, err := New(Options{DataDir: "/data", fsys: g.CrashClone()})
	if err != nil {
		t.Fatalf("recovering from the crashed disk: %v", err)
	}
	defer s2.Close()
	if !exists(s2, "/durable") {
		t.Fatal("an answered create was lost in a crash")
	}
}

func exists(s *Server, path string) bool {
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	_, ok := s.db.tree.Exists(path)
	return ok
}
