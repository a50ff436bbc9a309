//go:build race

package wire

// raceEnabled: the race detector makes sync.Pool drop a random share of its
// Puts, so tests cannot count on a buffer given back being handed out again.
const raceEnabled = true
