package vault_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// TestNotVault: a VAULT_ADDR that answers but is not Vault (a web server,
// a proxy's error page, a health endpoint) fails a load with one line
// naming the address, unavailable, never "not found" (optional entries
// would take their defaults) and never the server's text. A stub server
// is the point here: it is not Vault.
func TestNotVault(t *testing.T) {
	const canary = "zq9canary-server-page"
	page := "<!doctype html><html><body><h1>" + canary + "</h1>\nline two</body></html>"
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"HTML 404", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(page))
		}},
		{"plain-text 404", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "404 page not found "+canary, http.StatusNotFound)
		}},
		{"HTML 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(page))
		}},
		{"plain-text 200", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("OK " + canary)) }},
		{"empty 200", func(w http.ResponseWriter, r *http.Request) {}},
		{"JSON 200 that is not Vault's", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"` + canary + `"}`))
		}},
		{"HTML 403 from a proxy", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(page))
		}},
		{"HTML 502 from a proxy", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte(page))
		}},
	}
	refs := tenRefs[:5]
	for _, tc := range tests {
		for _, auth := range []string{"token", "approle"} {
			t.Run(tc.name+"/"+auth, func(t *testing.T) {
				notVault(t, tc.handler, auth, refs)
			})
		}
	}
}

// notVault loads refs through FromEnv with the given SECRETS_VAULT_AUTH
// from a server with handler, and checks the load error is one line.
func notVault(t *testing.T, handler http.HandlerFunc, auth string, refs []runtime.Ref) {
	const (
		token    = "zq9canary-token-notvault"
		secretID = "zq9canary-secretid-notvault"
		canary   = "zq9canary-server-page"
	)
	{
		{
			srv := httptest.NewServer(handler)
			defer srv.Close()
			t.Setenv("VAULT_ADDR", srv.URL)
			t.Setenv("VAULT_TOKEN", token)
			t.Setenv("VAULT_MAX_RETRIES", "0")
			t.Setenv(vault.EnvAuth, auth)
			t.Setenv(vault.EnvRoleID, "role")
			t.Setenv(vault.EnvSecretID, secretID)
			t.Setenv(vault.EnvSecretIDFile, "")
			t.Setenv(vault.EnvAuthMount, "")
			p, err := vault.FromEnv(context.Background(), app, "production")
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			res := p.GetMany(ctxFor(t), refs)
			for i, r := range res {
				if !errors.Is(r.Err, runtime.ErrUnavailable) {
					t.Errorf("result %d: %v, want unavailable", i, r.Err)
				}
			}
			if _, err := p.Get(ctxFor(t), refs[0]); !errors.Is(err, runtime.ErrUnavailable) {
				t.Errorf("Get: %v, want unavailable", err)
			}
			msg := load(ctxFor(t), p, refs).Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("the load error has %d lines, want one:\n%s", strings.Count(msg, "\n")+1, msg)
			}
			for _, want := range []string{"all 5 secrets", "not Vault", "(tried VAULT_ADDR=" + srv.URL + ")"} {
				if !strings.Contains(msg, want) {
					t.Errorf("load error %q does not say %q", msg, want)
				}
			}
			if strings.Contains(msg, canary) || strings.Contains(msg, token) || strings.Contains(msg, secretID) || strings.Contains(msg, "<") {
				t.Errorf("load error %q carries the server's text or a credential", msg)
			}
		}
	}
}
