package gen_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/runtime"
)

// TestWatchPollIntervalFromEnv: Watch with nil options, or options that
// leave PollInterval zero, polls every SECRETS_POLL_INTERVAL, so the
// recommended main needs no extra lines; a PollInterval the caller sets
// wins; a malformed variable is an error naming it, never its value.
func TestWatchPollIntervalFromEnv(t *testing.T) {
	t.Setenv("SECRETS_POLL_INTERVAL", "7m")
	interval := func(opts *runtime.LiveOptions) time.Duration {
		t.Helper()
		live, err := gen.Watch(t.Context(), runtime.NewCache(gen.NewFake(gen.SampleSettings()), nil), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer live.Close()
		return live.Status().PollInterval
	}
	if got := interval(nil); got != 7*time.Minute {
		t.Errorf("Watch(nil): PollInterval %v, want SECRETS_POLL_INTERVAL's 7m", got)
	}
	if got := interval(&runtime.LiveOptions{CoolDown: time.Second}); got != 7*time.Minute {
		t.Errorf("Watch(zero PollInterval): PollInterval %v, want 7m", got)
	}
	if got := interval(&runtime.LiveOptions{PollInterval: time.Hour}); got != time.Hour {
		t.Errorf("Watch(PollInterval 1h): PollInterval %v, want 1h", got)
	}
	t.Setenv("SECRETS_POLL_INTERVAL", "")
	if got := interval(nil); got != runtime.DefaultCacheTTL {
		t.Errorf("Watch(nil) without the variable: PollInterval %v, want the TTL %v", got, runtime.DefaultCacheTTL)
	}
	t.Setenv("SECRETS_POLL_INTERVAL", "zq9canary")
	_, err := gen.Watch(t.Context(), runtime.NewCache(gen.NewFake(gen.SampleSettings()), nil), nil)
	if err == nil || !strings.Contains(err.Error(), "SECRETS_POLL_INTERVAL") || strings.Contains(err.Error(), "zq9canary") {
		t.Errorf("Watch with a malformed SECRETS_POLL_INTERVAL: %v; want an error naming the variable, not its value", err)
	}
}

// TestWatchSeesDotenvEdit: the recommended main (NewProvider, Watch with
// nil options) on the env backend with a .env file, polling only every
// hour, swaps in the value a developer writes to .env, with OnChange
// naming the changed path.
func TestWatchSeesDotenvEdit(t *testing.T) {
	write := func(file, dbURL string) {
		t.Helper()
		var b strings.Builder
		for path, text := range required {
			if path == gen.PathDatabaseURL {
				text = dbURL
			}
			b.WriteString(envName(path) + "=" + text + "\n")
		}
		// Saved as most editors save: a new file renamed over the old
		// one, so no reread sees a half-written file.
		if err := os.WriteFile(file+".tmp", []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(file+".tmp", file); err != nil {
			t.Fatal(err)
		}
	}
	for path := range required {
		t.Setenv(envName(path), "")
		os.Unsetenv(envName(path)) // restored by t.Setenv's cleanup
	}
	file := filepath.Join(t.TempDir(), ".env")
	write(file, "postgres://app:v1@db:5432/app")
	t.Setenv("SECRETS_BACKEND", "env")
	t.Setenv("SECRETS_ENV_FILE", file)
	t.Setenv("SECRETS_POLL_INTERVAL", "1h")

	p, err := gen.NewProvider(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	live, err := gen.Watch(t.Context(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	changed := make(chan []string, 4)
	live.OnChange(func(_, _ *gen.Settings, paths []string) { changed <- paths })

	write(file, "postgres://app:v2@db:5432/app")
	select {
	case paths := <-changed:
		if !slices.Equal(paths, []string{gen.PathDatabaseURL}) {
			t.Errorf("OnChange paths %v, want [%s]", paths, gen.PathDatabaseURL)
		}
	case <-time.After(time.Minute):
		t.Fatal("no OnChange within a minute of editing .env (the poll interval is 1h)")
	}
	if got := live.Settings().Database.URL.Reveal().String(); got != "postgres://app:v2@db:5432/app" {
		t.Errorf("Settings: database/url %q, want the edited value", got)
	}
}
