package broker

// Metadata, versions 0–12: live brokers, the controller, and the topics
// asked for (all of them for a null list, or an empty list in v0), with
// each partition's leader, replicas and ISR as ZooKeeper holds them. An
// unknown topic is created when the request and auto.create.topics.enable
// allow it, and answered LEADER_NOT_AVAILABLE until it has a leader, as
// Kafka does. Not yet: authorized operations (always -2147483648).

import (
	"context"
	"errors"
	"os"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/zkafka/zkafka/internal/broker/admin"
	"github.com/zkafka/zkafka/internal/broker/cluster"
)

func (b *Broker) handleMetadata(ctx context.Context, r *kmsg.MetadataRequest) *kmsg.MetadataResponse {
	resp := kmsg.NewPtrMetadataResponse()
	brokers, topics := b.meta.snapshot()
	alive := map[int32]bool{}
	for _, bi := range brokers {
		alive[bi.ID] = true
		host, port, ok := b.advertised(bi)
		if !ok {
			continue
		}
		rb := kmsg.NewMetadataResponseBroker()
		rb.NodeID, rb.Host, rb.Port = bi.ID, host, port
		if bi.Rack != "" {
			rack := bi.Rack
			rb.Rack = &rack
		}
		resp.Brokers = append(resp.Brokers, rb)
	}
	cid := b.reg.ClusterID()
	resp.ClusterID = &cid
	resp.ControllerID = b.controllerID(ctx)

	var names []string
	all := r.Topics == nil || (r.Version == 0 && len(r.Topics) == 0)
	if all {
		for n := range topics {
			names = append(names, n)
		}
		sort.Strings(names)
	} else {
		for _, t := range r.Topics {
			if t.Topic != nil {
				names = append(names, *t.Topic)
			}
		}
	}
	autoCreate := b.cfg.AutoCreateTopicsEnable && (r.Version < 4 || r.AllowAutoTopicCreation)
	for _, name := range names {
		rt := kmsg.NewMetadataResponseTopic()
		n := name
		rt.Topic = &n
		rt.IsInternal = admin.IsInternal(name)
		t, ok := topics[name]
		if !ok {
			switch {
			case cluster.ValidateTopicName(name) != nil:
				rt.ErrorCode = kerr.InvalidTopicException.Code
			case autoCreate && !all:
				rt.ErrorCode = b.autoCreate(ctx, name)
			default:
				rt.ErrorCode = kerr.UnknownTopicOrPartition.Code
			}
			resp.Topics = append(resp.Topics, rt)
			continue
		}
		rt.TopicID = t.ID
		pids := make([]int32, 0, len(t.Partitions))
		for p := range t.Partitions {
			pids = append(pids, p)
		}
		sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
		for _, p := range pids {
			rp := kmsg.NewMetadataResponseTopicPartition()
			rp.Partition = p
			rp.Replicas = t.Partitions[p].Replicas
			st, hasState := t.States[p]
			rp.Leader = -1
			if hasState {
				rp.Leader, rp.LeaderEpoch, rp.ISR = st.Leader, st.LeaderEpoch, st.ISR
			}
			for _, rep := range rp.Replicas {
				if !alive[rep] {
					rp.OfflineReplicas = append(rp.OfflineReplicas, rep)
				}
			}
			if rp.ISR == nil {
				rp.ISR = []int32{}
			}
			if rp.OfflineReplicas == nil {
				rp.OfflineReplicas = []int32{}
			}
			if rp.Leader < 0 || !alive[rp.Leader] {
				rp.ErrorCode = kerr.LeaderNotAvailable.Code
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// advertised returns the host and port a broker advertises on this
// broker's listener.
func (b *Broker) advertised(bi cluster.BrokerInfo) (string, int32, bool) {
	name := b.cfg.Listeners[0].Name
	for _, e := range bi.Endpoints {
		if e.Listener == name {
			host := e.Host
			if host == "" { // Kafka advertises the canonical host name for a wildcard
				host, _ = os.Hostname()
			}
			return host, e.Port, true
		}
	}
	return "", 0, false
}

// autoCreate creates a topic with the broker's defaults for a Metadata or
// Produce request, and returns the code to answer with: LEADER_NOT_AVAILABLE
// (the client retries and finds it), or why it could not be created.
func (b *Broker) autoCreate(ctx context.Context, name string) int16 {
	code, _ := b.createTopic(ctx, name, int32(b.cfg.NumPartitions), int16(b.cfg.DefaultReplicationFactor), nil, nil, false)
	if code == 0 || code == kerr.TopicAlreadyExists.Code {
		return kerr.LeaderNotAvailable.Code
	}
	return code
}

// errCode maps cluster errors onto Kafka codes.
func errCode(err error) int16 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, cluster.ErrTopicExists):
		return kerr.TopicAlreadyExists.Code
	case errors.Is(err, cluster.ErrInvalidTopic):
		return kerr.InvalidTopicException.Code
	case errors.Is(err, cluster.ErrUnknownTopic):
		return kerr.UnknownTopicOrPartition.Code
	case errors.Is(err, cluster.ErrInvalidAssignment):
		return kerr.InvalidReplicaAssignment.Code
	case errors.Is(err, cluster.ErrTopicMarkedForDeletion):
		return kerr.TopicAlreadyExists.Code
	case errors.Is(err, admin.ErrInvalidPartitions):
		return kerr.InvalidPartitions.Code
	case errors.Is(err, admin.ErrInvalidReplicationFactor):
		return kerr.InvalidReplicationFactor.Code
	}
	return kerr.UnknownServerError.Code
}

// controllerID returns the controller's broker id. With ZooKeeper
// unreachable it answers at once from the last id seen, so metadata (and
// with it produce and fetch) keeps being served.
func (b *Broker) controllerID(ctx context.Context) int32 {
	if b.reg.IsController() {
		b.lastController.Store(b.id)
		return b.id
	}
	ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	if id, err := b.reg.ControllerID(ctx); err == nil {
		b.lastController.Store(id)
		return id
	}
	return b.lastController.Load()
}
