package session

import "time"

// NegotiateTimeout returns the session timeout the server grants for a
// client's requested timeout, as ZooKeeperServer.processConnectRequest does:
// a request below minTimeout is raised to it, then a value above maxTimeout
// is lowered to it (so maxTimeout wins if the two are inverted, which
// ZooKeeper's configuration rejects anyway).
func NegotiateTimeout(requested, minTimeout, maxTimeout time.Duration) time.Duration {
	if requested < minTimeout {
		requested = minTimeout
	}
	if requested > maxTimeout {
		requested = maxTimeout
	}
	return requested
}

// DefaultMinTimeout returns ZooKeeper's default minSessionTimeout for the
// given tick time: two ticks.
func DefaultMinTimeout(tick time.Duration) time.Duration { return 2 * tick }

// DefaultMaxTimeout returns ZooKeeper's default maxSessionTimeout for the
// given tick time: twenty ticks.
func DefaultMaxTimeout(tick time.Duration) time.Duration { return 20 * tick }
