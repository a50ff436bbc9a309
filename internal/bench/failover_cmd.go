package bench

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// NewZKFailoverCommand returns `bench zk-failover`, which runs RunFailover and prints its
// result.
func NewZKFailoverCommand() *cobra.Command {
	var (
		o       FailoverOptions
		servers []string
		pids    []string
		format  string
	)
	cmd := &cobra.Command{
		Use:   "zk-failover --server a,b,c (--pids ID=PID,... | --kill-cmd CMD)",
		Short: "Kill an ensemble's leader under write load and time until writes succeed again",
		Long: "Spread --clients raw-protocol sessions over the --server list (client i on server\n" +
			"i mod n), each with one request in flight (--op set: all writes; mixed: 10% writes)\n" +
			"under a private root /zkfailover-<random>. After --warmup, find the leader (four-letter\n" +
			"word srvr, Mode: leader; mntr's zk_server_state where srvr has no Mode) and kill it:\n" +
			"SIGKILL to its pid from --pids (key: the server's address or its 1-based position in\n" +
			"--server), or --kill-cmd, run with sh -c after replacing {pid}, {addr} and {id} (the\n" +
			"leader's 1-based position). A client whose connection breaks resumes its session on\n" +
			"its own server (the killed leader's clients on the others), retrying every --retry; a\n" +
			"request waits two thirds of the session timeout at most. The load goes on until every surviving server has served a\n" +
			"write issued after the kill, then --after more, and stops. The killed server stays dead.\n\n" +
			"Times are from the kill (the SIGKILL sent, or the kill command returned): first_write_s\n" +
			"(first successful write anywhere), all_servers_s (every surviving server has had one),\n" +
			"server_first_write_s (per server, - for the killed one), kill_stall_s (the longest\n" +
			"stretch without any completed write between the kill and all_servers_s), max_stall_s\n" +
			"(the longest such stretch of the whole load). They come from the clients' own requests,\n" +
			"so they include the reconnection (--retry) the clients needed.",
		Example: "  zkafka bench zk-failover --server 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183 \\\n" +
			"      --clients 64 --op set --pids 1=4101,2=4102,3=4103 --format kv\n" +
			"  zkafka bench zk-failover --server 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183 \\\n" +
			"      --kill-cmd 'docker kill zk{id}'",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			var err error
			if o.Pids, err = ParsePids(pids, servers); err != nil {
				return fmt.Errorf("bench zk-failover: %w", err)
			}
			o.Servers = servers
			o.Progress = cmd.ErrOrStderr()
			if o, err = o.validate(); err != nil {
				return fmt.Errorf("bench zk-failover: %w", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "bench zk-failover: op=%s clients=%d size=%d servers=%s\n",
				o.Op, o.Clients, o.Size, strings.Join(o.Servers, ","))
			res, runErr := RunFailover(commandContext(cmd), o)
			if res != nil {
				out := res.String()
				if format == FormatKV {
					out = res.KV() + "\n"
				}
				if _, err := fmt.Fprint(cmd.OutOrStdout(), out); err != nil {
					return fmt.Errorf("bench zk-failover: %w", err)
				}
			}
			if runErr != nil {
				return fmt.Errorf("bench zk-failover: %w", runErr)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&servers, "server", nil, "the ensemble's servers host:port,host:port,... (or repeat the flag); client i starts on server i mod n")
	f.StringSliceVar(&pids, "pids", nil, "server pids, KEY=PID,...; KEY is a server's address or its 1-based position in --server")
	f.StringVar(&o.KillCmd, "kill-cmd", "", "shell command that kills the leader, with {pid}, {addr} and {id} replaced (instead of SIGKILL)")
	f.IntVar(&o.Clients, "clients", DefaultFailoverClients, "concurrent sessions, one request in flight each (at least one per server)")
	f.StringVar(&o.Op, "op", DefaultFailoverOp, "operation: set, or mixed (90% get, 10% set)")
	f.IntVar(&o.Size, "size", 100, "data bytes per set")
	f.DurationVar(&o.SessionTimeout, "session-timeout", DefaultSessionTimeout, "session timeout each client asks for")
	f.DurationVar(&o.Warmup, "warmup", DefaultWarmup, "load before the kill")
	f.DurationVar(&o.After, "after", DefaultAfter, "load after every surviving server has served a write again")
	f.DurationVar(&o.Timeout, "timeout", DefaultFailoverTimeout, "longest wait after the kill for writes on every surviving server")
	f.DurationVar(&o.Retry, "retry", DefaultRetry, "pause between a client's rounds of reconnection attempts")
	f.DurationVar(&o.Interval, "interval", DefaultInterval, "period of progress lines")
	f.StringVar(&format, "format", FormatTable, "result format: table, or kv (one line of key=value pairs, times in s, latencies in µs)")
	_ = cmd.MarkFlagRequired("server")
	return cmd
}

// secs prints a duration in seconds with millisecond precision, or "-" when negative (not
// measured).
func secs(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", d.Seconds())
}

// serverName is Servers[k], or "-" for an index out of range (no server).
func (r *FailoverResult) serverName(k int) string {
	if k < 0 || k >= len(r.Servers) {
		return "-"
	}
	return r.Servers[k]
}

// KV prints r as one line of key=value pairs: times in seconds, latencies in microseconds,
// per-server lists in the order of servers=, "-" for what was not measured.
func (r *FailoverResult) KV() string {
	first := make([]string, len(r.ServerFirstWrite))
	for k, d := range r.ServerFirstWrite {
		first[k] = secs(d)
	}
	return fmt.Sprintf("op=%s client=%s clients=%d size=%d servers=%s leader=%s leader_pid=%d new_leader=%s "+
		"killed_at_s=%s kill_took_s=%s first_write_s=%s all_servers_s=%s server_first_write_s=%s "+
		"kill_stall_s=%s max_stall_s=%s elapsed_s=%.3f ops=%d errors=%d writes=%d writes_per_s_before=%.1f "+
		"server_ops=%s reconnects=%d new_sessions=%d p50_us=%d p99_us=%d max_us=%d client_cpu_s=%.3f",
		r.Op, ClientRaw, r.Clients, r.Size, kvList(r.Servers), r.serverName(r.Leader), r.LeaderPid, r.serverName(r.NewLeader),
		secs(r.KilledAt), secs(r.KillTook), secs(r.FirstWrite), secs(r.AllServers), kvList(first),
		secs(r.KillStall), secs(r.MaxStall), r.Elapsed.Seconds(), r.Ops, r.Errors, r.Writes, r.WritesPerSecBefore,
		kvInts(r.ServerOps), r.Reconnects, r.NewSessions, r.P50.Microseconds(), r.P99.Microseconds(), r.Max.Microseconds(),
		r.ClientCPU.Seconds())
}

// String prints r for people: the kill, the gaps, and a row per server.
func (r *FailoverResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "op %s, %d clients, %d-byte data, load %.1fs: %d ops, %d errors, %d writes (%.0f/s before the kill), p99 %s\n",
		r.Op, r.Clients, r.Size, r.Elapsed.Seconds(), r.Ops, r.Errors, r.Writes, r.WritesPerSecBefore, fmtLatency(r.P99))
	fmt.Fprintf(&b, "killed the leader %s (pid %d) at %ss (took %ss); new leader %s\n",
		r.serverName(r.Leader), r.LeaderPid, secs(r.KilledAt), secs(r.KillTook), r.serverName(r.NewLeader))
	fmt.Fprintf(&b, "from the kill: first write %ss, writes on every surviving server %ss\n", secs(r.FirstWrite), secs(r.AllServers))
	fmt.Fprintf(&b, "longest stretch without a completed write: %ss after the kill, %ss in the whole load\n", secs(r.KillStall), secs(r.MaxStall))
	fmt.Fprintf(&b, "sessions resumed %d times, %d replaced after expiring\n", r.Reconnects, r.NewSessions)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "server\trole\tops\tfirst write after the kill")
	for k, s := range r.Servers {
		role := ""
		switch k {
		case r.Leader:
			role = "killed leader"
		case r.NewLeader:
			role = "new leader"
		}
		var ops int64
		if k < len(r.ServerOps) {
			ops = r.ServerOps[k]
		}
		first := "-"
		if k < len(r.ServerFirstWrite) && r.ServerFirstWrite[k] >= 0 {
			first = secs(r.ServerFirstWrite[k]) + "s"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s, role, ops, first)
	}
	_ = tw.Flush() // a strings.Builder never fails
	if r.FirstError != nil {
		fmt.Fprintf(&b, "first error: %v\n", r.FirstError)
	}
	if r.CleanupErr != nil {
		fmt.Fprintf(&b, "cleanup of %s failed: %v\n", r.Root, r.CleanupErr)
	}
	return b.String()
}
