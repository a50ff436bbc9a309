package storage

import (
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"
)

// gatedFS is a MemFS whose files' Datasync first waits for a value on gate
// (nil: go on; an error: fail with it) and announces itself on entered.
type gatedFS struct {
	*MemFS
	entered chan struct{}
	gate    chan error
	open    chan struct{} // closed: Datasync no longer waits
}

func (g *gatedFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := g.MemFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return gatedFile{File: f, g: g}, nil
}

func (g *gatedFS) Create(name string) (File, error) {
	return g.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

func (g *gatedFS) Open(name string) (File, error) { return g.OpenFile(name, os.O_RDONLY, 0) }

type gatedFile struct {
	File
	g *gatedFS
}

func (f gatedFile) Datasync() error {
	select {
	case f.g.entered <- struct{}{}:
	case <-f.g.open:
		return f.File.Datasync()
	}
	select {
	case err := <-f.g.gate:
		if err != nil {
			return err
		}
	case <-f.g.open:
	}
	return f.File.Datasync()
}

// openGatedWAL returns a WAL on a new gatedFS; when the test ends the gate
// opens for good and the WAL is closed.
func openGatedWAL(t *testing.T) (*WAL, *gatedFS) {
	g := &gatedFS{MemFS: NewMemFS(), entered: make(chan struct{}), gate: make(chan error), open: make(chan struct{})}
	w := openWAL(t, g, WALOptions{})
	t.Cleanup(func() {
		close(g.open)
		w.Close()
	})
	return w, g
}

// waitFor fails the test unless ch delivers within a deadline.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// TestWALSyncFailureSticks checks that once an fdatasync failed, every
// later Sync (even one with nothing new to write, while or after the
// failing one runs) and Append fails.
func TestWALSyncFailureSticks(t *testing.T) {
	w, g := openGatedWAL(t)
	if err := w.Append(mkEntries(1, 5, 1)...); err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { first <- w.Sync() }()
	waitFor(t, g.entered, "fdatasync")
	// A second Sync with nothing new waits for the first and fails with
	// its error.
	second := make(chan error, 1)
	go func() { second <- w.Sync() }()
	disk := errors.New("disk on fire")
	g.gate <- disk
	if err := waitFor(t, first, "the first Sync"); !errors.Is(err, disk) {
		t.Fatalf("first Sync: %v, want %v", err, disk)
	}
	if err := waitFor(t, second, "the second Sync"); !errors.Is(err, disk) {
		t.Fatalf("second Sync: %v, want %v", err, disk)
	}
	if err := w.Sync(); !errors.Is(err, disk) {
		t.Fatalf("Sync after the failure: %v, want %v", err, disk)
	}
	if err := w.Append(mkEntries(6, 6, 1)...); !errors.Is(err, disk) {
		t.Fatalf("Append after the failure: %v, want %v", err, disk)
	}
}
