package quorum

import "time"

// SetMaxHold sets how long a leader may hold proposals (maxHoldTime). For
// tests.
func SetMaxHold(cfg *Config, d time.Duration) { cfg.maxHold = d }

// BreakPeerConn closes tr's outbound stream connection to peer id, as a
// network blip would; the transport reconnects by itself. For tests.
func BreakPeerConn(tr *TCP, id uint64) bool {
	tr.mu.Lock()
	p := tr.peers[id]
	tr.mu.Unlock()
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return false
	}
	p.conn.Close()
	return true
}
