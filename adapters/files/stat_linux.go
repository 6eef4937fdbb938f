//go:build linux

package files

import (
	"io/fs"
	"syscall"
)

// ctimeOf returns the file's change time in Unix nanoseconds.
func ctimeOf(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ctim.Nano()
	}
	return 0
}
