package broker

// IncrementalAlterConfigs, versions 0–1: applies SET, DELETE, APPEND and
// SUBTRACT (the last two on list keys only) to a topic's current overrides
// read from /config/topics/<topic>, validates the result as AlterConfigs
// does and, unless validateOnly, writes it with a change notification.
// Broker resources are answered as Kafka answers keys it cannot update
// dynamically (INVALID_REQUEST): deleting keys succeeds (there are no
// dynamic broker configs to delete), setting any fails. Broker loggers
// cannot be changed (INVALID_CONFIG): zkafka's log level is fixed at
// start. Not yet: alter config policies.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// listDefaults are LogConfig's own defaults of its list keys, which APPEND
// and SUBTRACT start from when the topic has no override.
var listDefaults = map[string]string{
	"cleanup.policy":                          "delete",
	"leader.replication.throttled.replicas":   "",
	"follower.replication.throttled.replicas": "",
}

func (b *Broker) handleIncrementalAlterConfigs(ctx context.Context, r *kmsg.IncrementalAlterConfigsRequest) *kmsg.IncrementalAlterConfigsResponse {
	resp := kmsg.NewPtrIncrementalAlterConfigsResponse()
	dup := duplicateResources(len(r.Resources), func(i int) (kmsg.ConfigResourceType, string) {
		return r.Resources[i].ResourceType, r.Resources[i].ResourceName
	})
	for i, res := range r.Resources {
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		code, msg := b.incrementalAlterResource(ctx, res, dup[i], r.ValidateOnly)
		rr.ErrorCode = code
		if msg != "" {
			m := msg
			rr.ErrorMessage = &m
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func (b *Broker) incrementalAlterResource(ctx context.Context, res kmsg.IncrementalAlterConfigsRequestResource, dup, validateOnly bool) (int16, string) {
	if dup {
		return kerr.InvalidRequest.Code, "Each resource must appear at most once."
	}
	names := make([]string, len(res.Configs))
	var nulls []string
	for i, c := range res.Configs {
		names[i] = c.Name
		if c.Op != kmsg.IncrementalAlterConfigOpDelete && c.Value == nil {
			nulls = append(nulls, c.Name)
		}
	}
	if hasDuplicates(names) {
		return kerr.InvalidRequest.Code, "Error due to duplicate config keys"
	}
	if len(nulls) > 0 {
		return kerr.InvalidRequest.Code, "Null value not supported for : " + strings.Join(nulls, ", ")
	}
	for _, c := range res.Configs {
		if c.Op > kmsg.IncrementalAlterConfigOpSubtract {
			return kerr.InvalidRequest.Code, fmt.Sprintf("Unknown operations type %d", c.Op)
		}
	}
	switch res.ResourceType {
	case kmsg.ConfigResourceTypeTopic:
		if res.ResourceName == "" {
			return kerr.InvalidRequest.Code, "Default topic resources are not allowed."
		}
		if _, ok := b.meta.topic(res.ResourceName); !ok {
			return kerr.UnknownTopicOrPartition.Code, "The topic '" + res.ResourceName + "' does not exist."
		}
		current, err := b.reg.ReadTopicConfig(ctx, res.ResourceName)
		if err != nil {
			return errCode(err), err.Error()
		}
		next, code, msg := applyConfigOps(current, res.Configs)
		if code != 0 {
			return code, msg
		}
		return b.alterTopicConfig(ctx, res.ResourceName, next, validateOnly)
	case kmsg.ConfigResourceTypeBroker:
		var set []string
		for _, c := range res.Configs {
			if c.Op != kmsg.IncrementalAlterConfigOpDelete {
				set = append(set, c.Name)
			}
		}
		return b.alterBrokerConfig(res.ResourceName, set)
	case kmsg.ConfigResourceTypeBrokerLogger:
		return kerr.InvalidConfig.Code, "zkafka cannot change log levels at runtime"
	}
	return kerr.InvalidRequest.Code, fmt.Sprintf("Unknown resource type %d", res.ResourceType)
}

// applyConfigOps applies the operations to a copy of the current overrides,
// as ConfigAdminManager.prepareIncrementalConfigs does.
func applyConfigOps(current map[string]string, ops []kmsg.IncrementalAlterConfigsRequestResourceConfig) (map[string]string, int16, string) {
	next := make(map[string]string, len(current)+len(ops))
	for k, v := range current {
		next[k] = v
	}
	for _, op := range ops {
		switch op.Op {
		case kmsg.IncrementalAlterConfigOpSet:
			next[op.Name] = *op.Value
		case kmsg.IncrementalAlterConfigOpDelete:
			delete(next, op.Name)
		case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
			d := topicConfigDefByName[op.Name]
			if d == nil {
				return nil, kerr.InvalidConfig.Code, "Unknown config name: " + op.Name
			}
			if d.typ != "LIST" {
				verb := "append"
				if op.Op == kmsg.IncrementalAlterConfigOpSubtract {
					verb = "subtract"
				}
				return nil, kerr.InvalidConfig.Code, "Config value " + verb + " is not allowed for config key: " + op.Name
			}
			old, ok := next[op.Name]
			if !ok {
				old = listDefaults[op.Name]
			}
			var list []string
			if old != "" {
				list = strings.Split(old, ",")
			}
			given := strings.Split(*op.Value, ",")
			if op.Op == kmsg.IncrementalAlterConfigOpAppend {
				for _, v := range given {
					if !slices.Contains(list, v) {
						list = append(list, v)
					}
				}
			} else {
				list = slices.DeleteFunc(list, func(v string) bool { return slices.Contains(given, v) })
			}
			next[op.Name] = strings.Join(list, ",")
		}
	}
	return next, 0, ""
}
