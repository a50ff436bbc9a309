package tree

import (
	"fmt"
	"sync"
	"testing"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// TestReadersWithRWMutex exercises the documented contract under -race:
// read methods run concurrently with each other, Apply alone.
func TestReadersWithRWMutex(t *testing.T) {
	e := richTree(t)
	var mu sync.RWMutex
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.RLock()
				e.t.GetData("/a", nil)
				e.t.Stat("/a/digest", []jute.ID{digestU})
				e.t.Children("/a", nil)
				e.t.GetACL("/a/digest", nil)
				e.t.AllChildrenNumber("/", nil)
				e.t.Ephemerals(sess2, "/")
				e.t.MultiRead(&jute.MultiRequest{Ops: []jute.MultiOp{{Type: jute.OpGetData, Body: &jute.PathRequest{Path: "/a"}}}}, nil)
				e.t.ExpiredCandidates(1 << 50)
				_ = e.t.Digest() + uint64(e.t.NodeCount()) + uint64(e.t.ApproxDataSize()) + uint64(e.t.EphemeralCount())
				mu.RUnlock()
			}
		}()
	}
	for i := 0; i < 500; i++ {
		mu.Lock()
		e.t.Apply(e.txn(jute.OpCreate, &jute.CreateRequest{Path: fmt.Sprintf("/a/r%d", i), Data: []byte("x"), ACL: open}))
		if i%10 == 0 {
			f := e.t.Snapshot()
			mu.Unlock()
			if _, err := f.WriteTo(discard{}); err != nil {
				t.Error(err)
			}
			continue
		}
		mu.Unlock()
	}
	close(stop)
	wg.Wait()
	checkInvariants(t, e.t)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
