package zkclient

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode/utf16"
)

// DefaultPort is the port of a server named without one.
const DefaultPort = 2181

// ConnectString is a parsed ZooKeeper connect string:
// "host1:port1,host2:port2/chroot".
type ConnectString struct {
	// Servers are host:port addresses, in the order given.
	Servers []string
	// Chroot is the path every client path is relative to, or "" for none.
	Chroot string
}

// ParseConnectString parses a connect string as Java's ConnectStringParser
// does: everything from the first '/' is the chroot ("/" alone means none),
// hosts are separated by commas (blank entries are skipped), a host
// without a port gets DefaultPort and IPv6 literals go in brackets.
func ParseConnectString(s string) (ConnectString, error) {
	var cs ConnectString
	if i := strings.IndexByte(s, '/'); i >= 0 {
		chroot := s[i:]
		s = s[:i]
		if len(chroot) > 1 {
			if err := ValidatePath(chroot, false); err != nil {
				return cs, fmt.Errorf("chroot of %q: %w", s, err)
			}
			cs.Chroot = chroot
		}
	}
	for _, h := range strings.Split(s, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		host, port := h, DefaultPort
		if strings.HasPrefix(h, "[") {
			end := strings.IndexByte(h, ']')
			if end < 0 {
				return cs, fmt.Errorf("%q: missing ']': %w", h, ErrBadConnectString)
			}
			host = h[1:end]
			rest := h[end+1:]
			if rest != "" && rest != ":" {
				if rest[0] != ':' {
					return cs, fmt.Errorf("%q: %w", h, ErrBadConnectString)
				}
				p, err := strconv.Atoi(rest[1:])
				if err != nil {
					return cs, fmt.Errorf("port of %q: %w", h, ErrBadConnectString)
				}
				port = p
			}
		} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
			if i < len(h)-1 {
				p, err := strconv.Atoi(h[i+1:])
				if err != nil {
					return cs, fmt.Errorf("port of %q: %w", h, ErrBadConnectString)
				}
				port = p
			}
			host = h[:i]
		}
		if port < 0 || port > 65535 {
			return cs, fmt.Errorf("port of %q out of range: %w", h, ErrBadConnectString)
		}
		cs.Servers = append(cs.Servers, net.JoinHostPort(host, strconv.Itoa(port)))
	}
	if len(cs.Servers) == 0 {
		return cs, fmt.Errorf("%q names no server: %w", s, ErrBadConnectString)
	}
	return cs, nil
}

// ValidatePath checks a znode path as Java's PathUtils.validatePath does
// (with "1" appended when the node is to be sequential). Positions in the
// reasons count UTF-16 code units, as Java's do.
func ValidatePath(path string, sequential bool) error {
	check := path
	if sequential {
		check += "1"
	}
	if reason := pathProblem(check); reason != "" {
		return &PathError{Path: path, Reason: reason}
	}
	return nil
}

func pathProblem(path string) string {
	if len(path) == 0 {
		return "Path length must be > 0"
	}
	if path[0] != '/' {
		return "Path must start with / character"
	}
	if len(path) == 1 {
		return ""
	}
	if path[len(path)-1] == '/' {
		return "Path must not end with / character"
	}
	chars := utf16.Encode([]rune(path))
	reason := ""
	last := uint16('/')
	for i := 1; i < len(chars); last, i = chars[i], i+1 {
		c := chars[i]
		switch {
		case c == 0:
			reason = fmt.Sprintf("null character not allowed @%d", i)
		case c == '/' && last == '/':
			reason = fmt.Sprintf("empty node name specified @%d", i)
		case c == '.' && last == '.':
			if chars[i-2] == '/' && (i+1 == len(chars) || chars[i+1] == '/') {
				reason = fmt.Sprintf("relative paths not allowed @%d", i)
			}
		case c == '.':
			if chars[i-1] == '/' && (i+1 == len(chars) || chars[i+1] == '/') {
				reason = fmt.Sprintf("relative paths not allowed @%d", i)
			}
		case c > 0 && c <= 0x1f, c >= 0x7f && c <= 0x9f, c >= 0xd800 && c <= 0xf8ff, c >= 0xfff0:
			reason = fmt.Sprintf("invalid character @%d", i)
		}
		if reason != "" {
			return fmt.Sprintf("Invalid path string \"%s\" caused by %s", path, reason)
		}
	}
	return ""
}
