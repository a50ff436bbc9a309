package kafkacli

import (
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The `--describe` output, laid out as Kafka 3.9's TopicCommand prints it
// against a ZooKeeper-mode broker (which has no DescribeTopicPartitions, so
// eligible leader replicas print as N/A):
//
//	Topic: T	TopicId: <base64>	PartitionCount: 3	ReplicationFactor: 1	Configs: k=v,...
//		Topic: T	Partition: 0	Leader: 1	Replicas: 1	Isr: 1	Elr: N/A	LastKnownElr: N/A

// partitionDesc is one partition of a described topic.
type partitionDesc struct {
	id       int32
	leader   int32 // -1: none (no leader, or one not among the brokers)
	replicas []int32
	isr      []int32
	// reassignment is the partition's reassignment in progress, or nil.
	reassignment *reassignment
}

// reassignment is a partition reassignment in progress.
type reassignment struct {
	replicas, adding, removing []int32
}

// topicDesc is one described topic; partitions are sorted by id.
type topicDesc struct {
	name       string
	id         [16]byte
	partitions []partitionDesc
}

// configEntry is one config of a topic as DescribeConfigs returns it.
type configEntry struct {
	name      string
	value     *string
	isDefault bool // source DEFAULT_CONFIG
}

// describeOptions are the report filters of `--describe`.
type describeOptions struct {
	underReplicated, unavailable, underMinIsr, atMinIsr, withOverrides bool
	live                                                               map[int32]bool
}

// describeConfigs: the topic line is printed unless a partition report
// was asked for.
func (o describeOptions) describeConfigs() bool {
	return !o.unavailable && !o.underReplicated && !o.underMinIsr && !o.atMinIsr
}

// uuidString is Kafka's Uuid.toString: URL-safe base64 without padding.
func uuidString(id [16]byte) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}

// replicationFactor is the partition's replica count, less the replicas
// being added while a reassignment that touches it is in progress.
func (p partitionDesc) replicationFactor() int {
	if r := p.reassignment; r != nil {
		changing := map[int32]bool{}
		for _, id := range r.adding {
			changing[id] = true
		}
		for _, id := range r.removing {
			changing[id] = true
		}
		for _, id := range p.replicas {
			if changing[id] {
				return len(r.replicas) - len(r.adding)
			}
		}
	}
	return len(p.replicas)
}

// minISR is the topic's min.insync.replicas (1 when not reported).
func minISR(cfg []configEntry) int {
	for _, c := range cfg {
		if c.name == "min.insync.replicas" && c.value != nil {
			if n, err := strconv.Atoi(*c.value); err == nil {
				return n
			}
		}
	}
	return 1
}

// shouldPrint says whether a partition line is printed under the filters.
func (o describeOptions) shouldPrint(p partitionDesc, minIsr int) bool {
	hasLeader := p.leader >= 0
	return o.describeConfigs() ||
		(o.underReplicated && p.replicationFactor()-len(p.isr) > 0) ||
		(o.unavailable && (!hasLeader || !o.live[p.leader])) ||
		(o.underMinIsr && (!hasLeader || len(p.isr) < minIsr)) ||
		(o.atMinIsr && minIsr == len(p.isr))
}

// writeTopicDescription prints one topic's lines.
func writeTopicDescription(w io.Writer, td topicDesc, cfg []configEntry, o describeOptions) {
	if o.describeConfigs() {
		// Config keeps its entries in a HashMap: the last entry of a name
		// wins, the first one placed it.
		byName := map[string]configEntry{}
		var names []string
		for _, c := range cfg {
			if _, dup := byName[c.name]; !dup {
				names = append(names, c.name)
			}
			byName[c.name] = c
		}
		var parts []string
		for _, n := range javaConfigOrder(names) {
			if c := byName[n]; !c.isDefault {
				v := "null"
				if c.value != nil {
					v = *c.value
				}
				parts = append(parts, n+"="+v)
			}
		}
		if !o.withOverrides || len(parts) > 0 {
			var b strings.Builder
			b.WriteString("Topic: " + td.name)
			if td.id != ([16]byte{}) {
				b.WriteString("\tTopicId: " + uuidString(td.id))
			}
			rf := 0
			if len(td.partitions) > 0 {
				rf = td.partitions[0].replicationFactor()
			}
			fmt.Fprintf(&b, "\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s\n", len(td.partitions), rf, strings.Join(parts, ","))
			io.WriteString(w, b.String())
		}
	}
	if o.withOverrides {
		return
	}
	minIsr := minISR(cfg)
	for _, p := range td.partitions {
		if !o.shouldPrint(p, minIsr) {
			continue
		}
		leader := "none"
		if p.leader >= 0 {
			leader = strconv.Itoa(int(p.leader))
		}
		var b strings.Builder
		fmt.Fprintf(&b, "\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s",
			td.name, p.id, leader, joinIDs(p.replicas), joinIDs(p.isr))
		if r := p.reassignment; r != nil {
			fmt.Fprintf(&b, "\tAdding Replicas: %s\tRemoving Replicas: %s", joinIDs(r.adding), joinIDs(r.removing))
		}
		b.WriteString("\tElr: N/A\tLastKnownElr: N/A\n")
		io.WriteString(w, b.String())
	}
}
