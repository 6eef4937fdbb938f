package pgxcred

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// TestRetryStaleRejection: a login rejected while the source moved to a
// newer credential (the login used the older one) is tried again with the
// newer one without calling Source.Refresh, which a Live takes as a
// refusal of the credential in use (it would drop a pending version the
// database does want).
func TestRetryStaleRejection(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw1")
	f := newFakeLive(runtime.NewCredential("app", "pw0", nil, nil)) // the database has pw1 already
	cfg := poolConfig(t, pg, 1)
	var dials atomic.Int64
	d := &net.Dialer{}
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			// The source moves after this login read pw0.
			f.rotate(runtime.NewCredential("app", "pw1", nil, nil))
			f.poll()
		}
		return d.DialContext(ctx, network, addr)
	}
	p, err := New(context.Background(), cfg, f.source(), &Options{CheckInterval: time.Hour, LoginRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, p)
	var one int
	if err := p.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("QueryRow: %v", err)
	}
	if n := f.refreshes.Load(); n != 0 {
		t.Errorf("%d refreshes after a rejection of a credential the source had replaced, want 0", n)
	}
	if st := p.Stats(); st.LoginRetries != 1 {
		t.Errorf("LoginRetries = %d, want 1", st.LoginRetries)
	}
}
