package awssm

import (
	"errors"
	"fmt"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/dashtam/secretsgen/runtime"
)

// errorKinds is the one table from Secrets Manager (and AWS-wide) error
// codes to runtime error kinds. A code missing here is classified by its
// HTTP status in kindOf.
var errorKinds = map[string]error{
	"ResourceNotFoundException": runtime.ErrNotFound,

	"AccessDeniedException":       runtime.ErrAccessDenied,
	"AccessDenied":                runtime.ErrAccessDenied,
	"DecryptionFailure":           runtime.ErrAccessDenied, // the caller may not use the secret's KMS key
	"UnrecognizedClientException": runtime.ErrAccessDenied,
	"InvalidClientTokenId":        runtime.ErrAccessDenied,
	"InvalidSignatureException":   runtime.ErrAccessDenied,
	"IncompleteSignature":         runtime.ErrAccessDenied,
	"MissingAuthenticationToken":  runtime.ErrAccessDenied,
	"ExpiredTokenException":       runtime.ErrAccessDenied,

	"ThrottlingException":         runtime.ErrUnavailable,
	"TooManyRequestsException":    runtime.ErrUnavailable,
	"RequestLimitExceeded":        runtime.ErrUnavailable,
	"InternalServiceError":        runtime.ErrUnavailable,
	"InternalFailure":             runtime.ErrUnavailable,
	"ServiceUnavailable":          runtime.ErrUnavailable,
	"ServiceUnavailableException": runtime.ErrUnavailable,
}

// kindOf classifies an error code from a response with the given HTTP
// status (0 when unknown, as for batch entries). Secrets Manager reports a
// secret that is scheduled for deletion as InvalidRequestException; for the
// application that secret is gone, so it is not found. Everything else not
// in the table (a 5xx, an unexpected 4xx) is unavailable: the secret could
// not be read, and the error text carries the code.
func kindOf(code, message string, status int) error {
	if k, ok := errorKinds[code]; ok {
		return k
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
// kind and cause of the failure. It holds a secret value: never print it.
type fetch struct {
	done   bool
	secret secret
	kind   error // nil on success
	cause  error
}

// failed classifies an error returned by an SDK call. The SDK's errors
// name the operation, the request id, the error code and the service's
// message (which may echo the secret id), never a secret value; they are
// kept as the cause so that errors.As finds smithy.APIError and
// errors.Is finds context.DeadlineExceeded. A response that could not be
// decoded is replaced by a plain message: decoder errors may quote bytes
// of the response body.
func failed(err error) fetch {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		status := 0
		var respErr *awshttp.ResponseError
		if errors.As(err, &respErr) {
			status = respErr.HTTPStatusCode()
		}
		return fetch{done: true, kind: kindOf(apiErr.ErrorCode(), apiErr.ErrorMessage(), status), cause: err}
	}
	var decodeErr *smithy.DeserializationError
	if errors.As(err, &decodeErr) {
		return fetch{done: true, kind: runtime.ErrUnavailable, cause: errors.New("could not decode the Secrets Manager response")}
	}
	// Connection errors after the SDK's retries, an exhausted retry quota,
	// a cancelled or expired context, missing credentials.
	return fetch{done: true, kind: runtime.ErrUnavailable, cause: err}
}

// failedItem classifies one entry of a BatchGetSecretValue response's
// Errors list. The cause is a smithy.GenericAPIError, so errors.As finds
// the code just as for a GetSecretValue failure.
func failedItem(code, message string) fetch {
	return fetch{
		done:  true,
		kind:  kindOf(code, message, 0),
		cause: fmt.Errorf("BatchGetSecretValue: %w", &smithy.GenericAPIError{Code: code, Message: message}),
	}
}

// hint says what to do about an error of kind for ref.
func hint(kind error, ref runtime.Ref) string {
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
