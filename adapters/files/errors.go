package files

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"

	"github.com/dashtam/secretsgen/adapters/internal/fileread"
	"github.com/dashtam/secretsgen/runtime"
)

// problem is one way reading a file can fail.
type problem int

const (
	missing        problem = iota + 1 // no such file
	denied                            // the process may not read it
	notRegular                        // a directory, FIFO, socket or device
	tooLarge                          // larger than the size limit
	badName                           // the env name cannot be a file name
	dirGone                           // the directory itself cannot be read
	unreadable                        // any other I/O error
	cancelled                         // the context ended first
	churning                          // ..data kept moving while a batch was read
	changing                          // a plain file kept changing while it was read
	halfCredential                    // one of a credential's two files is missing
)

// problemClass is what a problem means: its runtime error kind, what to do
// about it, with %s standing for the file name, and whether it is about
// the volume as a whole rather than one file (wide: every read fails the
// same way, and a Load says it once).
type problemClass struct {
	kind runtime.Kind
	hint string
	wide bool
}

// problems is the one table from problems to runtime error kinds and
// hints. Hints never name the directory, only the file and the variable.
var problems = map[problem]problemClass{
	missing:    {runtime.ErrNotFound, "create the file %s in the directory " + EnvDir + " names (a key of the Kubernetes Secret, a Docker secret or a Vault Agent template of that name)", false},
	denied:     {runtime.ErrAccessDenied, "let this process read %s (Kubernetes: the volume's defaultMode or the pod's fsGroup; Docker: the secret's uid, gid and mode)", false},
	notRegular: {runtime.ErrInvalidValue, "make %s a regular file", false},
	tooLarge:   {runtime.ErrInvalidValue, "store a smaller value in %s, or raise Options.MaxSize", false},
	badName:    {runtime.ErrInvalidValue, "give the entry an env: name that is a plain file name (letters, digits, '_', '-', '.'; not starting with '..')", false},
	dirGone:    {runtime.ErrUnavailable, "check that the volume is still mounted", true},
	unreadable: {runtime.ErrUnavailable, "check the volume and retry", false},
	cancelled:  {runtime.ErrUnavailable, "", false},
	churning:   {runtime.ErrUnavailable, "retry: the volume is being updated", true},
	changing:   {runtime.ErrUnavailable, "retry: %s is being written (replace it by renaming a new file over it to make updates atomic)", false},
	// A credential's %s is its two files.
	halfCredential: {runtime.ErrInvalidValue, "create both files, %s, in one update (one Kubernetes Secret, two keys)", false},
}

// fail says what went wrong reading ref: problem prob with cause, of the
// whole backend (runtime.FailBackend, naming where the directory came
// from) when the problem is wide. Runtime adds the path, the backend and
// the file name (Where).
func (p *Provider) fail(ref runtime.Ref, prob problem, cause error) error {
	c := problems[prob]
	hint := c.hint
	if strings.Contains(hint, "%s") {
		hint = fmt.Sprintf(hint, where(ref))
	}
	if c.wide {
		return runtime.FailBackend(c.kind, cause, p.address(), hint)
	}
	return runtime.Fail(c.kind, cause, hint)
}

// problemError says what is wrong with a file, in words written here, and
// wraps the operating system's error without the path, so errors.Is(err,
// fs.ErrNotExist) and the like work.
type problemError struct {
	problem problem
	what    string
	err     error
}

func (e *problemError) Error() string { return e.what }
func (e *problemError) Unwrap() error { return e.err }

// classify turns an error from os.Stat or os.Open of a file into a
// problemError.
func classify(err error) *problemError {
	cause := fileread.WithoutPath(err)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return &problemError{missing, "no such file", cause}
	case errors.Is(err, fs.ErrPermission):
		return &problemError{denied, "permission denied", cause}
	case errors.Is(err, syscall.ELOOP):
		return &problemError{notRegular, "is a link that cannot be followed (a loop)", cause}
	case errors.Is(err, syscall.EISDIR):
		return &problemError{notRegular, "is a directory", cause}
	default:
		return &problemError{unreadable, "cannot be read: " + cause.Error(), cause}
	}
}
