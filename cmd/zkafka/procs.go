package main

import (
	"log/slog"
	"os"
	"runtime"
)

// minProcs raises GOMAXPROCS to 2 when the runtime chose 1 (one CPU in the
// process's affinity mask or cgroup quota) and the operator did not set
// GOMAXPROCS. The broker (and `zkafka dev`, which runs a broker) call it;
// the keeper no longer does.
//
// It was added for the keeper, whose writes collapsed with a single P: the
// commit loop, readied by the first write of a burst, fdatasynced it alone
// while the other writes waited for the only P (2-5 writes per fsync, 3-8k
// sets/s at 64 clients; found with ZKAFKA_TRACE). Since the event loops
// propose the writes they read before the commit loop runs, and the commit
// loop yields before its fdatasync (TestOneProcBatchesWrites), one P is the
// keeper's best setting on one CPU: pinned to one core, 64 clients, get p99
// 0.6-1.0 ms at 1 P against 4.6-5.0 ms at 2 Ps, and 66-75k sets/s against
// 58-64k (docs/benchmarks.md, session 4). The broker's write path was never
// measured with one P, so it keeps the floor until someone does.
func minProcs(logger *slog.Logger) {
	if os.Getenv("GOMAXPROCS") != "" || runtime.GOMAXPROCS(0) != 1 {
		return
	}
	runtime.GOMAXPROCS(2)
	logger.Info("GOMAXPROCS raised from 1 to 2: with one P the network is polled only when the P idles (set GOMAXPROCS to choose)")
}
