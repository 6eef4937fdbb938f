package canary_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/internal/canary/kitchen"
	"github.com/dashtam/secretsgen/runtime"
)

// kubeletDir lays out payload (file name to contents) in a new directory
// as the kubelet lays out a Secret volume: a timestamped directory, a
// ..data link to it and a KEY -> ..data/KEY link per key.
func kubeletDir(t *testing.T, payload map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	ts := filepath.Join(dir, time.Now().UTC().Format("..2006_01_02_15_04_05.000000001"))
	if err := os.Mkdir(ts, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range payload {
		if err := os.WriteFile(filepath.Join(ts, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(ts), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestFiles loads the canary from a kubelet-style directory through the
// files backend, alone and as the lower layer under the env backend, then
// with every invalid value and with missing neighbours, and prints the
// providers, the settings and the errors.
func TestFiles(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	newFiles := func(t *testing.T, payload map[string]string) *files.Provider {
		t.Helper()
		p, err := files.New(kubeletDir(t, payload), &files.Options{NoWatch: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}

	t.Run("valid", func(t *testing.T) {
		t.Parallel()
		payload := canaryEnv()
		for name, v := range payload {
			payload[name] = v + "\n" // as kubectl create secret --from-file keeps it
		}
		p := newFiles(t, payload)
		s, err := kitchen.Load(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(canarySettings(), s); diff != "" {
			t.Errorf("Load from files (-want +got):\n%s", diff)
		}
		assertSettingsClean(t, s)
		assertPrintsClean(t, "*files.Provider", p)
		assertPrintsClean(t, "Cache(*files.Provider)", runtime.NewCache(p, nil))

		// env over files: half the variables in the environment.
		top := map[string]string{}
		for name, v := range canaryEnv() {
			if len(top) < len(payload)/2 {
				top[name] = v
			}
		}
		e, err := env.New(&env.Options{LookupEnv: lookup(top)})
		if err != nil {
			t.Fatal(err)
		}
		l, err := runtime.NewLayers(e, p)
		if err != nil {
			t.Fatal(err)
		}
		s, err = kitchen.Load(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(canarySettings(), s); diff != "" {
			t.Errorf("Load from env,files (-want +got):\n%s", diff)
		}
		assertPrintsClean(t, "Layers(env, files)", l)
	})

	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		invalid, paths := allInvalidEnv()
		_, err := kitchen.Load(ctx, newFiles(t, invalid))
		assertFails(t, err, runtime.ErrInvalidValue, paths...)
		assertErrorClean(t, "Load error from files", err)
	})

	t.Run("missing neighbours", func(t *testing.T) {
		t.Parallel()
		payload := canaryEnv()
		delete(payload, "SCALAR_STRING")
		delete(payload, "MAP_URL")
		_, err := kitchen.Load(ctx, newFiles(t, payload))
		assertFails(t, err, runtime.ErrNotFound, kitchen.PathScalarString, kitchen.PathMapURL)
		assertErrorClean(t, "Load error from files, missing neighbours", err)
	})
}
