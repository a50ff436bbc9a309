package kafkacli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestTopicsCreateList: create, the errors Kafka prints for a topic that
// exists and for bad arguments, and list with its filters, against a real
// zkafka broker.
func TestTopicsCreateList(t *testing.T) {
	addr := startCluster(t, "auto.create.topics.enable=false\n")
	topics := func(args ...string) result {
		return run(t, NewTopicsCommand, "", append([]string{"--bootstrap-server", addr}, args...)...)
	}
	for _, tc := range []struct {
		name string
		args []string
		want result
	}{
		{"create", []string{"--create", "--topic", "orders", "--partitions", "3", "--replication-factor", "1"},
			result{out: "Created topic orders.\n"}},
		{"exists", []string{"--create", "--topic", "orders", "--partitions", "3"},
			result{out: "Error while executing topic command : Topic 'orders' already exists.\n", code: 1}},
		{"if-not-exists", []string{"--create", "--topic", "orders", "--if-not-exists"}, result{}},
		{"collision chars", []string{"--create", "--topic", "a.b_c", "--config", "retention.ms=60000", "--config", "cleanup.policy = delete"},
			result{out: "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. " +
				"To avoid issues it is best to use either, but not both.\nCreated topic a.b_c.\n"}},
		{"default partitions", []string{"--create", "--topic", "plain"}, result{out: "Created topic plain.\n"}},
		{"bad rf", []string{"--create", "--topic", "x", "--replication-factor", "0"},
			result{out: "Error while executing topic command : The replication factor must be between 1 and 32767 inclusive\n", code: 1}},
		{"bad partitions", []string{"--create", "--topic", "x", "--partitions", "0"},
			result{out: "Error while executing topic command : The partitions must be greater than 0\n", code: 1}},
		{"unknown config", []string{"--create", "--topic", "x", "--config", "nope=1"},
			result{out: "Error while executing topic command : Unknown topic config name: nope\n", code: 1}},
		{"bad config value", []string{"--create", "--topic", "x", "--config", "retention.ms=abc"},
			result{out: "Error while executing topic command : Invalid value abc for configuration retention.ms: Not a number of type LONG\n", code: 1}},
		{"config format", []string{"--create", "--topic", "x", "--config", "retention.ms"},
			result{out: "Error while executing topic command : requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".\n", code: 1}},
		{"bad assignment", []string{"--create", "--topic", "x", "--replica-assignment", "1:1"},
			result{out: "Error while executing topic command : Partition replica lists may not contain duplicate entries: 1\n", code: 1}},
		{"invalid name", []string{"--create", "--topic", "bad/name"}, result{code: 1}},
		{"list", []string{"--list"}, result{out: "a.b_c\norders\nplain\n"}},
		{"list regex", []string{"--list", "--topic", "ord.*,plain"}, result{out: "orders\nplain\n"}},
		{"list none", []string{"--list", "--topic", "zzz"}, result{out: "\n"}},
		{"list exclude internal", []string{"--list", "--exclude-internal"}, result{out: "a.b_c\norders\nplain\n"}},
		{"describe missing", []string{"--describe", "--topic", "nope"},
			result{out: "Error while executing topic command : Topic 'Optional[nope]' does not exist as expected\n", code: 1}},
		{"describe missing if-exists", []string{"--describe", "--topic", "nope", "--if-exists"}, result{}},
		{"delete missing", []string{"--delete", "--topic", "nope"},
			result{out: "Error while executing topic command : Topic 'Optional[nope]' does not exist as expected\n", code: 1}},
		{"delete missing if-exists", []string{"--delete", "--topic", "nope", "--if-exists"}, result{}},
		{"alter missing if-exists", []string{"--alter", "--topic", "nope", "--partitions", "4", "--if-exists"}, result{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := topics(tc.args...)
			if tc.name == "invalid name" {
				if got.code != 1 || !strings.HasPrefix(got.out, "Error while executing topic command : ") {
					t.Fatalf("got %v", got)
				}
				return
			}
			if got.out != tc.want.out || got.code != tc.want.code {
				t.Fatalf("got %v\nwant stdout %q, exit %d", got, tc.want.out, tc.want.code)
			}
			if got.code == 1 && !strings.Contains(got.err, "ERROR ") {
				t.Errorf("no log line on stderr: %q", got.err)
			}
		})
	}
}

// TestTopicsDescribe: the describe layout, once the broker serves
// DescribeConfigs.
func TestTopicsDescribe(t *testing.T) {
	addr := startCluster(t, "")
	topics := func(args ...string) result {
		return run(t, NewTopicsCommand, "", append([]string{"--bootstrap-server", addr}, args...)...)
	}
	if r := topics("--create", "--topic", "orders", "--partitions", "3", "--replication-factor", "1", "--config", "retention.ms=60000"); r.code != 0 {
		t.Fatal(r)
	}
	if r := topics("--create", "--topic", "plain", "--partitions", "1"); r.code != 0 {
		t.Fatal(r)
	}
	r := topics("--describe", "--topic", "orders")
	if !brokerServes(t, addr, kmsg.DescribeConfigs) {
		skipUnserved(t, r, "DESCRIBE_CONFIGS")
	}
	head := regexp.MustCompile(`^Topic: orders\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: (.*)\n$`)
	lines := strings.SplitAfter(r.out, "\n")
	if r.code != 0 || len(lines) != 5 || !head.MatchString(lines[0]) {
		t.Fatalf("got %v", r)
	}
	if cfg := head.FindStringSubmatch(lines[0])[1]; !strings.Contains(cfg, "retention.ms=60000") {
		t.Errorf("configs %q lack the override", cfg)
	}
	for p := 0; p < 3; p++ {
		want := "\tTopic: orders\tPartition: " + string(rune('0'+p)) + "\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A\n"
		if lines[p+1] != want {
			t.Errorf("line %d = %q, want %q", p+1, lines[p+1], want)
		}
	}
	// Only topics with overrides, and no partition lines.
	r = topics("--describe", "--topics-with-overrides")
	if r.code != 0 || !strings.HasPrefix(r.out, "Topic: orders\t") || strings.Count(r.out, "\n") != 1 {
		t.Errorf("--topics-with-overrides: %v", r)
	}
	// Nothing is under-replicated or unavailable on one healthy broker.
	for _, f := range []string{"--under-replicated-partitions", "--unavailable-partitions"} {
		if r := topics("--describe", f); r.code != 0 || r.out != "" {
			t.Errorf("%s: %v", f, r)
		}
	}
}

// TestTopicsDeleteAlter: delete and alter, once the broker serves
// DeleteTopics and CreatePartitions.
func TestTopicsDeleteAlter(t *testing.T) {
	addr := startCluster(t, "auto.create.topics.enable=false\n")
	topics := func(args ...string) result {
		return run(t, NewTopicsCommand, "", append([]string{"--bootstrap-server", addr}, args...)...)
	}
	for _, n := range []string{"keep", "drop"} {
		if r := topics("--create", "--topic", n, "--partitions", "2"); r.code != 0 {
			t.Fatal(r)
		}
	}
	t.Run("alter", func(t *testing.T) {
		r := topics("--alter", "--topic", "keep", "--partitions", "4")
		if !brokerServes(t, addr, kmsg.CreatePartitions) {
			skipUnserved(t, r, "CREATE_PARTITIONS")
		}
		if r.code != 0 || r.out != "" {
			t.Fatalf("alter: %v", r)
		}
		if r := topics("--alter", "--topic", "keep", "--partitions", "3"); r.code != 1 ||
			!strings.HasPrefix(r.out, "Error while executing topic command : ") {
			t.Fatalf("shrink: %v", r)
		}
	})
	t.Run("delete", func(t *testing.T) {
		r := topics("--delete", "--topic", "drop")
		if !brokerServes(t, addr, kmsg.DeleteTopics) {
			skipUnserved(t, r, "DELETE_TOPICS")
		}
		if r.code != 0 || r.out != "" {
			t.Fatalf("delete: %v", r)
		}
	})
}

// TestTopicsUsage: argument errors print the message and the usage on
// stderr and exit 1, before any connection is made.
func TestTopicsUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // first stderr line
	}{
		{nil, "Create, delete, describe, or change a topic."},
		{[]string{"--bootstrap-server", "h:1"}, "Command must include exactly one action: --list, --describe, --create, --alter or --delete"},
		{[]string{"--bootstrap-server", "h:1", "--list", "--create"}, "Command must include exactly one action: --list, --describe, --create, --alter or --delete"},
		{[]string{"--list"}, "--bootstrap-server must be specified"},
		{[]string{"--bootstrap-server", "h:1", "--create"}, `Missing required argument "[topic]"`},
		{[]string{"--bootstrap-server", "h:1", "--alter", "--topic", "t"}, `Missing required argument "[partitions]"`},
		{[]string{"--bootstrap-server", "h:1", "--alter", "--topic", "t", "--config", "a=b"},
			`Option combination "[[bootstrap-server], [config]]" can't be used with option "[alter]" (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option)`},
		{[]string{"--bootstrap-server", "h:1", "--list", "--config", "a=b"}, `Option "[config]" can't be used with option "[list]"`},
		{[]string{"--bootstrap-server", "h:1", "--alter", "--topic", "t", "--partitions", "2", "--replication-factor", "1"},
			`Option "[replication-factor]" can't be used with option "[alter]"`},
		{[]string{"--bootstrap-server", "h:1", "--create", "--topic", "t", "--partitions", "2", "--replica-assignment", "1"},
			`Option "[replica-assignment]" can't be used with option "[partitions]"`},
		{[]string{"--bootstrap-server", "h:1", "--describe", "--under-replicated-partitions", "--topics-with-overrides"},
			`Option "[under-replicated-partitions]" can't be used with option "[topics-with-overrides]"`},
		{[]string{"--bootstrap-server", "h:1", "--list", "--under-replicated-partitions"},
			`Option "[under-replicated-partitions]" can't be used with option "[list]"`},
		{[]string{"--bootstrap-server", "h:1", "--create", "--topic", "t", "--if-exists"}, `Option "[if-exists]" can't be used with option "[create]"`},
		{[]string{"--bootstrap-server", "h:1", "--delete", "--topic", "t", "--if-not-exists"}, `Option "[if-not-exists]" can't be used with option "[delete]"`},
		{[]string{"--bootstrap-server", "h:1", "--delete", "--topic", "t", "--exclude-internal"}, `Option "[exclude-internal]" can't be used with option "[delete]"`},
		{[]string{"--bootstrap-server", "h:1", "--describe", "--if-exists"}, "--topic or --topic-id is required to describe a topic"},
		{[]string{"--bootstrap-server", "h:1", "--alter", "--topic", "t", "--partitions", "2", "--delete-config", "x"},
			`Option "[delete-config]" can't be used with option "[bootstrap-server]"`},
		{[]string{"--bootstrap-server", "nohost", "--list"}, "Invalid url in bootstrap.servers: nohost"},
		{[]string{"--bootstrap-server", "h:1", "--list", "--nosuchflag"}, "unknown flag: --nosuchflag"},
	} {
		r := run(t, NewTopicsCommand, "", tc.args...)
		first, _, _ := strings.Cut(r.err, "\n")
		if r.code != 1 || first != tc.want || r.out != "" {
			t.Errorf("%v: got %v\nwant first stderr line %q", tc.args, r, tc.want)
		}
	}
}

// TestTopicsUnreachable: with no broker to reach, the call is retried
// until default.api.timeout.ms and reported as Kafka's Admin reports it.
func TestTopicsUnreachable(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "admin.properties")
	if err := os.WriteFile(cfg, []byte("default.api.timeout.ms=300\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, NewTopicsCommand, "", "--bootstrap-server", "127.0.0.1:1", "--list", "--command-config", cfg)
	if r.code != 1 || r.out != "Error while executing topic command : Timed out waiting for a node assignment. Call: listTopics\n" {
		t.Fatalf("got %v", r)
	}
	r = run(t, NewTopicsCommand, "", "--bootstrap-server", "127.0.0.1:1", "--list", "--command-config", cfg+".missing")
	if r.code != 1 || r.err != cfg+".missing (No such file or directory)\n" {
		t.Fatalf("missing config: %v", r)
	}
}
