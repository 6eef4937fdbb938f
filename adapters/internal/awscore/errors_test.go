package awscore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/dashtam/secretsgen/adapters/internal/capped"
	"github.com/dashtam/secretsgen/runtime"
)

const canary = "canary-value-5b1e9d"

func TestCause(t *testing.T) {
	s := &Service{Name: "Parameter Store", ResponseLimit: 16 << 20}
	opErr := func(err error) error {
		return &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameters", Err: err}
	}
	tests := []struct {
		name string
		err  error
		want []string
		is   error
	}{
		{"too large", opErr(fmt.Errorf("read: %w", capped.ErrTooLarge)), []string{"operation error SSM: GetParameters", "larger than the limit of 16 MiB"}, nil},
		{"decode", opErr(&smithy.DeserializationError{Err: errors.New(canary)}), []string{"could not decode the Parameter Store response"}, nil},
		{"refused", opErr(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect "+canary, syscall.ECONNREFUSED)}), []string{"cannot reach the endpoint: dial tcp", "connection refused"}, nil},
		{"credentials", opErr(errors.New("get identity: " + canary)), []string{"cannot get AWS credentials"}, nil},
		{"deadline", fmt.Errorf("%s: %w", canary, context.DeadlineExceeded), []string{"Parameter Store: deadline exceeded"}, context.DeadlineExceeded},
		{"unknown", opErr(errors.New(canary)), []string{"request failed (*errors.errorString)"}, nil},
	}
	for _, tc := range tests {
		err := s.cause("", tc.err)
		msg := err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q does not say %q", tc.name, msg, w)
			}
		}
		if strings.Contains(msg, canary) {
			t.Errorf("%s: %q quotes the SDK's text", tc.name, msg)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: %v is not %v", tc.name, err, tc.is)
		}
	}
	if got := s.cause("GetParametersByPath", errors.New(canary)).Error(); !strings.HasPrefix(got, "GetParametersByPath: ") {
		t.Errorf("op without an OperationError: %q", got)
	}
	if !credentialsError(errors.New("failed to retrieve credentials")) || credentialsError(errors.New("connection refused")) {
		t.Error("credentialsError")
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{16 << 20: "16 MiB", 64 << 10: "64 KiB", 100: "100 bytes", 1<<20 + 1: fmt.Sprint(1<<20+1) + " bytes"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestConfigValuesUnreadable: a shared config file that is a FIFO (which
// a plain read would block on) or larger than the cap is not read, and
// then nothing after the first separator of the SDK's text is kept.
func TestConfigValuesUnreadable(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte("[default]\naws_secret_access_key = "+canary+strings.Repeat("x", maxSharedFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("[default]\naws_secret_access_key = "+canary+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "missing"))
	for _, file := range []string{fifo, big} {
		t.Setenv("AWS_CONFIG_FILE", file)
		if got := withoutConfigValues("bad setting: " + canary); strings.Contains(got, canary) || !strings.HasPrefix(got, "bad setting") {
			t.Errorf("%s: %q", filepath.Base(file), got)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", small)
	if got := withoutConfigValues("bad setting: " + canary + " here"); got != "bad setting: "+leftOut {
		t.Errorf("small: %q", got)
	}
	if got := withoutConfigValues("no value quoted: 3"); got != "no value quoted: 3" {
		t.Errorf("small, nothing quoted: %q", got)
	}
}

// testService is a service for the core's own tests: a code of its own
// with a hint, one refined by its message, and a hint for every kind.
var testService = Service{
	Package: "testsvc", Backend: "test", Name: "Test Service", Pin: "@",
	Host: "test", EndpointVar: "AWS_ENDPOINT_URL_TEST", ResponseLimit: 16 << 20,
	Codes: NewCodes(map[string]CodeClass{
		"OwnNotFound": {Kind: runtime.ErrNotFound},
		"OwnKMS":      {Kind: runtime.ErrAccessDenied, Hint: "own hint"},
	}),
	Refine: func(code, message string) runtime.Kind {
		if code == "InvalidRequestException" && strings.Contains(message, "gone") {
			return runtime.ErrNotFound
		}
		return 0
	},
	Hints: Hints{NotFound: "create it", Pinned: " and the pin", Denied: "allow it", Down: "check the network", Request: "fix the request", Holder: "thing"},
}

// apiErr is an API error of GetThing as the SDK returns it: status 0
// leaves the HTTP response out.
func apiErr(status int, code, message string) error {
	var err error = &smithy.GenericAPIError{Code: code, Message: message}
	if status != 0 {
		err = &awshttp.ResponseError{RequestID: canary, ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err}}
	}
	return &smithy.OperationError{ServiceID: "Test", OperationName: "GetThing", Err: err}
}

// TestFailed: the one classification of a failed SDK call for both AWS
// adapters. An API error keeps its operation, status and known code, never
// the server's message, request id or an unknown code; other SDK errors
// are rebuilt from their types; credentials and an unreachable endpoint
// are backend-wide and leave the operation out.
func TestFailed(t *testing.T) {
	opErr := func(err error) error {
		return &smithy.OperationError{ServiceID: "Test", OperationName: "GetThing", Err: err}
	}
	process := &processcreds.ProviderError{Err: fmt.Errorf("parse failed of process output: {\"SecretAccessKey\": %q,, error: %w", canary, errors.New("unexpected end of JSON input"))}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("%s: %w", canary, syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		kind runtime.Kind
		wide bool
		code string // what errors.As finds in the cause; "" for no API error
		want string // what the cause says
		is   error  // a sentinel the cause must still match
	}{
		{"own code", apiErr(400, "OwnNotFound", canary), runtime.ErrNotFound, false, "OwnNotFound", "AWS API error (GetThing): HTTP 400: OwnNotFound", nil},
		{"common code", apiErr(400, "AccessDeniedException", canary), runtime.ErrAccessDenied, false, "AccessDeniedException", "AWS API error (GetThing): HTTP 400: AccessDeniedException", nil},
		{"refined by the message", apiErr(400, "InvalidRequestException", canary+" gone"), runtime.ErrNotFound, false, "Unknown", "HTTP 400: an error code this adapter does not know", nil},
		{"not refined", apiErr(400, "InvalidRequestException", canary), runtime.ErrInvalidValue, false, "Unknown", "", nil},
		{"unknown 4xx", apiErr(400, canary, canary), runtime.ErrInvalidValue, false, "Unknown", "AWS API error (GetThing): HTTP 400: an error code this adapter does not know", nil},
		{"unknown 404", apiErr(404, canary, canary), runtime.ErrInvalidValue, false, "Unknown", "HTTP 404: an error code this adapter does not know", nil},
		{"unknown 503, line break", apiErr(503, canary+"\nlevel=INFO msg=forged", canary), runtime.ErrUnavailable, false, "Unknown", "HTTP 503: an error code this adapter does not know", nil},
		{"100 KB code", apiErr(400, canary+strings.Repeat("A", 100<<10), canary), runtime.ErrInvalidValue, false, "Unknown", "HTTP 400: an error code this adapter does not know", nil},
		{"throttled after retries", opErr(&retry.MaxAttemptsError{Attempt: 3, Err: &smithy.GenericAPIError{Code: "ThrottlingException", Message: canary}}),
			runtime.ErrUnavailable, false, "ThrottlingException", "AWS API error (GetThing): ThrottlingException", nil},
		{"response too large", opErr(fmt.Errorf("read: %w", capped.ErrTooLarge)), runtime.ErrInvalidValue, false, "", "operation error Test: GetThing: the response is larger than the limit of 16 MiB", nil},
		{"credential_process output", opErr(fmt.Errorf("get identity: get credentials: failed to refresh cached credentials, %w", process)),
			runtime.ErrAccessDenied, true, "", "Test Service: cannot get AWS credentials: the profile's credential_process failed", nil},
		{"SSO token", opErr(fmt.Errorf("get identity: %w", &ssocreds.InvalidTokenError{Err: errors.New(canary)})), runtime.ErrAccessDenied, true, "", "aws sso login", nil},
		{"other credential provider", opErr(fmt.Errorf("get identity: get credentials: %s", canary)), runtime.ErrAccessDenied, true, "", "cannot get AWS credentials", nil},
		{"credentials endpoint body", opErr(fmt.Errorf("get identity: %w", &smithy.DeserializationError{Err: errors.New(canary)})), runtime.ErrAccessDenied, true, "", "cannot get AWS credentials", nil},
		{"API error while getting credentials", opErr(fmt.Errorf("get identity: %w", apiErr(403, "AccessDenied", canary))), runtime.ErrAccessDenied, true, "", "cannot get AWS credentials", nil},
		{"deadline in a credential provider", opErr(fmt.Errorf("get identity: %s: %w", canary, context.DeadlineExceeded)), runtime.ErrUnavailable, false, "", "deadline exceeded", context.DeadlineExceeded},
		{"connection refused after retries", opErr(&retry.MaxAttemptsError{Attempt: 3, Err: refused}), runtime.ErrUnavailable, true, "",
			"Test Service: cannot reach the endpoint: dial tcp: connection refused (gave up after 3 attempts)", nil},
		{"dns", opErr(&net.DNSError{Name: "test.example", Err: canary}), runtime.ErrUnavailable, true, "", "cannot resolve the host test.example", nil},
		{"undecodable response", opErr(&smithy.DeserializationError{Err: fmt.Errorf("invalid character in %s", canary)}), runtime.ErrUnavailable, false, "",
			"operation error Test: GetThing: could not decode the Test Service response", nil},
		{"cancelled", opErr(fmt.Errorf("%s: %w", canary, context.Canceled)), runtime.ErrUnavailable, false, "", "cancelled", context.Canceled},
		{"context ended before a call", context.DeadlineExceeded, runtime.ErrUnavailable, false, "", "GetThing: deadline exceeded", context.DeadlineExceeded},
		{"unknown", opErr(errors.New(canary)), runtime.ErrUnavailable, false, "", "request failed (*errors.errorString)", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := testService.Failed("GetThing", tc.err)
			if f.Kind != tc.kind || f.Wide != tc.wide {
				t.Errorf("kind %v, wide %v; want %v, %v", f.Kind, f.Wide, tc.kind, tc.wide)
			}
			for e := f.Cause; e != nil; e = errors.Unwrap(e) {
				if s := fmt.Sprintf("%v %+v %#v", e, e, e); strings.Contains(s, canary) || strings.Contains(s, "\n") {
					t.Errorf("cause %.300q quotes the server's or the SDK's text", s)
				}
			}
			if msg := f.Cause.Error(); !strings.Contains(msg, tc.want) || len(msg) > 500 {
				t.Errorf("cause %.300q, want it to say %q", msg, tc.want)
			}
			var api smithy.APIError
			if found := errors.As(f.Cause, &api); found != (tc.code != "") || found && api.ErrorCode() != tc.code {
				t.Errorf("errors.As finds an API error %v (code %q), want code %q", found, tc.code, tc.code)
			}
			if tc.is != nil && !errors.Is(f.Cause, tc.is) {
				t.Errorf("cause %v does not match %v", f.Cause, tc.is)
			}
		})
	}
	// A batch entry: the code without a status.
	if f := testService.Refused("BatchGetThing", "OwnNotFound", canary); f.Kind != runtime.ErrNotFound || f.Cause.Error() != "AWS API error (BatchGetThing): OwnNotFound" {
		t.Errorf("Refused: %v, %q", f.Kind, f.Cause)
	}
	if f := testService.Refused("BatchGetThing", "SomethingNew", canary); f.Kind != runtime.ErrUnavailable {
		t.Errorf("Refused with an unknown code: %v, want unavailable (no status)", f.Kind)
	}
}

// TestFail: the error an adapter returns says kind, cause and hint; a
// backend-wide failure names the region and endpoint tried. The hint is
// the code's own, else the credentials', else the service's for the kind.
func TestFail(t *testing.T) {
	c := NewCore(&testService, "app", "prod")
	c.endpoint = "region us-east-1, endpoint http://127.0.0.1:1 from AWS_ENDPOINT_URL"
	plain, pinned, keyed := runtime.Ref{Path: "a"}, runtime.Ref{Path: "a", Version: "v"}, runtime.Ref{Path: "a", Key: "k"}
	tests := []struct {
		name string
		ref  runtime.Ref
		f    *Failure
		hint string
		wide bool
	}{
		{"own code's hint", plain, testService.Failed("GetThing", apiErr(400, "OwnKMS", canary)), "own hint", false},
		{"rejected credentials", plain, testService.Failed("GetThing", apiErr(400, "ExpiredTokenException", canary)), credentialsHint, false},
		{"no credentials", plain, testService.Failed("GetThing", errors.New("get identity: none")), credentialsHint, true},
		{"denied", plain, testService.Failed("GetThing", apiErr(400, "AccessDeniedException", canary)), "allow it", false},
		{"forbidden by status", plain, testService.Failed("GetThing", apiErr(403, "SomethingNew", canary)), "allow it", false},
		{"not found", plain, testService.Failed("GetThing", apiErr(400, "OwnNotFound", canary)), "create it", false},
		{"not found, pinned", pinned, testService.Failed("GetThing", apiErr(400, "OwnNotFound", canary)), "create it and the pin", false},
		{"refused request", keyed, testService.Failed("GetThing", apiErr(400, "ValidationException", canary)), "fix the request", false},
		{"unreachable", plain, testService.Failed("GetThing", &net.DNSError{Name: "x.invalid"}), "check the network", true},
		{"bad member", keyed, &Failure{Kind: runtime.ErrInvalidValue, Cause: errors.New(`key "k" is missing`)}, `store a JSON object with key "k" in the thing`, false},
		{"bad value", plain, &Failure{Kind: runtime.ErrInvalidValue, Cause: errors.New("too large")}, "", false},
	}
	for _, tc := range tests {
		err := c.fail(tc.ref, tc.f)
		var se *runtime.SecretError
		if !errors.As(err, &se) || se.Kind != tc.f.Kind || se.Hint != tc.hint || se.Path != "" || se.Backend != "" || se.Where != "" {
			t.Errorf("%s: %#v; want kind %v, hint %q, and no path, backend or location (runtime stamps them)", tc.name, se, tc.f.Kind, tc.hint)
			continue
		}
		var be *runtime.BackendError
		if wide := errors.As(err, &be); wide != tc.wide || wide && be.Address != c.endpoint {
			t.Errorf("%s: backend-wide %v (%v), want %v", tc.name, wide, be, tc.wide)
		}
	}
}
