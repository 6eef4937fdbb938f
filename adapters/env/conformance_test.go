package env_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/providertest"
)

// harness keeps the secrets in one .env file, rewritten by every Set, and
// gives the provider a fixed empty process environment, so the suite runs in
// parallel with other tests.
type harness struct {
	file string
	mu   sync.Mutex
	vars map[string]string
}

func (h *harness) Provider(ctx context.Context, t *testing.T) runtime.Provider {
	return mustNew(t, &env.Options{Files: []string{h.file}, LookupEnv: mapEnv(nil)})
}

func (h *harness) Set(ctx context.Context, t *testing.T, path, text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.vars[h.Ref(path).Env] = text
	writeDotenv(t, h.file, h.vars)
}

// Ref fills Env as generated code does, with a name that differs from the
// one derived from the path, so the suite shows that Env is what is read.
func (h *harness) Ref(path string) runtime.Ref {
	return runtime.Ref{Path: path, Env: "T_" + backends.EnvName(path)}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
		h := &harness{file: filepath.Join(t.TempDir(), ".env"), vars: map[string]string{}}
		writeDotenv(t, h.file, h.vars)
		return h
	})
}
