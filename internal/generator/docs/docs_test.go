package docs

import (
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/internal/generator/manifest"
	"github.com/google/go-cmp/cmp"
	"github.com/joho/godotenv"
)

func ptr(s string) *string { return &s }

func testManifest() *manifest.Manifest {
	return &manifest.Manifest{
		App: "dashtam",
		Secrets: []*manifest.Secret{
			{Path: "database/url", Env: "DATABASE_URL", Type: manifest.Type{Kind: manifest.URL}, Sensitive: true, Description: "PostgreSQL connection URL."},
			{Path: "http/timeout", Env: "HTTP_TIMEOUT", Type: manifest.Type{Kind: manifest.Duration}, Optional: true, Default: ptr("30s"), Description: "Timeout | of requests."},
			{Path: "app/greeting", Env: "APP_GREETING", Type: manifest.Type{Kind: manifest.String}, Optional: true, Default: ptr("hello world #1")},
			{Path: "log/level", Env: "LOG_LEVEL", Type: manifest.Type{Kind: manifest.Enum}, Values: []string{"debug", "info"}, Optional: true, Default: ptr("info")},
			{Path: "features/hosts", Env: "FEATURES_HOSTS", Type: manifest.Type{Kind: manifest.List, Elem: manifest.String}, Optional: true},
			{Path: "database/credentials", Env: "DATABASE_CREDENTIALS", Type: manifest.Type{Kind: manifest.JSON}, Sensitive: true,
				Fields: []manifest.Field{{Key: "username", Type: manifest.String}, {Key: "port", Type: manifest.Int}}},
			{Path: "database/app", Env: "DATABASE_APP", Type: manifest.Type{Kind: manifest.Credential}, Sensitive: true,
				Database: &manifest.Database{Mount: "database", Role: "app"}},
			{Path: "database/rds", Env: "DATABASE_RDS", Type: manifest.Type{Kind: manifest.Credential}, Sensitive: true, Optional: true},
		},
	}
}

func TestMarkdown(t *testing.T) {
	want := "# Secrets of dashtam\n\n" +
		"| path | type | env | required | sensitive | default | description |\n" +
		"|---|---|---|---|---|---|---|\n" +
		"| `database/url` | `url` | `DATABASE_URL` | yes | yes |  | PostgreSQL connection URL. |\n" +
		"| `http/timeout` | `duration` | `HTTP_TIMEOUT` | no | no | `30s` | Timeout \\| of requests. |\n" +
		"| `app/greeting` | `string` | `APP_GREETING` | no | no | `hello world #1` |  |\n" +
		"| `log/level` | `enum (debug, info)` | `LOG_LEVEL` | no | no | `info` |  |\n" +
		"| `features/hosts` | `[]string` | `FEATURES_HOSTS` | no | no |  |  |\n" +
		"| `database/credentials` | `json {username: string, port: int}` | `DATABASE_CREDENTIALS` | yes | yes |  |  |\n" +
		"| `database/app` | `credential (Vault database/creds/app)` | `DATABASE_APP_USERNAME`, `DATABASE_APP_PASSWORD` | yes | yes |  |  |\n" +
		"| `database/rds` | `credential (username, password)` | `DATABASE_RDS_USERNAME`, `DATABASE_RDS_PASSWORD` | no | yes |  |  |\n"
	if diff := cmp.Diff(want, string(Markdown(testManifest()))); diff != "" {
		t.Errorf("Markdown (-want +got):\n%s", diff)
	}
}

// TestEnvExampleParses checks the example is a valid .env file that sets
// no variable as it stands (so a copied .env.example cannot make a required
// secret load as an empty string), and whose commented defaults round-trip
// through godotenv.
func TestEnvExampleParses(t *testing.T) {
	out := EnvExample(testManifest())
	vars, err := godotenv.UnmarshalBytes(out)
	if err != nil {
		t.Fatalf("env-example does not parse: %v\n%s", err, out)
	}
	if diff := cmp.Diff(map[string]string{}, vars); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}
	// Uncomment the assignments: the defaults must come back unchanged, and
	// the required secrets appear, empty.
	var uncommented []byte
	for _, line := range splitLines(out) {
		if len(line) > 2 && line[:2] == "# " && containsEq(line) {
			line = line[2:]
		}
		uncommented = append(uncommented, line+"\n"...)
	}
	vars, err = godotenv.UnmarshalBytes(uncommented)
	if err != nil {
		t.Fatalf("uncommented env-example does not parse: %v\n%s", err, uncommented)
	}
	want := map[string]string{
		"DATABASE_URL": "", "DATABASE_CREDENTIALS": "",
		"DATABASE_APP_USERNAME": "", "DATABASE_APP_PASSWORD": "", "DATABASE_RDS_USERNAME": "", "DATABASE_RDS_PASSWORD": "",
		"HTTP_TIMEOUT": "30s", "APP_GREETING": "hello world #1", "LOG_LEVEL": "info", "FEATURES_HOSTS": "",
	}
	if diff := cmp.Diff(want, vars); diff != "" {
		t.Errorf("uncommented variables (-want +got):\n%s", diff)
	}
}

// TestEnvExampleRequired checks how a required entry is written: commented
// out, empty, under a comment that says it is required.
func TestEnvExampleRequired(t *testing.T) {
	out := string(EnvExample(testManifest()))
	for _, want := range []string{
		"\n# PostgreSQL connection URL.\n# database/url: url, required: uncomment and set\n# DATABASE_URL=\n",
		"\n# database/credentials: json {username: string, port: int}, required: uncomment and set\n# DATABASE_CREDENTIALS=\n",
		"\n# http/timeout: duration, default 30s\n# HTTP_TIMEOUT=30s\n",
		"\n# database/app: credential (Vault database/creds/app), required: uncomment and set\n# DATABASE_APP_USERNAME=\n# DATABASE_APP_PASSWORD=\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("env-example lacks %q:\n%s", want, out)
		}
	}
	for _, line := range splitLines([]byte(out)) {
		if line != "" && !strings.HasPrefix(line, "#") {
			t.Errorf("env-example has an uncommented line %q", line)
		}
	}
}

func splitLines(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return out
}

// containsEq reports whether a comment line is a commented-out assignment
// (NAME=value) rather than prose.
func containsEq(line string) bool {
	for i := 2; i < len(line); i++ {
		c := line[i]
		if c == '=' {
			return i > 2
		}
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return false
}

// TestEnvExampleMultiLine checks that a default or description holding a
// line break stays inside comments: the default is quoted in its comment as
// in its commented-out assignment, so that no line of it becomes a live
// variable.
func TestEnvExampleMultiLine(t *testing.T) {
	m := &manifest.Manifest{App: "x", Secrets: []*manifest.Secret{
		{Path: "greeting", Env: "GREETING", Type: manifest.Type{Kind: manifest.String}, Optional: true,
			Default: ptr("hi\nAWS_REGION=evil"), Description: "First.\n\nAWS_PROFILE=evil"},
	}}
	out := EnvExample(m)
	vars, err := godotenv.UnmarshalBytes(out)
	if err != nil {
		t.Fatalf("env-example does not parse: %v\n%s", err, out)
	}
	if len(vars) != 0 {
		t.Errorf("env-example sets %v:\n%s", vars, out)
	}
	for _, line := range splitLines(out) {
		if line != "" && !strings.HasPrefix(line, "#") {
			t.Errorf("env-example has an uncommented line %q", line)
		}
	}
	want := "\n# First.\n#\n# AWS_PROFILE=evil\n" +
		"# greeting: string, default \"hi\\nAWS_REGION=evil\"\n" +
		"# GREETING=\"hi\\nAWS_REGION=evil\"\n"
	if !strings.HasSuffix(string(out), want) {
		t.Errorf("env-example does not end with %q:\n%s", want, out)
	}
}
