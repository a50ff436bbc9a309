package kafkacli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"

	"github.com/zkafka/zkafka/internal/config"
)

// props is an ordered set of Java-style properties: a later Set of a key
// replaces its value in place.
type props struct {
	keys []string
	vals map[string]string
}

func newProps() *props { return &props{vals: map[string]string{}} }

// Set sets k to v.
func (p *props) Set(k, v string) {
	if _, ok := p.vals[k]; !ok {
		p.keys = append(p.keys, k)
	}
	p.vals[k] = v
}

// Get returns k's value and whether it is set.
func (p *props) Get(k string) (string, bool) {
	v, ok := p.vals[k]
	return v, ok
}

// Has reports whether k is set.
func (p *props) Has(k string) bool {
	_, ok := p.vals[k]
	return ok
}

// addAll copies q's keys into p (q wins).
func (p *props) addAll(q *props) {
	for _, k := range q.keys {
		p.Set(k, q.vals[k])
	}
}

// parseKeyValueArgs is CommandLineUtils.parseKeyValueArgs: each "k=v"
// split at its first '='; a missing value is the empty string.
func parseKeyValueArgs(args []string) *props {
	p := newProps()
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		p.Set(k, v)
	}
	return p
}

// loadProps reads a Java properties file as Utils.loadProps does. A missing
// file fails with Java's FileNotFoundException text.
func loadProps(path string) (*props, error) {
	f, err := os.Open(path)
	if err != nil {
		msg := err.Error()
		switch {
		case errors.Is(err, fs.ErrNotExist):
			msg = path + " (No such file or directory)"
		case errors.Is(err, fs.ErrPermission):
			msg = path + " (Permission denied)"
		}
		return nil, &javaError{"java.io.FileNotFoundException", msg}
	}
	defer f.Close()
	parsed, err := config.ParseProperties(f)
	if err != nil {
		return nil, &javaError{"java.lang.IllegalArgumentException", fmt.Sprintf("%s: %v", path, err)}
	}
	p := newProps()
	for _, e := range parsed.Entries() {
		p.Set(e.Key, e.Value)
	}
	return p, nil
}

// hostPortPattern is Kafka's Utils.HOST_PORT_PATTERN.
var hostPortPattern = regexp.MustCompile(`^.*?\[?([0-9a-zA-Z\-%._:]*)\]?:([0-9]+)$`)

// validHostPort reports whether Kafka's Utils.getHost and getPort both
// find something in s.
func validHostPort(s string) bool { return hostPortPattern.MatchString(s) }

// parseBootstrap splits bootstrap.servers as Kafka's clients do and checks
// each address, failing with ConfigException's text.
func parseBootstrap(list string) ([]string, error) {
	var out []string
	for _, u := range strings.Split(list, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !validHostPort(u) {
			return nil, &javaError{"org.apache.kafka.common.config.ConfigException", "Invalid url in bootstrap.servers: " + u}
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, &javaError{"org.apache.kafka.common.config.ConfigException", "No resolvable bootstrap urls given in bootstrap.servers"}
	}
	return out, nil
}
