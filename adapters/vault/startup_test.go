package vault_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// tenRefs are ten secrets, as many as the repository's manifest has.
var tenRefs = func() []runtime.Ref {
	var refs []runtime.Ref
	for _, p := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		refs = append(refs, runtime.Ref{Path: "x/" + p, Type: "string"})
	}
	return refs
}()

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// TestWrongAddressFailsFastOnce: a VAULT_ADDR nothing listens on fails a
// load of ten secrets within a few seconds (the start-up retry bounds and
// the reads that stop once Vault is unreachable; the test logs the time
// and fails only past a minute, which a busy machine does not take), and
// the load error is one line naming the address tried and the number of
// secrets, never the token.
func TestWrongAddressFailsFastOnce(t *testing.T) {
	const token = "zq9canary-token-startup"
	for _, tc := range []struct {
		name, addr, want string
	}{
		{"connection refused", "http://" + closedPort(t), "cannot reach Vault: dial tcp: connection refused (tried VAULT_ADDR=http://127.0.0.1:"},
		{"no such host", "http://vault.invalid:8200", "cannot resolve the Vault host vault.invalid (tried VAULT_ADDR=http://vault.invalid:8200)"},
		{"user info left out", "http://user:zq9canary-pass@" + closedPort(t), "(tried VAULT_ADDR=http://127.0.0.1:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("VAULT_ADDR", tc.addr)
			t.Setenv("VAULT_TOKEN", token)
			t.Setenv("VAULT_MAX_RETRIES", "")
			p, err := vault.FromEnv(context.Background(), app, "production")
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			start := time.Now()
			le := load(ctxFor(t), p, tenRefs)
			elapsed := time.Since(start)
			if elapsed > time.Minute {
				t.Errorf("a load of 10 secrets from %s took %v, want a few seconds", tc.addr, elapsed)
			}
			if le == nil {
				t.Fatal("the load succeeded")
			}
			msg := le.Error()
			if len(le.Errors) != 10 || strings.Contains(msg, "\n") {
				t.Fatalf("want one line for 10 secrets, got %d errors:\n%s", len(le.Errors), msg)
			}
			for _, w := range []string{`secrets: all 10 secrets failed to load from backend "vault": unavailable: `, tc.want, "; check VAULT_ADDR"} {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "zq9canary") {
				t.Errorf("message %q holds a token or password", msg)
			}
			t.Logf("%v: %s", elapsed.Round(time.Millisecond), msg)
		})
	}
}

// TestVaultAddrUnsetNamesTheDefault: with VAULT_ADDR unset the message says
// which address the client used.
func TestVaultAddrUnsetNamesTheDefault(t *testing.T) {
	t.Setenv("VAULT_ADDR", "")
	t.Setenv("VAULT_TOKEN", "t")
	p, err := vault.FromEnv(context.Background(), app, "production")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Get(ctxFor(t), runtime.Ref{Path: "database/url"})
	checkErr(t, err, runtime.ErrUnavailable, "(tried https://127.0.0.1:8200, the default when VAULT_ADDR is unset)")
}

// TestMissingMount: SECRETS_VAULT_MOUNT naming no mount, or a KV version 1
// mount, is said as such (not "not found, write the secret"), and is
// unavailable, so an optional entry does not silently take its default.
func TestMissingMount(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	srv.put(t, env, "x/a", map[string]any{"value": "zq9canary-mount"})
	srv.cli(t, "secrets", "enable", "-path=kv1", "-version=1", "kv")

	for _, tc := range []struct {
		mount string
		want  string
	}{
		{"kv", "Vault has no secrets engine mounted at kv/"},
		{"kv1", "the KV secrets engine at kv1/ is version 1"},
	} {
		t.Run(tc.mount, func(t *testing.T) {
			p := newProvider(t, srv.root, env, &vault.Options{Mount: tc.mount})
			res := p.GetMany(ctxFor(t), tenRefs)
			for _, r := range res {
				checkErr(t, r.Err, runtime.ErrUnavailable, tc.want, "check SECRETS_VAULT_MOUNT")
				if strings.Contains(r.Err.Error(), "vault kv put") {
					t.Errorf("error %q suggests writing the secret", r.Err)
				}
			}
			msg := load(ctxFor(t), p, tenRefs).Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, `all 10 secrets failed to load from backend "vault": unavailable: `+tc.want) {
				t.Errorf("want one line for the missing mount, got\n%s", msg)
			}
			_, err := p.Get(ctxFor(t), tenRefs[0])
			checkErr(t, err, runtime.ErrUnavailable, tc.want)
		})
	}

	t.Run("secret missing from an existing mount", func(t *testing.T) {
		p := newProvider(t, srv.root, env, nil)
		res := p.GetMany(ctxFor(t), tenRefs[1:3])
		for _, r := range res {
			checkErr(t, r.Err, runtime.ErrNotFound, "vault kv put -mount=secret")
		}
		_, err := p.Get(ctxFor(t), tenRefs[4])
		checkErr(t, err, runtime.ErrNotFound, "vault kv put -mount=secret")
	})
}

// TestHTTPSForHTTPVault: an https:// VAULT_ADDR for a Vault that serves
// plain HTTP (a dev server) says so, once, with the address.
func TestHTTPSForHTTPVault(t *testing.T) {
	srv := startServer(t)
	addr := strings.Replace(srv.Addr(), "http://", "https://", 1)
	t.Setenv("VAULT_ADDR", addr)
	t.Setenv("VAULT_TOKEN", "t")
	t.Setenv("VAULT_CACERT", "")
	p, err := vault.FromEnv(context.Background(), app, "production")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	msg := load(ctxFor(t), p, tenRefs).Error()
	want := `secrets: all 10 secrets failed to load from backend "vault": unavailable: TLS: the server answered in plain HTTP (an https:// address for an http:// Vault?) (tried VAULT_ADDR=` + addr + `)`
	if !strings.HasPrefix(msg, want) {
		t.Errorf("got\n%s\nwant prefix\n%s", msg, want)
	}
}
