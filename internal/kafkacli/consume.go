package kafkacli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consumeOptions are kafka-console-consumer.sh's options.
type consumeOptions struct {
	topic, include, whitelist      string
	partition                      int32
	offset                         string
	consumerProperties             []string
	consumerConfig                 string
	formatter                      string
	properties                     []string
	formatterConfig                string
	fromBeginning                  bool
	maxMessages                    int
	timeoutMs                      int64
	skipMessageOnError             bool
	bootstrap                      string
	keyDeserializer, valueDeserial string
	systestEvents                  bool
	isolationLevel                 string
	group                          string
}

// Formatter class names kafka-console-consumer accepts.
const (
	defaultFormatterClass = "org.apache.kafka.tools.consumer.DefaultMessageFormatter"
	loggingFormatterClass = "org.apache.kafka.tools.consumer.LoggingMessageFormatter"
	noOpFormatterClass    = "org.apache.kafka.tools.consumer.NoOpMessageFormatter"
)

// consumerLogger is the logger name of the console consumer's log lines.
const consumerLogger = "org.apache.kafka.tools.consumer.ConsoleConsumer"

// NewConsumeCommand returns `zkafka consume`, kafka-console-consumer.sh: it
// prints the records of --topic (all its partitions, or --partition from
// --offset) to standard output, formatted by the --property print.*
// settings, and stops after --max-messages or --timeout-ms, reporting
// "Processed a total of N messages" on stderr. It consumes without a
// consumer group: partitions are assigned directly.
func NewConsumeCommand() *cobra.Command {
	o := &consumeOptions{}
	cmd := &cobra.Command{
		Use:   "consume --bootstrap-server HOST:PORT --topic TOPIC [options]",
		Short: "Read data from Kafka topics and write it to standard output (kafka-console-consumer.sh)",
		Long: `This tool helps to read data from Kafka topics and outputs it to standard output,
as kafka-console-consumer.sh does. It does not join a consumer group yet: it
reads every partition of --topic (or --partition) directly.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runConsume(cmd, args, o) },
	}
	cmd.SetFlagErrorFunc(flagErrorFunc)
	f := cmd.Flags()
	f.SortFlags = false
	f.StringVar(&o.topic, "topic", "", "The topic to consume on.")
	f.StringVar(&o.whitelist, "whitelist", "", "DEPRECATED, use --include instead; ignored if --include specified. Regular expression specifying list of topics to include for consumption.")
	f.StringVar(&o.include, "include", "", "Regular expression specifying list of topics to include for consumption.")
	f.Int32Var(&o.partition, "partition", 0, "The partition to consume from. Consumption starts from the end of the partition unless '--offset' is specified.")
	f.StringVar(&o.offset, "offset", "latest", "The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or 'latest' which means from end")
	f.StringArrayVar(&o.consumerProperties, "consumer-property", nil, "A mechanism to pass user-defined properties in the form key=value to the consumer.")
	f.StringVar(&o.consumerConfig, "consumer.config", "", "Consumer config properties file. Note that --consumer-property takes precedence over this config.")
	f.StringVar(&o.formatter, "formatter", defaultFormatterClass, "The name of a class to use for formatting kafka messages for display.")
	f.StringArrayVar(&o.properties, "property", nil, "The properties to initialize the message formatter: print.timestamp, print.key, print.offset, print.partition, print.headers, print.value (true|false), key.separator, line.separator, headers.separator, null.literal, key.deserializer, value.deserializer, headers.deserializer.")
	f.StringVar(&o.formatterConfig, "formatter-config", "", "Config properties file to initialize the message formatter. Note that --property takes precedence over this config.")
	f.BoolVar(&o.fromBeginning, "from-beginning", false, "If the consumer does not already have an established offset to consume from, start with the earliest message present in the log rather than the latest message.")
	f.IntVar(&o.maxMessages, "max-messages", -1, "The maximum number of messages to consume before exiting. If not set, consumption is continual.")
	f.Int64Var(&o.timeoutMs, "timeout-ms", -1, "If specified, exit if no message is available for consumption for the specified interval.")
	f.BoolVar(&o.skipMessageOnError, "skip-message-on-error", false, "If there is an error when processing a message, skip it instead of halt.")
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: The server(s) to connect to.")
	f.StringVar(&o.keyDeserializer, "key-deserializer", "", "The deserializer for keys.")
	f.StringVar(&o.valueDeserial, "value-deserializer", "", "The deserializer for values.")
	f.BoolVar(&o.systestEvents, "enable-systest-events", false, "Log lifecycle events of the consumer in addition to logging consumed messages. (This is specific for system tests.)")
	f.StringVar(&o.isolationLevel, "isolation-level", "read_uncommitted", "Set to read_committed in order to filter out transactional messages which are not committed. Set to read_uncommitted to read all messages.")
	f.StringVar(&o.group, "group", "", "The consumer group id of the consumer (not served by zkafka yet).")
	return cmd
}

// parseConsumeOffset is ConsoleConsumerOptions.parseOffset.
func parseConsumeOffset(s string) (int64, bool) {
	switch strings.ToLower(s) {
	case "earliest":
		return -2, true
	case "latest":
		return -1, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

func runConsume(cmd *cobra.Command, args []string, o *consumeOptions) error {
	has := cmd.Flags().Changed
	errw := cmd.ErrOrStderr()
	if cmd.Flags().NFlag() == 0 && len(args) == 0 {
		return usageExit(cmd, "This tool helps to read data from Kafka topics and outputs it to standard output.")
	}
	// checkRequiredArgs
	include, hasInclude := o.include, has("include")
	if !hasInclude && has("whitelist") {
		include, hasInclude = o.whitelist, true
	}
	if has("topic") == hasInclude {
		msg := "Exactly one of --include/--topic is required. "
		if has("whitelist") {
			msg += "--whitelist is DEPRECATED use --include instead; ignored if --include specified."
		}
		return usageExit(cmd, msg)
	}
	if has("partition") {
		if !has("topic") {
			return usageExit(cmd, "The topic is required when partition is specified.")
		}
		if o.fromBeginning && has("offset") {
			return usageExit(cmd, "Options from-beginning and offset cannot be specified together.")
		}
	} else if has("offset") {
		return usageExit(cmd, "The partition is required when offset is specified.")
	}
	if !has("bootstrap-server") {
		return usageExit(cmd, `Missing required argument "[bootstrap-server]"`)
	}

	// Consumer properties.
	fail := func(err error) error {
		logLine(errw, "ERROR", "Unknown error when running consumer: ", consumerLogger)
		fmt.Fprintln(errw, javaClassOf(err)+": "+err.Error())
		return exit(1)
	}
	cp := newProps()
	if o.consumerConfig != "" {
		p, err := loadProps(o.consumerConfig)
		if err != nil {
			fmt.Fprintln(errw, javaClassOf(err)+": "+err.Error())
			return exit(1)
		}
		cp = p
	}
	extra := parseKeyValueArgs(o.consumerProperties)
	var groups []string
	for _, g := range []struct {
		ok bool
		v  string
	}{{has("group"), o.group}, {cp.Has("group.id"), cp.vals["group.id"]}, {extra.Has("group.id"), extra.vals["group.id"]}} {
		if g.ok && !contains(groups, g.v) {
			groups = append(groups, g.v)
		}
	}
	if len(groups) > 1 {
		quoted := make([]string, len(groups))
		for i, g := range groups {
			quoted[i] = "'" + g + "'"
		}
		return usageExit(cmd, "The group ids provided in different places (directly using '--group', via '--consumer-property', "+
			"or via '--consumer.config') do not match. Detected group ids: "+strings.Join(quoted, ", "))
	}
	if len(groups) > 0 && has("partition") {
		return usageExit(cmd, "Options group and partition cannot be specified together.")
	}
	if len(groups) > 0 {
		fmt.Fprintf(errw, "zkafka consume: consumer groups are not served yet; drop the group id %q to read partitions directly\n", groups[0])
		return exit(1)
	}
	cp.addAll(extra)
	if v, ok := cp.Get("auto.offset.reset"); ok {
		if o.fromBeginning && v != "earliest" {
			fmt.Fprintf(errw, "Can't simultaneously specify --from-beginning and 'auto.offset.reset=%s', please remove one option\n", v)
			return exit(1)
		}
	} else if o.fromBeginning {
		cp.Set("auto.offset.reset", "earliest")
	} else {
		cp.Set("auto.offset.reset", "latest")
	}
	cp.Set("bootstrap.servers", o.bootstrap)
	if !cp.Has("client.id") {
		cp.Set("client.id", "console-consumer")
	}
	if has("isolation-level") || !cp.Has("isolation.level") {
		cp.Set("isolation.level", o.isolationLevel)
	}

	offset := int64(-1)
	if has("offset") {
		n, ok := parseConsumeOffset(o.offset)
		if !ok {
			return usageExit(cmd, "The provided offset value '"+o.offset+"' is incorrect. Valid values are "+
				"'earliest', 'latest', or a non-negative long.")
		}
		offset = n
	} else if o.fromBeginning {
		offset = -2
	}
	timeout := time.Duration(math.MaxInt64)
	if o.timeoutMs >= 0 {
		timeout = time.Duration(o.timeoutMs) * time.Millisecond
	}

	// The formatter.
	fp := newProps()
	if o.formatterConfig != "" {
		p, err := loadProps(o.formatterConfig)
		if err != nil {
			return usageExit(cmd, err.Error())
		}
		fp = p
	}
	if o.keyDeserializer != "" {
		fp.Set("key.deserializer", o.keyDeserializer)
	}
	if o.valueDeserial != "" {
		fp.Set("value.deserializer", o.valueDeserial)
	}
	fp.addAll(parseKeyValueArgs(o.properties))
	class := o.formatter
	if strings.HasPrefix(class, "kafka.tools.") && strings.HasSuffix(class, "MessageFormatter") {
		short := strings.TrimPrefix(class, "kafka.tools.")
		if short == "DefaultMessageFormatter" || short == "LoggingMessageFormatter" || short == "NoOpMessageFormatter" {
			fmt.Fprintf(errw, "WARNING: %s is deprecated and will be removed in the next major release. "+
				"Please use org.apache.kafka.tools.consumer.%s instead\n", class, short)
			class = "org.apache.kafka.tools.consumer." + short
		}
	}
	if class != defaultFormatterClass && class != loggingFormatterClass && class != noOpFormatterClass {
		return usageExit(cmd, class)
	}
	formatter := newMessageFormatter(fp, func(msg string) {
		logLine(errw, "ERROR", msg, "org.apache.kafka.tools.consumer.DefaultMessageFormatter")
	})
	formatter.noop = class == noOpFormatterClass

	opts, err := consumerOpts(cp)
	if err != nil {
		return fail(err)
	}
	if has("partition") {
		start := kgo.NewOffset().AtEnd()
		switch {
		case offset == -2:
			start = kgo.NewOffset().AtStart()
		case offset >= 0:
			start = kgo.NewOffset().At(offset)
		}
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.topic: {o.partition: start}}))
	} else if has("topic") {
		opts = append(opts, kgo.ConsumeTopics(o.topic))
	} else {
		re, err := includeList(include)
		if err != nil {
			return fail(err)
		}
		var internal []string
		for t := range internalTopics {
			internal = append(internal, t)
		}
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics(re.String()), kgo.ConsumeExcludeTopics(internal...))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fail(err)
	}
	defer cl.Close()

	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	// SIGINT and SIGTERM end consumption; the count is still reported and
	// the status is the JVM's for the signal (128+n).
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigc)
	caught := make(chan int, 1)
	go func() {
		select {
		case sig := <-sigc:
			code := 130
			if sig == syscall.SIGTERM {
				code = 143
			}
			caught <- code
			cancel()
		case <-ctx.Done():
		}
	}()
	out := cmd.OutOrStdout()
	if out == os.Stdout {
		// A closed pipe must be an error to report, not a silent death.
		pipe := make(chan os.Signal, 1)
		signal.Notify(pipe, syscall.SIGPIPE)
		defer signal.Stop(pipe)
	}
	c := &consoleConsumer{cl: cl, out: out, errw: errw, formatter: formatter, timeout: timeout,
		maxMessages: o.maxMessages, skipOnError: o.skipMessageOnError}
	runErr := c.process(ctx)
	fmt.Fprintf(errw, "Processed a total of %d messages\n", c.count)
	if o.systestEvents {
		fmt.Fprintln(out, "shutdown_complete")
	}
	if runErr != nil {
		logLine(errw, "ERROR", "Unknown error when running consumer: ", consumerLogger)
		fmt.Fprintln(errw, javaClassOf(runErr)+": "+runErr.Error())
		return exit(1)
	}
	select {
	case code := <-caught:
		return exit(code)
	default:
	}
	return nil
}

// consumerOpts turns Kafka consumer properties into kgo options.
func consumerOpts(p *props) ([]kgo.Opt, error) {
	get := func(k string) (string, bool) {
		v, ok := p.Get(k)
		return javaTrim(v), ok
	}
	seeds, err := parseBootstrap(p.vals["bootstrap.servers"])
	if err != nil {
		return nil, err
	}
	opts := []kgo.Opt{kgo.SeedBrokers(seeds...)}
	if v, ok := get("client.id"); ok {
		opts = append(opts, kgo.ClientID(v))
	}
	switch v, _ := get("auto.offset.reset"); v {
	case "earliest":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	case "latest":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	case "none":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NoResetOffset()))
	default:
		return nil, invalidValue("auto.offset.reset", v, "String must be one of: latest, earliest, none")
	}
	switch v, _ := get("isolation.level"); strings.ToLower(v) {
	case "read_uncommitted":
	case "read_committed":
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	default:
		return nil, invalidValue("isolation.level", v, "String must be one of (case insensitive): read_committed, read_uncommitted")
	}
	if v, ok := get("allow.auto.create.topics"); !ok || strings.EqualFold(v, "true") {
		opts = append(opts, kgo.AllowAutoTopicCreation())
	}
	for _, s := range []struct {
		key   string
		apply func(int64) kgo.Opt
	}{
		{"fetch.max.wait.ms", func(n int64) kgo.Opt { return kgo.FetchMaxWait(time.Duration(n) * time.Millisecond) }},
		{"fetch.min.bytes", func(n int64) kgo.Opt { return kgo.FetchMinBytes(int32(n)) }},
		{"fetch.max.bytes", func(n int64) kgo.Opt { return kgo.FetchMaxBytes(int32(n)) }},
		{"max.partition.fetch.bytes", func(n int64) kgo.Opt { return kgo.FetchMaxPartitionBytes(int32(n)) }},
	} {
		if v, ok := get(s.key); ok {
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil || n <= 0 {
				return nil, invalidValue(s.key, v, "Not a number of type INT")
			}
			opts = append(opts, s.apply(n))
		}
	}
	if v, ok := get("security.protocol"); ok && !strings.EqualFold(v, "PLAINTEXT") {
		return nil, fmt.Errorf("security.protocol=%s is not supported by zkafka (PLAINTEXT only)", v)
	}
	return opts, nil
}

// consoleConsumer is ConsoleConsumer.process over a kgo client.
type consoleConsumer struct {
	cl          *kgo.Client
	out, errw   io.Writer
	formatter   *messageFormatter
	timeout     time.Duration
	maxMessages int
	skipOnError bool
	count       int
	buffered    []*kgo.Record
}

// errConsumeTimeout is the TimeoutException ConsoleConsumer raises when no
// record came within --timeout-ms.
var errConsumeTimeout = &javaError{"org.apache.kafka.common.errors.TimeoutException", ""}

// receive returns the next record, polling for more when none is
// buffered; it fails after the timeout passes without a record.
func (c *consoleConsumer) receive(ctx context.Context) (*kgo.Record, error) {
	start := time.Now()
	for len(c.buffered) == 0 {
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if c.timeout != time.Duration(math.MaxInt64) {
			pollCtx, cancel = context.WithDeadline(ctx, start.Add(c.timeout))
		}
		fs := c.cl.PollFetches(pollCtx)
		cancel()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, fe := range fs.Errors() {
			var dataLoss *kgo.ErrDataLoss
			switch {
			case errors.Is(fe.Err, context.DeadlineExceeded), errors.Is(fe.Err, context.Canceled):
			case errors.As(fe.Err, &dataLoss):
			default:
				return nil, fe.Err
			}
		}
		c.buffered = fs.Records()
		if len(c.buffered) == 0 && time.Since(start) >= c.timeout {
			return nil, errConsumeTimeout
		}
	}
	r := c.buffered[0]
	c.buffered = c.buffered[1:]
	return r, nil
}

// process prints records until --max-messages, a timeout, an error or the
// end of ctx. It returns only the errors that end the tool with status 1.
func (c *consoleConsumer) process(ctx context.Context) error {
	var buf []byte
	for c.count < c.maxMessages || c.maxMessages == -1 {
		r, err := c.receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			logLine(c.errw, "ERROR", "Error processing message, terminating consumer process: ", consumerLogger)
			class, msg := javaException(err)
			if msg != "" {
				class += ": " + msg
			}
			fmt.Fprintln(c.errw, class)
			return nil
		}
		c.count++
		fr := formattedRecord{topic: r.Topic, partition: r.Partition, offset: r.Offset,
			timestampType: r.Attrs.TimestampType(), timestamp: r.Timestamp.UnixMilli(), key: r.Key, value: r.Value}
		for _, h := range r.Headers {
			fr.headers = append(fr.headers, header{key: h.Key, value: h.Value})
		}
		buf, err = c.formatter.format(buf[:0], fr)
		if err != nil {
			if !c.skipOnError {
				return err
			}
			logLine(c.errw, "ERROR", "Error processing message, skipping this message: ", consumerLogger)
			fmt.Fprintln(c.errw, javaClassOf(err)+": "+err.Error())
			continue
		}
		if len(buf) > 0 {
			if _, err := c.out.Write(buf); err != nil {
				fmt.Fprintln(c.errw, "Unable to write to standard out, closing consumer.")
				return nil
			}
		}
	}
	return nil
}
