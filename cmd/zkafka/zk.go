package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/zkafka/zkafka/internal/cli"
	"github.com/zkafka/zkafka/internal/config"
	"github.com/zkafka/zkafka/internal/daemon"
	"github.com/zkafka/zkafka/internal/gctune"
	"github.com/zkafka/zkafka/internal/keeper/server"
)

const defaultZooCfg = "conf/zoo.cfg"

func newZKCommand() *cobra.Command {
	zk := &cobra.Command{
		Use:   "zk",
		Short: "The ZooKeeper-compatible keeper (zkServer.sh, zkCli.sh)",
	}
	var cfg string
	zk.PersistentFlags().StringVar(&cfg, "config", "", "path to zoo.cfg (default "+defaultZooCfg+"; a positional argument works too)")
	pick := func(args []string) string {
		if cfg != "" {
			return cfg
		}
		if len(args) > 0 {
			return args[0]
		}
		if d := os.Getenv("ZOOCFGDIR"); d != "" {
			return filepath.Join(d, "zoo.cfg")
		}
		return defaultZooCfg
	}
	zk.AddCommand(
		cli.NewZKCLICommand(),
		&cobra.Command{
			Use:   "start-foreground [zoo.cfg]",
			Short: "Run the keeper in the foreground, logging to stderr",
			Args:  cobra.MaximumNArgs(1),
			RunE:  func(_ *cobra.Command, args []string) error { return runKeeper(pick(args)) },
		},
		&cobra.Command{
			Use:   "start [zoo.cfg]",
			Short: "Start the keeper in the background",
			Args:  cobra.MaximumNArgs(1),
			RunE:  func(c *cobra.Command, args []string) error { return startKeeper(c.OutOrStdout(), pick(args)) },
		},
		&cobra.Command{
			Use:   "stop [zoo.cfg]",
			Short: "Stop the keeper started with start",
			Args:  cobra.MaximumNArgs(1),
			RunE:  func(c *cobra.Command, args []string) error { return stopKeeper(c.OutOrStdout(), pick(args)) },
		},
		&cobra.Command{
			Use:   "status [zoo.cfg]",
			Short: "Print the keeper's mode, or say it is not running",
			Args:  cobra.MaximumNArgs(1),
			RunE:  func(c *cobra.Command, args []string) error { return statusKeeper(c.OutOrStdout(), pick(args)) },
		},
	)
	return zk
}

// loadKeeperConfig reads zoo.cfg (and myid) and reports problems the way
// ZooKeeper does: a bad value names the key and the process exits 1.
func loadKeeperConfig(path string, logger *slog.Logger) (*config.Keeper, error) {
	k, warnings, err := config.LoadKeeper(path)
	if err != nil {
		return nil, exitCode{1, fmt.Sprintf("Invalid config, exiting abnormally: %v", err)}
	}
	for _, w := range warnings {
		logger.Warn(w, "config", path)
	}
	id, err := config.ReadMyID(k.DataDir)
	switch {
	case err == nil:
		warn, err := k.SetServerID(id)
		if err != nil {
			return nil, exitCode{1, fmt.Sprintf("Invalid config, exiting abnormally: %v", err)}
		}
		for _, w := range warn {
			logger.Warn(w, "config", path)
		}
	case errors.Is(err, config.ErrNoMyID):
		if !k.Standalone() {
			return nil, exitCode{1, fmt.Sprintf("Invalid config, exiting abnormally: %v", err)}
		}
	default:
		return nil, exitCode{1, fmt.Sprintf("Invalid config, exiting abnormally: %v", err)}
	}
	return k, nil
}

func runKeeper(path string) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	k, err := loadKeeperConfig(path, logger)
	if err != nil {
		return err
	}
	if f := os.Getenv("ZKAFKA_CPUPROFILE"); f != "" {
		stop, err := startCPUProfile(f)
		if err != nil {
			return err
		}
		defer stop()
	}
	if f := os.Getenv("ZKAFKA_TRACE"); f != "" {
		stop, err := startTrace(f)
		if err != nil {
			return err
		}
		defer stop()
	}
	logger.Info("starting keeper", "config", path, "version", server.Version)
	logger.Info("runtime", "GOMAXPROCS", runtime.GOMAXPROCS(0), "CPUs", runtime.NumCPU())
	defer gctune.Start(context.Background(), gctune.Options{Logger: logger})()
	for _, l := range k.Lines() {
		logger.Info("config " + l)
	}
	opts := server.OptionsFromConfig(k, logger)
	if e := opts.Ensemble; e != nil {
		me, _ := k.Server(k.ServerID)
		logger.Info("starting as a member of an ensemble", "myid", k.ServerID, "servers", len(k.Servers),
			"quorumAddr", e.PeerAddr, "role", map[bool]string{false: "participant", true: "observer"}[me.Observer])
		logger.Info("electionPort is accepted but not used: leader election travels on the quorum port", "electionPort", me.ElectionPort)
	}
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case s := <-sig:
		logger.Info("shutting down", "signal", s.String())
	case <-srv.Done():
	}
	if err := srv.Close(); err != nil {
		return err
	}
	return srv.Err()
}

func pidFile(k *config.Keeper) string {
	if p := os.Getenv("ZOOPIDFILE"); p != "" {
		return p
	}
	return filepath.Join(k.DataDir, "zookeeper_server.pid")
}

// dialAddr turns a listen address into one to connect to.
func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func startKeeper(out io.Writer, path string) error {
	fmt.Fprintln(out, "Using config:", path)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	k, err := loadKeeperConfig(path, logger)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	logDir := os.Getenv("ZOO_LOG_DIR")
	if logDir == "" {
		logDir = "logs"
	}
	addr := dialAddr(k.ClientAddr())
	fmt.Fprint(out, "Starting zookeeper ... ")
	pid, err := daemon.Start(daemon.Spec{
		Args:    []string{"zk", "start-foreground", "--config", abs},
		LogFile: filepath.Join(logDir, "zookeeper.out"),
		PidFile: pidFile(k),
		Ready: func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		},
	})
	if errors.Is(err, os.ErrExist) {
		fmt.Fprintf(out, "already running as process %d.\n", pid)
		return nil
	}
	if err != nil {
		fmt.Fprintln(out, "FAILED TO START")
		return exitCode{1, err.Error()}
	}
	fmt.Fprintln(out, "STARTED")
	return nil
}

func stopKeeper(out io.Writer, path string) error {
	fmt.Fprintln(out, "Using config:", path)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	k, err := loadKeeperConfig(path, logger)
	if err != nil {
		return err
	}
	fmt.Fprint(out, "Stopping zookeeper ... ")
	if _, err := daemon.Stop(pidFile(k), 60*time.Second); err != nil {
		if errors.Is(err, daemon.ErrNotRunning) {
			fmt.Fprintf(out, "no zookeeper to stop (%v)\n", err)
			return exitCode{1, ""}
		}
		return exitCode{1, err.Error()}
	}
	fmt.Fprintln(out, "STOPPED")
	return nil
}

func statusKeeper(out io.Writer, path string) error {
	fmt.Fprintln(out, "Using config:", path)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	k, err := loadKeeperConfig(path, logger)
	if err != nil {
		return err
	}
	addr := dialAddr(k.ClientAddr())
	host, port, _ := net.SplitHostPort(addr)
	fmt.Fprintf(out, "Client port found: %s. Client address: %s. Client SSL: false.\n", port, host)
	reply, err := fourLetter(addr, "srvr")
	if err != nil || !strings.Contains(reply, "Mode: ") {
		fmt.Fprintln(out, "Error contacting service. It is probably not running.")
		return exitCode{1, ""}
	}
	for _, line := range strings.Split(reply, "\n") {
		if strings.HasPrefix(line, "Mode: ") {
			fmt.Fprintln(out, line)
		}
	}
	return nil
}

// fourLetter sends a four-letter word and returns the whole reply.
func fourLetter(addr, cmd string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(cmd)); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}
