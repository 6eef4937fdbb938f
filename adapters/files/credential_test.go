package files_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// credRef is a credential read from NAME_USERNAME and NAME_PASSWORD.
func credRef(name string) runtime.Ref {
	r := ref(name)
	r.Type = "credential"
	return r
}

// TestCredential reads a credential from its two files, in a plain
// directory and in a Kubernetes volume; one file missing is an invalid
// value naming it, both missing is not found, and no message shows the
// password.
func TestCredential(t *testing.T) {
	t.Parallel()
	payload := map[string]string{
		"DB_APP_USERNAME": "app\n", "DB_APP_PASSWORD": "zq9app-pw\n",
		"DB_HALF_USERNAME":   "half",
		"DB_NOUSER_PASSWORD": "zq9nouser-pw",
	}
	for _, layout := range []string{"plain", "kubernetes"} {
		t.Run(layout, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if layout == "plain" {
				writeFiles(t, dir, payload)
			} else {
				newKubeVolume(t, dir, payload)
			}
			p := mustNew(t, dir, nil)
			ctx := context.Background()
			l := genimpl.Fetch(ctx, p, []runtime.Ref{credRef("DB_APP")})
			c := genimpl.Credential(l, 0)
			if err := l.Err(); err != nil {
				t.Fatal(err)
			}
			if c.Username != "app" || c.Password.Reveal() != "zq9app-pw" {
				t.Fatalf("got %v", c)
			}
			v, err := read(ctx, p, credRef("DB_APP"))
			if err != nil || v.Version == "" {
				t.Fatalf("version %q, %v", v.Version, err)
			}
			for _, tt := range []struct {
				name  string
				kind  runtime.Kind
				names string // what the message must name
			}{
				{"DB_NONE", runtime.ErrNotFound, "DB_NONE_USERNAME and DB_NONE_PASSWORD"},
				{"DB_HALF", runtime.ErrInvalidValue, "DB_HALF_PASSWORD does not exist"},
				{"DB_NOUSER", runtime.ErrInvalidValue, "DB_NOUSER_USERNAME does not exist"},
			} {
				_, err := read(ctx, p, credRef(tt.name))
				msg := fmt.Sprintf("%v", err)
				if !errors.Is(err, tt.kind) || !strings.Contains(msg, tt.names) || strings.Contains(msg, "zq9") {
					t.Errorf("%s: %v; want %v naming %q, no password", tt.name, err, tt.kind, tt.names)
				}
			}
		})
	}
}

// TestCredentialOneGeneration: a Kubernetes update that replaces both files
// is seen whole, with the generation as the version.
func TestCredentialOneGeneration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vol := newKubeVolume(t, dir, map[string]string{"DB_USERNAME": "u1", "DB_PASSWORD": "p1"})
	p := mustNew(t, dir, nil)
	ctx := context.Background()
	v1, err := read(ctx, p, credRef("DB"))
	if err != nil {
		t.Fatal(err)
	}
	vol.update(map[string]string{"DB_USERNAME": "u2", "DB_PASSWORD": "p2"})
	v2, err := read(ctx, p, credRef("DB"))
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version == v2.Version || v2.Version != vol.dataTarget() {
		t.Errorf("versions %q then %q, want the new generation %q", v1.Version, v2.Version, vol.dataTarget())
	}
	if v2.Text != `{"password":"p2","username":"u2"}` {
		t.Errorf("text after the update: %s", v2.Text)
	}
	if w := p.Where(credRef("DB")); w != "DB_USERNAME and DB_PASSWORD" {
		t.Errorf("Where = %q", w)
	}
}
