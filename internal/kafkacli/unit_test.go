package kafkacli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func strp(s string) *string { return &s }

// TestWriteTopicDescription: the describe layout and its report filters,
// on hand-built metadata.
func TestWriteTopicDescription(t *testing.T) {
	id := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	td := topicDesc{name: "t", id: id, partitions: []partitionDesc{
		{id: 0, leader: 1, replicas: []int32{1, 2}, isr: []int32{1, 2}},
		{id: 1, leader: 2, replicas: []int32{2, 3}, isr: []int32{2}},
		{id: 2, leader: -1, replicas: []int32{3, 1}, isr: []int32{}},
	}}
	cfg := []configEntry{
		{name: "retention.ms", value: strp("1000")},
		{name: "cleanup.policy", value: strp("delete"), isDefault: true},
		{name: "min.insync.replicas", value: strp("2")},
		{name: "segment.bytes", value: strp("1073741824")},
		{name: "secret", value: nil},
	}
	live := map[int32]bool{1: true, 2: true, 3: true}
	const head = "Topic: t\tTopicId: AQIDBAUGBwgJCgsMDQ4PEA\tPartitionCount: 3\tReplicationFactor: 2\t" +
		"Configs: min.insync.replicas=2,retention.ms=1000,segment.bytes=1073741824,secret=null\n" // JDK 17 HashMap order
	p0 := "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\tElr: N/A\tLastKnownElr: N/A\n"
	p1 := "\tTopic: t\tPartition: 1\tLeader: 2\tReplicas: 2,3\tIsr: 2\tElr: N/A\tLastKnownElr: N/A\n"
	p2 := "\tTopic: t\tPartition: 2\tLeader: none\tReplicas: 3,1\tIsr: \tElr: N/A\tLastKnownElr: N/A\n"
	for _, tc := range []struct {
		name string
		o    describeOptions
		want string
	}{
		{"all", describeOptions{}, head + p0 + p1 + p2},
		{"overrides", describeOptions{withOverrides: true}, head},
		{"under-replicated", describeOptions{underReplicated: true}, p1 + p2},
		{"unavailable", describeOptions{unavailable: true}, p2},
		{"under-min-isr", describeOptions{underMinIsr: true}, p1 + p2},
		{"at-min-isr", describeOptions{atMinIsr: true}, p0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.live = live
			var b bytes.Buffer
			writeTopicDescription(&b, td, cfg, tc.o)
			if b.String() != tc.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tc.want)
			}
		})
	}

	// No overrides: --topics-with-overrides prints nothing; a zero id is
	// left out; a reassignment shows and counts its target replicas.
	var b bytes.Buffer
	plain := topicDesc{name: "p", partitions: []partitionDesc{{id: 0, leader: 1, replicas: []int32{1, 2, 3}, isr: []int32{1, 2, 3},
		reassignment: &reassignment{replicas: []int32{1, 2, 3}, adding: []int32{3}, removing: []int32{}}}}}
	writeTopicDescription(&b, plain, []configEntry{{name: "a", value: strp("1"), isDefault: true}}, describeOptions{withOverrides: true})
	if b.Len() != 0 {
		t.Errorf("overrides of a plain topic: %q", b.String())
	}
	writeTopicDescription(&b, plain, nil, describeOptions{})
	want := "Topic: p\tPartitionCount: 1\tReplicationFactor: 2\tConfigs: \n" +
		"\tTopic: p\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3\tAdding Replicas: 3\tRemoving Replicas: \tElr: N/A\tLastKnownElr: N/A\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

func TestParseTopicConfigs(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string // "k=v,..." or the error
	}{
		{[]string{"retention.ms=1", " cleanup.policy = compact,delete "}, "retention.ms=1,cleanup.policy=compact,delete"},
		{[]string{"retention.ms=1", "retention.ms=2"}, "retention.ms=2"},
		{[]string{"retention.ms="}, `requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".`},
		{[]string{"a=b=c"}, `requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".`},
		{[]string{"nope=1"}, "Unknown topic config name: nope"},
		{[]string{"segment.ms=0"}, "Invalid value 0 for configuration segment.ms: Value must be at least 1"},
		{[]string{"segment.bytes=2147483648"}, "Invalid value 2147483648 for configuration segment.bytes: Not a number of type INT"},
		{[]string{"preallocate=yes"}, "Invalid value yes for configuration preallocate: Expected value to be either true or false"},
		{[]string{"min.cleanable.dirty.ratio=2"}, "Invalid value 2.0 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"},
		{[]string{"compression.type=brotli"}, "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"},
		{[]string{"cleanup.policy=compact,nope"}, "Invalid value nope for configuration cleanup.policy: String must be one of: compact, delete"},
		{[]string{"message.timestamp.type=LogAppendTime"}, "message.timestamp.type=LogAppendTime"},
	} {
		cfgs, _, err := parseTopicConfigs(tc.in)
		var got string
		if err != nil {
			got = err.Error()
		} else {
			var parts []string
			for _, c := range cfgs {
				parts = append(parts, c.name+"="+c.value)
			}
			got = strings.Join(parts, ",")
		}
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	_, warnings, err := parseTopicConfigs([]string{"message.format.version=2.8"})
	if err != nil || len(warnings) != 1 || !strings.HasPrefix(warnings[0], "WARNING: The configuration ${TopicConfig.MESSAGE_FORMAT_VERSION_CONFIG}=") {
		t.Errorf("message.format.version: %q %v", warnings, err)
	}
}

func TestParseReplicaAssignment(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1:2,2:3, 3 : 1", "[[1 2] [2 3] [3 1]]"},
		{"1,2,3", "[[1] [2] [3]]"},
		{"1:1", "Partition replica lists may not contain duplicate entries: 1"},
		{"1:2,3", "Partition 1 has different replication factor: [3]"},
		{"1:x", `For input string: "x"`},
		{"1,,2", `For input string: ""`},
	} {
		a, err := parseReplicaAssignment(tc.in)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = fmtSlice(a)
		}
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func fmtSlice(a [][]int32) string {
	var b strings.Builder
	b.WriteString("[")
	for i, p := range a {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString("[")
		for j, r := range p {
			if j > 0 {
				b.WriteString(" ")
			}
			b.WriteString(itoa(int(r)))
		}
		b.WriteString("]")
	}
	b.WriteString("]")
	return b.String()
}

func TestIncludeList(t *testing.T) {
	for _, tc := range []struct {
		re, topic string
		match     bool
	}{
		{"orders", "orders", true},
		{"orders", "orders2", false}, // whole names only
		{"ord.*", "orders", true},
		{` "a, b" `, "b", true},
		{"a,b", "c", false},
		{`'t\.x'`, "t.x", true},
		{`'t\.x'`, "tax", false},
	} {
		re, err := includeList(tc.re)
		if err != nil {
			t.Fatal(err)
		}
		if got := re.MatchString(tc.topic); got != tc.match {
			t.Errorf("%q ~ %q = %v", tc.re, tc.topic, got)
		}
	}
	if _, err := includeList("a("); err == nil || err.Error() != "a( is an invalid regex." {
		t.Errorf("bad regex: %v", err)
	}
}

// TestUnsupportedAPI: an api missing from the broker's ApiVersions fails
// with Kafka's words, before anything is sent.
func TestUnsupportedAPI(t *testing.T) {
	a := &adminClient{versions: map[int16]bool{3: true}}
	_, err := a.request(context.Background(), kmsg.NewPtrDeleteTopicsRequest())
	if err == nil || err.Error() != "The node does not support DELETE_TOPICS" || !errors.Is(err, ErrUnsupportedAPI) {
		t.Fatalf("got %v", err)
	}
	if javaClassOf(err) != "org.apache.kafka.common.errors.UnsupportedVersionException" {
		t.Errorf("class %s", javaClassOf(err))
	}
	for key, want := range map[int16]string{32: "DESCRIBE_CONFIGS", 37: "CREATE_PARTITIONS", 46: "LIST_PARTITION_REASSIGNMENTS", 18: "API_VERSIONS"} {
		if got := apiKeyName(key); got != want {
			t.Errorf("apiKeyName(%d) = %s, want %s", key, got, want)
		}
	}
}

func TestErrorFor(t *testing.T) {
	if err := errorFor(36, nil); err.Error() != "Topic with this name already exists." || !errors.Is(err, kerr.TopicAlreadyExists) {
		t.Errorf("default message: %v", err)
	}
	if err := errorFor(36, strp("Topic 't' already exists.")); err.Error() != "Topic 't' already exists." {
		t.Errorf("broker message: %v", err)
	}
	if errorFor(0, strp("x")) != nil {
		t.Error("code 0 is no error")
	}
}

func TestLineReader(t *testing.T) {
	type rec struct{ headers, key, value string }
	show := func(r lineRecord) rec {
		s := func(b []byte) string {
			if b == nil {
				return "<null>"
			}
			return string(b)
		}
		var hs []string
		for _, h := range r.headers {
			hs = append(hs, h.key+"="+s(h.value))
		}
		return rec{strings.Join(hs, ";"), s(r.key), s(r.value)}
	}
	for _, tc := range []struct {
		name  string
		props []string
		in    string
		want  []rec
		err   string
	}{
		{"values", nil, "a\n\nb\r\nc\rd", []rec{{"", "<null>", "a"}, {"", "<null>", ""}, {"", "<null>", "b"}, {"", "<null>", "c"}, {"", "<null>", "d"}}, ""},
		{"keys", []string{"parse.key=true"}, "k\tv\tw\n\tx\n", []rec{{"", "k", "v\tw"}, {"", "", "x"}}, ""},
		{"key separator", []string{"parse.key=true", "key.separator=::"}, "k::v::w\n", []rec{{"", "k", "v::w"}}, ""},
		{"no key", []string{"parse.key=true"}, "a\tb\nnokey\n", []rec{{"", "a", "b"}}, "No key separator found on line number 2: 'nokey'"},
		{"ignore error", []string{"parse.key=true", "ignore.error=true"}, "nokey\n", []rec{{"", "<null>", "nokey"}}, ""},
		{"headers", []string{"parse.headers=true", "parse.key=true"}, "h1:v1,h2:\tk\tv\n", []rec{{"h1=v1;h2=", "k", "v"}}, ""},
		{"header without separator", []string{"parse.headers=true"}, "h1\tv\n", nil, "No header key separator found in pair 'h1' on line number 1"},
		{"null marker", []string{"parse.headers=true", "parse.key=true", "null.marker=N"}, "h:N\tN\tN\nN\tk\tv\n",
			[]rec{{"h=<null>", "<null>", "<null>"}, {"", "k", "v"}}, ""},
		{"null header key", []string{"parse.headers=true", "null.marker=N"}, "N:v\tx\n", nil, "Header keys should not be equal to the null marker 'N' as they can't be null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := newLineReader(parseKeyValueArgs(tc.props), strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []rec
			for {
				lr, ok, err := r.next()
				if err != nil {
					if err.Error() != tc.err {
						t.Fatalf("error %q, want %q", err, tc.err)
					}
					break
				}
				if !ok {
					if tc.err != "" {
						t.Fatalf("no error, want %q", tc.err)
					}
					break
				}
				got = append(got, show(lr))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("record %d = %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
	for props, want := range map[string]string{
		"headers.separator=\t":    "headers.delimiter and headers.separator may not be equal",
		"headers.key.separator=,": "headers.separator and headers.key.separator may not be equal",
		"null.marker=:":           "null.marker and headers.key.separator may not be equal",
	} {
		if _, err := newLineReader(parseKeyValueArgs([]string{props}), strings.NewReader("")); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", props, err, want)
		}
	}
}

// FuzzLineReader: any input parses without panicking, and with no key or
// headers asked for, every line comes back as it was.
func FuzzLineReader(f *testing.F) {
	f.Add("a\tb\nc\r\nd", true, true)
	f.Add("h:1,h2:2\tk\tv", true, true)
	f.Add("\r\r\n\n", false, false)
	f.Fuzz(func(t *testing.T, in string, key, headers bool) {
		p := newProps()
		p.Set("parse.key", map[bool]string{true: "true", false: "false"}[key])
		p.Set("parse.headers", map[bool]string{true: "true", false: "false"}[headers])
		p.Set("ignore.error", "true")
		r, err := newLineReader(p, strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		var values []string
		for {
			rec, ok, err := r.next()
			if err != nil {
				if key || headers {
					return
				}
				t.Fatal(err)
			}
			if !ok {
				break
			}
			values = append(values, string(rec.value))
		}
		if !key && !headers {
			want := strings.FieldsFunc(strings.ReplaceAll(in, "\r\n", "\n"), func(r rune) bool { return r == '\n' || r == '\r' })
			got := values[:0:0]
			for _, v := range values {
				if v != "" {
					got = append(got, v)
				}
			}
			if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
				t.Fatalf("lines %q, want %q", got, want)
			}
		}
	})
}

func TestMessageFormatter(t *testing.T) {
	r := formattedRecord{topic: "t", partition: 2, offset: 7, timestampType: 0, timestamp: 1700000000000,
		key: []byte("k"), value: []byte("v"), headers: []header{{"h1", []byte("a")}, {"h2", nil}}}
	for _, tc := range []struct {
		props []string
		rec   formattedRecord
		want  string
	}{
		{nil, r, "v\n"},
		{[]string{"print.key=true"}, r, "k\tv\n"},
		{[]string{"print.key=true", "key.separator=:"}, formattedRecord{value: []byte("v")}, "null:v\n"},
		{[]string{"print.timestamp=true", "print.partition=true", "print.offset=true", "print.headers=true", "print.key=true", "key.separator=|"}, r,
			"CreateTime:1700000000000|Partition:2|Offset:7|h1:a,h2:null|k|v\n"},
		{[]string{"print.timestamp=true", "print.value=false"}, formattedRecord{timestampType: 1, timestamp: 5}, "LogAppendTime:5\n"},
		{[]string{"print.timestamp=true"}, formattedRecord{timestampType: -1, value: []byte("x")}, "NO_TIMESTAMP\tx\n"},
		{[]string{"print.headers=true", "print.value=false"}, formattedRecord{}, "NO_HEADERS\n"},
		{[]string{"print.key=true", "print.value=false", "null.literal=-"}, formattedRecord{}, "-\n"},
		{[]string{"print.value=false"}, r, ""},
		{[]string{"line.separator=;", "print.key= TRUE "}, r, "k\tv;"},
		{[]string{"value.deserializer=org.apache.kafka.common.serialization.LongDeserializer"},
			formattedRecord{value: []byte{0, 0, 0, 0, 0, 0, 1, 0}}, "256\n"},
		{[]string{"value.deserializer=org.apache.kafka.common.serialization.IntegerDeserializer"},
			formattedRecord{value: []byte{0xff, 0xff, 0xff, 0xfe}}, "-2\n"},
		{[]string{"value.deserializer=org.apache.kafka.common.serialization.DoubleDeserializer"},
			formattedRecord{value: []byte{0x3f, 0xf8, 0, 0, 0, 0, 0, 0}}, "1.5\n"},
		{[]string{"value.deserializer=org.apache.kafka.common.serialization.BytesDeserializer"},
			formattedRecord{value: []byte("a\\\x00\xff")}, `a\x5C\x00\xFF` + "\n"},
	} {
		f := newMessageFormatter(parseKeyValueArgs(tc.props), func(string) {})
		got, err := f.format(nil, tc.rec)
		if err != nil || string(got) != tc.want {
			t.Errorf("%v: got %q (%v), want %q", tc.props, got, err, tc.want)
		}
	}
	f := newMessageFormatter(parseKeyValueArgs([]string{"value.deserializer=org.apache.kafka.common.serialization.LongDeserializer"}), func(string) {})
	if _, err := f.format(nil, formattedRecord{value: []byte("x")}); err == nil || err.Error() != "Size of data received by LongDeserializer is not 8" {
		t.Errorf("short long: %v", err)
	}
	var warned string
	newMessageFormatter(parseKeyValueArgs([]string{"key.deserializer=com.example.Nope"}), func(s string) { warned = s })
	if warned != "Unable to instantiate a deserializer from com.example.Nope" {
		t.Errorf("warning %q", warned)
	}
}

func TestJavaFloatString(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 1.5: "1.5", 1e7: "1.0E7", 1.25e-4: "1.25E-4", 0.001: "0.001", 123456.5: "123456.5", -2e10: "-2.0E10"} {
		if got := javaFloatString(f, 64); got != want {
			t.Errorf("%v: %s, want %s", f, got, want)
		}
	}
}

func TestParseUUID(t *testing.T) {
	id, err := parseUUID("AQIDBAUGBwgJCgsMDQ4PEA")
	if err != nil || uuidString(id) != "AQIDBAUGBwgJCgsMDQ4PEA" {
		t.Fatalf("%v %v", id, err)
	}
	if _, err := parseUUID("AQID"); err == nil || err.Error() != "Input string `AQID` decoded as 3 bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID" {
		t.Errorf("short: %v", err)
	}
	if _, err := parseUUID(strings.Repeat("A", 30)); err == nil || !strings.HasSuffix(err.Error(), "is too long to be decoded as a base64 UUID") {
		t.Errorf("long: %v", err)
	}
}
