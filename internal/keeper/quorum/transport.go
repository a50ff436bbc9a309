package quorum

import (
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// Transport carries raft messages between members. Implementations: the TCP
// transport of this package (NewTCP) and quorumtest.Network for tests.
//
// Delivery is best effort: raft tolerates lost, duplicated and delayed
// messages, so a transport drops rather than blocks. Messages between two
// members should arrive in the order sent (raft works without it, but
// replication stalls less).
type Transport interface {
	// Start begins delivering received messages to h. It is called once,
	// before Send.
	Start(h Handler) error
	// Send queues messages for their recipients (m.To) and returns at once.
	// It must not block on the network and must not keep using a message
	// after marshalling it. A MsgSnap message must eventually be answered
	// with h.ReportSnapshot for its recipient.
	Send(msgs []*raftpb.Message)
	// AddPeer tells the transport where member id listens ("host:port"). It
	// replaces a known address.
	AddPeer(id uint64, addr string)
	// RemovePeer forgets member id, dropping its queued messages.
	RemovePeer(id uint64)
	// Close stops the transport and waits for its goroutines. Handler
	// methods are not called after Close returns.
	Close() error
}

// Handler receives what a Transport reports. The Node implements it. Its
// methods may be called from any goroutine and may block briefly (Process
// applies back-pressure while the node is busy).
type Handler interface {
	// Process delivers a message received from a member.
	Process(m *raftpb.Message)
	// ReportUnreachable says that messages to id were dropped because it
	// could not be reached or its queue was full.
	ReportUnreachable(id uint64)
	// ReportSnapshot says how sending a MsgSnap to id ended.
	ReportSnapshot(id uint64, status raft.SnapshotStatus)
}
