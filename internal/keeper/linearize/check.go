package linearize

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// Errors returned by Result.Err.
var (
	// ErrNotLinearizable: no order of the operations explains every reply
	// (see the package doc for the model).
	ErrNotLinearizable = errors.New("linearize: history violates the model")
	// ErrZxid: the zxids in the replies contradict each other.
	ErrZxid = errors.New("linearize: zxids inconsistent")
	// ErrUndecided: the model check ran out of time before deciding.
	ErrUndecided = errors.New("linearize: check timed out undecided")
)

// DefaultCheckTimeout bounds the model check unless Check is given another.
const DefaultCheckTimeout = 60 * time.Second

// Result is the verdict on a history.
type Result struct {
	// Model is porcupine's verdict on the per-key model: Ok, Illegal or
	// Unknown (timed out).
	Model porcupine.CheckResult
	// BadKeys are the keys whose operations have no valid order.
	BadKeys []int
	// Zxid lists the contradictions the zxid check found.
	Zxid []string
	// Ops is how many operations were checked by the model (reads
	// without a reply are left out).
	Ops int

	model porcupine.Model
	info  porcupine.LinearizationInfo
}

// Check checks h: the per-key model with porcupine (bounded by timeout;
// 0 means DefaultCheckTimeout) and the zxid rules. See the package doc
// for exactly what each covers.
func Check(h *History, timeout time.Duration) *Result {
	if timeout <= 0 {
		timeout = DefaultCheckTimeout
	}
	ops := operations(h)
	m := model(h.Sessions)
	res, info := porcupine.CheckOperationsVerbose(m, ops, timeout)
	r := &Result{Model: res, Zxid: checkZxids(h), Ops: len(ops), model: m, info: info}
	if res == porcupine.Illegal {
		// Partitions come in key order; a partition whose longest
		// partial linearization misses operations is a bad key.
		parts := partitionByKey(ops)
		for i, lins := range info.PartialLinearizations() {
			longest := 0
			for _, l := range lins {
				longest = max(longest, len(l))
			}
			if longest < len(parts[i]) {
				r.BadKeys = append(r.BadKeys, parts[i][0].Input.(*Op).Key)
			}
		}
	}
	return r
}

// Err returns nil when the history passed every check, or an error naming
// what failed.
func (r *Result) Err() error {
	var errs []error
	switch r.Model {
	case porcupine.Illegal:
		errs = append(errs, fmt.Errorf("%w: keys %v", ErrNotLinearizable, r.BadKeys))
	case porcupine.Unknown:
		errs = append(errs, ErrUndecided)
	}
	if len(r.Zxid) > 0 {
		shown := r.Zxid[:min(len(r.Zxid), 5)]
		errs = append(errs, fmt.Errorf("%w: %d problems: %s", ErrZxid, len(r.Zxid), strings.Join(shown, "; ")))
	}
	return errors.Join(errs...)
}

// Visualize writes porcupine's HTML view of the checked history to path:
// every operation on a timeline per session, and for a failed key the
// longest orders found before the contradiction.
func (r *Result) Visualize(path string) error {
	if err := porcupine.VisualizePath(r.model, r.info, path); err != nil {
		return fmt.Errorf("linearize: visualization to %s: %w", path, err)
	}
	return nil
}

// writeZxid is the zxid of an acknowledged write's transaction.
func writeZxid(o *Op) int64 {
	switch o.Kind {
	case Create:
		return o.Czxid
	case Set:
		return o.Mzxid
	}
	return o.Zxid // delete: the reply header carries its txn's zxid
}

// checkZxids checks the zxids the server reported, which the model does
// not look at:
//
//   - Z1: in each session, reply zxids never decrease;
//   - Z2: a read's stat has czxid ≤ mzxid ≤ the reply's zxid;
//   - Z3: acknowledged writes have distinct zxids, ordered as the writes
//     are in real time (one returned before the other was called);
//   - Z4: a read that found the znode saw it as of the reply's zxid: no
//     acknowledged write to that key has a zxid in (mzxid, reply zxid].
//
// Together they extend the model's per-key session order to all keys, to
// the extent the zxids can be trusted; Z3 is what checks them.
func checkZxids(h *History) []string {
	var probs []string
	bySession := make([][]*Op, h.Sessions)
	var writes []*Op
	writesByKey := make([][]int64, h.Keys)
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Outcome == Unknown {
			continue
		}
		bySession[o.Session] = append(bySession[o.Session], o)
		if o.Outcome == OK && o.Kind.IsWrite() {
			writes = append(writes, o)
			writesByKey[o.Key] = append(writesByKey[o.Key], writeZxid(o))
		}
	}
	// Z1.
	for _, ops := range bySession {
		sort.SliceStable(ops, func(i, j int) bool { return ops[i].Call < ops[j].Call })
		for i := 1; i < len(ops); i++ {
			if ops[i].Zxid < ops[i-1].Zxid {
				probs = append(probs, fmt.Sprintf("Z1: session %d: zxid 0x%x after 0x%x (%v after %v)",
					ops[i].Session, ops[i].Zxid, ops[i-1].Zxid, ops[i], ops[i-1]))
			}
		}
	}
	// Z2 and Z4.
	for _, ks := range writesByKey {
		slices.Sort(ks)
	}
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Outcome != OK || o.Kind.IsWrite() || !o.Found {
			continue
		}
		if o.Czxid > o.Mzxid || o.Mzxid > o.Zxid {
			probs = append(probs, fmt.Sprintf("Z2: %v: czxid 0x%x mzxid 0x%x reply zxid 0x%x", o, o.Czxid, o.Mzxid, o.Zxid))
			continue
		}
		ks := writesByKey[o.Key]
		j, _ := slices.BinarySearch(ks, o.Mzxid+1)
		if j < len(ks) && ks[j] <= o.Zxid {
			probs = append(probs, fmt.Sprintf("Z4: %v: last change 0x%x, yet a write at 0x%x ≤ reply zxid 0x%x", o, o.Mzxid, ks[j], o.Zxid))
		}
	}
	// Z3: sweep writes by call time, with the largest zxid of the writes
	// that returned before.
	seen := map[int64]*Op{}
	for _, w := range writes {
		z := writeZxid(w)
		if prev, dup := seen[z]; dup {
			probs = append(probs, fmt.Sprintf("Z3: zxid 0x%x of both %v and %v", z, prev, w))
		}
		seen[z] = w
	}
	byCall := slices.Clone(writes)
	sort.Slice(byCall, func(i, j int) bool { return byCall[i].Call < byCall[j].Call })
	byReturn := slices.Clone(writes)
	sort.Slice(byReturn, func(i, j int) bool { return byReturn[i].Return < byReturn[j].Return })
	var maxBefore *Op
	j := 0
	for _, w := range byCall {
		for ; j < len(byReturn) && byReturn[j].Return < w.Call; j++ {
			if maxBefore == nil || writeZxid(byReturn[j]) > writeZxid(maxBefore) {
				maxBefore = byReturn[j]
			}
		}
		if maxBefore != nil && writeZxid(w) <= writeZxid(maxBefore) {
			probs = append(probs, fmt.Sprintf("Z3: %v (zxid 0x%x) called after %v (zxid 0x%x) returned",
				w, writeZxid(w), maxBefore, writeZxid(maxBefore)))
		}
	}
	return probs
}
