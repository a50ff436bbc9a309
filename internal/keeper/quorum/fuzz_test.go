package quorum

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzDecodeState(f *testing.F) {
	f.Add(encodeState(diskState{term: 3, vote: 1, commit: 9, boot: []Member{{ID: 1, Addr: "a:1"}, {ID: 2, Learner: true}}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeState(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not ErrCorrupt: %v", err)
			}
			return
		}
		if !bytes.Equal(encodeState(st), b) {
			t.Fatalf("decoded state does not re-encode to the input")
		}
	})
}

func FuzzDecodeMembers(f *testing.F) {
	f.Add(appendMembers(nil, []Member{{ID: 1, Addr: "h:2888"}, {ID: 7, Learner: true}}))
	f.Add([]byte{255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, rest, err := decodeMembers(b)
		if err != nil {
			return
		}
		if enc := appendMembers(nil, ms); !bytes.Equal(append(enc, rest...), b) {
			t.Fatalf("members do not re-encode to the input")
		}
	})
}

func FuzzPeerFrames(f *testing.F) {
	f.Add(append(appendHello(nil, kindStream, 2, 1), appendFrame(nil, []byte{8, 8, 16, 1, 24, 2})...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	t := &TCP{opts: TCPOptions{ID: 1}}
	f.Fuzz(func(tt *testing.T, b []byte) {
		if len(b) >= helloSize {
			if kind, from, to, err := parseHello(b[:helloSize]); err == nil {
				if !bytes.Equal(appendHello(nil, kind, from, to), b[:helloSize]) {
					tt.Fatalf("hello does not re-encode")
				}
			}
			b = b[helloSize:]
		}
		r := bytes.NewReader(b)
		for {
			data, err := readFrame(r, 1<<16, nil)
			if err != nil {
				return
			}
			if len(data) > 1<<16 {
				tt.Fatalf("frame of %d bytes above the limit", len(data))
			}
			t.decodeMessage(data, 2) // must not panic
		}
	})
}
