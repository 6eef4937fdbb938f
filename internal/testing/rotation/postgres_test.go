package rotation_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

const (
	// pollInterval is the Live's poll interval in these tests.
	pollInterval = 300 * time.Millisecond
	// rotationGap is the time between the two halves of a rotation (the
	// database's ALTER ROLE and the secret's new version).
	rotationGap = 2 * time.Second
	// connLifetime is the pool's MaxConnLifetime: connections are replaced
	// all the time, so every rotation meets new connections.
	connLifetime = 250 * time.Millisecond
	// workers is the number of goroutines sending queries.
	workers = 4
)

// service sends a steady stream of queries through a pgx pool from several
// goroutines and records what happened.
type service struct {
	pool  *pgxpool.Pool
	query func(ctx context.Context) error // one request

	served, failed, rejected atomic.Int64 // requests served and failed; logins rejected with 28P01

	mu       sync.Mutex
	firstOK  map[string]time.Time // password -> first login with it that the server accepted
	lastFail time.Time
	errs     []error // the first failures
	servedAt []time.Time
}

// instrument makes cfg record, per password, the first connection the
// server accepted.
func (s *service) instrument(cfg *pgxpool.Config) {
	s.firstOK = map[string]time.Time{}
	cfg.MaxConns = workers
	cfg.MaxConnLifetime = connLifetime
	cfg.MaxConnLifetimeJitter = 0
	cfg.HealthCheckPeriod = 100 * time.Millisecond
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.firstOK[c.Config().Password]; !ok {
			s.firstOK[c.Config().Password] = time.Now()
		}
		return nil
	}
}

// selectOne is the query of each request; a login rejected with 28P01 is
// counted.
func (s *service) selectOne(ctx context.Context) error {
	var n int
	err := s.pool.QueryRow(ctx, "select 1").Scan(&n)
	if isInvalidPassword(err) {
		s.rejected.Add(1)
	}
	if err == nil && n != 1 {
		err = fmt.Errorf("select 1 returned %d", n)
	}
	return err
}

func isInvalidPassword(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "28P01"
}

// run sends requests from workers goroutines, each waiting up to timeout,
// until ctx is done.
func (s *service) run(ctx context.Context, timeout time.Duration) (wait func()) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				rctx, cancel := context.WithTimeout(ctx, timeout)
				err := s.query(rctx)
				cancel()
				now := time.Now()
				switch {
				case err == nil:
					s.served.Add(1)
					s.mu.Lock()
					s.servedAt = append(s.servedAt, now)
					s.mu.Unlock()
				case ctx.Err() != nil: // the run ended during the request
				default:
					s.failed.Add(1)
					s.mu.Lock()
					s.lastFail = now
					if len(s.errs) < 3 {
						s.errs = append(s.errs, err)
					}
					s.mu.Unlock()
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	return wg.Wait
}

func (s *service) firstLogin(password string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.firstOK[password]
	return at, ok
}

func (s *service) servedAfter(t time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, at := range s.servedAt {
		if at.After(t) {
			n++
		}
	}
	return n
}

// TestPostgresRotation serves queries from a pgx pool on a real PostgreSQL
// while the password of its role is rotated: the RDS way (ALTER ROLE, then
// the secret two seconds later) with the vault CLI and with Secrets
// Manager's PutSecretValue on moto, and the other way round (the secret
// first). With the password from a Live no query fails and new connections
// use the new password (the test logs how soon after the later half of the
// rotation: within one poll interval on a quiet machine; it waits for it,
// as for every event here, up to a minute, which only a hang reaches). The
// same scenario with the password read once by Load fails queries, and
// keeps failing after the secret has the new password.
func TestPostgresRotation(t *testing.T) {
	pg := testenv.StartPostgres(t)
	vs := startVault(t)
	ms := startMoto(t)
	vault := func(env string) backend { return vs.backend(env, nil) }
	aws := func(env string) backend { return ms.backend(env, nil) }
	cases := []struct {
		name        string
		backend     func(env string) backend
		secretFirst bool // the secret's half before the database's
		staged      bool // AWS's own order: AWSPENDING, the database, AWSCURRENT (with LiveOptions.Pending)
		oneShot     bool // settings from one gen.Load, no Live
		mustWatch   bool // gen.MustWatch configured by the environment, else gen.Watch
		poll        time.Duration
		coolDown    time.Duration
	}{
		{name: "vault/database-first/MustWatch", backend: vault, mustWatch: true, poll: pollInterval},
		{name: "aws/database-first", backend: aws, poll: pollInterval},
		{name: "aws/secret-first", backend: aws, secretFirst: true, poll: pollInterval},
		{name: "vault/secret-first", backend: vault, secretFirst: true, poll: pollInterval},
		// No poll during the test: the new password can only come from
		// RefreshNow after a rejected login.
		{name: "vault/database-first/RefreshNow-only", backend: vault, poll: time.Hour, coolDown: 500 * time.Millisecond},
		{name: "aws/staged-AWSPENDING/RefreshNow-only", backend: aws, staged: true, poll: time.Hour},
		{name: "one-shot-load/vault/database-first", backend: vault, oneShot: true},
		{name: "one-shot-load/aws/database-first", backend: aws, oneShot: true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			role := fmt.Sprintf("app%d", i)
			b := c.backend(fmt.Sprintf("rotation%d", i))
			oldPass, newPass := randomPassword(t), randomPassword(t)
			pg.CreateRole(t, role, oldPass)
			oldURL := pg.URL(role, oldPass)
			b.seed(t, seedValues(oldURL))
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
			defer cancel()

			s := &service{}
			var cfg *pgxpool.Config
			var live *gen.Live
			var swapped atomic.Pointer[time.Time] // when the Live swapped in the new database URL
			if c.oneShot {
				// The one-shot way: the settings are loaded once at start.
				cache := b.cache(t)
				defer cache.Close()
				settings, err := gen.Load(ctx, cache)
				if err != nil {
					t.Fatal(err)
				}
				if cfg, err = pgxpool.ParseConfig(settings.Database.URL.Reveal().String()); err != nil {
					t.Fatal(err)
				}
				s.query = s.selectOne
			} else {
				if c.mustWatch {
					t.Setenv("SECRETS_BACKEND", b.name)
					t.Setenv("ENVIRONMENT", b.env)
					t.Setenv("VAULT_ADDR", vs.Addr())
					t.Setenv("VAULT_TOKEN", vs.RootToken())
					t.Setenv("SECRETS_POLL_INTERVAL", pollInterval.String())
					live = gen.MustWatch(ctx)
					if st := live.Status(); st.Backend != b.name || st.PollInterval != pollInterval {
						t.Fatalf("MustWatch: backend %s, poll interval %v; want %s, %v", st.Backend, st.PollInterval, b.name, pollInterval)
					}
				} else {
					var err error
					// The AWS adapter offers AWSPENDING itself (runtime.Pender).
					opts := &runtime.LiveOptions{PollInterval: c.poll, CoolDown: c.coolDown, CloseProvider: true}
					live, err = gen.Watch(ctx, b.cache(t), opts)
					if err != nil {
						t.Fatal(err)
					}
				}
				defer live.Close()
				live.OnChange(func(_, _ *gen.Settings, changed []string) {
					if slices.Contains(changed, gen.PathDatabaseURL) {
						now := time.Now()
						swapped.CompareAndSwap(nil, &now)
					}
				})
				var err error
				if cfg, err = poolConfig(live); err != nil {
					t.Fatal(err)
				}
				s.query = func(ctx context.Context) error { return withAuthRetry(ctx, live, s.selectOne) }
			}
			s.instrument(cfg)
			pool, err := pgxpool.NewWithConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			s.pool = pool

			runCtx, stop := context.WithCancel(ctx)
			timeout := eventually // a query waits out the rotation: only a hang may fail it
			if c.oneShot {
				timeout = 5 * time.Second
			}
			wait := s.run(runCtx, timeout)
			defer func() { stop(); wait() }()
			if !waitFor(eventually, func() bool { return s.served.Load() >= 20 }) {
				t.Fatalf("the service served %d queries in %v before the rotation (failed %d: %v)", s.served.Load(), eventually, s.failed.Load(), s.errs)
			}

			// The rotation: the two halves rotationGap apart.
			alter := func() time.Time { pg.SetPassword(t, role, newPass); return time.Now() }
			var secretStart, secretDone time.Time
			put := func() time.Time {
				secretStart = time.Now()
				b.rotate(t, gen.PathDatabaseURL, withPassword(t, oldURL, newPass))
				secretDone = time.Now()
				return secretDone
			}
			var done, altered, finishStart time.Time
			switch {
			case c.staged:
				// A Secrets Manager rotation function: createSecret stages
				// the new value as AWSPENDING, setSecret changes the
				// database, finishSecret moves AWSCURRENT a little later.
				secretStart = time.Now()
				finish := b.stage(t, gen.PathDatabaseURL, withPassword(t, oldURL, newPass))
				secretDone = time.Now()
				time.Sleep(time.Second)
				altered = alter()
				time.Sleep(rotationGap)
				// AWSCURRENT moves once the new password is in use: it
				// must come from AWSPENDING, however long that takes.
				waitFor(eventually, func() bool { _, ok := s.firstLogin(newPass); return ok })
				finishStart = time.Now()
				finish(t)
				done = altered // the database half decides: the pending value is read then
			case c.secretFirst:
				put()
				time.Sleep(rotationGap)
				altered = alter()
				done = altered
			default:
				altered = alter()
				time.Sleep(rotationGap)
				done = put()
			}

			if c.oneShot {
				// Serve on until a query fails more than a second after the
				// rotation: the one-shot settings never learn the new
				// password, so the queries keep failing.
				waitFor(eventually, func() bool {
					s.mu.Lock()
					defer s.mu.Unlock()
					return s.lastFail.After(done.Add(time.Second))
				})
				stop()
				wait()
				t.Logf("%s: %d queries served, %d failed, %d logins rejected (28P01)", c.name, s.served.Load(), s.failed.Load(), s.rejected.Load())
				if s.failed.Load() == 0 {
					t.Fatal("the service with one-shot settings served the whole rotation without a failure; the test shows nothing")
				}
				for _, err := range s.errs {
					if !isInvalidPassword(err) {
						t.Errorf("a failure was not a rejected password: %v", err)
					}
				}
				if _, ok := s.firstLogin(newPass); ok {
					t.Error("the one-shot settings logged in with the new password")
				}
				s.mu.Lock()
				lastFail := s.lastFail
				s.mu.Unlock()
				if !lastFail.After(done.Add(time.Second)) {
					t.Errorf("the last failure was %v after the rotation: the one-shot service recovered", lastFail.Sub(done))
				}
				return
			}

			if !waitFor(eventually, func() bool { _, ok := s.firstLogin(newPass); return ok }) {
				t.Fatalf("no connection logged in with the new password within %v of the rotation (served %d, failed %d, rejected logins %d)", eventually, s.served.Load(), s.failed.Load(), s.rejected.Load())
			}
			// Serve on with the new password.
			newAt, _ := s.firstLogin(newPass)
			waitFor(eventually, func() bool { return s.servedAfter(newAt) >= 10 })
			stop()
			wait()

			var seen, afterAlter time.Duration = -1, -1
			if p := swapped.Load(); p != nil {
				seen, afterAlter = p.Sub(secretStart), p.Sub(altered)
			}
			t.Logf("%s: %d queries served, %d failed, %d logins rejected (28P01) and retried; secret write took %v; Live swapped the new URL in %v after the write started (%v after the ALTER ROLE); first login with the new password %v after the rotation completed (%v after the secret write started)",
				c.name, s.served.Load(), s.failed.Load(), s.rejected.Load(), secretDone.Sub(secretStart).Round(time.Millisecond),
				seen.Round(time.Millisecond), afterAlter.Round(time.Millisecond), newAt.Sub(done).Round(time.Millisecond), newAt.Sub(secretStart).Round(time.Millisecond))
			if n := s.failed.Load(); n != 0 {
				t.Errorf("%d queries failed during the rotation; first: %v", n, s.errs)
			}
			// How soon the new password was in use after the completed
			// rotation (within one poll interval, or the cool-down and one
			// retry delay when the Live does not poll) is logged above, not
			// checked: a busy machine delays it. That it came at all, with
			// no failed query, is checked.
			if c.staged && !newAt.Before(finishStart) {
				t.Errorf("the new password was first used %v after AWSCURRENT moved; with AWSPENDING read by RefreshNow it should be in use before", newAt.Sub(finishStart))
			}
			if seen < 0 {
				t.Error("OnChange never reported the new database URL")
			}
			if n := s.servedAfter(newAt); n < 10 {
				t.Errorf("only %d queries were served after the new password was in use", n)
			}
			if u := live.Settings().Database.URL.Reveal(); u.String() != withPassword(t, oldURL, newPass) {
				t.Error("the Live's database URL is not the rotated one")
			}
			if st := live.Status(); !st.OK() {
				t.Errorf("Status after the rotation is not OK: %+v", st)
			}
		})
	}
}
