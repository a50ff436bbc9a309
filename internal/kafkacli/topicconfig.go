package kafkacli

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// topicConfigDef is one topic config as Kafka 3.9's LogConfig defines it:
// its type and the validator `--config` values are checked with before the
// request is sent.
type topicConfigDef struct {
	name    string
	typ     string   // BOOLEAN, INT, LONG, DOUBLE, STRING, LIST
	atLeast *float64 // Range validator's minimum
	atMost  *float64 // Range validator's maximum
	in      []string // ValidString / ValidList choices
}

func num(f float64) *float64 { return &f }

// topicConfigDefs is LogConfig's definition order: values are checked in it.
var topicConfigDefs = []topicConfigDef{
	{name: "segment.bytes", typ: "INT", atLeast: num(14)},
	{name: "segment.ms", typ: "LONG", atLeast: num(1)},
	{name: "segment.jitter.ms", typ: "LONG", atLeast: num(0)},
	{name: "segment.index.bytes", typ: "INT", atLeast: num(4)},
	{name: "flush.messages", typ: "LONG", atLeast: num(1)},
	{name: "flush.ms", typ: "LONG", atLeast: num(0)},
	{name: "retention.bytes", typ: "LONG"},
	{name: "retention.ms", typ: "LONG", atLeast: num(-1)},
	{name: "max.message.bytes", typ: "INT", atLeast: num(0)},
	{name: "index.interval.bytes", typ: "INT", atLeast: num(0)},
	{name: "delete.retention.ms", typ: "LONG", atLeast: num(0)},
	{name: "min.compaction.lag.ms", typ: "LONG", atLeast: num(0)},
	{name: "max.compaction.lag.ms", typ: "LONG", atLeast: num(1)},
	{name: "file.delete.delay.ms", typ: "LONG", atLeast: num(0)},
	{name: "min.cleanable.dirty.ratio", typ: "DOUBLE", atLeast: num(0), atMost: num(1)},
	{name: "cleanup.policy", typ: "LIST", in: []string{"compact", "delete"}},
	{name: "unclean.leader.election.enable", typ: "BOOLEAN"},
	{name: "min.insync.replicas", typ: "INT", atLeast: num(1)},
	{name: "compression.type", typ: "STRING", in: []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}},
	{name: "compression.gzip.level", typ: "INT"},
	{name: "compression.lz4.level", typ: "INT"},
	{name: "compression.zstd.level", typ: "INT"},
	{name: "preallocate", typ: "BOOLEAN"},
	{name: "message.format.version", typ: "STRING"},
	{name: "message.timestamp.type", typ: "STRING", in: []string{"CreateTime", "LogAppendTime"}},
	{name: "message.timestamp.difference.max.ms", typ: "LONG", atLeast: num(0)},
	{name: "message.timestamp.before.max.ms", typ: "LONG", atLeast: num(0)},
	{name: "message.timestamp.after.max.ms", typ: "LONG", atLeast: num(0)},
	{name: "leader.replication.throttled.replicas", typ: "LIST"},
	{name: "follower.replication.throttled.replicas", typ: "LIST"},
	{name: "message.downconversion.enable", typ: "BOOLEAN"},
	{name: "remote.storage.enable", typ: "BOOLEAN"},
	{name: "local.retention.ms", typ: "LONG", atLeast: num(-2)},
	{name: "local.retention.bytes", typ: "LONG", atLeast: num(-2)},
	{name: "remote.log.copy.disable", typ: "BOOLEAN"},
	{name: "remote.log.delete.on.disable", typ: "BOOLEAN"},
}

// invalidValue is ConfigException(name, value, message).
func invalidValue(name, value, msg string) error {
	return &javaError{"org.apache.kafka.common.config.ConfigException",
		"Invalid value " + value + " for configuration " + name + ": " + msg}
}

// equalsSplit is Java's s.split("\\s*=\\s*"): trailing empty parts dropped.
var equalsSplit = regexp.MustCompile(`\s*=\s*`)

func javaSplit(re *regexp.Regexp, s string) []string {
	parts := re.Split(s, -1)
	if s == "" {
		return []string{""}
	}
	// A zero-width match at the start never yields a leading empty part;
	// \s*=\s* is never zero-width, so only trailing empties go.
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// javaTrim is String.trim: strips characters <= ' ' at both ends.
func javaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// topicConfig is one parsed `--config` pair.
type topicConfig struct{ name, value string }

// parseTopicConfigs parses and validates `--config k=v` values as
// TopicCommand does (parseTopicConfigsToBeAdded and LogConfig.validate),
// returning them and the warnings to print.
func parseTopicConfigs(raw []string) ([]topicConfig, []string, error) {
	var out []topicConfig
	index := map[string]int{}
	var split [][]string
	for _, s := range raw {
		split = append(split, javaSplit(equalsSplit, s))
	}
	for _, p := range split {
		if len(p) != 2 {
			return nil, nil, &javaError{"java.lang.IllegalArgumentException",
				`requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".`}
		}
	}
	for _, p := range split {
		k, v := javaTrim(p[0]), javaTrim(p[1])
		if i, ok := index[k]; ok {
			out[i].value = v
			continue
		}
		index[k] = len(out)
		out = append(out, topicConfig{k, v})
	}
	known := map[string]bool{}
	for _, d := range topicConfigDefs {
		known[d.name] = true
	}
	for _, c := range out {
		if !known[c.name] {
			return nil, nil, &javaError{"org.apache.kafka.common.errors.InvalidConfigurationException",
				"Unknown topic config name: " + c.name}
		}
	}
	for _, d := range topicConfigDefs {
		if i, ok := index[d.name]; ok {
			if err := d.check(out[i].value); err != nil {
				return nil, nil, err
			}
		}
	}
	var warnings []string
	if _, ok := index["message.format.version"]; ok {
		// Kafka prints this line with its placeholders unexpanded.
		warnings = append(warnings, "WARNING: The configuration ${TopicConfig.MESSAGE_FORMAT_VERSION_CONFIG}=${props.getProperty(TopicConfig.MESSAGE_FORMAT_VERSION_CONFIG)} is specified. "+
			"This configuration will be ignored if the version is newer than the inter.broker.protocol.version specified in the broker or "+
			"if the inter.broker.protocol.version is 3.0 or newer. This configuration is deprecated and it will be removed in Apache Kafka 4.0.")
	}
	return out, warnings, nil
}

// check parses v as ConfigDef.parseType would and runs the validator.
func (d topicConfigDef) check(v string) error {
	t := javaTrim(v)
	var n float64
	shown := t
	switch d.typ {
	case "BOOLEAN":
		if !strings.EqualFold(t, "true") && !strings.EqualFold(t, "false") {
			return invalidValue(d.name, v, "Expected value to be either true or false")
		}
		return nil
	case "INT", "LONG":
		bits := 32
		if d.typ == "LONG" {
			bits = 64
		}
		i, err := strconv.ParseInt(t, 10, bits)
		if err != nil {
			return invalidValue(d.name, v, "Not a number of type "+d.typ)
		}
		n, shown = float64(i), strconv.FormatInt(i, 10)
	case "DOUBLE":
		f, err := strconv.ParseFloat(strings.TrimRight(t, "dDfF"), 64)
		if err != nil {
			return invalidValue(d.name, v, "Not a number of type DOUBLE")
		}
		n, shown = f, javaDoubleString(f)
	case "STRING":
		if d.in != nil && !contains(d.in, t) {
			return invalidValue(d.name, t, "String must be one of: "+strings.Join(d.in, ", "))
		}
		return nil
	case "LIST":
		if d.in != nil && t != "" {
			for _, s := range regexp.MustCompile(`\s*,\s*`).Split(t, -1) {
				if !contains(d.in, s) {
					return invalidValue(d.name, s, "String must be one of: "+strings.Join(d.in, ", "))
				}
			}
		}
		return nil
	}
	if d.atLeast != nil && n < *d.atLeast {
		return invalidValue(d.name, shown, "Value must be at least "+strconv.FormatFloat(*d.atLeast, 'f', -1, 64))
	}
	if d.atMost != nil && n > *d.atMost {
		return invalidValue(d.name, shown, "Value must be no more than "+strconv.FormatFloat(*d.atMost, 'f', -1, 64))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseReplicaAssignment parses `--replica-assignment 1:2,2:3` as
// TopicCommand does: partitions separated by commas, replicas by colons,
// no duplicate replicas, every partition with the first one's count.
func parseReplicaAssignment(s string) ([][]int32, error) {
	var out [][]int32
	for i, part := range javaSplit(regexp.MustCompile(`,`), s) {
		var reps []int32
		seen := map[int32]int{}
		for _, b := range javaSplit(regexp.MustCompile(`:`), part) {
			b = javaTrim(b)
			id, err := strconv.ParseInt(b, 10, 32)
			if err != nil {
				return nil, &javaError{"java.lang.NumberFormatException", fmt.Sprintf("For input string: \"%s\"", b)}
			}
			reps = append(reps, int32(id))
			seen[int32(id)]++
		}
		var dups []string
		for _, r := range reps {
			if seen[r] > 1 {
				dups = append(dups, strconv.Itoa(int(r)))
				seen[r] = 0
			}
		}
		if len(dups) > 0 {
			return nil, &javaError{"org.apache.kafka.server.common.AdminCommandFailedException",
				"Partition replica lists may not contain duplicate entries: " + strings.Join(dups, ",")}
		}
		out = append(out, reps)
		if len(reps) != len(out[0]) {
			strs := make([]string, len(reps))
			for j, r := range reps {
				strs[j] = strconv.Itoa(int(r))
			}
			return nil, &javaError{"org.apache.kafka.server.common.AdminOperationException",
				fmt.Sprintf("Partition %d has different replication factor: [%s]", i, strings.Join(strs, ", "))}
		}
	}
	return out, nil
}

// javaDoubleString is Double.toString.
func javaDoubleString(f float64) string { return javaFloatString(f, 64) }
