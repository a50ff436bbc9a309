// Package zktest starts the reference Apache ZooKeeper server for
// differential tests. The server comes from the workspace's shared
// script, ../shared/tools/apache-zookeeper.sh relative to the repository
// root (Debian's zookeeper package, installed on first use); tests skip
// with a message when the script or java is missing.
package zktest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// ApacheCLI is where Debian's zookeeper package puts zkCli.sh.
const ApacheCLI = "/usr/share/zookeeper/bin/zkCli.sh"

// ErrNoRepoRoot means no go.mod was found above the working directory.
var ErrNoRepoRoot = errors.New("zktest: no go.mod above the working directory")

// RepoRoot returns the directory holding go.mod, searching upwards from the
// working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("zktest: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", ErrNoRepoRoot
		}
		dir = up
	}
}

// Script returns the path of apache-zookeeper.sh, or skips tb when the
// script or java is missing.
func Script(tb testing.TB) string {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Skipf("no reference ZooKeeper: %v", err)
	}
	script := filepath.Join(root, "..", "shared", "tools", "apache-zookeeper.sh")
	if _, err := os.Stat(script); err != nil {
		tb.Skipf("no reference ZooKeeper: %s is missing", script)
	}
	if _, err := exec.LookPath("java"); err != nil {
		tb.Skip("no reference ZooKeeper: java is not installed")
	}
	return script
}

// FreePort returns a TCP port that was free a moment ago on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("zktest: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Server is a running Apache ZooKeeper.
type Server struct {
	// Addr is its client address, 127.0.0.1:port.
	Addr string
	// Dir holds its configuration, data and log (server.out).
	Dir string
	pid int
}

// StartApache starts a standalone Apache ZooKeeper on a free port for the
// test and stops it when the test ends. It skips the test when the
// reference server is unavailable.
func StartApache(tb testing.TB) *Server {
	tb.Helper()
	script := Script(tb)
	var lastErr error
	for range 3 {
		port, err := FreePort()
		if err != nil {
			tb.Fatal(err)
		}
		dir := tb.TempDir()
		cmd := exec.Command("bash", script, strconv.Itoa(port), dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			lastErr = fmt.Errorf("%s %d: %w: %s", script, port, err, out.String())
			if pid, err := readPid(dir); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			continue
		}
		pid, err := readPid(dir)
		if err != nil {
			tb.Fatal(err)
		}
		s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Dir: dir, pid: pid}
		tb.Cleanup(s.Stop)
		if err := WaitServing(s.Addr, 30*time.Second); err != nil {
			tb.Fatal(err)
		}
		return s
	}
	tb.Fatalf("starting Apache ZooKeeper: %v", lastErr)
	return nil
}

func readPid(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		return 0, fmt.Errorf("zktest: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("zktest: pid file: %w", err)
	}
	return pid, nil
}

// ErrNotServing means a server answered no handshake in time.
var ErrNotServing = errors.New("zktest: server does not serve sessions")

// WaitServing waits until the server at addr opens sessions: "imok" comes
// before the server can, and a client connecting then is turned away.
func WaitServing(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if last = handshake(addr); last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%w: %s: %v", ErrNotServing, addr, last)
}

// handshake opens a session and closes it.
func handshake(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	var e jute.Encoder
	at := e.BeginFrame()
	(&jute.ConnectRequest{TimeOut: 5000, Passwd: make([]byte, 16)}).Encode(&e)
	e.EndFrame(at)
	at = e.BeginFrame()
	(&jute.RequestHeader{Xid: 1, Type: jute.OpCloseSession}).Encode(&e)
	e.EndFrame(at)
	if _, err := c.Write(e.Bytes()); err != nil {
		return err
	}
	var lb [4]byte
	if _, err := io.ReadFull(c, lb[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(lb[:])
	if n > 1024 {
		return fmt.Errorf("ConnectResponse of %d bytes", n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	var resp jute.ConnectResponse
	if err := jute.Decode(buf, &resp); err != nil {
		return err
	}
	if resp.TimeOut <= 0 {
		return fmt.Errorf("session refused")
	}
	return nil
}

// Stop kills the server and waits (up to 10 s) for it to exit.
func (s *Server) Stop() {
	if s.pid == 0 {
		return
	}
	syscall.Kill(s.pid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(s.pid, 0); err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	syscall.Kill(s.pid, syscall.SIGKILL)
	s.pid = 0
}
