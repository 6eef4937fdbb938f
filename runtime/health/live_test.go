package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/health"
)

// TestLiveLease reads the lease of a credential the way a Live reports it
// (Status().Secrets[i].Lease, the adapter's runtime.Lease read at each
// call): valid is ok, a failed renewal is ready but degraded with the
// failure in lease.error, past Expires or revoked is unusable (503), and
// an outage on top keeps the lease rule. No value reaches the body.
func TestLiveLease(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return start }
	lease := runtime.NewLease(runtime.LeaseStatus{Expires: start.Add(time.Hour), Renewable: true, NextAction: "renew", NextAt: start.Add(40 * time.Minute)})
	m := runtime.NewMemory("vault")
	m.SetValue("database/creds", runtime.Value{Text: `{"username":"v-app-1","password":"pw-canary"}`, Lease: lease})
	ref := runtime.Ref{Path: "database/creds", Type: "credential", Database: "database/creds/app"}
	live, err := runtime.NewLive(t.Context(), runtime.NewCache(m, &runtime.CacheOptions{Now: now}),
		func(ctx context.Context, p runtime.Provider) (*runtime.Value, error) {
			v, err := p.Get(ctx, ref)
			return &v, err
		}, &runtime.LiveOptions{PollInterval: time.Hour, CoolDown: -1, Now: now, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	srv := httptest.NewServer(health.Handler(live))
	defer srv.Close()
	serve := func() (int, health.Report, string) {
		t.Helper()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var r health.Report
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		return resp.StatusCode, r, string(body)
	}
	check := func(r health.Report, status string, state health.State) *health.LeaseReport {
		t.Helper()
		if r.Status != status || len(r.Secrets) != 1 || r.Secrets[0].State != state || r.Secrets[0].Lease == nil {
			t.Fatalf("report %+v, want status %s, database/creds %s with its lease", r, status, state)
		}
		return r.Secrets[0].Lease
	}

	r := health.Evaluate(live.Status(), start)
	l := check(r, health.StatusOK, health.OK)
	if !l.Expires.Equal(start.Add(time.Hour)) || !l.Renewable || l.NextAction != "renew" || !l.NextAt.Equal(start.Add(40*time.Minute)) || l.Error != "" {
		t.Errorf("lease report %+v", l)
	}

	// The adapter's renewal failed; the lease has not expired.
	lease.Update(func(st *runtime.LeaseStatus) { st.Err = errors.New("renew: permission denied") })
	l = check(health.Evaluate(live.Status(), start.Add(50*time.Minute)), health.StatusDegraded, health.OK)
	if l.Error != "renew: permission denied" {
		t.Errorf("lease error %q", l.Error)
	}
	// Expired: unusable, even while the backend is down too.
	m.SetError("database/creds", runtime.ErrUnavailable)
	if err := live.RefreshNow(t.Context()); !errors.Is(err, runtime.ErrUnavailable) {
		t.Fatalf("RefreshNow in an outage: %v", err)
	}
	check(health.Evaluate(live.Status(), start.Add(50*time.Minute)), health.StatusDegraded, health.Stale)
	check(health.Evaluate(live.Status(), start.Add(time.Hour)), health.StatusUnavailable, health.Unusable)
	// Revoked: 503 from the handler, whatever the clock.
	lease.Update(func(st *runtime.LeaseStatus) { st.Revoked = true })
	code, rep, body := serve()
	if code != http.StatusServiceUnavailable || !check(rep, health.StatusUnavailable, health.Unusable).Revoked {
		t.Errorf("revoked lease: %d\n%s", code, body)
	}
	if strings.Contains(body, "canary") || strings.Contains(body, "v-app-1") {
		t.Errorf("the body holds the credential:\n%s", body)
	}
}
