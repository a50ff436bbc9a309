package quorum

import (
	"context"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestProbeVerdict: a probe reset during connect (a listener closing with the
// attempt in its queue: the process is exiting) is probed again, not taken
// for a partition; only a refusal says the peer is gone.
func TestProbeVerdict(t *testing.T) {
	dialErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	// A real refusal: a port nobody listens on any more.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, refused := net.Dial("tcp", addr)
	// A dial whose deadline passed.
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	_, timeout := (&net.Dialer{}).DialContext(ctx, "tcp", addr)

	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"accepted", nil, verdictAgain},
		{"reset during connect", dialErr(syscall.ECONNRESET), verdictAgain},
		{"refused", dialErr(syscall.ECONNREFUSED), verdictRefused},
		{"refused by a closed port", refused, verdictRefused},
		{"deadline passed", timeout, verdictNoAnswer},
		{"no route", dialErr(syscall.EHOSTUNREACH), verdictNoAnswer},
	} {
		if got := probeVerdict(tc.err); got != tc.want {
			t.Errorf("%s (%v): verdict %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}
