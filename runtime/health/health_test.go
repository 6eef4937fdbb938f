package health_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/health"
)

// statusFunc adapts a func to health.Source.
type statusFunc func() runtime.Status

func (f statusFunc) Status() runtime.Status { return f() }

var (
	now     = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	fetched = now.Add(-time.Minute)
)

func secretErr(path string, kind runtime.Kind) error {
	return &runtime.SecretError{Path: path, Backend: "aws", Kind: kind, Err: errors.New("cause"), Hint: "hint"}
}

func ok(path string) runtime.SecretStatus {
	return runtime.SecretStatus{Path: path, Backend: "aws", Version: "v1", Fetched: fetched}
}

func stale(path string, kind runtime.Kind) runtime.SecretStatus {
	s := ok(path)
	s.Err, s.ErrKind, s.Stale = secretErr(path, kind), kind, true
	return s
}

func leased(path string, ls runtime.LeaseStatus) runtime.SecretStatus {
	s := ok(path)
	s.Lease = &ls
	return s
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		st         runtime.Status
		wantReady  bool
		wantStatus string
		wantStates map[string]health.State
	}{
		{
			name:       "no secrets",
			st:         runtime.Status{Backend: "env"},
			wantReady:  true,
			wantStatus: health.StatusOK,
		},
		{
			name:       "all current",
			st:         runtime.Status{Backend: "aws", Secrets: []runtime.SecretStatus{ok("a"), ok("b")}},
			wantReady:  true,
			wantStatus: health.StatusOK,
			wantStates: map[string]health.State{"a": health.OK, "b": health.OK},
		},
		{
			name:       "outage: stale but usable",
			st:         runtime.Status{Backend: "aws", Secrets: []runtime.SecretStatus{ok("a"), stale("b", runtime.ErrUnavailable)}},
			wantReady:  true,
			wantStatus: health.StatusDegraded,
			wantStates: map[string]health.State{"a": health.OK, "b": health.Stale},
		},
		{
			name: "rejected rotation, denied and deleted: stale but usable",
			st: runtime.Status{Backend: "aws", Secrets: []runtime.SecretStatus{
				stale("a", runtime.ErrInvalidValue), stale("b", runtime.ErrAccessDenied), stale("c", runtime.ErrNotFound),
			}},
			wantReady:  true,
			wantStatus: health.StatusDegraded,
			wantStates: map[string]health.State{"a": health.Stale, "b": health.Stale, "c": health.Stale},
		},
		{
			name:       "error without the stale flag is still stale",
			st:         runtime.Status{Backend: "aws", Secrets: []runtime.SecretStatus{func() runtime.SecretStatus { s := stale("a", runtime.ErrUnavailable); s.Stale = false; return s }()}},
			wantReady:  true,
			wantStatus: health.StatusDegraded,
			wantStates: map[string]health.State{"a": health.Stale},
		},
		{
			name: "never fetched: unusable",
			st: runtime.Status{Backend: "aws", Secrets: []runtime.SecretStatus{ok("a"),
				{Path: "b", Backend: "aws", Err: secretErr("b", runtime.ErrNotFound), ErrKind: runtime.ErrNotFound, Stale: true}}},
			wantReady:  false,
			wantStatus: health.StatusUnavailable,
			wantStates: map[string]health.State{"a": health.OK, "b": health.Unusable},
		},
		{
			name:       "callback panics: ready, degraded",
			st:         runtime.Status{Backend: "aws", CallbackPanics: 2, Secrets: []runtime.SecretStatus{ok("a")}},
			wantReady:  true,
			wantStatus: health.StatusDegraded,
			wantStates: map[string]health.State{"a": health.OK},
		},
		{
			name:       "lease valid",
			st:         runtime.Status{Backend: "vault", Secrets: []runtime.SecretStatus{leased("db", runtime.LeaseStatus{Expires: now.Add(time.Hour), Renewable: true})}},
			wantReady:  true,
			wantStatus: health.StatusOK,
			wantStates: map[string]health.State{"db": health.OK},
		},
		{
			name:       "lease without a known expiry",
			st:         runtime.Status{Backend: "vault", Secrets: []runtime.SecretStatus{leased("db", runtime.LeaseStatus{})}},
			wantReady:  true,
			wantStatus: health.StatusOK,
			wantStates: map[string]health.State{"db": health.OK},
		},
		{
			name:       "lease failing to renew, not yet expired: ready, degraded",
			st:         runtime.Status{Backend: "vault", Secrets: []runtime.SecretStatus{leased("db", runtime.LeaseStatus{Expires: now.Add(time.Minute), Err: errors.New("renew: permission denied")})}},
			wantReady:  true,
			wantStatus: health.StatusDegraded,
			wantStates: map[string]health.State{"db": health.OK},
		},
		{
			name:       "lease expired this instant",
			st:         runtime.Status{Backend: "vault", Secrets: []runtime.SecretStatus{leased("db", runtime.LeaseStatus{Expires: now})}},
			wantReady:  false,
			wantStatus: health.StatusUnavailable,
			wantStates: map[string]health.State{"db": health.Unusable},
		},
		{
			name: "lease expired and stale",
			st: runtime.Status{Backend: "vault", Secrets: []runtime.SecretStatus{func() runtime.SecretStatus {
				s := stale("db", runtime.ErrUnavailable)
				s.Lease = &runtime.LeaseStatus{Expires: now.Add(-time.Second)}
				return s
			}()}},
			wantReady:  false,
			wantStatus: health.StatusUnavailable,
			wantStates: map[string]health.State{"db": health.Unusable},
		},
		{
			name:       "lease revoked",
			st:         runtime.Status{Backend: "vault", Secrets: []runtime.SecretStatus{leased("db", runtime.LeaseStatus{Expires: now.Add(time.Hour), Revoked: true})}},
			wantReady:  false,
			wantStatus: health.StatusUnavailable,
			wantStates: map[string]health.State{"db": health.Unusable},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := health.Evaluate(tt.st, now)
			if r.Ready != tt.wantReady || r.Status != tt.wantStatus {
				t.Errorf("ready %v status %q, want %v %q", r.Ready, r.Status, tt.wantReady, tt.wantStatus)
			}
			if len(r.Secrets) != len(tt.st.Secrets) {
				t.Fatalf("%d secrets reported, want %d", len(r.Secrets), len(tt.st.Secrets))
			}
			for _, s := range r.Secrets {
				if want := tt.wantStates[s.Path]; s.State != want {
					t.Errorf("%s: state %q, want %q", s.Path, s.State, want)
				}
				if (s.State == health.OK) != (s.Reason == "") {
					t.Errorf("%s: state %q with reason %q: a reason is given exactly when the state is not ok", s.Path, s.State, s.Reason)
				}
			}
		})
	}
}

func TestEvaluateFields(t *testing.T) {
	t.Parallel()
	s := stale("database/password", runtime.ErrInvalidValue)
	s.Lease = &runtime.LeaseStatus{Expires: now.Add(time.Hour), Renewable: true, LastRenewal: fetched, NextAction: "renew", NextAt: now.Add(40 * time.Minute), Err: errors.New("renew failed"), Holds: 3}
	r := health.Evaluate(runtime.Status{Backend: "vault", PollInterval: 90 * time.Second, LastPoll: fetched, CallbackPanics: 1, Secrets: []runtime.SecretStatus{s}}, now)
	if r.Backend != "vault" || r.PollIntervalSeconds != 90 || r.LastPoll == nil || !r.LastPoll.Equal(fetched) || r.CallbackPanics != 1 {
		t.Errorf("report header = %+v", r)
	}
	got := r.Secrets[0]
	if got.ErrorKind != "invalid value" || got.Error != s.Err.Error() || got.Version != "v1" || got.Fetched == nil || !got.Fetched.Equal(fetched) {
		t.Errorf("secret report = %+v", got)
	}
	if !strings.Contains(got.Reason, "rejected") {
		t.Errorf("reason %q does not say the rotated value was rejected", got.Reason)
	}
	l := got.Lease
	if l == nil || l.Expires == nil || !l.Expires.Equal(now.Add(time.Hour)) || !l.Renewable || l.NextAction != "renew" || l.NextAt == nil || l.Error != "renew failed" || l.Holds != 3 || l.Revoked {
		t.Errorf("lease report = %+v", l)
	}
	// A kind not said reads as unavailable, as runtime reads it.
	z := ok("x")
	z.Err = errors.New("no kind")
	if k := health.Evaluate(runtime.Status{Secrets: []runtime.SecretStatus{z}}, now).Secrets[0].ErrorKind; k != "unavailable" {
		t.Errorf("kind of an error without one = %q, want unavailable", k)
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	future := time.Now().Add(24 * time.Hour)
	past := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		method   string
		st       runtime.Status
		wantCode int
		wantBody bool
	}{
		{"ready", http.MethodGet, runtime.Status{Backend: "aws", Secrets: []runtime.SecretStatus{ok("a")}}, http.StatusOK, true},
		{"stale is ready", http.MethodGet, runtime.Status{Backend: "aws", Secrets: []runtime.SecretStatus{stale("a", runtime.ErrUnavailable)}}, http.StatusOK, true},
		{"panics are ready", http.MethodGet, runtime.Status{Backend: "aws", CallbackPanics: 1, Secrets: []runtime.SecretStatus{ok("a")}}, http.StatusOK, true},
		{"lease valid", http.MethodGet, runtime.Status{Backend: "vault", Secrets: []runtime.SecretStatus{leased("db", runtime.LeaseStatus{Expires: future})}}, http.StatusOK, true},
		{"lease expired", http.MethodGet, runtime.Status{Backend: "vault", Secrets: []runtime.SecretStatus{leased("db", runtime.LeaseStatus{Expires: past})}}, http.StatusServiceUnavailable, true},
		{"HEAD ready", http.MethodHead, runtime.Status{Backend: "aws", Secrets: []runtime.SecretStatus{ok("a")}}, http.StatusOK, false},
		{"HEAD expired", http.MethodHead, runtime.Status{Backend: "vault", Secrets: []runtime.SecretStatus{leased("db", runtime.LeaseStatus{Expires: past})}}, http.StatusServiceUnavailable, false},
		{"POST", http.MethodPost, runtime.Status{Backend: "aws"}, http.StatusMethodNotAllowed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(health.Handler(statusFunc(func() runtime.Status { return tt.st })))
			defer srv.Close()
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status code %d, want %d", resp.StatusCode, tt.wantCode)
			}
			if tt.wantCode == http.StatusMethodNotAllowed {
				if a := resp.Header.Get("Allow"); a != "GET, HEAD" {
					t.Errorf("Allow = %q", a)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q", cc)
			}
			if !tt.wantBody {
				return
			}
			var rep health.Report
			if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
				t.Fatalf("body is not a report: %v", err)
			}
			if rep.Ready != (tt.wantCode == http.StatusOK) || len(rep.Secrets) != len(tt.st.Secrets) {
				t.Errorf("report = %+v", rep)
			}
		})
	}
}

// TestHandlerJSONShape pins the JSON field names a probe or a dashboard
// reads.
func TestHandlerJSONShape(t *testing.T) {
	t.Parallel()
	st := runtime.Status{Backend: "aws", PollInterval: time.Minute, LastPoll: fetched, Secrets: []runtime.SecretStatus{stale("database/password", runtime.ErrUnavailable)}}
	rec := httptest.NewRecorder()
	health.Handler(statusFunc(func() runtime.Status { return st })).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ready", "status", "backend", "poll_interval_seconds", "last_poll", "callback_panics", "secrets"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, rec.Body)
		}
	}
	sec := m["secrets"].([]any)[0].(map[string]any)
	for _, k := range []string{"path", "backend", "version", "state", "reason", "fetched", "error_kind", "error"} {
		if _, ok := sec[k]; !ok {
			t.Errorf("no %q in the secret of %s", k, rec.Body)
		}
	}
	if sec["state"] != "stale" || m["status"] != "degraded" || m["ready"] != true {
		t.Errorf("body = %s", rec.Body)
	}
}
