package runtime

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestExitOnError(t *testing.T) {
	var out bytes.Buffer
	code := -1
	exitOnError(nil, &out, func(c int) { code = c })
	if code != -1 || out.Len() != 0 {
		t.Fatalf("nil error: exit %d, output %q; want neither", code, out.String())
	}
	le := &LoadError{Backend: "env", Total: 2, Errors: []*SecretError{{Path: "a", Backend: "env", Kind: ErrNotFound, Where: "A", Hint: "set A"}}}
	exitOnError(le, &out, func(c int) { code = c })
	want := filepath.Base(os.Args[0]) + ": secrets: 1 of 2 secrets failed to load from backend \"env\":\n\ta: not found [env A]; set A\n"
	if code != 1 || out.String() != want {
		t.Errorf("got exit %d, output %q; want 1, %q", code, out.String(), want)
	}
}

// TestExitOnErrorProcess runs ExitOnError in a child process: status 1,
// the message on stderr, no goroutine trace.
func TestExitOnErrorProcess(t *testing.T) {
	if os.Getenv("EXIT_ON_ERROR_CHILD") == "1" {
		ExitOnError(errors.New("secrets: backend down"))
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestExitOnErrorProcess$")
	cmd.Env = append(os.Environ(), "EXIT_ON_ERROR_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("child: %v; want exit status 1", err)
	}
	got := stderr.String()
	if !strings.HasSuffix(got, ": secrets: backend down\n") || strings.Contains(got, "goroutine") || strings.Contains(got, "panic") {
		t.Errorf("child stderr = %q; want the message alone", got)
	}
}
