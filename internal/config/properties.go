package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrSyntax is wrapped by ParseProperties when the input cannot be read as
// java.util.Properties text. The only such case in the format is a malformed
// \uXXXX escape.
var ErrSyntax = errors.New("invalid properties syntax")

// Entry is one key of a Properties set: its value and the line it came from.
type Entry struct {
	// Key is the unescaped key.
	Key string
	// Value is the unescaped value. As in Java, trailing whitespace is kept.
	Value string
	// Line is the 1-based line number where the logical line holding the key
	// starts, or 0 for a key set with Set.
	Line int
}

// Properties is an ordered set of string keys and values, read from
// java.util.Properties text by ParseProperties. Keys keep the order in which
// their effective (last) occurrence appears in the file. The zero value is
// an empty set ready to use. A Properties is not safe for concurrent
// mutation.
type Properties struct {
	entries []Entry
	live    []bool
	index   map[string]int
}

// NewProperties returns an empty Properties.
func NewProperties() *Properties {
	return &Properties{index: make(map[string]int)}
}

// Get returns the value of key and whether it is set.
func (p *Properties) Get(key string) (string, bool) {
	i, ok := p.index[key]
	if !ok {
		return "", false
	}
	return p.entries[i].Value, true
}

// Line returns the line where key was (last) set, or 0 when key is not set
// or was set with Set.
func (p *Properties) Line(key string) int {
	i, ok := p.index[key]
	if !ok {
		return 0
	}
	return p.entries[i].Line
}

// Len returns the number of distinct keys.
func (p *Properties) Len() int { return len(p.index) }

// Keys returns the keys in file order of their effective occurrence.
func (p *Properties) Keys() []string {
	keys := make([]string, 0, len(p.index))
	for i, e := range p.entries {
		if p.live[i] {
			keys = append(keys, e.Key)
		}
	}
	return keys
}

// Entries returns the effective entries in file order.
func (p *Properties) Entries() []Entry {
	out := make([]Entry, 0, len(p.index))
	for i, e := range p.entries {
		if p.live[i] {
			out = append(out, e)
		}
	}
	return out
}

// Set sets key to value, replacing any earlier value; the key moves to the
// end of the order and its line becomes 0.
func (p *Properties) Set(key, value string) { p.set(key, value, 0) }

// Delete removes key if it is set.
func (p *Properties) Delete(key string) {
	if i, ok := p.index[key]; ok {
		p.live[i] = false
		delete(p.index, key)
	}
}

func (p *Properties) set(key, value string, line int) {
	if p.index == nil {
		p.index = make(map[string]int)
	}
	if i, ok := p.index[key]; ok {
		p.live[i] = false
		if len(p.entries) > 2*len(p.index)+16 {
			p.compact()
		}
	}
	p.index[key] = len(p.entries)
	p.entries = append(p.entries, Entry{Key: key, Value: value, Line: line})
	p.live = append(p.live, true)
}

// compact drops replaced entries.
func (p *Properties) compact() {
	entries := p.entries[:0]
	live := p.live[:0]
	for i, e := range p.entries {
		if p.live[i] {
			p.index[e.Key] = len(entries)
			entries = append(entries, e)
			live = append(live, true)
		}
	}
	clear(p.entries[len(entries):])
	p.entries, p.live = entries, live
}

// ParseProperties reads text in the syntax of java.util.Properties.load:
//
//   - Lines end with \n, \r or \r\n. Leading spaces, tabs and form feeds of a
//     line are skipped; a line that is then empty is blank and ignored.
//   - A line whose first non-blank character is '#' or '!' is a comment. A
//     comment is never continued by a trailing backslash.
//   - A line ending in an odd number of backslashes continues on the next
//     line: the backslash and line terminator are dropped, and the leading
//     whitespace of the next line is skipped.
//   - The key runs up to the first unescaped '=', ':', space, tab or form
//     feed. Whitespace after the key is skipped, then one '=' or ':' if the key
//     ended at whitespace, then whitespace again; the rest of the logical line
//     is the value, trailing whitespace included.
//   - In keys and values, \t \n \r \f and \uXXXX are escapes; a backslash
//     before any other character stands for that character (so "\=", "\:",
//     "\ ", "\#" and "\\" are literal). A malformed \uXXXX is an error
//     wrapping ErrSyntax.
//   - A later occurrence of a key replaces an earlier one.
//
// Unlike Java's load(InputStream), which decodes ISO-8859-1, the bytes are
// kept as they are (so UTF-8 text stays UTF-8); \uXXXX escapes are written
// as UTF-8, surrogate pairs combined and lone surrogates replaced by U+FFFD.
func ParseProperties(r io.Reader) (*Properties, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading properties: %w", err)
	}
	p := NewProperties()
	lr := lineReader{buf: data}
	for {
		logical, line, ok := lr.next()
		if !ok {
			return p, nil
		}
		key, value, err := splitKeyValue(logical)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		p.set(key, value, line)
	}
}

// lineReader splits input into logical lines the way Java's
// Properties.LineReader does (JDK 9 and later).
type lineReader struct {
	buf []byte
	pos int
	// linePos and lineNo cache the line count up to linePos so that line
	// numbers are computed in one pass.
	linePos, lineNo int
}

// lineAt returns the 1-based line number of byte offset off. Offsets must
// not decrease between calls.
func (lr *lineReader) lineAt(off int) int {
	if lr.lineNo == 0 {
		lr.lineNo = 1
	}
	for ; lr.linePos < off; lr.linePos++ {
		switch lr.buf[lr.linePos] {
		case '\n':
			lr.lineNo++
		case '\r':
			if lr.linePos+1 >= len(lr.buf) || lr.buf[lr.linePos+1] != '\n' {
				lr.lineNo++
			}
		}
	}
	return lr.lineNo
}

// next returns the next logical line (escapes still in place, continuation
// backslashes removed), the line number where it starts, and false at EOF.
func (lr *lineReader) next() ([]byte, int, bool) {
	var out []byte
	startLine := 0
	skipWhite := true
	appendedLineBegin := false
	precedingBackslash := false
	for {
		if lr.pos >= len(lr.buf) {
			if len(out) == 0 {
				return nil, 0, false
			}
			if precedingBackslash {
				out = out[:len(out)-1]
			}
			return out, startLine, true
		}
		c := lr.buf[lr.pos]
		lr.pos++
		if skipWhite {
			if c == ' ' || c == '\t' || c == '\f' {
				continue
			}
			if !appendedLineBegin && (c == '\r' || c == '\n') {
				continue
			}
			skipWhite = false
			appendedLineBegin = false
		}
		if len(out) == 0 && (c == '#' || c == '!') {
			// Comment: skip to the end of the natural line.
			for lr.pos < len(lr.buf) && lr.buf[lr.pos] != '\n' && lr.buf[lr.pos] != '\r' {
				lr.pos++
			}
			// As in Java, this also holds for a continuation line when
			// nothing has been gathered yet: the (empty) logical line so
			// far is dropped.
			skipWhite = true
			precedingBackslash = false
			startLine = 0
			continue
		}
		if c != '\n' && c != '\r' {
			if len(out) == 0 && startLine == 0 {
				startLine = lr.lineAt(lr.pos - 1)
			}
			out = append(out, c)
			if c == '\\' {
				precedingBackslash = !precedingBackslash
			} else {
				precedingBackslash = false
			}
			continue
		}
		// End of a natural line.
		if len(out) == 0 {
			skipWhite = true
			startLine = 0
			continue
		}
		if lr.pos >= len(lr.buf) {
			if precedingBackslash {
				out = out[:len(out)-1]
			}
			return out, startLine, true
		}
		if !precedingBackslash {
			return out, startLine, true
		}
		out = out[:len(out)-1]
		skipWhite = true
		appendedLineBegin = true
		precedingBackslash = false
		if c == '\r' && lr.pos < len(lr.buf) && lr.buf[lr.pos] == '\n' {
			lr.pos++
		}
	}
}

func isPropWhite(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

// splitKeyValue splits a logical line into its unescaped key and value.
func splitKeyValue(line []byte) (string, string, error) {
	keyLen := 0
	valueStart := len(line)
	hasSep := false
	precedingBackslash := false
	for keyLen < len(line) {
		c := line[keyLen]
		if (c == '=' || c == ':') && !precedingBackslash {
			valueStart = keyLen + 1
			hasSep = true
			break
		}
		if isPropWhite(c) && !precedingBackslash {
			valueStart = keyLen + 1
			break
		}
		if c == '\\' {
			precedingBackslash = !precedingBackslash
		} else {
			precedingBackslash = false
		}
		keyLen++
	}
	for valueStart < len(line) {
		c := line[valueStart]
		if !isPropWhite(c) {
			if !hasSep && (c == '=' || c == ':') {
				hasSep = true
			} else {
				break
			}
		}
		valueStart++
	}
	key, err := unescape(line[:keyLen])
	if err != nil {
		return "", "", err
	}
	value, err := unescape(line[valueStart:])
	if err != nil {
		return "", "", err
	}
	return key, value, nil
}

// unescape applies the escapes of the properties format.
func unescape(in []byte) (string, error) {
	if !containsByte(in, '\\') {
		return string(in), nil
	}
	var b strings.Builder
	b.Grow(len(in))
	for i := 0; i < len(in); {
		c := in[i]
		i++
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i >= len(in) {
			// A lone trailing backslash cannot come out of the line
			// reader; drop it if it ever does.
			break
		}
		c = in[i]
		i++
		switch c {
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			u, ok := hex4(in[i:])
			if !ok {
				return "", fmt.Errorf("%w: malformed \\uXXXX escape %q", ErrSyntax, snippet(in[i-2:], 6))
			}
			i += 4
			r := rune(u)
			if utf16.IsSurrogate(r) {
				r = utf8.RuneError
				// A high surrogate followed by an escaped low surrogate
				// is one code point.
				if u < 0xdc00 && i+6 <= len(in) && in[i] == '\\' && in[i+1] == 'u' {
					if lo, ok := hex4(in[i+2:]); ok && lo >= 0xdc00 && lo <= 0xdfff {
						r = utf16.DecodeRune(rune(u), rune(lo))
						i += 6
					}
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// hex4 decodes exactly four hex digits at the start of b.
func hex4(b []byte) (uint16, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var v uint16
	for _, c := range b[:4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint16(d)
	}
	return v, true
}

func snippet(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// Store writes p as properties text that ParseProperties reads back to the
// same keys and values: one key=value line per key in order, escaping as
// java.util.Properties.store(Writer) does (separators, comment characters,
// backslashes, leading value spaces, all key spaces, and control characters;
// other characters, non-ASCII included, are written as they are). No comment
// or timestamp line is written.
func (p *Properties) Store(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, e := range p.Entries() {
		bw.WriteString(escape(e.Key, true))
		bw.WriteByte('=')
		bw.WriteString(escape(e.Value, false))
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing properties: %w", err)
	}
	return nil
}

// escape escapes s for a key (all spaces escaped) or a value (only a
// leading space escaped).
func escape(s string, isKey bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ':
			if i == 0 || isKey {
				b.WriteByte('\\')
			}
			b.WriteByte(' ')
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		case '=', ':', '#', '!', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}
