package ssm

import (
	"errors"
	"fmt"

	"github.com/dashtam/secretsgen/adapters/internal/awssdk"
	"github.com/dashtam/secretsgen/adapters/internal/capped"
	"github.com/dashtam/secretsgen/runtime"
)

// Hints for codes whose cause is not what their kind's hint says.
const (
	kmsHint     = "allow kms:Decrypt on the SecureString parameter's KMS key (in the key policy or IAM) and check that the key is enabled"
	requestHint = "check the parameter name and source.version (a version number or a label) in the manifest"
)

// errorCodes is the one table from Parameter Store (and, through
// awssdk.NewCodes, AWS-wide) error codes to runtime error kinds and hints
// (the rules are awssdk.Codes'). A code missing here is classified by its
// HTTP status in kindOf and gets its kind's hint.
var errorCodes = awssdk.NewCodes(map[string]awssdk.CodeClass{
	"ParameterNotFound":        {Kind: runtime.ErrNotFound},
	"ParameterVersionNotFound": {Kind: runtime.ErrNotFound},
	// The SecureString's KMS key is missing, disabled or not usable by
	// the caller.
	"InvalidKeyId": {Kind: runtime.ErrAccessDenied, Hint: kmsHint},

	// Malformed requests: a name or selector the service refuses.
	"ValidationException": {Kind: runtime.ErrInvalidValue, Hint: requestHint},

	"InternalServerError": {Kind: runtime.ErrUnavailable},
})

// listingDenied reports whether a GetParametersByPath failure is an IAM
// denial of the call (a policy granting ssm:GetParameters only), rather
// than a problem GetParameters would meet too.
func listingDenied(code string) bool {
	return code == "AccessDeniedException" || code == "AccessDenied"
}

// kindOf classifies an error code from a response with the given HTTP
// status. Codes not in the table: 403 is access denied, 404 not found,
// another 4xx a request the service refuses (invalid, not an outage), and
// anything else (a 5xx, no status) unavailable.
func kindOf(code string, status int) runtime.Kind {
	if kind, ok := errorCodes.Kind(code); ok {
		return kind
	}
	switch {
	case status == 403:
		return runtime.ErrAccessDenied
	case status == 404:
		return runtime.ErrNotFound
	case status >= 400 && status < 500 && status != 408 && status != 429:
		return runtime.ErrInvalidValue
	}
	return runtime.ErrUnavailable
}

// fetch is what reading one parameter version produced: the parameter, or
// the kind, AWS error code and cause of the failure. It holds a secret
// value: never print it.
type fetch struct {
	done  bool
	param param
	kind  runtime.Kind // 0 on success
	code  string       // the AWS error code of an API failure, "" otherwise
	cause error
}

// missing is the fetch of a parameter version that does not exist: in
// GetParameters' InvalidParameters, or absent from a complete listing.
func missing() fetch {
	return fetch{done: true, kind: runtime.ErrNotFound, cause: errors.New("no such parameter or version")}
}

// noAnswer is the fetch of a name a GetParameters reply neither returned
// nor listed as invalid.
func noAnswer() fetch {
	return fetch{done: true, kind: runtime.ErrUnavailable, cause: errors.New("GetParameters: the reply did not answer for the parameter")}
}

// failed classifies an error returned by the SDK call op. An AWS API
// error is kept as an awssdk.APIError: the operation, the HTTP status and
// the code when errorCodes knows it, so that errors.As finds
// smithy.APIError, and without the service's message, request details or
// an unknown code: no text a server sent reaches a message. Any other
// error is rebuilt by sdkCause.
func failed(op string, err error) fetch {
	if f, ok := awssdk.AsAPIFailure(err); ok {
		if f.Op != "" {
			op = f.Op
		}
		return fetch{
			done:  true,
			kind:  kindOf(f.Code, f.Status),
			code:  f.Code,
			cause: errorCodes.APIError(op, f.Status, f.Code),
		}
	}
	if errors.Is(err, capped.ErrTooLarge) {
		// A response over MaxResponseSize did not come from Parameter
		// Store as it should be: refused, and retrying gets the same.
		return fetch{done: true, kind: runtime.ErrInvalidValue, cause: sdkCause(op, err)}
	}
	if awssdk.NoCredentials(err) {
		// No credentials could be had: fix the configuration, do not wait
		// for an outage to end.
		return fetch{done: true, kind: runtime.ErrAccessDenied, cause: sdkCause(op, err)}
	}
	// Connection errors after the SDK's retries, an exhausted retry quota,
	// a cancelled or expired context, an undecodable response.
	return fetch{done: true, kind: runtime.ErrUnavailable, cause: sdkCause(op, err)}
}

// service is Parameter Store, for the words of messages.
var service = awssdk.Service{Name: "Parameter Store", ResponseLimit: MaxResponseSize}

// sdkCause rebuilds an SDK error of the call op that is not an AWS API
// error from its types, without the SDK's text (see awssdk.Service.Cause).
func sdkCause(op string, err error) error { return service.Cause(op, err) }

// hint says what to do about an error of kind for ref: the hint of the AWS
// error code in errorCodes when it has one, else the kind's.
func hint(kind runtime.Kind, code string, ref runtime.Ref) string {
	if h := errorCodes.Hint(code); h != "" {
		return h
	}
	switch kind {
	case runtime.ErrNotFound:
		h := "create the parameter in SSM Parameter Store (aws ssm put-parameter), or check ENVIRONMENT and AWS_REGION"
		if ref.Version != "" {
			h += " and the pinned version or label"
		}
		return h
	case runtime.ErrAccessDenied:
		if code == "" {
			return awssdk.CredentialsHint
		}
		return "allow ssm:GetParameters on the parameter (and kms:Decrypt on its KMS key for a SecureString); secretsgen policy ssm prints the policy"
	case runtime.ErrUnavailable:
		return "check network access to Systems Manager (AWS_REGION, AWS_ENDPOINT_URL_SSM) and retry"
	case runtime.ErrInvalidValue:
		if ref.Key != "" {
			return fmt.Sprintf("store a JSON object with key %q in the parameter", ref.Key)
		}
		if code != "" {
			return requestHint
		}
		return ""
	}
	return ""
}
