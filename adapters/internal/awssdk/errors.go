package awssdk

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
)

// Service names the AWS service an adapter talks to, for the words of its
// messages.
type Service struct {
	// Name is the service as messages name it: "Secrets Manager",
	// "Parameter Store".
	Name string
	// ResponseLimit is the cap of the adapter's HTTP client on a response
	// body (see NewBoundedClient), named when a response is over it.
	ResponseLimit int64
}

// Cause rebuilds an SDK error that is not an AWS API error from its
// types: the operation, the failing step, a network address, the number of
// attempts. The SDK's own text is not kept, because some of it quotes
// what it could not use: the credential_process provider quotes the
// process's output (the credentials) when it cannot parse it, and decoder
// errors may quote bytes of a response body. context.Canceled and
// context.DeadlineExceeded stay in the chain for errors.Is. op names the
// call when the error does not (no smithy.OperationError in its chain);
// "" means the service.
func (s Service) Cause(op string, err error) error {
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

// Wide is Cause for a failure that is the endpoint's or the credentials',
// shared by every call of a load: the same words without the operation,
// which differs between the calls although the reason is the same.
func (s Service) Wide(err error) error {
	return errors.New(s.Name + ": " + s.withAttempts(err))
}

// withAttempts is Describe followed by the number of attempts the SDK
// made, when it gave up after them.
func (s Service) withAttempts(err error) string {
	what := s.Describe(err)
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

// Describe says what went wrong in a non-API SDK error, in words written
// here.
func (s Service) Describe(err error) string {
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

// CredentialsError reports whether err came from getting credentials: a
// credential_process or SSO provider error, or the SDK's "get identity"
// step (its auth middleware) failing for any reason, including the
// instance metadata service refusing or not answering at the end of the
// default chain, which is how "no credentials configured" looks.
func CredentialsError(err error) bool {
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
