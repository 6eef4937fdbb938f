package pgxcred

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/dashtam/secretsgen/internal/testing/leaktest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// waitLimit bounds the waits for something the pool does in the
// background; a wait fails only after it, never asserts a duration.
const waitLimit = time.Minute

// backend and live simulate a Live over a backend: the backend has the
// newest credential, the live one is what Settings would return until a
// poll or a RefreshNow copies the backend's.
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

// rotate sets the backend's credential; poll makes it the live one.
func (f *fakeLive) rotate(c runtime.Credential) { f.backend.Store(&c) }
func (f *fakeLive) poll()                       { f.live.Store(f.backend.Load()) }

func (f *fakeLive) source() Source {
	return Source{
		Current: func() runtime.Credential { return *f.live.Load() },
		Refresh: func(ctx context.Context) error {
			f.refreshes.Add(1)
			f.poll()
			return nil
		},
	}
}

// lease returns a lease that ends in d from now (by clock).
func lease(now time.Time, d time.Duration) *runtime.Lease {
	return runtime.NewLease(runtime.LeaseStatus{Expires: now.Add(d), Renewable: true})
}

func poolConfig(t testing.TB, pg *testenv.Postgres, maxConns int32) *pgxpool.Config {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d dbname=postgres sslmode=disable", pg.Port()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = maxConns
	return cfg
}

// waitFor polls cond until it holds, failing t after waitLimit.
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

// closeAtEnd closes p when t ends; after a failure that left connections
// acquired (Close waits for them) it does not wait.
func closeAtEnd(t testing.TB, p *Pool) {
	t.Cleanup(func() {
		if t.Failed() {
			go p.Close()
			return
		}
		p.Close()
	})
}

// clock is a settable clock for lease ends.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// TestRotationUnderLoad rotates the credential 12 times under 8 workers:
// single-user rotations (a new password for the same role) and user
// switches (the other of two roles, as AWS's alternating-users rotation
// does), each applied to the database before the Live sees it, so new
// connections meet 28P01 until the pool's retry refreshes. Every query must
// succeed as the credential its connection logged in with, no connection is
// handed out with a revoked lease, and each replaced lease's holds drop to
// 0 (the old connections close) before it is revoked.
func TestRotationUnderLoad(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pass := map[string]string{"app_a": "pw-a-0", "app_b": "pw-b-0"}
	pg.CreateRole(t, "app_a", pass["app_a"])
	pg.CreateRole(t, "app_b", pass["app_b"])
	f := newFakeLive(runtime.NewCredential("app_a", pass["app_a"], nil, lease(time.Now(), time.Hour)))
	ctx := context.Background()
	p, err := New(ctx, poolConfig(t, pg, 8), f.source(), &Options{CheckInterval: 20 * time.Millisecond, LoginRetries: 8}) // 25 s of backoff in all: a loaded machine must not fail a query
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, p)

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
				c, err := p.Acquire(ctx)
				if err != nil {
					fail(fmt.Errorf("worker %d: acquire: %w", w, err))
					continue
				}
				cred, _ := Credential(c.Conn())
				if st := cred.Lease().Status(); st.Revoked {
					fail(fmt.Errorf("worker %d: handed a connection whose lease is revoked", w))
				}
				var user string
				if err := c.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil {
					fail(fmt.Errorf("worker %d: query: %w", w, err))
				} else if user != cred.Username {
					fail(fmt.Errorf("worker %d: connection of %q runs as %q", w, cred.Username, user))
				}
				c.Release()
				queries.Add(1)
				if i%3 == 0 { // and the pool's own methods
					if _, err := p.Exec(ctx, "SELECT 1"); err != nil {
						fail(fmt.Errorf("worker %d: exec: %w", w, err))
					}
				}
			}
		})
	}

	user := "app_a"
	for r := 1; r <= 12; r++ {
		time.Sleep(30 * time.Millisecond) // let the workers run on this credential
		old := *f.live.Load()
		if r%3 == 0 {
			if user == "app_a" {
				user = "app_b"
			} else {
				user = "app_a"
			}
		}
		pass[user] = "pw-" + user + "-" + strconv.Itoa(r)
		pg.SetPassword(t, user, pass[user])
		f.rotate(runtime.NewCredential(user, pass[user], nil, lease(time.Now(), time.Hour)))
		if r%2 == 0 || r%3 == 0 {
			// The Live noticed by itself (a user switch leaves the old
			// user's password valid: no login fails until the Live polls).
			f.poll()
		} else {
			// The Live has not noticed; the workers find out when they
			// next log in (28P01, or 28000 for the other role's user):
			// make them log in.
			p.Reset()
		}
		// The Live revokes the replaced lease once drained: wait for its
		// holds to drop to 0 (the connections opened with it are closed
		// when released or idle), then revoke.
		waitFor(t, "the holds of rotation "+strconv.Itoa(r-1)+"'s lease to drop to 0", func() bool {
			return old.Lease().Holds() == 0
		})
		old.Lease().Update(func(st *runtime.LeaseStatus) { st.Revoked = true })
	}
	stopOnce.Do(func() { close(stop) })
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d of %d queries failed; first: %v", n, queries.Load(), firstErr.Load())
	}
	st := p.Stats()
	t.Logf("%d queries, stats %+v, refreshes %d", queries.Load(), st, f.refreshes.Load())
	if st.ClosedOld == 0 {
		t.Errorf("no connection was closed for an old credential: %+v", st)
	}
	if st.LoginRetries == 0 {
		t.Errorf("no request met a rejected login (odd rotations leave the Live behind the database and reset the pool): %+v", st)
	}
	p.Close()
	if cur := f.live.Load().Lease().Holds(); cur != 0 {
		t.Errorf("after Close the current lease still has %d holds", cur)
	}
	if st := p.Stats(); st.Held != 0 {
		t.Errorf("after Close Stats.Held = %d", st.Held)
	}
}

// TestOldGenerationClosedOnRelease: a connection opened with a credential
// that is no longer current is closed when released, and its hold is
// released; the next connection logs in with the new credential.
func TestOldGenerationClosedOnRelease(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw0")
	f := newFakeLive(runtime.NewCredential("app", "pw0", nil, lease(time.Now(), time.Hour)))
	ctx := context.Background()
	p, err := New(ctx, poolConfig(t, pg, 2), f.source(), &Options{CheckInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, p)
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gen0, _ := Credential(c.Conn())
	pid0 := c.Conn().PgConn().PID()
	if gen0.Lease().Holds() != 1 {
		t.Fatalf("holds of the connection's lease = %d, want 1", gen0.Lease().Holds())
	}
	pg.SetPassword(t, "app", "pw1")
	f.rotate(runtime.NewCredential("app", "pw1", nil, lease(time.Now(), time.Hour)))
	f.poll()
	// The old connection still works while held.
	if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatalf("held connection after the rotation: %v", err)
	}
	c.Release()
	waitFor(t, "the old lease's holds to drop to 0", func() bool { return gen0.Lease().Holds() == 0 })
	if st := p.Stats(); st.ClosedOld != 1 || st.Held != 0 {
		t.Fatalf("stats after releasing the old connection: %+v, want ClosedOld 1, Held 0", st)
	}
	c, err = p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	gen1, _ := Credential(c.Conn())
	if c.Conn().PgConn().PID() == pid0 || !gen1.Equal(f.source().Current()) {
		t.Fatalf("the next connection is the old one or not the current credential (pid %d, was %d)", c.Conn().PgConn().PID(), pid0)
	}
}

// TestIdleOldConnectionsClosed: idle connections of an old credential are
// closed by the idle check, without any request, so its lease can be
// revoked.
func TestIdleOldConnectionsClosed(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw0")
	f := newFakeLive(runtime.NewCredential("app", "pw0", nil, lease(time.Now(), time.Hour)))
	ctx := context.Background()
	p, err := New(ctx, poolConfig(t, pg, 4), f.source(), &Options{CheckInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, p)
	var conns []*pgxpool.Conn
	for range 4 {
		c, err := p.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	old := f.source().Current()
	for _, c := range conns {
		c.Release()
	}
	waitFor(t, "4 idle connections", func() bool { return p.Stat().IdleConns() == 4 })
	if old.Lease().Holds() != 4 {
		t.Fatalf("holds = %d, want 4", old.Lease().Holds())
	}
	f.rotate(runtime.NewCredential("app", "pw0", nil, lease(time.Now(), time.Hour)))
	f.poll()
	waitFor(t, "the idle check to close the old connections", func() bool {
		return old.Lease().Holds() == 0 && p.Stat().TotalConns() == 0
	})
	if st := p.Stats(); st.ClosedOld != 4 {
		t.Fatalf("ClosedOld = %d, want 4", st.ClosedOld)
	}
}

// TestLifetimeBoundedByLease: on a fake clock, a connection is handed out
// only while its lease ends beyond the margin, a renewal (a later Expires)
// keeps it, and a connection inside the margin is closed at acquire, on
// release and when idle; a current credential already inside the margin
// is refused (ErrLeaseEnding) rather than used near its end.
func TestLifetimeBoundedByLease(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw0")
	var clk clock
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk.Set(t0)
	l0 := lease(t0, time.Minute)
	f := newFakeLive(runtime.NewCredential("app", "pw0", nil, l0))
	ctx := context.Background()
	p, err := open(ctx, poolConfig(t, pg, 2), f.source(), &Options{Margin: 10 * time.Second, CheckInterval: time.Hour}, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, p)
	pidOf := func() (uint32, runtime.Credential) {
		t.Helper()
		c, err := p.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
		cred, _ := Credential(c.Conn())
		if end := cred.Lease().Expires().Add(-10 * time.Second); !clk.Now().Before(end) {
			t.Fatalf("handed a connection at %s whose lease ends at %s", clk.Now(), cred.Lease().Expires())
		}
		return c.Conn().PgConn().PID(), cred
	}
	pid, _ := pidOf()
	waitFor(t, "the connection back in the pool", func() bool { return p.Stat().IdleConns() == 1 })

	// 45 s in: 15 s left, outside the margin: the same connection.
	clk.Advance(45 * time.Second)
	if got, _ := pidOf(); got != pid {
		t.Fatalf("connection replaced 15 s before its lease ends (margin 10 s)")
	}
	waitFor(t, "the connection back in the pool", func() bool { return p.Stat().IdleConns() == 1 })
	// A renewal moves Expires: 51 s in is then far from the end.
	l0.Update(func(st *runtime.LeaseStatus) { st.Expires = t0.Add(2 * time.Minute); st.LastRenewal = clk.Now() })
	clk.Advance(6 * time.Second)
	if got, _ := pidOf(); got != pid {
		t.Fatalf("connection replaced although its lease was renewed")
	}
	waitFor(t, "the connection back in the pool", func() bool { return p.Stat().IdleConns() == 1 })

	// Inside the margin with no newer credential: the old connection is
	// closed at acquire and no new one is opened.
	clk.Set(t0.Add(2*time.Minute - 5*time.Second))
	if _, err := p.Acquire(ctx); !errors.Is(err, ErrLeaseEnding) {
		t.Fatalf("Acquire inside the margin with no newer credential: %v, want ErrLeaseEnding", err)
	}
	waitFor(t, "the old connection's hold released", func() bool { return l0.Holds() == 0 })

	// The Live replaced the lease: connections use the new one.
	l1 := lease(clk.Now(), time.Hour)
	f.rotate(runtime.NewCredential("app", "pw0", nil, l1))
	f.poll()
	got, cred := pidOf()
	if got == pid || cred.Lease() != l1 {
		t.Fatalf("after the replacement: pid %d (old %d), lease replaced %t", got, pid, cred.Lease() == l1)
	}

	// Held past the margin: closed on release.
	waitFor(t, "the connection back in the pool", func() bool { return p.Stat().IdleConns() == 1 })
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(l1.Expires().Add(-time.Second))
	c.Release()
	waitFor(t, "the connection closed on release", func() bool { return l1.Holds() == 0 && p.Stat().TotalConns() == 0 })
	if st := p.Stats(); st.ClosedLease < 2 || st.Held != 0 {
		t.Fatalf("stats: %+v, want ClosedLease >= 2 and Held 0", st)
	}

	// Revoked: refused.
	l2 := lease(clk.Now(), time.Hour)
	f.rotate(runtime.NewCredential("app", "pw0", nil, l2))
	f.poll()
	pidOf()
	waitFor(t, "the connection back in the pool", func() bool { return p.Stat().IdleConns() == 1 })
	l2.Update(func(st *runtime.LeaseStatus) { st.Revoked = true })
	p.CheckIdle(ctx)
	waitFor(t, "the revoked lease's connection closed when idle", func() bool { return l2.Holds() == 0 && p.Stat().TotalConns() == 0 })
}

// TestLoginRetry: a request whose login is rejected (28P01 for a rotated
// password, 28000 for a dropped role) refreshes and succeeds; a statement
// error is not retried; a login that keeps failing stops after
// LoginRetries, and its error holds no password.
func TestLoginRetry(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw0")
	f := newFakeLive(runtime.NewCredential("app", "pw0", nil, nil))
	ctx := context.Background()
	p, err := New(ctx, poolConfig(t, pg, 2), f.source(), &Options{CheckInterval: time.Hour, LoginRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, p)

	// 28P01: the database has the new password, the Live not yet.
	pg.SetPassword(t, "app", "pw1")
	f.rotate(runtime.NewCredential("app", "pw1", nil, nil))
	var one int
	if err := p.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("QueryRow after a rotation the Live has not seen: %v", err)
	}
	if f.refreshes.Load() != 1 || p.Stats().LoginRetries != 1 {
		t.Fatalf("refreshes %d, retries %d; want 1 and 1", f.refreshes.Load(), p.Stats().LoginRetries)
	}

	// 28000: the role is gone; the backend switched to another one.
	pg.CreateRole(t, "app2", "pw2")
	f.rotate(runtime.NewCredential("app2", "pw2", nil, nil))
	p.Reset() // the Live still has app/pw1: rotate set the backend only
	if err := pg.Exec("DROP ROLE app;"); err != nil {
		t.Fatal(err)
	}
	rows, err := p.Query(ctx, "SELECT current_user")
	if err != nil {
		t.Fatalf("Query after the role was dropped: %v", err)
	}
	var user string
	for rows.Next() {
		if err := rows.Scan(&user); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if user != "app2" || f.refreshes.Load() != 2 {
		t.Fatalf("ran as %q after %d refreshes; want app2 after 2", user, f.refreshes.Load())
	}

	// A statement error is not a login error: no refresh.
	if _, err := p.Exec(ctx, "SELECT * FROM no_such_table"); err == nil || IsLoginError(err) {
		t.Fatalf("Exec of a bad statement: %v", err)
	}
	if f.refreshes.Load() != 2 {
		t.Fatalf("a statement error refreshed the credential")
	}

	// A login that keeps failing: 1 + LoginRetries attempts, then the
	// error, without the password.
	p.Reset()
	pg.SetPassword(t, "app2", "pw3")
	before := f.refreshes.Load()
	_, err = p.Exec(ctx, "SELECT 1")
	if !IsLoginError(err) {
		t.Fatalf("Exec with a password nobody has: %v, want a login error", err)
	}
	if n := f.refreshes.Load() - before; n != 2 {
		t.Fatalf("%d refreshes for a login that keeps failing, want 2 (LoginRetries)", n)
	}
	if strings.Contains(err.Error(), "pw2") || strings.Contains(err.Error(), "pw3") {
		t.Fatalf("the error shows a password: %v", err)
	}

	// Cancelled: no retry at all.
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	before = f.refreshes.Load()
	if _, err := p.Exec(ctx2, "SELECT 1"); err == nil {
		t.Fatal("Exec with a cancelled context succeeded")
	}
	if f.refreshes.Load() != before {
		t.Fatal("a cancelled request refreshed the credential")
	}
}

// TestMembers: with Options.Members the host, port and dbname come from
// the credential (an AWS RDS secret), over the configuration's.
func TestMembers(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw0")
	if err := pg.Exec("CREATE DATABASE appdb OWNER app;"); err != nil {
		t.Fatal(err)
	}
	members := map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(pg.Port()), "dbname": "appdb", "engine": "postgres"}
	f := newFakeLive(runtime.NewCredential("app", "pw0", members, nil))
	cfg, err := pgxpool.ParseConfig("host=192.0.2.1 port=1 dbname=postgres sslmode=disable connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := New(ctx, cfg, f.source(), &Options{Members: true, CheckInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, p)
	var db string
	if err := p.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil || db != "appdb" {
		t.Fatalf("current_database() = %q, %v; want appdb", db, err)
	}

	bad := newFakeLive(runtime.NewCredential("app", "pw0", map[string]string{"port": "x5432"}, nil))
	p2, err := New(ctx, cfg, bad.source(), &Options{Members: true, CheckInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, p2)
	if err := p2.Ping(ctx); err == nil || !strings.Contains(err.Error(), "port member") {
		t.Fatalf("Ping with a bad port member: %v", err)
	}
}

// TestNewErrors: a missing Current or configuration is an error that says
// what to give.
func TestNewErrors(t *testing.T) {
	cfg, err := pgxpool.ParseConfig("host=127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  *pgxpool.Config
		src  Source
		want string
	}{
		{"no Current", cfg, Source{}, "Source.Current is nil"},
		{"no config", nil, Source{Current: func() runtime.Credential { return runtime.Credential{} }}, "pgxpool.ParseConfig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(context.Background(), tc.cfg, tc.src, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestUserHooksKept: the hooks of the configuration passed to New still
// run beside the pool's: BeforeConnect before the credential is set (it
// cannot change the login), AfterConnect, the deprecated BeforeAcquire
// (PrepareConn unset), AfterRelease and BeforeClose; a user's refusal
// closes the connection like the pool's own.
func TestUserHooksKept(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw0")
	f := newFakeLive(runtime.NewCredential("app", "pw0", nil, lease(time.Now(), time.Hour)))
	cfg := poolConfig(t, pg, 1)
	var before, after, acquire, release, closed atomic.Int64
	var refuse atomic.Bool
	cfg.BeforeConnect = func(_ context.Context, cc *pgx.ConnConfig) error {
		before.Add(1)
		cc.User, cc.Password = "someone-else", "wrong"
		return nil
	}
	cfg.AfterConnect = func(context.Context, *pgx.Conn) error { after.Add(1); return nil }
	//lint:ignore SA1019 a user's deprecated hook must still run
	cfg.BeforeAcquire = func(context.Context, *pgx.Conn) bool { acquire.Add(1); return true }
	cfg.AfterRelease = func(*pgx.Conn) bool { release.Add(1); return !refuse.Load() }
	cfg.BeforeClose = func(*pgx.Conn) { closed.Add(1) }
	ctx := context.Background()
	p, err := New(ctx, cfg, f.source(), &Options{CheckInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, p)
	var user string
	if err := p.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil || user != "app" {
		t.Fatalf("current_user %q, %v: the user's BeforeConnect changed the login", user, err)
	}
	waitFor(t, "the connection back in the pool", func() bool { return p.Stat().IdleConns() == 1 })
	refuse.Store(true)
	if _, err := p.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	l := f.live.Load().Lease()
	waitFor(t, "the connection the user's AfterRelease refused to be closed", func() bool { return closed.Load() == 1 && l.Holds() == 0 })
	if before.Load() != 1 || after.Load() != 1 || acquire.Load() != 2 || release.Load() != 2 {
		t.Fatalf("hooks ran: BeforeConnect %d, AfterConnect %d, BeforeAcquire %d, AfterRelease %d; want 1, 1, 2, 2",
			before.Load(), after.Load(), acquire.Load(), release.Load())
	}
}

// TestIdleCheckLeavesBusyPoolAlone: a stale connection a caller holds does
// not make the idle check take the idle connections (which would make
// concurrent acquires open new ones); it is closed when released.
func TestIdleCheckLeavesBusyPoolAlone(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw0")
	f := newFakeLive(runtime.NewCredential("app", "pw0", nil, lease(time.Now(), time.Hour)))
	cfg := poolConfig(t, pg, 2)
	var prepared atomic.Int64
	cfg.PrepareConn = func(context.Context, *pgx.Conn) (bool, error) { prepared.Add(1); return true, nil }
	ctx := context.Background()
	p, err := New(ctx, cfg, f.source(), &Options{CheckInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, p)
	c1, err := p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := f.live.Load().Lease()
	f.rotate(runtime.NewCredential("app", "pw0", nil, lease(time.Now(), time.Hour)))
	f.poll()
	c2, err := p.Acquire(ctx)
	if err != nil {
		c1.Release()
		t.Fatal(err)
	}
	c2.Release()
	waitFor(t, "the fresh connection back in the pool", func() bool { return p.Stat().IdleConns() == 1 })
	n, checks := prepared.Load(), p.checks.Load()
	waitFor(t, "20 idle checks", func() bool { return p.checks.Load() >= checks+20 })
	if got := prepared.Load(); got != n {
		t.Errorf("the idle check took the idle connections %d times while only a held connection was stale", got-n)
	}
	c1.Release()
	waitFor(t, "the stale connection closed on release", func() bool { return old.Holds() == 0 })
}

// TestCloseLeavesNoGoroutines: Close stops the idle check and pgxpool's
// goroutines, and releases every hold, also of connections opened by the
// pool in the background (MinConns).
func TestCloseLeavesNoGoroutines(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw0")
	f := newFakeLive(runtime.NewCredential("app", "pw0", nil, lease(time.Now(), time.Hour)))
	ignore := goleak.IgnoreCurrent()
	cfg := poolConfig(t, pg, 4)
	cfg.MinConns = 2
	ctx := context.Background()
	p, err := New(ctx, cfg, f.source(), &Options{CheckInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "MinConns connections", func() bool { return p.Stat().TotalConns() >= 2 })
	p.Close()
	if h := f.live.Load().Lease().Holds(); h != 0 {
		t.Errorf("after Close the lease has %d holds", h)
	}
	leaktest.VerifyNone(t, ignore)
}
