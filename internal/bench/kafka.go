package bench

// The Kafka load generators behind `zkafka bench kafka` and `zkafka bench loopback`.
//
// RunProduce and RunConsume do what kafka-producer-perf-test.sh and
// kafka-consumer-perf-test.sh do, with franz-go (kgo) as the client, and print the same
// lines, so numbers and scripts carry over:
//
//	producer, every Interval:  N records sent, X records/sec (Y MB/sec), Z ms avg latency, W ms max latency.
//	producer, at the end:      N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency,
//	                           P ms 50th, P ms 95th, P ms 99th, P ms 99.9th.   (one line)
//	consumer:                  start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg,
//	                           nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
//
// MB is MiB (1024×1024 bytes) as in Kafka's tools. A producer latency runs from just before
// the record is handed to the client (so time blocked on a full buffer counts, as in Kafka)
// to its acknowledgement. RunE2E produces and consumes at once and measures each record
// from its timestamp, which the producer sets when it hands the record over, to the moment
// the consumer has it. Record timestamps travel in whole milliseconds, so end-to-end
// figures run up to 1 ms high; producer figures do not (they never leave the process).
// Latencies go into HdrHistograms (1 µs to 60 s, three significant digits); like Kafka's
// tools, the printed percentiles are whole milliseconds, rounded down.
//
// Producer properties use the Java client's names (see ProduceOptions.Props). zkafka's
// broker has no InitProducerId and no consumer groups yet, so the producer is not
// idempotent unless enable.idempotence=true is given, and the consumers read every
// partition directly rather than through a group (rebalance.time.ms is always 0).
//
// With ProduceOptions.Producer = ProducerRaw and ConsumeOptions.Consumer = ConsumerRaw,
// RunProduce and RunConsume use lean load generators of their own (kafka_raw.go,
// kafka_rawconsume.go) instead of franz-go, so that one broker can be measured rather
// than one client; their output is the same.
//
// RunLoopback measures how fast this machine moves bytes over one loopback TCP connection
// between two processes (or two goroutines): the yardstick for "a single broker takes 1 KB
// records with acks=1 at no less than half of what loopback TCP carries".

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	randv2 "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Defaults of the Kafka load generators, Kafka's own where Kafka's tools have one.
const (
	// DefaultKafkaInterval is the period of progress lines (Kafka's 5000 ms).
	DefaultKafkaInterval = 5 * time.Second
	// DefaultConsumeTimeout is how long a consumer waits for the next record before it
	// gives up (kafka-consumer-perf-test's --timeout default).
	DefaultConsumeTimeout = 10 * time.Second
	// DefaultFetchSize is the most a fetch returns per partition (--fetch-size).
	DefaultFetchSize = 1 << 20
	// DefaultProducerClientID is the producer's client.id when none is given (Kafka's).
	DefaultProducerClientID = "perf-producer-client"
	// DefaultConsumerClientID is the consumer's client.id when none is given (Kafka's).
	DefaultConsumerClientID = "perf-consumer-client"
	// DefaultMaxInFlight is max.in.flight.requests.per.connection when not given
	// (Kafka's default; franz-go's own default without idempotence is 1).
	DefaultMaxInFlight = 5
	// DefaultLoopbackDuration is how long RunLoopback counts bytes.
	DefaultLoopbackDuration = 5 * time.Second
	// DefaultLoopbackSize is RunLoopback's write and read buffer.
	DefaultLoopbackSize = 128 << 10
)

// Errors of the Kafka load generators, wrapped with context. Invalid options are reported
// with ErrInvalidOptions.
var (
	// ErrRecordsFailed reports records the producer could not deliver.
	ErrRecordsFailed = errors.New("bench: records failed")
	// ErrFetchFailed reports errors a consumer saw while fetching.
	ErrFetchFailed = errors.New("bench: fetch failed")
	// ErrIncomplete reports an end-to-end run whose consumer did not get every record the
	// producer delivered before its timeout.
	ErrIncomplete = errors.New("bench: records not received")
	// ErrLoopback reports a loopback measurement that could not be made.
	ErrLoopback = errors.New("bench: loopback")
)

// pollInterval bounds each consumer poll, as Kafka's perf consumer polls for 100 ms.
const pollInterval = 100 * time.Millisecond

// mib is the "MB" of Kafka's tools.
const mib = 1024 * 1024

// ProduceOptions configures RunProduce: the flags of kafka-producer-perf-test.sh.
type ProduceOptions struct {
	// Topic receives the records; it is created on first use when the cluster allows.
	Topic string
	// NumRecords is how many records to send (> 0).
	NumRecords int64
	// RecordSize is each record's value size in bytes (> 0); values are random upper-case
	// letters, as Kafka's tool makes them. Records have no key.
	RecordSize int
	// Throughput caps the send rate in records per second; zero or negative means
	// unthrottled (-1 on the command line, as in Kafka).
	Throughput float64
	// Props are producer properties with the Java client's names. bootstrap.servers is
	// required. Understood: acks (0, 1, -1/all; default all), linger.ms, batch.size,
	// compression.type (none, gzip, snappy, lz4, zstd; default none),
	// max.in.flight.requests.per.connection (or max.in.flight; default 5), client.id,
	// enable.idempotence (default false), buffer.memory, max.request.size,
	// request.timeout.ms, delivery.timeout.ms, retries. Others are logged and ignored, as
	// the Java client does. Unset ones keep franz-go's defaults.
	Props map[string]string
	// Progress, when not nil, receives Kafka's window line every Interval.
	Progress io.Writer
	// Interval is the period of progress lines; zero means DefaultKafkaInterval.
	Interval time.Duration
	// Logger receives ignored-property warnings and the client's own logs; nil discards.
	Logger *slog.Logger
	// Producer is ProducerKgo (the default when empty) or ProducerRaw, which understands
	// bootstrap.servers, acks, batch.size, max.in.flight.requests.per.connection,
	// client.id and request.timeout.ms, and sends uncompressed batches only.
	Producer string
	// Connections is the raw producer's connections to each partition leader; zero means
	// DefaultRawConnections. The kgo producer uses one per broker.
	Connections int
}

// validate fills defaults into a copy of o and reports what cannot be used.
func (o ProduceOptions) validate() (ProduceOptions, error) {
	switch o.Producer {
	case "":
		o.Producer = ProducerKgo
	case ProducerKgo, ProducerRaw:
	default:
		return o, fmt.Errorf("%w: producer %q is not %s or %s", ErrInvalidOptions, o.Producer, ProducerKgo, ProducerRaw)
	}
	if o.Connections == 0 {
		o.Connections = DefaultRawConnections
	}
	if o.Connections < 0 || o.Connections > 64 {
		return o, fmt.Errorf("%w: connections %d not in 1..64", ErrInvalidOptions, o.Connections)
	}
	if o.Topic == "" {
		return o, fmt.Errorf("%w: no topic", ErrInvalidOptions)
	}
	if o.NumRecords <= 0 {
		return o, fmt.Errorf("%w: num-records %d should be greater than zero", ErrInvalidOptions, o.NumRecords)
	}
	if o.RecordSize <= 0 {
		return o, fmt.Errorf("%w: record-size %d should be greater than zero", ErrInvalidOptions, o.RecordSize)
	}
	if o.Interval == 0 {
		o.Interval = DefaultKafkaInterval
	}
	if o.Interval < 0 {
		return o, fmt.Errorf("%w: interval %v < 0", ErrInvalidOptions, o.Interval)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// LatencySummary is one side of a run as Kafka's final line reports it.
type LatencySummary struct {
	// Records and Bytes count the records that made it (acknowledged, or received) and
	// their value bytes.
	Records int64
	Bytes   int64
	// Elapsed is the wall time from the start of the run to its end (the producer's last
	// acknowledgement, or the consumer's last record).
	Elapsed time.Duration
	// RecordsPerSec and MBPerSec are Records and Bytes (in MiB) over Elapsed.
	RecordsPerSec float64
	MBPerSec      float64
	// Avg is the mean latency; Max and the percentiles come from the histogram (exact to
	// three significant digits).
	Avg, Max            time.Duration
	P50, P95, P99, P999 time.Duration
}

// line formats s as kafka-producer-perf-test's final line; verb is "sent" or "received"
// and qual qualifies "latency" ("" or "end-to-end ").
func (s LatencySummary) line(verb, qual string) string {
	return fmt.Sprintf("%d records %s, %f records/sec (%.2f MB/sec), %.2f ms avg %slatency, %.2f ms max %slatency, "+
		"%d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.",
		s.Records, verb, s.RecordsPerSec, s.MBPerSec, msFloat(s.Avg), qual, msFloat(s.Max), qual,
		msInt(s.P50), msInt(s.P95), msInt(s.P99), msInt(s.P999))
}

// ProduceResult is the outcome of one RunProduce.
type ProduceResult struct {
	// LatencySummary covers the acknowledged records.
	LatencySummary
	// Errors counts records that failed; FirstError is the first failure.
	Errors     int64
	FirstError error
	// Metrics are the client's counters, for --print-metrics.
	Metrics []Metric
	// Producer describes the raw producer that ran (the line RunProduce writes to
	// Progress first); empty for kgo.
	Producer string
}

// String returns kafka-producer-perf-test's final line, without a newline.
func (r *ProduceResult) String() string { return r.line("sent", "") }

// RunProduce runs one producer load test as o describes and returns its result: it sends
// o.NumRecords records (paced to o.Throughput), waits for every acknowledgement, and
// closes the client. Records that fail are counted and make the error wrap
// ErrRecordsFailed. Cancelling ctx stops the run early: RunProduce then returns the
// partial result with an error wrapping ctx.Err().
func RunProduce(ctx context.Context, o ProduceOptions) (*ProduceResult, error) {
	o, err := o.validate()
	if err != nil {
		return nil, err
	}
	if o.Producer == ProducerRaw {
		return runRawProduce(ctx, o)
	}
	pc, err := producerConfig(o.Props)
	if err != nil {
		return nil, err
	}
	pc.warn(o.Logger)
	metrics := &clientMetrics{}
	cl, err := kgo.NewClient(append(pc.opts, kgo.WithHooks(metrics), kgo.WithLogger(kgoLogger{o.Logger}))...)
	if err != nil {
		return nil, fmt.Errorf("kafka produce: %w", err)
	}
	start := time.Now()
	p := newKafkaProducer(ctx, cl, o.Topic, o.RecordSize, o.NumRecords, start)
	rep := startReporter(o.Progress, o.Interval, windowSource{p.stats, "sent", ""})
	runErr := p.run(o.NumRecords, o.Throughput)
	end := time.Now()
	cl.Close() // fails what is still buffered (only after an interrupt) and ends every promise
	progressErr := rep.stop()

	res := &ProduceResult{}
	res.LatencySummary, res.Errors, res.FirstError = p.stats.summary(start, end)
	res.Metrics = metrics.producer(pc.clientID, res.Records, res.Errors, end.Sub(start))
	return res, produceError(ctx, res, o.NumRecords, runErr, progressErr)
}

// produceError is the error RunProduce returns for a run that ended with runErr.
func produceError(ctx context.Context, res *ProduceResult, n int64, runErr, progressErr error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kafka produce interrupted: %w", err)
	}
	if res.Errors > 0 {
		return fmt.Errorf("%w: %d of %d records: first: %w", ErrRecordsFailed, res.Errors, n, res.FirstError)
	}
	if runErr != nil {
		return fmt.Errorf("kafka produce: %w", runErr)
	}
	return progressErr
}

// kafkaProducer sends records and tallies their outcomes in stats.
type kafkaProducer struct {
	ctx      context.Context // the run's; failures after it ends are aborts, not errors
	cl       *kgo.Client
	topic    string
	payloads [][]byte
	start    time.Time
	stats    *latencyStats
	promise  func(*kgo.Record, error)
}

func newKafkaProducer(ctx context.Context, cl *kgo.Client, topic string, size int, n int64, start time.Time) *kafkaProducer {
	p := &kafkaProducer{
		ctx:      ctx,
		cl:       cl,
		topic:    topic,
		payloads: kafkaPayloads(size, n),
		start:    start,
		stats:    newLatencyStats(start),
	}
	// One promise for every record: the record's timestamp is its send time, so no
	// closure per record is needed.
	p.promise = func(r *kgo.Record, err error) {
		now := time.Now()
		if err != nil {
			if p.ctx.Err() == nil {
				p.stats.fail(fmt.Errorf("produce to %s: %w", r.Topic, err))
			}
			return
		}
		p.stats.record(now, now.Sub(r.Timestamp), len(r.Value))
	}
	return p
}

// run sends n records paced to perSec (unthrottled when not positive) and waits until
// every one is acknowledged or failed.
func (p *kafkaProducer) run(n int64, perSec float64) error {
	th := throttle{perSec: perSec, start: p.start}
	for i := range n {
		if perSec > 0 {
			if d := th.delay(i, time.Now()); d >= time.Millisecond {
				if err := sleepCtx(p.ctx, d); err != nil {
					return err
				}
			}
		}
		if err := p.ctx.Err(); err != nil {
			return err
		}
		r := &kgo.Record{Topic: p.topic, Value: p.payloads[i%int64(len(p.payloads))], Timestamp: time.Now()}
		p.cl.Produce(p.ctx, r, p.promise)
	}
	if err := p.cl.Flush(p.ctx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// kafkaPayloads returns the values to cycle through: random upper-case letters like
// Kafka's tool makes, enough distinct ones that batches do not compress unrealistically,
// at most 64 MiB in all.
func kafkaPayloads(size int, n int64) [][]byte {
	count := int64(max(1, min(4096, (64<<20)/size)))
	count = min(count, n)
	rng := randv2.New(randv2.NewPCG(0, 0))
	out := make([][]byte, count)
	for i := range out {
		b := make([]byte, size)
		for j := range b {
			b[j] = byte('A' + rng.IntN(26))
		}
		out[i] = b
	}
	return out
}

// throttle paces record i to be sent no earlier than start + i/perSec, so the rate over
// the run holds however the sends bunch up.
type throttle struct {
	perSec float64
	start  time.Time
}

// delay is how long to wait at now before sending record i; not positive means go.
func (t throttle) delay(i int64, now time.Time) time.Duration {
	if t.perSec <= 0 {
		return 0
	}
	due := t.start.Add(time.Duration(float64(i) / t.perSec * float64(time.Second)))
	return due.Sub(now)
}

// sleepCtx waits d or until ctx ends, returning ctx's error in that case.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// latencyStats tallies records with their latencies: totals and a histogram for the final
// line, and the current window for progress lines. The producer's promise (or the e2e
// consumer) records; the reporter takes windows; both under mu.
type latencyStats struct {
	mu       sync.Mutex
	hist     *hdrhistogram.Histogram
	count    int64
	bytes    int64
	sum      time.Duration
	last     time.Time // when the last record was recorded
	errs     int64
	firstErr error
	win      statsWindow
}

// statsWindow is one progress line's worth of records.
type statsWindow struct {
	start    time.Time
	count    int64
	bytes    int64
	sum, max time.Duration
}

func newLatencyStats(start time.Time) *latencyStats {
	return &latencyStats{hist: newHistogram(), last: start, win: statsWindow{start: start}}
}

// record notes one record of n bytes with latency lat, seen at now.
func (s *latencyStats) record(now time.Time, lat time.Duration, n int) {
	lat = max(lat, 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	s.bytes += int64(n)
	s.sum += lat
	s.last = now
	recordLatency(s.hist, lat)
	s.win.count++
	s.win.bytes += int64(n)
	s.win.sum += lat
	s.win.max = max(s.win.max, lat)
}

// recordMany notes records acknowledged together at now, all with latency lat, whose
// values are bytes long in all.
func (s *latencyStats) recordMany(now time.Time, lat time.Duration, records, bytes int64) {
	lat = max(lat, 0)
	us := min(max(lat.Microseconds(), histLowest), histHighest)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count += records
	s.bytes += bytes
	s.sum += lat * time.Duration(records)
	s.last = now
	_ = s.hist.RecordValues(us, records) // in range by construction: cannot fail
	s.win.count += records
	s.win.bytes += bytes
	s.win.sum += lat * time.Duration(records)
	s.win.max = max(s.win.max, lat)
}

// failMany notes n failed records.
func (s *latencyStats) failMany(n int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs += n
	if s.firstErr == nil {
		s.firstErr = err
	}
}

// fail notes one failed record.
func (s *latencyStats) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs++
	if s.firstErr == nil {
		s.firstErr = err
	}
}

// takeWindow returns the window so far and starts a new one at now.
func (s *latencyStats) takeWindow(now time.Time) statsWindow {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.win
	s.win = statsWindow{start: now}
	return w
}

// counts returns the records recorded so far and when the last one was.
func (s *latencyStats) counts() (int64, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count, s.last
}

// summary reports the run from start to end, and the failures.
func (s *latencyStats) summary(start, end time.Time) (LatencySummary, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := LatencySummary{Records: s.count, Bytes: s.bytes, Elapsed: end.Sub(start)}
	if secs := sum.Elapsed.Seconds(); secs > 0 {
		sum.RecordsPerSec = float64(s.count) / secs
		sum.MBPerSec = float64(s.bytes) / mib / secs
	}
	if s.count > 0 {
		sum.Avg = s.sum / time.Duration(s.count)
		sum.Max = histDuration(s.hist.Max())
		sum.P50 = histDuration(s.hist.ValueAtQuantile(50))
		sum.P95 = histDuration(s.hist.ValueAtQuantile(95))
		sum.P99 = histDuration(s.hist.ValueAtQuantile(99))
		sum.P999 = histDuration(s.hist.ValueAtQuantile(99.9))
	}
	return sum, s.errs, s.firstErr
}

// windowLine formats w, ended at now, as kafka-producer-perf-test's progress line.
func windowLine(w statsWindow, now time.Time, verb, qual string) string {
	ms := float64(now.Sub(w.start)) / float64(time.Millisecond)
	var perSec, mbPerSec, avg float64
	if ms > 0 {
		perSec = 1000 * float64(w.count) / ms
		mbPerSec = 1000 * float64(w.bytes) / ms / mib
	}
	if w.count > 0 {
		avg = msFloat(w.sum / time.Duration(w.count))
	}
	return fmt.Sprintf("%d records %s, %.1f records/sec (%.2f MB/sec), %.1f ms avg %slatency, %.1f ms max %slatency.",
		w.count, verb, perSec, mbPerSec, avg, qual, msFloat(w.max), qual)
}

// msFloat is d in milliseconds.
func msFloat(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// msInt is d in whole milliseconds, rounded down.
func msInt(d time.Duration) int64 { return int64(d / time.Millisecond) }

// windowSource is one stream of progress lines.
type windowSource struct {
	stats     *latencyStats
	verb      string
	qualifier string
}

// reporter writes progress lines from its own goroutine until stopped.
type reporter struct {
	done chan struct{}
	wg   sync.WaitGroup
	err  error
}

// startReporter writes, every interval, a line for each source that had records in the
// window (as Kafka's tools print only when records arrive). A nil w reports nothing.
func startReporter(w io.Writer, interval time.Duration, sources ...windowSource) *reporter {
	r := &reporter{done: make(chan struct{})}
	if w == nil {
		return r
	}
	r.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-r.done:
				return
			case now := <-t.C:
				for _, s := range sources {
					win := s.stats.takeWindow(now)
					if win.count == 0 {
						continue
					}
					if _, err := fmt.Fprintln(w, windowLine(win, now, s.verb, s.qualifier)); err != nil {
						r.err = fmt.Errorf("write progress: %w", err)
						return
					}
				}
			}
		}
	})
	return r
}

// stop ends the reporter and returns its write error, if any.
func (r *reporter) stop() error {
	close(r.done)
	r.wg.Wait()
	return r.err
}

// ConsumeOptions configures RunConsume: the flags of kafka-consumer-perf-test.sh.
type ConsumeOptions struct {
	// BootstrapServers is the comma-separated host:port list to start from.
	BootstrapServers string
	// Topic is read from every partition.
	Topic string
	// Messages is how many records to read (> 0); as in Kafka, the last poll's records
	// all count, so a few more may be read.
	Messages int64
	// Timeout is the longest wait for the next record before giving up; zero means
	// DefaultConsumeTimeout.
	Timeout time.Duration
	// FromLatest starts at the end of each partition instead of its start.
	FromLatest bool
	// FetchSize is the most a fetch returns per partition; zero means DefaultFetchSize.
	FetchSize int32
	// Props are consumer properties with the Java client's names. Understood: client.id,
	// fetch.min.bytes, fetch.max.bytes, fetch.max.wait.ms, max.partition.fetch.bytes (over
	// FetchSize), isolation.level; bootstrap.servers when BootstrapServers is empty.
	// Others are logged and ignored.
	Props map[string]string
	// Progress, when not nil, receives a --show-detailed-stats row every Interval in
	// which records arrived.
	Progress io.Writer
	// Interval is the period of detailed rows; zero means DefaultKafkaInterval.
	Interval time.Duration
	// Logger receives ignored-property warnings and the client's own logs; nil discards.
	Logger *slog.Logger
	// Consumer is ConsumerKgo (the default when empty) or ConsumerRaw, which fetches
	// uncompressed batches itself (see kafka_rawconsume.go) and understands client.id,
	// fetch.min.bytes, fetch.max.bytes, max.partition.fetch.bytes and fetch.max.wait.ms.
	Consumer string
}

// validate fills defaults into a copy of o and reports what cannot be used.
func (o ConsumeOptions) validate() (ConsumeOptions, error) {
	switch o.Consumer {
	case "":
		o.Consumer = ConsumerKgo
	case ConsumerKgo, ConsumerRaw:
	default:
		return o, fmt.Errorf("%w: consumer %q is not %s or %s", ErrInvalidOptions, o.Consumer, ConsumerKgo, ConsumerRaw)
	}
	if o.BootstrapServers == "" {
		o.BootstrapServers = o.Props["bootstrap.servers"]
	}
	if len(splitHosts(o.BootstrapServers)) == 0 {
		return o, fmt.Errorf("%w: no bootstrap server", ErrInvalidOptions)
	}
	if o.Topic == "" {
		return o, fmt.Errorf("%w: no topic", ErrInvalidOptions)
	}
	if o.Messages <= 0 {
		return o, fmt.Errorf("%w: messages %d should be greater than zero", ErrInvalidOptions, o.Messages)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultConsumeTimeout
	}
	if o.FetchSize == 0 {
		o.FetchSize = DefaultFetchSize
	}
	if o.Interval == 0 {
		o.Interval = DefaultKafkaInterval
	}
	switch {
	case o.Timeout < 0:
		return o, fmt.Errorf("%w: timeout %v < 0", ErrInvalidOptions, o.Timeout)
	case o.FetchSize < 0:
		return o, fmt.Errorf("%w: fetch size %d < 0", ErrInvalidOptions, o.FetchSize)
	case o.Interval < 0:
		return o, fmt.Errorf("%w: reporting interval %v < 0", ErrInvalidOptions, o.Interval)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// ConsumeResult is the outcome of one RunConsume.
type ConsumeResult struct {
	// Start is when the run began (before connecting), End when the last poll returned.
	Start, End time.Time
	// Records and Bytes count what was read; bytes are keys plus values, as in Kafka.
	Records int64
	Bytes   int64
	// RebalanceTime is the time spent joining a group: always 0, as partitions are
	// assigned directly. FetchTime is End-Start less RebalanceTime.
	RebalanceTime time.Duration
	FetchTime     time.Duration
	// TimedOut is set when the run ended because no record came for Timeout before
	// Messages were read (Kafka's "WARNING: Exiting before consuming ...").
	TimedOut bool
	// Errors counts fetch errors the client reported; FirstError is the first.
	Errors     int64
	FirstError error
	// Metrics are the client's counters, for --print-metrics.
	Metrics []Metric
}

// kafkaTime formats t as Java's "yyyy-MM-dd HH:mm:ss:SSS", the perf consumer's default
// (Go's layouts take fractional seconds only after a dot or a comma).
func kafkaTime(t time.Time) string {
	return fmt.Sprintf("%s:%03d", t.Format(time.DateTime), t.Nanosecond()/int(time.Millisecond))
}

// ConsumeHeader returns kafka-consumer-perf-test's header line (without a newline): the
// final row's, or with detailed the one of --show-detailed-stats rows.
func ConsumeHeader(detailed bool) string {
	const more = ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
	if detailed {
		return "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec" + more
	}
	return "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec" + more
}

// Row returns kafka-consumer-perf-test's final CSV row (without a newline).
func (r *ConsumeResult) Row() string {
	mb := float64(r.Bytes) / mib
	secs := r.End.Sub(r.Start).Seconds()
	fetchSecs := r.FetchTime.Seconds()
	return fmt.Sprintf("%s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f",
		kafkaTime(r.Start), kafkaTime(r.End),
		mb, perSec(mb, secs), r.Records, perSec(float64(r.Records), secs),
		r.RebalanceTime.Milliseconds(), r.FetchTime.Milliseconds(),
		perSec(mb, fetchSecs), perSec(float64(r.Records), fetchSecs))
}

// detailedRow formats one --show-detailed-stats row for the interval from last to now.
func detailedRow(now time.Time, records, bytes, lastRecords, lastBytes int64, interval time.Duration) string {
	mb := float64(bytes) / mib
	intervalMB := float64(bytes-lastBytes) / mib
	secs := interval.Seconds()
	mbPerSec := perSec(intervalMB, secs)
	msgPerSec := perSec(float64(records-lastRecords), secs)
	return fmt.Sprintf("%s, %d, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f",
		kafkaTime(now), 0, mb, mbPerSec, records, msgPerSec,
		0, interval.Milliseconds(), mbPerSec, msgPerSec)
}

// perSec is n/secs, or 0 for an empty interval.
func perSec(n, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return n / secs
}

// RunConsume runs one consumer load test as o describes: it reads o.Topic until
// o.Messages records have come or none came for o.Timeout. Fetch errors are counted and
// make the error wrap ErrFetchFailed; a timeout is not an error (ConsumeResult.TimedOut).
// Cancelling ctx stops the run early: RunConsume then returns the partial result with an
// error wrapping ctx.Err().
func RunConsume(ctx context.Context, o ConsumeOptions) (*ConsumeResult, error) {
	o, err := o.validate()
	if err != nil {
		return nil, err
	}
	if o.Consumer == ConsumerRaw {
		return runRawConsume(ctx, o)
	}
	reset := kgo.NewOffset().AtStart()
	if o.FromLatest {
		reset = kgo.NewOffset().AtEnd()
	}
	cc, err := consumerConfig(o.Props, o.BootstrapServers, o.FetchSize)
	if err != nil {
		return nil, err
	}
	cc.warn(o.Logger)
	res := &ConsumeResult{Start: time.Now()}
	metrics := &clientMetrics{}
	opts := append(cc.opts, kgo.ConsumeTopics(o.Topic), kgo.ConsumeResetOffset(reset),
		kgo.WithHooks(metrics), kgo.WithLogger(kgoLogger{o.Logger}))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka consume: %w", err)
	}
	defer cl.Close()

	c := fetchTally{}
	loopStart := time.Now()
	lastReport, lastConsumed := loopStart, loopStart
	var lastRecords, lastBytes int64
	var progressErr error
	for c.records < o.Messages && time.Since(lastConsumed) <= o.Timeout && ctx.Err() == nil {
		n, now := c.poll(ctx, cl)
		if n == 0 {
			continue
		}
		lastConsumed = now
		if o.Progress != nil && progressErr == nil && now.Sub(lastReport) >= o.Interval {
			row := detailedRow(now, c.records, c.bytes, lastRecords, lastBytes, now.Sub(lastReport))
			if _, err := fmt.Fprintln(o.Progress, row); err != nil {
				progressErr = fmt.Errorf("write progress: %w", err)
			}
			lastReport, lastRecords, lastBytes = now, c.records, c.bytes
		}
	}
	res.End = time.Now()
	res.Records, res.Bytes, res.Errors, res.FirstError = c.records, c.bytes, c.errs, c.firstErr
	res.FetchTime = res.End.Sub(res.Start) - res.RebalanceTime
	res.TimedOut = c.records < o.Messages && ctx.Err() == nil
	res.Metrics = metrics.consumer(cc.clientID, res.Records, res.Bytes, res.End.Sub(res.Start))
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("kafka consume interrupted: %w", ctx.Err())
	case res.Errors > 0:
		return res, fmt.Errorf("%w: %d errors: first: %w", ErrFetchFailed, res.Errors, res.FirstError)
	}
	return res, progressErr
}

// fetchTally counts what a consumer's polls returned.
type fetchTally struct {
	records, bytes, errs int64
	firstErr             error
}

// poll waits up to pollInterval for records, counts them and any fetch errors, and
// returns how many records came and when the poll returned.
func (c *fetchTally) poll(ctx context.Context, cl *kgo.Client) (int64, time.Time) {
	pctx, cancel := context.WithTimeout(ctx, pollInterval)
	fs := cl.PollFetches(pctx)
	cancel()
	now := time.Now()
	fs.EachError(func(topic string, p int32, err error) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed) {
			return
		}
		c.errs++
		if c.firstErr == nil {
			c.firstErr = fmt.Errorf("fetch %s[%d]: %w", topic, p, err)
		}
	})
	var n int64
	fs.EachRecord(func(r *kgo.Record) {
		n++
		c.bytes += int64(len(r.Key) + len(r.Value))
	})
	c.records += n
	return n, now
}

// E2EOptions configures RunE2E: a producer's flags, and the consumer's timeout.
type E2EOptions struct {
	// Topic, NumRecords, RecordSize, Throughput and Props are as in ProduceOptions; the
	// consumer connects to the same bootstrap.servers. Use a topic no one else writes.
	Topic      string
	NumRecords int64
	RecordSize int
	Throughput float64
	Props      map[string]string
	// Timeout is how long the consumer waits, once the producer is done, for a record
	// before giving up; zero means DefaultConsumeTimeout.
	Timeout time.Duration
	// Progress, when not nil, receives every Interval a producer window line and an
	// end-to-end one ("records received", "ms avg end-to-end latency").
	Progress io.Writer
	// Interval is the period of progress lines; zero means DefaultKafkaInterval.
	Interval time.Duration
	// Logger receives ignored-property warnings and the clients' own logs; nil discards.
	Logger *slog.Logger
}

// E2EResult is the outcome of one RunE2E.
type E2EResult struct {
	// Produce is the producer's side, as RunProduce reports it.
	Produce *ProduceResult
	// Received covers the records consumed, with end-to-end latencies; its Elapsed runs
	// from the start of the run to the last record received.
	Received LatencySummary
	// TimedOut is set when the consumer gave up before receiving every delivered record.
	TimedOut bool
	// FetchErrors counts the consumer's fetch errors; FirstFetchError is the first.
	FetchErrors     int64
	FirstFetchError error
}

// String returns the producer's final line and the end-to-end one, without a final
// newline.
func (r *E2EResult) String() string {
	return r.Produce.String() + "\n" + r.Received.line("received", "end-to-end ")
}

// RunE2E produces o.NumRecords records and consumes them at the same time, measuring
// each record from its timestamp to its arrival at the consumer. It creates the topic
// when missing (broker defaults for partitions and replication), starts the consumer at
// each partition's end, then produces. A record that fails makes the error wrap
// ErrRecordsFailed; a delivered record never received, ErrIncomplete. Cancelling ctx stops
// the run early with an error wrapping ctx.Err() and the partial result.
func RunE2E(ctx context.Context, o E2EOptions) (*E2EResult, error) {
	po, err := ProduceOptions{Topic: o.Topic, NumRecords: o.NumRecords, RecordSize: o.RecordSize,
		Throughput: o.Throughput, Props: o.Props, Interval: o.Interval, Logger: o.Logger}.validate()
	if err != nil {
		return nil, err
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultConsumeTimeout
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("%w: timeout %v < 0", ErrInvalidOptions, o.Timeout)
	}
	pc, err := producerConfig(o.Props)
	if err != nil {
		return nil, err
	}
	pc.warn(po.Logger)
	metrics := &clientMetrics{}
	pcl, err := kgo.NewClient(append(pc.opts, kgo.WithHooks(metrics), kgo.WithLogger(kgoLogger{po.Logger}))...)
	if err != nil {
		return nil, fmt.Errorf("kafka e2e: %w", err)
	}
	closeProducer := sync.OnceFunc(pcl.Close)
	defer closeProducer()
	ends, err := topicEnds(ctx, kadm.NewClient(pcl), o.Topic)
	if err != nil {
		return nil, fmt.Errorf("kafka e2e: %w", err)
	}
	ccl, err := kgo.NewClient(kgo.SeedBrokers(pc.seeds...), kgo.ClientID("perf-e2e-consumer"),
		kgo.ConsumePartitions(ends), kgo.WithLogger(kgoLogger{po.Logger}))
	if err != nil {
		return nil, fmt.Errorf("kafka e2e: %w", err)
	}
	defer ccl.Close()

	start := time.Now()
	p := newKafkaProducer(ctx, pcl, o.Topic, o.RecordSize, o.NumRecords, start)
	e := &e2eConsumer{cl: ccl, stats: newLatencyStats(start), want: o.NumRecords, timeout: o.Timeout,
		produced: make(chan int64, 1)}
	cctx, stopConsumer := context.WithCancel(ctx)
	defer stopConsumer()
	var consumer sync.WaitGroup
	consumer.Go(func() { e.run(cctx) })
	rep := startReporter(o.Progress, po.Interval, windowSource{p.stats, "sent", ""},
		windowSource{e.stats, "received", "end-to-end "})

	runErr := p.run(o.NumRecords, o.Throughput)
	end := time.Now()
	closeProducer() // ends every promise
	res := &E2EResult{Produce: &ProduceResult{}}
	pr := res.Produce
	pr.LatencySummary, pr.Errors, pr.FirstError = p.stats.summary(start, end)
	pr.Metrics = metrics.producer(pc.clientID, pr.Records, pr.Errors, end.Sub(start))
	e.produced <- pr.Records
	consumer.Wait()
	progressErr := rep.stop()

	_, last := e.stats.counts()
	res.Received, _, _ = e.stats.summary(start, last)
	res.TimedOut = e.timedOut
	res.FetchErrors, res.FirstFetchError = e.tally.errs, e.tally.firstErr
	if err := produceError(ctx, pr, o.NumRecords, runErr, nil); err != nil {
		return res, err
	}
	switch {
	case res.FetchErrors > 0:
		return res, fmt.Errorf("%w: %d errors: first: %w", ErrFetchFailed, res.FetchErrors, res.FirstFetchError)
	case res.Received.Records < pr.Records:
		return res, fmt.Errorf("%w: %d of %d delivered records in %v after the last one sent",
			ErrIncomplete, res.Received.Records, pr.Records, o.Timeout)
	}
	return res, progressErr
}

// e2eConsumer reads the e2e topic and records each record's age on arrival.
type e2eConsumer struct {
	cl       *kgo.Client
	stats    *latencyStats
	want     int64         // records to wait for until the producer reports its count
	timeout  time.Duration // idle time, once the producer is done, before giving up
	produced chan int64    // the producer's delivered count, sent once it is done
	tally    fetchTally
	timedOut bool
}

// run consumes until every delivered record came, the consumer idled for timeout after
// the producer finished, or ctx ended.
func (e *e2eConsumer) run(ctx context.Context) {
	var doneAt time.Time // when the producer finished; zero before
	for ctx.Err() == nil {
		n, last := e.stats.counts()
		if n >= e.want {
			return
		}
		if !doneAt.IsZero() && time.Since(later(last, doneAt)) > e.timeout {
			e.timedOut = true
			return
		}
		select {
		case delivered := <-e.produced:
			e.want, doneAt = delivered, time.Now()
			continue
		default:
		}
		pctx, cancel := context.WithTimeout(ctx, pollInterval)
		fs := e.cl.PollFetches(pctx)
		cancel()
		now := time.Now()
		fs.EachError(func(topic string, p int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed) {
				return
			}
			e.tally.errs++
			if e.tally.firstErr == nil {
				e.tally.firstErr = fmt.Errorf("fetch %s[%d]: %w", topic, p, err)
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			e.stats.record(now, now.Sub(r.Timestamp), len(r.Value))
		})
	}
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// topicEnds creates topic when it does not exist and returns the end offset of each of
// its partitions once every partition has a leader.
func topicEnds(ctx context.Context, adm *kadm.Client, topic string) (map[string]map[int32]kgo.Offset, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, -1, -1, nil, topic); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return nil, fmt.Errorf("create topic %s: %w", topic, err)
	}
	for {
		listed, err := adm.ListEndOffsets(ctx, topic)
		if err == nil {
			err = listed.Error()
		}
		if err == nil && len(listed[topic]) > 0 {
			ends := map[int32]kgo.Offset{}
			for p, lo := range listed[topic] {
				ends[p] = kgo.NewOffset().At(lo.Offset)
			}
			return map[string]map[int32]kgo.Offset{topic: ends}, nil
		}
		if err == nil {
			err = kerr.UnknownTopicOrPartition
		}
		// Leaders of a new topic take a moment; retry until the deadline.
		if sleepCtx(ctx, 100*time.Millisecond) != nil {
			return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
		}
	}
}

// clientConfig is a client's kgo options built from Java-style properties.
type clientConfig struct {
	opts     []kgo.Opt
	seeds    []string
	clientID string
	ignored  []string // property names the client does not use
}

// warn logs the ignored properties as the Java client does.
func (c clientConfig) warn(log *slog.Logger) {
	for _, k := range c.ignored {
		log.Warn(fmt.Sprintf("The configuration '%s' was supplied but isn't a known config.", k))
	}
}

// javaOnly are properties of the Java clients that mean nothing here and are dropped
// silently (serializers, and what the perf tools themselves set).
var javaOnly = map[string]bool{
	"key.serializer": true, "value.serializer": true,
	"key.deserializer": true, "value.deserializer": true,
	"check.crcs": true, "receive.buffer.bytes": true, "send.buffer.bytes": true,
}

// producerConfig maps producer properties (see ProduceOptions.Props) onto kgo options.
func producerConfig(props map[string]string) (clientConfig, error) {
	c := clientConfig{clientID: DefaultProducerClientID}
	c.opts = []kgo.Opt{
		kgo.ProducerBatchCompression(kgo.NoCompression()), // Kafka's compression.type=none
		kgo.AllowAutoTopicCreation(),                      // as the Java producer's metadata requests
	}
	idempotent, inFlight := false, DefaultMaxInFlight
	for _, k := range sortedKeys(props) {
		v := strings.TrimSpace(props[k])
		bad := func(why string) error {
			return fmt.Errorf("%w: producer property %s=%q: %s", ErrInvalidOptions, k, v, why)
		}
		switch k {
		case "bootstrap.servers":
			c.seeds = splitHosts(v)
		case "acks":
			switch v {
			case "0":
				c.opts = append(c.opts, kgo.RequiredAcks(kgo.NoAck()))
			case "1":
				c.opts = append(c.opts, kgo.RequiredAcks(kgo.LeaderAck()))
			case "-1", "all":
				c.opts = append(c.opts, kgo.RequiredAcks(kgo.AllISRAcks()))
			default:
				return c, bad("not one of 0, 1, -1, all")
			}
		case "linger.ms":
			n, err := propInt(v, 0)
			if err != nil {
				return c, bad(err.Error())
			}
			c.opts = append(c.opts, kgo.ProducerLinger(time.Duration(n)*time.Millisecond))
		case "batch.size":
			n, err := propInt(v, 1)
			if err != nil {
				return c, bad(err.Error())
			}
			c.opts = append(c.opts, kgo.ProducerBatchMaxBytes(int32(min(n, 1<<30))))
		case "compression.type":
			codec, ok := compressionCodecs[v]
			if !ok {
				return c, bad("not one of none, gzip, snappy, lz4, zstd")
			}
			c.opts = append(c.opts, kgo.ProducerBatchCompression(codec))
		case "max.in.flight.requests.per.connection", "max.in.flight":
			n, err := propInt(v, 1)
			if err != nil {
				return c, bad(err.Error())
			}
			inFlight = int(n)
		case "client.id":
			c.clientID = v
		case "enable.idempotence":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, bad("not true or false")
			}
			idempotent = b
		case "buffer.memory":
			n, err := propInt(v, 1)
			if err != nil {
				return c, bad(err.Error())
			}
			c.opts = append(c.opts, kgo.MaxBufferedBytes(int(n)))
		case "max.request.size":
			n, err := propInt(v, 1)
			if err != nil {
				return c, bad(err.Error())
			}
			c.opts = append(c.opts, kgo.BrokerMaxWriteBytes(int32(min(n, 1<<30))))
		case "request.timeout.ms":
			n, err := propInt(v, 1)
			if err != nil {
				return c, bad(err.Error())
			}
			c.opts = append(c.opts, kgo.ProduceRequestTimeout(time.Duration(n)*time.Millisecond))
		case "delivery.timeout.ms":
			n, err := propInt(v, 1)
			if err != nil {
				return c, bad(err.Error())
			}
			c.opts = append(c.opts, kgo.RecordDeliveryTimeout(time.Duration(n)*time.Millisecond))
		case "retries":
			n, err := propInt(v, 0)
			if err != nil {
				return c, bad(err.Error())
			}
			c.opts = append(c.opts, kgo.RecordRetries(int(min(n, 1<<31-1))))
		default:
			if !javaOnly[k] {
				c.ignored = append(c.ignored, k)
			}
		}
	}
	if len(c.seeds) == 0 {
		return c, fmt.Errorf("%w: bootstrap.servers is not set (--producer-props bootstrap.servers=host:port)", ErrInvalidOptions)
	}
	if !idempotent {
		c.opts = append(c.opts, kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(inFlight))
	}
	c.opts = append(c.opts, kgo.SeedBrokers(c.seeds...), kgo.ClientID(c.clientID))
	return c, nil
}

// consumerProps are the consumer properties both consumers understand, as
// parsed from ConsumeOptions.Props. A zero value means "not set".
type consumerProps struct {
	clientID                      string
	minBytes, maxBytes, partBytes int32
	maxWaitMs                     int64 // -1 when not set
	isolation                     string
	ignored                       []string // property names no consumer uses
}

// parseConsumerProps reads client.id, fetch.min.bytes, fetch.max.bytes,
// max.partition.fetch.bytes (default fetchSize), fetch.max.wait.ms and
// isolation.level; other names are ignored (and reported) unless they are
// Java-only.
func parseConsumerProps(props map[string]string, fetchSize int32) (consumerProps, error) {
	c := consumerProps{clientID: DefaultConsumerClientID, partBytes: fetchSize, maxWaitMs: -1}
	for _, k := range sortedKeys(props) {
		v := strings.TrimSpace(props[k])
		bad := func(why string) error {
			return fmt.Errorf("%w: consumer property %s=%q: %s", ErrInvalidOptions, k, v, why)
		}
		switch k {
		case "bootstrap.servers":
			// The --bootstrap-server flag wins (validate copied this when it was empty).
		case "client.id":
			c.clientID = v
		case "fetch.min.bytes", "fetch.max.bytes", "max.partition.fetch.bytes":
			n, err := propInt(v, 1)
			if err != nil {
				return c, bad(err.Error())
			}
			n = min(n, 1<<30)
			switch k {
			case "fetch.min.bytes":
				c.minBytes = int32(n)
			case "fetch.max.bytes":
				c.maxBytes = int32(n)
			default:
				c.partBytes = int32(n)
			}
		case "fetch.max.wait.ms":
			n, err := propInt(v, 0)
			if err != nil {
				return c, bad(err.Error())
			}
			c.maxWaitMs = n
		case "isolation.level":
			if v != "read_uncommitted" && v != "read_committed" {
				return c, bad("not read_uncommitted or read_committed")
			}
			c.isolation = v
		default:
			if !javaOnly[k] {
				c.ignored = append(c.ignored, k)
			}
		}
	}
	return c, nil
}

// consumerConfig maps consumer properties (see ConsumeOptions.Props) onto kgo options.
// bootstrap and fetchSize are the command's own flags.
func consumerConfig(props map[string]string, bootstrap string, fetchSize int32) (clientConfig, error) {
	p, err := parseConsumerProps(props, fetchSize)
	c := clientConfig{clientID: p.clientID, seeds: splitHosts(bootstrap), ignored: p.ignored}
	if err != nil {
		return c, err
	}
	c.opts = []kgo.Opt{kgo.FetchMaxPartitionBytes(p.partBytes)}
	if p.minBytes > 0 {
		c.opts = append(c.opts, kgo.FetchMinBytes(p.minBytes))
	}
	if p.maxBytes > 0 {
		c.opts = append(c.opts, kgo.FetchMaxBytes(p.maxBytes))
	}
	if p.maxWaitMs >= 0 {
		c.opts = append(c.opts, kgo.FetchMaxWait(time.Duration(p.maxWaitMs)*time.Millisecond))
	}
	switch p.isolation {
	case "read_uncommitted":
		c.opts = append(c.opts, kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
	case "read_committed":
		c.opts = append(c.opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	c.opts = append(c.opts, kgo.SeedBrokers(c.seeds...), kgo.ClientID(c.clientID))
	return c, nil
}

// compressionCodecs are the values of compression.type.
var compressionCodecs = map[string]kgo.CompressionCodec{
	"none":   kgo.NoCompression(),
	"gzip":   kgo.GzipCompression(),
	"snappy": kgo.SnappyCompression(),
	"lz4":    kgo.Lz4Compression(),
	"zstd":   kgo.ZstdCompression(),
}

// propInt parses a property's integer value, which must be at least lo.
func propInt(v string, lo int64) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errors.New("not an integer")
	}
	if n < lo {
		return 0, fmt.Errorf("less than %d", lo)
	}
	return n, nil
}

// sortedKeys returns m's keys in order, so errors and warnings come out the same way
// every time.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Metric is one client counter printed by --print-metrics, named as the Java client names
// its metrics: group:name:{tags}.
type Metric struct {
	// Group is the metric group, such as producer-metrics.
	Group string
	// Name is the metric's name, such as record-send-rate.
	Name string
	// Tags are the metric's tags as Java prints a map, such as {client-id=perf-producer-client}.
	Tags string
	// Value is the metric's value; rates are per second over the whole run.
	Value float64
}

// FullName is the metric's printed name, group:name:tags.
func (m Metric) FullName() string { return m.Group + ":" + m.Name + ":" + m.Tags }

// WriteMetrics prints metrics as Kafka's tools print them with --print-metrics: a blank
// line, a "Metric Name   Value" header and one "name : value" line each, sorted by name.
func WriteMetrics(w io.Writer, metrics []Metric) error {
	if len(metrics) == 0 {
		return nil
	}
	sorted := append([]Metric(nil), metrics...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].FullName() < sorted[j].FullName() })
	width := 0
	for _, m := range sorted {
		width = max(width, len(m.FullName()))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-*s   %s\n", width, "Metric Name", "Value")
	for _, m := range sorted {
		fmt.Fprintf(&b, "%-*s : %.3f\n", width, m.FullName(), m.Value)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}

// clientMetrics is a kgo hook counting requests, bytes and batches.
type clientMetrics struct {
	mu        sync.Mutex
	requests  int64 // every request with a response (or a write error)
	written   int64 // bytes written, all requests
	read      int64 // bytes read, all responses
	produces  int64 // produce requests
	prodLat   time.Duration
	prodMax   time.Duration
	fetches   int64 // fetch requests
	fetchLat  time.Duration
	fetchMax  time.Duration
	fetchRead int64 // bytes of fetch responses
	batches   int64 // produced batches
	batchSize int64 // their bytes, after compression
	batchMax  int64
	batchRaw  int64 // their bytes, before compression
}

// Compile-time checks of the hooks clientMetrics implements.
var (
	_ kgo.HookBrokerE2E           = (*clientMetrics)(nil)
	_ kgo.HookProduceBatchWritten = (*clientMetrics)(nil)
)

// Request keys clientMetrics tells apart.
const (
	keyProduce = 0
	keyFetch   = 1
)

// OnBrokerE2E counts one request and its response.
func (m *clientMetrics) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e2e kgo.BrokerE2E) {
	d := e2e.DurationE2E()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests++
	m.written += int64(e2e.BytesWritten)
	m.read += int64(e2e.BytesRead)
	switch key {
	case keyProduce:
		m.produces++
		m.prodLat += d
		m.prodMax = max(m.prodMax, d)
	case keyFetch:
		m.fetches++
		m.fetchLat += d
		m.fetchMax = max(m.fetchMax, d)
		m.fetchRead += int64(e2e.BytesRead)
	}
}

// OnProduceBatchWritten counts one acknowledged batch.
func (m *clientMetrics) OnProduceBatchWritten(_ kgo.BrokerMetadata, _ string, _ int32, b kgo.ProduceBatchMetrics) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches++
	m.batchSize += int64(b.CompressedBytes)
	m.batchMax = max(m.batchMax, int64(b.CompressedBytes))
	m.batchRaw += int64(b.UncompressedBytes)
}

// producer returns the producer's metrics for a run of elapsed that sent records.
func (m *clientMetrics) producer(clientID string, records, errs int64, elapsed time.Duration) []Metric {
	m.mu.Lock()
	defer m.mu.Unlock()
	secs := elapsed.Seconds()
	tags := "{client-id=" + clientID + "}"
	pm := func(name string, v float64) Metric { return Metric{"producer-metrics", name, tags, v} }
	return []Metric{
		pm("batch-size-avg", avg(float64(m.batchSize), m.batches)),
		pm("batch-size-max", float64(m.batchMax)),
		pm("compression-rate-avg", avg(float64(m.batchSize), m.batchRaw)),
		pm("incoming-byte-rate", perSec(float64(m.read), secs)),
		pm("incoming-byte-total", float64(m.read)),
		pm("outgoing-byte-rate", perSec(float64(m.written), secs)),
		pm("outgoing-byte-total", float64(m.written)),
		pm("record-error-total", float64(errs)),
		pm("record-send-rate", perSec(float64(records), secs)),
		pm("record-send-total", float64(records)),
		pm("records-per-request-avg", avg(float64(records), m.produces)),
		pm("request-latency-avg", avg(msFloat(m.prodLat), m.produces)),
		pm("request-latency-max", msFloat(m.prodMax)),
		pm("request-rate", perSec(float64(m.requests), secs)),
		pm("request-total", float64(m.requests)),
	}
}

// consumer returns the consumer's metrics for a run of elapsed that read records.
func (m *clientMetrics) consumer(clientID string, records, bytes int64, elapsed time.Duration) []Metric {
	m.mu.Lock()
	defer m.mu.Unlock()
	secs := elapsed.Seconds()
	tags := "{client-id=" + clientID + "}"
	fm := func(name string, v float64) Metric { return Metric{"consumer-fetch-manager-metrics", name, tags, v} }
	cm := func(name string, v float64) Metric { return Metric{"consumer-metrics", name, tags, v} }
	return []Metric{
		fm("bytes-consumed-rate", perSec(float64(bytes), secs)),
		fm("bytes-consumed-total", float64(bytes)),
		fm("fetch-latency-avg", avg(msFloat(m.fetchLat), m.fetches)),
		fm("fetch-latency-max", msFloat(m.fetchMax)),
		fm("fetch-rate", perSec(float64(m.fetches), secs)),
		fm("fetch-size-avg", avg(float64(m.fetchRead), m.fetches)),
		fm("fetch-total", float64(m.fetches)),
		fm("records-consumed-rate", perSec(float64(records), secs)),
		fm("records-consumed-total", float64(records)),
		cm("incoming-byte-rate", perSec(float64(m.read), secs)),
		cm("incoming-byte-total", float64(m.read)),
		cm("outgoing-byte-rate", perSec(float64(m.written), secs)),
		cm("outgoing-byte-total", float64(m.written)),
		cm("request-rate", perSec(float64(m.requests), secs)),
		cm("request-total", float64(m.requests)),
	}
}

// avg is sum/n, or 0 when n is 0.
func avg(sum float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// kgoLogger passes franz-go's log lines to a slog.Logger.
type kgoLogger struct{ log *slog.Logger }

// Level reports the most verbose level the slog logger takes.
func (l kgoLogger) Level() kgo.LogLevel {
	ctx := context.Background()
	switch {
	case l.log.Enabled(ctx, slog.LevelDebug):
		return kgo.LogLevelDebug
	case l.log.Enabled(ctx, slog.LevelInfo):
		return kgo.LogLevelInfo
	case l.log.Enabled(ctx, slog.LevelWarn):
		return kgo.LogLevelWarn
	case l.log.Enabled(ctx, slog.LevelError):
		return kgo.LogLevelError
	}
	return kgo.LogLevelNone
}

// Log writes one franz-go line at the matching slog level.
func (l kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lv := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		lv = slog.LevelError
	case kgo.LogLevelWarn:
		lv = slog.LevelWarn
	case kgo.LogLevelInfo:
		lv = slog.LevelInfo
	}
	l.log.Log(context.Background(), lv, "kgo: "+msg, keyvals...)
}

// LoopbackOptions configures RunLoopback.
type LoopbackOptions struct {
	// Duration is how long bytes are counted; zero means DefaultLoopbackDuration.
	Duration time.Duration
	// Size is the buffer of each write and read; zero means DefaultLoopbackSize.
	Size int
	// Peer, when set, returns the command of the sending process for an address to
	// connect to; the command must call LoopbackPeer with that address (the CLI re-runs
	// itself with a hidden flag). When nil the sender is a goroutine of this process.
	Peer func(addr string) *exec.Cmd
}

// LoopbackResult is the outcome of one RunLoopback.
type LoopbackResult struct {
	// Processes is set when sender and receiver were separate processes.
	Processes bool
	// Size is the buffer of each write and read.
	Size int
	// Bytes were received in Elapsed.
	Bytes   int64
	Elapsed time.Duration
}

// MBPerSec is the throughput in MiB/s, the unit of Kafka's tools.
func (r *LoopbackResult) MBPerSec() float64 { return perSec(float64(r.Bytes)/mib, r.Elapsed.Seconds()) }

// String reports the throughput and half of it, the single-broker target, in one line
// each, without a final newline.
func (r *LoopbackResult) String() string {
	between := "2 goroutines"
	if r.Processes {
		between = "2 processes"
	}
	mbs := r.MBPerSec()
	return fmt.Sprintf("loopback TCP, 1 connection between %s, %d-byte writes: %d bytes in %.2f s, %.2f MB/sec (%.2f Gbit/sec)\n"+
		"half: %.2f MB/sec",
		between, r.Size, r.Bytes, r.Elapsed.Seconds(), mbs, perSec(float64(r.Bytes)*8/1e9, r.Elapsed.Seconds()), mbs/2)
}

// peerAcceptTimeout bounds how long RunLoopback waits for the sender to connect.
const peerAcceptTimeout = 15 * time.Second

// RunLoopback measures one loopback TCP connection: a sender writes o.Size-byte buffers
// as fast as it can while this goroutine reads them for o.Duration and counts the bytes.
// Cancelling ctx ends the measurement early with an error wrapping ctx.Err().
func RunLoopback(ctx context.Context, o LoopbackOptions) (*LoopbackResult, error) {
	if o.Duration == 0 {
		o.Duration = DefaultLoopbackDuration
	}
	if o.Size == 0 {
		o.Size = DefaultLoopbackSize
	}
	if o.Duration < 0 || o.Size < 0 {
		return nil, fmt.Errorf("%w: loopback duration %v, size %d", ErrInvalidOptions, o.Duration, o.Size)
	}
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLoopback, err)
	}
	defer ln.Close()
	addr := ln.Addr().String()

	peerCtx, stopPeer := context.WithCancel(ctx)
	defer stopPeer()
	var peer sync.WaitGroup
	var peerErr error
	if o.Peer == nil {
		peer.Go(func() { peerErr = LoopbackPeer(peerCtx, addr, o.Size) })
	} else {
		cmd := o.Peer(addr)
		if cmd.Stderr == nil {
			cmd.Stderr = os.Stderr // the sender's complaints, if any, reach the user
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("%w: start sender: %w", ErrLoopback, err)
		}
		peer.Go(func() { peerErr = waitPeer(peerCtx, cmd) })
	}
	res, err := receiveLoopback(ctx, ln, o)
	if res != nil {
		res.Processes = o.Peer != nil
	}
	stopPeer() // the connection is closed: the sender ends by itself; this only hurries it
	peer.Wait()
	if err != nil {
		return res, errors.Join(err, peerErr)
	}
	if peerErr != nil {
		return res, fmt.Errorf("%w: sender: %w", ErrLoopback, peerErr)
	}
	return res, nil
}

// receiveLoopback accepts the sender and counts what it sends for o.Duration.
func receiveLoopback(ctx context.Context, ln *net.TCPListener, o LoopbackOptions) (*LoopbackResult, error) {
	if err := ln.SetDeadline(time.Now().Add(peerAcceptTimeout)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLoopback, err)
	}
	stopAccept := context.AfterFunc(ctx, func() { _ = ln.SetDeadline(time.Now()) })
	conn, err := ln.Accept()
	stopAccept()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("loopback interrupted: %w", ctx.Err())
		}
		return nil, fmt.Errorf("%w: accept sender: %w", ErrLoopback, err)
	}
	defer conn.Close()
	buf := make([]byte, o.Size)
	res := &LoopbackResult{Size: o.Size}
	start := time.Now()
	if err := conn.SetReadDeadline(start.Add(o.Duration)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLoopback, err)
	}
	stopRead := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stopRead()
	for {
		n, err := conn.Read(buf)
		res.Bytes += int64(n)
		if err != nil {
			res.Elapsed = time.Since(start)
			switch {
			case ctx.Err() != nil:
				return res, fmt.Errorf("loopback interrupted: %w", ctx.Err())
			case errors.Is(err, os.ErrDeadlineExceeded):
				return res, nil
			}
			return res, fmt.Errorf("%w: sender stopped early: %w", ErrLoopback, err)
		}
	}
}

// waitPeer waits for the sending process, killing it if it outlives ctx by a while.
func waitPeer(ctx context.Context, cmd *exec.Cmd) error {
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case err := <-exited:
		return err
	case <-t.C:
		_ = cmd.Process.Kill()
		<-exited
		return errors.New("sender did not exit; killed")
	}
}

// LoopbackPeer is the sending side of RunLoopback: it connects to addr and writes
// size-byte buffers until the receiver closes the connection (a normal end, returning nil)
// or ctx ends.
func LoopbackPeer(ctx context.Context, addr string, size int) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("%w: dial %s: %w", ErrLoopback, addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	buf := make([]byte, max(size, 1))
	for {
		if _, err := conn.Write(buf); err != nil {
			return nil // the receiver is done (or ctx ended): either way the run is over
		}
	}
}
