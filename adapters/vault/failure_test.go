package vault_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// TestVaultStopped stops Vault mid-run: reads fail with unavailable,
// although the client retries, ending at the context deadline (the test
// logs when; it fails only a minute past it, a hang, not a busy machine).
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
	fresh, err := newVaultClient(srv.Vault, "", nil)
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
			res := runtime.GetMany(ctx, tc.p, []runtime.Ref{{Path: "database/url"}, {Path: "api/key"}, {Path: "mail/smtp"}})
			elapsed := time.Since(start)
			for _, r := range res {
				checkErr(t, r.Err, runtime.ErrUnavailable, "vault", "check VAULT_ADDR")
			}
			checkErr(t, res[0].Err, runtime.ErrUnavailable, tc.want)
			t.Logf("GetMany failed after %v with a %v deadline", elapsed.Round(time.Millisecond), deadline)
			if elapsed > deadline+time.Minute {
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
	client, c := srv.countingClient(t, srv.RootToken(), func(c *api.Config) { c.MaxRetries = 0 })
	p := newProvider(t, client, env, nil)
	ctx := ctxFor(t)

	// The provider reads a rate-limited secret again until its context
	// ends: the test ends it once the second read within the 10 s window
	// has been tried twice (a deadline could come before Vault's first
	// answer on a busy machine).
	srv.write(t, "sys/quotas/rate-limit/tight", map[string]any{"path": "secret/", "rate": 1, "interval": "10s"})
	var limited error
	for range 5 {
		before := c.countPrefix("GET ")
		short, cancel := context.WithTimeout(ctx, time.Minute)
		go func() {
			for c.countPrefix("GET ") < before+2 && short.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		_, err := read(short, p, runtime.Ref{Path: "database/url"})
		cancel()
		if err != nil {
			limited = err
			if tries := c.countPrefix("GET ") - before; tries < 2 {
				t.Errorf("a rate-limited read failed after %d tries, want it tried again until its context ended", tries)
			}
			break
		}
	}
	checkErr(t, limited, runtime.ErrUnavailable, "HTTP 429: rate limited", "database/url", "rate-limit quota")
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
	// A sealed Vault fails every read the same way: a Load says it once.
	le := load(ctx, p, tenRefs)
	if msg, want := le.Error(), `secrets: all 10 secrets failed to load from backend "vault": unavailable: HTTP 503: Vault is sealed (tried `+srv.Addr()+`); check VAULT_ADDR and that Vault is running and unsealed`; msg != want {
		t.Errorf("Load from a sealed Vault:\n got %s\nwant %s", msg, want)
	}
}

// TestLoginUntrustedCertificate logs in over TLS to a server whose
// certificate the client does not trust (a fault a dev server cannot give):
// the read is unavailable and says to set VAULT_CACERT, not access denied.
func TestLoginUntrustedCertificate(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the login reached the server: %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures
	ts.StartTLS()
	defer ts.Close()

	cfg := api.DefaultConfig()
	cfg.Address = ts.URL
	cfg.MaxRetries = 0
	// Trust the system's roots only, whatever VAULT_CACERT or
	// VAULT_SKIP_VERIFY the developer's shell has.
	cfg.HttpClient.Transport.(*http.Transport).TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	client, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const secretID = "zq9canary-secret-id"
	auth, err := vault.AppRoleAuth("", "role", secretID, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := vault.New(client, app, "production", &vault.Options{Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Get(ctxFor(t), runtime.Ref{Path: "database/url"})
	checkErr(t, err, runtime.ErrUnavailable, "vault login (approle) failed", "TLS", "set VAULT_CACERT")
	if strings.Contains(err.Error(), secretID) {
		t.Errorf("error %q contains the secret id", err)
	}
}
