package main

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/runtime"
)

// demoEnv sets SECRETS_ENV_FILE to file and removes every variable the
// demo reads from the process environment, which would win over the file.
func demoEnv(t *testing.T, file string) {
	t.Helper()
	for _, name := range []string{
		"SECRETS_BACKEND", "ENVIRONMENT", "SECRETS_CACHE_TTL",
		"DATABASE_URL", "DATABASE_MAX_CONNS", "SCHWAB_API_KEY", "SCHWAB_API_SECRET", "SCHWAB_REDIRECT_URI",
		"APP_SECRET_KEY", "APP_LOG_LEVEL", "HTTP_PORT", "HTTP_TIMEOUT", "FEATURES_ALLOWED_HOSTS",
	} {
		for _, v := range []string{name, name + "_FILE"} {
			if old, ok := os.LookupEnv(v); ok {
				os.Unsetenv(v)
				t.Cleanup(func() { os.Setenv(v, old) })
			}
		}
	}
	t.Setenv("SECRETS_ENV_FILE", file)
}

// The secret values of demo.env and the bad values of broken.env; none may
// be printed.
var canaries = []string{"demo-password", "demo-schwab-app-key", "demo-schwab-app-secret", "ZGVtby1vbmx5", "demo-only-signing-key", "not a url", "soon"}

func TestDemo(t *testing.T) {
	demoEnv(t, "demo.env")
	var out bytes.Buffer
	if err := run(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"backend: env\n",
		"loaded 10 settings of dashtam in ",
		"database/url = [REDACTED]\n",
		"database/max_conns = 10\n",
		"schwab/api_secret = [REDACTED]\n",
		"schwab/redirect_uri = https://127.0.0.1:8182/oauth/schwab/callback\n",
		"app/secret_key = [REDACTED]\n",
		"app/log_level = debug\n",
		"http/port = 8080\n",
		"http/timeout = 10s\n",
		"features/allowed_hosts = [localhost 127.0.0.1]\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, c := range canaries {
		if strings.Contains(out.String(), c) {
			t.Errorf("output contains the secret %q", c)
		}
	}
}

func TestDemoBroken(t *testing.T) {
	demoEnv(t, "broken.env")
	var out bytes.Buffer
	err := run(t.Context(), &out)
	var le *runtime.LoadError
	if !errors.As(err, &le) || len(le.Errors) != 3 {
		t.Fatalf("error = %v, want a LoadError with 3 problems", err)
	}
	for i, want := range []string{"database/url: invalid value", "schwab/api_secret: not found", "http/timeout: invalid value"} {
		if !strings.HasPrefix(le.Errors[i].Error(), want) {
			t.Errorf("problem %d = %q, want prefix %q", i, le.Errors[i], want)
		}
	}
	for _, c := range canaries {
		if strings.Contains(err.Error(), c) {
			t.Errorf("error contains the secret %q: %v", c, err)
		}
	}
	if out.Len() != 0 {
		t.Errorf("printed settings despite the error:\n%s", out.String())
	}
}

func TestDemoBackendNotBuilt(t *testing.T) {
	demoEnv(t, "demo.env")
	t.Setenv("SECRETS_BACKEND", "gcp")
	err := run(t.Context(), new(bytes.Buffer))
	if err == nil || !strings.Contains(err.Error(), "not a backend of this build") {
		t.Errorf("error = %v, want one saying gcp is not a backend of this build", err)
	}
}

func TestDemoNeedsEnvironmentForAWS(t *testing.T) {
	demoEnv(t, "demo.env")
	t.Setenv("SECRETS_BACKEND", "aws")
	t.Setenv("ENVIRONMENT", "")
	err := run(t.Context(), new(bytes.Buffer))
	if err == nil || !strings.Contains(err.Error(), "ENVIRONMENT must be set") {
		t.Errorf("error = %v, want one saying ENVIRONMENT must be set", err)
	}
}

// TestListCoversSettings counts the leaf fields of gen.Settings (group
// structs are the generated *Settings types) and the distinct paths the demo
// prints: they must match, so the demo cannot silently drift from the
// manifest.
func TestListCoversSettings(t *testing.T) {
	var leaves func(reflect.Type) int
	leaves = func(typ reflect.Type) int {
		n := 0
		for f := range typ.Fields() {
			if f.Type.Kind() == reflect.Struct && f.Type.PkgPath() == typ.PkgPath() && strings.HasSuffix(f.Type.Name(), "Settings") {
				n += leaves(f.Type)
			} else {
				n++
			}
		}
		return n
	}
	paths := map[string]bool{}
	for _, st := range list(gen.SampleSettings()) {
		paths[st.path] = true
	}
	if want := leaves(reflect.TypeFor[gen.Settings]()); len(paths) != want {
		t.Errorf("the demo prints %d distinct settings, gen.Settings has %d: add the new ones to list", len(paths), want)
	}
}
