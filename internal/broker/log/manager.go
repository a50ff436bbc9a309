package plog

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ManagerConfig configures a Manager: the broker's log.dirs and the
// log.* settings that are not per topic.
type ManagerConfig struct {
	// Dirs are log.dirs (or log.dir), in the order configured.
	Dirs []string
	// BrokerID is broker.id; it must match every dir's meta.properties.
	// With broker.id.generation (broker.id=-1) the caller settles the id
	// first, from ReadMetaProperties or ZooKeeper.
	BrokerID int32
	// ClusterID is the cluster's ID (ZooKeeper's /cluster/id); "" when not
	// known. When set it must match every meta.properties that records one.
	ClusterID string
	// Log is the default configuration of logs.
	Log Config
	// TopicConfig, when set, returns the configuration of a topic's logs
	// (the defaults with the topic's overrides); else Log is used.
	TopicConfig func(topic string) Config
	// RetentionCheckIntervalMs is log.retention.check.interval.ms (300000).
	RetentionCheckIntervalMs int64
	// FlushSchedulerIntervalMs is log.flush.scheduler.interval.ms: how often
	// logs are checked against their flush.ms (math.MaxInt64: never).
	FlushSchedulerIntervalMs int64
	// FlushOffsetCheckpointIntervalMs is
	// log.flush.offset.checkpoint.interval.ms (60000): how often
	// recovery-point-offset-checkpoint is written.
	FlushOffsetCheckpointIntervalMs int64
	// FlushStartOffsetCheckpointIntervalMs is
	// log.flush.start.offset.checkpoint.interval.ms (60000): how often
	// log-start-offset-checkpoint is written (DeleteRecords writes it at
	// once as well).
	FlushStartOffsetCheckpointIntervalMs int64
	// Logger receives the manager's and logs' messages; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// DefaultManagerConfig returns Kafka's defaults for dirs and broker id.
func DefaultManagerConfig(dirs []string, brokerID int32) ManagerConfig {
	return ManagerConfig{
		Dirs:                                 dirs,
		BrokerID:                             brokerID,
		Log:                                  DefaultConfig(),
		RetentionCheckIntervalMs:             300000,
		FlushSchedulerIntervalMs:             math.MaxInt64,
		FlushOffsetCheckpointIntervalMs:      60000,
		FlushStartOffsetCheckpointIntervalMs: 60000,
	}
}

// Manager owns the partition logs of log.dirs: it opens every partition
// found at start, creates new ones in the dir holding the fewest, removes
// them the way Kafka does, and runs the background work (retention
// checks, time-based flushes, checkpoint files) in one goroutine it stops
// in Close.
//
// In each log dir it keeps Kafka's files: meta.properties, .lock (an
// exclusive flock), .kafka_cleanshutdown (written by Close when every log
// of the dir closed cleanly, removed once the logs are open again),
// recovery-point-offset-checkpoint and log-start-offset-checkpoint.
type Manager struct {
	cfg    ManagerConfig
	logger *slog.Logger
	now    func() time.Time
	codecs *codecs
	dirs   []*logDir

	mu     sync.Mutex
	logs   map[TopicPartition]*managedLog
	closed bool

	ckptMu sync.Mutex // serializes checkpoint file writes

	stop    chan struct{}
	done    chan struct{}
	running bool // run was started (Open succeeded)
}

type logDir struct {
	path string
	lock *os.File
}

type managedLog struct {
	log *Log
	dir *logDir
}

// OpenManager locks and checks every log dir (creating missing ones),
// opens every partition log found in them (recovering those of a dir that
// was not shut down cleanly) and starts the background goroutine.
// meta.properties is written where missing; a dir recording another
// broker.id fails with ErrInconsistentBrokerID, another cluster.id with
// ErrInconsistentClusterID.
func OpenManager(cfg ManagerConfig) (*Manager, error) {
	if len(cfg.Dirs) == 0 {
		return nil, fmt.Errorf("%w: log.dirs is empty", ErrInvalidConfig)
	}
	for key, v := range map[string]int64{
		"log.retention.check.interval.ms":               cfg.RetentionCheckIntervalMs,
		"log.flush.scheduler.interval.ms":               cfg.FlushSchedulerIntervalMs,
		"log.flush.offset.checkpoint.interval.ms":       cfg.FlushOffsetCheckpointIntervalMs,
		"log.flush.start.offset.checkpoint.interval.ms": cfg.FlushStartOffsetCheckpointIntervalMs,
	} {
		if v < 1 {
			return nil, fmt.Errorf("%w: %s=%d: must be >= 1", ErrInvalidConfig, key, v)
		}
	}
	if err := cfg.Log.Validate(); err != nil {
		return nil, err
	}
	m := &Manager{
		cfg: cfg, logger: cfg.Logger, now: cfg.Now, codecs: newCodecs(),
		logs: make(map[TopicPartition]*managedLog),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	ok := false
	defer func() {
		if !ok {
			m.abandon()
		}
	}()
	seen := make(map[string]bool)
	for _, d := range cfg.Dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		if seen[abs] {
			return nil, fmt.Errorf("%w: log dir %s is listed twice", ErrInvalidConfig, d)
		}
		seen[abs] = true
		ld, err := m.openDir(d)
		if err != nil {
			return nil, err
		}
		m.dirs = append(m.dirs, ld)
	}
	if err := m.checkMeta(); err != nil {
		return nil, err
	}
	clean := make([]bool, len(m.dirs))
	for i, ld := range m.dirs {
		_, err := os.Stat(filepath.Join(ld.path, cleanShutdownFile))
		clean[i] = err == nil
		if err := m.loadDir(ld, clean[i]); err != nil {
			return nil, err
		}
	}
	// The logs are open: from now on a crash is not a clean shutdown.
	for i, ld := range m.dirs {
		if !clean[i] {
			continue
		}
		if err := os.Remove(filepath.Join(ld.path, cleanShutdownFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if err := syncDir(ld.path); err != nil {
			return nil, err
		}
	}
	ok = true
	m.running = true
	go m.run()
	return m, nil
}

// openDir creates and locks one log dir.
func (m *Manager) openDir(path string) (*logDir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("log dir %s: %w", path, err)
	}
	f, err := os.OpenFile(filepath.Join(path, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("log dir %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s: another broker uses this directory", ErrLogDirLocked, path)
		}
		return nil, fmt.Errorf("log dir %s: locking: %w", path, err)
	}
	return &logDir{path: path, lock: f}, nil
}

// checkMeta checks and completes every dir's meta.properties.
func (m *Manager) checkMeta() error {
	clusterID := m.cfg.ClusterID
	for _, ld := range m.dirs {
		mp, found, err := ReadMetaProperties(ld.path)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		if mp.BrokerID != m.cfg.BrokerID {
			return fmt.Errorf("%w: configured broker.id %d doesn't match stored broker.id %d in meta.properties of %s; if you moved your data, make sure your configured broker.id matches",
				ErrInconsistentBrokerID, m.cfg.BrokerID, mp.BrokerID, ld.path)
		}
		if mp.ClusterID != "" {
			if clusterID != "" && mp.ClusterID != clusterID {
				return fmt.Errorf("%w: the cluster ID %s doesn't match stored cluster.id %s in meta.properties of %s; the broker is trying to join the wrong cluster",
					ErrInconsistentClusterID, clusterID, mp.ClusterID, ld.path)
			}
			clusterID = mp.ClusterID
		}
	}
	for _, ld := range m.dirs {
		mp, found, err := ReadMetaProperties(ld.path)
		if err != nil {
			return err
		}
		if found && mp.ClusterID == clusterID {
			continue
		}
		mp = MetaProperties{Version: 0, BrokerID: m.cfg.BrokerID, ClusterID: clusterID}
		if err := WriteMetaProperties(ld.path, mp, m.now()); err != nil {
			return fmt.Errorf("log dir %s: %w", ld.path, err)
		}
	}
	return nil
}

// loadDir opens every partition log of one dir.
func (m *Manager) loadDir(ld *logDir, clean bool) error {
	rps, err := ReadOffsetCheckpoint(filepath.Join(ld.path, recoveryPointFile))
	if err != nil {
		m.logger.Warn("unreadable recovery point checkpoint; recovering every segment", "dir", ld.path, "err", err)
		rps, clean = map[TopicPartition]int64{}, false
	}
	starts, err := ReadOffsetCheckpoint(filepath.Join(ld.path, logStartOffsetFile))
	if err != nil {
		m.logger.Warn("unreadable log start offset checkpoint", "dir", ld.path, "err", err)
		starts = map[TopicPartition]int64{}
	}
	entries, err := os.ReadDir(ld.path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		path := filepath.Join(ld.path, name)
		switch {
		case strings.HasSuffix(name, deleteDirSuffix):
			m.logger.Info("removing partition deleted before the restart", "dir", path)
			if err := os.RemoveAll(path); err != nil {
				return err
			}
			continue
		case strings.HasSuffix(name, futureDirSuffix), strings.HasSuffix(name, strayDirSuffix):
			m.logger.Warn("ignoring future or stray partition directory", "dir", path)
			continue
		}
		tp, ok := ParseTopicPartition(name)
		if !ok {
			m.logger.Warn("ignoring directory that is not <topic>-<partition>", "dir", path)
			continue
		}
		if other, dup := m.logs[tp]; dup {
			return fmt.Errorf("%w: partition %s has directories in both %s and %s", ErrCorruptLog, tp, other.dir.path, ld.path)
		}
		l, err := OpenWithOptions(path, m.configFor(tp.Topic), Options{
			Logger: m.logger, CleanShutdown: clean, RecoveryPoint: rps[tp], LogStartOffset: starts[tp],
			OnLogStartOffsetChange: m.logStartChanged, Now: m.now, codecs: m.codecs,
		})
		if err != nil {
			return fmt.Errorf("opening %s: %w", path, err)
		}
		m.logs[tp] = &managedLog{log: l, dir: ld}
	}
	return nil
}

func (m *Manager) configFor(topic string) Config {
	if m.cfg.TopicConfig != nil {
		return m.cfg.TopicConfig(topic)
	}
	return m.cfg.Log
}

// Dirs returns the log dirs in the order configured.
func (m *Manager) Dirs() []string {
	out := make([]string, len(m.dirs))
	for i, d := range m.dirs {
		out[i] = d.path
	}
	return out
}

// Get returns the log of a partition.
func (m *Manager) Get(topic string, partition int32) (*Log, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ml, ok := m.logs[TopicPartition{topic, partition}]
	if !ok {
		return nil, false
	}
	return ml.log, true
}

// Logs returns every open log.
func (m *Manager) Logs() []*Log {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Log, 0, len(m.logs))
	for _, ml := range m.logs {
		out = append(out, ml.log)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	return out
}

// validTopic applies Kafka's topic name rules.
func validTopic(t string) bool {
	if t == "" || t == "." || t == ".." || len(t) > 249 {
		return false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Create returns the partition's log, creating it when missing in the log
// dir that holds the fewest partitions (the first listed on ties), with
// the topic's configuration.
func (m *Manager) Create(topic string, partition int32) (*Log, error) {
	if !validTopic(topic) || partition < 0 {
		return nil, fmt.Errorf("%w: %q partition %d", ErrInvalidTopic, topic, partition)
	}
	tp := TopicPartition{topic, partition}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if ml, ok := m.logs[tp]; ok {
		return ml.log, nil
	}
	counts := make(map[*logDir]int)
	for _, ml := range m.logs {
		counts[ml.dir]++
	}
	best := m.dirs[0]
	for _, d := range m.dirs[1:] {
		if counts[d] < counts[best] {
			best = d
		}
	}
	path := filepath.Join(best.path, tp.String())
	l, err := OpenWithOptions(path, m.configFor(topic), Options{
		Logger: m.logger, OnLogStartOffsetChange: m.logStartChanged, Now: m.now, codecs: m.codecs,
	})
	if err != nil {
		return nil, err
	}
	if err := syncDir(best.path); err != nil {
		l.abandon()
		return nil, err
	}
	m.logs[tp] = &managedLog{log: l, dir: best}
	m.logger.Info("created log", "partition", tp.String(), "dir", best.path)
	return l, nil
}

// Remove deletes a partition's log as Kafka does: the log is closed, its
// directory renamed to "<topic>-<partition>.<uuid>-delete" (so a crash
// midway leaves a name the next start removes) and then removed.
func (m *Manager) Remove(topic string, partition int32) error {
	tp := TopicPartition{topic, partition}
	m.mu.Lock()
	ml, ok := m.logs[tp]
	if ok {
		delete(m.logs, tp)
	}
	m.mu.Unlock()
	if !ok {
		return nil
	}
	ml.log.abandon()
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return err
	}
	suffix := fmt.Sprintf("-%d.%s%s", partition, hex.EncodeToString(u[:]), deleteDirSuffix)
	prefix := topic[:min(len(topic), 255-len(suffix))]
	deleted := filepath.Join(ml.dir.path, prefix+suffix)
	if err := os.Rename(ml.log.dir, deleted); err != nil {
		return err
	}
	if err := syncDir(ml.dir.path); err != nil {
		return err
	}
	m.logger.Info("deleting log", "partition", tp.String(), "dir", deleted)
	if err := os.RemoveAll(deleted); err != nil {
		return err
	}
	// Drop the partition from the checkpoints too.
	return errors.Join(m.checkpointDir(ml.dir, recoveryPointFile), m.checkpointDir(ml.dir, logStartOffsetFile))
}

// RunRetention applies retention to every log (what the retention check
// every log.retention.check.interval.ms does) and returns the number of
// segments deleted.
func (m *Manager) RunRetention(now time.Time) (int, error) {
	total := 0
	var errs []error
	for _, l := range m.Logs() {
		n, err := l.ApplyRetention(now)
		total += n
		if err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, fmt.Errorf("retention of %s: %w", l.tp, err))
		}
	}
	return total, errors.Join(errs...)
}

// FlushDue flushes every log not flushed for its flush.ms (what the flush
// scheduler does every log.flush.scheduler.interval.ms).
func (m *Manager) FlushDue(now time.Time) error {
	var errs []error
	for _, l := range m.Logs() {
		cfg := l.Config()
		if l.UnflushedMessages() == 0 || now.Sub(l.LastFlush()).Milliseconds() < cfg.FlushMs {
			continue
		}
		if err := l.Flush(); err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, fmt.Errorf("flush of %s: %w", l.tp, err))
		}
	}
	return errors.Join(errs...)
}

// Checkpoint writes recovery-point-offset-checkpoint and
// log-start-offset-checkpoint in every log dir.
func (m *Manager) Checkpoint() error {
	var errs []error
	for _, d := range m.dirs {
		errs = append(errs, m.checkpointDir(d, recoveryPointFile), m.checkpointDir(d, logStartOffsetFile))
	}
	return errors.Join(errs...)
}

// checkpointDir writes one checkpoint file of one dir.
func (m *Manager) checkpointDir(d *logDir, file string) error {
	m.ckptMu.Lock()
	defer m.ckptMu.Unlock()
	offsets := make(map[TopicPartition]int64)
	m.mu.Lock()
	logs := make(map[TopicPartition]*Log)
	for tp, ml := range m.logs {
		if ml.dir == d {
			logs[tp] = ml.log
		}
	}
	m.mu.Unlock()
	for tp, l := range logs {
		if file == recoveryPointFile {
			offsets[tp] = l.RecoveryPoint()
		} else if o, ok := l.startOffsetCheckpoint(); ok {
			offsets[tp] = o
		}
	}
	if err := WriteOffsetCheckpoint(filepath.Join(d.path, file), offsets); err != nil {
		return fmt.Errorf("writing %s in %s: %w", file, d.path, err)
	}
	return nil
}

// logStartChanged persists a log's new log start offset at once.
func (m *Manager) logStartChanged(l *Log) {
	m.mu.Lock()
	ml, ok := m.logs[l.tp]
	m.mu.Unlock()
	if !ok || ml.log != l {
		return
	}
	if err := m.checkpointDir(ml.dir, logStartOffsetFile); err != nil {
		m.logger.Error("persisting log start offset", "partition", l.tp.String(), "err", err)
	}
}

// run is the background goroutine: retention, time-based flushes and
// checkpoints, each on its own interval.
func (m *Manager) run() {
	defer close(m.done)
	tick := func(ms int64) (*time.Ticker, <-chan time.Time) {
		if ms >= math.MaxInt64/int64(time.Millisecond) {
			return nil, nil // never
		}
		t := time.NewTicker(time.Duration(ms) * time.Millisecond)
		return t, t.C
	}
	var tickers []*time.Ticker
	add := func(t *time.Ticker, c <-chan time.Time) <-chan time.Time {
		if t != nil {
			tickers = append(tickers, t)
		}
		return c
	}
	retention := add(tick(m.cfg.RetentionCheckIntervalMs))
	flush := add(tick(m.cfg.FlushSchedulerIntervalMs))
	recovery := add(tick(m.cfg.FlushOffsetCheckpointIntervalMs))
	starts := add(tick(m.cfg.FlushStartOffsetCheckpointIntervalMs))
	defer func() {
		for _, t := range tickers {
			t.Stop()
		}
	}()
	for {
		select {
		case <-m.stop:
			return
		case <-retention:
			if _, err := m.RunRetention(m.now()); err != nil {
				m.logger.Error("retention check", "err", err)
			}
		case <-flush:
			if err := m.FlushDue(m.now()); err != nil {
				m.logger.Error("scheduled flush", "err", err)
			}
		case <-recovery:
			for _, d := range m.dirs {
				if err := m.checkpointDir(d, recoveryPointFile); err != nil {
					m.logger.Error("recovery point checkpoint", "err", err)
				}
			}
		case <-starts:
			for _, d := range m.dirs {
				if err := m.checkpointDir(d, logStartOffsetFile); err != nil {
					m.logger.Error("log start offset checkpoint", "err", err)
				}
			}
		}
	}
}

// Close stops the background goroutine, closes every log (flushing it),
// writes the checkpoints and, in each dir whose logs all closed cleanly,
// the clean-shutdown marker .kafka_cleanshutdown, then unlocks the dirs.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	close(m.stop)
	<-m.done
	var errs []error
	for _, d := range m.dirs {
		// The log start offsets first: they need the open segment list.
		errs = append(errs, m.checkpointDir(d, logStartOffsetFile))
	}
	failed := make(map[*logDir]bool)
	m.mu.Lock()
	logs := make([]*managedLog, 0, len(m.logs))
	for _, ml := range m.logs {
		logs = append(logs, ml)
	}
	m.mu.Unlock()
	for _, ml := range logs {
		if err := ml.log.Close(); err != nil {
			failed[ml.dir] = true
			errs = append(errs, fmt.Errorf("closing %s: %w", ml.log.tp, err))
		}
	}
	for _, d := range m.dirs {
		if err := m.checkpointDir(d, recoveryPointFile); err != nil {
			failed[d] = true
			errs = append(errs, err)
		}
		if !failed[d] {
			marker := []byte(`{"version":0,"brokerEpoch":-1}`)
			errs = append(errs, writeFileAtomic(filepath.Join(d.path, cleanShutdownFile), marker, true))
		}
	}
	m.unlockDirs()
	return errors.Join(errs...)
}

// abandon drops the manager as a crash would (no flush, no checkpoints,
// no clean-shutdown marker): it stops the background goroutine, if Open
// started it, and releases the logs and dir locks. A failed Open uses it too.
func (m *Manager) abandon() {
	m.mu.Lock()
	stop := m.running && !m.closed
	m.closed = true
	m.mu.Unlock()
	if stop {
		// The background goroutine would otherwise keep ticking on
		// directories that may be gone (and log through a finished test).
		close(m.stop)
		<-m.done
	}
	for _, ml := range m.logs {
		ml.log.abandon()
	}
	m.unlockDirs()
}

func (m *Manager) unlockDirs() {
	for _, d := range m.dirs {
		if d.lock != nil {
			syscall.Flock(int(d.lock.Fd()), syscall.LOCK_UN)
			d.lock.Close()
			d.lock = nil
		}
	}
}
