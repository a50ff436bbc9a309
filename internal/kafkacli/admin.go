package kafkacli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
	"unicode"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// adminClient is the small part of Kafka's Admin client the topics tool
// needs: raw kmsg requests over a kgo client, refused up front (with
// Kafka's "The node does not support ..." error) when the broker's
// ApiVersions answer does not list the api.
type adminClient struct {
	cl       *kgo.Client
	timeout  time.Duration  // default.api.timeout.ms: the bound of one call
	versions map[int16]bool // api keys the broker serves; nil until asked
}

func newAdminClient(bootstrap []string, timeout time.Duration, opts ...kgo.Opt) (*adminClient, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(bootstrap...)}, opts...)...)
	if err != nil {
		return nil, err
	}
	return &adminClient{cl: cl, timeout: timeout}, nil
}

// call is one Admin call named as KafkaAdminClient names it (listTopics,
// createTopics, ...): req within the api timeout, retried while no broker
// can be reached, and a timeout reported as Kafka reports it.
func (a *adminClient) call(ctx context.Context, name string, req kmsg.Request) (kmsg.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	backoff := 50 * time.Millisecond
	for {
		resp, err := a.request(ctx, req)
		var dial *net.OpError
		switch {
		case err == nil:
			return resp, nil
		case ctx.Err() != nil:
		case errors.As(err, &dial):
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
				backoff = min(2*backoff, time.Second)
				continue
			case <-ctx.Done():
				t.Stop()
			}
		default:
			return nil, err
		}
		return nil, &javaError{"org.apache.kafka.common.errors.TimeoutException",
			"Timed out waiting for a node assignment. Call: " + name}
	}
}

func (a *adminClient) close() { a.cl.Close() }

// supports reports whether the broker serves the api key.
func (a *adminClient) supports(ctx context.Context, key int16) (bool, error) {
	if a.versions == nil {
		resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, a.cl)
		if err != nil {
			return false, err
		}
		if err := errorFor(resp.ErrorCode, nil); err != nil {
			return false, err
		}
		a.versions = map[int16]bool{}
		for _, k := range resp.ApiKeys {
			a.versions[k.ApiKey] = true
		}
	}
	return a.versions[key], nil
}

// request sends req, or fails with Kafka's UnsupportedVersionException text
// when the broker does not serve its api.
func (a *adminClient) request(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	ok, err := a.supports(ctx, req.Key())
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &unsupportedError{apiKeyName(req.Key())}
	}
	return a.cl.Request(ctx, req)
}

// apiKeyName is the api's name as Kafka's ApiKeys enum spells it
// (DescribeConfigs → DESCRIBE_CONFIGS).
func apiKeyName(key int16) string {
	name := kmsg.NameForKey(key)
	if name == "" {
		return fmt.Sprintf("UNKNOWN(%d)", key)
	}
	var b strings.Builder
	for i, r := range name {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// metadata asks for the named topics (all topics for nil) without creating
// any.
func (a *adminClient) metadata(ctx context.Context, call string, topics []string) (*kmsg.MetadataResponse, error) {
	req := kmsg.NewPtrMetadataRequest()
	req.AllowAutoTopicCreation = false
	if topics != nil {
		req.Topics = []kmsg.MetadataRequestTopic{}
		for _, t := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req.Topics = append(req.Topics, rt)
		}
	}
	resp, err := a.call(ctx, call, req)
	if err != nil {
		return nil, err
	}
	return resp.(*kmsg.MetadataResponse), nil
}
