package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/zkafka/zkafka/internal/broker"
	"github.com/zkafka/zkafka/internal/config"
	"github.com/zkafka/zkafka/internal/daemon"
	"github.com/zkafka/zkafka/internal/gctune"
)

func newKafkaCommand() *cobra.Command {
	k := &cobra.Command{
		Use:   "kafka",
		Short: "The Kafka-compatible broker (kafka-server-start.sh, kafka-server-stop.sh)",
	}
	var detach bool
	start := &cobra.Command{
		Use:   "start [-daemon] config/server.properties",
		Short: "Run a broker (in the foreground unless -daemon)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if detach {
				return startBrokerDaemon(c.OutOrStdout(), args[0])
			}
			return runBroker(args[0])
		},
	}
	// Kafka's scripts take a single-dash -daemon.
	start.Flags().BoolVarP(&detach, "daemon", "d", false, "run in the background, logging to $LOG_DIR/server.log")
	stop := &cobra.Command{
		Use:   "stop",
		Short: "Stop the broker started with -daemon (graceful: flush, deregister, close)",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return stopBroker(c.OutOrStdout()) },
	}
	k.AddCommand(start, stop)
	return k
}

// kafkaLogDir is $LOG_DIR, as Kafka's scripts use it, or ./logs.
func kafkaLogDir() string {
	if d := os.Getenv("LOG_DIR"); d != "" {
		return d
	}
	return "logs"
}

func brokerPidFile() string { return filepath.Join(kafkaLogDir(), "kafka-server.pid") }

// brokerLogger logs to stderr and to $LOG_DIR/server.log, as Kafka's
// log4j configuration does.
func brokerLogger() (*slog.Logger, io.Closer, error) {
	if err := os.MkdirAll(kafkaLogDir(), 0o755); err != nil {
		return nil, nil, fmt.Errorf("log dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(kafkaLogDir(), "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("server.log: %w", err)
	}
	h := slog.NewMultiHandler(slog.NewTextHandler(os.Stderr, nil), slog.NewTextHandler(f, nil))
	return slog.New(h), f, nil
}

func loadBrokerConfig(path string, logger *slog.Logger) (*config.Broker, error) {
	cfg, warnings, err := config.LoadBroker(path)
	if err != nil {
		return nil, exitCode{1, fmt.Sprintf("zkafka: invalid broker config: %v", err)}
	}
	for _, w := range warnings {
		logger.Warn(w, "config", path)
	}
	return cfg, nil
}

func runBroker(path string) error {
	logger, closer, err := brokerLogger()
	if err != nil {
		return err
	}
	defer closer.Close()
	cfg, err := loadBrokerConfig(path, logger)
	if err != nil {
		return err
	}
	b, err := broker.New(broker.Options{Config: cfg, Logger: logger})
	if err != nil {
		return err
	}
	minProcs(logger)
	defer gctune.Start(context.Background(), gctune.Options{Logger: logger})()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.ZooKeeperSessionTimeoutMs)*time.Millisecond+30*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	s := <-sig
	logger.Info("shutting down", "signal", s.String())
	return b.Close()
}

func startBrokerDaemon(out io.Writer, path string) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := loadBrokerConfig(path, logger)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	addr := dialAddr(cfg.Listeners[0].Addr())
	pid, err := daemon.Start(daemon.Spec{
		Args:    []string{"kafka", "start", abs},
		LogFile: filepath.Join(kafkaLogDir(), "kafkaServer.out"),
		PidFile: brokerPidFile(),
		Ready:   func() error { return kafkaServing(addr) },
		Timeout: time.Duration(cfg.ZooKeeperSessionTimeoutMs)*time.Millisecond + 30*time.Second,
	})
	if errors.Is(err, os.ErrExist) {
		fmt.Fprintf(out, "kafka already running as process %d.\n", pid)
		return nil
	}
	if err != nil {
		return exitCode{1, err.Error()}
	}
	return nil
}

func stopBroker(out io.Writer) error {
	if _, err := daemon.Stop(brokerPidFile(), 2*time.Minute); err != nil {
		if errors.Is(err, daemon.ErrNotRunning) {
			fmt.Fprintln(out, "No kafka server to stop")
			return exitCode{1, ""}
		}
		return exitCode{1, err.Error()}
	}
	return nil
}

// kafkaServing reports whether the broker at addr answers an ApiVersions
// request. A TCP connection alone proves nothing: the listener is bound
// before the broker has registered in ZooKeeper and read the cluster, and
// requests are served only after that.
func kafkaServing(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return err
	}
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(0)
	const corr = 1
	if _, err := c.Write(kmsg.NewRequestFormatter(kmsg.FormatterClientID("zkafka-start")).AppendRequest(nil, req, corr)); err != nil {
		return fmt.Errorf("ApiVersions: %w", err)
	}
	var head [8]byte // response size, correlation id
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return fmt.Errorf("ApiVersions: %w", err)
	}
	if got := int32(binary.BigEndian.Uint32(head[4:])); got != corr {
		return fmt.Errorf("ApiVersions: correlation id %d, want %d", got, corr)
	}
	return nil
}
