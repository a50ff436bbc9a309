package config

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Errors about one key are *KeyError values that wrap
// ErrInvalid or ErrMissing.
var (
	// ErrInvalid is wrapped by errors about a value ZooKeeper would reject
	// or that makes no sense (not an integer, port out of range, ...).
	ErrInvalid = errors.New("invalid value")
	// ErrMissing is wrapped by errors about a required key that is not set.
	ErrMissing = errors.New("required key not set")
	// ErrNoMyID is wrapped (with the path) when dataDir/myid does not exist.
	ErrNoMyID = errors.New("myid file is missing")
	// ErrBadMyID is wrapped when dataDir/myid does not hold one integer.
	ErrBadMyID = errors.New("myid file is malformed")
)

// KeyError is an error about one key of a configuration file. Its message
// reads "file: key: problem (line N)".
type KeyError struct {
	// File names the configuration file; "" when not known.
	File string
	// Key is the configuration key.
	Key string
	// Line is the line the key was set on; 0 when not known or not set.
	Line int
	// Msg describes the problem, e.g. `"abc" is not an integer`.
	Msg string
	// Err is ErrInvalid or ErrMissing.
	Err error
}

// Error implements error.
func (e *KeyError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	b.WriteString(e.Key)
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	return b.String()
}

// Unwrap returns ErrInvalid or ErrMissing.
func (e *KeyError) Unwrap() error { return e.Err }

// Defaults, as in ZooKeeper 3.9.
const (
	// DefaultTickTime is ZooKeeperServer.DEFAULT_TICK_TIME, in ms.
	DefaultTickTime = 3000
	// DefaultMaxClientCnxns is the per-host connection limit.
	DefaultMaxClientCnxns = 60
	// DefaultSnapCount is the number of transactions between snapshots.
	DefaultSnapCount = 100000
	// MinSnapCount is the smallest snapCount ZooKeeper accepts; smaller
	// values are raised to it.
	MinSnapCount = 2
	// DefaultSnapRetainCount is autopurge.snapRetainCount's default, also
	// its minimum.
	DefaultSnapRetainCount = 3
	// DefaultJuteMaxBuffer is jute.maxbuffer's default, 0xfffff bytes.
	DefaultJuteMaxBuffer = 0xfffff
	// DefaultAdminServerPort is admin.serverPort's default.
	DefaultAdminServerPort = 8080
	// DefaultAdminServerAddress is admin.serverAddress's default.
	DefaultAdminServerAddress = "0.0.0.0"
	// DefaultAdminCommandURL is admin.commandURL's default.
	DefaultAdminCommandURL = "/commands"
	// DefaultGlobalOutstandingLimit is globalOutstandingLimit's default.
	DefaultGlobalOutstandingLimit = 1000
	// DefaultPreAllocSize is preAllocSize's default, in KiB (64 MiB).
	DefaultPreAllocSize = 65536
	// DefaultElectionAlg is the only election algorithm ZooKeeper 3.9 has.
	DefaultElectionAlg = 3
	// MaxExtendedServerID is the largest server id allowed when
	// extendedTypesEnabled is set.
	MaxExtendedServerID = 254
)

// Keeper is the keeper's configuration: the settings of zoo.cfg (and of the
// dynamic configuration file and myid). Field comments name the zoo.cfg key
// and ZooKeeper's default. Start from NewKeeper, which sets the defaults;
// times are kept as written (milliseconds or ticks) and the *Duration
// methods convert them.
type Keeper struct {
	// TickTime is the basic time unit in ms (tickTime; 3000).
	TickTime int
	// InitLimit is how many ticks followers may take to connect and sync
	// to the leader (initLimit; required in a quorum).
	InitLimit int
	// SyncLimit is how many ticks a follower may lag behind the leader
	// (syncLimit; required in a quorum).
	SyncLimit int
	// ConnectToLearnerMasterLimit is how many ticks a follower may take to
	// connect to the leader; 0 means InitLimit
	// (connectToLearnerMasterLimit; 0).
	ConnectToLearnerMasterLimit int

	// DataDir holds snapshots and myid (dataDir; required). Relative paths
	// are kept as written; the caller resolves them against the working
	// directory, as ZooKeeper does.
	DataDir string
	// DataLogDir holds the transaction log (dataLogDir; DataDir, filled in
	// by Validate).
	DataLogDir string

	// ClientPort is the client port (clientPort; -1 = not set). It may also
	// come from this server's server.N line; see SetServerID.
	ClientPort int
	// ClientPortAddress is the address to listen on for clients
	// (clientPortAddress; "" = all interfaces).
	ClientPortAddress string
	// SecureClientPort is the TLS client port (secureClientPort; -1 = not
	// set). zkafka does not serve TLS; setting it gives a warning.
	SecureClientPort int
	// SecureClientPortAddress goes with SecureClientPort
	// (secureClientPortAddress; "").
	SecureClientPortAddress string
	// ClientPortListenBacklog is the listen backlog
	// (clientPortListenBacklog; -1 = system default).
	ClientPortListenBacklog int
	// MaxClientCnxns limits connections from one IP address
	// (maxClientCnxns; 60; 0 = unlimited).
	MaxClientCnxns int
	// MaxCnxns limits connections in total (maxCnxns; 0 = unlimited).
	MaxCnxns int

	// MinSessionTimeout is the smallest session timeout granted, in ms
	// (minSessionTimeout; -1 = 2×TickTime, filled in by Validate).
	MinSessionTimeout int
	// MaxSessionTimeout is the largest session timeout granted, in ms
	// (maxSessionTimeout; -1 = 20×TickTime, filled in by Validate).
	MaxSessionTimeout int
	// LocalSessionsEnabled enables local sessions (localSessionsEnabled;
	// false).
	LocalSessionsEnabled bool
	// LocalSessionsUpgradingEnabled lets local sessions be upgraded to
	// global ones (localSessionsUpgradingEnabled; false).
	LocalSessionsUpgradingEnabled bool

	// SnapCount is the number of transactions between snapshots
	// (snapCount; 100000; values below 2 become 2).
	SnapCount int
	// SnapRetainCount is how many snapshots autopurge keeps
	// (autopurge.snapRetainCount; 3; values below 3 become 3).
	SnapRetainCount int
	// PurgeInterval is the autopurge period in hours
	// (autopurge.purgeInterval; 0 = off).
	PurgeInterval int
	// PreAllocSize is the transaction log preallocation in KiB
	// (preAllocSize; 65536).
	PreAllocSize int64
	// JuteMaxBuffer is the largest request or znode data accepted, in
	// bytes (jute.maxbuffer; 0xfffff). ZooKeeper reads it only as a JVM
	// system property; zkafka also honours it in zoo.cfg.
	JuteMaxBuffer int
	// GlobalOutstandingLimit limits queued requests
	// (globalOutstandingLimit; 1000).
	GlobalOutstandingLimit int

	// FourLetterWords lists the enabled four-letter-word commands as
	// written (4lw.commands.whitelist; nil = only "srvr"; "*" = all). See
	// FourLetterWordEnabled.
	FourLetterWords []string
	// ExtendedTypesEnabled enables TTL nodes (extendedTypesEnabled; false).
	ExtendedTypesEnabled bool
	// ReconfigEnabled enables the reconfig operation (reconfigEnabled;
	// false).
	ReconfigEnabled bool
	// StandaloneEnabled lets a single-participant configuration run
	// standalone (standaloneEnabled; true).
	StandaloneEnabled bool

	// AdminEnableServer enables the HTTP admin server (admin.enableServer;
	// true).
	AdminEnableServer bool
	// AdminServerPort is the admin server's port (admin.serverPort; 8080).
	AdminServerPort int
	// AdminServerAddress is the admin server's address
	// (admin.serverAddress; 0.0.0.0).
	AdminServerAddress string
	// AdminCommandURL is the admin server's command path
	// (admin.commandURL; /commands).
	AdminCommandURL string

	// SyncEnabled makes observers log and snapshot like participants
	// (syncEnabled; true).
	SyncEnabled bool
	// ElectionAlg is the leader election algorithm (electionAlg; 3, the
	// only value accepted).
	ElectionAlg int
	// QuorumListenOnAllIPs makes quorum and election ports listen on all
	// interfaces (quorumListenOnAllIPs; false).
	QuorumListenOnAllIPs bool
	// Observer is this server's role as given by peerType (peerType;
	// participant). Once the server id is known, its server.N line wins.
	Observer bool
	// DynamicConfigFile names the file holding the server.N, group.N and
	// weight.N lines (dynamicConfigFile; ""). LoadKeeper reads it.
	DynamicConfigFile string
	// ConfigVersion is the membership version: the hexadecimal suffix of
	// DynamicConfigFile's name (zoo.cfg.dynamic.100000000), or 0.
	ConfigVersion int64

	// Servers lists the ensemble members in ascending ID order (server.N).
	Servers []Server
	// Groups maps a group id to its server ids (group.N=id:id:...); nil
	// unless hierarchical quorums are configured.
	Groups map[int64][]int64
	// Weights maps a server id to its weight in hierarchical quorums
	// (weight.N; 1 for participants not listed).
	Weights map[int64]int64

	// ServerID is this server's id from myid, or -1 when not known. Set it
	// with SetServerID.
	ServerID int64

	// Other holds every key that no field above takes, as written (trimmed),
	// including the keys reported as unknown. ZooKeeper passes these on as
	// "zookeeper."+key system properties.
	Other map[string]string
}

// NewKeeper returns a Keeper holding ZooKeeper's defaults. DataDir is empty
// and must be set.
func NewKeeper() *Keeper {
	return &Keeper{
		TickTime:                DefaultTickTime,
		ClientPort:              -1,
		SecureClientPort:        -1,
		ClientPortListenBacklog: -1,
		MaxClientCnxns:          DefaultMaxClientCnxns,
		MinSessionTimeout:       -1,
		MaxSessionTimeout:       -1,
		SnapCount:               DefaultSnapCount,
		SnapRetainCount:         DefaultSnapRetainCount,
		PreAllocSize:            DefaultPreAllocSize,
		JuteMaxBuffer:           DefaultJuteMaxBuffer,
		GlobalOutstandingLimit:  DefaultGlobalOutstandingLimit,
		StandaloneEnabled:       true,
		AdminEnableServer:       true,
		AdminServerPort:         DefaultAdminServerPort,
		AdminServerAddress:      DefaultAdminServerAddress,
		AdminCommandURL:         DefaultAdminCommandURL,
		SyncEnabled:             true,
		ElectionAlg:             DefaultElectionAlg,
		ServerID:                -1,
		Other:                   map[string]string{},
	}
}

// LoadKeeper reads the zoo.cfg at path, then the dynamic configuration file
// if dynamicConfigFile names one, then dataDir/myid. A missing myid is an
// error (wrapping ErrNoMyID) only when the configuration is a quorum. It
// returns the configuration and warnings for the operator.
func LoadKeeper(path string) (*Keeper, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading configuration: %w", err)
	}
	k, warnings, err := ParseKeeper(f, path)
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	if k.DynamicConfigFile != "" {
		w, err := k.loadDynamic(k.DynamicConfigFile)
		if err != nil {
			return nil, nil, err
		}
		warnings = append(warnings, w...)
	}
	id, err := ReadMyID(k.DataDir)
	switch {
	case err == nil:
		w, err := k.SetServerID(id)
		if err != nil {
			return nil, nil, withPlace(err, path, 0)
		}
		warnings = append(warnings, w...)
	case errors.Is(err, ErrNoMyID) && k.Standalone():
	default:
		// The error names the myid file.
		return nil, nil, err
	}
	if k.ClientPort < 0 && k.SecureClientPort < 0 {
		warnings = append(warnings, "neither clientPort nor secureClientPort is set; clients cannot connect")
	}
	return k, warnings, nil
}

// loadDynamic reads the dynamic configuration file into k.
func (k *Keeper) loadDynamic(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading dynamic configuration: %w", err)
	}
	defer f.Close()
	w, err := k.ParseDynamic(f, path)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// ParseDynamic reads a dynamic configuration file (server.N, group.N and
// weight.N lines only) named name into k, replacing its membership, sets
// ConfigVersion from the hex suffix of name, and validates the membership.
// LoadKeeper calls it for dynamicConfigFile.
func (k *Keeper) ParseDynamic(r io.Reader, name string) ([]string, error) {
	props, err := ParseProperties(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m := membership{}
	for _, e := range props.Entries() {
		key := trimJava(e.Key)
		if key == "version" {
			return nil, &KeyError{File: name, Key: key, Line: e.Line, Msg: "must not be in the dynamic file (the version is in its name)", Err: ErrInvalid}
		}
		ok, err := m.add(key, trimJava(e.Value))
		if err != nil {
			return nil, withPlace(err, name, e.Line)
		}
		if !ok {
			return nil, &KeyError{File: name, Key: key, Line: e.Line, Msg: "unrecognised parameter in a dynamic configuration file", Err: ErrInvalid}
		}
	}
	k.Servers, k.Groups, k.Weights = m.result()
	k.ConfigVersion = versionFromFilename(name)
	w, err := k.validateMembership()
	if err != nil {
		return nil, withPlace(err, name, 0)
	}
	return w, nil
}

// versionFromFilename returns the hexadecimal number after the last '.' of
// name, or 0.
func versionFromFilename(name string) int64 {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return 0
	}
	v, err := strconv.ParseInt(name[i+1:], 16, 64)
	if err != nil {
		return 0
	}
	return v
}

// ParseKeeper reads zoo.cfg text from r; name (e.g. the path) prefixes
// errors. It does no I/O beyond r: LoadKeeper also reads the dynamic
// configuration file and myid.
func ParseKeeper(r io.Reader, name string) (*Keeper, []string, error) {
	props, err := ParseProperties(r)
	if err != nil {
		if name != "" {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, nil, err
	}
	return KeeperFromProperties(props, name)
}

// KeeperFromProperties builds a Keeper from parsed zoo.cfg properties;
// name prefixes errors. See ParseKeeper.
func KeeperFromProperties(props *Properties, name string) (*Keeper, []string, error) {
	k := NewKeeper()
	var warnings []string
	m := membership{}
	var membershipKey string
	var membershipLine int
	for _, e := range props.Entries() {
		key := trimJava(e.Key)
		value := trimJava(e.Value)
		known, err := k.set(key, value)
		if err != nil {
			return nil, nil, withPlace(err, name, e.Line)
		}
		if known {
			continue
		}
		ok, err := m.add(key, value)
		if err != nil {
			return nil, nil, withPlace(err, name, e.Line)
		}
		if ok {
			if membershipKey == "" {
				membershipKey, membershipLine = key, e.Line
			}
			continue
		}
		k.Other[key] = value
		if !passThrough(key) {
			warnings = append(warnings, fmt.Sprintf("unknown key %q (line %d) ignored", key, e.Line))
		}
	}
	if membershipKey != "" && k.DynamicConfigFile != "" {
		return nil, nil, &KeyError{File: name, Key: membershipKey, Line: membershipLine, Msg: "must be in the separate dynamic config file when dynamicConfigFile is set", Err: ErrInvalid}
	}
	k.Servers, k.Groups, k.Weights = m.result()
	w, err := k.validate()
	if err != nil {
		var ke *KeyError
		if errors.As(err, &ke) && ke.Line == 0 {
			ke.Line = props.Line(ke.Key)
		}
		return nil, nil, withPlace(err, name, 0)
	}
	return k, append(warnings, w...), nil
}

// withPlace sets the file (and, when unknown, the line) of a *KeyError in
// err.
func withPlace(err error, file string, line int) error {
	var ke *KeyError
	if errors.As(err, &ke) {
		if ke.File == "" {
			ke.File = file
		}
		if ke.Line == 0 {
			ke.Line = line
		}
		return err
	}
	if file != "" {
		return fmt.Errorf("%s: %w", file, err)
	}
	return err
}

// trimJava trims like Java's String.trim: every byte <= ' ' at both ends.
func trimJava(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

func invalid(key, format string, args ...any) error {
	return &KeyError{Key: key, Msg: fmt.Sprintf(format, args...), Err: ErrInvalid}
}

func parseInt(key, v string) (int, error) {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, invalid(key, "%q is out of range", v)
		}
		return 0, invalid(key, "%q is not an integer", v)
	}
	return int(n), nil
}

func parseLong(key, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, invalid(key, "%q is out of range", v)
		}
		return 0, invalid(key, "%q is not an integer", v)
	}
	return n, nil
}

// parseBool accepts true or false in any case, as ZooKeeper does.
func parseBool(key, v string) (bool, error) {
	switch {
	case strings.EqualFold(v, "true"):
		return true, nil
	case strings.EqualFold(v, "false"):
		return false, nil
	}
	return false, invalid(key, "%q is not true or false", v)
}

func parseKeyPort(key, v string) (int, error) {
	n, err := parseInt(key, v)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > 65535 {
		return 0, invalid(key, "port %d is out of range 0-65535", n)
	}
	return n, nil
}

func parseNonNeg(key, v string) (int, error) {
	n, err := parseInt(key, v)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, invalid(key, "%d must not be negative", n)
	}
	return n, nil
}

// parseHost strips IPv6 brackets from an address without a port.
func parseHost(key, v string) (string, error) {
	h := v
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if h == "" || strings.ContainsAny(h, "[]/ \t") || (strings.Contains(h, ":") && net.ParseIP(h) == nil) {
		return "", invalid(key, "%q is not a host name or IP address", v)
	}
	return h, nil
}

// set applies one zoo.cfg key. It reports false for keys it does not take.
func (k *Keeper) set(key, v string) (bool, error) {
	var err error
	switch key {
	case "tickTime":
		k.TickTime, err = parseInt(key, v)
	case "initLimit":
		k.InitLimit, err = parseNonNeg(key, v)
	case "syncLimit":
		k.SyncLimit, err = parseNonNeg(key, v)
	case "connectToLearnerMasterLimit":
		k.ConnectToLearnerMasterLimit, err = parseNonNeg(key, v)
	case "dataDir":
		k.DataDir = v
	case "dataLogDir":
		k.DataLogDir = v
	case "clientPort":
		k.ClientPort, err = parseKeyPort(key, v)
	case "clientPortAddress":
		k.ClientPortAddress, err = parseHost(key, v)
	case "secureClientPort":
		k.SecureClientPort, err = parseKeyPort(key, v)
	case "secureClientPortAddress":
		k.SecureClientPortAddress, err = parseHost(key, v)
	case "clientPortListenBacklog":
		k.ClientPortListenBacklog, err = parseInt(key, v)
	case "maxClientCnxns":
		k.MaxClientCnxns, err = parseNonNeg(key, v)
	case "maxCnxns":
		k.MaxCnxns, err = parseNonNeg(key, v)
	case "minSessionTimeout":
		k.MinSessionTimeout, err = parseInt(key, v)
	case "maxSessionTimeout":
		k.MaxSessionTimeout, err = parseInt(key, v)
	case "localSessionsEnabled":
		k.LocalSessionsEnabled, err = parseBool(key, v)
	case "localSessionsUpgradingEnabled":
		k.LocalSessionsUpgradingEnabled, err = parseBool(key, v)
	case "snapCount":
		k.SnapCount, err = parseInt(key, v)
	case "autopurge.snapRetainCount":
		k.SnapRetainCount, err = parseInt(key, v)
	case "autopurge.purgeInterval":
		k.PurgeInterval, err = parseInt(key, v)
	case "preAllocSize":
		k.PreAllocSize, err = parseLong(key, v)
		if err == nil && k.PreAllocSize < 0 {
			err = invalid(key, "%d must not be negative", k.PreAllocSize)
		}
	case "jute.maxbuffer":
		k.JuteMaxBuffer, err = parseInt(key, v)
	case "globalOutstandingLimit":
		k.GlobalOutstandingLimit, err = parseNonNeg(key, v)
	case "4lw.commands.whitelist":
		k.FourLetterWords = []string{}
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c != "" {
				k.FourLetterWords = append(k.FourLetterWords, c)
			}
		}
	case "extendedTypesEnabled":
		k.ExtendedTypesEnabled, err = parseBool(key, v)
	case "reconfigEnabled":
		k.ReconfigEnabled, err = parseBool(key, v)
	case "standaloneEnabled":
		k.StandaloneEnabled, err = parseBool(key, v)
	case "admin.enableServer":
		k.AdminEnableServer, err = parseBool(key, v)
	case "admin.serverPort":
		k.AdminServerPort, err = parseKeyPort(key, v)
	case "admin.serverAddress":
		k.AdminServerAddress, err = parseHost(key, v)
	case "admin.commandURL":
		k.AdminCommandURL = v
	case "syncEnabled":
		k.SyncEnabled, err = parseBool(key, v)
	case "electionAlg":
		k.ElectionAlg, err = parseInt(key, v)
	case "quorumListenOnAllIPs":
		k.QuorumListenOnAllIPs, err = parseBool(key, v)
	case "peerType":
		switch strings.ToLower(v) {
		case "observer":
			k.Observer = true
		case "participant":
			k.Observer = false
		default:
			err = invalid(key, "unrecognised peer type %q (want participant or observer)", v)
		}
	case "dynamicConfigFile":
		k.DynamicConfigFile = v
	default:
		// Keys QuorumPeerConfig parses itself: ZooKeeper rejects bad
		// values; zkafka checks them and keeps them in Other.
		switch checkedKind(key) {
		case kindBool:
			_, err = parseBool(key, v)
		case kindInt:
			_, err = parseInt(key, v)
		case kindLong:
			_, err = parseLong(key, v)
		default:
			return false, nil
		}
		if err == nil {
			k.Other[key] = v
		}
	}
	return true, err
}

type valueKind int

const (
	kindNone valueKind = iota
	kindBool
	kindInt
	kindLong
)

// checkedKind names the type of the QuorumPeerConfig keys that zkafka does
// not use but ZooKeeper validates.
func checkedKind(key string) valueKind {
	switch key {
	case "sslQuorum", "portUnification", "sslQuorumReloadCertFiles",
		"quorum.auth.enableSasl", "quorum.auth.serverRequireSasl", "quorum.auth.learnerRequireSasl",
		"jvm.pause.monitor", "multiAddress.enabled", "multiAddress.reachabilityCheckEnabled":
		return kindBool
	case "observerMasterPort", "quorum.cnxn.threads.size", "multiAddress.reachabilityCheckTimeoutMs":
		return kindInt
	case "jvm.pause.info-threshold.ms", "jvm.pause.warn-threshold.ms", "jvm.pause.sleep.time.ms":
		return kindLong
	}
	return kindNone
}

// passThrough reports whether key is one ZooKeeper understands without
// zkafka taking it (a QuorumPeerConfig key or a documented "zookeeper."
// system property written without its prefix), or is written with the
// "zookeeper." prefix. Such keys are accepted without a warning.
func passThrough(key string) bool {
	for _, p := range [...]string{
		"zookeeper.", "ssl.", "admin.", "authProvider.", "metricsProvider.", "quorum.",
		"jvm.pause.", "multiAddress.", "DigestAuthenticationProvider.", "X509AuthenticationProvider.",
		"IPAuthenticationProvider.", "audit.", "client.", "connection_throttle_", "fastleader.",
		"follower.", "kerberos.", "leader.", "learner.", "netty.", "observer.", "request_",
		"snapshot.", "digest.", "serializeLastProcessedZxid.", "closeSessionTxn.",
		"zkafka.", // zkafka's own keys, read where they are used (server.JoinKey)
	} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	switch key {
	case "authProvider", "clientTcpKeepAlive", "commitLogCount", "enforceQuota", "fips-mode",
		"flushDelay", "forceSync", "forward_learner_requests_to_commit_processor_disabled",
		"fsync.warningthresholdms", "jute.maxbuffer.extrasize", "largeRequestMaxBytes",
		"largeRequestThreshold", "maxBatchSize", "maxGetChildrenResponseCacheSize",
		"maxResponseCacheSize", "maxWriteQueuePollTime", "serverCnxnFactory",
		"sessionRequireClientSASLAuth", "skipACL", "snapSizeLimitInKb", "superUser",
		"tcpKeepAlive", "throttled_op_wait_time", "txnLogSizeLimitInKb", "enableEagerACLCheck",
		"allowSaslFailedClients", "intBufferStartingSizeBytes", "emulate353TTLNodes",
		"sslQuorum", "portUnification", "sslQuorumReloadCertFiles", "observerMasterPort",
		"oraclePath", "metricsProvider.className", "readonlymode.enabled", "sasl.serverconfig":
		return true
	}
	return false
}

// membership gathers server.N, group.N and weight.N lines.
type membership struct {
	servers map[int64]Server
	keys    map[int64]string
	groups  map[int64][]int64
	weights map[int64]int64
}

// add takes one membership key; it reports false for other keys.
func (m *membership) add(key, value string) (bool, error) {
	switch {
	case strings.HasPrefix(key, "server."):
		id, err := parseID(key, key[len("server."):])
		if err != nil {
			return true, err
		}
		s, err := ParseServer(id, value)
		if err != nil {
			return true, &KeyError{Key: key, Msg: strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "), Err: ErrInvalid}
		}
		if m.servers == nil {
			m.servers, m.keys = map[int64]Server{}, map[int64]string{}
		}
		if prev, dup := m.keys[id]; dup {
			return true, invalid(key, "server id %d is already defined by %s", id, prev)
		}
		m.servers[id], m.keys[id] = s, key
	case strings.HasPrefix(key, "group"):
		// ZooKeeper takes every key starting with "group" (or "weight")
		// as hierarchical-quorum configuration.
		gid, err := parseID(key, strings.TrimPrefix(key, "group."))
		if err != nil || !strings.HasPrefix(key, "group.") {
			return true, invalid(key, "expected group.<id>=<server id>:<server id>:...")
		}
		if m.groups == nil {
			m.groups = map[int64][]int64{}
		}
		if _, dup := m.groups[gid]; dup {
			return true, invalid(key, "group %d is defined twice", gid)
		}
		var members []int64
		for _, part := range javaSplit(value, ":") {
			sid, err := strconv.ParseInt(trimJava(part), 10, 64)
			if err != nil || sid < 0 {
				return true, invalid(key, "%q is not a list of server ids separated by ':'", value)
			}
			for g, ms := range m.groups {
				if slices.Contains(ms, sid) {
					return true, invalid(key, "server %d is already in group %d", sid, g)
				}
			}
			if slices.Contains(members, sid) {
				return true, invalid(key, "server %d is listed twice", sid)
			}
			members = append(members, sid)
		}
		if len(members) == 0 {
			return true, invalid(key, "group has no servers")
		}
		m.groups[gid] = members
	case strings.HasPrefix(key, "weight"):
		sid, err := parseID(key, strings.TrimPrefix(key, "weight."))
		if err != nil || !strings.HasPrefix(key, "weight.") {
			return true, invalid(key, "expected weight.<server id>=<weight>")
		}
		w, err := strconv.ParseInt(value, 10, 64)
		if err != nil || w < 0 {
			return true, invalid(key, "%q is not a non-negative integer", value)
		}
		if m.weights == nil {
			m.weights = map[int64]int64{}
		}
		m.weights[sid] = w
	default:
		return false, nil
	}
	return true, nil
}

func parseID(key, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, invalid(key, "%q is not a server id", s)
	}
	if id < 0 {
		return 0, invalid(key, "server id %d must not be negative", id)
	}
	return id, nil
}

// result returns the servers sorted by id, and the groups and weights.
func (m *membership) result() ([]Server, map[int64][]int64, map[int64]int64) {
	var servers []Server
	for _, s := range m.servers {
		servers = append(servers, s)
	}
	slices.SortFunc(servers, func(a, b Server) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return servers, m.groups, m.weights
}

// Validate checks k and fills in derived defaults: DataLogDir (DataDir),
// MinSessionTimeout and MaxSessionTimeout (-1 → 2× and 20× TickTime);
// SnapCount and SnapRetainCount below their minimums are raised to them.
// Errors are *KeyError values naming the key.
func (k *Keeper) Validate() error {
	_, err := k.validate()
	return err
}

// validate is Validate returning warnings too.
func (k *Keeper) validate() ([]string, error) {
	var warnings []string
	if k.TickTime == 0 {
		return nil, &KeyError{Key: "tickTime", Msg: "is not set", Err: ErrMissing}
	}
	if k.TickTime < 0 {
		return nil, invalid("tickTime", "%d must be positive", k.TickTime)
	}
	if k.DataDir == "" {
		return nil, &KeyError{Key: "dataDir", Msg: "is not set", Err: ErrMissing}
	}
	if k.DataLogDir == "" {
		k.DataLogDir = k.DataDir
	}
	for _, p := range []struct {
		key string
		v   int
		min int
	}{
		{"clientPort", k.ClientPort, -1},
		{"secureClientPort", k.SecureClientPort, -1},
		{"admin.serverPort", k.AdminServerPort, 0},
	} {
		if p.v < p.min || p.v > 65535 {
			return nil, invalid(p.key, "port %d is out of range 0-65535", p.v)
		}
	}
	if k.ClientPortAddress != "" && k.ClientPort < 0 {
		return nil, invalid("clientPortAddress", "is set but clientPort is not set")
	}
	if k.SecureClientPortAddress != "" && k.SecureClientPort < 0 {
		return nil, invalid("secureClientPortAddress", "is set but secureClientPort is not set")
	}
	if k.SecureClientPort >= 0 {
		warnings = append(warnings, fmt.Sprintf("secureClientPort=%d ignored: zkafka does not serve TLS", k.SecureClientPort))
	}
	for _, n := range []struct {
		key string
		v   int64
	}{
		{"initLimit", int64(k.InitLimit)},
		{"syncLimit", int64(k.SyncLimit)},
		{"connectToLearnerMasterLimit", int64(k.ConnectToLearnerMasterLimit)},
		{"maxClientCnxns", int64(k.MaxClientCnxns)},
		{"maxCnxns", int64(k.MaxCnxns)},
		{"globalOutstandingLimit", int64(k.GlobalOutstandingLimit)},
		{"preAllocSize", k.PreAllocSize},
	} {
		if n.v < 0 {
			return nil, invalid(n.key, "%d must not be negative", n.v)
		}
	}
	if k.JuteMaxBuffer <= 0 {
		return nil, invalid("jute.maxbuffer", "%d must be positive", k.JuteMaxBuffer)
	}
	if k.MinSessionTimeout < -1 {
		return nil, invalid("minSessionTimeout", "%d must be -1 (2×tickTime) or at least 0", k.MinSessionTimeout)
	}
	if k.MaxSessionTimeout < -1 {
		return nil, invalid("maxSessionTimeout", "%d must be -1 (20×tickTime) or at least 0", k.MaxSessionTimeout)
	}
	if k.MinSessionTimeout == -1 {
		k.MinSessionTimeout = 2 * k.TickTime
	}
	if k.MaxSessionTimeout == -1 {
		k.MaxSessionTimeout = 20 * k.TickTime
	}
	if k.MinSessionTimeout > k.MaxSessionTimeout {
		return nil, invalid("minSessionTimeout", "%d must not be larger than maxSessionTimeout (%d)", k.MinSessionTimeout, k.MaxSessionTimeout)
	}
	if k.SnapRetainCount < DefaultSnapRetainCount {
		warnings = append(warnings, fmt.Sprintf("invalid autopurge.snapRetainCount %d; defaulting to %d", k.SnapRetainCount, DefaultSnapRetainCount))
		k.SnapRetainCount = DefaultSnapRetainCount
	}
	if k.SnapCount < MinSnapCount {
		warnings = append(warnings, fmt.Sprintf("snapCount %d should be %d or more; using %d", k.SnapCount, MinSnapCount, MinSnapCount))
		k.SnapCount = MinSnapCount
	}
	if k.ElectionAlg != DefaultElectionAlg {
		return nil, invalid("electionAlg", "%d is not supported; only 3 is", k.ElectionAlg)
	}
	for _, c := range k.FourLetterWords {
		if c != "*" && !knownFourLetterWord(c) {
			warnings = append(warnings, fmt.Sprintf("4lw.commands.whitelist: unknown command %q", c))
		}
	}
	w, err := k.validateMembership()
	if err != nil {
		return nil, err
	}
	return append(warnings, w...), nil
}

// validateMembership checks the server list as ZooKeeper's
// parseDynamicConfig and checkValidity do.
func (k *Keeper) validateMembership() ([]string, error) {
	if k.DynamicConfigFile != "" && len(k.Servers) == 0 {
		// Membership comes from the dynamic file, not read yet.
		return nil, nil
	}
	var warnings []string
	participants, observers := 0, 0
	for i, s := range k.Servers {
		if i > 0 && k.Servers[i-1].ID >= s.ID {
			return nil, invalid(fmt.Sprintf("server.%d", s.ID), "servers must be unique and in ascending id order")
		}
		if s.Observer {
			observers++
		} else {
			participants++
		}
	}
	switch {
	case participants == 0:
		if !k.StandaloneEnabled {
			return nil, invalid("standaloneEnabled", "is false, so at least one participant server.N line is needed")
		}
		if observers > 0 {
			return nil, invalid("server", "observers without participants is an invalid configuration")
		}
	case participants == 1 && k.StandaloneEnabled:
		if observers > 0 {
			return nil, invalid("server", "observers without a quorum is an invalid configuration")
		}
		warnings = append(warnings, "only one server specified; running standalone (set standaloneEnabled=false for a one-server quorum)")
	default:
		if participants <= 2 {
			warnings = append(warnings, "no server failure will be tolerated; you need at least 3 servers")
		} else if participants%2 == 0 {
			warnings = append(warnings, "non-optimal configuration; consider an odd number of servers")
		}
	}
	if len(k.Groups) > 0 || len(k.Weights) > 0 {
		inGroup := map[int64]bool{}
		for _, ms := range k.Groups {
			for _, id := range ms {
				inGroup[id] = true
			}
		}
		if k.Weights == nil {
			k.Weights = map[int64]int64{}
		}
		for _, s := range k.Servers {
			if s.Observer {
				continue
			}
			if !inGroup[s.ID] {
				return nil, invalid(fmt.Sprintf("server.%d", s.ID), "server %d is not in a group", s.ID)
			}
			if _, ok := k.Weights[s.ID]; !ok {
				k.Weights[s.ID] = 1
			}
		}
	}
	if !k.Standalone() {
		if k.InitLimit == 0 {
			return nil, &KeyError{Key: "initLimit", Msg: "is not set (required for a quorum)", Err: ErrMissing}
		}
		if k.SyncLimit == 0 {
			return nil, &KeyError{Key: "syncLimit", Msg: "is not set (required for a quorum)", Err: ErrMissing}
		}
	}
	return warnings, nil
}

// SetServerID records this server's id (from myid) and, as ZooKeeper does,
// takes the client address from this server's server.N line when it has a
// client part (an error if clientPort/clientPortAddress say otherwise) and
// the role from the line (a warning if peerType says otherwise). In a quorum
// the id must have a server.N line.
func (k *Keeper) SetServerID(id int64) ([]string, error) {
	if id < 0 {
		return nil, fmt.Errorf("server id %d: %w: must not be negative", id, ErrInvalid)
	}
	if k.ExtendedTypesEnabled && id > MaxExtendedServerID {
		return nil, invalid("extendedTypesEnabled", "is true but server id %d is larger than %d", id, MaxExtendedServerID)
	}
	k.ServerID = id
	s, ok := k.Server(id)
	if !ok {
		if !k.Standalone() {
			return nil, fmt.Errorf("server id %d (myid): %w: no server.%d line", id, ErrInvalid, id)
		}
		return nil, nil
	}
	var warnings []string
	key := fmt.Sprintf("server.%d", id)
	if s.ClientPort != 0 {
		if k.ClientPort >= 0 {
			if k.ClientPort != s.ClientPort || (!isWildcard(k.ClientPortAddress) && !isWildcard(s.ClientHost) && k.ClientPortAddress != s.ClientHost) ||
				(!isWildcard(k.ClientPortAddress) && isWildcard(s.ClientHost)) {
				return nil, invalid(key, "client address %s differs from clientPort/clientPortAddress %s", s.ClientAddr(), k.ClientAddr())
			}
		}
		k.ClientPort = s.ClientPort
		k.ClientPortAddress = s.ClientHost
	}
	if s.Observer != k.Observer {
		warnings = append(warnings, fmt.Sprintf("peerType (%s) does not match %s (%s); using %s", role(k.Observer), key, role(s.Observer), key))
		k.Observer = s.Observer
	}
	return warnings, nil
}

func role(observer bool) string {
	if observer {
		return "observer"
	}
	return "participant"
}

func isWildcard(h string) bool {
	switch h {
	case "", "0.0.0.0", "::", "0:0:0:0:0:0:0:0":
		return true
	}
	return false
}

// Server returns the server.N entry with ID id.
func (k *Keeper) Server(id int64) (Server, bool) {
	for _, s := range k.Servers {
		if s.ID == id {
			return s, true
		}
	}
	return Server{}, false
}

// Standalone reports whether the keeper runs as a single server rather than
// in a quorum: standaloneEnabled is true and there is at most one
// participant server.N line.
func (k *Keeper) Standalone() bool {
	if !k.StandaloneEnabled {
		return false
	}
	participants := 0
	for _, s := range k.Servers {
		if !s.Observer {
			participants++
		}
	}
	return participants <= 1
}

// ClientAddr returns the host:port to listen on for clients (":port" for all
// interfaces), or "" when no client port is set.
func (k *Keeper) ClientAddr() string {
	if k.ClientPort < 0 {
		return ""
	}
	return net.JoinHostPort(k.ClientPortAddress, strconv.Itoa(k.ClientPort))
}

// AdminAddr returns the host:port of the admin server, or "" when it is
// disabled.
func (k *Keeper) AdminAddr() string {
	if !k.AdminEnableServer {
		return ""
	}
	return net.JoinHostPort(k.AdminServerAddress, strconv.Itoa(k.AdminServerPort))
}

// msDuration converts n ms to a Duration, saturating instead of
// overflowing.
func msDuration(n int64) time.Duration {
	const maxMs = math.MaxInt64 / int64(time.Millisecond)
	switch {
	case n > maxMs:
		return math.MaxInt64
	case n < -maxMs:
		return math.MinInt64
	}
	return time.Duration(n) * time.Millisecond
}

// TickDuration returns tickTime as a Duration.
func (k *Keeper) TickDuration() time.Duration { return msDuration(int64(k.TickTime)) }

// InitLimitDuration returns initLimit × tickTime.
func (k *Keeper) InitLimitDuration() time.Duration {
	return msDuration(int64(k.InitLimit) * int64(k.TickTime))
}

// SyncLimitDuration returns syncLimit × tickTime.
func (k *Keeper) SyncLimitDuration() time.Duration {
	return msDuration(int64(k.SyncLimit) * int64(k.TickTime))
}

// ConnectToLearnerMasterDuration returns connectToLearnerMasterLimit ×
// tickTime, or InitLimitDuration when the limit is 0.
func (k *Keeper) ConnectToLearnerMasterDuration() time.Duration {
	if k.ConnectToLearnerMasterLimit <= 0 {
		return k.InitLimitDuration()
	}
	return msDuration(int64(k.ConnectToLearnerMasterLimit) * int64(k.TickTime))
}

// MinSessionTimeoutDuration returns minSessionTimeout as a Duration (after
// Validate, never the -1 placeholder).
func (k *Keeper) MinSessionTimeoutDuration() time.Duration {
	return msDuration(int64(k.MinSessionTimeout))
}

// MaxSessionTimeoutDuration returns maxSessionTimeout as a Duration (after
// Validate, never the -1 placeholder).
func (k *Keeper) MaxSessionTimeoutDuration() time.Duration {
	return msDuration(int64(k.MaxSessionTimeout))
}

// PurgeIntervalDuration returns autopurge.purgeInterval as a Duration, or 0
// when autopurge is off.
func (k *Keeper) PurgeIntervalDuration() time.Duration {
	if k.PurgeInterval <= 0 {
		return 0
	}
	return time.Duration(k.PurgeInterval) * time.Hour
}

// knownFourLetterWord reports whether cmd is a ZooKeeper four-letter word.
func knownFourLetterWord(cmd string) bool {
	switch cmd {
	case "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk",
		"srst", "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash":
		return true
	}
	return false
}

// FourLetterWordEnabled reports whether the four-letter-word command cmd
// may run, as ZooKeeper decides it: "srvr" always; every known command when
// the whitelist holds "*"; otherwise the listed commands.
func (k *Keeper) FourLetterWordEnabled(cmd string) bool {
	if cmd == "srvr" {
		return true
	}
	for _, c := range k.FourLetterWords {
		if c == "*" && knownFourLetterWord(cmd) {
			return true
		}
		if c == cmd {
			return true
		}
	}
	return false
}

// Membership returns the membership in ZooKeeper's text form, as the conf
// command and the /zookeeper/config node show it: server.N=... lines in id
// order, then group.N and weight.N lines when hierarchical, then
// version=<hex>.
func (k *Keeper) Membership() []string {
	var lines []string
	for _, s := range k.Servers {
		lines = append(lines, fmt.Sprintf("server.%d=%s", s.ID, s))
	}
	if len(k.Groups) > 0 {
		type member struct{ sid, gid int64 }
		var ms []member
		gids := make([]int64, 0, len(k.Groups))
		for gid, ids := range k.Groups {
			gids = append(gids, gid)
			for _, id := range ids {
				ms = append(ms, member{id, gid})
			}
		}
		slices.Sort(gids)
		slices.SortFunc(ms, func(a, b member) int {
			switch {
			case a.sid < b.sid:
				return -1
			case a.sid > b.sid:
				return 1
			}
			return 0
		})
		for _, gid := range gids {
			var ids []string
			for _, m := range ms {
				if m.gid == gid {
					ids = append(ids, strconv.FormatInt(m.sid, 10))
				}
			}
			lines = append(lines, fmt.Sprintf("group.%d=%s", gid, strings.Join(ids, ":")))
		}
	}
	if len(k.Weights) > 0 {
		sids := make([]int64, 0, len(k.Weights))
		for sid := range k.Weights {
			sids = append(sids, sid)
		}
		slices.Sort(sids)
		for _, sid := range sids {
			lines = append(lines, fmt.Sprintf("weight.%d=%d", sid, k.Weights[sid]))
		}
	}
	return append(lines, "version="+strconv.FormatInt(k.ConfigVersion, 16))
}

// ConfRuntime carries the values of the conf four-letter word that only a
// running server knows. Zero fields are filled from the configuration.
type ConfRuntime struct {
	// ClientPort is the bound client port (0: the configured one).
	ClientPort int
	// DataDir and DataLogDir are the absolute snapshot and log
	// directories, which ZooKeeper shows with their "version-2" suffix
	// ("": DataDir/version-2 and DataLogDir/version-2 as configured).
	DataDir, DataLogDir string
	// DataDirSize and DataLogSize are the bytes used in those directories.
	DataDirSize, DataLogSize int64
}

// ConfLines returns the output of the conf four-letter word, one key=value
// per line in ZooKeeper's order: clientPort, secureClientPort (always -1:
// zkafka serves no TLS), dataDir, dataDirSize, dataLogDir, dataLogSize,
// tickTime, maxClientCnxns, minSessionTimeout, maxSessionTimeout,
// clientPortListenBacklog, serverId; in a quorum then initLimit, syncLimit,
// electionAlg, electionPort, quorumPort, peerType (0 participant, 1
// observer), "membership: " and the Membership lines.
func (k *Keeper) ConfLines(rt ConfRuntime) []string {
	clientPort := rt.ClientPort
	if clientPort == 0 {
		clientPort = k.ClientPort
	}
	dataDir, logDir := rt.DataDir, rt.DataLogDir
	if dataDir == "" {
		dataDir = filepath.Join(k.DataDir, "version-2")
	}
	if logDir == "" {
		l := k.DataLogDir
		if l == "" {
			l = k.DataDir
		}
		logDir = filepath.Join(l, "version-2")
	}
	standalone := k.Standalone()
	serverID := int64(0) // a standalone ZooKeeperServer reports 0
	if !standalone {
		serverID = k.ServerID
	}
	lines := []string{
		"clientPort=" + strconv.Itoa(clientPort),
		"secureClientPort=-1",
		"dataDir=" + dataDir,
		"dataDirSize=" + strconv.FormatInt(rt.DataDirSize, 10),
		"dataLogDir=" + logDir,
		"dataLogSize=" + strconv.FormatInt(rt.DataLogSize, 10),
		"tickTime=" + strconv.Itoa(k.TickTime),
		"maxClientCnxns=" + strconv.Itoa(k.MaxClientCnxns),
		"minSessionTimeout=" + strconv.Itoa(k.MinSessionTimeout),
		"maxSessionTimeout=" + strconv.Itoa(k.MaxSessionTimeout),
		"clientPortListenBacklog=" + strconv.Itoa(k.ClientPortListenBacklog),
		"serverId=" + strconv.FormatInt(serverID, 10),
	}
	if standalone {
		return lines
	}
	me, _ := k.Server(k.ServerID)
	peerType := "0"
	if me.Observer {
		peerType = "1"
	}
	lines = append(lines,
		"initLimit="+strconv.Itoa(k.InitLimit),
		"syncLimit="+strconv.Itoa(k.SyncLimit),
		"electionAlg="+strconv.Itoa(k.ElectionAlg),
		"electionPort="+strconv.Itoa(me.ElectionPort),
		"quorumPort="+strconv.Itoa(me.QuorumPort),
		"peerType="+peerType,
		"membership: ",
	)
	return append(lines, k.Membership()...)
}

// Lines returns the effective configuration as the conf four-letter word
// shows it, with no runtime values (see ConfLines).
func (k *Keeper) Lines() []string { return k.ConfLines(ConfRuntime{}) }

// ReadMyID reads dataDir/myid: one decimal server id, surrounding
// whitespace allowed. A missing file gives an error wrapping ErrNoMyID; any
// other content one wrapping ErrBadMyID. Both name the file.
func ReadMyID(dataDir string) (int64, error) {
	path := filepath.Join(dataDir, "myid")
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("%s: %w", path, ErrNoMyID)
		}
		return 0, fmt.Errorf("reading myid: %w", err)
	}
	return parseMyID(path, data)
}

// parseMyID parses the content of a myid file named path.
func parseMyID(path string, data []byte) (int64, error) {
	s := strings.TrimSpace(string(data))
	shown := s
	if len(shown) > 40 {
		shown = shown[:40] + "..."
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if s == "" {
			return 0, fmt.Errorf("%s: %w: the file is empty", path, ErrBadMyID)
		}
		return 0, fmt.Errorf("%s: %w: %q is not a server id", path, ErrBadMyID, shown)
	}
	if id < 0 {
		return 0, fmt.Errorf("%s: %w: server id %d must not be negative", path, ErrBadMyID, id)
	}
	return id, nil
}
