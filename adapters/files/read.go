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
// contents: the version of a value read outside a Kubernetes volume, and
// what tells a read that raced a write from a settled one.
type fileID struct {
	mtime int64 // modification time, Unix nanoseconds
	ctime int64 // change time, Unix nanoseconds; 0 where the platform has none
	size  int64 // compared, never shown: it would tell a secret's length
	inode uint64
}

// String returns "m<mtime nanoseconds>-c<ctime nanoseconds>-i<inode>":
// nothing derived from the contents, not even their length.
func (id fileID) String() string {
	b := make([]byte, 0, 64)
	b = append(b, 'm')
	b = strconv.AppendInt(b, id.mtime, 10)
	b = append(b, "-c"...)
	b = strconv.AppendInt(b, id.ctime, 10)
	b = append(b, "-i"...)
	b = strconv.AppendUint(b, id.inode, 10)
	return string(b)
}

// changed returns the later of the modification and change times: when
// the file last changed. A truncation sets both; the change time cannot be
// set back by a program.
func (id fileID) changed() time.Time {
	return time.Unix(0, max(id.mtime, id.ctime))
}

func idOf(fi fs.FileInfo) fileID {
	return fileID{mtime: fi.ModTime().UnixNano(), ctime: ctimeOf(fi), size: fi.Size(), inode: inodeOf(fi)}
}

// retryWaits are the pauses before each new read of a file whose read
// raced a write (see readSettled): five reads over about 175 ms at most.
var retryWaits = [...]time.Duration{5 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}

// justWritten is how recently an empty file of a plain directory must have
// changed for its read to count as racing an in-place edit (truncated, not
// yet written). An empty file older than this is read as empty.
const justWritten = time.Second

// readSettled reads the file at path (see readFile) until a read did not
// race a write. A read raced one when the open file's size, times or inode
// differ before and after it, or, in a plain directory, when it found the
// file empty less than justWritten after it changed: an editor or a
// script that truncates and then writes leaves it empty in between, and
// that empty string must not replace a good value. Such a read is tried
// again after a short pause (retryWaits); a file still changing after the
// last one is unavailable. Files of a kubelet generation are never
// written in place, so an empty one is read at once.
func (p *Provider) readSettled(ctx context.Context, path string, plain bool) ([]byte, fileID, *problemError) {
	for attempt := 0; ; attempt++ {
		data, id, raced, perr := p.readFile(ctx, path)
		if perr != nil {
			return nil, fileID{}, perr
		}
		if !raced && (!plain || len(data) > 0 || !p.recent(id.changed())) {
			return data, id, nil
		}
		if attempt == len(retryWaits) {
			return nil, fileID{}, &problemError{changing, "the file changed while it was read", nil}
		}
		if err := p.pause(ctx, retryWaits[attempt]); err != nil {
			return nil, fileID{}, &problemError{cancelled, err.Error(), err}
		}
	}
}

// recent reports whether t is less than justWritten from now, either way
// (a file system's clock may run a little ahead of this process's).
func (p *Provider) recent(t time.Time) bool {
	now := time.Now
	if p.now != nil {
		now = p.now
	}
	age := now().Sub(t)
	return -justWritten < age && age < justWritten
}

// pause waits d or until ctx ends.
func (p *Provider) pause(ctx context.Context, d time.Duration) error {
	if p.wait != nil {
		return p.wait(ctx, d)
	}
	return sleep(ctx, d)
}

// sleep waits d or until ctx ends, and returns ctx's error if it ended.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// readFile reads the regular file at path, at most p.maxSize bytes. It
// checks the file with Stat before opening it, then reads it with
// fileread.ReadInfo, which opens it non-blocking and checks the open file
// again, so a FIFO put in its place in between is refused rather than
// blocking the read. The fileID is the open file's before the read; raced
// reports whether it differs after the read (a write landed during it).
func (p *Provider) readFile(ctx context.Context, path string) (data []byte, id fileID, raced bool, perr *problemError) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fileID{}, false, classify(err)
	}
	if perr := checkRegular(fi, p.maxSize); perr != nil {
		return nil, fileID{}, false, perr
	}
	read := fileread.ReadInfo
	if p.readInfo != nil {
		read = p.readInfo
	}
	data, before, after, err := read(ctx, path, p.maxSize)
	switch {
	case err == nil:
		id = idOf(before)
		return data, id, idOf(after) != id, nil
	case errors.Is(err, fileread.ErrTooLarge):
		return nil, fileID{}, false, tooLargeError(p.maxSize)
	case errors.Is(err, fileread.ErrIsDir):
		return nil, fileID{}, false, &problemError{notRegular, "is a directory", nil}
	case errors.Is(err, fileread.ErrNotRegular):
		return nil, fileID{}, false, &problemError{notRegular, "is a device, FIFO or socket, not a regular file", nil}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, fileID{}, false, &problemError{cancelled, err.Error(), err}
	default:
		return nil, fileID{}, false, classify(err)
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
