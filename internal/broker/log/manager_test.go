package plog

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/testkit/wait"
)

func testManagerConfig(t testing.TB, dirs ...string) ManagerConfig {
	cfg := DefaultManagerConfig(dirs, 1)
	cfg.ClusterID = "MkU3OEVBNTcwNTJENDM2Qg"
	cfg.Logger = testLogger(t)
	return cfg
}

func openManager(t testing.TB, cfg ManagerConfig) *Manager {
	t.Helper()
	m, err := OpenManager(cfg)
	if err != nil {
		t.Fatalf("OpenManager: %v", err)
	}
	return m
}

func TestManagerDirBalancing(t *testing.T) {
	root := t.TempDir()
	dirs := []string{filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c")}
	m := openManager(t, testManagerConfig(t, dirs...))
	wantDir := []int{0, 1, 2, 0, 1, 2, 0}
	for p, want := range wantDir {
		l, err := m.Create("events", int32(p))
		if err != nil {
			t.Fatal(err)
		}
		if got := filepath.Dir(l.Dir()); got != dirs[want] {
			t.Fatalf("partition %d in %s, want %s", p, got, dirs[want])
		}
		if filepath.Base(l.Dir()) != "events-"+formatPartition(p) {
			t.Fatalf("dir name %s", l.Dir())
		}
	}
	// Create is idempotent.
	l0, _ := m.Get("events", 0)
	if again, _ := m.Create("events", 0); again != l0 {
		t.Fatal("Create made a second log")
	}
	// Unbalance: remove two partitions of dir b; the next two go there.
	for _, p := range []int32{1, 4} {
		if err := m.Remove("events", p); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []int32{10, 11} {
		l, _ := m.Create("other", p)
		if filepath.Dir(l.Dir()) != dirs[1] {
			t.Fatalf("partition %d went to %s", p, l.Dir())
		}
	}
	if _, err := m.Create("../etc", 0); err == nil {
		t.Fatal("accepted a bad topic name")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// The same logs are found at restart, wherever they are.
	m = openManager(t, testManagerConfig(t, dirs...))
	defer m.Close()
	if n := len(m.Logs()); n != 7 {
		t.Fatalf("%d logs after restart", n)
	}
	if l, ok := m.Get("other", 11); !ok || filepath.Dir(l.Dir()) != dirs[1] {
		t.Fatal("other-11 not found in b")
	}
}

func formatPartition(p int) string { return TopicPartition{"", int32(p)}.String()[1:] }

func TestManagerMetaProperties(t *testing.T) {
	root := t.TempDir()
	dirs := []string{filepath.Join(root, "a"), filepath.Join(root, "b")}
	cfg := testManagerConfig(t, dirs...)
	m := openManager(t, cfg)
	m.Close()
	for _, d := range dirs {
		mp, ok, err := ReadMetaProperties(d)
		if err != nil || !ok || mp != (MetaProperties{Version: 0, BrokerID: 1, ClusterID: cfg.ClusterID}) {
			t.Fatalf("%s: %+v %v %v", d, mp, ok, err)
		}
		raw, _ := os.ReadFile(filepath.Join(d, metaPropertiesFile))
		if !strings.HasPrefix(string(raw), "#\n#") || !strings.Contains(string(raw), "\nbroker.id=1\n") || !strings.Contains(string(raw), "version=0\n") {
			t.Fatalf("meta.properties = %q", raw)
		}
	}
	bad := cfg
	bad.BrokerID = 2
	_, err := OpenManager(bad)
	wantErr(t, err, ErrInconsistentBrokerID)
	bad = cfg
	bad.ClusterID = "other"
	_, err = OpenManager(bad)
	wantErr(t, err, ErrInconsistentClusterID)
	// An unknown cluster id is taken from the dirs; a dir without
	// meta.properties gets one.
	os.Remove(filepath.Join(dirs[1], metaPropertiesFile))
	unknown := cfg
	unknown.ClusterID = ""
	m = openManager(t, unknown)
	m.Close()
	if mp, _, _ := ReadMetaProperties(dirs[1]); mp.ClusterID != cfg.ClusterID {
		t.Fatalf("cluster id %q", mp.ClusterID)
	}
	// A file as Kafka writes it (keys in any order, comments).
	os.WriteFile(filepath.Join(dirs[0], metaPropertiesFile), []byte("#\n#Tue Mar 05 10:00:00 UTC 2024\nbroker.id=1\nversion=0\ncluster.id="+cfg.ClusterID+"\n"), 0o644)
	m = openManager(t, cfg)
	m.Close()
	// A KRaft dir is refused.
	os.WriteFile(filepath.Join(dirs[0], metaPropertiesFile), []byte("node.id=1\nversion=1\ncluster.id=x\n"), 0o644)
	if _, err := OpenManager(cfg); err == nil {
		t.Fatal("opened a KRaft dir")
	}
}

func TestManagerLock(t *testing.T) {
	dir := t.TempDir()
	m := openManager(t, testManagerConfig(t, dir))
	_, err := OpenManager(testManagerConfig(t, dir))
	wantErr(t, err, ErrLogDirLocked)
	m.Close()
	m = openManager(t, testManagerConfig(t, dir))
	m.Close()
}

func TestManagerRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testManagerConfig(t, dir)
	cfg.Log.SegmentBytes = 1000
	m := openManager(t, cfg)
	l, _ := m.Create("t", 0)
	if got := m.Dirs(); len(got) != 1 || got[0] != dir || l.TopicPartition() != (TopicPartition{"t", 0}) {
		t.Fatalf("Dirs %v, partition %v", got, l.TopicPartition())
	}
	for range 10 {
		mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(2, 100, t0.UnixMilli())), 0, t0)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := m.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if rp, _ := ReadOffsetCheckpoint(filepath.Join(dir, recoveryPointFile)); rp[TopicPartition{"t", 0}] != 20 {
		t.Fatalf("recovery points %v", rp)
	}
	if err := l.DeleteRecordsBefore(7); err != nil {
		t.Fatal(err)
	}
	// DeleteRecords is persisted at once.
	starts, err := ReadOffsetCheckpoint(filepath.Join(dir, logStartOffsetFile))
	if err != nil || starts[TopicPartition{"t", 0}] != 7 {
		t.Fatalf("log-start-offset-checkpoint: %v %v", starts, err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, cleanShutdownFile)); err != nil {
		t.Fatal("no clean shutdown marker")
	}
	raw, _ := os.ReadFile(filepath.Join(dir, recoveryPointFile))
	if string(raw) != "0\n1\nt 0 20\n" {
		t.Fatalf("recovery-point-offset-checkpoint = %q", raw)
	}
	m = openManager(t, cfg)
	if _, err := os.Stat(filepath.Join(dir, cleanShutdownFile)); !os.IsNotExist(err) {
		t.Fatal("clean shutdown marker kept while running")
	}
	l, ok := m.Get("t", 0)
	if !ok || l.LogStartOffset() != 7 || l.LogEndOffset() != 20 {
		t.Fatalf("after restart: %v [%d, %d]", ok, l.LogStartOffset(), l.LogEndOffset())
	}
	mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(2, 100, t0.UnixMilli())), 0, t0)
	if err := l.DeleteRecordsBefore(21); err != nil {
		t.Fatal(err)
	}
	// A crash: no Close, no marker. The start offset survives; the tail is
	// recovered.
	m.abandon()
	m = openManager(t, cfg)
	defer m.Close()
	l, _ = m.Get("t", 0)
	if l.LogStartOffset() != 21 || l.LogEndOffset() != 22 {
		t.Fatalf("after crash: [%d, %d]", l.LogStartOffset(), l.LogEndOffset())
	}
}

func TestManagerRemove(t *testing.T) {
	dir := t.TempDir()
	cfg := testManagerConfig(t, dir)
	m := openManager(t, cfg)
	l, _ := m.Create("gone", 3)
	mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(1, 10, 0)), 0, t0)
	if err := m.Remove("gone", 3); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Get("gone", 3); ok {
		t.Fatal("still listed")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "gone") {
			t.Fatalf("left %s", e.Name())
		}
	}
	_, err := l.Append(makeBatch(t, codecNone, simpleRecs(1, 10, 0)), 0, t0)
	wantErr(t, err, ErrClosed)
	m.Close()
	// A deletion interrupted by a crash is finished at start; strange
	// directories are ignored.
	os.MkdirAll(filepath.Join(dir, "gone-3.0123456789abcdef0123456789abcdef-delete"), 0o755)
	os.MkdirAll(filepath.Join(dir, "lost+found"), 0o755)
	m = openManager(t, cfg)
	defer m.Close()
	if _, err := os.Stat(filepath.Join(dir, "gone-3.0123456789abcdef0123456789abcdef-delete")); !os.IsNotExist(err) {
		t.Fatal("-delete dir kept")
	}
	if len(m.Logs()) != 0 {
		t.Fatal("found logs")
	}
}

func TestManagerBackground(t *testing.T) {
	dir := t.TempDir()
	cfg := testManagerConfig(t, dir)
	cfg.Log.SegmentBytes = 1000
	cfg.Log.RetentionMs = 0
	cfg.Log.FlushMs = 0
	cfg.RetentionCheckIntervalMs = 5
	cfg.FlushSchedulerIntervalMs = 5
	cfg.FlushOffsetCheckpointIntervalMs = 5
	m := openManager(t, cfg)
	defer m.Close()
	l, _ := m.Create("bg", 0)
	for range 10 {
		mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(2, 100, 1000)), 0, t0)
	}
	wait.For(t, 10*time.Second, "retention", func() bool { return l.LogStartOffset() == 20 && l.Size() == 0 })
	keep := l.Config()
	keep.RetentionMs = -1
	if err := l.SetConfig(keep); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, makeBatch(t, codecNone, simpleRecs(2, 100, time.Now().UnixMilli())), 0, time.Now())
	wait.For(t, 10*time.Second, "flush", func() bool { return l.RecoveryPoint() == 22 })
	wait.For(t, 10*time.Second, "checkpoint", func() bool {
		cp, _ := ReadOffsetCheckpoint(filepath.Join(dir, recoveryPointFile))
		return cp[TopicPartition{"bg", 0}] == 22
	})
}

func TestCheckpointFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "replication-offset-checkpoint")
	// As Kafka writes it.
	os.WriteFile(path, []byte("0\n3\nmy-topic 0 1234\nmy-topic 1 99\n__consumer_offsets 49 0\n"), 0o644)
	got, err := ReadOffsetCheckpoint(path)
	if err != nil || len(got) != 3 || got[TopicPartition{"my-topic", 0}] != 1234 || got[TopicPartition{"__consumer_offsets", 49}] != 0 {
		t.Fatalf("%v %v", got, err)
	}
	if err := WriteOffsetCheckpoint(path, got); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if string(raw) != "0\n3\n__consumer_offsets 49 0\nmy-topic 0 1234\nmy-topic 1 99\n" {
		t.Fatalf("%q", raw)
	}
	for _, bad := range []string{"1\n0\n", "0\n2\na 0 1\n", "0\n1\na b c\n", "0\n"} {
		os.WriteFile(path, []byte(bad), 0o644)
		if _, err := ReadOffsetCheckpoint(path); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if m, err := ReadOffsetCheckpoint(filepath.Join(dir, "missing")); err != nil || len(m) != 0 {
		t.Fatal("missing file")
	}
	for name, tp := range map[string]TopicPartition{"a-b-c-12": {"a-b-c", 12}, "x-0": {"x", 0}} {
		if got, ok := ParseTopicPartition(name); !ok || got != tp || tp.String() != name {
			t.Errorf("%s: %v", name, got)
		}
	}
	for _, bad := range []string{"nodash", "-1", "t-", "t-x", "t-+1", "t-1x"} {
		if _, ok := ParseTopicPartition(bad); ok {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestConcurrentAppendRead(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 4000
	cfg.IndexIntervalBytes = 256
	cfg.RetentionBytes = 20000
	l := openTest(t, filepath.Join(t.TempDir(), "t-0"), cfg)
	defer l.Close()
	const appends = 300
	done := make(chan struct{})
	errs := make(chan error, 8)
	go func() { // the writer
		defer close(done)
		for i := range appends {
			b := makeBatch(t, []int{codecNone, codecLZ4}[i%2], simpleRecs(1+i%4, 40, t0.UnixMilli()+int64(i)))
			if _, err := l.Append(b, int32(i/50), t0); err != nil {
				errs <- err
				return
			}
			if i%25 == 0 {
				if _, err := l.ApplyRetention(t0); err != nil {
					errs <- err
					return
				}
			}
			if i%40 == 0 {
				if err := l.Flush(); err != nil {
					errs <- err
					return
				}
			}
		}
	}()
	reader := func(seed int64) {
		off := seed
		for {
			select {
			case <-done:
				errs <- nil
				return
			default:
			}
			lso, leo := l.LogStartOffset(), l.LogEndOffset()
			if leo == 0 {
				continue
			}
			off = lso + (off*7919+13)%(leo-lso+1)
			res, err := l.Read(off, 2000, math.MaxInt64)
			if err != nil {
				if errorsIsOutOfRange(err) {
					continue // retention moved the start meanwhile
				}
				errs <- err
				return
			}
			for b := res.Records; len(b) > 0; {
				size, err := frameBatch(b)
				if err == nil {
					err = checkCRC(b[:size])
				}
				if err != nil {
					errs <- err
					return
				}
				b = b[size:]
			}
			if len(res.Records) > 0 && hdr(res.Records).lastOffset() < off {
				errs <- errorf("read at %d returned a batch ending at %d", off, hdr(res.Records).lastOffset())
				return
			}
			l.OffsetForTimestamp(t0.UnixMilli() + off%appends)
			l.EndOffsetForEpoch(int32(off % 7))
		}
	}
	for i := range 3 {
		go reader(int64(i))
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if l.LogStartOffset() == 0 {
		t.Fatal("retention never ran")
	}
}

func errorsIsOutOfRange(err error) bool { return errors.Is(err, ErrOffsetOutOfRange) }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func TestConcurrentTruncateRead(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 3000
	cfg.IndexIntervalBytes = 200
	l := openTest(t, filepath.Join(t.TempDir(), "t-0"), cfg)
	defer l.Close()
	done := make(chan struct{})
	errs := make(chan error, 4)
	go func() { // a follower: appends, sometimes truncates back
		defer close(done)
		for i := range 400 {
			b := makeBatch(t, codecNone, simpleRecs(1+i%3, 30, t0.UnixMilli()))
			hdr(b).setBaseOffset(l.LogEndOffset())
			hdr(b).setLeaderEpoch(int32(i / 100))
			if _, err := l.AppendAsFollower(b); err != nil {
				errs <- err
				return
			}
			if i%13 == 12 {
				if err := l.TruncateTo(max(l.LogEndOffset()-int64(i%17), 0)); err != nil {
					errs <- err
					return
				}
			}
		}
	}()
	for r := range 2 {
		go func() {
			for n := int64(r); ; n++ {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				leo := l.LogEndOffset()
				off := (n * 31) % (leo + 1)
				res, err := l.Read(off, 1500, math.MaxInt64)
				if err != nil {
					if errorsIsOutOfRange(err) {
						continue
					}
					errs <- err
					return
				}
				for b := res.Records; len(b) > 0; {
					size, err := frameBatch(b)
					if err == nil {
						err = checkCRC(b[:size])
					}
					if err != nil {
						errs <- fmt.Errorf("read at %d: %w", off, err)
						return
					}
					b = b[size:]
				}
			}
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	// What is left reads back whole and in order.
	prev := int64(-1)
	for _, b := range readAll(t, l) {
		if hdr(b).baseOffset() <= prev {
			t.Fatal("offsets not increasing")
		}
		prev = hdr(b).lastOffset()
	}
}
