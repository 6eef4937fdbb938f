package awssdk

import (
	"context"
	"errors"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/dashtam/secretsgen/runtime"
)

// CodeClass is what an AWS error code means: its runtime error kind, and
// the hint for it when the kind's own hint (an adapter's hint function)
// would mislead.
type CodeClass struct {
	Kind error
	Hint string
}

// CredentialsHint is the hint for codes that reject the request's
// credentials, and for a failure to get credentials at all.
const CredentialsHint = "check or refresh the AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE; aws sso login for SSO) and the system clock"

// Codes is an adapter's one table from AWS error codes to runtime error
// kinds and hints. The rules, shared by the AWS adapters: what retrying
// may mend (throttling, server faults) is unavailable; a refused request
// that retrying cannot mend is never unavailable; credentials that are
// missing or rejected are access denied, not an outage.
type Codes map[string]CodeClass

// NewCodes returns the codes every AWS service answers with (access
// denied, rejected credentials, throttling, server faults) together with
// a service's own, which win.
func NewCodes(own map[string]CodeClass) Codes {
	c := Codes{
		"AccessDeniedException": {Kind: runtime.ErrAccessDenied},
		"AccessDenied":          {Kind: runtime.ErrAccessDenied},

		// The request's credentials are not accepted: not an IAM policy matter.
		"UnrecognizedClientException": {Kind: runtime.ErrAccessDenied, Hint: CredentialsHint},
		"InvalidClientTokenId":        {Kind: runtime.ErrAccessDenied, Hint: CredentialsHint},
		"InvalidSignatureException":   {Kind: runtime.ErrAccessDenied, Hint: CredentialsHint},
		"IncompleteSignature":         {Kind: runtime.ErrAccessDenied, Hint: CredentialsHint},
		"MissingAuthenticationToken":  {Kind: runtime.ErrAccessDenied, Hint: CredentialsHint},
		"ExpiredTokenException":       {Kind: runtime.ErrAccessDenied, Hint: CredentialsHint},

		"ThrottlingException":         {Kind: runtime.ErrUnavailable},
		"TooManyRequestsException":    {Kind: runtime.ErrUnavailable},
		"RequestLimitExceeded":        {Kind: runtime.ErrUnavailable},
		"InternalFailure":             {Kind: runtime.ErrUnavailable},
		"ServiceUnavailable":          {Kind: runtime.ErrUnavailable},
		"ServiceUnavailableException": {Kind: runtime.ErrUnavailable},
	}
	for code, class := range own {
		c[code] = class
	}
	return c
}

// Kind returns the kind of code, and whether the table knows it.
func (c Codes) Kind(code string) (error, bool) {
	class, ok := c[code]
	return class.Kind, ok
}

// Hint returns the hint of code, "" when it has none of its own.
func (c Codes) Hint(code string) string { return c[code].Hint }

// APIFailure is what an AWS API error in an SDK error's chain says. Message
// is the server's text: it may pick a kind, and must never reach an error.
type APIFailure struct {
	Op      string // the operation, from smithy.OperationError; "" when none
	Status  int    // the HTTP status; 0 when unknown
	Code    string
	Message string
	Fault   smithy.ErrorFault
}

// AsAPIFailure finds the AWS API error in err's chain.
func AsAPIFailure(err error) (APIFailure, bool) {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return APIFailure{}, false
	}
	f := APIFailure{Code: apiErr.ErrorCode(), Message: apiErr.ErrorMessage(), Fault: apiErr.ErrorFault()}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		f.Status = respErr.HTTPStatusCode()
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		f.Op = oe.Operation()
	}
	return f, true
}

// NoCredentials reports whether err is a failure to get credentials (see
// CredentialsError) that is not the caller's context ending: no retry
// makes credentials appear, so it is access denied, not an outage.
func NoCredentials(err error) bool {
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && CredentialsError(err)
}
