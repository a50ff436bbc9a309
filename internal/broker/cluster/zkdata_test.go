package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func mustUUID(t testing.TB, s string) UUID {
	t.Helper()
	u, err := ParseUUID(s)
	if err != nil {
		t.Fatalf("ParseUUID(%q): %v", s, err)
	}
	return u
}

// TestEncodeGolden checks the encoders byte for byte against what Kafka
// 3.x (Scala 2.13 build) writes, as shown by `zookeeper-shell get` on real
// clusters, and the formats written in ZkData.scala.
func TestEncodeGolden(t *testing.T) {
	plain := []Endpoint{{Listener: "PLAINTEXT", SecurityProtocol: "PLAINTEXT", Host: "macro-VirtualBox", Port: 9092}}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"broker v5", EncodeBrokerInfo(BrokerInfo{Endpoints: plain, JMXPort: -1, Timestamp: 1692025259506}),
			`{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://macro-VirtualBox:9092"],"jmx_port":-1,"port":9092,"host":"macro-VirtualBox","version":5,"timestamp":"1692025259506"}`},
		{"broker v5 rack, two listeners", EncodeBrokerInfo(BrokerInfo{
			Endpoints: []Endpoint{
				{Listener: "INTERNAL", SecurityProtocol: "SSL", Host: "k1", Port: 9093},
				{Listener: "PLAINTEXT", SecurityProtocol: "PLAINTEXT", Host: "k1", Port: 9092},
			}, Rack: "r1", JMXPort: 9999, Timestamp: 1},
		),
			`{"features":{},"listener_security_protocol_map":{"INTERNAL":"SSL","PLAINTEXT":"PLAINTEXT"},"endpoints":["INTERNAL://k1:9093","PLAINTEXT://k1:9092"],"rack":"r1","jmx_port":9999,"port":9092,"host":"k1","version":5,"timestamp":"1"}`},
		{"broker without plaintext, ipv6, wildcard", EncodeBrokerInfo(BrokerInfo{
			Endpoints: []Endpoint{{Listener: "SSL", SecurityProtocol: "SSL", Host: "::1", Port: 9093}, {Listener: "SASL_SSL", SecurityProtocol: "SASL_SSL", Port: 9094}},
			JMXPort:   -1, Timestamp: 2}),
			`{"features":{},"listener_security_protocol_map":{"SSL":"SSL","SASL_SSL":"SASL_SSL"},"endpoints":["SSL://[::1]:9093","SASL_SSL://:9094"],"jmx_port":-1,"port":-1,"host":null,"version":5,"timestamp":"2"}`},
		{"topic v3", EncodeTopicAssignment(TopicAssignment{ID: mustUUID(t, "cMr3GpVESX2L3byPGf93lQ"), Partitions: map[int32]ReplicaAssignment{
			0: {Replicas: []int32{2, 3, 1}}, 1: {Replicas: []int32{3, 1, 2}}, 2: {Replicas: []int32{1, 2, 3}}}}),
			`{"partitions":{"0":[2,3,1],"1":[3,1,2],"2":[1,2,3]},"topic_id":"cMr3GpVESX2L3byPGf93lQ","adding_replicas":{},"removing_replicas":{},"version":3}`},
		// 12 partitions: the table grows to 32 at the 12th entry, so "11" comes first.
		{"topic 12 partitions", EncodeTopicAssignment(TopicAssignment{Partitions: map[int32]ReplicaAssignment{
			0: {Replicas: []int32{0, 1, 2}}, 1: {Replicas: []int32{1, 2, 3}}, 2: {Replicas: []int32{2, 3, 4}}, 3: {Replicas: []int32{3, 4, 0}},
			4: {Replicas: []int32{4, 0, 1}}, 5: {Replicas: []int32{0, 2, 3}}, 6: {Replicas: []int32{1, 3, 4}}, 7: {Replicas: []int32{2, 4, 0}},
			8: {Replicas: []int32{3, 0, 1}}, 9: {Replicas: []int32{4, 1, 2}}, 10: {Replicas: []int32{1, 2, 3}}, 11: {Replicas: []int32{1, 3, 4}}}}),
			`{"partitions":{"11":[1,3,4],"0":[0,1,2],"1":[1,2,3],"2":[2,3,4],"3":[3,4,0],"4":[4,0,1],"5":[0,2,3],"6":[1,3,4],"7":[2,4,0],"8":[3,0,1],"9":[4,1,2],"10":[1,2,3]},"adding_replicas":{},"removing_replicas":{},"version":3}`},
		{"topic without id, reassigning", EncodeTopicAssignment(TopicAssignment{Partitions: map[int32]ReplicaAssignment{
			0: {Replicas: []int32{1, 2, 3}, AddingReplicas: []int32{3}, RemovingReplicas: []int32{1}}}}),
			`{"partitions":{"0":[1,2,3]},"adding_replicas":{"0":[3]},"removing_replicas":{"0":[1]},"version":3}`},
		{"partition state", EncodePartitionState(PartitionState{ControllerEpoch: 1, Leader: 2, LeaderEpoch: 0, ISR: []int32{2, 3, 1}}),
			`{"controller_epoch":1,"leader":2,"version":1,"leader_epoch":0,"isr":[2,3,1]}`},
		{"partition state recovering", EncodePartitionState(PartitionState{ControllerEpoch: 3, Leader: 1, LeaderEpoch: 7, ISR: []int32{1}, LeaderRecoveryState: LeaderRecoveryRecovering}),
			`{"controller_epoch":3,"leader":1,"version":1,"leader_recovery_state":1,"leader_epoch":7,"isr":[1]}`},
		{"offline partition", EncodePartitionState(PartitionState{Leader: NoLeader}),
			`{"controller_epoch":0,"leader":-1,"version":1,"leader_epoch":0,"isr":[]}`},
		{"controller", EncodeController(0, 1719917952299),
			`{"version":2,"brokerid":0,"timestamp":"1719917952299","kraftControllerEpoch":-1}`},
		{"controller epoch", EncodeControllerEpoch(12), `12`},
		{"cluster id", EncodeClusterID("W844l8wVQ4eFkFJHdBRtSA"), `{"version":"1","id":"W844l8wVQ4eFkFJHdBRtSA"}`},
		{"empty config", EncodeEntityConfig(nil), `{"version":1,"config":{}}`},
		{"config", EncodeEntityConfig(map[string]string{"segment.bytes": "104857600", "cleanup.policy": "compact", "compression.type": "producer"}),
			`{"version":1,"config":{"compression.type":"producer","cleanup.policy":"compact","segment.bytes":"104857600"}}`},
		{"config change", EncodeConfigChange(ConfigChange{EntityType: ConfigTypeTopic, EntityName: "foo"}), `{"version":2,"entity_path":"topics/foo"}`},
		{"isr change", EncodeIsrChange([]TopicPartition{{"t", 0}, {"u", 3}}),
			`{"version":1,"partitions":[{"topic":"t","partition":0},{"topic":"u","partition":3}]}`},
		{"log dir event", EncodeLogDirEvent(4), `{"version":1,"broker":4,"event":1}`},
		{"producer id block", EncodeProducerIDBlock(ProducerIDBlock{BrokerID: 0, Start: 0, End: 999}),
			`{"version":1,"broker":0,"block_start":"0","block_end":"999"}`},
		{"feature v2", EncodeFeature(FeatureNode{Version: 2, Status: 1}), `{"features":{},"version":2,"status":1}`},
		{"feature v1", EncodeFeature(FeatureNode{Version: 1, Status: 1, Features: map[string]int16{"metadata.version": 7}}),
			`{"features":{"metadata.version":{"max_version_level":7,"min_version_level":7}},"version":1,"status":1}`},
		{"escapes", EncodeClusterID(`a"<b>&`), `{"version":"1","id":"a\"<b>&"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if string(tt.got) != tt.want {
				t.Errorf("got  %s\nwant %s", tt.got, tt.want)
			}
			if !json.Valid(tt.got) && tt.name != "controller epoch" {
				t.Errorf("not valid JSON: %s", tt.got)
			}
		})
	}
}

// TestMemberOrders derives the fixed member orders of the encoders from the
// Scala/Java map iteration models, so a change to either shows.
func TestMemberOrders(t *testing.T) {
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		// BrokerIdZNode.encode: mutable.Map of 6 (table 16), then rack,
		// listener_security_protocol_map, features added.
		{"broker", scalaMutableMapOrder([]string{"version", "host", "port", "endpoints", "jmx_port", "timestamp", "rack", "listener_security_protocol_map", "features"}, 16),
			[]string{"features", "listener_security_protocol_map", "endpoints", "rack", "jmx_port", "port", "host", "version", "timestamp"}},
		// TopicZNode.encode: mutable.Map of 4 (table 8), then topic_id.
		{"topic", scalaMutableMapOrder([]string{"version", "partitions", "adding_replicas", "removing_replicas", "topic_id"}, 8),
			[]string{"partitions", "topic_id", "adding_replicas", "removing_replicas", "version"}},
		// TopicPartitionStateZNode.encode: immutable Map of 5 (+1).
		{"state", scalaImmutableMapOrder([]string{"version", "leader", "leader_epoch", "controller_epoch", "isr", "leader_recovery_state"}),
			[]string{"controller_epoch", "leader", "version", "leader_recovery_state", "leader_epoch", "isr"}},
		// FeatureZNode.encode: mutable.Map of 3 (table 8).
		{"feature", scalaMutableMapOrder([]string{"version", "status", "features"}, 8), []string{"features", "version", "status"}},
		{"small immutable keeps insertion", scalaImmutableMapOrder([]string{"b", "a", "c"}), []string{"b", "a", "c"}},
		{"partitions ascend up to 11", scalaMutableMapOrder([]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}, 16),
			[]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	for _, tc := range []struct {
		s    string
		want int32
	}{{"", 0}, {"a", 97}, {"version", 351608024}, {"\U0001F600", 1772899}} {
		if got := javaStringHash(tc.s); got != tc.want {
			t.Errorf("javaStringHash(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

// TestDecodeBrokerInfo decodes the registrations of Kafka's
// BrokerEndPointTest (every version, future ones included).
func TestDecodeBrokerInfo(t *testing.T) {
	tests := []struct {
		name string
		json string
		want BrokerInfo
	}{
		{"future version", `{"foo":"bar","version":100,"host":"localhost","port":9092,"jmx_port":9999,"timestamp":"1416974968782","endpoints":["SSL://localhost:9093"]}`,
			BrokerInfo{ID: 1, Version: 100, Host: "localhost", Port: 9092, JMXPort: 9999, Timestamp: 1416974968782,
				Endpoints: []Endpoint{{"SSL", "SSL", "localhost", 9093}}}},
		{"v1", `{"jmx_port":-1,"timestamp":"1420485325400","host":"172.16.8.243","version":1,"port":9091}`,
			BrokerInfo{ID: 1, Version: 1, Host: "172.16.8.243", Port: 9091, JMXPort: -1, Timestamp: 1420485325400,
				Endpoints: []Endpoint{{"PLAINTEXT", "PLAINTEXT", "172.16.8.243", 9091}}}},
		{"v2", `{"version":2,"host":"localhost","port":9092,"jmx_port":9999,"timestamp":"1416974968782","endpoints":["PLAINTEXT://localhost:9092"]}`,
			BrokerInfo{ID: 1, Version: 2, Host: "localhost", Port: 9092, JMXPort: 9999, Timestamp: 1416974968782,
				Endpoints: []Endpoint{{"PLAINTEXT", "PLAINTEXT", "localhost", 9092}}}},
		{"v3 rack", `{"version":3,"host":"localhost","port":9092,"jmx_port":9999,"timestamp":"2233345666","endpoints":["PLAINTEXT://host1:9092", "SSL://host1:9093"],"rack":"dc1"}`,
			BrokerInfo{ID: 1, Version: 3, Host: "localhost", Port: 9092, JMXPort: 9999, Timestamp: 2233345666, Rack: "dc1",
				Endpoints: []Endpoint{{"PLAINTEXT", "PLAINTEXT", "host1", 9092}, {"SSL", "SSL", "host1", 9093}}}},
		{"v4 null rack", `{"version":4,"host":"localhost","port":9092,"jmx_port":9999,"timestamp":"2233345666","endpoints":["CLIENT://host1:9092", "REPLICATION://host1:9093"],"listener_security_protocol_map":{"CLIENT":"SSL", "REPLICATION":"PLAINTEXT"},"rack":null}`,
			BrokerInfo{ID: 1, Version: 4, Host: "localhost", Port: 9092, JMXPort: 9999, Timestamp: 2233345666,
				Endpoints: []Endpoint{{"CLIENT", "SSL", "host1", 9092}, {"REPLICATION", "PLAINTEXT", "host1", 9093}}}},
		{"v5 features", `{"version":5,"host":"localhost","port":9092,"jmx_port":9999,"timestamp":"2233345666","endpoints":["CLIENT://host1:9092", "REPLICATION://host1:9093"],"listener_security_protocol_map":{"CLIENT":"SSL", "REPLICATION":"PLAINTEXT"},"rack":"dc1","features": {"feature1": {"min_version": 1, "max_version": 2}, "feature2": {"min_version": 2, "max_version": 4}}}`,
			BrokerInfo{ID: 1, Version: 5, Host: "localhost", Port: 9092, JMXPort: 9999, Timestamp: 2233345666, Rack: "dc1",
				Endpoints: []Endpoint{{"CLIENT", "SSL", "host1", 9092}, {"REPLICATION", "PLAINTEXT", "host1", 9093}},
				Features:  map[string]VersionRange{"feature1": {1, 2}, "feature2": {2, 4}}}},
		{"kafka 3.x", `{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://localhost:9092"],"jmx_port":-1,"port":9092,"host":"localhost","version":5,"timestamp":"1659461478545"}`,
			BrokerInfo{ID: 1, Version: 5, Host: "localhost", Port: 9092, JMXPort: -1, Timestamp: 1659461478545,
				Endpoints: []Endpoint{{"PLAINTEXT", "PLAINTEXT", "localhost", 9092}}, Features: map[string]VersionRange{}}},
		{"ipv6 and wildcard", `{"version":4,"jmx_port":-1,"endpoints":["plaintext://[::1]:9092","PLAINTEXT://:9093"],"host":null,"port":-1}`,
			BrokerInfo{ID: 1, Version: 4, Port: -1, JMXPort: -1,
				Endpoints: []Endpoint{{"PLAINTEXT", "PLAINTEXT", "::1", 9092}, {"PLAINTEXT", "PLAINTEXT", "", 9093}}}},
		{"csv inside an element", `{"version":4,"jmx_port":-1,"endpoints":["PLAINTEXT://a:1 , SSL://b:2"]}`,
			BrokerInfo{ID: 1, Version: 4, Port: -1, JMXPort: -1,
				Endpoints: []Endpoint{{"PLAINTEXT", "PLAINTEXT", "a", 1}, {"SSL", "SSL", "b", 2}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBrokerInfo(1, []byte(tt.json))
			if err != nil {
				t.Fatalf("DecodeBrokerInfo: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		decode func([]byte) error
		data   string
	}{
		{"broker not json", brokerDec, `{`},
		{"broker no version", brokerDec, `{"jmx_port":1,"endpoints":[]}`},
		{"broker version 0", brokerDec, `{"version":0,"jmx_port":1,"endpoints":[]}`},
		{"broker null jmx", brokerDec, `{"version":4,"jmx_port":null,"endpoints":[]}`},
		{"broker float jmx", brokerDec, `{"version":4,"jmx_port":1.5,"endpoints":[]}`},
		{"broker v1 no host", brokerDec, `{"version":1,"jmx_port":1,"port":1}`},
		{"broker no endpoints", brokerDec, `{"version":4,"jmx_port":1}`},
		{"broker unknown listener", brokerDec, `{"version":4,"jmx_port":1,"endpoints":["CLIENT://h:1"]}`},
		{"broker listener not in map", brokerDec, `{"version":4,"jmx_port":1,"endpoints":["CLIENT://h:1"],"listener_security_protocol_map":{"X":"SSL"}}`},
		{"broker bad protocol", brokerDec, `{"version":4,"jmx_port":1,"endpoints":["CLIENT://h:1"],"listener_security_protocol_map":{"CLIENT":"TLS"}}`},
		{"broker bad endpoint", brokerDec, `{"version":4,"jmx_port":1,"endpoints":["PLAINTEXT:/h:1"]}`},
		{"broker port overflow", brokerDec, `{"version":4,"jmx_port":1,"endpoints":["PLAINTEXT://h:99999999999"]}`},
		{"broker rack number", brokerDec, `{"version":4,"jmx_port":1,"endpoints":[],"rack":1}`},
		{"broker bad feature", brokerDec, `{"version":5,"jmx_port":1,"endpoints":[],"features":{"f":{"min_version":2,"max_version":1}}}`},
		{"topic bad partition", topicDec, `{"partitions":{"x":[1]}}`},
		{"topic null replica", topicDec, `{"partitions":{"0":[1,null]}}`},
		{"topic bad id", topicDec, `{"partitions":{},"topic_id":"abc"}`},
		{"topic array", topicDec, `[]`},
		{"topic adding not object", topicDec, `{"partitions":{"0":[1]},"adding_replicas":null}`},
		{"state no leader", stateDec, `{"controller_epoch":1,"version":1,"leader_epoch":0,"isr":[1]}`},
		{"state bad recovery", stateDec, `{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1],"leader_recovery_state":2}`},
		{"state null isr", stateDec, `{"controller_epoch":1,"leader":1,"leader_epoch":0,"isr":null}`},
		{"controller no id", controllerDec, `{"version":1,"timestamp":"1"}`},
		{"controller epoch text", func(b []byte) error { _, err := DecodeControllerEpoch(b); return err }, `one`},
		{"controller epoch space", func(b []byte) error { _, err := DecodeControllerEpoch(b); return err }, ` 1`},
		{"cluster id missing", func(b []byte) error { _, err := DecodeClusterID(b); return err }, `{"version":"1"}`},
		{"config not string", func(b []byte) error { _, err := DecodeEntityConfig(b); return err }, `{"version":1,"config":{"a":1}}`},
		{"config change v3", func(b []byte) error { _, err := DecodeConfigChange(b); return err }, `{"version":3}`},
		{"config change bad type", func(b []byte) error { _, err := DecodeConfigChange(b); return err }, `{"version":2,"entity_path":"nope/x"}`},
		{"config change no slash", func(b []byte) error { _, err := DecodeConfigChange(b); return err }, `{"version":2,"entity_path":"topics"}`},
		{"isr change no partitions", func(b []byte) error { _, err := DecodeIsrChange(b); return err }, `{"version":1}`},
		{"producer block bad number", func(b []byte) error { _, err := DecodeProducerIDBlock(b); return err }, `{"version":1,"broker":0,"block_start":"x","block_end":"9"}`},
		{"producer block too big", func(b []byte) error { _, err := DecodeProducerIDBlock(b); return err }, `{"version":1,"broker":0,"block_start":"0","block_end":"9999999999"}`},
		{"feature v3", featureDec, `{"version":3,"status":1,"features":{}}`},
		{"feature no status", featureDec, `{"version":2,"features":{}}`},
		{"feature status 2", featureDec, `{"version":2,"status":2,"features":{}}`},
		{"feature v1 no min", featureDec, `{"version":1,"status":1,"features":{"f":{"max_version_level":1}}}`},
		{"feature max 0", featureDec, `{"version":2,"status":1,"features":{"f":{"max_version_level":0}}}`},
		{"feature no features", featureDec, `{"version":2,"status":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.decode([]byte(tt.data))
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("got %v, want ErrMalformed", err)
			}
		})
	}
}

func brokerDec(b []byte) error     { _, err := DecodeBrokerInfo(1, b); return err }
func topicDec(b []byte) error      { _, err := DecodeTopicAssignment("t", b); return err }
func stateDec(b []byte) error      { _, err := DecodePartitionState(b); return err }
func controllerDec(b []byte) error { _, err := DecodeController(b); return err }
func featureDec(b []byte) error    { _, err := DecodeFeature(b); return err }

func TestDecodeLenient(t *testing.T) {
	// Kafka reads these as empty rather than failing.
	if a, err := DecodeTopicAssignment("t", nil); err != nil || len(a.Partitions) != 0 {
		t.Errorf("empty topic node: %+v, %v", a, err)
	}
	for _, in := range []string{``, `[]`, `{"version":1}`, `{"version":1,"config":[]}`} {
		if c, err := DecodeEntityConfig([]byte(in)); err != nil || len(c) != 0 {
			t.Errorf("DecodeEntityConfig(%q) = %v, %v", in, c, err)
		}
	}
	c, err := DecodeConfigChange([]byte(`{"version":1,"entity_type":"topics","entity_name":"foo"}`))
	if err != nil || c != (ConfigChange{"topics", "foo"}) {
		t.Errorf("v1 config change: %+v, %v", c, err)
	}
	c, err = DecodeConfigChange([]byte(`{"version":2,"entity_path":"users/alice/clients/app"}`))
	if err != nil || c != (ConfigChange{"users", "alice/clients/app"}) {
		t.Errorf("v2 nested config change: %+v, %v", c, err)
	}
	ctl, err := DecodeController([]byte(`{"version":1,"brokerid":3,"timestamp":"1643692590537"}`))
	if err != nil || ctl != (ControllerInfo{Version: 1, BrokerID: 3, Timestamp: 1643692590537, KRaftControllerEpoch: -1}) {
		t.Errorf("v1 controller: %+v, %v", ctl, err)
	}
	if e, err := DecodeControllerEpoch([]byte("+7")); err != nil || e != 7 {
		t.Errorf("controller epoch +7: %d, %v", e, err)
	}
	if u, err := ParseUUID("AAAAAAAAAAAAAAAAAAAAAQ=="); err != nil || u != (UUID{15: 1}) {
		t.Errorf("padded uuid: %v, %v", u, err)
	}
}

func TestRoundTrips(t *testing.T) {
	b := BrokerInfo{ID: 7, Version: 5, Endpoints: []Endpoint{{"PLAINTEXT", "PLAINTEXT", "h", 1}, {"X", "SASL_SSL", "::1", 2}},
		Host: "h", Port: 1, JMXPort: -1, Rack: "r", Timestamp: 99, Features: map[string]VersionRange{"f": {1, 3}}}
	if got, err := DecodeBrokerInfo(7, EncodeBrokerInfo(b)); err != nil || !reflect.DeepEqual(got, b) {
		t.Errorf("broker: %+v, %v", got, err)
	}
	a := TopicAssignment{Topic: "t", ID: UUID{1, 2, 3}, Partitions: map[int32]ReplicaAssignment{0: {Replicas: []int32{1}}, 1: {Replicas: []int32{2, 1}, AddingReplicas: []int32{1}}}}
	if got, err := DecodeTopicAssignment("t", EncodeTopicAssignment(a)); err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("topic: %+v, %v", got, err)
	}
	s := PartitionState{Leader: 1, LeaderEpoch: 2, ISR: []int32{1, 2}, ControllerEpoch: 3, LeaderRecoveryState: 1}
	if got, err := DecodePartitionState(EncodePartitionState(s)); err != nil || !reflect.DeepEqual(got, s) {
		t.Errorf("state: %+v, %v", got, err)
	}
	cfg := map[string]string{"a": "1", "retention.ms": "-1", "é": "ü"}
	if got, err := DecodeEntityConfig(EncodeEntityConfig(cfg)); err != nil || !reflect.DeepEqual(got, cfg) {
		t.Errorf("config: %v, %v", got, err)
	}
	f := FeatureNode{Version: 1, Status: 1, Features: map[string]int16{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}}
	if got, err := DecodeFeature(EncodeFeature(f)); err != nil || !reflect.DeepEqual(got, f) {
		t.Errorf("feature: %+v, %v", got, err)
	}
	tps := []TopicPartition{{"a", 1}, {"b", 2}}
	if got, err := DecodeIsrChange(EncodeIsrChange(tps)); err != nil || !slices.Equal(got, tps) {
		t.Errorf("isr change: %v, %v", got, err)
	}
	if got, err := DecodeLogDirEvent(EncodeLogDirEvent(3)); err != nil || got != 3 {
		t.Errorf("log dir event: %v, %v", got, err)
	}
	pb := ProducerIDBlock{BrokerID: 2, Start: 1000, End: 1999}
	if got, err := DecodeProducerIDBlock(EncodeProducerIDBlock(pb)); err != nil || got != pb {
		t.Errorf("producer id block: %v, %v", got, err)
	}
}

func TestRandomUUID(t *testing.T) {
	// A reader that first yields an id starting with '-' (0xf8 -> "-"),
	// which Uuid.randomUuid skips, then a normal one.
	src := append(bytes.Repeat([]byte{0xf8}, 16), bytes.Repeat([]byte{0x11}, 16)...)
	u, err := randomUUID(bytes.NewReader(src), true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(u.String(), "-") || u[6]>>4 != 4 || u[8]>>6 != 2 {
		t.Errorf("uuid %s (%x) is not a version-4 Kafka topic id", u, u[:])
	}
	if len(u.String()) != 22 {
		t.Errorf("uuid text %q is not 22 characters", u)
	}
}

func TestParseConnectString(t *testing.T) {
	tests := []struct {
		in      string
		servers []string
		chroot  string
		bad     bool
	}{
		{in: "h1:2181,h2:2182,h3", servers: []string{"h1:2181", "h2:2182", "h3:2181"}},
		{in: "h1:2181,h2:2181/kafka", servers: []string{"h1:2181", "h2:2181"}, chroot: "/kafka"},
		{in: "h1/", servers: []string{"h1:2181"}},
		{in: "[::1]:2181/a/b", servers: []string{"[::1]:2181"}, chroot: "/a/b"},
		{in: " h1:1 , h2:2 ", servers: []string{"h1:1", "h2:2"}},
		{in: "", bad: true},
		{in: "/kafka", bad: true},
		{in: "h1/kafka/", bad: true},
		{in: "h1/a//b", bad: true},
		{in: "h1/a/../b", bad: true},
	}
	for _, tt := range tests {
		servers, chroot, err := parseConnectString(tt.in)
		if tt.bad {
			if !errors.Is(err, ErrBadConnectString) {
				t.Errorf("%q: got %v, want ErrBadConnectString", tt.in, err)
			}
			continue
		}
		if err != nil || !slices.Equal(servers, tt.servers) || chroot != tt.chroot {
			t.Errorf("%q: got %v %q %v, want %v %q", tt.in, servers, chroot, err, tt.servers, tt.chroot)
		}
	}
}

func TestValidateTopicName(t *testing.T) {
	for _, ok := range []string{"a", "my-topic_1.x", strings.Repeat("a", 249), "__consumer_offsets"} {
		if err := ValidateTopicName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", strings.Repeat("a", 250), "a b", "a/b", "ü"} {
		if err := ValidateTopicName(bad); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("%q: got %v, want ErrInvalidTopic", bad, err)
		}
	}
	if !topicsCollide("a.b", "a_b") || topicsCollide("a.b", "a-b") {
		t.Error("topicsCollide")
	}
}
