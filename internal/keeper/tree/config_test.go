package tree

import (
	"bytes"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func TestSetConfig(t *testing.T) {
	tr := New(Options{})
	text := []byte("server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\nversion=100000000")
	ev := tr.SetConfig(text, 0x100000005, 0x100000000, 42)
	if len(ev) != 1 || ev[0].Type != EventNodeDataChanged || ev[0].Path != ConfigPath {
		t.Fatalf("events %+v", ev)
	}
	data, st, err := tr.GetData(ConfigPath, nil)
	if err != jute.ErrOK || string(data) != string(text) {
		t.Fatalf("data %q %v", data, err)
	}
	// ZooKeeper's reconfig txn: version -1, mzxid = the configuration's
	// version, ctime/czxid of the node created at start.
	if st.Version != -1 || st.Mzxid != 0x100000000 || st.Mtime != 42 || st.Czxid != 0 || st.Aversion != -1 || st.DataLength != int32(len(text)) {
		t.Fatalf("stat %+v", st)
	}
	if tr.LastZxid() != 0x100000005 {
		t.Fatalf("last zxid 0x%x", tr.LastZxid())
	}
	// The tree is the same after a snapshot round trip.
	var buf bytes.Buffer
	if _, err := tr.Snapshot().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, rerr := Restore(&buf, Options{})
	if rerr != nil {
		t.Fatal(rerr)
	}
	if d2, st2, _ := back.GetData(ConfigPath, nil); string(d2) != string(text) || st2 != st {
		t.Fatalf("after restore: %q %+v", d2, st2)
	}
	acl := tr.ACL(ConfigPath)
	if tr.HasPerm(acl, jute.PermWrite, []jute.ID{{Scheme: "ip", ID: "127.0.0.1"}}) {
		t.Fatal("world:anyone READ lets anyone write /zookeeper/config")
	}
	if !tr.HasPerm(acl, jute.PermWrite, []jute.ID{{Scheme: "super"}}) || !tr.HasPerm(acl, jute.PermRead, nil) {
		t.Fatal("super may not write, or anyone may not read, /zookeeper/config")
	}
}
