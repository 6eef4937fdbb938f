package vault_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// waitFor polls cond every 250 ms and fails t when it is still false after
// a minute: a bound for a server that never gets there, not a timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: still waiting for %s", what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

type pgCred struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func credOf(t *testing.T, v runtime.Value) pgCred {
	t.Helper()
	var c pgCred
	if err := json.Unmarshal([]byte(v.Text), &c); err != nil || c.Username == "" || c.Password == "" {
		t.Fatalf("the credential's text is not {username, password}: %v", err)
	}
	return c
}

func startDatabase(t *testing.T) (*server, *testenv.Postgres, *testenv.VaultDB) {
	s := startServer(t)
	pg := testenv.StartPostgres(t)
	db := testenv.ConfigureVaultDB(t, s.Vault, pg, testenv.VaultDBOptions{DefaultTTL: 10 * time.Second, MaxTTL: 30 * time.Second})
	return s, pg, db
}

// TestDatabaseDynamicLifecycle: a dynamic credential is read once, renewed,
// replaced before max_ttl (10 s leases, 30 s max), the replaced lease is
// revoked once released, at most 3 Vault users exist at any time, and
// Close revokes the rest.
func TestDatabaseDynamicLifecycle(t *testing.T) {
	s, pg, db := startDatabase(t)
	p, err := vault.New(vaultClient(t, s.Vault), app, "production", &vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	ctx := ctxFor(t)
	ref := runtime.Ref{Path: "database/app", Type: "credential", Database: db.Mount + "/creds/" + db.DynamicRole}
	users := func() int {
		n, err := db.DynamicUsers()
		if err != nil {
			t.Fatal(err)
		}
		if n > 3 {
			t.Fatalf("%d Vault-created users exist at once; at most 3", n)
		}
		return n
	}

	v1, err := p.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	c1 := credOf(t, v1)
	if err := pg.Login(c1.Username, c1.Password); err != nil {
		t.Fatal(err)
	}
	if v1.Lease == nil || v1.Version != "g1" {
		t.Fatalf("lease %v, version %q", v1.Lease, v1.Version)
	}
	again, err := p.Get(ctx, ref)
	if err != nil || again.Text != v1.Text || users() != 1 {
		t.Fatalf("a second Get read anew: %v, %d users", err, users())
	}
	hold := runtime.NewCredential(c1.Username, c1.Password, nil, v1.Lease).Hold()

	waitFor(t, "a renewal", func() bool { users(); return !v1.Lease.Status().LastRenewal.IsZero() })
	var v2 runtime.Value
	waitFor(t, "a replacement before max_ttl", func() bool {
		users()
		v2, err = p.Get(ctx, ref)
		return err == nil && v2.Version != v1.Version
	})
	c2 := credOf(t, v2)
	if err := pg.Login(c2.Username, c2.Password); err != nil {
		t.Fatal(err)
	}
	if st := v1.Lease.Status(); st.Revoked || st.NextAction != "revoke" {
		t.Fatalf("the held, replaced lease: %+v", st)
	}
	select {
	case <-p.Changed():
	default:
		t.Fatal("no change signalled for the replacement")
	}
	hold()
	waitFor(t, "the released lease's revocation", func() bool { return v1.Lease.Status().Revoked })
	waitFor(t, "the old user dropped", func() bool { return pg.Login(c1.Username, c1.Password) != nil })
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every user dropped after Close", func() bool { return users() == 0 })
}

// TestDatabaseOperatorRevoked: after an operator revokes the lease, the
// database refuses the login; a forced refresh (the Pending ref a Live
// reads on RefreshNow) reads a new credential that works.
func TestDatabaseOperatorRevoked(t *testing.T) {
	s, pg, db := startDatabase(t)
	p := newProvider(t, vaultClient(t, s.Vault), "production", nil)
	ctx := ctxFor(t)
	ref := runtime.Ref{Path: "database/app", Type: "credential", Database: db.Mount + "/creds/" + db.DynamicRole}
	v1, err := p.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	c1 := credOf(t, v1)
	if _, err := s.root.Logical().WriteWithContext(ctx, "sys/leases/revoke-prefix/"+db.Mount+"/creds/"+db.DynamicRole, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the revoked user refused", func() bool { return pg.Login(c1.Username, c1.Password) != nil })
	pending, ok := p.Pending(ref)
	if !ok {
		t.Fatal("no pending ref for a dynamic credential")
	}
	v2, err := p.Get(ctx, pending)
	if err != nil {
		t.Fatal(err)
	}
	c2 := credOf(t, v2)
	if c2.Username == c1.Username {
		t.Fatal("the forced refresh returned the revoked credential")
	}
	if err := pg.Login(c2.Username, c2.Password); err != nil {
		t.Fatal(err)
	}
	cur, err := p.Get(ctx, ref)
	if err != nil || cur.Text != v2.Text {
		t.Fatalf("the current credential is not the new one: %v", err)
	}

	// Once more through Refresh (what Cache.Refresh calls), after the
	// cool-down of forced replacements.
	time.Sleep(5 * time.Second)
	if _, err := s.root.Logical().WriteWithContext(ctx, "sys/leases/revoke-prefix/"+db.Mount+"/creds/"+db.DynamicRole, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Refresh(ctx, "database/app"); err != nil {
		t.Fatal(err)
	}
	v3, err := p.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if c3 := credOf(t, v3); c3.Username == c2.Username || pg.Login(c3.Username, c3.Password) != nil {
		t.Fatal("Refresh did not replace the revoked credential with a working one")
	}

	// A role that does not exist: an error naming no value, with a hint.
	_, err = p.Get(ctx, runtime.Ref{Path: "database/nope", Type: "credential", Database: db.Mount + "/creds/nope"})
	t.Logf("unknown role: %v", err)
	var se *runtime.SecretError
	if !errors.As(err, &se) || se.Hint == "" || errors.Is(err, runtime.ErrUnavailable) {
		t.Fatalf("unknown role: %v", err)
	}
}

// TestDatabaseStatic: a static role's credential is read with its
// rotation time; after the rotation the provider signals a change and the
// next read has the new password, which works while the old one does not.
func TestDatabaseStatic(t *testing.T) {
	s, pg, db := startDatabase(t)
	p := newProvider(t, vaultClient(t, s.Vault), "production", nil)
	ctx := ctxFor(t)
	ref := runtime.Ref{Path: "database/static", Type: "credential", Database: db.Mount + "/static-creds/" + db.StaticRole}
	v1, err := p.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	c1 := credOf(t, v1)
	if c1.Username != db.StaticUser || v1.Version == "" || v1.Lease == nil {
		t.Fatalf("user %q, version %q, lease %v", c1.Username, v1.Version, v1.Lease)
	}
	if st := v1.Lease.Status(); st.Expires.IsZero() || st.NextAction != "read again" {
		t.Fatalf("status %+v", st)
	}
	var v2 runtime.Value
	waitFor(t, "a rotation read after the change signal", func() bool {
		select {
		case <-p.Changed():
		case <-time.After(time.Second):
			return false
		}
		v2, err = p.Get(ctx, ref)
		return err == nil && v2.Version != v1.Version
	})
	c2 := credOf(t, v2)
	if c2.Password == c1.Password {
		t.Fatal("a new rotation time with the same password")
	}
	if err := pg.Login(c2.Username, c2.Password); err != nil {
		// Vault may have rotated again between the read and the login
		// (rotation_period 5 s): read once more.
		v3, err3 := p.Get(ctx, ref)
		if err3 != nil || pg.Login(c2.Username, credOf(t, v3).Password) != nil {
			t.Fatalf("the rotated password does not work: %v", err)
		}
	}
	if err := pg.Login(c1.Username, c1.Password); err == nil {
		t.Fatal("the password before the rotation still works")
	}
}

// liveSettings stands in for generated settings with one credential.
type liveSettings struct{ DB runtime.Credential }

func loadLive(ctx context.Context, p runtime.Provider) (*liveSettings, error) {
	v, err := p.Get(ctx, runtime.Ref{Path: "database/app", Type: "credential", Database: "database/creds/app"})
	if err != nil {
		return nil, err
	}
	var c pgCred
	if err := json.Unmarshal([]byte(v.Text), &c); err != nil {
		return nil, err
	}
	return &liveSettings{DB: runtime.NewCredential(c.Username, c.Password, nil, v.Lease)}, nil
}

// TestDatabaseLiveRefreshNow: a Live over a Cache over the provider shows
// the lease in Status, and RefreshNow after the database refused a
// revoked credential (it reaches the provider through Pending) swaps in a
// new credential that logs in.
func TestDatabaseLiveRefreshNow(t *testing.T) {
	s, pg, _ := startDatabase(t)
	p, err := vault.New(vaultClient(t, s.Vault), app, "production", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t)
	live, err := runtime.NewLive(ctx, runtime.NewCache(p, nil), loadLive, &runtime.LiveOptions{PollInterval: time.Hour, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	c1 := live.Settings().DB
	if err := pg.Login(c1.Username, c1.Password.Reveal()); err != nil {
		t.Fatal(err)
	}
	st := live.Status().Secrets[0]
	if st.Lease == nil || st.Lease.Expires.IsZero() || st.Lease.NextAction != "renew" {
		t.Fatalf("Status lease %+v", st.Lease)
	}
	if _, err := s.root.Logical().WriteWithContext(ctx, "sys/leases/revoke-prefix/database/creds/app", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the revoked user refused", func() bool { return pg.Login(c1.Username, c1.Password.Reveal()) != nil })
	if err := live.RefreshNow(ctx, "database/app"); err != nil {
		t.Fatal(err)
	}
	c2 := live.Settings().DB
	if c2.Username == c1.Username {
		t.Fatal("RefreshNow kept the revoked credential")
	}
	if err := pg.Login(c2.Username, c2.Password.Reveal()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused lease revoked", func() bool { return c1.Lease().Status().Revoked })
}

// dbPolicy is what a dynamic credential needs, as secretsgen policy vault
// prints it: read the role's creds, renew and revoke this role's leases
// only (the path forms sys/leases/{renew,revoke}/<lease id>); no grant on
// sys/leases/renew or sys/leases/revoke themselves (the body forms).
const dbPolicy = `
path "database/creds/app" { capabilities = ["read"] }
path "database/static-creds/static-app" { capabilities = ["read"] }
path "sys/leases/renew/database/creds/app/*" { capabilities = ["update"] }
path "sys/leases/revoke/database/creds/app/*" { capabilities = ["update"] }
`

// TestDatabaseTokenRelogin: with an AppRole token whose max TTL (16 s) is
// shorter than the credential's (30 s), the provider logs in again when
// the token's renewal stops, and the credential read with the old token
// (which Vault revokes with it) is replaced; the credential in use keeps
// logging in past the first token's end. The policy grants only read on
// the role and update on the renewal and revocation of its own leases.
func TestDatabaseTokenRelogin(t *testing.T) {
	s, pg, db := startDatabase(t)
	roleID, secretID := s.appRole(t, "production", "8s", "16s")
	if err := s.root.Sys().PutPolicy("dashtam-production", dbPolicy); err != nil {
		t.Fatal(err)
	}
	auth, err := vault.AppRoleAuth("", roleID, secretID, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := newVaultClient(s.Vault, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := newProvider(t, c, "production", &vault.Options{Auth: auth})
	ctx := ctxFor(t)
	ref := runtime.Ref{Path: "database/app", Type: "credential", Database: db.Mount + "/creds/" + db.DynamicRole}
	start := time.Now()
	v1, err := p.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	c1 := credOf(t, v1)
	t.Logf("first lease: expires after %v", v1.Lease.Expires().Sub(start).Round(time.Second))
	var cur runtime.Value
	waitFor(t, "a replacement", func() bool {
		cur, err = p.Get(ctx, ref)
		return err == nil && cur.Version != v1.Version
	})
	t.Logf("replaced after %v", time.Since(start).Round(time.Second))
	waitFor(t, "the first user dropped", func() bool { return pg.Login(c1.Username, c1.Password) != nil })
	waitFor(t, "the first token's end (16 s) and 5 s more", func() bool { return time.Since(start) > 21*time.Second })
	cur, err = p.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	c2 := credOf(t, cur)
	if err := pg.Login(c2.Username, c2.Password); err != nil {
		t.Fatalf("the credential in use after the re-login: %v", err)
	}
	if st := cur.Lease.Status(); st.Err != nil || st.Revoked {
		t.Fatalf("the current lease: %+v", st)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every user dropped after Close", func() bool { n, err := db.DynamicUsers(); return err == nil && n == 0 })
}

func testenvPostgres(tb testing.TB) *testenv.Postgres { return testenv.StartPostgres(tb) }

func configureVaultDB(tb testing.TB, s *server, pg *testenv.Postgres) *testenv.VaultDB {
	return testenv.ConfigureVaultDB(tb, s.Vault, pg, testenv.VaultDBOptions{DefaultTTL: 10 * time.Second, MaxTTL: 30 * time.Second})
}
