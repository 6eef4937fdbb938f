package sqlcred

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

const waitLimit = time.Minute

// fakeLive: the backend has the newest credential, live what Settings
// would return until a poll or a refresh.
type fakeLive struct {
	backend   atomic.Pointer[runtime.Credential]
	live      atomic.Pointer[runtime.Credential]
	refreshes atomic.Int64
}

func newFakeLive(c runtime.Credential) *fakeLive {
	f := &fakeLive{}
	f.backend.Store(&c)
	f.live.Store(&c)
	return f
}

func (f *fakeLive) rotate(c runtime.Credential) { f.backend.Store(&c) }
func (f *fakeLive) poll()                       { f.live.Store(f.backend.Load()) }

func (f *fakeLive) source() Source {
	return Source{
		Current: func() runtime.Credential { return *f.live.Load() },
		Refresh: func(context.Context) error { f.refreshes.Add(1); f.poll(); return nil },
	}
}

func lease(now time.Time, d time.Duration) *runtime.Lease {
	return runtime.NewLease(runtime.LeaseStatus{Expires: now.Add(d)})
}

func dsnFor(pg *testenv.Postgres) func(runtime.Credential) string {
	return func(c runtime.Credential) string {
		u := url.URL{Scheme: "postgres", User: url.UserPassword(c.Username, c.Password.Reveal()),
			Host: pg.Addr(), Path: "/postgres", RawQuery: "sslmode=disable"}
		return u.String()
	}
}

// pgxConnector is the other way to give the driver: its own connector.
func pgxConnector(pg *testenv.Postgres) func(runtime.Credential) (driver.Connector, error) {
	return func(c runtime.Credential) (driver.Connector, error) {
		cfg, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d dbname=postgres sslmode=disable", pg.Port()))
		if err != nil {
			return nil, err
		}
		cfg.User = c.Username
		cfg.Password = c.Password.Reveal()
		return stdlib.GetConnector(*cfg), nil
	}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after %s for %s", waitLimit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// credOf returns the credential of the connection c runs on.
func credOf(t testing.TB, c *sql.Conn) runtime.Credential {
	t.Helper()
	var cred runtime.Credential
	if err := c.Raw(func(dc any) error {
		var ok bool
		if cred, ok = Credential(dc); !ok {
			return fmt.Errorf("a %T is not a sqlcred connection", dc)
		}
		if _, ok := Unwrap(dc).(*stdlib.Conn); !ok {
			return fmt.Errorf("Unwrap gave a %T, want *stdlib.Conn", Unwrap(dc))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return cred
}

// TestRotationUnderLoad: 12 rotations (new passwords for one role, and
// switches between two roles) under 8 workers using a plain *sql.DB, half
// of them applied to the database before the Live sees them (Connect
// meets 28P01 and refreshes). 0 failed queries; each query runs as its
// connection's credential; each replaced lease's holds drop to 0.
func TestRotationUnderLoad(t *testing.T) {
	for _, mode := range []string{"Driver+DSN", "Connector"} {
		t.Run(mode, func(t *testing.T) {
			pg := testenv.StartPostgres(t)
			pass := map[string]string{"app_a": "pw-a-0", "app_b": "pw-b-0"}
			pg.CreateRole(t, "app_a", pass["app_a"])
			pg.CreateRole(t, "app_b", pass["app_b"])
			f := newFakeLive(runtime.NewCredential("app_a", pass["app_a"], nil, lease(time.Now(), time.Hour)))
			// 8 retries (backoff 100 ms doubling: 25 s in all) so that a
			// machine loaded enough to delay a refresh does not fail a
			// query; the test counts outcomes, not time.
			cfg := Config{Source: f.source(), LoginRetries: 8}
			if mode == "Connector" {
				cfg.Connector = pgxConnector(pg)
			} else {
				cfg.Driver, cfg.DSN = stdlib.GetDefaultDriver(), dsnFor(pg)
			}
			cn, err := NewConnector(cfg)
			if err != nil {
				t.Fatal(err)
			}
			db := sql.OpenDB(cn)
			defer db.Close()
			db.SetMaxOpenConns(8)
			db.SetConnMaxIdleTime(time.Second) // closes idle old connections; database/sql has no other hook
			ctx := context.Background()

			var queries, failures atomic.Int64
			var firstErr atomic.Value
			fail := func(err error) {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
			stop := make(chan struct{})
			var stopOnce sync.Once
			var wg sync.WaitGroup
			defer func() { stopOnce.Do(func() { close(stop) }); wg.Wait() }() // on a failure too
			for w := range 8 {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						if i%2 == 0 { // a plain db.QueryRow
							var one int
							if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
								fail(fmt.Errorf("worker %d: query: %w", w, err))
							}
							queries.Add(1)
							continue
						}
						c, err := db.Conn(ctx)
						if err != nil {
							fail(fmt.Errorf("worker %d: conn: %w", w, err))
							continue
						}
						cred := credOf(t, c)
						if cred.Lease().Status().Revoked {
							fail(fmt.Errorf("worker %d: a connection whose lease is revoked", w))
						}
						var user string
						if err := c.QueryRowContext(ctx, "SELECT current_user").Scan(&user); err != nil {
							fail(fmt.Errorf("worker %d: query: %w", w, err))
						} else if user != cred.Username {
							fail(fmt.Errorf("worker %d: connection of %q runs as %q", w, cred.Username, user))
						}
						c.Close()
						queries.Add(1)
					}
				})
			}
			user := "app_a"
			for r := 1; r <= 12; r++ {
				time.Sleep(30 * time.Millisecond)
				old := *f.live.Load()
				if r%3 == 0 {
					user = map[string]string{"app_a": "app_b", "app_b": "app_a"}[user]
				}
				pass[user] = "pw-" + user + "-" + strconv.Itoa(r)
				pg.SetPassword(t, user, pass[user])
				f.rotate(runtime.NewCredential(user, pass[user], nil, lease(time.Now(), time.Hour)))
				if r%2 == 0 || r%3 == 0 {
					f.poll()
				} else {
					// The Live has not noticed: close the idle connections
					// so that the workers log in and meet 28P01.
					db.SetMaxIdleConns(0)
				}
				waitFor(t, "the holds of rotation "+strconv.Itoa(r-1)+"'s lease to drop to 0", func() bool { return old.Lease().Holds() == 0 })
				db.SetMaxIdleConns(8)
				old.Lease().Update(func(st *runtime.LeaseStatus) { st.Revoked = true })
				// The next rotation waits for a connection with this one's
				// credential: rotating faster than a login completes (a
				// loaded machine) would reject every login of a worker in a
				// row, which no service meets with rotations minutes apart.
				waitFor(t, "a connection with rotation "+strconv.Itoa(r)+"'s credential", func() bool {
					cur := *f.live.Load()
					return !cur.Equal(old) && cur.Lease().Holds() > 0
				})
			}
			stopOnce.Do(func() { close(stop) })
			wg.Wait()
			if n := failures.Load(); n != 0 {
				t.Fatalf("%d of %d queries failed; first: %v", n, queries.Load(), firstErr.Load())
			}
			st := cn.Stats()
			t.Logf("%d queries, stats %+v, refreshes %d", queries.Load(), st, f.refreshes.Load())
			if st.LoginRetries == 0 || st.Invalidated == 0 {
				t.Errorf("no login retried or no connection invalidated: %+v", st)
			}
			db.Close()
			if st := cn.Stats(); st.Held != 0 || f.live.Load().Lease().Holds() != 0 {
				t.Errorf("after db.Close: Held %d, holds of the current lease %d", st.Held, f.live.Load().Lease().Holds())
			}
		})
	}
}

// clock is a settable clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time  { return time.Unix(0, c.ns.Load()) }
func (c *clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// TestLifetime: on a fake clock, a connection is reused while its lease
// ends beyond the margin, renewed leases keep it, an old credential or a
// lease inside the margin closes it when returned, and a current
// credential inside the margin is refused.
func TestLifetime(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw0")
	var clk clock
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk.Set(t0)
	l0 := lease(t0, time.Minute)
	f := newFakeLive(runtime.NewCredential("app", "pw0", nil, l0))
	cn, err := newConnector(Config{Source: f.source(), Driver: stdlib.GetDefaultDriver(), DSN: dsnFor(pg), Margin: 10 * time.Second}, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(cn)
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	pid := func() int {
		t.Helper()
		var p int
		if err := db.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p0 := pid()
	clk.Set(t0.Add(45 * time.Second))
	if pid() != p0 {
		t.Fatal("connection replaced 15 s before its lease ends (margin 10 s)")
	}
	l0.Update(func(st *runtime.LeaseStatus) { st.Expires = t0.Add(2 * time.Minute) })
	clk.Set(t0.Add(55 * time.Second))
	if pid() != p0 {
		t.Fatal("connection replaced although its lease was renewed")
	}
	clk.Set(t0.Add(2*time.Minute - 5*time.Second))
	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); !errors.Is(err, ErrLeaseEnding) {
		t.Fatalf("query inside the margin with no newer credential: %v, want ErrLeaseEnding", err)
	}
	if l0.Holds() != 0 {
		t.Fatalf("the old connection still holds its lease (%d)", l0.Holds())
	}
	l1 := lease(clk.Now(), time.Hour)
	f.rotate(runtime.NewCredential("app", "pw0", nil, l1))
	f.poll()
	p1 := pid()
	if p1 == p0 || l1.Holds() != 1 {
		t.Fatalf("after the replacement: pid %d (old %d), holds %d", p1, p0, l1.Holds())
	}
	// A new credential: the idle connection is closed when next taken.
	l2 := lease(clk.Now(), time.Hour)
	f.rotate(runtime.NewCredential("app", "pw0", nil, l2))
	f.poll()
	if pid() == p1 || l1.Holds() != 0 || l2.Holds() != 1 {
		t.Fatalf("old-credential connection reused or still held: holds %d, %d", l1.Holds(), l2.Holds())
	}
	// Held while the credential changes: closed when returned.
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.rotate(runtime.NewCredential("app", "pw0", nil, lease(clk.Now(), time.Hour)))
	f.poll()
	if err := c.PingContext(ctx); err != nil {
		t.Fatalf("held connection after the rotation: %v", err)
	}
	c.Close()
	if l2.Holds() != 0 {
		t.Fatalf("the connection returned with an old credential still holds it (%d)", l2.Holds())
	}
}

// TestLoginRetry: Connect refreshes on 28P01 and 28000 and tries again; a
// statement error is not retried; a login that keeps failing stops after
// LoginRetries with an error that shows no password.
func TestLoginRetry(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw0")
	f := newFakeLive(runtime.NewCredential("app", "pw0", nil, nil))
	cn, err := NewConnector(Config{Source: f.source(), Driver: stdlib.GetDefaultDriver(), DSN: dsnFor(pg), LoginRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(cn)
	defer db.Close()
	db.SetMaxIdleConns(0) // every query logs in
	ctx := context.Background()

	pg.SetPassword(t, "app", "pw1")
	f.rotate(runtime.NewCredential("app", "pw1", nil, nil))
	var user string
	if err := db.QueryRowContext(ctx, "SELECT current_user").Scan(&user); err != nil {
		t.Fatalf("query after a rotation the Live has not seen: %v", err)
	}
	if f.refreshes.Load() != 1 {
		t.Fatalf("%d refreshes, want 1", f.refreshes.Load())
	}

	pg.CreateRole(t, "app2", "pw2")
	f.rotate(runtime.NewCredential("app2", "pw2", nil, nil))
	if err := pg.Exec("DROP ROLE app;"); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT current_user").Scan(&user); err != nil || user != "app2" {
		t.Fatalf("query after the role was dropped: %q, %v", user, err)
	}
	if f.refreshes.Load() != 2 {
		t.Fatalf("%d refreshes, want 2", f.refreshes.Load())
	}

	if _, err := db.ExecContext(ctx, "SELECT * FROM no_such_table"); err == nil || IsLoginError(err) {
		t.Fatalf("bad statement: %v", err)
	}
	if f.refreshes.Load() != 2 {
		t.Fatal("a statement error refreshed the credential")
	}

	pg.SetPassword(t, "app2", "pw3")
	before := f.refreshes.Load()
	_, err = db.ExecContext(ctx, "SELECT 1")
	if !IsLoginError(err) {
		t.Fatalf("a password nobody has: %v, want a login error", err)
	}
	if n := f.refreshes.Load() - before; n != 2 {
		t.Fatalf("%d refreshes for a login that keeps failing, want 2", n)
	}
	if strings.Contains(err.Error(), "pw2") || strings.Contains(err.Error(), "pw3") {
		t.Fatalf("the error shows a password: %v", err)
	}
}

// TestNewConnectorErrors: incomplete configurations say what to give.
func TestNewConnectorErrors(t *testing.T) {
	cur := func() runtime.Credential { return runtime.Credential{} }
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no Current", Config{Driver: stdlib.GetDefaultDriver(), DSN: func(runtime.Credential) string { return "" }}, "Source.Current is nil"},
		{"nothing to open with", Config{Source: Source{Current: cur}}, "either Config.Driver and Config.DSN, or Config.Connector"},
		{"both", Config{Source: Source{Current: cur}, Driver: stdlib.GetDefaultDriver(), DSN: func(runtime.Credential) string { return "" },
			Connector: func(runtime.Credential) (driver.Connector, error) { return nil, nil }}, "either"},
		{"Driver without DSN", Config{Source: Source{Current: cur}, Driver: stdlib.GetDefaultDriver()}, "either"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewConnector(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewConnector: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// bareDriver opens pgx's stdlib connections but shows database/sql only
// the methods every driver.Conn has (Prepare, Close, Begin), as an old
// driver would: the Connector's connection must then answer the optional
// interfaces as database/sql does without them.
type bareDriver struct{}

type bareConn struct{ c driver.Conn }

func (bareDriver) Open(dsn string) (driver.Conn, error) {
	c, err := stdlib.GetDefaultDriver().Open(dsn)
	if err != nil {
		return nil, err
	}
	return bareConn{c}, nil
}

func (b bareConn) Prepare(q string) (driver.Stmt, error) { return b.c.Prepare(q) }
func (b bareConn) Close() error                          { return b.c.Close() }

//lint:ignore SA1019 an old driver has only Begin
func (b bareConn) Begin() (driver.Tx, error) { return b.c.Begin() }

// TestBareDriver: a driver without DriverContext and without the optional
// connection interfaces works through the Connector: queries (prepared,
// as database/sql falls back to), a transaction, a ping, and the
// credential's lifecycle (an old connection is not reused).
func TestBareDriver(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw0")
	f := newFakeLive(runtime.NewCredential("app", "pw0", nil, lease(time.Now(), time.Hour)))
	cn, err := NewConnector(Config{Source: f.source(), Driver: bareDriver{}, DSN: dsnFor(pg)})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(cn)
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	var user string
	if err := db.QueryRowContext(ctx, "SELECT current_user::text WHERE $1::int = 1", 1).Scan(&user); err != nil || user != "app" {
		t.Fatalf("query: %q, %v", user, err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "CREATE TEMP TABLE t (x int)"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "transaction options") {
		t.Fatalf("read-only transaction on a driver without BeginTx: %v", err)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	old := f.live.Load().Lease()
	f.rotate(runtime.NewCredential("app", "pw0", nil, lease(time.Now(), time.Hour)))
	f.poll()
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	if old.Holds() != 0 || f.live.Load().Lease().Holds() != 1 {
		t.Fatalf("after a rotation: old lease holds %d, new %d; want 0 and 1", old.Holds(), f.live.Load().Lease().Holds())
	}
}
