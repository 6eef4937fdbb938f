package awssm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/dashtam/secretsgen/adapters/internal/awssdk"
	"github.com/dashtam/secretsgen/runtime"
)

// Hints for codes whose cause is not what their kind's hint says.
const (
	kmsHint     = "allow kms:Decrypt on the secret's KMS key (in the key policy or IAM)"
	requestHint = "AWS refused the request as invalid for this secret: check the entry's source and version in the manifest and the secret's state (aws secretsmanager describe-secret); retrying will not help"
)

// codeCredentials is the code fetch carries for a failure to get AWS
// credentials (none configured, a failing credential_process, an expired
// SSO session): not an AWS error code, only a key into errorCodes.
const codeCredentials = "(credentials)"

// errorCodes is the one table from Secrets Manager (and, through
// awssdk.NewCodes, AWS-wide) error codes to runtime error kinds and hints.
// A code missing here is classified by its HTTP status in kindOf and gets
// its kind's hint.
var errorCodes = awssdk.NewCodes(map[string]awssdk.CodeClass{
	"ResourceNotFoundException": {Kind: runtime.ErrNotFound},
	"DecryptionFailure":         {Kind: runtime.ErrAccessDenied, Hint: kmsHint}, // the caller may not use the secret's KMS key
	codeCredentials:             {Kind: runtime.ErrAccessDenied, Hint: awssdk.CredentialsHint},

	// The request is refused as malformed or not valid for the secret's
	// state (a version id or label it does not accept, a secret whose KMS
	// key is disabled): retrying the same request cannot help, so these
	// are not outages.
	"ValidationException":       {Kind: runtime.ErrInvalidValue, Hint: requestHint},
	"InvalidParameterException": {Kind: runtime.ErrInvalidValue, Hint: requestHint},
	"InvalidRequestException":   {Kind: runtime.ErrInvalidValue, Hint: requestHint}, // unless the secret is scheduled for deletion: kindOf

	"InternalServiceError": {Kind: runtime.ErrUnavailable},
})

// kindOf classifies an error code from a response with the given HTTP
// status (0 when unknown, as for batch entries) by what a retry can fix.
// Secrets Manager reports a secret that is scheduled for deletion as
// InvalidRequestException; for the application that secret is gone, so it
// is not found. A code missing from the table is classified by its status:
// 403 is access denied, 429 and 5xx (and no status) are unavailable, since
// a retry may fix them, and any other 4xx is an invalid value: the request
// itself is wrong and a retry sends it again.
func kindOf(code, message string, status int) runtime.Kind {
	if code == "InvalidRequestException" && markedForDeletion(message) {
		return runtime.ErrNotFound
	}
	if kind, ok := errorCodes.Kind(code); ok {
		return kind
	}
	switch {
	case status == 403:
		return runtime.ErrAccessDenied
	case status == 429, status >= 500, status == 0:
		return runtime.ErrUnavailable
	case status >= 400:
		return runtime.ErrInvalidValue
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
	kind   runtime.Kind // 0 on success
	code   string       // the AWS error code of an API failure, "" otherwise
	cause  error
	wide   bool // the failure is the endpoint's or the credentials', not the secret's (see wide)
}

// failed classifies an error returned by an SDK call. Nothing the server
// sent is kept (see awssdk.APIError): an AWS API error becomes the operation, the
// HTTP status and the error code when it is one this package knows. A
// failure to get credentials is access denied: no retry makes credentials
// appear, and a cache must not serve stale values on it as on an outage;
// only the caller's context ending while the SDK waited stays unavailable.
// Any other error is rebuilt by sdkCause.
func failed(err error) fetch {
	if f, ok := awssdk.AsAPIFailure(err); ok && !awssdk.CredentialsError(err) {
		return fetch{done: true, kind: kindOf(f.Code, f.Message, f.Status), code: f.Code, cause: errorCodes.APIError(f.Op, f.Status, f.Code)}
	}
	if errors.Is(err, errResponseTooLarge) {
		return fetch{done: true, kind: runtime.ErrInvalidValue, cause: sdkCause(err)}
	}
	if awssdk.NoCredentials(err) {
		return fetch{done: true, kind: runtime.ErrAccessDenied, code: codeCredentials, cause: service.Wide(err), wide: true}
	}
	// Connection errors after the SDK's retries, an exhausted retry quota,
	// a cancelled or expired context, an undecodable response.
	if unreachable(err) {
		return fetch{done: true, kind: runtime.ErrUnavailable, cause: service.Wide(err), wide: true}
	}
	return fetch{done: true, kind: runtime.ErrUnavailable, cause: sdkCause(err)}
}

// service is Secrets Manager, for the words of messages.
var service = awssdk.Service{Name: "Secrets Manager", ResponseLimit: MaxResponseSize}

// sdkCause rebuilds an SDK error that is not an AWS API error from its
// types, without the SDK's text (see awssdk.Service.Cause).
func sdkCause(err error) error { return service.Cause("", err) }

// failedItem classifies one entry of a BatchGetSecretValue response's
// Errors list. The cause is an awssdk.APIError, so errors.As finds
// the code just as for a GetSecretValue failure.
func failedItem(code, message string) fetch {
	return fetch{
		done:  true,
		kind:  kindOf(code, message, 0),
		code:  code,
		cause: errorCodes.APIError("BatchGetSecretValue", 0, code),
	}
}

// hint says what to do about an error of kind for ref: the hint of the AWS
// error code in errorCodes when it has one, else the kind's.
func hint(kind runtime.Kind, code string, ref runtime.Ref) string {
	if h := errorCodes.Hint(code); h != "" {
		return h
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
		if code != "" {
			return requestHint
		}
		if ref.Key != "" {
			return fmt.Sprintf("store a JSON object with key %q in the secret", ref.Key)
		}
		return ""
	}
	return ""
}
