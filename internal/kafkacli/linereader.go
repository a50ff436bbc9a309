package kafkacli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// lineReader is kafka-console-producer's LineMessageReader: one record per
// input line, optionally "headers<TAB>key<TAB>value" with configurable
// separators (properties parse.key, key.separator, parse.headers,
// headers.delimiter, headers.separator, headers.key.separator,
// ignore.error, null.marker).
type lineReader struct {
	parseKey, parseHeaders, ignoreError   bool
	keySeparator, headersDelimiter        string
	headersSeparator, headersKeySeparator string
	headersSplit                          *regexp.Regexp
	nullMarker                            *string
	lineNumber                            int
	in                                    *bufio.Reader
}

// readerError is LineMessageReader's KafkaException.
func readerError(format string, args ...any) error {
	return &javaError{"org.apache.kafka.common.KafkaException", fmt.Sprintf(format, args...)}
}

// newLineReader configures a reader from the reader properties, with
// LineMessageReader's defaults and checks.
func newLineReader(p *props, in io.Reader) (*lineReader, error) {
	r := &lineReader{keySeparator: "\t", headersDelimiter: "\t", headersSeparator: ",", headersKeySeparator: ":",
		in: bufio.NewReaderSize(in, 64<<10)}
	isTrue := func(k string) bool {
		v, _ := p.Get(k)
		return strings.EqualFold(javaTrim(v), "true")
	}
	if p.Has("parse.key") {
		r.parseKey = isTrue("parse.key")
	}
	if v, ok := p.Get("key.separator"); ok {
		r.keySeparator = v
	}
	if p.Has("parse.headers") {
		r.parseHeaders = isTrue("parse.headers")
	}
	if v, ok := p.Get("headers.delimiter"); ok {
		r.headersDelimiter = v
	}
	if v, ok := p.Get("headers.separator"); ok {
		r.headersSeparator = v
	}
	re, err := regexp.Compile(r.headersSeparator)
	if err != nil {
		return nil, &javaError{"java.util.regex.PatternSyntaxException", err.Error()}
	}
	r.headersSplit = re
	if v, ok := p.Get("headers.key.separator"); ok {
		r.headersKeySeparator = v
	}
	if p.Has("ignore.error") {
		r.ignoreError = isTrue("ignore.error")
	}
	switch {
	case r.headersDelimiter == r.headersSeparator:
		return nil, readerError("headers.delimiter and headers.separator may not be equal")
	case r.headersDelimiter == r.headersKeySeparator:
		return nil, readerError("headers.delimiter and headers.key.separator may not be equal")
	case r.headersSeparator == r.headersKeySeparator:
		return nil, readerError("headers.separator and headers.key.separator may not be equal")
	}
	if v, ok := p.Get("null.marker"); ok {
		r.nullMarker = &v
		switch v {
		case r.keySeparator:
			return nil, readerError("null.marker and key.separator may not be equal")
		case r.headersSeparator:
			return nil, readerError("null.marker and headers.separator may not be equal")
		case r.headersDelimiter:
			return nil, readerError("null.marker and headers.delimiter may not be equal")
		case r.headersKeySeparator:
			return nil, readerError("null.marker and headers.key.separator may not be equal")
		}
	}
	return r, nil
}

// header is one record header; a nil value is a null one.
type header struct {
	key   string
	value []byte
}

// lineRecord is one record read from a line; nil key or value is null.
type lineRecord struct {
	key, value []byte
	headers    []header
}

// readLine returns the next line without its terminator ("\n", "\r\n" or
// a lone "\r", as Java's BufferedReader.readLine ends lines), and false at
// the end of input.
func (r *lineReader) readLine() (string, bool, error) {
	var b strings.Builder
	for {
		c, err := r.in.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if b.Len() > 0 {
					return b.String(), true, nil
				}
				return "", false, nil
			}
			return "", false, err
		}
		switch c {
		case '\n':
			return b.String(), true, nil
		case '\r':
			if next, err := r.in.Peek(1); err == nil && next[0] == '\n' {
				r.in.ReadByte()
			}
			return b.String(), true, nil
		}
		b.WriteByte(c)
	}
}

// next reads and parses one line; ok is false at the end of input.
func (r *lineReader) next() (rec lineRecord, ok bool, err error) {
	r.lineNumber++
	line, ok, err := r.readLine()
	if !ok || err != nil {
		return rec, false, err
	}
	rec, err = r.parseLine(line)
	return rec, err == nil, err
}

// parseLine splits one line into headers, key and value.
func (r *lineReader) parseLine(line string) (lineRecord, error) {
	var rec lineRecord
	headers, err := r.field(r.parseHeaders, line, 0, r.headersDelimiter, "headers delimiter")
	if err != nil {
		return rec, err
	}
	headerOffset := 0
	if headers != nil {
		headerOffset = len(*headers) + len(r.headersDelimiter)
	}
	key, err := r.field(r.parseKey, line, headerOffset, r.keySeparator, "key separator")
	if err != nil {
		return rec, err
	}
	keyOffset := 0
	if key != nil {
		keyOffset = len(*key) + len(r.keySeparator)
	}
	value := line[headerOffset+keyOffset:]
	if key != nil && !r.isNull(*key) {
		rec.key = []byte(*key)
	}
	if !r.isNull(value) {
		rec.value = []byte(value)
	}
	if headers != nil && !r.isNull(*headers) {
		for _, pair := range javaSplit(r.headersSplit, *headers) {
			i := strings.Index(pair, r.headersKeySeparator)
			if i < 0 {
				if !r.ignoreError {
					return rec, readerError("No header key separator found in pair '%s' on line number %d", pair, r.lineNumber)
				}
				rec.headers = append(rec.headers, header{key: pair})
				continue
			}
			k, v := pair[:i], pair[i+len(r.headersKeySeparator):]
			if r.isNull(k) {
				return rec, readerError("Header keys should not be equal to the null marker '%s' as they can't be null", *r.nullMarker)
			}
			h := header{key: k}
			if !r.isNull(v) {
				h.value = []byte(v)
			}
			rec.headers = append(rec.headers, h)
		}
	}
	return rec, nil
}

func (r *lineReader) isNull(s string) bool { return r.nullMarker != nil && s == *r.nullMarker }

// field is LineMessageReader.parse: the text from start up to the
// separator, nil when disabled or (with ignore.error) absent.
func (r *lineReader) field(enabled bool, line string, start int, sep, name string) (*string, error) {
	if !enabled {
		return nil, nil
	}
	i := -1
	if start <= len(line) {
		if j := strings.Index(line[start:], sep); j >= 0 {
			i = start + j
		}
	}
	if i < 0 {
		if r.ignoreError {
			return nil, nil
		}
		return nil, readerError("No %s found on line number %d: '%s'", name, r.lineNumber, line)
	}
	s := line[start:i]
	return &s, nil
}
