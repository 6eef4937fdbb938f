package vault_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// appRole enables AppRole with a role for dashtam/{env} and returns its role
// id and a fresh secret id.
func (s *server) appRole(t testing.TB, env, ttl, maxTTL string) (roleID, secretID string) {
	t.Helper()
	if !s.authEnabled(t, "approle/") {
		s.write(t, "sys/auth/approle", map[string]any{"type": "approle"})
	}
	s.policy(t, "dashtam-"+env, env)
	s.write(t, "auth/approle/role/dashtam-"+env, map[string]any{
		"token_policies": "dashtam-" + env, "token_ttl": ttl, "token_max_ttl": maxTTL,
	})
	sec, err := s.root.Logical().Read("auth/approle/role/dashtam-" + env + "/role-id")
	if err != nil {
		t.Fatal(err)
	}
	return sec.Data["role_id"].(string), s.secretID(t, env)
}

func (s *server) secretID(t testing.TB, env string) string {
	t.Helper()
	return s.write(t, "auth/approle/role/dashtam-"+env+"/secret-id", nil).Data["secret_id"].(string)
}

func (s *server) authEnabled(t testing.TB, mount string) bool {
	t.Helper()
	auths, err := s.root.Sys().ListAuth()
	if err != nil {
		t.Fatal(err)
	}
	_, ok := auths[mount]
	return ok
}

// TestAppRoleRenewal logs in with AppRole to tokens that live 3s and at most
// 7s, then waits 9s without reading: the LifetimeWatcher renews the token
// and, when the max TTL stops renewal, the provider logs in again before the
// token expires, so the next read needs no retry. Close stops it all.
func TestAppRoleRenewal(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	roleID, secretID := srv.appRole(t, env, "3s", "7s")
	srv.put(t, env, "database/url", map[string]any{"value": "postgres://db/app"})

	client, c := srv.countingClient(t, "", nil)
	var logs logBuffer
	auth, err := vault.AppRoleAuth("", roleID, secretID, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := vault.New(client, app, env, &vault.Options{Auth: auth, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	ctx := ctxFor(t)
	read := func() {
		t.Helper()
		v, err := p.Get(ctx, runtime.Ref{Path: "database/url"})
		if err != nil || v.Text != "postgres://db/app" {
			t.Fatalf("read: %q, %v\nlog:\n%s", v.Text, err, logs.String())
		}
	}
	read()
	// On a quiet machine both come within 9s; a busy one may be slower.
	start := time.Now()
	waitUntil(time.Minute, func() bool {
		return c.count("PUT /v1/auth/approle/login") >= 2 && c.count("PUT /v1/auth/token/renew-self") >= 3
	})
	read()
	logins := c.count("PUT /v1/auth/approle/login")
	renewals := c.count("PUT /v1/auth/token/renew-self")
	t.Logf("%d logins, %d renewals after %v", logins, renewals, time.Since(start).Round(time.Millisecond))
	if logins < 2 {
		t.Errorf("%d logins with a 7s max TTL, want at least 2\nlog:\n%s", logins, logs.String())
	}
	if renewals < 3 {
		t.Errorf("%d token renewals with a 3s TTL, want at least 3", renewals)
	}
	if n := c.count("GET /v1/auth/token/lookup-self"); n != 0 {
		t.Errorf("a read was refused (%d token lookups): the re-login came after the token expired", n)
	}
	out := logs.String()
	if !strings.Contains(out, "token renewal stopped; logging in again") {
		t.Errorf("the log does not report the re-login:\n%s", out)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	before := c.countPrefix("PUT /v1/auth/")
	time.Sleep(3500 * time.Millisecond) // longer than the token TTL
	if after := c.countPrefix("PUT /v1/auth/"); after != before {
		t.Errorf("%d renewals or logins after Close", after-before)
	}

	// The log holds no token, credential or value.
	for _, secret := range append(c.seenTokens(), secretID, roleID, "postgres://db/app") {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log contains a token, credential or value:\n%s", logs.String())
		}
	}
}

// TestAppRoleBatchToken logs in to batch tokens, which cannot be renewed:
// the provider watches the token's lifetime without renewing and logs in
// again before it ends.
func TestAppRoleBatchToken(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	roleID, secretID := srv.appRole(t, env, "4s", "4s")
	srv.write(t, "auth/approle/role/dashtam-"+env, map[string]any{"token_type": "batch"})
	srv.put(t, env, "api/key", map[string]any{"value": "k"})
	client, c := srv.countingClient(t, "", nil)
	auth, err := vault.AppRoleAuth("", roleID, secretID, "")
	if err != nil {
		t.Fatal(err)
	}
	p := newProvider(t, client, env, &vault.Options{Auth: auth, Logger: new(logBuffer).logger()})
	ctx := ctxFor(t)
	for i := range 2 {
		if v, err := p.Get(ctx, runtime.Ref{Path: "api/key"}); err != nil || v.Text != "k" {
			t.Fatalf("read: %q, %v", v.Text, err)
		}
		if i == 0 {
			// The watcher logs in again before the 4s token ends (within
			// 6s on a quiet machine; a busy one may be slower).
			waitUntil(time.Minute, func() bool { return c.count("PUT /v1/auth/approle/login") >= 2 })
		}
	}
	if n := c.count("PUT /v1/auth/approle/login"); n < 2 {
		t.Errorf("%d logins with 4s batch tokens, want at least 2", n)
	}
	if n := c.count("PUT /v1/auth/token/renew-self"); n != 0 {
		t.Errorf("%d renewals of a batch token, want none", n)
	}
	if n := c.count("GET /v1/auth/token/lookup-self"); n != 0 {
		t.Errorf("a read was refused (%d token lookups): the re-login came after the token expired", n)
	}
}

// TestAppRoleFromEnv configures AppRole from environment variables alone,
// with the secret id in a file. Revoking the provider's token and rotating
// the secret id makes the next read get 403, log in again with the file's
// new contents, and succeed.
func TestAppRoleFromEnv(t *testing.T) {
	srv := startServer(t)
	const env = "staging"
	roleID, secretID := srv.appRole(t, env, "1m", "10m")
	srv.put(t, env, "api/key", map[string]any{"value": "k-123"})
	file := filepath.Join(t.TempDir(), "secret-id")
	if err := os.WriteFile(file, []byte(secretID+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VAULT_ADDR", srv.Addr())
	t.Setenv("VAULT_TOKEN", "")
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("SECRETS_VAULT_AUTH", "approle")
	t.Setenv("VAULT_ROLE_ID", roleID)
	t.Setenv("VAULT_SECRET_ID", "")
	t.Setenv("VAULT_SECRET_ID_FILE", file)
	t.Setenv("SECRETS_VAULT_MOUNT", "secret")
	ctx := ctxFor(t)
	p, err := vault.FromEnv(ctx, app, env)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	read := func() {
		t.Helper()
		if v, err := p.Get(ctx, runtime.Ref{Path: "api/key"}); err != nil || v.Text != "k-123" {
			t.Fatalf("read: %q, %v", v.Text, err)
		}
	}
	read()

	newID := srv.secretID(t, env)
	if err := os.WriteFile(file, []byte(newID), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.write(t, "auth/approle/role/dashtam-"+env+"/secret-id/destroy", map[string]any{"secret_id": secretID})
	if _, err := srv.root.Logical().Write("sys/leases/revoke-prefix/auth/approle/login", nil); err != nil {
		t.Fatal(err)
	}
	read()

	// A file that is gone fails the next login with access denied, naming
	// the file and not its old contents.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.root.Logical().Write("sys/leases/revoke-prefix/auth/approle/login", nil); err != nil {
		t.Fatal(err)
	}
	_, err = p.Get(ctx, runtime.Ref{Path: "api/key"})
	checkErr(t, err, runtime.ErrAccessDenied, "vault login (approle) failed", "cannot read "+file, "no such file")
	if strings.Contains(err.Error(), newID) {
		t.Errorf("error %q contains the secret id", err)
	}
}

// tokenReview is a loopback Kubernetes TokenReview endpoint: the only stub
// in these tests (Vault itself is real). It accepts the tokens issued by
// newJWT and records which it saw.
type tokenReview struct {
	mu     sync.Mutex
	valid  map[string]bool
	seen   []string
	server *httptest.Server
}

func newTokenReview(t *testing.T) *tokenReview {
	tr := &tokenReview{valid: map[string]bool{}}
	tr.server = httptest.NewTLSServer(http.HandlerFunc(tr.serve))
	t.Cleanup(tr.server.Close)
	return tr
}

func (tr *tokenReview) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/apis/authentication.k8s.io/v1/tokenreviews" {
		http.NotFound(w, r)
		return
	}
	var req struct {
		Spec struct {
			Token string `json:"token"`
		} `json:"spec"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	tr.mu.Lock()
	ok := tr.valid[req.Spec.Token]
	tr.seen = append(tr.seen, req.Spec.Token)
	tr.mu.Unlock()
	status := map[string]any{"authenticated": false}
	if ok {
		status = map[string]any{
			"authenticated": true,
			"user":          map[string]any{"username": "system:serviceaccount:default:dashtam", "uid": "uid-dashtam"},
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status,
	})
}

func (tr *tokenReview) lastSeen() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.seen) == 0 {
		return ""
	}
	return tr.seen[len(tr.seen)-1]
}

// newJWT returns a service-account JWT (ES256; Vault checks the signature
// only when configured with public keys) that tr accepts.
func (tr *tokenReview) newJWT(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	jti := make([]byte, 8)
	_, _ = rand.Read(jti)
	unsigned := enc(map[string]string{"alg": "ES256", "typ": "JWT"}) + "." + enc(map[string]any{
		"iss":                                    "kubernetes/serviceaccount",
		"sub":                                    "system:serviceaccount:default:dashtam",
		"jti":                                    base64.RawURLEncoding.EncodeToString(jti),
		"kubernetes.io/serviceaccount/namespace": "default",
		"kubernetes.io/serviceaccount/service-account.name": "dashtam",
		"kubernetes.io/serviceaccount/service-account.uid":  "uid-dashtam",
	})
	sum := sha256.Sum256([]byte(unsigned))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	jwt := unsigned + "." + base64.RawURLEncoding.EncodeToString(sig)
	tr.mu.Lock()
	tr.valid[jwt] = true
	tr.mu.Unlock()
	return jwt
}

// TestKubernetesLogin logs in with the Kubernetes auth method, configured
// from environment variables, against a loopback TokenReview endpoint. The
// token file is read again at the next login.
func TestKubernetesLogin(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	tr := newTokenReview(t)
	srv.write(t, "sys/auth/kubernetes", map[string]any{"type": "kubernetes"})
	srv.write(t, "auth/kubernetes/config", map[string]any{
		"kubernetes_host": tr.server.URL, "disable_local_ca_jwt": true,
		"kubernetes_ca_cert": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tr.server.Certificate().Raw})),
	})
	srv.policy(t, "dashtam-"+env, env)
	srv.write(t, "auth/kubernetes/role/dashtam", map[string]any{
		"bound_service_account_names": "dashtam", "bound_service_account_namespaces": "default",
		"token_policies": "dashtam-" + env, "token_ttl": "1m",
	})
	srv.put(t, env, "database/url", map[string]any{"value": "postgres://k8s"})

	jwt1 := tr.newJWT(t)
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(jwt1), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VAULT_ADDR", srv.Addr())
	t.Setenv("VAULT_TOKEN", "")
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("SECRETS_VAULT_AUTH", "kubernetes")
	t.Setenv("SECRETS_VAULT_K8S_ROLE", "dashtam")
	t.Setenv("SECRETS_VAULT_K8S_TOKEN_FILE", file)
	ctx := ctxFor(t)
	p, err := vault.FromEnv(ctx, app, env)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	read := func() {
		t.Helper()
		if v, err := p.Get(ctx, runtime.Ref{Path: "database/url"}); err != nil || v.Text != "postgres://k8s" {
			t.Fatalf("read: %q, %v", v.Text, err)
		}
	}
	read()
	if tr.lastSeen() != jwt1 {
		t.Fatal("the TokenReview endpoint did not see the token file's JWT")
	}

	// Kubernetes rotates the projected token; the next login reads the file.
	jwt2 := tr.newJWT(t)
	if err := os.WriteFile(file, []byte(jwt2+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.root.Logical().Write("sys/leases/revoke-prefix/auth/kubernetes/login", nil); err != nil {
		t.Fatal(err)
	}
	read()
	if tr.lastSeen() != jwt2 {
		t.Error("the second login did not read the rotated token file")
	}

	// A token the cluster rejects: access denied, without the JWT.
	bad := &tokenReview{valid: map[string]bool{}}
	badJWT := bad.newJWT(t)
	if err := os.WriteFile(file, []byte(badJWT), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.root.Logical().Write("sys/leases/revoke-prefix/auth/kubernetes/login", nil); err != nil {
		t.Fatal(err)
	}
	_, err = p.Get(ctx, runtime.Ref{Path: "database/url"})
	checkErr(t, err, runtime.ErrAccessDenied, "vault login (kubernetes) failed", "HTTP 403")
	if strings.Contains(err.Error(), badJWT) || strings.Contains(err.Error(), jwt2) {
		t.Errorf("error %q contains a service-account token", err)
	}
}

func TestFromEnvConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"token without VAULT_TOKEN", map[string]string{"SECRETS_VAULT_AUTH": ""}, "needs VAULT_TOKEN"},
		{"unknown method", map[string]string{"SECRETS_VAULT_AUTH": "ldap", "VAULT_TOKEN": "x"}, `"ldap": want token, approle or kubernetes`},
		{"approle without role id", map[string]string{"SECRETS_VAULT_AUTH": "approle", "VAULT_SECRET_ID": "s"}, "no role id (set VAULT_ROLE_ID)"},
		{"approle without secret id", map[string]string{"SECRETS_VAULT_AUTH": "approle", "VAULT_ROLE_ID": "r"}, "no secret id"},
		{"approle with both", map[string]string{"SECRETS_VAULT_AUTH": "approle", "VAULT_ROLE_ID": "r", "VAULT_SECRET_ID": "zq9canary", "VAULT_SECRET_ID_FILE": "/f"}, "not both"},
		{"kubernetes without role", map[string]string{"SECRETS_VAULT_AUTH": "kubernetes"}, "no role (set SECRETS_VAULT_K8S_ROLE)"},
		{"bad retries", map[string]string{"VAULT_TOKEN": "x", "VAULT_MAX_RETRIES": "many"}, "VAULT_* variable has an invalid value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"VAULT_TOKEN", "VAULT_ADDR", "VAULT_MAX_RETRIES", "VAULT_NAMESPACE", "SECRETS_VAULT_AUTH",
				"VAULT_ROLE_ID", "VAULT_SECRET_ID", "VAULT_SECRET_ID_FILE", "SECRETS_VAULT_K8S_ROLE", "SECRETS_VAULT_K8S_TOKEN_FILE"} {
				t.Setenv(k, tc.env[k])
			}
			_, err := vault.FromEnv(context.Background(), app, "production")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("FromEnv error = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "zq9canary") {
				t.Errorf("error %q contains a credential", err)
			}
		})
	}
	t.Run("token", func(t *testing.T) {
		t.Setenv("VAULT_TOKEN", "hvs.x")
		t.Setenv("SECRETS_VAULT_AUTH", "token")
		t.Setenv("SECRETS_VAULT_MOUNT", "kv")
		p, err := vault.FromEnv(context.Background(), app, "production")
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Where(runtime.Ref{Path: "a/b"}); got != "kv/dashtam/production/a/b#value" {
			t.Errorf("Where = %q, want the SECRETS_VAULT_MOUNT mount", got)
		}
	})
}

// waitUntil polls cond every 20ms until it holds or d has passed: d bounds
// a wait for something that must happen, not how fast.
func waitUntil(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}
