package pgxcred

import (
	"context"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// TestStaticRotationIsNotALeaseEnd: a static role's credential carries a
// Lease whose Expires is the next password rotation (Rotation set). Open
// sessions survive a rotation, so inside the margin the pool keeps the
// connection and still opens new ones (a rotation before the login is a
// rejected login, retried); the same Expires without Rotation (a lease's
// end) is refused. Vault's minimum rotation period (5 s) equals the
// default margin: without this every login would be refused.
func TestStaticRotationIsNotALeaseEnd(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "stat", "pw0")
	var clk clock
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clk.Set(t0)
	rot := runtime.NewLease(runtime.LeaseStatus{Expires: t0.Add(3 * time.Second), NextAction: "read again", Rotation: true})
	f := newFakeLive(runtime.NewCredential("stat", "pw0", nil, rot))
	ctx := context.Background()
	p, err := open(ctx, poolConfig(t, pg, 2), f.source(), &Options{CheckInterval: time.Hour}, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	closeAtEnd(t, p)
	c, err := p.Acquire(ctx)
	if err != nil {
		t.Fatalf("a login 3 s before a static rotation (margin 5 s): %v", err)
	}
	pid := c.Conn().PgConn().PID()
	c.Release()
	waitFor(t, "the connection back in the pool", func() bool { return p.Stat().IdleConns() == 1 })
	c, err = p.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Conn().PgConn().PID() != pid {
		t.Error("the connection was closed ahead of a static rotation")
	}
	c.Release()
	if st := p.Stats(); st.ClosedLease != 0 {
		t.Errorf("ClosedLease = %d, want 0", st.ClosedLease)
	}

	// The same Expires as a lease's end: refused.
	end := runtime.NewLease(runtime.LeaseStatus{Expires: t0.Add(3 * time.Second)})
	if !p.ending(runtime.NewCredential("stat", "pw0", nil, end)) {
		t.Error("a lease ending within the margin is not reported ending")
	}
	if p.ending(runtime.NewCredential("stat", "pw0", nil, rot)) {
		t.Error("a static rotation within the margin is reported ending")
	}
	rot.Update(func(st *runtime.LeaseStatus) { st.Revoked = true })
	if !p.ending(runtime.NewCredential("stat", "pw0", nil, rot)) {
		t.Error("a revoked lease is not reported ending")
	}
}
