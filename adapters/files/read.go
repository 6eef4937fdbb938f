package files

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"time"
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
// checks the file with Stat before opening it, opens it non-blocking, and
// checks the open file again, so a FIFO put in its place in between is
// refused rather than blocking the read. The fileID is taken from the open
// file before reading: an update during the read changes it, so the next
// read sees a new version.
func readFile(path string, maxSize int64) ([]byte, fileID, *problemError) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fileID{}, classify(err)
	}
	if perr := checkRegular(fi, maxSize); perr != nil {
		return nil, fileID{}, perr
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, fileID{}, classify(err)
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return nil, fileID{}, classify(err)
	}
	if perr := checkRegular(fi, maxSize); perr != nil {
		return nil, fileID{}, perr
	}
	data, err := readAtMost(f, fi.Size(), maxSize)
	if err != nil {
		return nil, fileID{}, classify(err)
	}
	if int64(len(data)) > maxSize {
		return nil, fileID{}, tooLargeError(maxSize)
	}
	return data, idOf(fi), nil
}

// readAtMost reads r to its end, or to one byte past maxSize, into a
// buffer sized from size (the file's size by fstat) and one byte more, so
// a file that did not change is read with one allocation. A file that grew
// (or reports no size, as some special file systems do) is read on, up to
// one byte past maxSize, for the caller to refuse.
func readAtMost(r io.Reader, size, maxSize int64) ([]byte, error) {
	buf := make([]byte, min(size, maxSize)+1)
	n, err := io.ReadFull(r, buf)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return buf[:n], nil
	case err != nil:
		return nil, err
	}
	rest, err := io.ReadAll(io.LimitReader(r, maxSize+1-int64(len(buf))))
	if err != nil {
		return nil, err
	}
	return append(buf, rest...), nil
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
