package zkclient

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/keeper/server"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// These tests drive every method of the client against Apache ZooKeeper,
// the reference the keeper must match.

func connectT(t *testing.T, servers string, ev *events) *Client {
	t.Helper()
	opts := Options{Servers: servers, SessionTimeout: 10 * time.Second, Logger: testLogger(t), OrderedEvents: true}
	if ev != nil {
		opts.Watcher = ev.watcher
	}
	c, err := Connect(ctxT(t), opts)
	if err != nil {
		t.Fatalf("connect %s: %v", servers, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func digest(user, password string) string {
	h := sha1.Sum([]byte(user + ":" + password))
	return user + ":" + base64.StdEncoding.EncodeToString(h[:])
}

func TestApacheOps(t *testing.T) {
	testOps(t, zktest.StartApache(t).Addr)
}

// TestKeeperOps runs the same checks against zkafka's keeper: the two
// servers must answer alike.
func TestKeeperOps(t *testing.T) {
	testOps(t, startKeeper(t))
}

func TestKeeperChrootReconnectExpiry(t *testing.T) {
	testChrootReconnectExpiry(t, startKeeper(t))
}

// startKeeper runs zkafka's keeper in-process with the settings of the
// Apache reference script (extended types on, containers swept each second).
func startKeeper(t *testing.T) string {
	t.Helper()
	s, err := server.New(server.Options{
		ClientAddr:             "127.0.0.1:0",
		DataDir:                t.TempDir(),
		TickTime:               2 * time.Second,
		ExtendedTypes:          true,
		FourLetterWords:        []string{"*"},
		ContainerCheckInterval: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr().String()
}

func testOps(t *testing.T, addr string) {
	srv := struct{ Addr string }{addr}
	ctx := ctxT(t)
	ev := newEvents()
	c := connectT(t, srv.Addr, ev)
	other := connectT(t, srv.Addr, nil)
	ev.waitFor(t, "connected", isEvent(EventNone, KeeperSyncConnected, ""))

	if c.State() != StateConnected || c.SessionID() == 0 || c.SessionTimeout() != 10*time.Second {
		t.Fatalf("state %v session 0x%x timeout %v", c.State(), c.SessionID(), c.SessionTimeout())
	}

	t.Run("create", func(t *testing.T) {
		p, st, err := c.Create(ctx, "/t", []byte("hello"), OpenACL(), jute.ModePersistent, 0)
		if err != nil || p != "/t" || st.DataLength != 5 || st.Version != 0 || st.Czxid == 0 {
			t.Fatalf("create /t = %q %+v %v", p, st, err)
		}
		_, _, err = c.Create(ctx, "/t", nil, OpenACL(), jute.ModePersistent, 0)
		wantCode(t, err, jute.ErrNodeExists)
		var ze *Error
		if !errors.As(err, &ze) || ze.Path != "/t" || ze.Op != jute.OpCreate2 {
			t.Fatalf("error %#v", err)
		}
		p, _, err = c.Create(ctx, "/t/s-", nil, OpenACL(), jute.ModePersistentSequential, 0)
		if err != nil || p != "/t/s-0000000000" {
			t.Fatalf("sequential: %q %v", p, err)
		}
		p, st, err = c.Create(ctx, "/t/e", nil, OpenACL(), jute.ModeEphemeral, 0)
		if err != nil || st.EphemeralOwner != c.SessionID() {
			t.Fatalf("ephemeral: %q %+v %v", p, st, err)
		}
		_, _, err = c.Create(ctx, "/t/e/x", nil, OpenACL(), jute.ModePersistent, 0)
		wantCode(t, err, jute.ErrNoChildrenForEphemerals)
		// Clients see ephemeralOwner 0 for containers and TTL nodes
		// (DataNode.getClientEphemeralOwner).
		p, st, err = c.Create(ctx, "/t/c", nil, OpenACL(), jute.ModeContainer, 0)
		if err != nil || st.EphemeralOwner != 0 {
			t.Fatalf("container: %q %+v %v", p, st, err)
		}
		p, st, err = c.Create(ctx, "/t/ttl", nil, OpenACL(), jute.ModePersistentWithTTL, 100000)
		if err != nil || st.EphemeralOwner != 0 {
			t.Fatalf("ttl: %q %+v %v", p, st, err)
		}
		if _, _, err := c.Create(ctx, "/t/ttl2", nil, OpenACL(), jute.ModePersistentWithTTL, 0); !errors.Is(err, ErrBadTTL) {
			t.Fatalf("ttl 0: %v", err)
		}
		if _, _, err := c.Create(ctx, "/t/x", nil, nil, jute.ModePersistent, 0); !errors.Is(err, jute.ErrInvalidACL) {
			t.Fatalf("nil acl: %v", err)
		}
		_, _, err = c.Create(ctx, "t", nil, OpenACL(), jute.ModePersistent, 0)
		var pe *PathError
		if !errors.As(err, &pe) || pe.Reason != "Path must start with / character" || !errors.Is(err, ErrInvalidPath) {
			t.Fatalf("bad path: %v", err)
		}
		_, _, err = c.Create(ctx, "/nope/x", nil, OpenACL(), jute.ModePersistent, 0)
		wantCode(t, err, jute.ErrNoNode)
	})

	t.Run("read and write", func(t *testing.T) {
		data, st, err := c.GetData(ctx, "/t", false)
		if err != nil || string(data) != "hello" || st.NumChildren != 4 {
			t.Fatalf("get /t = %q %+v %v", data, st, err)
		}
		st2, err := c.Exists(ctx, "/t", false)
		if err != nil || st2 == nil || *st2 != st {
			t.Fatalf("exists /t = %+v %v", st2, err)
		}
		if st, err := c.Exists(ctx, "/none", false); err != nil || st != nil {
			t.Fatalf("exists /none = %+v %v", st, err)
		}
		_, err = c.SetData(ctx, "/t", []byte("x"), 7)
		wantCode(t, err, jute.ErrBadVersion)
		st, err = c.SetData(ctx, "/t", []byte("x"), 0)
		if err != nil || st.Version != 1 || st.DataLength != 1 {
			t.Fatalf("set: %+v %v", st, err)
		}
		kids, st, err := c.GetChildren(ctx, "/t", false)
		slices.Sort(kids)
		if err != nil || !slices.Equal(kids, []string{"c", "e", "s-0000000000", "ttl"}) || st.NumChildren != 4 {
			t.Fatalf("children: %v %+v %v", kids, st, err)
		}
		n, err := c.GetAllChildrenNumber(ctx, "/t")
		if err != nil || n != 4 {
			t.Fatalf("all children: %d %v", n, err)
		}
		eph, err := c.GetEphemerals(ctx, "/t")
		if err != nil || !slices.Equal(eph, []string{"/t/e"}) {
			t.Fatalf("ephemerals: %v %v", eph, err)
		}
		if p, err := c.Sync(ctx, "/t"); err != nil || p != "/t" {
			t.Fatalf("sync: %q %v", p, err)
		}
		wantCode(t, c.Delete(ctx, "/t", -1), jute.ErrNotEmpty)
		wantCode(t, c.Delete(ctx, "/t/s-0000000000", 3), jute.ErrBadVersion)
		wantCode(t, c.Delete(ctx, "/t/s-0000000000", 0), jute.ErrOK)
		wantCode(t, c.Delete(ctx, "/t/s-0000000000", -1), jute.ErrNoNode)
		var resp jute.StringsResponse
		h, err := c.Raw(ctx, jute.OpGetChildren, &jute.PathWatchRequest{Path: "/t/c"}, &resp)
		if err != nil || h.Zxid == 0 || len(resp.Strings) != 0 {
			t.Fatalf("raw getChildren: %+v %+v %v", h, resp, err)
		}
		// The server checks the paths of writes only; a read of a bad path
		// finds no node.
		h, err = c.Raw(ctx, jute.OpGetData, &jute.PathWatchRequest{Path: "bad"}, &jute.GetDataResponse{})
		if h.Err != jute.ErrNoNode || !errors.Is(err, jute.ErrNoNode) {
			t.Fatalf("raw getData bad path: %+v %v", h, err)
		}
		h, err = c.Raw(ctx, jute.OpCreate2, &jute.CreateRequest{Path: "bad", ACL: OpenACL()}, &jute.Create2Response{})
		if h.Err != jute.ErrBadArguments || !errors.Is(err, jute.ErrBadArguments) {
			t.Fatalf("raw create bad path: %+v %v", h, err)
		}
	})

	t.Run("acl and auth", func(t *testing.T) {
		acl, _, err := c.GetACL(ctx, "/t")
		if err != nil || !slices.Equal(acl, OpenACL()) {
			t.Fatalf("getACL: %v %v", acl, err)
		}
		if _, _, err := c.Create(ctx, "/t/ro", nil, OpenACL(), jute.ModePersistent, 0); err != nil {
			t.Fatal(err)
		}
		ro := []jute.ACL{{Perms: jute.PermRead, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
		if _, err := c.SetACL(ctx, "/t/ro", ro, 5); !errors.Is(err, jute.ErrBadVersion) {
			t.Fatalf("setACL bad version: %v", err)
		}
		st, err := c.SetACL(ctx, "/t/ro", ro, 0)
		if err != nil || st.Aversion != 1 {
			t.Fatalf("setACL: %+v %v", st, err)
		}
		_, err = c.SetData(ctx, "/t/ro", []byte("x"), -1)
		wantCode(t, err, jute.ErrNoAuth)
		if _, err := c.SetACL(ctx, "/t/ro", nil, -1); !errors.Is(err, jute.ErrInvalidACL) {
			t.Fatalf("empty acl: %v", err)
		}

		ids, err := c.WhoAmI(ctx)
		if err != nil || len(ids) != 1 || ids[0].AuthScheme != "ip" || ids[0].User != "127.0.0.1" {
			t.Fatalf("whoAmI: %v %v", ids, err)
		}
		if err := c.AddAuth(ctx, "digest", []byte("u:p")); err != nil {
			t.Fatal(err)
		}
		ids, _ = c.WhoAmI(ctx)
		if len(ids) != 2 || ids[1] != (jute.ClientInfo{AuthScheme: "digest", User: "u"}) {
			t.Fatalf("whoAmI after addAuth: %v", ids)
		}
		mine := []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "auth", ID: ""}}}
		if _, _, err := c.Create(ctx, "/t/mine", []byte("s"), mine, jute.ModePersistent, 0); err != nil {
			t.Fatal(err)
		}
		acl, _, err = c.GetACL(ctx, "/t/mine")
		if err != nil || len(acl) != 1 || acl[0].ID != (jute.ID{Scheme: "digest", ID: digest("u", "p")}) {
			t.Fatalf("acl of /t/mine: %v %v", acl, err)
		}
		_, _, err = other.GetData(ctx, "/t/mine", false)
		wantCode(t, err, jute.ErrNoAuth)

		bad := newEvents()
		c3 := connectT(t, srv.Addr, bad)
		err = c3.AddAuth(ctx, "nosuchscheme", []byte("x"))
		wantCode(t, err, jute.ErrAuthFailed)
		bad.waitFor(t, "auth failed", isEvent(EventNone, KeeperAuthFailed, ""))
		if c3.State() != StateAuthFailed {
			t.Fatalf("state %v", c3.State())
		}
		_, _, err = c3.GetData(ctx, "/t", false)
		wantCode(t, err, jute.ErrAuthFailed)
	})

	t.Run("multi", func(t *testing.T) {
		res, err := c.Multi(ctx,
			CreateOp("/t/m", []byte("1"), OpenACL(), jute.ModePersistent, 0),
			CreateOp("/t/m/s", nil, OpenACL(), jute.ModePersistentSequential, 0),
			SetDataOp("/t/m", []byte("2"), 0),
			CheckOp("/t/m", 1),
			CreateOp("/t/m/d", nil, OpenACL(), jute.ModePersistent, 0),
			DeleteOp("/t/m/d", 0),
		)
		if err != nil || len(res) != 6 {
			t.Fatalf("multi: %v %v", res, err)
		}
		if p := res[1].Body.(*jute.PathRequest).Path; p != "/t/m/s0000000000" || res[1].Type != jute.OpCreate {
			t.Fatalf("multi sequential create: %q %v", p, res[1].Type)
		}
		if st := res[2].Body.(*jute.StatResponse).Stat; st.Version != 1 {
			t.Fatalf("multi setData stat %+v", st)
		}
		res, err = c.Multi(ctx,
			CreateOp("/t/m2", nil, OpenACL(), jute.ModePersistent, 0),
			CheckOp("/t/m", 7),
			DeleteOp("/t/m", -1),
		)
		wantCode(t, err, jute.ErrBadVersion)
		codes := []jute.Err{}
		for _, r := range res {
			codes = append(codes, r.Err)
		}
		if !slices.Equal(codes, []jute.Err{jute.ErrOK, jute.ErrBadVersion, jute.ErrRuntimeInconsistency}) {
			t.Fatalf("failed multi results %v", codes)
		}
		if st, _ := c.Exists(ctx, "/t/m2", false); st != nil {
			t.Fatal("failed multi created /t/m2")
		}
		res, err = c.MultiRead(ctx, GetDataOp("/t/m"), GetChildrenOp("/t/m"), GetDataOp("/t/none"))
		if err != nil || len(res) != 3 {
			t.Fatalf("multiRead: %v %v", res, err)
		}
		if d := res[0].Body.(*jute.GetDataResponse); string(d.Data) != "2" {
			t.Fatalf("multiRead getData %+v", d)
		}
		if k := res[1].Body.(*jute.StringsResponse); !slices.Equal(k.Strings, []string{"s0000000000"}) {
			t.Fatalf("multiRead getChildren %+v", k)
		}
		if res[2].Type != jute.OpError || res[2].Err != jute.ErrNoNode {
			t.Fatalf("multiRead missing node %+v", res[2])
		}
		if res, err := c.Multi(ctx); err != nil || res != nil {
			t.Fatalf("empty multi: %v %v", res, err)
		}
	})

	t.Run("watches", func(t *testing.T) {
		ev.take()
		if _, _, err := c.GetData(ctx, "/t", true); err != nil {
			t.Fatal(err)
		}
		if st, err := c.Exists(ctx, "/t/w", true); err != nil || st != nil {
			t.Fatal(st, err)
		}
		if _, _, err := c.GetChildren(ctx, "/t", true); err != nil {
			t.Fatal(err)
		}
		wantCode(t, c.CheckWatches(ctx, "/t", WatcherData), jute.ErrOK)
		wantCode(t, c.CheckWatches(ctx, "/t/c", WatcherData), jute.ErrNoWatcher)

		other.SetData(ctx, "/t", []byte("y"), -1)
		// ZooKeeper 3.8 sends notifications with zxid -1; 3.9 sends the
		// transaction's.
		ev.waitFor(t, "data changed", isEvent(EventNodeDataChanged, KeeperSyncConnected, "/t"))
		other.Create(ctx, "/t/w", nil, OpenACL(), jute.ModePersistent, 0)
		ev.waitFor(t, "created", isEvent(EventNodeCreated, KeeperSyncConnected, "/t/w"))
		ev.waitFor(t, "children", isEvent(EventNodeChildrenChanged, KeeperSyncConnected, "/t"))
		// One-shot watches fired once.
		other.SetData(ctx, "/t", []byte("z"), -1)
		other.Sync(ctx, "/t")
		c.Sync(ctx, "/t")
		if got := ev.take(); len(got) != 0 {
			t.Fatalf("unexpected events %v", got)
		}

		wantCode(t, c.AddWatch(ctx, "/t/w", AddWatchPersistentRecursive), jute.ErrOK)
		other.Create(ctx, "/t/w/a", nil, OpenACL(), jute.ModePersistent, 0)
		ev.waitFor(t, "recursive created", isEvent(EventNodeCreated, KeeperSyncConnected, "/t/w/a"))
		other.SetData(ctx, "/t/w/a", []byte("1"), -1)
		ev.waitFor(t, "recursive changed", isEvent(EventNodeDataChanged, KeeperSyncConnected, "/t/w/a"))
		other.Delete(ctx, "/t/w/a", -1)
		ev.waitFor(t, "recursive deleted", isEvent(EventNodeDeleted, KeeperSyncConnected, "/t/w/a"))
		wantCode(t, c.RemoveWatches(ctx, "/t/w", WatcherData, false), jute.ErrNoWatcher)
		// Removing persistent watches by their own type is new in 3.9;
		// older servers fail it with MarshallingError.
		err := c.RemoveWatches(ctx, "/t/w", WatcherPersistentRecursive, false)
		if errors.Is(err, jute.ErrMarshallingError) {
			t.Log("server predates 3.9: removing with WatcherAny")
			err = c.RemoveWatches(ctx, "/t/w", WatcherAny, false)
		}
		wantCode(t, err, jute.ErrOK)
		ev.waitFor(t, "removed", isEvent(EventPersistentWatchRemoved, KeeperSyncConnected, "/t/w"))
		wantCode(t, c.RemoveWatches(ctx, "/t/w", WatcherAny, false), jute.ErrNoWatcher)

		wantCode(t, c.AddWatch(ctx, "/t/w", AddWatchPersistent), jute.ErrOK)
		if _, _, err := c.GetData(ctx, "/t/w", true); err != nil {
			t.Fatal(err)
		}
		other.SetData(ctx, "/t/w", []byte("1"), -1)
		ev.waitFor(t, "persistent", isEvent(EventNodeDataChanged, KeeperSyncConnected, "/t/w"))
		wantCode(t, c.RemoveWatches(ctx, "/t/w", WatcherAny, false), jute.ErrOK)
		ev.waitFor(t, "persistent removed", isEvent(EventPersistentWatchRemoved, KeeperSyncConnected, "/t/w"))
		if got := ev.take(); len(got) != 0 {
			t.Fatalf("unexpected events %v", got)
		}
		if _, _, err := c.GetConfig(ctx, false); err != nil {
			t.Fatalf("getConfig: %v", err)
		}
	})

	t.Run("reconfig", func(t *testing.T) {
		_, _, err := c.Reconfig(ctx, "server.2=127.0.0.1:2888:3888;2182", "", "", -1)
		wantCode(t, err, jute.ErrReconfigDisabled)
	})

	t.Run("close", func(t *testing.T) {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		ev.waitFor(t, "closed", isEvent(EventNone, KeeperClosed, ""))
		_, _, err := c.GetData(ctx, "/t", false)
		if !errors.Is(err, ErrClosed) || !errors.Is(err, jute.ErrSessionExpired) {
			t.Fatalf("after close: %v", err)
		}
		if st, err := other.Exists(ctx, "/t/e", false); err != nil || st != nil {
			t.Fatalf("ephemeral after close: %+v %v", st, err)
		}
		c.Close()
	})
}

func TestApacheChrootReconnectExpiry(t *testing.T) {
	testChrootReconnectExpiry(t, zktest.StartApache(t).Addr)
}

func testChrootReconnectExpiry(t *testing.T, addr string) {
	srv := struct{ Addr string }{addr}
	ctx := ctxT(t)
	admin := connectT(t, srv.Addr, nil)
	if _, _, err := admin.Create(ctx, "/app", nil, OpenACL(), jute.ModePersistent, 0); err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, srv.Addr)
	ev := newEvents()
	c := connectT(t, px.addr()+"/app", ev)
	ev.waitFor(t, "connected", isEvent(EventNone, KeeperSyncConnected, ""))

	t.Run("chroot", func(t *testing.T) {
		if c.Chroot() != "/app" {
			t.Fatalf("chroot %q", c.Chroot())
		}
		p, _, err := c.Create(ctx, "/a", []byte("1"), OpenACL(), jute.ModePersistent, 0)
		if err != nil || p != "/a" {
			t.Fatalf("create: %q %v", p, err)
		}
		if d, _, err := admin.GetData(ctx, "/app/a", false); err != nil || string(d) != "1" {
			t.Fatalf("seen from outside: %q %v", d, err)
		}
		p, _, _ = c.Create(ctx, "/e", nil, OpenACL(), jute.ModeEphemeralSequential, 0)
		if eph, err := c.GetEphemerals(ctx, "/"); err != nil || !slices.Equal(eph, []string{p}) {
			t.Fatalf("ephemerals %v %v (want %s)", eph, err, p)
		}
		res, err := c.Multi(ctx, CreateOp("/m", nil, OpenACL(), jute.ModePersistent, 0))
		if err != nil || res[0].Body.(*jute.PathRequest).Path != "/m" {
			t.Fatalf("multi: %v %v", res, err)
		}
		if kids, _, err := c.GetChildren(ctx, "/", true); err != nil || len(kids) != 3 {
			t.Fatalf("children of chroot: %v %v", kids, err)
		}
		admin.Create(ctx, "/app/b", nil, OpenACL(), jute.ModePersistent, 0)
		ev.waitFor(t, "children of chroot", isEvent(EventNodeChildrenChanged, KeeperSyncConnected, "/"))
		if p, err := c.Sync(ctx, "/a"); err != nil || p != "/a" {
			t.Fatalf("sync: %q %v", p, err)
		}
	})

	t.Run("reconnect", func(t *testing.T) {
		if err := c.AddAuth(ctx, "digest", []byte("u:p")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.GetData(ctx, "/a", true); err != nil {
			t.Fatal(err)
		}
		if err := c.AddWatch(ctx, "/b", AddWatchPersistent); err != nil {
			t.Fatal(err)
		}
		id := c.SessionID()
		ev.take()
		px.cut(true)
		ev.waitFor(t, "disconnected", isEvent(EventNone, KeeperDisconnected, ""))
		_, _, err := c.GetData(ctx, "/a", false)
		wantCode(t, err, jute.ErrConnectionLoss)
		// Changed while the client is away: the re-registered watch fires
		// on reconnection, as the server compares zxids.
		admin.SetData(ctx, "/app/a", []byte("2"), -1)
		px.setRefuse(false)
		ev.waitFor(t, "reconnected", isEvent(EventNone, KeeperSyncConnected, ""))
		ev.waitFor(t, "missed change", isEvent(EventNodeDataChanged, KeeperSyncConnected, "/a"))
		if c.SessionID() != id {
			t.Fatalf("session 0x%x after reconnect, want 0x%x", c.SessionID(), id)
		}
		ids, err := c.WhoAmI(ctx)
		if err != nil || len(ids) != 2 || ids[1].User != "u" {
			t.Fatalf("identities after reconnect: %v %v", ids, err)
		}
		admin.SetData(ctx, "/app/b", []byte("x"), -1)
		ev.waitFor(t, "persistent after reconnect", isEvent(EventNodeDataChanged, KeeperSyncConnected, "/b"))
	})

	t.Run("expiry", func(t *testing.T) {
		px.cut(true)
		ev.waitFor(t, "disconnected", isEvent(EventNone, KeeperDisconnected, ""))
		// Take the session over and end it.
		thief, err := Connect(ctx, Options{Servers: srv.Addr, SessionID: c.SessionID(), SessionPassword: c.SessionPassword(), Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		if thief.SessionID() != c.SessionID() {
			t.Fatalf("thief has session 0x%x", thief.SessionID())
		}
		thief.Close()
		px.setRefuse(false)
		ev.waitFor(t, "expired", isEvent(EventNone, KeeperExpired, ""))
		if err := c.WaitConnected(ctx); !errors.Is(err, jute.ErrSessionExpired) {
			t.Fatalf("WaitConnected after expiry: %v", err)
		}
		_, _, err = c.GetData(ctx, "/a", false)
		wantCode(t, err, jute.ErrSessionExpired)
		if c.State() != StateClosed {
			t.Fatalf("state %v", c.State())
		}
	})
}

func TestConnectRefused(t *testing.T) {
	port, err := zktest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ev := newEvents()
	c, err := New(Options{Servers: "127.0.0.1:" + strconv.Itoa(port), Watcher: ev.watcher, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _, err = c.GetData(ctxT(t), "/", false)
	wantCode(t, err, jute.ErrConnectionLoss)
	// Never connected: no Disconnected event (Java's EventThread reports
	// changes of state only).
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.WaitConnected(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitConnected: %v", err)
	}
	if got := ev.take(); len(got) != 0 {
		t.Fatalf("events %v", got)
	}
}
