package zkclient

import (
	"errors"
	"fmt"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Sentinel errors. Calls that fail because of the server return an *Error
// wrapping a jute.Err instead; test those with errors.Is(err, jute.ErrNoNode).
var (
	// ErrClosed is returned (wrapped together with jute.ErrSessionExpired,
	// as the Java client reports it) by calls made after Close.
	ErrClosed = errors.New("zkclient: client closed")
	// ErrInvalidPath is matched by every *PathError.
	ErrInvalidPath = errors.New("zkclient: invalid path")
	// ErrBadConnectString means the connect string names no server or a
	// bad port.
	ErrBadConnectString = errors.New("zkclient: invalid connect string")
	// ErrBadTTL means a TTL is out of range for the create mode.
	ErrBadTTL = errors.New("zkclient: invalid ttl")
	// ErrProtocol means the server sent bytes that do not follow the
	// protocol (a frame too long, a reply to no request, a short record).
	ErrProtocol = errors.New("zkclient: protocol error")
)

// Error is a call that the server (or the connection) failed: the
// operation, the client's view of the path it named ("" for calls without
// one, where Java's KeeperException has a null path) and the code. It wraps
// the code, so errors.Is(err, jute.ErrNoNode) works.
type Error struct {
	Op   jute.OpCode
	Path string
	Code jute.Err
}

// Error implements error.
func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("zkclient: %v: %v", e.Op, e.Code)
	}
	return fmt.Sprintf("zkclient: %v %s: %v", e.Op, e.Path, e.Code)
}

// Unwrap returns the code.
func (e *Error) Unwrap() error { return e.Code }

// Code returns the ZooKeeper code of err: jute.ErrOK for nil, the wrapped
// jute.Err if there is one, jute.ErrSystemError otherwise.
func Code(err error) jute.Err {
	if err == nil {
		return jute.ErrOK
	}
	var c jute.Err
	if errors.As(err, &c) {
		return c
	}
	return jute.ErrSystemError
}

// PathError is a path that the client refuses before sending it, with the
// reason exactly as Java's PathUtils.validatePath words it.
type PathError struct {
	Path   string
	Reason string
}

// Error implements error.
func (e *PathError) Error() string { return "zkclient: invalid path: " + e.Reason }

// Is makes errors.Is(err, ErrInvalidPath) true.
func (e *PathError) Is(target error) bool { return target == ErrInvalidPath }
