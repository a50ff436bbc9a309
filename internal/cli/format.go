package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/zkclient"
)

// This file formats what zkCli prints: stats, ACLs, data, error messages.

// javaDate formats milliseconds since the epoch as java.util.Date.toString
// does, in the local time zone: "Wed Nov 25 03:22:34 UTC 2026".
func javaDate(ms int64) string {
	return time.UnixMilli(ms).Format("Mon Jan 02 15:04:05 MST 2006")
}

// hex is Long.toHexString: two's complement, lower case, no padding.
func hex(v int64) string { return fmt.Sprintf("%x", uint64(v)) }

// statLines formats a stat as StatPrinter does.
func statLines(st jute.Stat) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cZxid = 0x%s\n", hex(st.Czxid))
	fmt.Fprintf(&b, "ctime = %s\n", javaDate(st.Ctime))
	fmt.Fprintf(&b, "mZxid = 0x%s\n", hex(st.Mzxid))
	fmt.Fprintf(&b, "mtime = %s\n", javaDate(st.Mtime))
	fmt.Fprintf(&b, "pZxid = 0x%s\n", hex(st.Pzxid))
	fmt.Fprintf(&b, "cversion = %d\n", st.Cversion)
	fmt.Fprintf(&b, "dataVersion = %d\n", st.Version)
	fmt.Fprintf(&b, "aclVersion = %d\n", st.Aversion)
	fmt.Fprintf(&b, "ephemeralOwner = 0x%s\n", hex(st.EphemeralOwner))
	fmt.Fprintf(&b, "dataLength = %d\n", st.DataLength)
	fmt.Fprintf(&b, "numChildren = %d\n", st.NumChildren)
	return b.String()
}

// permString is ZKUtil.getPermString: the letters c, d, r, w, a in that
// order.
func permString(perms int32) string {
	var b strings.Builder
	for _, p := range []struct {
		bit int32
		c   byte
	}{{jute.PermCreate, 'c'}, {jute.PermDelete, 'd'}, {jute.PermRead, 'r'}, {jute.PermWrite, 'w'}, {jute.PermAdmin, 'a'}} {
		if perms&p.bit != 0 {
			b.WriteByte(p.c)
		}
	}
	return b.String()
}

// csvString is jute's ToStringOutputArchive escaping of a ustring.
func csvString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case 0:
			b.WriteString("%00")
		case '\n':
			b.WriteString("%0A")
		case '\r':
			b.WriteString("%0D")
		case ',':
			b.WriteString("%2C")
		case '}':
			b.WriteString("%7D")
		case '%':
			b.WriteString("%25")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// aclLine formats one ACL entry as getAcl prints it: the Id record's
// toString (which ends with a newline), ": ", the permissions.
func aclLine(a jute.ACL) string {
	return csvString(a.ID.Scheme) + "," + csvString(a.ID.ID) + "\n: " + permString(a.Perms)
}

// parseACL is AclParser.parse: comma-separated scheme:id:perm entries; a
// malformed entry is reported on stderr and skipped, unknown permission
// letters are reported and ignored.
func parseACL(s string, errOut func(string)) []jute.ACL {
	acl := []jute.ACL{}
	for _, a := range javaSplit(s, ",") {
		first, last := strings.IndexByte(a, ':'), strings.LastIndexByte(a, ':')
		if first == -1 || first == last {
			errOut(a + " does not have the form scheme:id:perm")
			continue
		}
		var perms int32
		for _, c := range a[last+1:] {
			switch c {
			case 'r':
				perms |= jute.PermRead
			case 'w':
				perms |= jute.PermWrite
			case 'c':
				perms |= jute.PermCreate
			case 'd':
				perms |= jute.PermDelete
			case 'a':
				perms |= jute.PermAdmin
			default:
				errOut(fmt.Sprintf("Unknown perm type: %c", c))
			}
		}
		acl = append(acl, jute.ACL{Perms: perms, ID: jute.ID{Scheme: a[:first], ID: a[first+1 : last]}})
	}
	return acl
}

// javaSplit is String.split with a literal separator: trailing empty
// strings are removed (but a lone empty input stays).
func javaSplit(s, sep string) []string {
	parts := strings.Split(s, sep)
	if s == "" {
		return parts
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// javaString decodes UTF-8 as new String(bytes, UTF_8) does: each invalid
// byte becomes U+FFFD.
func javaString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var s strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		s.WriteRune(r)
		b = b[n:]
	}
	return s.String()
}

// hexDump is netty's ByteBufUtil.prettyHexDump, which zkCli's get -x
// prints.
func hexDump(data []byte) string {
	if len(data) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("         +-------------------------------------------------+\n" +
		"         |  0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f |\n" +
		"+--------+-------------------------------------------------+----------------+")
	for row := 0; row*16 < len(data); row++ {
		line := data[row*16 : min(len(data), row*16+16)]
		fmt.Fprintf(&b, "\n|%08x|", row*16)
		for _, c := range line {
			fmt.Fprintf(&b, " %02x", c)
		}
		b.WriteString(strings.Repeat("   ", 16-len(line)))
		b.WriteString(" |")
		for _, c := range line {
			if c <= 0x1f || c >= 0x7f {
				c = '.'
			}
			b.WriteByte(c)
		}
		b.WriteString(strings.Repeat(" ", 16-len(line)))
		b.WriteByte('|')
	}
	b.WriteString("\n+--------+-------------------------------------------------+----------------+")
	return b.String()
}

// codeMessage is KeeperException.getCodeMessage: its words for a code.
func codeMessage(code jute.Err) string {
	switch code {
	case jute.ErrOK:
		return "ok"
	case jute.ErrSystemError:
		return "SystemError"
	case jute.ErrRuntimeInconsistency:
		return "RuntimeInconsistency"
	case jute.ErrDataInconsistency:
		return "DataInconsistency"
	case jute.ErrConnectionLoss:
		return "ConnectionLoss"
	case jute.ErrMarshallingError:
		return "MarshallingError"
	case jute.ErrNewConfigNoQuorum:
		return "NewConfigNoQuorum"
	case jute.ErrReconfigInProgress:
		return "ReconfigInProgress"
	case jute.ErrUnimplemented:
		return "Unimplemented"
	case jute.ErrOperationTimeout:
		return "OperationTimeout"
	case jute.ErrBadArguments:
		return "BadArguments"
	case jute.ErrAPIError:
		return "APIError"
	case jute.ErrNoNode:
		return "NoNode"
	case jute.ErrNoAuth:
		return "NoAuth"
	case jute.ErrBadVersion:
		return "BadVersion"
	case jute.ErrNoChildrenForEphemerals:
		return "NoChildrenForEphemerals"
	case jute.ErrNodeExists:
		return "NodeExists"
	case jute.ErrInvalidACL:
		return "InvalidACL"
	case jute.ErrAuthFailed:
		return "AuthFailed"
	case jute.ErrNotEmpty:
		return "Directory not empty"
	case jute.ErrSessionExpired:
		return "Session expired"
	case jute.ErrInvalidCallback:
		return "Invalid callback"
	case jute.ErrSessionMoved:
		return "Session moved"
	case jute.ErrNotReadOnly:
		return "Not a read-only call"
	case jute.ErrEphemeralOnLocalSession:
		return "Ephemeral node on local session"
	case jute.ErrNoWatcher:
		return "No such watcher"
	case jute.ErrReconfigDisabled:
		return "Reconfig is disabled"
	case jute.ErrSessionClosedRequireSASL:
		return "Session closed because client failed to authenticate"
	case jute.ErrQuotaExceeded:
		return "Quota has exceeded"
	case jute.ErrThrottled:
		return "Op throttled due to high load"
	case jute.ErrUnknownSession:
		return "Unknown error UNKNOWNSESSION"
	case jute.ErrRequestTimeout:
		return "Unknown error REQUESTTIMEOUT"
	}
	return fmt.Sprintf("Unknown error %d", int32(code))
}

// keeperMessage is KeeperException.getMessage(): "KeeperErrorCode = NoNode
// for /a"; the path is left out when there is none.
func keeperMessage(code jute.Err, path string) string {
	m := codeMessage(code)
	if path == "" {
		return "KeeperErrorCode = " + m
	}
	return "KeeperErrorCode = " + m + " for " + path
}

// javaPath is how Java prints an exception's path: null when there is
// none.
func javaPath(p string) string {
	if p == "" {
		return "null"
	}
	return p
}

// wrapperMessage is CliWrapperException's message for a failed call.
func wrapperMessage(err error) string {
	var ze *zkclient.Error
	if !errors.As(err, &ze) {
		return err.Error()
	}
	p := javaPath(ze.Path)
	switch ze.Code {
	case jute.ErrNoNode:
		return "Node does not exist: " + p
	case jute.ErrNoChildrenForEphemerals:
		return "Ephemerals cannot have children: " + p
	case jute.ErrNodeExists:
		return "Node already exists: " + p
	case jute.ErrNotEmpty:
		return "Node not empty: " + p
	case jute.ErrNotReadOnly:
		return "Not a read-only call: " + p
	case jute.ErrInvalidACL:
		return "Acl is not valid : " + p
	case jute.ErrNoAuth:
		return "Insufficient permission : " + p
	case jute.ErrBadArguments:
		return "Arguments are not valid : " + p
	case jute.ErrBadVersion:
		return "version No is not valid : " + p
	case jute.ErrReconfigInProgress:
		return "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)"
	case jute.ErrNewConfigNoQuorum:
		return "No quorum of new config is connected and up-to-date with the leader of last commmitted config - " +
			"try invoking reconfiguration after new servers are connected and synced"
	case jute.ErrQuotaExceeded:
		return "Quota has exceeded : " + p
	}
	return keeperMessage(ze.Code, ze.Path)
}

// clientConfigString is ConfigUtils.getClientConfigStr: the config's
// version and the client addresses of its servers, "version host:port,...".
// A server line without a client port adds an empty entry, as in Java.
func clientConfigString(config string) string {
	version := ""
	var servers []string
	sc := bufio.NewScanner(strings.NewReader(config))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			continue
		}
		key, value := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
		if key == "version" {
			version = value
		}
		if !strings.HasPrefix(key, "server.") {
			continue
		}
		addr := ""
		if j := strings.IndexByte(value, ';'); j >= 0 {
			client := value[j+1:]
			if k := strings.LastIndexByte(client, ':'); k >= 0 {
				addr = client
			} else {
				addr = "0.0.0.0:" + client
			}
		}
		servers = append(servers, addr)
	}
	return version + " " + strings.Join(servers, ",")
}
