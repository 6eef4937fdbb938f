package files_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/runtime"
)

func TestFromLookup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"DATABASE_URL": "from-dir\n"})
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	}

	p, err := files.FromLookup(t.Context(), env(map[string]string{files.EnvDir: " " + dir + " "}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if v, err := p.Get(t.Context(), ref("DATABASE_URL")); err != nil || v.Text != "from-dir" {
		t.Errorf("Get = %q, %v", v.Text, err)
	}

	// Unset or empty: /run/secrets, which a test machine may or may not have.
	for _, vars := range []map[string]string{nil, {files.EnvDir: " "}} {
		p, err := files.FromLookup(t.Context(), env(vars))
		if _, statErr := os.Stat(files.DefaultDir); statErr == nil {
			if err != nil {
				t.Fatalf("FromLookup with %s present: %v", files.DefaultDir, err)
			}
			p.Close()
		} else if err == nil || !strings.Contains(err.Error(), "(tried /run/secrets, the default when SECRETS_FILES_DIR is unset)") {
			t.Errorf("FromLookup without %s: %v, want an error naming SECRETS_FILES_DIR", files.DefaultDir, err)
		}
	}

	missing := filepath.Join(dir, "zq9pathcanary")
	_, err = files.FromLookup(t.Context(), env(map[string]string{files.EnvDir: missing}))
	var be *runtime.BackendError
	if !errors.Is(err, runtime.ErrUnavailable) || !errors.As(err, &be) || be.Address != "the directory SECRETS_FILES_DIR names" ||
		err.Error() != "unavailable [files]: the secrets directory does not exist: no such file or directory (tried the directory SECRETS_FILES_DIR names); mount the volume or fix the directory name" {
		t.Errorf("FromLookup of a missing directory: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "zq9pathcanary") {
		t.Errorf("FromLookup's error %q names the directory", err)
	}
}
