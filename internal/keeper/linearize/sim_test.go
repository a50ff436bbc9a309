package linearize

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// simState is one state of a key in the simulator.
type simState struct {
	exists  bool
	data    string
	version int32
	w       *Op // the write that made it (nil: the initial state)
}

// simulate generates the history of a correct ZooKeeper-like server:
// every operation takes effect at one instant between its call and its
// return; plain reads return any state of the key at or after the
// session's floor; a write with unknown outcome takes effect or not. With
// goBack, a plain read sometimes returns a state older than the one the
// session read last, made by a write that returned before the newer
// state's write was called — so older in every linearization (a server
// bug); the second result says whether that happened.
func simulate(seed uint64, sessions, keys, ops int, unknownRate float64, goBack bool) (*History, bool) {
	rng := rand.New(rand.NewPCG(seed, 0))
	chains := make([][]simState, keys)
	for k := range chains {
		chains[k] = []simState{{}}
	}
	floors := make([][]int, sessions)
	lastRead := make([][]int, sessions) // state index, -1: none
	for s := range floors {
		floors[s] = make([]int, keys)
		lastRead[s] = make([]int, keys)
		for k := range lastRead[s] {
			lastRead[s][k] = -1
		}
	}
	type inflight struct {
		op    *Op
		phase int // 1 called, 2 applied
	}
	cur := make([]inflight, sessions)
	h := &History{Sessions: sessions, Keys: keys}
	buggy := false
	var t int64
	seq := 0
	for started := 0; started < ops || func() bool {
		for _, c := range cur {
			if c.op != nil {
				return true
			}
		}
		return false
	}(); {
		s := rng.IntN(sessions)
		c := &cur[s]
		t++
		switch {
		case c.op == nil && started < ops:
			started++
			seq++
			o := &Op{Session: s, Client: s, Key: rng.IntN(keys), Version: -1, Call: t, Outcome: OK}
			o.Kind = []Kind{Create, Set, Set, Delete, Get, Get, SyncGet}[rng.IntN(7)]
			if o.Kind == Create || o.Kind == Set {
				o.Data = fmt.Sprintf("s%d-%d", s, seq)
			}
			if (o.Kind == Set || o.Kind == Delete) && rng.IntN(2) == 0 {
				head := chains[o.Key][len(chains[o.Key])-1]
				o.Version = head.version + int32(rng.IntN(2)) // right, or one too far
			}
			c.op, c.phase = o, 1
		case c.op != nil && c.phase == 1:
			o := c.op
			chain := chains[o.Key]
			head := chain[len(chain)-1]
			vok := o.Version == -1 || o.Version == head.version
			unknown := o.Kind.IsWrite() && rng.Float64() < unknownRate
			if unknown {
				o.Outcome = Unknown
				if rng.IntN(2) == 0 {
					break // never takes effect
				}
			}
			var next *simState
			switch o.Kind {
			case Create:
				if head.exists {
					o.Outcome, o.Err = Failed, jute.ErrNodeExists
				} else {
					next = &simState{true, o.Data, 0, o}
				}
			case Set:
				switch {
				case !head.exists:
					o.Outcome, o.Err = Failed, jute.ErrNoNode
				case !vok:
					o.Outcome, o.Err = Failed, jute.ErrBadVersion
				default:
					next = &simState{true, o.Data, head.version + 1, o}
				}
			case Delete:
				switch {
				case !head.exists:
					o.Outcome, o.Err = Failed, jute.ErrNoNode
				case !vok:
					o.Outcome, o.Err = Failed, jute.ErrBadVersion
				default:
					next = &simState{w: o}
				}
			case SyncGet:
				o.Found, o.ReadData, o.ReadVersion = head.exists, head.data, head.version
				floors[s][o.Key] = len(chain) - 1
				lastRead[s][o.Key] = len(chain) - 1
			case Get:
				f := floors[s][o.Key]
				i := f + rng.IntN(len(chain)-f)
				if l := lastRead[s][o.Key]; goBack && l > 0 && rng.IntN(5) == 0 {
					if j := simOlder(chain, l); j >= 0 {
						i = j
						buggy = true
					}
				}
				st := chain[i]
				o.Found, o.ReadData, o.ReadVersion = st.exists, st.data, st.version
				floors[s][o.Key] = max(f, i)
				lastRead[s][o.Key] = i
			}
			if unknown {
				o.Outcome, o.Err = Unknown, jute.ErrConnectionLoss
				if next != nil {
					chains[o.Key] = append(chain, *next)
				}
				break
			}
			if next != nil {
				chains[o.Key] = append(chain, *next)
				o.ReadVersion = next.version
				floors[s][o.Key] = len(chains[o.Key]) - 1
			} else if o.Outcome == Failed {
				floors[s][o.Key] = len(chain) - 1
			}
			if o.Kind == Get || o.Kind == SyncGet {
				o.Outcome = OK
			}
			c.phase = 2
			continue
		case c.op != nil:
			c.op.Return = t
			h.Ops = append(h.Ops, *c.op)
			c.op = nil
			continue
		default:
			continue
		}
		// Unknown outcome: the session never hears back.
		if c.op != nil && c.op.Outcome == Unknown {
			c.op.Return = math.MaxInt64
			h.Ops = append(h.Ops, *c.op)
			c.op = nil
		}
	}
	return h, buggy
}

// simOlder returns the index of a state that exists and whose write
// returned (known outcome) before the write of chain[l] was called, or -1.
// chain[l] must exist too: the model places a NoNode read at the oldest
// absent state it may, which can precede both.
func simOlder(chain []simState, l int) int {
	x := chain[l].w
	if x == nil || !chain[l].exists {
		return -1
	}
	for j := l - 1; j > 0; j-- {
		y := chain[j].w
		if chain[j].exists && y.Outcome != Unknown && y.Return != 0 && y.Return < x.Call {
			return j
		}
	}
	return -1
}

// TestSimulatedHistories checks many histories of a simulated correct
// server (must pass: the model raises no false alarm, unknown outcomes
// included) and of one whose reads sometimes go back in time (must fail).
func TestSimulatedHistories(t *testing.T) {
	var checkTime time.Duration
	caught := 0
	const seeds = 200
	for seed := uint64(1); seed <= seeds; seed++ {
		h, _ := simulate(seed, 5, 2, 100, 0.1, false)
		start := time.Now()
		r := Check(h, 0)
		checkTime += time.Since(start)
		if r.Model != porcupine.Ok {
			checked(t, h, porcupine.Ok)
			t.Fatalf("seed %d: correct server's history judged %v (bad keys %v)", seed, r.Model, r.BadKeys)
		}
		h, buggy := simulate(seed, 5, 2, 100, 0.1, true)
		if !buggy {
			continue
		}
		if r := Check(h, 0); r.Model != porcupine.Illegal {
			checked(t, h, porcupine.Illegal)
			t.Fatalf("seed %d: reads going back in time judged %v", seed, r.Model)
		}
		caught++
	}
	if caught < 50 {
		t.Errorf("only %d buggy histories generated", caught)
	}
	t.Logf("%d correct histories passed (model check %v in all), %d buggy ones caught", seeds, checkTime.Round(time.Millisecond), caught)
}
