//go:build unix

package files

import (
	"io/fs"
	"syscall"
)

// openFlags makes opening a FIFO return at once instead of waiting for a
// writer; it changes nothing for a regular file.
const openFlags = syscall.O_NONBLOCK

// inodeOf returns the file's inode number.
func inodeOf(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
