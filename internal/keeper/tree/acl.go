package tree

import (
	"crypto/sha1"
	"encoding/base64"
	"hash/crc32"
	"strings"

	"github.com/zkafka/zkafka/internal/keeper/jute"
)

// Well-known ACL lists of ZooDefs.Ids.
var (
	// OpenACLUnsafe is world:anyone with every permission.
	OpenACLUnsafe = []jute.ACL{{Perms: jute.PermAll, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
	// ReadACLUnsafe is world:anyone with READ only (the ACL of /zookeeper/config).
	ReadACLUnsafe = []jute.ACL{{Perms: jute.PermRead, ID: jute.ID{Scheme: "world", ID: "anyone"}}}
)

// aclEntry is one distinct ACL list, shared by every node that has it (as
// ZooKeeper's ReferenceCountedACLCache shares them). list, key and hash never
// change once the entry exists; refs is touched only by Apply.
type aclEntry struct {
	list []jute.ACL
	key  string // canonical encoding, the cache key
	hash uint64
	refs int64 // nodes of the live tree that use it
}

// aclID names an entry of the ACL cache; nodes hold it instead of a pointer,
// so they stay pointer-free. Ids are never observable outside the package
// (snapshots number ACLs by first use).
type aclID uint32

// aclCache interns ACL lists. An entry's id is reused only after the entry
// left the cache; a Frozen keeps its own copy of the entries slice, so its
// nodes still resolve to the entries they had.
type aclCache struct {
	m       map[string]aclID
	entries []*aclEntry // by id; nil for a free id
	free    []aclID
	buf     jute.Encoder
}

func newACLCache() *aclCache { return &aclCache{m: make(map[string]aclID)} }

func encodeACLKey(e *jute.Encoder, list []jute.ACL) {
	e.Reset()
	jute.EncodeACLs(e, list)
}

// list returns the ACL list with id. It must not be modified.
func (c *aclCache) list(id aclID) []jute.ACL { return c.entries[id].list }

// add registers a new entry and returns its id.
func (c *aclCache) add(e *aclEntry) aclID {
	var id aclID
	if n := len(c.free); n > 0 {
		id = c.free[n-1]
		c.free = c.free[:n-1]
		c.entries[id] = e
	} else {
		id = aclID(len(c.entries))
		c.entries = append(c.entries, e)
	}
	c.m[e.key] = id
	return id
}

// intern returns the id of the shared entry for list, taking a reference.
func (c *aclCache) intern(list []jute.ACL) aclID {
	encodeACLKey(&c.buf, list)
	if id, ok := c.m[string(c.buf.Bytes())]; ok {
		c.entries[id].refs++
		return id
	}
	cp := make([]jute.ACL, len(list))
	copy(cp, list)
	key := string(c.buf.Bytes())
	return c.add(&aclEntry{list: cp, key: key, hash: hash64([]byte(key), 0x41434c), refs: 1})
}

// adopt registers an entry read from a snapshot (with no references yet);
// ok is false when an equal list is registered already.
func (c *aclCache) adopt(list []jute.ACL) (id aclID, ok bool) {
	encodeACLKey(&c.buf, list)
	if _, ok := c.m[string(c.buf.Bytes())]; ok {
		return 0, false
	}
	key := string(c.buf.Bytes())
	return c.add(&aclEntry{list: list, key: key, hash: hash64([]byte(key), 0x41434c)}), true
}

// release drops a reference taken by intern (or counted for an adopted
// entry); the last one frees the id.
func (c *aclCache) release(id aclID) {
	e := c.entries[id]
	e.refs--
	if e.refs <= 0 {
		delete(c.m, e.key)
		c.entries[id] = nil
		c.free = append(c.free, id)
	}
}

// Authentication schemes with a provider. "world" has none: world:anyone is
// special-cased, and any other world id is invalid.
const (
	schemeWorld  = "world"
	schemeAuth   = "auth"
	schemeDigest = "digest"
	schemeIP     = "ip"
	schemeSuper  = "super"
)

// provider reports whether ZooKeeper has an authentication provider for
// scheme and whether that provider is "authenticated" (its identities are
// what the "auth" scheme expands to).
func (t *Tree) provider(scheme string) (known, authenticated bool) {
	switch scheme {
	case schemeDigest:
		return true, true
	case schemeIP:
		return true, false
	}
	for _, s := range t.opts.AuthSchemes {
		if s == scheme {
			return true, true
		}
	}
	return false, false
}

// validID is the provider's isValid.
func validID(scheme, id string) bool {
	switch scheme {
	case schemeDigest:
		return javaSplitCount(id, ':') == 2
	case schemeIP:
		return ipValid(id)
	}
	return true
}

// matchID is the provider's matches(authId, aclId).
func matchID(scheme, authID, aclID string) bool {
	if scheme == schemeIP {
		return ipMatches(authID, aclID)
	}
	return authID == aclID
}

// fixupACL is PrepRequestProcessor.fixupACL: drop duplicates, refuse an
// empty list, expand "auth" into the session's authenticated identities and
// check every other id with its provider. It returns acls itself when
// nothing changes.
func (t *Tree) fixupACL(acls []jute.ACL, auth []jute.ID) ([]jute.ACL, jute.Err) {
	uniq := acls
	for i := 1; i < len(acls); i++ {
		if containsACL(acls[:i], acls[i]) {
			uniq = make([]jute.ACL, 0, len(acls))
			for _, a := range acls {
				if !containsACL(uniq, a) {
					uniq = append(uniq, a)
				}
			}
			break
		}
	}
	if len(uniq) == 0 {
		return nil, jute.ErrInvalidACL
	}
	var out []jute.ACL // nil while equal to uniq
	for i, a := range uniq {
		switch {
		case a.ID.Scheme == schemeWorld && a.ID.ID == "anyone":
			if out != nil {
				out = append(out, a)
			}
		case a.ID.Scheme == schemeAuth:
			if out == nil {
				out = append(make([]jute.ACL, 0, len(uniq)+len(auth)), uniq[:i]...)
			}
			valid := false
			for _, id := range auth {
				if _, authed := t.provider(id.Scheme); authed {
					valid = true
					out = append(out, jute.ACL{Perms: a.Perms, ID: id})
				}
			}
			if !valid {
				return nil, jute.ErrInvalidACL
			}
		default:
			if known, _ := t.provider(a.ID.Scheme); !known || !validID(a.ID.Scheme, a.ID.ID) {
				return nil, jute.ErrInvalidACL
			}
			if out != nil {
				out = append(out, a)
			}
		}
	}
	if out == nil {
		return uniq, jute.ErrOK
	}
	return out, jute.ErrOK
}

func containsACL(list []jute.ACL, a jute.ACL) bool {
	for _, b := range list {
		if a == b {
			return true
		}
	}
	return false
}

// checkACL is ZooKeeperServer.checkACL: true when auth may do perm (any of
// its bits) on a node with acl. An empty list allows everything, a "super"
// identity allows everything.
// CanRead reports whether identities auth may READ a node with this ACL;
// the server asks it before delivering a watch event, as ZooKeeper does.
func (t *Tree) CanRead(acl []jute.ACL, auth []jute.ID) bool {
	return t.checkACL(acl, jute.PermRead, auth)
}

func (t *Tree) checkACL(acl []jute.ACL, perm int32, auth []jute.ID) bool {
	if len(acl) == 0 {
		return true
	}
	for _, id := range auth {
		if id.Scheme == schemeSuper {
			return true
		}
	}
	for _, a := range acl {
		if a.Perms&perm == 0 {
			continue
		}
		if a.ID.Scheme == schemeWorld && a.ID.ID == "anyone" {
			return true
		}
		if known, _ := t.provider(a.ID.Scheme); !known {
			continue
		}
		for _, id := range auth {
			if id.Scheme == a.ID.Scheme && matchID(id.Scheme, id.ID, a.ID.ID) {
				return true
			}
		}
	}
	return false
}

// redactDigest is Java's id.replaceAll(":.*", ":x"): from each ':' to the
// end of its line becomes ":x" ('.' does not match line terminators).
func redactDigest(id string) string {
	if strings.IndexByte(id, ':') < 0 {
		return id
	}
	var b strings.Builder
	skipping := false
	for _, r := range id {
		if isJavaLineTerminator(r) {
			skipping = false
			b.WriteRune(r)
			continue
		}
		if skipping {
			continue
		}
		if r == ':' {
			b.WriteString(":x")
			skipping = true
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isJavaLineTerminator(r rune) bool {
	return r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029
}

// javaSplitCount is len(s.split(String.valueOf(sep))) in Java: trailing
// empty fields are dropped, and an input without sep is one field.
func javaSplitCount(s string, sep byte) int {
	if strings.IndexByte(s, sep) < 0 {
		return 1
	}
	fields := strings.Split(s, string(sep))
	n := len(fields)
	for n > 0 && fields[n-1] == "" {
		n--
	}
	return n
}

// javaParseInt is Integer.parseInt(s, radix) for ASCII digits: an optional
// sign, at least one digit, and a result that fits an int.
func javaParseInt(s string, radix int) (int32, bool) {
	if s == "" {
		return 0, false
	}
	neg := false
	switch s[0] {
	case '+', '-':
		neg = s[0] == '-'
		s = s[1:]
		if s == "" {
			return 0, false
		}
	}
	var v int64
	for i := 0; i < len(s); i++ {
		var d int64
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			d = int64(c - '0')
		case c >= 'a' && c <= 'z':
			d = int64(c-'a') + 10
		case c >= 'A' && c <= 'Z':
			d = int64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= int64(radix) {
			return 0, false
		}
		v = v*int64(radix) + d
		if v > 1<<31 {
			return 0, false
		}
	}
	if neg {
		v = -v
	}
	if v > 1<<31-1 || v < -1<<31 {
		return 0, false
	}
	return int32(v), true
}

// ipAddrBytes is IPAuthenticationProvider.addr2Bytes: IPv6 when the string
// holds ':', IPv4 when it holds '.', nil otherwise or when malformed.
func ipAddrBytes(addr string) []byte {
	if strings.IndexByte(addr, ':') >= 0 {
		return ipv6Bytes(addr)
	}
	if strings.IndexByte(addr, '.') >= 0 {
		parts := strings.Split(addr, ".")
		if len(parts) != 4 {
			return nil
		}
		b := make([]byte, 4)
		for i, p := range parts {
			v, ok := javaParseInt(p, 10)
			if !ok || v < 0 || v > 255 {
				return nil
			}
			b[i] = byte(v)
		}
		return b
	}
	return nil
}

func ipv6Bytes(addr string) []byte {
	parts := strings.Split(addr, "::")
	var seg1, seg2 []string
	switch len(parts) {
	case 1:
		seg1 = strings.Split(parts[0], ":")
		if len(seg1) != 8 {
			return nil
		}
	case 2:
		if parts[0] != "" {
			seg1 = strings.Split(parts[0], ":")
		}
		if parts[1] != "" {
			seg2 = strings.Split(parts[1], ":")
		}
		if len(seg1)+len(seg2) >= 8 {
			return nil
		}
	default:
		return nil
	}
	b := make([]byte, 16)
	if !ipv6Segments(b, 0, seg1) || !ipv6Segments(b, 16-2*len(seg2), seg2) {
		return nil
	}
	return b
}

func ipv6Segments(b []byte, at int, segs []string) bool {
	for _, s := range segs {
		if s == "" || utf16Len(s) > 4 {
			return false
		}
		v, ok := javaParseInt(s, 16)
		if !ok {
			return false
		}
		b[at] = byte(v >> 8)
		b[at+1] = byte(v)
		at += 2
	}
	return true
}

// ipMask keeps the first bits bits of b.
func ipMask(b []byte, bits int) {
	start := bits / 8
	mask := ^((1 << (8 - bits%8)) - 1)
	for ; start < len(b); start++ {
		b[start] &= byte(mask)
		mask = 0
	}
}

// ipPrefixBits parses the "/bits" part of an ip ACL id.
func ipPrefixBits(id string) (addr []byte, bits int, ok bool) {
	a, b, hasBits := strings.Cut(id, "/")
	addr = ipAddrBytes(a)
	if addr == nil {
		return nil, 0, false
	}
	bits = len(addr) * 8
	if hasBits {
		v, ok := javaParseInt(b, 10)
		if !ok || v < 0 || int(v) > len(addr)*8 {
			return nil, 0, false
		}
		bits = int(v)
	}
	return addr, bits, true
}

// ipValid is IPAuthenticationProvider.isValid.
func ipValid(id string) bool {
	_, _, ok := ipPrefixBits(id)
	return ok
}

// ipMatches is IPAuthenticationProvider.matches(id, aclExpr).
func ipMatches(id, aclExpr string) bool {
	acl, bits, ok := ipPrefixBits(aclExpr)
	if !ok {
		return false
	}
	ipMask(acl, bits)
	remote := ipAddrBytes(id)
	if remote == nil {
		return false
	}
	ipMask(remote, bits)
	if len(remote) != len(acl) {
		return false
	}
	for i := range remote {
		if remote[i] != acl[i] {
			return false
		}
	}
	return true
}

// DigestID returns the digest-scheme identity ZooKeeper derives from
// "user:password" (DigestAuthenticationProvider.generateDigest):
// "user:" + base64(sha1("user:password")). It is here for tests and tools;
// the server authenticates sessions.
func DigestID(userPassword string) string {
	return digestID(userPassword)
}

// crcTable is the Castagnoli table, used for snapshot frames and digests.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// hash64 is a 64-bit hash of b from two CRC-32C passes with different
// seeds: fast (hardware CRC) and good enough to notice divergence.
func hash64(b []byte, seed uint32) uint64 {
	lo := crc32.Update(seed, crcTable, b)
	hi := crc32.Update(^seed, crcTable, b)
	return mix64(uint64(hi)<<32 | uint64(lo) ^ uint64(len(b))*0x9e3779b97f4a7c15)
}

// mix64 is the splitmix64 finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func digestID(userPassword string) string {
	user, _, _ := strings.Cut(userPassword, ":")
	sum := sha1.Sum([]byte(userPassword))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}
