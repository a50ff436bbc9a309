package broker

import (
	"testing"

	"github.com/zkafka/zkafka/internal/broker/cluster"
)

// TestMetadataOlderReadLoses: a read that began earlier cannot overwrite
// or remove what a later read installed, whatever order they finish in.
func TestMetadataOlderReadLoses(t *testing.T) {
	m := newMetadata()
	topic := func(name string, parts int) cluster.Topic {
		t := cluster.Topic{Name: name, Partitions: map[int32]cluster.ReplicaAssignment{}}
		for p := 0; p < parts; p++ {
			t.Partitions[int32(p)] = cluster.ReplicaAssignment{}
		}
		return t
	}
	listing := m.begin()                                                     // the watch starts reading the topic list
	created := m.begin()                                                     // a CreateTopics reads its new topic
	m.putTopicAt(created, topic("new", 3))                                   // ...and installs it
	m.setTopicsAt(listing, map[string]cluster.Topic{"old": topic("old", 1)}) // the older list lands last
	if got, ok := m.topic("new"); !ok || len(got.Partitions) != 3 {
		t.Fatalf("an older listing removed a newer topic: %v %v", got, ok)
	}
	if _, ok := m.topic("old"); !ok {
		t.Fatal("the listing's own topic is missing")
	}
	grown := m.begin()
	stale := m.begin() - 2 // a read that began before grown
	m.putTopicAt(grown, topic("new", 5))
	m.putTopicAt(stale, topic("new", 3))
	if got, _ := m.topic("new"); len(got.Partitions) != 5 {
		t.Fatalf("a stale read shrank the topic to %d partitions", len(got.Partitions))
	}
	later := m.begin()
	m.setTopicsAt(later, map[string]cluster.Topic{"new": topic("new", 5)})
	if _, ok := m.topic("old"); ok {
		t.Fatal("a newer listing did not remove a deleted topic")
	}
}
