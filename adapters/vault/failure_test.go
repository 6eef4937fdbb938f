package vault_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// TestVaultStopped stops Vault mid-run: reads fail with unavailable, within
// the context deadline, although the client retries.
func TestVaultStopped(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	srv.put(t, env, "database/url", map[string]any{"value": "zq9canary-stopped"})
	roleID, secretID := srv.appRole(t, env, "1m", "10m")
	p := newProvider(t, srv.root, env, nil)
	auth, err := vault.AppRoleAuth("", roleID, secretID, "")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := newVaultClient(srv.Vault, "")
	if err != nil {
		t.Fatal(err)
	}
	notLoggedIn := newProvider(t, fresh, env, &vault.Options{Auth: auth})
	ctx := ctxFor(t)
	if _, err := p.Get(ctx, runtime.Ref{Path: "database/url"}); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	const deadline = 2 * time.Second
	for _, tc := range []struct {
		name string
		p    *vault.Provider
		want string
	}{
		{"token", p, "secret/dashtam/production/database/url#value"},
		{"approle login", notLoggedIn, "vault login (approle) failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, deadline)
			defer cancel()
			start := time.Now()
			res := tc.p.GetMany(ctx, []runtime.Ref{{Path: "database/url"}, {Path: "api/key"}, {Path: "mail/smtp"}})
			elapsed := time.Since(start)
			for _, r := range res {
				checkErr(t, r.Err, runtime.ErrUnavailable, "vault", "check VAULT_ADDR")
			}
			checkErr(t, res[0].Err, runtime.ErrUnavailable, tc.want)
			if elapsed > deadline+time.Second {
				t.Errorf("GetMany took %v with a %v deadline", elapsed, deadline)
			}
			if strings.Contains(res[0].Err.Error(), "zq9canary") || strings.Contains(res[0].Err.Error(), secretID) {
				t.Errorf("error %q contains a value or credential", res[0].Err)
			}
		})
	}
}

// TestUnavailableAnswers gets real 429 (a rate-limit quota) and 503 (sealed)
// answers from Vault. The clients do not retry, to keep the test short.
func TestUnavailableAnswers(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	srv.put(t, env, "database/url", map[string]any{"value": "x"})
	client, _ := srv.countingClient(t, srv.RootToken(), func(c *api.Config) { c.MaxRetries = 0 })
	p := newProvider(t, client, env, nil)
	ctx := ctxFor(t)

	srv.write(t, "sys/quotas/rate-limit/tight", map[string]any{"path": "secret/", "rate": 1, "interval": "10s"})
	var limited error
	for range 5 {
		if _, err := p.Get(ctx, runtime.Ref{Path: "database/url"}); err != nil {
			limited = err
			break
		}
	}
	checkErr(t, limited, runtime.ErrUnavailable, "HTTP 429: rate limited", "database/url")
	if _, err := srv.root.Logical().Delete("sys/quotas/rate-limit/tight"); err != nil {
		t.Fatal(err)
	}

	if err := srv.root.Sys().Seal(); err != nil {
		t.Fatal(err)
	}
	_, err := p.Get(ctx, runtime.Ref{Path: "database/url"})
	checkErr(t, err, runtime.ErrUnavailable, "HTTP 503: Vault is sealed")
	if !errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("sealed: %v is not unavailable", err)
	}
}
