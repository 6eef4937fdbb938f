// Package vault is the secretsgen backend for HashiCorp Vault's KV version 2
// secrets engine.
//
// The manifest entry database/url of app dashtam in environment production
// is read from mount secret, path dashtam/production/database/url, field
// value: what `vault kv put -mount=secret dashtam/production/database/url
// value=...` writes. A manifest source: reads another path, its key: another
// field, and its version: a KV version number. A type: json entry whose
// secret has no value field is the whole data map, so a JSON secret can be
// written as separate fields (`vault kv put ... username=app port=5432`).
//
// A path that does not exist, and a deleted or destroyed version, are not
// found. A secret that exists but has no such field (or null in it) is an
// invalid value naming mount/path#field, so an optional entry does not
// silently take its default. Reads of one Load run with bounded
// concurrency and each (path, version) is read once however many entries
// name it (KV v2 has no batch read).
//
// The provider logs in with the client's token, or with an api.AuthMethod
// (AppRole, Kubernetes: see AppRoleAuth and KubernetesAuth). After a login a
// LifetimeWatcher renews the token; when renewal stops (max TTL reached,
// token revoked) the provider logs in again, and a read refused with 403
// because the token expired logs in once and retries.
//
// Errors are classified by what a retry can fix: 404 and a deleted version
// are not found; 401, 403 and failed logins are access denied; 400, a
// missing field and a 500 caused by stored data Vault cannot decode or
// encode (a number such as 1e400) are invalid values; 412, 429, other 5xx
// and connection failures are unavailable. A read that Vault rate-limits
// (429) is never failed while its context has time: it is read again after
// a jittered wait that honours Retry-After (see RateLimitBaseWait). Nothing Vault sends is copied
// into an error; its text only tells "sealed" and stored-data faults apart.
// A value over MaxValueSize (1 MiB) is an invalid value; a client built by
// FromEnv reads at most MaxResponseSize (4 MiB) of a response (wrap your own
// client's transport with LimitTransport for the same cap).
//
// A credential of Vault's database secrets engine (Ref.Database:
// database/creds/<role>, database/static-creds/<role>) is held, renewed,
// replaced and revoked by the provider (see database.go, lease.go and the
// "Database credentials" section of docs/vault.md).
//
// FromEnv is what generated code calls; New is for programs that build the
// Vault client themselves.
package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/vault/api"
	"golang.org/x/sync/errgroup"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/runtime"
)

// backend is the name this provider reports and errors carry.
const backend = "vault"

// Defaults of Options.
const (
	DefaultMount = "secret"
	// DefaultMaxConcurrency is how many reads GetMany runs at once. KV v2
	// has no batch read, so a load of 100 secrets is 100 requests. With 8
	// at once it waited for 13 round trips: 53 ms at a 2 ms round trip,
	// 2.6 times the bound of one round trip plus the server's CPU time on
	// two cores; with 64, 22 ms (1.4 times), no slower over loopback, and
	// 32 or 128 measured no better (BenchmarkLoad100, docs/fleet.md). A load
	// opens at most this many connections, and at most one per secret.
	DefaultMaxConcurrency = 64
	// DefaultField is the field that holds a secret's value.
	DefaultField = "value"
)

// Options configures New. A nil *Options means all defaults.
type Options struct {
	// Mount is the path of the KV v2 secrets engine. Default "secret".
	Mount string
	// Auth logs in to Vault (see AppRoleAuth and KubernetesAuth). The first
	// read logs in, a LifetimeWatcher renews the token, and the provider logs
	// in again when renewal stops. Nil: use the client's token as it is.
	Auth api.AuthMethod
	// MaxConcurrency bounds the reads GetMany runs at once. Default
	// DefaultMaxConcurrency (64). The client's transport should keep as
	// many idle connections per host (FromEnv sets MaxIdleConnsPerHost to
	// DefaultMaxConcurrency; cleanhttp's default is GOMAXPROCS+1), or most
	// concurrent reads dial a new connection at every load.
	MaxConcurrency int
	// Logger receives background events: token renewals (debug), renewal
	// stopping and logins (info), failed logins (warn). Messages never hold
	// a token or a value. Default slog.Default().
	Logger *slog.Logger
	// DatabaseDrain is how long a replaced dynamic database credential
	// stays valid for the connections that still hold it (at most a third
	// of its lease; it is revoked as soon as none holds it). Default
	// DefaultDatabaseDrain (30 s). See database.go and docs/vault.md.
	DatabaseDrain time.Duration
	// KeepLeases keeps the dynamic database leases on Close instead of
	// revoking them: for a process whose credentials another process goes
	// on using (they end with their lease, or with the token).
	KeepLeases bool
}

// Provider reads secrets from Vault KV v2. It implements runtime.Provider,
// runtime.BatchProvider and runtime.Locator, and is safe for concurrent use.
// Call Close to stop token renewal when the provider is no longer used.
type Provider struct {
	// conn holds the client's token and the auth method's credentials:
	// Format and LogValue print the backend name instead of any field.
	conn        *conn
	closeIdle   func() // closes the connections of a client FromEnv built; nil for New
	app, env    string
	mount       string
	concurrency int
	method      string // name of auth in messages
	logger      *slog.Logger
	session     session
	addrFrom    int         // where the client's address came from: addrGiven, addrFromEnv, addrDefault
	mountOK     atomic.Bool // the mount was seen to be a KV v2 mount
	vaultOK     atomic.Bool // the server was seen to be Vault (a read worked, or sys/health answered as Vault)
	db          dbState     // database secrets engine credentials (database.go)
}

// conn is what a Provider talks to Vault with.
type conn struct {
	client *api.Client    // holds the token
	kv     *api.KVv2      // reads through client
	auth   api.AuthMethod // nil: use the client's token as it is
}

var (
	_ runtime.Provider      = (*Provider)(nil)
	_ runtime.BatchProvider = (*Provider)(nil)
	_ runtime.Locator       = (*Provider)(nil)
)

// New returns a Provider that reads {app}/{environment}/{path} from the KV v2
// mount through client. Build client from api.DefaultConfig (it has retries
// and a timeout and reads the VAULT_* variables); a zero api.Config has
// neither. New does no I/O: with opts.Auth the first read logs in.
func New(client *api.Client, app, environment string, opts *Options) (*Provider, error) {
	if client == nil {
		return nil, errors.New("vault: New: nil client")
	}
	if err := checkSegment("app", app); err != nil {
		return nil, err
	}
	if err := backends.CheckEnvironment(environment); err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	if opts == nil {
		opts = &Options{}
	}
	p := &Provider{
		app:         app,
		env:         environment,
		mount:       strings.Trim(opts.Mount, "/"),
		concurrency: opts.MaxConcurrency,
		method:      methodName(opts.Auth),
		logger:      opts.Logger,
	}
	if p.mount == "" {
		p.mount = DefaultMount
	}
	if p.concurrency <= 0 {
		p.concurrency = DefaultMaxConcurrency
	}
	if p.logger == nil {
		p.logger = slog.Default()
	}
	p.conn = &conn{client: client, kv: client.KVv2(p.mount), auth: opts.Auth}
	p.session.init()
	p.db.init(opts)
	return p, nil
}

func checkSegment(what, s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/ \t\n") {
		return fmt.Errorf("vault: %s %q is not a single path segment", what, s)
	}
	return nil
}

// Name returns "vault".
func (p *Provider) Name() string { return backend }

// Where returns where ref lives: mount/app/environment/path#field, plus
// @version when pinned, e.g. "secret/dashtam/production/database/url#value".
// A json entry without a key, and a credential, name the whole secret.
func (p *Provider) Where(ref runtime.Ref) string {
	if ref.Database != "" {
		return strings.Trim(ref.Database, "/")
	}
	w := p.mount + "/" + p.path(ref)
	if f := field(ref); f != "" && !(ref.Type == "json" && ref.Key == "") && ref.Type != "credential" {
		w += "#" + f
	}
	if ref.Version != "" {
		w += "@" + ref.Version
	}
	return w
}

// path is the secret's path inside the mount.
func (p *Provider) path(ref runtime.Ref) string {
	return p.app + "/" + p.env + "/" + ref.SourcePath()
}

func field(ref runtime.Ref) string {
	if ref.Key != "" {
		return ref.Key
	}
	return DefaultField
}

// Get reads one secret. Errors say the kind, the cause and what to do
// (runtime.Fail; runtime.FailBackend, naming the address, for a failure of
// Vault as a whole), never a value or a token; runtime adds the path, the
// backend and mount/path#field (Where) when it reads through the provider.
func (p *Provider) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	if ref.Database != "" {
		return p.getDatabase(ctx, ref)
	}
	s, err := p.read(ctx, p.path(ref), ref.Version)
	if err != nil {
		if derr := p.diagnose(ctx, errors.Is(err, api.ErrSecretNotFound), suspect(err)); derr != nil {
			err = derr
		}
		return runtime.Value{}, p.fail(ref, err)
	}
	p.mountOK.Store(true)
	p.vaultOK.Store(true)
	return p.extract(ref, s)
}

// GetMany reads refs with at most MaxConcurrency reads at once, each
// distinct (source path, version) once, and returns one Result per ref in
// order.
func (p *Provider) GetMany(ctx context.Context, refs []runtime.Ref) []runtime.Result {
	if hasDatabase(refs) {
		return p.getManyDatabase(ctx, refs)
	}
	type key struct{ path, version string }
	type read struct {
		key
		secret *api.KVSecret
		err    error
	}
	reads := make(map[key]*read, len(refs))
	slot := make([]*read, len(refs)) // slot[i] is refs[i]'s read
	var order []*read
	for i, ref := range refs {
		k := key{p.path(ref), ref.Version}
		r := reads[k]
		if r == nil {
			r = &read{key: k}
			reads[k] = r
			order = append(order, r)
		}
		slot[i] = r
	}
	// Once one read finds Vault unreachable, sealed or refusing the login,
	// the reads not yet started fail with that error instead of each
	// spending the client's retries on it.
	var down atomic.Pointer[error]
	var g errgroup.Group
	g.SetLimit(max(p.concurrency, 1))
	for _, r := range order {
		g.Go(func() error {
			if e := down.Load(); e != nil {
				r.err = *e
				return nil
			}
			r.secret, r.err = p.read(ctx, r.path, r.version)
			if r.err != nil && wide(r.err) {
				down.CompareAndSwap(nil, &r.err)
			}
			return nil
		})
	}
	_ = g.Wait()
	// A read that failed without asking Vault (a version pin that is not a
	// KV version) is reported like the reads not started, whether it ran
	// before the failure was seen or not: with up to DefaultMaxConcurrency
	// reads starting at once, which one came first is chance.
	if e := down.Load(); e != nil {
		for _, r := range order {
			if errors.Is(r.err, errBadVersion) {
				r.err = *e
			}
		}
	}
	// Nothing found at all: the server may not be Vault, or the mount
	// itself may be missing or not KV v2. An answer that is not Vault's
	// (an error page, a body that is not Vault's JSON) may mean the
	// server is not Vault.
	allMissing, suspicious := len(order) > 0, false
	for _, r := range order {
		if r.err == nil {
			p.mountOK.Store(true)
			p.vaultOK.Store(true)
		}
		allMissing = allMissing && errors.Is(r.err, api.ErrSecretNotFound)
		suspicious = suspicious || r.err != nil && suspect(r.err)
	}
	if derr := p.diagnose(ctx, allMissing, suspicious); derr != nil {
		for _, r := range order {
			r.secret, r.err = nil, derr
		}
	}
	out := make([]runtime.Result, len(refs))
	for i, ref := range refs {
		r := slot[i]
		if r.err != nil {
			out[i].Err = p.fail(ref, r.err)
			continue
		}
		out[i].Value, out[i].Err = p.extract(ref, r.secret)
	}
	return out
}

// errBadVersion is the cause for a version pin that is not a KV version.
var errBadVersion = errors.New("a Vault KV version must be a positive integer")

// read reads path at version ("" for the latest). A read Vault
// rate-limits (429) is tried again after a jittered wait that honours
// Retry-After (see RateLimitBaseWait), until it succeeds, fails otherwise
// or ctx ends.
func (p *Provider) read(ctx context.Context, path, version string) (*api.KVSecret, error) {
	n := 0
	if version != "" {
		var err error
		if n, err = strconv.Atoi(version); err != nil || n <= 0 {
			return nil, errBadVersion
		}
	}
	slot := new(retryAfterSlot)
	ctx = context.WithValue(ctx, retryAfterKey{}, slot)
	var limited error // what to report if ctx ends after a 429
	for attempt := 0; ; attempt++ {
		s, err := p.readOnce(ctx, path, n)
		if !isRateLimited(err) {
			if err != nil && limited != nil && ctx.Err() != nil {
				return nil, limited // the deadline came during a try after a 429
			}
			return s, err
		}
		ra, has := slot.take()
		limited = &rateLimited{retryAfter: ra, has: has}
		var lf *loginError
		if errors.As(err, &lf) {
			limited = err // says it was the login
		}
		if !waitRateLimit(ctx, rateLimitWait(attempt, ra, has), ra) {
			return nil, limited
		}
	}
}

// readOnce is one try of read: version n (0 for the latest), logging in
// first when needed and once more when Vault refuses an expired token.
func (p *Provider) readOnce(ctx context.Context, path string, n int) (*api.KVSecret, error) {
	gen, err := p.ensureLogin(ctx)
	if err != nil {
		return nil, err
	}
	get := func() (*api.KVSecret, error) {
		if n > 0 {
			return p.conn.kv.GetVersion(ctx, path, n)
		}
		return p.conn.kv.Get(ctx, path)
	}
	s, err := get()
	if p.conn.auth != nil && isStatus(err, 403) && p.tokenExpired(ctx, gen) {
		if _, lerr := p.login(ctx, gen); lerr != nil {
			return nil, lerr
		}
		s, err = get()
	}
	return s, err
}

// extract takes ref's value out of a read secret.
func (p *Provider) extract(ref runtime.Ref, s *api.KVSecret) (runtime.Value, error) {
	version := ""
	if s.VersionMetadata != nil {
		version = strconv.Itoa(s.VersionMetadata.Version)
	}
	if s.Data == nil {
		which := "the latest version"
		if ref.Version != "" {
			which = "version " + ref.Version
		}
		return runtime.Value{}, p.failOne(ref, runtime.ErrNotFound, errors.New(which+" is deleted or destroyed"))
	}
	f := field(ref)
	v, ok := s.Data[f]
	if ref.Type == "credential" {
		ok = false // a credential is the whole data map: {"username": ..., "password": ..., ...}
	}
	if !ok || v == nil {
		if ref.Type == "credential" || ref.Type == "json" && ref.Key == "" {
			text, err := jsonText(s.Data)
			if err == nil && tooLarge(text) {
				err = errValueTooLarge
			}
			if err != nil {
				return runtime.Value{}, p.failOne(ref, runtime.ErrInvalidValue, err)
			}
			return runtime.Value{Text: text, Version: version}, nil
		}
		return runtime.Value{}, p.missingField(ref, ok)
	}
	text, ok := v.(string)
	if !ok {
		var err error
		if text, err = jsonText(v); err != nil {
			return runtime.Value{}, p.failOne(ref, runtime.ErrInvalidValue, err)
		}
	}
	if tooLarge(text) {
		return runtime.Value{}, p.failOne(ref, runtime.ErrInvalidValue, errValueTooLarge)
	}
	return runtime.Value{Text: text, Version: version}, nil
}

// missingField is the error for a secret that exists but whose field is
// missing (present false) or null. The secret is there, so this is an
// invalid value rather than not found: an optional entry must not silently
// take its default because a field is misspelled or was never written.
func (p *Provider) missingField(ref runtime.Ref, present bool) error {
	f := field(ref)
	cause := fmt.Errorf("the secret exists but has no field %q", f)
	if present {
		cause = fmt.Errorf("the secret's field %q is null", f)
	}
	// kv patch adds the field and keeps the secret's other fields; kv put
	// would replace them all.
	return runtime.Fail(runtime.ErrInvalidValue, cause, fmt.Sprintf("write the field %q (vault kv patch -mount=%s %s %s=...)", f, p.mount, p.path(ref), f))
}

// jsonText writes a field value or data map that is not a string as JSON.
// Numbers keep the exact text Vault sent (the client decodes json.Number).
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", errors.New("the field cannot be written as JSON text")
	}
	return string(b), nil
}

// fail classifies a read error for ref: a failure of Vault as a whole
// (unreachable, sealed, a failed login, a missing mount, an address that
// is not Vault) is one runtime.FailBackend naming the address tried, so
// that a Load states it once; any other is about ref alone.
func (p *Provider) fail(ref runtime.Ref, err error) error {
	if errors.Is(err, errBadVersion) {
		return p.failOne(ref, runtime.ErrInvalidValue, fmt.Errorf("version %q: %w", ref.Version, errBadVersion))
	}
	var (
		me *mountError
		nv *notVaultError
	)
	switch {
	case errors.As(err, &me):
		return p.failWide(runtime.ErrUnavailable, me, p.mountHint())
	case errors.As(err, &nv):
		return p.failWide(runtime.ErrUnavailable, nv, "check VAULT_ADDR: it must be the address of Vault's API (scheme, host and port, such as https://vault.example.com:8200), not of a web page, a UI route or another service")
	}
	kind, cause, _ := classify(err)
	if wide(err) {
		return p.failWide(kind, cause, p.hint(ref, kind, cause))
	}
	return p.failOne(ref, kind, cause)
}

// failOne is the failure of a read of ref alone: kind, cause and the hint
// for them.
func (p *Provider) failOne(ref runtime.Ref, kind runtime.Kind, cause error) error {
	return runtime.Fail(kind, cause, p.hint(ref, kind, cause))
}

// failWide is the failure of Vault as a whole: the error
// runtime.FailBackend builds, its cause in the *runtime.BackendError
// naming the address tried that p.wideError (reach.go) makes.
func (p *Provider) failWide(kind runtime.Kind, cause error, hint string) error {
	return runtime.Fail(kind, p.wideError(cause), hint)
}

// hint says what to do about a failed read of ref of kind with cause.
func (p *Provider) hint(ref runtime.Ref, kind runtime.Kind, cause error) string {
	var (
		lf *loginError
		rl *rateLimited
	)
	switch {
	case errors.As(cause, &rl):
		return "Vault's rate-limit quota refused the read until the context ended: give the load more time, or raise the quota (vault list sys/quotas/rate-limit)"
	case errors.As(cause, &lf) && kind == runtime.ErrAccessDenied:
		return "check the " + lf.method + " login settings (SECRETS_VAULT_AUTH and its variables) and the role in Vault"
	case kind == runtime.ErrNotFound:
		return fmt.Sprintf("write it with: vault kv put -mount=%s %s %s=...", p.mount, p.path(ref), field(ref))
	case kind == runtime.ErrAccessDenied:
		return fmt.Sprintf("check the token and that its policy allows read on %s/data/%s (secretsgen policy vault prints one)", p.mount, p.path(ref))
	case kind == runtime.ErrUnavailable:
		return "check VAULT_ADDR and that Vault is running and unsealed"
	}
	return ""
}

// Close revokes the dynamic database leases it holds (unless
// Options.KeepLeases; a failed revocation is its error) and closes
// Changed, then stops token renewal and re-login, waits for those
// goroutines to end, and closes the idle connections of a client FromEnv
// built (a client passed to New is the caller's to close). Reads of KV
// secrets still work with the current token until it expires. Close is
// safe to call more than once.
func (p *Provider) Close() error {
	err := p.db.close()
	p.session.close()
	if p.closeIdle != nil {
		p.closeIdle()
	}
	return err
}

// loginTimeout bounds a background login.
const loginTimeout = 30 * time.Second
