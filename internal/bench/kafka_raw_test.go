package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestKafkaRawProducer runs the raw producer against an in-process broker and reads
// back what it wrote with franz-go.
func TestKafkaRawProducer(t *testing.T) {
	zk := startKafkaKeeper(t)
	addr := startKafkaBroker(t, zk, "num.partitions=2\n")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("Delivers", func(t *testing.T) {
		const n, size = 5000, 100
		var progress strings.Builder
		res, err := RunProduce(ctx, ProduceOptions{
			Topic: "raw", NumRecords: n, RecordSize: size, Throughput: -1, Producer: ProducerRaw, Connections: 2,
			Props:    map[string]string{"bootstrap.servers": addr, "acks": "1", "batch.size": "16384", "max.in.flight": "3", "linger.ms": "5"},
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
		first, rest, _ := strings.Cut(progress.String(), "\n")
		if first != res.Producer || !strings.HasPrefix(first, "producer: raw, 2 connection(s) to 1 broker(s), up to 3 requests in flight") {
			t.Errorf("first progress line %q, result says %q", first, res.Producer)
		}
		checkLines(t, rest, windowRE)
		if m := metricValue(res.Metrics, "record-send-total"); m != n {
			t.Errorf("record-send-total %v, want %d", m, n)
		}
		if m := metricValue(res.Metrics, "batch-size-max"); m > 16384 || m < 8000 {
			t.Errorf("batch-size-max %v, want at most batch.size 16384 and close to it", m)
		}

		// Every record arrived once, with its sequence number leading its value.
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("raw"),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		seen := make([]bool, n)
		parts := map[int32]int{}
		for got := 0; got < n; {
			fs := cl.PollFetches(ctx)
			if err := fs.Err0(); err != nil {
				t.Fatalf("after %d records: %v", got, err)
			}
			fs.EachRecord(func(r *kgo.Record) {
				got++
				parts[r.Partition]++
				if len(r.Value) != size || r.Key != nil {
					t.Fatalf("record of %d bytes, key %q", len(r.Value), r.Key)
				}
				seq := binary.BigEndian.Uint64(r.Value)
				if seq >= n || seen[seq] {
					t.Fatalf("sequence number %d out of range or seen twice", seq)
				}
				seen[seq] = true
				if age := time.Since(r.Timestamp); age < 0 || age > time.Minute {
					t.Fatalf("record %d has timestamp %v", seq, r.Timestamp)
				}
			})
		}
		if len(parts) != 2 {
			t.Errorf("records by partition %v, want both partitions written", parts)
		}
	})

	t.Run("RawConsumer", func(t *testing.T) {
		// Reads back what Delivers wrote (5000 records of 100 bytes over both partitions).
		var rows strings.Builder
		res, err := RunConsume(ctx, ConsumeOptions{BootstrapServers: addr, Topic: "raw", Messages: 5000,
			Consumer: ConsumerRaw, Progress: &rows, Interval: time.Millisecond,
			Props: map[string]string{"max.partition.fetch.bytes": "20000", "fetch.max.wait.ms": "100", "group.id": "g"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Records != 5000 || res.Bytes != 5000*100 || res.TimedOut || res.Errors != 0 {
			t.Fatalf("consumed %d records %d bytes, timed out %v, errors %d", res.Records, res.Bytes, res.TimedOut, res.Errors)
		}
		if !consumeRowRE.MatchString(res.Row()) {
			t.Errorf("row %q", res.Row())
		}
		checkLines(t, rows.String(), detailedRowRE)

		latest, err := RunConsume(ctx, ConsumeOptions{BootstrapServers: addr, Topic: "raw", Messages: 1,
			Consumer: ConsumerRaw, FromLatest: true, Timeout: 300 * time.Millisecond})
		if err != nil || !latest.TimedOut || latest.Records != 0 {
			t.Errorf("from latest: %+v, %v; want a timeout and no records", latest, err)
		}

		// A compressed topic is refused, not miscounted.
		if _, err := RunProduce(ctx, ProduceOptions{Topic: "rawgzip", NumRecords: 100, RecordSize: 100, Throughput: -1,
			Props: map[string]string{"bootstrap.servers": addr, "acks": "1", "compression.type": "gzip"}}); err != nil {
			t.Fatal(err)
		}
		_, err = RunConsume(ctx, ConsumeOptions{BootstrapServers: addr, Topic: "rawgzip", Messages: 100, Consumer: ConsumerRaw})
		if !errors.Is(err, ErrFetchFailed) || !errors.Is(err, errCompressed) {
			t.Errorf("compressed topic: err %v", err)
		}
	})

	t.Run("AcksZero", func(t *testing.T) {
		res, err := RunProduce(ctx, ProduceOptions{
			Topic: "raw0", NumRecords: 1000, RecordSize: 10, Throughput: -1, Producer: ProducerRaw,
			Props: map[string]string{"bootstrap.servers": addr, "acks": "0"},
		})
		if err != nil || res.Records != 1000 || res.Errors != 0 {
			t.Fatalf("result %+v, err %v", res, err)
		}
	})

	t.Run("BrokerRefuses", func(t *testing.T) {
		// One batch over message.max.bytes (1048588 by default): MESSAGE_TOO_LARGE.
		const n = 12000
		res, err := RunProduce(ctx, ProduceOptions{
			Topic: "rawbig", NumRecords: n, RecordSize: 100, Throughput: -1, Producer: ProducerRaw, Connections: 1,
			Props: map[string]string{"bootstrap.servers": addr, "acks": "1", "batch.size": "2000000"},
		})
		if !errors.Is(err, ErrRecordsFailed) || !errors.Is(err, kerr.MessageTooLarge) {
			t.Fatalf("err %v, want ErrRecordsFailed and MESSAGE_TOO_LARGE", err)
		}
		if res.Records != 0 || res.Errors != n {
			t.Fatalf("records %d errors %d, want 0 %d", res.Records, res.Errors, n)
		}
	})

	t.Run("Command", func(t *testing.T) {
		out, errOut, err := runKafkaCommand(ctx, "produce", "--producer", "raw", "--connections", "1", "--topic", "rawcli",
			"--num-records", "300", "--record-size", "20", "--throughput", "-1", "--producer-props", "acks=all",
			"foo=1", "bootstrap.servers="+addr)
		if err != nil {
			t.Fatalf("produce: %v\n%s%s", err, out, errOut)
		}
		if !strings.Contains(errOut, "The configuration 'foo' was supplied but isn't a known config.") {
			t.Errorf("no warning for foo in stderr %q", errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if !strings.HasPrefix(lines[0], "producer: raw, 1 connection(s)") || !strings.HasSuffix(lines[0], "acks=-1") {
			t.Errorf("first line %q", lines[0])
		}
		if last := lines[len(lines)-1]; !finalSentRE.MatchString(last) || !strings.HasPrefix(last, "300 records sent, ") {
			t.Errorf("final line %q", last)
		}
	})

	t.Run("Interrupted", func(t *testing.T) {
		ictx, icancel := context.WithCancel(ctx)
		defer icancel()
		res, err := RunProduce(ictx, ProduceOptions{
			Topic: "rawslow", NumRecords: 1_000_000, RecordSize: 10, Throughput: 500, Producer: ProducerRaw,
			Props:    map[string]string{"bootstrap.servers": addr, "acks": "1"},
			Progress: &cancelAfter{lines: 2, cancel: icancel}, Interval: 20 * time.Millisecond,
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		if res == nil || res.Records == 0 || res.Records >= 1_000_000 || res.Errors != 0 {
			t.Fatalf("result %+v", res)
		}
	})
}

// cancelAfter cancels a run once it has written lines lines.
type cancelAfter struct {
	lines  int
	cancel context.CancelFunc
}

func (w *cancelAfter) Write(p []byte) (int, error) {
	if w.lines--; w.lines <= 0 {
		w.cancel()
	}
	return len(p), nil
}

func TestKafkaRawBatch(t *testing.T) {
	p := &rawProducer{size: 30, payloads: kafkaPayloads(30, 10)}
	now := time.UnixMilli(1_700_000_000_123)
	b := p.appendBatch([]byte("prefix"), 7, 3, now)[len("prefix"):]
	var rb kmsg.RecordBatch
	if err := rb.ReadFrom(b); err != nil {
		t.Fatal(err)
	}
	if rb.Magic != 2 || rb.NumRecords != 3 || rb.LastOffsetDelta != 2 || rb.FirstTimestamp != now.UnixMilli() ||
		rb.MaxTimestamp != now.UnixMilli() || rb.ProducerID != -1 || rb.FirstSequence != -1 || rb.PartitionLeaderEpoch != -1 ||
		int(rb.Length)+12 != len(b) || rb.Attributes != 0 {
		t.Fatalf("header %+v", rb)
	}
	if crc := crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)); uint32(rb.CRC) != crc {
		t.Fatalf("crc %08x, computed %08x", uint32(rb.CRC), crc)
	}
	recs := rb.Records
	for i := range 3 {
		length, n := binary.Varint(recs)
		if n <= 0 || int(length)+n > len(recs) {
			t.Fatalf("record %d: length %d", i, length)
		}
		var r kmsg.Record
		if err := r.ReadFrom(recs[:n+int(length)]); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if r.OffsetDelta != int32(i) || r.Key != nil || len(r.Value) != 30 || binary.BigEndian.Uint64(r.Value) != uint64(7+i) {
			t.Fatalf("record %d: %+v", i, r)
		}
		if max := rawRecordMaxSize(30); n+int(length) > max {
			t.Fatalf("record %d takes %d bytes, more than the %d planned", i, n+int(length), max)
		}
		recs = recs[n+int(length):]
	}
	if len(recs) != 0 {
		t.Fatalf("%d bytes after the records", len(recs))
	}
}

func TestKafkaWalkBatches(t *testing.T) {
	p := &rawProducer{size: 30, payloads: kafkaPayloads(30, 10)}
	now := time.UnixMilli(1_700_000_000_000)
	two := p.appendBatch(nil, 0, 3, now)
	binary.BigEndian.PutUint64(two, 10) // base offsets 10 and 13
	second := p.appendBatch(nil, 3, 4, now)
	binary.BigEndian.PutUint64(second, 13)
	two = append(two, second...)
	for _, tc := range []struct {
		name                string
		data                []byte
		from                int64
		records, bytes, end int64
		wantErr             bool
	}{
		{"both", two, 10, 7, 7 * 30, 16, false},
		{"from the middle of the first", two, 11, 6, 6 * 30, 16, false},
		{"from the second", two, 13, 4, 4 * 30, 16, false},
		{"partial second", two[:len(two)-1], 10, 3, 3 * 30, 12, false},
		{"partial header", two[:20], 10, 0, 0, 9, false},
		{"empty", nil, 5, 0, 0, 4, false},
		{"bad crc", append(bytes.Clone(two[:len(two)-1]), two[len(two)-1]^1), 10, 3, 3 * 30, 12, true},
		{"bad length", append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, make([]byte, 60)...), 0, 0, 0, -1, true},
	} {
		records, bytes, last, err := walkBatches(tc.data, tc.from)
		if (err != nil) != tc.wantErr || records != tc.records || bytes != tc.bytes || last != tc.end {
			t.Errorf("%s: %d records %d bytes last %d err %v; want %d %d %d error %v",
				tc.name, records, bytes, last, err, tc.records, tc.bytes, tc.end, tc.wantErr)
		}
	}
}

func TestKafkaRawProducerConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		props   map[string]string
		wantErr bool
		ignored string
	}{
		{"minimal", map[string]string{"bootstrap.servers": "a:1"}, false, ""},
		{"everything", map[string]string{"bootstrap.servers": "a:1", "acks": "1", "batch.size": "65536",
			"max.in.flight.requests.per.connection": "8", "client.id": "me", "request.timeout.ms": "1000",
			"compression.type": "none", "enable.idempotence": "false", "linger.ms": "5", "buffer.memory": "1",
			"key.serializer": "x", "foo": "1"}, false, "foo"},
		{"compressed", map[string]string{"bootstrap.servers": "a:1", "compression.type": "lz4"}, true, ""},
		{"idempotent", map[string]string{"bootstrap.servers": "a:1", "enable.idempotence": "true"}, true, ""},
		{"tiny batch", map[string]string{"bootstrap.servers": "a:1", "batch.size": "61"}, true, ""},
		{"bad acks", map[string]string{"bootstrap.servers": "a:1", "acks": "2"}, true, ""},
		{"no bootstrap", map[string]string{"acks": "1"}, true, ""},
	} {
		c, err := rawProducerConfig(tc.props)
		if (err != nil) != tc.wantErr || err != nil && !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: err %v, want error %v", tc.name, err, tc.wantErr)
			continue
		}
		if err == nil && strings.Join(c.ignored, ",") != tc.ignored {
			t.Errorf("%s: ignored %q, want %q", tc.name, c.ignored, tc.ignored)
		}
	}
	c, _ := rawProducerConfig(map[string]string{"bootstrap.servers": "a:1", "acks": "1", "batch.size": "65536", "max.in.flight": "8"})
	if c.acks != 1 || c.batchBytes != 65536 || c.inFlight != 8 || c.clientID != DefaultProducerClientID {
		t.Errorf("config %+v", c)
	}
	if _, err := RunProduce(context.Background(), ProduceOptions{Topic: "t", NumRecords: 1, RecordSize: 1,
		Producer: "fast", Props: map[string]string{"bootstrap.servers": "a:1"}}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("unknown producer: err %v", err)
	}
}
