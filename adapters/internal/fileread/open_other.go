//go:build !unix

package fileread

import "os"

// openNonBlocking opens name for reading. Platforms without O_NONBLOCK
// rely on the file-type check after the open.
func openNonBlocking(name string) (*os.File, error) {
	return os.Open(name)
}
