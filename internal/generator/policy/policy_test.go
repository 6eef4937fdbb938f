package policy

import (
	"encoding/json"
	"testing"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
	"github.com/google/go-cmp/cmp"
)

func testManifest() *manifest.Manifest {
	return &manifest.Manifest{
		App: "dashtam",
		Secrets: []*manifest.Secret{
			{Path: "database/url"},
			{Path: "mail/password", Source: manifest.Source{Path: "mail/smtp", Key: "password"}},
			{Path: "mail/user", Source: manifest.Source{Path: "mail/smtp", Key: "user"}},
			{Path: "app/secret_key"},
		},
	}
}

func TestAWS(t *testing.T) {
	got, err := AWS(testManifest(), "production")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Action   any
			Resource any
		}
	}
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatalf("policy is not JSON: %v\n%s", err, got)
	}
	wantARNs := []any{
		"arn:aws:secretsmanager:*:*:secret:/dashtam/production/app/secret_key-??????",
		"arn:aws:secretsmanager:*:*:secret:/dashtam/production/database/url-??????",
		"arn:aws:secretsmanager:*:*:secret:/dashtam/production/mail/smtp-??????",
	}
	if diff := cmp.Diff(wantARNs, doc.Statement[0].Resource); diff != "" {
		t.Errorf("GetSecretValue resources (-want +got):\n%s", diff)
	}
	if doc.Statement[1].Action != "secretsmanager:BatchGetSecretValue" || doc.Statement[1].Resource != "*" {
		t.Errorf("batch statement = %+v, want BatchGetSecretValue on *", doc.Statement[1])
	}
}

func TestVault(t *testing.T) {
	got, err := Vault(testManifest(), "staging", "")
	if err != nil {
		t.Fatal(err)
	}
	want := `# Read-only access to the dashtam secrets of dashtam/staging (KV v2 at secret/).
path "secret/data/dashtam/staging/app/secret_key" {
  capabilities = ["read"]
}
path "secret/data/dashtam/staging/database/url" {
  capabilities = ["read"]
}
path "secret/data/dashtam/staging/mail/smtp" {
  capabilities = ["read"]
}
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Vault policy (-want +got):\n%s", diff)
	}
}

func TestBadEnvironment(t *testing.T) {
	for _, env := range []string{"", "Prod", "a/b", "../x", "-x"} {
		// Both apply the rule of backends.CheckEnvironment.
		want := backends.CheckEnvironment(env)
		for name, f := range map[string]func() ([]byte, error){
			"AWS":   func() ([]byte, error) { return AWS(testManifest(), env) },
			"Vault": func() ([]byte, error) { return Vault(testManifest(), env, "kv") },
		} {
			if _, err := f(); want == nil || err == nil || err.Error() != want.Error() {
				t.Errorf("%s(env=%q) error = %v, want %v", name, env, err, want)
			}
		}
	}
}
