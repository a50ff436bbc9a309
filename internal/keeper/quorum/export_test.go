package quorum

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
