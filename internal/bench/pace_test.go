package bench

import (
	randv2 "math/rand/v2"
	"testing"
	"time"
)

func TestPacing(t *testing.T) {
	tests := []struct {
		rate, clients int64
		end           time.Duration
		at            map[int64]time.Duration
		total         int64
	}{
		{rate: 1000, clients: 1, end: time.Second, at: map[int64]time.Duration{0: 0, 1: time.Millisecond, 999: 999 * time.Millisecond}, total: 1000},
		// 3 a second: 333.33 ms apart, rounded down; 1.5 s holds operations 0 to 4.
		{rate: 3, clients: 2, end: 1500 * time.Millisecond, at: map[int64]time.Duration{1: 333333333, 2: 666666666, 3: time.Second, 4: 1333333333}, total: 5},
		{rate: 3, clients: 2, end: 1333333333, at: map[int64]time.Duration{4: 1333333333}, total: 4},
		{rate: 3, clients: 2, end: 1333333334, total: 5},
		{rate: MaxRate, clients: 64, end: 10 * time.Hour, at: map[int64]time.Duration{MaxRate*36000 - 1: 10*time.Hour - 10}, total: MaxRate * 36000},
	}
	for _, tt := range tests {
		p := &pacing{rate: tt.rate, clients: tt.clients, end: tt.end}
		for n, want := range tt.at {
			if got := p.at(n); got != want {
				t.Errorf("rate %d: at(%d) = %v, want %v", tt.rate, n, got, want)
			}
		}
		if got := p.total(); got != tt.total {
			t.Errorf("rate %d end %v: total() = %d, want %d", tt.rate, tt.end, got, tt.total)
		}
		if !p.over(tt.total) || p.over(tt.total-1) {
			t.Errorf("rate %d end %v: over(%d) = %v, over(%d) = %v", tt.rate, tt.end, tt.total, p.over(tt.total), tt.total-1, p.over(tt.total-1))
		}
	}
	// 10 operations over 3 clients: client 0 has 0, 3, 6, 9; client 2 has 2, 5, 8.
	p := &pacing{rate: 10, clients: 3, end: time.Second}
	for _, c := range []struct{ next, want int64 }{{0, 4}, {2, 3}, {6, 2}, {8, 1}, {9, 1}, {10, 0}, {11, 0}} {
		if got := p.unsent(c.next); got != c.want {
			t.Errorf("unsent(%d) = %d, want %d", c.next, got, c.want)
		}
	}
}

// TestDueHeap pushes and pops at random and checks every pop against the least due left.
func TestDueHeap(t *testing.T) {
	rng := randv2.New(randv2.NewPCG(3, 4))
	h := make(dueHeap, 0, 64)
	left := map[int32]time.Duration{}
	for step := range 5000 {
		if len(h) < cap(h) && (len(h) == 0 || rng.IntN(3) > 0) {
			slot := int32(step)
			d := time.Duration(rng.IntN(100))
			h.push(dueEntry{due: d, slot: slot})
			left[slot] = d
			continue
		}
		e := h.pop()
		for slot, d := range left {
			if d < e.due {
				t.Fatalf("step %d: popped due %v while slot %d (due %v) waits", step, e.due, slot, d)
			}
		}
		if left[e.slot] != e.due {
			t.Fatalf("step %d: popped %+v, pushed with due %v", step, e, left[e.slot])
		}
		delete(left, e.slot)
	}
	if cap(h) != 64 {
		t.Errorf("the heap grew to %d", cap(h))
	}
}
