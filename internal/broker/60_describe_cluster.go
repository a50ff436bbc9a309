package broker

// DescribeCluster, versions 0–1: the cluster id, the live brokers as
// advertised on this listener, the controller (-1 when none, or when it is
// not among the brokers listed) and, when asked, the operations allowed on
// the cluster: all of them, as a broker without an authorizer answers.
// Only the broker endpoint type is served (v1 asking for controllers gets
// MISMATCHED_ENDPOINT_TYPE, an unknown type UNSUPPORTED_ENDPOINT_TYPE).

import (
	"context"
	"math"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Endpoint types of DescribeCluster v1 (KIP-919).
const (
	endpointTypeBroker     int8 = 1
	endpointTypeController int8 = 2
)

// clusterOperations is the bit field of the ACL operations on the cluster
// resource (CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS,
// ALTER_CONFIGS, IDEMPOTENT_WRITE), all allowed without an authorizer.
const clusterOperations int32 = 1<<5 | 1<<7 | 1<<8 | 1<<9 | 1<<10 | 1<<11 | 1<<12

func (b *Broker) handleDescribeCluster(ctx context.Context, r *kmsg.DescribeClusterRequest) *kmsg.DescribeClusterResponse {
	resp := kmsg.NewPtrDescribeClusterResponse()
	resp.EndpointType = endpointTypeBroker
	want := r.EndpointType
	if r.Version == 0 {
		want = endpointTypeBroker
	}
	switch want {
	case endpointTypeBroker:
	case endpointTypeController:
		resp.ErrorCode = kerr.MismatchedEndpointType.Code
		msg := "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER"
		resp.ErrorMessage = &msg
		return resp
	default:
		resp.ErrorCode = kerr.UnsupportedEndpointType.Code
		msg := "Unsupported endpoint type " + strconv.Itoa(int(want))
		resp.ErrorMessage = &msg
		return resp
	}
	resp.ClusterID = b.reg.ClusterID()
	resp.ClusterAuthorizedOperations = math.MinInt32
	if r.IncludeClusterAuthorizedOperations {
		resp.ClusterAuthorizedOperations = clusterOperations
	}
	brokers, _ := b.meta.snapshot()
	for _, bi := range brokers {
		host, port, ok := b.advertised(bi)
		if !ok {
			continue
		}
		rb := kmsg.NewDescribeClusterResponseBroker()
		rb.NodeID, rb.Host, rb.Port = bi.ID, host, port
		if bi.Rack != "" {
			rack := bi.Rack
			rb.Rack = &rack
		}
		resp.Brokers = append(resp.Brokers, rb)
	}
	resp.ControllerID = -1
	if id, err := b.reg.ControllerID(ctx); err == nil {
		for _, rb := range resp.Brokers {
			if rb.NodeID == id {
				resp.ControllerID = id
			}
		}
	}
	return resp
}
