package policy

import (
	"encoding/json"
	"strings"
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
	// A poll describes a secret before reading it again (adapters/awssm).
	if diff := cmp.Diff([]any{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}, doc.Statement[0].Action); diff != "" {
		t.Errorf("actions on the manifest's secrets (-want +got):\n%s", diff)
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

// TestVaultDatabase: a credential with database: is granted its role's
// path (not KV), a dynamic role the path forms of renew and revoke of its
// own leases, and the token self-renewal once; a manifest without one
// gets none of these.
func TestVaultDatabase(t *testing.T) {
	m, err := manifest.Parse("secrets.yaml", []byte(`version: 1
app: shop
backends: [vault, aws]
secrets:
  api/key: {type: string}
  database/app: {type: credential, database: {role: app}}
  database/app2: {type: credential, database: {role: app}}
  database/report: {type: credential, database: {role: report, static: true, mount: db/prod}}
  database/rds: {type: credential}
`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Vault(m, "production", "kv")
	if err != nil {
		t.Fatal(err)
	}
	want := `# Read-only access to the shop secrets of shop/production (KV v2 at kv/).
path "kv/data/shop/production/api/key" {
  capabilities = ["read"]
}
path "kv/data/shop/production/database/rds" {
  capabilities = ["read"]
}
# Database credentials of role app (database/): read issues a login; renew and revoke its leases only.
path "database/creds/app" {
  capabilities = ["read"]
}
path "sys/leases/renew/database/creds/app/*" {
  capabilities = ["update"]
}
path "sys/leases/revoke/database/creds/app/*" {
  capabilities = ["update"]
}
# Database credential of static role report (db/prod/): read the current password.
path "db/prod/static-creds/report" {
  capabilities = ["read"]
}
# Keep the token alive past the leases it holds (its expiry revokes them).
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Vault policy (-want +got):\n%s", diff)
	}
	// AWS reads every credential where it keeps any secret.
	doc, err := AWS(m, "production")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "/shop/production/database/app-??????") {
		t.Errorf("AWS policy lacks the credential:\n%s", doc)
	}
	// Without a database credential: no lease or token grant.
	got, err = Vault(testManifest(), "production", "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "sys/") || strings.Contains(string(got), "auth/") {
		t.Errorf("policy without database credentials grants more than reads:\n%s", got)
	}
}
