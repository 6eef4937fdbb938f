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
