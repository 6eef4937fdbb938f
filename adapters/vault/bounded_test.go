package vault_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/internal/testing/leaktest"
	"github.com/dashtam/secretsgen/runtime"
)

// fromLookup builds a provider with FromLookup over vars; VAULT_ADDR and
// VAULT_TOKEN, which api.DefaultConfig reads itself, are set with Setenv.
func fromLookup(t *testing.T, addr, token string, vars map[string]string) (*vault.Provider, error) {
	t.Setenv("VAULT_ADDR", addr)
	t.Setenv("VAULT_TOKEN", token)
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("VAULT_MAX_RETRIES", "0")
	return vault.FromLookup(context.Background(), app, "production", func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	})
}

// TestResponseSizeLimit: a client FromEnv/FromLookup builds stops reading a
// response at MaxResponseSize; the read is an invalid value, not an outage,
// and the rest of the body is never read.
func TestResponseSizeLimit(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"data":{"value":"`))
		chunk := bytes.Repeat([]byte("a"), 1<<16)
		for sent.Load() < 64<<20 {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(`"}}}`))
	}))
	defer srv.Close()
	p, err := fromLookup(t, srv.URL, "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Get(context.Background(), runtime.Ref{Path: "big"})
	if !errors.Is(err, runtime.ErrInvalidValue) || !strings.Contains(err.Error(), "larger than the limit of 4 MiB") {
		t.Fatalf("Get: %v; want an invalid value naming the 4 MiB limit", err)
	}
	srv.CloseClientConnections()
	if sent.Load() >= 64<<20 {
		t.Errorf("the server sent the whole 64 MiB body")
	}
}

// TestValueSizeLimit: a field over 1 MiB is an invalid value, not returned.
func TestValueSizeLimit(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	srv.put(t, env, "big", map[string]any{"value": strings.Repeat("x", vault.MaxValueSize+1)})
	srv.put(t, env, "exact", map[string]any{"value": strings.Repeat("x", vault.MaxValueSize)})
	p := newProvider(t, srv.root, env, nil)
	v, err := p.Get(ctxFor(t), runtime.Ref{Path: "big"})
	if !errors.Is(err, runtime.ErrInvalidValue) || !strings.Contains(err.Error(), "larger than the limit of 1 MiB") || v.Text != "" {
		t.Errorf("Get of a 1 MiB + 1 value: %d bytes, %v; want an invalid value", len(v.Text), err)
	}
	if v, err := p.Get(ctxFor(t), runtime.Ref{Path: "exact"}); err != nil || len(v.Text) != vault.MaxValueSize {
		t.Errorf("Get of a 1 MiB value: %d bytes, %v", len(v.Text), err)
	}
}

// TestSecretIDFileBounded: VAULT_SECRET_ID_FILE naming /dev/zero or a FIFO
// without a writer fails the login at once, as access denied naming the
// file and the reason, within the caller's deadline.
func TestSecretIDFileBounded(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, file := range []string{"/dev/zero", fifo} {
		// Nothing listens at 127.0.0.1:1: the login must fail on the file first.
		p, err := fromLookup(t, "http://127.0.0.1:1", "", map[string]string{
			vault.EnvAuth: "approle", vault.EnvRoleID: "role", vault.EnvSecretIDFile: file,
		})
		if err != nil {
			t.Fatal(err)
		}
		// The deadline only bounds a read that would block: the error
		// must come from the file's check, not from it.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		done := make(chan error, 1)
		go func() { _, err := p.Get(ctx, runtime.Ref{Path: "a"}); done <- err }()
		select {
		case err = <-done:
		case <-time.After(2 * time.Minute):
			t.Fatalf("%s: Get is still blocked past the caller's deadline", file)
		}
		cancel()
		p.Close()
		want := "cannot read " + file + ": not a regular file"
		if !errors.Is(err, runtime.ErrAccessDenied) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Get: %v; want access denied saying %q", file, err, want)
		}
	}
}

// TestProviderPrintsItsBackendOnly: every fmt verb and slog show the
// backend name, never the client's token.
func TestProviderPrintsItsBackendOnly(t *testing.T) {
	const canary = "hvs.canary-vault-token-81aa"
	p, err := fromLookup(t, "http://127.0.0.1:1", canary, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		if got := fmt.Sprintf(verb, p); got != "vault.Provider(vault)" {
			t.Errorf("Sprintf(%s) = %q, want vault.Provider(vault)", verb, got)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "provider", p)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rec["provider"]); got != "map[backend:vault]" || strings.Contains(buf.String(), canary) {
		t.Errorf("slog: %s", buf.String())
	}
}

// TestFromLookupReadsItsVariablesThroughLookup: SECRETS_VAULT_* come from
// the lookup function, not the process environment.
func TestFromLookupReadsItsVariablesThroughLookup(t *testing.T) {
	t.Setenv(vault.EnvAuth, "kubernetes") // ignored: the lookup says approle
	_, err := fromLookup(t, "http://127.0.0.1:1", "", map[string]string{vault.EnvAuth: "approle"})
	if err == nil || !strings.Contains(err.Error(), "no role id (set VAULT_ROLE_ID)") {
		t.Errorf("FromLookup: %v; want the approle settings error", err)
	}
}

// TestNoGoroutineOutlivesClose: FromEnv with a token and with AppRole
// (a login, a LifetimeWatcher renewing the token), reads, then Close:
// no goroutine is left, the HTTP client's connections included.
func TestNoGoroutineOutlivesClose(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	srv.put(t, env, "api/key", map[string]any{"value": "k"})
	roleID, secretID := srv.appRole(t, env, "2s", "1m")
	for name, vars := range map[string]map[string]string{
		"token":   nil,
		"approle": {vault.EnvAuth: "approle", vault.EnvRoleID: roleID, vault.EnvSecretID: secretID},
	} {
		t.Run(name, func(t *testing.T) {
			token := srv.RootToken()
			if vars != nil {
				token = ""
			}
			defer leaktest.VerifyNone(t, goleak.IgnoreCurrent()) // connection goroutines end just after Close
			p, err := fromLookup(t, srv.Addr(), token, vars)
			if err != nil {
				t.Fatal(err)
			}
			ctx := ctxFor(t)
			res := p.GetMany(ctx, []runtime.Ref{{Path: "api/key"}, {Path: "api/key", Key: "value"}})
			for _, r := range res {
				if r.Err != nil || r.Value.Text != "k" {
					t.Fatalf("GetMany: %q, %v", r.Value.Text, r.Err)
				}
			}
			if vars != nil {
				time.Sleep(1500 * time.Millisecond) // let the watcher renew at least once
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
