package rotation_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/internal/testing/rotation/creds"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
)

// TestCredsAWSFailedRotation (proof e): a rotation that failed after
// createSecret leaves an AWSPENDING password the database never got
// (setSecret failed). Then a login is rejected, or the Live is forced to
// refresh, for another reason: the Live reads AWSPENDING, as it must in a
// rotation window, and the pool's next login with it is rejected. The
// service must not stay on that version: it goes back to AWSCURRENT,
// which the database accepts.
//
//   - forced-refresh: a forced refresh (RefreshNow of the credential, what
//     any part of the service does after a 28P01 of its own) while the
//     current password is right and the pending one wrong. No query fails.
//   - operator-mistake: an operator sets a wrong password on the role by
//     mistake and puts the right one back a second later. While it is
//     wrong nothing can log in and queries may fail; once it is back the
//     service logs in with AWSCURRENT again and no query fails after that.
func TestCredsAWSFailedRotation(t *testing.T) {
	pg := testenv.StartPostgres(t)
	ms := startMoto(t)
	for i, name := range []string{"forced-refresh", "operator-mistake"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
			defer cancel()
			role := "rds_failed" + string(rune('a'+i))
			good := randomPassword(t)
			pg.CreateRole(t, role, good)
			r := newCredRig(t, pg, ms, "failed"+string(rune('a'+i)), map[string]string{creds.PathDatabaseRds: rdsSecret(pg, role, good)})
			live := r.watch(t, ctx, pollInterval)
			var swaps atomic.Int64 // credential swaps: to the pending version and back
			live.OnChange(func(_, _ *creds.Settings, changed []string) {
				if slices.Contains(changed, creds.PathDatabaseRds) {
					swaps.Add(1)
				}
			})
			s, pool := r.pgxService(t, ctx, live, creds.PathDatabaseRds, nil)
			stop := s.start(t, ctx)

			// createSecret ran; setSecret failed: the database never got
			// the pending password.
			r.ms.stage(t, r.id(creds.PathDatabaseRds), rdsSecret(pg, role, randomPassword(t)))
			time.Sleep(stepGap)

			var from time.Time // when the service must be working again
			failedBefore := int64(0)
			switch name {
			case "forced-refresh":
				if err := live.RefreshNow(ctx, creds.PathDatabaseRds); err != nil {
					t.Fatalf("RefreshNow: %v", err)
				}
			case "operator-mistake":
				pg.SetPassword(t, role, randomPassword(t))
				// Wait until a login was rejected (the pool refreshed).
				if !waitFor(eventually, func() bool { return pool.Stats().LoginRetries > 0 }) {
					t.Fatalf("no login was rejected within %v of the wrong password", eventually)
				}
				time.Sleep(time.Second)
				pg.SetPassword(t, role, good)
				from = time.Now()
				// Queries that were waiting for a login when the password
				// came back may still fail; the ones that start later
				// must not.
				time.Sleep(time.Second)
				failedBefore = s.failed.Load()
			}
			// The Live is back on AWSCURRENT, and the service logs in with
			// it.
			if !waitFor(eventually, func() bool { return live.Settings().Database.Rds.Password.Reveal() == good }) {
				t.Fatalf("the Live stayed on the pending credential for %v: the service is stranded (queries %d, failed %d: %v)", eventually, s.queries.Load(), s.failed.Load(), s.errs)
			}
			if from.IsZero() {
				from = time.Now()
			}
			if !waitFor(eventually, func() bool {
				for _, l := range s.loginsSince(from) {
					if l.user == role && l.pass == good {
						return true
					}
				}
				return false
			}) {
				t.Fatalf("no login with the AWSCURRENT password within %v: the service is stranded on the pending version (queries %d, failed %d: %v)", eventually, s.queries.Load(), s.failed.Load(), s.errs)
			}
			// Serve on over a few cool-downs and polls: further forced
			// refreshes and polls must not put the pending version back.
			served := s.queries.Load()
			time.Sleep(3 * credCoolDown)
			stop()
			st := pool.Stats()
			failedAfter := s.failed.Load() - failedBefore
			t.Logf("proof e %s: queries=%d failed=%d failed_after_recovery=%d login_retries=%d opened=%d served_after_recovery=%d credential_swaps=%d",
				name, s.queries.Load(), s.failed.Load(), failedAfter, st.LoginRetries, st.Opened, s.queries.Load()-served, swaps.Load())
			if swaps.Load() < 2 {
				t.Errorf("the credential was swapped %d times; the scenario needs the pending version put in use and then dropped", swaps.Load())
			}
			if name == "forced-refresh" && s.failed.Load() != 0 {
				t.Errorf("%d queries failed; first: %v", s.failed.Load(), s.errs)
			}
			if failedAfter != 0 {
				t.Errorf("%d queries failed after the password was right again; first: %v", failedAfter, s.errs)
			}
			if got := live.Settings().Database.Rds; got.Password.Reveal() != good {
				t.Error("the Live ends on the pending credential the database rejects, not on AWSCURRENT")
			}
			if s.queries.Load() == served {
				t.Error("no query was served after the recovery")
			}
		})
	}
}
