package rotation_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
	"github.com/dashtam/secretsgen/internal/generator/policy"
	"github.com/dashtam/secretsgen/internal/testing/rotation/creds"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/pgxcred"
)

// The proofs of the Vault database credentials (SPEC section 8) against a
// real Vault v1.14.1 and PostgreSQL 15: a service (a Live of package creds'
// settings, a runtime/pgxcred pool following one credential, 8 workers
// sending a SELECT and an UPDATE in a loop) keeps serving while its
// credential is renewed, replaced at max_ttl, rotated by Vault and by an
// operator, under the policy secretsgen prints. Every query's failure
// counts, whatever its cause (a revocation under a running session shows
// as permission denied or invalid role OID). Each test logs its numbers in
// one line ("proof a: queries=..."); make creds runs them for 2 minutes.

var credsLong = flag.Bool("creds.long", false, "run the Vault credential proofs for 2 minutes each instead of 40 s (make creds)")

// credsDuration is how long a proof's service runs: long enough in make
// test that a dynamic credential reaches its max_ttl (30 s) and is replaced.
func credsDuration() time.Duration {
	if *credsLong {
		return 2 * time.Minute
	}
	return 40 * time.Second
}

const (
	// credsEnv is the {environment} of the proofs' backend names.
	credsEnv = "test"
	// credsWorkers is the number of goroutines sending queries.
	credsWorkers = 8
	// credsGroup is the PostgreSQL role whose grants every login of the
	// proofs gets by membership: the dynamic roles are created IN ROLE it,
	// the static one is a member. Vault's DROP ROLE ends the membership, so
	// a session left on a dropped role loses the grants.
	credsGroup = "proofs_app"
	// credsStaticUser is the PostgreSQL role the static role rotates.
	credsStaticUser = "proofs_static"
	// credsMargin is the pool's margin (pgxcred.Options.Margin). The
	// default, 5 s, is half of dyn's 10 s lease: a credential would be
	// inside it before its renewal at two thirds, so the pool would refuse
	// it and force a replacement every 5 s (seen: 7 replacements in 40 s,
	// no renewal). The margin must be shorter than a third of the lease
	// (what is left when a renewal capped by max_ttl makes the manager
	// replace it); a worker holds a connection for one statement.
	credsMargin = 2 * time.Second
)

// vdb is a PostgreSQL server and a Vault dev server whose database engine
// (mounted at database/) manages it with the roles of the proofs manifest:
// dyn (dynamic, default_ttl 10 s, max_ttl 30 s), stat (static, rotating
// proofs_static every 5 s), and other (dynamic, for the policy's denial).
type vdb struct {
	pg    *testenv.Postgres
	v     *vaultServer
	admin string // the password of proofs_vault, the superuser Vault connects as
}

func randomHexToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func startVDB(t *testing.T) *vdb {
	t.Helper()
	pg := testenv.StartPostgres(t)
	v := startVault(t)
	d := &vdb{pg: pg, v: v, admin: randomHexToken(t)}
	static := randomHexToken(t)
	sql := fmt.Sprintf(`CREATE ROLE proofs_vault SUPERUSER LOGIN PASSWORD '%s';
CREATE ROLE %s NOLOGIN;
CREATE TABLE proofs_items (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO proofs_items SELECT g, 'item ' || g FROM generate_series(0, 99) g;
CREATE TABLE proofs_counter (worker int PRIMARY KEY, n bigint NOT NULL);
INSERT INTO proofs_counter SELECT g, 0 FROM generate_series(0, %d) g;
GRANT SELECT ON proofs_items TO %[2]s;
GRANT SELECT, UPDATE ON proofs_counter TO %[2]s;
CREATE ROLE %[4]s LOGIN PASSWORD '%[5]s' IN ROLE %[2]s;
`, d.admin, credsGroup, credsWorkers-1, credsStaticUser, static)
	if err := pg.Exec(sql, d.admin, static); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := v.root.Sys().MountWithContext(ctx, "database", &api.MountInput{Type: "database"}); err != nil {
		t.Fatal(err)
	}
	create := `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ` + credsGroup + `;`
	for _, w := range []struct {
		path string
		data map[string]any
	}{
		{"database/config/pg", map[string]any{
			"plugin_name":    "postgresql-database-plugin",
			"connection_url": "postgresql://{{username}}:{{password}}@" + pg.Addr() + "/postgres?sslmode=disable",
			"username":       "proofs_vault", "password": d.admin,
			"allowed_roles": "dyn,stat,other", "verify_connection": true,
		}},
		{"database/roles/dyn", map[string]any{"db_name": "pg", "creation_statements": create, "default_ttl": "10s", "max_ttl": "30s"}},
		{"database/roles/other", map[string]any{"db_name": "pg", "creation_statements": create, "default_ttl": "1m", "max_ttl": "2m"}},
		{"database/static-roles/stat", map[string]any{"db_name": "pg", "username": credsStaticUser, "rotation_period": "5s"}},
	} {
		if _, err := v.root.Logical().WriteWithContext(ctx, w.path, w.data); err != nil {
			t.Fatalf("vault write %s: %v", w.path, strings.ReplaceAll(err.Error(), d.admin, "[REDACTED]"))
		}
	}
	return d
}

// adminConn is a connection as proofs_vault (the superuser), for the
// sampler and the checks.
func (d *vdb) adminConn(t *testing.T) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), d.pg.URL("proofs_vault", d.admin))
	if err != nil {
		t.Fatalf("connect as proofs_vault: %v", strings.ReplaceAll(err.Error(), d.admin, "[REDACTED]"))
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// live returns a Live of package creds' settings over a Vault provider
// logged in with auth (nil: the root token); the Live owns the provider.
func (d *vdb) live(t *testing.T, auth api.AuthMethod) *creds.Live {
	t.Helper()
	token := d.v.RootToken()
	if auth != nil {
		token = ""
	}
	c, _, err := vaultClient(d.v.Addr(), token)
	if err != nil {
		t.Fatal(err)
	}
	p, err := vault.New(c, creds.App, credsEnv, &vault.Options{Auth: auth, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// The Live's goroutines stop when the context of Watch is done: it is
	// the test's, which Close ends first.
	l, err := creds.Watch(context.Background(), runtime.NewCache(p, nil), &runtime.LiveOptions{PollInterval: time.Second, CloseProvider: true})
	if err != nil {
		p.Close()
		t.Fatal(err)
	}
	return l
}

// credService is the service under test: a pgxcred pool following one
// credential of a Live, and credsWorkers goroutines sending requests.
type credService struct {
	pool *pgxcred.Pool

	queries, failed atomic.Int64

	mu        sync.Mutex
	errs      []string             // the first failures (value-free: pgx errors hold no password)
	firstConn map[string]time.Time // username -> first connection opened with it
}

func newCredService(t *testing.T, pg *testenv.Postgres, live *creds.Live, pick func(*creds.Settings) runtime.Credential, path string) *credService {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d dbname=postgres sslmode=disable pool_max_conns=%d", pg.Port(), credsWorkers))
	if err != nil {
		t.Fatal(err)
	}
	// Connections are replaced all the time, so that every rotation meets
	// new logins (some before the Live has the new password: rejected,
	// then retried after RefreshNow).
	cfg.MaxConnLifetime = 250 * time.Millisecond
	cfg.MaxConnLifetimeJitter = 0
	s := &credService{firstConn: map[string]time.Time{}}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.firstConn[c.Config().User]; !ok {
			s.firstConn[c.Config().User] = time.Now()
		}
		return nil
	}
	s.pool, err = pgxcred.New(context.Background(), cfg, pgxcred.Source{
		Current: func() runtime.Credential { return pick(live.Settings()) },
		Refresh: func(ctx context.Context) error { return live.RefreshNow(ctx, path) },
	}, &pgxcred.Options{Margin: credsMargin})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run sends requests from credsWorkers goroutines until ctx is done: a
// SELECT of a row and an UPDATE of the worker's counter, each counted.
// It returns when every worker has stopped.
func (s *credService) run(ctx context.Context) {
	var wg sync.WaitGroup
	for w := range credsWorkers {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				var name string
				s.count(ctx, s.pool.QueryRow(ctx, "SELECT name FROM proofs_items WHERE id = $1", (w*31+i)%100).Scan(&name))
				_, err := s.pool.Exec(ctx, "UPDATE proofs_counter SET n = n + 1 WHERE worker = $1", w)
				s.count(ctx, err)
				time.Sleep(2 * time.Millisecond) // share the machine
			}
		})
	}
	wg.Wait()
}

func (s *credService) count(ctx context.Context, err error) {
	if err != nil && ctx.Err() != nil {
		return // cut by the end of the run
	}
	s.queries.Add(1)
	if err == nil {
		return
	}
	s.failed.Add(1)
	s.mu.Lock()
	if len(s.errs) < 5 {
		s.errs = append(s.errs, time.Now().Format("15:04:05.000")+" "+err.Error())
	}
	s.mu.Unlock()
}

func (s *credService) firstConnWith(user string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.firstConn[user]
	return at, ok
}

// countVaultRoles counts the PostgreSQL roles Vault's dynamic roles
// created (their names start with v-).
func countVaultRoles(ctx context.Context, c *pgx.Conn) (int, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v-%'").Scan(&n)
	return n, err
}

func roleExists(ctx context.Context, c *pgx.Conn, name string) (bool, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE rolname = $1", name).Scan(&n)
	return n > 0, err
}

// dynamicRun is what runDynamic saw.
type dynamicRun struct {
	queries, failed int64
	errs            []string
	rolesMax        int
	users           []string        // the usernames the Live swapped in, in order
	firstNewConn    []time.Duration // per replacement: from the swap to the first connection with the new username
	renewed         bool            // a lease's LastRenewal was seen set
	leases          []*runtime.Lease
}

// runDynamic runs the service on the dynamic credential for d, sampling
// the Vault-created roles every 100 ms, then closes the pool and the Live
// (which revokes the leases) and waits until the last role is gone.
// beforeClose, when not nil, runs after the service stopped, before Close.
func runDynamic(t *testing.T, db *vdb, live *creds.Live, d time.Duration, beforeClose func()) dynamicRun {
	t.Helper()
	var r dynamicRun
	admin := db.adminConn(t)
	first := live.Settings().Database.Dynamic
	if first.Username == "" || first.Lease() == nil {
		t.Fatalf("the dynamic credential did not load: username %q, lease %v", first.Username, first.Lease())
	}
	var mu sync.Mutex
	swaps := map[string]time.Time{first.Username: time.Now()}
	r.users = []string{first.Username}
	r.leases = []*runtime.Lease{first.Lease()}
	unregister := live.OnChange(func(_, s *creds.Settings, _ []string) {
		c := s.Database.Dynamic
		mu.Lock()
		defer mu.Unlock()
		if _, ok := swaps[c.Username]; !ok && c.Username != "" {
			swaps[c.Username] = time.Now()
			r.users = append(r.users, c.Username)
			r.leases = append(r.leases, c.Lease())
		}
	})
	defer unregister()

	svc := newCredService(t, db.pg, live, func(s *creds.Settings) runtime.Credential { return s.Database.Dynamic }, creds.PathDatabaseDynamic)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	sampled := make(chan error, 1)
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			n, err := countVaultRoles(context.Background(), admin)
			if err != nil {
				sampled <- err
				return
			}
			r.rolesMax = max(r.rolesMax, n)
			if st := live.Settings().Database.Dynamic.Lease(); st != nil && !st.Status().LastRenewal.IsZero() {
				r.renewed = true
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	svc.run(ctx)
	if err := <-sampled; err != nil {
		t.Fatalf("sampling pg_roles: %v", err)
	}
	r.queries, r.failed, r.errs = svc.queries.Load(), svc.failed.Load(), svc.errs
	svc.pool.Close()
	mu.Lock()
	users := append([]string(nil), r.users...)
	for _, u := range users[1:] {
		if at, ok := svc.firstConnWith(u); ok {
			r.firstNewConn = append(r.firstNewConn, at.Sub(swaps[u]))
		}
	}
	mu.Unlock()
	if beforeClose != nil {
		beforeClose()
	}
	if err := live.Close(); err != nil {
		t.Errorf("Live.Close: %v", err)
	}
	last := users[len(users)-1]
	if !waitFor(eventually, func() bool {
		ok, err := roleExists(context.Background(), admin, last)
		return err == nil && !ok
	}) {
		t.Errorf("a minute after Close, the service's last role %s is still in pg_roles", last)
	}
	if !waitFor(eventually, func() bool {
		n, err := countVaultRoles(context.Background(), admin)
		return err == nil && n == 0
	}) {
		n, _ := countVaultRoles(context.Background(), admin)
		t.Errorf("a minute after Close, %d Vault-created roles are left", n)
	}
	return r
}

func (r dynamicRun) check(t *testing.T) {
	t.Helper()
	if r.failed != 0 {
		t.Errorf("%d of %d queries failed; the first: %s", r.failed, r.queries, strings.Join(r.errs, "; "))
	}
	if r.queries < 1000 {
		t.Errorf("only %d queries ran", r.queries)
	}
	if r.rolesMax > 3 {
		t.Errorf("%d Vault-created roles were alive at once; want at most 3", r.rolesMax)
	}
	if len(r.users) < 2 {
		t.Errorf("the credential was never replaced (max_ttl 30 s): users %d", len(r.users))
	}
	if len(r.firstNewConn) != len(r.users)-1 {
		t.Errorf("%d of %d replacement credentials were used by a connection", len(r.firstNewConn), len(r.users)-1)
	}
	if !r.renewed {
		t.Error("no lease renewal was seen (LastRenewal stayed zero)")
	}
	for i, l := range r.leases {
		if !l.Status().Revoked {
			t.Errorf("lease %d of %d is not revoked after Close: %+v", i+1, len(r.leases), l.Status())
		}
	}
}

func (r dynamicRun) firstNewConnText() string {
	var parts []string
	for _, d := range r.firstNewConn {
		parts = append(parts, d.Round(time.Millisecond).String())
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestCredsVaultDynamic (proof a): a dynamic role with default_ttl 10 s and
// max_ttl 30 s. The service runs for 40 s (2 min with -creds.long): the
// lease is renewed, replaced before max_ttl, and the replaced one revoked
// once drained. No query fails, at most 3 Vault-created roles exist at
// any sample, and after Close the last role is gone.
func TestCredsVaultDynamic(t *testing.T) {
	t.Parallel()
	db := startVDB(t)
	live := db.live(t, nil)
	r := runDynamic(t, db, live, credsDuration(), nil)
	t.Logf("proof a: duration=%s queries=%d failed=%d roles_max=%d replacements=%d first_new_conn_after=%s",
		credsDuration(), r.queries, r.failed, r.rolesMax, len(r.users)-1, r.firstNewConnText())
	r.check(t)
}

// TestCredsVaultStatic (proof b): a static role rotated by Vault every 5 s
// (its minimum), and once in the middle by an operator (vault write -f
// database/rotate-role/stat, as root through the API). The old password
// stops working at once; logins rejected meanwhile are retried after the
// Live reads the new one. No query fails.
func TestCredsVaultStatic(t *testing.T) {
	t.Parallel()
	db := startVDB(t)
	live := db.live(t, nil)
	first := live.Settings().Database.Static
	if first.Username != credsStaticUser {
		t.Fatalf("the static credential's username is %q, want %s", first.Username, credsStaticUser)
	}
	var versions atomic.Int64
	unregister := live.OnChange(func(old, s *creds.Settings, _ []string) {
		if old.Database.Static.Password.Reveal() != s.Database.Static.Password.Reveal() {
			versions.Add(1)
		}
	})
	defer unregister()
	svc := newCredService(t, db.pg, live, func(s *creds.Settings) runtime.Credential { return s.Database.Static }, creds.PathDatabaseStatic)
	d := credsDuration()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	operator := make(chan error, 1)
	go func() {
		select {
		case <-ctx.Done():
			operator <- errors.New("the run ended before the operator's rotation")
		case <-time.After(d / 2):
			_, err := db.v.root.Logical().WriteWithContext(context.Background(), "database/rotate-role/stat", nil)
			operator <- err
		}
	}()
	svc.run(ctx)
	if err := <-operator; err != nil {
		t.Errorf("the operator's rotate-role: %v", err)
	}
	st := svc.pool.Stats()
	svc.pool.Close()
	if err := live.Close(); err != nil {
		t.Errorf("Live.Close: %v", err)
	}
	t.Logf("proof b: duration=%s queries=%d failed=%d rotations_seen=%d login_retries=%d connections_opened=%d",
		d, svc.queries.Load(), svc.failed.Load(), versions.Load(), st.LoginRetries, st.Opened)
	if n := svc.failed.Load(); n != 0 {
		t.Errorf("%d of %d queries failed; the first: %s", n, svc.queries.Load(), strings.Join(svc.errs, "; "))
	}
	if svc.queries.Load() < 1000 {
		t.Errorf("only %d queries ran", svc.queries.Load())
	}
	if st.LoginRetries == 0 {
		t.Errorf("no login was rejected and retried in %d rotations with connections replaced every 250 ms: the proof did not meet a rotation between the database and the Live", versions.Load())
	}
	if min := int64(d/(5*time.Second)) / 2; versions.Load() < min {
		t.Errorf("the Live saw %d new passwords in %s of a 5 s rotation period; want at least %d", versions.Load(), d, min)
	}
}

// TestCredsVaultPolicy: the policy secretsgen policy vault prints for the
// proofs manifest, applied on the real Vault, is all the service needs:
// an AppRole whose tokens carry only that policy (no default policy;
// periodic, 15 s, so the provider must renew the token all along) runs the
// dynamic service (proof a's checks: leases renewed, replaced and revoked
// on Close, 0 failures), and a token of that role is refused another
// role's credentials and the body form of revoke (any lease).
func TestCredsVaultPolicy(t *testing.T) {
	t.Parallel()
	db := startVDB(t)
	m, err := manifest.Load("creds/secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	hcl, err := policy.Vault(m, credsEnv, "secret")
	if err != nil {
		t.Fatal(err)
	}
	root := db.v.root
	ctx := context.Background()
	if err := root.Sys().PutPolicyWithContext(ctx, "proofs-test", string(hcl)); err != nil {
		t.Fatal(err)
	}
	if err := root.Sys().EnableAuthWithOptionsWithContext(ctx, "approle", &api.EnableAuthOptions{Type: "approle"}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Logical().WriteWithContext(ctx, "auth/approle/role/proofs", map[string]any{
		"token_policies": "proofs-test", "token_no_default_policy": true, "token_period": "15s",
	}); err != nil {
		t.Fatal(err)
	}
	rid, err := root.Logical().ReadWithContext(ctx, "auth/approle/role/proofs/role-id")
	if err != nil {
		t.Fatal(err)
	}
	sid, err := root.Logical().WriteWithContext(ctx, "auth/approle/role/proofs/secret-id", nil)
	if err != nil {
		t.Fatal(err)
	}
	roleID, _ := rid.Data["role_id"].(string)
	secretID, _ := sid.Data["secret_id"].(string)
	auth, err := vault.AppRoleAuth("", roleID, secretID, "")
	if err != nil {
		t.Fatal(err)
	}

	// What the policy does not allow, with a token of the same role.
	c, _, err := vaultClient(db.v.Addr(), "")
	if err != nil {
		t.Fatal(err)
	}
	login, err := c.Auth().Login(ctx, auth)
	if err != nil {
		t.Fatal(err)
	}
	if got := login.Auth.Policies; len(got) != 1 || got[0] != "proofs-test" {
		t.Fatalf("the AppRole token's policies are %v, want [proofs-test] only", got)
	}
	other, err := root.Logical().ReadWithContext(ctx, "database/creds/other")
	if err != nil {
		t.Fatal(err)
	}
	denied := map[string]error{}
	_, denied["read database/creds/other"] = c.Logical().ReadWithContext(ctx, "database/creds/other")
	_, denied["revoke another role's lease (path form)"] = c.Logical().WriteWithContext(ctx, "sys/leases/revoke/"+other.LeaseID, nil)
	_, denied["revoke by body (any lease)"] = c.Logical().WriteWithContext(ctx, "sys/leases/revoke", map[string]any{"lease_id": other.LeaseID})
	for what, err := range denied {
		var re *api.ResponseError
		if !errors.As(err, &re) || re.StatusCode != 403 {
			t.Errorf("%s with the policy's token: %v; want 403 permission denied", what, err)
		}
	}
	// (The policy does not let a token revoke itself: root does it.)
	if err := root.Auth().Token().RevokeTreeWithContext(ctx, c.Token()); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Logical().WriteWithContext(ctx, "sys/leases/revoke/"+other.LeaseID, nil); err != nil {
		t.Fatal(err)
	}

	live := db.live(t, auth)
	d := credsDuration()
	var renewals bool
	r := runDynamic(t, db, live, d, func() {
		// The provider's token (periodic, 15 s) was renewed.
		var err error
		if renewals, err = tokenRenewed(ctx, root, "proofs-test"); err != nil {
			t.Errorf("looking up the provider's token: %v", err)
		}
	})
	t.Logf("proof policy: duration=%s queries=%d failed=%d roles_max=%d replacements=%d token_renewed=%t lease_renewed=%t denied=%d",
		d, r.queries, r.failed, r.rolesMax, len(r.users)-1, renewals, r.renewed, len(denied))
	r.check(t)
	if !renewals {
		t.Error("the provider's periodic token was not renewed")
	}
}

// tokenRenewed reports whether a token with policy pol (only) was renewed:
// its last_renewal_time is set.
func tokenRenewed(ctx context.Context, root *api.Client, pol string) (bool, error) {
	list, err := root.Logical().ListWithContext(ctx, "auth/token/accessors")
	if err != nil {
		return false, err
	}
	keys, _ := list.Data["keys"].([]any)
	for _, k := range keys {
		acc, _ := k.(string)
		s, err := root.Logical().WriteWithContext(ctx, "auth/token/lookup-accessor", map[string]any{"accessor": acc})
		if err != nil || s == nil {
			continue // revoked meanwhile
		}
		pols, _ := s.Data["policies"].([]any)
		if len(pols) != 1 || pols[0] != pol {
			continue
		}
		if lr, ok := s.Data["last_renewal_time"]; ok && lr != nil && fmt.Sprint(lr) != "0" {
			return true, nil
		}
	}
	return false, nil
}
