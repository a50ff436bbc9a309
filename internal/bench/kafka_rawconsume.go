package bench

// The raw consumer behind `zkafka bench kafka consume --consumer raw`: the twin of the raw
// producer, so that what a broker serves can be measured rather than what franz-go can
// decode. One connection per partition leader sends Fetch requests (v11, no fetch
// session) for all the partitions it leads, one at a time as Kafka's consumer does, and
// walks the record batches of each reply in place: it checks each batch's CRC-32C (as
// the Java consumer's check.crcs does), and reads every record's offset, key and value
// lengths to count records at or after the fetch offset and their bytes (keys plus
// values, as kafka-consumer-perf-test counts). It reads uncompressed batches only.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Consumers RunConsume can use (ConsumeOptions.Consumer).
const (
	// ConsumerKgo is franz-go's consumer.
	ConsumerKgo = "kgo"
	// ConsumerRaw sends Fetch requests itself and walks the batches in place.
	ConsumerRaw = "raw"
)

// rawFetchVersion is the Fetch version the raw consumer speaks: record batches, not
// flexible, topics by name.
const rawFetchVersion = 11

// Defaults of the raw consumer's fetches when the properties do not set them (the Java
// consumer's).
const (
	rawFetchMaxBytes = 50 << 20
	rawFetchMaxWait  = 500 * time.Millisecond
)

// errCompressed reports a compressed batch, which the raw consumer does not read.
var errCompressed = errors.New("compressed batch: the raw consumer reads uncompressed batches only")

// rawFetchConfig is the raw consumer's fetch settings.
type rawFetchConfig struct {
	clientID                  string
	minBytes, maxBytes, parts int32
	maxWait                   time.Duration
	ignored                   []string
}

// rawConsumerConfig reads the consumer properties (parseConsumerProps) for
// the raw consumer, which fetches read_uncommitted: isolation.level is
// reported as ignored.
func rawConsumerConfig(props map[string]string, fetchSize int32) (rawFetchConfig, error) {
	p, err := parseConsumerProps(props, fetchSize)
	if err != nil {
		return rawFetchConfig{}, err
	}
	c := rawFetchConfig{clientID: p.clientID, minBytes: 1, maxBytes: rawFetchMaxBytes, parts: p.partBytes,
		maxWait: rawFetchMaxWait, ignored: p.ignored}
	if p.minBytes > 0 {
		c.minBytes = p.minBytes
	}
	if p.maxBytes > 0 {
		c.maxBytes = p.maxBytes
	}
	if p.maxWaitMs >= 0 {
		c.maxWait = time.Duration(min(p.maxWaitMs, 1<<31-1)) * time.Millisecond
	}
	if p.isolation != "" {
		c.ignored = append(c.ignored, "isolation.level")
		slices.Sort(c.ignored)
	}
	return c, nil
}

// rawConsumer is one raw consumer run: connections add to one tally.
type rawConsumer struct {
	cfg   rawFetchConfig
	topic string

	mu       sync.Mutex
	records  int64
	bytes    int64
	errs     int64
	firstErr error
	progress chan struct{} // signalled (without blocking) when records arrive
}

// runRawConsume is RunConsume with the raw consumer; o is validated.
func runRawConsume(ctx context.Context, o ConsumeOptions) (*ConsumeResult, error) {
	cfg, err := rawConsumerConfig(o.Props, o.FetchSize)
	if err != nil {
		return nil, err
	}
	clientConfig{ignored: cfg.ignored}.warn(o.Logger)
	res := &ConsumeResult{Start: time.Now()}
	starts, err := rawStartOffsets(ctx, splitHosts(o.BootstrapServers), cfg.clientID, o.Topic, o.FromLatest)
	if err != nil {
		return nil, fmt.Errorf("kafka consume: %w", err)
	}
	c := &rawConsumer{cfg: cfg, topic: o.Topic, progress: make(chan struct{}, 1)}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for addr, offsets := range starts {
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			stop()
			wg.Wait()
			return nil, fmt.Errorf("kafka consume: dial %s: %w", addr, err)
		}
		wg.Go(func() {
			if err := c.fetchLoop(runCtx, nc, offsets); err != nil && runCtx.Err() == nil {
				c.fail(err)
			}
		})
	}

	lastReport := time.Now()
	var lastRecords, lastBytes int64
	var progressErr error
	idle := time.NewTimer(o.Timeout)
	defer idle.Stop()
	var tick <-chan time.Time
	if o.Progress != nil {
		t := time.NewTicker(o.Interval)
		defer t.Stop()
		tick = t.C
	}
loop:
	for {
		records, bytes, errs := c.counts()
		if records >= o.Messages || errs > 0 {
			break
		}
		select {
		case <-ctx.Done():
			break loop
		case <-c.progress:
			idle.Reset(o.Timeout)
		case <-idle.C:
			res.TimedOut = true
			break loop
		case now := <-tick:
			if records > lastRecords && progressErr == nil {
				row := detailedRow(now, records, bytes, lastRecords, lastBytes, now.Sub(lastReport))
				if _, err := fmt.Fprintln(o.Progress, row); err != nil {
					progressErr = fmt.Errorf("write progress: %w", err)
				}
				lastReport, lastRecords, lastBytes = now, records, bytes
			}
		}
	}
	res.End = time.Now()
	stop()
	wg.Wait()
	c.mu.Lock()
	res.Records, res.Bytes, res.Errors, res.FirstError = c.records, c.bytes, c.errs, c.firstErr
	c.mu.Unlock()
	res.FetchTime = res.End.Sub(res.Start) - res.RebalanceTime
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("kafka consume interrupted: %w", ctx.Err())
	case res.Errors > 0:
		return res, fmt.Errorf("%w: %d errors: first: %w", ErrFetchFailed, res.Errors, res.FirstError)
	}
	return res, progressErr
}

// counts returns the tally so far.
func (c *rawConsumer) counts() (records, bytes, errs int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.records, c.bytes, c.errs
}

// fail counts one fetch error.
func (c *rawConsumer) fail(err error) {
	c.mu.Lock()
	c.errs++
	if c.firstErr == nil {
		c.firstErr = err
	}
	c.mu.Unlock()
	select {
	case c.progress <- struct{}{}:
	default:
	}
}

// fetchLoop fetches the partitions of offsets (partition: next offset) over nc until
// ctx ends or a fetch fails.
func (c *rawConsumer) fetchLoop(ctx context.Context, nc net.Conn, offsets map[int32]int64) error {
	stopClose := context.AfterFunc(ctx, func() { nc.Close() })
	defer stopClose()
	defer nc.Close()
	parts := make([]int32, 0, len(offsets))
	for p := range offsets {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	fm := kmsg.NewRequestFormatter(kmsg.FormatterClientID(c.cfg.clientID))
	var out, in []byte
	for corr := int32(1); ; corr++ {
		req := kmsg.NewPtrFetchRequest()
		req.Version = rawFetchVersion
		req.ReplicaID = -1
		req.MaxWaitMillis = int32(c.cfg.maxWait / time.Millisecond)
		req.MinBytes, req.MaxBytes = c.cfg.minBytes, c.cfg.maxBytes
		req.SessionEpoch = -1
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = c.topic
		for _, p := range parts {
			rp := kmsg.NewFetchRequestTopicPartition()
			rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = p, offsets[p], c.cfg.parts
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
		out = fm.AppendRequest(out[:0], req, corr)
		if _, err := nc.Write(out); err != nil {
			return fmt.Errorf("write fetch: %w", err)
		}
		// The broker answers after at most max wait; allow it a generous margin.
		if err := nc.SetReadDeadline(time.Now().Add(c.cfg.maxWait + rawRequestTimeout)); err != nil {
			return fmt.Errorf("read fetch reply: %w", err)
		}
		var err error
		if in, err = readRawFrame(nc, in); err != nil {
			return fmt.Errorf("read fetch reply: %w", err)
		}
		if got := int32(binary.BigEndian.Uint32(in)); got != corr {
			return fmt.Errorf("fetch reply with correlation id %d to request %d", got, corr)
		}
		resp := kmsg.NewPtrFetchResponse()
		resp.Version = rawFetchVersion
		if err := resp.ReadFrom(in[4:]); err != nil {
			return fmt.Errorf("decode fetch reply: %w", err)
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return fmt.Errorf("fetch: %w", err)
		}
		var records, bytes int64
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				next, ok := offsets[p.Partition]
				if t.Topic != c.topic || !ok {
					continue
				}
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					return fmt.Errorf("fetch %s[%d] at %d: %w", c.topic, p.Partition, next, err)
				}
				n, b, last, err := walkBatches(p.RecordBatches, next)
				if err != nil {
					return fmt.Errorf("fetch %s[%d] at %d: %w", c.topic, p.Partition, next, err)
				}
				records, bytes = records+n, bytes+b
				offsets[p.Partition] = max(next, last+1)
			}
		}
		if records > 0 {
			c.mu.Lock()
			c.records += records
			c.bytes += bytes
			c.mu.Unlock()
			select {
			case c.progress <- struct{}{}:
			default:
			}
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// readRawFrame reads one size-prefixed frame from r into buf (grown as needed) and
// returns its payload.
func readRawFrame(r io.Reader, buf []byte) ([]byte, error) {
	var sz [4]byte
	if _, err := io.ReadFull(r, sz[:]); err != nil {
		return buf, err
	}
	n := int(binary.BigEndian.Uint32(sz[:]))
	if n < 4 || n > 1<<30 {
		return buf, fmt.Errorf("frame of %d bytes", n)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

// walkBatches reads the whole batches in b (a trailing partial one is ignored, as
// consumers do): it checks each batch's CRC and counts the records at or after from
// and their key and value bytes, and returns the offset of the last record seen (from-1
// when none).
func walkBatches(b []byte, from int64) (records, bytes, last int64, err error) {
	last = from - 1
	for len(b) >= rbHeaderSize {
		size := int(int32(binary.BigEndian.Uint32(b[rbLength:]))) + rbLogOverhead
		if size < rbHeaderSize {
			return records, bytes, last, fmt.Errorf("batch of %d bytes", size)
		}
		if size > len(b) {
			break // partial: the next fetch gets it
		}
		batch := b[:size]
		b = b[size:]
		if crc := crc32.Checksum(batch[rbAttributes:], castagnoli); crc != binary.BigEndian.Uint32(batch[rbCRC:]) {
			return records, bytes, last, fmt.Errorf("batch crc %08x, computed %08x", binary.BigEndian.Uint32(batch[rbCRC:]), crc)
		}
		base := int64(binary.BigEndian.Uint64(batch))
		lastInBatch := base + int64(int32(binary.BigEndian.Uint32(batch[rbLastOffsetDelta:])))
		if lastInBatch < from {
			continue
		}
		attrs := binary.BigEndian.Uint16(batch[rbAttributes:])
		if attrs&0x20 != 0 { // a control batch: no user records
			last = max(last, lastInBatch)
			continue
		}
		if attrs&0x07 != 0 {
			return records, bytes, last, errCompressed
		}
		n := int(int32(binary.BigEndian.Uint32(batch[rbRecordCount:])))
		recs := batch[rbHeaderSize:]
		for range n {
			offset, kv, rest, err := walkRecord(recs, base)
			if err != nil {
				return records, bytes, last, err
			}
			recs = rest
			if offset >= from {
				records++
				bytes += kv
			}
		}
		last = max(last, lastInBatch)
	}
	return records, bytes, last, nil
}

// walkRecord reads the record at the start of b in a batch based at base and returns its
// offset, its key and value bytes, and what follows it.
func walkRecord(b []byte, base int64) (offset, kv int64, rest []byte, err error) {
	length, n := binary.Varint(b)
	if n <= 0 || length < 0 || int64(len(b)-n) < length {
		return 0, 0, nil, errors.New("malformed record length")
	}
	body, rest := b[n:n+int(length)], b[n+int(length):]
	if len(body) < 1 {
		return 0, 0, nil, errors.New("empty record")
	}
	body = body[1:]      // attributes
	fields := [4]int64{} // timestamp delta, offset delta, key length, value length
	for i := range fields {
		v, m := binary.Varint(body)
		if m <= 0 {
			return 0, 0, nil, errors.New("malformed record")
		}
		fields[i], body = v, body[m:]
		if i == 2 && v > 0 { // skip the key
			if v > int64(len(body)) {
				return 0, 0, nil, errors.New("record key runs past the record")
			}
			body = body[v:]
		}
	}
	return base + fields[1], max(fields[2], 0) + max(fields[3], 0), rest, nil
}

// rawStartOffsets returns, by leader address, the partitions of topic and the offset
// each starts at: its start, or its end with latest.
func rawStartOffsets(ctx context.Context, seeds []string, clientID, topic string, latest bool) (map[string]map[int32]int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ClientID(clientID))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	list := adm.ListStartOffsets
	if latest {
		list = adm.ListEndOffsets
	}
	listed, err := list(ctx, topic)
	if err == nil {
		err = listed.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("offsets of %s: %w", topic, err)
	}
	if len(listed[topic]) == 0 {
		return nil, fmt.Errorf("offsets of %s: %w", topic, kerr.UnknownTopicOrPartition)
	}
	meta, err := adm.Metadata(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	addrs := map[int32]string{}
	for _, b := range meta.Brokers {
		addrs[b.NodeID] = net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
	}
	out := map[string]map[int32]int64{}
	for p, lo := range listed[topic] {
		addr, ok := addrs[meta.Topics[topic].Partitions[p].Leader]
		if !ok {
			return nil, fmt.Errorf("partition %d of %s has no leader", p, topic)
		}
		if out[addr] == nil {
			out[addr] = map[int32]int64{}
		}
		out[addr][p] = lo.Offset
	}
	return out, nil
}
