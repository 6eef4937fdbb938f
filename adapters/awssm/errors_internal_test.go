package awssm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/dashtam/secretsgen/runtime"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		code, message string
		status        int
		want          error
	}{
		{"ResourceNotFoundException", "Secrets Manager can't find the specified secret.", 400, runtime.ErrNotFound},
		{"InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.", 400, runtime.ErrNotFound},
		{"InvalidRequestException", "You tried to perform the operation on a secret that's currently marked deleted.", 400, runtime.ErrNotFound},
		{"InvalidRequestException", "You provided a parameter value that is not valid for the current state of the resource.", 400, runtime.ErrInvalidValue},
		{"ValidationException", "1 validation error detected", 400, runtime.ErrInvalidValue},
		{"InvalidParameterException", "", 400, runtime.ErrInvalidValue},
		{"SomethingRefused", "", 400, runtime.ErrInvalidValue}, // a 4xx a retry sends again
		{"SomethingSlow", "", 429, runtime.ErrUnavailable},
		{"SomethingFromABatch", "", 0, runtime.ErrUnavailable},
		{"AccessDeniedException", "User is not authorized", 400, runtime.ErrAccessDenied},
		{"DecryptionFailure", "KMS denied", 400, runtime.ErrAccessDenied},
		{"UnrecognizedClientException", "", 400, runtime.ErrAccessDenied},
		{"ExpiredTokenException", "", 400, runtime.ErrAccessDenied},
		{"SomethingForbidden", "", 403, runtime.ErrAccessDenied},
		{"ThrottlingException", "Rate exceeded", 400, runtime.ErrUnavailable},
		{"InternalServiceError", "", 500, runtime.ErrUnavailable},
		{"SomethingNew", "", 503, runtime.ErrUnavailable},
		{"ResourceNotFoundException", "", 0, runtime.ErrNotFound}, // a batch entry has no status
	}
	for _, tc := range tests {
		if got := kindOf(tc.code, tc.message, tc.status); got != tc.want {
			t.Errorf("kindOf(%q, %q, %d) = %v, want %v", tc.code, tc.message, tc.status, got, tc.want)
		}
	}
}

func TestFailedKeepsCause(t *testing.T) {
	apiErr := &smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue",
		Err: &retry.MaxAttemptsError{Attempt: 3, Err: &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}}}
	connErr := &smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	deadline := fmt.Errorf("operation error: %w", context.DeadlineExceeded)
	tests := []struct {
		name string
		err  error
		want error
		is   error // another error the cause must still match
	}{
		{"throttled after retries", apiErr, runtime.ErrUnavailable, nil},
		{"connection refused", connErr, runtime.ErrUnavailable, nil},
		{"deadline", deadline, runtime.ErrUnavailable, context.DeadlineExceeded},
		{"undecodable", &smithy.DeserializationError{Err: errors.New("unexpected EOF")}, runtime.ErrUnavailable, nil},
	}
	for _, tc := range tests {
		f := failed(tc.err)
		if !f.done || f.kind != tc.want {
			t.Errorf("%s: kind %v, want %v", tc.name, f.kind, tc.want)
		}
		if tc.is != nil && !errors.Is(f.cause, tc.is) {
			t.Errorf("%s: cause %v does not match %v", tc.name, f.cause, tc.is)
		}
	}
	var ae smithy.APIError
	if f := failed(apiErr); !errors.As(f.cause, &ae) || ae.ErrorCode() != "ThrottlingException" {
		t.Errorf("the cause of an API error does not carry its code")
	}
}

func TestVersionRule(t *testing.T) {
	tests := []struct {
		version   string
		stage, id string
	}{
		{"", "", ""},
		{"AWSPREVIOUS", "AWSPREVIOUS", ""},
		{"AWSPENDING", "AWSPENDING", ""},
		{"blue", "blue", ""},
		{"release-2026-01", "release-2026-01", ""},
		{"EXAMPLE1-90ab-cdef-fedc-ba987SAMPLE", "EXAMPLE1-90ab-cdef-fedc-ba987SAMPLE", ""}, // not hex: a label
		{"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", ""},
		{"a1b2c3d4-5678-90ab-cdef-0123456789ab", "", "a1b2c3d4-5678-90ab-cdef-0123456789ab"},
		{"A1B2C3D4-5678-90AB-CDEF-0123456789AB", "", "A1B2C3D4-5678-90AB-CDEF-0123456789AB"},
	}
	for _, tc := range tests {
		in := getInput(target{id: "/a/b/c", version: tc.version})
		stage, id := deref(in.VersionStage), deref(in.VersionId)
		if stage != tc.stage || id != tc.id {
			t.Errorf("version %q: VersionStage %q, VersionId %q; want %q, %q", tc.version, stage, id, tc.stage, tc.id)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestFailedRebuildsCause: an SDK error that is not an AWS API error is
// rebuilt, since credential providers and decoders quote what they could
// not use (a credential_process's output holds the credentials). The
// canary stands for such quoted text; the rebuilt cause keeps the
// operation, the failing step and context sentinels, and drops the rest.
func TestFailedRebuildsCause(t *testing.T) {
	const canary = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY"
	opErr := func(err error) error {
		return &smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue", Err: err}
	}
	process := &processcreds.ProviderError{Err: fmt.Errorf("parse failed of process output: {\"SecretAccessKey\": %q,, error: %w", canary, errors.New("unexpected end of JSON input"))}
	tests := []struct {
		name string
		err  error
		want []string
		is   error
		kind error // nil: credentials problems are access denied, the rest unavailable
	}{
		{"credential_process output", opErr(fmt.Errorf("get identity: get credentials: failed to refresh cached credentials, %w", process)),
			// Backend-wide: the cause leaves the operation out, so that one
			// line states it for a whole load (see awssdk.Service.Wide).
			[]string{"Secrets Manager: cannot get AWS credentials", "credential_process failed"}, nil, runtime.ErrAccessDenied},
		{"SSO token", opErr(fmt.Errorf("get identity: %w", &ssocreds.InvalidTokenError{Err: errors.New(canary)})),
			[]string{"SSO session", "aws sso login"}, nil, runtime.ErrAccessDenied},
		{"other credential provider", opErr(fmt.Errorf("get identity: get credentials: failed to refresh cached credentials, %s", canary)),
			[]string{"cannot get AWS credentials"}, nil, runtime.ErrAccessDenied},
		{"credentials endpoint body", opErr(fmt.Errorf("get identity: %w", &smithy.DeserializationError{Err: errors.New(canary)})),
			[]string{"cannot get AWS credentials"}, nil, runtime.ErrAccessDenied},
		{"undecodable response (per call: keeps the operation)", opErr(&smithy.DeserializationError{Err: fmt.Errorf("invalid character in %s", canary)}),
			[]string{"operation error Secrets Manager: GetSecretValue", "could not decode the Secrets Manager response"}, nil, nil},
		{"connection refused after retries", opErr(&retry.MaxAttemptsError{Attempt: 3, Err: &net.OpError{Op: "dial", Net: "tcp",
			Err: fmt.Errorf("%s: %w", canary, syscall.ECONNREFUSED)}}),
			[]string{"cannot reach the endpoint: dial tcp: connection refused", "after 3 attempts"}, nil, nil},
		{"dns", opErr(&net.DNSError{Name: "secretsmanager.example", Err: canary}), []string{"cannot resolve the host secretsmanager.example"}, nil, nil},
		{"deadline in a credential provider", opErr(fmt.Errorf("get identity: %s: %w", canary, context.DeadlineExceeded)),
			[]string{"deadline exceeded"}, context.DeadlineExceeded, runtime.ErrUnavailable},
		{"cancelled", opErr(fmt.Errorf("%s: %w", canary, context.Canceled)), []string{"cancelled"}, context.Canceled, nil},
		{"unknown", opErr(errors.New(canary)), []string{"request failed (*errors.errorString)"}, nil, nil},
	}
	for _, tc := range tests {
		f := failed(tc.err)
		want := tc.kind
		if want == nil {
			want = runtime.ErrUnavailable
		}
		if !f.done || f.kind != want {
			t.Errorf("%s: kind %v, want %v", tc.name, f.kind, want)
		}
		for e := f.cause; e != nil; e = errors.Unwrap(e) {
			if s := fmt.Sprintf("%v %+v %#v", e, e, e); strings.Contains(s, canary) {
				t.Errorf("%s: cause %q quotes the SDK's text", tc.name, s)
			}
		}
		for _, w := range tc.want {
			if !strings.Contains(f.cause.Error(), w) {
				t.Errorf("%s: cause %q does not say %q", tc.name, f.cause, w)
			}
		}
		if tc.is != nil && !errors.Is(f.cause, tc.is) {
			t.Errorf("%s: cause %v does not match %v", tc.name, f.cause, tc.is)
		}
	}
}

// TestNoServerText: an AWS API error keeps the operation, the HTTP status
// and a known error code; the server's message, request id and an unknown
// code (which a proxy or a compromised endpoint controls) are left out,
// though the message still classifies a secret scheduled for deletion.
func TestNoServerText(t *testing.T) {
	const canary = "canary-server-text-4f1e"
	wrap := func(status int, code, msg string) error {
		return &smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue",
			Err: &awshttp.ResponseError{RequestID: canary,
				ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
					Err: &smithy.GenericAPIError{Code: code, Message: msg}}}}
	}
	tests := []struct {
		err  error
		kind error
		want string
	}{
		{wrap(400, "ValidationException", canary), runtime.ErrInvalidValue, "AWS API error (GetSecretValue): HTTP 400: ValidationException"},
		{wrap(400, "AccessDeniedException", canary), runtime.ErrAccessDenied, "AWS API error (GetSecretValue): HTTP 400: AccessDeniedException"},
		{wrap(400, canary, canary), runtime.ErrInvalidValue, "AWS API error (GetSecretValue): HTTP 400: an error code this adapter does not know"},
		{wrap(503, canary, canary), runtime.ErrUnavailable, "HTTP 503: an error code this adapter does not know"},
		{wrap(400, "InvalidRequestException", canary+" because it was marked for deletion"), runtime.ErrNotFound, "HTTP 400: InvalidRequestException"},
	}
	for _, tc := range tests {
		f := failed(tc.err)
		if f.kind != tc.kind {
			t.Errorf("%v: kind %v, want %v", tc.err, f.kind, tc.kind)
		}
		for e := f.cause; e != nil; e = errors.Unwrap(e) {
			if s := fmt.Sprintf("%v %+v %#v", e, e, e); strings.Contains(s, canary) {
				t.Errorf("cause %q quotes the server's text", s)
			}
		}
		if f.cause.Error() != tc.want && !strings.HasSuffix(f.cause.Error(), tc.want) {
			t.Errorf("cause %q, want %q", f.cause, tc.want)
		}
	}
	if f := failedItem("DecryptionFailure", canary); strings.Contains(fmt.Sprintf("%v %#v", f.cause, f.cause), canary) {
		t.Errorf("batch entry cause %v quotes the server's message", f.cause)
	}
}
