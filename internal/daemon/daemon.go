// Package daemon starts a zkafka server in the background and stops it, as
// zkServer.sh and kafka-server-start.sh -daemon / kafka-server-stop.sh do:
// the child runs detached in its own session with its output in a log file,
// and its pid is kept in a pid file.
package daemon

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sentinel errors.
var (
	// ErrNotRunning means the pid file is missing or names no live process.
	ErrNotRunning = errors.New("daemon: not running")
	// ErrStartFailed means the child exited or never became ready.
	ErrStartFailed = errors.New("daemon: failed to start")
)

// Spec describes a background process to start.
type Spec struct {
	// Args are the arguments to run this executable with.
	Args []string
	// LogFile receives the child's stdout and stderr (appended).
	LogFile string
	// PidFile is written with the child's pid.
	PidFile string
	// Ready is polled until it returns nil; then Start returns.
	Ready func() error
	// Timeout bounds the wait for Ready (default 30s).
	Timeout time.Duration
}

// Start runs the current executable with s.Args detached from the terminal
// and waits until s.Ready succeeds. It returns the child's pid.
func Start(s Spec) (int, error) {
	if s.Timeout <= 0 {
		s.Timeout = 30 * time.Second
	}
	if pid, err := ReadPid(s.PidFile); err == nil && Alive(pid) {
		return pid, fmt.Errorf("already running as process %d: %w", pid, os.ErrExist)
	}
	exe, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("daemon: finding own executable: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.LogFile), 0o755); err != nil {
		return 0, fmt.Errorf("daemon: log dir: %w", err)
	}
	logf, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("daemon: opening log %s: %w", s.LogFile, err)
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	cmd := exec.Command(exe, s.Args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("daemon: starting %s: %w", exe, err)
	}
	pid := cmd.Process.Pid
	if err := os.MkdirAll(filepath.Dir(s.PidFile), 0o755); err != nil {
		return pid, fmt.Errorf("daemon: pid dir: %w", err)
	}
	if err := os.WriteFile(s.PidFile, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return pid, fmt.Errorf("daemon: writing pid file %s: %w", s.PidFile, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(s.Timeout)
	for {
		select {
		case err := <-exited:
			os.Remove(s.PidFile)
			return pid, fmt.Errorf("process exited (%v); see %s: %w", err, s.LogFile, ErrStartFailed)
		case <-time.After(100 * time.Millisecond):
		}
		if s.Ready == nil || s.Ready() == nil {
			cmd.Process.Release()
			return pid, nil
		}
		if time.Now().After(deadline) {
			return pid, fmt.Errorf("not ready after %v; see %s: %w", s.Timeout, s.LogFile, ErrStartFailed)
		}
	}
}

// ReadPid reads a pid file.
func ReadPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("could not find file %s: %w", path, ErrNotRunning)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s holds %q: %w", path, strings.TrimSpace(string(b)), ErrNotRunning)
	}
	return pid, nil
}

// Alive reports whether a process with pid exists.
func Alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// Stop sends SIGTERM to the process in pidFile and waits up to timeout for
// it to exit, then removes the pid file.
func Stop(pidFile string, timeout time.Duration) (int, error) {
	pid, err := ReadPid(pidFile)
	if err != nil {
		return 0, err
	}
	if !Alive(pid) {
		os.Remove(pidFile)
		return pid, fmt.Errorf("process %d from %s: %w", pid, pidFile, ErrNotRunning)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return pid, fmt.Errorf("daemon: signalling %d: %w", pid, err)
	}
	deadline := time.Now().Add(timeout)
	for Alive(pid) && !zombie(pid) {
		if time.Now().After(deadline) {
			return pid, fmt.Errorf("daemon: process %d still running after %v", pid, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	os.Remove(pidFile)
	return pid, nil
}

// zombie reports whether pid has exited but not been reaped (its parent is
// not us, so only /proc tells).
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z'
	}
	return false
}
