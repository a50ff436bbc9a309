package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults of RestartOptions.
const (
	DefaultStopTimeout  = time.Minute
	DefaultStartTimeout = 5 * time.Minute
	DefaultPollInterval = 10 * time.Millisecond
	// probeAttemptTimeout bounds one probe; a server that accepts but does not answer
	// (still loading) makes the next attempt start at most this late.
	probeAttemptTimeout = 2 * time.Second
	// exitPoll is how often StopProcess looks whether the process is gone.
	exitPoll = 5 * time.Millisecond
)

// ErrStillRunning reports a process that did not exit within the stop timeout.
var ErrStillRunning = errors.New("bench: process still running")

// StopProcess sends SIGTERM to pid, which need not be our child (the servers are usually
// started detached), and waits until it has exited: /proc/<pid> is gone or the process is
// a zombie with no threads left. It returns ErrStillRunning when ctx ends first. A pid that does not exist is
// already stopped.
func StopProcess(ctx context.Context, pid int) error {
	if pid <= 0 {
		return fmt.Errorf("%w: pid %d", ErrInvalidOptions, pid)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("stop %d: %w", pid, err)
	}
	t := time.NewTicker(exitPoll)
	defer t.Stop()
	for !processExited(pid) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %d after SIGTERM: %w", ErrStillRunning, pid, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// processExited reports whether pid no longer runs: no /proc entry, or a zombie waiting
// for its parent.
func processExited(pid int) bool {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return true
	}
	return statusExited(string(status))
}

// statusExited reads a /proc/<pid>/status: the process has exited when it is a zombie
// (State Z or X) with no thread left but its leader. The leader of a multi-threaded
// process (a JVM) can show Z while its other threads still run and still hold the
// listening socket; that process has not exited yet.
func statusExited(status string) bool {
	zombie, threads := false, 0
	for line := range strings.SplitSeq(status, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "State":
			zombie = strings.HasPrefix(val, "Z") || strings.HasPrefix(val, "X")
		case "Threads":
			threads, _ = strconv.Atoi(val)
		}
	}
	return zombie && threads <= 1
}

// RestartOptions configures Restart.
type RestartOptions struct {
	// Server is the host:port probed with getData; Path the node read (it must exist).
	Server, Path string
	// Pid is the running server to stop first; 0 starts without stopping anything.
	Pid int
	// Command starts the server: argv, run without a shell. It may keep running (a
	// foreground server) or exit after detaching the server (a start script); either way
	// Restart leaves what it started running.
	Command []string
	// Env, when not nil, is the command's environment (default: inherited).
	Env []string
	// LogFile receives the command's stdout and stderr, appended; "" discards them.
	LogFile string
	// PidFile, when set, is where the command writes the server's pid (a start script that
	// detaches it); Restart reads it once the server serves. Otherwise the server is the
	// command's own process.
	PidFile string
	// StopTimeout bounds the wait for Pid to exit, StartTimeout the wait for the new
	// server to serve Path, PollInterval the pause between probes.
	StopTimeout, StartTimeout, PollInterval time.Duration
}

// RestartResult is what Restart measured.
type RestartResult struct {
	// Stop is how long Pid took to exit after SIGTERM (0 when nothing was stopped).
	Stop time.Duration
	// Serving is restart-to-serving: from starting Command to the first successful
	// getData of Path on a new session.
	Serving time.Duration
	// Pid is the new server's process id, RSS its resident set size when it began serving
	// (0 when it could not be read).
	Pid int
	RSS int64
}

// KV prints r as one line of key=value pairs, durations in seconds.
func (r *RestartResult) KV() string {
	return fmt.Sprintf("stop_s=%.3f serving_s=%.3f pid=%d rss_bytes=%d",
		r.Stop.Seconds(), r.Serving.Seconds(), r.Pid, r.RSS)
}

func (o RestartOptions) validate() (RestartOptions, error) {
	if len(splitHosts(o.Server)) != 1 {
		return o, fmt.Errorf("%w: server %q must be one host:port", ErrInvalidOptions, o.Server)
	}
	if !strings.HasPrefix(o.Path, "/") {
		return o, fmt.Errorf("%w: path %q is not absolute", ErrInvalidOptions, o.Path)
	}
	if len(o.Command) == 0 || o.Command[0] == "" {
		return o, fmt.Errorf("%w: no start command", ErrInvalidOptions)
	}
	if o.Pid < 0 {
		return o, fmt.Errorf("%w: pid %d", ErrInvalidOptions, o.Pid)
	}
	if o.StopTimeout == 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.StopTimeout < 0 || o.StartTimeout < 0 || o.PollInterval < 0 {
		return o, fmt.Errorf("%w: negative timeout or interval", ErrInvalidOptions)
	}
	return o, nil
}

// Restart stops the server o.Pid (SIGTERM, waiting for it to exit), starts o.Command and
// times how long it takes until a getData of o.Path answers on o.Server. The command runs
// in its own process group with stdin from /dev/null, so it neither holds the caller's
// output open nor receives the caller's terminal signals. Restart leaves it running; only
// when the server never serves does it send the command SIGTERM (a server a start script
// detached is then the caller's to stop, by its pid file). A goroutine reaps the command
// when it exits.
func Restart(ctx context.Context, o RestartOptions) (*RestartResult, error) {
	o, err := o.validate()
	if err != nil {
		return nil, err
	}
	res := &RestartResult{}
	if o.Pid > 0 {
		t0 := time.Now()
		sctx, cancel := context.WithTimeout(ctx, o.StopTimeout)
		err := StopProcess(sctx, o.Pid)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("restart: %w", err)
		}
		res.Stop = time.Since(t0)
	}
	if o.PidFile != "" {
		// A stale file from the previous run must not be mistaken for the new server.
		if err := os.Remove(o.PidFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("restart: %w", err)
		}
	}

	cmd := exec.Command(o.Command[0], o.Command[1:]...)
	cmd.Env = o.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if o.LogFile != "" {
		f, err := os.OpenFile(o.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("restart: %w", err)
		}
		defer f.Close() // the child holds its own descriptor
		cmd.Stdout, cmd.Stderr = f, f
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("restart: start %s: %w", o.Command[0], err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // ends when the command does, or with our process

	wctx, cancel := context.WithTimeout(ctx, o.StartTimeout)
	defer cancel()
	served := make(chan error, 1)
	var at time.Time
	go func() {
		var err error
		at, err = WaitServing(wctx, o.Server, o.Path, o.PollInterval, probeAttemptTimeout)
		served <- err
	}()
	for served != nil {
		select {
		case err := <-served:
			served = nil
			if err != nil {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				return nil, fmt.Errorf("restart: %w", err)
			}
		case err := <-exited:
			exited = nil
			if err != nil {
				cancel()
				<-served
				return nil, fmt.Errorf("restart: %s exited before serving: %w", o.Command[0], err)
			}
			// A start script that detached the server: keep probing.
		}
	}
	res.Serving = at.Sub(start)

	res.Pid = cmd.Process.Pid
	if o.PidFile != "" {
		pid, err := readPidFile(o.PidFile)
		if err != nil {
			return nil, fmt.Errorf("restart: %w", err)
		}
		res.Pid = pid
	}
	if rss, err := MemoryRSS(res.Pid); err == nil {
		res.RSS = rss
	}
	return res, nil
}

// readPidFile reads a file holding one process id.
func readPidFile(path string) (int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s: %q is not a pid", path, strings.TrimSpace(string(raw)))
	}
	return pid, nil
}
