package kafkacli

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestProduceConsume: lines produced with keys and headers come back from
// the consumer formatted as Kafka's console consumer prints them, with
// --max-messages, --partition, --offset and --timeout-ms.
func TestProduceConsume(t *testing.T) {
	addr := startCluster(t, "")
	bs := []string{"--bootstrap-server", addr}
	if r := run(t, NewTopicsCommand, "", append(bs, "--create", "--topic", "rt", "--partitions", "3")...); r.code != 0 {
		t.Fatal(r)
	}
	produce := func(stdin string, args ...string) result {
		t.Helper()
		r := run(t, NewProduceCommand, stdin, append(append([]string{}, bs...), args...)...)
		if r.code != 0 || r.out != "" || r.err != "" {
			t.Fatalf("produce %v: %v", args, r)
		}
		return r
	}
	consume := func(args ...string) result {
		t.Helper()
		return run(t, NewConsumeCommand, "", append(append([]string{}, bs...), args...)...)
	}

	// Keys split off at ':' (the value keeps later colons), then a key-less
	// record, an empty line, and a last line without a newline.
	produce("k1:v1\nk2:v2\nk3:v3:x\nk1:v4\n", "--topic", "rt", "--property", "parse.key=true", "--property", "key.separator=:")
	produce("plain\n\nlast", "--topic", "rt", "--compression-codec", "lz4")
	const total = 7

	r := consume("--topic", "rt", "--from-beginning", "--max-messages", "7",
		"--property", "print.key=true", "--property", "key.separator=|",
		"--property", "print.partition=true", "--property", "print.offset=true")
	if r.code != 0 || r.err != "Processed a total of 7 messages\n" {
		t.Fatalf("consume: %v", r)
	}
	line := regexp.MustCompile(`^Partition:(\d)\|Offset:(\d+)\|([^|]*)\|([^|]*)$`)
	var records []string
	byPartition := map[string][]string{} // partition -> "offset key value"
	for _, l := range strings.Split(strings.TrimSuffix(r.out, "\n"), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q in %v", l, r)
		}
		records = append(records, m[3]+"="+m[4])
		byPartition[m[1]] = append(byPartition[m[1]], m[2]+" "+m[3]+"="+m[4])
	}
	slices.Sort(records)
	want := []string{"k1=v1", "k1=v4", "k2=v2", "k3=v3:x", "null=", "null=last", "null=plain"}
	if !slices.Equal(records, want) {
		t.Fatalf("records %q, want %q", records, want)
	}
	// Each partition's records in offset order from 0; k1's two records in
	// one partition, in the order produced.
	var p1 string
	for p, recs := range byPartition {
		for i, rec := range recs {
			if !strings.HasPrefix(rec, itoa(i)+" ") {
				t.Errorf("partition %s: record %d is %q", p, i, rec)
			}
			if strings.HasSuffix(rec, " k1=v1") {
				p1 = p
			}
		}
	}
	k1 := byPartition[p1]
	if i, j := slices.Index(k1, findSuffix(k1, " k1=v1")), slices.Index(k1, findSuffix(k1, " k1=v4")); i < 0 || j < i {
		t.Errorf("k1 records out of order in partition %s: %q", p1, k1)
	}

	t.Run("partition and offset", func(t *testing.T) {
		recs := byPartition[p1]
		r := consume("--topic", "rt", "--partition", p1, "--offset", "1", "--max-messages", itoa(len(recs)-1))
		var want strings.Builder
		for _, rec := range recs[1:] {
			_, kv, _ := strings.Cut(rec, " ")
			_, v, _ := strings.Cut(kv, "=")
			want.WriteString(v + "\n")
		}
		if r.code != 0 || r.out != want.String() || r.err != "Processed a total of "+itoa(len(recs)-1)+" messages\n" {
			t.Fatalf("got %v\nwant stdout %q", r, want.String())
		}
		r = consume("--topic", "rt", "--partition", p1, "--offset", "earliest", "--max-messages", "1")
		if _, kv, _ := strings.Cut(recs[0], " "); r.code != 0 || r.out != strings.SplitN(kv, "=", 2)[1]+"\n" {
			t.Fatalf("earliest: %v, want %q", r, recs[0])
		}
	})

	t.Run("timeout", func(t *testing.T) {
		// From the end nothing arrives: the consumer gives up after
		// --timeout-ms, as Kafka's does, with status 0.
		r := consume("--topic", "rt", "--timeout-ms", "300")
		if r.code != 0 || r.out != "" || !strings.Contains(r.err, "ERROR Error processing message, terminating consumer process: ") ||
			!strings.HasSuffix(r.err, "org.apache.kafka.common.errors.TimeoutException\nProcessed a total of 0 messages\n") {
			t.Fatalf("got %v", r)
		}
		r = consume("--topic", "rt", "--partition", "0", "--offset", "latest", "--timeout-ms", "200")
		if r.code != 0 || !strings.HasSuffix(r.err, "Processed a total of 0 messages\n") {
			t.Fatalf("latest: %v", r)
		}
		// The idle timeout must outlast the client's first fetch of every
		// partition (offset lookups, a retry backoff) on a loaded CI machine:
		// with 1 s a partition's records once came later than that.
		r = consume("--topic", "rt", "--from-beginning", "--timeout-ms", "5000")
		if r.code != 0 || strings.Count(r.out, "\n") != total || !strings.HasSuffix(r.err, "Processed a total of 7 messages\n") {
			t.Fatalf("all then timeout: %v", r)
		}
	})

	t.Run("headers and timestamps", func(t *testing.T) {
		if r := run(t, NewTopicsCommand, "", append(bs, "--create", "--topic", "hd", "--partitions", "1")...); r.code != 0 {
			t.Fatal(r)
		}
		produce("h1:a,h2:b\tkey\tvalue\nNULL\tk2\tNULL\n", "--topic", "hd", "--sync",
			"--property", "parse.headers=true", "--property", "parse.key=true", "--property", "null.marker=NULL",
			"--request-required-acks", "1", "--producer-property", "linger.ms=0")
		r := consume("--topic", "hd", "--from-beginning", "--max-messages", "2",
			"--property", "print.headers=true", "--property", "print.key=true", "--property", "print.timestamp=true",
			"--property", "null.literal=<nil>")
		want := regexp.MustCompile(`^CreateTime:\d{13}\th1:a,h2:b\tkey\tvalue\nCreateTime:\d{13}\tNO_HEADERS\tk2\t<nil>\n$`)
		if r.code != 0 || !want.MatchString(r.out) {
			t.Fatalf("got %v", r)
		}
	})

	t.Run("bad line", func(t *testing.T) {
		r := run(t, NewProduceCommand, "nokey\n", append(bs, "--topic", "rt", "--property", "parse.key=true")...)
		if r.code != 1 || r.err != "org.apache.kafka.common.KafkaException: No key separator found on line number 1: 'nokey'\n" {
			t.Fatalf("got %v", r)
		}
	})
}

// TestConsoleUsage: the argument errors of produce and consume.
func TestConsoleUsage(t *testing.T) {
	for _, tc := range []struct {
		produce bool
		args    []string
		want    string
	}{
		{true, []string{"--topic", "t"}, "Missing required option(s) [bootstrap-server]"},
		{true, []string{"--bootstrap-server", "h:1"}, `Missing required argument "[topic]"`},
		{true, []string{"--bootstrap-server", "nohost", "--topic", "t"}, "Please provide valid host:port like host1:9091,host2:9092"},
		{true, []string{"--bootstrap-server", "h:1", "--topic", "t", "--compression-codec", "brotli"},
			"org.apache.kafka.common.config.ConfigException: Invalid value brotli for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd"},
		{true, []string{"--bootstrap-server", "h:1", "--topic", "t", "--request-required-acks", "2"},
			"org.apache.kafka.common.config.ConfigException: Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1"},
		{true, []string{"--bootstrap-server", "h:1", "--topic", "t", "--property", "null.marker=\t"},
			"org.apache.kafka.common.KafkaException: null.marker and key.separator may not be equal"},
		{false, []string{"--bootstrap-server", "h:1"}, "Exactly one of --include/--topic is required. "},
		{false, []string{"--topic", "t"}, `Missing required argument "[bootstrap-server]"`},
		{false, []string{"--bootstrap-server", "h:1", "--topic", "t", "--offset", "3"}, "The partition is required when offset is specified."},
		{false, []string{"--bootstrap-server", "h:1", "--topic", "t", "--partition", "0", "--offset", "x"},
			"The provided offset value 'x' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."},
		{false, []string{"--bootstrap-server", "h:1", "--topic", "t", "--partition", "0", "--offset", "1", "--from-beginning"},
			"Options from-beginning and offset cannot be specified together."},
		{false, []string{"--bootstrap-server", "h:1", "--include", "t", "--partition", "0"}, "The topic is required when partition is specified."},
		{false, []string{"--bootstrap-server", "h:1", "--topic", "t", "--from-beginning", "--consumer-property", "auto.offset.reset=latest"},
			"Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest', please remove one option"},
		{false, []string{"--bootstrap-server", "h:1", "--topic", "t", "--formatter", "com.example.Nope"}, "com.example.Nope"},
	} {
		newCmd := NewConsumeCommand
		if tc.produce {
			newCmd = NewProduceCommand
		}
		r := run(t, newCmd, "", tc.args...)
		first, _, _ := strings.Cut(r.err, "\n")
		if r.code != 1 || first != tc.want {
			t.Errorf("%v: got %v\nwant first stderr line %q", tc.args, r, tc.want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func findSuffix(list []string, suffix string) string {
	for _, s := range list {
		if strings.HasSuffix(s, suffix) {
			return s
		}
	}
	return "\x00missing"
}
