package files_test

import (
	"context"
	"maps"
	"sync"
	"testing"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/providertest"
)

// plainHarness keeps each secret in its own file, written as Docker tools
// write one (a temporary file renamed over it), with the trailing newline
// that echo and most editors add and the provider drops.
type plainHarness struct{ dir string }

func (h *plainHarness) Provider(ctx context.Context, t *testing.T) runtime.Provider {
	return mustNew(t, h.dir, nil)
}

func (h *plainHarness) Set(ctx context.Context, t *testing.T, path, text string) {
	replaceFile(t, h.dir, h.Ref(path).Env, text+"\n")
}

// Ref fills Env as generated code does, with a name that differs from the
// one derived from the path, so the suite shows that Env names the file.
func (h *plainHarness) Ref(path string) runtime.Ref {
	return runtime.Ref{Path: path, Env: "T_" + backends.EnvName(path)}
}

// kubeHarness keeps the secrets in a Kubernetes Secret volume: every Set is
// one kubelet update of the whole Secret.
type kubeHarness struct {
	plainHarness
	mu      sync.Mutex
	vol     *kubeVolume
	payload map[string]string
}

func (h *kubeHarness) Set(ctx context.Context, t *testing.T, path, text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.payload[h.Ref(path).Env] = text + "\n"
	h.vol.t = t
	h.vol.update(maps.Clone(h.payload))
}

func TestConformance(t *testing.T) {
	t.Parallel()
	t.Run("plain", func(t *testing.T) {
		t.Parallel()
		providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
			return &plainHarness{dir: t.TempDir()}
		})
	})
	t.Run("kubernetes", func(t *testing.T) {
		t.Parallel()
		providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
			dir := t.TempDir()
			return &kubeHarness{plainHarness: plainHarness{dir: dir}, vol: newKubeVolume(t, dir, nil), payload: map[string]string{}}
		})
	})
}
