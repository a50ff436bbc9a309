package cli

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/zkafka/zkafka/internal/keeper/jute"
	"github.com/zkafka/zkafka/internal/zkclient"
)

// Quotas live under /zookeeper/quota: for a node /a/b, the node
// /zookeeper/quota/a/b/zookeeper_limits holds its limits and
// .../zookeeper_stats the usage the server keeps up to date, both as
// StatsTrack strings: "count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1".
const (
	quotaRoot = "/zookeeper/quota"
	limitNode = "zookeeper_limits"
	statNode  = "zookeeper_stats"
)

func quotaPath(p string) string { return quotaRoot + p }
func limitPath(p string) string { return quotaRoot + p + "/" + limitNode }
func statPath(p string) string  { return quotaRoot + p + "/" + statNode }

// statsTrack is org.apache.zookeeper.StatsTrack: named counters, -1 when
// absent.
type statsTrack map[string]int64

var pairsSeparator = regexp.MustCompile(`[,;]+`)

// parseStatsTrack reads a StatsTrack string; a malformed one is the
// exception that ends zkCli.
func parseStatsTrack(b []byte) (statsTrack, error) {
	st := statsTrack{}
	s := javaString(b)
	if s == "" {
		return st, nil
	}
	for _, kv := range pairsSeparator.Split(s, -1) {
		if kv == "" {
			continue
		}
		parts := javaSplit(kv, "=")
		if len(parts) < 2 {
			return nil, crash("java.lang.ArrayIndexOutOfBoundsException", "Index 1 out of bounds for length 1")
		}
		v := parts[1]
		if v == "" {
			v = "-1"
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, crash("java.lang.NumberFormatException", fmt.Sprintf("For input string: \"%s\"", v))
		}
		st[parts[0]] = n
	}
	return st, nil
}

func (st statsTrack) get(k string) int64 {
	if v, ok := st[k]; ok {
		return v
	}
	return -1
}

// String is StatsTrack.toString.
func (st statsTrack) String() string {
	s := fmt.Sprintf("count=%d,bytes=%d", st.get("count"), st.get("bytes"))
	var keys []string
	for k := range st {
		if k != "count" && k != "bytes" {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		s += "="
		for _, k := range keys {
			s += fmt.Sprintf(";%s=%d", k, st[k])
		}
	}
	return s
}

func quotaOpts(withValues bool) []optSpec {
	return []optSpec{{"n", withValues, "num soft quota"}, {"b", withValues, "bytes soft quota"},
		{"N", withValues, "num hard quota"}, {"B", withValues, "bytes hard quota"}}
}

func quotaGroup() []string {
	return []string{"n", "b", "N", "B"}
}

// illegalArg is an IllegalArgumentException that commands report as a
// MalformedPathException.
type illegalArg struct{ msg string }

// Error implements error.
func (e *illegalArg) Error() string { return e.msg }

// quotaErr maps the failures of the quota helpers as the quota commands
// catch them.
func quotaErr(err error) error {
	var ia *illegalArg
	if errors.As(err, &ia) {
		return usageErr(ia.msg)
	}
	var ce *crashError
	if errors.As(err, &ce) {
		return err
	}
	return zkErr(err)
}

func cmdSetQuota(s *shell, args []string) error {
	specs := quotaOpts(true)
	cl, err := parseGroup(specs, quotaGroup(), true, args)
	if err != nil {
		return usageErr(err.Error())
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("setquota", specs))
	}
	path := cl.args[1]
	if strings.HasPrefix(path, quotaRoot) {
		s.con.errln("cannot set a quota under the path: " + quotaRoot)
		return nil
	}
	quota := statsTrack{"count": -1, "bytes": -1, "countHardLimit": -1, "byteHardLimit": -1}
	for _, o := range []struct {
		opt, key string
		count    bool
	}{{"n", "count", true}, {"b", "bytes", false}, {"N", "countHardLimit", true}, {"B", "byteHardLimit", false}} {
		if !cl.has(o.opt) {
			continue
		}
		bits := 64
		if o.count {
			bits = 32
		}
		v, err := strconv.ParseInt(cl.value(o.opt), 10, bits)
		if err != nil {
			s.con.errln("NumberFormatException happens when parsing the option value")
			return nil
		}
		if o.count && v <= 0 {
			s.con.errln("the num quota must be greater than zero")
			return nil
		}
		if !o.count && v < 0 {
			s.con.errln("the bytes quota must be greater than or equal to zero")
			return nil
		}
		quota[o.key] = v
	}
	if err := s.createQuota(path, quota); err != nil {
		return quotaErr(err)
	}
	return nil
}

// createQuota is SetQuotaCommand.createQuota.
func (s *shell) createQuota(path string, quota statsTrack) error {
	st, err := s.zk.Exists(s.ctx, path, false)
	if err != nil {
		return err
	}
	if st == nil {
		return &illegalArg{path + " does not exist."}
	}
	if err := s.checkChildQuota(path); err != nil {
		return err
	}
	if err := s.checkParentQuota(path); err != nil {
		return err
	}
	if st, err := s.zk.Exists(s.ctx, quotaRoot, false); err != nil {
		return err
	} else if st == nil {
		_, _, err := s.zk.Create(s.ctx, "/zookeeper", nil, zkclient.OpenACL(), jute.ModePersistent, 0)
		if err == nil {
			_, _, err = s.zk.Create(s.ctx, quotaRoot, nil, zkclient.OpenACL(), jute.ModePersistent, 0)
		}
		if err != nil && !errors.Is(err, jute.ErrNodeExists) {
			return err
		}
	}
	qp := quotaRoot
	for _, part := range javaSplit(path, "/")[1:] {
		qp += "/" + part
		st, err := s.zk.Exists(s.ctx, qp, false)
		if err != nil {
			return err
		}
		if st == nil {
			if _, _, err := s.zk.Create(s.ctx, qp, nil, zkclient.OpenACL(), jute.ModePersistent, 0); err != nil && !errors.Is(err, jute.ErrNodeExists) {
				return err
			}
		}
	}
	sp, lp := qp+"/"+statNode, qp+"/"+limitNode
	st, err = s.zk.Exists(s.ctx, lp, false)
	if err != nil {
		return err
	}
	if st == nil {
		if _, _, err := s.zk.Create(s.ctx, lp, []byte(quota.String()), zkclient.OpenACL(), jute.ModePersistent, 0); err != nil {
			return err
		}
		zero := statsTrack{"count": 0, "bytes": 0}
		if _, _, err := s.zk.Create(s.ctx, sp, []byte(zero.String()), zkclient.OpenACL(), jute.ModePersistent, 0); err != nil {
			return err
		}
		limits, stats, err := s.readQuota(lp, sp)
		if err != nil {
			return err
		}
		s.checkQuota(limits, stats)
		return nil
	}
	data, _, err := s.zk.GetData(s.ctx, lp, false)
	if err != nil {
		return err
	}
	limits, err := parseStatsTrack(data)
	if err != nil {
		return err
	}
	for k, v := range quota {
		if v > -1 {
			limits[k] = v
		}
	}
	data, _, err = s.zk.GetData(s.ctx, sp, false)
	if err != nil {
		return err
	}
	stats, err := parseStatsTrack(data)
	if err != nil {
		return err
	}
	s.checkQuota(limits, stats)
	_, err = s.zk.SetData(s.ctx, lp, []byte(limits.String()), -1)
	return err
}

func (s *shell) readQuota(lp, sp string) (limits, stats statsTrack, err error) {
	data, _, err := s.zk.GetData(s.ctx, lp, false)
	if err != nil {
		return nil, nil, err
	}
	if limits, err = parseStatsTrack(data); err != nil {
		return nil, nil, err
	}
	if data, _, err = s.zk.GetData(s.ctx, sp, false); err != nil {
		return nil, nil, err
	}
	stats, err = parseStatsTrack(data)
	return limits, stats, err
}

// checkQuota warns when a new limit is already exceeded.
func (s *shell) checkQuota(limits, stats statsTrack) {
	exceeded := func(limit, hard, used int64) bool { return limit > -1 && limit < used || hard > -1 && hard < used }
	if exceeded(limits.get("count"), limits.get("countHardLimit"), stats.get("count")) {
		s.con.outln(fmt.Sprintf("[Warning]: the count quota you create is less than the existing count:%d", stats.get("count")))
	}
	if exceeded(limits.get("bytes"), limits.get("byteHardLimit"), stats.get("bytes")) {
		s.con.outln(fmt.Sprintf("[Warning]: the bytes quota you create is less than the existing bytes:%d", stats.get("bytes")))
	}
}

// checkChildQuota refuses a quota on a node with a descendant that has one.
func (s *shell) checkChildQuota(path string) error {
	real := quotaPath(path)
	var found error
	err := s.visitSubTree(real, false, func(qp string) {
		if found != nil {
			return
		}
		kids, _, err := s.zk.GetChildren(s.ctx, qp, false)
		if err != nil {
			return
		}
		for _, k := range kids {
			if qp != real && k == limitNode {
				found = &illegalArg{path + " has a child " + strings.TrimPrefix(qp, quotaRoot) + " which has a quota"}
				return
			}
		}
	})
	if found != nil {
		return found
	}
	if errors.Is(err, jute.ErrNoNode) {
		return nil
	}
	var pe *zkclient.PathError
	if errors.As(err, &pe) {
		return &illegalArg{pe.Reason}
	}
	return err
}

// checkParentQuota refuses a quota on a node with an ancestor that has one.
func (s *shell) checkParentQuota(path string) error {
	parts := javaSplit(path, "/")
	qp := quotaRoot
	for i := 1; i < len(parts)-1; i++ {
		qp += "/" + parts[i]
		kids, _, err := s.zk.GetChildren(s.ctx, qp, false)
		if errors.Is(err, jute.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(kids) == 0 {
			return nil
		}
		for _, k := range kids {
			if qp != quotaPath(path) && k == limitNode {
				return &illegalArg{path + " has a parent " + strings.TrimPrefix(qp, quotaRoot) + " which has a quota"}
			}
		}
	}
	return nil
}

func cmdListQuota(s *shell, args []string) error {
	cl, err := parse(nil, args)
	if err != nil {
		return err
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("listquota", nil))
	}
	path := cl.args[1]
	s.con.errln("absolute path is " + limitPath(path))
	limits, stats, err := s.readQuota(limitPath(path), statPath(path))
	switch {
	case errors.Is(err, jute.ErrNoNode):
		s.con.errln("quota for " + path + " does not exist.")
		return nil
	case err != nil:
		return quotaErr(err)
	}
	s.con.outln("Output quota for " + path + " " + limits.String())
	s.con.outln("Output stat for " + path + " " + stats.String())
	return nil
}

func cmdDelQuota(s *shell, args []string) error {
	specs := quotaOpts(false)
	cl, err := parseGroup(specs, quotaGroup(), false, args)
	if err != nil {
		return usageErr(err.Error())
	}
	if len(cl.args) < 2 {
		return usageErr(s.usageStr("delquota", specs))
	}
	path := cl.args[1]
	var which statsTrack
	for opt, key := range map[string]string{"n": "count", "b": "bytes", "N": "countHardLimit", "B": "byteHardLimit"} {
		if cl.has(opt) {
			if which == nil {
				which = statsTrack{}
			}
			which[key] = 1
		}
	}
	err = s.delQuota(path, which)
	switch {
	case errors.Is(err, jute.ErrNoNode):
		s.con.errln("quota for " + path + " does not exist.")
		return nil
	case err != nil:
		return quotaErr(err)
	}
	return nil
}

// delQuota is DelQuotaCommand.delQuota: without flags the whole quota goes
// (and the quota nodes left empty), with flags only those limits.
func (s *shell) delQuota(path string, which statsTrack) error {
	lp := limitPath(path)
	st, err := s.zk.Exists(s.ctx, lp, false)
	if err != nil {
		return err
	}
	if st == nil {
		s.con.outln("Quota does not exist for " + path)
		return nil
	}
	data, _, err := s.zk.GetData(s.ctx, lp, false)
	if err != nil {
		return err
	}
	limits, err := parseStatsTrack(data)
	if err != nil {
		return err
	}
	if which == nil {
		parent := quotaPath(path)
		kids, _, err := s.zk.GetChildren(s.ctx, parent, false)
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := s.zk.Delete(s.ctx, parent+"/"+k, -1); err != nil {
				return err
			}
		}
		return s.trimQuotas(parent)
	}
	for k := range which {
		limits[k] = -1
	}
	_, err = s.zk.SetData(s.ctx, lp, []byte(limits.String()), -1)
	return err
}

func (s *shell) trimQuotas(p string) error {
	for p != quotaRoot {
		kids, _, err := s.zk.GetChildren(s.ctx, p, false)
		if err != nil {
			return err
		}
		if len(kids) != 0 {
			return nil
		}
		if err := s.zk.Delete(s.ctx, p, -1); err != nil {
			return err
		}
		p = p[:strings.LastIndexByte(p, '/')]
	}
	return nil
}
