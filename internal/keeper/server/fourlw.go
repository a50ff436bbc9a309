package server

import (
	"fmt"
	"strings"
)

// fourLetterWords lists every command ZooKeeper answers on the client port.
var fourLetterWords = map[string]bool{
	"ruok": true, "srvr": true, "stat": true, "mntr": true, "conf": true, "cons": true,
	"crst": true, "srst": true, "envi": true, "wchs": true, "wchc": true, "wchp": true,
	"dump": true, "isro": true, "dirs": true, "gtmk": true, "stmk": true,
}

func isFourLetterWord(s string) bool { return fourLetterWords[s] }

// allowed reports whether cmd is in the whitelist.
func (s *Server) allowed(cmd string) bool {
	for _, w := range s.opts.FourLetterWords {
		if w == "*" || w == cmd {
			return true
		}
	}
	return false
}

// fourLetterWord answers a four-letter word and closes the connection.
func (s *Server) fourLetterWord(c *conn, cmd string) {
	var out string
	if !s.allowed(cmd) {
		out = cmd + " is not executed because it is not in the whitelist.\n"
	} else {
		out = s.runCommand(cmd)
	}
	c.enqueue([]byte(out))
	c.finish()
	<-c.done
}

// runCommand produces a command's text output.
func (s *Server) runCommand(cmd string) string {
	var b strings.Builder
	switch cmd {
	case "ruok":
		return "imok"
	case "isro":
		return "rw"
	case "srvr", "stat":
		fmt.Fprintf(&b, "Zookeeper version: %s\n", Version)
		fmt.Fprintf(&b, "Latency min/avg/max: %d/%.4f/%d\n", max(s.stats.minLatency.Load(), 0), s.avgLatency(), s.stats.maxLatency.Load())
		fmt.Fprintf(&b, "Received: %d\nSent: %d\n", s.stats.packetsReceived.Load(), s.packetsSent())
		fmt.Fprintf(&b, "Connections: %d\nOutstanding: %d\n", s.connCount(), s.stats.outstanding.Load())
		fmt.Fprintf(&b, "Zxid: 0x%x\nMode: standalone\n", s.lastZxid())
		s.db.mu.RLock()
		fmt.Fprintf(&b, "Node count: %d\n", s.db.tree.NodeCount()+1) // ZooKeeper counts the root twice ("" and "/")
		s.db.mu.RUnlock()
		return b.String()
	}
	return ""
}

func (s *Server) avgLatency() float64 {
	n := s.stats.count.Load()
	if n == 0 {
		return 0
	}
	return float64(s.stats.totalLatency.Load()) / float64(n)
}

func (s *Server) packetsSent() int64 {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	n := s.stats.packetsSent.Load()
	for c := range s.conns {
		n += c.stats.packetsSent.Load()
	}
	return n
}

func (s *Server) connCount() int {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return len(s.conns)
}

// Version is the ZooKeeper version zkafka reports; clients and tools parse
// it, so it names the ZooKeeper release whose protocol zkafka speaks.
const Version = "3.9.3-zkafka, built on 2026-11-25 00:00 UTC"
