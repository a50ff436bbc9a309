// Package session holds the keeper's session bookkeeping: the expiry
// tracker, session id generation and session timeout negotiation, with the
// same observable behaviour as ZooKeeper 3.9.
//
// The package is pure: it starts no goroutines, opens no sockets and never
// reads a clock. Every operation that depends on time takes the current time
// as an argument, so the server's loop decides what "now" is and tests are
// deterministic.
//
// # Expiry buckets
//
// Like ZooKeeper's ExpiryQueue, the [Tracker] does not keep one deadline per
// session. It rounds every deadline up to the next multiple of the tick
// interval and keeps one bucket per rounded deadline, so expiry is checked
// once per tick and a session that is touched repeatedly within one tick costs
// nothing after the first touch:
//
//	now+timeout ─────────────┐
//	                         ▼
//	   ──┬─────────┬─────────┬───────●─┬─────────┬──▶ time
//	     k·tick  (k+1)·tick  (k+2)·tick  (k+3)·tick
//	                                   ▲
//	                          bucket deadline (k+3)·tick
//
// The rounding is ZooKeeper's: deadline = (⌊(now+timeout)/tick⌋ + 1)·tick,
// so a value that already sits on a multiple of tick still moves to the next
// one. Multiples are counted from the first time the tracker is given
// (ZooKeeper likewise counts from the arbitrary origin of its elapsed-time
// clock).
//
// # Session ids
//
// [InitialID] reproduces ZooKeeper's SessionTrackerImpl.initializeNextSessionId:
//
//	 63      56 55                                      16 15            0
//	┌──────────┬──────────────────────────────────────────┬───────────────┐
//	│ serverID │ low 40 bits of the time in milliseconds   │ 0 (counter)   │
//	└──────────┴──────────────────────────────────────────┴───────────────┘
//
// and [Generator] hands out that id and its successors.
package session
