package server

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// oneProcChildEnv marks the child process of TestOneProcWritesShareFsyncs.
const oneProcChildEnv = "ZKAFKA_ONE_PROC_CHILD"

// TestOneProcWritesShareFsyncs runs 64 sessions that each set their node
// again and again (one write in flight each, as zkafka bench zk) against a
// keeper with a single P (GOMAXPROCS=1), and checks that the group commit
// still groups: on average at least minWritesPerFsync writes share an
// fdatasync. GOMAXPROCS is process-wide, so the test runs itself again in
// a child process with GOMAXPROCS=1.
//
// With one P, writes once went each to a goroutine of its own, and the
// commit loop, readied by the first, synced it alone before the others
// ran: 1.6-5 writes per fdatasync, 4-8k sets/s. The event loops now propose
// the writes they read before the commit loop can run (30-50 per fdatasync
// here; BenchmarkRequests -cpu 1 shows the speed).
func TestOneProcWritesShareFsyncs(t *testing.T) {
	const sessions, writes, minWritesPerFsync = 64, 100, 8
	if os.Getenv(oneProcChildEnv) == "" {
		if testing.Short() {
			t.Skip("starts a process")
		}
		t.Parallel()
		cmd := exec.Command(os.Args[0], "-test.run=^TestOneProcWritesShareFsyncs$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), oneProcChildEnv+"=1", "GOMAXPROCS=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestOneProcWritesShareFsyncs") {
			t.Fatalf("child test process (GOMAXPROCS=1): %v\n%s", err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if _, msg, ok := strings.Cut(strings.TrimSpace(line), ": "); ok && strings.Contains(msg, "writes per fdatasync") {
				t.Log("GOMAXPROCS=1:", msg)
			}
		}
		return
	}
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Fatalf("child runs with GOMAXPROCS=%d, want 1", n)
	}
	s := testServer(t, nil)
	conns := make([]net.Conn, sessions)
	for i := range conns {
		conns[i] = newRawSession(t, s.Addr().String()).nc
		conns[i].SetDeadline(time.Now().Add(time.Minute))
		create := frame(request(1, jute.OpCreate, &jute.CreateRequest{Path: fmt.Sprintf("/w%d", i),
			ACL: []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}}))
		if err := roundTrip(conns[i], create); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	fsyncs := s.stats.fsyncs.Load()
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for i, nc := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			set := frame(request(2, jute.OpSetData, &jute.SetDataRequest{Path: fmt.Sprintf("/w%d", i), Data: make([]byte, 100), Version: -1}))
			for range writes {
				if err := roundTrip(nc, set); err != nil {
					errs <- fmt.Errorf("session %d: setData: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n := s.stats.fsyncs.Load() - fsyncs
	per := float64(sessions*writes) / float64(max(n, 1))
	t.Logf("%d writes, %d fdatasyncs: %.1f writes per fdatasync", sessions*writes, n, per)
	if per < minWritesPerFsync {
		t.Errorf("%.1f writes per fdatasync with one P and %d sessions, want at least %d", per, sessions, minWritesPerFsync)
	}
}

// roundTrip sends one request frame on nc and reads its reply, failing on
// a reply error.
func roundTrip(nc net.Conn, req []byte) error {
	if _, err := nc.Write(req); err != nil {
		return err
	}
	var buf [1024]byte
	for {
		if _, err := io.ReadFull(nc, buf[:4]); err != nil {
			return err
		}
		n := int(binary.BigEndian.Uint32(buf[:4]))
		if n > len(buf) || n < 16 {
			return fmt.Errorf("reply of %d bytes", n)
		}
		if _, err := io.ReadFull(nc, buf[:n]); err != nil {
			return err
		}
		if xid := int32(binary.BigEndian.Uint32(buf[:4])); xid == jute.XidNotification {
			continue
		}
		if e := int32(binary.BigEndian.Uint32(buf[12:16])); e != 0 {
			return fmt.Errorf("reply error %d", e)
		}
		return nil
	}
}
