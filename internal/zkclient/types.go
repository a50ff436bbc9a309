package zkclient

import (
	"fmt"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// EventType is the type of a watch event (Watcher.Event.EventType).
type EventType int32

// Event types, with ZooKeeper's numbering.
const (
	EventNone                   EventType = -1
	EventNodeCreated            EventType = 1
	EventNodeDeleted            EventType = 2
	EventNodeDataChanged        EventType = 3
	EventNodeChildrenChanged    EventType = 4
	EventDataWatchRemoved       EventType = 5
	EventChildWatchRemoved      EventType = 6
	EventPersistentWatchRemoved EventType = 7
)

var eventTypeNames = map[EventType]string{
	EventNone: "None", EventNodeCreated: "NodeCreated", EventNodeDeleted: "NodeDeleted",
	EventNodeDataChanged: "NodeDataChanged", EventNodeChildrenChanged: "NodeChildrenChanged",
	EventDataWatchRemoved: "DataWatchRemoved", EventChildWatchRemoved: "ChildWatchRemoved",
	EventPersistentWatchRemoved: "PersistentWatchRemoved",
}

// String returns Java's name of the event type (e.g. "NodeDataChanged").
func (t EventType) String() string {
	if s, ok := eventTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("EventType(%d)", int32(t))
}

// KeeperState is the session state carried by an event
// (Watcher.Event.KeeperState).
type KeeperState int32

// Keeper states, with ZooKeeper's numbering.
const (
	KeeperUnknown           KeeperState = -1
	KeeperDisconnected      KeeperState = KeeperState(jute.StateDisconnected)
	KeeperNoSyncConnected   KeeperState = 1
	KeeperSyncConnected     KeeperState = KeeperState(jute.StateSyncConnected)
	KeeperAuthFailed        KeeperState = KeeperState(jute.StateAuthFailed)
	KeeperConnectedReadOnly KeeperState = KeeperState(jute.StateConnectedReadOnly)
	KeeperSaslAuthenticated KeeperState = KeeperState(jute.StateSaslAuthenticated)
	KeeperExpired           KeeperState = KeeperState(jute.StateExpired)
	KeeperClosed            KeeperState = KeeperState(jute.StateClosed)
)

var keeperStateNames = map[KeeperState]string{
	KeeperUnknown: "Unknown", KeeperDisconnected: "Disconnected", KeeperNoSyncConnected: "NoSyncConnected",
	KeeperSyncConnected: "SyncConnected", KeeperAuthFailed: "AuthFailed",
	KeeperConnectedReadOnly: "ConnectedReadOnly", KeeperSaslAuthenticated: "SaslAuthenticated",
	KeeperExpired: "Expired", KeeperClosed: "Closed",
}

// String returns Java's name of the state (e.g. "SyncConnected").
func (s KeeperState) String() string {
	if n, ok := keeperStateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("KeeperState(%d)", int32(s))
}

// NoZxid is the Zxid of events that no transaction caused: session events
// and the events that report removed watches.
const NoZxid int64 = -1

// Event is a watch notification or a session event (WatchedEvent). Path is
// the client's view of the path (chroot removed); session events have an
// empty Path.
type Event struct {
	Type  EventType
	State KeeperState
	Path  string
	// Zxid is the zxid of the notification's reply header, or NoZxid.
	Zxid int64
}

// String formats the event as ZooKeeper 3.9's WatchedEvent.toString does:
// "WatchedEvent state:SyncConnected type:NodeDataChanged path:/a zxid: 5".
func (e Event) String() string {
	return e.Format(true)
}

// Format formats the event as WatchedEvent.toString does; withZxid false
// gives the ZooKeeper 3.8 form, which ends after the path. A session event's
// path prints as "null".
func (e Event) Format(withZxid bool) string {
	p := e.Path
	if p == "" {
		p = "null"
	}
	s := "WatchedEvent state:" + e.State.String() + " type:" + e.Type.String() + " path:" + p
	if withZxid {
		s += fmt.Sprintf(" zxid: %d", e.Zxid)
	}
	return s
}

// State is the client's connection state (ZooKeeper.States).
type State int32

// Client states. The names are those zkCli prints in its prompt.
const (
	StateConnecting State = iota
	StateConnected
	StateConnectedReadOnly
	StateClosed
	StateAuthFailed
)

var stateNames = [...]string{"CONNECTING", "CONNECTED", "CONNECTEDREADONLY", "CLOSED", "AUTH_FAILED"}

// String returns Java's name of the state (e.g. "CONNECTED").
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// Alive reports whether the client can still serve requests: it is neither
// closed (by Close or session expiry) nor failed authentication.
func (s State) Alive() bool { return s != StateClosed && s != StateAuthFailed }

// Connected reports whether the client has a session on a server now.
func (s State) Connected() bool { return s == StateConnected || s == StateConnectedReadOnly }

// WatcherType selects watches for RemoveWatches and CheckWatches
// (Watcher.WatcherType).
type WatcherType int32

// Watcher types, with ZooKeeper's numbering.
const (
	WatcherChildren            WatcherType = 1
	WatcherData                WatcherType = 2
	WatcherAny                 WatcherType = 3
	WatcherPersistent          WatcherType = 4
	WatcherPersistentRecursive WatcherType = 5
)

// AddWatchMode is the mode of AddWatch (AddWatchMode).
type AddWatchMode int32

// Modes of AddWatch, with ZooKeeper's numbering.
const (
	AddWatchPersistent          AddWatchMode = 0
	AddWatchPersistentRecursive AddWatchMode = 1
)

// String returns Java's name of the mode (e.g. "PERSISTENT_RECURSIVE").
func (m AddWatchMode) String() string {
	switch m {
	case AddWatchPersistent:
		return "PERSISTENT"
	case AddWatchPersistentRecursive:
		return "PERSISTENT_RECURSIVE"
	}
	return fmt.Sprintf("AddWatchMode(%d)", int32(m))
}

// MaxTTL is the largest TTL a TTL node may have, in milliseconds
// (EphemeralType.TTL.maxValue()).
const MaxTTL int64 = 0x000000ffffffffff

// OpenACL returns a new copy of the ACL that gives everyone every
// permission (ZooDefs.Ids.OPEN_ACL_UNSAFE).
func OpenACL() []jute.ACL {
	return []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
}

// Well-known paths.
const (
	// ConfigNode holds the ensemble's dynamic configuration
	// (ZooDefs.CONFIG_NODE). It is never under the chroot.
	ConfigNode = "/zookeeper/config"
)

func isSequential(mode int32) bool {
	return mode == jute.ModePersistentSequential || mode == jute.ModeEphemeralSequential ||
		mode == jute.ModePersistentSequentialWithTTL
}

func isTTL(mode int32) bool {
	return mode == jute.ModePersistentWithTTL || mode == jute.ModePersistentSequentialWithTTL
}
