package session

import (
	"math"
	"time"
)

// containerEphemeralOwner is ZooKeeper's EphemeralType.CONTAINER_EPHEMERAL_OWNER
// (Long.MIN_VALUE): the ephemeralOwner value that marks container nodes, which
// must never be handed out as a session id.
const containerEphemeralOwner = math.MinInt64

// InitialID returns the first session id a server with the given id hands
// out, computed bit for bit as ZooKeeper's
// SessionTrackerImpl.initializeNextSessionId: the time in milliseconds is
// shifted left 24 bits and then logically right 8 bits (keeping its low 40
// bits in bits 16–55), the server id is OR-ed in shifted left 56 bits, and the
// result is bumped by one if it equals the container-node owner marker
// math.MinInt64.
//
// ZooKeeper 3.9 feeds this from its elapsed-time clock (System.nanoTime in
// milliseconds, arbitrary origin); callers should pass wall-clock time so
// that ids stay unique across restarts. The layout is the same either way.
func InitialID(serverID int64, now time.Time) int64 {
	ms := now.UnixMilli()
	id := int64(uint64(ms<<24)>>8) | serverID<<56
	if id == containerEphemeralOwner {
		id++
	}
	return id
}

// Generator hands out successive session ids starting from [InitialID], as
// ZooKeeper's SessionTrackerImpl.createSession does with getAndIncrement.
//
// A Generator is not safe for concurrent use; the caller must serialise
// access.
type Generator struct {
	next int64
}

// NewGenerator returns a generator whose first id is InitialID(serverID, now).
func NewGenerator(serverID int64, now time.Time) *Generator {
	return &Generator{next: InitialID(serverID, now)}
}

// Next returns the next session id and advances the generator.
func (g *Generator) Next() int64 {
	id := g.next
	g.next++
	return id
}

// Peek returns the id the next call to [Generator.Next] will return.
func (g *Generator) Peek() int64 { return g.next }
