package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/zkclient"
)

// command is one zkCli command: its name, the option string the usage
// list shows, and what it does (nil for the commands ZooKeeperMain
// handles itself: connect, history, printwatches, quit, redo).
type command struct {
	name      string
	optionStr string
	run       func(s *shell, args []string) error
}

// commandTable returns zkCli's commands for a dialect.
func commandTable(d Dialect) map[string]*command {
	getOpts, setOpts := "[-s] [-w] [-b] [-x] path", "path data [-s] [-v version] [-b]"
	if d == Dialect38 {
		getOpts, setOpts = "[-s] [-w] path", "[-s] [-v version] path data"
	}
	list := []*command{
		{"connect", "host:port", nil},
		{"history", "", nil},
		{"redo", "cmdno", nil},
		{"printwatches", "on|off", nil},
		{"quit", "", nil},
		{"close", "", cmdClose},
		{"create", "[-s] [-e] [-c] [-t ttl] path [data] [acl]", cmdCreate},
		{"delete", "[-v version] path", cmdDelete},
		{"deleteall", "path [-b batch size]", cmdDeleteAll},
		{"set", setOpts, cmdSet},
		{"get", getOpts, cmdGet},
		{"ls", "[-s] [-w] [-R] path", cmdLs},
		{"getAcl", "[-s] path", cmdGetACL},
		{"setAcl", "[-s] [-v version] [-R] path acl", cmdSetACL},
		{"stat", "[-w] path", cmdStat},
		{"sync", "path", cmdSync},
		{"setquota", "-n|-b|-N|-B val path", cmdSetQuota},
		{"listquota", "path", cmdListQuota},
		{"delquota", "[-n|-b|-N|-B] path", cmdDelQuota},
		{"addauth", "scheme auth", cmdAddAuth},
		{"reconfig", "[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | " +
			"[-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]", cmdReconfig},
		{"config", "[-c] [-w] [-s]", cmdConfig},
		{"removewatches", "path [-c|-d|-a] [-l]", cmdRemoveWatches},
		{"getEphemerals", "path", cmdGetEphemerals},
		{"getAllChildrenNumber", "path", cmdGetAllChildrenNumber},
		{"version", "", cmdVersion},
		{"addWatch", "[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE", cmdAddWatch},
		{"whoami", "", cmdWhoAmI},
	}
	m := make(map[string]*command, len(list))
	for _, c := range list {
		m[c.name] = c
	}
	return m
}

// usageStr is CliCommand.getUsageStr: the command and its option string,
// followed in 3.9 by the options' help for the commands that carry it.
func (s *shell) usageStr(name string, specs []optSpec) string {
	u := name + " " + s.cmds[name].optionStr
	if s.cfg.Dialect == Dialect39 && (name == "get" || name == "set") {
		u += "\n" + renderOptions(specs) + "\n"
	}
	return u
}

// renderOptions is commons-cli HelpFormatter.renderOptions with its
// defaults: options sorted by name ignoring case, one per line, the
// descriptions aligned three spaces after the longest option.
func renderOptions(specs []optSpec) string {
	sorted := append([]optSpec(nil), specs...)
	sort.SliceStable(sorted, func(i, j int) bool { return strings.ToLower(sorted[i].name) < strings.ToLower(sorted[j].name) })
	prefixes := make([]string, len(sorted))
	width := 0
	for i, o := range sorted {
		p := " -" + o.name
		if o.hasArg {
			p += " <arg>"
		}
		prefixes[i] = p
		width = max(width, len(p))
	}
	lines := make([]string, len(sorted))
	for i, o := range sorted {
		lines[i] = strings.TrimRight(prefixes[i]+strings.Repeat(" ", width-len(prefixes[i]))+"   "+o.desc, " ")
	}
	return strings.Join(lines, "\n")
}

// parse parses a command's options, turning commons-cli errors into
// CliParseExceptions.
func parse(specs []optSpec, args []string) (*cmdLine, error) {
	cl, err := parseOptions(specs, args)
	if err != nil {
		return nil, usageErr(err.Error())
	}
	return cl, nil
}

// retainCompatibility handles the deprecated "cmd path watch" form of ls,
// get and stat: the third token becomes -w (whatever it was) and the
// line is parsed again.
func (s *shell) retainCompatibility(specs []optSpec, args []string, cl *cmdLine, name, form string) (*cmdLine, error) {
	if len(cl.args) <= 2 {
		return cl, nil
	}
	tokens := append([]string(nil), args...)
	tokens[2] = "-w"
	s.con.errln(fmt.Sprintf("'%s path [watch]' has been deprecated. Please use '%s' instead.", name, form))
	return parse(specs, tokens)
}

// zkErr turns a failed call into the CliException zkCli throws: a bad path
// is a MalformedPathException, anything else a CliWrapperException.
func zkErr(err error) error {
	var pe *zkclient.PathError
	if errors.As(err, &pe) {
		return usageErr(pe.Reason)
	}
	return usageErr(wrapperMessage(err))
}

func (s *shell) printStat(st jute.Stat) { s.con.outs(statLines(st)) }

// visitSubTree is ZKUtil.visitSubTreeDFS: the root (read first, with an
// optional watch), then each level's children sorted, depth first.
func (s *shell) visitSubTree(path string, watch bool, visit func(p string)) error {
	if err := zkclient.ValidatePath(path, false); err != nil {
		return err
	}
	if _, _, err := s.zk.GetData(s.ctx, path, watch); err != nil {
		return err
	}
	visit(path)
	return s.visitChildren(path, watch, visit)
}

func (s *shell) visitChildren(path string, watch bool, visit func(p string)) error {
	kids, _, err := s.zk.GetChildren(s.ctx, path, watch)
	if errors.Is(err, jute.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	sort.Strings(kids)
	prefix := path + "/"
	if path == "/" {
		prefix = "/"
	}
	for _, k := range kids {
		visit(prefix + k)
	}
	for _, k := range kids {
		if err := s.visitChildren(prefix+k, watch, visit); err != nil {
			return err
		}
	}
	return nil
}

func lsOpts() []optSpec {
	return []optSpec{{"?", false, "help"}, {"s", false, "stat"}, {"w", false, "watch"}, {"R", false, "recurse"}}
}

func cmdLs(s *shell, args []string) error {
	cl, err := parse(lsOpts(), args)
	if err != nil {
		return err
	}
	if cl.has("?") {
		s.con.outln("usage: ls [options] path\n" + renderOptions(lsOpts()))
	}
	if cl, err = s.retainCompatibility(lsOpts(), args, cl, "ls", "ls [-w] path"); err != nil {
		return err
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("ls", lsOpts()))
	}
	path, watch := cl.args[1], cl.has("w")
	if cl.has("R") {
		if err := s.visitSubTree(path, watch, s.con.outln); err != nil {
			return zkErr(err)
		}
		return nil
	}
	kids, st, err := s.zk.GetChildren(s.ctx, path, watch)
	if err != nil {
		return zkErr(err)
	}
	sort.Strings(kids)
	s.con.outln("[" + strings.Join(kids, ", ") + "]")
	if cl.has("s") {
		s.printStat(st)
	}
	return nil
}

func getOpts(d Dialect) []optSpec {
	o := []optSpec{{"s", false, "Print znode stats additionally"}, {"w", false, "Watch for changes on the znode"}}
	if d == Dialect39 {
		o = append(o, optSpec{"b", false, "Output data in base64 format"}, optSpec{"x", false, "Output data in hexdump format"})
	}
	return o
}

func cmdGet(s *shell, args []string) error {
	specs := getOpts(s.cfg.Dialect)
	cl, err := parse(specs, args)
	if err != nil {
		return err
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("get", specs))
	}
	if cl, err = s.retainCompatibility(specs, args, cl, "get", "get [-s] [-w] path"); err != nil {
		return err
	}
	data, st, err := s.zk.GetData(s.ctx, cl.args[1], cl.has("w"))
	if err != nil {
		return zkErr(err)
	}
	if data == nil {
		data = []byte("null")
	}
	out := javaString(data)
	if cl.has("b") {
		out = base64.StdEncoding.EncodeToString(data)
	}
	if cl.has("x") {
		out = hexDump(data)
	}
	s.con.outln(out)
	if cl.has("s") {
		s.printStat(st)
	}
	return nil
}

func setOpts(d Dialect) []optSpec {
	if d == Dialect38 {
		return []optSpec{{"s", false, "stats"}, {"v", true, "version"}}
	}
	return []optSpec{{"s", false, "Print znode stats additionally"}, {"v", true, "Set with an expected version"},
		{"b", false, "Supply data in base64 format"}}
}

func cmdSet(s *shell, args []string) error {
	specs := setOpts(s.cfg.Dialect)
	cl, err := parse(specs, args)
	if err != nil {
		return err
	}
	if len(cl.args) < 3 {
		return usageErr(s.usageStr("set", specs))
	}
	data := []byte(cl.args[2])
	if cl.has("b") {
		if data, err = javaBase64(cl.args[2]); err != nil {
			return err
		}
	}
	version := int32(-1)
	if cl.has("v") {
		if version, err = javaParseInt(cl.value("v")); err != nil {
			return err
		}
	}
	st, err := s.zk.SetData(s.ctx, cl.args[1], data, version)
	if err != nil {
		return zkErr(err)
	}
	if cl.has("s") {
		s.printStat(st)
	}
	return nil
}

// javaBase64 is Base64.getDecoder().decode: padding optional, anything
// outside the alphabet an IllegalArgumentException that ends zkCli.
func javaBase64(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return nil, crash("java.lang.IllegalArgumentException", fmt.Sprintf("Illegal base64 character %x", c))
		}
	}
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, crash("java.lang.IllegalArgumentException", "Last unit does not have enough valid bits")
	}
	return b, nil
}

func createOpts() []optSpec {
	return []optSpec{{"e", false, "ephemeral"}, {"s", false, "sequential"}, {"c", false, "container"}, {"t", true, "ttl"}}
}

func cmdCreate(s *shell, args []string) error {
	cl, err := parse(createOpts(), args)
	if err != nil {
		return err
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("create", createOpts()))
	}
	hasE, hasS, hasC, hasT := cl.has("e"), cl.has("s"), cl.has("c"), cl.has("t")
	if hasC && (hasE || hasS) {
		return usageErr("-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.")
	}
	var ttl int64
	if hasT {
		if ttl, err = strconv.ParseInt(cl.value("t"), 10, 64); err != nil {
			return usageErr("-t argument must be a long value")
		}
	}
	if hasT && hasE {
		return usageErr("TTLs cannot be used with Ephemeral znodes")
	}
	if hasT && hasC {
		return usageErr("TTLs cannot be used with Container znodes")
	}
	var mode int32
	switch {
	case hasE && hasS:
		mode = jute.ModeEphemeralSequential
	case hasE:
		mode = jute.ModeEphemeral
	case hasS && hasT:
		mode = jute.ModePersistentSequentialWithTTL
	case hasS:
		mode = jute.ModePersistentSequential
	case hasC:
		mode = jute.ModeContainer
	case hasT:
		mode = jute.ModePersistentWithTTL
	default:
		mode = jute.ModePersistent
	}
	if hasT && (ttl <= 0 || ttl > zkclient.MaxTTL) {
		return usageErr(fmt.Sprintf("ttl must be positive and cannot be larger than: %d", zkclient.MaxTTL))
	}
	var data []byte
	if len(cl.args) > 2 {
		data = []byte(cl.args[2])
	}
	acl := zkclient.OpenACL()
	if len(cl.args) > 3 {
		acl = parseACL(cl.args[3], s.con.errln)
	}
	p, _, err := s.zk.Create(s.ctx, cl.args[1], data, acl, mode, ttl)
	if err != nil {
		var ze *zkclient.Error
		if errors.As(err, &ze) {
			switch ze.Code {
			case jute.ErrEphemeralOnLocalSession:
				s.con.errln("Unable to create ephemeral node on a local session")
			case jute.ErrInvalidACL:
				s.con.errln(keeperMessage(ze.Code, ze.Path))
			}
		}
		return zkErr(err)
	}
	s.con.errln("Created " + p)
	return nil
}

func deleteOpts() []optSpec {
	return []optSpec{{"v", true, "version"}}
}

func cmdDelete(s *shell, args []string) error {
	cl, err := parse(deleteOpts(), args)
	if err != nil {
		return err
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("delete", deleteOpts()))
	}
	if len(cl.args) > 2 {
		s.con.errln("'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead.")
	}
	version := int32(-1)
	if cl.has("v") {
		if version, err = javaParseInt(cl.value("v")); err != nil {
			return err
		}
	}
	if err := s.zk.Delete(s.ctx, cl.args[1], version); err != nil {
		return zkErr(err)
	}
	return nil
}

func deleteAllOpts() []optSpec {
	return []optSpec{{"b", true, "batch size"}}
}

func cmdDeleteAll(s *shell, args []string) error {
	cl, err := parse(deleteAllOpts(), args)
	if err != nil {
		return err
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("deleteall", deleteAllOpts()))
	}
	batch := 1000
	if cl.has("b") {
		v, err := strconv.ParseInt(cl.value("b"), 10, 32)
		if err != nil {
			return usageErr("-b argument must be an int value")
		}
		batch = int(v)
	}
	ok, err := s.deleteRecursive(cl.args[1], batch)
	if err != nil {
		return zkErr(err)
	}
	if !ok {
		s.con.errln("Failed to delete some node(s) in the subtree!")
	}
	return nil
}

// deleteRecursive is ZKUtil.deleteRecursive: list the tree breadth first,
// then delete it leaves first, in multis of batch deletes (or one by one
// when batch is not positive). It reports whether every multi succeeded.
func (s *shell) deleteRecursive(root string, batch int) (bool, error) {
	if err := zkclient.ValidatePath(root, false); err != nil {
		return false, err
	}
	tree := []string{root}
	for i := 0; i < len(tree); i++ {
		kids, _, err := s.zk.GetChildren(s.ctx, tree[i], false)
		if err != nil {
			return false, err
		}
		prefix := tree[i] + "/"
		if tree[i] == "/" {
			prefix = "/"
		}
		for _, k := range kids {
			tree = append(tree, prefix+k)
		}
	}
	if batch <= 0 {
		for i := len(tree) - 1; i >= 0; i-- {
			if err := s.zk.Delete(s.ctx, tree[i], -1); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	var ops []jute.MultiOp
	for i := len(tree) - 1; i >= 0; i-- {
		ops = append(ops, zkclient.DeleteOp(tree[i], -1))
		if len(ops) == batch || i == 0 {
			if _, err := s.zk.Multi(s.ctx, ops...); err != nil {
				return false, nil
			}
			ops = nil
		}
	}
	return true, nil
}

func statOpts() []optSpec {
	return []optSpec{{"w", false, "watch"}}
}

func cmdStat(s *shell, args []string) error {
	cl, err := parse(statOpts(), args)
	if err != nil {
		return err
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("stat", statOpts()))
	}
	if cl, err = s.retainCompatibility(statOpts(), args, cl, "stat", "stat [-w] path"); err != nil {
		return err
	}
	path := cl.args[1]
	st, err := s.zk.Exists(s.ctx, path, cl.has("w"))
	if err != nil {
		return zkErr(err)
	}
	if st == nil {
		return usageErr("Node does not exist: " + path)
	}
	s.printStat(*st)
	return nil
}

func getACLOpts() []optSpec {
	return []optSpec{{"s", false, "stats"}}
}

func cmdGetACL(s *shell, args []string) error {
	cl, err := parse(getACLOpts(), args)
	if err != nil {
		return err
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("getAcl", getACLOpts()))
	}
	acl, st, err := s.zk.GetACL(s.ctx, cl.args[1])
	if err != nil {
		return zkErr(err)
	}
	for _, a := range acl {
		s.con.outln(aclLine(a))
	}
	if cl.has("s") {
		s.printStat(st)
	}
	return nil
}

func setACLOpts() []optSpec {
	return []optSpec{{"s", false, "stats"}, {"v", true, "version"}, {"R", false, "recursive"}}
}

func cmdSetACL(s *shell, args []string) error {
	cl, err := parse(setACLOpts(), args)
	if err != nil {
		return err
	}
	if len(cl.args) < 3 {
		return usageErr(s.usageStr("setAcl", setACLOpts()))
	}
	path := cl.args[1]
	acl := parseACL(cl.args[2], s.con.errln)
	version := int32(-1)
	if cl.has("v") {
		if version, err = javaParseInt(cl.value("v")); err != nil {
			return err
		}
	}
	if cl.has("R") {
		err := s.visitSubTree(path, false, func(p string) {
			if _, err := s.zk.SetACL(s.ctx, p, acl, version); err != nil {
				// Java prints the KeeperException's message, without a
				// newline.
				var ze *zkclient.Error
				if errors.As(err, &ze) {
					s.con.outs(keeperMessage(ze.Code, ze.Path))
				} else {
					s.con.outs(err.Error())
				}
			}
		})
		if err != nil {
			return zkErr(err)
		}
		return nil
	}
	st, err := s.zk.SetACL(s.ctx, path, acl, version)
	if err != nil {
		return zkErr(err)
	}
	if cl.has("s") {
		s.printStat(st)
	}
	return nil
}

func cmdAddAuth(s *shell, args []string) error {
	cl, err := parse(nil, args)
	if err != nil {
		return err
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("addauth", nil))
	}
	var auth []byte
	if len(cl.args) >= 3 {
		auth = []byte(cl.args[2])
	}
	// Like Java's addAuthInfo, do not wait for the server's answer.
	done, cancel := context.WithCancel(s.ctx)
	cancel()
	s.zk.AddAuth(done, cl.args[1], auth)
	return nil
}

func cmdSync(s *shell, args []string) error {
	cl, err := parse(nil, args)
	if err != nil {
		return err
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("sync", nil))
	}
	_, err = s.zk.Sync(s.ctx, cl.args[1])
	var pe *zkclient.PathError
	switch {
	case errors.As(err, &pe):
		return usageErr(pe.Reason)
	case err == nil:
		s.con.outln("Sync is OK")
	default:
		s.con.outln(fmt.Sprintf("Sync has failed. rc=%d", int32(zkclient.Code(err))))
	}
	return nil
}

func addWatchOpts() []optSpec {
	return []optSpec{{"m", true, ""}}
}

func cmdAddWatch(s *shell, args []string) error {
	cl, err := parse(addWatchOpts(), args)
	if err != nil {
		return err
	}
	if len(cl.args) != 2 {
		return usageErr(s.usageStr("addWatch", addWatchOpts()))
	}
	mode := zkclient.AddWatchPersistentRecursive
	if cl.has("m") {
		switch strings.ToUpper(cl.value("m")) {
		case "PERSISTENT":
			mode = zkclient.AddWatchPersistent
		case "PERSISTENT_RECURSIVE":
			mode = zkclient.AddWatchPersistentRecursive
		default:
			return usageErr(s.usageStr("addWatch", addWatchOpts()))
		}
	}
	if err := s.zk.AddWatch(s.ctx, cl.args[1], mode); err != nil {
		var pe *zkclient.PathError
		if errors.As(err, &pe) {
			// addWatch does not catch IllegalArgumentException.
			return crash("java.lang.IllegalArgumentException", pe.Reason)
		}
		return zkErr(err)
	}
	return nil
}

func removeWatchesOpts(d Dialect) []optSpec {
	o := []optSpec{{"c", false, "child watcher type"}, {"d", false, "data watcher type"}}
	if d == Dialect39 {
		o = append(o, optSpec{"p", false, "persistent watcher type"}, optSpec{"r", false, "persistent recursive watcher type"})
	}
	return append(o, optSpec{"a", false, "any watcher type"}, optSpec{"l", false, "remove locally when there is no server connection"})
}

func cmdRemoveWatches(s *shell, args []string) error {
	specs := removeWatchesOpts(s.cfg.Dialect)
	cl, err := parse(specs, args)
	if err != nil {
		return err
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("removewatches", specs))
	}
	t := zkclient.WatcherAny
	switch {
	case cl.has("c"):
		t = zkclient.WatcherChildren
	case cl.has("d"):
		t = zkclient.WatcherData
	case cl.has("p"):
		t = zkclient.WatcherPersistent
	case cl.has("r"):
		t = zkclient.WatcherPersistentRecursive
	}
	if err := s.zk.RemoveWatches(s.ctx, cl.args[1], t, cl.has("l")); err != nil {
		return zkErr(err)
	}
	return nil
}

func cmdGetEphemerals(s *shell, args []string) error {
	cl, err := parse(nil, args)
	if err != nil {
		return err
	}
	prefix := "/"
	if len(cl.args) >= 2 {
		prefix = cl.args[1]
	}
	eph, err := s.zk.GetEphemerals(s.ctx, prefix)
	if err != nil {
		return zkErr(err)
	}
	s.con.outln("[" + strings.Join(eph, ", ") + "]")
	return nil
}

func cmdGetAllChildrenNumber(s *shell, args []string) error {
	cl, err := parse(nil, args)
	if err != nil {
		return err
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("getAllChildrenNumber", nil))
	}
	n, err := s.zk.GetAllChildrenNumber(s.ctx, cl.args[1])
	if err != nil {
		return zkErr(err)
	}
	s.con.outln(strconv.Itoa(int(n)))
	return nil
}

func configOpts() []optSpec {
	return []optSpec{{"s", false, "stats"}, {"w", false, "watch"}, {"c", false, "client connection string"}}
}

func cmdConfig(s *shell, args []string) error {
	cl, err := parse(configOpts(), args)
	if err != nil {
		return err
	}
	data, st, err := s.zk.GetConfig(s.ctx, cl.has("w"))
	if err != nil {
		return zkErr(err)
	}
	if data == nil {
		data = []byte("null")
	}
	if cl.has("c") {
		s.con.outln(clientConfigString(string(data)))
	} else {
		s.con.outln(javaString(data))
	}
	if cl.has("s") {
		s.printStat(st)
	}
	return nil
}

func cmdWhoAmI(s *shell, _ []string) error {
	ids, err := s.zk.WhoAmI(s.ctx)
	if err != nil {
		return zkErr(err)
	}
	s.con.outln("Auth scheme: User")
	for _, id := range ids {
		s.con.outln(id.AuthScheme + ": " + id.User)
	}
	return nil
}

func cmdClose(s *shell, _ []string) error {
	s.zk.Close()
	return nil
}

func cmdVersion(s *shell, args []string) error {
	cl, err := parse(nil, args)
	if err != nil {
		return err
	}
	if len(cl.args) > 1 {
		return usageErr(s.usageStr("version", nil))
	}
	s.con.outln("ZooKeeper CLI version: " + Version)
	return nil
}

func reconfigOpts() []optSpec {
	return []optSpec{
		{"s", false, "stats"}, {"v", true, "required current config version"},
		{"file", true, "path of config file to parse for membership"},
		{"members", true, "comma-separated list of config strings for non-incremental reconfig"},
		{"add", true, "comma-separated list of config strings for new servers"},
		{"remove", true, "comma-separated list of server IDs to remove"},
	}
}

func cmdReconfig(s *shell, args []string) error {
	cl, err := parse(reconfigOpts(), args)
	if err != nil {
		return err
	}
	file, members := cl.has("file"), cl.has("members")
	if !(file || members) && !cl.has("add") && !cl.has("remove") {
		return usageErr(s.usageStr("reconfig", reconfigOpts()))
	}
	version := int64(-1)
	if cl.has("v") {
		v, err := strconv.ParseUint(cl.value("v"), 16, 64)
		if err != nil || v > 1<<63-1 {
			return usageErr("-v must be followed by a long (configuration version)")
		}
		version = int64(v)
	}
	if (file || members) && (cl.has("add") || cl.has("remove")) {
		return usageErr("Can't use -file or -members together with -add or -remove (mixing incremental and non-incremental modes is not allowed)")
	}
	if file && members {
		return usageErr("Can't use -file and -members together (conflicting non-incremental modes)")
	}
	joining, leaving, newMembers := strings.ToLower(cl.value("add")), strings.ToLower(cl.value("remove")), strings.ToLower(cl.value("members"))
	if file {
		b, err := os.ReadFile(cl.value("file"))
		if err != nil {
			return usageErr("Error processing " + cl.value("file") + err.Error())
		}
		newMembers = dynamicConfigMembers(string(b))
	}
	data, st, err := s.zk.Reconfig(s.ctx, joining, leaving, newMembers, version)
	if err != nil {
		return zkErr(err)
	}
	s.con.outln("Committed new configuration:\n" + javaString(data))
	if cl.has("s") {
		s.printStat(st)
	}
	return nil
}

// dynamicConfigMembers keeps the membership lines of a dynamic config file
// (server.N, group.N, weight.N), one per line. Java parses and re-renders
// them with QuorumPeerConfig; the server checks them again either way.
func dynamicConfigMembers(cfg string) string {
	var out []string
	for _, line := range strings.Split(cfg, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "server.") || strings.HasPrefix(line, "group.") || strings.HasPrefix(line, "weight.") {
			out = append(out, strings.ToLower(line))
		}
	}
	return strings.Join(out, "\n")
}
