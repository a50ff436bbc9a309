package server

// Dynamic membership: the reconfig operation and /zookeeper/config
// (issue 4, item 6).
//
// # /zookeeper/config
//
// Every member keeps the ensemble in ZooKeeper's text form in the data of
// /zookeeper/config, as QuorumVerifier.toString writes it:
//
//	server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181
//	server.2=...
//	version=100000000
//
// (lines joined by '\n', no newline at the end), with data version -1 and
// mzxid = the version, as ZooKeeper's reconfig txn leaves it. The text is
// part of the replicated tree: every member rewrites it when it applies a
// membership entry of the raft log (Apply → applyConf), from the entry
// alone, so every replica holds the same bytes:
//
//   - the members are the raft membership after the entry (voters are
//     participants, learners observers);
//   - each member's line comes from the entry's data (a reconfig carries
//     the new configuration's lines), else from the text before, else from
//     this member's server.N lines (EnsembleOptions.Servers: the bootstrap
//     entries of a new ensemble carry none), else it is made of the peer
//     address with election port 0;
//   - the version is the entry's zxid for a reconfig, 0x100000000 for the
//     initial configuration (the bootstrap entries are raft term 1, the
//     first epoch: what Apache ZooKeeper 3.8 shows with reconfigEnabled;
//     without it Apache shows version=0 and mzxid 0, and so do we),
//     and unchanged for raft's own entry that leaves a joint configuration.
//
// # reconfig
//
// With reconfigEnabled (else ReconfigDisabled, as ZooKeeper), a member
// checks a reconfig in PrepRequestProcessor's order, after syncing with the
// leader so that it judges the newest configuration: a joint configuration
// not yet left is ReconfigInProgress; curConfigId other than -1 and the
// current version is BadVersion; joiningServers/leavingServers (incremental)
// or newMembers (the whole new list, read as Apache reads a dynamic
// configuration file: its own version= line is accepted) that do not parse,
// or a joining server without client port, or addresses used by another
// server, is BadArguments (MarshallingError where Apache's parser throws,
// see nextConfig), as is a configuration with fewer than two voters
// (standaloneEnabled) or none; a new configuration whose voters connected
// and synced with the leader are no majority is NewConfigNoQuorum (checked
// when the request reaches the leader itself: a follower does not know
// which members are synced, and raft keeps the log safe either way); and
// last, a client without WRITE on /zookeeper/config (ACL world:anyone READ:
// only the super user, unless an admin changed the ACL) gets NoAuth.
//
// The change is proposed with quorum.Node.ProposeConfChangeData: members
// that are new, or whose role or peer address changed, are added (raft
// promotes a learner, demotes a voter); members not in the new
// configuration are removed. Several voter changes go through a joint
// configuration that raft leaves by itself. The client is answered, as
// ZooKeeper answers, with the new /zookeeper/config data and stat once
// this member applied the entry; a change the leader drops (another one is
// pending) or that is not committed within ProposalTimeout closes the
// client's connection (ConnectionLoss, outcome unknown), as a lost write
// does.
//
// A member started with EnsembleOptions.Join waits, empty, until a
// reconfig adds it, then receives the log (or a snapshot) from the leader.
// A member removed by a reconfig stops serving clients.
//
// # Entry data (frozen)
//
//	format u8 = 1 | proposer u64 | incarnation u64 | seq u64 | time i64 |
//	count u32 | count × ( id u64 | specLen u16 | spec )
//
// spec is a server.N value in ZooKeeper's canonical form
// (config.Server.String). All integers big-endian.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zkafka/zkafka/internal/config"
	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/keeper/quorum"
	"github.com/zkafka/zkafka/internal/keeper/tree"
)

// bootstrapConfigVersion is the version of the initial configuration:
// zxid 0x100000000, the start of raft term 1 (the bootstrap entries).
const bootstrapConfigVersion = int64(1) << 32

const confDataFormat = 1

// ensembleConfig is an ensemble member's part in membership changes.
type ensembleConfig struct {
	local      map[uint64]string // server.N values from this member's configuration
	standalone bool              // standaloneEnabled
	joint      atomic.Bool       // a joint configuration is not left yet

	// Owned by run.
	dropped bool // clients were dropped after this member was removed
}

func (ec *ensembleConfig) init(o *EnsembleOptions) {
	ec.local = map[uint64]string{}
	for _, sv := range o.Servers {
		ec.local[uint64(sv.ID)] = sv.String()
	}
	ec.standalone = o.StandaloneEnabled
}

// ensembleText is a parsed /zookeeper/config.
type ensembleText struct {
	specs   map[uint64]string // server.N values by id
	version int64             // -1 when the text has none
}

// parseEnsembleText reads ZooKeeper's configuration text; lines it does not
// know are ignored.
func parseEnsembleText(data []byte) ensembleText {
	et := ensembleText{specs: map[uint64]string{}, version: -1}
	for line := range strings.SplitSeq(string(data), "\n") {
		key, val, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		if key == "version" {
			if v, err := strconv.ParseUint(val, 16, 64); err == nil {
				et.version = int64(v)
			}
			continue
		}
		if n, ok := strings.CutPrefix(key, "server."); ok {
			if id, err := strconv.ParseUint(n, 10, 64); err == nil && id != 0 {
				et.specs[id] = val
			}
		}
	}
	return et
}

// formatEnsembleText writes the configuration text, servers by id.
func formatEnsembleText(specs map[uint64]string, version int64) []byte {
	var b bytes.Buffer
	for _, id := range slices.Sorted(maps.Keys(specs)) {
		fmt.Fprintf(&b, "server.%d=%s\n", id, specs[id])
	}
	fmt.Fprintf(&b, "version=%x", uint64(version))
	return b.Bytes()
}

// withRole returns spec with the member's role (observer for a learner).
func withRole(id uint64, spec string, learner bool) string {
	sv, err := config.ParseServer(int64(id), spec)
	if err != nil {
		return spec
	}
	sv.Observer = learner
	return sv.String()
}

// fallbackSpec is the line of a member known only by its peer address.
func fallbackSpec(m quorum.Member) string {
	role := "participant"
	if m.Learner {
		role = "observer"
	}
	return m.Addr + ":0:" + role
}

// confData is the data of a reconfig's membership entry.
type confData struct {
	proposer, inc, seq uint64
	time               int64
	specs              map[uint64]string
}

func appendConfData(b []byte, d *confData) []byte {
	b = append(b, confDataFormat)
	b = binary.BigEndian.AppendUint64(b, d.proposer)
	b = binary.BigEndian.AppendUint64(b, d.inc)
	b = binary.BigEndian.AppendUint64(b, d.seq)
	b = binary.BigEndian.AppendUint64(b, uint64(d.time))
	b = binary.BigEndian.AppendUint32(b, uint32(len(d.specs)))
	for _, id := range slices.Sorted(maps.Keys(d.specs)) {
		b = binary.BigEndian.AppendUint64(b, id)
		b = binary.BigEndian.AppendUint16(b, uint16(len(d.specs[id])))
		b = append(b, d.specs[id]...)
	}
	return b
}

func decodeConfData(b []byte) (*confData, error) {
	if len(b) < 1+4*8+4 || b[0] != confDataFormat {
		return nil, fmt.Errorf("membership entry data of %d bytes: %w", len(b), errBadEntry)
	}
	d := &confData{
		proposer: binary.BigEndian.Uint64(b[1:]), inc: binary.BigEndian.Uint64(b[9:]),
		seq: binary.BigEndian.Uint64(b[17:]), time: int64(binary.BigEndian.Uint64(b[25:])),
		specs: map[uint64]string{},
	}
	n := binary.BigEndian.Uint32(b[33:])
	b = b[37:]
	for range n {
		if len(b) < 10 {
			return nil, fmt.Errorf("membership entry data cut short: %w", errBadEntry)
		}
		id, l := binary.BigEndian.Uint64(b), int(binary.BigEndian.Uint16(b[8:]))
		if len(b) < 10+l {
			return nil, fmt.Errorf("membership entry data cut short: %w", errBadEntry)
		}
		d.specs[id] = string(b[10 : 10+l])
		b = b[10+l:]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("membership entry data has %d bytes too many: %w", len(b), errBadEntry)
	}
	return d, nil
}

// applyConf rewrites /zookeeper/config after a membership entry and
// answers the reconfig that proposed it. The caller (Apply) holds db.mu.
func (e *ensemble) applyConf(ent quorum.Entry, now time.Time) {
	s := e.s
	zxid := ent.Zxid()
	var d *confData
	if len(ent.ConfData) > 0 {
		var err error
		if d, err = decodeConfData(ent.ConfData); err != nil {
			// Every member reads the same bytes the same way.
			s.log.Error("membership entry with unreadable data; /zookeeper/config keeps the lines it had", "index", ent.Index, "err", err)
		}
	}
	e.cfg.joint.Store(len(ent.Conf.ConfState.GetVotersOutgoing()) > 0)

	cur, _, _ := s.db.tree.GetData(tree.ConfigPath, nil)
	prev := parseEnsembleText(cur)
	specs := map[uint64]string{}
	member := false
	for _, m := range ent.Conf.Members {
		member = member || m.ID == e.id
		spec, ok := "", false
		if d != nil {
			spec, ok = d.specs[m.ID]
		}
		if !ok {
			spec, ok = prev.specs[m.ID]
		}
		if !ok {
			spec, ok = e.cfg.local[m.ID]
		}
		if !ok {
			spec = fallbackSpec(m)
		}
		specs[m.ID] = withRole(m.ID, spec, m.Learner)
	}
	version, mtime := prev.version, int64(0)
	switch {
	case d != nil:
		version, mtime = zxid, d.time
	case version < 0 && s.opts.ReconfigEnabled:
		version = bootstrapConfigVersion
	case version < 0:
		version = 0 // Apache ZooKeeper without reconfigEnabled: version=0, mzxid 0
	}
	text := formatEnsembleText(specs, version)
	if !bytes.Equal(text, cur) {
		if d == nil && prev.version >= 0 {
			_, st, _ := s.db.tree.GetData(tree.ConfigPath, nil)
			mtime = st.Mtime
		}
		s.db.fire(s.db.tree.SetConfig(text, zxid, version, mtime), zxid)
	}
	// Removed: listed before this entry, not after it (a member that joins
	// applies the bootstrap entries that do not list it yet).
	if _, was := prev.specs[e.id]; member {
		e.removed.Store(false)
	} else if was && !e.removed.Load() {
		e.removed.Store(true)
		s.log.Warn("this member was removed from the ensemble; it no longer serves clients", "index", ent.Index)
	}
	if d == nil || d.proposer != e.id || d.inc != e.inc {
		return
	}
	if pw := e.take(d.seq); pw != nil {
		data, st, _ := s.db.tree.GetData(tree.ConfigPath, nil)
		answer(pw.p, tree.Result{Resp: &jute.GetDataResponse{Data: data, Stat: st}}, zxid)
	}
}

// ensembleLines returns /zookeeper/config's lines (for conf's membership
// section).
func (s *Server) ensembleLines() []string {
	s.db.mu.RLock()
	data, _, _ := s.db.tree.GetData(tree.ConfigPath, nil)
	s.db.mu.RUnlock()
	if len(data) == 0 {
		return nil
	}
	return strings.Split(string(data), "\n")
}

// listed reports whether this member's /zookeeper/config lists it.
func (e *ensemble) listed() bool {
	prefix := fmt.Sprintf("server.%d=", e.id)
	return slices.ContainsFunc(e.s.ensembleLines(), func(l string) bool { return strings.HasPrefix(l, prefix) })
}

// cfgFollow drops the clients of a member that a reconfig removed (from
// onChange: membership changes signal the node's Changes).
func (e *ensemble) cfgFollow() {
	if e.removed.Load() && !e.cfg.dropped {
		e.cfg.dropped = true
		e.dropClients()
	} else if !e.removed.Load() {
		e.cfg.dropped = false
	}
}

// errReconfig carries the ZooKeeper error code a reconfig is refused with.
type errReconfig struct {
	code jute.Err
	msg  string
}

func (r *errReconfig) Error() string { return fmt.Sprintf("%v: %s", r.code, r.msg) }

func badArgs(format string, a ...any) error {
	return &errReconfig{code: jute.ErrBadArguments, msg: fmt.Sprintf(format, a...)}
}

// marshalling is the refusal where Apache ZooKeeper's parser throws an
// unchecked exception (a server id that is not a number, say):
// PrepRequestProcessor answers those with MarshallingError.
func marshalling(format string, a ...any) error {
	return &errReconfig{code: jute.ErrMarshallingError, msg: fmt.Sprintf(format, a...)}
}

// nextConfig applies a reconfig request to the current servers (by id,
// parsed) and returns the new ones, as PrepRequestProcessor computes them:
//
//   - newMembers (non-incremental) is read as QuorumPeerConfig's dynamic
//     configuration: ',' is a line break, the lines are java.util.Properties
//     (blank lines and #/! comments skipped, the key ends at '=', ':' or
//     blank, a later key wins), "version" is allowed (and ignored), any key
//     but server.N and version is BadArguments, and so is a server value
//     that does not parse; a server id that is not a number, a version that
//     is not hex, or observers without participants (or no participants
//     without standaloneEnabled) throw in Apache's parser: MarshallingError.
//     Addresses shared by two servers are not checked (Apache does not);
//   - leavingServers are ids separated by ',' (blanks trimmed); one that is
//     not a number is MarshallingError;
//   - each joiningServers entry (separated by ',') is "key=spec" with the
//     id after the key's last '.' (a non-number is MarshallingError); two
//     '=' or none, a spec that does not parse or has no client port, or an
//     address another server has, is BadArguments.
//
// standalone is standaloneEnabled.
func nextConfig(cur map[uint64]config.Server, req *jute.ReconfigRequest, standalone bool) (map[uint64]config.Server, error) {
	next := map[uint64]config.Server{}
	if req.NewMembers != "" { // non-incremental
		return parseDynamicConfig(strings.ReplaceAll(req.NewMembers, ",", "\n"), standalone)
	}
	for id, sv := range cur {
		next[id] = sv
	}
	for _, leaving := range javaSplit(req.LeavingServers, ",") {
		id, err := strconv.ParseInt(leaving, 10, 64)
		if err != nil {
			return nil, marshalling("leaving server %q is not a server id", leaving)
		}
		delete(next, uint64(id))
	}
	for _, joiner := range javaSplit(req.JoiningServers, ",") {
		parts := javaSplit(joiner, "=")
		if len(parts) != 2 {
			return nil, badArgs("Wrong format of server string")
		}
		n := parts[0][strings.LastIndexByte(parts[0], '.')+1:]
		id, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return nil, marshalling("%q is not server.N", parts[0])
		}
		if id <= 0 {
			return nil, badArgs("%q: server ids are positive", parts[0])
		}
		sv, err := config.ParseServer(id, parts[1])
		if err != nil {
			return nil, badArgs("server.%d: %v", id, err)
		}
		if sv.ClientPort == 0 {
			return nil, badArgs("Wrong format of server string - each server should have at least 3 ports specified")
		}
		next[uint64(id)] = sv
	}
	return next, checkDuplicates(next)
}

// javaSplit splits s at sep, trims the pieces and drops the empty ones, as
// ZooKeeper's StringUtils.split.
func javaSplit(s, sep string) []string {
	var out []string
	for p := range strings.SplitSeq(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseDynamicConfig reads a whole new configuration (see nextConfig).
func parseDynamicConfig(text string, standalone bool) (map[uint64]config.Server, error) {
	props := parseProperties(text)
	for _, key := range slices.Sorted(maps.Keys(props)) {
		if strings.HasPrefix(key, "group") || strings.HasPrefix(key, "weight") {
			return nil, badArgs("%s: hierarchical quorums are not supported", key)
		}
		if !strings.HasPrefix(key, "server.") && key != "version" {
			return nil, badArgs("Unrecognised parameter: %s", key)
		}
	}
	next := map[uint64]config.Server{}
	voters, observers := 0, 0
	for _, key := range slices.Sorted(maps.Keys(props)) {
		val := props[key]
		if key == "version" {
			if _, err := strconv.ParseUint(strings.TrimSpace(val), 16, 64); err != nil {
				return nil, marshalling("version %q is not hex", val)
			}
			continue
		}
		n := key[len("server."):]
		id, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return nil, marshalling("%q is not server.N", key)
		}
		if id <= 0 {
			return nil, badArgs("%q: server ids are positive", key)
		}
		sv, err := config.ParseServer(id, val)
		if err != nil {
			return nil, badArgs("server.%d: %v", id, err)
		}
		next[uint64(id)] = sv
		if sv.Observer {
			observers++
		} else {
			voters++
		}
	}
	switch {
	case voters == 0 && !standalone:
		return nil, marshalling("standaloneEnabled = false then number of participants should be >0")
	case voters == 0 && observers > 0:
		return nil, marshalling("Observers w/o participants is an invalid configuration")
	case voters == 1 && standalone && observers > 0:
		return nil, marshalling("Observers w/o quorum is an invalid configuration")
	}
	return next, nil
}

// parseProperties reads text as java.util.Properties.load reads lines
// (escapes and continuation lines aside): keys to values, a later key
// winning.
func parseProperties(text string) map[string]string {
	props := map[string]string{}
	for line := range strings.SplitSeq(strings.ReplaceAll(text, "\r", "\n"), "\n") {
		line = strings.TrimLeft(line, " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		end := strings.IndexAny(line, "=: \t\f")
		if end < 0 {
			props[line] = ""
			continue
		}
		key, rest := line[:end], strings.TrimLeft(line[end:], " \t\f")
		if rest != "" && (rest[0] == '=' || rest[0] == ':') {
			rest = strings.TrimLeft(rest[1:], " \t\f")
		}
		props[key] = rest
	}
	return props
}

// checkDuplicates refuses two servers sharing a quorum, election or client
// address, as QuorumServer.checkAddressDuplicate does: loopback and
// wildcard addresses are not compared (several servers on one host use
// them with different ports).
func checkDuplicates(next map[uint64]config.Server) error {
	seen := map[string]uint64{}
	for _, id := range slices.Sorted(maps.Keys(next)) {
		sv := next[id]
		var addrs []string
		if comparableHost(sv.Host) {
			addrs = append(addrs, sv.QuorumAddr(), sv.ElectionAddr())
		}
		if sv.ClientPort != 0 && comparableHost(sv.ClientHost) {
			addrs = append(addrs, sv.ClientAddr())
		}
		for _, a := range addrs {
			if other, ok := seen[a]; ok && other != id {
				return badArgs("%s of server.%d conflicts with server.%d", a, id, other)
			}
			seen[a] = id
		}
	}
	return nil
}

// comparableHost reports whether checkDuplicates compares addresses on
// host: not a loopback or wildcard one.
func comparableHost(host string) bool {
	if host == "" || strings.EqualFold(host, "localhost") {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return !ip.IsLoopback() && !ip.IsUnspecified()
	}
	return true
}

// reconfig handles a reconfig request (see the top of this file). The reply
// is sent once the membership entry is applied here, or the connection is
// closed when it is not.
func (c *conn) reconfig(h jute.RequestHeader, d *jute.Decoder) (int64, error) {
	s := c.s
	refuse := func(code jute.Err) (int64, error) {
		zxid := s.lastZxid()
		c.reply(jute.ReplyHeader{Xid: h.Xid, Zxid: zxid, Err: code}, nil)
		return zxid, nil
	}
	if !s.opts.ReconfigEnabled {
		return refuse(jute.ErrReconfigDisabled)
	}
	var req jute.ReconfigRequest
	if err := decodeBody(d, h.Type, &req); err != nil {
		return 0, err
	}
	if s.ens == nil {
		return refuse(jute.ErrUnimplemented) // standalone: as ZooKeeper
	}
	e := s.ens
	ctx, cancel := context.WithTimeout(s.ctx, e.timeout)
	err := e.sync(ctx)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("server: reconfig: sync with the leader: %w", err)
	}
	add, remove, data, err := e.planReconfig(&req, c.authIDs())
	var rerr *errReconfig
	if errors.As(err, &rerr) {
		c.log.Info("reconfig refused", "session", sessionHex(c.sessionID), "code", rerr.code.Name(), "why", rerr.msg)
		return refuse(rerr.code)
	} else if err != nil {
		return 0, err
	}
	if !c.addPending() {
		return s.lastZxid(), nil
	}
	seq := e.seq.Add(1)
	p := &proposal{xid: h.Xid, start: time.Now()}
	p.txn = tree.Txn{Session: c.sessionID, Op: jute.OpReconfig}
	p.done = func(res tree.Result, zxid int64) {
		c.reply(jute.ReplyHeader{Xid: h.Xid, Zxid: zxid, Err: res.Err}, res.Resp)
		c.donePending()
	}
	data.proposer, data.inc, data.seq, data.time = e.id, e.inc, seq, time.Now().UnixMilli()
	pw := &pendingWrite{p: p, term: e.node.Status().Term, deadline: time.Now().Add(e.timeout)}
	e.mu.Lock()
	e.pending[seq] = pw
	e.mu.Unlock()
	c.log.Info("proposing a membership change", "session", sessionHex(c.sessionID), "add", add, "remove", remove)
	if err := e.node.ProposeConfChangeData(s.ctx, add, remove, appendConfData(nil, data)); err != nil {
		e.fail(seq, fmt.Errorf("reconfig: %w", err))
	}
	return s.lastZxid(), nil
}

// planReconfig checks a reconfig and returns the raft changes and the
// entry data (without the request id). Refusals are *errReconfig.
func (e *ensemble) planReconfig(req *jute.ReconfigRequest, auth []jute.ID) (add []quorum.Member, remove []uint64, data *confData, err error) {
	s := e.s
	if e.cfg.joint.Load() {
		return nil, nil, nil, &errReconfig{code: jute.ErrReconfigInProgress, msg: "a joint configuration is not left yet"}
	}
	s.db.mu.RLock()
	text, _, _ := s.db.tree.GetData(tree.ConfigPath, nil)
	acl := s.db.tree.ACL(tree.ConfigPath)
	mayWrite := s.db.tree.HasPerm(acl, jute.PermWrite, auth)
	s.db.mu.RUnlock()
	et := parseEnsembleText(text)
	if req.CurConfigID != -1 && req.CurConfigID != et.version {
		return nil, nil, nil, &errReconfig{code: jute.ErrBadVersion,
			msg: fmt.Sprintf("Reconfiguration from version %x failed -- last seen version is %x", req.CurConfigID, et.version)}
	}
	cur := map[uint64]config.Server{}
	for id, spec := range et.specs {
		if sv, err := config.ParseServer(int64(id), spec); err == nil {
			cur[id] = sv
		}
	}
	next, err := nextConfig(cur, req, e.cfg.standalone)
	if err != nil {
		return nil, nil, nil, err
	}
	voters := 0
	for _, sv := range next {
		if !sv.Observer {
			voters++
		}
	}
	switch {
	case e.cfg.standalone && voters < 2:
		return nil, nil, nil, badArgs("Reconfig failed - new configuration must include at least 2 followers")
	case voters < 1:
		return nil, nil, nil, badArgs("Reconfig failed - new configuration must include at least 1 follower")
	}
	st := e.node.Status()
	if st.Role == quorum.RoleLeader && !quorumSynced(st, next) {
		return nil, nil, nil, &errReconfig{code: jute.ErrNewConfigNoQuorum,
			msg: "Reconfig failed - there must be a connected and synced quorum in new configuration"}
	}
	if !mayWrite {
		return nil, nil, nil, &errReconfig{code: jute.ErrNoAuth, msg: "no WRITE permission on /zookeeper/config"}
	}
	members := map[uint64]quorum.Member{}
	for _, m := range st.Members {
		members[m.ID] = m
	}
	data = &confData{specs: map[uint64]string{}}
	for id, sv := range next {
		data.specs[id] = sv.String()
		m := quorum.Member{ID: id, Addr: sv.QuorumAddr(), Learner: sv.Observer}
		if old, ok := members[id]; !ok || old != m {
			add = append(add, m)
		}
	}
	for id := range members {
		if _, ok := next[id]; !ok {
			remove = append(remove, id)
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		// Only the text changes (or nothing): re-add this member unchanged
		// so that the entry carries the new lines.
		if m, ok := members[e.id]; ok {
			add = append(add, m)
		}
	}
	slices.SortFunc(add, func(a, b quorum.Member) int { return cmp.Compare(a.ID, b.ID) })
	slices.Sort(remove)
	return add, remove, data, nil
}

// quorumSynced is Leader.isQuorumSynced on the leader's status: the voters
// of the new configuration that are this leader or a synced follower must
// be a majority of its voters.
func quorumSynced(st quorum.Status, next map[uint64]config.Server) bool {
	synced := map[uint64]bool{st.ID: true}
	for _, f := range st.Followers {
		if f.Synced {
			synced[f.ID] = true
		}
	}
	voters, ok := 0, 0
	for id, sv := range next {
		if sv.Observer {
			continue
		}
		voters++
		if synced[id] {
			ok++
		}
	}
	return ok > voters/2
}
