package cluster

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf16"
)

// Kafka writes its z-node JSON with Jackson from Scala and Java maps, so the
// order of the members is the iteration order of those maps. Readers do not
// care, but people compare `get /brokers/ids/0` outputs, so we reproduce the
// order Kafka 3.x (the Scala 2.13 build) writes. The fixed member orders in
// zkdata.go were derived with the functions below (and are checked against
// them in tests); maps whose keys vary (partition numbers, topic configs,
// listener names) are ordered by them at encode time.
//
//	Scala 2.13 mutable.HashMap   key order = (hash^(hash>>>16)) & (table-1), then
//	                             signed hash; the table starts at 16 (or sized for
//	                             the entries it was built from) and doubles when
//	                             the next insert would reach 3/4 of it.
//	Scala 2.13 immutable.Map     up to 4 entries: insertion order; beyond: CHAMP
//	                             trie order over improve(hash), 5 bits a level,
//	                             a level's single entries before its sub-nodes.
//	java.util.HashMap and        (hash^(hash>>>16)) & (table-1), table 16 (exact
//	Properties (a CHM inside)    up to 11 entries), insertion order within a bin.

// javaStringHash is java.lang.String.hashCode: s[0]*31^(n-1) + ... over the
// UTF-16 code units of s.
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			h = 31*h + int32(r1)
			h = 31*h + int32(r2)
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// scalaImprove is scala.collection.Hashing.improve, the hash spreader of
// Scala 2.13's immutable.HashMap.
func scalaImprove(hcode int32) uint32 {
	h := uint32(hcode)
	h += ^(h << 9)
	h ^= h >> 14
	h += h << 4
	return h ^ (h >> 10)
}

// spread16 is h ^ (h >>> 16): the hash spreader of Scala 2.13's
// mutable.HashMap and of java.util.concurrent.ConcurrentHashMap.
func spread16(h int32) uint32 { return uint32(h) ^ uint32(h)>>16 }

// scalaMutableMapOrder returns keys (given in insertion order) in the order
// a Scala 2.13 mutable.HashMap with an initial table of the given size
// iterates them.
func scalaMutableMapOrder(keys []string, table int) []string {
	for i := range keys {
		if i+1 >= table*3/4 {
			table *= 2
		}
	}
	type ent struct {
		key  string
		idx  uint32
		hash int32
	}
	ents := make([]ent, len(keys))
	for i, k := range keys {
		h := spread16(javaStringHash(k))
		ents[i] = ent{k, h & uint32(table-1), int32(h)}
	}
	slices.SortStableFunc(ents, func(a, b ent) int {
		if a.idx != b.idx {
			return cmpUint(a.idx, b.idx)
		}
		return cmpInt(a.hash, b.hash)
	})
	out := make([]string, len(ents))
	for i, e := range ents {
		out[i] = e.key
	}
	return out
}

// scalaImmutableMapOrder returns keys (given in insertion order) in the order
// a Scala 2.13 immutable.Map built from them iterates them.
func scalaImmutableMapOrder(keys []string) []string {
	if len(keys) <= 4 {
		return slices.Clone(keys)
	}
	hashes := make(map[string]uint32, len(keys))
	for _, k := range keys {
		hashes[k] = scalaImprove(javaStringHash(k))
	}
	return champOrder(keys, hashes, 0)
}

func champOrder(keys []string, hashes map[string]uint32, shift uint) []string {
	if shift >= 32 || len(keys) <= 1 {
		return slices.Clone(keys) // a collision node keeps insertion order
	}
	groups := make(map[uint32][]string)
	var slots []uint32
	for _, k := range keys {
		s := hashes[k] >> shift & 31
		if _, ok := groups[s]; !ok {
			slots = append(slots, s)
		}
		groups[s] = append(groups[s], k)
	}
	slices.Sort(slots)
	var out []string
	for _, s := range slots { // payload first
		if len(groups[s]) == 1 {
			out = append(out, groups[s][0])
		}
	}
	for _, s := range slots { // then sub-nodes
		if len(groups[s]) > 1 {
			out = append(out, champOrder(groups[s], hashes, shift+5)...)
		}
	}
	return out
}

// javaHashOrder returns keys (given in insertion order) in the order a
// java.util.HashMap or java.util.Properties (a ConcurrentHashMap inside),
// both with an initial table of 16, iterates them. Exact up to 11 entries;
// beyond, the bins of a resized table may differ in their internal order.
func javaHashOrder(keys []string) []string {
	table := 16
	for i := range keys {
		if i+1 >= table*3/4 {
			table *= 2
		}
	}
	type ent struct {
		key string
		idx uint32
	}
	ents := make([]ent, len(keys))
	for i, k := range keys {
		ents[i] = ent{k, spread16(javaStringHash(k)) & 0x7fffffff & uint32(table-1)}
	}
	slices.SortStableFunc(ents, func(a, b ent) int { return cmpUint(a.idx, b.idx) })
	out := make([]string, len(ents))
	for i, e := range ents {
		out[i] = e.key
	}
	return out
}

func cmpUint(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt(a, b int32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// object writes one JSON object with its members in the order they are added.
type object struct {
	b []byte
	n int
}

func newObject() *object { return &object{b: []byte{'{'}} }

func (o *object) key(k string) {
	if o.n > 0 {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = appendJSONString(o.b, k)
	o.b = append(o.b, ':')
}

func (o *object) str(k, v string) *object {
	o.key(k)
	o.b = appendJSONString(o.b, v)
	return o
}

func (o *object) int(k string, v int64) *object {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
	return o
}

func (o *object) null(k string) *object {
	o.key(k)
	o.b = append(o.b, "null"...)
	return o
}

func (o *object) ints(k string, v []int32) *object {
	o.key(k)
	o.b = appendInts(o.b, v)
	return o
}

func (o *object) raw(k string, v []byte) *object {
	o.key(k)
	o.b = append(o.b, v...)
	return o
}

func (o *object) bytes() []byte { return append(o.b, '}') }

func appendInts(b []byte, v []int32) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string, escaping as little as Jackson
// does (no HTML escapes).
func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})...)
}
