package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/testkit/wait"
)

// ctrlEvents records the controller callbacks of one registry.
type ctrlEvents struct {
	mu     sync.Mutex
	events []string // "become:<epoch>" or "resign"
}

func (c *ctrlEvents) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, s)
}

func (c *ctrlEvents) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

func (c *ctrlEvents) has(s string) bool { return slices.Contains(c.list(), s) }

var fixedClock = func() time.Time { return time.UnixMilli(1700000000000) }

// startRegistry connects a registry for broker id to connect.
func startRegistry(t *testing.T, e env, connect string, id int32, ev *ctrlEvents) *Registry {
	t.Helper()
	r, err := tryRegistry(t, e, connect, id, ev)
	if err != nil {
		t.Fatalf("Connect broker %d: %v", id, err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close broker %d: %v", id, err)
		}
	})
	return r
}

func tryRegistry(t *testing.T, e env, connect string, id int32, ev *ctrlEvents) (*Registry, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts := Options{
		Connect:        connect,
		SessionTimeout: e.timeout,
		BrokerID:       id,
		Endpoints:      []Endpoint{{Listener: "PLAINTEXT", SecurityProtocol: "PLAINTEXT", Host: "localhost", Port: 9092 + id}},
		Rack:           "rack-a",
		Logger:         testLogger(t),
		Clock:          fixedClock,
	}
	if ev != nil {
		opts.OnBecomeController = func(epoch int32) { ev.add(fmt.Sprintf("become:%d", epoch)) }
		opts.OnResign = func() { ev.add("resign") }
	}
	return Connect(ctx, opts)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRegistration(t *testing.T) {
	forEachServer(t, func(t *testing.T, e env) {
		ev := &ctrlEvents{}
		r := startRegistry(t, e, e.connect(""), 1, ev)
		obs := observer(t, e.addr)
		root := e.chroot

		kids, _, err := obs.Children(root + BrokerIDsPath)
		if err != nil || !slices.Equal(kids, []string{"1"}) {
			t.Fatalf("ls %s = %v, %v; want [1]", root+BrokerIDsPath, kids, err)
		}
		data, stat, err := obs.Get(root + BrokerPath(1))
		if err != nil {
			t.Fatal(err)
		}
		want := `{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://localhost:9093"],"rack":"rack-a","jmx_port":-1,"port":9093,"host":"localhost","version":5,"timestamp":"1700000000000"}`
		if string(data) != want {
			t.Errorf("get %s:\n got %s\nwant %s", BrokerPath(1), data, want)
		}
		if stat.EphemeralOwner != r.SessionID() || stat.Version != 1 || r.BrokerEpoch() != stat.Czxid {
			t.Errorf("stat owner 0x%x version %d czxid %d; session 0x%x, broker epoch %d",
				stat.EphemeralOwner, stat.Version, stat.Czxid, r.SessionID(), r.BrokerEpoch())
		}
		for _, p := range append(PersistentPaths(), ClusterIDPath) {
			if ok, _, err := obs.Exists(root + p); err != nil || !ok {
				t.Errorf("%s missing (%v)", root+p, err)
			}
		}
		idData, _, err := obs.Get(root + ClusterIDPath)
		if err != nil {
			t.Fatal(err)
		}
		if id, err := DecodeClusterID(idData); err != nil || id != r.ClusterID() || len(id) != 22 {
			t.Errorf("cluster id %q (%v), registry says %q", id, err, r.ClusterID())
		}
		wait.For(t, 10*time.Second, "broker 1 to become controller", r.IsController)
		ctl, _, err := obs.Get(root + ControllerPath)
		if err != nil || string(ctl) != `{"version":2,"brokerid":1,"timestamp":"1700000000000","kraftControllerEpoch":-1}` {
			t.Errorf("get /controller = %s, %v", ctl, err)
		}
		if epoch, _, err := obs.Get(root + ControllerEpochPath); err != nil || string(epoch) != "1" {
			t.Errorf("get /controller_epoch = %q, %v", epoch, err)
		}
		// IsController turns true before the callback has run: wait for it.
		wait.For(t, 10*time.Second, "the OnBecomeController callback", func() bool {
			return slices.Equal(ev.list(), []string{"become:1"})
		})
		wait.For(t, 5*time.Second, "/feature", func() bool {
			f, _, err := obs.Get(root + FeaturePath)
			return err == nil && string(f) == `{"features":{},"version":2,"status":1}`
		})
		if id, err := r.ControllerID(testCtx(t)); err != nil || id != 1 {
			t.Errorf("ControllerID = %d, %v", id, err)
		}
		bs, err := r.ReadBrokers(testCtx(t))
		if err != nil || len(bs) != 1 || bs[0].ID != 1 || bs[0].Rack != "rack-a" || bs[0].Endpoints[0].Port != 9093 {
			t.Errorf("ReadBrokers = %+v, %v", bs, err)
		}

		// A second broker sees the same cluster id; a generated id is 1000+seq.
		r2 := startRegistry(t, e, e.connect(""), -1, nil)
		if r2.ClusterID() != r.ClusterID() || r2.BrokerID() != 1001 {
			t.Errorf("second broker: cluster %q id %d", r2.ClusterID(), r2.BrokerID())
		}

		// Close deletes the registration before ending the session.
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if ok, _, _ := obs.Exists(root + BrokerPath(1)); ok {
			t.Error("registration still there after Close")
		}
		if !slices.Equal(ev.list(), []string{"become:1", "resign"}) {
			t.Errorf("controller events after Close %v", ev.list())
		}
		if _, err := r.ListTopics(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("ListTopics after Close: %v, want ErrClosed", err)
		}
	})
}

func TestDuplicateBrokerID(t *testing.T) {
	forEachServer(t, func(t *testing.T, e env) {
		startRegistry(t, e, e.connect(""), 5, nil)
		r, err := tryRegistry(t, e, e.connect(""), 5, nil)
		if err == nil {
			r.Close()
			t.Fatal("second registry with broker id 5 connected")
		}
		if !errors.Is(err, ErrBrokerIDInUse) || !strings.Contains(err.Error(), "NodeExists") {
			t.Errorf("got %v, want ErrBrokerIDInUse mentioning NodeExists", err)
		}
	})
}

func TestChroot(t *testing.T) {
	forEachServer(t, func(t *testing.T, e env) {
		r := startRegistry(t, e, e.connect("/kafka/prod"), 1, nil)
		obs := observer(t, e.addr)
		base := e.chroot + "/kafka/prod"
		if kids, _, err := obs.Children(base + BrokerIDsPath); err != nil || !slices.Equal(kids, []string{"1"}) {
			t.Errorf("ls %s = %v, %v", base+BrokerIDsPath, kids, err)
		}
		if e.chroot == "" {
			if ok, _, _ := obs.Exists(BrokerIDsPath); ok {
				t.Error("/brokers/ids exists outside the chroot")
			}
		}
		ctx := testCtx(t)
		wait.For(t, 10*time.Second, "controller", r.IsController)
		if _, err := r.CreateTopic(ctx, NewTopic{Name: "t", Assignment: map[int32][]int32{0: {1}}}); err != nil {
			t.Fatal(err)
		}
		if ok, _, err := obs.Exists(base + PartitionStatePath("t", 0)); err != nil || !ok {
			t.Errorf("topic state not under the chroot: %v", err)
		}
		ch, err := r.WatchTopics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := <-ch; !slices.Equal(got, []string{"t"}) {
			t.Errorf("WatchTopics under chroot = %v", got)
		}
	})
}

func TestDeadServerInConnectString(t *testing.T) {
	forEachServer(t, func(t *testing.T, e env) {
		dead1, dead2 := freePort(t), freePort(t)
		connect := fmt.Sprintf("127.0.0.1:%d,%s,127.0.0.1:%d%s", dead1, e.addr, dead2, e.chroot)
		r := startRegistry(t, e, connect, 1, nil)
		if _, err := r.ListTopics(testCtx(t)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestControllerFailover(t *testing.T) {
	forEachServer(t, func(t *testing.T, e env) {
		ev1, ev2 := &ctrlEvents{}, &ctrlEvents{}
		r1 := startRegistry(t, e, e.connect(""), 1, ev1)
		wait.For(t, 10*time.Second, "broker 1 controller", r1.IsController)
		r2 := startRegistry(t, e, e.connect(""), 2, ev2)
		brokers, err := r2.WatchBrokers(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-brokers:
			if len(got) != 2 || got[0].ID != 1 || got[1].ID != 2 {
				t.Errorf("WatchBrokers = %+v", got)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("WatchBrokers sent no first list")
		}
		if r2.IsController() {
			t.Fatal("two controllers")
		}
		if epoch, ver := r1.ControllerEpoch(); epoch != 1 || ver != 1 {
			t.Errorf("broker 1 controller epoch %d (zk version %d)", epoch, ver)
		}
		if err := r1.Close(); err != nil {
			t.Fatal(err)
		}
		wait.For(t, 10*time.Second, "broker 2 controller", r2.IsController)
		if epoch, _ := r2.ControllerEpoch(); epoch != 2 {
			t.Errorf("broker 2 controller epoch %d, want 2", epoch)
		}
		// IsController turns true before the callback has run (it follows a
		// round trip to /feature): wait for it, then check nothing else came.
		wait.For(t, 10*time.Second, "broker 2's OnBecomeController", func() bool { return len(ev2.list()) > 0 })
		if !slices.Equal(ev2.list(), []string{"become:2"}) {
			t.Errorf("broker 2 events %v, want [become:2]", ev2.list())
		}
		if !slices.Equal(ev1.list(), []string{"become:1", "resign"}) {
			t.Errorf("broker 1 events %v", ev1.list())
		}
		select {
		case got := <-brokers:
			if len(got) != 1 || got[0].ID != 2 {
				t.Errorf("WatchBrokers after broker 1 left = %+v", got)
			}
		case <-time.After(10 * time.Second):
			t.Error("WatchBrokers did not report broker 1 leaving")
		}
		obs := observer(t, e.addr)
		if d, _, err := obs.Get(e.chroot + ControllerEpochPath); err != nil || string(d) != "2" {
			t.Errorf("/controller_epoch = %q, %v", d, err)
		}
	})
}

func TestSessionExpiryReregisters(t *testing.T) {
	forEachServer(t, func(t *testing.T, e env) {
		p := newProxy(t, e.addr)
		ev := &ctrlEvents{}
		r := startRegistry(t, e, p.addr()+e.chroot, 1, ev)
		ctx := testCtx(t)
		wait.For(t, 10*time.Second, "controller", r.IsController)
		topics, err := r.WatchTopics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		<-topics
		obs := observer(t, e.addr)
		path := e.chroot + BrokerPath(1)
		oldSession, oldEpoch := r.SessionID(), r.BrokerEpoch()

		p.block()
		wait.For(t, e.expiry, "the server to expire the session", func() bool {
			ok, _, err := obs.Exists(path)
			return err == nil && !ok
		})
		// A caller keeps working across the expiry: its call waits for the new session.
		listed := make(chan error, 1)
		go func() {
			_, err := r.ListTopics(ctx)
			listed <- err
		}()
		p.unblock()

		wait.For(t, 15*time.Second, "re-registration", func() bool {
			_, stat, err := obs.Get(path)
			return err == nil && stat.EphemeralOwner == r.SessionID() && stat.EphemeralOwner != oldSession &&
				r.BrokerEpoch() == stat.Czxid
		})
		if r.BrokerEpoch() == oldEpoch {
			t.Error("broker epoch unchanged by re-registration")
		}
		if err := <-listed; err != nil {
			t.Errorf("ListTopics across the expiry: %v", err)
		}
		wait.For(t, 10*time.Second, "controller again", func() bool { return ev.has("become:2") })
		if got := ev.list(); !slices.Equal(got, []string{"become:1", "resign", "become:2"}) {
			t.Errorf("controller events %v", got)
		}
		// The topic watch is re-armed on the new session.
		if _, err := r.CreateTopic(ctx, NewTopic{Name: "after-expiry", Assignment: map[int32][]int32{0: {1}}}); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(10 * time.Second)
		for {
			select {
			case got := <-topics:
				if slices.Contains(got, "after-expiry") {
					return
				}
			case <-deadline:
				t.Fatal("WatchTopics did not see the topic created after the expiry")
			}
		}
	})
}

func TestTopics(t *testing.T) {
	forEachServer(t, func(t *testing.T, e env) {
		r := startRegistry(t, e, e.connect(""), 1, nil)
		ctx := testCtx(t)
		wait.For(t, 10*time.Second, "controller", r.IsController)
		obs := observer(t, e.addr)
		root := e.chroot

		topics, err := r.WatchTopics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := <-topics; len(got) != 0 {
			t.Errorf("initial topics %v", got)
		}
		created, err := r.CreateTopic(ctx, NewTopic{Name: "orders",
			Assignment: map[int32][]int32{0: {1, 2}, 1: {2, 1}},
			Configs:    map[string]string{"retention.ms": "1000", "cleanup.policy": "compact"}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.ReadTopic(ctx, "orders")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != created.ID || got.ID.IsZero() || len(got.Partitions) != 2 || !slices.Equal(got.Partitions[1].Replicas, []int32{2, 1}) ||
			got.Configs["retention.ms"] != "1000" || got.MarkedForDeletion {
			t.Errorf("ReadTopic = %+v", got)
		}
		// Broker 2 is not live: partition 1's leader is 1, ISR [1].
		if s := got.States[1]; s.Leader != 1 || !slices.Equal(s.ISR, []int32{1}) || s.ControllerEpoch != 1 || s.ZkVersion != 0 {
			t.Errorf("state of partition 1 = %+v", s)
		}
		raw, _, err := obs.Get(root + TopicPath("orders"))
		if err != nil {
			t.Fatal(err)
		}
		wantTopic := `{"partitions":{"0":[1,2],"1":[2,1]},"topic_id":"` + created.ID.String() + `","adding_replicas":{},"removing_replicas":{},"version":3}`
		if string(raw) != wantTopic {
			t.Errorf("topic node:\n got %s\nwant %s", raw, wantTopic)
		}
		if raw, _, err := obs.Get(root + PartitionStatePath("orders", 0)); err != nil ||
			string(raw) != `{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1]}` {
			t.Errorf("state node %s, %v", raw, err)
		}
		if raw, _, err := obs.Get(root + TopicConfigPath("orders")); err != nil ||
			string(raw) != `{"version":1,"config":{"cleanup.policy":"compact","retention.ms":"1000"}}` {
			t.Errorf("config node %s, %v", raw, err)
		}
		select {
		case l := <-topics:
			if !slices.Equal(l, []string{"orders"}) {
				t.Errorf("WatchTopics = %v", l)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("WatchTopics did not report the new topic")
		}

		if _, err := r.CreateTopic(ctx, NewTopic{Name: "orders", Assignment: map[int32][]int32{0: {1}}}); !errors.Is(err, ErrTopicExists) {
			t.Errorf("duplicate topic: %v", err)
		}
		if _, err := r.CreateTopic(ctx, NewTopic{Name: "a.b", Assignment: map[int32][]int32{0: {1}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.CreateTopic(ctx, NewTopic{Name: "a_b", Assignment: map[int32][]int32{0: {1}}}); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("colliding topic: %v", err)
		}
		if _, err := r.CreateTopic(ctx, NewTopic{Name: "gap", Assignment: map[int32][]int32{0: {1}, 2: {1}}}); !errors.Is(err, ErrInvalidAssignment) {
			t.Errorf("non-consecutive partitions: %v", err)
		}
		if names, err := r.ListTopics(ctx); err != nil || !slices.Equal(names, []string{"a.b", "orders"}) {
			t.Errorf("ListTopics = %v, %v", names, err)
		}

		// Conditional partition state updates.
		st := got.States[0]
		st.ISR, st.LeaderEpoch = []int32{1, 2}, 1
		v, err := r.UpdatePartitionState(ctx, "orders", 0, st, 0)
		if err != nil || v != 1 {
			t.Fatalf("UpdatePartitionState = %d, %v", v, err)
		}
		if _, err := r.UpdatePartitionState(ctx, "orders", 0, st, 0); !errors.Is(err, ErrStaleState) {
			t.Errorf("stale update: %v", err)
		}
		if s, err := r.ReadPartitionState(ctx, "orders", 0); err != nil || s.ZkVersion != 1 || !slices.Equal(s.ISR, []int32{1, 2}) || s.LeaderEpoch != 1 {
			t.Errorf("ReadPartitionState = %+v, %v", s, err)
		}

		// Config changes leave a notification.
		if err := r.SetTopicConfig(ctx, "orders", map[string]string{"retention.ms": "5"}); err != nil {
			t.Fatal(err)
		}
		if kids, _, err := obs.Children(root + ConfigChangesPath); err != nil || !slices.Equal(kids, []string{"config_change_0000000000"}) {
			t.Errorf("config changes %v, %v", kids, err)
		} else if d, _, _ := obs.Get(root + ConfigChangesPath + "/" + kids[0]); string(d) != `{"version":2,"entity_path":"topics/orders"}` {
			t.Errorf("config change %s", d)
		}

		// Deletion: marked by anyone, completed by the controller.
		deletions, err := r.WatchTopicDeletions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		<-deletions
		if err := r.MarkTopicForDeletion(ctx, "orders"); err != nil {
			t.Fatal(err)
		}
		if err := r.MarkTopicForDeletion(ctx, "orders"); !errors.Is(err, ErrTopicMarkedForDeletion) {
			t.Errorf("second mark: %v", err)
		}
		if err := r.MarkTopicForDeletion(ctx, "nope"); !errors.Is(err, ErrUnknownTopic) {
			t.Errorf("mark unknown: %v", err)
		}
		select {
		case l := <-deletions:
			if !slices.Equal(l, []string{"orders"}) {
				t.Errorf("WatchTopicDeletions = %v", l)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("WatchTopicDeletions did not report the mark")
		}
		if tp, err := r.ReadTopic(ctx, "orders"); err != nil || !tp.MarkedForDeletion {
			t.Errorf("marked topic: %+v, %v", tp, err)
		}
		if _, err := r.CreateTopic(ctx, NewTopic{Name: "orders", Assignment: map[int32][]int32{0: {1}}}); !errors.Is(err, ErrTopicExists) {
			t.Errorf("re-create while marked: %v", err)
		}
		if err := r.CompleteTopicDeletion(ctx, "orders"); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadTopic(ctx, "orders"); !errors.Is(err, ErrUnknownTopic) {
			t.Errorf("ReadTopic after deletion: %v", err)
		}
		for _, p := range []string{TopicPath("orders"), TopicConfigPath("orders"), DeleteTopicPath("orders")} {
			if ok, _, _ := obs.Exists(root + p); ok {
				t.Errorf("%s left after deletion", p)
			}
		}
		// The name is free again.
		if _, err := r.CreateTopic(ctx, NewTopic{Name: "orders", Assignment: map[int32][]int32{0: {1}}}); err != nil {
			t.Errorf("re-create after deletion: %v", err)
		}

		// A broker that is not the controller cannot complete deletions.
		r2 := startRegistry(t, e, e.connect(""), 2, nil)
		if err := r2.CompleteTopicDeletion(ctx, "a.b"); !errors.Is(err, ErrNotController) {
			t.Errorf("CompleteTopicDeletion on a non-controller: %v", err)
		}

		// Producer id blocks follow each other.
		b1, err := r.AllocateProducerIDBlock(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := r2.AllocateProducerIDBlock(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if b1 != (ProducerIDBlock{1, 0, 999}) || b2 != (ProducerIDBlock{2, 1000, 1999}) {
			t.Errorf("producer id blocks %+v %+v", b1, b2)
		}
		if d, _, err := obs.Get(root + ProducerIDBlockPath); err != nil || string(d) != `{"version":1,"broker":2,"block_start":"1000","block_end":"1999"}` {
			t.Errorf("producer id block node %s, %v", d, err)
		}
	})
}

// TestWatchStopsWithContext checks that a watch's channel closes when its
// context ends, and every watch when the registry closes.
func TestWatchStopsWithContext(t *testing.T) {
	forEachServer(t, func(t *testing.T, e env) {
		r := startRegistry(t, e, e.connect(""), 1, nil)
		ctx, cancel := context.WithCancel(context.Background())
		ch, err := r.WatchBrokers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		<-ch
		cancel()
		if _, ok := <-ch; ok {
			t.Error("WatchBrokers delivered after cancel")
		}
		ch2, err := r.WatchTopics(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		<-ch2
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if _, ok := <-ch2; ok {
			t.Error("WatchTopics delivered after Close")
		}
		if _, err := r.WatchTopics(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("WatchTopics after Close: %v", err)
		}
	})
}
