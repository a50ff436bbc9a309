package main

import (
	"log/slog"
	"os"
	"runtime"
)

// minProcs raises GOMAXPROCS to 2 when the runtime chose 1 (one CPU in the
// process's affinity mask or cgroup quota) and the operator did not set
// GOMAXPROCS.
//
// With a single P, a blocking system call holds the only P until sysmon
// takes it back, and the keeper's write path makes one per batch: the
// transaction log's fdatasync. Before the commit loop yielded ahead of its
// fdatasync (server.go, TestOneProcBatchesWrites) that collapsed group
// commit: 2-5 writes per fsync, 3-8k sets/s with a p50 of 8 ms at 64
// clients (found with ZKAFKA_TRACE: the event loop waited in the run queue
// while the commit loop synced). With the yield one P makes 31-35 writes
// per fsync; the second P is kept so that reads and the event loops run
// while an fdatasync blocks (a slow disk's milliseconds). It is not a second
// CPU: the blocked thread uses none.
func minProcs(logger *slog.Logger) {
	if os.Getenv("GOMAXPROCS") != "" || runtime.GOMAXPROCS(0) != 1 {
		return
	}
	runtime.GOMAXPROCS(2)
	logger.Info("GOMAXPROCS raised from 1 to 2: with one P the network is polled only when the P idles (set GOMAXPROCS to choose)")
}
