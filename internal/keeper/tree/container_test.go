package tree

import (
	"reflect"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func (e *env) deleteContainer(path string, now int64) Result {
	e.c.zxid++
	txn := &Txn{Zxid: e.c.zxid, Time: now, Op: jute.OpDeleteContainer, Body: &jute.PathRequest{Path: path}}
	r := e.t.Apply(txn)
	checkInvariants(e.tb, e.t)
	return r
}

func TestContainers(t *testing.T) {
	e := newEnv(t, Options{})
	e.apply(jute.OpCreateContainer, &jute.CreateRequest{Path: "/c", ACL: open})
	e.apply(jute.OpCreateContainer, &jute.CreateRequest{Path: "/fresh", ACL: open})
	e.mustCreate("/p", 0)
	now := e.c.time + 1_000_000
	if got := e.t.ExpiredCandidates(now); len(got) != 0 {
		t.Fatalf("candidates before any child: %v", got)
	}
	e.mustCreate("/c/x", 0)
	if got := e.t.ExpiredCandidates(now); len(got) != 0 {
		t.Fatalf("candidates with a child: %v", got)
	}
	// Not eligible: BadVersion, NotEmpty.
	if r := e.deleteContainer("/c", now); r.Err != jute.ErrNotEmpty {
		t.Fatalf("deleteContainer non-empty: %v", r.Err.Name())
	}
	if r := e.deleteContainer("/fresh", now); r.Err != jute.ErrBadVersion {
		t.Fatalf("deleteContainer never used: %v", r.Err.Name())
	}
	if r := e.deleteContainer("/p", now); r.Err != jute.ErrBadVersion {
		t.Fatalf("deleteContainer persistent: %v", r.Err.Name())
	}
	if r := e.deleteContainer("/none", now); r.Err != jute.ErrNoNode {
		t.Fatalf("deleteContainer missing: %v", r.Err.Name())
	}
	if r := e.deleteContainer("/", now); r.Err != jute.ErrBadArguments {
		t.Fatalf("deleteContainer root: %v", r.Err.Name())
	}
	e.del("/c/x", -1)
	if got := e.t.ExpiredCandidates(now); !reflect.DeepEqual(got, []string{"/c"}) {
		t.Fatalf("candidates: %v", got)
	}
	r := e.deleteContainer("/c", now)
	if r.Err != jute.ErrOK || !reflect.DeepEqual(noACL(r.Events), []Event{{Type: EventNodeDeleted, Path: "/c"}, {Type: EventNodeChildrenChanged, Path: "/"}}) {
		t.Fatalf("deleteContainer: %+v", r)
	}
	if len(e.t.containers) != 1 {
		t.Fatalf("container index %v", e.t.containers)
	}
}

func TestContainerNeverUsed(t *testing.T) {
	e := newEnv(t, Options{ContainerMaxNeverUsedMs: 5000})
	e.apply(jute.OpCreateContainer, &jute.CreateRequest{Path: "/c", ACL: open})
	mtime := e.stat("/c").Mtime
	if got := e.t.ExpiredCandidates(mtime + 5000); len(got) != 0 {
		t.Fatalf("candidates at the limit: %v", got)
	}
	if got := e.t.ExpiredCandidates(mtime + 5001); !reflect.DeepEqual(got, []string{"/c"}) {
		t.Fatalf("candidates past the limit: %v", got)
	}
	if r := e.deleteContainer("/c", mtime+5000); r.Err != jute.ErrBadVersion {
		t.Fatalf("early delete: %v", r.Err.Name())
	}
	if r := e.deleteContainer("/c", mtime+5001); r.Err != jute.ErrOK {
		t.Fatalf("delete: %v", r.Err.Name())
	}
}

func TestTTLNodes(t *testing.T) {
	e := newEnv(t, Options{ExtendedTypes: true})
	e.apply(jute.OpCreateTTL, &jute.CreateTTLRequest{Path: "/t", ACL: open, Flags: jute.ModePersistentWithTTL, TTL: 100})
	mtime := e.stat("/t").Mtime
	if got := e.t.ExpiredCandidates(mtime + 100); len(got) != 0 {
		t.Fatalf("candidates at the TTL: %v", got)
	}
	if got := e.t.ExpiredCandidates(mtime + 101); !reflect.DeepEqual(got, []string{"/t"}) {
		t.Fatalf("candidates past the TTL: %v", got)
	}
	// A write renews the node; a child protects it.
	e.setData("/t", []byte("x"), -1)
	mtime = e.stat("/t").Mtime
	if r := e.deleteContainer("/t", mtime+100); r.Err != jute.ErrBadVersion {
		t.Fatalf("delete before expiry: %v", r.Err.Name())
	}
	e.mustCreate("/t/c", 0)
	if got := e.t.ExpiredCandidates(mtime + 1000); len(got) != 0 {
		t.Fatalf("candidates with a child: %v", got)
	}
	e.del("/t/c", -1)
	if r := e.deleteContainer("/t", mtime+1000); r.Err != jute.ErrOK {
		t.Fatalf("delete: %v", r.Err.Name())
	}
	if len(e.t.ttls) != 0 {
		t.Fatalf("ttl index %v", e.t.ttls)
	}
}
