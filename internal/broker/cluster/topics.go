package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/go-zookeeper/zk"
)

// Errors of the topic operations.
var (
	ErrTopicExists            = errors.New("cluster: topic already exists")
	ErrUnknownTopic           = errors.New("cluster: unknown topic or partition")
	ErrInvalidTopic           = errors.New("cluster: invalid topic")
	ErrInvalidAssignment      = errors.New("cluster: invalid replica assignment")
	ErrTopicMarkedForDeletion = errors.New("cluster: topic is already marked for deletion")
	ErrStaleState             = errors.New("cluster: partition state changed since it was read")
	ErrProducerIDsExhausted   = errors.New("cluster: producer ids exhausted")
)

// MaxTopicNameLength is the longest legal topic name (Topic.MAX_NAME_LENGTH).
const MaxTopicNameLength = 249

// ValidateTopicName applies Kafka's topic name rules: 1 to 249 characters
// of [a-zA-Z0-9._-], and not "." or "..".
func ValidateTopicName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: topic name is illegal, it can't be empty", ErrInvalidTopic)
	case name == "." || name == "..":
		return fmt.Errorf("%w: topic name cannot be \".\" or \"..\"", ErrInvalidTopic)
	case len(name) > MaxTopicNameLength:
		return fmt.Errorf("%w: topic name is illegal, it can't be longer than %d characters, topic name: %s",
			ErrInvalidTopic, MaxTopicNameLength, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: topic name %q is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'",
				ErrInvalidTopic, name)
		}
	}
	return nil
}

// topicsCollide is Topic.hasCollision: '.' and '_' are the same in metric names.
func topicsCollide(a, b string) bool {
	return strings.ReplaceAll(a, ".", "_") == strings.ReplaceAll(b, ".", "_")
}

// NewTopic describes a topic to create.
type NewTopic struct {
	Name string
	// ID is the topic id; zero asks for a random one.
	ID UUID
	// Assignment maps each partition (0..n-1) to its replicas, the
	// preferred leader first. Every partition has the same number of
	// distinct replicas.
	Assignment map[int32][]int32
	// Configs are the topic's config overrides (may be empty).
	Configs map[string]string
}

// Topic is everything the cluster state holds about one topic.
type Topic struct {
	Name              string
	ID                UUID
	Partitions        map[int32]ReplicaAssignment
	States            map[int32]PartitionState // partitions without a state node are absent
	Configs           map[string]string
	MarkedForDeletion bool
}

func validateAssignment(a map[int32][]int32) error {
	if len(a) == 0 {
		return fmt.Errorf("%w: a topic needs at least one partition", ErrInvalidAssignment)
	}
	rf := -1
	for p := int32(0); p < int32(len(a)); p++ {
		reps, ok := a[p]
		if !ok {
			return fmt.Errorf("%w: partitions should be a consecutive 0-based integer sequence", ErrInvalidAssignment)
		}
		if len(reps) == 0 {
			return fmt.Errorf("%w: partition %d has no replicas", ErrInvalidAssignment, p)
		}
		if rf >= 0 && len(reps) != rf {
			return fmt.Errorf("%w: all partitions should have the same number of replicas", ErrInvalidAssignment)
		}
		rf = len(reps)
		seen := map[int32]bool{}
		for _, b := range reps {
			if seen[b] || b < 0 {
				return fmt.Errorf("%w: duplicate or negative replica in partition %d: %v", ErrInvalidAssignment, p, reps)
			}
			seen[b] = true
		}
	}
	return nil
}

// CreateTopic creates a topic in one transaction: its config node, its
// assignment node (with a topic id) and a state node per partition, whose
// leader is the first live replica and whose ISR is the live replicas (no
// live replica: leader -1, empty ISR). On the controller the write is
// fenced by its controller epoch. It refuses names that exist, collide
// ('.' vs '_') with one that exists, or are marked for deletion.
func (r *Registry) CreateTopic(ctx context.Context, t NewTopic) (Topic, error) {
	if err := ValidateTopicName(t.Name); err != nil {
		return Topic{}, err
	}
	if err := validateAssignment(t.Assignment); err != nil {
		return Topic{}, fmt.Errorf("topic %s: %w", t.Name, err)
	}
	ctx, cancel := r.merge(ctx)
	defer cancel()
	existing, err := r.s.children(ctx, TopicsPath)
	if err != nil {
		return Topic{}, err
	}
	for _, e := range existing {
		if e == t.Name {
			return Topic{}, fmt.Errorf("%w: topic '%s' already exists", ErrTopicExists, t.Name)
		}
		if topicsCollide(e, t.Name) {
			return Topic{}, fmt.Errorf("%w: topic '%s' collides with existing topic: %s", ErrInvalidTopic, t.Name, e)
		}
	}
	if ok, _, err := r.s.exists(ctx, DeleteTopicPath(t.Name)); err != nil {
		return Topic{}, err
	} else if ok {
		return Topic{}, fmt.Errorf("%w: topic '%s' is marked for deletion", ErrTopicExists, t.Name)
	}
	if t.ID.IsZero() {
		if t.ID, err = r.randomUUID(true); err != nil {
			return Topic{}, err
		}
	}
	brokers, err := r.s.children(ctx, BrokerIDsPath)
	if err != nil {
		return Topic{}, err
	}
	live := map[int32]bool{}
	for _, b := range brokers {
		if id, err := strconv.ParseInt(b, 10, 32); err == nil {
			live[int32(id)] = true
		}
	}
	topic := Topic{Name: t.Name, ID: t.ID, Partitions: map[int32]ReplicaAssignment{},
		States: map[int32]PartitionState{}, Configs: map[string]string{}}
	for k, v := range t.Configs {
		topic.Configs[k] = v
	}
	for p, reps := range t.Assignment {
		topic.Partitions[p] = ReplicaAssignment{Replicas: slices.Clone(reps)}
	}
	assignment := EncodeTopicAssignment(TopicAssignment{Topic: t.Name, ID: t.ID, Partitions: topic.Partitions})

	useFence := true
	for attempt := 0; ; attempt++ {
		fence, fenced := r.fence()
		fenced = fenced && useFence
		ctrlEpoch, _ := r.ControllerEpoch()
		if !fenced {
			e, _, err := r.readControllerEpoch(ctx)
			if err != nil && !errors.Is(err, zk.ErrNoNode) {
				return Topic{}, err
			}
			ctrlEpoch = e
		}
		var ops []any
		if fenced {
			ops = append(ops, fence)
		}
		cfgExists, _, err := r.s.exists(ctx, TopicConfigPath(t.Name))
		if err != nil {
			return Topic{}, err
		}
		if cfgExists { // left over by an earlier topic: overwrite, as setOrCreateEntityConfigs
			ops = append(ops, &zk.SetDataRequest{Path: TopicConfigPath(t.Name), Data: EncodeEntityConfig(topic.Configs), Version: -1})
		} else {
			ops = append(ops, &zk.CreateRequest{Path: TopicConfigPath(t.Name), Data: EncodeEntityConfig(topic.Configs)})
		}
		ops = append(ops,
			&zk.CreateRequest{Path: TopicPath(t.Name), Data: assignment},
			&zk.CreateRequest{Path: TopicPartitionsPath(t.Name)})
		for p := int32(0); p < int32(len(t.Assignment)); p++ {
			st := PartitionState{Leader: NoLeader, ISR: []int32{}, ControllerEpoch: ctrlEpoch}
			for _, b := range t.Assignment[p] {
				if live[b] {
					if st.Leader == NoLeader {
						st.Leader = b
					}
					st.ISR = append(st.ISR, b)
				}
			}
			topic.States[p] = st
			ops = append(ops,
				&zk.CreateRequest{Path: PartitionPath(t.Name, p)},
				&zk.CreateRequest{Path: PartitionStatePath(t.Name, p), Data: EncodePartitionState(st)})
		}
		_, _, err = r.s.multi(ctx, ops...)
		switch {
		case err == nil:
			r.log.Info("created topic", "topic", t.Name, "topic_id", t.ID.String(), "partitions", len(t.Assignment))
			return topic, nil
		case errors.Is(err, zk.ErrNodeExists):
			// Ours, if an attempt whose reply was lost went through.
			if data, _, gerr := r.s.get(ctx, TopicPath(t.Name)); gerr == nil {
				if a, derr := DecodeTopicAssignment(t.Name, data); derr == nil && a.ID == t.ID {
					return topic, nil
				}
				return Topic{}, fmt.Errorf("%w: topic '%s' already exists", ErrTopicExists, t.Name)
			}
			if attempt < 3 {
				continue // the config node appeared or went meanwhile
			}
			return Topic{}, fmt.Errorf("cluster: creating topic %s: %w", t.Name, err)
		case errors.Is(err, zk.ErrBadVersion) && attempt < 3:
			if r.fenceFailed(ctx, fenced) {
				r.log.Warn("controller epoch changed while creating a topic; retrying unfenced", "topic", t.Name)
				useFence = false
			}
			continue
		default:
			return Topic{}, fmt.Errorf("cluster: creating topic %s: %w", t.Name, err)
		}
	}
}

// ReadTopic reads a topic's assignment, partition states, configs and
// deletion mark. It is not one atomic read: a topic changing meanwhile may
// show a mix.
func (r *Registry) ReadTopic(ctx context.Context, name string) (Topic, error) {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	data, _, err := r.s.get(ctx, TopicPath(name))
	if errors.Is(err, zk.ErrNoNode) {
		return Topic{}, fmt.Errorf("%w: topic %s", ErrUnknownTopic, name)
	}
	if err != nil {
		return Topic{}, err
	}
	a, err := DecodeTopicAssignment(name, data)
	if err != nil {
		return Topic{}, fmt.Errorf("cluster: %s: %w", TopicPath(name), err)
	}
	t := Topic{Name: name, ID: a.ID, Partitions: a.Partitions, States: map[int32]PartitionState{}}
	parts, err := r.s.children(ctx, TopicPartitionsPath(name))
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return Topic{}, err
	}
	for _, ps := range parts {
		p, err := strconv.ParseInt(ps, 10, 32)
		if err != nil {
			continue
		}
		st, err := r.readPartitionState(ctx, name, int32(p))
		if errors.Is(err, ErrUnknownTopic) {
			continue
		}
		if err != nil {
			return Topic{}, err
		}
		t.States[int32(p)] = st
	}
	cfg, _, err := r.s.get(ctx, TopicConfigPath(name))
	switch {
	case errors.Is(err, zk.ErrNoNode):
		t.Configs = map[string]string{}
	case err != nil:
		return Topic{}, err
	default:
		if t.Configs, err = DecodeEntityConfig(cfg); err != nil {
			return Topic{}, fmt.Errorf("cluster: %s: %w", TopicConfigPath(name), err)
		}
	}
	if t.MarkedForDeletion, _, err = r.s.exists(ctx, DeleteTopicPath(name)); err != nil {
		return Topic{}, err
	}
	return t, nil
}

// ListTopics returns the names under /brokers/topics, sorted.
func (r *Registry) ListTopics(ctx context.Context) ([]string, error) {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	kids, err := r.s.children(ctx, TopicsPath)
	if err != nil {
		return nil, err
	}
	slices.Sort(kids)
	return kids, nil
}

// SetTopicConfig replaces a topic's config overrides and writes a config
// change notification, as Kafka's AdminZkClient.changeTopicConfig.
func (r *Registry) SetTopicConfig(ctx context.Context, name string, configs map[string]string) error {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	if ok, _, err := r.s.exists(ctx, TopicPath(name)); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("%w: topic %s", ErrUnknownTopic, name)
	}
	data := EncodeEntityConfig(configs)
	_, _, err := r.s.set(ctx, TopicConfigPath(name), data, -1)
	if errors.Is(err, zk.ErrNoNode) {
		_, _, err = r.s.create(ctx, TopicConfigPath(name), data, zk.FlagPersistent)
	}
	if err != nil {
		return err
	}
	change := EncodeConfigChange(ConfigChange{EntityType: ConfigTypeTopic, EntityName: name})
	if _, _, err := r.s.create(ctx, ConfigChangesPath+"/"+ConfigChangePrefix, change, zk.FlagSequence); err != nil {
		return err
	}
	return nil
}

// MarkTopicForDeletion creates /admin/delete_topics/<topic>, Kafka's
// request to the controller to delete a topic.
func (r *Registry) MarkTopicForDeletion(ctx context.Context, name string) error {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	if ok, _, err := r.s.exists(ctx, TopicPath(name)); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("%w: topic %s", ErrUnknownTopic, name)
	}
	_, retried, err := r.s.create(ctx, DeleteTopicPath(name), nil, zk.FlagPersistent)
	if errors.Is(err, zk.ErrNoNode) {
		_, err = r.s.createRecursive(ctx, DeleteTopicsPath, nil, false)
		if err == nil {
			_, retried, err = r.s.create(ctx, DeleteTopicPath(name), nil, zk.FlagPersistent)
		}
	}
	switch {
	case errors.Is(err, zk.ErrNodeExists) && !retried:
		return fmt.Errorf("%w: topic %s", ErrTopicMarkedForDeletion, name)
	case errors.Is(err, zk.ErrNodeExists):
		return nil
	}
	return err
}

// CompleteTopicDeletion is the controller's last step of a topic deletion:
// it removes the topic's nodes, its config and its deletion mark in one
// transaction fenced by the controller epoch. Only the controller may call
// it (ErrNotController otherwise).
func (r *Registry) CompleteTopicDeletion(ctx context.Context, name string) error {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	for attempt := 0; ; attempt++ {
		fence, ok := r.fence()
		if !ok {
			return ErrNotController
		}
		ops := []any{fence}
		del := func(p string) { ops = append(ops, &zk.DeleteRequest{Path: p, Version: -1}) }
		exists := func(p string) (bool, error) {
			ok, _, err := r.s.exists(ctx, p)
			return ok, err
		}
		parts, err := r.s.children(ctx, TopicPartitionsPath(name))
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			return err
		}
		for _, p := range parts {
			pp := TopicPartitionsPath(name) + "/" + p
			kids, err := r.s.children(ctx, pp)
			if err != nil && !errors.Is(err, zk.ErrNoNode) {
				return err
			}
			for _, k := range kids {
				del(pp + "/" + k)
			}
			if err == nil {
				del(pp)
			}
		}
		for _, p := range []string{TopicPartitionsPath(name), TopicPath(name), TopicConfigPath(name), DeleteTopicPath(name)} {
			ok, err := exists(p)
			if err != nil {
				return err
			}
			if ok {
				del(p)
			}
		}
		if len(ops) == 1 {
			return nil // nothing left
		}
		_, _, err = r.s.multi(ctx, ops...)
		switch {
		case err == nil:
			r.log.Info("deleted topic", "topic", name)
			return nil
		case errors.Is(err, zk.ErrBadVersion) && r.fenceFailed(ctx, true):
			return fmt.Errorf("cluster: deleting topic %s: %w", name, ErrNotController)
		case (errors.Is(err, zk.ErrNotEmpty) || errors.Is(err, zk.ErrNoNode)) && attempt < 5:
			continue // the topic changed while we listed it
		default:
			return fmt.Errorf("cluster: deleting topic %s: %w", name, err)
		}
	}
}

// ReadPartitionState reads one partition's leader and ISR, with the
// z-node's data version in ZkVersion.
func (r *Registry) ReadPartitionState(ctx context.Context, topic string, partition int32) (PartitionState, error) {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	return r.readPartitionState(ctx, topic, partition)
}

func (r *Registry) readPartitionState(ctx context.Context, topic string, partition int32) (PartitionState, error) {
	path := PartitionStatePath(topic, partition)
	data, stat, err := r.s.get(ctx, path)
	if errors.Is(err, zk.ErrNoNode) {
		return PartitionState{}, fmt.Errorf("%w: %s-%d has no state", ErrUnknownTopic, topic, partition)
	}
	if err != nil {
		return PartitionState{}, err
	}
	st, err := DecodePartitionState(data)
	if err != nil {
		return st, fmt.Errorf("cluster: %s: %w", path, err)
	}
	st.ZkVersion = stat.Version
	return st, nil
}

// UpdatePartitionState writes a partition's state if its z-node is still
// at expectedVersion (Kafka's conditional updateLeaderAndIsr), returning
// the new version. On the controller the write is also fenced by the
// controller epoch (ErrNotController when it moved). A version mismatch is
// ErrStaleState.
func (r *Registry) UpdatePartitionState(ctx context.Context, topic string, partition int32, st PartitionState, expectedVersion int32) (int32, error) {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	path := PartitionStatePath(topic, partition)
	data := EncodePartitionState(st)
	fence, fenced := r.fence()
	var (
		version int32
		retried bool
		err     error
	)
	if fenced {
		var res []zk.MultiResponse
		res, retried, err = r.s.multi(ctx, fence, &zk.SetDataRequest{Path: path, Data: data, Version: expectedVersion})
		if err == nil {
			if len(res) < 2 || res[1].Stat == nil {
				return 0, fmt.Errorf("cluster: updating %s: multi returned no stat", path)
			}
			version = res[1].Stat.Version
		}
	} else {
		var stat *zk.Stat
		stat, retried, err = r.s.set(ctx, path, data, expectedVersion)
		if err == nil {
			version = stat.Version
		}
	}
	switch {
	case err == nil:
		return version, nil
	case errors.Is(err, zk.ErrNoNode):
		return 0, fmt.Errorf("%w: %s-%d has no state", ErrUnknownTopic, topic, partition)
	case errors.Is(err, zk.ErrBadVersion):
		if r.fenceFailed(ctx, fenced) {
			return 0, fmt.Errorf("cluster: updating %s: %w", path, ErrNotController)
		}
		if retried { // maybe our own lost attempt (checkLeaderAndIsrZkData)
			cur, stat, gerr := r.s.get(ctx, path)
			if gerr == nil && stat.Version == expectedVersion+1 && bytes.Equal(cur, data) {
				return stat.Version, nil
			}
		}
		return 0, fmt.Errorf("cluster: updating %s at version %d: %w: %w", path, expectedVersion, ErrStaleState, err)
	default:
		return 0, err
	}
}

// AllocateProducerIDBlock takes the next block of size producer ids from
// /latest_producer_id_block for this broker (ZkProducerIdManager): the
// first block starts at 0, each next one after the last handed out.
func (r *Registry) AllocateProducerIDBlock(ctx context.Context, size int32) (ProducerIDBlock, error) {
	if size <= 0 {
		return ProducerIDBlock{}, fmt.Errorf("cluster: producer id block size %d must be positive", size)
	}
	ctx, cancel := r.merge(ctx)
	defer cancel()
	for {
		data, stat, err := r.s.get(ctx, ProducerIDBlockPath)
		version := int32(0)
		switch {
		case errors.Is(err, zk.ErrNoNode):
			version = -2
		case err != nil:
			return ProducerIDBlock{}, err
		default:
			version = stat.Version
		}
		next := ProducerIDBlock{BrokerID: r.brokerID, Start: 0, End: int64(size) - 1}
		if len(data) > 0 {
			cur, err := DecodeProducerIDBlock(data)
			if err != nil {
				return ProducerIDBlock{}, fmt.Errorf("cluster: %s: %w", ProducerIDBlockPath, err)
			}
			if cur.End > math.MaxInt64-int64(size) {
				return ProducerIDBlock{}, fmt.Errorf("%w: last block ended at %d", ErrProducerIDsExhausted, cur.End)
			}
			next.Start, next.End = cur.End+1, cur.End+int64(size)
		}
		enc := EncodeProducerIDBlock(next)
		if version == -2 {
			_, _, err = r.s.create(ctx, ProducerIDBlockPath, enc, zk.FlagPersistent)
			if errors.Is(err, zk.ErrNodeExists) {
				continue
			}
		} else {
			var retried bool
			_, retried, err = r.s.set(ctx, ProducerIDBlockPath, enc, version)
			if errors.Is(err, zk.ErrBadVersion) {
				if retried {
					if cur, st, gerr := r.s.get(ctx, ProducerIDBlockPath); gerr == nil && st.Version == version+1 && bytes.Equal(cur, enc) {
						return next, nil
					}
				}
				continue // another broker took a block first
			}
		}
		if err != nil {
			return ProducerIDBlock{}, err
		}
		return next, nil
	}
}
