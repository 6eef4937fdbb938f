package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/internal/testing/testenv"
)

// The manifest's app, the environment segment the backends store under, and
// the module path of the temporary module (testdata/main.go.txt imports its
// gen package).
const (
	app         = "e2eapp"
	environment = "e2e"
	modulePath  = "example.com/e2eapp"
	total       = 16 // entries in testdata/secrets.yaml
)

// The stored values. Each sensitive text carries a marker (pw, key) that the
// error checks look for.
const (
	dbURL        = "postgres://app:db-url-pw-3c1d@db.internal:5432/e2e?sslmode=require"
	apiKey       = "svc-key-8b2e0f"
	dbPassword   = "db-pw-71a9"
	mailPassword = "mail-pw-5e02"
	expiresAt    = "2027-03-01T12:30:00.5+02:00"
)

// signingKey is not UTF-8 text, so the aws backend has to store it as
// SecretBinary.
var signingKey = []byte{0x00, 0xff, 0x10, 0x80, 'k', 'e', 'y'}

// canary is part of the invalid value of the broken runs: it must never be
// printed. badURL does not parse (%zz is no escape), and url.Parse's own
// error would quote it.
const (
	canary = "e2e-canary-Q7ZK4"
	badURL = "http://" + canary + ".example/%zz"
)

// secretValues are texts that no error output may contain.
var secretValues = []string{canary, "db-url-pw-3c1d", apiKey, dbPassword, mailPassword, base64.StdEncoding.EncodeToString(signingKey)}

// line is one line of the program's output: a setting's path, the Go type
// of its Settings field and its value in the canonical form of show in
// testdata/main.go.txt.
type line struct {
	Path, Type, Value string
}

// want is what every successful run prints, whatever the backend.
var want = []line{
	{"database/url", "runtime.Secret[*net/url.URL]", dbURL},
	{"service/api_key", "runtime.Secret[string]", `"` + apiKey + `"`},
	{"pool/max_conns", "int", "25"},
	{"storage/quota", "runtime.Secret[int64]", "10737418240"},
	{"sampling/rate", "float64", "0.125"},
	{"features/beta", "bool", "true"},
	{"http/timeout", "time.Duration", "30s"}, // the default
	{"http/retries", "int", "5"},             // set: the default 3 does not apply
	{"app/signing_key", "runtime.Secret[[]uint8]", "[]byte{0x0, 0xff, 0x10, 0x80, 0x6b, 0x65, 0x79}"},
	{"license/expires_at", "runtime.Secret[time.Time]", expiresAt},
	{"log/level", "gen.LogLevel", `"warn"`},
	{"database/credentials", "runtime.Secret[" + modulePath + "/gen.DatabaseCredentials]",
		`gen.DatabaseCredentials{Username:"app", Password:"` + dbPassword + `", Port:5432, TLS:true}`},
	{"cors/origins", "[]string", `[]string{"https://a.example", "https://b.example"}`},
	{"limits/per_user", "runtime.Secret[map[string]int]", `map[string]int{"alice":10, "bob":20}`},
	{"features/allowed_hosts", "runtime.Secret[[]string]", "[]string(nil)"}, // optional, absent
	{"mail/password", "runtime.Secret[string]", `"` + mailPassword + `"`},
}

// texts are the stored text forms that are the same in every backend. The
// others: app/signing_key (bytes), database/credentials (json),
// mail/password (read from mail/smtp by aws and vault) and cors/origins
// (comma-separated in env). http/timeout and features/allowed_hosts are
// stored nowhere.
var texts = map[string]string{
	"database/url":       dbURL,
	"service/api_key":    apiKey,
	"pool/max_conns":     "25",
	"storage/quota":      "10737418240",
	"sampling/rate":      "0.125",
	"features/beta":      "true",
	"http/retries":       "5",
	"license/expires_at": expiresAt,
	"log/level":          "warn",
	"cors/origins":       `["https://a.example","https://b.example"]`,
	"limits/per_user":    `{"alice":10,"bob":20}`,
}

// credentialsJSON is database/credentials as one JSON object (env, aws).
const credentialsJSON = `{"username":"app","password":"` + dbPassword + `","port":5432,"tls":true}`

// failure is one problem the broken runs must report, on one line of the
// error: the path, the kind, the expected type, the backend and where the
// secret lives, plus any other text (a hint) that line must hold.
type failure struct {
	path, kind, typ, where string
	also                   []string
}

// brokenFailures are the problems of every broken run: pool/max_conns
// missing and database/url invalid; whereOf says where a path lives.
func brokenFailures(whereOf func(path string) string, missingHints ...string) []failure {
	return []failure{
		{path: "database/url", kind: "invalid value", typ: "url", where: whereOf("database/url")},
		{path: "pool/max_conns", kind: "not found", typ: "int", where: whereOf("pool/max_conns"), also: missingHints},
	}
}

// TestEndToEnd generates the package of testdata/secrets.yaml in a module
// of its own, builds the program of testdata/main.go.txt once, and runs it
// against each backend (see the package documentation).
func TestEndToEnd(t *testing.T) {
	testenv.SkipIfShort(t, "moto_server and Vault (nor building a module)")
	start := time.Now()
	b := build(t)
	t.Logf("generate, policy and build: %v", time.Since(start).Round(time.Millisecond))

	t.Run("env", func(t *testing.T) {
		t.Parallel()
		testEnv(t, b)
	})
	t.Run("aws", func(t *testing.T) {
		t.Parallel()
		testAWS(t, b)
	})
	t.Run("vault", func(t *testing.T) {
		t.Parallel()
		testVault(t, b)
	})
	t.Run("ssm", func(t *testing.T) {
		t.Parallel()
		testSSM(t, b)
	})
	t.Run("files", func(t *testing.T) {
		t.Parallel()
		testFiles(t, b)
	})
	t.Run("layers", func(t *testing.T) {
		t.Parallel()
		testLayers(t, b)
	})
}

// built is the output of build.
type built struct {
	program     string // the program's binary
	vaultPolicy string // `secretsgen policy vault -env e2e` for the manifest
	secretsgen  string // the secretsgen binary, for check
	manifest    string // the manifest in the temporary module
}

// build makes the temporary module, generates gen/ with go run exactly as a
// user would, and builds the program.
func build(t *testing.T) built {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	rootMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := ""
	for l := range strings.Lines(string(rootMod)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "go "); ok {
			goVersion = v
		}
	}
	if goVersion == "" {
		t.Fatalf("no go line in %s/go.mod", root)
	}

	mod := t.TempDir()
	write(t, filepath.Join(mod, "go.mod"), fmt.Sprintf(
		"module %s\n\ngo %s\n\nrequire github.com/dashtam/secretsgen v0.0.0-00010101000000-000000000000\n\nreplace github.com/dashtam/secretsgen => %s\n",
		modulePath, goVersion, root))
	// go.sum: this repository's, so that the build needs no network.
	write(t, filepath.Join(mod, "go.sum"), string(readFile(t, filepath.Join(root, "go.sum"))))
	write(t, filepath.Join(mod, "secrets.yaml"), string(readFile(t, filepath.Join("testdata", "secrets.yaml"))))

	// The go command: no network, no workspace, go.mod updated as needed.
	env := append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	goCmd := func(args ...string) string {
		t.Helper()
		// Builds without -race miss the test's build cache: on two busy
		// cores that takes minutes.
		return mustRun(t, mod, env, "", 15*time.Minute, "go", args...)
	}
	const secretsgen = "github.com/dashtam/secretsgen/cmd/secretsgen"
	goCmd("run", secretsgen, "generate", "-manifest", "secrets.yaml", "-out", "gen")
	policy := goCmd("run", secretsgen, "policy", "vault", "-env", environment, "-manifest", "secrets.yaml")

	write(t, filepath.Join(mod, "main.go"), string(readFile(t, filepath.Join("testdata", "main.go.txt"))))
	program := filepath.Join(t.TempDir(), "e2eapp")
	goCmd("build", "-o", program, ".")
	tool := filepath.Join(t.TempDir(), "secretsgen")
	goCmd("build", "-o", tool, secretsgen)
	return built{program: program, vaultPolicy: policy, secretsgen: tool, manifest: filepath.Join(mod, "secrets.yaml")}
}

// testEnv: variables named as docs/design.md ("Backend naming") says (E2E_SERVICE_KEY by the
// manifest's env override, the signing key through APP_SIGNING_KEY_FILE,
// MAIL_PASSWORD its own variable: the env backend ignores source).
func testEnv(t *testing.T, b built) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "signing_key")
	write(t, keyFile, base64.StdEncoding.EncodeToString(signingKey)+"\n")
	vars := map[string]string{
		"SECRETS_BACKEND":      "env",
		"DATABASE_URL":         dbURL,
		"E2E_SERVICE_KEY":      apiKey,
		"POOL_MAX_CONNS":       "25",
		"STORAGE_QUOTA":        "10737418240",
		"SAMPLING_RATE":        "0.125",
		"FEATURES_BETA":        "true",
		"HTTP_RETRIES":         "5",
		"APP_SIGNING_KEY_FILE": keyFile,
		"LICENSE_EXPIRES_AT":   expiresAt,
		"LOG_LEVEL":            "warn",
		"DATABASE_CREDENTIALS": credentialsJSON,
		"CORS_ORIGINS":         "https://a.example, https://b.example",
		"LIMITS_PER_USER":      `{"alice":10,"bob":20}`,
		"MAIL_PASSWORD":        mailPassword,
	}
	checkLoad(t, b, "env", vars)

	broken := maps.Clone(vars)
	delete(broken, "POOL_MAX_CONNS")
	broken["DATABASE_URL"] = badURL
	checkBroken(t, b, "env", broken, nil, brokenFailures(envName, "set POOL_MAX_CONNS or POOL_MAX_CONNS_FILE"))
}

// envName is the variable of a path of the broken runs.
func envName(path string) string {
	return map[string]string{"database/url": "DATABASE_URL", "pool/max_conns": "POOL_MAX_CONNS"}[path]
}

// awsOp is one operation of testdata/aws_secrets.py.
type awsOp struct {
	Op     string `json:"op"`
	Name   string `json:"name"`
	String string `json:"string,omitempty"`
	Binary []byte `json:"binary,omitempty"` // base64 in JSON
	Type   string `json:"type,omitempty"`   // SSM parameter type
}

// awsID is the Secrets Manager secret id of path.
func awsID(path string) string { return "/" + app + "/" + environment + "/" + path }

// testAWS: secrets created with boto3 in a real moto_server.
func testAWS(t *testing.T, b built) {
	m := testenv.StartMoto(t)
	awsEnv := map[string]string{
		"AWS_ENDPOINT_URL":      m.Endpoint(),
		"AWS_ACCESS_KEY_ID":     "test",
		"AWS_SECRET_ACCESS_KEY": "test",
	}
	script, err := filepath.Abs(filepath.Join("testdata", "aws_secrets.py"))
	if err != nil {
		t.Fatal(err)
	}
	boto3 := func(ops []awsOp) {
		t.Helper()
		data, err := json.Marshal(ops)
		if err != nil {
			t.Fatal(err)
		}
		env := withVars(os.Environ(), awsEnv)
		env = append(env, "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		if r := run(t, t.TempDir(), env, string(data), time.Minute, "python3", script); r.err != nil {
			t.Fatalf("python3 testdata/aws_secrets.py (needs python3 with boto3: pip install boto3): %v\nstderr:\n%s", r.err, r.stderr)
		}
	}

	var ops []awsOp
	for _, path := range slices.Sorted(maps.Keys(texts)) {
		ops = append(ops, awsOp{Op: "create", Name: awsID(path), String: texts[path]})
	}
	ops = append(ops,
		awsOp{Op: "create", Name: awsID("app/signing_key"), Binary: signingKey},
		awsOp{Op: "create", Name: awsID("database/credentials"), String: credentialsJSON},
		awsOp{Op: "create", Name: awsID("mail/smtp"), String: `{"username":"mailer","password":"` + mailPassword + `"}`},
	)
	boto3(ops)

	vars := maps.Clone(awsEnv)
	vars["SECRETS_BACKEND"] = "aws"
	vars["ENVIRONMENT"] = environment
	vars["AWS_REGION"] = "us-east-1"
	checkLoad(t, b, "aws", vars)

	boto3([]awsOp{
		{Op: "delete", Name: awsID("pool/max_conns")}, // scheduled for deletion
		{Op: "put", Name: awsID("database/url"), String: badURL},
	})
	checkBroken(t, b, "aws", vars, nil, brokenFailures(awsID))
}

// vaultPath is the path of a secret inside the KV v2 mount.
func vaultPath(path string) string { return app + "/" + environment + "/" + path }

// testVault: secrets written with the vault CLI to a real Vault dev server,
// read with a token and with AppRole.
func testVault(t *testing.T, b built) {
	v := testenv.StartVault(t)
	bin, err := testenv.VaultBinary()
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cliEnv := append(v.CLIEnv(), "HOME="+home)
	vault := func(stdin string, args ...string) string {
		t.Helper()
		return mustRun(t, home, cliEnv, stdin, time.Minute, bin, args...)
	}
	kvPut := func(path string, fields ...string) {
		t.Helper()
		vault("", append([]string{"kv", "put", "-mount=secret", vaultPath(path)}, fields...)...)
	}
	for _, path := range slices.Sorted(maps.Keys(texts)) {
		kvPut(path, "value="+texts[path])
	}
	kvPut("app/signing_key", "value="+base64.StdEncoding.EncodeToString(signingKey))
	// The json secret as separate fields: the CLI stores each as a string.
	kvPut("database/credentials", "username=app", "password="+dbPassword, "port=5432", "tls=true")
	kvPut("mail/smtp", "username=mailer", "password="+mailPassword)

	vars := map[string]string{
		"SECRETS_BACKEND": "vault",
		"ENVIRONMENT":     environment,
		"VAULT_ADDR":      v.Addr(),
		"VAULT_TOKEN":     v.RootToken(),
	}
	t.Run("token", func(t *testing.T) { checkLoad(t, b, "vault", vars) })

	// AppRole from environment variables alone, with the least-privilege
	// policy that secretsgen prints for this manifest.
	t.Run("approle", func(t *testing.T) {
		vault(b.vaultPolicy, "policy", "write", "e2eapp-e2e", "-")
		vault("", "auth", "enable", "approle")
		vault("", "write", "auth/approle/role/e2eapp", "token_policies=e2eapp-e2e", "token_ttl=10m")
		roleID := strings.TrimSpace(vault("", "read", "-field=role_id", "auth/approle/role/e2eapp/role-id"))
		secretID := strings.TrimSpace(vault("", "write", "-f", "-field=secret_id", "auth/approle/role/e2eapp/secret-id"))
		if roleID == "" || secretID == "" {
			t.Fatal("vault gave an empty role id or secret id")
		}
		checkLoad(t, b, "vault", map[string]string{
			"SECRETS_BACKEND":    "vault",
			"ENVIRONMENT":        environment,
			"VAULT_ADDR":         v.Addr(),
			"SECRETS_VAULT_AUTH": "approle",
			"VAULT_ROLE_ID":      roleID,
			"VAULT_SECRET_ID":    secretID,
		})
	})

	t.Run("broken", func(t *testing.T) {
		vault("", "kv", "delete", "-mount=secret", vaultPath("pool/max_conns")) // the latest version deleted
		kvPut("database/url", "value="+badURL)
		where := func(path string) string { return "secret/" + vaultPath(path) + "#value" }
		checkBroken(t, b, "vault", vars, []string{v.RootToken()}, brokenFailures(where))
	})
}

// checkLoad runs the program with vars as its whole environment and
// compares what it printed with want.
func checkLoad(t *testing.T, b built, backend string, vars map[string]string) {
	t.Helper()
	r := runProgram(t, b, vars)
	if r.err != nil {
		t.Fatalf("%s: %v\nstderr:\n%s", backend, r.err, r.stderr)
	}
	if r.stderr != "" {
		t.Logf("%s: stderr of a successful run:\n%s", backend, r.stderr)
	}
	noSecrets(t, "stderr", r.stderr, nil)
	gotBackend, got := parseOutput(t, r.stdout)
	if gotBackend != backend {
		t.Errorf("provider name = %q, want %q", gotBackend, backend)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: loaded settings differ (-want +got):\n%s", backend, diff)
	}
}

// checkBroken runs the program and checks that it exits 1 with one error
// that names every failure and holds no secret value nor any of hidden.
func checkBroken(t *testing.T, b built, backend string, vars map[string]string, hidden []string, failures []failure) {
	t.Helper()
	r := runProgram(t, b, vars)
	var exit *exec.ExitError
	if !errors.As(r.err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("%s: broken run: %v, want exit status 1\nstdout:\n%s\nstderr:\n%s", backend, r.err, r.stdout, r.stderr)
	}
	noSecrets(t, "stdout", r.stdout, hidden)
	noSecrets(t, "stderr", r.stderr, hidden)
	if r.stdout != "" {
		t.Errorf("%s: broken run printed to stdout:\n%s", backend, r.stdout)
	}
	header := fmt.Sprintf("%d of %d secrets failed to load from backend %q", len(failures), total, backend)
	if !strings.Contains(r.stderr, header) {
		t.Errorf("%s: stderr does not say %q:\n%s", backend, header, r.stderr)
	}
	lines := strings.Split(r.stderr, "\n")
	for _, f := range failures {
		i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), f.path+": ") })
		if i < 0 {
			t.Errorf("%s: no line of stderr is about %s:\n%s", backend, f.path, r.stderr)
			continue
		}
		for _, part := range append([]string{f.kind, "expected " + f.typ, backend, f.where}, f.also...) {
			if !strings.Contains(lines[i], part) {
				t.Errorf("%s: the line about %s does not say %q:\n%s", backend, f.path, part, lines[i])
			}
		}
	}
	t.Logf("%s: broken run:\n%s", backend, r.stderr)
}

// noSecrets fails t when out holds a stored secret value or any of hidden.
func noSecrets(t *testing.T, name, out string, hidden []string) {
	t.Helper()
	for i, s := range append(slices.Clone(secretValues), hidden...) {
		if strings.Contains(out, s) {
			t.Errorf("%s holds secret value %d (shown as <SECRET>):\n%s", name, i, strings.ReplaceAll(out, s, "<SECRET>"))
		}
	}
}

// result is what a process did.
type result struct {
	stdout, stderr string
	err            error // nil, *exec.ExitError, or why it did not run
}

// runProgram runs the program with vars as its whole environment (and a
// HOME of its own) in an empty directory, so that nothing of this process's
// environment, no .env file and no ~/.aws or ~/.vault-token reaches it.
func runProgram(t *testing.T, b built, vars map[string]string) result {
	t.Helper()
	dir := t.TempDir()
	return run(t, dir, withVars([]string{"HOME=" + dir}, vars), "", time.Minute, b.program)
}

// withVars appends vars to env in a stable order.
func withVars(env []string, vars map[string]string) []string {
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}
	return env
}

func run(t *testing.T, dir string, env []string, stdin string, timeout time.Duration, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (after %v)", ctx.Err(), timeout)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustRun runs a command and returns its stdout; it fails t when the
// command fails.
func mustRun(t *testing.T, dir string, env []string, stdin string, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	r := run(t, dir, env, stdin, timeout, name, args...)
	if r.err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(name), strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// parseOutput splits the program's output into its backend line and its
// settings lines.
func parseOutput(t *testing.T, out string) (backend string, lines []line) {
	t.Helper()
	for l := range strings.Lines(out) {
		fields := strings.Split(strings.TrimSuffix(l, "\n"), "\t")
		switch {
		case len(fields) == 2 && fields[0] == "backend":
			backend = fields[1]
		case len(fields) == 3:
			lines = append(lines, line{fields[0], fields[1], fields[2]})
		default:
			t.Errorf("unexpected output line %q", l)
		}
	}
	return backend, lines
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func write(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
