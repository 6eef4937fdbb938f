package awscore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"

	"github.com/dashtam/secretsgen/adapters/internal/capped"
	"github.com/dashtam/secretsgen/adapters/internal/neterr"
	"github.com/dashtam/secretsgen/runtime"
)

// Failure is a failed read as the core reports it. It holds no text a
// server or a credential process sent.
type Failure struct {
	Kind  runtime.Kind
	Code  string // the error code of an API error as the server sent it: only looked up, never shown; "" for other errors
	Cause error  // what went wrong, in words written here (an *APIError for an API error)
	Hint  string // the hint when the failure decides it (a code's own, the credentials'); else the service's for Kind
	Wide  bool   // the endpoint's or the credentials' failure, not the secret's: every read fails the same way
}

// Failed classifies the error of the SDK call op (e.g. "GetParameters";
// "" for none, as when the context ended before a call). Nothing the
// server sent is kept (see APIError).
//
//   - An AWS API error is classified by the service's Refine, then its
//     table, then Rule, and its cause is an *APIError: the operation, the
//     HTTP status and the code when the table knows it, so that errors.As
//     still finds a smithy.APIError.
//   - A response over the client's cap is an invalid value: a retry would
//     get as much again.
//   - A failure to get credentials (none configured, a failing
//     credential_process, an expired SSO session) is access denied: no
//     retry makes credentials appear, and a cache must not serve stale
//     values on it as on an outage. It is backend-wide.
//   - An endpoint that cannot be reached (neterr.Unreachable) is
//     unavailable and backend-wide.
//   - Anything else (an exhausted retry quota, an undecodable response, a
//     cancelled or expired context, which stays in the chain for
//     errors.Is) is unavailable.
//
// The cause of any but an API error is rebuilt from the error's types
// (see cause); a backend-wide one leaves the operation out, so that
// one line can state it for a whole load.
func (s *Service) Failed(op string, err error) *Failure {
	if f, ok := asAPIFailure(err); ok && !credentialsError(err) {
		if f.Op != "" {
			op = f.Op
		}
		return s.apiFailure(op, f.Status, f.Code, f.Message)
	}
	switch {
	case errors.Is(err, capped.ErrTooLarge):
		return &Failure{Kind: runtime.ErrInvalidValue, Cause: s.cause(op, err)}
	case noCredentials(err):
		return &Failure{Kind: runtime.ErrAccessDenied, Cause: s.wide(err), Hint: credentialsHint, Wide: true}
	case neterr.Unreachable(err):
		return &Failure{Kind: runtime.ErrUnavailable, Cause: s.wide(err), Wide: true}
	}
	return &Failure{Kind: runtime.ErrUnavailable, Cause: s.cause(op, err)}
}

// Refused is the failure of one entry of a batch answer of op that the
// service refused with code and message (BatchGetSecretValue's Errors):
// an API error without an HTTP status.
func (s *Service) Refused(op, code, message string) *Failure {
	return s.apiFailure(op, 0, code, message)
}

func (s *Service) apiFailure(op string, status int, code, message string) *Failure {
	var kind runtime.Kind
	if s.Refine != nil {
		kind = s.Refine(code, message)
	}
	if kind == 0 {
		kind = s.Codes.Kind(code, status)
	}
	return &Failure{Kind: kind, Code: code, Cause: s.Codes.apiError(op, status, code), Hint: s.Codes.Hint(code)}
}

// hint is the service's hint for a failure of kind reading ref; refused
// says that the service refused the request (an API error).
func (s *Service) hint(kind runtime.Kind, refused bool, ref runtime.Ref) string {
	h := s.Hints
	switch kind {
	case runtime.ErrNotFound:
		if ref.Version != "" {
			return h.NotFound + h.Pinned
		}
		return h.NotFound
	case runtime.ErrAccessDenied:
		return h.Denied
	case runtime.ErrUnavailable:
		return h.Down
	case runtime.ErrInvalidValue:
		if refused {
			return h.Request
		}
		if ref.Key != "" {
			return fmt.Sprintf("store a JSON object with key %q in the %s", ref.Key, h.Holder)
		}
	}
	return ""
}

// fail returns what the adapter says about ref's failure f: kind, cause
// and hint (runtime.Fail), and for a backend-wide failure the region and
// endpoint tried (runtime.FailBackend), so that a load states it in one
// line. Runtime adds the path, the type, the backend and Where.
func (c *Core) fail(ref runtime.Ref, f *Failure) error {
	hint := f.Hint
	if hint == "" {
		hint = c.svc.hint(f.Kind, f.Code != "", ref)
	}
	if f.Wide {
		return runtime.FailBackend(f.Kind, f.Cause, c.endpoint, hint)
	}
	return runtime.Fail(f.Kind, f.Cause, hint)
}

// cause rebuilds an SDK error that is not an AWS API error from its
// types: the operation, the failing step, a network address, the number of
// attempts. The SDK's own text is not kept, because some of it quotes
// what it could not use: the credential_process provider quotes the
// process's output (the credentials) when it cannot parse it, and decoder
// errors may quote bytes of a response body. context.Canceled and
// context.DeadlineExceeded stay in the chain for errors.Is. op names the
// call when the error does not (no smithy.OperationError in its chain);
// "" means the service.
func (s *Service) cause(op string, err error) error {
	if op == "" {
		op = s.Name
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		op = "operation error " + oe.Service() + ": " + oe.Operation()
	}
	what := s.withAttempts(err)
	for _, sentinel := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, sentinel) {
			return fmt.Errorf("%s: %s: %w", op, what, sentinel)
		}
	}
	return fmt.Errorf("%s: %s", op, what)
}

// wide is cause for a failure that is the endpoint's or the credentials',
// shared by every call of a load: the same words without the operation,
// which differs between the calls although the reason is the same.
func (s *Service) wide(err error) error {
	return errors.New(s.Name + ": " + s.withAttempts(err))
}

// withAttempts is describe followed by the number of attempts the SDK
// made, when it gave up after them.
func (s *Service) withAttempts(err error) string {
	what := s.describe(err)
	var attempts *retry.MaxAttemptsError
	if errors.As(err, &attempts) {
		plural := "s"
		if attempts.Attempt == 1 {
			plural = ""
		}
		what += fmt.Sprintf(" (gave up after %d attempt%s)", attempts.Attempt, plural)
	}
	return what
}

// describe says what went wrong in a non-API SDK error, in words written
// here.
func (s *Service) describe(err error) string {
	var (
		process *processcreds.ProviderError
		sso     *ssocreds.InvalidTokenError
		quota   ratelimit.QuotaExceededError
		decode  *smithy.DeserializationError
		dns     *net.DNSError
		op      *net.OpError
		cert    *tls.CertificateVerificationError
		uauth   x509.UnknownAuthorityError
		netErr  net.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.As(err, &process):
		return "cannot get AWS credentials: the profile's credential_process failed (its output is left out)"
	case errors.As(err, &sso):
		return "cannot get AWS credentials: the SSO session has expired or is invalid (run aws sso login)"
	case credentialsFailed(err):
		return "cannot get AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or attach a role)"
	case errors.As(err, &quota):
		return "retry quota exceeded"
	case errors.Is(err, capped.ErrTooLarge):
		return "the response is larger than the limit of " + size(s.ResponseLimit)
	case errors.As(err, &decode):
		return "could not decode the " + s.Name + " response"
	case errors.As(err, &dns):
		return "cannot resolve the host " + dns.Name
	case errors.As(err, &cert), errors.As(err, &uauth):
		return "TLS: the endpoint's certificate is not trusted"
	case errors.As(err, &op):
		addr := ""
		if op.Addr != nil {
			addr = " " + op.Addr.String()
		}
		return fmt.Sprintf("cannot reach the endpoint: %s %s%s: %s", op.Op, op.Net, addr, neterr.Describe(op.Err))
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	}
	inner := err
	for u := errors.Unwrap(inner); u != nil; u = errors.Unwrap(inner) {
		inner = u
	}
	return fmt.Sprintf("request failed (%T)", inner)
}

// size writes n bytes as "16 MiB", "64 KiB" or "100 bytes".
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// credentialsError reports whether err came from getting credentials: a
// credential_process or SSO provider error, or the SDK's "get identity"
// step (its auth middleware) failing for any reason, including the
// instance metadata service refusing or not answering at the end of the
// default chain, which is how "no credentials configured" looks.
func credentialsError(err error) bool {
	var (
		process *processcreds.ProviderError
		sso     *ssocreds.InvalidTokenError
	)
	return errors.As(err, &process) || errors.As(err, &sso) || credentialsFailed(err)
}

// credentialsFailed reports whether err came from resolving credentials
// (the SDK's auth middleware wraps it as "get identity", older versions
// as "failed to retrieve credentials"). The text only picks the message.
func credentialsFailed(err error) bool {
	text := err.Error()
	return strings.Contains(text, "get identity: ") || strings.Contains(text, "failed to retrieve credentials")
}

// noCredentials reports whether err is a failure to get credentials (see
// credentialsError) that is not the caller's context ending.
func noCredentials(err error) bool {
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && credentialsError(err)
}
