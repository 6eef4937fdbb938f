package files

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
)

// TestFromEnv checks SECRETS_FILES_DIR and its default through fromEnv,
// which FromEnv calls with os.Getenv.
func TestFromEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "DATABASE_URL"), []byte("from-dir\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	p, err := fromEnv(t.Context(), func(name string) string {
		if name == EnvDir {
			return " " + dir + " "
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if v, err := p.Get(t.Context(), runtime.Ref{Path: "database/url", Env: "DATABASE_URL"}); err != nil || v.Text != "from-dir" {
		t.Errorf("Get = %q, %v", v.Text, err)
	}

	// Unset: /run/secrets, which a test machine may or may not have.
	p, err = fromEnv(t.Context(), func(string) string { return "" })
	if _, statErr := os.Stat(DefaultDir); statErr == nil {
		if err != nil {
			t.Fatalf("FromEnv with %s present: %v", DefaultDir, err)
		}
		p.Close()
	} else if err == nil || !strings.Contains(err.Error(), "(SECRETS_FILES_DIR, default /run/secrets)") {
		t.Errorf("FromEnv without %s: %v, want an error naming SECRETS_FILES_DIR", DefaultDir, err)
	}

	missing := filepath.Join(dir, "zq9pathcanary")
	_, err = fromEnv(t.Context(), func(string) string { return missing })
	if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), EnvDir) {
		t.Errorf("FromEnv of a missing directory: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "zq9pathcanary") {
		t.Errorf("FromEnv's error %q names the directory", err)
	}
}
