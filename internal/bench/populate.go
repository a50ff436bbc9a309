package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// Populate's shape: leaves are spread over parents of populateFanout children each, so no
// single getChildren reply grows large; populateConns sessions each keep
// populateInFlight creates outstanding.
const (
	populateFanout   = 1000
	populateConns    = 4
	populateInFlight = 32
	populateSession  = 30 * time.Second
)

// PopulateResult describes the znodes Populate created:
//
//	/zkpopulate-<random>               Root
//	├── b000000                        parent of leaves 0..999
//	│   ├── n000000                    a leaf of Size bytes (Known is b000000/n000000)
//	│   └── ...
//	└── b000001 ...
type PopulateResult struct {
	// Root is the subtree's root; remove it with DeleteTree.
	Root string
	// Leaves is the number of data znodes created, Parents the intermediate ones; the tree
	// holds Leaves + Parents + 1 znodes.
	Leaves, Parents int
	// Known is the path of the first leaf, a node to read when probing a restarted server.
	Known string
	// Elapsed is the wall time Populate took, ClientCPU the CPU time this process spent in
	// it (the load generator's own cost).
	Elapsed, ClientCPU time.Duration
}

// Populate creates n znodes of size bytes under a fresh root on server (a connect string)
// as fast as it can: creates are pipelined, populateInFlight outstanding on each of
// populateConns sessions. It stops at the first failure or when ctx is done, leaving what
// it created in place (remove it with DeleteTree), and returns the root in both cases.
func Populate(ctx context.Context, server string, n, size int) (*PopulateResult, error) {
	if n < 0 || size < 0 || size > MaxSize {
		return nil, fmt.Errorf("%w: populate n=%d size=%d", ErrInvalidOptions, n, size)
	}
	if len(splitHosts(server)) == 0 {
		return nil, fmt.Errorf("%w: empty server %q", ErrInvalidOptions, server)
	}
	start, cpu0 := time.Now(), processCPU()
	res := &PopulateResult{Root: "/zkpopulate-" + randomHex(8)}
	res.Parents = (n + populateFanout - 1) / populateFanout
	if n > 0 {
		res.Known = populateLeaf(res.Root, 0)
	}
	conns, err := dialAll(ctx, ZKOptions{
		Servers:        []string{server},
		Clients:        populateConns,
		SessionTimeout: populateSession,
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, fmt.Errorf("populate: %w", err)
	}
	defer closeAll(conns)

	acl := zk.WorldACL(zk.PermAll)
	if _, err := conns[0].Create(res.Root, nil, 0, acl); err != nil {
		return nil, fmt.Errorf("populate: create %s: %w", res.Root, err)
	}
	err = pipelined(ctx, conns, res.Parents, func(c *zk.Conn, i int) error {
		p := populateParent(res.Root, i)
		if _, err := c.Create(p, nil, 0, acl); err != nil {
			return fmt.Errorf("create %s: %w", p, err)
		}
		return nil
	})
	if err == nil {
		data := payload(size)
		err = pipelined(ctx, conns, n, func(c *zk.Conn, i int) error {
			p := populateLeaf(res.Root, i)
			if _, err := c.Create(p, data, 0, acl); err != nil {
				return fmt.Errorf("create %s: %w", p, err)
			}
			return nil
		})
		if err == nil {
			res.Leaves = n
		}
	}
	res.Elapsed, res.ClientCPU = time.Since(start), processCPU()-cpu0
	if err != nil {
		return res, fmt.Errorf("populate %s: %w", res.Root, err)
	}
	return res, nil
}

// pipelined runs do(c, i) for every i in [0, count), populateInFlight calls at a time on
// each connection, and returns the first error (after which no new calls start).
func pipelined(ctx context.Context, conns []*zk.Conn, count int, do func(c *zk.Conn, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, c := range conns {
		for range populateInFlight {
			wg.Go(func() {
				for ctx.Err() == nil {
					i := int(next.Add(1) - 1)
					if i >= count {
						return
					}
					if err := do(c, i); err != nil {
						cancel(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

func populateParent(root string, block int) string { return fmt.Sprintf("%s/b%06d", root, block) }

func populateLeaf(root string, i int) string {
	return fmt.Sprintf("%s/n%06d", populateParent(root, i/populateFanout), i%populateFanout)
}

// MemoryRSS returns the resident set size of process pid in bytes, read from the VmRSS
// line of /proc/<pid>/status (Linux only).
func MemoryRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("memory rss of %d: %w", pid, err)
	}
	defer f.Close()
	rss, err := parseVmRSS(f)
	if err != nil {
		return 0, fmt.Errorf("memory rss of %d: %w", pid, err)
	}
	return rss, nil
}

// parseVmRSS finds "VmRSS:   123456 kB" in a /proc/<pid>/status and returns it in bytes.
func parseVmRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("%w: malformed line %q", ErrNoVmRSS, sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %w", ErrNoVmRSS, err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read status: %w", err)
	}
	return 0, ErrNoVmRSS
}
