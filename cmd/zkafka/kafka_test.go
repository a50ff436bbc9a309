package main

import (
	"net"
	"testing"

	"github.com/zkafka/zkafka/internal/testkit"
)

// TestKafkaServing: `kafka start -daemon` is ready when the broker answers
// a request, not when its port accepts connections (it is bound before the
// broker has registered and read the cluster).
func TestKafkaServing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close() // bound, never accepted from: the kernel completes connections
	if err := kafkaServing(ln.Addr().String()); err == nil {
		t.Error("a port that accepts but does not answer counts as serving")
	}
	if err := kafkaServing(testkit.StartCluster(t, "")); err != nil {
		t.Errorf("a started broker does not count as serving: %v", err)
	}
}
