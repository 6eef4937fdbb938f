package awscore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/dashtam/secretsgen/runtime"
)

func TestNewCodes(t *testing.T) {
	c := NewCodes(map[string]CodeClass{
		"OwnNotFound":         {Kind: runtime.ErrNotFound},
		"AccessDenied":        {Kind: runtime.ErrInvalidValue, Hint: "own hint"}, // a service's own entry wins
		"ValidationException": {Kind: runtime.ErrInvalidValue, Hint: "check the request"},
	})
	tests := []struct {
		code string
		kind runtime.Kind
		hint string
	}{
		{"OwnNotFound", runtime.ErrNotFound, ""},
		{"AccessDenied", runtime.ErrInvalidValue, "own hint"},
		{"AccessDeniedException", runtime.ErrAccessDenied, ""},
		{"ExpiredTokenException", runtime.ErrAccessDenied, credentialsHint},
		{"ThrottlingException", runtime.ErrUnavailable, ""},
		{"ServiceUnavailableException", runtime.ErrUnavailable, ""},
		{"ValidationException", runtime.ErrInvalidValue, "check the request"},
		{"SomethingNew", runtime.ErrInvalidValue, ""}, // by Rule: a 400
	}
	for _, tc := range tests {
		if kind, hint := c.Kind(tc.code, 400), c.Hint(tc.code); kind != tc.kind || hint != tc.hint {
			t.Errorf("%s: kind %v, hint %q; want %v, %q", tc.code, kind, hint, tc.kind, tc.hint)
		}
	}
	// A known code's kind does not depend on the status.
	if kind := c.Kind("ThrottlingException", 0); kind != runtime.ErrUnavailable {
		t.Errorf("ThrottlingException without a status: %v", kind)
	}
	// Another adapter's table is not changed by this one's entries.
	if kind := NewCodes(nil).Kind("AccessDenied", 400); kind != runtime.ErrAccessDenied {
		t.Errorf("a fresh table's AccessDenied is %v, want access denied", kind)
	}
}

// TestRule: an unknown code's kind by its HTTP status, the same for both
// services; 404 is not "not found" (see Rule).
func TestRule(t *testing.T) {
	for status, want := range map[int]runtime.Kind{
		400: runtime.ErrInvalidValue, 403: runtime.ErrAccessDenied, 404: runtime.ErrInvalidValue,
		408: runtime.ErrUnavailable, 409: runtime.ErrInvalidValue, 429: runtime.ErrUnavailable,
		500: runtime.ErrUnavailable, 503: runtime.ErrUnavailable, 0: runtime.ErrUnavailable, 301: runtime.ErrUnavailable,
	} {
		if got := Rule(status); got != want {
			t.Errorf("Rule(%d) = %v, want %v", status, got, want)
		}
	}
}

// TestDenied: an IAM denial of the call, not a credentials failure.
func TestDenied(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{apiErr(400, "AccessDeniedException", "not authorized"), true},
		{apiErr(403, "AccessDenied", "not authorized"), true},
		{apiErr(400, "ThrottlingException", ""), false},
		{fmt.Errorf("get identity: %w", apiErr(403, "AccessDenied", "sts refused")), false},
		{errors.New("AccessDeniedException"), false},
	}
	for _, tc := range tests {
		if got := Denied(tc.err); got != tc.want {
			t.Errorf("Denied(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestAsAPIFailure(t *testing.T) {
	api := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "server text " + canary, Fault: smithy.FaultClient}
	resp := &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 429}}, Err: api}}
	err := &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameters", Err: resp}
	f, ok := asAPIFailure(err)
	want := apiFailure{Op: "GetParameters", Status: 429, Code: "ThrottlingException", Message: "server text " + canary}
	if !ok || f != want {
		t.Errorf("asAPIFailure = %+v, %v; want %+v", f, ok, want)
	}
	if f, ok := asAPIFailure(api); !ok || f.Op != "" || f.Status != 0 || f.Code != "ThrottlingException" {
		t.Errorf("asAPIFailure of a bare API error = %+v, %v", f, ok)
	}
	if _, ok := asAPIFailure(errors.New("dial tcp: refused")); ok {
		t.Error("asAPIFailure found an API error in a network error")
	}
}

func TestNoCredentials(t *testing.T) {
	process := fmt.Errorf("get identity: %w", &processcreds.ProviderError{Err: errors.New("exit 1")})
	tests := []struct {
		err  error
		want bool
	}{
		{process, true},
		{errors.New("operation error SSM: GetParameters, get identity: no EC2 IMDS role found"), true},
		{fmt.Errorf("get identity: %w", context.DeadlineExceeded), false}, // the caller's deadline, not the credentials
		{fmt.Errorf("get identity: %w", context.Canceled), false},
		{errors.New("dial tcp 127.0.0.1:1: connection refused"), false},
	}
	for _, tc := range tests {
		if got := noCredentials(tc.err); got != tc.want {
			t.Errorf("noCredentials(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestGetMany(t *testing.T) {
	c := NewCore(&testService, "app", "prod")
	refs := []runtime.Ref{{Path: "a"}, {Path: "b", Source: "s"}, {Path: "c", Source: "s", Key: "k"}, {Path: "a2", Source: "a"}, {Path: "x"}}
	var fetchedTargets []string
	res := GetMany(&c, refs,
		func(r runtime.Ref) string { return r.SourcePath() },
		func(targets []string, fetched []Fetch[string]) {
			fetchedTargets = slices.Clone(targets)
			for i, tg := range targets {
				fetched[i] = Fetch[string]{Done: true, Value: "value of " + tg}
				if tg == "x" {
					fetched[i] = Fetch[string]{Done: true, Fail: testService.Failed("GetThing", apiErr(400, "OwnNotFound", ""))}
				}
			}
		},
		func(v *string, r runtime.Ref) (runtime.Value, error) {
			if r.Key != "" {
				return runtime.Value{}, errors.New("no key " + r.Key)
			}
			return runtime.Value{Text: *v}, nil
		})
	if want := []string{"a", "s", "x"}; !slices.Equal(fetchedTargets, want) {
		t.Errorf("fetched %v, want each target once in first-seen order %v", fetchedTargets, want)
	}
	want := []string{"value of a", "value of s", "", "value of a", ""}
	for i, r := range res {
		if r.Value.Text != want[i] || (i == 2 || i == 4) != (r.Err != nil) {
			t.Errorf("result %d = %q, %v; want %q", i, r.Value.Text, r.Err, want[i])
		}
	}
	if err := res[2].Err; !errors.Is(err, runtime.ErrInvalidValue) || !strings.Contains(err.Error(), "no key k") {
		t.Errorf("result 2: %v, want an invalid value saying what extract said", err)
	}
	if err := res[4].Err; !errors.Is(err, runtime.ErrNotFound) || !strings.Contains(err.Error(), "create it") {
		t.Errorf("result 4: %v, want the failure with its hint", err)
	}
}

// TestAPIError: the one rule of both AWS adapters for an API error's code.
// A code in the table is kept; any other (the server's __type or
// X-Amzn-ErrorType, copied verbatim by the SDK) is left out whatever it
// holds, and so is a table key that is not a code.
func TestAPIError(t *testing.T) {
	c := NewCodes(map[string]CodeClass{
		"OwnCode":       {Kind: runtime.ErrNotFound},
		"(credentials)": {Kind: runtime.ErrAccessDenied}, // a key that is no code: a mistake in a table
	})
	long := strings.Repeat("A", 100<<10)
	tests := []struct {
		name    string
		op      string
		status  int
		code    string
		want    string
		errCode string
		fault   smithy.ErrorFault
	}{
		{"own", "GetParameters", 400, "OwnCode", "AWS API error (GetParameters): HTTP 400: OwnCode", "OwnCode", smithy.FaultClient},
		{"common", "GetSecretValue", 400, "AccessDeniedException", "AWS API error (GetSecretValue): HTTP 400: AccessDeniedException", "AccessDeniedException", smithy.FaultClient},
		{"no op, no status", "", 0, "ThrottlingException", "AWS API error: ThrottlingException", "ThrottlingException", smithy.FaultUnknown},
		{"unknown", "GetParameters", 400, "SomethingNew", "AWS API error (GetParameters): HTTP 400: an error code this adapter does not know", "Unknown", smithy.FaultClient},
		{"line break", "GetParameters", 503, "Throttling\nlevel=INFO msg=forged", "AWS API error (GetParameters): HTTP 503: an error code this adapter does not know", "Unknown", smithy.FaultServer},
		{"100 KB", "GetParameters", 400, long, "AWS API error (GetParameters): HTTP 400: an error code this adapter does not know", "Unknown", smithy.FaultClient},
		{"a key that is no code", "", 0, "(credentials)", "AWS API error: an error code this adapter does not know", "Unknown", smithy.FaultUnknown},
		{"empty", "", 500, "", "AWS API error: HTTP 500: an error code this adapter does not know", "Unknown", smithy.FaultServer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := c.apiError(tc.op, tc.status, tc.code)
			if got := e.Error(); got != tc.want {
				t.Errorf("Error() = %.200q, want %q", got, tc.want)
			}
			var api smithy.APIError = e
			if api.ErrorCode() != tc.errCode || api.ErrorMessage() != "" || api.ErrorFault() != tc.fault {
				t.Errorf("ErrorCode %.200q, ErrorMessage %q, ErrorFault %v; want %q, \"\", %v", api.ErrorCode(), api.ErrorMessage(), api.ErrorFault(), tc.errCode, tc.fault)
			}
		})
	}
}
