package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/bench"
	"github.com/zkafka/zkafka/internal/zkclient/zktest"
)

// TestOneProcBatchesWrites checks group commit in a keeper process with a
// single P (GOMAXPROCS=1, as on one CPU): writes that are waiting to run
// when the commit loop takes a batch must join it, not each wait for an
// fdatasync of its own.
//
// With one P, writes once went each to a worker goroutine of its own, and
// the commit loop, readied by the first, synced it alone while the others
// waited in the run queue (the blocking fdatasync holds the only P): 2-5
// writes per fsync under 64 clients, 3-8k sets/s with a p50 of 8 ms. Now
// the event loops propose the writes they read before the commit loop can
// run (trySubmit), and the commit loop yields once before its fdatasync so
// that writes handed to workers (back-pressure) join too: 31-35 writes per
// fsync (half the clients: the other half is in the batch being applied).
// The test counts writes per fsync from mntr's sync_processor_batch_size,
// not time; the code before both changes failed it 3 runs of 5 (the stall
// does not always set in within its one second).
func TestOneProcBatchesWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	const (
		clients = 64
		minPer  = 16.0
	)
	t.Setenv("GOMAXPROCS", "1") // the child's, through its environment
	child, addr := startChild(t, t.TempDir(), "127.0.0.1:0")
	defer child.Process.Kill()

	cnt0, sum0 := batchStats(t, addr)
	res, err := bench.RunZK(t.Context(), bench.ZKOptions{
		Servers:  []string{addr},
		Client:   bench.ClientRaw,
		Clients:  clients,
		Op:       bench.OpSet,
		Duration: time.Second,
		Size:     100,
	})
	if err != nil {
		t.Fatal(err)
	}
	cnt, sum := batchStats(t, addr)
	per := float64(sum-sum0) / float64(cnt-cnt0)
	t.Logf("%.1f writes per fsync (%d writes, %d fsyncs, %d sets acknowledged)", per, sum-sum0, cnt-cnt0, res.Ops)
	if per < minPer {
		t.Errorf("%.1f writes per fsync with %d clients writing to a keeper on one P, want at least %.0f: the commit loop syncs before the waiting writes join its batch", per, clients, minPer)
	}
}

// batchStats reads the count and the sum of sync_processor_batch_size
// (writes per fsync) from the keeper at addr.
func batchStats(t *testing.T, addr string) (cnt, sum int64) {
	t.Helper()
	out, err := zktest.FourLetter(addr, "mntr")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, l := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(l, "\t")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "zk_cnt_sync_processor_batch_size":
			cnt = n
			found++
		case "zk_sum_sync_processor_batch_size":
			sum = n
			found++
		}
	}
	if found != 2 {
		t.Fatalf("mntr lacks sync_processor_batch_size's count or sum:\n%s", out)
	}
	return cnt, sum
}
