package vault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/runtime"
)

// statusTable is the one place that maps Vault's HTTP answers to runtime
// error kinds. The client has already retried 412, 429 and 5xx answers and
// connection errors (api.DefaultConfig: 2 retries) before we see them.
// Statuses not listed are unavailable for 5xx and access denied for 4xx.
var statusTable = map[int]struct {
	kind error
	what string
}{
	http.StatusBadRequest:          {runtime.ErrAccessDenied, "request rejected"},
	http.StatusUnauthorized:        {runtime.ErrAccessDenied, "not authenticated"},
	http.StatusForbidden:           {runtime.ErrAccessDenied, "permission denied"},
	http.StatusNotFound:            {runtime.ErrNotFound, "not found"},
	http.StatusPreconditionFailed:  {runtime.ErrUnavailable, "not yet consistent"},
	http.StatusTooManyRequests:     {runtime.ErrUnavailable, "rate limited"},
	http.StatusInternalServerError: {runtime.ErrUnavailable, "internal error"},
	http.StatusBadGateway:          {runtime.ErrUnavailable, "bad gateway"},
	http.StatusServiceUnavailable:  {runtime.ErrUnavailable, "unavailable (sealed, standby or overloaded)"},
	http.StatusGatewayTimeout:      {runtime.ErrUnavailable, "gateway timeout"},
}

// Hints, by kind: what the operator can do.
var hints = map[error]string{
	runtime.ErrAccessDenied: "check the token and that its policy allows read on %s (secretsgen policy vault prints one)",
	runtime.ErrNotFound:     "write it with: vault kv put -mount=%s %s %s=...",
	runtime.ErrUnavailable:  "check VAULT_ADDR and that Vault is running and unsealed",
}

// classify maps an error from the Vault client to a runtime kind and a cause
// that is safe to show. The cause is written here, never copied from the
// client: Vault's and the client's messages are left out so that nothing a
// server echoes (or a future SDK prints) can reach a log.
func classify(err error) (kind, cause error) {
	var (
		re    *api.ResponseError
		lf    *loginError
		op    *net.OpError
		dns   *net.DNSError
		cert  *tls.CertificateVerificationError
		uauth x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &lf):
		return lf.kind, lf
	case errors.Is(err, context.Canceled):
		return runtime.ErrUnavailable, context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return runtime.ErrUnavailable, context.DeadlineExceeded
	case errors.As(err, &re):
		return classifyStatus(re)
	case errors.Is(err, api.ErrSecretNotFound):
		return runtime.ErrNotFound, nil
	case errors.As(err, &op):
		return runtime.ErrUnavailable, fmt.Errorf("cannot reach Vault: %s %s: %s", op.Op, op.Net, errText(op.Err))
	case errors.As(err, &dns):
		return runtime.ErrUnavailable, fmt.Errorf("cannot resolve the Vault host %s", dns.Name)
	case errors.As(err, &cert), errors.As(err, &uauth):
		return runtime.ErrUnavailable, errors.New("TLS: Vault's certificate is not trusted (set VAULT_CACERT)")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return runtime.ErrUnavailable, errors.New("connection closed by Vault")
	}
	return runtime.ErrUnavailable, errors.New("request to Vault failed")
}

func classifyStatus(re *api.ResponseError) (kind, cause error) {
	row, ok := statusTable[re.StatusCode]
	switch {
	case !ok && re.StatusCode >= 500:
		row.kind, row.what = runtime.ErrUnavailable, "server error"
	case !ok:
		row.kind, row.what = runtime.ErrAccessDenied, "request refused"
	}
	if re.StatusCode == http.StatusServiceUnavailable && mentions(re.Errors, "sealed") {
		row.what = "Vault is sealed"
	}
	return row.kind, fmt.Errorf("HTTP %d: %s", re.StatusCode, row.what)
}

// errText describes a connection failure without anything a server sent.
func errText(err error) string {
	switch {
	case err == nil:
		return "failed"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused"
	case strings.Contains(err.Error(), "connection reset"):
		return "connection reset"
	case strings.Contains(err.Error(), "i/o timeout"):
		return "timeout"
	case strings.Contains(err.Error(), "no route to host"):
		return "no route to host"
	}
	return "failed"
}

func mentions(msgs []string, word string) bool {
	for _, m := range msgs {
		if strings.Contains(strings.ToLower(m), word) {
			return true
		}
	}
	return false
}

func isStatus(err error, code int) bool {
	var re *api.ResponseError
	return errors.As(err, &re) && re.StatusCode == code
}

// loginError is a failed login. It names the auth method and what Vault
// answered, never a credential.
type loginError struct {
	method string
	kind   error
	cause  error
}

func (e *loginError) Error() string {
	if e.cause == nil {
		return "vault login (" + e.method + ") failed"
	}
	return "vault login (" + e.method + ") failed: " + e.cause.Error()
}

func (e *loginError) Unwrap() error { return e.cause }

// newLoginError classifies a login failure. A login that Vault answered is
// access denied whatever the status (a 404 means the auth method is not
// enabled at that mount, not a missing secret); connection problems stay
// unavailable. An error the auth method raised before asking Vault (an
// unreadable secret-id or service-account token file) is access denied.
func newLoginError(method string, err error) *loginError {
	var re *api.ResponseError
	if !errors.As(err, &re) && !isTransport(err) {
		return &loginError{method: method, kind: runtime.ErrAccessDenied, cause: credentialProblem(err)}
	}
	kind, cause := classify(err)
	if kind != runtime.ErrUnavailable {
		kind = runtime.ErrAccessDenied
	}
	return &loginError{method: method, kind: kind, cause: cause}
}

// isTransport reports whether err is a cancellation or a connection problem.
func isTransport(err error) bool {
	var (
		op  *net.OpError
		dns *net.DNSError
	)
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &op) || errors.As(err, &dns) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// credentialProblem describes an error an auth method returned before it
// reached Vault. Only file errors are described, by the file's name (which
// is configuration, not a credential).
func credentialProblem(err error) error {
	if errors.Is(err, errNoToken) {
		return errNoToken
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return errors.New("the auth method could not build a login request")
	}
	reason := "read failed"
	switch {
	case errors.Is(err, fs.ErrNotExist):
		reason = "no such file"
	case errors.Is(err, fs.ErrPermission):
		reason = "permission denied"
	}
	return fmt.Errorf("cannot read %s: %s", pe.Path, reason)
}
