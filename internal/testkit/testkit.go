// Package testkit starts zkafka's servers in-process for tests of the
// packages above them (tools, benchmarks): a keeper on port 0 and brokers
// registered in it, each stopped by the test's cleanup.
package testkit

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/broker"
	"github.com/zkafka/zkafka/internal/config"
	"github.com/zkafka/zkafka/internal/keeper/server"
)

// StartKeeper runs a standalone keeper on 127.0.0.1:0 with its data in a
// temp dir and returns its address.
func StartKeeper(t testing.TB) string {
	t.Helper()
	s, err := server.New(server.Options{ClientAddr: "127.0.0.1:0", DataDir: t.TempDir(), TickTime: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr().String()
}

// StartBroker runs broker id against the keeper at zk, listening on
// 127.0.0.1:0 with its logs in a temp dir; extra holds more
// server.properties lines. It returns the broker's address.
func StartBroker(t testing.TB, zk string, id int, extra string) string {
	t.Helper()
	props := fmt.Sprintf("broker.id=%d\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs=%s\nzookeeper.connect=%s\n%s",
		id, t.TempDir(), zk, extra)
	cfg, _, err := config.ParseBroker(strings.NewReader(props), "server.properties")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logger *slog.Logger
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	b, err := broker.New(broker.Options{Config: cfg, Listener: ln, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.Addr().String()
}

// StartCluster runs one keeper and broker 1 and returns the broker's
// address.
func StartCluster(t testing.TB, extra string) string {
	t.Helper()
	return StartBroker(t, StartKeeper(t), 1, extra)
}
