package quorum

import (
	"slices"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
)

func TestSplitMessages(t *testing.T) {
	msg := func(typ raftpb.MessageType, to uint64) *raftpb.Message {
		return &raftpb.Message{Type: typ.Enum(), To: new(to)}
	}
	app, hb, prop := msg(raftpb.MessageType_MsgApp, 2), msg(raftpb.MessageType_MsgHeartbeat, 3), msg(raftpb.MessageType_MsgProp, 1)
	vote, snap, ri := msg(raftpb.MessageType_MsgVote, 2), msg(raftpb.MessageType_MsgSnap, 3), msg(raftpb.MessageType_MsgReadIndex, 1)
	appResp, voteResp, preResp := msg(raftpb.MessageType_MsgAppResp, 1), msg(raftpb.MessageType_MsgVoteResp, 2), msg(raftpb.MessageType_MsgPreVoteResp, 3)
	hbResp := msg(raftpb.MessageType_MsgHeartbeatResp, 1)
	for _, tc := range []struct {
		name        string
		in          []*raftpb.Message
		early, late []*raftpb.Message
	}{
		{"none", nil, nil, nil},
		{"leader", []*raftpb.Message{app, hb, snap}, []*raftpb.Message{app, hb, snap}, nil},
		{"follower", []*raftpb.Message{prop, ri, hbResp, appResp}, []*raftpb.Message{prop, ri, hbResp}, []*raftpb.Message{appResp}},
		{"votes wait", []*raftpb.Message{voteResp, vote, preResp}, []*raftpb.Message{vote}, []*raftpb.Message{voteResp, preResp}},
		{"order kept", []*raftpb.Message{appResp, app, voteResp, hb}, []*raftpb.Message{app, hb}, []*raftpb.Message{appResp, voteResp}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			early, late := splitMessages(slices.Clone(tc.in), nil)
			if !slices.Equal(early, tc.early) || !slices.Equal(late, tc.late) {
				t.Fatalf("split %v: early %v late %v, want %v and %v", tc.in, early, late, tc.early, tc.late)
			}
		})
	}
}
