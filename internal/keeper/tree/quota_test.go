package tree

import (
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

func (e *env) data(path string) string {
	e.tb.Helper()
	d, _, err := e.t.GetData(path, []jute.ID{superUser})
	if err != jute.ErrOK {
		e.tb.Fatalf("GetData %s: %v", path, err.Name())
	}
	return string(d)
}

// TestQuotaBookkeeping follows what zkCli's setquota does and what
// ZooKeeper's DataTree then keeps up to date.
func TestQuotaBookkeeping(t *testing.T) {
	e := newEnv(t, Options{})
	e.create("/app", []byte("12345"), open, 0)
	e.create("/app/x", []byte("abc"), open, 0)
	e.create("/zookeeper/quota/app", nil, open, 0)
	e.create("/zookeeper/quota/app/zookeeper_limits", []byte("count=10,bytes=-1"), open, 0)
	statBefore := e.stat("/zookeeper/quota/app/zookeeper_limits")
	r := e.create("/zookeeper/quota/app/zookeeper_stats", []byte("count=0,bytes=0"), open, 0)
	// The reply shows the node as created; the data is then recomputed.
	if r.Resp.(*jute.Create2Response).Stat.DataLength != 15 {
		t.Fatalf("stats create reply %+v", r.Resp)
	}
	if got := e.data("/zookeeper/quota/app/zookeeper_stats"); got != "count=2,bytes=8" {
		t.Fatalf("stats after setquota: %s", got)
	}
	stats := e.stat("/zookeeper/quota/app/zookeeper_stats")
	e.create("/app/y", []byte("1234567"), open, 0)
	e.setData("/app", []byte("1"), -1)
	e.create("/other", []byte("zzz"), open, 0)
	if got := e.data("/zookeeper/quota/app/zookeeper_stats"); got != "count=3,bytes=11" {
		t.Fatalf("stats after changes: %s", got)
	}
	// Quota bookkeeping does not touch the stats node's stat beyond its length.
	st := e.stat("/zookeeper/quota/app/zookeeper_stats")
	if st.Mzxid != stats.Mzxid || st.Version != stats.Version || st.DataLength != int32(len("count=3,bytes=11")) {
		t.Fatalf("stats node stat %+v (was %+v)", st, stats)
	}
	if e.stat("/zookeeper/quota/app/zookeeper_limits") != statBefore {
		t.Fatal("limits node changed")
	}
	e.del("/app/x", -1)
	if got := e.data("/zookeeper/quota/app/zookeeper_stats"); got != "count=2,bytes=8" {
		t.Fatalf("stats after delete: %s", got)
	}
	// Removing the limit node stops the bookkeeping.
	e.del("/zookeeper/quota/app/zookeeper_limits", -1)
	e.create("/app/z", []byte("zz"), open, 0)
	if got := e.data("/zookeeper/quota/app/zookeeper_stats"); got != "count=2,bytes=8" {
		t.Fatalf("stats after quota removal: %s", got)
	}
	if len(e.t.quotas) != 0 {
		t.Fatalf("quotas %v", e.t.quotas)
	}
}

func TestQuotaNested(t *testing.T) {
	e := newEnv(t, Options{})
	for _, p := range []string{"/a", "/a/b", "/zookeeper/quota/a", "/zookeeper/quota/a/b"} {
		e.mustCreate(p, 0)
	}
	for _, q := range []string{"/zookeeper/quota/a", "/zookeeper/quota/a/b"} {
		e.create(q+"/zookeeper_limits", []byte("count=-1,bytes=-1"), open, 0)
		e.create(q+"/zookeeper_stats", nil, open, 0)
	}
	e.create("/a/b/c", []byte("xy"), open, 0)
	// Only the deepest quota above the node is updated.
	if got := e.data("/zookeeper/quota/a/b/zookeeper_stats"); got != "count=2,bytes=3" {
		t.Fatalf("inner stats %s", got)
	}
	if got := e.data("/zookeeper/quota/a/zookeeper_stats"); got != "count=2,bytes=2" {
		t.Fatalf("outer stats %s", got)
	}
	// Extra keys survive, sorted after a '=' (StatsTrack.toString).
	e.setData("/zookeeper/quota/a/b/zookeeper_stats", []byte("count=1,bytes=1=;countHardLimit=5;byteHardLimit=9"), -1)
	e.create("/a/b/d", nil, open, 0)
	if got := e.data("/zookeeper/quota/a/b/zookeeper_stats"); got != "count=2,bytes=1=;byteHardLimit=9;countHardLimit=5" {
		t.Fatalf("stats with extra keys %s", got)
	}
	// Data ZooKeeper could not parse is left alone (ZooKeeper would stop).
	e.setData("/zookeeper/quota/a/b/zookeeper_stats", []byte("garbage"), -1)
	e.create("/a/b/e", nil, open, 0)
	if got := e.data("/zookeeper/quota/a/b/zookeeper_stats"); got != "garbage" {
		t.Fatalf("unparsable stats %s", got)
	}
}

func TestParseStatsTrack(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "count=-1,bytes=-1",
		",,,":                  "count=-1,bytes=-1",
		"count=1,bytes=2":      "count=1,bytes=2",
		"count=1;;bytes=2,,":   "count=1,bytes=2",
		"bytes=2":              "count=-1,bytes=2",
		"count=,bytes=2":       "",
		"count==5,bytes=2":     "count=-1,bytes=2",
		"count=+5,bytes=-2":    "count=5,bytes=-2",
		",count=1":             "",
		"count":                "",
		"count=x":              "",
		"count=1,bytes=2=;a=1": "count=1,bytes=2=;a=1",
	} {
		st, ok := parseStatsTrack(in)
		got := ""
		if ok {
			got = string(st.bytes())
		}
		if got != want {
			t.Errorf("parseStatsTrack(%q) -> %q, want %q", in, got, want)
		}
	}
}
