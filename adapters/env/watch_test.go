package env_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/runtime"
)

// waitFor is how long a test waits for a change signal before it calls the
// watcher broken: a bound on a hang, never on speed.
const waitFor = time.Minute

// waitValue waits until ch has fired and p serves want for dbURL, reading
// again after each signal (an editor's save may fire on a half-written
// file first).
func waitValue(t *testing.T, p *env.Provider, ch <-chan struct{}, want string) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				t.Fatal("Changed closed before the edit was seen")
			}
		case <-deadline:
			t.Fatalf("no Changed signal with the value %q within %s", want, waitFor)
		}
		if v, err := p.Get(t.Context(), dbURL); err == nil && v.Text == want {
			return
		}
	}
}

// TestChangedAfterEdit: with .env files in use, Changed fires after an edit
// and Get serves the new contents without a Refresh, whether the editor
// writes in place, renames a new file over the old one, or the file is a
// symbolic link whose target is edited.
func TestChangedAfterEdit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(t *testing.T, file string)
		link bool // the provider reads a link to file
	}{
		{name: "write in place", edit: func(t *testing.T, file string) {
			writeDotenv(t, file, map[string]string{"DATABASE_URL": "v2"})
		}},
		{name: "rename over", edit: func(t *testing.T, file string) {
			tmp := file + ".swp"
			writeDotenv(t, tmp, map[string]string{"DATABASE_URL": "v2"})
			if err := os.Rename(tmp, file); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "link target", link: true, edit: func(t *testing.T, file string) {
			writeDotenv(t, file, map[string]string{"DATABASE_URL": "v2"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := tempFile(t, ".env", "DATABASE_URL=v1\n")
			read := file
			if tt.link {
				read = filepath.Join(t.TempDir(), ".env")
				if err := os.Symlink(file, read); err != nil {
					t.Skip("no symbolic links:", err)
				}
			}
			p := mustNew(t, &env.Options{Files: []string{read}, LookupEnv: mapEnv(nil), Debounce: time.Millisecond})
			defer p.Close()
			ch := p.Changed()
			if ch == nil {
				t.Fatal("Changed is nil with a .env file in use")
			}
			if p.Changed() != ch {
				t.Error("Changed returned another channel on the second call")
			}
			tt.edit(t, file)
			waitValue(t, p, ch, "v2")
		})
	}
}

// TestChangedWithoutFiles: without .env files there is nothing to watch:
// Changed is nil and Close does nothing.
func TestChangedWithoutFiles(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := mustNew(t, &env.Options{LookupEnv: mapEnv(nil)})
	if ch := p.Changed(); ch != nil {
		t.Error("Changed is not nil without .env files")
	}
	if err := p.Close(); err != nil {
		t.Error(err)
	}
}

// TestChangedClose: Close stops the watcher (no goroutine is left), closes
// the channel, and may be called again; a Changed first called after
// Close returns a closed channel; reads still work after Close.
func TestChangedClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	file := tempFile(t, ".env", "DATABASE_URL=v1\n")
	p := mustNew(t, &env.Options{Files: []string{file}, LookupEnv: mapEnv(nil), Debounce: time.Millisecond})
	ch := p.Changed()
	writeDotenv(t, file, map[string]string{"DATABASE_URL": "v2"})
	waitValue(t, p, ch, "v2")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for range ch { // drain a pending signal; the loop ends when ch is closed
	}
	if v, err := p.Get(t.Context(), dbURL); err != nil || v.Text != "v2" {
		t.Errorf("Get after Close = %q, %v; want v2", v.Text, err)
	}
	writeDotenv(t, file, map[string]string{"DATABASE_URL": "v3"})
	if err := p.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh after Close: %v", err)
	}

	q := mustNew(t, &env.Options{Files: []string{file}, LookupEnv: mapEnv(nil)})
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-q.Changed(); ok {
		t.Error("Changed after Close: a signal, want a closed channel")
	}
}

// TestRefreshSignals: a Refresh that finds new contents fires Changed (so a
// Live polls at once), one that finds the same contents does not.
func TestRefreshSignals(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	file := tempFile(t, ".env", "DATABASE_URL=v1\n")
	// A long debounce: the watcher's own reread waits, Refresh does not.
	p := mustNew(t, &env.Options{Files: []string{file}, LookupEnv: mapEnv(nil), Debounce: time.Hour})
	defer p.Close()
	ch := p.Changed()
	writeDotenv(t, file, map[string]string{"DATABASE_URL": "v2"})
	if err := p.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitValue(t, p, ch, "v2")
	if err := p.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
		t.Error("a Refresh that found the same contents fired Changed")
	default:
	}
}

// TestLiveSeesDotenvEdit: runtime.Live over a Cache over the env provider,
// with a poll interval of an hour, swaps in the value a developer wrote to
// .env: the Cache passes the provider's Changed on and the Live polls at
// once. Closing the Live (CloseProvider) stops the watcher.
func TestLiveSeesDotenvEdit(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	file := tempFile(t, ".env", "DATABASE_URL=v1\n")
	p := mustNew(t, &env.Options{Files: []string{file}, LookupEnv: mapEnv(nil), Debounce: time.Millisecond})
	load := func(ctx context.Context, p runtime.Provider) (*string, error) {
		v, err := p.Get(ctx, dbURL)
		if err != nil {
			return nil, err
		}
		return &v.Text, nil
	}
	c := runtime.NewCache(p, &runtime.CacheOptions{TTL: time.Hour})
	live, err := runtime.NewLive(t.Context(), c, load, &runtime.LiveOptions{PollInterval: time.Hour, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	changed := make(chan []string, 4)
	live.OnChange(func(_, _ *string, paths []string) { changed <- paths })
	// Saved as most editors save: a new file renamed over the old one, so
	// no reread can see a half-written file (TestChangedAfterEdit covers
	// writes in place).
	tmp := file + ".tmp"
	writeDotenv(t, tmp, map[string]string{"DATABASE_URL": "v2"})
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
	select {
	case paths := <-changed:
		if len(paths) != 1 || paths[0] != dbURL.Path {
			t.Errorf("OnChange paths %v, want [%s]", paths, dbURL.Path)
		}
	case <-time.After(waitFor):
		t.Fatalf("no OnChange within %s of editing .env", waitFor)
	}
	if got := *live.Settings(); got != "v2" {
		t.Errorf("Settings = %q, want v2", got)
	}
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}
}
