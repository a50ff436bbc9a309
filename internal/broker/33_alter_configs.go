package broker

// AlterConfigs, versions 0–2: replaces a topic's config overrides with the
// ones given (validated as Kafka's LogConfig does; validateOnly checks
// without writing), written to /config/topics/<topic> with a change
// notification so every broker applies them to its partition logs. Broker
// resources are answered as a Kafka broker answers a key that cannot be
// updated dynamically (INVALID_REQUEST, "Cannot update these configs
// dynamically: Set(...)"): zkafka has no dynamic broker configs, so only
// an empty change succeeds. Not yet: alter config policies
// (alter.config.policy.class.name).

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/zkafka/zkafka/internal/broker/cluster"
)

func (b *Broker) handleAlterConfigs(ctx context.Context, r *kmsg.AlterConfigsRequest) *kmsg.AlterConfigsResponse {
	resp := kmsg.NewPtrAlterConfigsResponse()
	dup := duplicateResources(len(r.Resources), func(i int) (kmsg.ConfigResourceType, string) {
		return r.Resources[i].ResourceType, r.Resources[i].ResourceName
	})
	for i, res := range r.Resources {
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		code, msg := b.alterConfigsResource(ctx, res, dup[i], r.ValidateOnly)
		rr.ErrorCode = code
		if msg != "" {
			m := msg
			rr.ErrorMessage = &m
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func (b *Broker) alterConfigsResource(ctx context.Context, res kmsg.AlterConfigsRequestResource, dup, validateOnly bool) (int16, string) {
	if dup {
		return kerr.InvalidRequest.Code, "Each resource must appear at most once."
	}
	names := make([]string, len(res.Configs))
	var nulls []string
	for i, c := range res.Configs {
		names[i] = c.Name
		if c.Value == nil {
			nulls = append(nulls, c.Name)
		}
	}
	if hasDuplicates(names) {
		return kerr.InvalidRequest.Code, "Error due to duplicate config keys"
	}
	if len(nulls) > 0 {
		return kerr.InvalidRequest.Code, "Null value not supported for : " + strings.Join(nulls, ", ")
	}
	switch res.ResourceType {
	case kmsg.ConfigResourceTypeTopic:
		next := make(map[string]string, len(res.Configs))
		for _, c := range res.Configs {
			next[c.Name] = *c.Value
		}
		return b.alterTopicConfig(ctx, res.ResourceName, next, validateOnly)
	case kmsg.ConfigResourceTypeBroker:
		return b.alterBrokerConfig(res.ResourceName, names)
	}
	return kerr.InvalidRequest.Code, fmt.Sprintf("Unknown resource type %d", res.ResourceType)
}

// alterTopicConfig validates a topic's complete new overrides and, unless
// validateOnly, writes them (as given, as Kafka stores them) and applies
// them to this broker's logs at once.
func (b *Broker) alterTopicConfig(ctx context.Context, topic string, next map[string]string, validateOnly bool) (int16, string) {
	if topic == "" {
		return kerr.InvalidRequest.Code, "Default topic resources are not allowed."
	}
	if _, ok := b.meta.topic(topic); !ok {
		return kerr.UnknownTopicOrPartition.Code, "The topic '" + topic + "' does not exist."
	}
	if _, cerr := validateTopicConfig(next); cerr != nil {
		if cerr.value {
			return cerr.code, fmt.Sprintf("Invalid config value for resource ConfigResource(type=TOPIC, name='%s'): %s", topic, cerr.msg)
		}
		return cerr.code, cerr.msg
	}
	if validateOnly {
		return 0, ""
	}
	var shown []string
	for k, v := range next {
		shown = append(shown, k+" -> "+v)
	}
	slices.Sort(shown)
	b.log.Info(fmt.Sprintf("Updating topic %s with new configuration : %s", topic, strings.Join(shown, ",")))
	if err := b.reg.SetTopicConfig(ctx, topic, next); err != nil {
		return errCode(err), err.Error()
	}
	b.applyTopicConfig(ctx, topic)
	return 0, ""
}

// alterBrokerConfig answers a change of broker keys: the resource name
// must be empty (cluster default) or this broker's id, and any key left
// to set is refused as Kafka refuses keys it cannot update dynamically.
func (b *Broker) alterBrokerConfig(name string, set []string) (int16, string) {
	if name != "" {
		id, err := strconv.ParseInt(name, 10, 32)
		if err != nil {
			return kerr.InvalidRequest.Code, "Node id must be an integer, but it is: " + name
		}
		if int32(id) != b.id {
			return kerr.InvalidRequest.Code, fmt.Sprintf("Unexpected broker id, expected %d, but received %s", b.id, name)
		}
	}
	if len(set) == 0 {
		return 0, ""
	}
	keys := slices.Clone(set)
	slices.Sort(keys)
	return kerr.InvalidRequest.Code, "Cannot update these configs dynamically: Set(" + strings.Join(keys, ", ") + ")"
}

// applyTopicConfig re-reads a topic from ZooKeeper into the metadata cache
// and this broker's logs of it: new configs, new partitions it leads.
func (b *Broker) applyTopicConfig(ctx context.Context, topic string) {
	t, err := b.reg.ReadTopic(ctx, topic)
	if err != nil || (t.MarkedForDeletion && b.cfg.DeleteTopicEnable) {
		return
	}
	b.meta.putTopic(t)
	b.parts.sync(map[string]cluster.Topic{topic: t}, b.id)
}

// duplicateResources marks the resources that appear more than once.
func duplicateResources(n int, at func(int) (kmsg.ConfigResourceType, string)) []bool {
	type key struct {
		t    kmsg.ConfigResourceType
		name string
	}
	count := map[key]int{}
	for i := 0; i < n; i++ {
		t, name := at(i)
		count[key{t, name}]++
	}
	out := make([]bool, n)
	for i := 0; i < n; i++ {
		t, name := at(i)
		out[i] = count[key{t, name}] > 1
	}
	return out
}

func hasDuplicates(names []string) bool {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return true
		}
		seen[n] = true
	}
	return false
}
