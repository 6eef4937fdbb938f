package vault

import (
	"net/http"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
)

// TestOperation: every request the adapter and the lease manager send has
// a fixed operation name, and no name carries the path.
func TestOperation(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/v1/secret/data/dashtam/prod/db/pass", "vault.read"},
		{"GET", "/v1/database/creds/app", "vault.read"},
		{"GET", "/v1/database/static-creds/app", "vault.read"},
		{"LIST", "/v1/secret/metadata/dashtam", "vault.read"},
		{"PUT", "/v1/sys/leases/renew", "vault.renew"},
		{"PUT", "/v1/sys/renew/database/creds/app/abc", "vault.renew"},
		{"PUT", "/v1/sys/leases/revoke", "vault.revoke"},
		{"PUT", "/v1/sys/leases/revoke/database/creds/app/abc", "vault.revoke"},
		{"PUT", "/v1/auth/token/renew-self", "vault.token.renew"},
		{"GET", "/v1/auth/token/lookup-self", "vault.token.lookup"},
		{"PUT", "/v1/auth/approle/login", "vault.login"},
		{"PUT", "/v1/auth/kubernetes/login", "vault.login"},
		{"PUT", "/v1/auth/userpass/login/alice", "vault.login"},
		{"GET", "/v1/sys/health", "vault.health"},
		{"GET", "/v1/sys/internal/ui/mounts/secret", "vault.mounts"},
		{"PUT", "/v1/secret/data/dashtam/prod/db/pass", "vault.other"},
		{"GET", "/v1/sys/leases/renewal", "vault.read"}, // not sys/leases/renew
	} {
		if got := operation(tc.method, tc.path); got != tc.want {
			t.Errorf("operation(%s %s) = %s, want %s", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestStatusOutcome(t *testing.T) {
	for status, want := range map[int]runtime.Outcome{
		200: runtime.OutcomeOK, 204: runtime.OutcomeOK, 307: runtime.OutcomeOK,
		400: runtime.OutcomeInvalidValue, 401: runtime.OutcomeAccessDenied, 403: runtime.OutcomeAccessDenied,
		404: runtime.OutcomeNotFound, 408: runtime.OutcomeUnavailable, 412: runtime.OutcomeUnavailable,
		429: runtime.OutcomeThrottled, 500: runtime.OutcomeUnavailable, 503: runtime.OutcomeUnavailable,
	} {
		if got := statusOutcome(status); got != want {
			t.Errorf("statusOutcome(%d) = %s, want %s", status, got, want)
		}
	}
}

// TestTelemetryTransportNil: without a recorder the transport is not
// wrapped.
func TestTelemetryTransportNil(t *testing.T) {
	if got := TelemetryTransport(nil, http.DefaultTransport); got != http.DefaultTransport {
		t.Fatalf("TelemetryTransport(nil, next) = %T, want next", got)
	}
	if got := instrument(t.Context(), http.DefaultTransport); got != http.DefaultTransport {
		t.Fatalf("instrument without Telemetry = %T, want next", got)
	}
}
