package rotation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/internal/testing/rotation/creds"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/pgxcred"
)

// The credential proofs on Secrets Manager (moto) and PostgreSQL: a
// service whose pgx pool (runtime/pgxcred) follows the database/rds or
// database/rds_multi credential of a Live over the aws backend, with
// credWorkers goroutines sending queries, while a rotation function's four
// steps run against moto and the database. -creds.long (make creds) runs
// more rotations.

const (
	// credWorkers is the number of goroutines sending queries.
	credWorkers = 8
	// credCoolDown is the Live's RefreshNow cool-down: shorter than the
	// default so that several rotations fit in a short run (rotations are
	// further apart than it).
	credCoolDown = time.Second
	// stepGap is the time between two steps of a rotation function.
	stepGap = 500 * time.Millisecond
)

// rotations is how many rotations in a row each proof runs: 3, and 20
// with -creds.long (make creds).
func rotations() int {
	if *credsLong {
		return 20
	}
	return 3
}

// rdsSecret is a secret in the RDS rotation format.
func rdsSecret(pg *testenv.Postgres, user, pass string) string {
	b, err := json.Marshal(map[string]any{"engine": "postgres", "host": "127.0.0.1", "port": pg.Port(),
		"username": user, "password": pass, "dbname": "postgres"})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// credRig is one environment of package creds on moto, with the
// PostgreSQL server the credentials log in to.
type credRig struct {
	pg  *testenv.Postgres
	ms  *motoServer
	env string
	// batches counts the BatchGetSecretValue requests of the Live's
	// client: one per poll (its secrets in one call).
	batches atomic.Int64
}

// countingTransport counts the BatchGetSecretValue requests it sends.
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("X-Amz-Target") == "secretsmanager.BatchGetSecretValue" {
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}

// newCredRig seeds env's secrets (the manifest's other entries are
// optional and absent).
func newCredRig(t *testing.T, pg *testenv.Postgres, ms *motoServer, env string, values map[string]string) *credRig {
	r := &credRig{pg: pg, ms: ms, env: env}
	for p, v := range values {
		r.ms.put(t, r.id(p), v)
	}
	return r
}

func (r *credRig) id(path string) string { return "/" + creds.App + "/" + r.env + "/" + path }

// watch returns a Live of package creds over the aws backend polling every
// poll; it is closed when t ends.
func (r *credRig) watch(t *testing.T, ctx context.Context, poll time.Duration) *creds.Live {
	t.Helper()
	hc := &http.Client{Timeout: clientTimeout, Transport: countingTransport{next: http.DefaultTransport.(*http.Transport).Clone(), n: &r.batches}}
	client := secretsmanager.New(secretsmanager.Options{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(r.ms.Endpoint()), RetryMaxAttempts: 1, HTTPClient: hc,
	})
	live, err := creds.Watch(ctx, runtime.NewCache(awssm.New(client, creds.App, r.env, nil), nil),
		&runtime.LiveOptions{PollInterval: poll, CoolDown: credCoolDown, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = live.Close(); hc.CloseIdleConnections() })
	return live
}

// login is one connection the database accepted.
type login struct {
	user, pass string
	at         time.Time
	batches    int64 // polls the Live had sent by then
}

// awsService sends queries from credWorkers goroutines and records
// every query's outcome and every login.
type awsService struct {
	query           func(ctx context.Context) error
	queries, failed atomic.Int64

	mu     sync.Mutex
	logins []login
	errs   []error
}

func (s *awsService) loggedIn(user, pass string, batches int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins = append(s.logins, login{user: user, pass: pass, at: time.Now(), batches: batches})
}

// noteConn records a query served on a connection that logged in as user
// with pass, as a login when it is the first one seen with them (for
// database/sql, which has no connect hook).
func (s *awsService) noteConn(user, pass string, batches int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.logins {
		if l.user == user && l.pass == pass {
			return
		}
	}
	s.logins = append(s.logins, login{user: user, pass: pass, at: time.Now(), batches: batches})
}

// first returns the first login as user with pass.
func (s *awsService) first(user, pass string) (login, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.logins {
		if l.user == user && l.pass == pass {
			return l, true
		}
	}
	return login{}, false
}

// loginsSince returns the logins after t.
func (s *awsService) loginsSince(t time.Time) []login {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []login
	for _, l := range s.logins {
		if l.at.After(t) {
			out = append(out, l)
		}
	}
	return out
}

// run sends queries until ctx is done; wait waits for the workers.
func (s *awsService) run(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	for range credWorkers {
		wg.Go(func() {
			for ctx.Err() == nil {
				qctx, cancel := context.WithTimeout(ctx, eventually)
				err := s.query(qctx)
				cancel()
				switch {
				case err == nil:
					s.queries.Add(1)
				case ctx.Err() != nil: // the run ended during the query
				default:
					s.failed.Add(1)
					s.mu.Lock()
					if len(s.errs) < 3 {
						s.errs = append(s.errs, err)
					}
					s.mu.Unlock()
				}
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	return wg.Wait
}

// start runs s until the test ends and waits for its first queries.
func (s *awsService) start(t *testing.T, ctx context.Context) (stop func()) {
	t.Helper()
	runCtx, cancel := context.WithCancel(ctx)
	wait := s.run(runCtx)
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wait() }) }
	t.Cleanup(stop)
	if !waitFor(eventually, func() bool { return s.queries.Load() >= 50 }) {
		t.Fatalf("the service served %d queries in %v before the rotations (failed %d: %v)", s.queries.Load(), eventually, s.failed.Load(), s.errs)
	}
	return stop
}

// pgxService returns a service whose pool follows the credential at path
// of live: connections live connLifetime, so every rotation meets new
// logins.
func (r *credRig) pgxService(t *testing.T, ctx context.Context, live *creds.Live, path string, opts *pgxcred.Options) (*awsService, *pgxcred.Pool) {
	t.Helper()
	cur := func() runtime.Credential { return live.Settings().Database.Rds }
	if path == creds.PathDatabaseRdsMulti {
		cur = func() runtime.Credential { return live.Settings().Database.RdsMulti }
	}
	s := &awsService{}
	cfg, err := pgxpool.ParseConfig("host=127.0.0.1 port=1 dbname=unset sslmode=disable") // host, port, dbname: the secret's members
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = credWorkers
	cfg.MaxConnLifetime = connLifetime
	cfg.MaxConnLifetimeJitter = 0
	cfg.HealthCheckPeriod = 100 * time.Millisecond
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		s.loggedIn(c.Config().User, c.Config().Password, r.batches.Load())
		return nil
	}
	if opts == nil {
		opts = &pgxcred.Options{}
	}
	opts.Members = true
	pool, err := pgxcred.New(ctx, cfg, pgxcred.Source{
		Current: cur,
		Refresh: func(ctx context.Context) error { return live.RefreshNow(ctx, path) },
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s.query = func(ctx context.Context) error {
		var n int
		if err := pool.QueryRow(ctx, "select 1").Scan(&n); err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("select 1 returned %d", n)
		}
		return nil
	}
	return s, pool
}

// finishSecret moves AWSCURRENT to the staged text. A rotation function
// calls UpdateSecretVersionStage, but moto 5.2.1 keeps serving the old
// version to GetSecretValue and BatchGetSecretValue after it (it does not
// move its default version with the label), so here a PutSecretValue of
// the same text makes it current: readers see what they see after a real
// finishSecret, under another VersionId.
func (r *credRig) finishSecret(t *testing.T, path, text string) {
	t.Helper()
	r.ms.put(t, r.id(path), text)
}

// testLogin is a rotation function's testSecret: a login with the pending
// credential.
func testLogin(t *testing.T, pg *testenv.Postgres, user, pass string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), eventually)
	defer cancel()
	c, err := pgx.Connect(ctx, pg.URL(user, pass))
	if err != nil {
		t.Fatalf("testSecret: the pending credential of %s does not log in: %v", user, err)
	}
	_ = c.Close(ctx)
}

// singleUserRotations runs n single-user rotations of the secret at path
// (role's password) in a rotation function's order and returns, per
// rotation, the time from setSecret and from finishSecret to the first
// login with the new password (negative: before finishSecret).
func singleUserRotations(t *testing.T, r *credRig, s *awsService, path, role string, n int) (afterSet, afterFinish []time.Duration) {
	t.Helper()
	for i := range n {
		pass := randomPassword(t)
		// createSecret: the new password staged as AWSPENDING.
		text := rdsSecret(r.pg, role, pass)
		r.ms.stage(t, r.id(path), text)
		time.Sleep(stepGap)
		// setSecret: the database takes it; AWSCURRENT still has the old
		// one, so new logins with it are rejected (28P01) from now on.
		setAt := time.Now()
		r.pg.SetPassword(t, role, pass)
		// testSecret.
		testLogin(t, r.pg, role, pass)
		time.Sleep(stepGap)
		// finishSecret: AWSCURRENT moves to the new version.
		finishAt := time.Now()
		r.finishSecret(t, path, text)
		if !waitFor(eventually, func() bool { _, ok := s.first(role, pass); return ok }) {
			t.Fatalf("rotation %d: no login with the new password within %v (queries %d, failed %d: %v)", i, eventually, s.queries.Load(), s.failed.Load(), s.errs)
		}
		first, _ := s.first(role, pass)
		afterSet = append(afterSet, first.at.Sub(setAt))
		afterFinish = append(afterFinish, first.at.Sub(finishAt))
		// Rotations are further apart than the cool-down and a few polls.
		time.Sleep(2 * credCoolDown)
	}
	return afterSet, afterFinish
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// TestCredsAWSSingleUser (proof c, single user): the RDS single-user
// rotation of database/rds, several in a row, with the pool following the
// credential: no query fails. Between setSecret and finishSecret a new
// login with the old password is rejected; the pool asks the Live at once
// (RefreshNow), which reads AWSPENDING, so the first login with the new
// password comes before finishSecret (logged: a negative time after it).
func TestCredsAWSSingleUser(t *testing.T) {
	pg := testenv.StartPostgres(t)
	ms := startMoto(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	const role = "rds_single"
	pass := randomPassword(t)
	pg.CreateRole(t, role, pass)
	r := newCredRig(t, pg, ms, "single", map[string]string{
		creds.PathDatabaseRds:      rdsSecret(pg, role, pass),
		creds.PathDatabaseRdsMulti: rdsSecret(pg, role, pass),
	})
	live := r.watch(t, ctx, pollInterval)
	s, pool := r.pgxService(t, ctx, live, creds.PathDatabaseRds, nil)
	stop := s.start(t, ctx)
	n := rotations()
	afterSet, afterFinish := singleUserRotations(t, r, s, creds.PathDatabaseRds, role, n)
	stop()
	st := pool.Stats()
	t.Logf("proof c single: rotations=%d queries=%d failed=%d login_retries=%d opened=%d first_new_conn_after_setSecret=%v first_new_conn_after_finishSecret=%v",
		n, s.queries.Load(), s.failed.Load(), st.LoginRetries, st.Opened, roundAll(afterSet), roundAll(afterFinish))
	if f := s.failed.Load(); f != 0 {
		t.Errorf("%d queries failed; first: %v", f, s.errs)
	}
	// Whether a new login fell in a rotation's window (between setSecret
	// and finishSecret) depends on the machine's pace; across the
	// rotations some must have, and been retried with AWSPENDING.
	if st.LoginRetries == 0 {
		t.Error("no login was rejected and retried: no rotation met a new connection in its window, the proof shows nothing")
	}
	if got := live.Settings().Database.Rds; got.Username != role {
		t.Errorf("the Live's credential is for %q, want %q", got.Username, role)
	}
	if st := live.Status(); !st.OK() {
		t.Errorf("Status after the rotations is not OK: %+v", st)
	}
}

// TestCredsAWSMultiUser (proof c, multi user): the RDS alternating-users
// rotation of database/rds_multi. createSecret stages the other user with
// a new password, setSecret creates that user (a clone) or changes its
// password, finishSecret moves AWSCURRENT; the user in use keeps its
// password, so no login is ever rejected and the pool moves to the new
// user once a poll sees AWSCURRENT move. No query fails, the new user is
// seen by the first poll after finishSecret, and logged in before the
// next poll.
func TestCredsAWSMultiUser(t *testing.T) {
	pg := testenv.StartPostgres(t)
	ms := startMoto(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	users := [2]string{"rds_multi", "rds_multi_clone"}
	pass := randomPassword(t)
	pg.CreateRole(t, users[0], pass)
	r := newCredRig(t, pg, ms, "multi", map[string]string{
		creds.PathDatabaseRds:      rdsSecret(pg, users[0], pass),
		creds.PathDatabaseRdsMulti: rdsSecret(pg, users[0], pass),
	})
	const poll = time.Second // one poll at a time, far apart from the next
	live := r.watch(t, ctx, poll)
	s, pool := r.pgxService(t, ctx, live, creds.PathDatabaseRdsMulti, nil)
	stop := s.start(t, ctx)
	n := rotations()
	var polls []int64
	var afterFinish []time.Duration
	cloned := false
	for i := range n {
		user := users[(i+1)%2] // the other user
		pass := randomPassword(t)
		// createSecret: the other user with a new password, AWSPENDING.
		text := rdsSecret(pg, user, pass)
		r.ms.stage(t, r.id(creds.PathDatabaseRdsMulti), text)
		time.Sleep(stepGap)
		// setSecret: the other user gets that password (created as a
		// clone the first time); the user in use is not touched.
		if !cloned {
			pg.CreateRole(t, user, pass)
			cloned = true
		} else {
			pg.SetPassword(t, user, pass)
		}
		testLogin(t, pg, user, pass) // testSecret
		time.Sleep(stepGap)
		finishAt := time.Now()
		before := r.batches.Load()
		r.finishSecret(t, creds.PathDatabaseRdsMulti, text)
		if !waitFor(eventually, func() bool { _, ok := s.first(user, pass); return ok }) {
			t.Fatalf("rotation %d: no login as the new user within %v (queries %d, failed %d: %v; the Live has user %s; status %+v)", i, eventually, s.queries.Load(), s.failed.Load(), s.errs, live.Settings().Database.RdsMulti.Username, live.Status())
		}
		first, _ := s.first(user, pass)
		polls = append(polls, first.batches-before)
		afterFinish = append(afterFinish, first.at.Sub(finishAt))
		// No login as the old user once the new one is in use (a login
		// that read the old credential before the swap may complete just
		// after the first one as the new user: a second later none may).
		time.Sleep(2 * poll)
		for _, l := range s.loginsSince(first.at.Add(time.Second)) {
			if l.user != user {
				t.Errorf("rotation %d: a login as the old user %s a second after the first as the new one", i, l.user)
				break
			}
		}
	}
	stop()
	st := pool.Stats()
	t.Logf("proof c multi: rotations=%d queries=%d failed=%d login_retries=%d opened=%d polls_finishSecret_to_new_user=%v first_new_conn_after_finishSecret=%v",
		n, s.queries.Load(), s.failed.Load(), st.LoginRetries, st.Opened, polls, roundAll(afterFinish))
	if f := s.failed.Load(); f != 0 {
		t.Errorf("%d queries failed; first: %v", f, s.errs)
	}
	if st.LoginRetries != 0 {
		t.Errorf("%d logins were rejected and retried; the old user keeps its password in a multi-user rotation", st.LoginRetries)
	}
	// "Within one poll": the first poll that starts after finishSecret
	// sees it. A poll already under way at finishSecret is counted here
	// too (its request reaches the server after it) but read the old
	// stages, so a loaded machine may count 2; more would be a poll that
	// saw the move and did not swap.
	for i, p := range polls {
		if p < 1 || p > 2 {
			t.Errorf("rotation %d: the first login as the new user came after %d polls since finishSecret, want the first poll that started after it (1, or 2 when one was under way)", i, p)
		}
	}
}
