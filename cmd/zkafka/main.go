// Command zkafka is one binary that replaces Apache ZooKeeper and Apache
// Kafka (ZooKeeper mode). Its subcommands mirror the scripts operators
// already use: `zkafka zk start|stop|status|start-foreground` for
// zkServer.sh, `zkafka zk cli` for zkCli.sh, `zkafka bench` for load tests.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/zkafka/zkafka/internal/bench"
	"github.com/zkafka/zkafka/internal/kafkacli"
)

func main() {
	root := &cobra.Command{
		Use:           "zkafka",
		Short:         "A ZooKeeper- and Kafka-compatible server in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newZKCommand(), newKafkaCommand(), newDevCommand(), bench.NewCommand(),
		kafkacli.NewTopicsCommand(), kafkacli.NewProduceCommand(), kafkacli.NewConsumeCommand())
	// Kafka's and ZooKeeper's scripts take single-dash long flags.
	for i, a := range os.Args {
		if a == "-daemon" {
			os.Args[i] = "--daemon"
		}
	}
	if err := root.Execute(); err != nil {
		// zkCli's errors carry their own exit status and were printed.
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) {
			os.Exit(coded.ExitCode())
		}
		var ec exitCode
		if asExit(err, &ec) {
			if ec.msg != "" {
				fmt.Fprintln(os.Stderr, ec.msg)
			}
			os.Exit(ec.code)
		}
		fmt.Fprintln(os.Stderr, "zkafka:", err)
		os.Exit(1)
	}
}

// exitCode is an error that ends the process with a given status.
type exitCode struct {
	code int
	msg  string
}

func (e exitCode) Error() string { return e.msg }

func asExit(err error, out *exitCode) bool {
	if e, ok := err.(exitCode); ok {
		*out = e
		return true
	}
	return false
}
