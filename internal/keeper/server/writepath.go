package server

// writePath is the write path's back end: it orders proposals, makes them
// durable, applies them to the tree (firing watches) and runs each
// proposal's done callback on the server that proposed it.
//
//   - standalone (this file): the commit loop of server.go — zxids from a
//     counter, the transaction log with one fsync per batch, made while
//     the apply loop applies and answers the batch before.
//   - ensemble (ensemble.go): a raft quorum (package quorum) — zxids from
//     the raft log, durable on a majority before any member applies.
type writePath interface {
	// submit hands a proposal to the write path. It may block briefly
	// (back-pressure) and drops the proposal when the server stops.
	submit(p *proposal)
	// run is the write path's goroutine, started by StartListener; it
	// returns when the server stops.
	run()
	// close releases the write path's storage once run has returned (or
	// was never started).
	close() error
}

// trySubmitter is a writePath that can take a proposal without blocking:
// an event loop proposes a write itself when trySubmit takes it, and hands
// the connection to a worker goroutine (which calls submit) only when it
// does not (back-pressure). A write path without it has every write
// proposed by a worker.
type trySubmitter interface {
	// trySubmit hands p to the write path if that needs no wait; it
	// reports whether it did.
	trySubmit(p *proposal) bool
}

// standaloneLog is the write path of a single server: server.go's commit
// loop over the transaction log.
type standaloneLog struct{ s *Server }

func (w standaloneLog) submit(p *proposal) {
	select {
	case w.s.proposals <- p:
	case <-w.s.ctx.Done():
	}
}

func (w standaloneLog) run() { w.s.commitLoop() }

func (w standaloneLog) close() error { return w.s.wal.Close() }

func (w standaloneLog) trySubmit(p *proposal) bool {
	select {
	case w.s.proposals <- p:
		return true
	default:
		return false
	}
}
