package server

import (
	"fmt"
	"testing"
)

// TestStartupMetrics: mntr's startup metrics describe this process's
// recovery, as ZooKeeper's do: a fresh server loads no snapshot and no log
// (no txns summary), a restart replays the whole log, a restart after a
// snapshot replays nothing; srst resets them.
func TestStartupMetrics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	o := func(o *Options) { o.DataDir = dir }
	startup := func(s *Server) map[string]string {
		t.Helper()
		m, _ := mntrMap(t, ask4lw(t, s.Addr().String(), "mntr"))
		return m
	}
	check := func(what string, m map[string]string, want map[string]int64) {
		t.Helper()
		for k, v := range want {
			if got := mntrInt(t, m, k); got != v {
				t.Errorf("%s: %s = %d, want %d", what, k, got, v)
			}
		}
		// The log replay and the snapshot load are parts of dbinittime.
		db := mntrInt(t, m, "zk_max_dbinittime")
		if snap, txns := mntrInt(t, m, "zk_max_startup_snap_load_time"), mntrInt(t, m, "zk_max_startup_txns_load_time"); db < snap || db < txns {
			t.Errorf("%s: dbinittime %d ms is less than the snapshot's %d ms or the log's %d ms", what, db, snap, txns)
		}
	}

	s1 := testServer(t, o)
	check("fresh", startup(s1), map[string]int64{
		"zk_cnt_dbinittime": 1, "zk_cnt_startup_snap_load_time": 1,
		"zk_cnt_startup_txns_load_time": 0, "zk_cnt_startup_txns_loaded": 0,
	})
	c, _ := connect(t, s1)
	for i := range 200 {
		if _, err := c.Create(fmt.Sprintf("/n%d", i), []byte("x"), 0, open); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	s1.Close()
	logged := s1.lastZxid()

	s2 := testServer(t, o)
	m := startup(s2)
	check("restart", m, map[string]int64{
		"zk_cnt_dbinittime": 1, "zk_cnt_startup_snap_load_time": 1,
		"zk_cnt_startup_txns_load_time": 1, "zk_cnt_startup_txns_loaded": 1,
		"zk_sum_startup_txns_loaded": logged, "zk_max_startup_txns_loaded": logged,
	})
	if got := ask4lw(t, s2.Addr().String(), "srst"); got != "Server stats reset.\n" {
		t.Fatalf("srst: %q", got)
	}
	check("after srst", startup(s2), map[string]int64{
		"zk_cnt_dbinittime": 0, "zk_cnt_startup_snap_load_time": 0, "zk_cnt_startup_txns_loaded": 0,
	})
	s2.Close() // waits for the snapshot of what it replayed

	s3 := testServer(t, o)
	check("restart after a snapshot", startup(s3), map[string]int64{
		"zk_cnt_dbinittime": 1, "zk_cnt_startup_snap_load_time": 1,
		"zk_cnt_startup_txns_loaded": 1, "zk_sum_startup_txns_loaded": 0,
	})
}
