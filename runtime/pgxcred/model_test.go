package pgxcred

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// TestModel runs seeded random sequences of what happens to a pool on a
// fake clock: acquire, release, rotate (sometimes with a new password in
// the database), renew the current lease, let time pass, revoke a drained
// old lease, run the idle check. After each step:
//   - every connection handed out logged in with the current credential
//     (as the Source said when it was handed out), its lease not revoked
//     and ending beyond the margin, and runs as its credential's user;
//   - once the idle check ran, a lease that is not the current one is
//     held by exactly the connections callers still hold;
//
// and at the end, with everything released and the pool closed, no lease
// is held. A failure prints the seed and the step.
func TestModel(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateRole(t, "app", "pw0")
	for _, seed := range []uint64{1, 2, 3} {
		t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) { runModel(t, pg, seed, 150) })
	}
}

func runModel(t *testing.T, pg *testenv.Postgres, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, seed))
	const margin = 10 * time.Second
	var clk clock
	clk.Set(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	password := "pw0"
	pg.SetPassword(t, "app", password)
	newCred := func() runtime.Credential {
		return runtime.NewCredential("app", password, nil,
			runtime.NewLease(runtime.LeaseStatus{Expires: clk.Now().Add(time.Duration(30+rng.IntN(300)) * time.Second)}))
	}
	f := newFakeLive(newCred())
	leases := []*runtime.Lease{f.live.Load().Lease()}
	ctx := context.Background()
	cfg := poolConfig(t, pg, 6)
	p, err := open(ctx, cfg, f.source(), &Options{Margin: margin, CheckInterval: time.Hour}, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	var held []*pgxpool.Conn
	defer func() { // Close waits for acquired connections: release them when a step failed
		for _, c := range held {
			c.Release()
		}
		p.Close()
	}()
	heldBy := func(l *runtime.Lease) int {
		n := 0
		for _, c := range held {
			if cred, _ := Credential(c.Conn()); cred.Lease() == l {
				n++
			}
		}
		return n
	}
	step := 0
	fatalf := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d step %d: "+format, append([]any{seed, step}, args...)...)
	}
	for step = range steps {
		switch op := rng.IntN(10); {
		case op < 3 && len(held) < 5: // acquire
			if p.ending(*f.live.Load()) || p.ending(*f.backend.Load()) {
				// The Live would have replaced it: do so.
				f.rotate(newCred())
				f.poll()
				leases = append(leases, f.live.Load().Lease())
			}
			c, err := p.Acquire(ctx)
			if err != nil {
				fatalf("acquire: %v", err)
			}
			cred, _ := Credential(c.Conn())
			st := cred.Lease().Status()
			if !p.same(cred, *f.live.Load()) || st.Revoked || !clk.Now().Before(st.Expires.Add(-margin)) {
				fatalf("handed out a connection of an old, revoked or ending credential (revoked %t, ends %s, now %s)", st.Revoked, st.Expires, clk.Now())
			}
			var user string
			if err := c.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil || user != "app" {
				fatalf("query: %q, %v", user, err)
			}
			held = append(held, c)
		case op < 5 && len(held) > 0: // release
			i := rng.IntN(len(held))
			held[i].Release()
			held = append(held[:i], held[i+1:]...)
		case op == 5: // rotate
			if rng.IntN(2) == 0 {
				password = "pw" + strconv.Itoa(step)
				pg.SetPassword(t, "app", password)
			}
			f.rotate(newCred())
			if rng.IntN(3) > 0 {
				f.poll() // else the next login meets 28P01 (when the password changed) and refreshes
			}
			leases = append(leases, f.backend.Load().Lease())
		case op == 6: // renew
			f.live.Load().Lease().Update(func(st *runtime.LeaseStatus) {
				st.Expires = st.Expires.Add(time.Duration(rng.IntN(120)) * time.Second)
			})
		case op == 7: // time passes
			clk.Advance(time.Duration(rng.IntN(60)) * time.Second)
		case op == 8: // the Live revokes a drained old lease
			for _, l := range leases {
				if l != f.live.Load().Lease() && l.Holds() == 0 && !l.Status().Revoked {
					l.Update(func(st *runtime.LeaseStatus) { st.Revoked = true })
					break
				}
			}
		default: // the idle check
			p.CheckIdle(ctx)
			for i, l := range leases {
				if l == f.live.Load().Lease() {
					continue
				}
				waitFor(t, "seed "+strconv.FormatUint(seed, 10)+" step "+strconv.Itoa(step)+": lease "+strconv.Itoa(i)+" held only by held connections", func() bool {
					return l.Holds() == heldBy(l)
				})
			}
		}
	}
	for _, c := range held {
		c.Release()
	}
	held = nil
	p.Close()
	for i, l := range leases {
		if l.Holds() != 0 {
			t.Fatalf("seed %d: after Close lease %d has %d holds", seed, i, l.Holds())
		}
	}
	t.Logf("seed %d: %d leases, stats %+v", seed, len(leases), p.Stats())
}
