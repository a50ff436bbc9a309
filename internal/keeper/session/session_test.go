package session

import (
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func at(ms int64) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestTrackerBucketRounding(t *testing.T) {
	const tick = 2000 * time.Millisecond
	tests := []struct {
		name    string
		nowMS   int64 // after the base time t0
		timeout time.Duration
		wantMS  int64 // bucket deadline after t0
	}{
		{"mid tick", 0, 5000 * time.Millisecond, 6000},
		{"exact multiple moves to the next", 0, 4000 * time.Millisecond, 6000},
		{"one ms before a multiple", 0, 3999 * time.Millisecond, 4000},
		{"one ms after a multiple", 1, 4000 * time.Millisecond, 6000},
		{"zero timeout", 500, 0, 2000},
		{"later now", 10_123, 30 * time.Second, 42_000},
		{"now before the base", -3000, 2 * time.Second, 0},
		{"now before the base, exact", -4000, 2 * time.Second, 0},
		{"now before the base, off", -4001, 2 * time.Second, -2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(tick)
			tr.Expired(t0) // fix the base at t0
			tr.Touch(1, tt.timeout, at(tt.nowMS))
			got, ok := tr.Deadline(1)
			if !ok {
				t.Fatal("Deadline: not tracked")
			}
			if want := at(tt.wantMS); !got.Equal(want) {
				t.Errorf("Deadline = +%v, want +%v", got.Sub(t0), want.Sub(t0))
			}
			if next, ok := tr.NextDeadline(); !ok || !next.Equal(got) {
				t.Errorf("NextDeadline = %v, %v; want %v", next, ok, got)
			}
		})
	}
}

// step is one operation of a scripted tracker test.
type step struct {
	op      string // "touch", "remove", "expire"
	id      int64
	timeout time.Duration
	nowMS   int64
	want    []int64 // for "expire"
}

func TestTrackerScripts(t *testing.T) {
	const tick = time.Second
	tests := []struct {
		name    string
		steps   []step
		wantLen int
	}{
		{
			name: "expires exactly at the bucket deadline",
			steps: []step{
				{op: "touch", id: 7, timeout: 2500 * time.Millisecond, nowMS: 0}, // bucket 3000
				{op: "expire", nowMS: 2999},
				{op: "expire", nowMS: 3000, want: []int64{7}},
				{op: "expire", nowMS: 5000},
			},
		},
		{
			name: "re-touch moves to a later bucket",
			steps: []step{
				{op: "touch", id: 1, timeout: 2 * time.Second, nowMS: 0},    // bucket 3000
				{op: "touch", id: 1, timeout: 2 * time.Second, nowMS: 1500}, // bucket 4000
				{op: "expire", nowMS: 3000},
				{op: "expire", nowMS: 4000, want: []int64{1}},
			},
		},
		{
			name: "re-touch within the same bucket changes nothing",
			steps: []step{
				{op: "touch", id: 1, timeout: 2 * time.Second, nowMS: 100},
				{op: "touch", id: 1, timeout: 2 * time.Second, nowMS: 900},
				{op: "expire", nowMS: 3000, want: []int64{1}},
			},
		},
		{
			name: "shorter timeout moves to an earlier bucket",
			steps: []step{
				{op: "touch", id: 1, timeout: 10 * time.Second, nowMS: 0},
				{op: "touch", id: 1, timeout: time.Second, nowMS: 0},
				{op: "expire", nowMS: 2000, want: []int64{1}},
			},
		},
		{
			name: "remove",
			steps: []step{
				{op: "touch", id: 1, timeout: time.Second, nowMS: 0},
				{op: "touch", id: 2, timeout: time.Second, nowMS: 0},
				{op: "remove", id: 1},
				{op: "remove", id: 99},
				{op: "expire", nowMS: 2000, want: []int64{2}},
			},
		},
		{
			name: "remove then touch tracks again",
			steps: []step{
				{op: "touch", id: 1, timeout: time.Second, nowMS: 0},
				{op: "remove", id: 1},
				{op: "touch", id: 1, timeout: 3 * time.Second, nowMS: 0},
				{op: "expire", nowMS: 2000},
			},
			wantLen: 1,
		},
		{
			name: "several buckets due at once, sorted by id",
			steps: []step{
				{op: "touch", id: 30, timeout: time.Second, nowMS: 0},
				{op: "touch", id: -5, timeout: 2 * time.Second, nowMS: 0},
				{op: "touch", id: 10, timeout: 3 * time.Second, nowMS: 0},
				{op: "touch", id: 20, timeout: 9 * time.Second, nowMS: 0},
				{op: "expire", nowMS: 4000, want: []int64{-5, 10, 30}},
			},
			wantLen: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(tick)
			tr.Expired(t0)
			for i, s := range tt.steps {
				switch s.op {
				case "touch":
					tr.Touch(s.id, s.timeout, at(s.nowMS))
				case "remove":
					tr.Remove(s.id)
				case "expire":
					got := tr.Expired(at(s.nowMS))
					if !slices.Equal(got, s.want) {
						t.Fatalf("step %d: Expired(+%dms) = %v, want %v", i, s.nowMS, got, s.want)
					}
					for _, id := range got {
						if _, ok := tr.Deadline(id); ok {
							t.Fatalf("step %d: session %d still tracked after expiry", i, id)
						}
					}
				default:
					t.Fatalf("bad op %q", s.op)
				}
			}
			if tr.Len() != tt.wantLen {
				t.Errorf("Len = %d, want %d", tr.Len(), tt.wantLen)
			}
			if _, ok := tr.NextDeadline(); ok != (tt.wantLen > 0) {
				t.Errorf("NextDeadline ok = %v with %d sessions", ok, tt.wantLen)
			}
		})
	}
}

func TestTrackerEmpty(t *testing.T) {
	tr := NewTracker(time.Second)
	if _, ok := tr.NextDeadline(); ok {
		t.Error("NextDeadline on empty tracker: ok")
	}
	if _, ok := tr.Deadline(1); ok {
		t.Error("Deadline on empty tracker: ok")
	}
	if got := tr.Expired(t0); got != nil {
		t.Errorf("Expired on empty tracker = %v", got)
	}
	if tr.Len() != 0 {
		t.Errorf("Len = %d", tr.Len())
	}
}

func TestTrackerManySessions(t *testing.T) {
	const (
		tick = 100 * time.Millisecond
		n    = 10_000
	)
	tr := NewTracker(tick)
	tr.Expired(t0)
	// Session i gets timeout (i%50+1)*tick at time 0: it lands in bucket
	// (i%50+2)*tick. Odd sessions are then re-touched 1 tick later, moving them
	// one bucket on; every 7th session is removed.
	for i := int64(0); i < n; i++ {
		tr.Touch(i, time.Duration(i%50+1)*tick, t0)
	}
	for i := int64(1); i < n; i += 2 {
		tr.Touch(i, time.Duration(i%50+1)*tick, t0.Add(tick))
	}
	removed := 0
	for i := int64(0); i < n; i += 7 {
		tr.Remove(i)
		removed++
	}
	if tr.Len() != n-removed {
		t.Fatalf("Len = %d, want %d", tr.Len(), n-removed)
	}
	want := func(i int64) int64 { // bucket index
		b := i%50 + 2
		if i%2 == 1 {
			b++
		}
		return b
	}
	seen := 0
	for b := int64(0); b <= 60; b++ {
		now := t0.Add(time.Duration(b) * tick)
		if next, ok := tr.NextDeadline(); ok && next.Before(now) {
			t.Fatalf("bucket %d: NextDeadline %v is before now", b, next.Sub(t0))
		}
		got := tr.Expired(now)
		if !slices.IsSorted(got) {
			t.Fatalf("bucket %d: not sorted", b)
		}
		for _, id := range got {
			if id%7 == 0 {
				t.Fatalf("removed session %d expired", id)
			}
			if want(id) != b {
				t.Fatalf("session %d expired at bucket %d, want %d", id, b, want(id))
			}
		}
		seen += len(got)
	}
	if seen != n-removed || tr.Len() != 0 {
		t.Fatalf("expired %d sessions, %d left; want %d, 0", seen, tr.Len(), n-removed)
	}
	if len(tr.buckets) != 0 || len(tr.queue) != 0 {
		t.Fatalf("leaked %d buckets, %d queue entries", len(tr.buckets), len(tr.queue))
	}
}

func TestTrackerMonotonic(t *testing.T) {
	// Times that differ only in their monotonic reading are measured by it.
	start := time.Now()
	tr := NewTracker(time.Second)
	tr.Touch(1, 2*time.Second, start)
	later := start.Add(1500 * time.Millisecond)
	if got := tr.Expired(later); got != nil {
		t.Fatalf("Expired early: %v", got)
	}
	if got := tr.Expired(start.Add(3 * time.Second)); !slices.Equal(got, []int64{1}) {
		t.Fatalf("Expired = %v, want [1]", got)
	}
}

func TestNewTrackerPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewTracker(0) did not panic")
		}
	}()
	NewTracker(0)
}

func TestInitialID(t *testing.T) {
	tests := []struct {
		name     string
		serverID int64
		ms       int64
		want     uint64
	}{
		{"server 1", 1, 1_700_000_000_000, 0x018BCFE568000000},
		{"server 254", 254, 1_234_567_890_123, 0xFE1F71FB04CB0000},
		{"server 0", 0, 1_700_000_000_000, 0x008BCFE568000000},
		{"top 24 time bits dropped", 3, 0x7F_FF00_0000_0001, 0x0300000000010000},
		{"container marker is skipped", 128, 0, 0x8000000000000001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := InitialID(tt.serverID, time.UnixMilli(tt.ms))
			if uint64(got) != tt.want {
				t.Errorf("InitialID = %#016x, want %#016x", uint64(got), tt.want)
			}
		})
	}
}

func TestGenerator(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	g := NewGenerator(1, now)
	first := InitialID(1, now)
	if g.Peek() != first {
		t.Fatalf("Peek = %#x, want %#x", g.Peek(), first)
	}
	for i := int64(0); i < 3; i++ {
		if got := g.Next(); got != first+i {
			t.Fatalf("Next #%d = %#x, want %#x", i, got, first+i)
		}
	}
	g = NewGenerator(0x7f, time.UnixMilli(0xFF_FFFF_FFFF))
	if got := g.Next(); got != 0x7FFF_FFFF_FFFF_0000 {
		t.Fatalf("Next = %#x", got)
	}
	if got := g.Next(); got != 0x7FFF_FFFF_FFFF_0001 {
		t.Fatalf("Next = %#x", got)
	}
}

func TestNegotiateTimeout(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name              string
		requested, lo, hi time.Duration
		want              time.Duration
	}{
		{"within", 10 * s, 4 * s, 40 * s, 10 * s},
		{"below min", 1 * s, 4 * s, 40 * s, 4 * s},
		{"above max", 100 * s, 4 * s, 40 * s, 40 * s},
		{"zero", 0, 4 * s, 40 * s, 4 * s},
		{"at min", 4 * s, 4 * s, 40 * s, 4 * s},
		{"at max", 40 * s, 4 * s, 40 * s, 40 * s},
		{"inverted bounds: max wins", 1 * s, 40 * s, 4 * s, 4 * s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NegotiateTimeout(tt.requested, tt.lo, tt.hi); got != tt.want {
				t.Errorf("NegotiateTimeout(%v, %v, %v) = %v, want %v", tt.requested, tt.lo, tt.hi, got, tt.want)
			}
		})
	}
	if DefaultMinTimeout(2*s) != 4*s || DefaultMaxTimeout(2*s) != 40*s {
		t.Error("default bounds are not 2 and 20 ticks")
	}
}

func BenchmarkTrackerTouch(b *testing.B) {
	tr := NewTracker(2 * time.Second)
	now := t0
	for i := 0; b.Loop(); i++ {
		tr.Touch(int64(i%10_000), 30*time.Second, now)
		if i%1000 == 0 {
			now = now.Add(10 * time.Millisecond)
		}
	}
}
