package vault_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// TestCredentialKV reads a credential from Vault KV v2 on a real dev
// server: the whole data map, even when it has a "value" field, becomes a
// runtime.Credential; one without a password is an invalid value that
// shows no value; Where names the whole secret.
func TestCredentialKV(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx := ctxFor(t)
	v1 := s.put(t, "production", "cred/app", map[string]any{"username": "app", "password": "zq9kv-pw", "port": 5432, "value": "other"})
	s.put(t, "production", "cred/nopass", map[string]any{"username": "app", "passwd": "zq9nopass-pw"})
	p := newProvider(t, s.root, "production", nil)
	refs := []runtime.Ref{{Path: "cred/app", Type: "credential"}, {Path: "cred/nopass", Type: "credential"}}

	l := genimpl.Fetch(ctx, p, refs)
	c := genimpl.Credential(l, 0)
	_ = genimpl.Credential(l, 1)
	if c.Username != "app" || c.Password.Reveal() != "zq9kv-pw" || c.Lease() != nil {
		t.Fatalf("credential %v", c)
	}
	if port, _ := c.Member("port"); port != "5432" {
		t.Errorf("port %q", port)
	}
	err := l.Err()
	var le *runtime.LoadError
	if !errors.As(err, &le) || len(le.Errors) != 1 || le.Errors[0].Path != "cred/nopass" || !errors.Is(le.Errors[0], runtime.ErrInvalidValue) {
		t.Fatalf("err %v", err)
	}
	if msg := fmt.Sprintf("%v %+v", err, err); strings.Contains(msg, "zq9") || !strings.Contains(msg, `"password"`) {
		t.Errorf("error %s: shows a value or does not name the password member", msg)
	}
	if w := p.Where(refs[0]); w != "secret/dashtam/production/cred/app" {
		t.Errorf("Where = %q", w)
	}

	v2 := s.put(t, "production", "cred/app", map[string]any{"username": "app", "password": "zq9rotated-pw"})
	v, err := p.Get(ctx, refs[0])
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != fmt.Sprint(v2) || v2 == v1 {
		t.Errorf("version %q, want %d", v.Version, v2)
	}
	if c, err := genimpl.ParseCredentialValue(v); err != nil || c.Password.Reveal() != "zq9rotated-pw" {
		t.Errorf("after the rotation: %v, %v", c, err)
	}
}
