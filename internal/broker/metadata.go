package broker

import (
	"slices"
	"sync"

	"github.com/zkafka/zkafka/internal/broker/cluster"
)

// metadata caches what ZooKeeper says about live brokers and topics, for
// Metadata requests and routing. Watches refresh it.
//
// Topics are read from ZooKeeper at different times by different
// goroutines (the topic watch, a request that just changed a topic). Each
// read takes a sequence number before it starts (begin); an entry is only
// replaced by a read that began later than the one that wrote it, so an
// older read finishing last cannot undo a newer one.
type metadata struct {
	mu      sync.RWMutex
	brokers []cluster.BrokerInfo // sorted by id
	topics  map[string]cluster.Topic
	seq     uint64            // last sequence number handed out
	readAt  map[string]uint64 // sequence of the read behind each entry (or its removal)
}

func newMetadata() *metadata {
	return &metadata{topics: map[string]cluster.Topic{}, readAt: map[string]uint64{}}
}

// begin returns the sequence number of a read about to start.
func (m *metadata) begin() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	return m.seq
}

func (m *metadata) setBrokers(bs []cluster.BrokerInfo) {
	bs = slices.Clone(bs)
	slices.SortFunc(bs, func(a, b cluster.BrokerInfo) int { return int(a.ID) - int(b.ID) })
	m.mu.Lock()
	m.brokers = bs
	m.mu.Unlock()
}

// setTopicsAt installs the full topic list read at sequence at: topics
// absent from ts are gone, unless a later read says otherwise.
func (m *metadata) setTopicsAt(at uint64, ts map[string]cluster.Topic) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := make(map[string]cluster.Topic, len(ts))
	for name, t := range m.topics {
		if _, listed := ts[name]; listed || m.readAt[name] > at {
			next[name] = t
		}
	}
	for name, t := range ts {
		if m.readAt[name] <= at {
			next[name] = t
			m.readAt[name] = at
		}
	}
	for name := range m.topics {
		if _, ok := next[name]; !ok {
			m.readAt[name] = at // removed by this read
		}
	}
	m.topics = next
}

// putTopicAt installs one topic read at sequence at.
func (m *metadata) putTopicAt(at uint64, t cluster.Topic) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.readAt[t.Name] > at {
		return
	}
	next := make(map[string]cluster.Topic, len(m.topics)+1)
	for k, v := range m.topics {
		next[k] = v
	}
	next[t.Name] = t
	m.topics = next
	m.readAt[t.Name] = at
}

// putTopic installs a topic this broker just wrote: newer than any read
// that began before now.
func (m *metadata) putTopic(t cluster.Topic) { m.putTopicAt(m.begin(), t) }

// snapshot returns the current brokers and topics; both are shared and
// must not be modified.
func (m *metadata) snapshot() ([]cluster.BrokerInfo, map[string]cluster.Topic) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.brokers, m.topics
}

func (m *metadata) topic(name string) (cluster.Topic, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, ok := m.topics[name]
	return t, ok
}

func (m *metadata) brokerIDs() []int32 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ids := make([]int32, len(m.brokers))
	for i, b := range m.brokers {
		ids[i] = b.ID
	}
	return ids
}
