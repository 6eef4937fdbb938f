package vault

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// TelemetryTransport returns next (http.DefaultTransport when nil) wrapped
// so that every request through it is recorded by tel
// (runtime.BackendTelemetry: secretsgen.backend.request.duration by
// operation and outcome, secretsgen.backend.throttled, the throttling
// events); a nil tel returns next itself. FromEnv installs it when its ctx
// carries a runtime.Telemetry (runtime.WithTelemetry); for a client built
// by hand, install it on the client's http.Client after api.NewClient.
//
// The client's retries go through the transport, so each attempt is a
// request; its duration runs until the response headers. The operation
// is a fixed name by the request's path, never the path itself (it holds
// the secret's location and, for leases, their ids): vault.read (a read
// of a KV or database secret), vault.login, vault.renew and vault.revoke
// (sys/leases), vault.token.renew and vault.token.lookup (the client's own
// token), vault.health, vault.mounts, vault.other. The outcome is the
// status's: 2xx ok, 404 not_found, 401 and 403 access_denied, 429
// (a rate-limit quota) throttled, other 4xx invalid_value, 5xx and
// failed connections unavailable, a cancelled context canceled.
func TelemetryTransport(tel *runtime.BackendTelemetry, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if tel == nil {
		return next
	}
	return &telemetryTransport{next: next, tel: tel}
}

// instrument is what FromEnv wraps its transport in: TelemetryTransport
// with the Telemetry ctx carries, or next itself when it carries none.
func instrument(ctx context.Context, next http.RoundTripper) http.RoundTripper {
	return TelemetryTransport(runtime.TelemetryFrom(ctx).Backend(backend), next)
}

type telemetryTransport struct {
	next http.RoundTripper
	tel  *runtime.BackendTelemetry
}

func (t *telemetryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	var out runtime.Outcome
	switch {
	case err != nil && errors.Is(err, context.Canceled):
		out = runtime.OutcomeCanceled
	case err != nil:
		out = runtime.OutcomeUnavailable
	default:
		out = statusOutcome(resp.StatusCode)
	}
	t.tel.Request(req.Context(), operation(req.Method, req.URL.Path), out, time.Since(start))
	return resp, err
}

// CloseIdleConnections closes the wrapped transport's idle connections.
func (t *telemetryTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// statusOutcome is the outcome of a Vault answer with status.
func statusOutcome(status int) runtime.Outcome {
	switch {
	case status < 400:
		return runtime.OutcomeOK
	case status == http.StatusNotFound:
		return runtime.OutcomeNotFound
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return runtime.OutcomeAccessDenied
	case status == http.StatusTooManyRequests:
		return runtime.OutcomeThrottled
	case status < 500 && status != http.StatusRequestTimeout && status != http.StatusPreconditionFailed:
		return runtime.OutcomeInvalidValue
	}
	return runtime.OutcomeUnavailable
}

// operation names the request of method to path ("/v1/..."): a fixed
// name, never the path.
func operation(method, path string) string {
	p := strings.TrimPrefix(path, "/v1/")
	has := func(prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }
	switch {
	case has("sys/leases/renew"), has("sys/renew"):
		return "vault.renew"
	case has("sys/leases/revoke"), has("sys/revoke"):
		return "vault.revoke"
	case has("auth/token/renew-self"), has("auth/token/renew"):
		return "vault.token.renew"
	case has("auth/token/lookup-self"):
		return "vault.token.lookup"
	case strings.HasPrefix(p, "auth/") && (strings.HasSuffix(p, "/login") || strings.Contains(p, "/login/")):
		return "vault.login"
	case has("sys/health"):
		return "vault.health"
	case has("sys/internal/ui/mounts"):
		return "vault.mounts"
	case method == http.MethodGet || method == "LIST":
		return "vault.read"
	}
	return "vault.other"
}
