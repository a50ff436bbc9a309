package broker

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/zkafka/zkafka/internal/keeper/server"
)

// TestServesWhileKeeperDown: with the keeper gone, the broker keeps serving
// the partitions it leads; when the keeper is back, the broker is
// registered in it again.
func TestServesWhileKeeperDown(t *testing.T) {
	dir := t.TempDir()
	keeper, err := server.New(server.Options{ClientAddr: "127.0.0.1:0", DataDir: dir, TickTime: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := keeper.Start(); err != nil {
		t.Fatal(err)
	}
	addr := keeper.Addr().String()
	b := startBroker(t, addr, 3, "zookeeper.session.timeout.ms=2000\n")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := client(t, b, kgo.DefaultProduceTopic("steady"), kgo.AllowAutoTopicCreation())
	if err := p.ProduceSync(ctx, &kgo.Record{Value: []byte("before")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	keeper.Close()
	for i := 0; i < 20; i++ {
		if err := p.ProduceSync(ctx, &kgo.Record{Value: []byte("during")}).FirstErr(); err != nil {
			t.Fatalf("produce with the keeper down: %v", err)
		}
	}
	c := client(t, b, kgo.ConsumeTopics("steady"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := 0
	for got < 21 {
		fs := c.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of 21 with the keeper down", got)
		}
		got += fs.NumRecords()
	}

	// The keeper returns on the same address; the broker's registration is
	// there again (re-created if its session expired meanwhile).
	keeper2, err := server.New(server.Options{ClientAddr: addr, DataDir: dir, TickTime: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := keeper2.Start(); err != nil {
		t.Fatal(err)
	}
	defer keeper2.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := b.reg.ReadBroker(ctx, 3); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("broker not registered again after the keeper came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
