package plog

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zkafka/zkafka/internal/config"
)

// File names Kafka uses; frozen.
const (
	logSuffix       = ".log"
	indexSuffix     = ".index"
	timeIndexSuffix = ".timeindex"
	deletedSuffix   = ".deleted"
	tmpSuffix       = ".tmp"
	cleanedSuffix   = ".cleaned"
	swapSuffix      = ".swap"

	leaderEpochFile       = "leader-epoch-checkpoint"
	partitionMetadataFile = "partition.metadata"

	// In each log dir.
	metaPropertiesFile       = "meta.properties"
	lockFile                 = ".lock"
	cleanShutdownFile        = ".kafka_cleanshutdown"
	recoveryPointFile        = "recovery-point-offset-checkpoint"
	logStartOffsetFile       = "log-start-offset-checkpoint"
	deleteDirSuffix          = "-delete"
	futureDirSuffix          = "-future"
	strayDirSuffix           = "-stray"
	checkpointVersion        = 0
	partitionMetadataVersion = 0
)

// ReplicationOffsetFile is the name of the checkpoint file, in each log
// dir, of the partitions' high watermarks. The replica layer keeps it with
// ReadOffsetCheckpoint and WriteOffsetCheckpoint.
const ReplicationOffsetFile = "replication-offset-checkpoint"

// segmentName returns the file name of the segment file with base offset
// base and the given suffix: the offset as 20 zero-padded decimal digits.
func segmentName(base int64, suffix string) string {
	return fmt.Sprintf("%020d%s", base, suffix)
}

// parseSegmentName returns the base offset of a segment file name with the
// given suffix.
func parseSegmentName(name, suffix string) (int64, bool) {
	s, ok := strings.CutSuffix(name, suffix)
	if !ok || len(s) != 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// writeFileAtomic replaces path with data: it writes path.tmp, fsyncs it
// when sync is set, renames it over path and (when sync) fsyncs the
// directory, so a crash leaves either the old or the new content.
func writeFileAtomic(path string, data []byte, sync bool) error {
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if sync {
		return syncDir(filepath.Dir(path))
	}
	return nil
}

// syncDir fsyncs a directory so that entries created, renamed or removed
// in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// String returns the partition's directory name, "<topic>-<partition>".
func (tp TopicPartition) String() string {
	return tp.Topic + "-" + strconv.FormatInt(int64(tp.Partition), 10)
}

// ParseTopicPartition parses a partition directory name "<topic>-<partition>"
// (the topic may itself contain '-').
func ParseTopicPartition(name string) (TopicPartition, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || i == len(name)-1 {
		return TopicPartition{}, false
	}
	p, err := strconv.ParseInt(name[i+1:], 10, 32)
	if err != nil || p < 0 || name[i+1] == '+' {
		return TopicPartition{}, false
	}
	return TopicPartition{Topic: name[:i], Partition: int32(p)}, true
}

// ReadOffsetCheckpoint reads a Kafka offset checkpoint file
// (recovery-point-offset-checkpoint, log-start-offset-checkpoint,
// replication-offset-checkpoint):
//
//	0                 version
//	2                 number of entries
//	my-topic 0 1234   topic partition offset, one per line
//	my-topic 1 99
//
// A missing file is an empty map; a malformed one wraps ErrCorruptLog.
func ReadOffsetCheckpoint(path string) (map[TopicPartition]int64, error) {
	out := make(map[TopicPartition]int64)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	lines, err := checkpointLines(path, b)
	if err != nil {
		return nil, err
	}
	for _, ln := range lines {
		f := strings.Fields(ln)
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: %s: malformed line %q", ErrCorruptLog, path, ln)
		}
		p, err1 := strconv.ParseInt(f[1], 10, 32)
		o, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: %s: malformed line %q", ErrCorruptLog, path, ln)
		}
		out[TopicPartition{f[0], int32(p)}] = o
	}
	return out, nil
}

// WriteOffsetCheckpoint atomically replaces a Kafka offset checkpoint file
// (format in ReadOffsetCheckpoint), fsynced, entries sorted by topic and
// partition.
func WriteOffsetCheckpoint(path string, offsets map[TopicPartition]int64) error {
	tps := make([]TopicPartition, 0, len(offsets))
	for tp := range offsets {
		tps = append(tps, tp)
	}
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d\n%d\n", checkpointVersion, len(tps))
	for _, tp := range tps {
		fmt.Fprintf(&b, "%s %d %d\n", tp.Topic, tp.Partition, offsets[tp])
	}
	return writeFileAtomic(path, b.Bytes(), true)
}

// checkpointLines checks the version and count lines of a checkpoint file
// and returns its entry lines.
func checkpointLines(path string, b []byte) ([]string, error) {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if ln := strings.TrimSpace(sc.Text()); ln != "" {
			lines = append(lines, ln)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptLog, path, err)
	}
	if len(lines) < 2 {
		return nil, fmt.Errorf("%w: %s: missing version or entry count", ErrCorruptLog, path)
	}
	if v, err := strconv.Atoi(lines[0]); err != nil || v != checkpointVersion {
		return nil, fmt.Errorf("%w: %s: unknown version %q", ErrCorruptLog, path, lines[0])
	}
	n, err := strconv.Atoi(lines[1])
	if err != nil || n != len(lines)-2 {
		return nil, fmt.Errorf("%w: %s: says %q entries, holds %d", ErrCorruptLog, path, lines[1], len(lines)-2)
	}
	return lines[2:], nil
}

// epochEntry is one line of leader-epoch-checkpoint: the first offset
// written in a leader epoch.
type epochEntry struct {
	epoch       int32
	startOffset int64
}

// readEpochCheckpoint reads leader-epoch-checkpoint:
//
//	0        version
//	2        number of entries
//	0 0      epoch start-offset
//	3 1520
func readEpochCheckpoint(path string) ([]epochEntry, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lines, err := checkpointLines(path, b)
	if err != nil {
		return nil, err
	}
	out := make([]epochEntry, 0, len(lines))
	for _, ln := range lines {
		f := strings.Fields(ln)
		if len(f) != 2 {
			return nil, fmt.Errorf("%w: %s: malformed line %q", ErrCorruptLog, path, ln)
		}
		e, err1 := strconv.ParseInt(f[0], 10, 32)
		o, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || e < 0 || o < 0 {
			return nil, fmt.Errorf("%w: %s: malformed line %q", ErrCorruptLog, path, ln)
		}
		out = append(out, epochEntry{int32(e), o})
	}
	return out, nil
}

func writeEpochCheckpoint(path string, entries []epochEntry) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d\n%d\n", checkpointVersion, len(entries))
	for _, e := range entries {
		fmt.Fprintf(&b, "%d %d\n", e.epoch, e.startOffset)
	}
	return writeFileAtomic(path, b.Bytes(), true)
}

// TopicIDString renders a topic ID as Kafka's Uuid.toString does: URL-safe
// base64 without padding (22 characters).
func TopicIDString(id [16]byte) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// ParseTopicID parses the form TopicIDString produces.
func ParseTopicID(s string) ([16]byte, error) {
	var id [16]byte
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 16 {
		return id, fmt.Errorf("invalid topic id %q", s)
	}
	copy(id[:], b)
	return id, nil
}

// readPartitionMetadata reads partition.metadata:
//
//	version: 0
//	topic_id: <22-character base64url topic ID>
func readPartitionMetadata(path string) ([16]byte, bool, error) {
	var id [16]byte
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return id, false, nil
	}
	if err != nil {
		return id, false, err
	}
	var version, topicID string
	for _, ln := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(ln, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "version":
			version = strings.TrimSpace(v)
		case "topic_id":
			topicID = strings.TrimSpace(v)
		}
	}
	if version != strconv.Itoa(partitionMetadataVersion) {
		return id, false, fmt.Errorf("%w: %s: unknown version %q", ErrCorruptLog, path, version)
	}
	id, err = ParseTopicID(topicID)
	if err != nil {
		return id, false, fmt.Errorf("%w: %s: %v", ErrCorruptLog, path, err)
	}
	return id, true, nil
}

func writePartitionMetadata(path string, id [16]byte) error {
	data := fmt.Sprintf("version: %d\ntopic_id: %s", partitionMetadataVersion, TopicIDString(id))
	return writeFileAtomic(path, []byte(data), true)
}

// MetaProperties is a log dir's meta.properties in ZooKeeper mode
// (version 0):
//
//	#
//	#Mon Jan 02 15:04:05 UTC 2006
//	cluster.id=<cluster id>
//	version=0
//	broker.id=<broker id>
type MetaProperties struct {
	// Version is 0 (ZooKeeper mode).
	Version int
	// BrokerID is broker.id.
	BrokerID int32
	// ClusterID is cluster.id, "" when absent (written by brokers before
	// Kafka 0.10.1).
	ClusterID string
}

// ReadMetaProperties reads dir/meta.properties. ok is false when the file
// does not exist.
func ReadMetaProperties(dir string) (mp MetaProperties, ok bool, err error) {
	path := filepath.Join(dir, metaPropertiesFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return mp, false, nil
	}
	if err != nil {
		return mp, false, err
	}
	defer f.Close()
	props, err := config.ParseProperties(f)
	if err != nil {
		return mp, false, fmt.Errorf("%s: %w", path, err)
	}
	v, _ := props.Get("version")
	if mp.Version, err = strconv.Atoi(strings.TrimSpace(v)); err != nil {
		return mp, false, fmt.Errorf("%s: invalid version %q", path, v)
	}
	if mp.Version != 0 {
		return mp, false, fmt.Errorf("%s: version %d is KRaft metadata; this broker runs in ZooKeeper mode", path, mp.Version)
	}
	id, _ := props.Get("broker.id")
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 32)
	if err != nil {
		return mp, false, fmt.Errorf("%s: invalid broker.id %q", path, id)
	}
	mp.BrokerID = int32(n)
	mp.ClusterID, _ = props.Get("cluster.id")
	mp.ClusterID = strings.TrimSpace(mp.ClusterID)
	return mp, true, nil
}

// WriteMetaProperties atomically writes dir/meta.properties in the form
// Kafka writes it (java.util.Properties with a date comment).
func WriteMetaProperties(dir string, mp MetaProperties, now time.Time) error {
	var b bytes.Buffer
	b.WriteString("#\n#" + now.UTC().Format("Mon Jan 02 15:04:05 MST 2006") + "\n")
	if mp.ClusterID != "" {
		b.WriteString("cluster.id=" + mp.ClusterID + "\n")
	}
	fmt.Fprintf(&b, "version=%d\nbroker.id=%d\n", mp.Version, mp.BrokerID)
	return writeFileAtomic(filepath.Join(dir, metaPropertiesFile), b.Bytes(), true)
}
