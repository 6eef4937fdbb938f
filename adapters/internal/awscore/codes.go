package awscore

import (
	"errors"
	"fmt"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/dashtam/secretsgen/runtime"
)

// CodeClass is what an AWS error code means: its runtime error kind, and
// the hint for it when the service's hint for the kind (Hints) would
// mislead.
type CodeClass struct {
	Kind runtime.Kind
	Hint string
}

// credentialsHint is the hint for codes that reject the request's
// credentials, and for a failure to get credentials at all.
const credentialsHint = "check or refresh the AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE; aws sso login for SSO) and the system clock"

// Codes is a service's one table from AWS error codes to runtime error
// kinds and hints. The rules, shared by the AWS adapters: what retrying
// may mend (throttling, server faults) is unavailable; a refused request
// that retrying cannot mend is never unavailable; credentials that are
// missing or rejected are access denied, not an outage. A code the table
// does not know is classified by Rule.
type Codes map[string]CodeClass

// NewCodes returns the codes every AWS service answers with (access
// denied, rejected credentials, malformed requests, throttling, server
// faults) together with a service's own, which win.
func NewCodes(own map[string]CodeClass) Codes {
	c := Codes{
		"AccessDeniedException": {Kind: runtime.ErrAccessDenied},
		"AccessDenied":          {Kind: runtime.ErrAccessDenied},

		// The request's credentials are not accepted: not an IAM policy matter.
		"UnrecognizedClientException": {Kind: runtime.ErrAccessDenied, Hint: credentialsHint},
		"InvalidClientTokenId":        {Kind: runtime.ErrAccessDenied, Hint: credentialsHint},
		"InvalidSignatureException":   {Kind: runtime.ErrAccessDenied, Hint: credentialsHint},
		"IncompleteSignature":         {Kind: runtime.ErrAccessDenied, Hint: credentialsHint},
		"MissingAuthenticationToken":  {Kind: runtime.ErrAccessDenied, Hint: credentialsHint},
		"ExpiredTokenException":       {Kind: runtime.ErrAccessDenied, Hint: credentialsHint},

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

// Kind returns the kind of an API error with code and HTTP status (0 when
// unknown, as for a batch entry): the table's, or Rule's for a code the
// table does not know.
func (c Codes) Kind(code string, status int) runtime.Kind {
	if class, ok := c[code]; ok {
		return class.Kind
	}
	return Rule(status)
}

// Rule classifies an API error whose code the table does not know by its
// HTTP status, by what a retry can fix: 403 is access denied; 408, 429,
// any other status that is not a 4xx, and no status (a batch entry) are
// unavailable, since a retry may fix them; any other 4xx is an invalid
// value: the request itself was refused, and a retry sends it again.
//
// A 404 is an invalid value too, not "not found". Secrets Manager and
// Parameter Store answer every error with an error code, a missing secret
// or parameter with HTTP 400 and ResourceNotFoundException or
// ParameterNotFound (codes the tables know); a 404 with a code the table
// does not know comes from something else at the endpoint (a proxy, an
// endpoint URL with a wrong path, an emulator without the service). Were
// it "not found", a default or a lower layer would silently stand in for
// a secret that was never looked up.
func Rule(status int) runtime.Kind {
	switch {
	case status == 403:
		return runtime.ErrAccessDenied
	case status == 408, status == 429:
		return runtime.ErrUnavailable
	case status >= 400 && status < 500:
		return runtime.ErrInvalidValue
	}
	return runtime.ErrUnavailable
}

// Hint returns the hint of code, "" when it has none of its own.
func (c Codes) Hint(code string) string { return c[code].Hint }

// APIError is an AWS API error as the AWS adapters report it: the
// operation, the HTTP status and the error code, and only a code in the
// adapter's table (see Codes.apiError). The server's message, request id
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

// apiError returns the error to report for an API failure of operation op
// with the given HTTP status and error code: the code is kept only when
// the table knows it and it is well formed.
func (c Codes) apiError(op string, status int, code string) *APIError {
	if _, known := c[code]; !known || !wellFormed(code) {
		code = ""
	}
	return &APIError{Op: op, Status: status, Code: code}
}

// wellFormed reports whether code looks like an AWS error code: letters
// and digits only, at most 64 of them, as the tables' keys are; a key
// that is not (a mistake in a table) stays out of messages.
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

// apiFailure is what an AWS API error in an SDK error's chain says. Message
// is the server's text: it may pick a kind, and must never reach an error.
type apiFailure struct {
	Op      string // the operation, from smithy.OperationError; "" when none
	Status  int    // the HTTP status; 0 when unknown
	Code    string
	Message string
}

// asAPIFailure finds the AWS API error in err's chain.
func asAPIFailure(err error) (apiFailure, bool) {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return apiFailure{}, false
	}
	f := apiFailure{Code: apiErr.ErrorCode(), Message: apiErr.ErrorMessage()}
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

// Denied reports whether err is an IAM denial of the call itself
// (AccessDeniedException, AccessDenied), not a failure to get credentials:
// a policy that does not grant the operation. The adapters then stop
// using that operation (BatchGetSecretValue, GetParametersByPath) and read
// with the one the policy grants.
func Denied(err error) bool {
	f, ok := asAPIFailure(err)
	return ok && !credentialsError(err) && (f.Code == "AccessDeniedException" || f.Code == "AccessDenied")
}
