package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkafka/zkafka/internal/keeper/jute"
)

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// testServer starts a server on 127.0.0.1:0 with its data in a temp dir.
func testServer(t testing.TB, mod func(*Options)) *Server {
	t.Helper()
	o := Options{
		ClientAddr:             "127.0.0.1:0",
		DataDir:                t.TempDir(),
		TickTime:               100 * time.Millisecond,
		FourLetterWords:        []string{"*"},
		ExtendedTypes:          true,
		ContainerCheckInterval: 100 * time.Millisecond,
	}
	if testing.Verbose() {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// connect opens a go-zookeeper session to s and waits until it is usable.
func connect(t *testing.T, s *Server) (*zk.Conn, <-chan zk.Event) {
	t.Helper()
	return connectAddr(t, s.Addr().String(), 4*time.Second)
}

func connectAddr(t *testing.T, addr string, timeout time.Duration) (*zk.Conn, <-chan zk.Event) {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, timeout, zk.WithLogger(nopLogger{}))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(10 * time.Second)
	for c.State() != zk.StateHasSession {
		select {
		case <-ev:
		case <-deadline:
			t.Fatalf("no session after 10s (state %v)", c.State())
		}
	}
	return c, ev
}

func waitEvent(t *testing.T, ch <-chan zk.Event) zk.Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event within 10s")
	}
	return zk.Event{}
}

var open = zk.WorldACL(zk.PermAll)

func TestCRUDAndStat(t *testing.T) { forEachKeeper(t, nil, testCRUDAndStat) }

func testCRUDAndStat(t *testing.T, s *Server) {
	c, _ := connect(t, s)

	p, err := c.Create("/a", []byte("one"), 0, open)
	if err != nil || p != "/a" {
		t.Fatalf("create: %q %v", p, err)
	}
	data, st, err := c.Get("/a")
	if err != nil || string(data) != "one" {
		t.Fatalf("get: %q %v", data, err)
	}
	if st.Version != 0 || st.DataLength != 3 || st.NumChildren != 0 || st.Czxid != st.Mzxid || st.Czxid == 0 || st.EphemeralOwner != 0 {
		t.Fatalf("stat after create: %+v", st)
	}
	st2, err := c.Set("/a", []byte("two!"), 0)
	if err != nil || st2.Version != 1 || st2.DataLength != 4 || st2.Mzxid <= st.Mzxid || st2.Czxid != st.Czxid {
		t.Fatalf("set: %+v %v", st2, err)
	}
	if _, err := c.Set("/a", []byte("x"), 0); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("set with stale version: %v", err)
	}
	if _, err := c.Create("/a/b", nil, 0, open); err != nil {
		t.Fatal(err)
	}
	_, st3, _ := c.Get("/a")
	if st3.NumChildren != 1 || st3.Cversion != 1 || st3.Pzxid <= st2.Mzxid {
		t.Fatalf("parent stat after child create: %+v", st3)
	}
	if err := c.Delete("/a", -1); !errors.Is(err, zk.ErrNotEmpty) {
		t.Fatalf("delete non-empty: %v", err)
	}
	kids, _, err := c.Children("/")
	if err != nil || strings.Join(kids, ",") != "a,zookeeper" {
		t.Fatalf("children of /: %v %v", kids, err)
	}
	if err := c.Delete("/a/b", 5); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("delete bad version: %v", err)
	}
	if err := c.Delete("/a/b", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("/a", -1); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := c.Exists("/a"); ok || err != nil {
		t.Fatalf("exists after delete: %v %v", ok, err)
	}
	if _, _, err := c.Get("/nope"); !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("get missing: %v", err)
	}
	if _, err := c.Create("/nope/child", nil, 0, open); !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("create under missing parent: %v", err)
	}
	if _, err := c.Create("/zookeeper", nil, 0, open); !errors.Is(err, zk.ErrNodeExists) {
		t.Fatalf("create existing: %v", err)
	}
	for _, p := range []string{"/zookeeper", "/zookeeper/quota", "/zookeeper/config"} {
		if ok, _, err := c.Exists(p); !ok || err != nil {
			t.Fatalf("%s should exist: %v", p, err)
		}
	}
}

func TestSequentialAndEphemeral(t *testing.T) { forEachKeeper(t, nil, testSequentialAndEphemeral) }

func testSequentialAndEphemeral(t *testing.T, s *Server) {
	c, _ := connect(t, s)
	if _, err := c.Create("/q", nil, 0, open); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		p, err := c.Create("/q/item-", nil, zk.FlagSequence, open)
		if want := fmt.Sprintf("/q/item-%010d", i); err != nil || p != want {
			t.Fatalf("sequential %d: %q %v, want %q", i, p, err, want)
		}
	}
	if err := c.Delete("/q/item-0000000002", -1); err != nil {
		t.Fatal(err)
	}
	// The counter continues after a delete, as Apache ZooKeeper's does
	// (checked against it: three creates, a delete, then 0000000003).
	p, err := c.Create("/q/item-", nil, zk.FlagSequence|zk.FlagEphemeral, open)
	if err != nil || p != "/q/item-0000000003" {
		t.Fatalf("after delete: %q %v", p, err)
	}
	_, st, _ := c.Get(p)
	if st.EphemeralOwner != c.SessionID() {
		t.Fatalf("ephemeralOwner %x, session %x", st.EphemeralOwner, c.SessionID())
	}
	if _, err := c.Create(p+"/child", nil, 0, open); !errors.Is(err, zk.ErrNoChildrenForEphemerals) {
		t.Fatalf("child of ephemeral: %v", err)
	}

	// Another session watches the ephemeral; closing the owner removes it.
	c2, _ := connect(t, s)
	ok, _, ch, err := c2.ExistsW(p)
	if err != nil || !ok {
		t.Fatalf("existsW: %v %v", ok, err)
	}
	c.Close()
	if e := waitEvent(t, ch); e.Type != zk.EventNodeDeleted || e.Path != p {
		t.Fatalf("event %+v", e)
	}
	if ok, _, _ := c2.Exists(p); ok {
		t.Fatal("ephemeral survived its session")
	}
}

func TestWatches(t *testing.T) { forEachKeeper(t, nil, testWatches) }

func testWatches(t *testing.T, s *Server) {
	c, _ := connect(t, s)
	w, _ := connect(t, s)

	ok, _, existsCh, err := w.ExistsW("/w")
	if err != nil || ok {
		t.Fatalf("existsW: %v %v", ok, err)
	}
	if _, err := c.Create("/w", []byte("0"), 0, open); err != nil {
		t.Fatal(err)
	}
	if e := waitEvent(t, existsCh); e.Type != zk.EventNodeCreated || e.Path != "/w" {
		t.Fatalf("exists watch: %+v", e)
	}
	_, _, dataCh, _ := w.GetW("/w")
	_, _, childCh, _ := w.ChildrenW("/w")
	if _, err := c.Set("/w", []byte("1"), -1); err != nil {
		t.Fatal(err)
	}
	if e := waitEvent(t, dataCh); e.Type != zk.EventNodeDataChanged || e.Path != "/w" {
		t.Fatalf("data watch: %+v", e)
	}
	if _, err := c.Create("/w/k", nil, 0, open); err != nil {
		t.Fatal(err)
	}
	if e := waitEvent(t, childCh); e.Type != zk.EventNodeChildrenChanged || e.Path != "/w" {
		t.Fatalf("child watch: %+v", e)
	}
	// One-shot: a second change fires nothing on the used watch; a new
	// watch set on the same connection sees the next change.
	_, _, dataCh2, _ := w.GetW("/w")
	if _, err := c.Set("/w", []byte("2"), -1); err != nil {
		t.Fatal(err)
	}
	if e := waitEvent(t, dataCh2); e.Type != zk.EventNodeDataChanged {
		t.Fatalf("second data watch: %+v", e)
	}
	select {
	case e, ok := <-dataCh:
		if ok {
			t.Fatalf("one-shot watch fired twice: %+v", e)
		}
	default:
	}
	// The session that made the change also gets the event before the reply.
	_, _, selfCh, _ := c.GetW("/w")
	if _, err := c.Set("/w", []byte("3"), -1); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-selfCh:
		if e.Type != zk.EventNodeDataChanged {
			t.Fatalf("self watch: %+v", e)
		}
	default:
		t.Fatal("the event did not arrive before the reply to the change")
	}
}

func TestMulti(t *testing.T) { forEachKeeper(t, nil, testMulti) }

func testMulti(t *testing.T, s *Server) {
	c, _ := connect(t, s)
	res, err := c.Multi(
		&zk.CreateRequest{Path: "/m", Data: []byte("x"), Acl: open},
		&zk.SetDataRequest{Path: "/m", Data: []byte("y"), Version: 0},
		&zk.CheckVersionRequest{Path: "/m", Version: 1},
		&zk.CreateRequest{Path: "/m/c", Acl: open},
	)
	if err != nil || len(res) != 4 || res[0].String != "/m" || res[1].Stat == nil || res[1].Stat.Version != 1 {
		t.Fatalf("multi: %+v %v", res, err)
	}
	// A failing multi changes nothing and reports per-op results.
	res, err = c.Multi(
		&zk.CreateRequest{Path: "/m2", Acl: open},
		&zk.DeleteRequest{Path: "/missing", Version: -1},
		&zk.SetDataRequest{Path: "/m", Data: []byte("z"), Version: -1},
	)
	if !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("failing multi error: %v", err)
	}
	if len(res) != 3 || res[0].Error != nil || !errors.Is(res[1].Error, zk.ErrNoNode) || !errors.Is(res[2].Error, zk.ErrAPIError) && res[2].Error == nil {
		t.Fatalf("failing multi results: %+v", res)
	}
	if ok, _, _ := c.Exists("/m2"); ok {
		t.Fatal("failed multi left /m2 behind")
	}
	if d, _, _ := c.Get("/m"); string(d) != "y" {
		t.Fatalf("failed multi changed /m to %q", d)
	}
}

func TestACL(t *testing.T) { forEachKeeper(t, nil, testACL) }

func testACL(t *testing.T, s *Server) {
	owner, _ := connect(t, s)
	if err := owner.AddAuth("digest", []byte("alice:secret")); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Create("/private", []byte("x"), 0, zk.DigestACL(zk.PermAll, "alice", "secret")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := owner.Get("/private"); err != nil {
		t.Fatalf("owner read: %v", err)
	}
	other, _ := connect(t, s)
	if _, _, err := other.Get("/private"); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("stranger read: %v", err)
	}
	if _, err := other.Set("/private", nil, -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("stranger write: %v", err)
	}
	// Like ZooKeeper 3.8+, getACL needs READ or ADMIN.
	if _, _, err := other.GetACL("/private"); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("stranger getACL: %v", err)
	}
	acl, _, err := owner.GetACL("/private")
	if err != nil || len(acl) != 1 || acl[0].Scheme != "digest" || !strings.HasPrefix(acl[0].ID, "alice:") {
		t.Fatalf("getACL: %+v %v", acl, err)
	}
	// The auth scheme stands for the creator's identities.
	if _, err := owner.Create("/mine", nil, 0, zk.AuthACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	acl, _, _ = owner.GetACL("/mine")
	if len(acl) != 1 || acl[0].Scheme != "digest" || acl[0].ID != DigestID("alice:secret") {
		t.Fatalf("auth ACL became %+v", acl)
	}
	if _, err := other.Create("/theirs", nil, 0, zk.AuthACL(zk.PermAll)); !errors.Is(err, zk.ErrInvalidACL) {
		t.Fatalf("auth ACL without identities: %v", err)
	}
	if _, err := owner.SetACL("/mine", open, 0); err != nil {
		t.Fatal(err)
	}
	if _, st, _ := owner.Get("/mine"); st.Aversion != 1 {
		t.Fatalf("aversion %d", st.Aversion)
	}
}

func TestSuperDigest(t *testing.T) {
	forEachKeeper(t, func(o *Options) { o.SuperDigest = DigestID("super:pw") }, testSuperDigest)
}

func testSuperDigest(t *testing.T, s *Server) {
	a, _ := connect(t, s)
	a.AddAuth("digest", []byte("alice:secret"))
	if _, err := a.Create("/locked", nil, 0, zk.DigestACL(zk.PermRead, "alice", "secret")); err != nil {
		t.Fatal(err)
	}
	root, _ := connect(t, s)
	root.AddAuth("digest", []byte("super:pw"))
	if _, err := root.Set("/locked", []byte("x"), -1); err != nil {
		t.Fatalf("superuser write: %v", err)
	}
}

func TestTTLAndContainer(t *testing.T) { forEachKeeper(t, nil, testTTLAndContainer) }

func testTTLAndContainer(t *testing.T, s *Server) {
	c, _ := connect(t, s)
	if _, err := c.CreateContainer("/box", nil, zk.FlagContainer, open); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/box/x", nil, 0, open); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("/box/x", -1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTTL("/ttl", nil, zk.FlagTTL, open, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		box, _, _ := c.Exists("/box")
		ttl, _, _ := c.Exists("/ttl")
		if !box && !ttl {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("container left: %v, ttl node left: %v", box, ttl)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRestartKeepsDataAndSessions(t *testing.T) {
	dir := t.TempDir()
	o := func(o *Options) { o.DataDir = dir; o.SnapCount = 20 }
	s := testServer(t, o)
	c, _ := connect(t, s)
	for i := 0; i < 50; i++ {
		if _, err := c.Create(fmt.Sprintf("/n%d", i), []byte{byte(i)}, 0, open); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Set("/n7", []byte("seven"), 0); err != nil {
		t.Fatal(err)
	}
	c.Close()
	s.Close()

	s2 := testServer(t, o)
	c2, _ := connect(t, s2)
	kids, _, _ := c2.Children("/")
	if len(kids) != 51 {
		t.Fatalf("after restart %d children", len(kids))
	}
	d, st, err := c2.Get("/n7")
	if err != nil || string(d) != "seven" || st.Version != 1 {
		t.Fatalf("/n7 after restart: %q %+v %v", d, st, err)
	}
	p, err := c2.Create("/n", nil, zk.FlagSequence, open)
	if err != nil || p != "/n0000000050" {
		t.Fatalf("sequence after restart: %q %v", p, err)
	}
}

// rawConnect performs the handshake by hand and returns the socket.
func rawConnect(t *testing.T, addr string, timeoutMs int32) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	req := connectFrame(0, timeoutMs)
	if _, err := nc.Write(req); err != nil {
		t.Fatal(err)
	}
	var lb [4]byte
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(nc, lb[:]); err != nil {
		t.Fatalf("connect response: %v", err)
	}
	resp := make([]byte, binary.BigEndian.Uint32(lb[:]))
	if _, err := io.ReadFull(nc, resp); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Time{})
	return nc
}

func TestBadFramesCloseOnlyThatConnection(t *testing.T) {
	forEachKeeper(t, func(o *Options) { o.MaxBuffer = 4096 }, testBadFramesCloseOnlyThatConnection)
}

func testBadFramesCloseOnlyThatConnection(t *testing.T, s *Server) {
	good, _ := connect(t, s)
	cases := []struct {
		name string
		send []byte
	}{
		{"oversized length", []byte{0x00, 0x10, 0x00, 0x00}},
		{"negative length", []byte{0xff, 0xff, 0xff, 0xf0}},
		{"truncated header", []byte{0, 0, 0, 2, 0, 1}},
		{"garbage create", append([]byte{0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 1}, 0x7f, 0xff, 0xff, 0xff)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nc := rawConnect(t, s.Addr().String(), 4000)
			nc.Write(tc.send)
			nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 64)
			for {
				_, err := nc.Read(buf)
				if err == io.EOF || errors.Is(err, net.ErrClosed) || err != nil && strings.Contains(err.Error(), "reset") {
					break
				}
				if err != nil {
					t.Fatalf("connection not closed: %v", err)
				}
			}
			if _, err := good.Create("/still-serving-"+strings.ReplaceAll(tc.name, " ", "-"), nil, 0, open); err != nil {
				t.Fatalf("other client affected: %v", err)
			}
		})
	}
}

func TestSessionExpiryRemovesEphemerals(t *testing.T) {
	forEachKeeper(t, nil, testSessionExpiryRemovesEphemerals)
}

func testSessionExpiryRemovesEphemerals(t *testing.T, s *Server) {
	watcher, _ := connect(t, s)
	nc := rawConnect(t, s.Addr().String(), 200)
	// create /eph as ephemeral over the raw connection (xid 1, op 1)
	body := []byte{}
	body = binary.BigEndian.AppendUint32(body, 1)
	body = binary.BigEndian.AppendUint32(body, 1)
	body = binary.BigEndian.AppendUint32(body, 4)
	body = append(body, "/eph"...)
	body = binary.BigEndian.AppendUint32(body, 0xffffffff) // null data
	body = binary.BigEndian.AppendUint32(body, 1)          // one ACL
	body = binary.BigEndian.AppendUint32(body, 31)
	body = binary.BigEndian.AppendUint32(body, 5)
	body = append(body, "world"...)
	body = binary.BigEndian.AppendUint32(body, 6)
	body = append(body, "anyone"...)
	body = binary.BigEndian.AppendUint32(body, 1) // ephemeral
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	nc.Write(append(frame, body...))
	var lb [4]byte
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(nc, lb[:]); err != nil {
		t.Fatal(err)
	}
	ok, _, ch, err := watcher.ExistsW("/eph")
	if err != nil || !ok {
		t.Fatalf("ephemeral not there: %v %v", ok, err)
	}
	// Stop talking: no pings, so the session expires after ~200ms.
	if e := waitEvent(t, ch); e.Type != zk.EventNodeDeleted {
		t.Fatalf("event %+v", e)
	}
}

func TestMaxClientCnxns(t *testing.T) {
	forEachKeeper(t, func(o *Options) { o.MaxClientCnxns = 2 }, testMaxClientCnxns)
}

func testMaxClientCnxns(t *testing.T, s *Server) {
	connect(t, s)
	connect(t, s)
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Read(make([]byte, 1)); err == nil {
		t.Fatal("third connection from one address was served")
	}
}

func TestFourLetterWords(t *testing.T) {
	forEachKeeper(t, func(o *Options) { o.FourLetterWords = []string{"ruok", "srvr"} }, testFourLetterWords)
}

func testFourLetterWords(t *testing.T, s *Server) {
	ask := func(cmd string) string {
		nc, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.Write([]byte(cmd))
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(nc)
		return string(b)
	}
	if got := ask("ruok"); got != "imok" {
		t.Fatalf("ruok: %q", got)
	}
	if got := ask("srvr"); !strings.Contains(got, "Mode: "+s.mode()+"\n") || !strings.Contains(got, "Node count: 5\n") {
		t.Fatalf("srvr: %q", got)
	}
	if got := ask("dump"); got != "dump is not executed because it is not in the whitelist.\n" {
		t.Fatalf("dump: %q", got)
	}
}

// TestEventsNeedReadPermission: as in ZooKeeper, a watcher that may not
// READ the changed node hears nothing of it.
func TestEventsNeedReadPermission(t *testing.T) { forEachKeeper(t, nil, testEventsNeedReadPermission) }

func testEventsNeedReadPermission(t *testing.T, s *Server) {
	owner, _ := connect(t, s)
	owner.AddAuth("digest", []byte("alice:secret"))
	stranger, _ := connect(t, s)
	_, _, hidden, err := stranger.ExistsW("/hidden")
	if err != nil {
		t.Fatal(err)
	}
	_, _, visible, err := stranger.ExistsW("/visible")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Create("/hidden", nil, 0, zk.DigestACL(zk.PermAll, "alice", "secret")); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Create("/visible", nil, 0, open); err != nil {
		t.Fatal(err)
	}
	// Events arrive in order: once /visible's is here, /hidden's would be too.
	if e := waitEvent(t, visible); e.Path != "/visible" {
		t.Fatalf("event %+v", e)
	}
	select {
	case e := <-hidden:
		t.Fatalf("event for a node the watcher may not read: %+v", e)
	default:
	}
}

// TestSessionSurvivesRestart: a client reconnects to the restarted server
// with its session id and password; its ephemeral node is still there.
func TestSessionSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := testServer(t, func(o *Options) { o.DataDir = dir; o.TickTime = 500 * time.Millisecond })
	addr := s.Addr().String()
	c, _ := connectAddr(t, addr, 10*time.Second)
	if _, err := c.Create("/mine", nil, zk.FlagEphemeral, open); err != nil {
		t.Fatal(err)
	}
	sid := c.SessionID()
	s.Close()
	s2 := testServer(t, func(o *Options) { o.DataDir = dir; o.ClientAddr = addr; o.TickTime = 500 * time.Millisecond })
	_ = s2
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, st, err := c.Exists("/mine")
		if err == nil {
			if !ok || st.EphemeralOwner != sid || c.SessionID() != sid {
				t.Fatalf("after restart: exists=%v owner=%x session=%x want %x", ok, st.EphemeralOwner, c.SessionID(), sid)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("client did not resume its session: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWrongPasswordRefused: resuming a session with a wrong password gets
// ZooKeeper's "expired" answer (timeout 0, session 0) and a closed socket.
func TestWrongPasswordRefused(t *testing.T) { forEachKeeper(t, nil, testWrongPasswordRefused) }

func testWrongPasswordRefused(t *testing.T, s *Server) {
	c, _ := connect(t, s)
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := jute.ConnectRequest{TimeOut: 4000, SessionID: c.SessionID(), Passwd: make([]byte, 16)}
	var e jute.Encoder
	at := e.BeginFrame()
	req.Encode(&e)
	e.EndFrame(at)
	nc.Write(e.Bytes())
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var lb [4]byte
	if _, err := io.ReadFull(nc, lb[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(lb[:]))
	if _, err := io.ReadFull(nc, body); err != nil {
		t.Fatal(err)
	}
	var resp jute.ConnectResponse
	if err := jute.Decode(body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.TimeOut != 0 || resp.SessionID != 0 {
		t.Fatalf("wrong password accepted: %+v", resp)
	}
	if _, err := nc.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection left open")
	}
	// The real owner is unaffected.
	if _, _, err := c.Get("/"); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotsAndAutopurge: snapshots are taken as the log grows,
// autopurge keeps the newest SnapRetainCount of them and the log they
// need, and a restart from what is left loses nothing.
func TestSnapshotsAndAutopurge(t *testing.T) {
	dir := t.TempDir()
	opts := func(o *Options) {
		o.DataDir = dir
		o.SnapCount = 20
		o.SnapRetainCount = 3
		o.PurgeInterval = 50 * time.Millisecond
	}
	s := testServer(t, opts)
	c, _ := connect(t, s)
	for i := 0; i < 400; i++ {
		if _, err := c.Create(fmt.Sprintf("/p%03d", i), []byte("x"), 0, open); err != nil {
			t.Fatal(err)
		}
	}
	snapDir := dir + "/snap"
	deadline := time.Now().Add(10 * time.Second)
	for {
		names, _ := os.ReadDir(snapDir)
		if n := len(names); n > 0 && n <= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("autopurge left %d snapshots", len(names))
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.Close()
	s.Close()
	s2 := testServer(t, opts)
	c2, _ := connect(t, s2)
	kids, _, err := c2.Children("/")
	if err != nil || len(kids) != 401 {
		t.Fatalf("after purge and restart: %d children, %v", len(kids), err)
	}
}

// TestIPACL: the ip scheme matches the client's address, with a mask.
func TestIPACL(t *testing.T) { forEachKeeper(t, nil, testIPACL) }

func testIPACL(t *testing.T, s *Server) {
	c, _ := connect(t, s)
	cases := []struct {
		path string
		id   string
		want error
	}{
		{"/ip-exact", "127.0.0.1", nil},
		{"/ip-mask", "127.0.0.0/8", nil},
		{"/ip-other", "10.1.2.3", zk.ErrNoAuth},
		{"/ip-othermask", "10.0.0.0/8", zk.ErrNoAuth},
	}
	for _, tc := range cases {
		acl := []zk.ACL{{Perms: zk.PermAll, Scheme: "ip", ID: tc.id}}
		if _, err := c.Create(tc.path, []byte("x"), 0, acl); err != nil {
			t.Fatalf("create %s: %v", tc.path, err)
		}
		if _, _, err := c.Get(tc.path); !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
			t.Errorf("get %s with ACL ip:%s: %v, want %v", tc.path, tc.id, err, tc.want)
		}
	}
	if _, err := c.Create("/ip-bad", nil, 0, []zk.ACL{{Perms: zk.PermAll, Scheme: "ip", ID: "not-an-ip"}}); !errors.Is(err, zk.ErrInvalidACL) {
		t.Fatalf("bad ip ACL: %v", err)
	}
}
