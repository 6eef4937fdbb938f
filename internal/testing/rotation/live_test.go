package rotation_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/internal/testing/leaktest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// change is one OnChange call.
type change struct {
	at       time.Time
	old, new *gen.Settings
	changed  []string
}

// TestLiveRealServers takes a Live of the generated settings through a
// rotation, an outage and a garbage value on moto (PutSecretValue) and on
// Vault (vault kv put). The provider reaches the server through a loopback
// proxy, which the test stops and starts again to make an outage (the
// servers keep their secrets in memory: a restart would lose them).
//
//   - A rotation is seen by a poll and OnChange fires once, with exactly
//     the rotated path (the test logs after how long: within one poll
//     interval on a quiet machine).
//   - With the server unreachable, Settings keeps the last good values and
//     Status reports every secret unavailable and stale; when the server is
//     back the Live recovers without a restart and takes the value rotated
//     during the outage.
//   - A garbage value keeps the old Settings, Status reports an invalid
//     value, and no message holds the value.
//   - After Close no goroutine is left (goleak).
func TestLiveRealServers(t *testing.T) {
	vs := startVault(t)
	ms := startMoto(t)
	for _, tc := range []struct {
		name    string
		target  string
		backend func(proxy *testenv.Proxy) backend
	}{
		{"aws", hostPort(t, ms.Endpoint()), func(p *testenv.Proxy) backend { return ms.backend("live", p) }},
		{"vault", hostPort(t, vs.Addr()), func(p *testenv.Proxy) backend { return vs.backend("live", p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := testenv.StartProxy(t, tc.target)
			b := tc.backend(proxy)
			const dbURL = "postgres://app:zq9canary-db-pass@127.0.0.1:5432/postgres"
			b.seed(t, seedValues(dbURL))
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
			defer cancel()
			b.closeIdle()
			leaks := goleak.IgnoreCurrent()

			live, err := gen.Watch(ctx, b.cache(t), &runtime.LiveOptions{PollInterval: pollInterval, CloseProvider: true})
			if err != nil {
				t.Fatal(err)
			}
			defer live.Close()
			changes := make(chan change, 16)
			live.OnChange(func(old, new *gen.Settings, changed []string) {
				changes <- change{at: time.Now(), old: old, new: new, changed: changed}
			})
			nextChange := func(within time.Duration) (change, bool) {
				select {
				case c := <-changes:
					return c, true
				case <-time.After(within):
					return change{}, false
				}
			}
			noChange := func(what string) {
				t.Helper()
				if c, ok := nextChange(3 * pollInterval); ok {
					t.Errorf("%s: an extra OnChange with %v", what, c.changed)
				}
			}
			version := func(path string) string {
				for _, s := range live.Status().Secrets {
					if s.Path == path {
						return s.Version
					}
				}
				t.Fatalf("Status has no %s", path)
				return ""
			}

			// A rotation.
			before := live.Settings()
			v0 := version(gen.PathSchwabAPIKey)
			start := time.Now()
			b.rotate(t, gen.PathSchwabAPIKey, "rotation-key-1")
			written := time.Now()
			c, ok := nextChange(eventually)
			if !ok {
				t.Fatalf("no OnChange within %v of the write (poll interval %v)", eventually, pollInterval)
			}
			t.Logf("%s: the rotation was seen %v after the write started (%v after it returned); poll interval %v",
				tc.name, c.at.Sub(start).Round(time.Millisecond), c.at.Sub(written).Round(time.Millisecond), pollInterval)
			if !slices.Equal(c.changed, []string{gen.PathSchwabAPIKey}) {
				t.Errorf("OnChange paths = %v, want [%s]", c.changed, gen.PathSchwabAPIKey)
			}
			if c.old != before || c.new != live.Settings() {
				t.Error("OnChange did not get the previous and the current settings")
			}
			if got := live.Settings().Schwab.APIKey.Reveal(); got != "rotation-key-1" {
				t.Error("Settings does not hold the rotated API key")
			}
			if live.Settings().Database.URL.Reveal().String() != before.Database.URL.Reveal().String() {
				t.Error("the database URL changed with the API key")
			}
			if v1 := version(gen.PathSchwabAPIKey); v1 == "" || v1 == v0 {
				t.Errorf("Status version of the API key = %q after the rotation, was %q", v1, v0)
			}
			noChange("after one rotation")

			// An outage, and a rotation while the server is unreachable.
			good := live.Settings()
			proxy.Stop()
			if !waitFor(eventually, func() bool { return allUnavailable(live.Status()) }) {
				t.Fatalf("Status did not report the outage within %v: %+v", eventually, live.Status())
			}
			st := live.Status()
			if st.OK() {
				t.Error("Status.OK() during the outage")
			}
			checkClean(t, "Status during the outage", fmt.Sprintf("%v %+v", st, st), "zq9canary", "rotation-key")
			if live.Settings() != good {
				t.Error("the settings changed during the outage")
			}
			err = live.RefreshNow(ctx, gen.PathDatabaseURL)
			if !errors.Is(err, runtime.ErrUnavailable) {
				t.Errorf("RefreshNow during the outage = %v, want ErrUnavailable", err)
			}
			checkClean(t, "RefreshNow error during the outage", fmt.Sprint(err), "zq9canary")
			b.rotate(t, gen.PathSchwabAPIKey, "rotation-key-2") // straight to the server
			noChange("during the outage")
			down := time.Now()
			if err := proxy.Start(); err != nil {
				t.Fatal(err)
			}
			c, ok = nextChange(eventually)
			if !ok {
				t.Fatalf("the Live did not take the value rotated during the outage within %v of the server's return", eventually)
			}
			t.Logf("%s: recovered %v after the server was reachable again", tc.name, c.at.Sub(down).Round(time.Millisecond))
			if !slices.Equal(c.changed, []string{gen.PathSchwabAPIKey}) || live.Settings().Schwab.APIKey.Reveal() != "rotation-key-2" {
				t.Errorf("after the outage OnChange paths = %v, want the API key rotated during the outage", c.changed)
			}
			if !waitFor(eventually, func() bool { return live.Status().OK() }) {
				t.Errorf("Status not OK after the outage: %+v", live.Status())
			}

			// Garbage rotated in.
			good = live.Settings()
			const garbage = "zq9canary garbage: not a URL"
			b.rotate(t, gen.PathDatabaseURL, garbage)
			var bad runtime.SecretStatus
			if !waitFor(eventually, func() bool {
				for _, s := range live.Status().Secrets {
					if s.Path == gen.PathDatabaseURL && errors.Is(s.ErrKind, runtime.ErrInvalidValue) {
						bad = s
						return true
					}
				}
				return false
			}) {
				t.Fatalf("Status did not report the garbage as an invalid value: %+v", live.Status())
			}
			if !bad.Stale || !errors.Is(bad.Err, runtime.ErrInvalidValue) {
				t.Errorf("the garbage's status = %+v, want stale with an invalid-value error", bad)
			}
			if live.Settings() != good {
				t.Error("the garbage replaced the settings")
			}
			st = live.Status()
			checkClean(t, "Status with the garbage", fmt.Sprintf("%v %+v %#v %s", st, st, st, bad.Err), "zq9canary")
			checkClean(t, "RefreshNow with the garbage", fmt.Sprint(live.RefreshNow(ctx, gen.PathDatabaseURL)), "zq9canary")
			noChange("with the garbage")
			b.rotate(t, gen.PathDatabaseURL, strings.Replace(dbURL, "zq9canary-db-pass", "zq9canary-db-pass-2", 1))
			if c, ok = nextChange(eventually); !ok || !slices.Equal(c.changed, []string{gen.PathDatabaseURL}) {
				t.Fatalf("a good value after the garbage: OnChange %v (called: %v)", c.changed, ok)
			}
			if u := live.Settings().Database.URL.Reveal(); u.User.String() != url.UserPassword("app", "zq9canary-db-pass-2").String() {
				t.Error("the good value after the garbage is not in use")
			}
			if !live.Status().OK() {
				t.Errorf("Status not OK after the good value: %+v", live.Status())
			}

			// Nothing left behind.
			if err := live.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			b.closeIdle()
			proxy.Stop()
			leaktest.VerifyNone(t, leaks)
		})
	}
}

// allUnavailable reports whether every secret of st is stale and
// unavailable (optional secrets absent from the backend included).
func allUnavailable(st runtime.Status) bool {
	for _, s := range st.Secrets {
		if !s.Stale || !errors.Is(s.ErrKind, runtime.ErrUnavailable) {
			return false
		}
	}
	return len(st.Secrets) > 0
}

// checkClean fails when text holds any of the values.
func checkClean(t *testing.T, where, text string, values ...string) {
	t.Helper()
	for _, v := range values {
		if strings.Contains(text, v) {
			t.Errorf("%s holds a secret value", where)
		}
	}
}

func hostPort(t *testing.T, addr string) string {
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		t.Fatalf("server address %q has no host", addr)
	}
	return u.Host
}
