package broker

import (
	"context"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// TestBrokerOnApacheZooKeeper: the broker keeps its state in Apache
// ZooKeeper as well as in zkafka's keeper (skipped when Apache ZooKeeper or
// Java is not installed; `make interop` installs them).
func TestBrokerOnApacheZooKeeper(t *testing.T) {
	apache := zktest.StartApache(t)
	b := startBroker(t, apache.Addr+"/kafka", 7, "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := client(t, b, kgo.DefaultProduceTopic("on-apache"), kgo.AllowAutoTopicCreation())
	if err := p.ProduceSync(ctx, &kgo.Record{Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	c, _, err := zk.Connect([]string{apache.Addr}, 10*time.Second, zk.WithLogger(nopLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var ids []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ids, _, err = c.Children("/kafka/brokers/ids"); err == nil && len(ids) == 1 {
			break
		}
	}
	if len(ids) != 1 || ids[0] != "7" {
		t.Fatalf("ls /kafka/brokers/ids on Apache ZooKeeper = %v, %v", ids, err)
	}
	if ok, _, err := c.Exists("/kafka/brokers/topics/on-apache/partitions/0/state"); !ok || err != nil {
		t.Fatalf("partition state missing on Apache ZooKeeper: %v", err)
	}
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
