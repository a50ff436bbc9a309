package quorum

import (
	"slices"

	"go.etcd.io/raft/v3/raftpb"
)

// coalesce merges, in place, the messages of one Ready that go to the same
// peer and say what one message can say, and returns the shortened list:
//
//   - a MsgApp that continues the previous message to the same peer, a
//     MsgApp of the same term (its Index and LogTerm are that message's
//     last entry), is appended to it: one message carries both runs of
//     entries and the higher commit index. Raft makes one MsgApp per
//     proposal step and one more (often empty) for every commit advance;
//     under load a Ready holds many per follower.
//   - an accepting MsgAppResp that follows an accepting MsgAppResp of the
//     same term to the same peer replaces its index with the higher one:
//     the leader treats "I have up to i" as acknowledging every index
//     below i, so the later answer says all the earlier one did.
//
// Nothing else is merged, and a message is merged only into the message
// sent right before it to the same peer, so the order of different kinds
// of messages to a peer is kept. maxBytes bounds the entry payload of a
// merged MsgApp. Entries are never modified; a merged message gets its own
// entry slice (raft's slices alias its log).
func coalesce(msgs []*raftpb.Message, maxBytes uint64) []*raftpb.Message {
	if len(msgs) < 2 {
		return msgs
	}
	type last struct {
		at    int    // index in out of the last message to this peer
		bytes uint64 // entry payload of out[at] when it is a MsgApp
		owned bool   // out[at].Entries was reallocated here
	}
	var seen [8]struct {
		to uint64
		l  last
	}
	peers := seen[:0]
	find := func(to uint64) *last {
		for i := range peers {
			if peers[i].to == to {
				return &peers[i].l
			}
		}
		peers = append(peers, struct {
			to uint64
			l  last
		}{to: to, l: last{at: -1}})
		return &peers[len(peers)-1].l
	}
	out := msgs[:0]
	for _, m := range msgs {
		l := find(m.GetTo())
		if l.at >= 0 {
			prev := out[l.at]
			switch {
			case m.GetType() == raftpb.MessageType_MsgApp && prev.GetType() == raftpb.MessageType_MsgApp &&
				prev.GetTerm() == m.GetTerm() && continuesApp(prev, m):
				b := payload(m.GetEntries())
				if l.bytes+b > maxBytes {
					break
				}
				if len(m.GetEntries()) > 0 {
					if !l.owned {
						prev.Entries = slices.Clip(prev.Entries)
						l.owned = true
					}
					prev.Entries = append(prev.Entries, m.GetEntries()...)
				}
				if m.GetCommit() > prev.GetCommit() {
					prev.Commit = m.Commit
				}
				l.bytes += b
				continue
			case m.GetType() == raftpb.MessageType_MsgAppResp && prev.GetType() == raftpb.MessageType_MsgAppResp &&
				prev.GetTerm() == m.GetTerm() && !prev.GetReject() && !m.GetReject():
				if m.GetIndex() > prev.GetIndex() {
					prev.Index = m.Index
				}
				continue
			}
		}
		*l = last{at: len(out)}
		if m.GetType() == raftpb.MessageType_MsgApp {
			l.bytes = payload(m.GetEntries())
		}
		out = append(out, m)
	}
	clear(msgs[len(out):])
	return out
}

// continuesApp reports whether MsgApp m starts right after the last entry
// of MsgApp prev.
func continuesApp(prev, m *raftpb.Message) bool {
	ents := prev.GetEntries()
	end, endTerm := prev.GetIndex(), prev.GetLogTerm()
	if len(ents) > 0 {
		end, endTerm = ents[len(ents)-1].GetIndex(), ents[len(ents)-1].GetTerm()
	}
	return m.GetIndex() == end && m.GetLogTerm() == endTerm
}

func payload(ents []*raftpb.Entry) uint64 {
	var n uint64
	for _, e := range ents {
		n += uint64(len(e.GetData()))
	}
	return n
}
