package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/internal/backends"
)

// checkManifest has a required url, a defaulted duration and an optional
// list, read from the env backend.
const checkManifest = `version: 1
app: demo
backends: [env]
secrets:
  database/url:
    type: url
  api/key:
    type: string
  http/timeout:
    type: duration
    default: 30s
    sensitive: false
  features/hosts:
    type: "[]string"
    optional: true
`

// checkEnv points the env backend at a temporary .env file holding text.
// Not parallel: it sets process environment variables.
func checkEnv(t *testing.T, text string) (manifestFile string) {
	t.Helper()
	dir := t.TempDir()
	manifestFile = filepath.Join(dir, "secrets.yaml")
	writeTestFile(t, manifestFile, checkManifest)
	envFile := filepath.Join(dir, "test.env")
	writeTestFile(t, envFile, text)
	for _, k := range []string{"DATABASE_URL", "API_KEY", "HTTP_TIMEOUT", "FEATURES_HOSTS", "ENVIRONMENT"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("SECRETS_BACKEND", "env")
	t.Setenv("SECRETS_ENV_FILE", envFile)
	return manifestFile
}

func TestCheckAllOK(t *testing.T) {
	mf := checkEnv(t, "DATABASE_URL=postgres://u:zq9canary@db/x\nAPI_KEY=zq9canary\n")
	r := runArgs(t, "check", "-manifest", mf)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	want := "backend env, environment development\n" +
		"ok  database/url    url       env\n" +
		"ok  api/key         string    env\n" +
		"ok  http/timeout    duration  default\n" +
		"ok  features/hosts  []string  -\n" +
		"4 ok, 0 missing, 0 denied, 0 invalid, 0 unavailable\n"
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Errorf("check output (-want +got):\n%s", diff)
	}
}

func TestCheckFailuresJSON(t *testing.T) {
	// database/url is invalid, api/key missing, http/timeout invalid.
	mf := checkEnv(t, "DATABASE_URL=zq9canary not a url\nHTTP_TIMEOUT=zq9canary\n")
	r := runArgs(t, "check", "-manifest", mf, "-json")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "zq9canary") {
		t.Fatalf("check printed a secret value:\n%s%s", r.stdout, r.stderr)
	}
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("-json output does not parse: %v\n%s", err, r.stdout)
	}
	var got []string
	for _, s := range rep.Secrets {
		got = append(got, s.Path+" "+s.Status)
		if s.Status != "ok" && !strings.Contains(s.Message, s.Path) {
			t.Errorf("%s: message %q does not name the path", s.Path, s.Message)
		}
	}
	want := []string{"database/url invalid", "api/key missing", "http/timeout invalid", "features/hosts ok"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if rep.OK || rep.Backend != "env" || rep.Environment != "development" {
		t.Errorf("report header = ok %v backend %q environment %q", rep.OK, rep.Backend, rep.Environment)
	}
}

func TestCheckConfigErrors(t *testing.T) {
	mf := checkEnv(t, "")
	t.Setenv("SECRETS_BACKEND", "gcp")
	if r := runArgs(t, "check", "-manifest", mf); r.code != 2 || !strings.Contains(r.stderr, "SECRETS_BACKEND") {
		t.Errorf("unknown backend: exit %d, stderr %q; want 2 naming SECRETS_BACKEND", r.code, r.stderr)
	}
	t.Setenv("SECRETS_BACKEND", "env")
	t.Setenv("SECRETS_ENV_FILE", filepath.Join(t.TempDir(), "missing.env"))
	if r := runArgs(t, "check", "-manifest", mf); r.code != 2 || !strings.Contains(r.stderr, "missing.env") {
		t.Errorf("missing env file: exit %d, stderr %q; want 2 naming the file", r.code, r.stderr)
	}
	if r := runArgs(t, "check", "-manifest", filepath.Join(t.TempDir(), "nope.yaml")); r.code != 2 {
		t.Errorf("missing manifest: exit %d, want 2", r.code)
	}
}

func TestReadOnlyCommands(t *testing.T) {
	dir := t.TempDir()
	mf := filepath.Join(dir, "secrets.yaml")
	writeTestFile(t, mf, checkManifest)
	tests := []struct {
		name string
		args []string
		code int
		want []string // substrings of stdout (or stderr when code != 0)
	}{
		{"env-example", []string{"env-example", "-manifest", mf}, 0, []string{"\n# DATABASE_URL=\n", "# HTTP_TIMEOUT=30s\n", "# features/hosts: []string, optional\n"}},
		{"docs", []string{"docs", "-manifest", mf}, 0, []string{"| `database/url` | `url` | `DATABASE_URL` | yes | yes |  |  |\n", "| `http/timeout` | `duration` | `HTTP_TIMEOUT` | no | no | `30s` |  |\n"}},
		{"policy aws", []string{"policy", "aws", "-env", "production", "-manifest", mf}, 0, []string{`"arn:aws:secretsmanager:*:*:secret:/demo/production/database/url-??????"`, `"secretsmanager:BatchGetSecretValue"`}},
		{"policy ssm", []string{"policy", "ssm", "-env", "production", "-manifest", mf}, 0, []string{`"arn:aws:ssm:*:*:parameter/demo/production/database/url"`, `"ssm:GetParametersByPath"`}},
		{"policy vault", []string{"policy", "vault", "-env", "staging", "-mount", "kv", "-manifest", mf}, 0, []string{`path "kv/data/demo/staging/api/key" {`}},
		{"policy without env", []string{"policy", "aws", "-manifest", mf}, 2, []string{"-env is required"}},
		{"policy bad env", []string{"policy", "vault", "-env", "Prod", "-manifest", mf}, 2, []string{"environment \"Prod\" is not valid"}},
		{"policy without backend", []string{"policy", "-env", "production"}, 2, []string{"policy aws"}},
		{"docs bad manifest", []string{"docs", "-manifest", filepath.Join(dir, "nope.yaml")}, 2, []string{"nope.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runArgs(t, tt.args...)
			out := r.stdout
			if tt.code != 0 {
				out = r.stderr
			}
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestFromEnvCoversBackends: check can build every backend of the table.
func TestFromEnvCoversBackends(t *testing.T) {
	for _, b := range backends.All {
		if fromEnv[b.Name] == nil {
			t.Errorf("check has no constructor for backend %s", b.Name)
		}
	}
	if len(fromEnv) != len(backends.All) {
		t.Errorf("check has %d constructors for %d backends", len(fromEnv), len(backends.All))
	}
}
