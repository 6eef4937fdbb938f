package awssm

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
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"

	"github.com/dashtam/secretsgen/runtime"
)

// codeClass is what an AWS error code means: its runtime error kind, and
// the hint for it when the kind's own hint (see hint) would mislead.
type codeClass struct {
	kind error
	hint string
}

// Hints for codes whose cause is not what their kind's hint says.
const (
	credentialsHint = "check or refresh the AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE; aws sso login for SSO) and the system clock"
	kmsHint         = "allow kms:Decrypt on the secret's KMS key (in the key policy or IAM)"
)

// errorCodes is the one table from Secrets Manager (and AWS-wide) error
// codes to runtime error kinds and hints. A code missing here is
// classified by its HTTP status in kindOf and gets its kind's hint.
var errorCodes = map[string]codeClass{
	"ResourceNotFoundException": {kind: runtime.ErrNotFound},

	"AccessDeniedException": {kind: runtime.ErrAccessDenied},
	"AccessDenied":          {kind: runtime.ErrAccessDenied},
	"DecryptionFailure":     {kind: runtime.ErrAccessDenied, hint: kmsHint}, // the caller may not use the secret's KMS key

	// The request's credentials are not accepted: not an IAM policy matter.
	"UnrecognizedClientException": {kind: runtime.ErrAccessDenied, hint: credentialsHint},
	"InvalidClientTokenId":        {kind: runtime.ErrAccessDenied, hint: credentialsHint},
	"InvalidSignatureException":   {kind: runtime.ErrAccessDenied, hint: credentialsHint},
	"IncompleteSignature":         {kind: runtime.ErrAccessDenied, hint: credentialsHint},
	"MissingAuthenticationToken":  {kind: runtime.ErrAccessDenied, hint: credentialsHint},
	"ExpiredTokenException":       {kind: runtime.ErrAccessDenied, hint: credentialsHint},

	"ThrottlingException":         {kind: runtime.ErrUnavailable},
	"TooManyRequestsException":    {kind: runtime.ErrUnavailable},
	"RequestLimitExceeded":        {kind: runtime.ErrUnavailable},
	"InternalServiceError":        {kind: runtime.ErrUnavailable},
	"InternalFailure":             {kind: runtime.ErrUnavailable},
	"ServiceUnavailable":          {kind: runtime.ErrUnavailable},
	"ServiceUnavailableException": {kind: runtime.ErrUnavailable},
}

// kindOf classifies an error code from a response with the given HTTP
// status (0 when unknown, as for batch entries). Secrets Manager reports a
// secret that is scheduled for deletion as InvalidRequestException; for the
// application that secret is gone, so it is not found. Everything else not
// in the table (a 5xx, an unexpected 4xx) is unavailable: the secret could
// not be read, and the error text carries the code.
func kindOf(code, message string, status int) error {
	if c, ok := errorCodes[code]; ok {
		return c.kind
	}
	if code == "InvalidRequestException" && markedForDeletion(message) {
		return runtime.ErrNotFound
	}
	if status == 403 {
		return runtime.ErrAccessDenied
	}
	return runtime.ErrUnavailable
}

// markedForDeletion reports whether an InvalidRequestException message is
// the one for a deleted secret ("... because it was marked for deletion"
// from AWS, "... currently marked deleted" from moto).
func markedForDeletion(message string) bool {
	m := strings.ToLower(message)
	return strings.Contains(m, "marked for deletion") || strings.Contains(m, "marked deleted")
}

// batchDenied reports whether a BatchGetSecretValue call was refused as a
// whole because the caller may not call it (a policy granting only
// secretsmanager:GetSecretValue).
func batchDenied(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "AccessDeniedException"
}

// fetch is what reading one secret version produced: the secret, or the
// kind, AWS error code and cause of the failure. It holds a secret value:
// never print it.
type fetch struct {
	done   bool
	secret secret
	kind   error  // nil on success
	code   string // the AWS error code of an API failure, "" otherwise
	cause  error
}

// failed classifies an error returned by an SDK call. An AWS API error
// names the operation, the request id, the error code and the service's
// message (which may echo the secret id), never a secret value; it is kept
// as the cause so that errors.As finds smithy.APIError. Any other error is
// rebuilt by sdkCause.
func failed(err error) fetch {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		status := 0
		var respErr *awshttp.ResponseError
		if errors.As(err, &respErr) {
			status = respErr.HTTPStatusCode()
		}
		code := apiErr.ErrorCode()
		return fetch{done: true, kind: kindOf(code, apiErr.ErrorMessage(), status), code: code, cause: err}
	}
	// Connection errors after the SDK's retries, an exhausted retry quota,
	// a cancelled or expired context, missing credentials, an undecodable
	// response.
	return fetch{done: true, kind: runtime.ErrUnavailable, cause: sdkCause(err)}
}

// sdkCause rebuilds an SDK error that is not an AWS API error from its
// types: the operation, the failing step, a network address, the number of
// attempts. The SDK's own text is not kept, because some of it quotes
// what it could not use: the credential_process provider quotes the
// process's output (the credentials) when it cannot parse it, and decoder
// errors may quote bytes of a response body. context.Canceled and
// context.DeadlineExceeded stay in the chain for errors.Is.
func sdkCause(err error) error {
	op := "Secrets Manager"
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		op = "operation error " + oe.Service() + ": " + oe.Operation()
	}
	what := describe(err)
	var attempts *retry.MaxAttemptsError
	if errors.As(err, &attempts) {
		plural := "s"
		if attempts.Attempt == 1 {
			plural = ""
		}
		what += fmt.Sprintf(" (gave up after %d attempt%s)", attempts.Attempt, plural)
	}
	for _, sentinel := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, sentinel) {
			return fmt.Errorf("%s: %s: %w", op, what, sentinel)
		}
	}
	return fmt.Errorf("%s: %s", op, what)
}

// describe says what went wrong in a non-API SDK error, in words written
// here.
func describe(err error) string {
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
	case errors.As(err, &decode):
		return "could not decode the Secrets Manager response"
	case errors.As(err, &dns):
		return "cannot resolve the host " + dns.Name
	case errors.As(err, &cert), errors.As(err, &uauth):
		return "TLS: the endpoint's certificate is not trusted"
	case errors.As(err, &op):
		addr := ""
		if op.Addr != nil {
			addr = " " + op.Addr.String()
		}
		return fmt.Sprintf("cannot reach the endpoint: %s %s%s: %s", op.Op, op.Net, addr, errText(op.Err))
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

// credentialsFailed reports whether err came from resolving credentials
// (the SDK's auth middleware wraps it as "get identity", older versions
// as "failed to retrieve credentials"). The text only picks the message.
func credentialsFailed(err error) bool {
	text := err.Error()
	return strings.Contains(text, "get identity: ") || strings.Contains(text, "failed to retrieve credentials")
}

// errText describes a connection failure without anything a server sent.
func errText(err error) string {
	if err == nil {
		return "failed"
	}
	text := err.Error()
	for _, known := range []string{"connection refused", "connection reset", "i/o timeout", "no route to host", "network is unreachable"} {
		if strings.Contains(text, known) {
			return known
		}
	}
	return "failed"
}

// failedItem classifies one entry of a BatchGetSecretValue response's
// Errors list. The cause is a smithy.GenericAPIError, so errors.As finds
// the code just as for a GetSecretValue failure.
func failedItem(code, message string) fetch {
	return fetch{
		done:  true,
		kind:  kindOf(code, message, 0),
		code:  code,
		cause: fmt.Errorf("BatchGetSecretValue: %w", &smithy.GenericAPIError{Code: code, Message: message}),
	}
}

// hint says what to do about an error of kind for ref: the hint of the AWS
// error code in errorCodes when it has one, else the kind's.
func hint(kind error, code string, ref runtime.Ref) string {
	if c := errorCodes[code]; c.hint != "" {
		return c.hint
	}
	switch kind {
	case runtime.ErrNotFound:
		h := "create the secret in AWS Secrets Manager (or restore it if it is scheduled for deletion), or check ENVIRONMENT and AWS_REGION"
		if ref.Version != "" {
			h += " and the pinned version"
		}
		return h
	case runtime.ErrAccessDenied:
		return "allow secretsmanager:GetSecretValue on the secret (and kms:Decrypt on its KMS key)"
	case runtime.ErrUnavailable:
		return "check network access to Secrets Manager (AWS_REGION, AWS_ENDPOINT_URL) and retry"
	case runtime.ErrInvalidValue:
		if ref.Key != "" {
			return fmt.Sprintf("store a JSON object with key %q in the secret", ref.Key)
		}
		return ""
	}
	return ""
}
