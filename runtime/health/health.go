// Package health serves the state of a runtime.Live as an HTTP health
// endpoint: JSON that names every secret's state and never a value, with
// the status code a Kubernetes readiness probe reads.
//
// The rule (docs/operations.md, "Health endpoint"):
//
//   - 200 while every secret has a usable value. A secret whose last
//     refresh failed (the backend is down, denies it, deleted it) or whose
//     rotated value was rejected keeps serving its last good value: it is
//     usable, reported with state "stale" and the error, and the endpoint
//     says "degraded". Pulling every replica out of a load balancer because
//     the backend is down would turn a backend outage into an outage of
//     the service, while the values in use still work.
//   - 503 when a secret has no usable value: it was never fetched
//     successfully, or it is a leased credential whose lease has expired
//     (LeaseStatus.Expires has passed) or was revoked.
//   - Callbacks that panicked (Status.CallbackPanics) keep 200 and make the
//     status "degraded": the count never goes down, so a 503 would keep the
//     replica out of service for good without restarting it. The
//     secretsgen_callback_panics_total metric and its alert report them.
//
// Mount it on the path your readiness probe reads:
//
//	mux.Handle("GET /healthz/secrets", health.Handler(live))
package health

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// Source is what the handler reports on: a *runtime.Live of any settings.
type Source interface {
	Status() runtime.Status
}

// State is the state of one secret.
type State string

// The states of a secret.
const (
	// OK: the value in use is what the backend held at the last fetch.
	OK State = "ok"
	// Stale: the last refresh failed or its value was rejected; the last
	// good value is still in use.
	Stale State = "stale"
	// Unusable: no value that works: never fetched, or a leased
	// credential that expired or was revoked.
	Unusable State = "unusable"
)

// The overall statuses of a Report.
const (
	StatusOK          = "ok"          // every secret OK, no callback panicked, no lease failing to renew
	StatusDegraded    = "degraded"    // ready, but something is stale, a lease failed to renew, or a callback panicked
	StatusUnavailable = "unavailable" // not ready: a secret is unusable
)

// Report is what the handler serves, as JSON. It holds no secret value:
// errors are their Error() text, which runtime keeps value-free.
type Report struct {
	// Ready is false when a secret is unusable (the handler answers 503).
	Ready bool `json:"ready"`
	// Status is StatusOK, StatusDegraded or StatusUnavailable.
	Status              string  `json:"status"`
	Backend             string  `json:"backend"`
	PollIntervalSeconds float64 `json:"poll_interval_seconds"`
	// LastPoll is when the last poll or forced refresh finished.
	LastPoll       *time.Time     `json:"last_poll,omitempty"`
	CallbackPanics int64          `json:"callback_panics"`
	Secrets        []SecretReport `json:"secrets"`
}

// SecretReport is the state of one secret.
type SecretReport struct {
	Path    string `json:"path"`
	Backend string `json:"backend"`
	// Version is the backend version in use (AWS VersionId, Vault KV
	// version), omitted when the backend has none.
	Version string `json:"version,omitempty"`
	State   State  `json:"state"`
	// Reason says why the state is not OK.
	Reason string `json:"reason,omitempty"`
	// Fetched is when the secret was last fetched successfully.
	Fetched *time.Time `json:"fetched,omitempty"`
	// ErrorKind is the kind of the last refresh's problem ("not found",
	// "access denied", "invalid value", "unavailable") and Error the
	// problem in full (path, backend, where, hint).
	ErrorKind string       `json:"error_kind,omitempty"`
	Error     string       `json:"error,omitempty"`
	Lease     *LeaseReport `json:"lease,omitempty"`
}

// LeaseReport is the lifecycle of a leased credential, never its id.
type LeaseReport struct {
	Expires     *time.Time `json:"expires,omitempty"`
	Renewable   bool       `json:"renewable"`
	LastRenewal *time.Time `json:"last_renewal,omitempty"`
	NextAction  string     `json:"next_action,omitempty"`
	NextAt      *time.Time `json:"next_at,omitempty"`
	Revoked     bool       `json:"revoked"`
	// Error is the last renewal's or replacement's failure.
	Error string `json:"error,omitempty"`
	Holds int    `json:"holds"`
}

// Evaluate applies the package's rule to st at time now (which decides
// whether a lease has expired).
func Evaluate(st runtime.Status, now time.Time) Report {
	r := Report{
		Ready:               true,
		Status:              StatusOK,
		Backend:             st.Backend,
		PollIntervalSeconds: st.PollInterval.Seconds(),
		LastPoll:            timePtr(st.LastPoll),
		CallbackPanics:      st.CallbackPanics,
		Secrets:             make([]SecretReport, 0, len(st.Secrets)),
	}
	degraded := st.CallbackPanics > 0
	for _, s := range st.Secrets {
		sr := SecretReport{Path: s.Path, Backend: s.Backend, Version: s.Version, State: OK, Fetched: timePtr(s.Fetched)}
		if s.Err != nil {
			sr.ErrorKind = kindName(s.ErrKind)
			sr.Error = s.Err.Error()
		}
		if s.Lease != nil {
			sr.Lease = leaseReport(*s.Lease)
			if s.Lease.Err != nil {
				degraded = true
			}
		}
		switch {
		case s.Fetched.IsZero() && s.Err != nil:
			sr.State, sr.Reason = Unusable, "never fetched successfully: no value to serve"
		case s.Lease != nil && s.Lease.Revoked:
			sr.State, sr.Reason = Unusable, "the lease of the credential in use was revoked"
		case s.Lease != nil && !s.Lease.Expires.IsZero() && !now.Before(s.Lease.Expires):
			sr.State, sr.Reason = Unusable, "the lease of the credential in use expired at "+s.Lease.Expires.UTC().Format(time.RFC3339)
		case s.Stale || s.Err != nil:
			sr.State = Stale
			if s.ErrKind == runtime.ErrInvalidValue {
				sr.Reason = "the rotated value was rejected; the last good value is in use"
			} else {
				sr.Reason = "the last refresh failed; the last good value is in use"
			}
		}
		switch sr.State {
		case Unusable:
			r.Ready = false
		case Stale:
			degraded = true
		}
		r.Secrets = append(r.Secrets, sr)
	}
	switch {
	case !r.Ready:
		r.Status = StatusUnavailable
	case degraded:
		r.Status = StatusDegraded
	}
	return r
}

// Handler returns an http.Handler that serves Evaluate(src.Status(),
// time.Now()) as JSON to GET and HEAD: 200 when the report is ready, 503
// when it is not; other methods get 405. Responses are not cached.
func Handler(src Source) http.Handler {
	return handler{src: src, now: time.Now}
}

type handler struct {
	src Source
	now func() time.Time
}

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: use GET or HEAD", http.StatusMethodNotAllowed)
		return
	}
	rep := Evaluate(h.src.Status(), h.now())
	body, err := json.MarshalIndent(rep, "", "  ")
	if err != nil { // only plain fields: cannot happen; say so without a value
		http.Error(w, "health: encoding the report failed", http.StatusInternalServerError)
		return
	}
	body = append(body, '\n')
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	code := http.StatusOK
	if !rep.Ready {
		code = http.StatusServiceUnavailable
	}
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func leaseReport(ls runtime.LeaseStatus) *LeaseReport {
	lr := &LeaseReport{
		Expires:     timePtr(ls.Expires),
		Renewable:   ls.Renewable,
		LastRenewal: timePtr(ls.LastRenewal),
		NextAction:  ls.NextAction,
		NextAt:      timePtr(ls.NextAt),
		Revoked:     ls.Revoked,
		Holds:       ls.Holds,
	}
	if ls.Err != nil {
		lr.Error = ls.Err.Error()
	}
	return lr
}

// kindName names a kind; the zero kind (not said) reads as unavailable,
// as runtime reads it.
func kindName(k runtime.Kind) string {
	if k == 0 {
		return runtime.ErrUnavailable.Error()
	}
	return k.Error()
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
