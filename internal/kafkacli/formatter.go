package kafkacli

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
)

// messageFormatter is kafka-console-consumer's DefaultMessageFormatter:
// each record as [timestamp][partition][offset][headers][key]value, the
// fields joined by key.separator and ended by line.separator, driven by
// the print.* properties.
type messageFormatter struct {
	printTimestamp, printKey, printValue          bool
	printPartition, printOffset, printHeaders     bool
	keySeparator, lineSeparator, headersSeparator []byte
	nullLiteral                                   []byte
	keyDeser, valueDeser, headersDeser            deserializer
	noop                                          bool // NoOpMessageFormatter
}

// formattedRecord is what the formatter needs of a record.
type formattedRecord struct {
	topic         string
	partition     int32
	offset        int64
	timestampType int8 // 0 CreateTime, 1 LogAppendTime, <0 none
	timestamp     int64
	key, value    []byte // nil: null
	headers       []header
}

// deserializer turns bytes into the text printed for them (a Java
// Deserializer's result's toString); nil prints the bytes as they are.
type deserializer func([]byte) ([]byte, error)

// newMessageFormatter configures the default formatter from its
// properties; unknown deserializer classes are reported through warn and
// left out, as Kafka does.
func newMessageFormatter(p *props, warn func(string)) *messageFormatter {
	f := &messageFormatter{printValue: true, keySeparator: []byte("\t"), lineSeparator: []byte("\n"),
		headersSeparator: []byte(","), nullLiteral: []byte("null")}
	boolProp := func(k string, dst *bool) {
		if v, ok := p.Get(k); ok {
			*dst = strings.EqualFold(javaTrim(v), "true")
		}
	}
	bytesProp := func(k string, dst *[]byte) {
		if v, ok := p.Get(k); ok {
			*dst = []byte(v)
		}
	}
	boolProp("print.timestamp", &f.printTimestamp)
	boolProp("print.key", &f.printKey)
	boolProp("print.offset", &f.printOffset)
	boolProp("print.partition", &f.printPartition)
	boolProp("print.headers", &f.printHeaders)
	boolProp("print.value", &f.printValue)
	bytesProp("key.separator", &f.keySeparator)
	bytesProp("line.separator", &f.lineSeparator)
	bytesProp("headers.separator", &f.headersSeparator)
	bytesProp("null.literal", &f.nullLiteral)
	deser := func(k string) deserializer {
		name, ok := p.Get(k)
		if !ok {
			return nil
		}
		d, known := deserializers[name]
		if !known {
			warn("Unable to instantiate a deserializer from " + name)
		}
		return d
	}
	f.keyDeser = deser("key.deserializer")
	f.valueDeser = deser("value.deserializer")
	f.headersDeser = deser("headers.deserializer")
	return f
}

func (f *messageFormatter) field(b []byte, d deserializer) ([]byte, error) {
	if b == nil {
		b = f.nullLiteral
	}
	if d == nil {
		return b, nil
	}
	return d(b)
}

// format appends one record's text to dst.
func (f *messageFormatter) format(dst []byte, r formattedRecord) ([]byte, error) {
	if f.noop {
		return dst, nil
	}
	sep := func(column bool) {
		if column {
			dst = append(dst, f.keySeparator...)
		} else {
			dst = append(dst, f.lineSeparator...)
		}
	}
	if f.printTimestamp {
		switch r.timestampType {
		case 0:
			dst = append(dst, "CreateTime:"...)
			dst = strconv.AppendInt(dst, r.timestamp, 10)
		case 1:
			dst = append(dst, "LogAppendTime:"...)
			dst = strconv.AppendInt(dst, r.timestamp, 10)
		default:
			dst = append(dst, "NO_TIMESTAMP"...)
		}
		sep(f.printOffset || f.printPartition || f.printHeaders || f.printKey || f.printValue)
	}
	if f.printPartition {
		dst = append(dst, "Partition:"...)
		dst = strconv.AppendInt(dst, int64(r.partition), 10)
		sep(f.printOffset || f.printHeaders || f.printKey || f.printValue)
	}
	if f.printOffset {
		dst = append(dst, "Offset:"...)
		dst = strconv.AppendInt(dst, r.offset, 10)
		sep(f.printHeaders || f.printKey || f.printValue)
	}
	if f.printHeaders {
		if len(r.headers) == 0 {
			dst = append(dst, "NO_HEADERS"...)
		}
		for i, h := range r.headers {
			dst = append(dst, h.key...)
			dst = append(dst, ':')
			v, err := f.field(h.value, f.headersDeser)
			if err != nil {
				return dst, err
			}
			dst = append(dst, v...)
			if i < len(r.headers)-1 {
				dst = append(dst, f.headersSeparator...)
			}
		}
		sep(f.printKey || f.printValue)
	}
	if f.printKey {
		k, err := f.field(r.key, f.keyDeser)
		if err != nil {
			return dst, err
		}
		dst = append(dst, k...)
		sep(f.printValue)
	}
	if f.printValue {
		v, err := f.field(r.value, f.valueDeser)
		if err != nil {
			return dst, err
		}
		dst = append(dst, v...)
		dst = append(dst, f.lineSeparator...)
	}
	return dst, nil
}

// serializationError is Kafka's SerializationException.
func serializationError(msg string) error {
	return &javaError{"org.apache.kafka.common.errors.SerializationException", msg}
}

func sized(n int, name string, conv func([]byte) string) deserializer {
	return func(b []byte) ([]byte, error) {
		if len(b) != n {
			return nil, serializationError("Size of data received by " + name + " is not " + strconv.Itoa(n))
		}
		return []byte(conv(b)), nil
	}
}

// deserializers are the Kafka deserializer classes the console consumer
// can be given, by class name.
var deserializers = map[string]deserializer{
	"org.apache.kafka.common.serialization.StringDeserializer":     func(b []byte) ([]byte, error) { return []byte(strings.ToValidUTF8(string(b), "\uFFFD")), nil },
	"org.apache.kafka.common.serialization.ByteArrayDeserializer":  nil,
	"org.apache.kafka.common.serialization.ByteBufferDeserializer": nil,
	"org.apache.kafka.common.serialization.BytesDeserializer": func(b []byte) ([]byte, error) {
		var out []byte
		for _, c := range b {
			if c >= ' ' && c <= '~' && c != '\\' {
				out = append(out, c)
			} else {
				out = append(out, '\\', 'x')
				out = append(out, strings.ToUpper(hex.EncodeToString([]byte{c}))...)
			}
		}
		return out, nil
	},
	"org.apache.kafka.common.serialization.IntegerDeserializer": sized(4, "IntegerDeserializer", func(b []byte) string {
		return strconv.Itoa(int(int32(binary.BigEndian.Uint32(b))))
	}),
	"org.apache.kafka.common.serialization.LongDeserializer": sized(8, "LongDeserializer", func(b []byte) string {
		return strconv.FormatInt(int64(binary.BigEndian.Uint64(b)), 10)
	}),
	"org.apache.kafka.common.serialization.ShortDeserializer": sized(2, "ShortDeserializer", func(b []byte) string {
		return strconv.Itoa(int(int16(binary.BigEndian.Uint16(b))))
	}),
	"org.apache.kafka.common.serialization.DoubleDeserializer": sized(8, "Deserializer", func(b []byte) string {
		return javaFloatString(math.Float64frombits(binary.BigEndian.Uint64(b)), 64)
	}),
	"org.apache.kafka.common.serialization.FloatDeserializer": sized(4, "Deserializer", func(b []byte) string {
		return javaFloatString(float64(math.Float32frombits(binary.BigEndian.Uint32(b))), 32)
	}),
	"org.apache.kafka.common.serialization.UUIDDeserializer": func(b []byte) ([]byte, error) {
		s := strings.ReplaceAll(string(b), "-", "")
		raw, err := hex.DecodeString(s)
		if err != nil || len(raw) != 16 || strings.Count(string(b), "-") != 4 {
			return nil, serializationError("Error parsing data into UUID")
		}
		h := hex.EncodeToString(raw)
		return []byte(h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]), nil
	},
}

// javaFloatString is Double.toString / Float.toString: plain notation for
// magnitudes in [1e-3, 1e7), else d.dddE±n, always with a fraction digit.
func javaFloatString(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, bits)
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}
