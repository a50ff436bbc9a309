package kafkacli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicsOptions are kafka-topics.sh's options.
type topicsOptions struct {
	bootstrap, commandConfig      string
	create, list, describe        bool
	alter, delete                 bool
	topic, topicID                string
	configs, deleteConfigs        []string
	partitions, replicationFactor int
	replicaAssignment             string
	underReplicated, unavailable  bool
	underMinIsr, atMinIsr         bool
	withOverrides                 bool
	ifExists, ifNotExists         bool
	excludeInternal               bool
	partitionSizeLimit            int
}

// NewTopicsCommand returns `zkafka topics`, kafka-topics.sh: it creates,
// lists, describes, alters (partition count) and deletes topics through a
// broker given by --bootstrap-server, with Kafka 3.9's flags, output and
// exit statuses.
func NewTopicsCommand() *cobra.Command {
	o := &topicsOptions{}
	cmd := &cobra.Command{
		Use:   "topics --bootstrap-server HOST:PORT --create|--list|--describe|--alter|--delete [options]",
		Short: "Create, delete, describe, or change a topic (kafka-topics.sh)",
		Long: `This tool helps to create, delete, describe, or change a topic, as
kafka-topics.sh does: the same options, the same output, the same exit status.
The --topic of --list, --describe, --alter and --delete is a regular expression.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runTopics(cmd, args, o) },
	}
	cmd.SetFlagErrorFunc(flagErrorFunc)
	f := cmd.Flags()
	f.SortFlags = false
	f.StringVar(&o.bootstrap, "bootstrap-server", "", "REQUIRED: The Kafka server to connect to.")
	f.StringVar(&o.commandConfig, "command-config", "", "Property file containing configs to be passed to Admin Client.")
	f.BoolVar(&o.list, "list", false, "List all available topics.")
	f.BoolVar(&o.create, "create", false, "Create a new topic.")
	f.BoolVar(&o.delete, "delete", false, "Delete a topic")
	f.BoolVar(&o.alter, "alter", false, "Alter the number of partitions and replica assignment.")
	f.BoolVar(&o.describe, "describe", false, "List details for the given topics.")
	f.StringVar(&o.topic, "topic", "", "The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option.")
	f.StringVar(&o.topicID, "topic-id", "", "The topic-id to describe.")
	f.StringArrayVar(&o.configs, "config", nil, "A topic configuration override (name=value) for the topic being created; repeatable.")
	f.StringArrayVar(&o.deleteConfigs, "delete-config", nil, "A topic configuration override to be removed for an existing topic. Not supported with the --bootstrap-server option.")
	f.IntVar(&o.partitions, "partitions", 0, "The number of partitions for the topic being created or altered. If not supplied for create, defaults to the cluster default.")
	f.IntVar(&o.replicationFactor, "replication-factor", 0, "The replication factor for each partition in the topic being created. If not supplied, defaults to the cluster default.")
	f.StringVar(&o.replicaAssignment, "replica-assignment", "", "A list of manual partition-to-broker assignments: broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : ...")
	f.BoolVar(&o.underReplicated, "under-replicated-partitions", false, "if set when describing topics, only show under replicated partitions")
	f.BoolVar(&o.unavailable, "unavailable-partitions", false, "if set when describing topics, only show partitions whose leader is not available")
	f.BoolVar(&o.underMinIsr, "under-min-isr-partitions", false, "if set when describing topics, only show partitions whose isr count is less than the configured minimum.")
	f.BoolVar(&o.atMinIsr, "at-min-isr-partitions", false, "if set when describing topics, only show partitions whose isr count is equal to the configured minimum.")
	f.BoolVar(&o.withOverrides, "topics-with-overrides", false, "if set when describing topics, only show topics that have overridden configs")
	f.BoolVar(&o.ifExists, "if-exists", false, "if set when altering or deleting or describing topics, the action will only execute if the topic exists.")
	f.BoolVar(&o.ifNotExists, "if-not-exists", false, "if set when creating topics, the action will only execute if the topic does not already exist.")
	f.BoolVar(&o.excludeInternal, "exclude-internal", false, "exclude internal topics when running list or describe command. The internal topics will be listed by default")
	f.IntVar(&o.partitionSizeLimit, "partition-size-limit-per-response", 0, "the maximum partition size to be included in one DescribeTopicPartitions response.")
	return cmd
}

// topicActions are the options of which exactly one must be given.
var topicActions = []string{"create", "list", "alter", "describe", "delete"}

// checkTopicsArgs applies TopicCommandOptions.checkArgs: a usage error
// prints the message and the usage to stderr and exits 1.
func checkTopicsArgs(cmd *cobra.Command, o *topicsOptions) error {
	has := cmd.Flags().Changed
	actions := 0
	for _, a := range topicActions {
		if has(a) {
			actions++
		}
	}
	if actions != 1 {
		return usageExit(cmd, "Command must include exactly one action: --list, --describe, --create, --alter or --delete")
	}
	// checkRequiredArgs
	if !has("bootstrap-server") {
		fmt.Fprintln(cmd.ErrOrStderr(), "--bootstrap-server must be specified")
		return exit(1)
	}
	if has("describe") && has("if-exists") {
		if !has("topic") && !has("topic-id") {
			return usageExit(cmd, "--topic or --topic-id is required to describe a topic")
		}
		if has("topic") && has("topic-id") {
			fmt.Fprintln(cmd.OutOrStdout(), "Only topic id will be used when both --topic and --topic-id are specified and topicId is not Uuid.ZERO_UUID")
		}
	}
	if !has("list") && !has("describe") && !has("topic") {
		return usageExit(cmd, `Missing required argument "[topic]"`)
	}
	if has("alter") {
		if has("bootstrap-server") && has("config") {
			return usageExit(cmd, `Option combination "[[bootstrap-server], [config]]" can't be used with option "[alter]"`+
				" (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option)")
		}
		if !has("partitions") {
			return usageExit(cmd, `Missing required argument "[partitions]"`)
		}
	}
	// checkInvalidArgs
	except := func(keep ...string) []string {
		var out []string
		for _, a := range topicActions {
			if !contains(keep, a) {
				out = append(out, a)
			}
		}
		return out
	}
	invalid := func(used string, against []string) error {
		if !has(used) {
			return nil
		}
		for _, a := range against {
			if has(a) {
				return usageExit(cmd, fmt.Sprintf(`Option "[%s]" can't be used with option "[%s]"`, used, a))
			}
		}
		return nil
	}
	reports := []string{"under-replicated-partitions", "under-min-isr-partitions", "at-min-isr-partitions", "unavailable-partitions"}
	checks := []struct {
		used    string
		against []string
	}{
		{"config", except("alter", "create")},
		{"delete-config", append(except("alter"), "bootstrap-server")},
		{"partitions", except("alter", "create")},
		{"replication-factor", except("create")},
		{"replica-assignment", except("alter", "create")},
	}
	if has("create") {
		checks = append(checks, struct {
			used    string
			against []string
		}{"replica-assignment", []string{"partitions", "replication-factor"}})
	}
	for _, r := range reports {
		checks = append(checks, struct {
			used    string
			against []string
		}{r, append(except("describe"), "topics-with-overrides")})
	}
	checks = append(checks, []struct {
		used    string
		against []string
	}{
		{"topics-with-overrides", append(except("describe"), reports...)},
		{"if-exists", except("alter", "delete", "describe")},
		{"if-not-exists", except("create")},
		{"exclude-internal", except("list", "describe")},
	}...)
	for _, c := range checks {
		if err := invalid(c.used, c.against); err != nil {
			return err
		}
	}
	return nil
}

func runTopics(cmd *cobra.Command, args []string, o *topicsOptions) error {
	if cmd.Flags().NFlag() == 0 && len(args) == 0 {
		return usageExit(cmd, "Create, delete, describe, or change a topic.")
	}
	if err := checkTopicsArgs(cmd, o); err != nil {
		return err
	}
	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	// Failures before the admin client exists are printed bare (Kafka's
	// mainNoExit), the rest as "Error while executing topic command".
	fail := func(err error) error {
		fmt.Fprintln(errw, err.Error())
		return exit(1)
	}
	cfg := newProps()
	if o.commandConfig != "" {
		p, err := loadProps(o.commandConfig)
		if err != nil {
			return fail(err)
		}
		cfg = p
	}
	cfg.Set("bootstrap.servers", o.bootstrap)
	seeds, err := parseBootstrap(o.bootstrap)
	if err != nil {
		return fail(err)
	}
	timeout := 60 * time.Second
	if v, ok := cfg.Get("default.api.timeout.ms"); ok {
		ms, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || ms < 0 {
			return fail(invalidValue("default.api.timeout.ms", v, "Not a number of type INT"))
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	clientID := "adminclient-1"
	if v, ok := cfg.Get("client.id"); ok {
		clientID = v
	}
	if v, ok := cfg.Get("security.protocol"); ok && !strings.EqualFold(strings.TrimSpace(v), "PLAINTEXT") {
		return fail(fmt.Errorf("security.protocol=%s is not supported by zkafka topics (PLAINTEXT only)", v))
	}
	admin, err := newAdminClient(seeds, timeout, kgo.ClientID(clientID))
	if err != nil {
		return fail(err)
	}
	defer admin.close()
	s := &topicService{admin: admin, out: out, o: o, has: cmd.Flags().Changed}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	switch {
	case o.create:
		err = s.create(ctx)
	case o.alter:
		err = s.alter(ctx)
	case o.list:
		err = s.list(ctx)
	case o.describe:
		err = s.describeTopics(ctx)
	case o.delete:
		err = s.deleteTopics(ctx)
	}
	if err != nil {
		fmt.Fprintln(out, "Error while executing topic command : "+err.Error())
		logLine(errw, "ERROR", javaClassOf(err)+": "+err.Error()+"\n", "org.apache.kafka.tools.TopicCommand")
		return exit(1)
	}
	return nil
}

// topicService runs one action of the topics tool.
type topicService struct {
	admin *adminClient
	out   io.Writer
	o     *topicsOptions
	has   func(string) bool
}

// internalTopics are Kafka's Topic.INTERNAL_TOPICS.
var internalTopics = map[string]bool{"__consumer_offsets": true, "__transaction_state": true, "__share_group_state": true}

// includeList is Kafka's TopicFilter.IncludeList: the regex cleaned of
// spaces and quotes, commas meaning "or", matched against whole names.
func includeList(raw string) (*regexp.Regexp, error) {
	re := strings.TrimSpace(raw)
	re = strings.ReplaceAll(re, ",", "|")
	re = strings.ReplaceAll(re, " ", "")
	re = strings.TrimLeft(re, `"'`)
	re = strings.TrimRight(re, `"'`)
	compiled, err := regexp.Compile(`^(?:` + re + `)$`)
	if err != nil {
		return nil, &javaError{"java.lang.RuntimeException", re + " is an invalid regex."}
	}
	return compiled, nil
}

// listAll is Admin.listTopics: every topic's metadata, internal ones only
// when asked for.
func (s *topicService) listAll(ctx context.Context, listInternal bool) ([]kmsg.MetadataResponseTopic, error) {
	md, err := s.admin.metadata(ctx, "listTopics", nil)
	if err != nil {
		return nil, err
	}
	var out []kmsg.MetadataResponseTopic
	for _, t := range md.Topics {
		if t.Topic == nil || (t.IsInternal && !listInternal) {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// getTopics is TopicService.getTopics: the sorted names of the topics that
// match --topic (all without it), internal ones left out on request.
func (s *topicService) getTopics(ctx context.Context) ([]string, error) {
	exclude := s.o.excludeInternal
	all, err := s.listAll(ctx, !exclude)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(all))
	for _, t := range all {
		names = append(names, *t.Topic)
	}
	sort.Strings(names)
	var filter *regexp.Regexp
	if s.has("topic") {
		if filter, err = includeList(s.o.topic); err != nil {
			return nil, err
		}
	}
	out := []string{}
	for _, n := range names {
		if filter != nil && !filter.MatchString(n) {
			continue
		}
		if internalTopics[n] && exclude {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

// ensureTopicExists fails when a named topic matched nothing and had to.
// The message keeps Kafka 3.7–3.9's rendering of the name as
// "Optional[name]".
func (s *topicService) ensureTopicExists(found []string, require bool) error {
	if s.has("topic") && s.o.topic != "" && require && len(found) == 0 {
		return &javaError{"java.lang.IllegalArgumentException",
			fmt.Sprintf("Topic 'Optional[%s]' does not exist as expected", s.o.topic)}
	}
	return nil
}

func (s *topicService) list(ctx context.Context) error {
	topics, err := s.getTopics(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(s.out, strings.Join(topics, "\n"))
	return nil
}

// parsedTopic is TopicCommand's CommandTopicPartition: the replica
// assignment and the configs, parsed and checked.
func (s *topicService) parsedTopic() ([][]int32, []topicConfig, error) {
	var assignment [][]int32
	if s.has("replica-assignment") && s.o.replicaAssignment != "" {
		a, err := parseReplicaAssignment(s.o.replicaAssignment)
		if err != nil {
			return nil, nil, err
		}
		assignment = a
	}
	cfgs, warnings, err := parseTopicConfigs(s.o.configs)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range warnings {
		fmt.Fprintln(s.out, w)
	}
	return assignment, cfgs, nil
}

func (s *topicService) create(ctx context.Context) error {
	name := s.o.topic
	assignment, cfgs, err := s.parsedTopic()
	if err != nil {
		return err
	}
	if strings.ContainsAny(name, "._") {
		fmt.Fprintln(s.out, "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could "+
			"collide. To avoid issues it is best to use either, but not both.")
	}
	if s.has("replication-factor") && (s.o.replicationFactor > 32767 || s.o.replicationFactor < 1) {
		return &javaError{"java.lang.IllegalArgumentException", "The replication factor must be between 1 and 32767 inclusive"}
	}
	if s.has("partitions") && s.o.partitions < 1 {
		return &javaError{"java.lang.IllegalArgumentException", "The partitions must be greater than 0"}
	}
	if name == "" {
		return &kafkaError{kerr.InvalidTopicException.Code, "The given topic name '' cannot be represented in a request."}
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = int32(s.admin.timeout.Milliseconds())
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, -1, -1
	if assignment != nil {
		for p, reps := range assignment {
			ra := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
			ra.Partition, ra.Replicas = int32(p), reps
			rt.ReplicaAssignment = append(rt.ReplicaAssignment, ra)
		}
	} else {
		if s.has("partitions") {
			rt.NumPartitions = int32(s.o.partitions)
		}
		if s.has("replication-factor") {
			rt.ReplicationFactor = int16(s.o.replicationFactor)
		}
	}
	for _, c := range cfgs {
		rc := kmsg.NewCreateTopicsRequestTopicConfig()
		rc.Name, rc.Value = c.name, kmsg.StringPtr(c.value)
		rt.Configs = append(rt.Configs, rc)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := s.admin.call(ctx, "createTopics", req)
	if err != nil {
		return err
	}
	for _, t := range resp.(*kmsg.CreateTopicsResponse).Topics {
		if t.Topic != name {
			continue
		}
		if err := errorFor(t.ErrorCode, t.ErrorMessage); err != nil {
			if errors.Is(err, kerr.TopicAlreadyExists) && s.o.ifNotExists {
				return nil
			}
			return err
		}
		fmt.Fprintf(s.out, "Created topic %s.\n", name)
		return nil
	}
	return fmt.Errorf("The server response did not contain a reference to topic %s", name)
}

func (s *topicService) alter(ctx context.Context) error {
	assignment, _, err := s.parsedTopic()
	if err != nil {
		return err
	}
	topics, err := s.getTopics(ctx)
	if err != nil {
		return err
	}
	if err := s.ensureTopicExists(topics, !s.o.ifExists); err != nil {
		return err
	}
	if len(topics) == 0 {
		return nil
	}
	current := map[string]int{}
	if assignment != nil {
		md, err := s.admin.metadata(ctx, "describeTopics", topics)
		if err != nil {
			return err
		}
		for _, t := range md.Topics {
			if t.Topic != nil {
				if err := errorFor(t.ErrorCode, nil); err != nil {
					return err
				}
				current[*t.Topic] = len(t.Partitions)
			}
		}
	}
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.TimeoutMillis = int32(s.admin.timeout.Milliseconds())
	for _, name := range topics {
		rt := kmsg.NewCreatePartitionsRequestTopic()
		rt.Topic, rt.Count = name, int32(s.o.partitions)
		if assignment != nil {
			rt.Assignment = []kmsg.CreatePartitionsRequestTopicAssignment{}
			for p := current[name]; p < len(assignment); p++ {
				a := kmsg.NewCreatePartitionsRequestTopicAssignment()
				a.Replicas = assignment[p]
				rt.Assignment = append(rt.Assignment, a)
			}
		}
		req.Topics = append(req.Topics, rt)
	}
	resp, err := s.admin.call(ctx, "createPartitions", req)
	if err != nil {
		return err
	}
	for _, t := range resp.(*kmsg.CreatePartitionsResponse).Topics {
		if err := errorFor(t.ErrorCode, t.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

func (s *topicService) deleteTopics(ctx context.Context) error {
	topics, err := s.getTopics(ctx)
	if err != nil {
		return err
	}
	if err := s.ensureTopicExists(topics, !s.o.ifExists); err != nil {
		return err
	}
	if len(topics) == 0 {
		return nil
	}
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = int32(s.admin.timeout.Milliseconds())
	req.TopicNames = topics
	for _, n := range topics {
		rt := kmsg.NewDeleteTopicsRequestTopic()
		rt.Topic = kmsg.StringPtr(n)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := s.admin.call(ctx, "deleteTopics", req)
	if err != nil {
		return err
	}
	for _, t := range resp.(*kmsg.DeleteTopicsResponse).Topics {
		if err := errorFor(t.ErrorCode, t.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

// parseUUID is Kafka's Uuid.fromString.
func parseUUID(s string) ([16]byte, error) {
	var id [16]byte
	if len(s) > 24 {
		return id, &javaError{"java.lang.IllegalArgumentException",
			"Input string with prefix `" + s[:24] + "` is too long to be decoded as a base64 UUID"}
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return id, &javaError{"java.lang.IllegalArgumentException", err.Error()}
	}
	if len(b) != 16 {
		return id, &javaError{"java.lang.IllegalArgumentException", fmt.Sprintf("Input string `%s` decoded as %d bytes, "+
			"which is not equal to the expected 16 bytes of a base64-encoded UUID", s, len(b))}
	}
	copy(id[:], b)
	return id, nil
}

func (s *topicService) describeTopics(ctx context.Context) error {
	var topics []string
	var useID bool
	if s.has("topic-id") {
		id, err := parseUUID(s.o.topicID)
		if err != nil {
			return err
		}
		if id != ([16]byte{}) {
			useID = true
			all, err := s.listAll(ctx, !s.o.excludeInternal)
			if err != nil {
				return err
			}
			for _, t := range all {
				if t.TopicID == id {
					topics = append(topics, *t.Topic)
				}
			}
			if !s.o.ifExists && len(topics) == 0 {
				return &javaError{"java.lang.IllegalArgumentException",
					fmt.Sprintf("TopicId '%s' does not exist as expected", uuidString(id))}
			}
		}
	}
	if !useID {
		var err error
		if topics, err = s.getTopics(ctx); err != nil {
			return err
		}
		if err := s.ensureTopicExists(topics, !s.o.ifExists); err != nil {
			return err
		}
	}
	if len(topics) == 0 {
		return nil
	}

	// describeTopics, through Metadata as against a ZooKeeper-mode broker.
	md, err := s.admin.metadata(ctx, "describeTopics", topics)
	if err != nil {
		return err
	}
	brokers := map[int32]bool{}
	for _, b := range md.Brokers {
		brokers[b.NodeID] = true
	}
	descs := map[string]topicDesc{}
	errs := map[string]error{}
	for _, t := range md.Topics {
		if t.Topic == nil {
			continue
		}
		name := *t.Topic
		if err := errorFor(t.ErrorCode, nil); err != nil {
			errs[name] = err
			continue
		}
		td := topicDesc{name: name, id: t.TopicID}
		for _, p := range t.Partitions {
			pd := partitionDesc{id: p.Partition, leader: p.Leader, replicas: p.Replicas, isr: p.ISR}
			if !brokers[pd.leader] {
				pd.leader = -1
			}
			td.partitions = append(td.partitions, pd)
		}
		sort.Slice(td.partitions, func(i, j int) bool { return td.partitions[i].id < td.partitions[j].id })
		descs[name] = td
	}
	order := javaDescribeTopicsOrder(topics)
	for _, n := range order {
		if err := errs[n]; err != nil {
			return err
		}
		if _, ok := descs[n]; !ok {
			return &kafkaError{kerr.UnknownTopicOrPartition.Code, "Topic " + n + " not found."}
		}
	}

	configs, cfgErr := s.describeConfigs(ctx, topics)
	reassignments := s.listReassignments(ctx, descs)
	opts := describeOptions{
		underReplicated: s.o.underReplicated, unavailable: s.o.unavailable,
		underMinIsr: s.o.underMinIsr, atMinIsr: s.o.atMinIsr, withOverrides: s.o.withOverrides,
		live: brokers,
	}
	for _, n := range order {
		if cfgErr != nil {
			return cfgErr
		}
		cfg, ok := configs[n]
		if !ok {
			return &javaError{"java.lang.NullPointerException", "The server response did not contain configs of topic " + n}
		}
		if cfg.err != nil {
			return cfg.err
		}
		td := descs[n]
		for i := range td.partitions {
			td.partitions[i].reassignment = reassignments[n][td.partitions[i].id]
		}
		writeTopicDescription(s.out, td, cfg.entries, opts)
	}
	return nil
}

// topicConfigs are one topic's DescribeConfigs result.
type topicConfigs struct {
	entries []configEntry
	err     error
}

// describeConfigs is Admin.describeConfigs for topic resources.
func (s *topicService) describeConfigs(ctx context.Context, topics []string) (map[string]topicConfigs, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	for _, t := range topics {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, t
		req.Resources = append(req.Resources, r)
	}
	resp, err := s.admin.call(ctx, "describeConfigs", req)
	if err != nil {
		return nil, err
	}
	out := map[string]topicConfigs{}
	for _, r := range resp.(*kmsg.DescribeConfigsResponse).Resources {
		if err := errorFor(r.ErrorCode, r.ErrorMessage); err != nil {
			out[r.ResourceName] = topicConfigs{err: err}
			continue
		}
		var entries []configEntry
		for _, c := range r.Configs {
			entries = append(entries, configEntry{name: c.Name, value: c.Value, isDefault: c.Source == kmsg.ConfigSourceDefaultConfig})
		}
		out[r.ResourceName] = topicConfigs{entries: entries}
	}
	return out, nil
}

// listReassignments is Admin.listPartitionReassignments; as in Kafka, a
// broker that does not serve it (or refuses it) means none.
func (s *topicService) listReassignments(ctx context.Context, descs map[string]topicDesc) map[string]map[int32]*reassignment {
	out := map[string]map[int32]*reassignment{}
	if ok, err := s.admin.supports(ctx, kmsg.ListPartitionReassignments.Int16()); err != nil || !ok {
		return out
	}
	req := kmsg.NewPtrListPartitionReassignmentsRequest()
	req.TimeoutMillis = int32(s.admin.timeout.Milliseconds())
	for name, td := range descs {
		rt := kmsg.NewListPartitionReassignmentsRequestTopic()
		rt.Topic = name
		for _, p := range td.partitions {
			rt.Partitions = append(rt.Partitions, p.id)
		}
		req.Topics = append(req.Topics, rt)
	}
	resp, err := s.admin.call(ctx, "listPartitionReassignments", req)
	if err != nil {
		return out
	}
	r := resp.(*kmsg.ListPartitionReassignmentsResponse)
	if r.ErrorCode != 0 {
		return out
	}
	for _, t := range r.Topics {
		for _, p := range t.Partitions {
			if out[t.Topic] == nil {
				out[t.Topic] = map[int32]*reassignment{}
			}
			out[t.Topic][p.Partition] = &reassignment{replicas: p.Replicas, adding: p.AddingReplicas, removing: p.RemovingReplicas}
		}
	}
	return out
}
