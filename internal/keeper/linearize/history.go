package linearize

import (
	"fmt"
	"strings"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Kind is the operation a client performed.
type Kind uint8

// The operations of the workload. Every write carries a data value that no
// other write of the history uses, so a read names the write it observed.
const (
	// Create creates the key's znode (persistent) with Data; it fails with
	// NodeExists when the znode exists.
	Create Kind = iota + 1
	// Set is setData with Data and the expected Version (-1: any); it fails
	// with NoNode or BadVersion.
	Set
	// Delete deletes the znode if its version is Version (-1: any); it
	// fails with NoNode or BadVersion.
	Delete
	// Get is a plain getData, answered by the server the session is on.
	Get
	// SyncGet is sync followed by getData in the same session, recorded as
	// one operation from the sync's call to the getData's return.
	SyncGet
)

// String returns the operation's name.
func (k Kind) String() string {
	switch k {
	case Create:
		return "create"
	case Set:
		return "set"
	case Delete:
		return "delete"
	case Get:
		return "get"
	case SyncGet:
		return "syncget"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// IsWrite reports whether the operation may change the tree.
func (k Kind) IsWrite() bool { return k == Create || k == Set || k == Delete }

// Outcome says what is known of an operation's result.
type Outcome uint8

const (
	// OK: the server replied with success.
	OK Outcome = iota + 1
	// Failed: the server replied with one of the errors the operation is
	// specified to return (NodeExists, NoNode, BadVersion); Err says which.
	Failed
	// Unknown: no reply (connection lost, timeout, session expired, any
	// other error). A write may or may not have taken effect, at any time
	// after its call; a read with this outcome tells nothing and is left
	// out of the check.
	Unknown
)

// String returns the outcome's name.
func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Failed:
		return "failed"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Op is one operation of a history: what a session asked, when, and what
// it was told.
type Op struct {
	// Session numbers the ZooKeeper session (0, 1, ...): a client whose
	// session expired continues under a new number. Client is the worker
	// that ran it.
	Session int
	Client  int
	Kind    Kind
	Key     int
	// Data is the value written by Create and Set.
	Data string
	// Version is the expected version of Set and Delete (-1: any).
	Version int32
	// Call and Return are nanoseconds since the run began; Return is
	// meaningless when Outcome is Unknown.
	Call, Return int64
	Outcome      Outcome
	// Err is the server's code when Outcome is Failed (and, for the
	// record, the error seen when Unknown).
	Err jute.Err
	// Found, ReadData and ReadVersion are what Get and SyncGet returned
	// (Found false: NoNode). For Create and Set, ReadVersion is the
	// version the reply's stat gives the znode.
	Found       bool
	ReadData    string
	ReadVersion int32
	// Zxid is the reply header's zxid; Czxid and Mzxid come from the
	// reply's stat (reads, Create, Set).
	Zxid, Czxid, Mzxid int64
	// Server is the address the session was connected to when the call
	// was made.
	Server string
}

// String describes the operation for reports and visualizations.
func (o *Op) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "s%d %v k%d", o.Session, o.Kind, o.Key)
	switch o.Kind {
	case Create:
		fmt.Fprintf(&b, " %q", o.Data)
	case Set:
		fmt.Fprintf(&b, " %q v=%d", o.Data, o.Version)
	case Delete:
		fmt.Fprintf(&b, " v=%d", o.Version)
	}
	b.WriteString(" -> ")
	switch o.Outcome {
	case OK:
		switch o.Kind {
		case Get, SyncGet:
			if o.Found {
				fmt.Fprintf(&b, "%q v=%d", o.ReadData, o.ReadVersion)
			} else {
				b.WriteString("NoNode")
			}
		case Create, Set:
			fmt.Fprintf(&b, "ok v=%d", o.ReadVersion)
		default:
			b.WriteString("ok")
		}
	case Failed:
		b.WriteString(o.Err.Name())
	default:
		b.WriteString("?")
	}
	return b.String()
}

// History is what Run recorded: every operation of every session.
type History struct {
	// Ops in the order of their calls.
	Ops []Op
	// Sessions is the number of sessions (Op.Session < Sessions), Keys the
	// number of keys (Op.Key < Keys).
	Sessions, Keys int
}

// Counts returns how many operations ended with each outcome.
func (h *History) Counts() map[Outcome]int {
	m := map[Outcome]int{}
	for i := range h.Ops {
		m[h.Ops[i].Outcome]++
	}
	return m
}
