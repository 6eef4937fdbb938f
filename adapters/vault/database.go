package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/runtime"
)

// Credentials of Vault's database secrets engine (Ref.Database).
//
// A dynamic credential ("<mount>/creds/<role>") is leased: reading it
// creates a database user, so the provider reads one per path, returns it
// until it is replaced, and a lease manager (lease.go) renews it, replaces
// it before its end with an overlap for draining, and revokes replaced and
// (on Close, unless KeepLeases) held leases. Its Version is a generation
// number ("g1", "g2", ...), never the lease id.
//
// A static role's credential ("<mount>/static-creds/<role>") is read from
// Vault at every Get (reading changes nothing); its Version is
// last_vault_rotation, and its Lease expires at the next rotation (ttl).
// The provider signals Changed shortly after that, so a Live reads the new
// password at once: Vault's old password stops working at the rotation.
//
// The provider implements runtime.Notifier (Changed: a new dynamic
// credential is current, or a static role rotated), runtime.Pender (a
// forced refresh of a Live, after the database rejected the login, reads
// the pending version of a dynamic credential: a new lease) and
// runtime.Refresher (Cache.Refresh of a dynamic credential's path reads a
// new lease). Forced replacements of one path happen at most once per 5 s.

// replaceVersion is the Version of the Ref that Pending returns for a
// dynamic credential: Get of it replaces the current lease (cool-down
// permitting) and returns the new credential.
const replaceVersion = "replace"

// staticDelay is how long after a static role's rotation time the
// provider signals Changed (and, when Vault has not rotated yet, again
// after each read that finds ttl 0).
const staticDelay = time.Second

var (
	_ runtime.Notifier  = (*Provider)(nil)
	_ runtime.Pender    = (*Provider)(nil)
	_ runtime.Refresher = (*Provider)(nil)
)

// dbState is a Provider's database-engine state.
type dbState struct {
	drain time.Duration
	keep  bool

	mu      sync.Mutex
	closed  bool
	dynamic map[string]*dynamic     // by database path
	static  map[string]*staticState // by database path
	paths   map[string]string       // logical path -> dynamic database path
	changed chan struct{}
}

type staticState struct {
	lease *runtime.Lease
	timer *time.Timer
}

func (s *dbState) init(opts *Options) {
	s.drain, s.keep = opts.DatabaseDrain, opts.KeepLeases
	s.dynamic = map[string]*dynamic{}
	s.static = map[string]*staticState{}
	s.paths = map[string]string{}
	s.changed = make(chan struct{}, 1)
}

// Changed receives after a new dynamic database credential became current
// or a static role's rotation time passed. It is closed by Close.
func (p *Provider) Changed() <-chan struct{} { return p.db.changed }

func (s *dbState) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// dbKind says which kind of credential a database path names.
type dbKind int

const (
	dbDynamic dbKind = iota + 1
	dbStatic
)

// parseDatabase checks a Ref.Database path: <mount>/creds/<role> or
// <mount>/static-creds/<role>.
func parseDatabase(path string) (dbKind, error) {
	path = strings.Trim(path, "/")
	for _, c := range []struct {
		sep  string
		kind dbKind
	}{{"/static-creds/", dbStatic}, {"/creds/", dbDynamic}} {
		i := strings.LastIndex(path, c.sep)
		if i <= 0 {
			continue
		}
		role := path[i+len(c.sep):]
		if role == "" || strings.Contains(role, "/") {
			break
		}
		return c.kind, nil
	}
	return 0, fmt.Errorf("database path %q is neither <mount>/creds/<role> nor <mount>/static-creds/<role>", path)
}

func hasDatabase(refs []runtime.Ref) bool {
	for _, r := range refs {
		if r.Database != "" {
			return true
		}
	}
	return false
}

// getDatabase reads the credential ref.Database names.
func (p *Provider) getDatabase(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	path := strings.Trim(ref.Database, "/")
	kind, err := parseDatabase(path)
	if err != nil {
		return runtime.Value{}, runtime.Fail(runtime.ErrInvalidValue, err, "fix the manifest's database path")
	}
	if kind == dbStatic {
		v, err := p.readStatic(ctx, path)
		if err != nil {
			return runtime.Value{}, p.failDB(ref, path, err)
		}
		return v, nil
	}
	d, err := p.db.dynamicFor(p, ref.Path, path)
	if err != nil {
		return runtime.Value{}, p.failDB(ref, path, err)
	}
	if ref.Version == replaceVersion {
		_ = d.force(ctx) // a failure is on the Lease; get serves the current one until its end
	}
	v, err := d.get(ctx)
	if err != nil {
		return runtime.Value{}, p.failDB(ref, path, err)
	}
	p.vaultOK.Store(true)
	return v, nil
}

// getManyDatabase is GetMany for a batch with database refs: those are
// read one by one, the others with GetMany.
func (p *Provider) getManyDatabase(ctx context.Context, refs []runtime.Ref) []runtime.Result {
	out := make([]runtime.Result, len(refs))
	var kv []runtime.Ref
	var at []int
	for i, ref := range refs {
		if ref.Database == "" {
			kv, at = append(kv, ref), append(at, i)
			continue
		}
		out[i].Value, out[i].Err = p.getDatabase(ctx, ref)
	}
	if len(kv) > 0 {
		for j, r := range p.GetMany(ctx, kv) {
			out[at[j]] = r
		}
	}
	return out
}

func (s *dbState) dynamicFor(p *Provider, logical, path string) (*dynamic, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	s.paths[logical] = path
	d := s.dynamic[path]
	if d == nil {
		d = newDynamic(vaultDB{p}, path, leaseConfig{
			drain:    s.drain,
			keep:     s.keep,
			rand:     rand.Float64,
			notify:   s.notify,
			describe: describe,
			logger:   p.logger,
		})
		s.dynamic[path] = d
	}
	return d, nil
}

// relogin tells the lease managers that a login (generation gen)
// succeeded: leases read with an older token end with that token.
func (s *dbState) relogin(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.dynamic {
		d.relogin(gen)
	}
}

// Pending returns, for a dynamic database credential, the Ref whose Get
// replaces the current lease with a new one: a Live asks for it on a
// forced refresh (RefreshNow after the database rejected the login, which
// means an operator revoked the lease). Every other ref has none.
func (p *Provider) Pending(ref runtime.Ref) (runtime.Ref, bool) {
	if ref.Database == "" || ref.Version != "" {
		return runtime.Ref{}, false
	}
	if k, err := parseDatabase(ref.Database); err != nil || k != dbDynamic {
		return runtime.Ref{}, false
	}
	ref.Version = replaceVersion
	return ref, true
}

// Refresh replaces the leases of the dynamic database credentials of
// paths (all when none are given), at most once per path per 5 s: call it
// when the database rejected a credential. KV secrets and static roles
// hold no state to drop (each read asks Vault).
func (p *Provider) Refresh(ctx context.Context, paths ...string) error {
	p.db.mu.Lock()
	var ds []*dynamic
	for logical, path := range p.db.paths {
		if len(paths) == 0 || containsString(paths, logical) {
			if d := p.db.dynamic[path]; d != nil && !containsDynamic(ds, d) {
				ds = append(ds, d)
			}
		}
	}
	p.db.mu.Unlock()
	var errs []error
	for _, d := range ds {
		if err := d.force(ctx); err != nil {
			errs = append(errs, p.failDB(runtime.Ref{Database: d.path}, d.path, err))
		}
	}
	return errors.Join(errs...)
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func containsDynamic(ds []*dynamic, d *dynamic) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

// close stops the lease managers and static timers, revokes held leases
// (unless KeepLeases) and closes Changed.
func (s *dbState) close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	ds := make([]*dynamic, 0, len(s.dynamic))
	for _, d := range s.dynamic {
		ds = append(ds, d)
	}
	for _, st := range s.static {
		if st.timer != nil {
			st.timer.Stop()
		}
	}
	close(s.changed)
	s.mu.Unlock()
	var errs []error
	for _, d := range ds {
		errs = append(errs, d.close())
	}
	return errors.Join(errs...)
}

// readStatic reads a static role's credential.
func (p *Provider) readStatic(ctx context.Context, path string) (runtime.Value, error) {
	var s *api.Secret
	_, err := p.dbCall(ctx, func() (err error) {
		s, err = p.conn.client.Logical().ReadWithContext(ctx, path)
		return err
	})
	if err != nil {
		return runtime.Value{}, err
	}
	if s == nil {
		return runtime.Value{}, api.ErrSecretNotFound
	}
	text, err := credentialText(s.Data)
	if err != nil {
		return runtime.Value{}, err
	}
	version, _ := s.Data["last_vault_rotation"].(string)
	ttl, err := seconds(s.Data["ttl"])
	if err != nil || version == "" {
		return runtime.Value{}, errStaticAnswer
	}
	p.vaultOK.Store(true)
	now := time.Now()
	st := runtime.LeaseStatus{Expires: now.Add(ttl), NextAction: "read again", NextAt: now.Add(ttl + staticDelay), Rotation: true}
	p.db.mu.Lock()
	defer p.db.mu.Unlock()
	ss := p.db.static[path]
	if ss == nil {
		ss = &staticState{lease: runtime.NewLease(st)}
		p.db.static[path] = ss
	}
	ss.lease.Set(st)
	if !p.db.closed {
		if ss.timer != nil {
			ss.timer.Stop()
		}
		ss.timer = time.AfterFunc(ttl+staticDelay, p.db.notify)
	}
	return runtime.Value{Text: text, Version: version, Lease: ss.lease}, nil
}

var (
	errNoCredential = errors.New("the answer holds no username and password")
	errStaticAnswer = errors.New("the static role's answer has no last_vault_rotation or ttl")
)

// credentialText is the wire form of a credential: {"username", "password"}.
func credentialText(data map[string]any) (string, error) {
	u, _ := data["username"].(string)
	pw, _ := data["password"].(string)
	if u == "" || pw == "" {
		return "", errNoCredential
	}
	b, err := json.Marshal(map[string]string{"username": u, "password": pw})
	if err != nil {
		return "", errNoCredential
	}
	return string(b), nil
}

// seconds reads a number of seconds the client decoded as json.Number.
func seconds(v any) (time.Duration, error) {
	var f float64
	var err error
	switch n := v.(type) {
	case json.Number:
		f, err = n.Float64()
	case float64:
		f = n
	case string:
		f, err = strconv.ParseFloat(n, 64)
	default:
		err = errStaticAnswer
	}
	if err != nil || f < 0 {
		return 0, errStaticAnswer
	}
	return time.Duration(f * float64(time.Second)), nil
}

// dbCall runs fn logged in, logging in once more when Vault refuses an
// expired token, and returns the login generation fn ran with.
func (p *Provider) dbCall(ctx context.Context, fn func() error) (uint64, error) {
	gen, err := p.ensureLogin(ctx)
	if err != nil {
		return gen, err
	}
	err = fn()
	if p.conn.auth != nil && isStatus(err, 403) && p.tokenExpired(ctx, gen) {
		if gen, err = p.login(ctx, gen); err != nil {
			return gen, err
		}
		err = fn()
	}
	return gen, err
}

// vaultDB is the lease manager's dbAPI over a Provider's client.
type vaultDB struct{ p *Provider }

func (v vaultDB) readCreds(ctx context.Context, path string) (dbSecret, error) {
	var s *api.Secret
	gen, err := v.p.dbCall(ctx, func() (err error) {
		s, err = v.p.conn.client.Logical().ReadWithContext(ctx, path)
		return err
	})
	if err != nil {
		return dbSecret{}, err
	}
	if s == nil {
		return dbSecret{}, api.ErrSecretNotFound
	}
	text, err := credentialText(s.Data)
	if err != nil {
		return dbSecret{}, err
	}
	if s.LeaseID == "" || s.LeaseDuration <= 0 {
		return dbSecret{}, errNoLease
	}
	return dbSecret{text: text, leaseID: s.LeaseID, duration: time.Duration(s.LeaseDuration) * time.Second, renewable: s.Renewable, tokenGen: gen}, nil
}

// errNoLease is the cause when a dynamic credential comes without a lease.
var errNoLease = errors.New("the dynamic credential came without a lease")

func (v vaultDB) renew(ctx context.Context, id string, increment time.Duration) (time.Duration, error) {
	var s *api.Secret
	p, err := leasePath("sys/leases/renew/", id)
	if err != nil {
		return 0, err
	}
	_, err = v.p.dbCall(ctx, func() (err error) {
		s, err = v.p.conn.client.Logical().WriteWithContext(ctx, p,
			map[string]any{"increment": int(increment / time.Second)})
		return err
	})
	if err != nil {
		return 0, err
	}
	if s == nil {
		return 0, errNoLease
	}
	return time.Duration(s.LeaseDuration) * time.Second, nil
}

// revoke uses the path form of sys/leases/revoke, as renew does: the
// lease id (<mount>/creds/<role>/<random>) is part of the path, so a
// policy can grant update on sys/leases/revoke/<mount>/creds/<role>/*,
// this role's leases only (secretsgen policy vault prints that), where the
// body form would need update on sys/leases/revoke, every lease.
func (v vaultDB) revoke(ctx context.Context, id string) error {
	p, err := leasePath("sys/leases/revoke/", id)
	if err != nil {
		return err
	}
	_, err = v.p.dbCall(ctx, func() error {
		_, err := v.p.conn.client.Logical().WriteWithContext(ctx, p, nil)
		return err
	})
	return err
}

// leasePath is prefix followed by the lease id, as the client sends it:
// the client puts the path in url.URL.Path (after path.Join, which
// cleans it), and the URL escapes each character that needs it when the
// request is written, so the id goes in unescaped (escaping it here would
// escape it twice). A segment that cleaning would change ("", ".", "..")
// would send the request to another path: such an id is refused. Vault's
// lease ids (<mount>/creds/<role>/<random>) never have one.
func leasePath(prefix, id string) (string, error) {
	for _, seg := range strings.Split(id, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", errBadLeaseID
		}
	}
	return prefix + id, nil
}

// errBadLeaseID is the cause when a lease id cannot be sent as a path.
var errBadLeaseID = errors.New("the lease id has an empty, \".\" or \"..\" segment, which cannot be sent as a path of sys/leases")

// describe is the value-free form of a Vault error for Lease.Err and logs.
func describe(err error) error {
	if errors.Is(err, errNoCredential) || errors.Is(err, errNoLease) || errors.Is(err, errClosed) || errors.Is(err, errBadLeaseID) {
		return err
	}
	kind, cause, _ := classify(err)
	if cause == nil {
		return kind
	}
	return fmt.Errorf("%w: %w", kind, cause)
}

// failDB classifies a failed read of the database credential at path.
func (p *Provider) failDB(ref runtime.Ref, path string, err error) error {
	switch {
	case errors.Is(err, errClosed):
		return runtime.Fail(runtime.ErrUnavailable, errClosed, "the provider was closed; read through a provider that is open")
	case errors.Is(err, errNoCredential), errors.Is(err, errNoLease), errors.Is(err, errStaticAnswer):
		return runtime.Fail(runtime.ErrInvalidValue, err, "check that "+path+" is a path of Vault's database secrets engine (vault read "+path+")")
	}
	kind, cause, _ := classify(err)
	if wide(err) {
		return p.failWide(kind, cause, "check VAULT_ADDR and that Vault is running and unsealed")
	}
	mount, role := splitDatabase(path)
	var hint string
	switch kind {
	case runtime.ErrNotFound, runtime.ErrInvalidValue:
		hint = fmt.Sprintf("check that the role exists (vault list %s/roles, vault list %s/static-roles) and that %s is a database secrets engine", mount, mount, mount)
		_ = role
	case runtime.ErrAccessDenied:
		hint = "the token's policy must allow read on " + path + " (secretsgen policy vault prints one)"
		if strings.Contains(path, "/creds/") {
			hint = "the token's policy must allow read on " + path + ", and update on sys/leases/renew/" + path + "/* and sys/leases/revoke/" + path + "/* (this role's leases; secretsgen policy vault prints one)"
		}
	default:
		hint = "check VAULT_ADDR and that Vault is running and unsealed; a leased credential is served until its lease ends"
	}
	return runtime.Fail(kind, cause, hint)
}

func splitDatabase(path string) (mount, role string) {
	for _, sep := range []string{"/static-creds/", "/creds/"} {
		if i := strings.LastIndex(path, sep); i > 0 {
			return path[:i], path[i+len(sep):]
		}
	}
	return path, ""
}
