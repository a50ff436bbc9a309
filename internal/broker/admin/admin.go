// Package admin holds the broker's pure topic rules: Kafka's replica
// assignment and which topics are internal (topic-name rules live with the
// z-node layout, in package cluster). It does no I/O, so the broker, the
// controller and the CLI tools share one implementation.
package admin

import (
	"errors"
	"fmt"
	"sort"
)

// Sentinel errors; each maps to a Kafka error code in the broker.
var (
	// ErrInvalidPartitions is INVALID_PARTITIONS (37).
	ErrInvalidPartitions = errors.New("admin: invalid partitions")
	// ErrInvalidReplicationFactor is INVALID_REPLICATION_FACTOR (38).
	ErrInvalidReplicationFactor = errors.New("admin: invalid replication factor")
)

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
