package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/zkafka/zkafka/internal/config"
)

// NewKafkaCommand returns `bench kafka`, the parent of produce, consume and e2e: Kafka
// load tests with the flags and output of kafka-producer-perf-test.sh and
// kafka-consumer-perf-test.sh.
func NewKafkaCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kafka",
		Short: "Kafka producer, consumer and end-to-end load tests (kafka-*-perf-test.sh flags and output)",
		Long: "Kafka producer, consumer and end-to-end load tests with the flags and output of\n" +
			"kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh, against any Kafka\n" +
			"cluster (zkafka's broker or Apache Kafka). MB means MiB, as in Kafka's tools.",
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newKafkaProduceCommand(), newKafkaConsumeCommand(), newKafkaE2ECommand())
	return cmd
}

// producerFlags are the flags produce and e2e share with kafka-producer-perf-test.sh.
type producerFlags struct {
	topic      string
	numRecords int64
	recordSize int
	throughput float64
	props      []string
	configFile string
	bootstrap  string
	interval   time.Duration
}

// add defines the flags on cmd, marking Kafka's required ones.
func (p *producerFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.topic, "topic", "", "produce messages to this topic (required)")
	f.Int64Var(&p.numRecords, "num-records", 0, "number of messages to produce (required)")
	f.IntVar(&p.recordSize, "record-size", 0, "message size in bytes (required)")
	f.Float64Var(&p.throughput, "throughput", 0, "throttle to about this many messages/sec; -1 disables throttling (required)")
	f.StringArrayVar(&p.props, "producer-props", nil, "producer properties PROP=VALUE ...: bootstrap.servers, acks, linger.ms, batch.size, compression.type, max.in.flight, client.id, ...")
	f.StringVar(&p.configFile, "producer.config", "", "producer config properties file")
	f.StringVar(&p.bootstrap, "bootstrap-server", "", "host:port[,host:port...]; overrides bootstrap.servers in the properties")
	f.Var(msValue{&p.interval}, "reporting-interval", "period of progress lines in ms (or with a unit: 1s)")
	for _, name := range []string{"topic", "num-records", "record-size", "throughput"} {
		_ = cmd.MarkFlagRequired(name) // the flags exist: cannot fail
	}
}

// properties merges the config file, --producer-props and the arguments after it
// (`--producer-props acks=1 linger.ms=5` leaves linger.ms=5 as an argument), and the
// --bootstrap-server flag.
func (p *producerFlags) properties(cmd *cobra.Command, args []string) (map[string]string, error) {
	props, err := loadProperties(p.configFile, p.props, args, cmd.Flags().Changed("producer-props"), "--producer-props")
	if err != nil {
		return nil, err
	}
	if p.bootstrap != "" {
		props["bootstrap.servers"] = p.bootstrap
	}
	return props, nil
}

func newKafkaProduceCommand() *cobra.Command {
	var (
		pf           = producerFlags{interval: DefaultKafkaInterval}
		printMetrics bool
		producer     string
		connections  int
	)
	cmd := &cobra.Command{
		Use:   "produce",
		Short: "Producer load test: kafka-producer-perf-test.sh's flags and output",
		Long: "Producer load test with kafka-producer-perf-test.sh's flags and output: a progress line\n" +
			"every 5 s and a final line with the 50th, 95th, 99th and 99.9th latency percentiles.\n" +
			"A latency runs from handing the record to the client to its acknowledgement.\n\n" +
			"Producer properties take the Java client's names. Unlike Kafka's client, the producer\n" +
			"is not idempotent unless enable.idempotence=true is given, and compression.type\n" +
			"defaults to none; other unset properties keep franz-go's defaults (linger.ms 10,\n" +
			"batch.size 1000012, acks all).\n\n" +
			"--producer raw replaces franz-go with a lean load generator, as efficient as librdkafka\n" +
			"or the Java producer with big batches, so that one broker can be measured rather than\n" +
			"one client: it builds uncompressed record batches itself (each value starts with the\n" +
			"record's sequence number), stamps each with its build time and CRC-32C, and sends one\n" +
			"per Produce request over --connections connections to every partition leader, with\n" +
			"max.in.flight.requests.per.connection requests in flight on each, partitions in turn.\n" +
			"It understands acks, batch.size (default 1000000), max.in.flight.requests.per.connection,\n" +
			"client.id and request.timeout.ms, never retries, and prints a line saying so first.",
		Example: "  zkafka bench kafka produce --topic perf --num-records 1000000 --record-size 1024 --throughput -1 \\\n" +
			"      --producer-props acks=1 linger.ms=5 bootstrap.servers=127.0.0.1:9092\n" +
			"  zkafka bench kafka produce --producer raw --connections 2 --topic perf --num-records 1000000 \\\n" +
			"      --record-size 1024 --throughput -1 --producer-props acks=1 bootstrap.servers=127.0.0.1:9092",
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			props, err := pf.properties(cmd, args)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			res, runErr := RunProduce(kafkaCommandContext(cmd), ProduceOptions{
				Topic: pf.topic, NumRecords: pf.numRecords, RecordSize: pf.recordSize, Throughput: pf.throughput,
				Props: props, Progress: out, Interval: pf.interval, Logger: stderrLogger(cmd),
				Producer: producer, Connections: connections,
			})
			if res != nil {
				if _, err := fmt.Fprintln(out, res); err != nil {
					return fmt.Errorf("bench kafka produce: %w", err)
				}
				if printMetrics {
					if err := WriteMetrics(out, res.Metrics); err != nil {
						return fmt.Errorf("bench kafka produce: %w", err)
					}
				}
			}
			if runErr != nil {
				return fmt.Errorf("bench kafka produce: %w", runErr)
			}
			return nil
		},
	}
	pf.add(cmd)
	cmd.Flags().BoolVar(&printMetrics, "print-metrics", false, "print the client's metrics at the end of the test")
	cmd.Flags().StringVar(&producer, "producer", ProducerKgo, "the producer: kgo (franz-go) or raw (batches built by the tool itself)")
	cmd.Flags().IntVar(&connections, "connections", DefaultRawConnections, "the raw producer's connections to each partition leader")
	return cmd
}

func newKafkaConsumeCommand() *cobra.Command {
	var (
		o                                  = ConsumeOptions{Timeout: DefaultConsumeTimeout, Interval: DefaultKafkaInterval}
		configFile                         string
		fetchSize                          int
		detailed, hideHeader, printMetrics bool
	)
	cmd := &cobra.Command{
		Use:   "consume",
		Short: "Consumer load test: kafka-consumer-perf-test.sh's flags and output",
		Long: "Consumer load test with kafka-consumer-perf-test.sh's flags and output: a CSV header and\n" +
			"a final row (or, with --show-detailed-stats, a row every reporting interval).\n\n" +
			"The consumer reads every partition of the topic directly, not through a consumer\n" +
			"group, so rebalance.time.ms is 0; without committed offsets it starts at the\n" +
			"beginning, or at the end with --from-latest, as Kafka's tool does for a new group.\n\n" +
			"--consumer raw replaces franz-go with a lean consumer, the raw producer's twin: one\n" +
			"connection per partition leader, one Fetch at a time, each batch's CRC-32C checked and\n" +
			"its records walked in place (uncompressed batches only); it prints no client metrics.",
		Example: "  zkafka bench kafka consume --bootstrap-server 127.0.0.1:9092 --topic perf --messages 1000000",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			props, err := loadProperties(configFile, nil, nil, false, "")
			if err != nil {
				return err
			}
			if fetchSize < 1 || fetchSize > 1<<30 {
				return fmt.Errorf("%w: fetch-size %d not in 1..%d", ErrInvalidOptions, fetchSize, 1<<30)
			}
			o.Props, o.FetchSize, o.Logger = props, int32(fetchSize), stderrLogger(cmd)
			out := cmd.OutOrStdout()
			if detailed {
				o.Progress = out
			}
			if !hideHeader {
				if _, err := fmt.Fprintln(out, ConsumeHeader(detailed)); err != nil {
					return fmt.Errorf("bench kafka consume: %w", err)
				}
			}
			res, runErr := RunConsume(kafkaCommandContext(cmd), o)
			if res != nil {
				if err := writeConsumeResult(out, res, o.Timeout, detailed, printMetrics); err != nil {
					return fmt.Errorf("bench kafka consume: %w", err)
				}
			}
			if runErr != nil {
				return fmt.Errorf("bench kafka consume: %w", runErr)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.BootstrapServers, "bootstrap-server", "", "the server(s) to connect to, host:port[,host:port...] (required)")
	f.StringVar(&o.Topic, "topic", "", "the topic to consume from (required)")
	f.Int64Var(&o.Messages, "messages", 0, "the number of messages to consume (required)")
	f.Var(msValue{&o.Timeout}, "timeout", "the maximum allowed time in ms between returned records (or with a unit: 10s)")
	f.BoolVar(&o.FromLatest, "from-latest", false, "start with the latest message present in the log rather than the earliest")
	f.BoolVar(&detailed, "show-detailed-stats", false, "report stats for each reporting interval")
	f.Var(msValue{&o.Interval}, "reporting-interval", "interval in ms at which to print progress info (or with a unit: 5s)")
	f.IntVar(&fetchSize, "fetch-size", DefaultFetchSize, "the amount of data to fetch in a single request, per partition")
	f.StringVar(&configFile, "consumer.config", "", "consumer config properties file")
	f.BoolVar(&hideHeader, "hide-header", false, "skip printing the header for the stats")
	f.BoolVar(&printMetrics, "print-metrics", false, "print the client's metrics at the end")
	f.StringVar(&o.Consumer, "consumer", ConsumerKgo, "the consumer: kgo (franz-go) or raw (fetches and walks uncompressed batches itself)")
	for _, name := range []string{"bootstrap-server", "topic", "messages"} {
		_ = cmd.MarkFlagRequired(name) // the flags exist: cannot fail
	}
	return cmd
}

// writeConsumeResult prints what kafka-consumer-perf-test prints after consuming: the
// timeout warning, the final row (unless detailed) and the metrics.
func writeConsumeResult(w io.Writer, res *ConsumeResult, timeout time.Duration, detailed, metrics bool) error {
	var b strings.Builder
	if res.TimedOut {
		fmt.Fprintf(&b, "WARNING: Exiting before consuming the expected number of messages: timeout (%d ms) exceeded. "+
			"You can use the --timeout option to increase the timeout.\n", timeout.Milliseconds())
	}
	if !detailed {
		b.WriteString(res.Row() + "\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if metrics {
		return WriteMetrics(w, res.Metrics)
	}
	return nil
}

func newKafkaE2ECommand() *cobra.Command {
	var (
		pf      = producerFlags{interval: DefaultKafkaInterval}
		timeout = DefaultConsumeTimeout
	)
	cmd := &cobra.Command{
		Use:   "e2e",
		Short: "Produce and consume at once, measuring end-to-end latency from each record's timestamp",
		Long: "Produce and consume at once: the producer takes kafka-producer-perf-test.sh's flags, and a\n" +
			"consumer starting at the end of every partition reads the records as they come,\n" +
			"measuring each from its timestamp (set when the producer is handed the record) to its\n" +
			"arrival. Timestamps travel in whole milliseconds, so end-to-end figures run up to 1 ms\n" +
			"high. Progress and final lines are the producer's, then the same for the records\n" +
			"received. The topic is created when missing; use one that nothing else writes to.\n" +
			"Pace the producer (--throughput) to measure latency rather than queueing.",
		Example: "  zkafka bench kafka e2e --topic e2e --num-records 100000 --record-size 1024 --throughput 20000 \\\n" +
			"      --producer-props acks=1 bootstrap.servers=127.0.0.1:9092",
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			props, err := pf.properties(cmd, args)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			res, runErr := RunE2E(kafkaCommandContext(cmd), E2EOptions{
				Topic: pf.topic, NumRecords: pf.numRecords, RecordSize: pf.recordSize, Throughput: pf.throughput,
				Props: props, Timeout: timeout, Progress: out, Interval: pf.interval, Logger: stderrLogger(cmd),
			})
			if res != nil {
				if _, err := fmt.Fprintln(out, res); err != nil {
					return fmt.Errorf("bench kafka e2e: %w", err)
				}
			}
			if runErr != nil {
				return fmt.Errorf("bench kafka e2e: %w", runErr)
			}
			return nil
		},
	}
	pf.add(cmd)
	cmd.Flags().Var(msValue{&timeout}, "timeout", "how long in ms the consumer waits for a record once the producer is done (or with a unit: 10s)")
	return cmd
}

// NewLoopbackCommand returns `bench loopback`, which measures loopback TCP throughput
// between two processes (RunLoopback) and prints it with half of it, the single-broker
// target, in MB/sec (MiB/s) as Kafka's tools print.
func NewLoopbackCommand() *cobra.Command {
	var (
		o         = LoopbackOptions{Duration: DefaultLoopbackDuration, Size: DefaultLoopbackSize}
		inProcess bool
		peer      string
	)
	cmd := &cobra.Command{
		Use:   "loopback",
		Short: "Measure this machine's loopback TCP throughput between two processes",
		Long: "Measure this machine's loopback TCP throughput: a second zkafka process writes --size\n" +
			"buffers to one 127.0.0.1 connection as fast as it can while this one reads them for\n" +
			"--duration. The yardstick for the broker: a single broker should take 1 KB records\n" +
			"with acks=1 at no less than half of this (the \"half\" line).",
		Example: "  zkafka bench loopback --duration 10s --size 131072",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := kafkaCommandContext(cmd)
			if peer != "" {
				return LoopbackPeer(ctx, peer, o.Size)
			}
			if !inProcess {
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("bench loopback: %w", err)
				}
				path := strings.Fields(cmd.CommandPath())[1:] // the subcommand words after the binary's name
				size := strconv.Itoa(o.Size)
				o.Peer = func(addr string) *exec.Cmd {
					return exec.Command(exe, append(path, "--peer", addr, "--size", size)...)
				}
			}
			res, runErr := RunLoopback(ctx, o)
			if res != nil {
				if _, err := fmt.Fprintln(cmd.OutOrStdout(), res); err != nil {
					return fmt.Errorf("bench loopback: %w", err)
				}
			}
			if runErr != nil {
				return fmt.Errorf("bench loopback: %w", runErr)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.Duration, "duration", DefaultLoopbackDuration, "how long bytes are counted")
	f.IntVar(&o.Size, "size", DefaultLoopbackSize, "bytes per write and per read")
	f.BoolVar(&inProcess, "goroutines", false, "send from a goroutine of this process instead of a second process")
	f.StringVar(&peer, "peer", "", "be the sending process, connecting to this address (used by the command itself)")
	_ = f.MarkHidden("peer") // the flag exists: cannot fail
	return cmd
}

// loadProperties reads Java properties from file (when not empty), then PROP=VALUE pairs
// from a flag and from args, later ones winning. args are only accepted after the flag
// (changed), as argparse's nargs="+" takes them in Kafka's tools.
func loadProperties(file string, pairs, args []string, changed bool, flag string) (map[string]string, error) {
	if len(args) > 0 && !changed {
		return nil, fmt.Errorf("%w: unexpected argument %q", ErrInvalidOptions, args[0])
	}
	props := map[string]string{}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
		}
		defer f.Close()
		p, err := config.ParseProperties(f)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidOptions, file, err)
		}
		for _, e := range p.Entries() {
			props[e.Key] = e.Value
		}
	}
	for _, kv := range append(append([]string(nil), pairs...), args...) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: invalid property %q in %s (want PROP=VALUE)", ErrInvalidOptions, kv, flag)
		}
		props[k] = v
	}
	return props, nil
}

// msValue is a duration flag given in milliseconds, as Kafka's tools take them, or as a
// Go duration with a unit.
type msValue struct{ d *time.Duration }

// String prints the value in milliseconds.
func (v msValue) String() string {
	if v.d == nil {
		return "0"
	}
	return strconv.FormatInt(v.d.Milliseconds(), 10)
}

// Set parses milliseconds ("10000") or a duration ("10s").
func (v msValue) Set(s string) error {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*v.d = time.Duration(n) * time.Millisecond
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is neither milliseconds nor a duration", s)
	}
	*v.d = d
	return nil
}

// Type names the flag's value in help.
func (v msValue) Type() string { return "ms" }

// kafkaCommandContext is the command's context, or the background one.
func kafkaCommandContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// stderrLogger logs warnings and errors (ignored properties, client trouble) to the
// command's stderr, keeping stdout to Kafka's lines.
func stderrLogger(cmd *cobra.Command) *slog.Logger {
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}
