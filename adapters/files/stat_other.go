//go:build !unix

package files

import "io/fs"

// openFlags adds nothing where there are no FIFOs to block on.
const openFlags = 0

// inodeOf returns 0: this platform has no inode numbers in fs.FileInfo.
func inodeOf(fs.FileInfo) uint64 { return 0 }
