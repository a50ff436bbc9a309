package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// NewCommand returns the `bench` command, the parent of the load generators: `zk` here,
// and further children (the Kafka bench) added by their own packages.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load generators with live progress and percentile latencies",
		Long: "Load generators with live progress and percentile latencies.\n\n" +
			"The generator and the server usually share one machine: the numbers describe\n" +
			"that machine (cores shared by client and server), not the server alone.",
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(NewZKCommand(), NewZKPopulateCommand(), NewZKRestartCommand(), NewZKFailoverCommand())
	cmd.AddCommand(NewKafkaCommand(), NewLoopbackCommand())
	return cmd
}

// NewZKCommand returns `bench zk`, which runs RunZK against a ZooKeeper ensemble (zkafka's
// keeper or Apache ZooKeeper) and prints progress to stderr and the result table to stdout.
func NewZKCommand() *cobra.Command {
	var (
		o       ZKOptions
		servers []string
		format  string
	)
	cmd := &cobra.Command{
		Use:   "zk",
		Short: "Load a ZooKeeper ensemble with closed-loop or open-loop (--rate) clients",
		Long: "Load a ZooKeeper ensemble with closed-loop clients: each client is its own session\n" +
			"with one request in flight, working under a private root /zkbench-<random> that is\n" +
			"removed afterwards. Ops: create (persistent-sequential znodes), set, get, mixed\n" +
			"(90% get, 10% set).\n\n" +
			"--rate N makes the loop open: N operations a second over all clients, on a fixed\n" +
			"schedule (still one request in flight per client; one due meanwhile goes out when the\n" +
			"reply is in), each operation's latency measured from when it was due, so that a stall\n" +
			"counts against every operation it delayed. Compare servers at the same --rate, below\n" +
			"what either can do: with too few clients or too high a rate the run falls behind (ops/s\n" +
			"below the rate, growing latencies, unsent operations reported). Raw client, Linux only.\n\n" +
			"--server takes the servers' client addresses, host:port[,host:port...] (or the flag\n" +
			"repeated): client i connects to server i mod n and only to it, so 64 clients over\n" +
			"three servers are 22, 21 and 21 sessions. The private root is created and removed\n" +
			"through the first server; each client creates its own node through its own session.\n" +
			"The output lists the servers with the successful operations of the clients on each\n" +
			"(kv: servers=a,b,c server_ops=n1,n2,n3).",
		Example: "  zkafka bench zk --server 127.0.0.1:2181 --clients 16 --op get --duration 10s\n" +
			"  zkafka bench zk --server 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183 --clients 64 --op set\n" +
			"  zkafka bench zk --server 127.0.0.1:2181 --clients 64 --op get --rate 40000 --duration 30s",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			o.Servers = servers
			o.Progress = cmd.ErrOrStderr()
			o, err := o.validate()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "bench zk: op=%s client=%s clients=%d rate=%s size=%d duration=%v servers=%s\n",
				o.Op, o.Client, o.Clients, fmtRate(o.Rate), o.Size, o.Duration, strings.Join(o.Servers, ","))
			res, runErr := RunZK(ctx, o)
			if res != nil {
				out := res.String()
				if format == FormatKV {
					out = res.KV() + "\n"
				}
				if _, err := fmt.Fprint(cmd.OutOrStdout(), out); err != nil {
					return fmt.Errorf("bench zk: %w", err)
				}
			}
			if runErr != nil {
				return fmt.Errorf("bench zk: %w", runErr)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&servers, "server", []string{DefaultZKServer}, "servers host:port[,host:port...] (or repeat the flag); client i uses server i mod n")
	f.StringVar(&o.Client, "client", DefaultClient, "client implementation: raw (lean, wire protocol spoken directly) or gozk (github.com/go-zookeeper/zk)")
	f.IntVar(&o.Clients, "clients", DefaultClients, "concurrent sessions, one request in flight each")
	f.IntVar(&o.Rate, "rate", 0, "open loop: operations per second over all clients, sent on a fixed schedule, latency from each one's due time (0: closed loop)")
	f.StringVar(&o.Op, "op", DefaultOp, "operation: create, set, get or mixed (90% get, 10% set)")
	f.DurationVar(&o.Duration, "duration", DefaultDuration, "length of the measured phase")
	f.IntVar(&o.Size, "size", 100, "data bytes per create/set and in each client's node")
	f.DurationVar(&o.SessionTimeout, "session-timeout", DefaultSessionTimeout, "session timeout each client asks for")
	f.DurationVar(&o.Interval, "interval", DefaultInterval, "period of progress lines")
	f.StringVar(&format, "format", FormatTable, "result format: table, or kv (one line of key=value pairs, latencies in µs)")
	return cmd
}
