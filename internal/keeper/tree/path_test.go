package tree

import (
	"errors"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func TestValidatePath(t *testing.T) {
	valid := []string{"/", "/a", "/a/b", "/a.b", "/.a", "/a.", "/...", "/a/...", "/a/..b", "/\u00e9", "/\u4e2d",
		"/a b", "/ ", "/\u00a0", "/\uffef", "/\ud7ff", "/zookeeper"}
	invalid := []string{"", "a", "a/b", "//", "/a/", "/a//b", "/.", "/..", "/a/.", "/a/..", "/./a", "/../a",
		"/a\x00", "/\x01", "/\x1f", "/\x7f", "/\u0080", "/\u009f", "/\ue000", "/\uf8ff",
		"/\ufff0", "/\uffff", "/\U0001F600", "/\xff", "/a\xc3", "/\ufffd"}
	for _, p := range valid {
		if err := ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v", p, err)
		}
	}
	for _, p := range invalid {
		err := ValidatePath(p)
		if err == nil {
			t.Errorf("ValidatePath(%q) accepted", p)
			continue
		}
		if !errors.Is(err, jute.ErrBadArguments) {
			t.Errorf("ValidatePath(%q) = %v, not BadArguments", p, err)
		}
	}
}

func TestAppendNodePath(t *testing.T) {
	for _, p := range []string{"/", "/a", "/a/b", "/a/b/c"} {
		parent, name, _ := splitPath(p)
		if got := string(appendNodePath([]byte("x"), p == rootPath, parent, name)); got != "x"+p {
			t.Errorf("appendNodePath(%q) = %q", p, got)
		}
		if p != rootPath && asParent(parent) != parent || asParent(p) != p && p != rootPath {
			t.Errorf("asParent of %q", p)
		}
	}
	if asParent(rootPath) != "" {
		t.Error("the root's children have the parent path \"\"")
	}
}

func TestUTF16Len(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "\u00e9": 1, "\u4e2d": 1, "\U0001F600": 2, "\xff": 1} {
		if got := utf16Len(s); got != want {
			t.Errorf("utf16Len(%q) = %d, want %d", s, got, want)
		}
	}
}
