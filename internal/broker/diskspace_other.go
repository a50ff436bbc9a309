//go:build !(linux || darwin || freebsd)

package broker

// diskSpace returns -1 for both sizes: this platform's file system sizes
// are not read.
func diskSpace(string) (total, usable int64) { return -1, -1 }
