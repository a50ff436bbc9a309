package broker

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/zkafka/zkafka/internal/config"
	"github.com/zkafka/zkafka/internal/keeper/server"
)

// startKeeper runs zkafka's keeper in-process for the broker to use.
func startKeeper(t *testing.T) string {
	t.Helper()
	s, err := server.New(server.Options{ClientAddr: "127.0.0.1:0", DataDir: t.TempDir(), TickTime: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr().String()
}

// startBroker runs a broker against zk with its logs in a temp dir.
func startBroker(t *testing.T, zk string, id int, extra string) *Broker {
	t.Helper()
	props := fmt.Sprintf("broker.id=%d\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs=%s,%s\nzookeeper.connect=%s\n%s",
		id, t.TempDir(), t.TempDir(), zk, extra)
	cfg, _, err := config.ParseBroker(strings.NewReader(props), "server.properties")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logger *slog.Logger
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	b, err := New(Options{Config: cfg, Listener: ln, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func client(t *testing.T, b *Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	c, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr().String())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestProduceConsumeAutoCreate: a real client produces to a topic that
// does not exist (auto-created), then reads every record back in order.
func TestProduceConsumeAutoCreate(t *testing.T) {
	zk := startKeeper(t)
	b := startBroker(t, zk, 1, "num.partitions=3\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	p := client(t, b, kgo.DefaultProduceTopic("events"), kgo.AllowAutoTopicCreation(), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	const n = 300
	for i := 0; i < n; i++ {
		if err := p.ProduceSync(ctx, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("value-%d", i))}).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}
	c := client(t, b, kgo.ConsumeTopics("events"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	seen := map[string]bool{}
	lastOffset := map[int32]int64{}
	for len(seen) < n {
		fs := c.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d: %v", len(seen), n, err)
		}
		fs.EachError(func(topic string, part int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, part, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if want, ok := lastOffset[r.Partition]; ok && r.Offset != want+1 {
				t.Fatalf("partition %d: offset %d after %d", r.Partition, r.Offset, want)
			}
			lastOffset[r.Partition] = r.Offset
			if string(r.Value) != "value-"+string(r.Key) {
				t.Fatalf("record %q=%q", r.Key, r.Value)
			}
			seen[string(r.Key)] = true
		})
	}
	if len(lastOffset) != 3 {
		t.Fatalf("records in %d partitions, want 3", len(lastOffset))
	}

	// ListOffsets: earliest 0, latest = records in the partition.
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = "events"
	for _, ts := range []int64{-2, -1} {
		pp := kmsg.NewListOffsetsRequestTopicPartition()
		pp.Partition, pp.Timestamp = 0, ts
		rt.Partitions = []kmsg.ListOffsetsRequestTopicPartition{pp}
		req.Topics = []kmsg.ListOffsetsRequestTopic{rt}
		resp, err := req.RequestWith(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		got := resp.Topics[0].Partitions[0]
		want := int64(0)
		if ts == -1 {
			want = lastOffset[0] + 1
		}
		if got.ErrorCode != 0 || got.Offset != want {
			t.Fatalf("ListOffsets(%d) = offset %d code %d, want %d", ts, got.Offset, got.ErrorCode, want)
		}
	}
}

// TestCompressionCodecs: batches compressed with every codec are stored as
// sent and read back by a real client.
func TestCompressionCodecs(t *testing.T) {
	zk := startKeeper(t)
	b := startBroker(t, zk, 1, "")
	codecs := []struct {
		name  string
		codec kgo.CompressionCodec
	}{
		{"none", kgo.NoCompression()},
		{"gzip", kgo.GzipCompression()},
		{"snappy", kgo.SnappyCompression()},
		{"lz4", kgo.Lz4Compression()},
		{"zstd", kgo.ZstdCompression()},
	}
	for _, tc := range codecs {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			topic := "codec-" + tc.name
			p := client(t, b, kgo.DefaultProduceTopic(topic), kgo.AllowAutoTopicCreation(),
				kgo.ProducerBatchCompression(tc.codec), kgo.ProducerLinger(50*time.Millisecond))
			const n = 500
			var recs []*kgo.Record
			for i := 0; i < n; i++ {
				recs = append(recs, &kgo.Record{Value: []byte(strings.Repeat(fmt.Sprint(i%10), 100))})
			}
			if err := p.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
			c := client(t, b, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			got := 0
			for got < n {
				fs := c.PollFetches(ctx)
				if ctx.Err() != nil {
					t.Fatalf("consumed %d of %d", got, n)
				}
				fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch: %v", err) })
				fs.EachRecord(func(r *kgo.Record) {
					if want := strings.Repeat(fmt.Sprint(got%10), 100); string(r.Value) != want || r.Offset != int64(got) {
						t.Fatalf("record %d at offset %d: %.20q", got, r.Offset, r.Value)
					}
					got++
				})
			}
		})
	}
}

// TestCreateTopicsErrors: Kafka's error codes for bad topic requests.
func TestCreateTopicsErrors(t *testing.T) {
	zk := startKeeper(t)
	b := startBroker(t, zk, 1, "auto.create.topics.enable=false\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := client(t, b)
	create := func(name string, parts int32, rf int16, validateOnly bool) int16 {
		req := kmsg.NewPtrCreateTopicsRequest()
		req.ValidateOnly = validateOnly
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, parts, rf
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0].ErrorCode
	}
	cases := []struct {
		name         string
		topic        string
		parts        int32
		rf           int16
		validateOnly bool
		want         int16
	}{
		{"ok", "orders", 4, 1, false, 0},
		{"exists", "orders", 1, 1, false, 36},
		{"bad name", "bad/name", 1, 1, false, 17},
		{"zero partitions", "zero", 0, 1, false, 37},
		{"rf above brokers", "rf", 1, 3, false, 38},
		{"validate only", "checked", 2, 1, true, 0},
	}
	for _, tc := range cases {
		if got := create(tc.topic, tc.parts, tc.rf, tc.validateOnly); got != tc.want {
			t.Errorf("%s: error code %d, want %d", tc.name, got, tc.want)
		}
	}
	// validateOnly created nothing; auto-creation is off.
	req := kmsg.NewPtrMetadataRequest()
	for _, name := range []string{"checked", "orders"} {
		rt := kmsg.NewMetadataRequestTopic()
		n := name
		rt.Topic = &n
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Topics[0].ErrorCode != 3 || resp.Topics[1].ErrorCode != 0 || len(resp.Topics[1].Partitions) != 4 {
		t.Fatalf("metadata: checked=%d orders=%d with %d partitions", resp.Topics[0].ErrorCode, resp.Topics[1].ErrorCode, len(resp.Topics[1].Partitions))
	}
}

// TestNoRequestServedBeforeMetadata: a client that connects while the
// broker is still starting (the listener is bound in New, so a connection
// is accepted by the kernel at once, and `kafka start -daemon` returns on
// such a connection) is answered only once the broker knows the cluster:
// the broker list and the existing topics.
func TestNoRequestServedBeforeMetadata(t *testing.T) {
	zk := startKeeper(t)
	b1 := startBroker(t, zk, 1, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	create := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "early", 2, 1
	create.Topics = append(create.Topics, rt)
	if resp, err := create.RequestWith(ctx, client(t, b1)); err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create topic: %+v, %v", resp, err)
	}

	props := fmt.Sprintf("broker.id=2\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs=%s\nzookeeper.connect=%s\nauto.create.topics.enable=false\n",
		t.TempDir(), zk)
	cfg, _, err := config.ParseBroker(strings.NewReader(props), "server.properties")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b2, err := New(Options{Config: cfg, Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b2.Close() })

	// The request is on its way before Start is called.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(4)
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr("early")
	req.Topics = append(req.Topics, mt)
	if _, err := conn.Write(kmsg.NewRequestFormatter(kmsg.FormatterClientID("early-bird")).AppendRequest(nil, req, 7)); err != nil {
		t.Fatal(err)
	}
	if err := b2.Start(ctx); err != nil {
		t.Fatal(err)
	}

	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(conn, body); err != nil {
		t.Fatal(err)
	}
	if corr := int32(binary.BigEndian.Uint32(body)); corr != 7 {
		t.Fatalf("correlation id %d, want 7", corr)
	}
	resp := kmsg.NewPtrMetadataResponse()
	resp.SetVersion(4)
	if err := resp.ReadFrom(body[4:]); err != nil {
		t.Fatal(err)
	}
	var ids []int32
	for _, br := range resp.Brokers {
		ids = append(ids, br.NodeID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []int32{1, 2}) {
		t.Errorf("brokers in the first metadata %v, want [1 2]", ids)
	}
	if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 || len(resp.Topics[0].Partitions) != 2 {
		t.Errorf("topic in the first metadata: %+v", resp.Topics)
	}
}
