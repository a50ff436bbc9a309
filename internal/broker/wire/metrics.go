package wire

import (
	"sync/atomic"
	"time"
)

// metricKeys bounds the api keys counted individually; Kafka's keys are far
// below it.
const metricKeys = 256

// Metrics counts a server's traffic. All methods are safe for concurrent use;
// the zero value is ready. Several servers (listeners) may share one.
type Metrics struct {
	bytesIn        atomic.Int64
	bytesOut       atomic.Int64
	connsAccepted  atomic.Int64
	connsOpen      atomic.Int64
	protocolErrors atomic.Int64
	apis           [metricKeys]apiMetrics
}

type apiMetrics struct {
	requests     atomic.Int64
	latencyCount atomic.Int64
	latencyNanos atomic.Int64
	latencyMax   atomic.Int64
}

// APIStats is a snapshot of one api key's counters.
type APIStats struct {
	// Requests is the number of requests decoded (or answered by the
	// server itself, like an unsupported ApiVersions).
	Requests int64
	// Completed is the number of requests whose handling finished and
	// whose response, if any, was written.
	Completed int64
	// TotalLatency is the summed time from a request frame fully read to
	// its response written (or its handling done, without a response).
	TotalLatency time.Duration
	// MaxLatency is the largest such time seen.
	MaxLatency time.Duration
}

// MetricsSnapshot is a point-in-time copy of Metrics.
type MetricsSnapshot struct {
	// BytesIn counts request bytes read, size prefixes included.
	BytesIn int64
	// BytesOut counts response bytes written, size prefixes included.
	BytesOut int64
	// ConnectionsAccepted counts connections ever accepted.
	ConnectionsAccepted int64
	// ConnectionsOpen is the number of connections open now.
	ConnectionsOpen int64
	// ProtocolErrors counts connections closed for a bad frame, header or
	// body, an unknown api key or an unsupported version.
	ProtocolErrors int64
	// APIs holds the counters of every api key seen, by key.
	APIs map[int16]APIStats
}

// Snapshot copies the counters.
func (m *Metrics) Snapshot() MetricsSnapshot {
	s := MetricsSnapshot{
		BytesIn:             m.bytesIn.Load(),
		BytesOut:            m.bytesOut.Load(),
		ConnectionsAccepted: m.connsAccepted.Load(),
		ConnectionsOpen:     m.connsOpen.Load(),
		ProtocolErrors:      m.protocolErrors.Load(),
		APIs:                map[int16]APIStats{},
	}
	for k := range m.apis {
		a := &m.apis[k]
		if n := a.requests.Load(); n > 0 {
			s.APIs[int16(k)] = APIStats{
				Requests:     n,
				Completed:    a.latencyCount.Load(),
				TotalLatency: time.Duration(a.latencyNanos.Load()),
				MaxLatency:   time.Duration(a.latencyMax.Load()),
			}
		}
	}
	return s
}

// Requests returns how many requests of apiKey were received.
func (m *Metrics) Requests(apiKey int16) int64 {
	if a := m.api(apiKey); a != nil {
		return a.requests.Load()
	}
	return 0
}

// BytesIn returns the request bytes read.
func (m *Metrics) BytesIn() int64 { return m.bytesIn.Load() }

// BytesOut returns the response bytes written.
func (m *Metrics) BytesOut() int64 { return m.bytesOut.Load() }

func (m *Metrics) api(key int16) *apiMetrics {
	if key < 0 || int(key) >= metricKeys {
		return nil
	}
	return &m.apis[key]
}

func (m *Metrics) request(key int16) {
	if a := m.api(key); a != nil {
		a.requests.Add(1)
	}
}

func (m *Metrics) done(key int16, d time.Duration) {
	a := m.api(key)
	if a == nil {
		return
	}
	a.latencyCount.Add(1)
	a.latencyNanos.Add(int64(d))
	for {
		cur := a.latencyMax.Load()
		if int64(d) <= cur || a.latencyMax.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}
