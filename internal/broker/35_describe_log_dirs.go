package broker

// DescribeLogDirs, versions 0–4: every log dir with the partitions it
// holds (all of them for a null topic list, else those asked for), each
// with its size in bytes and an offset lag of 0 (there are no future
// replicas moving between dirs); v4 adds the file system's total and
// usable bytes (-1 where the platform cannot tell). Not yet: offline log
// dirs (KAFKA_STORAGE_ERROR).

import (
	"path/filepath"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"
	plog "github.com/zkafka/zkafka/internal/broker/log"
)

func (b *Broker) handleDescribeLogDirs(r *kmsg.DescribeLogDirsRequest) *kmsg.DescribeLogDirsResponse {
	resp := kmsg.NewPtrDescribeLogDirsResponse()
	var want map[plog.TopicPartition]bool
	if r.Topics != nil {
		want = map[plog.TopicPartition]bool{}
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				want[plog.TopicPartition{Topic: t.Topic, Partition: p}] = true
			}
		}
	}
	byDir := map[string]map[string][]kmsg.DescribeLogDirsResponseDirTopicPartition{}
	for _, l := range b.parts.mgr.Logs() {
		tp := l.TopicPartition()
		if want != nil && !want[tp] {
			continue
		}
		dir := absPath(filepath.Dir(l.Dir()))
		if byDir[dir] == nil {
			byDir[dir] = map[string][]kmsg.DescribeLogDirsResponseDirTopicPartition{}
		}
		p := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
		p.Partition, p.Size, p.OffsetLag = tp.Partition, l.Size(), 0
		byDir[dir][tp.Topic] = append(byDir[dir][tp.Topic], p)
	}
	for _, d := range b.parts.mgr.Dirs() {
		rd := kmsg.NewDescribeLogDirsResponseDir()
		rd.Dir = absPath(d)
		rd.TotalBytes, rd.UsableBytes = diskSpace(d)
		topics := byDir[rd.Dir]
		names := make([]string, 0, len(topics))
		for n := range topics {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			rt := kmsg.NewDescribeLogDirsResponseDirTopic()
			rt.Topic = n
			rt.Partitions = topics[n]
			slices.SortFunc(rt.Partitions, func(a, b kmsg.DescribeLogDirsResponseDirTopicPartition) int {
				return int(a.Partition) - int(b.Partition)
			})
			rd.Topics = append(rd.Topics, rt)
		}
		resp.Dirs = append(resp.Dirs, rd)
	}
	return resp
}

// absPath is path made absolute (as Kafka reports log dirs), or path
// itself when that fails.
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
