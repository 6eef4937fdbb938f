package vault_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
	"github.com/dashtam/secretsgen/runtime/providertest"
)

// harness runs the conformance suite against one shared dev server; each
// harness reads its own environment segment.
type harness struct {
	srv *server
	env string
}

var harnessSeq atomic.Int64

func (h *harness) Provider(ctx context.Context, t *testing.T) runtime.Provider {
	return newProvider(t, h.srv.root, h.env, nil)
}

func (h *harness) Set(ctx context.Context, t *testing.T, path, text string) {
	h.srv.put(t, h.env, path, map[string]any{"value": text})
}

func (h *harness) Ref(path string) runtime.Ref { return runtime.Ref{Path: path} }

func TestConformance(t *testing.T) {
	srv := startServer(t)
	providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
		return &harness{srv: srv, env: fmt.Sprintf("conformance%d", harnessSeq.Add(1))}
	})
}

type credentials struct {
	Username string
	Port     int
}

func parseCredentials(s string) (credentials, error) {
	o, err := genimpl.ParseObject(s)
	if err != nil {
		return credentials{}, err
	}
	c := credentials{
		Username: genimpl.Member(o, "username", genimpl.ParseString),
		Port:     genimpl.Member(o, "port", genimpl.ParseInt),
	}
	return c, o.Err()
}

// field adapts a typed parse function to the table below.
func field[T any](parse func(string) (T, error)) func(*genimpl.Loader, int) any {
	return func(l *genimpl.Loader, i int) any { return genimpl.Field(l, i, parse) }
}

// TestTypes loads every manifest type through genimpl.Fetch and Field, the
// way generated Load does, from secrets written with the KV API (strings,
// numbers, booleans, arrays, objects) and with the vault CLI (every field a
// string).
func TestTypes(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	ts := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	u, _ := url.Parse("postgres://app:pw@db:5432/app")
	tests := []struct {
		path string
		data map[string]any // written with the KV API; nil: cli is used
		cli  []string       // fields for `vault kv put`
		ref  runtime.Ref
		load func(*genimpl.Loader, int) any
		want any
	}{
		{path: "t/string", data: map[string]any{"value": "hunter2"}, load: field(genimpl.ParseString), want: "hunter2"},
		{path: "t/int", data: map[string]any{"value": "5432"}, load: field(genimpl.ParseInt), want: 5432},
		{path: "t/int-number", data: map[string]any{"value": 5432}, load: field(genimpl.ParseInt), want: 5432},
		// Vault keeps JSON numbers as float64 (2^53+1 comes back as 2^53):
		// large integers are written as strings, which is what the CLI does.
		{path: "t/int64", data: map[string]any{"value": "9007199254740993"}, load: field(genimpl.ParseInt64), want: int64(9007199254740993)},
		{path: "t/int64-number", data: map[string]any{"value": json.Number("1099511627776")}, load: field(genimpl.ParseInt64), want: int64(1 << 40)},
		{path: "t/float", data: map[string]any{"value": 0.25}, load: field(genimpl.ParseFloat64), want: 0.25},
		{path: "t/bool", data: map[string]any{"value": true}, load: field(genimpl.ParseBool), want: true},
		{path: "t/duration", data: map[string]any{"value": "1h30m"}, load: field(genimpl.ParseDuration), want: 90 * time.Minute},
		{path: "t/url", data: map[string]any{"value": "postgres://app:pw@db:5432/app"}, load: field(genimpl.ParseURL), want: u},
		{path: "t/bytes", data: map[string]any{"value": "AAEC/w=="}, load: field(genimpl.ParseBytes), want: []byte{0, 1, 2, 255}},
		{path: "t/time", data: map[string]any{"value": "2024-05-01T12:00:00Z"}, load: field(genimpl.ParseTime), want: ts},
		{path: "t/enum", data: map[string]any{"value": "debug"}, load: field(genimpl.ParseEnum("debug", "info")), want: "debug"},
		{path: "t/list-json", data: map[string]any{"value": `["a","b"]`}, load: field(genimpl.ParseList(genimpl.ParseString)), want: []string{"a", "b"}},
		{path: "t/list-array", data: map[string]any{"value": []any{"a", "b"}}, load: field(genimpl.ParseList(genimpl.ParseString)), want: []string{"a", "b"}},
		{path: "t/list-comma", data: map[string]any{"value": "1, 2,3"}, load: field(genimpl.ParseList(genimpl.ParseInt)), want: []int{1, 2, 3}},
		{path: "t/map-object", data: map[string]any{"value": map[string]any{"a": 1, "b": "2"}}, load: field(genimpl.ParseMap(genimpl.ParseInt)), want: map[string]int{"a": 1, "b": 2}},
		{path: "t/json-value", ref: runtime.Ref{Type: "json"}, data: map[string]any{"value": `{"username":"app","port":5432}`},
			load: field(parseCredentials), want: credentials{"app", 5432}},
		{path: "t/json-fields", ref: runtime.Ref{Type: "json"}, data: map[string]any{"username": "app", "port": 5432},
			load: field(parseCredentials), want: credentials{"app", 5432}},
		{path: "t/json-cli", ref: runtime.Ref{Type: "json"}, cli: []string{"username=app", "port=5432"},
			load: field(parseCredentials), want: credentials{"app", 5432}},
		{path: "t/string-cli", cli: []string{"value=s3cr=t with spaces"}, load: field(genimpl.ParseString), want: "s3cr=t with spaces"},
		{path: "t/key", ref: runtime.Ref{Source: "mail/smtp", Key: "password"}, load: field(genimpl.ParseString), want: "smtp-pw"},
		{path: "t/key-port", ref: runtime.Ref{Source: "mail/smtp", Key: "port"}, load: field(genimpl.ParseInt), want: 587},
	}
	srv.put(t, env, "mail/smtp", map[string]any{"user": "mailer", "password": "smtp-pw", "port": 587})
	refs := make([]runtime.Ref, len(tests))
	for i, tc := range tests {
		switch {
		case tc.data != nil:
			srv.put(t, env, tc.path, tc.data)
		case tc.cli != nil:
			srv.cli(t, append([]string{"kv", "put", "-mount=secret", app + "/" + env + "/" + tc.path}, tc.cli...)...)
		}
		refs[i] = tc.ref
		refs[i].Path = tc.path
	}
	p := newProvider(t, srv.root, env, nil)
	l := genimpl.Fetch(ctxFor(t), p, refs)
	for i, tc := range tests {
		got := tc.load(l, i)
		if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b *url.URL) bool { return a.String() == b.String() })); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.path, diff)
		}
	}
	if err := l.Err(); err != nil {
		t.Errorf("Load: %v", err)
	}
}

// TestSharedSourceReadOnce checks that GetMany reads each (source path,
// version) once however many refs name it, and never runs more reads at
// once than MaxConcurrency.
func TestSharedSourceReadOnce(t *testing.T) {
	srv := startServer(t)
	const env = "staging"
	srv.put(t, env, "mail/smtp", map[string]any{"user": "mailer", "password": "pw", "host": "smtp.example.com"})
	srv.put(t, env, "database/url", map[string]any{"value": "v1"})
	srv.put(t, env, "database/url", map[string]any{"value": "v2"})
	refs := []runtime.Ref{
		{Path: "mail/user", Source: "mail/smtp", Key: "user"},
		{Path: "mail/password", Source: "mail/smtp", Key: "password"},
		{Path: "database/url"},
		{Path: "mail/host", Source: "mail/smtp", Key: "host"},
		{Path: "database/previous_url", Source: "database/url", Version: "1"},
		{Path: "database/first_url", Source: "database/url", Version: "1"},
	}
	for i := range 12 {
		path := fmt.Sprintf("many/k%d", i)
		srv.put(t, env, path, map[string]any{"value": path})
		refs = append(refs, runtime.Ref{Path: path})
	}
	client, c := srv.countingClient(t, srv.RootToken(), nil)
	p := newProvider(t, client, env, &vault.Options{MaxConcurrency: 3})
	res := p.GetMany(ctxFor(t), refs)
	want := []string{"mailer", "pw", "v2", "smtp.example.com", "v1", "v1"}
	for i, ref := range refs {
		w := ref.Path
		if i < len(want) {
			w = want[i]
		}
		if res[i].Err != nil || res[i].Value.Text != w {
			t.Errorf("GetMany[%d] (%s) = %q, %v; want %q", i, ref.Path, res[i].Value.Text, res[i].Err, w)
		}
	}
	if got := res[2].Value.Version; got != "2" {
		t.Errorf("database/url Version = %q, want 2", got)
	}
	base := "GET /v1/secret/data/" + app + "/" + env + "/"
	for _, key := range []string{base + "mail/smtp", base + "database/url", base + "database/url?version=1", base + "many/k0"} {
		if n := c.count(key); n != 1 {
			t.Errorf("%s: %d requests, want 1", key, n)
		}
	}
	if n := c.countPrefix("GET /v1/secret/"); n != 3+12 {
		t.Errorf("%d KV reads for 3 shared and 12 single paths, want 15", n)
	}
	if c.maxInFlight > 3 {
		t.Errorf("%d reads ran at once, want at most MaxConcurrency 3", c.maxInFlight)
	}
}

func TestVersions(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	for _, v := range []string{"one", "two", "three"} {
		srv.put(t, env, "api/key", map[string]any{"value": v})
	}
	ctx := ctxFor(t)
	p := newProvider(t, srv.root, env, nil)
	kv := srv.root.KVv2("secret")
	path := app + "/" + env + "/api/key"

	get := func(version string) (runtime.Value, error) {
		return read(ctx, p, runtime.Ref{Path: "api/key", Version: version})
	}
	for _, tc := range []struct{ version, text, got string }{{"", "three", "3"}, {"1", "one", "1"}, {"2", "two", "2"}} {
		v, err := get(tc.version)
		if err != nil || v.Text != tc.text || v.Version != tc.got {
			t.Errorf("version %q = %+v, %v; want %q at version %s", tc.version, v, err, tc.text, tc.got)
		}
	}

	// Deleting the latest version: Vault answers with metadata and no data.
	if err := kv.Delete(ctx, path); err != nil {
		t.Fatal(err)
	}
	_, err := get("")
	checkErr(t, err, runtime.ErrNotFound, "api/key", "vault", "secret/dashtam/production/api/key#value", "latest version is deleted or destroyed")
	if v, err := get("2"); err != nil || v.Text != "two" {
		t.Errorf("pinned version 2 after deleting 3 = %+v, %v; want two", v, err)
	}
	if err := kv.Destroy(ctx, path, []int{2}); err != nil {
		t.Fatal(err)
	}
	_, err = get("2")
	checkErr(t, err, runtime.ErrNotFound, "@2", "version 2 is deleted or destroyed")
	_, err = get("99")
	checkErr(t, err, runtime.ErrNotFound, "secret/dashtam/production/api/key#value@99")
	for _, bad := range []string{"AWSPREVIOUS", "0", "-1", "1.5"} {
		_, err = get(bad)
		checkErr(t, err, runtime.ErrInvalidValue, "positive integer", "vault")
	}
	// A missing field of a secret that exists is an invalid value (see
	// TestMissingField) and names the field.
	srv.put(t, env, "no/value", map[string]any{"other": "x"})
	_, err = read(ctx, p, runtime.Ref{Path: "no/value"})
	checkErr(t, err, runtime.ErrInvalidValue, `no field "value"`, "-mount=secret dashtam/production/no/value value=")
	_, err = read(ctx, p, runtime.Ref{Path: "no/value", Key: "missing"})
	checkErr(t, err, runtime.ErrInvalidValue, `no field "missing"`, "#missing")
}

// TestMissingField: a secret that exists but lacks the field an entry reads
// is an invalid value naming mount/path#field, never a value, so an
// optional entry does not silently take its default. A path that does not
// exist, or whose latest version is deleted, stays not found; a json entry
// without a key still reads the whole data map when there is no value
// field.
func TestMissingField(t *testing.T) {
	srv := startServer(t)
	const env = "production"
	const canary = "canary-field-value-7d1e"
	srv.put(t, env, "mail/smtp", map[string]any{"user": "mailer", "password": canary})
	srv.put(t, env, "api/key", map[string]any{"valeu": canary})
	srv.put(t, env, "api/null", map[string]any{"value": nil, "other": canary})
	srv.put(t, env, "gone/key", map[string]any{"value": canary})
	if err := srv.root.KVv2("secret").Delete(ctxFor(t), app+"/"+env+"/gone/key"); err != nil {
		t.Fatal(err)
	}
	p := newProvider(t, srv.root, env, nil)
	ctx := ctxFor(t)

	tests := []struct {
		ref  runtime.Ref
		kind error
		want []string
	}{
		{runtime.Ref{Path: "api/key"}, runtime.ErrInvalidValue, []string{
			"api/key", "vault", "secret/dashtam/production/api/key#value", `no field "value"`,
			`write the field "value" (vault kv patch -mount=secret dashtam/production/api/key value=...)`}},
		{runtime.Ref{Path: "api/key"}, runtime.ErrInvalidValue, []string{
			"secret/dashtam/production/api/key#value"}},
		{runtime.Ref{Path: "api/null"}, runtime.ErrInvalidValue, []string{
			"secret/dashtam/production/api/null#value", `field "value" is null`, `write the field "value"`}},
		{runtime.Ref{Path: "mail/host", Source: "mail/smtp", Key: "host"}, runtime.ErrInvalidValue, []string{
			"mail/host", "secret/dashtam/production/mail/smtp#host", `no field "host"`,
			`write the field "host" (vault kv patch -mount=secret dashtam/production/mail/smtp host=...)`}},
		{runtime.Ref{Path: "db/port", Type: "json", Source: "mail/smtp", Key: "port"}, runtime.ErrInvalidValue, []string{
			"secret/dashtam/production/mail/smtp#port", `no field "port"`}},
		{runtime.Ref{Path: "no/such"}, runtime.ErrNotFound, []string{
			"secret/dashtam/production/no/such#value", "vault kv put -mount=secret dashtam/production/no/such value="}},
		{runtime.Ref{Path: "gone/key"}, runtime.ErrNotFound, []string{
			"latest version is deleted or destroyed"}},
	}
	refs := make([]runtime.Ref, len(tests))
	for i, tc := range tests {
		refs[i] = tc.ref
		_, err := read(ctx, p, tc.ref)
		checkErr(t, err, tc.kind, tc.want...)
		if err != nil && strings.Contains(err.Error(), canary) {
			t.Errorf("Get(%+v): error %q contains a value", tc.ref, err)
		}
	}
	for i, r := range runtime.GetMany(ctx, p, refs) {
		checkErr(t, r.Err, tests[i].kind, tests[i].want...)
	}

	// Through Load: the optional entry with a default fails instead of
	// taking its default; the absent optional ones take theirs.
	l := genimpl.Fetch(ctx, p, refs[1:2])
	if got := genimpl.Default(l, 0, genimpl.ParseString, "x"); got != "" {
		t.Errorf("optional entry with a missing field = %q, want the zero value and an error", got)
	}
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), "invalid value") {
		t.Errorf("Load with a missing field: %v, want an invalid value", err)
	}
	l = genimpl.Fetch(ctx, p, refs[5:])
	genimpl.Optional(l, 0, genimpl.ParseString)
	genimpl.Optional(l, 1, genimpl.ParseString)
	if err := l.Err(); err != nil {
		t.Errorf("Load of absent optional entries: %v", err)
	}

	// type json without a key and without a value field: the whole map.
	v, err := p.Get(ctx, runtime.Ref{Path: "mail/settings", Source: "mail/smtp", Type: "json"})
	if err != nil || !strings.Contains(v.Text, `"user":"mailer"`) {
		t.Errorf("json entry without a value field = %q, %v; want the data map", v.Text, err)
	}
}

// TestEnvironmentIsolation gives a token a real policy that allows only
// dashtam/staging/*: production paths, present or not, are access denied.
func TestEnvironmentIsolation(t *testing.T) {
	srv := startServer(t)
	srv.policy(t, "dashtam-staging", "staging")
	srv.put(t, "staging", "database/url", map[string]any{"value": "staging-url"})
	srv.put(t, "production", "database/url", map[string]any{"value": "production-url"})
	tok, err := srv.root.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"dashtam-staging"}})
	if err != nil {
		t.Fatal(err)
	}
	client, err := newVaultClient(srv.Vault, tok.Auth.ClientToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t)
	staging := newProvider(t, client, "staging", nil)
	if v, err := staging.Get(ctx, runtime.Ref{Path: "database/url"}); err != nil || v.Text != "staging-url" {
		t.Fatalf("staging read = %q, %v", v.Text, err)
	}
	production := newProvider(t, client, "production", nil)
	for _, path := range []string{"database/url", "missing/secret"} {
		_, err := read(ctx, production, runtime.Ref{Path: path})
		checkErr(t, err, runtime.ErrAccessDenied, path, "vault", "secret/dashtam/production/"+path+"#value",
			"HTTP 403", "secret/data/dashtam/production/"+path)
		if strings.Contains(err.Error(), "production-url") || strings.Contains(err.Error(), tok.Auth.ClientToken) {
			t.Errorf("error %q contains a value or the token", err)
		}
	}
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct{ app, env string }{{"", "production"}, {"dashtam", ""}, {"dashtam", "a/b"}, {"dashtam", ".."}} {
		if _, err := vault.New(nil, tc.app, tc.env, nil); err == nil {
			t.Errorf("New(nil, %q, %q) succeeded", tc.app, tc.env)
		}
	}
}

// TestNewChecksEnvironment: New accepts the environments that
// backends.CheckEnvironment does, and no other.
func TestNewChecksEnvironment(t *testing.T) {
	client, err := newOfflineClient()
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"production", "eu-west_1", "0", "Prod", "a.b", "a/b", "..", "", "-x"} {
		_, err := vault.New(client, app, env, nil)
		if want := backends.CheckEnvironment(env); (err == nil) != (want == nil) {
			t.Errorf("New(client, %q, %q) error = %v; CheckEnvironment says %v", app, env, err, want)
		}
	}
	if _, err := vault.New(client, "a/b", "production", nil); err == nil {
		t.Error(`New with app "a/b" succeeded`)
	}
}

func TestWhere(t *testing.T) {
	client, err := newOfflineClient()
	if err != nil {
		t.Fatal(err)
	}
	p, err := vault.New(client, app, "production", &vault.Options{Mount: "/kv/"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  runtime.Ref
		want string
	}{
		{runtime.Ref{Path: "database/url"}, "kv/dashtam/production/database/url#value"},
		{runtime.Ref{Path: "mail/password", Source: "mail/smtp", Key: "password"}, "kv/dashtam/production/mail/smtp#password"},
		{runtime.Ref{Path: "api/key", Version: "3"}, "kv/dashtam/production/api/key#value@3"},
		{runtime.Ref{Path: "database/credentials", Type: "json"}, "kv/dashtam/production/database/credentials"},
		{runtime.Ref{Path: "database/port", Type: "json", Source: "database/credentials", Key: "port"}, "kv/dashtam/production/database/credentials#port"},
	}
	for _, tc := range tests {
		if got := p.Where(tc.ref); got != tc.want {
			t.Errorf("Where(%+v) = %q, want %q", tc.ref, got, tc.want)
		}
	}
	if p.Name() != "vault" {
		t.Errorf("Name() = %q, want vault", p.Name())
	}
}

// newOfflineClient returns a client for tests that do no I/O.
func newOfflineClient() (*api.Client, error) {
	cfg := api.DefaultConfig()
	cfg.Address = "http://127.0.0.1:1"
	return api.NewClient(cfg)
}

// TestVaultClientHelpers checks the client helpers of helpers_test.go: they
// talk to the test server with the given token and ignore the developer's
// VAULT_ADDR, VAULT_TOKEN and VAULT_NAMESPACE.
func TestVaultClientHelpers(t *testing.T) {
	t.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
	t.Setenv("VAULT_TOKEN", "not-the-root-token")
	t.Setenv("VAULT_NAMESPACE", "elsewhere")
	srv := startServer(t)
	c := srv.root
	if c.Address() != srv.Addr() || c.Token() != srv.RootToken() || c.Namespace() != "" {
		t.Errorf("vaultClient() talks to %s (namespace %q), want %s with the root token and no namespace",
			c.Address(), c.Namespace(), srv.Addr())
	}
	ctx := ctxFor(t)
	health, err := c.Sys().HealthWithContext(ctx)
	if err != nil {
		t.Fatalf("health: %v", err)
	}
	if !health.Initialized || health.Sealed {
		t.Errorf("health = %+v, want initialized and unsealed", health)
	}
	if _, err := c.Auth().Token().LookupSelfWithContext(ctx); err != nil {
		t.Errorf("lookup-self with the root token: %v", err)
	}

	anon, err := newVaultClient(srv.Vault, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if anon.Address() != srv.Addr() || anon.Token() != "" || anon.Namespace() != "" {
		t.Errorf("newVaultClient(v, \"\") talks to %s with token %q (namespace %q), want %s with no token and no namespace",
			anon.Address(), anon.Token(), anon.Namespace(), srv.Addr())
	}
	if cfg := vaultConfig(srv.Vault); cfg.Address != srv.Addr() || cfg.Error != nil {
		t.Errorf("vaultConfig() = address %s, error %v; want %s and no error", cfg.Address, cfg.Error, srv.Addr())
	}
}
