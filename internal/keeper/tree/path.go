package tree

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// ValidatePath checks path by the rules of ZooKeeper's PathUtils.validatePath:
// it is not empty, starts with '/', does not end with '/' (unless it is "/"),
// has no empty, "." or ".." component and no forbidden character (NUL, the
// control characters U+0001–U+001F and U+007F–U+009F, U+D800–U+F8FF,
// U+FFF0–U+FFFF, and, because Java sees them as surrogate pairs, every
// character above U+FFFF; bytes that are not UTF-8 decode to U+FFFD, which is
// forbidden too). The error wraps [jute.ErrBadArguments], the code ZooKeeper
// answers with.
func ValidatePath(path string) error {
	if reason := pathProblem(path); reason != "" {
		return fmt.Errorf("invalid path %q: %s: %w", path, reason, jute.ErrBadArguments)
	}
	return nil
}

// pathProblem returns why path is invalid, or "" when it is valid.
func pathProblem(path string) string {
	if path == "" {
		return "path length must be > 0"
	}
	if path[0] != '/' {
		return "path must start with / character"
	}
	if len(path) == 1 {
		return ""
	}
	if path[len(path)-1] == '/' {
		return "path must not end with / character"
	}
	last := rune('/')
	for i := 1; i < len(path); {
		c, size := utf8.DecodeRuneInString(path[i:])
		switch {
		case c == 0:
			return fmt.Sprintf("null character not allowed @%d", i)
		case c == '/' && last == '/':
			return fmt.Sprintf("empty node name specified @%d", i)
		case c == '.' && last == '.':
			if path[i-2] == '/' && (i+1 == len(path) || path[i+1] == '/') {
				return fmt.Sprintf("relative paths not allowed @%d", i)
			}
		case c == '.':
			if path[i-1] == '/' && (i+1 == len(path) || path[i+1] == '/') {
				return fmt.Sprintf("relative paths not allowed @%d", i)
			}
		case c > 0 && c <= 0x1f, c >= 0x7f && c <= 0x9f, c >= 0xd800 && c <= 0xf8ff, c >= 0xfff0:
			return fmt.Sprintf("invalid character @%d", i)
		}
		last = c
		i += size
	}
	return ""
}

// The special znodes ZooKeeper creates itself; delete refuses them.
const (
	rootPath   = "/"
	procPath   = "/zookeeper"
	quotaPath  = "/zookeeper/quota"
	configPath = "/zookeeper/config"
)

func isSpecialPath(path string) bool {
	return path == rootPath || path == procPath || path == quotaPath || path == configPath
}

// splitPath splits path at its last '/' as ZooKeeper does
// (path.substring(0, lastSlash)): "/a/b" gives ("/a", "b"), "/a" gives ("",
// "a"). ok is false when path has no '/'.
func splitPath(path string) (parent, name string, ok bool) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", "", false
	}
	return path[:i], path[i+1:], true
}

// eventParent is the path ZooKeeper reports in a NodeChildrenChanged event
// for a child of parent ("" is the root).
func eventParent(parent string) string {
	if parent == "" {
		return rootPath
	}
	return parent
}

// asParent returns the path of the node at path as its children's parent
// path (what splitPath gives them): "" for the root, path otherwise.
func asParent(path string) string {
	if path == rootPath {
		return ""
	}
	return path
}

// appendNodePath appends to b the path of a node whose parent has the path
// parent, with name; root is true for the root node ("/").
func appendNodePath(b []byte, root bool, parent, name string) []byte {
	if root {
		return append(b, '/')
	}
	b = append(b, parent...)
	b = append(b, '/')
	return append(b, name...)
}

// utf16Len is the length of s in UTF-16 code units, Java's String.length().
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}

// javaTrimEmpty reports whether Java's String.trim() of s is empty: every
// character is at most U+0020.
func javaTrimEmpty(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > ' ' {
			return false
		}
	}
	return true
}

// javaSubstringFrom returns s.substring(n) in Java terms (n UTF-16 code
// units); ok is false when s is shorter than n units.
func javaSubstringFrom(s string, n int) (string, bool) {
	for i := 0; i < len(s); {
		if n == 0 {
			return s[i:], true
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= 0x10000 {
			n -= 2
		} else {
			n--
		}
		i += size
		if n < 0 {
			return "", false // the cut falls inside a surrogate pair
		}
	}
	if n == 0 {
		return "", true
	}
	return "", false
}
