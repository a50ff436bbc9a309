package broker

import (
	"slices"
	"sync"

	"github.com/zkafka/zkafka/internal/broker/cluster"
)

// metadata caches what ZooKeeper says about live brokers and topics, for
// Metadata requests and routing. Watches refresh it.
type metadata struct {
	mu      sync.RWMutex
	brokers []cluster.BrokerInfo // sorted by id
	topics  map[string]cluster.Topic
}

func newMetadata() *metadata {
	return &metadata{topics: map[string]cluster.Topic{}}
}

func (m *metadata) setBrokers(bs []cluster.BrokerInfo) {
	bs = slices.Clone(bs)
	slices.SortFunc(bs, func(a, b cluster.BrokerInfo) int { return int(a.ID) - int(b.ID) })
	m.mu.Lock()
	m.brokers = bs
	m.mu.Unlock()
}

func (m *metadata) setTopics(ts map[string]cluster.Topic) {
	m.mu.Lock()
	m.topics = ts
	m.mu.Unlock()
}

func (m *metadata) putTopic(t cluster.Topic) {
	m.mu.Lock()
	next := make(map[string]cluster.Topic, len(m.topics)+1)
	for k, v := range m.topics {
		next[k] = v
	}
	next[t.Name] = t
	m.topics = next
	m.mu.Unlock()
}

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
