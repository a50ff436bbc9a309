// Package admin holds the broker's pure topic rules: Kafka's topic-name
// validation and its replica assignment. It does no I/O, so the broker, the
// controller and the CLI tools share one implementation.
package admin

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors; each maps to a Kafka error code in the broker.
var (
	// ErrInvalidTopic is INVALID_TOPIC_EXCEPTION (17).
	ErrInvalidTopic = errors.New("admin: invalid topic")
	// ErrInvalidPartitions is INVALID_PARTITIONS (37).
	ErrInvalidPartitions = errors.New("admin: invalid partitions")
	// ErrInvalidReplicationFactor is INVALID_REPLICATION_FACTOR (38).
	ErrInvalidReplicationFactor = errors.New("admin: invalid replication factor")
)

// MaxTopicNameLength is Kafka's limit on topic names.
const MaxTopicNameLength = 249

// ValidateTopicName applies Kafka's Topic.validate, with its messages.
func ValidateTopicName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("Topic name is illegal, it can't be empty: %w", ErrInvalidTopic)
	case name == "." || name == "..":
		return fmt.Errorf("Topic name cannot be \".\" or \"..\": %w", ErrInvalidTopic)
	case len(name) > MaxTopicNameLength:
		return fmt.Errorf("Topic name is illegal, it can't be longer than %d characters, topic name: %s: %w",
			MaxTopicNameLength, name, ErrInvalidTopic)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("Topic name \"%s\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-': %w",
				name, ErrInvalidTopic)
		}
	}
	return nil
}

// CollisionName is the name two topics collide on: Kafka forbids topics
// that differ only in '.' versus '_' (their metric names would clash).
func CollisionName(name string) string { return strings.ReplaceAll(name, ".", "_") }

// IsInternal reports whether the topic is one of Kafka's internal topics.
func IsInternal(name string) bool {
	return name == "__consumer_offsets" || name == "__transaction_state"
}

// Assign spreads partitions over brokers as Kafka's rack-unaware
// assignReplicasToBrokers does: the first replica of partition p goes to
// broker (p+start) mod n, the others follow with a shift that grows each
// time the partitions wrap around the brokers, so leaders and followers are
// both spread evenly. start and shift are random in Kafka; the caller
// passes them (any values; they are reduced mod n).
func Assign(brokers []int32, partitions int32, replicationFactor int16, start, shift int) ([][]int32, error) {
	if partitions <= 0 {
		return nil, fmt.Errorf("Number of partitions must be larger than 0: %w", ErrInvalidPartitions)
	}
	if replicationFactor <= 0 {
		return nil, fmt.Errorf("Replication factor must be larger than 0: %w", ErrInvalidReplicationFactor)
	}
	n := len(brokers)
	if int(replicationFactor) > n {
		return nil, fmt.Errorf("Replication factor: %d larger than available brokers: %d.: %w",
			replicationFactor, n, ErrInvalidReplicationFactor)
	}
	ids := append([]int32(nil), brokers...)
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	start = ((start % n) + n) % n
	shift = ((shift % n) + n) % n
	out := make([][]int32, partitions)
	for p := 0; p < int(partitions); p++ {
		if p > 0 && p%n == 0 {
			shift++
		}
		first := (p + start) % n
		replicas := make([]int32, 0, replicationFactor)
		replicas = append(replicas, ids[first])
		for j := 0; j < int(replicationFactor)-1; j++ {
			replicas = append(replicas, ids[(first+1+(shift+j)%(n-1))%n])
		}
		out[p] = replicas
	}
	return out, nil
}
