package config

import (
	"sort"
	"strings"
)

// DescribedKey is one broker key as Kafka's DescribeConfigs shows it: its
// ConfigDef type, its value and default rendered as ConfigDef.convertToString
// renders them (lists joined with ",", class names bare, numbers and
// booleans as Java prints them), and whether server.properties set it.
type DescribedKey struct {
	// Name is the key.
	Name string
	// Type is the ConfigDef type: "BOOLEAN", "STRING", "INT", "SHORT",
	// "LONG", "DOUBLE", "LIST", "CLASS" or "PASSWORD"; "" for a key Kafka
	// does not define (an unknown key of server.properties).
	Type string
	// Value is the value in use; nil when the key is null. For a PASSWORD
	// key it is always nil (Kafka never shows them).
	Value *string
	// Default is Kafka's default; nil when it is null.
	Default *string
	// Set reports whether server.properties set the key. The Broker does
	// not remember what was written, so a key counts as set when its value
	// differs from Kafka's default (and unknown keys always do): a key
	// written with its default value reads as not set.
	Set bool
}

// DescribeKeys returns every Kafka 3.9 broker key with its value, sorted by
// name, followed by the other keys server.properties held (unknown keys and
// listener.name.* overrides, with an empty Type), sorted too. It serves the
// broker's DescribeConfigs.
func (b *Broker) DescribeKeys() []DescribedKey {
	out := make([]DescribedKey, 0, len(kafkaKeys)+len(b.Other))
	for _, k := range kafkaKeys {
		shown := b.show(k)
		d := DescribedKey{Name: k.name, Type: k.kind.typeName(), Set: shown != k.def}
		if k.kind != kPassword {
			d.Value = k.kind.describe(shown)
		}
		d.Default = k.kind.describe(k.def)
		out = append(out, d)
	}
	var other []string
	for name := range b.Other {
		if _, known := kafkaKeyByName[name]; !known {
			other = append(other, name)
		}
	}
	sort.Strings(other)
	for _, name := range other {
		v := b.Other[name]
		out = append(out, DescribedKey{Name: name, Value: &v, Set: true})
	}
	return out
}

// typeName is the ConfigDef.Type name of a kind.
func (k kafkaKind) typeName() string {
	switch k {
	case kBool:
		return "BOOLEAN"
	case kShort:
		return "SHORT"
	case kInt:
		return "INT"
	case kLong:
		return "LONG"
	case kDouble:
		return "DOUBLE"
	case kString:
		return "STRING"
	case kList:
		return "LIST"
	case kClass:
		return "CLASS"
	case kPassword:
		return "PASSWORD"
	}
	return ""
}

// describe turns a value as logAll shows it (render, show) into
// DescribeConfigs' rendering: null is nil, "[a, b]" is "a,b", "class X"
// is "X".
func (k kafkaKind) describe(shown string) *string {
	if shown == "null" {
		return nil
	}
	switch k {
	case kList:
		s := strings.TrimSuffix(strings.TrimPrefix(shown, "["), "]")
		s = strings.ReplaceAll(s, ", ", ",")
		return &s
	case kClass:
		s := strings.TrimPrefix(shown, "class ")
		return &s
	}
	return &shown
}
