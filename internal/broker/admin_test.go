package broker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkafka/zkafka/internal/testkit/wait"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// adminClient is a kadm client of b.
func adminClient(t *testing.T, b *Broker) *kadm.Client {
	t.Helper()
	return kadm.NewClient(client(t, b))
}

// waitController waits until b has won the controller election, which
// DeleteTopics and CreatePartitions need.
func waitController(t *testing.T, b *Broker) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !b.reg.IsController() {
		if time.Now().After(deadline) {
			t.Fatal("broker never became the controller")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// produceN produces n records of 100 bytes to one partition.
func produceN(t *testing.T, ctx context.Context, b *Broker, topic string, partition int32, n int) {
	t.Helper()
	p := client(t, b, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for i := 0; i < n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: partition, Value: fmt.Appendf(nil, "%0100d", i)})
	}
	if err := p.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s-%d: %v", topic, partition, err)
	}
}

func configOf(t *testing.T, rc kadm.ResourceConfig, key string) kadm.Config {
	t.Helper()
	for _, c := range rc.Configs {
		if c.Key == key {
			return c
		}
	}
	t.Fatalf("%s: no config %s", rc.Name, key)
	return kadm.Config{}
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// TestTopicConfigs: create a topic with an override, describe it, alter it
// (incremental and legacy), describe it again; the broker's own keys; the
// errors Kafka gives.
func TestTopicConfigs(t *testing.T) {
	zk := startKeeper(t)
	b := startBroker(t, zk, 1, "log.segment.bytes=2000000\nlog.retention.hours=24\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := adminClient(t, b)
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"retention.ms": kadm.StringPtr("60000")}, "cfg"); err != nil {
		t.Fatal(err)
	}

	describe := func() kadm.ResourceConfig {
		t.Helper()
		rcs, err := adm.DescribeTopicConfigs(ctx, "cfg")
		if err != nil || len(rcs) != 1 || rcs[0].Err != nil {
			t.Fatalf("describe: %v %+v", err, rcs)
		}
		return rcs[0]
	}
	rc := describe()
	cases := []struct {
		key, value string
		source     kmsg.ConfigSource
	}{
		{"retention.ms", "60000", kmsg.ConfigSourceDynamicTopicConfig},
		{"segment.bytes", "2000000", kmsg.ConfigSourceStaticBrokerConfig},
		{"cleanup.policy", "delete", kmsg.ConfigSourceDefaultConfig},
		{"max.message.bytes", "1048588", kmsg.ConfigSourceDefaultConfig},
		{"min.cleanable.dirty.ratio", "0.5", kmsg.ConfigSourceDefaultConfig},
		{"segment.ms", "604800000", kmsg.ConfigSourceDefaultConfig},
	}
	for _, tc := range cases {
		c := configOf(t, rc, tc.key)
		if str(c.Value) != tc.value || c.Source != tc.source {
			t.Errorf("%s = %s (source %v), want %s (%v)", tc.key, str(c.Value), c.Source, tc.value, tc.source)
		}
	}
	// Synonyms: the override, then the broker key set in server.properties
	// (log.retention.hours; log.retention.ms is not set, so Kafka lists no
	// broker synonym for retention.ms), then defaults.
	if syn := configOf(t, rc, "retention.ms").Synonyms; len(syn) != 1 || syn[0].Key != "retention.ms" {
		t.Errorf("retention.ms synonyms %+v", syn)
	}
	if syn := configOf(t, rc, "segment.bytes").Synonyms; len(syn) != 2 ||
		syn[0].Source != kmsg.ConfigSourceStaticBrokerConfig || syn[1].Source != kmsg.ConfigSourceDefaultConfig ||
		str(syn[1].Value) != "1073741824" {
		t.Errorf("segment.bytes synonyms %+v", syn)
	}

	// Incremental: set, append to a list, delete.
	resps, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "retention.bytes", Value: kadm.StringPtr("123456")},
		{Op: kadm.AppendConfig, Name: "cleanup.policy", Value: kadm.StringPtr("compact")},
		{Op: kadm.DeleteConfig, Name: "retention.ms"},
	}, "cfg")
	if err != nil || resps[0].Err != nil {
		t.Fatalf("incremental alter: %v %+v", err, resps)
	}
	rc = describe()
	for key, want := range map[string]string{"retention.bytes": "123456", "cleanup.policy": "delete,compact", "retention.ms": "86400000"} {
		if c := configOf(t, rc, key); str(c.Value) != want {
			t.Errorf("after incremental alter: %s = %s, want %s", key, str(c.Value), want)
		}
	}
	if c := configOf(t, rc, "retention.ms"); c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Errorf("deleted retention.ms has source %v", c.Source)
	}
	// The log follows the new configs.
	part, ok := b.parts.get("cfg", 0)
	if !ok {
		t.Fatal("cfg-0 not served")
	}
	if c := part.log.Config(); c.RetentionBytes != 123456 || c.CleanupPolicy != "delete,compact" {
		t.Errorf("log config retention.bytes=%d cleanup.policy=%q", c.RetentionBytes, c.CleanupPolicy)
	}

	// Legacy AlterConfigs replaces every override.
	resps, err = adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "segment.ms", Value: kadm.StringPtr("3600000")}}, "cfg")
	if err != nil || resps[0].Err != nil {
		t.Fatalf("legacy alter: %v %+v", err, resps)
	}
	rc = describe()
	if c := configOf(t, rc, "segment.ms"); str(c.Value) != "3600000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Errorf("segment.ms = %s (%v)", str(c.Value), c.Source)
	}
	if c := configOf(t, rc, "retention.bytes"); c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Errorf("retention.bytes kept after a legacy alter: %+v", c)
	}

	// validateOnly changes nothing.
	if resps, err = adm.ValidateAlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "segment.ms", Value: kadm.StringPtr("7200000")}}, "cfg"); err != nil || resps[0].Err != nil {
		t.Fatalf("validate: %v %+v", err, resps)
	}
	if c := configOf(t, describe(), "segment.ms"); str(c.Value) != "3600000" {
		t.Errorf("validateOnly changed segment.ms to %s", str(c.Value))
	}

	// Errors.
	errs := []struct {
		name   string
		alter  kadm.AlterConfig
		topic  string
		want   *kerr.Error
		wantIn string
	}{
		{"unknown key", kadm.AlterConfig{Name: "no.such.config", Value: kadm.StringPtr("1")}, "cfg", kerr.InvalidConfig, "Unknown topic config name: no.such.config"},
		{"bad value", kadm.AlterConfig{Name: "retention.ms", Value: kadm.StringPtr("soon")}, "cfg", kerr.InvalidConfig,
			"Invalid config value for resource ConfigResource(type=TOPIC, name='cfg'): Invalid value soon for configuration retention.ms: Not a number of type LONG"},
		{"out of range", kadm.AlterConfig{Name: "min.insync.replicas", Value: kadm.StringPtr("0")}, "cfg", kerr.InvalidConfig, "Value must be at least 1"},
		{"append to non-list", kadm.AlterConfig{Op: kadm.AppendConfig, Name: "retention.ms", Value: kadm.StringPtr("1")}, "cfg", kerr.InvalidConfig, "Config value append is not allowed for config key: retention.ms"},
		{"unknown topic", kadm.AlterConfig{Name: "retention.ms", Value: kadm.StringPtr("1")}, "nope", kerr.UnknownTopicOrPartition, "The topic 'nope' does not exist."},
	}
	for _, tc := range errs {
		resps, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{tc.alter}, tc.topic)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !errors.Is(resps[0].Err, tc.want) || !strings.Contains(resps[0].ErrMessage, tc.wantIn) {
			t.Errorf("%s: %v %q, want %v %q", tc.name, resps[0].Err, resps[0].ErrMessage, tc.want, tc.wantIn)
		}
	}
	if rcs, err := adm.DescribeTopicConfigs(ctx, "nope"); err != nil || !errors.Is(rcs[0].Err, kerr.UnknownTopicOrPartition) {
		t.Errorf("describe unknown topic: %v %+v", err, rcs)
	}

	// The broker's own keys.
	rcs, err := adm.DescribeBrokerConfigs(ctx, b.ID())
	if err != nil || len(rcs) != 1 || rcs[0].Err != nil {
		t.Fatalf("describe broker: %v %+v", err, rcs)
	}
	for key, want := range map[string]struct {
		value  string
		source kmsg.ConfigSource
	}{
		"broker.id":           {"1", kmsg.ConfigSourceStaticBrokerConfig},
		"log.retention.hours": {"24", kmsg.ConfigSourceStaticBrokerConfig},
		"num.partitions":      {"1", kmsg.ConfigSourceDefaultConfig},
		"log.cleanup.policy":  {"delete", kmsg.ConfigSourceDefaultConfig},
		"log.retention.ms":    {"<null>", kmsg.ConfigSourceDefaultConfig},
	} {
		if c := configOf(t, rcs[0], key); str(c.Value) != want.value || c.Source != want.source {
			t.Errorf("broker %s = %s (%v), want %s (%v)", key, str(c.Value), c.Source, want.value, want.source)
		}
	}
	if c := configOf(t, rcs[0], "ssl.key.password"); !c.Sensitive || c.Value != nil {
		t.Errorf("ssl.key.password: %+v", c)
	}
	bresps, err := adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Name: "log.retention.ms", Value: kadm.StringPtr("1000")}}, b.ID())
	if err != nil || !errors.Is(bresps[0].Err, kerr.InvalidRequest) ||
		bresps[0].ErrMessage != "Cannot update these configs dynamically: Set(log.retention.ms)" {
		t.Errorf("alter broker config: %v %+v", err, bresps)
	}
}

// TestCreatePartitions: a topic grows from 1 to 3 partitions that can be
// produced to; counts that are not an increase are INVALID_PARTITIONS.
func TestCreatePartitions(t *testing.T) {
	zk := startKeeper(t)
	b := startBroker(t, zk, 1, "auto.create.topics.enable=false\n")
	waitController(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := adminClient(t, b)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "grow"); err != nil {
		t.Fatal(err)
	}
	if rs, err := adm.ValidateUpdatePartitions(ctx, 3, "grow"); err != nil || rs["grow"].Err != nil {
		t.Fatalf("validate: %v %+v", err, rs)
	}
	if n := len(b.metaTopic(t, "grow").Partitions); n != 1 {
		t.Fatalf("validateOnly added partitions: %d", n)
	}
	if rs, err := adm.UpdatePartitions(ctx, 3, "grow"); err != nil || rs["grow"].Err != nil {
		t.Fatalf("update: %v %+v", err, rs)
	}
	md, err := adm.Metadata(ctx, "grow")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(md.Topics["grow"].Partitions); n != 3 {
		t.Fatalf("metadata has %d partitions, want 3", n)
	}
	produceN(t, ctx, b, "grow", 2, 5)
	for _, tc := range []struct {
		count int
		msg   string
	}{
		{3, "Topic already has 3 partitions."},
		{2, "Topic currently has 3 partitions, which is higher than the requested 2."},
	} {
		rs, err := adm.UpdatePartitions(ctx, tc.count, "grow")
		if err != nil || !errors.Is(rs["grow"].Err, kerr.InvalidPartitions) || rs["grow"].ErrMessage != tc.msg {
			t.Errorf("update to %d: %v %+v", tc.count, err, rs)
		}
	}
	// A given assignment naming an unknown broker.
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.TimeoutMillis = 5000
	rt := kmsg.NewCreatePartitionsRequestTopic()
	rt.Topic, rt.Count = "grow", 4
	a := kmsg.NewCreatePartitionsRequestTopicAssignment()
	a.Replicas = []int32{7}
	rt.Assignment = append(rt.Assignment, a)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, client(t, b))
	if err != nil || resp.Topics[0].ErrorCode != kerr.InvalidReplicaAssignment.Code {
		t.Errorf("unknown broker in assignment: %v %+v", err, resp)
	}
}

// metaTopic returns the broker's cached view of a topic.
func (b *Broker) metaTopic(t *testing.T, name string) struct{ Partitions map[int32][]int32 } {
	t.Helper()
	tp, ok := b.meta.topic(name)
	out := struct{ Partitions map[int32][]int32 }{map[int32][]int32{}}
	if !ok {
		return out
	}
	for p, a := range tp.Partitions {
		out.Partitions[p] = a.Replicas
	}
	return out
}

// TestDeleteTopics: a deleted topic leaves metadata and its log dirs are
// removed; its name can be used again, from offset 0.
func TestDeleteTopics(t *testing.T) {
	zk := startKeeper(t)
	b := startBroker(t, zk, 1, "auto.create.topics.enable=false\n")
	waitController(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := adminClient(t, b)
	if _, err := adm.CreateTopic(ctx, 2, 1, nil, "doomed"); err != nil {
		t.Fatal(err)
	}
	produceN(t, ctx, b, "doomed", 0, 10)
	var dirs []string
	for _, l := range b.parts.mgr.Logs() {
		if l.TopicPartition().Topic == "doomed" {
			dirs = append(dirs, l.Dir())
		}
	}
	if len(dirs) != 2 {
		t.Fatalf("%d log dirs for doomed, want 2", len(dirs))
	}
	rs, err := adm.DeleteTopics(ctx, "doomed", "never-was")
	if err != nil {
		t.Fatal(err)
	}
	if rs["doomed"].Err != nil || !errors.Is(rs["never-was"].Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("delete: %+v", rs)
	}
	// DeleteTopics answered once the topic left this broker's metadata.
	if _, ok := b.meta.topic("doomed"); ok {
		t.Error("doomed still in metadata after DeleteTopics answered")
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("log dir %s still there: %v", d, err)
		}
		left, _ := filepath.Glob(filepath.Join(filepath.Dir(d), "doomed-*"))
		if len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	}
	// Same name again: a new, empty topic.
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "doomed"); err != nil {
		t.Fatal(err)
	}
	produceN(t, ctx, b, "doomed", 0, 1)
	offs, err := adm.ListEndOffsets(ctx, "doomed")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := offs.Lookup("doomed", 0); o.Offset != 1 {
		t.Errorf("recreated topic ends at %d, want 1", o.Offset)
	}
}

// TestDeleteTopicsDisabled: delete.topic.enable=false gives
// TOPIC_DELETION_DISABLED and keeps the topic.
func TestDeleteTopicsDisabled(t *testing.T) {
	zk := startKeeper(t)
	b := startBroker(t, zk, 1, "delete.topic.enable=false\n")
	waitController(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := adminClient(t, b)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "kept"); err != nil {
		t.Fatal(err)
	}
	rs, err := adm.DeleteTopics(ctx, "kept")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(rs["kept"].Err, kerr.TopicDeletionDisabled) {
		t.Fatalf("delete with deletion disabled: %+v", rs)
	}
	if _, ok := b.meta.topic("kept"); !ok {
		t.Fatal("topic gone")
	}
}

// TestRecordsAndLogDirs: DeleteRecords moves the earliest offset;
// DescribeLogDirs shows the partitions' sizes; OffsetForLeaderEpoch and
// DescribeCluster answer as Kafka does.
func TestRecordsAndLogDirs(t *testing.T) {
	zk := startKeeper(t)
	b := startBroker(t, zk, 1, "")
	waitController(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := adminClient(t, b)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "recs"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ { // ten batches
		produceN(t, ctx, b, "recs", 0, 1)
	}

	t.Run("DeleteRecords", func(t *testing.T) {
		del := func(at int64) kadm.DeleteRecordsResponse {
			t.Helper()
			os := kadm.Offsets{}
			os.Add(kadm.Offset{Topic: "recs", Partition: 0, At: at})
			rs, err := adm.DeleteRecords(ctx, os)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := rs.Lookup("recs", 0)
			return r
		}
		if r := del(4); r.Err != nil || r.LowWatermark != 4 {
			t.Fatalf("delete before 4: %+v", r)
		}
		starts, err := adm.ListStartOffsets(ctx, "recs")
		if err != nil {
			t.Fatal(err)
		}
		if o, _ := starts.Lookup("recs", 0); o.Offset != 4 {
			t.Fatalf("earliest offset %d after DeleteRecords, want 4", o.Offset)
		}
		if r := del(11); !errors.Is(r.Err, kerr.OffsetOutOfRange) {
			t.Errorf("delete beyond the high watermark: %+v", r)
		}
		if r := del(2); r.Err != nil || r.LowWatermark != 4 {
			t.Errorf("delete below the start: %+v", r)
		}
		if r := del(-1); r.Err != nil || r.LowWatermark != 10 {
			t.Errorf("delete up to the high watermark: %+v", r)
		}
	})

	t.Run("DescribeLogDirs", func(t *testing.T) {
		all, err := adm.DescribeAllLogDirs(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		dirs := all[b.ID()]
		if len(dirs) != 2 {
			t.Fatalf("%d log dirs, want 2: %+v", len(dirs), dirs)
		}
		var size int64
		found := false
		for _, d := range dirs {
			if d.Err != nil || d.TotalBytes <= 0 || d.UsableBytes <= 0 {
				t.Errorf("dir %+v", d)
			}
			if p, ok := d.Topics["recs"][0]; ok {
				found, size = true, p.Size
			}
		}
		if !found || size <= 0 {
			t.Fatalf("recs-0: found %v size %d", found, size)
		}
		// Asking for one partition lists only it.
		s := kadm.TopicsSet{}
		s.Add("recs", 0)
		some, err := adm.DescribeBrokerLogDirs(ctx, b.ID(), s)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		some.EachPartition(func(kadm.DescribedLogDirPartition) { n++ })
		if n != 1 {
			t.Errorf("%d partitions described, want 1", n)
		}
	})

	t.Run("OffsetForLeaderEpoch", func(t *testing.T) {
		var req kadm.OffsetForLeaderEpochRequest
		req.Add("recs", 0, 0)
		rs, err := adm.OffsetForLeaderEpoch(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if r := rs["recs"][0]; r.Err != nil || r.LeaderEpoch != 0 || r.EndOffset != 10 {
			t.Errorf("epoch 0: %+v", r)
		}
		// A current leader epoch from the future, an unknown partition.
		raw := kmsg.NewPtrOffsetForLeaderEpochRequest()
		rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
		rt.Topic = "recs"
		for _, p := range []struct{ partition, current int32 }{{0, 5}, {7, -1}} {
			rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
			rp.Partition, rp.CurrentLeaderEpoch, rp.LeaderEpoch = p.partition, p.current, 0
			rt.Partitions = append(rt.Partitions, rp)
		}
		raw.Topics = append(raw.Topics, rt)
		kr, err := client(t, b).Broker(int(b.ID())).Request(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		got := kr.(*kmsg.OffsetForLeaderEpochResponse).Topics[0].Partitions
		if got[0].ErrorCode != kerr.UnknownLeaderEpoch.Code || got[1].ErrorCode != kerr.UnknownTopicOrPartition.Code {
			t.Errorf("errors: %+v", got)
		}
	})

	t.Run("DescribeCluster", func(t *testing.T) {
		for _, v := range []int16{0, 1} {
			req := kmsg.NewPtrDescribeClusterRequest()
			req.Version = v
			req.IncludeClusterAuthorizedOperations = true
			vs := kversion.Stable()
			vs.SetMaxKeyVersion(60, v)
			resp, err := req.RequestWith(ctx, client(t, b, kgo.MaxVersions(vs)))
			if err != nil {
				t.Fatal(err)
			}
			if resp.ErrorCode != 0 || resp.ClusterID != b.reg.ClusterID() || resp.ControllerID != b.ID() ||
				len(resp.Brokers) != 1 || resp.Brokers[0].NodeID != b.ID() || resp.Brokers[0].Port == 0 {
				t.Errorf("v%d: %+v", v, resp)
			}
			ops := kadm.DecodeACLOperations(resp.ClusterAuthorizedOperations)
			if len(ops) != 7 {
				t.Errorf("v%d: cluster operations %v", v, ops)
			}
		}
	})
}

// TestAdminTwoBrokers: config changes, new partitions and deletions reach
// the broker that did not handle the request.
func TestAdminTwoBrokers(t *testing.T) {
	zk := startKeeper(t)
	b1 := startBroker(t, zk, 1, "auto.create.topics.enable=false\n")
	b2 := startBroker(t, zk, 2, "auto.create.topics.enable=false\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	brokers := []*Broker{b1, b2}
	wait.For(t, 20*time.Second, "a controller", func() bool { return b1.reg.IsController() || b2.reg.IsController() })
	wait.For(t, 20*time.Second, "both brokers in metadata", func() bool { return len(b1.meta.brokerIDs()) == 2 && len(b2.meta.brokerIDs()) == 2 })

	// p0 on broker 1, p1 on broker 2.
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "shared", -1, -1
	for p, id := range []int32{1, 2} {
		a := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
		a.Partition, a.Replicas = int32(p), []int32{id}
		rt.ReplicaAssignment = append(rt.ReplicaAssignment, a)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, client(t, b1))
	if err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create: %v %+v", err, resp)
	}
	wait.For(t, 20*time.Second, "broker 2 serving shared-1", func() bool { _, ok := b2.parts.get("shared", 1); return ok })

	adm := adminClient(t, b1)
	if rs, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "retention.ms", Value: kadm.StringPtr("12345")}}, "shared"); err != nil || rs[0].Err != nil {
		t.Fatalf("alter: %v %+v", err, rs)
	}
	wait.For(t, 20*time.Second, "broker 2 applying retention.ms", func() bool {
		p, ok := b2.parts.get("shared", 1)
		return ok && p.log.Config().RetentionMs == 12345
	})

	if rs, err := adm.UpdatePartitions(ctx, 4, "shared"); err != nil || rs["shared"].Err != nil {
		t.Fatalf("create partitions: %v %+v", err, rs)
	}
	wait.For(t, 20*time.Second, "both brokers serving the new partitions", func() bool {
		n := 0
		for _, b := range brokers {
			for p := int32(2); p < 4; p++ {
				if _, ok := b.parts.get("shared", p); ok {
					n++
				}
			}
		}
		return n == 2
	})

	rs, err := adm.DeleteTopics(ctx, "shared")
	if err != nil || rs["shared"].Err != nil {
		t.Fatalf("delete: %v %+v", err, rs)
	}
	wait.For(t, 20*time.Second, "every log of shared deleted", func() bool {
		for _, b := range brokers {
			for _, l := range b.parts.mgr.Logs() {
				if l.TopicPartition().Topic == "shared" {
					return false
				}
			}
		}
		return true
	})
}
