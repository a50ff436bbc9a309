package bench

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// Output formats of the bench commands: an aligned table for people, or one line of
// key=value pairs for scripts (scripts/bench-keeper.sh).
const (
	FormatTable = "table"
	FormatKV    = "kv"
)

// KV prints r as one line of key=value pairs: latencies in microseconds, elapsed and the
// load generator's CPU time in seconds; rate is the open loop's offered ops/s (0: closed
// loop), unsent its operations never sent (ZKResult.Unsent), lag_p99_us and lag_max_us how
// late it sent those that waited for their due time (ZKResult.SendLagP99, SendLagMax).
func (r *ZKResult) KV() string {
	return fmt.Sprintf("op=%s client=%s clients=%d rate=%d unsent=%d size=%d elapsed_s=%.3f ops=%d errors=%d ops_per_s=%.1f "+
		"p50_us=%d p99_us=%d p999_us=%d max_us=%d mean_us=%d lag_p99_us=%d lag_max_us=%d client_cpu_s=%.3f servers=%s server_ops=%s",
		r.Op, r.Client, r.Clients, r.Rate, r.Unsent, r.Size, r.Elapsed.Seconds(), r.Ops, r.Errors, r.OpsPerSec,
		r.P50.Microseconds(), r.P99.Microseconds(), r.P999.Microseconds(), r.Max.Microseconds(), r.Mean.Microseconds(), r.SendLagP99.Microseconds(), r.SendLagMax.Microseconds(),
		r.ClientCPU.Seconds(), kvList(r.Servers), kvInts(r.ServerOps))
}

// kvList joins items with commas for a key=value line ("-" when there are none).
func kvList(items []string) string {
	if len(items) == 0 {
		return "-"
	}
	return strings.Join(items, ",")
}

// kvInts joins numbers with commas for a key=value line ("-" when there are none).
func kvInts(ns []int64) string {
	items := make([]string, len(ns))
	for i, n := range ns {
		items[i] = strconv.FormatInt(n, 10)
	}
	return kvList(items)
}

// processCPU is the user and system CPU time this process has used so far (0 where
// getrusage fails).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// KV prints r as one line of key=value pairs; rss is the server's resident set size in
// bytes afterwards (0 when not measured).
func (r *PopulateResult) KV(rss int64) string {
	rate := 0.0
	if r.Elapsed > 0 {
		rate = float64(r.Leaves+r.Parents) / r.Elapsed.Seconds()
	}
	return fmt.Sprintf("root=%s known=%s leaves=%d znodes=%d elapsed_s=%.3f creates_per_s=%.1f client_cpu_s=%.3f rss_bytes=%d",
		r.Root, r.Known, r.Leaves, r.Leaves+r.Parents+1, r.Elapsed.Seconds(), rate, r.ClientCPU.Seconds(), rss)
}

func checkFormat(f string) error {
	if f != FormatTable && f != FormatKV {
		return fmt.Errorf("%w: format %q is not %s or %s", ErrInvalidOptions, f, FormatTable, FormatKV)
	}
	return nil
}

// commandContext is cmd's context, or a background one when it was run without one.
func commandContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// NewZKPopulateCommand returns `bench zk-populate`, which runs Populate and prints where the
// znodes are and, given --pid, the server's resident set size afterwards.
func NewZKPopulateCommand() *cobra.Command {
	var (
		server  string
		n, size int
		pid     int
		timeout time.Duration
		keep    bool
	)
	cmd := &cobra.Command{
		Use:   "zk-populate",
		Short: "Fill a ZooKeeper server with many znodes; print a known node and the server's RSS",
		Long: "Fill a ZooKeeper server with --n znodes of --size bytes under a fresh root\n" +
			"/zkpopulate-<random>, in blocks of 1000 (root/b000000/n000000 ...), with pipelined\n" +
			"creates over several sessions. Prints one line of key=value pairs: root, known (the\n" +
			"first leaf, for `bench zk-restart --path`), leaves, znodes (leaves, parents and root),\n" +
			"elapsed_s, creates_per_s, client_cpu_s (this process's CPU time), and rss_bytes, the\n" +
			"resident set size of process --pid right after the last create (0 without --pid).\n" +
			"The znodes stay unless --keep=false.",
		Example: "  zkafka bench zk-populate --server 127.0.0.1:2181 --n 1000000 --size 100 --pid 4242",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pid < 0 {
				return fmt.Errorf("bench zk-populate: %w: pid %d", ErrInvalidOptions, pid)
			}
			ctx, cancel := context.WithTimeout(commandContext(cmd), timeout)
			defer cancel()
			res, err := Populate(ctx, server, n, size)
			if err != nil {
				return fmt.Errorf("bench zk-populate: %w", err)
			}
			var rss int64
			if pid > 0 {
				if rss, err = MemoryRSS(pid); err != nil {
					return fmt.Errorf("bench zk-populate: %w", err)
				}
			}
			if _, err := fmt.Fprintln(cmd.OutOrStdout(), res.KV(rss)); err != nil {
				return fmt.Errorf("bench zk-populate: %w", err)
			}
			if !keep {
				c, err := dialZK(ctx, server, populateSession, slog.New(slog.DiscardHandler))
				if err != nil {
					return fmt.Errorf("bench zk-populate: remove: %w", err)
				}
				defer c.Close()
				if err := DeleteTree(ctx, c, res.Root); err != nil {
					return fmt.Errorf("bench zk-populate: remove: %w", err)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&server, "server", DefaultZKServer, "connect string host:port[,host:port...]")
	f.IntVar(&n, "n", 1_000_000, "number of leaf znodes to create")
	f.IntVar(&size, "size", 100, "data bytes per leaf")
	f.IntVar(&pid, "pid", 0, "server process whose resident set size to print afterwards")
	f.DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long")
	f.BoolVar(&keep, "keep", true, "leave the znodes in place (false removes them after measuring)")
	return cmd
}

// NewZKRestartCommand returns `bench zk-restart`, which runs Restart.
func NewZKRestartCommand() *cobra.Command {
	var o RestartOptions
	cmd := &cobra.Command{
		Use:   "zk-restart --server HOST:PORT --path NODE [--pid PID] -- COMMAND [ARG...]",
		Short: "Stop a ZooKeeper server, start it again and time restart-to-serving",
		Long: "Stop the server --pid with SIGTERM and wait until it has exited, then run COMMAND\n" +
			"(without a shell, in its own process group, stdin from /dev/null, output to --log)\n" +
			"and probe --server every --poll with a fresh session reading --path until the read\n" +
			"succeeds. COMMAND may stay in the foreground (zkafka zk start-foreground) or detach\n" +
			"the server and exit (a start script; pass --pid-file where it writes the server's pid).\n" +
			"The new server is left running. Prints one line of key=value pairs: stop_s (exit after\n" +
			"SIGTERM), serving_s (COMMAND start to first successful getData), pid (the new server),\n" +
			"rss_bytes (its resident set size when it began serving).",
		Example: "  zkafka bench zk-restart --server 127.0.0.1:2181 --path /zkpopulate-ab12/b000000/n000000 \\\n" +
			"      --pid 4242 --log /var/tmp/zk.log -- zkafka zk start-foreground /var/tmp/zoo.cfg",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Command = args
			res, err := Restart(commandContext(cmd), o)
			if err != nil {
				return fmt.Errorf("bench zk-restart: %w", err)
			}
			if _, err := fmt.Fprintln(cmd.OutOrStdout(), res.KV()); err != nil {
				return fmt.Errorf("bench zk-restart: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Server, "server", DefaultZKServer, "host:port to probe")
	f.StringVar(&o.Path, "path", "", "existing znode to read (zk-populate prints one as known=)")
	f.IntVar(&o.Pid, "pid", 0, "running server to stop first (0: just start)")
	f.StringVar(&o.PidFile, "pid-file", "", "file where COMMAND writes the server's pid (when COMMAND detaches it)")
	f.StringVar(&o.LogFile, "log", "", "file to append COMMAND's output to (default: discarded)")
	f.DurationVar(&o.StopTimeout, "stop-timeout", DefaultStopTimeout, "longest wait for --pid to exit")
	f.DurationVar(&o.StartTimeout, "timeout", DefaultStartTimeout, "longest wait for the new server to serve")
	f.DurationVar(&o.PollInterval, "poll", DefaultPollInterval, "pause between probes")
	_ = cmd.MarkFlagRequired("path")
	return cmd
}
