package cluster

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The decoders must never panic, and whatever they accept must survive
// encode + decode unchanged.

func seed(f *testing.F, in ...string) {
	for _, s := range in {
		f.Add([]byte(s))
	}
}

func FuzzDecodeBrokerInfo(f *testing.F) {
	seed(f,
		`{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://localhost:9092"],"jmx_port":-1,"port":9092,"host":"localhost","version":5,"timestamp":"1659461478545"}`,
		`{"jmx_port":-1,"timestamp":"1420485325400","host":"172.16.8.243","version":1,"port":9091}`,
		`{"version":4,"host":"localhost","port":9092,"jmx_port":9999,"timestamp":"2233345666","endpoints":["CLIENT://host1:9092", "REPLICATION://host1:9093"],"listener_security_protocol_map":{"CLIENT":"SSL", "REPLICATION":"PLAINTEXT"},"rack":null}`,
		`{"version":5,"jmx_port":1,"endpoints":["SSL://[::1]:1"],"features":{"f":{"min_version":1,"max_version":2}}}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBrokerInfo(3, data)
		if err != nil {
			return
		}
		for _, e := range b.Endpoints { // names Kafka itself could not write back
			if strings.ContainsAny(e.Listener, ", \t\r\n\v\f") || strings.ToUpper(e.Listener) != e.Listener || e.Listener == "" {
				return
			}
		}
		enc := EncodeBrokerInfo(b)
		if !json.Valid(enc) {
			t.Fatalf("invalid JSON %s", enc)
		}
		b2, err := DecodeBrokerInfo(3, enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if !slices.Equal(b2.Endpoints, b.Endpoints) || b2.Rack != b.Rack || b2.JMXPort != b.JMXPort ||
			b2.Timestamp != b.Timestamp || len(b2.Features) != len(b.Features) {
			t.Fatalf("round trip changed %+v into %+v", b, b2)
		}
	})
}

func FuzzDecodeTopicAssignment(f *testing.F) {
	seed(f,
		`{"partitions":{"0":[2,3,1],"1":[3,1,2]},"topic_id":"cMr3GpVESX2L3byPGf93lQ","adding_replicas":{},"removing_replicas":{},"version":3}`,
		`{"version":1,"partitions":{"2":[1,2],"1":[0,1]}}`,
		`{"partitions":{"0":[1,2,3]},"adding_replicas":{"0":[3]},"removing_replicas":{"0":[1]},"version":3}`, ``)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := DecodeTopicAssignment("t", data)
		if err != nil {
			return
		}
		for p, ra := range a.Partitions { // empty lists are not written back
			if len(ra.AddingReplicas) == 0 {
				ra.AddingReplicas = nil
			}
			if len(ra.RemovingReplicas) == 0 {
				ra.RemovingReplicas = nil
			}
			if ra.Replicas == nil {
				ra.Replicas = []int32{}
			}
			a.Partitions[p] = ra
		}
		enc := EncodeTopicAssignment(a)
		a2, err := DecodeTopicAssignment("t", enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if !reflect.DeepEqual(a, a2) {
			t.Fatalf("round trip changed %+v into %+v", a, a2)
		}
	})
}

func FuzzDecodePartitionState(f *testing.F) {
	seed(f, `{"controller_epoch":1,"leader":2,"version":1,"leader_epoch":0,"isr":[2,3,1]}`,
		`{"controller_epoch":3,"leader":1,"version":1,"leader_recovery_state":1,"leader_epoch":7,"isr":[1]}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodePartitionState(data)
		if err != nil {
			return
		}
		s2, err := DecodePartitionState(EncodePartitionState(s))
		if err != nil || !reflect.DeepEqual(s, s2) {
			t.Fatalf("round trip changed %+v into %+v (%v)", s, s2, err)
		}
	})
}

func FuzzDecodeController(f *testing.F) {
	seed(f, `{"version":2,"brokerid":0,"timestamp":"1719917952299","kraftControllerEpoch":-1}`,
		`{"version":1,"brokerid":1,"timestamp":"1627960928034"}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeController(data)
		if err != nil {
			return
		}
		c2, err := DecodeController(EncodeController(c.BrokerID, c.Timestamp))
		if err != nil || c2.BrokerID != c.BrokerID || c2.Timestamp != c.Timestamp {
			t.Fatalf("round trip changed %+v into %+v (%v)", c, c2, err)
		}
	})
}

func FuzzDecodeControllerEpoch(f *testing.F) {
	seed(f, "0", "12", "-1", "+3", "2147483648")
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeControllerEpoch(data)
		if err != nil {
			return
		}
		if e2, err := DecodeControllerEpoch(EncodeControllerEpoch(e)); err != nil || e2 != e {
			t.Fatalf("round trip changed %d into %d (%v)", e, e2, err)
		}
	})
}

func FuzzDecodeClusterID(f *testing.F) {
	seed(f, `{"version":"1","id":"W844l8wVQ4eFkFJHdBRtSA"}`, `{"id":null}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := DecodeClusterID(data)
		if err != nil {
			return
		}
		if id2, err := DecodeClusterID(EncodeClusterID(id)); err != nil || (id2 != id && strings.ToValidUTF8(id, "\uFFFD") == id) {
			t.Fatalf("round trip changed %q into %q (%v)", id, id2, err)
		}
	})
}

func FuzzDecodeEntityConfig(f *testing.F) {
	seed(f, `{"version":1,"config":{"cleanup.policy":"compact","segment.bytes":"104857600"}}`, `{"version":1,"config":{}}`, ``)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeEntityConfig(data)
		if err != nil {
			return
		}
		for k, v := range c {
			if strings.ToValidUTF8(k, "") != k || strings.ToValidUTF8(v, "") != v {
				return
			}
		}
		if c2, err := DecodeEntityConfig(EncodeEntityConfig(c)); err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed %v into %v (%v)", c, c2, err)
		}
	})
}

func FuzzDecodeConfigChange(f *testing.F) {
	seed(f, `{"version":2,"entity_path":"topics/foo"}`, `{"version":1,"entity_type":"topics","entity_name":"foo"}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeConfigChange(data)
		if err != nil || strings.ToValidUTF8(c.EntityName, "") != c.EntityName {
			return
		}
		if c2, err := DecodeConfigChange(EncodeConfigChange(c)); err != nil || c2 != c {
			t.Fatalf("round trip changed %+v into %+v (%v)", c, c2, err)
		}
	})
}

func FuzzDecodeIsrChange(f *testing.F) {
	seed(f, `{"version":1,"partitions":[{"topic":"t","partition":0}]}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		tps, err := DecodeIsrChange(data)
		if err != nil {
			return
		}
		for _, tp := range tps {
			if strings.ToValidUTF8(tp.Topic, "") != tp.Topic {
				return
			}
		}
		if tps2, err := DecodeIsrChange(EncodeIsrChange(tps)); err != nil || !slices.Equal(tps, tps2) {
			t.Fatalf("round trip changed %v into %v (%v)", tps, tps2, err)
		}
	})
}

func FuzzDecodeLogDirEvent(f *testing.F) {
	seed(f, `{"version":1,"broker":1,"event":1}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeLogDirEvent(data)
		if err != nil {
			return
		}
		if b2, err := DecodeLogDirEvent(EncodeLogDirEvent(b)); err != nil || b2 != b {
			t.Fatalf("round trip changed %d into %d (%v)", b, b2, err)
		}
	})
}

func FuzzDecodeProducerIDBlock(f *testing.F) {
	seed(f, `{"version":1,"broker":0,"block_start":"0","block_end":"999"}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeProducerIDBlock(data)
		if err != nil {
			return
		}
		if b2, err := DecodeProducerIDBlock(EncodeProducerIDBlock(b)); err != nil || b2 != b {
			t.Fatalf("round trip changed %+v into %+v (%v)", b, b2, err)
		}
	})
}

func FuzzDecodeFeature(f *testing.F) {
	seed(f, `{"features":{},"version":2,"status":1}`,
		`{"features":{"metadata.version":{"max_version_level":7,"min_version_level":1}},"version":1,"status":1}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := DecodeFeature(data)
		if err != nil {
			return
		}
		for k := range n.Features {
			if strings.ToValidUTF8(k, "") != k {
				return
			}
		}
		if n2, err := DecodeFeature(EncodeFeature(n)); err != nil || !reflect.DeepEqual(n, n2) {
			t.Fatalf("round trip changed %+v into %+v (%v)", n, n2, err)
		}
	})
}

func FuzzParseUUID(f *testing.F) {
	for _, s := range []string{"cMr3GpVESX2L3byPGf93lQ", "AAAAAAAAAAAAAAAAAAAAAQ==", "abc", "-_-_-_-_-_-_-_-_-_-_-w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUUID(s)
		if err != nil {
			return
		}
		if u2, err := ParseUUID(u.String()); err != nil || u2 != u {
			t.Fatalf("round trip changed %x into %x (%v)", u, u2, err)
		}
	})
}

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"PLAINTEXT://h:9092", "ssl://[::1]:9093", "SASL_SSL://:1", "x://y://h:-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEndpoint(s, nil)
		if err != nil {
			return
		}
		if e2, err := ParseEndpoint(e.String(), nil); err != nil || e2 != e {
			t.Fatalf("round trip changed %+v into %+v (%v)", e, e2, err)
		}
	})
}

func FuzzParseConnectString(f *testing.F) {
	for _, s := range []string{"h1:2181,h2:2181/kafka", "[::1]:1/a", "/x", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		servers, chroot, err := parseConnectString(s)
		if err != nil {
			return
		}
		if len(servers) == 0 || (chroot != "" && validatePath(chroot) != nil) {
			t.Fatalf("%q: accepted %v %q", s, servers, chroot)
		}
	})
}
