package kafkacli

// Kafka's tools print some collections in the iteration order of a
// java.util.HashMap: the configs of `--describe` (Config keeps its entries in
// a HashMap) and the topics of `--describe` (DescribeTopicsResult collects
// them in one). That order is a pure function of the keys, the order they
// were put in and the map's capacity, so it is reproduced here: String's
// hashCode, HashMap's spread and index, its power-of-two table that doubles
// past a 0.75 load, and a resize that splits each bucket keeping order.
// The sizing rules are OpenJDK 17's (the JDK Kafka 3.x ships on most);
// JDK 19 sized a map copied from another with Math.ceil, which differs only
// when a copied map holds a multiple of three keys. Treeified buckets (8 or
// more colliding keys) are not modelled.

const javaMaxCapacity = 1 << 30

// javaStringHash is java.lang.String.hashCode over s's UTF-16 code units.
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// javaSpread is HashMap.hash: the high half folded into the low half.
func javaSpread(h int32) uint32 {
	u := uint32(h)
	return u ^ (u >> 16)
}

// javaTableSizeFor is HashMap.tableSizeFor: the least power of two >= c.
func javaTableSizeFor(c int) int {
	n := 1
	for n < c && n < javaMaxCapacity {
		n <<= 1
	}
	return n
}

// javaHashMap models the iteration order of a java.util.HashMap with
// string keys.
type javaHashMap struct {
	table     [][]javaEntry
	threshold int
	size      int
}

type javaEntry struct {
	key  string
	hash uint32
}

// newJavaHashMapCap is `new HashMap<>(initialCapacity)`; a negative
// capacity is `new HashMap<>()`.
func newJavaHashMapCap(initialCapacity int) *javaHashMap {
	m := &javaHashMap{}
	if initialCapacity >= 0 {
		m.threshold = javaTableSizeFor(initialCapacity)
	}
	return m
}

// newJavaHashMapCopy is `new HashMap<>(other)` where other iterates keys.
func newJavaHashMapCopy(keys []string) *javaHashMap {
	m := &javaHashMap{}
	if s := len(keys); s > 0 {
		ft := float32(s)/0.75 + 1.0
		t := javaMaxCapacity
		if ft < float32(javaMaxCapacity) {
			t = int(ft)
		}
		if t > m.threshold {
			m.threshold = javaTableSizeFor(t)
		}
	}
	for _, k := range keys {
		m.put(k)
	}
	return m
}

func (m *javaHashMap) resize() {
	oldCap := len(m.table)
	var newCap, newThr int
	switch {
	case oldCap > 0:
		newCap = oldCap << 1
		if oldCap >= 16 {
			newThr = m.threshold << 1
		} else {
			newThr = int(float32(newCap) * 0.75)
		}
	case m.threshold > 0:
		newCap = m.threshold
		newThr = int(float32(newCap) * 0.75)
	default:
		newCap, newThr = 16, 12
	}
	nt := make([][]javaEntry, newCap)
	for _, b := range m.table {
		for _, e := range b {
			i := e.hash & uint32(newCap-1)
			nt[i] = append(nt[i], e)
		}
	}
	m.table, m.threshold = nt, newThr
}

// put adds key (a key already present keeps its place).
func (m *javaHashMap) put(key string) {
	if m.table == nil {
		m.resize()
	}
	h := javaSpread(javaStringHash(key))
	i := h & uint32(len(m.table)-1)
	for _, e := range m.table[i] {
		if e.key == key {
			return
		}
	}
	m.table[i] = append(m.table[i], javaEntry{key, h})
	m.size++
	if m.size > m.threshold {
		m.resize()
	}
}

// keys returns the keys in iteration order.
func (m *javaHashMap) keys() []string {
	out := make([]string, 0, m.size)
	for _, b := range m.table {
		for _, e := range b {
			out = append(out, e.key)
		}
	}
	return out
}

// javaConfigOrder is the order in which Kafka's Config (a `new HashMap<>()`
// filled in response order) iterates the config names.
func javaConfigOrder(names []string) []string {
	m := newJavaHashMapCap(-1)
	for _, n := range names {
		m.put(n)
	}
	return m.keys()
}

// javaDescribeTopicsOrder is the order in which `kafka-topics --describe`
// prints topics given in sorted order: KafkaAdminClient puts them in a
// `new HashMap<>(n)`, copies it with `new HashMap<>(map)`, and
// DescribeTopicsResult.allTopicNames puts that copy into a
// `new HashMap<>(n)`, whose values are printed.
func javaDescribeTopicsOrder(sorted []string) []string {
	first := newJavaHashMapCap(len(sorted))
	for _, t := range sorted {
		first.put(t)
	}
	copied := newJavaHashMapCopy(first.keys())
	last := newJavaHashMapCap(copied.size)
	for _, t := range copied.keys() {
		last.put(t)
	}
	return last.keys()
}
