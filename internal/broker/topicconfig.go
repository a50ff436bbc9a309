package broker

// Topic-level configs as Kafka 3.9's LogConfig defines them: their types,
// validators and the broker keys they take their defaults from
// (ServerTopicConfigSynonyms), for DescribeConfigs, AlterConfigs and
// IncrementalAlterConfigs.

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/zkafka/zkafka/internal/config"
)

// topicConfigDef is one topic config key.
type topicConfigDef struct {
	name string
	typ  string // ConfigDef type name
	// broker is the broker key the default comes from (the first of
	// ServerTopicConfigSynonyms), "" for the keys without one.
	broker string
	// def is LogConfig's default, used when broker is "".
	def string
	// check validates a parsed value; it returns the message Kafka puts
	// after "Invalid value <v> for configuration <name>: ", or "".
	check func(v string) string
	// derived computes the broker default when it is not simply the
	// broker key's value (segment.ms from log.roll.ms or .hours, ...).
	derived func(c *config.Broker) string
}

func atLeast(min int64) func(string) string {
	return func(v string) string {
		n, _ := strconv.ParseInt(v, 10, 64)
		if n < min {
			return fmt.Sprintf("Value must be at least %d", min)
		}
		return ""
	}
}

func between(min, max int64) func(string) string {
	return func(v string) string {
		n, _ := strconv.ParseInt(v, 10, 64)
		switch {
		case n < min:
			return fmt.Sprintf("Value must be at least %d", min)
		case n > max:
			return fmt.Sprintf("Value must be no more than %d", max)
		}
		return ""
	}
}

// oneOf is ConfigDef.ValidString.in.
func oneOf(valid ...string) func(string) string {
	return func(v string) string {
		if !slices.Contains(valid, v) {
			return "String must be one of: " + strings.Join(valid, ", ")
		}
		return ""
	}
}

// listOf is ConfigDef.ValidList.in: every element one of valid.
func listOf(valid ...string) func(string) string {
	return func(v string) string {
		if v == "" {
			return ""
		}
		for _, s := range strings.Split(v, ",") {
			if !slices.Contains(valid, s) {
				return "String must be one of: " + strings.Join(valid, ", ")
			}
		}
		return ""
	}
}

var (
	metadataVersionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?(-IV[0-9]+)?$`)
	throttledRE       = regexp.MustCompile(`^[0-9]+:[0-9]+$`)
)

func ms(v int64) string { return strconv.FormatInt(v, 10) }

// topicConfigDefs are Kafka 3.9's topic configs, sorted by name.
var topicConfigDefs = []topicConfigDef{
	{name: "cleanup.policy", typ: "LIST", broker: "log.cleanup.policy", check: listOf("compact", "delete")},
	{name: "compression.gzip.level", typ: "INT", broker: "compression.gzip.level", check: func(v string) string {
		if n, _ := strconv.Atoi(v); n > 9 || (n < 1 && n != -1) {
			return "Value must be between 1 and 9 or equal to -1"
		}
		return ""
	}},
	{name: "compression.lz4.level", typ: "INT", broker: "compression.lz4.level", check: between(1, 17)},
	{name: "compression.type", typ: "STRING", broker: "compression.type",
		check: oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")},
	{name: "compression.zstd.level", typ: "INT", broker: "compression.zstd.level", check: func(v string) string {
		if n, _ := strconv.Atoi(v); n < -131072 || n > 22 {
			return "Value must be between -131072 and 22"
		}
		return ""
	}},
	{name: "delete.retention.ms", typ: "LONG", broker: "log.cleaner.delete.retention.ms", check: atLeast(0)},
	{name: "file.delete.delay.ms", typ: "LONG", broker: "log.segment.delete.delay.ms", check: atLeast(0)},
	{name: "flush.messages", typ: "LONG", broker: "log.flush.interval.messages", check: atLeast(1)},
	{name: "flush.ms", typ: "LONG", broker: "log.flush.interval.ms", check: atLeast(0),
		derived: func(c *config.Broker) string { return ms(c.FlushIntervalMillis()) }},
	{name: "follower.replication.throttled.replicas", typ: "LIST", def: "", check: throttledReplicas},
	{name: "index.interval.bytes", typ: "INT", broker: "log.index.interval.bytes", check: atLeast(0)},
	{name: "leader.replication.throttled.replicas", typ: "LIST", def: "", check: throttledReplicas},
	{name: "local.retention.bytes", typ: "LONG", broker: "log.local.retention.bytes", check: atLeast(-2)},
	{name: "local.retention.ms", typ: "LONG", broker: "log.local.retention.ms", check: atLeast(-2)},
	{name: "max.compaction.lag.ms", typ: "LONG", broker: "log.cleaner.max.compaction.lag.ms", check: atLeast(1)},
	{name: "max.message.bytes", typ: "INT", broker: "message.max.bytes", check: atLeast(0)},
	{name: "message.downconversion.enable", typ: "BOOLEAN", broker: "log.message.downconversion.enable"},
	{name: "message.format.version", typ: "STRING", broker: "log.message.format.version", check: func(v string) string {
		if !metadataVersionRE.MatchString(v) {
			return "Version " + v + " is not a valid version"
		}
		return ""
	}},
	{name: "message.timestamp.after.max.ms", typ: "LONG", broker: "log.message.timestamp.after.max.ms", check: atLeast(0)},
	{name: "message.timestamp.before.max.ms", typ: "LONG", broker: "log.message.timestamp.before.max.ms", check: atLeast(0)},
	{name: "message.timestamp.difference.max.ms", typ: "LONG", broker: "log.message.timestamp.difference.max.ms", check: atLeast(0)},
	{name: "message.timestamp.type", typ: "STRING", broker: "log.message.timestamp.type", check: oneOf("CreateTime", "LogAppendTime")},
	{name: "min.cleanable.dirty.ratio", typ: "DOUBLE", broker: "log.cleaner.min.cleanable.ratio", check: func(v string) string {
		f, _ := strconv.ParseFloat(v, 64)
		switch {
		case f < 0:
			return "Value must be at least 0"
		case f > 1:
			return "Value must be no more than 1"
		}
		return ""
	}},
	{name: "min.compaction.lag.ms", typ: "LONG", broker: "log.cleaner.min.compaction.lag.ms", check: atLeast(0)},
	{name: "min.insync.replicas", typ: "INT", broker: "min.insync.replicas", check: atLeast(1)},
	{name: "preallocate", typ: "BOOLEAN", broker: "log.preallocate"},
	{name: "remote.log.copy.disable", typ: "BOOLEAN", def: "false"},
	{name: "remote.log.delete.on.disable", typ: "BOOLEAN", def: "false"},
	{name: "remote.storage.enable", typ: "BOOLEAN", def: "false"},
	{name: "retention.bytes", typ: "LONG", broker: "log.retention.bytes"},
	{name: "retention.ms", typ: "LONG", broker: "log.retention.ms", check: atLeast(-1),
		derived: func(c *config.Broker) string { return ms(c.RetentionMillis()) }},
	{name: "segment.bytes", typ: "INT", broker: "log.segment.bytes", check: atLeast(14)},
	{name: "segment.index.bytes", typ: "INT", broker: "log.index.size.max.bytes", check: atLeast(4)},
	{name: "segment.jitter.ms", typ: "LONG", broker: "log.roll.jitter.ms", check: atLeast(0),
		derived: func(c *config.Broker) string { return ms(c.RollJitterMillis()) }},
	{name: "segment.ms", typ: "LONG", broker: "log.roll.ms", check: atLeast(1),
		derived: func(c *config.Broker) string { return ms(c.RollMillis()) }},
	{name: "unclean.leader.election.enable", typ: "BOOLEAN", broker: "unclean.leader.election.enable"},
}

func throttledReplicas(v string) string {
	if v == "" || v == "*" {
		return ""
	}
	for _, s := range strings.Split(v, ",") {
		if !throttledRE.MatchString(s) {
			return "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."
		}
	}
	return ""
}

// topicConfigDefByName indexes topicConfigDefs; never changed.
var topicConfigDefByName = func() map[string]*topicConfigDef {
	m := make(map[string]*topicConfigDef, len(topicConfigDefs))
	for i := range topicConfigDefs {
		m[topicConfigDefs[i].name] = &topicConfigDefs[i]
	}
	return m
}()

// brokerSynonyms are the broker keys that set the same thing, in order of
// precedence (DynamicBrokerConfig.brokerConfigSynonyms).
func brokerSynonyms(name string) []string {
	switch name {
	case "log.roll.ms", "log.roll.hours":
		return []string{"log.roll.ms", "log.roll.hours"}
	case "log.roll.jitter.ms", "log.roll.jitter.hours":
		return []string{"log.roll.jitter.ms", "log.roll.jitter.hours"}
	case "log.flush.interval.ms":
		return []string{"log.flush.interval.ms", "log.flush.scheduler.interval.ms"}
	case "log.retention.ms", "log.retention.minutes", "log.retention.hours":
		return []string{"log.retention.ms", "log.retention.minutes", "log.retention.hours"}
	}
	return []string{name}
}

// parseConfigValue parses a value as ConfigDef.parseType does for typ and
// returns it as ConfigDef.convertToString renders it, or Kafka's message.
func parseConfigValue(typ, v string) (string, string) {
	t := strings.TrimSpace(v)
	switch typ {
	case "BOOLEAN":
		switch strings.ToLower(t) {
		case "true", "false":
			return strings.ToLower(t), ""
		}
		return "", "Expected value to be either true or false"
	case "INT", "SHORT", "LONG":
		bits := map[string]int{"INT": 32, "SHORT": 16, "LONG": 64}[typ]
		n, err := strconv.ParseInt(t, 10, bits)
		if err != nil {
			return "", "Not a number of type " + typ
		}
		return strconv.FormatInt(n, 10), ""
	case "DOUBLE":
		f, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsNaN(f) {
			return "", "Not a number of type DOUBLE"
		}
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return s, ""
	case "LIST":
		if t == "" {
			return "", ""
		}
		parts := strings.Split(t, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return strings.Join(parts, ","), ""
	}
	return t, ""
}

// topicConfigError is a rejected topic config: Kafka's error code and
// message.
type topicConfigError struct {
	code int16
	msg  string
	// value marks a ConfigException (a value Kafka cannot parse or its
	// validator refuses), whose message Kafka prefixes with the resource.
	value bool
}

// validateTopicConfig checks the full set of overrides a topic would have,
// as LogConfig.validate does: unknown names first (INVALID_CONFIG,
// "Unknown topic config name: x"), then every value (INVALID_CONFIG,
// "Invalid value v for configuration k: why"), then the rules between
// keys. It returns the overrides normalised and the first error, if any.
func validateTopicConfig(overrides map[string]string) (map[string]string, *topicConfigError) {
	names := make([]string, 0, len(overrides))
	for k := range overrides {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if topicConfigDefByName[k] == nil {
			return nil, &topicConfigError{code: 40, msg: "Unknown topic config name: " + k}
		}
	}
	out := make(map[string]string, len(overrides))
	for _, k := range names {
		d := topicConfigDefByName[k]
		v, why := parseConfigValue(d.typ, overrides[k])
		if why == "" && d.check != nil {
			why = d.check(v)
		}
		if why != "" {
			return nil, &topicConfigError{code: 40, msg: fmt.Sprintf("Invalid value %s for configuration %s: %s", overrides[k], k, why), value: true}
		}
		out[k] = v
	}
	minLag, okMin := out["min.compaction.lag.ms"]
	maxLag, okMax := out["max.compaction.lag.ms"]
	if okMin || okMax {
		lo, hi := int64(0), int64(math.MaxInt64)
		if okMin {
			lo, _ = strconv.ParseInt(minLag, 10, 64)
		}
		if okMax {
			hi, _ = strconv.ParseInt(maxLag, 10, 64)
		}
		if lo > hi {
			return nil, &topicConfigError{code: 40, msg: fmt.Sprintf("conflict topic config setting min.compaction.lag.ms (%d) > max.compaction.lag.ms (%d)", lo, hi)}
		}
	}
	return out, nil
}

// brokerKeys returns the broker's keys as DescribeConfigs shows them.
func (b *Broker) brokerKeys() map[string]config.DescribedKey {
	keys := b.cfg.DescribeKeys()
	m := make(map[string]config.DescribedKey, len(keys))
	for _, k := range keys {
		m[k.Name] = k
	}
	return m
}

// describeTopicConfigs lists a topic's configs as Kafka's ConfigHelper
// does: every LogConfig key with the topic's override or the broker
// default, its source (DYNAMIC_TOPIC_CONFIG for an override, else that of
// the broker key: STATIC_BROKER_CONFIG or DEFAULT_CONFIG) and, when asked,
// its synonyms. names limits the keys (nil or empty: all).
func (b *Broker) describeTopicConfigs(overrides map[string]string, names []string, synonyms bool, version int16) []kmsg.DescribeConfigsResponseResourceConfig {
	keys := b.brokerKeys()
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for i := range topicConfigDefs {
		d := &topicConfigDefs[i]
		if len(names) > 0 && !slices.Contains(names, d.name) {
			continue
		}
		var all []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym
		syn := func(name string, v *string, src kmsg.ConfigSource) {
			s := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			s.Name, s.Value, s.Source = name, v, src
			all = append(all, s)
		}
		var value *string
		if raw, ok := overrides[d.name]; ok {
			v, why := parseConfigValue(d.typ, raw)
			if why != "" {
				v = raw
			}
			value = &v
			syn(d.name, value, kmsg.ConfigSourceDynamicTopicConfig)
		}
		if d.broker != "" {
			var list []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym
			save := all
			all = nil
			for _, s := range brokerSynonyms(d.broker) {
				if k, ok := keys[s]; ok && k.Set {
					syn(s, k.Value, kmsg.ConfigSourceStaticBrokerConfig)
				}
			}
			for _, s := range brokerSynonyms(d.broker) {
				if k, ok := keys[s]; ok && k.Default != nil {
					syn(s, k.Default, kmsg.ConfigSourceDefaultConfig)
				}
			}
			for i, s := range all { // dropWhile(name != broker key)
				if s.Name == d.broker {
					list = all[i:]
					break
				}
			}
			all = append(save, list...)
			if value == nil {
				var v string
				if d.derived != nil {
					v = d.derived(b.cfg)
				} else if k, ok := keys[d.broker]; ok && k.Value != nil {
					v = *k.Value
				}
				value = &v
			}
		} else if value == nil {
			v := d.def
			value = &v
		}
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name, c.Value = d.name, value
		c.Source = kmsg.ConfigSourceDefaultConfig
		if len(all) > 0 {
			c.Source = all[0].Source
		}
		c.IsDefault = version == 0 && c.Source == kmsg.ConfigSourceDefaultConfig
		if synonyms {
			c.ConfigSynonyms = all
		}
		c.ConfigType = configType(d.typ)
		out = append(out, c)
	}
	return out
}

// configType maps a ConfigDef type name onto the protocol's ConfigType.
func configType(t string) kmsg.ConfigType {
	switch t {
	case "BOOLEAN":
		return kmsg.ConfigTypeBoolean
	case "STRING":
		return kmsg.ConfigTypeString
	case "INT":
		return kmsg.ConfigTypeInt
	case "SHORT":
		return kmsg.ConfigTypeShort
	case "LONG":
		return kmsg.ConfigTypeLong
	case "DOUBLE":
		return kmsg.ConfigTypeDouble
	case "LIST":
		return kmsg.ConfigTypeList
	case "CLASS":
		return kmsg.ConfigTypeClass
	case "PASSWORD":
		return kmsg.ConfigTypePassword
	}
	return kmsg.ConfigTypeUnknown
}
