package plog

import "sync"

// epochCache is the leader epoch cache: for each leader epoch, the first
// offset written in it, persisted in leader-epoch-checkpoint. Entries
// increase strictly in both epoch and start offset. It has its own lock
// so OffsetForLeaderEpoch never waits for an append.
type epochCache struct {
	path string

	mu      sync.RWMutex
	entries []epochEntry
}

func loadEpochCache(path string) (*epochCache, error) {
	entries, err := readEpochCheckpoint(path)
	if err != nil {
		return nil, err
	}
	c := &epochCache{path: path}
	// Keep only a strictly increasing sequence, as assign would have.
	for _, e := range entries {
		c.assignLocked(e)
	}
	return c, nil
}

func (c *epochCache) latest() (epochEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.entries) == 0 {
		return epochEntry{}, false
	}
	return c.entries[len(c.entries)-1], true
}

// assign records that epoch starts at startOffset and persists the cache
// when it changed. Like Kafka, a new entry removes later-or-equal entries
// that conflict with it (epoch >= its epoch or start >= its start).
func (c *epochCache) assign(epoch int32, startOffset int64) error {
	if epoch < 0 || startOffset < 0 {
		return nil
	}
	c.mu.Lock()
	changed := c.assignLocked(epochEntry{epoch, startOffset})
	snap := append([]epochEntry(nil), c.entries...)
	c.mu.Unlock()
	if !changed {
		return nil
	}
	return writeEpochCheckpoint(c.path, snap)
}

func (c *epochCache) assignLocked(e epochEntry) bool {
	if n := len(c.entries); n > 0 {
		last := c.entries[n-1]
		if e.epoch == last.epoch && e.startOffset >= last.startOffset {
			return false
		}
	}
	for n := len(c.entries); n > 0; n-- {
		last := c.entries[n-1]
		if last.epoch < e.epoch && last.startOffset < e.startOffset {
			break
		}
		c.entries = c.entries[:n-1]
	}
	c.entries = append(c.entries, e)
	return true
}

// truncateFromEnd removes the entries starting at or after endOffset (the
// log was truncated to endOffset).
func (c *epochCache) truncateFromEnd(endOffset int64) error {
	c.mu.Lock()
	n := len(c.entries)
	for n > 0 && c.entries[n-1].startOffset >= endOffset {
		n--
	}
	changed := n != len(c.entries)
	c.entries = c.entries[:n]
	snap := append([]epochEntry(nil), c.entries...)
	c.mu.Unlock()
	if !changed {
		return nil
	}
	return writeEpochCheckpoint(c.path, snap)
}

// truncateFromStart removes the entries that start at or before
// startOffset (the log start offset advanced) and keeps the last of them,
// moved to startOffset.
func (c *epochCache) truncateFromStart(startOffset int64) error {
	c.mu.Lock()
	i := 0
	for i < len(c.entries) && c.entries[i].startOffset <= startOffset {
		i++
	}
	if i == 0 || (i == 1 && c.entries[0].startOffset == startOffset) {
		c.mu.Unlock()
		return nil
	}
	kept := epochEntry{c.entries[i-1].epoch, startOffset}
	c.entries = append([]epochEntry{kept}, c.entries[i:]...)
	snap := append([]epochEntry(nil), c.entries...)
	c.mu.Unlock()
	return writeEpochCheckpoint(c.path, snap)
}

// clear removes every entry.
func (c *epochCache) clear() error {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
	return writeEpochCheckpoint(c.path, nil)
}

// endOffsetFor answers OffsetForLeaderEpoch for requested epoch given the
// log end offset, as Kafka's LeaderEpochFileCache.endOffsetFor:
//   - undefined epoch (-1), or one above every known epoch: (-1, -1);
//   - the latest epoch: (epoch, logEndOffset);
//   - otherwise the largest known epoch <= requested (or requested itself
//     when it is below every known epoch) and the start offset of the
//     first epoch above requested.
func (c *epochCache) endOffsetFor(requested int32, logEndOffset int64) (int32, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if requested < 0 || len(c.entries) == 0 {
		return -1, -1
	}
	if c.entries[len(c.entries)-1].epoch == requested {
		return requested, logEndOffset
	}
	hi := -1
	for i, e := range c.entries {
		if e.epoch > requested {
			hi = i
			break
		}
	}
	if hi < 0 {
		return -1, -1
	}
	if hi == 0 {
		return requested, c.entries[0].startOffset
	}
	return c.entries[hi-1].epoch, c.entries[hi].startOffset
}
