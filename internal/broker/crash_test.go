package broker

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/zkafka/zkafka/internal/config"
)

// TestMain lets the crash test run this test binary as a broker process.
func TestMain(m *testing.M) {
	if props := os.Getenv("ZKAFKA_BROKER_CHILD"); props != "" {
		brokerChild(props)
		return
	}
	os.Exit(m.Run())
}

func brokerChild(props string) {
	cfg, _, err := config.ParseBroker(strings.NewReader(props), "server.properties")
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	b, err := New(Options{Config: cfg})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("ADDR", b.Addr().String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	b.Close()
}

// tryBrokerChild starts a broker child, or returns nil when it exits
// before serving.
func tryBrokerChild(props string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ZKAFKA_BROKER_CHILD="+props)
	out, err := cmd.StdoutPipe()
	if err != nil || cmd.Start() != nil {
		return nil
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "ADDR ") {
		cmd.Process.Kill()
		cmd.Wait()
		return nil
	}
	return cmd
}

func startBrokerChild(t *testing.T, props string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ZKAFKA_BROKER_CHILD="+props)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		cmd.Process.Kill()
		t.Fatalf("broker child did not start: %q %v", line, err)
	}
	return cmd
}

// TestBrokerCrashKeepsAcknowledgedRecords kills a broker process with
// SIGKILL under produce load (log.flush.interval.messages=1, acks=1),
// restarts it, and reads every acknowledged record back exactly once, in
// order, with offsets that have no gaps.
func TestBrokerCrashKeepsAcknowledgedRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	zk := startKeeper(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the child binds the same port; a restart must find it again
	props := fmt.Sprintf("broker.id=1\nlisteners=PLAINTEXT://%s\nlog.dirs=%s\nzookeeper.connect=%s\n"+
		"zookeeper.session.timeout.ms=6000\nlog.flush.interval.messages=1\nnum.partitions=1\n", addr, t.TempDir(), zk)
	child := startBrokerChild(t, props)
	defer child.Process.Kill()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	setup, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("crash"), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	if err := setup.ProduceSync(ctx, &kgo.Record{Value: []byte("w9-first")}).FirstErr(); err != nil {
		t.Fatalf("creating the topic: %v", err)
	}
	setup.Close()
	p, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("crash"), kgo.AllowAutoTopicCreation(),
		kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(), kgo.RecordRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				v := fmt.Sprintf("w%d-%06d", w, i)
				if err := p.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
					return
				}
				mu.Lock()
				acked[v] = true
				mu.Unlock()
			}
		}(w)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 2000 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	close(stop)
	wg.Wait()
	p.Close()
	mu.Lock()
	defer mu.Unlock()
	acked["w9-first"] = true
	if len(acked) < 200 {
		t.Fatalf("only %d records acknowledged before the kill", len(acked))
	}

	// As with Kafka, the killed broker's registration lives until its
	// ZooKeeper session expires; until then a restart is refused.
	var child2 *exec.Cmd
	for start := time.Now(); ; {
		if child2 = tryBrokerChild(props); child2 != nil {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("broker did not restart within 30s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	defer func() { child2.Process.Signal(syscall.SIGTERM); child2.Wait() }()
	c, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("crash"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	seen := map[string]bool{}
	next := int64(0)
	lastPerWriter := map[string]string{}
	for missing := len(acked); missing > 0; {
		fs := c.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%d acknowledged records never came back", missing)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch: %v", err) })
		fs.EachRecord(func(r *kgo.Record) {
			v := string(r.Value)
			if r.Offset != next {
				t.Fatalf("offset %d after %d: a gap", r.Offset, next-1)
			}
			next++
			if seen[v] {
				t.Fatalf("%s read twice", v)
			}
			seen[v] = true
			w := v[:2]
			if prev := lastPerWriter[w]; prev != "" && v < prev {
				t.Fatalf("%s after %s: out of order", v, prev)
			}
			lastPerWriter[w] = v
			if acked[v] {
				missing--
			}
		})
	}
	t.Logf("%d acknowledged records survived SIGKILL; log holds %d", len(acked), next)
}
