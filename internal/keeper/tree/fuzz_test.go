package tree

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func FuzzDecodeTxn(f *testing.F) {
	for _, txn := range sampleTxns() {
		f.Add(encodeTxn(txn))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		txn, err := DecodeTxn(b)
		if err != nil {
			return
		}
		// Decoding is stable: what decodes re-encodes to something that
		// decodes to the same txn and encodes the same way again.
		enc := encodeTxn(txn)
		again, err := DecodeTxn(enc)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !bytes.Equal(encodeTxn(again), enc) {
			t.Fatal("encoding not stable")
		}
		// Applying the decoded and the re-decoded form gives the same.
		a, c := New(Options{ExtendedTypes: true}), New(Options{ExtendedTypes: true})
		if ra, rc := a.Apply(txn), c.Apply(again); !reflect.DeepEqual(ra, rc) || a.Digest() != c.Digest() {
			t.Fatalf("apply differs: %+v %+v", ra, rc)
		}
	})
}

func FuzzRestore(f *testing.F) {
	f.Add(snapshotBytes(f, New(Options{}).Snapshot()))
	f.Add(snapshotBytes(f, richTree(f).t.Snapshot()))
	f.Add(snapshotBytes(f, goldenTree(f).t.Snapshot()))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := Restore(bytes.NewReader(b), Options{ExtendedTypes: true})
		if err != nil {
			return
		}
		checkInvariants(t, tr)
		// Whatever restores writes back to the same bytes.
		if !bytes.Equal(snapshotBytes(t, tr.Snapshot()), b) {
			t.Fatal("restored snapshot writes different bytes")
		}
	})
}

// fuzzOps turns fuzz input into a sequence of txns over a small namespace,
// so that ops collide often.
type fuzzOps struct {
	b []byte
	i int
}

func (f *fuzzOps) byte() byte {
	if f.i >= len(f.b) {
		return 0
	}
	c := f.b[f.i]
	f.i++
	return c
}

func (f *fuzzOps) path() string {
	names := []string{"a", "b", "c", "zookeeper", "quota", "zookeeper_limits", "zookeeper_stats", ".", "", "s0000000001"}
	depth := int(f.byte() % 4)
	p := ""
	for i := 0; i < depth; i++ {
		p += "/" + names[int(f.byte())%len(names)]
	}
	switch f.byte() % 16 {
	case 0:
		return p + "/"
	case 1:
		return "/"
	case 2:
		return "/zookeeper/quota" + p
	}
	if p == "" {
		return "/"
	}
	return p
}

func (f *fuzzOps) acl() []jute.ACL {
	switch f.byte() % 8 {
	case 0:
		return nil
	case 1:
		return acl(int32(f.byte()%32), "world", "anyone")
	case 2:
		return acl(31, "digest", digestU.ID)
	case 3:
		return acl(int32(f.byte()%32), "auth", "")
	case 4:
		return acl(31, "ip", "127.0.0.0/8")
	case 5:
		return []jute.ACL{{Perms: 1, ID: jute.ID{Scheme: "world", ID: "anyone"}}, {Perms: 30, ID: digestV}}
	}
	return open
}

func (f *fuzzOps) data() []byte {
	switch f.byte() % 4 {
	case 0:
		return nil
	case 1:
		return []byte("count=1,bytes=2")
	}
	return bytes.Repeat([]byte{f.byte()}, int(f.byte()%8))
}

func (f *fuzzOps) write() (jute.OpCode, jute.Record) {
	switch f.byte() % 8 {
	case 0, 1:
		ops := []jute.OpCode{jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL}
		op := ops[f.byte()%4]
		flags := int32(f.byte()%9) - 1
		if op == jute.OpCreateTTL {
			return op, &jute.CreateTTLRequest{Path: f.path(), Data: f.data(), ACL: f.acl(), Flags: flags, TTL: int64(f.byte()) - 1}
		}
		return op, &jute.CreateRequest{Path: f.path(), Data: f.data(), ACL: f.acl(), Flags: flags}
	case 2:
		return jute.OpDelete, &jute.PathVersionRequest{Path: f.path(), Version: int32(f.byte()%3) - 1}
	case 3:
		return jute.OpSetData, &jute.SetDataRequest{Path: f.path(), Data: f.data(), Version: int32(f.byte()%3) - 1}
	case 4:
		return jute.OpSetACL, &jute.SetACLRequest{Path: f.path(), ACL: f.acl(), Version: int32(f.byte()%3) - 1}
	case 5:
		return jute.OpCheck, &jute.PathVersionRequest{Path: f.path(), Version: int32(f.byte()%3) - 1}
	case 6:
		return jute.OpDeleteContainer, &jute.PathRequest{Path: f.path()}
	}
	m := &jute.MultiRequest{}
	for n := f.byte() % 5; n > 0; n-- {
		op, body := f.write()
		if op == jute.OpMulti || op == jute.OpDeleteContainer {
			continue
		}
		m.Ops = append(m.Ops, jute.MultiOp{Type: op, Body: body})
	}
	return jute.OpMulti, m
}

// FuzzApply applies random txns: Apply never panics, every invariant holds
// after every txn, a failed txn changes nothing, the log form applies the
// same on a replica, and a snapshot round trip gives the same tree.
func FuzzApply(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 1, 5, 2, 0, 0, 7, 3, 1, 2, 0, 1, 3, 4, 5, 6, 7, 8})
	f.Add(bytes.Repeat([]byte{7, 3, 1, 0, 2, 1}, 20))
	f.Fuzz(func(t *testing.T, b []byte) {
		fo := &fuzzOps{b: b}
		tr := New(Options{ExtendedTypes: true, ContainerMaxNeverUsedMs: 50})
		replica := New(Options{ExtendedTypes: true, ContainerMaxNeverUsedMs: 50})
		sessions := []int64{1, 2, 3}
		zxid, now := int64(0), int64(1000)
		step := func(txn *Txn) {
			before, digest := dump(tr), tr.Digest()
			r := tr.Apply(txn)
			checkInvariants(t, tr)
			failed := r.Err != jute.ErrOK
			if m, ok := r.Resp.(*jute.MultiResponse); ok && len(m.Results) > 0 && m.Results[0].Type == jute.OpError {
				failed = true
			}
			if failed && (tr.Digest() != digest || !reflect.DeepEqual(dump(tr), before) || r.Events != nil) {
				t.Fatalf("failed %v changed the tree", txn.Op)
			}
			logged, err := DecodeTxn(encodeTxn(txn))
			if err != nil {
				t.Fatalf("log form of %v: %v", txn.Op, err)
			}
			if rr := replica.Apply(logged); !reflect.DeepEqual(rr, r) {
				t.Fatalf("replica answered %+v, leader %+v", rr, r)
			}
			if replica.Digest() != tr.Digest() {
				t.Fatal("replica diverged")
			}
		}
		for _, s := range sessions {
			zxid++
			step(&Txn{Zxid: zxid, Time: now, Session: s, Op: jute.OpCreateSession, Body: &CreateSession{Timeout: 1000}})
		}
		for fo.i < len(fo.b) {
			zxid++
			now += int64(fo.byte())
			sess := sessions[int(fo.byte())%len(sessions)]
			var auth []jute.ID
			switch fo.byte() % 4 {
			case 0:
				auth = []jute.ID{ipLocal, digestU}
			case 1:
				auth = []jute.ID{superUser}
			case 2:
				auth = []jute.ID{ipLocal}
			}
			switch fo.byte() % 16 {
			case 0:
				step(&Txn{Zxid: zxid, Time: now, Session: sess, Op: jute.OpCloseSession})
				zxid++
				step(&Txn{Zxid: zxid, Time: now, Session: sess, Op: jute.OpCreateSession, Body: &CreateSession{Timeout: 1000}})
			case 1:
				for _, p := range tr.ExpiredCandidates(now) {
					step(&Txn{Zxid: zxid, Time: now, Op: jute.OpDeleteContainer, Body: &jute.PathRequest{Path: p}})
					zxid++
				}
			default:
				op, body := fo.write()
				step(&Txn{Zxid: zxid, Time: now, Session: sess, Auth: auth, Op: op, Body: body})
			}
			if _, _, err := tr.Children("/", []jute.ID{superUser}); err != jute.ErrOK {
				t.Fatal("root unreadable")
			}
		}
		var buf bytes.Buffer
		if _, err := tr.Snapshot().WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		restored, err := Restore(&buf, Options{ExtendedTypes: true, ContainerMaxNeverUsedMs: 50})
		if err != nil {
			t.Fatal(err)
		}
		if restored.Digest() != tr.Digest() {
			t.Fatal("digest changed over a snapshot round trip")
		}
		sameTree(t, tr, restored)
	})
}
