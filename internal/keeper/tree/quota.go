package tree

import (
	"sort"
	"strconv"
	"strings"
)

// Quotas, as ZooKeeper's DataTree keeps them (enforcement is not done; it is
// off by default in ZooKeeper too). A quota on path P is the node
// /zookeeper/quota/P/zookeeper_limits; creating it records P, and
// /zookeeper/quota/P/zookeeper_stats holds "count=N,bytes=M" for the
// subtree at P. Creating, deleting and changing nodes under the deepest
// quota path above them updates that stats node's data (without touching
// its stat).

const (
	limitNode = "zookeeper_limits"
	statNode  = "zookeeper_stats"
)

// quotaComponents are the components of path that ZooKeeper's PathTrie
// keeps: those that are not blank.
func quotaComponents(path string) []string {
	var out []string
	for _, c := range strings.Split(path, "/") {
		if !javaTrimEmpty(c) {
			out = append(out, c)
		}
	}
	return out
}

// quotaKey returns the PathTrie form of path, or "" when it has no
// component (where ZooKeeper would throw).
func quotaKey(path string) string {
	c := quotaComponents(path)
	if len(c) == 0 {
		return ""
	}
	return "/" + strings.Join(c, "/")
}

func (t *Tree) quotaAdd(path string) {
	k := quotaKey(path)
	if k == "" {
		return
	}
	if _, ok := t.quotas[k]; !ok {
		t.quotas[k] = struct{}{}
		t.quotaDigest += quotaHash(k)
	}
}

func (t *Tree) quotaDelete(path string) {
	k := quotaKey(path)
	if _, ok := t.quotas[k]; k != "" && ok {
		delete(t.quotas, k)
		t.quotaDigest -= quotaHash(k)
	}
}

// maxQuotaPrefix is DataTree.getMaxPrefixWithQuota: the deepest quota path
// that is a prefix (by components) of path, or "".
func (t *Tree) maxQuotaPrefix(path string) string {
	if len(t.quotas) == 0 {
		return ""
	}
	best := ""
	var b strings.Builder
	for _, c := range quotaComponents(path) {
		b.WriteByte('/')
		b.WriteString(c)
		if _, ok := t.quotas[b.String()]; ok {
			best = b.String()
		}
	}
	return best
}

// quotaOnCreate is the quota part of DataTree.createNode.
func (t *Tree) quotaOnCreate(parent, name, path string, dataLen int) {
	if strings.HasPrefix(parent, quotaPath) {
		real := parent[len(quotaPath):]
		if name == limitNode {
			t.quotaAdd(real)
		}
		if name == statNode {
			t.updateQuotaForPath(real)
		}
	}
	if prefix := t.maxQuotaPrefix(path); prefix != "" {
		t.updateQuotaStat(prefix, int64(dataLen), 1)
	}
}

// quotaOnDelete is the quota part of DataTree.deleteNode.
func (t *Tree) quotaOnDelete(parent, name, path string, dataLen int) {
	if strings.HasPrefix(parent, procPath) && name == limitNode {
		if real, ok := javaSubstringFrom(parent, len(quotaPath)); ok {
			t.quotaDelete(real)
		}
	}
	if prefix := t.maxQuotaPrefix(path); prefix != "" {
		t.updateQuotaStat(prefix, -int64(dataLen), -1)
	}
}

// setQuotaData replaces the data of the node at path without changing its
// stat, as ZooKeeper's quota bookkeeping does.
func (t *Tree) setQuotaData(path string, data []byte) {
	n := t.get(path)
	if n == nil {
		return
	}
	t.replaceFull(n, n.withData(data))
}

// updateQuotaForPath is DataTree.updateQuotaForPath: count the nodes and
// data bytes of the subtree at path into its stats node.
func (t *Tree) updateQuotaForPath(path string) {
	var count, size int64
	if n := t.get(path); n != nil {
		count, size = 1, int64(n.dataLen())
		t.descendants(path, func(d *node) bool {
			count++
			size += int64(d.dataLen())
			return true
		})
	}
	st := statsTrack{"count": count, "bytes": size}
	t.setQuotaData(quotaPath+path+"/"+statNode, st.bytes())
}

// updateQuotaStat is DataTree.updateQuotaStat. Where ZooKeeper would throw
// on a stats node whose data does not parse, nothing changes.
func (t *Tree) updateQuotaStat(prefix string, bytesDiff, countDiff int64) {
	sp := quotaPath + prefix + "/" + statNode
	n := t.get(sp)
	if n == nil {
		return
	}
	st, ok := parseStatsTrack(string(n.data()))
	if !ok {
		return
	}
	st["count"] = st.get("count") + countDiff
	st["bytes"] = st.get("bytes") + bytesDiff
	t.setQuotaData(sp, st.bytes())
}

// statsTrack is ZooKeeper's StatsTrack.
type statsTrack map[string]int64

func (s statsTrack) get(k string) int64 {
	if v, ok := s[k]; ok {
		return v
	}
	return -1
}

// parseStatsTrack parses "k=v" pairs separated by runs of ',' and ';' with
// Java's split semantics; ok is false where Java would throw.
func parseStatsTrack(s string) (statsTrack, bool) {
	st := statsTrack{}
	if s == "" {
		return st, true
	}
	pairs := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' })
	if len(pairs) > 0 && strings.IndexAny(s[:1], ",;") >= 0 {
		// Java keeps the empty string before a leading separator.
		pairs = append([]string{""}, pairs...)
	}
	for _, p := range pairs {
		kv := strings.Split(p, "=")
		n := len(kv)
		for n > 0 && kv[n-1] == "" {
			n--
		}
		if n < 2 {
			return nil, false
		}
		v := int64(-1)
		if kv[1] != "" {
			var err error
			if v, err = strconv.ParseInt(kv[1], 10, 64); err != nil {
				return nil, false
			}
		}
		st[kv[0]] = v
	}
	return st, true
}

// bytes is StatsTrack.toString: count and bytes first, then "=" and the
// other keys sorted, each as ";k=v".
func (s statsTrack) bytes() []byte {
	b := []byte("count=")
	b = strconv.AppendInt(b, s.get("count"), 10)
	b = append(b, ",bytes="...)
	b = strconv.AppendInt(b, s.get("bytes"), 10)
	var keys []string
	for k := range s {
		if k != "count" && k != "bytes" {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		b = append(b, '=')
		for _, k := range keys {
			b = append(b, ';')
			b = append(b, k...)
			b = append(b, '=')
			b = strconv.AppendInt(b, s[k], 10)
		}
	}
	return b
}
