package zkclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// This file holds one method per ZooKeeper operation. Paths are the
// client's view (the chroot is added and removed here) and are checked
// with ValidatePath before anything is sent, as Java's client does; Raw
// sends anything.

func (c *Client) sp(p string) string { return serverPath(c.chroot, p) }

func (c *Client) cp(p string) string { return clientPath(c.chroot, p) }

// validateTTL checks a TTL as Java's EphemeralType.validateTTL does, except
// that 0 (not -1) means "no TTL" for modes without one.
func validateTTL(mode int32, ttl int64) error {
	if isTTL(mode) {
		if ttl <= 0 || ttl > MaxTTL {
			return fmt.Errorf("ttl %d: must be positive and cannot be larger than %d: %w", ttl, MaxTTL, ErrBadTTL)
		}
		return nil
	}
	if ttl > 0 {
		return fmt.Errorf("ttl %d not valid for mode %d: %w", ttl, mode, ErrBadTTL)
	}
	return nil
}

// createRequest builds the request of a create in the given mode and
// returns its opcode in a standalone call (create2, createContainer,
// createTTL) and inside a multi (create, createContainer, createTTL).
func createRequest(path string, data []byte, acl []jute.ACL, mode int32, ttl int64) (single, inMulti jute.OpCode, req jute.Record) {
	switch {
	case isTTL(mode):
		return jute.OpCreateTTL, jute.OpCreateTTL, &jute.CreateTTLRequest{Path: path, Data: data, ACL: acl, Flags: mode, TTL: ttl}
	case mode == jute.ModeContainer:
		return jute.OpCreateContainer, jute.OpCreateContainer, &jute.CreateRequest{Path: path, Data: data, ACL: acl, Flags: mode}
	}
	return jute.OpCreate2, jute.OpCreate, &jute.CreateRequest{Path: path, Data: data, ACL: acl, Flags: mode}
}

// Create creates a node and returns its path (with the sequence number of a
// sequential node) and stat. mode is one of jute.ModeXxx; ttl is the TTL in
// milliseconds of the TTL modes and must be 0 otherwise. The request is
// create2, createContainer or createTTL as the mode requires.
func (c *Client) Create(ctx context.Context, path string, data []byte, acl []jute.ACL, mode int32, ttl int64) (string, jute.Stat, error) {
	if err := ValidatePath(path, isSequential(mode)); err != nil {
		return "", jute.Stat{}, err
	}
	if err := validateTTL(mode, ttl); err != nil {
		return "", jute.Stat{}, err
	}
	op, _, req := createRequest(c.sp(path), data, acl, mode, ttl)
	if len(acl) == 0 {
		return "", jute.Stat{}, &Error{Op: op, Code: jute.ErrInvalidACL}
	}
	var resp jute.Create2Response
	if err := c.submit(ctx, &call{op: op, path: path, req: req, resp: &resp}); err != nil {
		return "", jute.Stat{}, err
	}
	return c.cp(resp.Path), resp.Stat, nil
}

// Delete deletes a node if its version matches (-1 matches any).
func (c *Client) Delete(ctx context.Context, path string, version int32) error {
	if err := ValidatePath(path, false); err != nil {
		return err
	}
	sp := c.sp(path)
	if path == "/" {
		sp = "/" // as Java: deleting the root fails even under a chroot
	}
	return c.submit(ctx, &call{op: jute.OpDelete, path: path, req: &jute.PathVersionRequest{Path: sp, Version: version}})
}

// Exists returns the stat of a node, or nil when there is none. With watch
// it leaves a watch that fires when the node is created, changed or
// deleted.
func (c *Client) Exists(ctx context.Context, path string, watch bool) (*jute.Stat, error) {
	if err := ValidatePath(path, false); err != nil {
		return nil, err
	}
	var resp jute.StatResponse
	cl := &call{op: jute.OpExists, path: path, req: &jute.PathWatchRequest{Path: c.sp(path), Watch: watch}, resp: &resp}
	if watch {
		cl.watch, cl.watchPath = watchExists, path
	}
	if err := c.submit(ctx, cl); err != nil {
		var se *Error
		if errors.As(err, &se) && se.Code == jute.ErrNoNode && !errors.Is(err, ErrClosed) {
			return nil, nil
		}
		return nil, err
	}
	return &resp.Stat, nil
}

// GetData returns a node's data and stat; with watch it leaves a data
// watch.
func (c *Client) GetData(ctx context.Context, path string, watch bool) ([]byte, jute.Stat, error) {
	if err := ValidatePath(path, false); err != nil {
		return nil, jute.Stat{}, err
	}
	var resp jute.GetDataResponse
	cl := &call{op: jute.OpGetData, path: path, req: &jute.PathWatchRequest{Path: c.sp(path), Watch: watch}, resp: &resp}
	if watch {
		cl.watch, cl.watchPath = watchData, path
	}
	if err := c.submit(ctx, cl); err != nil {
		return nil, jute.Stat{}, err
	}
	return resp.Data, resp.Stat, nil
}

// GetConfig returns the data and stat of /zookeeper/config (never under the
// chroot); with watch it leaves a data watch on it.
func (c *Client) GetConfig(ctx context.Context, watch bool) ([]byte, jute.Stat, error) {
	var resp jute.GetDataResponse
	cl := &call{op: jute.OpGetData, path: ConfigNode, req: &jute.PathWatchRequest{Path: ConfigNode, Watch: watch}, resp: &resp}
	if watch {
		cl.watch, cl.watchPath = watchData, ConfigNode
	}
	if err := c.submit(ctx, cl); err != nil {
		return nil, jute.Stat{}, err
	}
	return resp.Data, resp.Stat, nil
}

// SetData sets a node's data if its version matches (-1 matches any) and
// returns the new stat.
func (c *Client) SetData(ctx context.Context, path string, data []byte, version int32) (jute.Stat, error) {
	if err := ValidatePath(path, false); err != nil {
		return jute.Stat{}, err
	}
	var resp jute.StatResponse
	err := c.submit(ctx, &call{op: jute.OpSetData, path: path,
		req: &jute.SetDataRequest{Path: c.sp(path), Data: data, Version: version}, resp: &resp})
	return resp.Stat, err
}

// GetChildren returns the names of a node's children (in the server's
// order) and the node's stat, with getChildren2; with watch it leaves a
// child watch.
func (c *Client) GetChildren(ctx context.Context, path string, watch bool) ([]string, jute.Stat, error) {
	if err := ValidatePath(path, false); err != nil {
		return nil, jute.Stat{}, err
	}
	var resp jute.GetChildren2Response
	cl := &call{op: jute.OpGetChildren2, path: path, req: &jute.PathWatchRequest{Path: c.sp(path), Watch: watch}, resp: &resp}
	if watch {
		cl.watch, cl.watchPath = watchChild, path
	}
	if err := c.submit(ctx, cl); err != nil {
		return nil, jute.Stat{}, err
	}
	return resp.Children, resp.Stat, nil
}

// GetACL returns a node's ACL and stat.
func (c *Client) GetACL(ctx context.Context, path string) ([]jute.ACL, jute.Stat, error) {
	if err := ValidatePath(path, false); err != nil {
		return nil, jute.Stat{}, err
	}
	var resp jute.GetACLResponse
	if err := c.submit(ctx, &call{op: jute.OpGetACL, path: path, req: &jute.PathRequest{Path: c.sp(path)}, resp: &resp}); err != nil {
		return nil, jute.Stat{}, err
	}
	return resp.ACL, resp.Stat, nil
}

// SetACL sets a node's ACL if its ACL version matches (-1 matches any) and
// returns the new stat. An empty ACL is refused with jute.ErrInvalidACL
// before anything is sent, as Java does.
func (c *Client) SetACL(ctx context.Context, path string, acl []jute.ACL, version int32) (jute.Stat, error) {
	if err := ValidatePath(path, false); err != nil {
		return jute.Stat{}, err
	}
	if len(acl) == 0 {
		return jute.Stat{}, &Error{Op: jute.OpSetACL, Code: jute.ErrInvalidACL}
	}
	var resp jute.StatResponse
	err := c.submit(ctx, &call{op: jute.OpSetACL, path: path,
		req: &jute.SetACLRequest{Path: c.sp(path), ACL: acl, Version: version}, resp: &resp})
	return resp.Stat, err
}

// Sync waits until the server the client is connected to has caught up
// with the leader, and returns the path the server echoed.
func (c *Client) Sync(ctx context.Context, path string) (string, error) {
	if err := ValidatePath(path, false); err != nil {
		return "", err
	}
	var resp jute.PathRequest
	if err := c.submit(ctx, &call{op: jute.OpSync, path: path, req: &jute.PathRequest{Path: c.sp(path)}, resp: &resp}); err != nil {
		return "", err
	}
	return c.cp(resp.Path), nil
}

// CreateOp is a create inside Multi; see Create for mode and ttl.
func CreateOp(path string, data []byte, acl []jute.ACL, mode int32, ttl int64) jute.MultiOp {
	_, op, req := createRequest(path, data, acl, mode, ttl)
	return jute.MultiOp{Type: op, Body: req}
}

// DeleteOp is a delete inside Multi.
func DeleteOp(path string, version int32) jute.MultiOp {
	return jute.MultiOp{Type: jute.OpDelete, Body: &jute.PathVersionRequest{Path: path, Version: version}}
}

// SetDataOp is a setData inside Multi.
func SetDataOp(path string, data []byte, version int32) jute.MultiOp {
	return jute.MultiOp{Type: jute.OpSetData, Body: &jute.SetDataRequest{Path: path, Data: data, Version: version}}
}

// CheckOp is a version check inside Multi.
func CheckOp(path string, version int32) jute.MultiOp {
	return jute.MultiOp{Type: jute.OpCheck, Body: &jute.PathVersionRequest{Path: path, Version: version}}
}

// GetDataOp is a getData inside MultiRead. On the wire it is a
// GetDataRequest (path and a watch flag, always false).
func GetDataOp(path string) jute.MultiOp {
	return jute.MultiOp{Type: jute.OpGetData, Body: &jute.PathWatchRequest{Path: path}}
}

// GetChildrenOp is a getChildren inside MultiRead. On the wire it is a
// GetChildrenRequest (path and a watch flag, always false).
func GetChildrenOp(path string) jute.MultiOp {
	return jute.MultiOp{Type: jute.OpGetChildren, Body: &jute.PathWatchRequest{Path: path}}
}

// opPath returns the path of a multi op and whether it creates a
// sequential node.
func opPath(op jute.MultiOp) (string, bool) {
	switch b := op.Body.(type) {
	case *jute.CreateRequest:
		return b.Path, isSequential(b.Flags)
	case *jute.CreateTTLRequest:
		return b.Path, isSequential(b.Flags)
	case *jute.PathVersionRequest:
		return b.Path, false
	case *jute.SetDataRequest:
		return b.Path, false
	case *jute.PathWatchRequest:
		return b.Path, false
	case *jute.PathRequest:
		return b.Path, false
	}
	return "", false
}

// withPath returns a copy of op with its path replaced.
func withPath(op jute.MultiOp, p string) jute.MultiOp {
	switch b := op.Body.(type) {
	case *jute.CreateRequest:
		n := *b
		n.Path = p
		op.Body = &n
	case *jute.CreateTTLRequest:
		n := *b
		n.Path = p
		op.Body = &n
	case *jute.PathVersionRequest:
		n := *b
		n.Path = p
		op.Body = &n
	case *jute.SetDataRequest:
		n := *b
		n.Path = p
		op.Body = &n
	case *jute.PathWatchRequest:
		n := *b
		n.Path = p
		op.Body = &n
	case *jute.PathRequest:
		n := *b
		n.Path = p
		op.Body = &n
	}
	return op
}

func (c *Client) multi(ctx context.Context, op jute.OpCode, ops []jute.MultiOp) ([]jute.MultiResult, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	req := &jute.MultiRequest{Ops: make([]jute.MultiOp, len(ops))}
	for i, o := range ops {
		p, seq := opPath(o)
		if err := ValidatePath(p, seq); err != nil {
			return nil, err
		}
		req.Ops[i] = withPath(o, c.sp(p))
	}
	var resp jute.MultiResponse
	if err := c.submit(ctx, &call{op: op, req: req, resp: &resp}); err != nil {
		return nil, err
	}
	for _, r := range resp.Results {
		switch b := r.Body.(type) {
		case *jute.PathRequest:
			b.Path = c.cp(b.Path)
		case *jute.Create2Response:
			b.Path = c.cp(b.Path)
		}
	}
	return resp.Results, nil
}

// Multi runs ops (CreateOp, DeleteOp, SetDataOp, CheckOp) as one
// transaction and returns their results. When an op fails, the results
// (each an OpError result, the failing one with its code) come back
// together with an *Error carrying the first failure's code. Paths of
// created nodes are returned without the chroot.
func (c *Client) Multi(ctx context.Context, ops ...jute.MultiOp) ([]jute.MultiResult, error) {
	res, err := c.multi(ctx, jute.OpMulti, ops)
	if err != nil {
		return res, err
	}
	for _, r := range res {
		if r.Type == jute.OpError && r.Err != jute.ErrOK {
			return res, &Error{Op: jute.OpMulti, Code: r.Err}
		}
	}
	return res, nil
}

// MultiRead runs read ops (GetDataOp, GetChildrenOp) in one request; each
// result carries its own code, and only the request as a whole can fail.
func (c *Client) MultiRead(ctx context.Context, ops ...jute.MultiOp) ([]jute.MultiResult, error) {
	return c.multi(ctx, jute.OpMultiRead, ops)
}

// GetEphemerals returns the paths of the session's ephemeral nodes under
// prefix ("/" for all), in the server's order. Unlike Java's client, the
// prefix gets the chroot and the paths lose it.
func (c *Client) GetEphemerals(ctx context.Context, prefix string) ([]string, error) {
	if err := ValidatePath(prefix, false); err != nil {
		return nil, err
	}
	var resp jute.StringsResponse
	if err := c.submit(ctx, &call{op: jute.OpGetEphemerals, req: &jute.PathRequest{Path: c.sp(prefix)}, resp: &resp}); err != nil {
		return nil, err
	}
	out := resp.Strings
	for i, p := range out {
		out[i] = c.cp(p)
	}
	return out, nil
}

// GetAllChildrenNumber returns the number of descendants of a node.
func (c *Client) GetAllChildrenNumber(ctx context.Context, path string) (int32, error) {
	if err := ValidatePath(path, false); err != nil {
		return 0, err
	}
	var resp jute.IntResponse
	err := c.submit(ctx, &call{op: jute.OpGetAllChildrenNumber, path: path, req: &jute.PathRequest{Path: c.sp(path)}, resp: &resp})
	return resp.N, err
}

// AddWatch leaves a persistent (optionally recursive) watch on path; it
// fires on every change until RemoveWatches removes it.
func (c *Client) AddWatch(ctx context.Context, path string, mode AddWatchMode) error {
	if err := ValidatePath(path, false); err != nil {
		return err
	}
	kind := watchPersistent
	if mode == AddWatchPersistentRecursive {
		kind = watchRecursive
	}
	return c.submit(ctx, &call{op: jute.OpAddWatch, path: path,
		req: &jute.PathTypeRequest{Path: c.sp(path), Type: int32(mode)}, watch: kind, watchPath: path})
}

// RemoveWatches removes the session's watches of type t on path, on the
// server (removeWatches) and in the client, as Java's removeAllWatches
// does: the client must hold such a watch (else jute.ErrNoWatcher); if the
// server fails the request, the watches stay unless local is set, in which
// case they are removed from the client anyway (for a client without a
// connection). Every kind removed is announced to the Watcher with a
// ChildWatchRemoved, DataWatchRemoved or PersistentWatchRemoved event.
func (c *Client) RemoveWatches(ctx context.Context, path string, t WatcherType, local bool) error {
	if err := ValidatePath(path, false); err != nil {
		return err
	}
	cl := &call{op: jute.OpRemoveWatches, path: path, req: &jute.PathTypeRequest{Path: c.sp(path), Type: int32(t)}}
	err := c.submit(ctx, cl)
	code := Code(err)
	var se *Error
	if err != nil && !errors.As(err, &se) {
		return err // closed, or ctx done
	}
	if errors.Is(err, ErrClosed) {
		return err
	}
	c.mu.Lock()
	if !c.watches.has(path, t) {
		c.mu.Unlock()
		return &Error{Op: jute.OpRemoveWatches, Path: path, Code: jute.ErrNoWatcher}
	}
	if code != jute.ErrOK && !local {
		c.mu.Unlock()
		return err
	}
	state := KeeperSyncConnected
	if code == jute.ErrSessionExpired || code == jute.ErrConnectionLoss {
		state = KeeperDisconnected
	}
	for _, et := range c.watches.remove(path, t) {
		c.pushEventLocked(Event{Type: et, State: state, Path: path, Zxid: NoZxid})
	}
	seq := c.events.seq()
	c.mu.Unlock()
	if c.opts.OrderedEvents {
		c.events.waitDelivered(ctx, seq)
	}
	return nil
}

// CheckWatches asks the server whether the session has a watch of type t
// on path (checkWatches); jute.ErrNoWatcher means it has none. Nothing
// changes on either side.
func (c *Client) CheckWatches(ctx context.Context, path string, t WatcherType) error {
	if err := ValidatePath(path, false); err != nil {
		return err
	}
	return c.submit(ctx, &call{op: jute.OpCheckWatches, path: path, req: &jute.PathTypeRequest{Path: c.sp(path), Type: int32(t)}})
}

// WhoAmI returns the identities the server associates with the session.
func (c *Client) WhoAmI(ctx context.Context) ([]jute.ClientInfo, error) {
	var resp jute.WhoAmIResponse
	if err := c.submit(ctx, &call{op: jute.OpWhoAmI, resp: &resp}); err != nil {
		return nil, err
	}
	return resp.ClientInfo, nil
}

// reconfigRequest is jute.ReconfigRequest with Java's null strings: an
// empty field is sent as null (length -1), as ZooKeeperAdmin sends the
// parts it is not given; the server splits every non-null one.
type reconfigRequest struct{ jute.ReconfigRequest }

// Encode implements jute.Record.
func (r *reconfigRequest) Encode(e *jute.Encoder) {
	for _, s := range []string{r.JoiningServers, r.LeavingServers, r.NewMembers} {
		if s == "" {
			e.Int(-1)
		} else {
			e.String(s)
		}
	}
	e.Long(r.CurConfigID)
}

// Reconfig asks the ensemble to change its membership (incrementally with
// joining/leaving, or wholesale with members; "" means not given) if its
// config version is fromConfig (-1 for any), and returns the new
// configuration. Standalone servers refuse it (jute.ErrReconfigDisabled or
// jute.ErrUnimplemented).
func (c *Client) Reconfig(ctx context.Context, joining, leaving, members string, fromConfig int64) ([]byte, jute.Stat, error) {
	var resp jute.GetDataResponse
	req := &reconfigRequest{jute.ReconfigRequest{JoiningServers: joining, LeavingServers: leaving, NewMembers: members, CurConfigID: fromConfig}}
	if err := c.submit(ctx, &call{op: jute.OpReconfig, req: req, resp: &resp}); err != nil {
		return nil, jute.Stat{}, err
	}
	return resp.Data, resp.Stat, nil
}

// AddAuth adds an identity to the session (for example "digest",
// "user:password") and remembers it, so that it is sent again on every
// reconnection. It waits for the server's answer until ctx is done; pass a
// done context to not wait, as Java's addAuthInfo does. A server that
// rejects the identity ends the session: AddAuth and every call in flight
// fail with jute.ErrAuthFailed, and the Watcher gets an AuthFailed event.
func (c *Client) AddAuth(ctx context.Context, scheme string, auth []byte) error {
	cl := &call{xid: jute.XidAuth, op: jute.OpAuth, req: &jute.AuthPacket{Scheme: scheme, Auth: auth}, keep: true}
	c.mu.Lock()
	if err := c.deadErrLocked(jute.OpAuth, ""); err == nil {
		c.auths = append(c.auths, authInfo{scheme: scheme, auth: append([]byte(nil), auth...)})
	}
	c.mu.Unlock()
	return c.submit(ctx, cl)
}

// Raw sends one request as it is — no path check, no chroot — and decodes
// the reply body into resp (which may be nil for replies without one)
// when the server reports success. It returns the reply header; a non-zero
// code in it is also returned as an *Error.
func (c *Client) Raw(ctx context.Context, op jute.OpCode, req, resp jute.Record) (jute.ReplyHeader, error) {
	cl := &call{op: op, req: req, resp: resp}
	err := c.submit(ctx, cl)
	var se *Error
	if err != nil && !errors.As(err, &se) {
		return jute.ReplyHeader{}, err // ctx done: the reader may still own cl
	}
	return cl.hdr, err
}
