// Package fileread reads secret and configuration files for the secretsgen
// adapters with a size cap, refusing anything but a regular file, without
// blocking on a FIFO.
package fileread

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"
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
	data, _, _, err := ReadInfo(ctx, name, limit)
	return data, err
}

// ReadInfo is Read that also returns the open file's information from
// before and after the read (both from fstat of the one descriptor read):
// a caller compares them to tell a read that raced a write to the file
// (its size, modification or change time differ) from a settled one.
func ReadInfo(ctx context.Context, name string, limit int64) (data []byte, before, after fs.FileInfo, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	f, err := openNonBlocking(name)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	before, err = f.Stat()
	if err != nil {
		return nil, nil, nil, err
	}
	switch {
	case before.IsDir():
		return nil, nil, nil, ErrIsDir
	case !before.Mode().IsRegular():
		return nil, nil, nil, ErrNotRegular
	case before.Size() > limit:
		return nil, nil, nil, ErrTooLarge
	}
	// The file may grow after Stat: read one byte past the limit to see.
	data, err = io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, nil, nil, err
	}
	if int64(len(data)) > limit {
		return nil, nil, nil, ErrTooLarge
	}
	if after, err = f.Stat(); err != nil {
		return nil, nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	return data, before, after, nil
}

// WithoutPath returns the reason under the *fs.PathError (or other
// path-carrying error) that Read or an os function returned: the
// syscall.Errno, one of Read's reasons or an fs sentinel, whose text is the
// reason alone, so that an error can say why a file failed without naming
// it (a NAME_FILE variable may hold a secret pasted by mistake; a secrets
// directory comes from configuration). errors.Is(WithoutPath(err),
// fs.ErrNotExist) and the like still hold. An error of another shape is
// replaced by a description of its type.
func WithoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	for _, sentinel := range []error{ErrTooLarge, ErrNotRegular, ErrIsDir, fs.ErrNotExist, fs.ErrPermission, fs.ErrInvalid, fs.ErrClosed} {
		if errors.Is(err, sentinel) {
			return sentinel
		}
	}
	return fmt.Errorf("I/O error (%T)", err)
}
