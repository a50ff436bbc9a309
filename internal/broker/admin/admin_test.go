package admin

import (
	"errors"
	"reflect"
	"testing"
)

func TestAssign(t *testing.T) {
	cases := []struct {
		name    string
		brokers []int32
		parts   int32
		rf      int16
		start   int
		shift   int
		want    [][]int32
		wantErr error
	}{
		{"single broker", []int32{0}, 3, 1, 0, 0, [][]int32{{0}, {0}, {0}}, nil},
		// Kafka's documented example: 5 brokers, 10 partitions, rf 3,
		// start 0, shift 0.
		{"kafka example", []int32{0, 1, 2, 3, 4}, 10, 3, 0, 0, [][]int32{
			{0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 0}, {4, 0, 1},
			{0, 2, 3}, {1, 3, 4}, {2, 4, 0}, {3, 0, 1}, {4, 1, 2},
		}, nil},
		{"unsorted ids", []int32{7, 3}, 2, 2, 0, 0, [][]int32{{3, 7}, {7, 3}}, nil},
		{"rf too big", []int32{1}, 1, 2, 0, 0, nil, ErrInvalidReplicationFactor},
		{"no partitions", []int32{1}, 0, 1, 0, 0, nil, ErrInvalidPartitions},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Assign(tc.brokers, tc.parts, tc.rf, tc.start, tc.shift)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Assign = %v, %v\nwant %v", got, err, tc.want)
			}
		})
	}
}

// Every broker leads the same number of partitions (±1), whatever start
// and shift are, and no partition repeats a broker.
func TestAssignBalanced(t *testing.T) {
	brokers := []int32{1, 2, 3, 4}
	for start := 0; start < 4; start++ {
		for shift := 0; shift < 4; shift++ {
			got, err := Assign(brokers, 12, 3, start, shift)
			if err != nil {
				t.Fatal(err)
			}
			leaders := map[int32]int{}
			for _, r := range got {
				leaders[r[0]]++
				seen := map[int32]bool{}
				for _, b := range r {
					if seen[b] {
						t.Fatalf("start %d shift %d: %v repeats a broker", start, shift, r)
					}
					seen[b] = true
				}
			}
			for _, b := range brokers {
				if leaders[b] != 3 {
					t.Fatalf("start %d shift %d: broker %d leads %d", start, shift, b, leaders[b])
				}
			}
		}
	}
}
