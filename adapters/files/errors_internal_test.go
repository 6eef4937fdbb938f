package files

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
)

// TestClassify covers the operating-system errors a test cannot produce as
// root (EACCES) or at all on a healthy disk (EIO), with a path that must
// not reach the message.
func TestClassify(t *testing.T) {
	t.Parallel()
	const secretPath = "/mnt/zq9pathcanary/DATABASE_URL"
	tests := []struct {
		err  error
		prob problem
		kind error
		msg  string
	}{
		{&fs.PathError{Op: "stat", Path: secretPath, Err: syscall.ENOENT}, missing, runtime.ErrNotFound, "no such file"},
		{&fs.PathError{Op: "stat", Path: secretPath, Err: syscall.ENOTDIR}, missing, runtime.ErrNotFound, "no such file"},
		{&fs.PathError{Op: "open", Path: secretPath, Err: syscall.EACCES}, denied, runtime.ErrAccessDenied, "permission denied"},
		{&fs.PathError{Op: "open", Path: secretPath, Err: syscall.EPERM}, denied, runtime.ErrAccessDenied, "permission denied"},
		{&fs.PathError{Op: "stat", Path: secretPath, Err: syscall.ELOOP}, notRegular, runtime.ErrInvalidValue, "loop"},
		{&fs.PathError{Op: "read", Path: secretPath, Err: syscall.EISDIR}, notRegular, runtime.ErrInvalidValue, "is a directory"},
		{&fs.PathError{Op: "read", Path: secretPath, Err: syscall.EIO}, unreadable, runtime.ErrUnavailable, "cannot be read: input/output error"},
		{fmt.Errorf("odd %s", secretPath), unreadable, runtime.ErrUnavailable, "cannot be read: I/O error (*errors.errorString)"},
	}
	p := &Provider{from: fromEnv}
	for _, tc := range tests {
		pe := classify(tc.err)
		if pe.problem != tc.prob {
			t.Errorf("classify(%v) = problem %d, want %d", tc.err, pe.problem, tc.prob)
		}
		err := p.fail(runtime.Ref{Path: "database/url", Env: "DATABASE_URL"}, pe.problem, pe)
		if !errors.Is(err, tc.kind) {
			t.Errorf("classify(%v): %v is not %v", tc.err, err, tc.kind)
		}
		var errno syscall.Errno
		if errors.As(tc.err, &errno) && !errors.Is(err, errno) {
			t.Errorf("classify(%v): %v does not wrap %v", tc.err, err, errno)
		}
		if msg := err.Error(); !strings.Contains(msg, tc.msg) || strings.Contains(msg, "zq9pathcanary") {
			t.Errorf("classify(%v): message %q, want %q and no path", tc.err, msg, tc.msg)
		}
	}
}

// TestProblemTable checks that every problem has a kind, that hints
// name the file and never leave a verb behind, and that fail says only
// what the adapter knows (the kind, the cause, the hint, and for a problem
// of the whole volume where the directory came from), leaving the path,
// the backend and the file name to runtime.
func TestProblemTable(t *testing.T) {
	t.Parallel()
	p := &Provider{from: fromEnv}
	for prob := missing; prob <= halfCredential; prob++ {
		c, ok := problems[prob]
		if !ok || c.kind == 0 {
			t.Errorf("problem %d has no kind", prob)
			continue
		}
		err := p.fail(runtime.Ref{Path: "a/b", Env: "A_B"}, prob, errors.New("cause"))
		var (
			e  *runtime.SecretError
			be *runtime.BackendError
		)
		if !errors.As(err, &e) || e.Kind != c.kind || e.Where != "" || e.Backend != "" || e.Path != "" {
			t.Errorf("problem %d: %#v", prob, err)
			continue
		}
		if wide := errors.As(err, &be); wide != c.wide || wide && be.Address != fromEnv {
			t.Errorf("problem %d: backend-wide %v (%v), want %v naming %q", prob, wide, be, c.wide, fromEnv)
		}
		if strings.Contains(e.Hint, "%") {
			t.Errorf("problem %d: hint %q", prob, e.Hint)
		}
	}
	if len(problems) != int(halfCredential) {
		t.Errorf("problems has %d rows, want %d", len(problems), halfCredential)
	}
}
