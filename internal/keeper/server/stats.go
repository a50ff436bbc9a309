package server

import (
	"sync/atomic"
	"time"
)

// serverStats are the server-wide counters behind srvr, stat and mntr.
type serverStats struct {
	packetsReceived atomic.Int64
	packetsSent     atomic.Int64
	outstanding     atomic.Int64
	fsyncs          atomic.Int64
	expired         atomic.Int64
	minLatency      atomic.Int64 // ms, -1 before the first request
	maxLatency      atomic.Int64
	totalLatency    atomic.Int64
	count           atomic.Int64
}

func (st *serverStats) record(start time.Time) {
	ms := time.Since(start).Milliseconds()
	st.totalLatency.Add(ms)
	st.count.Add(1)
	for {
		cur := st.minLatency.Load()
		if cur >= 0 && cur <= ms || st.minLatency.CompareAndSwap(cur, ms) {
			break
		}
	}
	for {
		cur := st.maxLatency.Load()
		if cur >= ms || st.maxLatency.CompareAndSwap(cur, ms) {
			break
		}
	}
}

func (st *serverStats) reset() {
	st.packetsReceived.Store(0)
	st.packetsSent.Store(0)
	st.minLatency.Store(-1)
	st.maxLatency.Store(0)
	st.totalLatency.Store(0)
	st.count.Store(0)
}
