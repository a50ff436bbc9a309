package tree

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func sampleTxns() []*Txn {
	auth := []jute.ID{ipLocal, digestU}
	return []*Txn{
		{Zxid: 1, Time: 2, Session: 3, Op: jute.OpCreateSession, Body: &CreateSession{Timeout: 4000, Passwd: []byte("0123456789abcdef")}},
		{Zxid: 5, Time: 6, Session: 3, Auth: auth, Op: jute.OpCreate, Body: &jute.CreateRequest{Path: "/a", Data: []byte("x"), ACL: open, Flags: 1}},
		{Zxid: 5, Time: 6, Session: 3, Auth: []jute.ID{}, Op: jute.OpCreate2, Body: &jute.CreateRequest{Path: "/a", ACL: open}},
		{Zxid: 7, Op: jute.OpCreateContainer, Body: &jute.CreateRequest{Path: "/c", Data: []byte{}, ACL: []jute.ACL{}}},
		{Zxid: 8, Op: jute.OpCreateTTL, Body: &jute.CreateTTLRequest{Path: "/t", ACL: open, Flags: 5, TTL: 99}},
		{Zxid: 9, Op: jute.OpDelete, Body: &jute.PathVersionRequest{Path: "/a", Version: -1}},
		{Zxid: 10, Op: jute.OpDeleteContainer, Body: &jute.PathRequest{Path: "/c"}},
		{Zxid: 11, Op: jute.OpSetData, Body: &jute.SetDataRequest{Path: "/a", Data: []byte("y"), Version: 3}},
		{Zxid: 12, Op: jute.OpSetACL, Body: &jute.SetACLRequest{Path: "/a", ACL: open, Version: 1}},
		{Zxid: 13, Op: jute.OpCheck, Body: &jute.PathVersionRequest{Path: "/a", Version: 1}},
		{Zxid: 14, Op: jute.OpMulti, Body: &jute.MultiRequest{Ops: []jute.MultiOp{
			mCreate(jute.OpCreate, "/m", 0), mDelete("/m", -1), mCheck("/", -1), mSet("/", -1),
			{Type: jute.OpCreateTTL, Body: &jute.CreateTTLRequest{Path: "/t", ACL: open, Flags: 6, TTL: 5}},
		}}},
		{Zxid: 15, Session: -1, Op: jute.OpCloseSession},
		{Zxid: 16, Op: jute.OpReconfig, Body: &jute.ReconfigRequest{JoiningServers: "a", CurConfigID: -1}},
		{Zxid: 17, Op: jute.OpMulti, Body: &jute.MultiRequest{}},
	}
}

func encodeTxn(t *Txn) []byte {
	var e jute.Encoder
	t.Encode(&e)
	return e.Bytes()
}

func TestTxnRoundTrip(t *testing.T) {
	for _, txn := range sampleTxns() {
		b := encodeTxn(txn)
		got, err := DecodeTxn(b)
		if err != nil {
			t.Fatalf("%v: %v", txn.Op, err)
		}
		if !reflect.DeepEqual(got, txn) {
			t.Fatalf("%v: decoded %+v, want %+v", txn.Op, got, txn)
		}
		if !bytes.Equal(encodeTxn(got), b) {
			t.Fatalf("%v: re-encoding differs", txn.Op)
		}
		for n := 0; n < len(b); n++ {
			if _, err := DecodeTxn(b[:n]); err == nil {
				t.Fatalf("%v: truncated to %d decoded", txn.Op, n)
			}
		}
		if _, err := DecodeTxn(append(bytes.Clone(b), 0)); !errors.Is(err, ErrTxnCorrupt) {
			t.Fatalf("%v: trailing byte: %v", txn.Op, err)
		}
	}
}

// TestTxnMisfitBodies: a body that does not fit its op is logged as "no
// body", and applying either form gives the same answer.
func TestTxnMisfitBodies(t *testing.T) {
	tests := []*Txn{
		{Zxid: 1, Op: jute.OpCreate, Body: &jute.SetDataRequest{Path: "/a"}},
		{Zxid: 1, Op: jute.OpCreate},
		{Zxid: 1, Op: jute.OpCreate, Body: (*jute.CreateRequest)(nil)},
		{Zxid: 1, Op: jute.OpCloseSession, Body: &jute.PathRequest{}},
		{Zxid: 1, Op: jute.OpMulti, Body: &jute.MultiRequest{Ops: []jute.MultiOp{{Type: jute.OpGetData, Body: &jute.PathRequest{Path: "/"}}}}},
		{Zxid: 1, Op: jute.OpMulti, Body: &jute.MultiRequest{Ops: []jute.MultiOp{{Type: jute.OpDelete, Body: &jute.CreateRequest{}}}}},
		{Zxid: 1, Op: jute.OpMulti, Body: &jute.MultiRequest{Ops: []jute.MultiOp{{Type: jute.OpDelete}}}},
		{Zxid: 1, Op: jute.OpDeleteContainer, Body: &jute.PathVersionRequest{Path: "/c", Version: 3}},
	}
	for _, txn := range tests {
		got, err := DecodeTxn(encodeTxn(txn))
		if err != nil {
			t.Fatalf("%+v: %v", txn, err)
		}
		a, b := New(Options{}), New(Options{})
		ra, rb := a.Apply(txn), b.Apply(got)
		if !reflect.DeepEqual(ra, rb) || a.Digest() != b.Digest() {
			t.Fatalf("%+v: applied %+v, decoded form %+v", txn, ra, rb)
		}
	}
}

func TestDecodeTxnErrors(t *testing.T) {
	good := encodeTxn(sampleTxns()[1])
	if _, err := DecodeTxn(nil); !errors.Is(err, ErrTxnCorrupt) {
		t.Fatalf("empty: %v", err)
	}
	bad := bytes.Clone(good)
	bad[0] = 2
	if _, err := DecodeTxn(bad); !errors.Is(err, ErrTxnVersion) {
		t.Fatalf("version: %v", err)
	}
	// Unknown op: the op field follows format, zxid, time, session and auth.
	unknown := encodeTxn(&Txn{Op: jute.OpGetData})
	if _, err := DecodeTxn(unknown); !errors.Is(err, ErrTxnCorrupt) {
		t.Fatalf("unknown op: %v", err)
	}
	huge := encodeTxn(&Txn{Op: jute.OpCloseSession, Auth: []jute.ID{}})
	huge[25], huge[26], huge[27], huge[28] = 0x7f, 0xff, 0xff, 0xff // auth count
	if _, err := DecodeTxn(huge); !errors.Is(err, ErrTxnCorrupt) {
		t.Fatalf("huge auth count: %v", err)
	}
}
