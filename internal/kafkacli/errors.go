package kafkacli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
)

// ErrUnsupportedAPI is wrapped by requests the broker said (in its
// ApiVersions answer) it does not serve. Its text is Kafka's own: "The node
// does not support DELETE_TOPICS".
var ErrUnsupportedAPI = errors.New("kafkacli: api not supported by the broker")

// exitError ends a command with a status after the command has printed
// everything it had to say. cmd/zkafka exits with ExitCode() and prints
// nothing more.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// ExitCode is the process exit status.
func (e *exitError) ExitCode() int { return e.code }

// exit returns the error that ends a command with status code.
func exit(code int) error { return &exitError{code} }

// usageExit prints message and the command's usage to stderr and ends with
// status 1, as Kafka's CommandLineUtils.printUsageAndExit does.
func usageExit(cmd *cobra.Command, message string) error {
	w := cmd.ErrOrStderr()
	fmt.Fprintln(w, message)
	fmt.Fprint(w, cmd.UsageString())
	return exit(1)
}

// flagErrorFunc makes a flag parsing error look like a joptsimple one: the
// message and the usage on stderr, status 1.
func flagErrorFunc(cmd *cobra.Command, err error) error {
	return usageExit(cmd, err.Error())
}

// unsupportedError is ErrUnsupportedAPI for one api, worded as Kafka's
// client words it.
type unsupportedError struct{ api string }

func (e *unsupportedError) Error() string { return "The node does not support " + e.api }
func (e *unsupportedError) Unwrap() error { return ErrUnsupportedAPI }

// kafkaError is an error a broker answered with: its code and the message
// Kafka's Java client would carry (the broker's message, else the code's
// default text).
type kafkaError struct {
	code int16
	msg  string
}

func (e *kafkaError) Error() string { return e.msg }

// Unwrap gives the kerr sentinel so errors.Is(err, kerr.TopicAlreadyExists)
// works.
func (e *kafkaError) Unwrap() error { return kerr.ErrorForCode(e.code) }

// errorFor returns nil for code 0, else Kafka's exception for the code: the
// broker's message when it sent one, else the code's default message.
func errorFor(code int16, message *string) error {
	if code == 0 {
		return nil
	}
	if message != nil {
		return &kafkaError{code, *message}
	}
	msg := fmt.Sprintf("Unexpected error code: %d.", code)
	var ke *kerr.Error
	if errors.As(kerr.ErrorForCode(code), &ke) {
		msg = ke.Description
	}
	return &kafkaError{code, msg}
}

// javaError is an exception Kafka's tools raise themselves (argument and
// config checks): its Java class, for log lines, and its message.
type javaError struct{ class, msg string }

func (e *javaError) Error() string { return e.msg }

// javaExceptionClasses names the Java exception of the error codes the
// tools meet most, for log lines; others print as ApiException.
var javaExceptionClasses = map[int16]string{
	3:  "org.apache.kafka.common.errors.UnknownTopicOrPartitionException",
	5:  "org.apache.kafka.common.errors.LeaderNotAvailableException",
	7:  "org.apache.kafka.common.errors.TimeoutException",
	10: "org.apache.kafka.common.errors.RecordTooLargeException",
	17: "org.apache.kafka.common.errors.InvalidTopicException",
	19: "org.apache.kafka.common.errors.NotEnoughReplicasException",
	29: "org.apache.kafka.common.errors.TopicAuthorizationException",
	35: "org.apache.kafka.common.errors.UnsupportedVersionException",
	36: "org.apache.kafka.common.errors.TopicExistsException",
	37: "org.apache.kafka.common.errors.InvalidPartitionsException",
	38: "org.apache.kafka.common.errors.InvalidReplicationFactorException",
	39: "org.apache.kafka.common.errors.InvalidReplicaAssignmentException",
	40: "org.apache.kafka.common.errors.InvalidConfigurationException",
	41: "org.apache.kafka.common.errors.NotControllerException",
	42: "org.apache.kafka.common.errors.InvalidRequestException",
	44: "org.apache.kafka.common.errors.PolicyViolationException",
	73: "org.apache.kafka.common.errors.TopicDeletionDisabledException",
}

// javaClassOf names the Java exception class an error would be in Kafka's
// tools.
func javaClassOf(err error) string {
	class, _ := javaException(err)
	return class
}

// javaException is the Java exception class and message Kafka's tools
// would show for err.
func javaException(err error) (class, msg string) {
	var ke *kafkaError
	var ue *unsupportedError
	var je *javaError
	var re *kerr.Error
	codeClass := func(code int16) string {
		if c, ok := javaExceptionClasses[code]; ok {
			return c
		}
		return "org.apache.kafka.common.errors.ApiException"
	}
	switch {
	case errors.As(err, &je):
		return je.class, je.msg
	case errors.As(err, &ke):
		return codeClass(ke.code), ke.msg
	case errors.As(err, &ue):
		return "org.apache.kafka.common.errors.UnsupportedVersionException", ue.Error()
	case errors.As(err, &re):
		return codeClass(re.Code), re.Description
	case errors.Is(err, context.DeadlineExceeded):
		return "org.apache.kafka.common.errors.TimeoutException", err.Error()
	}
	return "org.apache.kafka.common.KafkaException", err.Error()
}

// logLine writes one line as Kafka's tools-log4j.properties lays it out:
// `[%d] %p %m (%c)%n`.
func logLine(w io.Writer, level, msg, logger string) {
	fmt.Fprintf(w, "[%s] %s %s (%s)\n", time.Now().Format("2006-01-02 15:04:05,000"), level, msg, logger)
}
