package files

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"time"

	"github.com/dashtam/secretsgen/adapters/internal/fileread"
)

// fileID identifies one state of a plain file without looking at its
// contents: the version of a value read outside a Kubernetes volume.
type fileID struct {
	mtime time.Time
	size  int64
	inode uint64 // 0 where the platform has none
}

// String returns "m<unix nanoseconds>-s<size>-i<inode>".
func (id fileID) String() string {
	b := make([]byte, 0, 64)
	b = append(b, 'm')
	b = strconv.AppendInt(b, id.mtime.UnixNano(), 10)
	b = append(b, "-s"...)
	b = strconv.AppendInt(b, id.size, 10)
	b = append(b, "-i"...)
	b = strconv.AppendUint(b, id.inode, 10)
	return string(b)
}

func idOf(fi fs.FileInfo) fileID {
	return fileID{mtime: fi.ModTime(), size: fi.Size(), inode: inodeOf(fi)}
}

// readFile reads the regular file at path, at most maxSize bytes. It
// checks the file with Stat before opening it, then reads it with
// fileread.Read, which opens it non-blocking and checks the open file
// again, so a FIFO put in its place in between is refused rather than
// blocking the read. The fileID comes from the Stat before the read: an
// update during the read changes it, so the next read sees a new version.
func readFile(ctx context.Context, path string, maxSize int64) ([]byte, fileID, *problemError) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fileID{}, classify(err)
	}
	if perr := checkRegular(fi, maxSize); perr != nil {
		return nil, fileID{}, perr
	}
	data, err := fileread.Read(ctx, path, maxSize)
	switch {
	case err == nil:
		return data, idOf(fi), nil
	case errors.Is(err, fileread.ErrTooLarge):
		return nil, fileID{}, tooLargeError(maxSize)
	case errors.Is(err, fileread.ErrIsDir):
		return nil, fileID{}, &problemError{notRegular, "is a directory", nil}
	case errors.Is(err, fileread.ErrNotRegular):
		return nil, fileID{}, &problemError{notRegular, "is a device, FIFO or socket, not a regular file", nil}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, fileID{}, &problemError{cancelled, err.Error(), err}
	default:
		return nil, fileID{}, classify(err)
	}
}

// checkRegular refuses anything but a regular file of at most maxSize
// bytes.
func checkRegular(fi fs.FileInfo, maxSize int64) *problemError {
	mode := fi.Mode()
	switch {
	case mode.IsRegular():
		if fi.Size() > maxSize {
			return tooLargeError(maxSize)
		}
		return nil
	case mode.IsDir():
		return &problemError{notRegular, "is a directory", nil}
	case mode&fs.ModeNamedPipe != 0:
		return &problemError{notRegular, "is a FIFO, not a regular file", nil}
	case mode&fs.ModeSocket != 0:
		return &problemError{notRegular, "is a socket, not a regular file", nil}
	case mode&fs.ModeDevice != 0:
		return &problemError{notRegular, "is a device, not a regular file", nil}
	default:
		return &problemError{notRegular, "is not a regular file", nil}
	}
}

func tooLargeError(maxSize int64) *problemError {
	limit := fmt.Sprintf("%d bytes", maxSize)
	if maxSize%(1<<20) == 0 {
		limit = fmt.Sprintf("%d MiB", maxSize>>20)
	}
	return &problemError{tooLarge, "is larger than the limit of " + limit, nil}
}
