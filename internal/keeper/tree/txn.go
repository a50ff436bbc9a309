package tree

import (
	"errors"
	"fmt"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Txn is one write as the log carries it: the request as the client sent
// it plus everything the proposer decided (zxid, time) and knew (session,
// identities), so that every replica applies it identically.
type Txn struct {
	Zxid    int64
	Time    int64 // ms since the epoch, chosen by the proposer
	Session int64 // issuing session
	// Auth holds the issuing session's identities, for ACL checks;
	// {"super", ""} (any "super" identity) is the superuser.
	Auth []jute.ID
	// Op is create, create2, createContainer, createTTL, delete,
	// deleteContainer, setData, setACL, check, multi, createSession or
	// closeSession.
	Op jute.OpCode
	// Body is the request record: *jute.CreateRequest (create, create2,
	// createContainer), *jute.CreateTTLRequest, *jute.PathVersionRequest
	// (delete, check), *jute.PathRequest (deleteContainer; a
	// *jute.PathVersionRequest is accepted too and its version ignored),
	// *jute.SetDataRequest, *jute.SetACLRequest, *jute.MultiRequest,
	// *CreateSession, nil for closeSession. A body of another type makes
	// Apply answer MarshallingError, and encodes as "no body".
	Body jute.Record

	// scratch is Apply's working space, kept with the txn so that applying
	// a common write allocates nothing of its own.
	scratch applyScratch
}

// applyScratch is the working space Apply keeps in a Txn: the validation
// batch of a single op, and the room for the Result's setData/setACL reply
// and events (which therefore live as long as the txn).
type applyScratch struct {
	b      batch
	stat   jute.StatResponse
	events [2]Event
}

// CreateSession is the body of a createSession txn.
type CreateSession struct {
	Timeout int32
	Passwd  []byte
}

// Encode implements jute.Record.
func (r *CreateSession) Encode(e *jute.Encoder) { e.Int(r.Timeout); e.Buffer(r.Passwd) }

// Decode implements jute.Record.
func (r *CreateSession) Decode(d *jute.Decoder) { r.Timeout = d.Int(); r.Passwd = d.Buffer() }

// Errors of DecodeTxn (wrapped, possibly with a jute decoding error).
var (
	// ErrTxnVersion means the txn was written in an unknown format.
	ErrTxnVersion = errors.New("tree: unknown txn format version")
	// ErrTxnCorrupt means the bytes are not a well-formed txn.
	ErrTxnCorrupt = errors.New("tree: corrupt txn")
)

// txnFormat is the first byte of an encoded txn. Frozen: a new layout gets a
// new number and DecodeTxn keeps reading the old one.
const txnFormat = 1

// Encode writes the format byte as a boolean; this fails to compile if
// txnFormat stops being 1.
var _ = [1]struct{}{}[txnFormat-1]

// Encode appends the log form of t:
//
//	format   byte = 1
//	zxid     long
//	time     long
//	session  long
//	auth     int count (-1 for nil), then per identity: scheme ustring, id ustring
//	op       int
//	hasBody  boolean
//	body     the op's record (see Txn.Body), present when hasBody
//
// The body is written only when it has the type the op calls for (a multi
// only when every op's body does); otherwise hasBody is false, and Apply
// answers MarshallingError either way.
func (t *Txn) Encode(e *jute.Encoder) {
	e.Bool(true) // the format byte: a true boolean is written as 1 == txnFormat
	e.Long(t.Zxid)
	e.Long(t.Time)
	e.Long(t.Session)
	if t.Auth == nil {
		e.Int(-1)
	} else {
		e.Int(int32(len(t.Auth)))
		for i := range t.Auth {
			t.Auth[i].Encode(e)
		}
	}
	e.Int(int32(t.Op))
	body := canonicalBody(t.Op, t.Body)
	e.Bool(body != nil)
	if body != nil {
		body.Encode(e)
	}
}

// canonicalBody returns the record to encode for op, or nil when body does
// not fit op.
func canonicalBody(op jute.OpCode, body jute.Record) jute.Record {
	if op == jute.OpDeleteContainer {
		switch b := body.(type) {
		case *jute.PathRequest:
			if b != nil {
				return b
			}
		case *jute.PathVersionRequest:
			if b != nil {
				return &jute.PathRequest{Path: b.Path}
			}
		}
		return nil
	}
	if op == jute.OpMulti {
		m, ok := body.(*jute.MultiRequest)
		if !ok || m == nil {
			return nil
		}
		for _, o := range m.Ops {
			if !multiBodyFits(o.Type, o.Body) {
				return nil
			}
		}
		return m
	}
	if !bodyFits(op, body) {
		return nil
	}
	return body
}

// bodyFits reports whether body has the record type op calls for (nil for
// closeSession).
func bodyFits(op jute.OpCode, body jute.Record) bool {
	switch op {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer:
		b, ok := body.(*jute.CreateRequest)
		return ok && b != nil
	case jute.OpCreateTTL:
		b, ok := body.(*jute.CreateTTLRequest)
		return ok && b != nil
	case jute.OpDelete, jute.OpCheck:
		b, ok := body.(*jute.PathVersionRequest)
		return ok && b != nil
	case jute.OpSetData:
		b, ok := body.(*jute.SetDataRequest)
		return ok && b != nil
	case jute.OpSetACL:
		b, ok := body.(*jute.SetACLRequest)
		return ok && b != nil
	case jute.OpCreateSession:
		b, ok := body.(*CreateSession)
		return ok && b != nil
	case jute.OpReconfig:
		b, ok := body.(*jute.ReconfigRequest)
		return ok && b != nil
	}
	return false
}

// multiBodyFits is bodyFits for an op inside a multi. Only write ops fit:
// a multi holding anything else fails with MarshallingError, so its body is
// never logged.
func multiBodyFits(op jute.OpCode, body jute.Record) bool {
	switch op {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL,
		jute.OpDelete, jute.OpCheck, jute.OpSetData:
		return bodyFits(op, body)
	}
	return false
}

// newBody returns an empty record of the type op's body has in the log.
func newBody(op jute.OpCode) jute.Record {
	switch op {
	case jute.OpCreate, jute.OpCreate2, jute.OpCreateContainer:
		return &jute.CreateRequest{}
	case jute.OpCreateTTL:
		return &jute.CreateTTLRequest{}
	case jute.OpDelete, jute.OpCheck:
		return &jute.PathVersionRequest{}
	case jute.OpDeleteContainer:
		return &jute.PathRequest{}
	case jute.OpSetData:
		return &jute.SetDataRequest{}
	case jute.OpSetACL:
		return &jute.SetACLRequest{}
	case jute.OpMulti:
		return &jute.MultiRequest{}
	case jute.OpCreateSession:
		return &CreateSession{}
	case jute.OpReconfig:
		return &jute.ReconfigRequest{}
	}
	return nil
}

// DecodeTxn decodes a txn written by Txn.Encode. Malformed input, an
// unknown op or trailing bytes give an error wrapping ErrTxnCorrupt (or
// ErrTxnVersion).
func DecodeTxn(b []byte) (*Txn, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("empty input: %w", ErrTxnCorrupt)
	}
	if b[0] != txnFormat {
		return nil, fmt.Errorf("format %d: %w", b[0], ErrTxnVersion)
	}
	d := jute.NewDecoder(b[1:])
	t := &Txn{Zxid: d.Long(), Time: d.Long(), Session: d.Long()}
	n := d.Int()
	switch {
	case d.Err() != nil:
	case n == -1:
	case n < -1 || int(n) > d.Remaining()/8:
		return nil, fmt.Errorf("auth count %d: %w", n, ErrTxnCorrupt)
	default:
		t.Auth = make([]jute.ID, n)
		for i := range t.Auth {
			t.Auth[i].Decode(d)
		}
	}
	t.Op = jute.OpCode(d.Int())
	hasBody := d.Bool()
	if d.Err() != nil {
		return nil, fmt.Errorf("%w: %w", ErrTxnCorrupt, d.Err())
	}
	if t.Op != jute.OpCloseSession && newBody(t.Op) == nil {
		return nil, fmt.Errorf("op %v: %w", t.Op, ErrTxnCorrupt)
	}
	if hasBody {
		t.Body = newBody(t.Op)
		if t.Body == nil {
			return nil, fmt.Errorf("body for %v: %w", t.Op, ErrTxnCorrupt)
		}
		t.Body.Decode(d)
		if d.Err() != nil {
			return nil, fmt.Errorf("%v body: %w: %w", t.Op, ErrTxnCorrupt, d.Err())
		}
	}
	if d.Remaining() != 0 {
		return nil, fmt.Errorf("%d trailing bytes: %w", d.Remaining(), ErrTxnCorrupt)
	}
	return t, nil
}
