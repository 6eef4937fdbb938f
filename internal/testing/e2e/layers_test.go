package e2e

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/internal/testing/testenv"
)

// boto3 runs testdata/aws_secrets.py against the moto server at endpoint.
func boto3(t *testing.T, endpoint string, ops []awsOp) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "aws_secrets.py"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	env := withVars(os.Environ(), map[string]string{
		"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
	})
	if r := run(t, t.TempDir(), env, string(data), time.Minute, "python3", script); r.err != nil {
		t.Fatalf("python3 testdata/aws_secrets.py (needs python3 with boto3: pip install boto3): %v\nstderr:\n%s", r.err, r.stderr)
	}
}

// awsVars is the environment of a run against moto at endpoint.
func awsVars(endpoint, backend string) map[string]string {
	return map[string]string{
		"SECRETS_BACKEND":       backend,
		"ENVIRONMENT":           environment,
		"AWS_ENDPOINT_URL":      endpoint,
		"AWS_ACCESS_KEY_ID":     "test",
		"AWS_SECRET_ACCESS_KEY": "test",
		"AWS_REGION":            "us-east-1",
	}
}

// testSSM: parameters created with boto3 in a real moto_server: texts as
// SecureString (plain settings as String), the signing key as base64 text,
// cors/origins as a StringList, database/credentials and mail/smtp as JSON.
func testSSM(t *testing.T, b built) {
	m := testenv.StartMoto(t)
	plain := map[string]bool{"pool/max_conns": true, "sampling/rate": true, "features/beta": true, "http/retries": true, "log/level": true}
	var ops []awsOp
	for _, path := range slices.Sorted(maps.Keys(texts)) {
		typ := "SecureString"
		if plain[path] {
			typ = "String"
		}
		text := texts[path]
		if path == "cors/origins" {
			text, typ = "https://a.example,https://b.example", "StringList"
		}
		ops = append(ops, awsOp{Op: "ssm-put", Name: awsID(path), String: text, Type: typ})
	}
	ops = append(ops,
		awsOp{Op: "ssm-put", Name: awsID("app/signing_key"), String: base64.StdEncoding.EncodeToString(signingKey), Type: "SecureString"},
		awsOp{Op: "ssm-put", Name: awsID("database/credentials"), String: credentialsJSON, Type: "SecureString"},
		awsOp{Op: "ssm-put", Name: awsID("mail/smtp"), String: `{"username":"mailer","password":"` + mailPassword + `"}`, Type: "SecureString"},
	)
	boto3(t, m.Endpoint(), ops)

	vars := awsVars(m.Endpoint(), "ssm")
	checkLoad(t, b, "ssm", vars)

	boto3(t, m.Endpoint(), []awsOp{
		{Op: "ssm-delete", Name: awsID("pool/max_conns")},
		{Op: "ssm-put", Name: awsID("database/url"), String: badURL, Type: "SecureString"},
	})
	checkBroken(t, b, "ssm", vars, nil, brokenFailures(awsID, "aws ssm put-parameter"))
}

// testLayers: SECRETS_BACKEND=env,aws, running locally against a shared
// environment with overrides: database/url and service/api_key come from
// the env layer only, log/level from both (env wins), the rest from aws.
// The program loads the same settings; secretsgen check reports the layer
// that served each path; a broken run names the layer of each failure.
func testLayers(t *testing.T, b built) {
	m := testenv.StartMoto(t)
	var ops []awsOp
	for _, path := range slices.Sorted(maps.Keys(texts)) {
		switch path {
		case "database/url", "service/api_key":
			continue // only in the env layer
		case "log/level":
			ops = append(ops, awsOp{Op: "create", Name: awsID(path), String: "error"}) // hidden by the env layer
		default:
			ops = append(ops, awsOp{Op: "create", Name: awsID(path), String: texts[path]})
		}
	}
	ops = append(ops,
		awsOp{Op: "create", Name: awsID("app/signing_key"), Binary: signingKey},
		awsOp{Op: "create", Name: awsID("database/credentials"), String: credentialsJSON},
		awsOp{Op: "create", Name: awsID("mail/smtp"), String: `{"username":"mailer","password":"` + mailPassword + `"}`},
	)
	boto3(t, m.Endpoint(), ops)

	vars := awsVars(m.Endpoint(), "env,aws")
	vars["DATABASE_URL"] = dbURL
	vars["E2E_SERVICE_KEY"] = apiKey
	vars["LOG_LEVEL"] = "warn"
	checkLoad(t, b, "env,aws", vars)

	// secretsgen check -json: the layer of each path.
	dir := t.TempDir()
	r := run(t, dir, withVars([]string{"HOME=" + dir}, vars), "", time.Minute, b.secretsgen, "check", "-json", "-manifest", b.manifest)
	if r.err != nil {
		t.Fatalf("secretsgen check: %v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
	}
	noSecrets(t, "check stdout", r.stdout, nil)
	noSecrets(t, "check stderr", r.stderr, nil)
	var rep struct {
		Backend string
		Layers  []string
		OK      bool
		Secrets []struct{ Path, Status, Layer string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("check -json: %v\n%s", err, r.stdout)
	}
	gotLayers := map[string]string{}
	for _, s := range rep.Secrets {
		if s.Status != "ok" {
			t.Errorf("check: %s is %s", s.Path, s.Status)
		}
		gotLayers[s.Path] = s.Layer
	}
	wantLayers := map[string]string{}
	for _, l := range want {
		wantLayers[l.Path] = "aws"
	}
	wantLayers["database/url"], wantLayers["service/api_key"], wantLayers["log/level"] = "env", "env", "env"
	wantLayers["http/timeout"], wantLayers["features/allowed_hosts"] = "default", ""
	if diff := cmp.Diff(wantLayers, gotLayers); diff != "" {
		t.Errorf("check: serving layers (-want +got):\n%s", diff)
	}
	if !rep.OK || rep.Backend != "env,aws" || !slices.Equal(rep.Layers, []string{"env", "aws"}) {
		t.Errorf("check: ok %v backend %q layers %v", rep.OK, rep.Backend, rep.Layers)
	}

	// Broken: database/url invalid in the env layer (aws is not asked for
	// it), pool/max_conns in neither layer.
	boto3(t, m.Endpoint(), []awsOp{{Op: "delete", Name: awsID("pool/max_conns")}})
	broken := maps.Clone(vars)
	broken["DATABASE_URL"] = badURL
	where := func(path string) string {
		return map[string]string{
			"database/url":   "served by env: DATABASE_URL",
			"pool/max_conns": "env POOL_MAX_CONNS, aws " + awsID("pool/max_conns"),
		}[path]
	}
	checkBroken(t, b, "env,aws", broken, nil, brokenFailures(where, "no layer of env,aws has it", "env: set POOL_MAX_CONNS"))
}
