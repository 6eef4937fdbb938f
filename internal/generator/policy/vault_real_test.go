package policy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/internal/generator/manifest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
)

// TestVaultPolicyDatabaseReal applies the printed policy on a real Vault
// dev server whose database engine manages a real PostgreSQL, makes a
// token with it alone, and shows that the token can do exactly what a
// Live needs: read a dynamic login and the static role's, renew and revoke
// its own role's lease (the path forms PUT sys/leases/{renew,revoke}/<id>),
// renew and look up itself, and read its KV secret; and that it cannot
// read another role, renew or revoke another role's lease, or use the body
// forms of renew and revoke (which reach every lease; the API client's
// Sys().Renew and Sys().Revoke send those, so an adapter under this policy
// writes the path forms with Logical().Write).
func TestVaultPolicyDatabaseReal(t *testing.T) {
	t.Parallel()
	pg := testenv.StartPostgres(t)
	v := testenv.StartVault(t)
	root := newClient(t, v.Addr(), v.RootToken())
	ctx := context.Background()

	adminPass := randomHex(t)
	if err := pg.Exec(fmt.Sprintf("CREATE ROLE vaultadmin LOGIN SUPERUSER PASSWORD '%s';\nCREATE ROLE report LOGIN PASSWORD '%s';\n", adminPass, randomHex(t)), adminPass); err != nil {
		t.Fatal(err)
	}
	write := func(c *api.Client, path string, data map[string]any) (*api.Secret, error) {
		return c.Logical().WriteWithContext(ctx, path, data)
	}
	must := func(s *api.Secret, err error) *api.Secret {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := root.Sys().MountWithContext(ctx, "db", &api.MountInput{Type: "database"}); err != nil {
		t.Fatal(err)
	}
	must(write(root, "db/config/pg", map[string]any{
		"plugin_name":    "postgresql-database-plugin",
		"connection_url": fmt.Sprintf("postgresql://{{username}}:{{password}}@%s/postgres?sslmode=disable", pg.Addr()),
		"username":       "vaultadmin", "password": adminPass,
		"allowed_roles": "app,other,report",
	}))
	create := `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`
	for _, role := range []string{"app", "other"} {
		must(write(root, "db/roles/"+role, map[string]any{"db_name": "pg", "creation_statements": create, "default_ttl": "1h", "max_ttl": "2h"}))
	}
	must(write(root, "db/static-roles/report", map[string]any{"db_name": "pg", "username": "report", "rotation_period": "3600"}))
	must(write(root, "secret/data/shop/production/api/key", map[string]any{"data": map[string]any{"value": "k"}}))

	m, err := manifest.Parse("secrets.yaml", []byte(`version: 1
app: shop
backends: [vault]
secrets:
  api/key: {type: string}
  database/app: {type: credential, database: {role: app, mount: db}}
  database/report: {type: credential, database: {role: report, static: true, mount: db}}
`))
	if err != nil {
		t.Fatal(err)
	}
	hcl, err := Vault(m, "production", "secret")
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Sys().PutPolicyWithContext(ctx, "shop", string(hcl)); err != nil {
		t.Fatal(err)
	}
	tok := must(root.Auth().Token().CreateWithContext(ctx, &api.TokenCreateRequest{Policies: []string{"shop"}, NoDefaultPolicy: true, TTL: "1h"}))
	c := newClient(t, v.Addr(), tok.Auth.ClientToken)

	// What the policy allows.
	login := must(c.Logical().ReadWithContext(ctx, "db/creds/app"))
	if login.LeaseID == "" || !login.Renewable || login.Data["username"] == nil {
		t.Fatalf("dynamic login: has a lease %v, renewable %v", login.LeaseID != "", login.Renewable)
	}
	if _, err := c.Logical().ReadWithContext(ctx, "db/static-creds/report"); err != nil {
		t.Errorf("read the static role: %v", err)
	}
	if _, err := c.Logical().ReadWithContext(ctx, "secret/data/shop/production/api/key"); err != nil {
		t.Errorf("read the KV secret: %v", err)
	}
	if _, err := write(c, "sys/leases/renew/"+login.LeaseID, map[string]any{"increment": 600}); err != nil {
		t.Errorf("renew its lease (path form): %v", err)
	}
	if _, err := c.Auth().Token().RenewSelfWithContext(ctx, 3600); err != nil {
		t.Errorf("renew-self: %v", err)
	}
	if _, err := c.Auth().Token().LookupSelfWithContext(ctx); err != nil {
		t.Errorf("lookup-self: %v", err)
	}

	// What it denies.
	other := must(root.Logical().ReadWithContext(ctx, "db/creds/other"))
	denied := map[string]error{}
	_, denied["read another role"] = c.Logical().ReadWithContext(ctx, "db/creds/other")
	_, denied["renew another role's lease"] = write(c, "sys/leases/renew/"+other.LeaseID, nil)
	_, denied["revoke another role's lease"] = write(c, "sys/leases/revoke/"+other.LeaseID, nil)
	denied["Sys().Revoke (the body form)"] = c.Sys().RevokeWithContext(ctx, login.LeaseID)
	_, denied["Sys().Renew (the body form)"] = c.Sys().RenewWithContext(ctx, login.LeaseID, 60)
	_, denied["renew by body"] = write(c, "sys/leases/renew", map[string]any{"lease_id": other.LeaseID})
	_, denied["revoke by body"] = write(c, "sys/leases/revoke", map[string]any{"lease_id": other.LeaseID})
	_, denied["read another KV secret"] = c.Logical().ReadWithContext(ctx, "secret/data/shop/staging/api/key")
	for what, err := range denied {
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s: %v, want permission denied", what, err)
		}
	}

	// Revoke last: the lease is gone and cannot be renewed.
	if _, err := write(c, "sys/leases/revoke/"+login.LeaseID, nil); err != nil {
		t.Errorf("revoke its lease (path form): %v", err)
	}
	if _, err := write(c, "sys/leases/renew/"+login.LeaseID, nil); err == nil {
		t.Error("renewed a revoked lease")
	}
}

func newClient(t *testing.T, addr, token string) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = addr
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.ClearNamespace()
	c.SetToken(token)
	return c
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
