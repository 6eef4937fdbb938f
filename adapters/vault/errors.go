package vault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/internal/fileread"
	"github.com/dashtam/secretsgen/adapters/internal/neterr"
	"github.com/dashtam/secretsgen/runtime"
)

// statusTable is the one place that maps Vault's HTTP answers to runtime
// error kinds. The client has already retried 412 and 5xx answers and
// connection errors (api.DefaultConfig: 2 retries) before we see them; the
// provider retries 429 itself (see RateLimitBaseWait) while its context
// has time.
// Kinds follow what a retry can fix: 412, 429 and 5xx may pass (but see
// storedDataFault), a 400 is the request itself being wrong (an invalid
// value: sending it again gives the same answer). Statuses not listed are
// unavailable for 5xx and access denied for 4xx.
var statusTable = map[int]struct {
	kind runtime.Kind
	what string
}{
	http.StatusBadRequest:          {runtime.ErrInvalidValue, "request rejected as invalid"},
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

// classify maps an error from the Vault client to a runtime kind and a cause
// that is safe to show, and reports whether it recognised the error (for an
// error it does not, it says unavailable: "request to Vault failed"). The
// cause is written here, never copied from the client: Vault's and the
// client's messages are left out so that nothing a server echoes (or a
// future SDK prints) can reach a log.
func classify(err error) (kind runtime.Kind, cause error, ok bool) {
	var (
		re    *api.ResponseError
		lf    *loginError
		op    *net.OpError
		dns   *net.DNSError
		cert  *tls.CertificateVerificationError
		uauth x509.UnknownAuthorityError
		rl    *rateLimited
	)
	switch {
	case errors.As(err, &lf):
		return lf.kind, lf, true
	case errors.As(err, &rl):
		return runtime.ErrUnavailable, rl, true
	case errors.Is(err, context.Canceled):
		return runtime.ErrUnavailable, context.Canceled, true
	case errors.Is(err, context.DeadlineExceeded):
		return runtime.ErrUnavailable, context.DeadlineExceeded, true
	case errors.As(err, &re):
		kind, cause := classifyStatus(re)
		return kind, cause, true
	case errors.Is(err, api.ErrSecretNotFound):
		return runtime.ErrNotFound, nil, true
	// net/http wraps a failed lookup in a *net.OpError: the DNS case and
	// the TLS one come first.
	case errors.As(err, &dns):
		return runtime.ErrUnavailable, fmt.Errorf("cannot resolve the Vault host %s", dns.Name), true
	case errors.As(err, &cert), errors.As(err, &uauth):
		return runtime.ErrUnavailable, errors.New("TLS: Vault's certificate is not trusted (set VAULT_CACERT)"), true
	case notTLS(err):
		return runtime.ErrUnavailable, errors.New("TLS: the server answered in plain HTTP (an https:// address for an http:// Vault?)"), true
	case errors.As(err, &op):
		return runtime.ErrUnavailable, fmt.Errorf("cannot reach Vault: %s %s: %s", op.Op, op.Net, neterr.Describe(op.Err)), true
	case errors.Is(err, errResponseTooLarge):
		return runtime.ErrInvalidValue, errors.New("the response from Vault is larger than the limit of 4 MiB"), true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return runtime.ErrUnavailable, errors.New("connection closed by Vault"), true
	}
	return runtime.ErrUnavailable, errors.New("request to Vault failed"), false
}

func classifyStatus(re *api.ResponseError) (kind runtime.Kind, cause error) {
	row, ok := statusTable[re.StatusCode]
	switch {
	case !ok && re.StatusCode >= 500:
		row.kind, row.what = runtime.ErrUnavailable, "server error"
	case !ok:
		row.kind, row.what = runtime.ErrAccessDenied, "request refused"
	}
	switch {
	case re.StatusCode == http.StatusTooManyRequests:
		// A *rateLimited, so that a login error keeps saying it was one.
		return row.kind, &rateLimited{}
	case re.StatusCode == http.StatusServiceUnavailable && mentions(re.Errors, "sealed"):
		row.what = "Vault is sealed"
	case re.StatusCode == http.StatusInternalServerError && storedDataFault(re.Errors):
		row.kind, row.what = runtime.ErrInvalidValue, "Vault cannot decode or encode the stored secret"
	}
	return row.kind, fmt.Errorf("HTTP %d: %s", re.StatusCode, row.what)
}

// storedDataFault reports whether a 500's messages say that Vault failed
// to decode or encode the data it holds (a number such as 1e400 that does
// not fit a float64, say): the same read fails every time, so it is the
// secret's value being wrong, not an outage. Like "sealed" above, the
// server's text only picks the kind; it is never shown.
func storedDataFault(msgs []string) bool {
	for _, w := range []string{"json: cannot unmarshal", "json: unsupported value", "invalid character", "out of range"} {
		if mentions(msgs, w) {
			return true
		}
	}
	return false
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
	kind   runtime.Kind
	cause  error
	// odd is set when the failure may mean the server is not Vault (see
	// suspect): an answer whose body is not Vault's JSON, or an error that
	// is neither one classify knows nor a credential file's.
	odd bool
}

func (e *loginError) Error() string {
	return "vault login (" + e.method + ") failed: " + e.cause.Error()
}

func (e *loginError) Unwrap() error { return e.cause }

// newLoginError classifies a login failure. A login that Vault answered is
// access denied whatever the status (a 404 means the auth method is not
// enabled at that mount, not a missing secret); connection, TLS and
// cancellation problems stay unavailable. An error classify does not
// recognise was raised by the auth method before it asked Vault (an
// unreadable secret-id or service-account token file): access denied.
func newLoginError(method string, err error) *loginError {
	kind, cause, ok := classify(err)
	if !ok || cause == nil { // cause is nil for api.ErrSecretNotFound, which no login returns
		return &loginError{method: method, kind: runtime.ErrAccessDenied, cause: credentialProblem(err), odd: !fileProblem(err)}
	}
	if kind != runtime.ErrUnavailable {
		kind = runtime.ErrAccessDenied
	}
	return &loginError{method: method, kind: kind, cause: cause, odd: notVaultAnswer(err)}
}

// fileProblem reports whether err is one an auth method returns before it
// asks Vault: an unreadable or empty credential file. (A login answer
// without a token is not: Vault always sends one with a login it grants.)
func fileProblem(err error) bool {
	var pe *fs.PathError
	return errors.Is(err, errEmptySecretIDFile) || errors.As(err, &pe)
}

// notVaultAnswer reports whether err is an answer whose body is not
// Vault's JSON: an error page (the client's RawError), or a body that does
// not decode.
func notVaultAnswer(err error) bool {
	var (
		re  *api.ResponseError
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &re):
		return re.RawError
	case errors.As(err, &syn), errors.As(err, &typ):
		return true
	}
	return false
}

// credentialProblem describes an error an auth method returned before it
// reached Vault. Only file errors are described, by the file's name (which
// is configuration, not a credential).
func credentialProblem(err error) error {
	if errors.Is(err, errNoToken) {
		return errNoToken
	}
	if errors.Is(err, errEmptySecretIDFile) {
		return errEmptySecretIDFile
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
	case errors.Is(err, fileread.ErrNotRegular):
		reason = "not a regular file (a device, FIFO or socket)"
	case errors.Is(err, fileread.ErrTooLarge):
		reason = "larger than the limit of 64 KiB"
	case errors.Is(err, fileread.ErrIsDir):
		reason = "is a directory"
	}
	return fmt.Errorf("cannot read %s: %s", pe.Path, reason)
}
