package bench

// The raw producer behind `zkafka bench kafka produce --producer raw`: a load generator
// as lean as librdkafka or the Java producer with big batches, so that a single broker
// can be measured rather than a single client.
//
// It builds magic-2 record batches itself (uncompressed, no key, no headers; every value
// carries the record's sequence number in its first bytes, the rest cycles through 16
// random upper-case payloads), stamps each batch with the time it was built
// and its CRC-32C, and sends one batch per Produce request (v7, encoded with kmsg) over
// Connections connections to each partition leader, up to
// max.in.flight.requests.per.connection requests in flight on each. Replies are matched
// to requests by correlation id; a partition error fails the batch's records (there are
// no retries). A record's latency runs from the moment its batch is built to the reply.
// The broker validates these batches as any other.
//
//	Produce request frame (v7), as written:
//	┌──────┬──────────────────────────────────────────┬───────────────┬───────────────────┐
//	│ size │ header and body up to the partition's    │ records       │ record batch      │
//	│ int32│ records, encoded by kmsg (records empty) │ length, int32 │ (built in place)  │
//	└──────┴──────────────────────────────────────────┴───────────────┴───────────────────┘
//	kmsg encodes the request with an empty record set, whose length is the frame's last
//	4 bytes for a one-partition v7 request; the batch is appended after it and the two
//	lengths are patched, so the batch is written once, into the buffer that is sent.

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Producers RunProduce can use (ProduceOptions.Producer).
const (
	// ProducerKgo is franz-go's client, configured from the Java producer's properties.
	ProducerKgo = "kgo"
	// ProducerRaw builds record batches itself and pipelines Produce requests over a few
	// connections (see the file comment of kafka_raw.go).
	ProducerRaw = "raw"
)

// Defaults of the raw producer.
const (
	// DefaultRawConnections is the raw producer's connections per partition leader.
	DefaultRawConnections = 2
	// DefaultRawBatchBytes bounds a raw batch when batch.size is not given: about 1 MB,
	// under Kafka's default message.max.bytes (1048588), as franz-go's default.
	DefaultRawBatchBytes = 1_000_000
	// rawProduceVersion is the Produce version the raw producer speaks: record batches,
	// not flexible, so the records' length is a plain int32 at a known place.
	rawProduceVersion = 7
	// rawRequestTimeout is the Produce timeout sent when request.timeout.ms is not given
	// (the Java client's default).
	rawRequestTimeout = 30 * time.Second
	// rawPayloads is how many random values the raw producer cycles through (each record
	// then gets its sequence number): few enough to stay in the CPU's cache, since its
	// batches are never compressed.
	rawPayloads = 16
	// rawMetadataTimeout bounds the wait for the topic's partitions to have leaders.
	rawMetadataTimeout = 30 * time.Second
)

// Record batch (magic 2) header: the byte offsets of the fields the raw producer sets.
// They are Kafka's frozen format.
const (
	rbLength          = 8
	rbLeaderEpoch     = 12
	rbMagic           = 16
	rbCRC             = 17
	rbAttributes      = 21
	rbLastOffsetDelta = 23
	rbBaseTimestamp   = 27
	rbMaxTimestamp    = 35
	rbProducerID      = 43
	rbProducerEpoch   = 51
	rbBaseSequence    = 53
	rbRecordCount     = 57
	rbHeaderSize      = 61
	rbLogOverhead     = 12 // base offset and length: not counted by the length
)

// castagnoli is the CRC-32C table of record batches.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// kafkaRawConfig is the raw producer's configuration, from Java producer properties.
type kafkaRawConfig struct {
	seeds      []string
	acks       int16
	batchBytes int
	inFlight   int
	clientID   string
	timeout    time.Duration
	ignored    []string
}

// rawIgnoredQuietly are producer properties that mean nothing to the raw producer but are
// commonly given: it never waits to fill a batch (linger.ms), holds at most its requests
// in flight (buffer.memory) and never retries.
var rawIgnoredQuietly = map[string]bool{
	"linger.ms": true, "buffer.memory": true, "retries": true, "delivery.timeout.ms": true,
	"max.request.size": true,
}

// rawProducerConfig reads props for the raw producer: bootstrap.servers, acks (default
// all), batch.size (default DefaultRawBatchBytes), max.in.flight.requests.per.connection
// (or max.in.flight; default 5), client.id, request.timeout.ms; compression.type may only
// be none and enable.idempotence only false.
func rawProducerConfig(props map[string]string) (kafkaRawConfig, error) {
	c := kafkaRawConfig{acks: -1, batchBytes: DefaultRawBatchBytes, inFlight: DefaultMaxInFlight,
		clientID: DefaultProducerClientID, timeout: rawRequestTimeout}
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
			case "0", "1":
				c.acks = int16(v[0] - '0')
			case "-1", "all":
				c.acks = -1
			default:
				return c, bad("not one of 0, 1, -1, all")
			}
		case "batch.size":
			n, err := propInt(v, rbHeaderSize+1)
			if err != nil {
				return c, bad(err.Error())
			}
			c.batchBytes = int(min(n, 1<<30))
		case "max.in.flight.requests.per.connection", "max.in.flight":
			n, err := propInt(v, 1)
			if err != nil {
				return c, bad(err.Error())
			}
			c.inFlight = int(min(n, 1<<10))
		case "client.id":
			c.clientID = v
		case "request.timeout.ms":
			n, err := propInt(v, 1)
			if err != nil {
				return c, bad(err.Error())
			}
			c.timeout = time.Duration(min(n, 1<<31-1)) * time.Millisecond
		case "compression.type":
			if v != "none" {
				return c, bad("the raw producer sends uncompressed batches only")
			}
		case "enable.idempotence":
			if b, err := strconv.ParseBool(v); err != nil || b {
				return c, bad("the raw producer is not idempotent")
			}
		default:
			if !javaOnly[k] && !rawIgnoredQuietly[k] {
				c.ignored = append(c.ignored, k)
			}
		}
	}
	if len(c.seeds) == 0 {
		return c, fmt.Errorf("%w: bootstrap.servers is not set (--producer-props bootstrap.servers=host:port)", ErrInvalidOptions)
	}
	return c, nil
}

// rawProducer is one raw producer run.
type rawProducer struct {
	ctx      context.Context
	cfg      kafkaRawConfig
	topic    string
	size     int      // record value size
	payloads [][]byte // value templates, cycled
	n        int64    // records to send
	perBatch int64    // records per batch
	perSec   float64  // throttle; <= 0: none
	start    time.Time
	stats    *latencyStats
	metrics  *clientMetrics

	next    atomic.Int64 // the next record not yet claimed by a connection
	errMu   sync.Mutex
	connErr error // the first connection failure
}

// runRawProduce is RunProduce with the raw producer; o is validated.
func runRawProduce(ctx context.Context, o ProduceOptions) (*ProduceResult, error) {
	cfg, err := rawProducerConfig(o.Props)
	if err != nil {
		return nil, err
	}
	clientConfig{ignored: cfg.ignored}.warn(o.Logger)
	leaders, err := rawPartitionLeaders(ctx, cfg, o.Topic)
	if err != nil {
		return nil, fmt.Errorf("kafka produce: %w", err)
	}
	p := &rawProducer{
		ctx: ctx, cfg: cfg, topic: o.Topic, size: o.RecordSize, n: o.NumRecords, perSec: o.Throughput,
		payloads: kafkaPayloads(o.RecordSize, min(o.NumRecords, rawPayloads)), metrics: &clientMetrics{},
	}
	p.perBatch = max(1, int64(cfg.batchBytes-rbHeaderSize)/int64(rawRecordMaxSize(o.RecordSize)))
	if p.perSec > 0 {
		p.perBatch = min(p.perBatch, max(1, int64(p.perSec/100))) // at most 10 ms of records at once
	}

	addrs := make([]string, 0, len(leaders))
	for addr := range leaders {
		addrs = append(addrs, addr)
	}
	sort.Strings(addrs)
	conns := make([]*kafkaRawConn, 0, len(addrs)*o.Connections)
	for _, addr := range addrs {
		parts := leaders[addr]
		for i := range o.Connections {
			var d net.Dialer
			nc, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				for _, c := range conns {
					c.nc.Close()
				}
				return nil, fmt.Errorf("kafka produce: dial %s: %w", addr, err)
			}
			conns = append(conns, newKafkaRawConn(p, nc, parts, i))
		}
	}
	desc := fmt.Sprintf("producer: raw, %d connection(s) to %d broker(s), up to %d requests in flight on each, "+
		"%d records (at most %d bytes) per batch, acks=%d", len(conns), len(addrs), cfg.inFlight, p.perBatch, cfg.batchBytes, cfg.acks)
	if o.Progress != nil {
		if _, err := fmt.Fprintln(o.Progress, desc); err != nil {
			return nil, fmt.Errorf("kafka produce: write progress: %w", err)
		}
	}

	p.start = time.Now()
	p.stats = newLatencyStats(p.start)
	rep := startReporter(o.Progress, o.Interval, windowSource{p.stats, "sent", ""})
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(c.run)
	}
	wg.Wait()
	end := time.Now()
	progressErr := rep.stop()
	if left := p.n - min(p.next.Load(), p.n); left > 0 && ctx.Err() == nil {
		p.stats.failMany(left, fmt.Errorf("not sent: every connection failed: %w", p.firstConnErr()))
	}

	res := &ProduceResult{Producer: desc}
	res.LatencySummary, res.Errors, res.FirstError = p.stats.summary(p.start, end)
	res.Metrics = p.metrics.producer(cfg.clientID, res.Records, res.Errors, end.Sub(p.start))
	return res, produceError(ctx, res, o.NumRecords, nil, progressErr)
}

// firstConnErr returns the first connection failure, or nil.
func (p *rawProducer) firstConnErr() error {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.connErr
}

// connFailed notes a connection failure (the first one is kept).
func (p *rawProducer) connFailed(err error) {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	if p.connErr == nil {
		p.connErr = err
	}
}

// claim takes the next batch of records to send: the index of its first record and how
// many (0 when every record has been claimed).
func (p *rawProducer) claim() (int64, int64) {
	for {
		cur := p.next.Load()
		if cur >= p.n {
			return cur, 0
		}
		k := min(p.perBatch, p.n-cur)
		if p.next.CompareAndSwap(cur, cur+k) {
			return cur, k
		}
	}
}

// rawRecordMaxSize is the most bytes one record of a value of size bytes takes in a batch
// (offset deltas up to int32).
func rawRecordMaxSize(size int) int {
	body := rawRecordBody(size, 1<<31-1)
	return varintLen(int64(body)) + body
}

// rawRecordBody is the length of a record's body: attributes, timestamp delta (0), offset
// delta, key length (-1: null), value length, value, header count (0).
func rawRecordBody(size int, offsetDelta int32) int {
	return 1 + 1 + varintLen(int64(offsetDelta)) + 1 + varintLen(int64(size)) + size + 1
}

// varintLen is the length of v as a zig-zag varint.
func varintLen(v int64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutVarint(b[:], v)
}

// appendBatch appends a magic-2 batch of records [first, first+count) stamped with now.
func (p *rawProducer) appendBatch(dst []byte, first, count int64, now time.Time) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, rbHeaderSize)...)
	var seq [8]byte
	for i := range count {
		value := p.payloads[(first+i)%int64(len(p.payloads))]
		dst = binary.AppendVarint(dst, int64(rawRecordBody(p.size, int32(i))))
		dst = append(dst, 0)               // attributes
		dst = binary.AppendVarint(dst, 0)  // timestamp delta
		dst = binary.AppendVarint(dst, i)  // offset delta
		dst = binary.AppendVarint(dst, -1) // key: null
		dst = binary.AppendVarint(dst, int64(p.size))
		// The record's sequence number leads the value, so no two records are alike.
		binary.BigEndian.PutUint64(seq[:], uint64(first+i))
		k := min(len(seq), p.size)
		dst = append(dst, seq[len(seq)-k:]...)
		dst = append(dst, value[k:]...)
		dst = binary.AppendVarint(dst, 0) // headers
	}
	b := dst[start:]
	ms := now.UnixMilli()
	binary.BigEndian.PutUint32(b[rbLength:], uint32(len(b)-rbLogOverhead))
	binary.BigEndian.PutUint32(b[rbLeaderEpoch:], 0xffffffff) // -1: the broker sets it
	b[rbMagic] = 2
	binary.BigEndian.PutUint32(b[rbLastOffsetDelta:], uint32(count-1))
	binary.BigEndian.PutUint64(b[rbBaseTimestamp:], uint64(ms))
	binary.BigEndian.PutUint64(b[rbMaxTimestamp:], uint64(ms))
	binary.BigEndian.PutUint64(b[rbProducerID:], ^uint64(0))   // -1: no producer id
	binary.BigEndian.PutUint16(b[rbProducerEpoch:], 0xffff)    // -1
	binary.BigEndian.PutUint32(b[rbBaseSequence:], 0xffffffff) // -1
	binary.BigEndian.PutUint32(b[rbRecordCount:], uint32(count))
	binary.BigEndian.PutUint32(b[rbCRC:], crc32.Checksum(b[rbAttributes:], castagnoli))
	return dst
}

// kafkaRawConn is one connection of the raw producer: its writer builds and sends requests,
// its reader matches the replies, in order, to the requests in flight.
type kafkaRawConn struct {
	p        *rawProducer
	ctx      context.Context // ends with the run, or when the reader fails
	cancel   context.CancelCauseFunc
	nc       net.Conn
	parts    []int32 // the partitions this connection writes to, in turn
	turn     int
	fm       *kmsg.RequestFormatter
	corr     int32
	tokens   chan struct{}        // one per request in flight
	inFlight chan kafkaRawRequest // requests sent, oldest first
	free     chan []byte          // request buffers whose reply came
}

// kafkaRawRequest is a Produce request in flight.
type kafkaRawRequest struct {
	corr      int32
	partition int32
	records   int64
	bytes     int64 // record value bytes
	batch     int   // batch bytes
	frame     []byte
	sent      time.Time
}

func newKafkaRawConn(p *rawProducer, nc net.Conn, parts []int32, i int) *kafkaRawConn {
	ctx, cancel := context.WithCancelCause(p.ctx)
	return &kafkaRawConn{
		ctx: ctx, cancel: cancel,
		p: p, nc: nc, parts: parts, turn: i % len(parts),
		fm:       kmsg.NewRequestFormatter(kmsg.FormatterClientID(p.cfg.clientID)),
		tokens:   make(chan struct{}, p.cfg.inFlight),
		inFlight: make(chan kafkaRawRequest, p.cfg.inFlight),
		free:     make(chan []byte, p.cfg.inFlight),
	}
}

// run sends batches until every record is claimed, then waits for the last replies and
// closes the connection. A failure fails the records of the requests in flight and ends
// this connection only; the others take the records left.
func (c *kafkaRawConn) run() {
	stop := context.AfterFunc(c.ctx, func() { c.nc.Close() })
	defer stop()
	defer c.cancel(nil)
	defer c.nc.Close()
	var readErr error
	var reader sync.WaitGroup
	if c.p.cfg.acks != 0 {
		reader.Go(func() {
			if readErr = c.readReplies(); readErr != nil {
				c.cancel(readErr) // the writer stops taking records
			}
		})
	}
	writeErr := c.writeRequests()
	close(c.inFlight)
	if writeErr != nil {
		c.nc.Close() // the reader stops too
	}
	reader.Wait()
	for r := range c.inFlight { // what the reader did not answer
		c.fail(r, errors.Join(writeErr, readErr))
	}
	if err := errors.Join(writeErr, readErr); err != nil && c.p.ctx.Err() == nil {
		c.p.connFailed(err)
	}
}

// fail counts the records of r as failed (unless the run was interrupted).
func (c *kafkaRawConn) fail(r kafkaRawRequest, err error) {
	if c.p.ctx.Err() != nil {
		return
	}
	c.p.stats.failMany(r.records, fmt.Errorf("produce to %s[%d]: %w", c.p.topic, r.partition, err))
}

// writeRequests builds and writes requests while records are left to claim and a slot of
// max.in.flight is free.
func (c *kafkaRawConn) writeRequests() error {
	p := c.p
	th := throttle{perSec: p.perSec, start: p.start}
	for {
		select {
		case c.tokens <- struct{}{}:
		case <-c.ctx.Done():
			return fmt.Errorf("connection closed: %w", context.Cause(c.ctx))
		}
		first, count := p.claim()
		if count == 0 {
			return nil
		}
		if d := th.delay(first, time.Now()); d >= time.Millisecond {
			if err := sleepCtx(c.ctx, d); err != nil {
				return err // interrupted: the claimed records are not sent
			}
		}
		var buf []byte
		select {
		case buf = <-c.free:
		default:
		}
		part := c.parts[c.turn]
		c.turn = (c.turn + 1) % len(c.parts)
		c.corr++
		now := time.Now()
		frame, batch := c.appendRequest(buf[:0], c.corr, part, first, count, now)
		r := kafkaRawRequest{corr: c.corr, partition: part, records: count, bytes: count * int64(p.size),
			batch: batch, frame: frame, sent: now}
		if p.cfg.acks != 0 {
			c.inFlight <- r // cannot block: a token is held
		}
		if _, err := c.nc.Write(frame); err != nil {
			if p.cfg.acks == 0 {
				c.fail(r, err)
			}
			return fmt.Errorf("write request: %w", err)
		}
		if p.cfg.acks == 0 { // no reply: done once written
			c.done(r, time.Now(), 0)
		}
	}
}

// appendRequest appends a size-prefixed Produce request with one batch of records
// [first, first+count) for partition, and returns it with the batch's size.
func (c *kafkaRawConn) appendRequest(dst []byte, corr, partition int32, first, count int64, now time.Time) ([]byte, int) {
	p := c.p
	req := kmsg.NewPtrProduceRequest()
	req.Version = rawProduceVersion
	req.Acks = p.cfg.acks
	req.TimeoutMillis = int32(p.cfg.timeout / time.Millisecond)
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = p.topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition = partition
	rp.Records = []byte{} // an empty record set: its int32 length ends the frame
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	dst = c.fm.AppendRequest(dst, req, corr)
	recStart := len(dst)
	dst = p.appendBatch(dst, first, count, now)
	batch := len(dst) - recStart
	binary.BigEndian.PutUint32(dst[recStart-4:], uint32(batch))
	binary.BigEndian.PutUint32(dst, uint32(len(dst)-4))
	return dst, batch
}

// readReplies reads one reply per request in flight, in order, until the writer is done
// and every reply came.
func (c *kafkaRawConn) readReplies() error {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	var buf []byte
	for r := range c.inFlight {
		// The broker answers within the request's timeout; allow as much again.
		if err := c.nc.SetReadDeadline(r.sent.Add(2 * c.p.cfg.timeout)); err != nil {
			c.fail(r, err)
			return fmt.Errorf("read reply: %w", err)
		}
		var sz [4]byte
		if _, err := io.ReadFull(br, sz[:]); err != nil {
			c.fail(r, err)
			return fmt.Errorf("read reply: %w", err)
		}
		n := int(binary.BigEndian.Uint32(sz[:]))
		if n < 4 || n > 1<<20 {
			c.fail(r, fmt.Errorf("reply frame of %d bytes", n))
			return fmt.Errorf("read reply: frame of %d bytes", n)
		}
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(br, buf); err != nil {
			c.fail(r, err)
			return fmt.Errorf("read reply: %w", err)
		}
		now := time.Now()
		if corr := int32(binary.BigEndian.Uint32(buf)); corr != r.corr {
			err := fmt.Errorf("reply with correlation id %d to request %d", corr, r.corr)
			c.fail(r, err)
			return err
		}
		if err := c.check(r, buf[4:]); err != nil {
			c.fail(r, err)
		} else {
			c.done(r, now, n+4)
		}
	}
	return nil
}

// check decodes the reply to r and returns its partition's error, if any.
func (c *kafkaRawConn) check(r kafkaRawRequest, body []byte) error {
	resp := kmsg.NewPtrProduceResponse()
	resp.Version = rawProduceVersion
	if err := resp.ReadFrom(body); err != nil {
		return fmt.Errorf("decode reply: %w", err)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if t.Topic != c.p.topic || p.Partition != r.partition {
				continue
			}
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				if p.ErrorMessage != nil {
					return fmt.Errorf("%w: %s", err, *p.ErrorMessage)
				}
				return err
			}
			return nil
		}
	}
	return fmt.Errorf("reply without partition %d", r.partition)
}

// done counts r's records as acknowledged at now (replyBytes long) and frees its slot.
func (c *kafkaRawConn) done(r kafkaRawRequest, now time.Time, replyBytes int) {
	c.p.stats.recordMany(now, now.Sub(r.sent), r.records, r.bytes)
	m := c.p.metrics
	m.mu.Lock()
	m.requests++
	m.produces++
	m.written += int64(len(r.frame))
	m.read += int64(replyBytes)
	m.prodLat += now.Sub(r.sent)
	m.prodMax = max(m.prodMax, now.Sub(r.sent))
	m.batches++
	m.batchSize += int64(r.batch)
	m.batchRaw += int64(r.batch)
	m.batchMax = max(m.batchMax, int64(r.batch))
	m.mu.Unlock()
	select {
	case c.free <- r.frame:
	default:
	}
	<-c.tokens
}

// rawPartitionLeaders asks the cluster for topic's partitions (creating the topic when the
// cluster allows, as a producer's metadata request does) and returns the partitions each
// leader's address leads, once every partition has a leader.
func rawPartitionLeaders(ctx context.Context, cfg kafkaRawConfig, topic string) (map[string][]int32, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.seeds...), kgo.ClientID(cfg.clientID))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, rawMetadataTimeout)
	defer cancel()
	for {
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		req.AllowAutoTopicCreation = true
		resp, err := req.RequestWith(ctx, cl)
		if err == nil {
			var done bool
			var leaders map[string][]int32
			leaders, done, err = rawLeaders(resp, topic)
			if done {
				return leaders, err
			}
		}
		// A new topic's leaders take a moment; retry until the deadline.
		if sleepCtx(ctx, 100*time.Millisecond) != nil {
			return nil, fmt.Errorf("metadata of %s: %w", topic, err)
		}
	}
}

// rawLeaders reads a metadata reply: the partitions of topic by leader address, and
// whether that is final (every partition has a leader, or an error retrying cannot fix).
func rawLeaders(resp *kmsg.MetadataResponse, topic string) (map[string][]int32, bool, error) {
	addrs := map[int32]string{}
	for _, b := range resp.Brokers {
		addrs[b.NodeID] = net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
	}
	for _, t := range resp.Topics {
		if t.Topic == nil || *t.Topic != topic {
			continue
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			var ke *kerr.Error
			return nil, !errors.As(err, &ke) || !ke.Retriable && ke != kerr.UnknownTopicOrPartition, err
		}
		if len(t.Partitions) == 0 {
			return nil, false, kerr.LeaderNotAvailable
		}
		leaders := map[string][]int32{}
		for _, p := range t.Partitions {
			addr, ok := addrs[p.Leader]
			if p.ErrorCode != 0 || !ok {
				return nil, false, fmt.Errorf("partition %d has no leader yet", p.Partition)
			}
			leaders[addr] = append(leaders[addr], p.Partition)
		}
		for _, ps := range leaders {
			sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		}
		return leaders, true, nil
	}
	return nil, false, kerr.UnknownTopicOrPartition
}
