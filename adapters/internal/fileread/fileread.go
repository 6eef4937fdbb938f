// Package fileread reads secret and configuration files for the secretsgen
// adapters with a size cap, refusing anything but a regular file, without
// blocking on a FIFO.
package fileread

import (
	"context"
	"errors"
	"io"
)

// Reasons Read refuses a file; errors.Is finds them in the chain.
var (
	ErrNotRegular = errors.New("not a regular file (a device, FIFO or socket)")
	ErrTooLarge   = errors.New("file too large")
	ErrIsDir      = errors.New("is a directory")
)

// Read reads the regular file name, at most limit bytes. It opens
// the file without blocking (O_NONBLOCK where the platform has it, so a
// FIFO with no writer does not hang the open), checks the open file's type
// and refuses anything but a regular file before reading a byte, so
// /dev/zero, a FIFO or a socket cannot exhaust memory or block the caller.
// A file larger than limit is ErrTooLarge; ctx is checked before the open
// and after the read (a read of a regular file does not block on a peer).
// Errors from the operating system keep their *fs.PathError.
func Read(ctx context.Context, name string, limit int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := openNonBlocking(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case info.IsDir():
		return nil, ErrIsDir
	case !info.Mode().IsRegular():
		return nil, ErrNotRegular
	case info.Size() > limit:
		return nil, ErrTooLarge
	}
	// The file may grow after Stat: read one byte past the limit to see.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, ErrTooLarge
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return data, nil
}
