//go:build linux || darwin || freebsd

package broker

import (
	"math"
	"syscall"
)

// diskSpace returns the total and usable bytes of the file system holding
// dir, or -1 for both when it cannot be read. Sizes that do not fit are
// math.MaxInt64, as Kafka's adjustForLargeFileSystems reports them.
func diskSpace(dir string) (total, usable int64) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1, -1
	}
	clamp := func(blocks, size uint64) int64 {
		if size != 0 && blocks > math.MaxInt64/size {
			return math.MaxInt64
		}
		return int64(blocks * size)
	}
	bsize := uint64(st.Bsize)
	return clamp(uint64(st.Blocks), bsize), clamp(uint64(st.Bavail), bsize)
}
