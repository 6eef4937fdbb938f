package canary_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/internal/testing/canary/kitchen"
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
		pairCredentials(top, canaryEnv())
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

// TestFilesLayerWakesLive: over layers env,files, a kubelet ..data swap in
// the files layer wakes Live (Changed forwarded through Layers and the
// Cache) although it polls hourly (the test logs after how long: within a
// second on a quiet machine); the status names the serving layer of each
// secret and prints no value.
func TestFilesLayerWakesLive(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	payload := canaryEnv()
	dir := kubeletDir(t, payload)
	fp, err := files.New(dir, &files.Options{Debounce: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e, err := env.New(&env.Options{LookupEnv: lookup(map[string]string{"SCALAR_INT": canaryEnv()["SCALAR_INT"]})})
	if err != nil {
		t.Fatal(err)
	}
	l, err := runtime.NewLayers(e, fp)
	if err != nil {
		t.Fatal(err)
	}
	live, err := runtime.NewLive(ctx, runtime.NewCache(l, nil), kitchen.Load, &runtime.LiveOptions{PollInterval: time.Hour, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	changed := make(chan []string, 1)
	live.OnChange(func(_, _ *kitchen.Settings, paths []string) { changed <- paths })

	// The kubelet's update: a new timestamped directory, ..data swapped.
	payload["SCALAR_STRING"] = canaryString + "-rotated"
	ts := filepath.Join(dir, "..2099_01_01_00_00_00.000000002")
	if err := os.Mkdir(ts, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range payload {
		if err := os.WriteFile(filepath.Join(ts, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(ts), filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	select {
	case paths := <-changed:
		t.Logf("Live saw the swap after %s", time.Since(start))
		// The files version is the ..data target: every path the files
		// layer serves changed; scalar/int, served by env, did not.
		if !slices.Contains(paths, kitchen.PathScalarString) || slices.Contains(paths, kitchen.PathScalarInt) {
			t.Errorf("changed paths %v; want scalar/string and not scalar/int", paths)
		}
	case <-time.After(time.Minute): // the poll is hourly: only Changed brings it
		t.Fatal("Live did not see the ..data swap")
	}
	if got := live.Settings().Scalar.String.Reveal(); got != canaryString+"-rotated" {
		t.Errorf("settings after the swap: the rotated value is missing")
	}
	st := live.Status()
	want := map[string]string{kitchen.PathScalarInt: "env", kitchen.PathScalarString: "files", kitchen.PathMapURL: "files"}
	for _, s := range st.Secrets {
		if w, ok := want[s.Path]; ok && (s.Backend != w || s.Err != nil) {
			t.Errorf("%s: status backend %q, err %v; want served by %q", s.Path, s.Backend, s.Err, w)
		}
	}
	assertPrintsClean(t, "Live status over env,files", st)
}
