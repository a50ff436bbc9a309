package broker

// DescribeConfigs, versions 0–4: for a topic, every LogConfig key with the
// topic's override (source DYNAMIC_TOPIC_CONFIG, read from
// /config/topics/<topic>) or the default the broker's server.properties
// gives it (STATIC_BROKER_CONFIG when the broker key was set, else
// DEFAULT_CONFIG), with synonyms when asked; for this broker (its id as the
// name), every broker key (STATIC_BROKER_CONFIG / DEFAULT_CONFIG, passwords
// and unknown keys sensitive and hidden, all read-only since zkafka has no
// dynamic broker configs); for the cluster default (empty name), the
// dynamic defaults, which are none; for the broker's loggers, the root
// logger. Not yet: documentation (v3+ answers null), GROUP and
// CLIENT_METRICS resources. A key set in server.properties to its default
// value is reported as DEFAULT_CONFIG (see config.DescribedKey.Set).

import (
	"context"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/zkafka/zkafka/internal/broker/cluster"
)

func (b *Broker) handleDescribeConfigs(ctx context.Context, r *kmsg.DescribeConfigsRequest) *kmsg.DescribeConfigsResponse {
	resp := kmsg.NewPtrDescribeConfigsResponse()
	for _, res := range r.Resources {
		rr := kmsg.NewDescribeConfigsResponseResource()
		rr.ResourceType, rr.ResourceName = res.ResourceType, res.ResourceName
		rr.Configs = []kmsg.DescribeConfigsResponseResourceConfig{}
		code, msg := int16(0), ""
		switch res.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			code, msg = b.describeTopic(ctx, r, res, &rr)
		case kmsg.ConfigResourceTypeBroker:
			switch id, err := strconv.ParseInt(res.ResourceName, 10, 32); {
			case res.ResourceName == "":
				// Dynamic cluster-wide defaults: zkafka keeps none.
			case err != nil:
				code, msg = kerr.InvalidRequest.Code, "Broker id must be an integer, but it is: "+res.ResourceName
			case int32(id) != b.id:
				code, msg = kerr.InvalidRequest.Code, "Unexpected broker id, expected "+strconv.Itoa(int(b.id))+
					" or empty string, but received "+res.ResourceName
			default:
				rr.Configs = b.describeBrokerConfigs(res.ConfigNames, r.IncludeSynonyms)
			}
		case kmsg.ConfigResourceTypeBrokerLogger:
			switch id, err := strconv.ParseInt(res.ResourceName, 10, 32); {
			case res.ResourceName == "":
				code, msg = kerr.InvalidRequest.Code, "Broker id must not be empty"
			case err != nil:
				code, msg = kerr.InvalidRequest.Code, "Broker id must be an integer, but it is: "+res.ResourceName
			case int32(id) != b.id:
				code, msg = kerr.InvalidRequest.Code, "Unexpected broker id, expected "+strconv.Itoa(int(b.id))+
					" but received "+res.ResourceName
			default:
				if len(res.ConfigNames) == 0 || slices.Contains(res.ConfigNames, "root") {
					c := kmsg.NewDescribeConfigsResponseResourceConfig()
					level := "INFO"
					c.Name, c.Value, c.Source = "root", &level, kmsg.ConfigSourceDynamicBrokerLoggerConfig
					c.ConfigSynonyms = []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{}
					rr.Configs = append(rr.Configs, c)
				}
			}
		default:
			code, msg = kerr.InvalidRequest.Code, "Unsupported resource type: "+resourceTypeName(res.ResourceType)
		}
		if code != 0 {
			rr.Configs = []kmsg.DescribeConfigsResponseResourceConfig{}
			rr.ErrorCode = code
			if msg != "" {
				m := msg
				rr.ErrorMessage = &m
			}
		}
		resp.Resources = append(resp.Resources, rr)
	}
	return resp
}

func (b *Broker) describeTopic(ctx context.Context, r *kmsg.DescribeConfigsRequest, res kmsg.DescribeConfigsRequestResource,
	rr *kmsg.DescribeConfigsResponseResource) (int16, string) {
	if err := cluster.ValidateTopicName(res.ResourceName); err != nil {
		return kerr.InvalidTopicException.Code, err.Error()
	}
	if _, ok := b.meta.topic(res.ResourceName); !ok {
		return kerr.UnknownTopicOrPartition.Code, ""
	}
	overrides, err := b.reg.ReadTopicConfig(ctx, res.ResourceName)
	if err != nil {
		return kerr.UnknownServerError.Code, err.Error()
	}
	rr.Configs = b.describeTopicConfigs(overrides, res.ConfigNames, r.IncludeSynonyms, r.Version)
	return 0, ""
}

// describeBrokerConfigs lists this broker's keys as ConfigHelper's
// createBrokerConfigEntry does.
func (b *Broker) describeBrokerConfigs(names []string, synonyms bool) []kmsg.DescribeConfigsResponseResourceConfig {
	keys := b.brokerKeys()
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, k := range b.cfg.DescribeKeys() {
		if len(names) > 0 && !slices.Contains(names, k.Name) {
			continue
		}
		sensitive := k.Type == "PASSWORD" || k.Type == "" // KafkaConfig.maybeSensitive
		hide := func(v *string) *string {
			if sensitive {
				return nil
			}
			return v
		}
		var all []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym
		syn := func(name string, v *string, src kmsg.ConfigSource) {
			s := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			s.Name, s.Value, s.Source = name, hide(v), src
			all = append(all, s)
		}
		for _, s := range brokerSynonyms(k.Name) {
			if sk, ok := keys[s]; ok && sk.Set {
				syn(s, sk.Value, kmsg.ConfigSourceStaticBrokerConfig)
			}
		}
		for _, s := range brokerSynonyms(k.Name) {
			if sk, ok := keys[s]; ok && sk.Default != nil {
				syn(s, sk.Default, kmsg.ConfigSourceDefaultConfig)
			}
		}
		for i, s := range all { // dropWhile(name != k.Name)
			if s.Name == k.Name {
				all = all[i:]
				break
			}
			if i == len(all)-1 {
				all = nil
			}
		}
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name, c.Value = k.Name, hide(k.Value)
		c.Source = kmsg.ConfigSourceDefaultConfig
		if len(all) > 0 {
			c.Source = all[0].Source
		}
		c.IsDefault = c.Source == kmsg.ConfigSourceDefaultConfig
		c.IsSensitive = sensitive
		c.ReadOnly = true // no dynamic broker configs
		c.ConfigType = configType(k.Type)
		if synonyms {
			c.ConfigSynonyms = all
		}
		if c.ConfigSynonyms == nil {
			c.ConfigSynonyms = []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{}
		}
		out = append(out, c)
	}
	return out
}

// resourceTypeName is ConfigResource.Type's name for a resource type.
func resourceTypeName(t kmsg.ConfigResourceType) string {
	switch t {
	case kmsg.ConfigResourceTypeTopic:
		return "TOPIC"
	case kmsg.ConfigResourceTypeBroker:
		return "BROKER"
	case kmsg.ConfigResourceTypeBrokerLogger:
		return "BROKER_LOGGER"
	case kmsg.ConfigResourceTypeClientMetrics:
		return "CLIENT_METRICS"
	case kmsg.ConfigResourceTypeGroupConfig:
		return "GROUP"
	}
	return "UNKNOWN"
}
