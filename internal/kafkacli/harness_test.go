package kafkacli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/zkafka/zkafka/internal/testkit"
)

func startKeeper(t *testing.T) string { return testkit.StartKeeper(t) }

func startBroker(t *testing.T, zk string, id int, extra string) string {
	return testkit.StartBroker(t, zk, id, extra)
}

func startCluster(t *testing.T, extra string) string { return testkit.StartCluster(t, extra) }

// result is what one command run printed and its exit status.
type result struct {
	out, err string
	code     int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
}

// run runs a fresh command with args and stdin, as cmd/zkafka would.
func run(t *testing.T, newCmd func() *cobra.Command, stdin string, args ...string) result {
	t.Helper()
	cmd := newCmd()
	var out, errb bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	code := 0
	if err != nil {
		var coded interface{ ExitCode() int }
		if !errors.As(err, &coded) {
			t.Fatalf("%v: error without exit status: %v", args, err)
		}
		code = coded.ExitCode()
	}
	return result{out.String(), errb.String(), code}
}

// brokerServes reports whether the broker at addr serves the api key.
func brokerServes(t *testing.T, addr string, key kmsg.Key) bool {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range resp.ApiKeys {
		if k.ApiKey == key.Int16() {
			return true
		}
	}
	return false
}

// skipUnserved skips the rest of a test whose api the broker does not
// serve yet, after checking the tool said so as Kafka's would.
func skipUnserved(t *testing.T, r result, api string) {
	t.Helper()
	want := "Error while executing topic command : The node does not support " + api + "\n"
	if r.code != 1 || r.out != want {
		t.Fatalf("unserved %s: got %v, want stdout %q and exit 1", api, r, want)
	}
	t.Skipf("the broker does not serve %s yet; this test runs once it does", api)
}
