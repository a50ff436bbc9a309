package linearize

import (
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// znode is one state of a key, and a link in the chain of the states the
// key went through, newest first. Chains are immutable and shared between
// the model states that porcupine explores.
type znode struct {
	prev    *znode
	idx     int32 // position in the chain: 0 is the initial (absent) state
	exists  bool
	data    string
	version int32
	hash    uint64 // of the whole chain up to and including this state
}

// keyState is the model's state for one key: the chain of states the key
// went through in this linearization, and for every session the oldest
// state its next plain read may return.
type keyState struct {
	head   *znode
	floors []int32 // by session
}

// model builds porcupine's model of a set of znodes, partitioned by key.
// sessions is the number of sessions in the history.
func model(sessions int) porcupine.Model {
	seed := maphash.MakeSeed()
	return porcupine.Model{
		Partition: partitionByKey,
		Init: func() any {
			root := &znode{}
			root.hash = chainHash(seed, nil, root)
			return &keyState{head: root, floors: make([]int32, sessions)}
		},
		Step: func(state, input, _ any) (bool, any) {
			return step(seed, state.(*keyState), input.(*Op))
		},
		Equal: func(a, b any) bool { return statesEqual(a.(*keyState), b.(*keyState)) },
		Hash: func(state any) uint64 {
			s := state.(*keyState)
			h := s.head.hash
			for i, f := range s.floors {
				h ^= uint64(f+1) * (0x9e3779b97f4a7c15 + uint64(i)*0xbf58476d1ce4e5b9)
			}
			return h
		},
		DescribeOperation: func(input, _ any) string { return input.(*Op).String() },
		DescribeState:     describeState,
	}
}

// partitionByKey splits a history into one partition per key, in key
// order.
func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	byKey := map[int][]porcupine.Operation{}
	for _, o := range history {
		k := o.Input.(*Op).Key
		byKey[k] = append(byKey[k], o)
	}
	keys := make([]int, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][]porcupine.Operation, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	return out
}

func chainHash(seed maphash.Seed, prev, n *znode) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	if prev != nil {
		var b [8]byte
		for i := range b {
			b[i] = byte(prev.hash >> (8 * i))
		}
		h.Write(b[:])
	}
	if n.exists {
		h.WriteByte(1)
		h.WriteString(n.data)
		h.WriteByte(byte(n.version))
		h.WriteByte(byte(n.version >> 8))
	} else {
		h.WriteByte(0)
	}
	return h.Sum64()
}

// push returns s with a new state appended to the chain.
func (s *keyState) push(seed maphash.Seed, exists bool, data string, version int32) *keyState {
	n := &znode{prev: s.head, idx: s.head.idx + 1, exists: exists, data: data, version: version}
	n.hash = chainHash(seed, s.head, n)
	return &keyState{head: n, floors: s.floors}
}

// withFloor returns s with session's floor raised to idx.
func (s *keyState) withFloor(session int, idx int32) *keyState {
	if s.floors[session] >= idx {
		return s
	}
	f := slices.Clone(s.floors)
	f[session] = idx
	return &keyState{head: s.head, floors: f}
}

// step applies one operation to one key's state, as a ZooKeeper server
// would, and says whether the recorded reply is possible.
func step(seed maphash.Seed, s *keyState, op *Op) (bool, *keyState) {
	h := s.head
	versionOK := op.Version == -1 || op.Version == h.version
	switch op.Kind {
	case Create:
		switch op.Outcome {
		case Unknown:
			if h.exists {
				return true, s
			}
			return true, s.push(seed, true, op.Data, 0)
		case Failed:
			return h.exists && op.Err == jute.ErrNodeExists, s.withFloor(op.Session, h.idx)
		}
		if h.exists || op.ReadVersion != 0 {
			return false, s
		}
		n := s.push(seed, true, op.Data, 0)
		return true, n.withFloor(op.Session, n.head.idx)
	case Set:
		switch op.Outcome {
		case Unknown:
			if !h.exists || !versionOK {
				return true, s
			}
			return true, s.push(seed, true, op.Data, h.version+1)
		case Failed:
			ok := (!h.exists && op.Err == jute.ErrNoNode) || (h.exists && !versionOK && op.Err == jute.ErrBadVersion)
			return ok, s.withFloor(op.Session, h.idx)
		}
		if !h.exists || !versionOK || op.ReadVersion != h.version+1 {
			return false, s
		}
		n := s.push(seed, true, op.Data, h.version+1)
		return true, n.withFloor(op.Session, n.head.idx)
	case Delete:
		switch op.Outcome {
		case Unknown:
			if !h.exists || !versionOK {
				return true, s
			}
			return true, s.push(seed, false, "", 0)
		case Failed:
			ok := (!h.exists && op.Err == jute.ErrNoNode) || (h.exists && !versionOK && op.Err == jute.ErrBadVersion)
			return ok, s.withFloor(op.Session, h.idx)
		}
		if !h.exists || !versionOK {
			return false, s
		}
		n := s.push(seed, false, "", 0)
		return true, n.withFloor(op.Session, n.head.idx)
	case SyncGet:
		if !sameState(h, op) {
			return false, s
		}
		return true, s.withFloor(op.Session, h.idx)
	case Get:
		// The oldest state at or after the session's floor that matches:
		// the lowest floor leaves the most freedom to what follows.
		floor := s.floors[op.Session]
		match := int32(-1)
		for n := h; n != nil && n.idx >= floor; n = n.prev {
			if sameState(n, op) {
				match = n.idx
			}
		}
		if match < 0 {
			return false, s
		}
		return true, s.withFloor(op.Session, match)
	}
	return false, s
}

// sameState reports whether a read's reply shows state n.
func sameState(n *znode, op *Op) bool {
	if !op.Found {
		return !n.exists
	}
	return n.exists && n.data == op.ReadData && n.version == op.ReadVersion
}

func statesEqual(a, b *keyState) bool {
	if a.head.idx != b.head.idx || a.head.hash != b.head.hash || !slices.Equal(a.floors, b.floors) {
		return false
	}
	for x, y := a.head, b.head; x != y; x, y = x.prev, y.prev {
		if x.exists != y.exists || x.data != y.data || x.version != y.version {
			return false
		}
	}
	return true
}

func describeState(state any) string {
	s := state.(*keyState)
	var b strings.Builder
	if s.head.exists {
		fmt.Fprintf(&b, "%q v=%d", s.head.data, s.head.version)
	} else {
		b.WriteString("absent")
	}
	fmt.Fprintf(&b, " (state #%d; session floors", s.head.idx)
	for i, f := range s.floors {
		if f > 0 {
			fmt.Fprintf(&b, " s%d≥#%d", i, f)
		}
	}
	b.WriteString(")")
	return b.String()
}

// operations turns a history into porcupine's operations: reads without
// a reply are dropped, writes without one never return.
func operations(h *History) []porcupine.Operation {
	ops := make([]porcupine.Operation, 0, len(h.Ops))
	for i := range h.Ops {
		o := &h.Ops[i]
		ret := o.Return
		if o.Outcome == Unknown {
			if !o.Kind.IsWrite() {
				continue
			}
			ret = math.MaxInt64
		}
		ops = append(ops, porcupine.Operation{ClientId: o.Session, Input: o, Call: o.Call, Output: o, Return: ret})
	}
	return ops
}
