package kafkacli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// produceOptions are kafka-console-producer.sh's options.
type produceOptions struct {
	topic, bootstrap, brokerList   string
	sync                           bool
	compression                    string
	batchSize, retries             int
	retryBackoffMs, lingerMs       int64
	acks                           string
	requestTimeoutMs               int
	metadataExpiryMs, maxBlockMs   int64
	maxMemoryBytes                 int64
	maxPartitionMemoryBytes        int
	lineReader                     string
	socketBufferSize               int
	properties, producerProperties []string
	readerConfig, producerConfig   string
}

// lineReaderClasses are the reader class names that mean the line reader.
var lineReaderClasses = []string{"kafka.tools.ConsoleProducer$LineMessageReader", "org.apache.kafka.tools.LineMessageReader"}

// NewProduceCommand returns `zkafka produce`, kafka-console-producer.sh: it
// reads standard input and sends each line to --topic as one record (with
// a key and headers parsed out of the line when asked to), with Kafka
// 3.9's flags, defaults and exit statuses.
func NewProduceCommand() *cobra.Command {
	o := &produceOptions{}
	cmd := &cobra.Command{
		Use:   "produce --bootstrap-server HOST:PORT --topic TOPIC [options] < lines",
		Short: "Read lines from standard input and publish them to Kafka (kafka-console-producer.sh)",
		Long: `This tool helps to read data from standard input and publish it to Kafka, as
kafka-console-producer.sh does: one record per line; --property parse.key=true
and key.separator=SEP split a key off each line.`,
		RunE: func(cmd *cobra.Command, args []string) error { return runProduce(cmd, args, o) },
	}
	cmd.SetFlagErrorFunc(flagErrorFunc)
	f := cmd.Flags()
	f.SortFlags = false
	f.StringVar(&o.topic, "topic", "", "REQUIRED: The topic id to produce messages to.")
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to. The broker list string in the form HOST1:PORT1,HOST2:PORT2.")
	f.StringVar(&o.brokerList, "broker-list", "", "DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.")
	f.BoolVar(&o.sync, "sync", false, "If set message send requests to the brokers are synchronously, one at a time as they arrive.")
	f.StringVar(&o.compression, "compression-codec", "", "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'. If specified without value, then it defaults to 'gzip'")
	f.Lookup("compression-codec").NoOptDefVal = "gzip"
	f.IntVar(&o.batchSize, "batch-size", 16*1024, "Number of messages to send in a single batch if they are not being sent synchronously.")
	f.IntVar(&o.retries, "message-send-max-retries", 3, "The number of retries before the producer gives up and drops a message (retries).")
	f.Int64Var(&o.retryBackoffMs, "retry-backoff-ms", 100, "The time the producer waits before refreshing metadata for a retry (retry.backoff.ms).")
	f.Int64Var(&o.lingerMs, "timeout", 1000, "The maximum time in ms a message will queue awaiting sufficient batch size (linger.ms).")
	f.StringVar(&o.acks, "request-required-acks", "-1", "The required `acks` of the producer requests")
	f.IntVar(&o.requestTimeoutMs, "request-timeout-ms", 1500, "The ack timeout of the producer requests. Value must be non-negative and non-zero.")
	f.Int64Var(&o.metadataExpiryMs, "metadata-expiry-ms", 5*60*1000, "The period in ms after which metadata is refreshed (metadata.max.age.ms).")
	f.Int64Var(&o.maxBlockMs, "max-block-ms", 60*1000, "The max time that the producer will block for during a send request.")
	f.Int64Var(&o.maxMemoryBytes, "max-memory-bytes", 32*1024*1024, "The total memory used by the producer to buffer records (buffer.memory).")
	f.IntVar(&o.maxPartitionMemoryBytes, "max-partition-memory-bytes", 16*1024, "The buffer size allocated for a partition (batch.size).")
	f.StringVar(&o.lineReader, "line-reader", lineReaderClasses[0], "The class name of the class to use for reading lines from standard in. By default each line is read as a separate message.")
	f.IntVar(&o.socketBufferSize, "socket-buffer-size", 1024*100, "The size of the tcp RECV size (send.buffer.bytes).")
	f.StringArrayVar(&o.properties, "property", nil, "A property key=value for the message reader: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, ignore.error, null.marker.")
	f.StringVar(&o.readerConfig, "reader-config", "", "Config properties file for the message reader. Note that --property takes precedence over this config.")
	f.StringArrayVar(&o.producerProperties, "producer-property", nil, "A mechanism to pass user-defined properties in the form key=value to the producer.")
	f.StringVar(&o.producerConfig, "producer.config", "", "Producer config properties file. Note that --producer-property takes precedence over this config.")
	return cmd
}

// producerOpts turns Kafka producer properties into kgo options, failing
// with ConfigException's text for values Kafka would refuse.
func producerOpts(p *props) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	get := func(k string) (string, bool) {
		v, ok := p.Get(k)
		return javaTrim(v), ok
	}
	intOf := func(k string) (int64, bool, error) {
		v, ok := get(k)
		if !ok {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false, invalidValue(k, v, "Not a number of type LONG")
		}
		return n, true, nil
	}
	seeds, err := parseBootstrap(p.vals["bootstrap.servers"])
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.SeedBrokers(seeds...), kgo.AllowAutoTopicCreation())
	if v, ok := get("client.id"); ok {
		opts = append(opts, kgo.ClientID(v))
	}
	codec := "none"
	if v, ok := get("compression.type"); ok {
		codec = v
	}
	switch codec {
	case "none":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.NoCompression()))
	case "gzip":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.GzipCompression()))
	case "snappy":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.SnappyCompression()))
	case "lz4":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	case "zstd":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	default:
		return nil, invalidValue("compression.type", codec, "String must be one of: none, gzip, snappy, lz4, zstd")
	}
	acks := "all"
	if v, ok := get("acks"); ok {
		acks = v
	}
	idempotent := true
	idemSet := false
	if v, ok := get("enable.idempotence"); ok {
		switch {
		case strings.EqualFold(v, "true"):
			idemSet = true
		case strings.EqualFold(v, "false"):
			idempotent = false
		default:
			return nil, invalidValue("enable.idempotence", v, "Expected value to be either true or false")
		}
	}
	switch acks {
	case "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "0", "1":
		if idemSet {
			return nil, &javaError{"org.apache.kafka.common.config.ConfigException",
				"Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence."}
		}
		idempotent = false
		if acks == "0" {
			opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
		} else {
			opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
		}
	default:
		return nil, invalidValue("acks", acks, "String must be one of: all, -1, 0, 1")
	}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	ms := func(k string, apply func(time.Duration)) error {
		n, ok, err := intOf(k)
		if err != nil || !ok {
			return err
		}
		apply(time.Duration(n) * time.Millisecond)
		return nil
	}
	for _, s := range []struct {
		key   string
		apply func(time.Duration)
	}{
		{"linger.ms", func(d time.Duration) { opts = append(opts, kgo.ProducerLinger(d)) }},
		{"request.timeout.ms", func(d time.Duration) {
			if d > 0 {
				opts = append(opts, kgo.ProduceRequestTimeout(d))
			}
		}},
		{"retry.backoff.ms", func(d time.Duration) {
			opts = append(opts, kgo.RetryBackoffFn(func(int) time.Duration { return d }))
		}},
		{"metadata.max.age.ms", func(d time.Duration) {
			if d > 0 {
				opts = append(opts, kgo.MetadataMaxAge(d))
			}
		}},
		{"delivery.timeout.ms", func(d time.Duration) {
			if d > 0 {
				opts = append(opts, kgo.RecordDeliveryTimeout(d))
			}
		}},
	} {
		if err := ms(s.key, s.apply); err != nil {
			return nil, err
		}
	}
	if n, ok, err := intOf("retries"); err != nil {
		return nil, err
	} else if ok && n >= 0 {
		opts = append(opts, kgo.RecordRetries(int(n)))
	}
	if n, ok, err := intOf("buffer.memory"); err != nil {
		return nil, err
	} else if ok && n > 0 {
		opts = append(opts, kgo.MaxBufferedBytes(int(n)))
	}
	if n, ok, err := intOf("max.request.size"); err != nil {
		return nil, err
	} else if ok && n > 0 {
		opts = append(opts, kgo.ProducerBatchMaxBytes(int32(min(n, 1<<30))))
	}
	if v, ok := get("security.protocol"); ok && !strings.EqualFold(v, "PLAINTEXT") {
		return nil, fmt.Errorf("security.protocol=%s is not supported by zkafka (PLAINTEXT only)", v)
	}
	return opts, nil
}

// producerProps builds the producer's properties as ConsoleProducer does:
// the config file, then --producer-property, then the tool's own options
// (an option given on the command line wins; its default fills a gap).
func (o *produceOptions) producerProps(has func(string) bool) (*props, error) {
	p := newProps()
	if o.producerConfig != "" {
		fp, err := loadProps(o.producerConfig)
		if err != nil {
			return nil, err
		}
		p = fp
	}
	p.addAll(parseKeyValueArgs(o.producerProperties))
	if o.bootstrap != "" {
		p.Set("bootstrap.servers", o.bootstrap)
	} else {
		p.Set("bootstrap.servers", o.brokerList)
	}
	codec := "none"
	if has("compression-codec") {
		codec = o.compression
		if codec == "" {
			codec = "gzip"
		}
	}
	p.Set("compression.type", codec)
	if !p.Has("client.id") {
		p.Set("client.id", "console-producer")
	}
	merge := func(key, flag, value string) {
		if has(flag) || !p.Has(key) {
			p.Set(key, value)
		}
	}
	merge("linger.ms", "timeout", strconv.FormatInt(o.lingerMs, 10))
	merge("acks", "request-required-acks", o.acks)
	merge("request.timeout.ms", "request-timeout-ms", strconv.Itoa(o.requestTimeoutMs))
	merge("retries", "message-send-max-retries", strconv.Itoa(o.retries))
	merge("retry.backoff.ms", "retry-backoff-ms", strconv.FormatInt(o.retryBackoffMs, 10))
	merge("send.buffer.bytes", "socket-buffer-size", strconv.Itoa(o.socketBufferSize))
	merge("buffer.memory", "max-memory-bytes", strconv.FormatInt(o.maxMemoryBytes, 10))
	merge("batch.size", "batch-size", strconv.Itoa(o.batchSize))
	merge("batch.size", "max-partition-memory-bytes", strconv.Itoa(o.maxPartitionMemoryBytes))
	merge("metadata.max.age.ms", "metadata-expiry-ms", strconv.FormatInt(o.metadataExpiryMs, 10))
	merge("max.block.ms", "max-block-ms", strconv.FormatInt(o.maxBlockMs, 10))
	return p, nil
}

// isTerminal reports whether f is a character device (a console).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	st, err := file.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func runProduce(cmd *cobra.Command, args []string, o *produceOptions) error {
	has := cmd.Flags().Changed
	if cmd.Flags().NFlag() == 0 {
		return usageExit(cmd, "This tool helps to read data from standard input and publish it to Kafka.")
	}
	// joptsimple's optional argument: `--compression-codec lz4` takes lz4.
	if has("compression-codec") && o.compression == "gzip" && len(args) == 1 {
		o.compression, args = args[0], nil
	}
	if len(args) > 0 {
		return usageExit(cmd, fmt.Sprintf("unexpected argument %q", args[0]))
	}
	if !has("bootstrap-server") && !has("broker-list") {
		return usageExit(cmd, "Missing required option(s) [bootstrap-server]")
	}
	if !has("topic") {
		return usageExit(cmd, `Missing required argument "[topic]"`)
	}
	hostPorts := o.brokerList
	if has("bootstrap-server") {
		hostPorts = o.bootstrap
	}
	for _, hp := range strings.Split(hostPorts, ",") {
		if !validHostPort(hp) {
			return usageExit(cmd, "Please provide valid host:port like host1:9091,host2:9092\n ")
		}
	}
	if !contains(lineReaderClasses, o.lineReader) {
		fmt.Fprintln(cmd.ErrOrStderr(), "java.lang.ClassNotFoundException: "+o.lineReader)
		return exit(1)
	}
	errw := cmd.ErrOrStderr()
	// Any failure from here on is printed as Java's printStackTrace's
	// first line.
	fail := func(err error) error {
		fmt.Fprintln(errw, javaClassOf(err)+": "+err.Error())
		return exit(1)
	}
	pp, err := o.producerProps(has)
	if err != nil {
		return fail(err)
	}
	opts, err := producerOpts(pp)
	if err != nil {
		return fail(err)
	}
	cl, err := kgo.NewClient(append(opts, kgo.DefaultProduceTopic(o.topic))...)
	if err != nil {
		return fail(err)
	}
	defer cl.Close()

	rp := newProps()
	if o.readerConfig != "" {
		fp, err := loadProps(o.readerConfig)
		if err != nil {
			return fail(err)
		}
		rp = fp
	}
	rp.Set("topic", o.topic)
	rp.addAll(parseKeyValueArgs(o.properties))
	in := cmd.InOrStdin()
	reader, err := newLineReader(rp, in)
	if err != nil {
		return fail(err)
	}
	prompt := isTerminal(in) && isTerminal(cmd.OutOrStdout())
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	var logMu sync.Mutex
	for {
		if prompt {
			fmt.Fprint(cmd.OutOrStdout(), ">")
		}
		rec, ok, err := reader.next()
		if err != nil {
			cl.Flush(ctx)
			return fail(err)
		}
		if !ok {
			break
		}
		r := &kgo.Record{Topic: o.topic, Key: rec.key, Value: rec.value}
		for _, h := range rec.headers {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: h.key, Value: h.value})
		}
		if o.sync {
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				fmt.Fprintln(errw, "java.util.concurrent.ExecutionException: "+producerErrorString(err, r.Topic, o.maxBlockMs))
				return exit(1)
			}
			continue
		}
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			if err == nil {
				return
			}
			logMu.Lock()
			defer logMu.Unlock()
			logLine(errw, "ERROR", fmt.Sprintf("Error when sending message to topic %s with key: %s, value: %s with error:",
				r.Topic, sizeString(r.Key), sizeString(r.Value)),
				"org.apache.kafka.clients.producer.internals.ErrorLoggingCallback")
			fmt.Fprintln(errw, producerErrorString(err, r.Topic, o.maxBlockMs))
		})
	}
	// KafkaProducer.close: everything sent is delivered (or has failed).
	cl.Flush(ctx)
	return nil
}

// sizeString is how ErrorLoggingCallback shows a key or value.
func sizeString(b []byte) string {
	if b == nil {
		return "null"
	}
	return strconv.Itoa(len(b)) + " bytes"
}

// producerErrorString renders a produce error as a Java exception line. A
// topic that does not exist is reported as Kafka's producer reports it once
// max.block.ms has passed (zkafka's producer gives up sooner).
func producerErrorString(err error, topic string, maxBlockMs int64) string {
	if errors.Is(err, kerr.UnknownTopicOrPartition) || strings.HasPrefix(err.Error(), "no partitions available") {
		return fmt.Sprintf("org.apache.kafka.common.errors.TimeoutException: Topic %s not present in metadata after %d ms.", topic, maxBlockMs)
	}
	class, msg := javaException(err)
	return class + ": " + msg
}
