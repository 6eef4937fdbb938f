package awssdk

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
		code  string
		kind  error
		known bool
		hint  string
	}{
		{"OwnNotFound", runtime.ErrNotFound, true, ""},
		{"AccessDenied", runtime.ErrInvalidValue, true, "own hint"},
		{"AccessDeniedException", runtime.ErrAccessDenied, true, ""},
		{"ExpiredTokenException", runtime.ErrAccessDenied, true, CredentialsHint},
		{"ThrottlingException", runtime.ErrUnavailable, true, ""},
		{"ServiceUnavailableException", runtime.ErrUnavailable, true, ""},
		{"ValidationException", runtime.ErrInvalidValue, true, "check the request"},
		{"SomethingNew", nil, false, ""},
	}
	for _, tc := range tests {
		kind, known := c.Kind(tc.code)
		if kind != tc.kind || known != tc.known || c.Hint(tc.code) != tc.hint {
			t.Errorf("%s: kind %v, known %v, hint %q; want %v, %v, %q", tc.code, kind, known, c.Hint(tc.code), tc.kind, tc.known, tc.hint)
		}
	}
	// Another adapter's table is not changed by this one's entries.
	if kind, _ := NewCodes(nil).Kind("AccessDenied"); kind != runtime.ErrAccessDenied {
		t.Errorf("a fresh table's AccessDenied is %v, want access denied", kind)
	}
}

func TestAsAPIFailure(t *testing.T) {
	api := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "server text " + canary, Fault: smithy.FaultClient}
	resp := &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 429}}, Err: api}}
	err := &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameters", Err: resp}
	f, ok := AsAPIFailure(err)
	want := APIFailure{Op: "GetParameters", Status: 429, Code: "ThrottlingException", Message: "server text " + canary, Fault: smithy.FaultClient}
	if !ok || f != want {
		t.Errorf("AsAPIFailure = %+v, %v; want %+v", f, ok, want)
	}
	if f, ok := AsAPIFailure(api); !ok || f.Op != "" || f.Status != 0 || f.Code != "ThrottlingException" {
		t.Errorf("AsAPIFailure of a bare API error = %+v, %v", f, ok)
	}
	if _, ok := AsAPIFailure(errors.New("dial tcp: refused")); ok {
		t.Error("AsAPIFailure found an API error in a network error")
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
		if got := NoCredentials(tc.err); got != tc.want {
			t.Errorf("NoCredentials(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestGetMany(t *testing.T) {
	refs := []runtime.Ref{{Path: "a"}, {Path: "b", Source: "s"}, {Path: "c", Source: "s", Key: "k"}, {Path: "a2", Source: "a"}}
	var fetchedTargets []string
	res := GetMany(refs,
		func(r runtime.Ref) string { return r.SourcePath() },
		func(targets []string, fetched []string) {
			fetchedTargets = slices.Clone(targets)
			for i, tg := range targets {
				fetched[i] = "value of " + tg
			}
		},
		func(r runtime.Ref, f *string) (runtime.Value, error) {
			if r.Key != "" {
				return runtime.Value{}, errors.New("no key " + r.Key)
			}
			return runtime.Value{Text: *f}, nil
		})
	if want := []string{"a", "s"}; !slices.Equal(fetchedTargets, want) {
		t.Errorf("fetched %v, want each target once in first-seen order %v", fetchedTargets, want)
	}
	want := []string{"value of a", "value of s", "", "value of a"}
	for i, r := range res {
		if r.Value.Text != want[i] || (i == 2) != (r.Err != nil) {
			t.Errorf("result %d = %q, %v; want %q", i, r.Value.Text, r.Err, want[i])
		}
	}
	if res[2].Err == nil || !strings.Contains(res[2].Err.Error(), "no key k") {
		t.Errorf("result 2: %v", res[2].Err)
	}
}

// TestAPIError: the one rule of both AWS adapters for an API error's code.
// A code in the table is kept; any other (the server's __type or
// X-Amzn-ErrorType, copied verbatim by the SDK) is left out whatever it
// holds, and so is a table key that is not a code.
func TestAPIError(t *testing.T) {
	c := NewCodes(map[string]CodeClass{
		"OwnCode":       {Kind: runtime.ErrNotFound},
		"(credentials)": {Kind: runtime.ErrAccessDenied},
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
			e := c.APIError(tc.op, tc.status, tc.code)
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
