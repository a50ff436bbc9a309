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
// With a single P the servers' write path stalls. The most likely cause
// (the numbers match it; it is not proven): while the P is busy with one
// goroutine after another (event loops, the commit and apply loops, a
// blocking fdatasync holding the P), Go's scheduler polls the network
// only when it runs out of work, so under a steady write load new
// requests are noticed by sysmon's poll, every 10 ms. Measured on the
// benchmark machine with the keeper pinned to one CPU (taskset -c 1) and
// 64 clients doing setData from the other: 7,000–8,000 sets/s with a
// p50 of 8–9 ms after the first seconds with GOMAXPROCS=1, a steady
// 53,000–60,000 sets/s (p50 1.0 ms) with GOMAXPROCS=2. The second P is
// not a second CPU: it lets one P poll and serve the network while the
// other is in a system call or busy.
func minProcs(logger *slog.Logger) {
	if os.Getenv("GOMAXPROCS") != "" || runtime.GOMAXPROCS(0) != 1 {
		return
	}
	runtime.GOMAXPROCS(2)
	logger.Info("GOMAXPROCS raised from 1 to 2: with one P the network is polled only when the P idles (set GOMAXPROCS to choose)")
}
