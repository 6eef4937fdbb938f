package env

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// TestCredential reads a credential from DATABASE_APP_USERNAME and
// DATABASE_APP_PASSWORD: from the process environment, from _FILE
// variables and from a .env file; both absent is not found, one absent is
// an invalid value naming the missing variable, never the other's value.
func TestCredential(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	passFile := filepath.Join(dir, "pass")
	if err := os.WriteFile(passFile, []byte("zq9file-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dotenv := filepath.Join(dir, ".env")
	if err := os.WriteFile(dotenv, []byte("DATABASE_DOT_USERNAME=dot\nDATABASE_DOT_PASSWORD=zq9dot-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"DATABASE_APP_USERNAME":       "app",
		"DATABASE_APP_PASSWORD":       "zq9app-pw",
		"DATABASE_FILE_USERNAME":      "filed",
		"DATABASE_FILE_PASSWORD_FILE": passFile,
		"DATABASE_HALF_USERNAME":      "half",
		"DATABASE_NOUSER_PASSWORD":    "zq9nouser-pw",
		"DATABASE_EMPTY_USERNAME":     "",
		"DATABASE_EMPTY_PASSWORD":     "zq9empty-pw",
	}
	p, err := New(&Options{Files: []string{dotenv}, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tests := []struct {
		env        string
		user, pass string
		kind       runtime.Kind
		where      string
	}{
		{env: "DATABASE_APP", user: "app", pass: "zq9app-pw"},
		{env: "DATABASE_FILE", user: "filed", pass: "zq9file-pw"},
		{env: "DATABASE_DOT", user: "dot", pass: "zq9dot-pw"},
		{env: "DATABASE_NONE", kind: runtime.ErrNotFound},
		{env: "DATABASE_HALF", kind: runtime.ErrInvalidValue, where: "DATABASE_HALF_PASSWORD"},
		{env: "DATABASE_NOUSER", kind: runtime.ErrInvalidValue, where: "DATABASE_NOUSER_USERNAME"},
		{env: "DATABASE_EMPTY", kind: runtime.ErrInvalidValue}, // an empty username does not parse
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			ref := runtime.Ref{Path: "database/x", Env: tt.env, Type: "credential"}
			l := genimpl.Fetch(context.Background(), p, []runtime.Ref{ref})
			c := genimpl.Credential(l, 0)
			err := l.Err()
			if tt.kind != 0 {
				if !errors.Is(err, tt.kind) {
					t.Fatalf("err %v, want %v", err, tt.kind)
				}
				if msg := fmt.Sprintf("%v %+v", err, err); strings.Contains(msg, "zq9") || tt.where != "" && !strings.Contains(msg, tt.where) {
					t.Fatalf("error %s: shows a password or does not name %s", msg, tt.where)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Username != tt.user || c.Password.Reveal() != tt.pass || c.Lease() != nil {
				t.Fatalf("got %v (password %q)", c, c.Password.Reveal())
			}
		})
	}
	if got := p.Where(runtime.Ref{Path: "database/app", Env: "DATABASE_APP", Type: "credential"}); got != "DATABASE_APP_USERNAME, DATABASE_APP_PASSWORD" {
		t.Errorf("Where = %q", got)
	}
}
