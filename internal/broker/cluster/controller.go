package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
)

// ErrNotController is returned by controller-only operations on a broker
// that is not (or no longer) the controller: Kafka's
// ControllerMovedException.
var ErrNotController = errors.New("cluster: this broker is not the controller")

// controllerState is what this broker knows of the controller.
type controllerState struct {
	active         bool  // this broker is the controller
	epoch          int32 // its controller epoch, when active
	epochZkVersion int32 // data version of /controller_epoch it wrote, when active
	activeID       int32 // the controller's broker id as last read, -1 if none
}

// IsController reports whether this broker is the controller.
func (r *Registry) IsController() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ctrl.active
}

// ControllerEpoch returns the controller epoch this broker won with and the
// data version of /controller_epoch it wrote; (0, 0) when it is not the
// controller.
func (r *Registry) ControllerEpoch() (epoch, zkVersion int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ctrl.active {
		return 0, 0
	}
	return r.ctrl.epoch, r.ctrl.epochZkVersion
}

// ControllerID reads /controller: the controller's broker id, or -1 when
// there is none.
func (r *Registry) ControllerID(ctx context.Context) (int32, error) {
	ctx, cancel := r.merge(ctx)
	defer cancel()
	data, _, err := r.s.get(ctx, ControllerPath)
	if errors.Is(err, zk.ErrNoNode) {
		return -1, nil
	}
	if err != nil {
		return -1, err
	}
	c, err := DecodeController(data)
	if err != nil {
		return -1, fmt.Errorf("cluster: %s: %w", ControllerPath, err)
	}
	return c.BrokerID, nil
}

// fence returns the op that makes a controller write conditional on
// /controller_epoch being still the version this controller wrote (Kafka's
// expectedControllerEpochZkVersion), and whether this broker is the
// controller.
func (r *Registry) fence() (*zk.CheckVersionRequest, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ctrl.active {
		return nil, false
	}
	return &zk.CheckVersionRequest{Path: ControllerEpochPath, Version: r.ctrl.epochZkVersion}, true
}

// fenceFailed reports whether a fenced write failed because the controller
// moved (the epoch node changed), resigning if so.
func (r *Registry) fenceFailed(ctx context.Context, fenced bool) bool {
	if !fenced {
		return false
	}
	_, stat, err := r.s.get(ctx, ControllerEpochPath)
	r.mu.Lock()
	moved := err == nil && (!r.ctrl.active || stat.Version != r.ctrl.epochZkVersion)
	r.mu.Unlock()
	return moved
}

// elect runs Kafka's election: watch /controller; when it is absent try to
// create it and bump /controller_epoch in one transaction. It returns the
// watch on /controller (nil when the registration is stale and the
// supervisor must register first). It runs on the supervisor only.
func (r *Registry) elect(ctx context.Context) <-chan zk.Event {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		if !r.registrationCurrent() {
			return nil
		}
		ch, err := r.electOnce(ctx)
		if err == nil {
			return ch
		}
		if ctx.Err() != nil {
			return nil
		}
		r.log.Warn("controller election failed; retrying", "err", err, "after", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
	return nil
}

func (r *Registry) electOnce(ctx context.Context) (<-chan zk.Event, error) {
	exists, _, ch, err := r.s.existsW(ctx, ControllerPath)
	if err != nil {
		return nil, err
	}
	if !exists {
		// Whoever creates it, the watch fires and the next round reads it.
		return ch, r.tryBecomeController(ctx)
	}
	data, stat, err := r.s.get(ctx, ControllerPath)
	if errors.Is(err, zk.ErrNoNode) {
		return ch, nil // deleted meanwhile: the watch fires
	}
	if err != nil {
		return nil, err
	}
	id := int32(-1)
	if c, err := DecodeController(data); err == nil {
		id = c.BrokerID
	} else {
		r.log.Warn("unreadable controller registration", "path", ControllerPath, "err", err)
	}
	mine := id == r.brokerID && stat.EphemeralOwner == r.s.sessionID()
	r.mu.Lock()
	was := r.ctrl.active
	r.ctrl.activeID = id
	r.mu.Unlock()
	switch {
	case was && !mine:
		r.resign(fmt.Sprintf("controller moved to broker %d", id))
	case !was && mine: // our create went through but its reply was lost
		epoch, ver, err := r.readControllerEpoch(ctx)
		if err != nil {
			return nil, err
		}
		r.becomeController(ctx, epoch, ver)
	case !was:
		r.log.Debug("another broker is the controller", "controller", id)
	}
	return ch, nil
}

// tryBecomeController is registerControllerAndIncrementControllerEpoch.
func (r *Registry) tryBecomeController(ctx context.Context) error {
	epoch, ver, err := r.readOrCreateControllerEpoch(ctx)
	if err != nil {
		return err
	}
	next := epoch + 1
	if !r.registrationCurrent() {
		return nil // the session expired meanwhile: register first
	}
	res, _, err := r.s.multi(ctx,
		&zk.CreateRequest{Path: ControllerPath, Data: EncodeController(r.brokerID, r.opts.Clock().UnixMilli()), Flags: zk.FlagEphemeral},
		&zk.SetDataRequest{Path: ControllerEpochPath, Data: EncodeControllerEpoch(next), Version: ver})
	switch {
	case err == nil:
		if len(res) < 2 || res[1].Stat == nil {
			return errors.New("cluster: controller election: multi returned no stat")
		}
		r.becomeController(ctx, next, res[1].Stat.Version)
		return nil
	case errors.Is(err, zk.ErrNodeExists), errors.Is(err, zk.ErrBadVersion):
		// checkControllerAndEpoch: did a retried attempt of ours win?
		data, stat, gerr := r.s.get(ctx, ControllerPath)
		if errors.Is(gerr, zk.ErrNoNode) {
			return nil
		}
		if gerr != nil {
			return gerr
		}
		c, derr := DecodeController(data)
		if derr != nil || c.BrokerID != r.brokerID || stat.EphemeralOwner != r.s.sessionID() {
			return nil // another broker won
		}
		e, v, err := r.readControllerEpoch(ctx)
		if err != nil {
			return err
		}
		if e == next {
			r.becomeController(ctx, e, v)
		}
		return nil
	default:
		return fmt.Errorf("cluster: controller election: %w", err)
	}
}

func (r *Registry) readControllerEpoch(ctx context.Context) (int32, int32, error) {
	data, stat, err := r.s.get(ctx, ControllerEpochPath)
	if err != nil {
		return 0, 0, err
	}
	e, err := DecodeControllerEpoch(data)
	if err != nil {
		return 0, 0, fmt.Errorf("cluster: %s: %w", ControllerEpochPath, err)
	}
	return e, stat.Version, nil
}

// readOrCreateControllerEpoch reads /controller_epoch, creating it with
// InitialControllerEpoch when missing (maybeCreateControllerEpochZNode).
func (r *Registry) readOrCreateControllerEpoch(ctx context.Context) (int32, int32, error) {
	e, v, err := r.readControllerEpoch(ctx)
	if !errors.Is(err, zk.ErrNoNode) {
		return e, v, err
	}
	_, _, err = r.s.create(ctx, ControllerEpochPath, EncodeControllerEpoch(InitialControllerEpoch), zk.FlagPersistent)
	if err == nil {
		r.log.Info("created controller epoch node", "path", ControllerEpochPath, "epoch", InitialControllerEpoch)
		return InitialControllerEpoch, 0, nil
	}
	if !errors.Is(err, zk.ErrNodeExists) {
		return 0, 0, err
	}
	return r.readControllerEpoch(ctx)
}

func (r *Registry) becomeController(ctx context.Context, epoch, zkVersion int32) {
	r.mu.Lock()
	r.ctrl = controllerState{active: true, epoch: epoch, epochZkVersion: zkVersion, activeID: r.brokerID}
	r.mu.Unlock()
	r.log.Info(fmt.Sprintf("%d successfully elected as the controller. Epoch incremented to %d and epoch zk version is now %d",
		r.brokerID, epoch, zkVersion))
	if err := r.ensureFeatureNode(ctx); err != nil && ctx.Err() == nil {
		r.log.Warn("enabling feature versioning", "path", FeaturePath, "err", err)
	}
	if cb := r.opts.OnBecomeController; cb != nil {
		cb(epoch)
	}
}

// ensureFeatureNode is the controller's enableFeatureVersioning for a 3.x
// IBP in ZooKeeper mode: /feature exists, enabled, version 2 (no finalized
// features, as ZK-mode brokers support none).
func (r *Registry) ensureFeatureNode(ctx context.Context) error {
	data, stat, err := r.s.get(ctx, FeaturePath)
	if errors.Is(err, zk.ErrNoNode) {
		node := FeatureNode{Version: FeatureVersionV2, Status: FeatureStatusEnabled}
		if _, _, err := r.s.create(ctx, FeaturePath, EncodeFeature(node), zk.FlagPersistent); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
		return nil
	}
	if err != nil {
		return err
	}
	n, err := DecodeFeature(data)
	if err != nil {
		return fmt.Errorf("cluster: %s: %w", FeaturePath, err)
	}
	want := FeatureNode{Version: FeatureVersionV2, Status: FeatureStatusEnabled, Features: n.Features}
	if n.Status == FeatureStatusDisabled {
		want.Features = nil
	}
	if n.Version == want.Version && n.Status == want.Status && len(n.Features) == len(want.Features) {
		return nil
	}
	_, _, err = r.s.set(ctx, FeaturePath, EncodeFeature(want), stat.Version)
	if errors.Is(err, zk.ErrBadVersion) {
		return nil // someone else updated it
	}
	return err
}

// resign forgets the controllership, calling OnResign if it was held.
func (r *Registry) resign(reason string) {
	r.mu.Lock()
	was := r.ctrl.active
	r.ctrl.active = false
	if was {
		r.ctrl.activeID = -1
	}
	r.mu.Unlock()
	if !was {
		return
	}
	r.log.Info("resigning as the controller", "broker", r.brokerID, "reason", reason)
	if cb := r.opts.OnResign; cb != nil {
		cb()
	}
}
