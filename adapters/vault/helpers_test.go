package vault_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

const app = "dashtam"

// server is a real Vault dev server with a root client.
type server struct {
	*testenv.Vault
	root *api.Client
}

func startServer(t testing.TB) *server {
	t.Helper()
	v := testenv.StartVault(t)
	return &server{Vault: v, root: vaultClient(t, v)}
}

// vaultConfig returns api.DefaultConfig (retries, timeouts) pointed at v, for
// tests that adjust the client (wrap its transport, change retries) before
// api.NewClient. Clients made from it should call SetToken and
// ClearNamespace, as newVaultClient does, to ignore VAULT_TOKEN and
// VAULT_NAMESPACE.
func vaultConfig(v *testenv.Vault) *api.Config {
	cfg := api.DefaultConfig()
	cfg.Address = v.Addr()
	return cfg
}

// newVaultClient returns a new client for v using token (which may be
// empty). It starts from vaultConfig, lets adjust (when not nil) change the
// configuration, and ignores VAULT_ADDR, VAULT_TOKEN and VAULT_NAMESPACE
// from the environment.
func newVaultClient(v *testenv.Vault, token string, adjust func(*api.Config)) (*api.Client, error) {
	cfg := vaultConfig(v)
	if cfg.Error != nil {
		return nil, cfg.Error
	}
	if adjust != nil {
		adjust(cfg)
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	c.ClearNamespace()
	c.SetToken(token)
	return c, nil
}

// vaultClient returns a new client for v authenticated with the root token;
// an error fails t.
func vaultClient(t testing.TB, v *testenv.Vault) *api.Client {
	t.Helper()
	c, err := newVaultClient(v, v.RootToken(), nil)
	if err != nil {
		t.Fatalf("vault client: %v", err)
	}
	return c
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a hang, not a busy machine
	t.Cleanup(cancel)
	return ctx
}

// put writes data at {app}/{env}/{path} in secret/ and returns the version.
func (s *server) put(t testing.TB, env, path string, data map[string]any) int {
	t.Helper()
	sec, err := s.root.KVv2("secret").Put(context.Background(), app+"/"+env+"/"+path, data)
	if err != nil {
		t.Fatalf("put %s: %v", path, err)
	}
	return sec.VersionMetadata.Version
}

// cli runs the vault CLI against the server as root.
func (s *server) cli(t testing.TB, args ...string) {
	t.Helper()
	bin, err := testenv.VaultBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(s.CLIEnv(), "HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vault %s: %v\n%s", args[0], err, out)
	}
}

// write is a root write to a Vault API path.
func (s *server) write(t testing.TB, path string, data map[string]any) *api.Secret {
	t.Helper()
	sec, err := s.root.Logical().Write(path, data)
	if err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	return sec
}

// policy creates a policy allowing read on secret/data/{app}/{env}/*.
func (s *server) policy(t testing.TB, name, env string) {
	t.Helper()
	hcl := fmt.Sprintf("path %q {\n  capabilities = [\"read\"]\n}\n", "secret/data/"+app+"/"+env+"/*")
	if err := s.root.Sys().PutPolicy(name, hcl); err != nil {
		t.Fatalf("put policy: %v", err)
	}
}

// counter is an http.RoundTripper that counts requests by method and path
// (with query) and records the tokens it sees. It only counts.
type counter struct {
	next http.RoundTripper

	mu          sync.Mutex
	calls       map[string]int
	tokens      map[string]bool
	inFlight    int
	maxInFlight int
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	key := r.Method + " " + r.URL.Path
	if r.URL.RawQuery != "" {
		key += "?" + r.URL.RawQuery
	}
	c.mu.Lock()
	c.calls[key]++
	if tok := r.Header.Get("X-Vault-Token"); tok != "" {
		c.tokens[tok] = true
	}
	c.inFlight++
	c.maxInFlight = max(c.maxInFlight, c.inFlight)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}()
	return c.next.RoundTrip(r)
}

func (c *counter) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[key]
}

// countPrefix sums the calls whose key starts with prefix.
func (c *counter) countPrefix(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, v := range c.calls {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

func (c *counter) seenTokens() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for tok := range c.tokens {
		out = append(out, tok)
	}
	return out
}

// countingClient returns a client for s with token whose requests c counts.
func (s *server) countingClient(t testing.TB, token string, adjust func(*api.Config)) (*api.Client, *counter) {
	t.Helper()
	var c *counter
	client, err := newVaultClient(s.Vault, token, func(cfg *api.Config) {
		c = &counter{next: cfg.HttpClient.Transport, calls: map[string]int{}, tokens: map[string]bool{}}
		cfg.HttpClient.Transport = c
		if adjust != nil {
			adjust(cfg)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return client, c
}

// newProvider returns a provider for env that is closed on cleanup.
func newProvider(t testing.TB, client *api.Client, env string, opts *vault.Options) *vault.Provider {
	t.Helper()
	p, err := vault.New(client, app, env, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// logBuffer is a concurrency-safe slog destination for checking that logs
// hold no token or value.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// checkErr checks err's kind and that its message contains each of want.
// read reads ref from p as runtime reads through an adapter (Load, a
// Cache): the error is the one users see, with the path, the backend and
// mount/path#field that runtime adds to what the provider says.
func read(ctx context.Context, p runtime.Provider, ref runtime.Ref) (runtime.Value, error) {
	r := runtime.GetMany(ctx, p, []runtime.Ref{ref})[0]
	return r.Value, r.Err
}

// load reads refs from p as a generated Load does (genimpl.Fetch, each a
// required string) and returns Load's error: a *runtime.LoadError.
func load(ctx context.Context, p runtime.Provider, refs []runtime.Ref) *runtime.LoadError {
	l := genimpl.Fetch(ctx, p, refs)
	for i := range refs {
		genimpl.Field(l, i, genimpl.ParseString)
	}
	var le *runtime.LoadError
	errors.As(l.Err(), &le)
	return le
}

func checkErr(t testing.TB, err error, kind error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", kind)
	}
	if kind != nil && !isKind(err, kind) {
		t.Errorf("error %q: kind is not %v", err, kind)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func isKind(err, kind error) bool {
	for _, k := range []error{runtime.ErrNotFound, runtime.ErrAccessDenied, runtime.ErrInvalidValue, runtime.ErrUnavailable} {
		if errors.Is(err, k) != (k == kind) {
			return false
		}
	}
	return true
}
