//go:build !unix

package files

import "io/fs"

// inodeOf returns 0: this platform has no inode numbers in fs.FileInfo.
func inodeOf(fs.FileInfo) uint64 { return 0 }
