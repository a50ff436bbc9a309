package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/zkafka/zkafka/internal/broker"
	"github.com/zkafka/zkafka/internal/config"
	"github.com/zkafka/zkafka/internal/gctune"
	"github.com/zkafka/zkafka/internal/keeper/server"
)

func newDevCommand() *cobra.Command {
	var data string
	var zkPort, kafkaPort int
	c := &cobra.Command{
		Use:   "dev",
		Short: "A keeper and a broker in one process (2181 and 9092, data in ./data)",
		Long: `dev runs a ZooKeeper-compatible keeper and a Kafka-compatible broker in one
process, for development: clients connect to 127.0.0.1:2181 and 127.0.0.1:9092.
Data lives in --data (./data): running dev again keeps it. Ctrl-C stops it cleanly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDev(data, zkPort, kafkaPort) },
	}
	c.Flags().StringVar(&data, "data", "data", "directory for the keeper's and the broker's data")
	c.Flags().IntVar(&zkPort, "zk-port", 2181, "keeper client port")
	c.Flags().IntVar(&kafkaPort, "kafka-port", 9092, "broker port")
	return c
}

func runDev(data string, zkPort, kafkaPort int) error {
	start := time.Now()
	if f := os.Getenv("ZKAFKA_CPUPROFILE"); f != "" {
		stop, err := startCPUProfile(f)
		if err != nil {
			return err
		}
		defer stop()
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	minProcs(logger)
	defer gctune.Start(context.Background(), gctune.Options{Logger: logger})()
	keeper, err := server.New(server.Options{
		ClientAddr:      fmt.Sprintf("127.0.0.1:%d", zkPort),
		DataDir:         filepath.Join(data, "zookeeper"),
		TickTime:        2 * time.Second,
		FourLetterWords: []string{"*"},
		ExtendedTypes:   true,
		Logger:          logger.With("component", "keeper"),
	})
	if err != nil {
		return err
	}
	if err := keeper.Start(); err != nil {
		keeper.Close()
		return err
	}
	defer keeper.Close()

	props := fmt.Sprintf("broker.id=0\nlisteners=PLAINTEXT://127.0.0.1:%d\nlog.dirs=%s\nzookeeper.connect=%s\n"+
		"offsets.topic.replication.factor=1\ntransaction.state.log.replication.factor=1\ntransaction.state.log.min.isr=1\n",
		kafkaPort, filepath.Join(data, "kafka-logs"), keeper.Addr().String())
	cfg, _, err := config.ParseBroker(strings.NewReader(props), "dev")
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listeners[0].Addr())
	if err != nil {
		return fmt.Errorf("dev: broker port: %w", err)
	}
	b, err := broker.New(broker.Options{Config: cfg, Listener: ln, Logger: logger.With("component", "broker")})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		return err
	}
	defer b.Close()
	fmt.Printf("zkafka dev: ZooKeeper on %s, Kafka on %s, data in %s (ready in %v; Ctrl-C stops)\n",
		keeper.Addr(), b.Addr(), data, time.Since(start).Round(time.Millisecond))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case <-sig:
	case <-keeper.Done():
	}
	fmt.Println("zkafka dev: stopping")
	return nil
}
