package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/testkit"
)

func startKafkaKeeper(t *testing.T) string { return testkit.StartKeeper(t) }

func startKafkaBroker(t *testing.T, zk string, extra string) string {
	return testkit.StartBroker(t, zk, 1, extra)
}

// Kafka's output lines, as regular expressions.
var (
	finalSentRE = regexp.MustCompile(`^\d+ records sent, \d+\.\d{6} records/sec \(\d+\.\d{2} MB/sec\), ` +
		`\d+\.\d{2} ms avg latency, \d+\.\d{2} ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$`)
	finalReceivedRE = regexp.MustCompile(`^\d+ records received, \d+\.\d{6} records/sec \(\d+\.\d{2} MB/sec\), ` +
		`\d+\.\d{2} ms avg end-to-end latency, \d+\.\d{2} ms max end-to-end latency, ` +
		`\d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$`)
	windowRE = regexp.MustCompile(`^\d+ records (sent|received), \d+\.\d records/sec \(\d+\.\d{2} MB/sec\), ` +
		`\d+\.\d ms avg (end-to-end )?latency, \d+\.\d ms max (end-to-end )?latency\.$`)
	kafkaTimeRE    = `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}`
	consumeRowRE   = regexp.MustCompile(`^` + kafkaTimeRE + `, ` + kafkaTimeRE + `, \d+\.\d{4}, \d+\.\d{4}, \d+, \d+\.\d{4}, 0, \d+, \d+\.\d{4}, \d+\.\d{4}$`)
	detailedRowRE  = regexp.MustCompile(`^` + kafkaTimeRE + `, 0, \d+\.\d{4}, \d+\.\d{4}, \d+, \d+\.\d{4}, 0, \d+, \d+\.\d{4}, \d+\.\d{4}$`)
	metricHeaderRE = regexp.MustCompile(`(?m)^Metric Name +Value$`)
)

// checkOrder fails unless the summary's percentiles rise to its maximum.
func checkOrder(t *testing.T, what string, s LatencySummary) {
	t.Helper()
	if !(s.P50 <= s.P95 && s.P95 <= s.P99 && s.P99 <= s.P999 && s.P999 <= s.Max && s.Avg <= s.Max && s.P50 > 0) {
		t.Errorf("%s latencies out of order: p50 %v p95 %v p99 %v p99.9 %v max %v avg %v",
			what, s.P50, s.P95, s.P99, s.P999, s.Max, s.Avg)
	}
}

// checkLines fails unless every line of out (which may have none) matches one of res.
func checkLines(t *testing.T, out string, res ...*regexp.Regexp) {
	t.Helper()
	if out == "" {
		return
	}
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		ok := false
		for _, re := range res {
			ok = ok || re.MatchString(line)
		}
		if !ok {
			t.Errorf("unexpected line %q in:\n%s", line, out)
		}
	}
}

// TestKafkaAgainstBroker runs every generator against one in-process keeper and broker.
func TestKafkaAgainstBroker(t *testing.T) {
	zk := startKafkaKeeper(t)
	addr := startKafkaBroker(t, zk, "num.partitions=2\n")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("ProduceConsume", func(t *testing.T) {
		const n, size = 3000, 100
		var progress bytes.Buffer
		res, err := RunProduce(ctx, ProduceOptions{
			Topic: "perf", NumRecords: n, RecordSize: size, Throughput: -1,
			Props:    map[string]string{"bootstrap.servers": addr, "acks": "1", "linger.ms": "5", "batch.size": "16384"},
			Progress: &progress, Interval: 10 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Records != n || res.Bytes != n*size || res.Errors != 0 {
			t.Fatalf("records %d bytes %d errors %d, want %d %d 0", res.Records, res.Bytes, res.Errors, n, n*size)
		}
		checkOrder(t, "produce", res.LatencySummary)
		if !finalSentRE.MatchString(res.String()) {
			t.Errorf("final line %q", res)
		}
		checkLines(t, progress.String(), windowRE)
		if m := metricValue(res.Metrics, "record-send-total"); m != n {
			t.Errorf("record-send-total %v, want %d", m, n)
		}

		var rows bytes.Buffer
		cres, err := RunConsume(ctx, ConsumeOptions{BootstrapServers: addr, Topic: "perf", Messages: n,
			Progress: &rows, Interval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if cres.Records != n || cres.Bytes != n*size || cres.TimedOut || cres.Errors != 0 {
			t.Fatalf("consumed %d records %d bytes, timed out %v, errors %d", cres.Records, cres.Bytes, cres.TimedOut, cres.Errors)
		}
		if !consumeRowRE.MatchString(cres.Row()) {
			t.Errorf("row %q", cres.Row())
		}
		checkLines(t, rows.String(), detailedRowRE)
		if m := metricValue(cres.Metrics, "records-consumed-total"); m != n {
			t.Errorf("records-consumed-total %v, want %d", m, n)
		}

		latest, err := RunConsume(ctx, ConsumeOptions{BootstrapServers: addr, Topic: "perf", Messages: 1,
			FromLatest: true, Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if !latest.TimedOut || latest.Records != 0 {
			t.Errorf("from latest: timed out %v, records %d; want a timeout and none", latest.TimedOut, latest.Records)
		}
	})

	t.Run("E2E", func(t *testing.T) {
		const n = 2000
		var progress bytes.Buffer
		res, err := RunE2E(ctx, E2EOptions{
			Topic: "e2e", NumRecords: n, RecordSize: 200, Throughput: 20000,
			Props:    map[string]string{"bootstrap.servers": addr, "acks": "1"},
			Progress: &progress, Interval: 10 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Produce.Records != n || res.Received.Records != n || res.TimedOut || res.FetchErrors != 0 {
			t.Fatalf("sent %d received %d timed out %v fetch errors %d", res.Produce.Records, res.Received.Records, res.TimedOut, res.FetchErrors)
		}
		checkOrder(t, "produce", res.Produce.LatencySummary)
		checkOrder(t, "e2e", res.Received)
		lines := strings.Split(res.String(), "\n")
		if len(lines) != 2 || !finalSentRE.MatchString(lines[0]) || !finalReceivedRE.MatchString(lines[1]) {
			t.Errorf("final lines %q", lines)
		}
		checkLines(t, progress.String(), windowRE)
	})

	t.Run("Commands", func(t *testing.T) {
		out, errOut, err := runKafkaCommand(ctx, "produce", "--topic", "cli", "--num-records", "500", "--record-size", "50",
			"--throughput", "-1", "--print-metrics", "--reporting-interval", "5",
			"--producer-props", "acks=1", "linger.ms=5", "compression.type=lz4", "max.in.flight=2", "foo.bar=1", "bootstrap.servers="+addr)
		if err != nil {
			t.Fatalf("produce: %v\n%s%s", err, out, errOut)
		}
		if !strings.Contains(errOut, "The configuration 'foo.bar' was supplied but isn't a known config.") {
			t.Errorf("no warning for foo.bar in stderr %q", errOut)
		}
		head, metrics, ok := strings.Cut(out, "\n\n")
		if !ok || !metricHeaderRE.MatchString(metrics) || !regexp.MustCompile(`(?m)^producer-metrics:record-send-total:\{client-id=perf-producer-client\} +: 500\.000$`).MatchString(metrics) {
			t.Errorf("metrics missing from:\n%s", out)
		}
		lines := strings.Split(head, "\n")
		if last := lines[len(lines)-1]; !finalSentRE.MatchString(last) || !strings.HasPrefix(last, "500 records sent, ") {
			t.Errorf("final line %q", last)
		}
		checkLines(t, strings.Join(lines[:len(lines)-1], "\n"), windowRE)

		out, errOut, err = runKafkaCommand(ctx, "consume", "--bootstrap-server", addr, "--topic", "cli",
			"--messages", "500", "--timeout", "10000")
		if err != nil {
			t.Fatalf("consume: %v\n%s%s", err, out, errOut)
		}
		lines = strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || lines[0] != ConsumeHeader(false) || !consumeRowRE.MatchString(lines[1]) ||
			!strings.Contains(lines[1], ", 500, ") {
			t.Errorf("consume output:\n%s", out)
		}

		out, _, err = runKafkaCommand(ctx, "consume", "--bootstrap-server", addr, "--topic", "cli",
			"--messages", "501", "--timeout", "200ms", "--show-detailed-stats", "--hide-header")
		if err != nil {
			t.Fatalf("consume detailed: %v", err)
		}
		if !strings.HasPrefix(out, "WARNING: Exiting before consuming the expected number of messages: timeout (200 ms) exceeded.") {
			t.Errorf("detailed consume output:\n%s", out)
		}

		out, errOut, err = runKafkaCommand(ctx, "e2e", "--topic", "cli-e2e", "--num-records", "300", "--record-size", "10",
			"--throughput", "3000", "--bootstrap-server", addr, "--producer-props", "acks=1")
		if err != nil {
			t.Fatalf("e2e: %v\n%s%s", err, out, errOut)
		}
		lines = strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) < 2 || !finalSentRE.MatchString(lines[len(lines)-2]) || !finalReceivedRE.MatchString(lines[len(lines)-1]) {
			t.Errorf("e2e output:\n%s", out)
		}
	})

	t.Run("Interrupted", func(t *testing.T) {
		ictx, icancel := context.WithCancel(ctx)
		defer icancel()
		res, err := RunProduce(ictx, ProduceOptions{
			Topic: "slow", NumRecords: 1_000_000, RecordSize: 10, Throughput: 500,
			Props:    map[string]string{"bootstrap.servers": addr, "acks": "1"},
			Progress: kafkaCancelWriter{icancel}, Interval: 20 * time.Millisecond,
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		if res == nil || res.Records >= 1_000_000 || res.Errors != 0 {
			t.Fatalf("result %+v", res)
		}
	})
}

// kafkaCancelWriter cancels a run at its first progress line.
type kafkaCancelWriter struct{ cancel context.CancelFunc }

func (w kafkaCancelWriter) Write(p []byte) (int, error) { w.cancel(); return len(p), nil }

// metricValue returns the value of the metric called name, or -1.
func metricValue(ms []Metric, name string) float64 {
	for _, m := range ms {
		if m.Name == name {
			return m.Value
		}
	}
	return -1
}

// runKafkaCommand runs `bench kafka args...` and returns its stdout and stderr.
func runKafkaCommand(ctx context.Context, args ...string) (string, string, error) {
	cmd := NewKafkaCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	err := cmd.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func TestKafkaOptionErrors(t *testing.T) {
	ctx := context.Background()
	props := map[string]string{"bootstrap.servers": "127.0.0.1:1"}
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"no topic", func() error {
			_, err := RunProduce(ctx, ProduceOptions{NumRecords: 1, RecordSize: 1, Props: props})
			return err
		}},
		{"no records", func() error {
			_, err := RunProduce(ctx, ProduceOptions{Topic: "t", RecordSize: 1, Props: props})
			return err
		}},
		{"no size", func() error {
			_, err := RunProduce(ctx, ProduceOptions{Topic: "t", NumRecords: 1, Props: props})
			return err
		}},
		{"no bootstrap", func() error {
			_, err := RunProduce(ctx, ProduceOptions{Topic: "t", NumRecords: 1, RecordSize: 1})
			return err
		}},
		{"consume no bootstrap", func() error {
			_, err := RunConsume(ctx, ConsumeOptions{Topic: "t", Messages: 1})
			return err
		}},
		{"consume no messages", func() error {
			_, err := RunConsume(ctx, ConsumeOptions{BootstrapServers: "h:1", Topic: "t"})
			return err
		}},
		{"e2e negative timeout", func() error {
			_, err := RunE2E(ctx, E2EOptions{Topic: "t", NumRecords: 1, RecordSize: 1, Props: props, Timeout: -1})
			return err
		}},
		{"loopback negative size", func() error {
			_, err := RunLoopback(ctx, LoopbackOptions{Size: -1})
			return err
		}},
	} {
		if err := tc.run(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: err %v, want ErrInvalidOptions", tc.name, err)
		}
	}
}

func TestKafkaProducerConfig(t *testing.T) {
	for _, tc := range []struct {
		name     string
		props    map[string]string
		wantErr  bool
		clientID string
		ignored  []string
	}{
		{"minimal", map[string]string{"bootstrap.servers": "a:1,b:2"}, false, DefaultProducerClientID, nil},
		{"everything", map[string]string{"bootstrap.servers": "a:1", "acks": "all", "linger.ms": "0", "batch.size": "16384",
			"compression.type": "zstd", "max.in.flight.requests.per.connection": "5", "client.id": "me",
			"enable.idempotence": "false", "buffer.memory": "33554432", "max.request.size": "1048576",
			"request.timeout.ms": "30000", "delivery.timeout.ms": "120000", "retries": "3",
			"key.serializer": "x", "value.serializer": "y", "foo": "1", "bar": "2"}, false, "me", []string{"bar", "foo"}},
		{"no bootstrap", map[string]string{"acks": "1"}, true, "", nil},
		{"bad acks", map[string]string{"bootstrap.servers": "a:1", "acks": "2"}, true, "", nil},
		{"bad linger", map[string]string{"bootstrap.servers": "a:1", "linger.ms": "-1"}, true, "", nil},
		{"bad batch", map[string]string{"bootstrap.servers": "a:1", "batch.size": "big"}, true, "", nil},
		{"bad codec", map[string]string{"bootstrap.servers": "a:1", "compression.type": "brotli"}, true, "", nil},
		{"bad in flight", map[string]string{"bootstrap.servers": "a:1", "max.in.flight": "0"}, true, "", nil},
		{"bad idempotence", map[string]string{"bootstrap.servers": "a:1", "enable.idempotence": "maybe"}, true, "", nil},
	} {
		c, err := producerConfig(tc.props)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.wantErr)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("%s: err %v does not wrap ErrInvalidOptions", tc.name, err)
			}
			continue
		}
		if c.clientID != tc.clientID || strings.Join(c.ignored, ",") != strings.Join(tc.ignored, ",") {
			t.Errorf("%s: client id %q ignored %q, want %q %q", tc.name, c.clientID, c.ignored, tc.clientID, tc.ignored)
		}
	}

	c, err := consumerConfig(map[string]string{"client.id": "c", "fetch.max.wait.ms": "100", "fetch.min.bytes": "1",
		"fetch.max.bytes": "1000", "max.partition.fetch.bytes": "1000", "isolation.level": "read_committed",
		"group.id": "g", "check.crcs": "false"}, "a:1", DefaultFetchSize)
	if err != nil || c.clientID != "c" || strings.Join(c.ignored, ",") != "group.id" {
		t.Errorf("consumer config: %+v, %v", c, err)
	}
	if _, err := consumerConfig(map[string]string{"isolation.level": "dirty"}, "a:1", 1); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("bad isolation level: err %v", err)
	}
}

func TestKafkaLoadProperties(t *testing.T) {
	file := filepath.Join(t.TempDir(), "producer.properties")
	if err := os.WriteFile(file, []byte("# comment\nacks=all\nlinger.ms : 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := loadProperties(file, []string{"acks=1"}, []string{"batch.size=10", "bootstrap.servers=a:1,b:2"}, true, "--producer-props")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"acks": "1", "linger.ms": "7", "batch.size": "10", "bootstrap.servers": "a:1,b:2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := loadProperties("", nil, []string{"acks=1"}, false, "--producer-props"); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("argument without --producer-props: err %v", err)
	}
	if _, err := loadProperties("", []string{"acks"}, nil, true, "--producer-props"); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("property without value: err %v", err)
	}
	if _, err := loadProperties(filepath.Join(t.TempDir(), "missing"), nil, nil, false, ""); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("missing file: err %v", err)
	}
}

func TestKafkaMsValue(t *testing.T) {
	var d time.Duration
	v := msValue{&d}
	for in, want := range map[string]time.Duration{"10000": 10 * time.Second, "0": 0, "1.5s": 1500 * time.Millisecond} {
		if err := v.Set(in); err != nil || d != want {
			t.Errorf("Set(%q): %v, %v; want %v", in, d, err, want)
		}
	}
	if err := v.Set("soon"); err == nil {
		t.Error("Set(soon) succeeded")
	}
	d = 2500 * time.Millisecond
	if v.String() != "2500" || v.Type() != "ms" {
		t.Errorf("String %q Type %q", v.String(), v.Type())
	}
}

func TestKafkaThrottle(t *testing.T) {
	start := time.Unix(1000, 0)
	th := throttle{perSec: 1000, start: start}
	for _, tc := range []struct {
		i    int64
		at   time.Duration
		want time.Duration
	}{
		{0, 0, 0},
		{10, 0, 10 * time.Millisecond},
		{10, 4 * time.Millisecond, 6 * time.Millisecond},
		{10, 20 * time.Millisecond, -10 * time.Millisecond},
		{5000, time.Second, 4 * time.Second},
	} {
		if got := th.delay(tc.i, start.Add(tc.at)); got != tc.want {
			t.Errorf("delay(%d, +%v) = %v, want %v", tc.i, tc.at, got, tc.want)
		}
	}
	if d := (throttle{perSec: -1, start: start}).delay(1e9, start); d != 0 {
		t.Errorf("unthrottled delay %v", d)
	}
}

func TestKafkaLineFormats(t *testing.T) {
	start := time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.Local)
	w := statsWindow{start: start, count: 5000, bytes: 5000 * 1024, sum: 5000 * 2500 * time.Microsecond, max: 7 * time.Millisecond}
	if got, want := windowLine(w, start.Add(5*time.Second), "sent", ""),
		"5000 records sent, 1000.0 records/sec (0.98 MB/sec), 2.5 ms avg latency, 7.0 ms max latency."; got != want {
		t.Errorf("window line\n got %q\nwant %q", got, want)
	}
	s := LatencySummary{Records: 1000000, Bytes: 1000000 * 1024, Elapsed: 8 * time.Second,
		RecordsPerSec: 125000, MBPerSec: 122.0703125, Avg: 3456 * time.Microsecond, Max: 230 * time.Millisecond,
		P50: 4900 * time.Microsecond, P95: 29 * time.Millisecond, P99: 53 * time.Millisecond, P999: 68999 * time.Microsecond}
	if got, want := (&ProduceResult{LatencySummary: s}).String(),
		"1000000 records sent, 125000.000000 records/sec (122.07 MB/sec), 3.46 ms avg latency, 230.00 ms max latency, "+
			"4 ms 50th, 29 ms 95th, 53 ms 99th, 68 ms 99.9th."; got != want {
		t.Errorf("final line\n got %q\nwant %q", got, want)
	}
	if !finalReceivedRE.MatchString(s.line("received", "end-to-end ")) {
		t.Errorf("e2e line %q", s.line("received", "end-to-end "))
	}

	r := &ConsumeResult{Start: start, End: start.Add(2 * time.Second), Records: 1000, Bytes: 2 * mib, FetchTime: 2 * time.Second}
	if got, want := r.Row(),
		"2024-05-06 07:08:09:123, 2024-05-06 07:08:11:123, 2.0000, 1.0000, 1000, 500.0000, 0, 2000, 1.0000, 500.0000"; got != want {
		t.Errorf("row\n got %q\nwant %q", got, want)
	}
	if got, want := detailedRow(start, 1000, mib, 500, mib/2, 500*time.Millisecond),
		"2024-05-06 07:08:09:123, 0, 1.0000, 1.0000, 1000, 1000.0000, 0, 500, 1.0000, 1000.0000"; got != want {
		t.Errorf("detailed row\n got %q\nwant %q", got, want)
	}
	if ConsumeHeader(false) != "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "+
		"rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec" ||
		ConsumeHeader(true) != "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "+
			"rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec" {
		t.Errorf("headers %q %q", ConsumeHeader(false), ConsumeHeader(true))
	}

	var b bytes.Buffer
	if err := WriteMetrics(&b, []Metric{{"g", "zz", "{client-id=c}", 1.5}, {"g", "a", "{client-id=c}", 2}}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "\nMetric Name          Value\ng:a:{client-id=c}  : 2.000\ng:zz:{client-id=c} : 1.500\n"; got != want {
		t.Errorf("metrics\n got %q\nwant %q", got, want)
	}
}

func TestKafkaLatencyStats(t *testing.T) {
	start := time.Unix(0, 0)
	s := newLatencyStats(start)
	for i := 1; i <= 1000; i++ {
		s.record(start.Add(time.Duration(i)*time.Millisecond), time.Duration(i)*time.Millisecond, 10)
	}
	s.fail(errors.New("first"))
	s.fail(errors.New("second"))
	w := s.takeWindow(start.Add(time.Second))
	if w.count != 1000 || w.bytes != 10000 || w.max != time.Second {
		t.Errorf("window %+v", w)
	}
	if w2 := s.takeWindow(start.Add(2 * time.Second)); w2.count != 0 || !w2.start.Equal(start.Add(time.Second)) {
		t.Errorf("second window %+v", w2)
	}
	sum, errs, first := s.summary(start, start.Add(2*time.Second))
	if sum.Records != 1000 || sum.RecordsPerSec != 500 || errs != 2 || first.Error() != "first" {
		t.Errorf("summary %+v errs %d first %v", sum, errs, first)
	}
	checkOrder(t, "stats", sum)
	if msInt(sum.P50) != 500 || msInt(sum.P999) != 999 || sum.Avg != 500500*time.Microsecond {
		t.Errorf("p50 %v p99.9 %v avg %v", sum.P50, sum.P999, sum.Avg)
	}
}

func TestKafkaLoopbackGoroutines(t *testing.T) {
	res, err := RunLoopback(context.Background(), LoopbackOptions{Duration: 100 * time.Millisecond, Size: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Processes || res.Bytes == 0 || res.MBPerSec() <= 0 || !strings.Contains(res.String(), "2 goroutines") {
		t.Errorf("result %+v: %s", res, res)
	}

	cmd := NewLoopbackCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--goroutines", "--duration", "50ms", "--size", "4096"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?s)^loopback TCP, .* MB/sec \(.*Gbit/sec\)\nhalf: \d+\.\d\d MB/sec\n$`).MatchString(out.String()) {
		t.Errorf("output %q", out.String())
	}
}

// kafkaPeerEnv carries the address for TestKafkaLoopbackPeerHelper, run as the sending
// process of TestKafkaLoopbackProcesses.
const kafkaPeerEnv = "ZKAFKA_BENCH_LOOPBACK_PEER"

func TestKafkaLoopbackProcesses(t *testing.T) {
	res, err := RunLoopback(context.Background(), LoopbackOptions{
		Duration: 100 * time.Millisecond,
		Size:     64 << 10,
		Peer: func(addr string) *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^TestKafkaLoopbackPeerHelper$")
			cmd.Env = append(os.Environ(), kafkaPeerEnv+"="+addr)
			return cmd
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Processes || res.Bytes == 0 || !strings.Contains(res.String(), "2 processes") {
		t.Errorf("result %+v: %s", res, res)
	}
}

// TestKafkaLoopbackPeerHelper is the sending process of TestKafkaLoopbackProcesses; run
// any other way it does nothing.
func TestKafkaLoopbackPeerHelper(t *testing.T) {
	addr := os.Getenv(kafkaPeerEnv)
	if addr == "" {
		t.Skip("only the sender of TestKafkaLoopbackProcesses")
	}
	if err := LoopbackPeer(context.Background(), addr, 64<<10); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func TestKafkaLoopbackNoPeer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	res, err := RunLoopback(ctx, LoopbackOptions{Duration: time.Second, Peer: func(string) *exec.Cmd {
		cancel() // the sender never connects; cancelling must end the wait for it
		return exec.Command(os.Args[0], "-test.run=^TestKafkaLoopbackPeerHelper$")
	}})
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Fatalf("res %v err %v, want context.Canceled", res, err)
	}
}
