package quorum

import (
	"testing"

	"go.etcd.io/raft/v3/raftpb"
)

func TestCoalesce(t *testing.T) {
	ent := func(term, index uint64, data string) *raftpb.Entry {
		return &raftpb.Entry{Term: new(term), Index: new(index), Data: []byte(data)}
	}
	app := func(to, term, index, logTerm, commit uint64, ents ...*raftpb.Entry) *raftpb.Message {
		return &raftpb.Message{Type: raftpb.MessageType_MsgApp.Enum(), To: new(to), Term: new(term),
			Index: new(index), LogTerm: new(logTerm), Commit: new(commit), Entries: ents}
	}
	resp := func(to, term, index uint64, reject bool) *raftpb.Message {
		return &raftpb.Message{Type: raftpb.MessageType_MsgAppResp.Enum(), To: new(to), Term: new(term), Index: new(index), Reject: new(reject)}
	}
	hb := &raftpb.Message{Type: raftpb.MessageType_MsgHeartbeat.Enum(), To: new(uint64(2)), Term: new(uint64(5))}
	type want struct {
		typ     raftpb.MessageType
		to      uint64
		index   uint64
		commit  uint64
		entries []uint64 // entry indexes
	}
	for _, tc := range []struct {
		name string
		in   []*raftpb.Message
		max  uint64
		want []want
	}{
		{
			name: "contiguous appends to one peer merge, others stay",
			in: []*raftpb.Message{
				app(2, 5, 10, 5, 9, ent(5, 11, "a")),
				app(3, 5, 10, 5, 9, ent(5, 11, "a")),
				app(2, 5, 11, 5, 10, ent(5, 12, "b"), ent(5, 13, "c")),
				app(2, 5, 13, 5, 12), // commit only
				app(3, 5, 11, 5, 12, ent(5, 12, "b")),
			},
			max: 1 << 20,
			want: []want{
				{raftpb.MessageType_MsgApp, 2, 10, 12, []uint64{11, 12, 13}},
				{raftpb.MessageType_MsgApp, 3, 10, 12, []uint64{11, 12}},
			},
		},
		{
			name: "a gap, another term or a heartbeat in between keeps messages apart",
			in: []*raftpb.Message{
				app(2, 5, 10, 5, 9, ent(5, 11, "a")),
				app(2, 5, 12, 5, 9, ent(5, 13, "c")), // gap: 12 missing
				app(2, 6, 13, 5, 9, ent(6, 14, "d")), // new term
				hb,
				app(2, 6, 14, 6, 9, ent(6, 15, "e")),
			},
			max: 1 << 20,
			want: []want{
				{raftpb.MessageType_MsgApp, 2, 10, 9, []uint64{11}},
				{raftpb.MessageType_MsgApp, 2, 12, 9, []uint64{13}},
				{raftpb.MessageType_MsgApp, 2, 13, 9, []uint64{14}},
				{raftpb.MessageType_MsgHeartbeat, 2, 0, 0, nil},
				{raftpb.MessageType_MsgApp, 2, 14, 9, []uint64{15}},
			},
		},
		{
			name: "size bound",
			in: []*raftpb.Message{
				app(2, 5, 10, 5, 9, ent(5, 11, "aaaa")),
				app(2, 5, 11, 5, 9, ent(5, 12, "bbbb")),
				app(2, 5, 12, 5, 9, ent(5, 13, "cccc")),
			},
			max: 8,
			want: []want{
				{raftpb.MessageType_MsgApp, 2, 10, 9, []uint64{11, 12}},
				{raftpb.MessageType_MsgApp, 2, 12, 9, []uint64{13}},
			},
		},
		{
			name: "accepting answers keep the highest index, rejections stay",
			in: []*raftpb.Message{
				resp(1, 5, 11, false),
				resp(1, 5, 13, false),
				resp(1, 5, 12, false),
				resp(1, 5, 9, true),
				resp(1, 5, 14, false),
			},
			max: 1 << 20,
			want: []want{
				{raftpb.MessageType_MsgAppResp, 1, 13, 0, nil},
				{raftpb.MessageType_MsgAppResp, 1, 9, 0, nil},
				{raftpb.MessageType_MsgAppResp, 1, 14, 0, nil},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The entry slices of raft alias its log: coalesce must not
			// write into them.
			var firstEnts []*raftpb.Entry
			if len(tc.in) > 0 && len(tc.in[0].Entries) > 0 {
				firstEnts = append(make([]*raftpb.Entry, 0, 16), tc.in[0].Entries...)
				tc.in[0].Entries = firstEnts
			}
			got := coalesce(tc.in, tc.max)
			if len(got) != len(tc.want) {
				t.Fatalf("%d messages, want %d: %v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				m := got[i]
				var idx []uint64
				for _, e := range m.GetEntries() {
					idx = append(idx, e.GetIndex())
				}
				if m.GetType() != w.typ || m.GetTo() != w.to || m.GetIndex() != w.index || m.GetCommit() != w.commit || len(idx) != len(w.entries) {
					t.Fatalf("message %d: %v, want %+v", i, m, w)
				}
				for j := range idx {
					if idx[j] != w.entries[j] {
						t.Fatalf("message %d: entries %v, want %v", i, idx, w.entries)
					}
				}
			}
			if firstEnts != nil && len(firstEnts[:cap(firstEnts)]) > 1 && firstEnts[:2][1] != nil {
				t.Fatal("coalesce wrote into the entry slice of the first message")
			}
		})
	}
}
