package env_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/dashtam/secretsgen/adapters/env"
)

// TestNoGoroutineLeft: the env provider starts no goroutine: after New,
// FromLookup, reads and Refresh, none is left.
func TestNoGoroutineLeft(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	file := tempFile(t, ".env", "DATABASE_URL=x\n")
	p := mustNew(t, &env.Options{Files: []string{file}, LookupEnv: mapEnv(nil)})
	if v, err := p.Get(t.Context(), dbURL); err != nil || v.Text != "x" {
		t.Fatalf("Get: %q, %v", v.Text, err)
	}
	if err := p.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	q, err := env.FromLookup(t.Context(), mapEnv(map[string]string{"SECRETS_ENV_FILE": file}))
	if err != nil {
		t.Fatal(err)
	}
	_ = q.GetMany(t.Context(), nil)
}
