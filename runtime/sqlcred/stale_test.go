package sqlcred

import (
	"context"
	"database/sql"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// TestRetryStaleRejection: a login rejected while the source moved to a
// newer credential (the login used the older one) is tried again with the
// newer one without calling Source.Refresh, which a Live takes as a
// refusal of the credential in use.
func TestRetryStaleRejection(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw1")
	f := newFakeLive(runtime.NewCredential("app", "pw0", nil, nil)) // the database has pw1 already
	var calls atomic.Int64
	dsn := dsnFor(pg)
	cn, err := NewConnector(Config{Source: f.source(), Driver: stdlib.GetDefaultDriver(), LoginRetries: 2,
		DSN: func(c runtime.Credential) string {
			if calls.Add(1) == 1 {
				// The source moves after this login read pw0.
				f.rotate(runtime.NewCredential("app", "pw1", nil, nil))
				f.poll()
			}
			return dsn(c)
		}})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(cn)
	defer db.Close()
	var user string
	if err := db.QueryRowContext(context.Background(), "SELECT current_user").Scan(&user); err != nil || user != "app" {
		t.Fatalf("query: %q, %v", user, err)
	}
	if n := f.refreshes.Load(); n != 0 {
		t.Errorf("%d refreshes after a rejection of a credential the source had replaced, want 0", n)
	}
	if st := cn.Stats(); st.LoginRetries != 1 {
		t.Errorf("LoginRetries = %d, want 1", st.LoginRetries)
	}
}
