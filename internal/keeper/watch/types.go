package watch

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrUnknownMode is returned for an addWatch mode other than
// [AddWatchPersistent] and [AddWatchPersistentRecursive].
var ErrUnknownMode = errors.New("watch: unknown addWatch mode")

// EventType is the type of a watch notification, with ZooKeeper's wire
// numbers (Watcher.Event.EventType).
type EventType int32

// ZooKeeper's event types. The server only ever triggers NodeCreated,
// NodeDeleted, NodeDataChanged and NodeChildrenChanged; EventNone carries
// connection-state changes and the three *WatchRemoved types are generated
// by clients when their watches are removed.
const (
	EventNone              EventType = -1
	NodeCreated            EventType = 1
	NodeDeleted            EventType = 2
	NodeDataChanged        EventType = 3
	NodeChildrenChanged    EventType = 4
	DataWatchRemoved       EventType = 5
	ChildWatchRemoved      EventType = 6
	PersistentWatchRemoved EventType = 7
)

// String returns the Java enum constant name, as ZooKeeper prints it
// ("None", "NodeCreated", …), or "EventType(n)" for an unknown number.
func (t EventType) String() string {
	switch t {
	case EventNone:
		return "None"
	case NodeCreated:
		return "NodeCreated"
	case NodeDeleted:
		return "NodeDeleted"
	case NodeDataChanged:
		return "NodeDataChanged"
	case NodeChildrenChanged:
		return "NodeChildrenChanged"
	case DataWatchRemoved:
		return "DataWatchRemoved"
	case ChildWatchRemoved:
		return "ChildWatchRemoved"
	case PersistentWatchRemoved:
		return "PersistentWatchRemoved"
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// Kind is what a watch was set by. It is this package's own enumeration and
// never goes on the wire.
type Kind int

// The kinds of watch.
const (
	// KindData is a one-shot watch set by getData or exists; ZooKeeper keeps
	// both in its data-watch table, so they behave identically.
	KindData Kind = iota + 1
	// KindChild is a one-shot watch set by getChildren.
	KindChild
	// KindPersistent is a watch set by addWatch in PERSISTENT mode: it sees
	// every event on its path and stays until removed.
	KindPersistent
	// KindPersistentRecursive is a watch set by addWatch in
	// PERSISTENT_RECURSIVE mode: it sees NodeCreated, NodeDeleted and
	// NodeDataChanged on its path and every path below, and stays until
	// removed.
	KindPersistentRecursive
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindData:
		return "Data"
	case KindChild:
		return "Child"
	case KindPersistent:
		return "Persistent"
	case KindPersistentRecursive:
		return "PersistentRecursive"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// AddWatchMode is the mode field of an addWatch request, with ZooKeeper's
// wire numbers (ZooDefs.AddWatchModes).
type AddWatchMode int32

// The addWatch modes.
const (
	AddWatchPersistent          AddWatchMode = 0
	AddWatchPersistentRecursive AddWatchMode = 1
)

// Kind returns the kind of watch the mode sets, or an error wrapping
// [ErrUnknownMode]. (ZooKeeper fails such a request with
// MARSHALLINGERROR.)
func (m AddWatchMode) Kind() (Kind, error) {
	switch m {
	case AddWatchPersistent:
		return KindPersistent, nil
	case AddWatchPersistentRecursive:
		return KindPersistentRecursive, nil
	}
	return 0, fmt.Errorf("mode %d: %w", int32(m), ErrUnknownMode)
}

// WatcherType selects watches in removeWatches and checkWatches requests,
// with ZooKeeper's wire numbers (Watcher.WatcherType).
type WatcherType int32

// ZooKeeper's watcher types.
const (
	WatcherChildren            WatcherType = 1
	WatcherData                WatcherType = 2
	WatcherAny                 WatcherType = 3
	WatcherPersistent          WatcherType = 4
	WatcherPersistentRecursive WatcherType = 5
)

// Valid reports whether t is one of ZooKeeper's watcher types. ZooKeeper
// fails a request carrying any other number with MARSHALLINGERROR.
func (t WatcherType) Valid() bool { return t >= WatcherChildren && t <= WatcherPersistentRecursive }

// String returns the Java enum constant name ("Children", "Data", "Any",
// "Persistent", "PersistentRecursive"), which ZooKeeper puts in the message
// of a NoWatcherException, or "WatcherType(n)" for an unknown number.
func (t WatcherType) String() string {
	switch t {
	case WatcherChildren:
		return "Children"
	case WatcherData:
		return "Data"
	case WatcherAny:
		return "Any"
	case WatcherPersistent:
		return "Persistent"
	case WatcherPersistentRecursive:
		return "PersistentRecursive"
	}
	return "WatcherType(" + strconv.Itoa(int(t)) + ")"
}

// Event is a watch notification: what happened and to which path. For a
// recursive watch the path is the node that changed, not the watched
// ancestor.
type Event struct {
	Type EventType
	Path string
}

// Delivery is one event for one watcher, as returned by [Manager.Trigger].
type Delivery[W comparable] struct {
	Watcher W
	Event   Event
}

// Summary is what the wchs four-letter word reports. Like ZooKeeper's, it
// counts the data-watch table only (see [Manager.Summary]).
type Summary struct {
	Connections int // watchers with at least one watch
	Paths       int // distinct watched paths
	Watches     int // (watcher, path) pairs
}

// String formats the summary exactly as ZooKeeper's wchs prints it, without
// the final newline the command adds:
//
//	3 connections watching 5 paths
//	Total watches:7
func (s Summary) String() string {
	return strconv.Itoa(s.Connections) + " connections watching " + strconv.Itoa(s.Paths) +
		" paths\nTotal watches:" + strconv.Itoa(s.Watches)
}

// WatcherPaths is one entry of the wchc view: a watcher and the paths it
// watches, sorted.
type WatcherPaths[W comparable] struct {
	Watcher W
	Paths   []string
}

// PathWatchers is one entry of the wchp view: a path and its watchers.
type PathWatchers[W comparable] struct {
	Path     string
	Watchers []W
}
