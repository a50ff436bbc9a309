//go:build !linux

package server

// netLoop is the Linux event loop (net_loop_linux.go); elsewhere every
// connection keeps its reader goroutine.
type netLoop struct{}

// newNetLoops returns no loops: connections keep their reader goroutines.
func newNetLoops(*Server, int) ([]*netLoop, error) { return nil, nil }

func (*netLoop) run()           {}
func (*netLoop) stop()          {}
func (*netLoop) add(*conn) bool { return false }
func (*netLoop) remove(*conn)   {}

// shutdownSocket reports false: abort closes the connection instead.
func (*conn) shutdownSocket() bool { return false }
