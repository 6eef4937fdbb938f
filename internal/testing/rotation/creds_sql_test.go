package rotation_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dashtam/secretsgen/internal/testing/rotation/creds"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/sqlcred"
)

// TestCredsAWSDatabaseSQL (proof d): the single-user rotations of proof c
// with database/sql: a *sql.DB over runtime/sqlcred's Connector (the pgx
// stdlib driver, the DSN made from the credential's members) following
// database/rds. No query fails; logins rejected in a rotation's window
// are retried with AWSPENDING.
func TestCredsAWSDatabaseSQL(t *testing.T) {
	pg := testenv.StartPostgres(t)
	ms := startMoto(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	const role = "rds_sql"
	pass := randomPassword(t)
	pg.CreateRole(t, role, pass)
	r := newCredRig(t, pg, ms, "sql", map[string]string{creds.PathDatabaseRds: rdsSecret(pg, role, pass)})
	live := r.watch(t, ctx, pollInterval)

	s := &awsService{}
	cn, err := sqlcred.NewConnector(sqlcred.Config{
		Source: sqlcred.Source{
			Current: func() runtime.Credential { return live.Settings().Database.Rds },
			Refresh: func(ctx context.Context) error { return live.RefreshNow(ctx, creds.PathDatabaseRds) },
		},
		Driver: stdlib.GetDefaultDriver(),
		DSN: func(c runtime.Credential) string {
			host, _ := c.Member("host")
			port, _ := c.Member("port")
			db, _ := c.Member("dbname")
			u := url.URL{Scheme: "postgres", User: url.UserPassword(c.Username, c.Password.Reveal()),
				Host: host + ":" + port, Path: "/" + db, RawQuery: "sslmode=disable"}
			return u.String()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(cn)
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(credWorkers)
	db.SetMaxIdleConns(credWorkers)
	db.SetConnMaxLifetime(connLifetime) // every rotation meets new logins
	db.SetConnMaxIdleTime(time.Second)
	s.query = func(ctx context.Context) error {
		c, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		var n int
		if err := c.QueryRowContext(ctx, "select 1").Scan(&n); err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("select 1 returned %d", n)
		}
		// The login this connection made, for the first-login times.
		return c.Raw(func(dc any) error {
			if cred, ok := sqlcred.Credential(dc); ok {
				s.noteConn(cred.Username, cred.Password.Reveal(), r.batches.Load())
			}
			return nil
		})
	}
	stop := s.start(t, ctx)
	n := max(rotations()/2, 2)
	afterSet, afterFinish := singleUserRotations(t, r, s, creds.PathDatabaseRds, role, n)
	stop()
	st := cn.Stats()
	t.Logf("proof d sql single: rotations=%d queries=%d failed=%d login_retries=%d opened=%d first_new_conn_after_setSecret=%v first_new_conn_after_finishSecret=%v",
		n, s.queries.Load(), s.failed.Load(), st.LoginRetries, st.Opened, roundAll(afterSet), roundAll(afterFinish))
	if f := s.failed.Load(); f != 0 {
		t.Errorf("%d queries failed; first: %v", f, s.errs)
	}
	if st.LoginRetries == 0 {
		t.Error("no login was rejected and retried: no rotation met a new connection in its window, the proof shows nothing")
	}
}
