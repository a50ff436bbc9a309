package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// startCPUProfile writes a CPU profile to path until the returned func is
// called. It is switched on by the ZKAFKA_CPUPROFILE environment variable,
// for performance work.
func startCPUProfile(path string) (func(), error) {
	return startRecording("cpu profile", path, pprof.StartCPUProfile, pprof.StopCPUProfile)
}

// startTrace writes a runtime execution trace (go tool trace) to path until
// the returned func is called. It is switched on by the ZKAFKA_TRACE
// environment variable, for scheduling work; keep the run short, a trace
// grows by megabytes a second under load.
func startTrace(path string) (func(), error) {
	return startRecording("trace", path, trace.Start, trace.Stop)
}

// startRecording creates path, starts a runtime recording into it and
// returns the func that stops it and closes the file.
func startRecording(what, path string, start func(io.Writer) error, stop func()) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return func() {
		stop()
		f.Close()
	}, nil
}
