package jute

import "fmt"

// MultiOp is one operation of a multi or multiRead request.
type MultiOp struct {
	Type OpCode
	// Body is *CreateRequest, *CreateTTLRequest, *PathVersionRequest
	// (delete, check), *SetDataRequest, or *PathWatchRequest (getChildren
	// and getData inside multiRead: path and a watch flag, as ZooKeeper's
	// GetDataRequest and GetChildrenRequest).
	Body Record
}

// MultiRequest is the body of multi and multiRead.
type MultiRequest struct {
	Ops []MultiOp
}

// Encode implements Record.
func (r *MultiRequest) Encode(e *Encoder) {
	for _, op := range r.Ops {
		h := MultiHeader{Type: op.Type, Done: false, Err: -1}
		h.Encode(e)
		op.Body.Encode(e)
	}
	end := MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

// multiOpBody returns an empty body for an op allowed inside a multi.
func multiOpBody(t OpCode) Record {
	switch t {
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{}
	case OpCreateTTL:
		return &CreateTTLRequest{}
	case OpDelete, OpCheck:
		return &PathVersionRequest{}
	case OpSetData:
		return &SetDataRequest{}
	case OpGetChildren, OpGetData:
		return &PathWatchRequest{}
	}
	return nil
}

// Decode implements Record. An op type that cannot appear in a multi fails
// the decode with ErrLength's sibling, ErrBadMultiOp.
func (r *MultiRequest) Decode(d *Decoder) {
	r.Ops = r.Ops[:0]
	for d.Err() == nil {
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		body := multiOpBody(h.Type)
		if body == nil {
			d.fail(fmt.Errorf("op %v at offset %d: %w", h.Type, d.off, ErrBadMultiOp))
			return
		}
		body.Decode(d)
		r.Ops = append(r.Ops, MultiOp{Type: h.Type, Body: body})
	}
}

// ErrBadMultiOp means a multi request holds an op type that a multi cannot
// hold.
var ErrBadMultiOp = fmt.Errorf("jute: op not allowed in multi")

// MultiResult is one result of a multi or multiRead reply.
type MultiResult struct {
	// Type is the op's type, or OpError when Err is set.
	Type OpCode
	Err  Err
	// Body is the op's reply body (nil for delete and check and errors).
	Body Record
}

// MultiResponse is the body of the multi and multiRead replies.
type MultiResponse struct {
	Results []MultiResult
}

// Encode implements Record. Failed ops are written as header type -1 with
// an ErrorResponse body, as ZooKeeper does.
func (r *MultiResponse) Encode(e *Encoder) {
	for _, res := range r.Results {
		if res.Type == OpError {
			h := MultiHeader{Type: OpError, Done: false, Err: res.Err}
			h.Encode(e)
			e.Int(int32(res.Err))
			continue
		}
		h := MultiHeader{Type: res.Type, Done: false, Err: 0}
		h.Encode(e)
		if res.Body != nil {
			res.Body.Encode(e)
		}
	}
	end := MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

// Decode implements Record.
func (r *MultiResponse) Decode(d *Decoder) {
	r.Results = r.Results[:0]
	for d.Err() == nil {
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		res := MultiResult{Type: h.Type}
		switch h.Type {
		case OpError:
			res.Err = Err(d.Int())
		case OpCreate:
			res.Body = &PathRequest{}
		case OpCreate2, OpCreateTTL, OpCreateContainer:
			res.Body = &Create2Response{}
		case OpSetData:
			res.Body = &StatResponse{}
		case OpGetChildren:
			res.Body = &StringsResponse{}
		case OpGetData:
			res.Body = &GetDataResponse{}
		case OpDelete, OpCheck:
		default:
			d.fail(fmt.Errorf("result type %v at offset %d: %w", h.Type, d.off, ErrBadMultiOp))
			return
		}
		if res.Body != nil {
			res.Body.Decode(d)
		}
		r.Results = append(r.Results, res)
	}
}
