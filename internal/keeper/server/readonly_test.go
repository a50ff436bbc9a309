package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/testkit/wait"
	"github.com/zkafka/zkafka/internal/zkclient"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// rawHandshake sends a ConnectRequest and returns the ConnectResponse, or
// nil when the server closed the connection without answering.
func rawHandshake(t *testing.T, addr string, req jute.ConnectRequest) *jute.ConnectResponse {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var e jute.Encoder
	at := e.BeginFrame()
	req.Encode(&e)
	e.EndFrame(at)
	if _, err := nc.Write(e.Bytes()); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var lenb [4]byte
	if _, err := io.ReadFull(nc, lenb[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
			strings.Contains(err.Error(), "reset") {
			return nil
		}
		t.Fatalf("handshake with %s: %v", addr, err)
	}
	body := make([]byte, binary.BigEndian.Uint32(lenb[:]))
	if _, err := io.ReadFull(nc, body); err != nil {
		t.Fatalf("handshake with %s: %v", addr, err)
	}
	var resp jute.ConnectResponse
	d := jute.NewDecoder(body)
	resp.Decode(d)
	if err := d.Err(); err != nil {
		t.Fatalf("connect response from %s (%x): %v", addr, body, err)
	}
	return &resp
}

func fourLetter(t *testing.T, addr, cmd string) string {
	t.Helper()
	out, err := zktest.FourLetter(addr, cmd)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkReadOnlyServer checks what a server that lost its quorum, with read-
// only mode on, answers (Apache ZooKeeper 3.8 with readonlymode.enabled and
// localSessionsEnabled answers the same): isro, srvr, mntr, a client that
// did not ask for read-only, a read-only session's reads and refused writes.
// node is a znode created before, with data "before"; serverID is the
// server's myid. It returns the read-only client.
func checkReadOnlyServer(t *testing.T, addr, node string, serverID int64) *zkclient.Client {
	t.Helper()
	wait.For(t, 30*time.Second, "the server to become read-only", func() bool {
		out, err := zktest.FourLetter(addr, "isro")
		return err == nil && out == "ro"
	})
	srvr := fourLetter(t, addr, "srvr")
	lines := strings.Split(srvr, "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "Zookeeper version: ") ||
		lines[1] != "READ-ONLY mode; serving only read-only clients" || !strings.Contains(srvr, "\nMode: read-only\n") {
		t.Fatalf("srvr of a read-only server:\n%s", srvr)
	}
	mntr := fourLetter(t, addr, "mntr")
	if !strings.Contains(mntr, "zk_server_state\tread-only\n") || strings.Contains(mntr, "zk_peer_state") {
		t.Fatalf("mntr of a read-only server:\n%s", mntr)
	}
	// A client that did not ask for read-only is refused: the connection
	// closes without a ConnectResponse.
	if resp := rawHandshake(t, addr, jute.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)}); resp != nil {
		t.Fatalf("a read-only server answered a read-write client: %+v", resp)
	}
	// A read-only client gets a local session, flagged read-only.
	resp := rawHandshake(t, addr, jute.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16), ReadOnly: true})
	if resp == nil || !resp.ReadOnly || resp.SessionID == 0 || resp.SessionID>>56 != serverID || resp.TimeOut <= 0 || len(resp.Passwd) != 16 {
		t.Fatalf("read-only handshake answered %+v", resp)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	c, err := zkclient.Connect(ctx, zkclient.Options{Servers: addr, ReadOnly: true, SessionTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if c.State() != zkclient.StateConnectedReadOnly {
		t.Fatalf("client state %v, want ConnectedReadOnly", c.State())
	}
	if data, _, err := c.GetData(ctx, node, false); err != nil || string(data) != "before" {
		t.Fatalf("read in read-only mode: %q %v", data, err)
	}
	if _, _, err := c.GetConfig(ctx, false); err != nil {
		t.Fatalf("getConfig in read-only mode: %v", err)
	}
	notRO := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, jute.ErrNotReadOnly) {
			t.Fatalf("%s in read-only mode: %v, want NotReadOnly", what, err)
		}
	}
	_, _, err = c.Create(ctx, node+"/child", nil, zkACL, 0, 0)
	notRO("create", err)
	_, err = c.SetData(ctx, node, []byte("x"), -1)
	notRO("setData", err)
	notRO("delete", c.Delete(ctx, node, -1))
	_, err = c.Sync(ctx, node)
	notRO("sync", err)
	_, err = c.Multi(ctx, zkclient.CheckOp(node, -1))
	notRO("multi", err)
	if data, _, err := c.GetData(ctx, node, false); err != nil || string(data) != "before" {
		t.Fatalf("read after refused writes: %q %v", data, err)
	}
	return c
}

var zkACL = []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}

// TestEnsembleReadOnlyMode: a member cut off from the quorum, with
// readonlymode.enabled, serves read-only clients from its tree; when the
// quorum is back it closes them and they come back read-write.
func TestEnsembleReadOnlyMode(t *testing.T) {
	te := newTestEnsemble(t, 3, func(o *Options) {
		o.Ensemble.ReadOnly = true
		o.Ensemble.ReadOnlyGrace = 300 * time.Millisecond
	})
	lead := te.waitLeader()
	m := te.follower(lead)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rw, err := zkclient.Connect(ctx, zkclient.Options{Servers: te.addr(m), SessionTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if _, _, err := rw.Create(ctx, "/ro", []byte("before"), zkACL, 0, 0); err != nil {
		t.Fatal(err)
	}
	if out := fourLetter(t, te.addr(m), "isro"); out != "rw" {
		t.Fatalf("isro with a quorum: %q", out)
	}
	globalID, globalPasswd := rw.SessionID(), rw.SessionPassword()
	var stopped []uint64
	for _, mem := range te.members {
		if mem.ID != m {
			te.stop(mem.ID)
			stopped = append(stopped, mem.ID)
		}
	}
	addr := te.addr(m)
	ro := checkReadOnlyServer(t, addr, "/ro", int64(m))
	roID := ro.SessionID()
	// zkafka only (Apache with localSessionsEnabled has no global session
	// here to compare with): a global session is not renewed read-only.
	if resp := rawHandshake(t, addr, jute.ConnectRequest{TimeOut: 10000, SessionID: globalID, Passwd: globalPasswd, ReadOnly: true}); resp != nil {
		t.Fatalf("a read-only server renewed a global session: %+v", resp)
	}
	if mntr := fourLetter(t, addr, "mntr"); !strings.Contains(mntr, "zk_local_sessions\t") || strings.Contains(mntr, "zk_local_sessions\t0\n") {
		t.Fatalf("mntr counts no local session:\n%s", mntr)
	}
	if cons := fourLetter(t, addr, "cons"); !strings.Contains(cons, fmt.Sprintf(",sid=0x%x,", uint64(roID))) {
		t.Fatalf("cons does not list the read-only session 0x%x:\n%s", uint64(roID), cons)
	}
	// The quorum comes back: the read-only connection is closed, the client
	// (which never saw a read-write server) gets a new read-write session.
	for _, id := range stopped {
		te.start(id)
	}
	te.waitLeader()
	wait.For(t, 30*time.Second, "the client to reconnect read-write", func() bool {
		return ro.State() == zkclient.StateConnected
	})
	if ro.SessionID() == roID {
		t.Fatalf("the read-only session id 0x%x was kept read-write", roID)
	}
	if _, _, err := ro.Create(ctx, "/ro/after", nil, zkACL, 0, 0); err != nil {
		t.Fatalf("write after the quorum came back: %v", err)
	}
	if out := fourLetter(t, addr, "isro"); out != "rw" {
		t.Fatalf("isro after the quorum came back: %q", out)
	}
	if srvr := fourLetter(t, addr, "srvr"); strings.Contains(srvr, "READ-ONLY") {
		t.Fatalf("srvr after the quorum came back:\n%s", srvr)
	}
}

// TestEnsembleReadOnlyDisabled: without readonlymode.enabled a member cut
// off from the quorum refuses read-only clients too, and isro is not in
// a whitelist that does not name it.
func TestEnsembleReadOnlyDisabled(t *testing.T) {
	te := newTestEnsemble(t, 3, func(o *Options) { o.FourLetterWords = []string{"srvr", "isro"} })
	lead := te.waitLeader()
	f := te.follower(lead)
	te.nw.Isolate(f)
	wait.For(t, 10*time.Second, "the isolated member to lose its leader", func() bool {
		return te.servers[f].ens.node.Status().Leader == 0
	})
	if resp := rawHandshake(t, te.addr(f), jute.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16), ReadOnly: true}); resp != nil {
		t.Fatalf("a member without read-only mode answered: %+v", resp)
	}
	if out := fourLetter(t, te.addr(f), "isro"); out != "rw" {
		t.Fatalf("isro: %q", out)
	}
}

// TestApacheReadOnlyMode runs checkReadOnlyServer against Apache ZooKeeper
// 3.8 (readonlymode.enabled, localSessionsEnabled: without local sessions
// its read-only server answers the handshake of a read-only client with a
// NotReadOnly reply header instead of a ConnectResponse, so no session is
// possible at all). Its server 1 is left alone by stopping 2 and 3.
func TestApacheReadOnlyMode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three JVMs")
	}
	e := zktest.StartApacheEnsembleEnv(t, 3, []string{
		"JAVA_OPTS=-Dreadonlymode.enabled=true", "ZOO_CFG_EXTRA=localSessionsEnabled=true"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := zkclient.Connect(ctx, zkclient.Options{Servers: e.Servers[0].Addr})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Create(ctx, "/ro", []byte("before"), zkACL, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sync(ctx, "/ro"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	e.Servers[1].Stop()
	e.Servers[2].Stop()
	checkReadOnlyServer(t, e.Servers[0].Addr, "/ro", 1)
}

// TestEnsembleReadOnlyPartition: a member partitioned from the majority
// serves read-only clients while the majority goes on writing; healed, it
// leaves read-only mode and its clients see the majority's writes.
func TestEnsembleReadOnlyPartition(t *testing.T) {
	te := newTestEnsemble(t, 3, func(o *Options) {
		o.Ensemble.ReadOnly = true
		o.Ensemble.ReadOnlyGrace = 300 * time.Millisecond
	})
	lead := te.waitLeader()
	f := te.follower(lead)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	maj, err := zkclient.Connect(ctx, zkclient.Options{Servers: te.addr(lead), SessionTimeout: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer maj.Close()
	if _, _, err := maj.Create(ctx, "/p", []byte("before"), zkACL, 0, 0); err != nil {
		t.Fatal(err)
	}
	wait.For(t, 10*time.Second, "the follower to apply /p", func() bool {
		s := te.servers[f]
		s.db.mu.RLock()
		defer s.db.mu.RUnlock()
		_, ok := s.db.tree.Exists("/p")
		return ok
	})
	te.nw.Isolate(f)
	ro := checkReadOnlyServer(t, te.addr(f), "/p", int64(f))
	if _, err := maj.SetData(ctx, "/p", []byte("majority"), -1); err != nil {
		t.Fatalf("the majority does not write while a member is read-only: %v", err)
	}
	if data, _, err := ro.GetData(ctx, "/p", false); err != nil || string(data) != "before" {
		t.Fatalf("read-only read during the partition: %q %v", data, err)
	}
	te.nw.Heal()
	wait.For(t, 30*time.Second, "the read-only client to come back read-write", func() bool {
		return ro.State() == zkclient.StateConnected
	})
	if _, err := ro.Sync(ctx, "/p"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := ro.GetData(ctx, "/p", false); err != nil || string(data) != "majority" {
		t.Fatalf("read after healing: %q %v", data, err)
	}
}
