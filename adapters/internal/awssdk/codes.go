package awssdk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/dashtam/secretsgen/runtime"
)

// CodeClass is what an AWS error code means: its runtime error kind, and
// the hint for it when the kind's own hint (an adapter's hint function)
// would mislead.
type CodeClass struct {
	Kind runtime.Kind
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

		// Requests refused as malformed, in every AWS service's list of
		// common errors: retrying the same request cannot mend them.
		"ValidationException":         {Kind: runtime.ErrInvalidValue},
		"ValidationError":             {Kind: runtime.ErrInvalidValue},
		"MalformedQueryString":        {Kind: runtime.ErrInvalidValue},
		"InvalidParameterValue":       {Kind: runtime.ErrInvalidValue},
		"InvalidParameterCombination": {Kind: runtime.ErrInvalidValue},
		"InvalidQueryParameter":       {Kind: runtime.ErrInvalidValue},
		"MissingParameter":            {Kind: runtime.ErrInvalidValue},

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
func (c Codes) Kind(code string) (runtime.Kind, bool) {
	class, ok := c[code]
	return class.Kind, ok
}

// Hint returns the hint of code, "" when it has none of its own.
func (c Codes) Hint(code string) string { return c[code].Hint }

// APIError is an AWS API error as the AWS adapters report it: the
// operation, the HTTP status and the error code, and only a code in the
// adapter's table (see Codes.APIError). The server's message, request id
// and any other code are left out: a proxy or a compromised endpoint
// controls them, and an unknown code is copied from the response's __type
// or X-Amzn-ErrorType verbatim (a line break in it would forge a log line;
// its length is the server's choice). It implements smithy.APIError, so
// errors.As still finds the code.
type APIError struct {
	Op     string // the operation; "" when unknown
	Status int    // the HTTP status; 0 when unknown (a batch entry)
	Code   string // a code of the table; "" when the server's code is not one
}

// APIError returns the error to report for an API failure of operation op
// with the given HTTP status and error code: the code is kept only when
// the table knows it (entries whose name is not an AWS code, such as a
// key for a failure to get credentials, written in parentheses, are left
// out too).
func (c Codes) APIError(op string, status int, code string) *APIError {
	if _, known := c[code]; !known || !wellFormed(code) {
		code = ""
	}
	return &APIError{Op: op, Status: status, Code: code}
}

// wellFormed reports whether code looks like an AWS error code: letters
// and digits only, at most 64 of them. The table's keys are such codes;
// this keeps a table entry that is not a code (a key such as
// "(credentials)") out of messages.
func wellFormed(code string) bool {
	if code == "" || len(code) > 64 {
		return false
	}
	for _, r := range code {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("AWS API error")
	if e.Op != "" {
		b.WriteString(" (" + e.Op + ")")
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	} else {
		b.WriteString(": an error code this adapter does not know")
	}
	return b.String()
}

// ErrorCode returns the error code, or "Unknown" for one left out.
func (e *APIError) ErrorCode() string {
	if e.Code == "" {
		return "Unknown"
	}
	return e.Code
}

// ErrorMessage returns "": the server's message is never kept.
func (e *APIError) ErrorMessage() string { return "" }

// ErrorFault returns the fault the HTTP status implies.
func (e *APIError) ErrorFault() smithy.ErrorFault {
	switch {
	case e.Status >= 500:
		return smithy.FaultServer
	case e.Status >= 400:
		return smithy.FaultClient
	}
	return smithy.FaultUnknown
}

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
