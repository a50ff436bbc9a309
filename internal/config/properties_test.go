package config

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

type kv struct {
	k, v string
	line int
}

func entriesOf(p *Properties) []kv {
	var out []kv
	for _, e := range p.Entries() {
		out = append(out, kv{e.Key, e.Value, e.Line})
	}
	return out
}

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []kv
	}{
		{"empty", "", nil},
		{"only blanks", "  \t\f\n\n\r\n   ", nil},
		{"equals", "a=b", []kv{{"a", "b", 1}}},
		{"colon", "a:b", []kv{{"a", "b", 1}}},
		{"space", "a b", []kv{{"a", "b", 1}}},
		{"tab", "a\tb", []kv{{"a", "b", 1}}},
		{"form feed", "a\fb", []kv{{"a", "b", 1}}},
		{"spaces around separator", "a \t = \t b", []kv{{"a", "b", 1}}},
		{"second separator is value", "a = = b", []kv{{"a", "= b", 1}}},
		{"colon after space", "a : b", []kv{{"a", "b", 1}}},
		{"space then colon then equals", "a :=b", []kv{{"a", "=b", 1}}},
		{"leading whitespace", "   \t a=b", []kv{{"a", "b", 1}}},
		{"trailing whitespace kept", "a=b  \t", []kv{{"a", "b  \t", 1}}},
		{"key only", "key", []kv{{"key", "", 1}}},
		{"key with trailing space", "key   ", []kv{{"key", "", 1}}},
		{"empty value", "key=", []kv{{"key", "", 1}}},
		{"empty key", "=v", []kv{{"", "v", 1}}},
		{"hash comment", "# a=b\nc=d", []kv{{"c", "d", 2}}},
		{"bang comment", "! a=b\nc=d", []kv{{"c", "d", 2}}},
		{"indented comment", "   # a=b\nc=d", []kv{{"c", "d", 2}}},
		{"hash inside value", "a=b#c", []kv{{"a", "b#c", 1}}},
		{"comment not continued", "# x \\\na=b", []kv{{"a", "b", 2}}},
		{"continuation", "a=b\\\n   c", []kv{{"a", "bc", 1}}},
		{"continuation keeps inner space", "a=b \\\n   c", []kv{{"a", "b c", 1}}},
		{"double continuation", "a=b\\\n  \\\n  c\nd=e", []kv{{"a", "bc", 1}, {"d", "e", 4}}},
		{"even backslashes end the line", "a=b\\\\\nc=d", []kv{{"a", "b\\", 1}, {"c", "d", 2}}},
		{"triple backslash continues", "a=b\\\\\\\nc", []kv{{"a", "b\\c", 1}}},
		{"continuation at EOF", "a=b\\", []kv{{"a", "b", 1}}},
		{"continuation then EOF newline", "a=b\\\n", []kv{{"a", "b", 1}}},
		{"continuation then empty line", "a=b\\\n\nc=d", []kv{{"a", "b", 1}, {"c", "d", 3}}},
		{"continuation into comment-looking text", "a=b\\\n#c", []kv{{"a", "b#c", 1}}},
		{"empty continued line then comment", "\\\n#x\nb=1", []kv{{"b", "1", 3}}},
		{"lone backslash at EOF", "\\", []kv{{"", "", 1}}},
		{"whitespace after continuation at EOF", "\\\n   ", nil},
		{"crlf", "a=1\r\nb=2\r\n", []kv{{"a", "1", 1}, {"b", "2", 2}}},
		{"cr only", "a=1\rb=2\r\rc=3", []kv{{"a", "1", 1}, {"b", "2", 2}, {"c", "3", 4}}},
		{"continuation crlf", "a=1\\\r\n  2\r\nb=3", []kv{{"a", "12", 1}, {"b", "3", 3}}},
		{"continuation cr", "a=1\\\r  2\rb=3", []kv{{"a", "12", 1}, {"b", "3", 3}}},
		{"escaped separators in key", `a\=b\:c\ d=e`, []kv{{"a=b:c d", "e", 1}}},
		{"escaped separator in value", `a=b\=c\:d`, []kv{{"a", "b=c:d", 1}}},
		{"escapes", `a=\t\n\r\f\\\q`, []kv{{"a", "\t\n\r\f\\q", 1}}},
		{"escaped leading space in value", `a=\  b`, []kv{{"a", "  b", 1}}},
		{"unicode escape", `a=\u0041\u00e9\u00E9`, []kv{{"a", "Aéé", 1}}},
		{"unicode escape in key", `a\u0020b=c`, []kv{{"a b", "c", 1}}},
		{"surrogate pair", `a=\uD83D\uDE00`, []kv{{"a", "😀", 1}}},
		{"lone high surrogate", `a=\uD83Dx`, []kv{{"a", "\uFFFDx", 1}}},
		{"lone low surrogate", `a=\uDE00`, []kv{{"a", "\uFFFD", 1}}},
		{"escaped newline is not a line break", `a=\u000ab=c`, []kv{{"a", "\nb=c", 1}}},
		{"raw utf-8 kept", "k=héllo wörld", []kv{{"k", "héllo wörld", 1}}},
		{"later key wins and moves", "a=1\nb=2\na=3", []kv{{"b", "2", 2}, {"a", "3", 3}}},
		{"line numbers across continuation", "x=1\\\n2\ny=3", []kv{{"x", "12", 1}, {"y", "3", 3}}},
		{"line numbers after comments and blanks", "\n# c\n\n  \nk=v", []kv{{"k", "v", 5}}},
		{"server line", "server.1=zk1:2888:3888;2181", []kv{{"server.1", "zk1:2888:3888;2181", 1}}},
		{"ipv6 value with colons", "server.2=[::1]:2888:3888", []kv{{"server.2", "[::1]:2888:3888", 1}}},
		{"windows path", `dataDir=C:\\zk\\data`, []kv{{"dataDir", `C:\zk\data`, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseProperties(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ParseProperties(%q): %v", tt.in, err)
			}
			if got := entriesOf(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseProperties(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
			if p.Len() != len(tt.want) {
				t.Errorf("Len = %d, want %d", p.Len(), len(tt.want))
			}
		})
	}
}

func TestParsePropertiesErrors(t *testing.T) {
	tests := []struct {
		in   string
		line string
	}{
		{`a=\u12`, "line 1:"},
		{"x=1\n\na=\\u12zz", "line 3:"},
		{`a\u00=b`, "line 1:"},
		{"a=\\u", "line 1:"},
	}
	for _, tt := range tests {
		_, err := ParseProperties(strings.NewReader(tt.in))
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseProperties(%q) error = %v, want ErrSyntax", tt.in, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.line) {
			t.Errorf("ParseProperties(%q) error = %q, want prefix %q", tt.in, err, tt.line)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestParsePropertiesReadError(t *testing.T) {
	if _, err := ParseProperties(failingReader{}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("error = %v, want the reader's error", err)
	}
}

func TestPropertiesAccessors(t *testing.T) {
	p, err := ParseProperties(strings.NewReader("a=1\nb=2\n\nc=3\nb=4\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Keys(), []string{"a", "c", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Keys = %q, want %q", got, want)
	}
	if v, ok := p.Get("b"); !ok || v != "4" {
		t.Errorf("Get(b) = %q, %v", v, ok)
	}
	if _, ok := p.Get("zz"); ok {
		t.Error("Get(zz) found")
	}
	if p.Line("b") != 5 || p.Line("c") != 4 || p.Line("zz") != 0 {
		t.Errorf("Line: b=%d c=%d zz=%d", p.Line("b"), p.Line("c"), p.Line("zz"))
	}
	p.Set("a", "9")
	if got, want := p.Keys(), []string{"c", "b", "a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Keys after Set = %q, want %q", got, want)
	}
	if p.Line("a") != 0 {
		t.Errorf("Line(a) after Set = %d", p.Line("a"))
	}
	p.Delete("c")
	p.Delete("nope")
	if got, want := p.Keys(), []string{"b", "a"}; !reflect.DeepEqual(got, want) || p.Len() != 2 {
		t.Errorf("Keys after Delete = %q (len %d), want %q", got, p.Len(), want)
	}
}

func TestPropertiesZeroValueAndCompaction(t *testing.T) {
	var p Properties
	if _, ok := p.Get("a"); ok || p.Len() != 0 || len(p.Keys()) != 0 {
		t.Fatal("zero value not empty")
	}
	for i := 0; i < 1000; i++ {
		p.Set("a", strings.Repeat("x", i%7))
		p.Set("b", "1")
		p.Set("c", "2")
	}
	p.Delete("b")
	if got, want := p.Keys(), []string{"a", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Keys = %q, want %q", got, want)
	}
	if v, _ := p.Get("a"); v != strings.Repeat("x", 999%7) {
		t.Errorf("Get(a) = %q", v)
	}
	if len(p.entries) > 100 {
		t.Errorf("%d entries kept for %d keys", len(p.entries), p.Len())
	}
}

func TestStoreRoundTrip(t *testing.T) {
	p := NewProperties()
	for _, e := range [][2]string{
		{"plain", "value"},
		{"key with spaces", " leading and trailing "},
		{"sep=:chars", "a=b:c"},
		{"#comment-like", "!also"},
		{"back\\slash", "C:\\dir\\"},
		{"ctl", "\t\n\r\f\x01\x7f"},
		{"", "empty key"},
		{"empty value", ""},
		{"utf8 ключ", "значение 😀"},
		{"bad utf8", "\xff\xfe"},
	} {
		p.Set(e[0], e[1])
	}
	var buf bytes.Buffer
	if err := p.Store(&buf); err != nil {
		t.Fatal(err)
	}
	q, err := ParseProperties(&buf)
	if err != nil {
		t.Fatalf("re-parse of %q: %v", buf.String(), err)
	}
	if !reflect.DeepEqual(p.Keys(), q.Keys()) {
		t.Fatalf("keys %q, want %q", q.Keys(), p.Keys())
	}
	for _, k := range p.Keys() {
		a, _ := p.Get(k)
		b, _ := q.Get(k)
		if a != b {
			t.Errorf("key %q: %q after round trip, want %q", k, b, a)
		}
	}
}

func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{
		"", "a=b", "a b\nc:d", "# c\n! c\n", "a=b\\\n  c", "a=\\u0041", "a=\\u12",
		"a\\=b=c", "\\", "\\\n#x\nb=1", "a=1\r\nb=2\rc=3", "a=\\uD83D\\uDE00", "k=\xff",
		"server.1=zk1:2888:3888;2181\ntickTime=2000\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseProperties(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		keys := p.Keys()
		if len(keys) != p.Len() {
			t.Fatalf("Keys has %d keys, Len %d", len(keys), p.Len())
		}
		lines := strings.Count(in, "\n") + strings.Count(in, "\r") + 1
		for _, k := range keys {
			if _, ok := p.Get(k); !ok {
				t.Fatalf("key %q listed but not found", k)
			}
			if l := p.Line(k); l < 1 || l > lines {
				t.Fatalf("key %q has line %d, input has at most %d", k, l, lines)
			}
		}
		// Store writes text that parses back to the same keys and values.
		var buf bytes.Buffer
		if err := p.Store(&buf); err != nil {
			t.Fatal(err)
		}
		q, err := ParseProperties(&buf)
		if err != nil {
			t.Fatalf("re-parse of stored %q: %v", buf.String(), err)
		}
		if !reflect.DeepEqual(keys, q.Keys()) {
			t.Fatalf("stored keys %q, want %q (text %q)", q.Keys(), keys, buf.String())
		}
		for _, k := range keys {
			a, _ := p.Get(k)
			b, _ := q.Get(k)
			if a != b {
				t.Fatalf("key %q: %q after Store, want %q (text %q)", k, b, a, buf.String())
			}
		}
	})
}
