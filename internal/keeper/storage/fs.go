package storage

import (
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// File is an open file of an FS: the few operations the WAL and the snapshot
// store need. Implementations must allow ReadAt from one handle while another
// handle of the same file is written.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	// WriterAt writes at an offset (pwrite). It must not be used on a file
	// opened with os.O_APPEND.
	io.WriterAt
	io.Closer
	// Sync makes the file's data durable (fsync). It does not make the file's
	// directory entry durable: that takes FS.SyncDir on its directory.
	Sync() error
	// Datasync makes the file's data durable, and the metadata needed to read
	// it back (its size), but not its modification time (fdatasync). It is
	// cheaper than Sync when the writes overwrote blocks already allocated.
	Datasync() error
	// Truncate changes the size of the file.
	Truncate(size int64) error
	// Size returns the current size of the file in bytes.
	Size() (int64, error)
}

// FS is the file system seam of the package. OSFS is the real one; MemFS is an
// in-memory twin whose CrashClone simulates power loss.
//
// Errors for missing or already existing files wrap fs.ErrNotExist and
// fs.ErrExist, as the os package's do.
type FS interface {
	// OpenFile opens name with os.OpenFile flags (os.O_RDONLY, os.O_RDWR,
	// os.O_CREATE, os.O_EXCL, os.O_TRUNC, os.O_APPEND).
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// Create creates or truncates name for reading and writing.
	Create(name string) (File, error)
	// Open opens name read-only.
	Open(name string) (File, error)
	// Rename renames oldname to newname, replacing newname if it exists.
	// The change is durable only after SyncDir on the directories involved.
	Rename(oldname, newname string) error
	// Remove removes a file or an empty directory. The change is durable only
	// after SyncDir on its directory.
	Remove(name string) error
	// ReadDir returns the names of the entries of dir, sorted.
	ReadDir(dir string) ([]string, error)
	// MkdirAll creates dir and any missing parents.
	MkdirAll(dir string, perm fs.FileMode) error
	// SyncDir makes dir's entries (creates, renames, removes) durable.
	SyncDir(dir string) error
}

// OSFS is the FS of the operating system.
type OSFS struct{}

var _ FS = OSFS{}

type osFile struct{ *os.File }

// Datasync implements File with fdatasync(2).
func (f osFile) Datasync() error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &fs.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

func (f osFile) Size() (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// OpenFile implements FS.
func (OSFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// Create implements FS.
func (o OSFS) Create(name string) (File, error) {
	return o.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

// Open implements FS.
func (o OSFS) Open(name string) (File, error) { return o.OpenFile(name, os.O_RDONLY, 0) }

// Rename implements FS.
func (OSFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

// Remove implements FS.
func (OSFS) Remove(name string) error { return os.Remove(name) }

// MkdirAll implements FS.
func (OSFS) MkdirAll(dir string, perm fs.FileMode) error { return os.MkdirAll(dir, perm) }

// ReadDir implements FS.
func (OSFS) ReadDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}

// SyncDir implements FS.
func (OSFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return &fs.PathError{Op: "fsync", Path: dir, Err: serr}
	}
	return cerr
}

// makeDir creates dir (and missing parents) and makes every directory entry it
// created durable by syncing the parent of each.
func makeDir(fsys FS, dir string) error {
	var created []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := fsys.ReadDir(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		created = append(created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if len(created) == 0 {
		return nil
	}
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, d := range created {
		if err := fsys.SyncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// MemFS is an in-memory FS for tests. It remembers, apart from the current
// state, what has been made durable: a file's data as of its last File.Sync
// or File.Datasync (the two are alike here: MemFS keeps no modification
// times), and a directory's entries as of its last FS.SyncDir. CrashClone
// returns the state a machine would find after losing power now.
//
// Paths are slash-separated; relative paths are taken from the root. All
// methods are safe for concurrent use.
type MemFS struct {
	mu   sync.Mutex
	root *memNode
	hook func(op, name string)
}

var _ FS = (*MemFS)(nil)

type memNode struct {
	dir bool
	// Directories.
	children       map[string]*memNode
	syncedChildren map[string]*memNode
	// Files.
	data   []byte
	synced []byte
	// dirtyFrom is the lowest offset written since the last Sync (len(data)
	// right after it): data[:dirtyFrom] equals synced[:dirtyFrom].
	dirtyFrom int
	// shrunk is set when the file was truncated below len(synced) since the
	// last Sync: a crash then keeps exactly the synced data.
	shrunk bool
}

func newMemDir() *memNode {
	return &memNode{dir: true, children: map[string]*memNode{}, syncedChildren: map[string]*memNode{}}
}

// NewMemFS returns an empty MemFS holding only the root directory.
func NewMemFS() *MemFS { return &MemFS{root: newMemDir()} }

// SetHook installs fn, called after every successful mutating operation with
// the operation's name ("create", "write", "sync", "datasync", "truncate",
// "rename", "remove", "mkdir", "syncdir") and the path it touched. fn runs without the
// MemFS lock held, so it may call CrashClone: tests use this to crash at every
// step of a sequence. A nil fn removes the hook.
func (m *MemFS) SetHook(fn func(op, name string)) {
	m.mu.Lock()
	m.hook = fn
	m.mu.Unlock()
}

// unlockAndHook releases m.mu, which the caller holds, then runs the hook.
func (m *MemFS) unlockAndHook(op, name string) {
	h := m.hook
	m.mu.Unlock()
	if h != nil {
		h(op, name)
	}
}

func splitPath(name string) []string {
	p := path.Clean("/" + filepath.ToSlash(name))
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// lookupParent returns the directory holding name and name's last element.
func (m *MemFS) lookupParent(op, name string) (*memNode, string, error) {
	parts := splitPath(name)
	if len(parts) == 0 {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	d := m.root
	for _, p := range parts[:len(parts)-1] {
		c := d.children[p]
		if c == nil {
			return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		if !c.dir {
			return nil, "", &fs.PathError{Op: op, Path: name, Err: errors.New("not a directory")}
		}
		d = c
	}
	return d, parts[len(parts)-1], nil
}

func (m *MemFS) lookup(op, name string) (*memNode, error) {
	parts := splitPath(name)
	if len(parts) == 0 {
		return m.root, nil
	}
	d, base, err := m.lookupParent(op, name)
	if err != nil {
		return nil, err
	}
	n := d.children[base]
	if n == nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return n, nil
}

// OpenFile implements FS.
func (m *MemFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	m.mu.Lock()
	d, base, err := m.lookupParent("open", name)
	if err != nil {
		m.mu.Unlock()
		return nil, err
	}
	n := d.children[base]
	created := false
	switch {
	case n == nil && flag&os.O_CREATE == 0:
		m.mu.Unlock()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case n == nil:
		n = &memNode{}
		d.children[base] = n
		created = true
	case flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		m.mu.Unlock()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case n.dir:
		m.mu.Unlock()
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("is a directory")}
	}
	if flag&os.O_TRUNC != 0 && len(n.data) > 0 {
		n.truncate(0)
	}
	f := &memFile{fs: m, node: n, name: name, flag: flag}
	if created || flag&os.O_TRUNC != 0 {
		m.unlockAndHook("create", name)
	} else {
		m.mu.Unlock()
	}
	return f, nil
}

// Create implements FS.
func (m *MemFS) Create(name string) (File, error) {
	return m.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

// Open implements FS.
func (m *MemFS) Open(name string) (File, error) { return m.OpenFile(name, os.O_RDONLY, 0) }

// Rename implements FS.
func (m *MemFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	od, obase, err := m.lookupParent("rename", oldname)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	n := od.children[obase]
	if n == nil {
		m.mu.Unlock()
		return &fs.PathError{Op: "rename", Path: oldname, Err: fs.ErrNotExist}
	}
	nd, nbase, err := m.lookupParent("rename", newname)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	if t := nd.children[nbase]; t != nil && t.dir {
		m.mu.Unlock()
		return &fs.PathError{Op: "rename", Path: newname, Err: fs.ErrExist}
	}
	delete(od.children, obase)
	nd.children[nbase] = n
	m.unlockAndHook("rename", newname)
	return nil
}

// Remove implements FS.
func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	d, base, err := m.lookupParent("remove", name)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	n := d.children[base]
	if n == nil {
		m.mu.Unlock()
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	if n.dir && len(n.children) > 0 {
		m.mu.Unlock()
		return &fs.PathError{Op: "remove", Path: name, Err: errors.New("directory not empty")}
	}
	delete(d.children, base)
	m.unlockAndHook("remove", name)
	return nil
}

// ReadDir implements FS.
func (m *MemFS) ReadDir(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup("readdir", dir)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: errors.New("not a directory")}
	}
	return slices.Sorted(maps.Keys(n.children)), nil
}

// MkdirAll implements FS.
func (m *MemFS) MkdirAll(dir string, perm fs.FileMode) error {
	m.mu.Lock()
	d := m.root
	made := false
	for _, p := range splitPath(dir) {
		c := d.children[p]
		if c == nil {
			c = newMemDir()
			d.children[p] = c
			made = true
		} else if !c.dir {
			m.mu.Unlock()
			return &fs.PathError{Op: "mkdir", Path: dir, Err: errors.New("not a directory")}
		}
		d = c
	}
	if made {
		m.unlockAndHook("mkdir", dir)
	} else {
		m.mu.Unlock()
	}
	return nil
}

// SyncDir implements FS.
func (m *MemFS) SyncDir(dir string) error {
	m.mu.Lock()
	n, err := m.lookup("fsync", dir)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	if !n.dir {
		m.mu.Unlock()
		return &fs.PathError{Op: "fsync", Path: dir, Err: errors.New("not a directory")}
	}
	n.syncedChildren = maps.Clone(n.children)
	m.unlockAndHook("syncdir", dir)
	return nil
}

// CrashClone returns a copy of m holding only what was durable: each
// directory's entries as of its last SyncDir and each file's data as of its
// last Sync. It is the disk a machine finds after losing power now.
func (m *MemFS) CrashClone() *MemFS { return m.CrashCloneWith(nil) }

// CrashCloneWith is CrashClone with torn writes: for every surviving file
// that was not truncated below its synced size since its last sync,
// keep(path, synced, written) says how far the unsynced writes reached the
// disk before the power went, in file order: the file keeps its current bytes
// below the returned offset (between synced, the lowest offset written since
// the last sync, and written, the current size) and its synced bytes from
// there on. For a file that was only appended to, synced is the synced size.
// A nil keep keeps only synced bytes.
func (m *MemFS) CrashCloneWith(keep func(name string, synced, written int) int) *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[*memNode]*memNode{}
	var clone func(n *memNode, name string) *memNode
	clone = func(n *memNode, name string) *memNode {
		if c := seen[n]; c != nil {
			return c
		}
		if n.dir {
			c := newMemDir()
			seen[n] = c
			for _, k := range slices.Sorted(maps.Keys(n.syncedChildren)) {
				cc := clone(n.syncedChildren[k], path.Join(name, k))
				c.children[k] = cc
				c.syncedChildren[k] = cc
			}
			return c
		}
		data := n.synced
		if lo := min(n.dirtyFrom, len(n.data)); keep != nil && !n.shrunk && len(n.data) > lo {
			k := keep(name, lo, len(n.data))
			k = max(lo, min(k, len(n.data)))
			data = slices.Clone(n.data[:k])
			if k < len(n.synced) {
				data = append(data, n.synced[k:]...)
			}
		}
		c := &memNode{data: slices.Clone(data), synced: slices.Clone(data), dirtyFrom: len(data)}
		seen[n] = c
		return c
	}
	return &MemFS{root: clone(m.root, "/")}
}

func (n *memNode) truncate(size int) {
	if size < len(n.synced) {
		n.shrunk = true
	}
	n.dirtyFrom = min(n.dirtyFrom, size)
	if size <= len(n.data) {
		n.data = n.data[:size]
		return
	}
	n.data = append(n.data, make([]byte, size-len(n.data))...)
}

// write copies p into the file at off, extending it with zeros as needed.
func (n *memNode) write(p []byte, off int) {
	n.dirtyFrom = min(n.dirtyFrom, off, len(n.data))
	end := off + len(p)
	if end > len(n.data) {
		n.data = append(n.data, make([]byte, end-len(n.data))...)
	}
	copy(n.data[off:], p)
}

// sync records the file's data as durable.
func (n *memNode) sync() {
	switch {
	case n.shrunk || len(n.synced) > len(n.data):
		n.synced = slices.Clone(n.data)
	default:
		if n.dirtyFrom < len(n.synced) {
			copy(n.synced[n.dirtyFrom:], n.data[n.dirtyFrom:len(n.synced)])
		}
		n.synced = append(n.synced, n.data[len(n.synced):]...)
	}
	n.shrunk = false
	n.dirtyFrom = len(n.data)
}

type memFile struct {
	fs     *MemFS
	node   *memNode
	name   string
	flag   int
	pos    int64
	closed bool
}

func (f *memFile) check(op string, write bool) error {
	if f.closed {
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
	}
	acc := f.flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	if write && acc == os.O_RDONLY || !write && acc == os.O_WRONLY {
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrPermission}
	}
	return nil
}

func (f *memFile) Read(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if f.pos >= int64(len(f.node.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.node.data[f.pos:])
	f.pos += int64(n)
	return n, nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: fs.ErrInvalid}
	}
	if off >= int64(len(f.node.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.node.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	if err := f.check("write", true); err != nil {
		f.fs.mu.Unlock()
		return 0, err
	}
	n := f.node
	if f.flag&os.O_APPEND != 0 {
		f.pos = int64(len(n.data))
	}
	n.write(p, int(f.pos))
	f.pos += int64(len(p))
	f.fs.unlockAndHook("write", f.name)
	return len(p), nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	if err := f.check("write", true); err != nil {
		f.fs.mu.Unlock()
		return 0, err
	}
	if f.flag&os.O_APPEND != 0 {
		f.fs.mu.Unlock()
		return 0, &fs.PathError{Op: "writeat", Path: f.name, Err: errors.New("file opened with O_APPEND")}
	}
	if off < 0 {
		f.fs.mu.Unlock()
		return 0, &fs.PathError{Op: "writeat", Path: f.name, Err: fs.ErrInvalid}
	}
	f.node.write(p, int(off))
	f.fs.unlockAndHook("write", f.name)
	return len(p), nil
}

func (f *memFile) Sync() error { return f.sync("sync") }

func (f *memFile) Datasync() error { return f.sync("datasync") }

func (f *memFile) sync(op string) error {
	f.fs.mu.Lock()
	if f.closed {
		f.fs.mu.Unlock()
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
	}
	f.node.sync()
	f.fs.unlockAndHook(op, f.name)
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	if err := f.check("truncate", true); err != nil {
		f.fs.mu.Unlock()
		return err
	}
	if size < 0 {
		f.fs.mu.Unlock()
		return &fs.PathError{Op: "truncate", Path: f.name, Err: fs.ErrInvalid}
	}
	f.node.truncate(int(size))
	f.fs.unlockAndHook("truncate", f.name)
	return nil
}

func (f *memFile) Size() (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return 0, &fs.PathError{Op: "stat", Path: f.name, Err: fs.ErrClosed}
	}
	return int64(len(f.node.data)), nil
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	return nil
}
