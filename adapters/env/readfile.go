package env

import (
	"context"
	"errors"
	"io"
)

// Size limits of what the provider reads from files, far above any real
// secret or .env file; a larger file is refused, never read to the end.
const (
	// MaxValueSize is the largest file a NAME_FILE variable may name:
	// 1 MiB.
	MaxValueSize = 1 << 20
	// MaxEnvFileSize is the largest .env file: 10 MiB.
	MaxEnvFileSize = 10 << 20
)

// Reasons readBounded refuses a file; errors.Is finds them in the chain.
var (
	errNotRegular = errors.New("not a regular file (a device, FIFO or socket)")
	errTooLarge   = errors.New("file too large")
	errIsDir      = errors.New("is a directory")
)

// readBounded reads the regular file name, at most limit bytes. It opens
// the file without blocking (O_NONBLOCK where the platform has it, so a
// FIFO with no writer does not hang the open), checks the open file's type
// and refuses anything but a regular file before reading a byte, so
// /dev/zero, a FIFO or a socket cannot exhaust memory or block the caller.
// A file larger than limit is errTooLarge; ctx is checked before the open
// and after the read (a read of a regular file does not block on a peer).
// Errors from the operating system keep their *fs.PathError.
func readBounded(ctx context.Context, name string, limit int64) ([]byte, error) {
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
		return nil, errIsDir
	case !info.Mode().IsRegular():
		return nil, errNotRegular
	case info.Size() > limit:
		return nil, errTooLarge
	}
	// The file may grow after Stat: read one byte past the limit to see.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return data, nil
}
