// Package cli implements `zkafka zk cli`, a clone of Apache ZooKeeper's
// zkCli.sh (org.apache.zookeeper.ZooKeeperMain) on top of zkclient.
//
// It takes zkCli's options (-server host:port, -timeout ms, -r,
// -waitforconnection; --server and friends work too) and then either runs
// one command and exits with its status (1 on error, 127 for an unknown
// command), or reads commands from stdin, one per line. Commands, their
// options (parsed as Apache commons-cli parses them), their output and
// their error messages are those of zkCli 3.9, down to the quirks: stats
// and ACLs are printed as Java prints them, "Created /a" goes to stderr,
// malformed numbers end the shell with a Java exception line, and a shell
// that ends without quit leaves its session to expire, as the JVM does.
//
// With a terminal on stdin the shell prompts ("[zk: host:port(CONNECTED)
// 0] "), as zkCli does with JLine; without one it prints no prompt, as
// zkCli does without JLine, so piped scripts produce the same output as
// zkCli.sh fed the same lines.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Version is what the version command reports (after "ZooKeeper CLI
// version: "). It matches the keeper's four-letter-word version.
const Version = "3.9.3-zkafka, built on 2026-11-25 00:00 UTC"

// Dialect is the release of zkCli whose output to imitate where releases
// differ.
type Dialect int

// Dialects.
const (
	// Dialect39 is zkCli 3.9: watch events end with " zxid: N", get has
	// -b and -x, set has -b, removewatches has -p and -r.
	Dialect39 Dialect = iota
	// Dialect38 is zkCli 3.8, the reference the tests compare with.
	Dialect38
)

// Config is one run of the CLI.
type Config struct {
	// Args are the command-line arguments after "cli".
	Args []string
	// Stdin, Stdout and Stderr are the shell's streams.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Terminal says stdin is a terminal: the shell prompts.
	Terminal bool
	// Logger receives the client's connection logs; nil discards them.
	Logger *slog.Logger
	// Dialect selects the zkCli release to imitate.
	Dialect Dialect
}

// ExitError ends the process with Code. Its message is empty: the command
// has already printed what went wrong.
type ExitError struct{ Code int }

// Error implements error.
func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// ExitCode returns the process's exit status.
func (e *ExitError) ExitCode() int { return e.Code }

// NewZKCLICommand returns the `cli` subcommand of `zkafka zk`. Its flags
// are zkCli's single-dash ones, parsed by hand; a non-zero exit status is
// returned as an *ExitError.
func NewZKCLICommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cli [-server host:port[,host:port...][/chroot]] [-timeout ms] [-r] [-waitforconnection] [command [args...]]",
		Short: "ZooKeeper's command-line shell (zkCli.sh)",
		Long: "Connects to a ZooKeeper-compatible server and runs one command, or reads commands from stdin.\n" +
			"Commands and output are those of zkCli.sh: run it and type `help` for the list.\n" +
			"Set ZKAFKA_CLI_LOG=debug|info|warn|error to see the client's connection logs on stderr.",
		DisableFlagParsing: true,
		SilenceUsage:       true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && (args[0] == "--help" || args[0] == "-help") {
				return cmd.Help()
			}
			cfg := Config{
				Args:   args,
				Stdin:  cmd.InOrStdin(),
				Stdout: cmd.OutOrStdout(),
				Stderr: cmd.ErrOrStderr(),
				Logger: envLogger(cmd.ErrOrStderr()),
			}
			if f, ok := cfg.Stdin.(*os.File); ok {
				if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
					cfg.Terminal = true
				}
			}
			if code := Run(cmd.Context(), cfg); code != 0 {
				return &ExitError{Code: code}
			}
			return nil
		},
	}
}

// envLogger logs to w at the level named by $ZKAFKA_CLI_LOG, or nowhere.
func envLogger(w io.Writer) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(os.Getenv("ZKAFKA_CLI_LOG")) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// Run runs the CLI and returns its exit status.
func Run(ctx context.Context, cfg Config) int {
	if ctx == nil {
		ctx = context.Background()
	}
	if cfg.Stdin == nil {
		cfg.Stdin = strings.NewReader("")
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := newShell(ctx, cfg)
	return s.main()
}
