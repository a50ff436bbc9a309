package cluster

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Paths of Kafka's z-nodes, relative to the chroot of zookeeper.connect
// (kafka.zk.ZkData).
const (
	ClusterIDPath               = "/cluster/id"
	BrokersPath                 = "/brokers"
	BrokerIDsPath               = "/brokers/ids"
	TopicsPath                  = "/brokers/topics"
	BrokerSequenceIDPath        = "/brokers/seqid"
	ControllerPath              = "/controller"
	ControllerEpochPath         = "/controller_epoch"
	ConfigPath                  = "/config"
	ConfigChangesPath           = "/config/changes"
	AdminPath                   = "/admin"
	DeleteTopicsPath            = "/admin/delete_topics"
	IsrChangeNotificationPath   = "/isr_change_notification"
	LogDirEventNotificationPath = "/log_dir_event_notification"
	ProducerIDBlockPath         = "/latest_producer_id_block"
	FeaturePath                 = "/feature"
	ConsumersPath               = "/consumers"
)

// Prefixes of Kafka's sequential z-nodes (created PERSISTENT_SEQUENTIAL, so
// ZooKeeper appends a 10-digit counter).
const (
	ConfigChangePrefix = "config_change_"
	IsrChangePrefix    = "isr_change_"
	LogDirEventPrefix  = "log_dir_event_"
)

// Config entity types: the children of /config (kafka ConfigType).
const (
	ConfigTypeTopic  = "topics"
	ConfigTypeClient = "clients"
	ConfigTypeUser   = "users"
	ConfigTypeBroker = "brokers"
	ConfigTypeIP     = "ips"
)

// Versions Kafka 3.x writes into its z-nodes.
const (
	BrokerInfoVersion      = 5 // /brokers/ids/<id>
	TopicAssignmentVersion = 3 // /brokers/topics/<t>
	PartitionStateVersion  = 1 // /brokers/topics/<t>/partitions/<p>/state
	ControllerVersion      = 2 // /controller (3.4+; adds kraftControllerEpoch)
	EntityConfigVersion    = 1 // /config/<type>/<name>
	ConfigChangeVersion    = 2 // /config/changes/config_change_<seq>
	IsrChangeVersion       = 1 // /isr_change_notification/isr_change_<seq>
	LogDirEventVersion     = 1 // /log_dir_event_notification/log_dir_event_<seq>
	ProducerIDBlockVersion = 1 // /latest_producer_id_block
	FeatureVersionV1       = 1 // /feature with min_version_level (IBP < 3.3)
	FeatureVersionV2       = 2 // /feature, max_version_level only (IBP 3.3+)
	ClusterIDVersion       = "1"
)

// Values with a meaning in the z-nodes.
const (
	NoLeader                   int32 = -1   // PartitionState.Leader of an offline partition
	NoKRaftControllerEpoch     int32 = -1   // ControllerInfo.KRaftControllerEpoch in ZK mode
	InitialControllerEpoch     int32 = 0    // /controller_epoch when first created
	LeaderRecoveryRecovered    int8  = 0    // leader_recovery_state RECOVERED (not written)
	LeaderRecoveryRecovering   int8  = 1    // leader_recovery_state RECOVERING
	FeatureStatusDisabled      int32 = 0    // /feature "status": versioning disabled
	FeatureStatusEnabled       int32 = 1    // /feature "status": versioning enabled
	LogDirFailureEvent         int32 = 1    // log dir event "event": a log dir failed
	DefaultJMXPort             int32 = -1   // jmx_port without JMX
	DefaultMaxReservedBrokerID int32 = 1000 // reserved.broker.max.id
)

// ErrMalformed is returned by every decoder for data Kafka could not read.
var ErrMalformed = errors.New("cluster: malformed z-node data")

// PersistentPaths returns the paths Kafka makes sure exist at startup
// (ZkData.PersistentZkPaths), in Kafka's order.
func PersistentPaths() []string {
	return []string{
		ConsumersPath,
		BrokerIDsPath,
		TopicsPath,
		ConfigChangesPath,
		DeleteTopicsPath,
		BrokerSequenceIDPath,
		IsrChangeNotificationPath,
		ProducerIDBlockPath,
		LogDirEventNotificationPath,
		ConfigPath + "/" + ConfigTypeTopic,
		ConfigPath + "/" + ConfigTypeClient,
		ConfigPath + "/" + ConfigTypeUser,
		ConfigPath + "/" + ConfigTypeBroker,
		ConfigPath + "/" + ConfigTypeIP,
	}
}

// BrokerPath is /brokers/ids/<id>.
func BrokerPath(id int32) string { return BrokerIDsPath + "/" + strconv.Itoa(int(id)) }

// TopicPath is /brokers/topics/<topic>.
func TopicPath(topic string) string { return TopicsPath + "/" + topic }

// TopicPartitionsPath is /brokers/topics/<topic>/partitions.
func TopicPartitionsPath(topic string) string { return TopicPath(topic) + "/partitions" }

// PartitionPath is /brokers/topics/<topic>/partitions/<p>.
func PartitionPath(topic string, p int32) string {
	return TopicPartitionsPath(topic) + "/" + strconv.Itoa(int(p))
}

// PartitionStatePath is /brokers/topics/<topic>/partitions/<p>/state.
func PartitionStatePath(topic string, p int32) string { return PartitionPath(topic, p) + "/state" }

// EntityConfigPath is /config/<entityType>/<name>.
func EntityConfigPath(entityType, name string) string {
	return ConfigPath + "/" + entityType + "/" + name
}

// TopicConfigPath is /config/topics/<topic>.
func TopicConfigPath(topic string) string { return EntityConfigPath(ConfigTypeTopic, topic) }

// DeleteTopicPath is /admin/delete_topics/<topic>; the node holds no data.
func DeleteTopicPath(topic string) string { return DeleteTopicsPath + "/" + topic }

// ---- UUID ----

// UUID is Kafka's 128-bit id (org.apache.kafka.common.Uuid): topic ids,
// and the cluster id's format. Its text form is URL-safe base64 without
// padding, 22 characters.
type UUID [16]byte

// String returns u in Kafka's base64 form.
func (u UUID) String() string { return base64.RawURLEncoding.EncodeToString(u[:]) }

// IsZero reports whether u is Kafka's ZERO_UUID (a topic without an id).
func (u UUID) IsZero() bool { return u == UUID{} }

// ParseUUID parses Kafka's base64 form (padding optional, as Java's URL
// decoder allows).
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) > 24 {
		return u, fmt.Errorf("%w: uuid %q is too long to be a base64 UUID", ErrMalformed, s)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return u, fmt.Errorf("%w: uuid %q: %w", ErrMalformed, s, err)
	}
	if len(b) != 16 {
		return u, fmt.Errorf("%w: uuid %q decodes to %d bytes, not 16", ErrMalformed, s, len(b))
	}
	copy(u[:], b)
	return u, nil
}

// randomUUID reads a version-4 UUID from r (java.util.UUID.randomUUID).
// With topicID it also skips the ids Uuid.randomUuid never returns: zero,
// one (both reserved) and those whose text starts with '-'.
func randomUUID(r io.Reader, topicID bool) (UUID, error) {
	for {
		var u UUID
		if _, err := io.ReadFull(r, u[:]); err != nil {
			return u, fmt.Errorf("cluster: random uuid: %w", err)
		}
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		one := UUID{15: 1}
		if topicID && (u.IsZero() || u == one || strings.HasPrefix(u.String(), "-")) {
			continue
		}
		return u, nil
	}
}

// ---- /cluster/id ----

// EncodeClusterID encodes /cluster/id: {"version":"1","id":"<id>"}.
func EncodeClusterID(id string) []byte {
	return newObject().str("version", ClusterIDVersion).str("id", id).bytes()
}

// DecodeClusterID decodes /cluster/id.
func DecodeClusterID(data []byte) (string, error) {
	f, err := parseObject("cluster id", data)
	if err != nil {
		return "", err
	}
	return f.string("id")
}

// ---- /brokers/ids/<id> ----

// Security protocols a listener can use.
const (
	ProtocolPlaintext     = "PLAINTEXT"
	ProtocolSSL           = "SSL"
	ProtocolSASLPlaintext = "SASL_PLAINTEXT"
	ProtocolSASLSSL       = "SASL_SSL"
)

func validProtocol(p string) bool {
	switch p {
	case ProtocolPlaintext, ProtocolSSL, ProtocolSASLPlaintext, ProtocolSASLSSL:
		return true
	}
	return false
}

// Endpoint is one advertised listener of a broker.
type Endpoint struct {
	Listener         string // listener name, upper case ("PLAINTEXT", "INTERNAL")
	SecurityProtocol string // one of the Protocol constants
	Host             string // "" for the wildcard address (Kafka's null host)
	Port             int32
}

// String is Kafka's connection string: "LISTENER://host:port", IPv6 hosts
// in brackets, ":port" for the wildcard host.
func (e Endpoint) String() string {
	hostport := ":" + strconv.Itoa(int(e.Port))
	if e.Host != "" {
		if strings.Contains(e.Host, ":") {
			hostport = "[" + e.Host + "]" + hostport
		} else {
			hostport = e.Host + hostport
		}
	}
	return e.Listener + "://" + hostport
}

var endpointRE = regexp.MustCompile(`^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$`)

// endpointHostRE is the host part endpointRE accepts.
var endpointHostRE = regexp.MustCompile(`^[0-9a-zA-Z\-%._:]*$`)

// ParseEndpoint parses "LISTENER://host:port" as Kafka does. protocols maps
// listener names to security protocols (listener.security.protocol.map);
// nil means each protocol name is its own listener. The listener name is
// upper-cased.
func ParseEndpoint(s string, protocols map[string]string) (Endpoint, error) {
	m := endpointRE.FindStringSubmatch(s)
	if m == nil {
		return Endpoint{}, fmt.Errorf("%w: unable to parse %q to a broker endpoint", ErrMalformed, s)
	}
	port, err := strconv.ParseInt(m[3], 10, 32)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%w: endpoint %q: %w", ErrMalformed, s, err)
	}
	listener := strings.ToUpper(m[1])
	var proto string
	if protocols == nil {
		if validProtocol(listener) {
			proto = listener
		}
	} else {
		proto = protocols[listener]
	}
	if proto == "" {
		return Endpoint{}, fmt.Errorf("%w: no security protocol defined for listener %s", ErrMalformed, listener)
	}
	return Endpoint{Listener: listener, SecurityProtocol: proto, Host: m[2], Port: int32(port)}, nil
}

// VersionRange is a supported feature version range of a broker.
type VersionRange struct{ Min, Max int16 }

// BrokerInfo is the registration of a live broker at /brokers/ids/<id>.
type BrokerInfo struct {
	ID        int32 // from the path, not the JSON
	Version   int32 // JSON "version" as read; encoding always writes BrokerInfoVersion
	Endpoints []Endpoint
	// Host and Port are the legacy top-level fields: the first PLAINTEXT
	// endpoint, or ("", -1). Encoding derives them from Endpoints.
	Host      string
	Port      int32
	JMXPort   int32
	Rack      string // "" = no rack
	Timestamp int64  // registration time, ms since the epoch
	Features  map[string]VersionRange
}

// EncodeBrokerInfo encodes b as Kafka 3.x registers a broker (version 5),
// member order as Kafka writes it:
//
//	{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},
//	 "endpoints":["PLAINTEXT://host:9092"],"rack":"r1","jmx_port":-1,"port":9092,
//	 "host":"host","version":5,"timestamp":"1700000000000"}
func EncodeBrokerInfo(b BrokerInfo) []byte {
	host, port := "", int32(-1)
	for _, e := range b.Endpoints {
		if e.SecurityProtocol == ProtocolPlaintext {
			host, port = e.Host, e.Port
			break
		}
	}
	var listeners []string
	protos := map[string]string{}
	for _, e := range b.Endpoints {
		if _, ok := protos[e.Listener]; !ok {
			listeners = append(listeners, e.Listener)
		}
		protos[e.Listener] = e.SecurityProtocol
	}
	lspm := newObject()
	for _, l := range scalaImmutableMapOrder(listeners) {
		lspm.str(l, protos[l])
	}
	eps := []byte{'['}
	for i, e := range b.Endpoints {
		if i > 0 {
			eps = append(eps, ',')
		}
		eps = appendJSONString(eps, e.String())
	}
	eps = append(eps, ']')

	o := newObject().
		raw("features", encodeSupportedFeatures(b.Features)).
		raw("listener_security_protocol_map", lspm.bytes()).
		raw("endpoints", eps)
	if b.Rack != "" {
		o.str("rack", b.Rack)
	}
	o.int("jmx_port", int64(b.JMXPort)).int("port", int64(port))
	if host == "" {
		o.null("host")
	} else {
		o.str("host", host)
	}
	return o.int("version", BrokerInfoVersion).str("timestamp", strconv.FormatInt(b.Timestamp, 10)).bytes()
}

func encodeSupportedFeatures(fs map[string]VersionRange) []byte {
	names := make([]string, 0, len(fs))
	for n := range fs {
		names = append(names, n)
	}
	slices.Sort(names)
	o := newObject()
	for _, n := range javaHashOrder(names) {
		r := fs[n]
		vr := newObject()
		for _, k := range javaHashOrder([]string{"min_version", "max_version"}) {
			if k == "min_version" {
				vr.int(k, int64(r.Min))
			} else {
				vr.int(k, int64(r.Max))
			}
		}
		o.raw(n, vr.bytes())
	}
	return o.bytes()
}

// DecodeBrokerInfo decodes the registration of broker id, any version
// Kafka reads (1 and up, including future versions).
func DecodeBrokerInfo(id int32, data []byte) (BrokerInfo, error) {
	b := BrokerInfo{ID: id, Port: -1}
	f, err := parseObject("broker registration", data)
	if err != nil {
		return b, err
	}
	if b.Version, err = f.int32("version"); err != nil {
		return b, err
	}
	if b.JMXPort, err = f.int32("jmx_port"); err != nil {
		return b, err
	}
	if b.Version < 1 {
		return b, fmt.Errorf("%w: unsupported version %d of broker registration", ErrMalformed, b.Version)
	}
	if f.present("host") {
		if b.Host, err = f.string("host"); err != nil {
			return b, err
		}
	}
	if f.present("port") {
		if b.Port, err = f.int32("port"); err != nil {
			return b, err
		}
	}
	if b.Version == 1 {
		if _, err := f.require("host"); err != nil {
			return b, err
		}
		if _, err := f.require("port"); err != nil {
			return b, err
		}
		// Kafka takes a version 1 host as it is; one its endpoint parser
		// would refuse could never be written back, so refuse it here.
		if !endpointHostRE.MatchString(b.Host) {
			return b, fmt.Errorf("%w: broker %d: host %q", ErrMalformed, id, b.Host)
		}
		b.Endpoints = []Endpoint{{Listener: ProtocolPlaintext, SecurityProtocol: ProtocolPlaintext, Host: b.Host, Port: b.Port}}
	} else {
		var protos map[string]string
		if f.present("listener_security_protocol_map") {
			m, err := f.object("listener_security_protocol_map")
			if err != nil {
				return b, err
			}
			protos = make(map[string]string, len(m))
			for k, raw := range m {
				v, err := strictString("listener_security_protocol_map", raw)
				if err != nil {
					return b, err
				}
				v = strings.ToUpper(v)
				if !validProtocol(v) {
					return b, fmt.Errorf("%w: unknown security protocol %q", ErrMalformed, v)
				}
				protos[strings.ToUpper(k)] = v
			}
		}
		raw, err := f.require("endpoints")
		if err != nil {
			return b, err
		}
		var eps []json.RawMessage
		if err := json.Unmarshal(raw, &eps); err != nil {
			return b, fmt.Errorf("%w: member \"endpoints\": %w", ErrMalformed, err)
		}
		list := make([]string, len(eps))
		for i, r := range eps {
			if list[i], err = strictString("endpoints", r); err != nil {
				return b, err
			}
		}
		// Kafka joins the list with commas and parses it as a CSV list.
		for _, s := range strings.Split(strings.TrimSpace(strings.Join(list, ",")), ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			e, err := ParseEndpoint(s, protos)
			if err != nil {
				return b, err
			}
			b.Endpoints = append(b.Endpoints, e)
		}
	}
	if f.present("rack") {
		if b.Rack, err = f.string("rack"); err != nil {
			return b, err
		}
	}
	if f.present("timestamp") { // Kafka does not read it; keep it when it parses
		if ts, err := strictLongString("timestamp", f["timestamp"]); err == nil {
			b.Timestamp = ts
		}
	}
	if f.present("features") {
		fs, err := f.object("features")
		if err != nil {
			return b, err
		}
		b.Features = make(map[string]VersionRange, len(fs))
		for name, raw := range fs {
			var r fields
			if err := json.Unmarshal(raw, &r); err != nil || r == nil {
				return b, fmt.Errorf("%w: feature %q is not an object", ErrMalformed, name)
			}
			lo, err := r.int32("min_version")
			if err != nil {
				return b, err
			}
			hi, err := r.int32("max_version")
			if err != nil {
				return b, err
			}
			if lo < 0 || hi < lo || hi > 0x7fff {
				return b, fmt.Errorf("%w: feature %q has version range [%d, %d]", ErrMalformed, name, lo, hi)
			}
			b.Features[name] = VersionRange{Min: int16(lo), Max: int16(hi)}
		}
	}
	return b, nil
}

// ---- /brokers/topics/<topic> ----

// ReplicaAssignment is the replica list of one partition, with the replicas
// being added and removed by a reassignment in progress.
type ReplicaAssignment struct {
	Replicas         []int32
	AddingReplicas   []int32
	RemovingReplicas []int32
}

// TopicAssignment is the content of /brokers/topics/<topic>.
type TopicAssignment struct {
	Topic      string // from the path
	ID         UUID   // zero when the node has no topic_id
	Partitions map[int32]ReplicaAssignment
}

// EncodeTopicAssignment encodes a topic node as Kafka 3.x writes it
// (version 3; topic_id only when a.ID is set):
//
//	{"partitions":{"0":[1,2]},"topic_id":"...","adding_replicas":{},"removing_replicas":{},"version":3}
func EncodeTopicAssignment(a TopicAssignment) []byte {
	ps := make([]int32, 0, len(a.Partitions))
	for p := range a.Partitions {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	replicas := map[string][]int32{}
	adding := map[string][]int32{}
	removing := map[string][]int32{}
	var keys, addKeys, remKeys []string
	for _, p := range ps {
		k := strconv.Itoa(int(p))
		ra := a.Partitions[p]
		replicas[k] = ra.Replicas
		keys = append(keys, k)
		if len(ra.AddingReplicas) > 0 {
			adding[k] = ra.AddingReplicas
			addKeys = append(addKeys, k)
		}
		if len(ra.RemovingReplicas) > 0 {
			removing[k] = ra.RemovingReplicas
			remKeys = append(remKeys, k)
		}
	}
	intMap := func(keys []string, m map[string][]int32) []byte {
		o := newObject()
		for _, k := range scalaMutableMapOrder(keys, 16) {
			o.ints(k, m[k])
		}
		return o.bytes()
	}
	o := newObject().raw("partitions", intMap(keys, replicas))
	if !a.ID.IsZero() {
		o.str("topic_id", a.ID.String())
	}
	return o.raw("adding_replicas", intMap(addKeys, adding)).
		raw("removing_replicas", intMap(remKeys, removing)).
		int("version", TopicAssignmentVersion).bytes()
}

// DecodeTopicAssignment decodes /brokers/topics/<topic> (any version).
// Empty data decodes to a topic without partitions, as in Kafka.
func DecodeTopicAssignment(topic string, data []byte) (TopicAssignment, error) {
	a := TopicAssignment{Topic: topic, Partitions: map[int32]ReplicaAssignment{}}
	if len(data) == 0 {
		return a, nil
	}
	f, err := parseObject("topic "+topic, data)
	if err != nil {
		return a, err
	}
	if f.present("topic_id") {
		s, err := f.string("topic_id")
		if err != nil {
			return a, err
		}
		if a.ID, err = ParseUUID(s); err != nil {
			return a, err
		}
	}
	var adding, removing fields
	if _, ok := f["adding_replicas"]; ok {
		if adding, err = f.object("adding_replicas"); err != nil {
			return a, err
		}
	}
	if _, ok := f["removing_replicas"]; ok {
		if removing, err = f.object("removing_replicas"); err != nil {
			return a, err
		}
	}
	if _, ok := f["partitions"]; !ok {
		return a, nil
	}
	parts, err := f.object("partitions")
	if err != nil {
		return a, err
	}
	for k, raw := range parts {
		p, err := strconv.ParseInt(k, 10, 32)
		if err != nil {
			return a, fmt.Errorf("%w: partition %q: %w", ErrMalformed, k, err)
		}
		var ra ReplicaAssignment
		if ra.Replicas, err = strictInt32s("partitions", raw); err != nil {
			return a, err
		}
		if r, ok := adding[k]; ok {
			if ra.AddingReplicas, err = strictInt32s("adding_replicas", r); err != nil {
				return a, err
			}
		}
		if r, ok := removing[k]; ok {
			if ra.RemovingReplicas, err = strictInt32s("removing_replicas", r); err != nil {
				return a, err
			}
		}
		a.Partitions[int32(p)] = ra
	}
	return a, nil
}

// ---- /brokers/topics/<topic>/partitions/<p>/state ----

// PartitionState is the leader and ISR of one partition
// (LeaderIsrAndControllerEpoch).
type PartitionState struct {
	Leader              int32 // NoLeader when offline
	LeaderEpoch         int32
	ISR                 []int32
	ControllerEpoch     int32 // epoch of the controller that wrote it
	LeaderRecoveryState int8  // LeaderRecoveryRecovered or LeaderRecoveryRecovering
	ZkVersion           int32 // data version of the z-node (from its stat, not the JSON)
}

// EncodePartitionState encodes a state node as Kafka 3.x writes it
// (leader_recovery_state only when not recovered):
//
//	{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2]}
func EncodePartitionState(s PartitionState) []byte {
	o := newObject().int("controller_epoch", int64(s.ControllerEpoch)).
		int("leader", int64(s.Leader)).
		int("version", PartitionStateVersion)
	if s.LeaderRecoveryState != LeaderRecoveryRecovered {
		o.int("leader_recovery_state", int64(s.LeaderRecoveryState))
	}
	isr := s.ISR
	if isr == nil {
		isr = []int32{}
	}
	return o.int("leader_epoch", int64(s.LeaderEpoch)).ints("isr", isr).bytes()
}

// DecodePartitionState decodes a state node; ZkVersion is left zero for
// the caller to fill from the stat.
func DecodePartitionState(data []byte) (PartitionState, error) {
	var s PartitionState
	f, err := parseObject("partition state", data)
	if err != nil {
		return s, err
	}
	if s.Leader, err = f.int32("leader"); err != nil {
		return s, err
	}
	if s.LeaderEpoch, err = f.int32("leader_epoch"); err != nil {
		return s, err
	}
	if s.ISR, err = f.int32s("isr"); err != nil {
		return s, err
	}
	if f.present("leader_recovery_state") {
		v, err := f.int32("leader_recovery_state")
		if err != nil {
			return s, err
		}
		if v != int32(LeaderRecoveryRecovered) && v != int32(LeaderRecoveryRecovering) {
			return s, fmt.Errorf("%w: unknown leader_recovery_state %d", ErrMalformed, v)
		}
		s.LeaderRecoveryState = int8(v)
	}
	if s.ControllerEpoch, err = f.int32("controller_epoch"); err != nil {
		return s, err
	}
	return s, nil
}

// ---- /controller and /controller_epoch ----

// ControllerInfo is the content of /controller.
type ControllerInfo struct {
	Version              int32
	BrokerID             int32
	Timestamp            int64 // ms since the epoch
	KRaftControllerEpoch int32 // NoKRaftControllerEpoch in ZK mode
}

// EncodeController encodes /controller as Kafka 3.4+ writes it:
//
//	{"version":2,"brokerid":1,"timestamp":"1700000000000","kraftControllerEpoch":-1}
func EncodeController(brokerID int32, timestampMs int64) []byte {
	return newObject().int("version", ControllerVersion).
		int("brokerid", int64(brokerID)).
		str("timestamp", strconv.FormatInt(timestampMs, 10)).
		int("kraftControllerEpoch", int64(NoKRaftControllerEpoch)).bytes()
}

// DecodeController decodes /controller (version 1 or 2).
func DecodeController(data []byte) (ControllerInfo, error) {
	c := ControllerInfo{KRaftControllerEpoch: NoKRaftControllerEpoch}
	f, err := parseObject("controller", data)
	if err != nil {
		return c, err
	}
	if c.BrokerID, err = f.int32("brokerid"); err != nil {
		return c, err
	}
	if f.present("version") {
		if c.Version, err = f.int32("version"); err != nil {
			return c, err
		}
	}
	if f.present("kraftControllerEpoch") {
		if c.KRaftControllerEpoch, err = f.int32("kraftControllerEpoch"); err != nil {
			return c, err
		}
	}
	if f.present("timestamp") {
		if ts, err := strictLongString("timestamp", f["timestamp"]); err == nil {
			c.Timestamp = ts
		}
	}
	return c, nil
}

// EncodeControllerEpoch encodes /controller_epoch: the epoch as decimal text.
func EncodeControllerEpoch(epoch int32) []byte { return []byte(strconv.Itoa(int(epoch))) }

// DecodeControllerEpoch decodes /controller_epoch.
func DecodeControllerEpoch(data []byte) (int32, error) {
	v, err := strconv.ParseInt(string(data), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: controller epoch %q: %w", ErrMalformed, data, err)
	}
	return int32(v), nil
}

// ---- /config/<type>/<name> and /config/changes ----

// EncodeEntityConfig encodes a config node: {"version":1,"config":{"k":"v"}},
// keys in the order java.util.Properties iterates them.
func EncodeEntityConfig(config map[string]string) []byte {
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	c := newObject()
	for _, k := range javaHashOrder(keys) {
		c.str(k, config[k])
	}
	return newObject().int("version", EntityConfigVersion).raw("config", c.bytes()).bytes()
}

// DecodeEntityConfig decodes a config node. As in Kafka, empty data, a
// non-object or a missing "config" member is an empty config; a value that
// is not a string is an error.
func DecodeEntityConfig(data []byte) (map[string]string, error) {
	config := map[string]string{}
	if len(data) == 0 {
		return config, nil
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%w: config: %w", ErrMalformed, err)
	}
	top, ok := v.(map[string]any)
	if !ok {
		return config, nil
	}
	c, ok := top["config"].(map[string]any)
	if !ok {
		return config, nil
	}
	for k, x := range c {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("%w: config %q is not a string", ErrMalformed, k)
		}
		config[k] = s
	}
	return config, nil
}

// ConfigChange is a config change notification: the entity whose config
// changed.
type ConfigChange struct {
	EntityType string // a ConfigType constant
	EntityName string // sanitized name; "<user>/clients/<client>" for nested user/client quotas
}

func validConfigType(t string) bool {
	switch t {
	case ConfigTypeTopic, ConfigTypeClient, ConfigTypeUser, ConfigTypeBroker, ConfigTypeIP:
		return true
	}
	return false
}

// EncodeConfigChange encodes a notification as Kafka writes it (version 2):
// {"version":2,"entity_path":"topics/foo"}.
func EncodeConfigChange(c ConfigChange) []byte {
	return newObject().int("version", ConfigChangeVersion).
		str("entity_path", c.EntityType+"/"+c.EntityName).bytes()
}

// DecodeConfigChange decodes a notification of version 1
// ({"entity_type":..,"entity_name":..}) or 2 ({"entity_path":..}).
func DecodeConfigChange(data []byte) (ConfigChange, error) {
	var c ConfigChange
	f, err := parseObject("config change", data)
	if err != nil {
		return c, err
	}
	v, err := f.int32("version")
	if err != nil {
		return c, err
	}
	switch v {
	case 1:
		if c.EntityType, err = f.string("entity_type"); err != nil {
			return c, err
		}
		if c.EntityName, err = f.string("entity_name"); err != nil {
			return c, err
		}
	case 2:
		p, err := f.string("entity_path")
		if err != nil {
			return c, err
		}
		i := strings.IndexByte(p, '/')
		if i < 0 {
			return c, fmt.Errorf("%w: entity_path %q has no entity type", ErrMalformed, p)
		}
		c.EntityType, c.EntityName = p[:i], p[i+1:]
	default:
		return c, fmt.Errorf("%w: config change notification has unsupported version %d", ErrMalformed, v)
	}
	if !validConfigType(c.EntityType) {
		return c, fmt.Errorf("%w: unknown config entity type %q", ErrMalformed, c.EntityType)
	}
	return c, nil
}

// ---- /isr_change_notification, /log_dir_event_notification ----

// TopicPartition names one partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// EncodeIsrChange encodes an ISR change notification:
// {"version":1,"partitions":[{"topic":"t","partition":0}]}.
func EncodeIsrChange(partitions []TopicPartition) []byte {
	arr := []byte{'['}
	for i, tp := range partitions {
		if i > 0 {
			arr = append(arr, ',')
		}
		arr = append(arr, newObject().str("topic", tp.Topic).int("partition", int64(tp.Partition)).bytes()...)
	}
	arr = append(arr, ']')
	return newObject().int("version", IsrChangeVersion).raw("partitions", arr).bytes()
}

// DecodeIsrChange decodes an ISR change notification.
func DecodeIsrChange(data []byte) ([]TopicPartition, error) {
	f, err := parseObject("isr change", data)
	if err != nil {
		return nil, err
	}
	raw, err := f.require("partitions")
	if err != nil {
		return nil, err
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fmt.Errorf("%w: member \"partitions\": %w", ErrMalformed, err)
	}
	out := make([]TopicPartition, 0, len(elems))
	for _, e := range elems {
		var pf fields
		if err := json.Unmarshal(e, &pf); err != nil || pf == nil {
			return nil, fmt.Errorf("%w: isr change partition is not an object", ErrMalformed)
		}
		var tp TopicPartition
		if tp.Topic, err = pf.string("topic"); err != nil {
			return nil, err
		}
		if tp.Partition, err = pf.int32("partition"); err != nil {
			return nil, err
		}
		out = append(out, tp)
	}
	return out, nil
}

// EncodeLogDirEvent encodes a log dir failure notification:
// {"version":1,"broker":1,"event":1}.
func EncodeLogDirEvent(brokerID int32) []byte {
	return newObject().int("version", LogDirEventVersion).int("broker", int64(brokerID)).
		int("event", int64(LogDirFailureEvent)).bytes()
}

// DecodeLogDirEvent decodes a log dir failure notification: the broker id.
func DecodeLogDirEvent(data []byte) (int32, error) {
	f, err := parseObject("log dir event", data)
	if err != nil {
		return 0, err
	}
	return f.int32("broker")
}

// ---- /latest_producer_id_block ----

// ProducerIDBlock is the last block of producer ids handed out
// (ProducerIdsBlock): [Start, End] to BrokerID.
type ProducerIDBlock struct {
	BrokerID   int32
	Start, End int64 // inclusive
}

// EncodeProducerIDBlock encodes the block:
// {"version":1,"broker":0,"block_start":"0","block_end":"999"}.
func EncodeProducerIDBlock(b ProducerIDBlock) []byte {
	return newObject().int("version", ProducerIDBlockVersion).int("broker", int64(b.BrokerID)).
		str("block_start", strconv.FormatInt(b.Start, 10)).
		str("block_end", strconv.FormatInt(b.End, 10)).bytes()
}

// DecodeProducerIDBlock decodes the block. Its size must fit an int, as
// Kafka requires.
func DecodeProducerIDBlock(data []byte) (ProducerIDBlock, error) {
	var b ProducerIDBlock
	f, err := parseObject("producer id block", data)
	if err != nil {
		return b, err
	}
	if b.BrokerID, err = f.int32("broker"); err != nil {
		return b, err
	}
	raw, err := f.require("block_start")
	if err != nil {
		return b, err
	}
	if b.Start, err = strictLongString("block_start", raw); err != nil {
		return b, err
	}
	if raw, err = f.require("block_end"); err != nil {
		return b, err
	}
	if b.End, err = strictLongString("block_end", raw); err != nil {
		return b, err
	}
	if size := b.End - b.Start + 1; size < math.MinInt32 || size > math.MaxInt32 {
		return b, fmt.Errorf("%w: producer id block [%d, %d] has no int size", ErrMalformed, b.Start, b.End)
	}
	return b, nil
}

// ---- /feature ----

// FeatureNode is the content of /feature: the finalized features of the
// cluster (KIP-584).
type FeatureNode struct {
	Version  int32 // FeatureVersionV1 or FeatureVersionV2
	Status   int32 // FeatureStatusEnabled or FeatureStatusDisabled
	Features map[string]int16
}

// EncodeFeature encodes /feature as Kafka writes it:
// {"features":{"f":{"max_version_level":1}},"version":2,"status":1}
// (version 1 adds "min_version_level", equal to the max).
func EncodeFeature(n FeatureNode) []byte {
	names := make([]string, 0, len(n.Features))
	for k := range n.Features {
		names = append(names, k)
	}
	slices.Sort(names)
	fs := newObject()
	for _, k := range scalaImmutableMapOrder(names) {
		v := newObject().int("max_version_level", int64(n.Features[k]))
		if n.Version == FeatureVersionV1 {
			v.int("min_version_level", int64(n.Features[k]))
		}
		fs.raw(k, v.bytes())
	}
	return newObject().raw("features", fs.bytes()).int("version", int64(n.Version)).
		int("status", int64(n.Status)).bytes()
}

// DecodeFeature decodes /feature with Kafka's checks.
func DecodeFeature(data []byte) (FeatureNode, error) {
	var n FeatureNode
	f, err := parseObject("feature", data)
	if err != nil {
		return n, err
	}
	if n.Version, err = f.int32("version"); err != nil {
		return n, err
	}
	if n.Version < FeatureVersionV1 || n.Version > FeatureVersionV2 {
		return n, fmt.Errorf("%w: unsupported feature node version %d", ErrMalformed, n.Version)
	}
	if n.Status, err = f.int32("status"); err != nil {
		return n, err
	}
	if n.Status != FeatureStatusDisabled && n.Status != FeatureStatusEnabled {
		return n, fmt.Errorf("%w: malformed feature status %d", ErrMalformed, n.Status)
	}
	fs, err := f.object("features")
	if err != nil {
		return n, err
	}
	n.Features = make(map[string]int16, len(fs))
	for name, raw := range fs {
		var r fields
		if err := json.Unmarshal(raw, &r); err != nil || r == nil {
			return n, fmt.Errorf("%w: feature %q is not an object", ErrMalformed, name)
		}
		hi, err := r.int32("max_version_level")
		if err != nil {
			return n, err
		}
		if n.Version == FeatureVersionV1 {
			lo, err := r.int32("min_version_level")
			if err != nil {
				return n, err
			}
			if lo < 1 || hi < lo {
				return n, fmt.Errorf("%w: feature %q has levels [%d, %d]", ErrMalformed, name, lo, hi)
			}
		}
		if hi < 1 || hi > 0x7fff {
			return n, fmt.Errorf("%w: feature %q has max level %d", ErrMalformed, name, hi)
		}
		n.Features[name] = int16(hi)
	}
	return n, nil
}
