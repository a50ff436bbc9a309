package kafkacli

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestJavaHashMapOrder checks the HashMap model against orders printed by
// OpenJDK 17 (testdata/javamap_jdk17.txt: keys in put order | a
// `new HashMap<>()` filled with them | the describe-topics chain over the
// sorted keys).
func TestJavaHashMapOrder(t *testing.T) {
	f, err := os.Open("testdata/javamap_jdk17.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "|")
		if len(parts) != 3 {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		keys := strings.Fields(parts[0])
		if got, want := javaConfigOrder(keys), strings.Fields(parts[1]); !slices.Equal(got, want) {
			t.Errorf("config order of %v:\n got %v\nwant %v", keys, got, want)
		}
		sorted := slices.Clone(keys)
		slices.Sort(sorted)
		sorted = slices.Compact(sorted)
		if got, want := javaDescribeTopicsOrder(sorted), strings.Fields(parts[2]); !slices.Equal(got, want) {
			t.Errorf("describe order of %v:\n got %v\nwant %v", sorted, got, want)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no golden cases")
	}
}

func TestJavaStringHash(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int32
	}{
		{"", 0}, {"a", 97}, {"hello", 99162322}, {"segment.bytes", -2022974992}, {"😀", 1772899},
	} {
		if got := javaStringHash(tc.s); got != tc.want {
			t.Errorf("hash(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}
