package linearize

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/anishathalye/porcupine"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Builders for hand-made histories: session s, key k, call and return
// times.

func create(s, k int, data string, call, ret int64) Op {
	return Op{Session: s, Kind: Create, Key: k, Data: data, Version: -1, Call: call, Return: ret, Outcome: OK}
}

func set(s, k int, data string, version, newVersion int32, call, ret int64) Op {
	return Op{Session: s, Kind: Set, Key: k, Data: data, Version: version, ReadVersion: newVersion, Call: call, Return: ret, Outcome: OK}
}

func del(s, k int, version int32, call, ret int64) Op {
	return Op{Session: s, Kind: Delete, Key: k, Version: version, Call: call, Return: ret, Outcome: OK}
}

func get(s, k int, data string, version int32, call, ret int64) Op {
	return Op{Session: s, Kind: Get, Key: k, Found: true, ReadData: data, ReadVersion: version, Call: call, Return: ret, Outcome: OK}
}

func getNone(s, k int, call, ret int64) Op {
	return Op{Session: s, Kind: Get, Key: k, Call: call, Return: ret, Outcome: OK}
}

func syncGet(s, k int, data string, version int32, call, ret int64) Op {
	o := get(s, k, data, version, call, ret)
	o.Kind = SyncGet
	return o
}

func syncGetNone(s, k int, call, ret int64) Op {
	o := getNone(s, k, call, ret)
	o.Kind = SyncGet
	return o
}

func failed(o Op, code jute.Err) Op {
	o.Outcome, o.Err, o.ReadVersion = Failed, code, 0
	return o
}

func unknown(o Op) Op {
	o.Outcome, o.Return, o.ReadVersion = Unknown, math.MaxInt64, 0
	return o
}

func history(ops ...Op) *History {
	h := &History{Ops: ops}
	for _, o := range ops {
		h.Sessions = max(h.Sessions, o.Session+1)
		h.Keys = max(h.Keys, o.Key+1)
	}
	return h
}

// checked runs Check and writes porcupine's visualization to the
// directory ZKAFKA_LINEARIZE_VIZ names, or, when the verdict is not the one
// wanted, to a new directory under os.TempDir that outlives the test; it
// logs the file's path.
func checked(t *testing.T, h *History, want porcupine.CheckResult) *Result {
	t.Helper()
	r := Check(h, 0)
	dir := os.Getenv("ZKAFKA_LINEARIZE_VIZ")
	if dir == "" && r.Model != want {
		// Kept after the test, for the failure's reader.
		d, err := os.MkdirTemp("", "linearize-viz-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	if dir != "" {
		path := filepath.Join(dir, regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "_")+".html")
		if err := r.Visualize(path); err != nil {
			t.Errorf("visualize: %v", err)
		} else {
			t.Logf("history visualized in %s", path)
		}
	}
	return r
}

func TestModel(t *testing.T) {
	cases := []struct {
		name string
		h    *History
		want porcupine.CheckResult
	}{
		{"sequential", history(
			create(0, 0, "a", 0, 1),
			get(0, 0, "a", 0, 2, 3),
			set(0, 0, "b", 0, 1, 4, 5),
			syncGet(1, 0, "b", 1, 6, 7),
		), porcupine.Ok},
		{"reads before any write see no node", history(
			getNone(0, 0, 0, 1),
			syncGetNone(1, 0, 0, 1),
			create(0, 0, "a", 2, 3),
		), porcupine.Ok},
		{"another session may read stale", history(
			create(0, 0, "a", 0, 1),
			set(0, 0, "b", -1, 1, 2, 3),
			get(1, 0, "a", 0, 4, 5),
			getNone(2, 0, 4, 5),
		), porcupine.Ok},
		{"concurrent writes in either order", history(
			create(0, 0, "a", 0, 1),
			set(1, 0, "b", -1, 2, 2, 10),
			set(2, 0, "c", -1, 1, 3, 9),
			syncGet(0, 0, "b", 2, 11, 12),
		), porcupine.Ok},
		{"unknown write took effect", history(
			create(0, 0, "a", 0, 1),
			unknown(set(0, 0, "b", 0, 1, 2, 3)),
			syncGet(1, 0, "b", 1, 5, 6),
		), porcupine.Ok},
		{"unknown write never took effect", history(
			create(0, 0, "a", 0, 1),
			unknown(set(0, 0, "b", 0, 1, 2, 3)),
			syncGet(1, 0, "a", 0, 5, 6),
		), porcupine.Ok},
		{"unknown write took effect late", history(
			create(0, 0, "a", 0, 1),
			unknown(set(0, 0, "b", 0, 1, 2, 3)),
			syncGet(1, 0, "a", 0, 5, 6),
			syncGet(1, 0, "b", 1, 7, 8),
		), porcupine.Ok},
		{"failed writes", history(
			create(0, 0, "a", 0, 1),
			failed(create(1, 0, "b", 2, 3), jute.ErrNodeExists),
			failed(set(1, 0, "c", 5, 0, 4, 5), jute.ErrBadVersion),
			failed(set(1, 1, "d", -1, 0, 4, 5), jute.ErrNoNode),
			failed(del(1, 1, -1, 4, 5), jute.ErrNoNode),
		), porcupine.Ok},
		{"delete and create again resets the version", history(
			create(0, 0, "a", 0, 1),
			set(0, 0, "b", 0, 1, 2, 3),
			del(1, 0, 1, 4, 5),
			getNone(1, 0, 6, 7),
			create(1, 0, "c", 8, 9),
			syncGet(0, 0, "c", 0, 10, 11),
			get(2, 0, "b", 1, 10, 11), // session 2 is behind, legally
		), porcupine.Ok},

		{"acknowledged write lost", history(
			create(0, 0, "a", 0, 1),
			set(0, 0, "b", -1, 1, 2, 3),
			syncGet(1, 0, "a", 0, 4, 5),
		), porcupine.Illegal},
		{"read misses the session's own write", history(
			create(0, 0, "a", 0, 1),
			set(0, 0, "b", -1, 1, 2, 3),
			get(0, 0, "a", 0, 4, 5),
		), porcupine.Illegal},
		{"read misses the session's own delete", history(
			create(0, 0, "a", 0, 1),
			del(0, 0, 0, 2, 3),
			get(0, 0, "a", 0, 4, 5),
		), porcupine.Illegal},
		{"read goes back in time", history(
			create(0, 0, "a", 0, 1),
			set(0, 0, "b", -1, 1, 2, 3),
			get(1, 0, "b", 1, 4, 5),
			get(1, 0, "a", 0, 6, 7),
		), porcupine.Illegal},
		{"read after a sync-read goes back in time", history(
			create(0, 0, "a", 0, 1),
			set(0, 0, "b", -1, 1, 2, 3),
			syncGet(1, 0, "b", 1, 4, 5),
			get(1, 0, "a", 0, 6, 7),
		), porcupine.Illegal},
		{"read before a refused write, then older", history(
			create(0, 0, "a", 0, 1),
			set(1, 0, "b", -1, 1, 2, 3),
			failed(set(0, 0, "c", 0, 0, 4, 5), jute.ErrBadVersion), // refused on "b"
			get(0, 0, "a", 0, 6, 7),
		), porcupine.Illegal},
		{"stale sync-read", history(
			create(0, 0, "a", 0, 1),
			set(0, 0, "b", -1, 1, 2, 3),
			syncGet(1, 0, "a", 0, 4, 5),
		), porcupine.Illegal},
		{"read sees a write not yet called", history(
			create(0, 0, "a", 0, 1),
			get(1, 0, "b", 1, 2, 3),
			set(0, 0, "b", -1, 1, 4, 5),
		), porcupine.Illegal},
		{"read of a value never written", history(
			create(0, 0, "a", 0, 1),
			get(1, 0, "zzz", 0, 2, 3),
		), porcupine.Illegal},
		{"create succeeds on an existing node", history(
			create(0, 0, "a", 0, 1),
			create(1, 0, "b", 2, 3),
		), porcupine.Illegal},
		{"set reports a wrong version", history(
			create(0, 0, "a", 0, 1),
			set(0, 0, "b", -1, 5, 2, 3),
		), porcupine.Illegal},
		{"set with a matching version refused", history(
			create(0, 0, "a", 0, 1),
			failed(set(0, 0, "b", 0, 0, 2, 3), jute.ErrBadVersion),
		), porcupine.Illegal},
		{"unknown write whose version cannot match", history(
			create(0, 0, "a", 0, 1),
			unknown(set(1, 0, "b", 7, 8, 2, 3)),
			syncGet(0, 0, "b", 1, 5, 6),
		), porcupine.Illegal},
		{"one bad key among good ones", history(
			create(0, 0, "a", 0, 1),
			create(0, 1, "x", 0, 1),
			set(0, 1, "y", -1, 1, 2, 3),
			syncGet(1, 0, "a", 0, 4, 5),
			syncGet(1, 1, "x", 0, 4, 5),
		), porcupine.Illegal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := checked(t, tc.h, tc.want)
			if r.Model != tc.want {
				t.Fatalf("model check: %v, want %v", r.Model, tc.want)
			}
			if tc.want == porcupine.Illegal {
				if !errors.Is(r.Err(), ErrNotLinearizable) {
					t.Fatalf("Err() = %v, want ErrNotLinearizable", r.Err())
				}
				if len(r.BadKeys) == 0 {
					t.Fatal("no bad key named")
				}
			}
		})
	}
	// The last case names key 1 only.
	r := Check(cases[len(cases)-1].h, 0)
	if len(r.BadKeys) != 1 || r.BadKeys[0] != 1 {
		t.Errorf("bad keys %v, want [1]", r.BadKeys)
	}
}

// withZxids sets the zxids of an op: the reply's, and the stat's.
func withZxids(o Op, zxid, czxid, mzxid int64) Op {
	o.Zxid, o.Czxid, o.Mzxid = zxid, czxid, mzxid
	return o
}

func TestZxidRules(t *testing.T) {
	cases := []struct {
		name string
		h    *History
		want string // the rule broken, "" for none
	}{
		{"consistent", history(
			withZxids(create(0, 0, "a", 0, 1), 2, 2, 2),
			withZxids(set(0, 0, "b", -1, 1, 2, 3), 3, 2, 3),
			withZxids(get(1, 0, "a", 0, 4, 5), 2, 2, 2), // stale, honest about it
			withZxids(create(1, 1, "x", 6, 7), 4, 4, 4),
			withZxids(del(0, 0, 1, 8, 9), 5, 0, 0),
		), ""},
		{"session zxid goes back", history(
			withZxids(create(0, 0, "a", 0, 1), 2, 2, 2),
			withZxids(create(0, 1, "x", 2, 3), 3, 3, 3),
			withZxids(get(0, 0, "a", 0, 4, 5), 2, 2, 2),
		), "Z1"},
		{"mzxid after the reply's zxid", history(
			withZxids(create(0, 0, "a", 0, 1), 2, 2, 2),
			withZxids(get(1, 0, "a", 0, 2, 3), 1, 2, 2),
		), "Z2"},
		{"writes out of real-time order", history(
			withZxids(create(0, 0, "a", 0, 1), 5, 5, 5),
			withZxids(create(1, 1, "x", 2, 3), 4, 4, 4),
		), "Z3"},
		{"two writes, one zxid", history(
			withZxids(create(0, 0, "a", 0, 10), 5, 5, 5),
			withZxids(create(1, 1, "x", 2, 3), 5, 5, 5),
		), "Z3"},
		{"read misses a write below its zxid", history(
			withZxids(create(0, 0, "a", 0, 1), 2, 2, 2),
			withZxids(set(0, 0, "b", -1, 1, 2, 3), 3, 2, 3),
			withZxids(get(1, 0, "a", 0, 4, 5), 3, 2, 2),
		), "Z4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			probs := checkZxids(tc.h)
			if tc.want == "" {
				if len(probs) > 0 {
					t.Fatalf("problems in a consistent history: %q", probs)
				}
				return
			}
			if len(probs) == 0 {
				t.Fatalf("no problem found, want %s", tc.want)
			}
			for _, p := range probs {
				if p[:2] != tc.want {
					t.Errorf("problem %q, want only %s", p, tc.want)
				}
			}
			if err := Check(tc.h, 0).Err(); !errors.Is(err, ErrZxid) {
				t.Errorf("Err() = %v, want ErrZxid", err)
			}
		})
	}
}
