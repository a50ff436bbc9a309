package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
)

// Server is one member of the ensemble, from a server.N line:
//
//	server.N=host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort]
type Server struct {
	// ID is N of server.N, the server's myid.
	ID int64
	// Host is the quorum host, without IPv6 brackets.
	Host string
	// QuorumPort is the port followers connect to the leader on.
	QuorumPort int
	// ElectionPort is the leader-election port.
	ElectionPort int
	// Observer is true for ":observer" members, false for participants.
	Observer bool
	// ClientHost is the client listen host of the ";clientHost:clientPort"
	// part, without IPv6 brackets; "" when only a port is given, meaning all
	// interfaces (ZooKeeper writes 0.0.0.0).
	ClientHost string
	// ClientPort is the client port of the ";..." part, or 0 when the line
	// has none.
	ClientPort int
}

// serverFormat is the expected shape of a server.N value, for errors.
const serverFormat = "host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort]"

// ParseServer parses the value of a server.N line for server id. Errors
// wrap ErrInvalid; they do not name the key (callers add it).
func ParseServer(id int64, value string) (Server, error) {
	s := Server{ID: id}
	value = trimJava(value)
	serverPart, clientPart, hasClient := strings.Cut(value, ";")
	if hasClient && strings.Contains(clientPart, ";") {
		return s, fmt.Errorf("%w: %q does not have the form %s", ErrInvalid, value, serverFormat)
	}
	if strings.Contains(serverPart, "|") {
		return s, fmt.Errorf("%w: %q lists several addresses (multiAddress), which zkafka does not support", ErrInvalid, value)
	}
	parts, err := hostAndPort(trimJava(serverPart))
	if err != nil {
		return s, fmt.Errorf("%w: %q: %s", ErrInvalid, value, err.Error())
	}
	if len(parts) < 3 || len(parts) > 4 {
		return s, fmt.Errorf("%w: %q does not have the form %s", ErrInvalid, value, serverFormat)
	}
	s.Host = parts[0]
	if s.Host == "" {
		return s, fmt.Errorf("%w: %q has an empty host", ErrInvalid, value)
	}
	if strings.ContainsFunc(s.Host, badHostRune) {
		// ZooKeeper would take it and fail to resolve it later.
		return s, fmt.Errorf("%w: %q: host %q contains white space or a control character", ErrInvalid, value, s.Host)
	}
	if s.QuorumPort, err = parsePort(parts[1]); err != nil {
		return s, fmt.Errorf("%w: %q: quorum port %s", ErrInvalid, value, err.Error())
	}
	if s.ElectionPort, err = parsePort(parts[2]); err != nil {
		return s, fmt.Errorf("%w: %q: election port %s", ErrInvalid, value, err.Error())
	}
	if s.QuorumPort == s.ElectionPort {
		return s, fmt.Errorf("%w: %q: quorum and election port must be different", ErrInvalid, value)
	}
	if len(parts) == 4 {
		switch strings.ToLower(trimJava(parts[3])) {
		case "observer":
			s.Observer = true
		case "participant":
		default:
			return s, fmt.Errorf("%w: %q: unrecognised peer type %q (want participant or observer)", ErrInvalid, value, parts[3])
		}
	}
	clientPart = trimJava(clientPart)
	if clientPart == "" {
		// ZooKeeper splits on ';' dropping trailing empty parts, so
		// "host:1:2;" has no client part.
		return s, nil
	}
	cp, err := hostAndPort(clientPart)
	if err != nil {
		return s, fmt.Errorf("%w: %q: client address: %s", ErrInvalid, value, err.Error())
	}
	if len(cp) == 0 || len(cp) > 2 {
		return s, fmt.Errorf("%w: %q does not have the form %s", ErrInvalid, value, serverFormat)
	}
	port, err := parsePort(cp[len(cp)-1])
	if err != nil {
		return s, fmt.Errorf("%w: %q: client port %s", ErrInvalid, value, err.Error())
	}
	if port == 0 {
		return s, fmt.Errorf("%w: %q: client port must be between 1 and 65535", ErrInvalid, value)
	}
	s.ClientPort = port
	if len(cp) == 2 {
		s.ClientHost = cp[0]
		if s.ClientHost == "" {
			return s, fmt.Errorf("%w: %q: empty client host", ErrInvalid, value)
		}
		if strings.ContainsFunc(s.ClientHost, badHostRune) {
			return s, fmt.Errorf("%w: %q: client host %q contains white space or a control character", ErrInvalid, value, s.ClientHost)
		}
	}
	return s, nil
}

// badHostRune reports a rune no host name or address has: white space, or
// a control character (Java's trim, which ZooKeeper applies, removes those
// at the ends, so such a host would not survive being written out again).
func badHostRune(r rune) bool { return r <= ' ' || r == 0x7f || unicode.IsSpace(r) }

// hostAndPort splits "host:a:b..." or "[v6host]:a:b..." into its parts the
// way ZooKeeper's ConfigUtils.getHostAndPort does, except that a ':' is
// required after ']' and trailing empty parts are dropped as Java's split
// drops them.
func hostAndPort(s string) ([]string, error) {
	if strings.HasPrefix(s, "[") {
		i := strings.IndexByte(s, ']')
		if i < 0 {
			return nil, fmt.Errorf("%q starts with '[' but has no matching ']'", s)
		}
		host := s[1:i]
		rest := s[i+1:]
		if rest == "" {
			return []string{host}, nil
		}
		if rest[0] != ':' {
			return nil, fmt.Errorf("%q: expected ':' after ']'", s)
		}
		if rest == ":" {
			return nil, fmt.Errorf("%q doesn't have a port after colon", s)
		}
		return append([]string{host}, javaSplit(rest[1:], ":")...), nil
	}
	return javaSplit(s, ":"), nil
}

// javaSplit splits like Java's String.split with a literal separator:
// trailing empty strings are removed (but "" gives [""]).
func javaSplit(s, sep string) []string {
	parts := strings.Split(s, sep)
	for len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 1 && parts[0] == "" && s != "" {
		// s consisted only of separators: Java gives an empty array.
		return nil
	}
	return parts
}

// parsePort parses a decimal port 0..65535.
func parsePort(s string) (int, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	if n < 0 || n > 65535 {
		return 0, fmt.Errorf("%d is out of range 0-65535", n)
	}
	return int(n), nil
}

// QuorumAddr returns host:quorumPort, suitable for net.Dial.
func (s Server) QuorumAddr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.QuorumPort))
}

// ElectionAddr returns host:electionPort, suitable for net.Dial.
func (s Server) ElectionAddr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.ElectionPort))
}

// ClientAddr returns the client listen address of the line's client part,
// suitable for net.Listen (":port" for all interfaces), or "" when the line
// has no client part.
func (s Server) ClientAddr() string {
	if s.ClientPort == 0 {
		return ""
	}
	return net.JoinHostPort(s.ClientHost, strconv.Itoa(s.ClientPort))
}

// String returns the value of the server.N line in ZooKeeper's canonical
// form, as the membership section of the conf command and the
// /zookeeper/config node show it:
// host:quorumPort:electionPort:participant|observer[;clientHost:clientPort].
func (s Server) String() string {
	var b strings.Builder
	b.WriteString(bracketHost(s.Host))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(s.QuorumPort))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(s.ElectionPort))
	if s.Observer {
		b.WriteString(":observer")
	} else {
		b.WriteString(":participant")
	}
	if s.ClientPort != 0 {
		host := s.ClientHost
		if host == "" {
			host = "0.0.0.0"
		}
		b.WriteByte(';')
		b.WriteString(bracketHost(host))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(s.ClientPort))
	}
	return b.String()
}

func bracketHost(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}
