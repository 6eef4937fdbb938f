package genimpl

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/runtime"
)

func TestReadConfig(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		backends []string
		want     Config
		err      string
	}{
		{name: "defaults", want: Config{Backend: "env", Layers: []string{"env"}, Environment: "development", CacheTTL: 5 * time.Minute}},
		{
			name: "aws",
			env:  map[string]string{"SECRETS_BACKEND": "aws", "ENVIRONMENT": "production", "SECRETS_CACHE_TTL": "30s"},
			want: Config{Backend: "aws", Layers: []string{"aws"}, Environment: "production", CacheTTL: 30 * time.Second},
		},
		{
			name:     "vault in a build with only vault",
			env:      map[string]string{"SECRETS_BACKEND": "vault", "ENVIRONMENT": "staging_2"},
			backends: []string{"vault"},
			want:     Config{Backend: "vault", Layers: []string{"vault"}, Environment: "staging_2", CacheTTL: 5 * time.Minute},
		},
		{
			name: "unknown backend",
			env:  map[string]string{"SECRETS_BACKEND": "foo"},
			err:  `SECRETS_BACKEND="foo": "foo" is not a backend of this build; use one of ` + strings.Join(backends.Names(), ", ") + `, or a comma-separated list of them`,
		},
		{
			name:     "backend not in this build",
			env:      map[string]string{"SECRETS_BACKEND": "vault", "ENVIRONMENT": "production"},
			backends: []string{"env", "aws"},
			err:      `SECRETS_BACKEND="vault": "vault" is not in this manifest's backends (env, aws): add vault to backends: in the manifest and regenerate, or use one of env, aws`,
		},
		{
			name:     "no default backend",
			backends: []string{"aws", "vault"},
			err:      "SECRETS_BACKEND must be set: env (the default) is not in this manifest's backends; use one of aws, vault",
		},
		{
			name: "aws needs ENVIRONMENT",
			env:  map[string]string{"SECRETS_BACKEND": "aws"},
			err:  "ENVIRONMENT must be set when SECRETS_BACKEND=aws (it is the {environment} segment of aws secret names)",
		},
		{
			name: "vault needs ENVIRONMENT",
			env:  map[string]string{"SECRETS_BACKEND": "vault"},
			err:  "ENVIRONMENT must be set when SECRETS_BACKEND=vault",
		},
		{
			name: "ENVIRONMENT is a path segment",
			env:  map[string]string{"SECRETS_BACKEND": "vault", "ENVIRONMENT": "prod/eu"},
			err:  `ENVIRONMENT="prod/eu" is not valid for SECRETS_BACKEND=vault: use lower-case letters, digits, '-' and '_'`,
		},
		{
			name: "ENVIRONMENT upper case",
			env:  map[string]string{"SECRETS_BACKEND": "aws", "ENVIRONMENT": "Production"},
			err:  `ENVIRONMENT="Production" is not valid`,
		},
		{
			name: "env backend ignores the form of ENVIRONMENT",
			env:  map[string]string{"ENVIRONMENT": "Production"},
			want: Config{Backend: "env", Layers: []string{"env"}, Environment: "Production", CacheTTL: 5 * time.Minute},
		},
		{
			name: "explicit env backend, ENVIRONMENT with a slash",
			env:  map[string]string{"SECRETS_BACKEND": "env", "ENVIRONMENT": "prod/eu"},
			want: Config{Backend: "env", Layers: []string{"env"}, Environment: "prod/eu", CacheTTL: 5 * time.Minute},
		},
		{
			name: "layers",
			env:  map[string]string{"SECRETS_BACKEND": " env , aws ", "ENVIRONMENT": "staging"},
			want: Config{Backend: "env,aws", Layers: []string{"env", "aws"}, Environment: "staging", CacheTTL: 5 * time.Minute},
		},
		{
			name:     "layers of unscoped backends default ENVIRONMENT",
			env:      map[string]string{"SECRETS_BACKEND": "files,env"},
			backends: []string{"env", "files"},
			want:     Config{Backend: "files,env", Layers: []string{"files", "env"}, Environment: "development", CacheTTL: 5 * time.Minute},
		},
		{
			name: "a scoped layer needs ENVIRONMENT",
			env:  map[string]string{"SECRETS_BACKEND": "env,vault"},
			err:  "ENVIRONMENT must be set when SECRETS_BACKEND=env,vault (it is the {environment} segment of vault secret names)",
		},
		{
			name: "a scoped layer checks ENVIRONMENT",
			env:  map[string]string{"SECRETS_BACKEND": "env,aws", "ENVIRONMENT": "prod/eu"},
			err:  `ENVIRONMENT="prod/eu" is not valid for SECRETS_BACKEND=env,aws`,
		},
		{
			name: "a layer twice",
			env:  map[string]string{"SECRETS_BACKEND": "env,aws,env", "ENVIRONMENT": "x"},
			err:  `SECRETS_BACKEND="env,aws,env" lists env twice; list each backend once`,
		},
		{
			name: "an empty layer",
			env:  map[string]string{"SECRETS_BACKEND": "env,,aws"},
			err:  `SECRETS_BACKEND="env,,aws" has an empty entry`,
		},
		{
			name:     "a layer not in this manifest's backends",
			env:      map[string]string{"SECRETS_BACKEND": "env,vault", "ENVIRONMENT": "x"},
			backends: []string{"env", "aws"},
			err:      `SECRETS_BACKEND="env,vault": "vault" is not in this manifest's backends (env, aws): add vault to backends: in the manifest and regenerate`,
		},
		{
			name:     "a layer secretsgen does not know",
			env:      map[string]string{"SECRETS_BACKEND": "env,consul", "ENVIRONMENT": "x"},
			backends: []string{"env", "aws"},
			err:      `SECRETS_BACKEND="env,consul": "consul" is not a backend of this build; use one of env, aws`,
		},
		{
			name: "bad TTL",
			env:  map[string]string{"SECRETS_CACHE_TTL": "zq9canary"},
			err:  "SECRETS_CACHE_TTL: expected a positive duration in Go syntax, such as 5m",
		},
		{
			name: "negative TTL",
			env:  map[string]string{"SECRETS_CACHE_TTL": "-1m"},
			err:  "SECRETS_CACHE_TTL: expected a positive duration",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadConfig(func(k string) string { return tt.env[k] }, tt.backends)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ReadConfig error = %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "zq9canary") {
					t.Errorf("error %q echoes the TTL", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadConfigNilGetenv(t *testing.T) {
	t.Setenv("SECRETS_BACKEND", "vault")
	t.Setenv("ENVIRONMENT", "ci")
	t.Setenv("SECRETS_CACHE_TTL", "")
	got, err := ReadConfig(nil, nil)
	if err != nil || !cmp.Equal(got, Config{Backend: "vault", Layers: []string{"vault"}, Environment: "ci", CacheTTL: runtime.DefaultCacheTTL}) {
		t.Errorf("ReadConfig(nil, nil) = %+v, %v", got, err)
	}
}

// The guard lines generated code emits for generator versions 1 and 2
// compile.
const (
	_ = EnforceVersion(GenVersion - 1)
	_ = EnforceVersion(1 - MinGenVersion)
	_ = EnforceVersion(GenVersion - 2)
	_ = EnforceVersion(2 - MinGenVersion)
)

func TestDurationEnv(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "  ": 0, "30s": 30 * time.Second, " 1m ": time.Minute} {
		got, err := durationEnv(func(string) string { return in }, "SECRETS_POLL_INTERVAL")
		if err != nil || got != want {
			t.Errorf("durationEnv(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0s", "-1m", "soon", "10"} {
		if _, err := durationEnv(func(string) string { return in }, "SECRETS_POLL_INTERVAL"); err == nil || !strings.Contains(err.Error(), "SECRETS_POLL_INTERVAL") || (in == "soon" && strings.Contains(err.Error(), in)) {
			t.Errorf("durationEnv(%q) = %v, want an error naming the variable and not the value", in, err)
		}
	}
}
