package vault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/runtime"
)

// TestClassify checks the one table that maps Vault's answers to kinds, with
// answers a dev server cannot easily give (the adapter tests get 403, 404,
// 429, 503 sealed and connection errors from a real server).
func TestClassify(t *testing.T) {
	const canary = "zq9canary"
	resp := func(code int, msgs ...string) error {
		return fmt.Errorf("error encountered while reading secret: %w", &api.ResponseError{
			HTTPMethod: "GET", URL: "http://vault/v1/secret/data/x", StatusCode: code, Errors: msgs,
		})
	}
	untrusted := &url.Error{Op: "Put", URL: "https://vault/v1/auth/approle/login", Err: &tls.CertificateVerificationError{
		Err: x509.UnknownAuthorityError{},
	}}
	refused := &url.Error{Op: "Get", URL: "http://127.0.0.1:1/v1/x", Err: &net.OpError{
		Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED},
	}}
	tests := []struct {
		name  string
		err   error
		kind  error
		cause string // the cause's full text; "" for none
	}{
		{"400", resp(400, canary), runtime.ErrInvalidValue, "HTTP 400: request rejected as invalid"},
		{"401", resp(401), runtime.ErrAccessDenied, "HTTP 401: not authenticated"},
		{"403", resp(403, "1 error occurred:\n\t* permission denied\n\n"), runtime.ErrAccessDenied, "HTTP 403: permission denied"},
		{"404", resp(404), runtime.ErrNotFound, "HTTP 404: not found"},
		{"405 other 4xx", resp(405, canary), runtime.ErrAccessDenied, "HTTP 405: request refused"},
		{"412", resp(412), runtime.ErrUnavailable, "HTTP 412: not yet consistent"},
		{"429", resp(429), runtime.ErrUnavailable, "HTTP 429: rate limited"},
		{"500", resp(500, canary), runtime.ErrUnavailable, "HTTP 500: internal error"},
		{"500 stored data", resp(500, "1 error occurred:\n\t* json: cannot unmarshal number 1e400 into Go value of type float64\n\n"),
			runtime.ErrInvalidValue, "HTTP 500: Vault cannot decode or encode the stored secret"},
		{"501 other 5xx", resp(501), runtime.ErrUnavailable, "HTTP 501: server error"},
		{"502", resp(502), runtime.ErrUnavailable, "HTTP 502: bad gateway"},
		{"503 sealed", resp(503, "Vault is sealed"), runtime.ErrUnavailable, "HTTP 503: Vault is sealed"},
		{"503 standby", resp(503), runtime.ErrUnavailable, "HTTP 503: unavailable (sealed, standby or overloaded)"},
		{"504", resp(504), runtime.ErrUnavailable, "HTTP 504: gateway timeout"},
		{"secret not found", fmt.Errorf("%w: at secret/data/x", api.ErrSecretNotFound), runtime.ErrNotFound, ""},
		{"cancelled", &url.Error{Op: "Get", URL: "u", Err: context.Canceled}, runtime.ErrUnavailable, "context canceled"},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), runtime.ErrUnavailable, "context deadline exceeded"},
		{"refused", refused, runtime.ErrUnavailable, "cannot reach Vault: dial tcp: connection refused"},
		{"dns", &url.Error{Op: "Get", URL: "u", Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "vault.invalid", Err: "no such host"}}},
			runtime.ErrUnavailable, "cannot resolve the Vault host vault.invalid"},
		{"reset", &url.Error{Op: "Get", URL: "u", Err: &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}},
			runtime.ErrUnavailable, "cannot reach Vault: read tcp: connection reset"},
		{"no route", &url.Error{Op: "Get", URL: "u", Err: &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.EHOSTUNREACH}}},
			runtime.ErrUnavailable, "cannot reach Vault: dial tcp: no route to host"},
		{"timeout", &url.Error{Op: "Get", URL: "u", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}},
			runtime.ErrUnavailable, "cannot reach Vault: dial tcp: i/o timeout"},
		{"other net error", &url.Error{Op: "Get", URL: "u", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New(canary)}},
			runtime.ErrUnavailable, "cannot reach Vault: dial tcp: failed"},
		{"tls", untrusted, runtime.ErrUnavailable, "TLS: Vault's certificate is not trusted (set VAULT_CACERT)"},
		{"unknown", errors.New("unexpected type for 'data' element: " + canary), runtime.ErrUnavailable, "request to Vault failed"},
		{"login", newLoginError("approle", resp(400, "invalid role or secret ID: "+canary)), runtime.ErrAccessDenied, "vault login (approle) failed: HTTP 400: request rejected as invalid"},
		{"login 404", newLoginError("approle", resp(404)), runtime.ErrAccessDenied, "vault login (approle) failed: HTTP 404: not found"},
		{"login 503", newLoginError("kubernetes", resp(503)), runtime.ErrUnavailable, "vault login (kubernetes) failed: HTTP 503: unavailable (sealed, standby or overloaded)"},
		{"login refused", newLoginError("approle", refused), runtime.ErrUnavailable, "vault login (approle) failed: cannot reach Vault: dial tcp: connection refused"},
		{"login tls", newLoginError("approle", untrusted), runtime.ErrUnavailable, "vault login (approle) failed: TLS: Vault's certificate is not trusted (set VAULT_CACERT)"},
		{"login cancelled", newLoginError("approle", context.Canceled), runtime.ErrUnavailable, "vault login (approle) failed: context canceled"},
		{"login no token", newLoginError("approle", errNoToken), runtime.ErrAccessDenied, "vault login (approle) failed: the login answer holds no token"},
		{"login file", newLoginError("approle", fmt.Errorf("read: %w", &fs.PathError{Op: "open", Path: "/run/sid", Err: fs.ErrNotExist})),
			runtime.ErrAccessDenied, "vault login (approle) failed: cannot read /run/sid: no such file"},
		{"login other", newLoginError("custom", errors.New(canary)), runtime.ErrAccessDenied, "vault login (custom) failed: the auth method could not build a login request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind, cause, _ := classify(tc.err)
			if kind != tc.kind {
				t.Errorf("kind = %v, want %v", kind, tc.kind)
			}
			got := ""
			if cause != nil {
				got = cause.Error()
			}
			if got != tc.cause {
				t.Errorf("cause = %q, want %q", got, tc.cause)
			}
			if strings.Contains(got, canary) {
				t.Errorf("cause %q copies a server message", got)
			}
		})
	}
}

// TestClassifyRecognises: classify reports the errors it does not know, so
// that a login error it does not recognise is taken for the auth method's.
func TestClassifyRecognises(t *testing.T) {
	for _, err := range []error{
		&api.ResponseError{StatusCode: 403},
		context.Canceled,
		&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
		&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}},
		&net.DNSError{Name: "vault.invalid"},
	} {
		if _, _, ok := classify(err); !ok {
			t.Errorf("classify(%v) does not recognise it", err)
		}
	}
	for _, err := range []error{errors.New("zq9canary"), errNoToken, &fs.PathError{Op: "open", Path: "/run/sid", Err: fs.ErrNotExist}} {
		if _, _, ok := classify(err); ok {
			t.Errorf("classify(%v) recognises it", err)
		}
	}
}

func TestScrub(t *testing.T) {
	t.Setenv("VAULT_HTTP_PROXY", "http://user:zq9canary@proxy")
	if got := scrub(errors.New(`parse "http://user:zq9canary@proxy": bad`)); strings.Contains(got, "zq9canary") {
		t.Errorf("scrub kept a VAULT_* value: %q", got)
	}
	if got := scrub(errors.New("plain problem")); got != "plain problem" {
		t.Errorf("scrub(plain problem) = %q", got)
	}
}
