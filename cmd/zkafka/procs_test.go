package main

import (
	"log/slog"
	"os"
	"runtime"
	"testing"
)

// TestMinProcs: one P becomes two; any other count, or a GOMAXPROCS the
// operator set, is left alone.
func TestMinProcs(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" {
		t.Skip("GOMAXPROCS is set in the environment: minProcs leaves it alone by design")
	}
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	logger := slog.New(slog.DiscardHandler)
	minProcs(logger)
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Errorf("GOMAXPROCS after minProcs from 1 = %d, want 2", got)
	}
	runtime.GOMAXPROCS(3)
	minProcs(logger)
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Errorf("GOMAXPROCS after minProcs from 3 = %d, want 3", got)
	}
	t.Setenv("GOMAXPROCS", "1")
	runtime.GOMAXPROCS(1)
	minProcs(logger)
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("GOMAXPROCS=1 set by the operator became %d", got)
	}
}
