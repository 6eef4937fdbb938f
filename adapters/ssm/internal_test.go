package ssm

import (
	"context"
	"encoding/json"
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
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		code   string
		status int
		want   error
	}{
		{"ParameterNotFound", 400, runtime.ErrNotFound},
		{"ParameterVersionNotFound", 400, runtime.ErrNotFound},
		{"AccessDeniedException", 400, runtime.ErrAccessDenied},
		{"InvalidKeyId", 400, runtime.ErrAccessDenied},
		{"UnrecognizedClientException", 400, runtime.ErrAccessDenied},
		{"ExpiredTokenException", 400, runtime.ErrAccessDenied},
		{"SomethingForbidden", 403, runtime.ErrAccessDenied},
		{"SomethingMissing", 404, runtime.ErrNotFound},
		{"ValidationException", 400, runtime.ErrInvalidValue},
		{"InvalidFilterKey", 400, runtime.ErrInvalidValue}, // any other refused request: permanent
		{"ThrottlingException", 400, runtime.ErrUnavailable},
		{"SomethingNew", 429, runtime.ErrUnavailable},
		{"SomethingSlow", 408, runtime.ErrUnavailable},
		{"InternalServerError", 500, runtime.ErrUnavailable},
		{"SomethingNew", 503, runtime.ErrUnavailable},
		{"SomethingNew", 0, runtime.ErrUnavailable},
	}
	for _, tc := range tests {
		if got := kindOf(tc.code, tc.status); got != tc.want {
			t.Errorf("kindOf(%q, %d) = %v, want %v", tc.code, tc.status, got, tc.want)
		}
	}
}

// TestHints: every kind has a hint saying what to do, a code's own hint
// wins, and a pin is mentioned for not found.
func TestHints(t *testing.T) {
	tests := []struct {
		kind runtime.Kind
		code string
		ref  runtime.Ref
		want string
	}{
		{runtime.ErrNotFound, "", runtime.Ref{}, "aws ssm put-parameter"},
		{runtime.ErrNotFound, "", runtime.Ref{Version: "3"}, "pinned version or label"},
		{runtime.ErrAccessDenied, "AccessDeniedException", runtime.Ref{}, "ssm:GetParameters"},
		{runtime.ErrAccessDenied, "", runtime.Ref{}, "AWS_ACCESS_KEY_ID"}, // no credentials
		{runtime.ErrAccessDenied, "InvalidKeyId", runtime.Ref{}, "kms:Decrypt"},
		{runtime.ErrUnavailable, "ThrottlingException", runtime.Ref{}, "retry"},
		{runtime.ErrInvalidValue, "ValidationException", runtime.Ref{}, "source.version"},
		{runtime.ErrInvalidValue, "", runtime.Ref{Key: "password"}, `key "password"`},
	}
	for _, tc := range tests {
		if got := hint(tc.kind, tc.code, tc.ref); !strings.Contains(got, tc.want) {
			t.Errorf("hint(%v, %q, %+v) = %q, want it to mention %q", tc.kind, tc.code, tc.ref, got, tc.want)
		}
	}
}

// TestFailed: API errors keep their code but not the server's message;
// other SDK errors are rebuilt; missing credentials are access denied.
func TestFailed(t *testing.T) {
	const serverText = "zq5 server said this"
	throttled := &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameters",
		Err: &retry.MaxAttemptsError{Attempt: 3, Err: &smithy.GenericAPIError{Code: "ThrottlingException", Message: serverText}}}
	conn := &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameters",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("%s: %w", serverText, syscall.ECONNREFUSED)}}
	creds := &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameters",
		Err: fmt.Errorf("get identity: %w", &processcreds.ProviderError{Err: errors.New(serverText)})}
	deadline := fmt.Errorf("operation error: %w", context.DeadlineExceeded)
	tests := []struct {
		name     string
		err      error
		want     error
		code     string
		contains string
		is       error
	}{
		{"throttled", throttled, runtime.ErrUnavailable, "ThrottlingException", "AWS API error (GetParameters): ThrottlingException", nil},
		{"connection refused", conn, runtime.ErrUnavailable, "", "connection refused", nil},
		{"credential_process", creds, runtime.ErrAccessDenied, "", "credential_process failed", nil},
		{"deadline", deadline, runtime.ErrUnavailable, "", "deadline exceeded", context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := failed("GetParameters", tc.err)
			if f.kind != tc.want || f.code != tc.code {
				t.Errorf("kind %v, code %q; want %v, %q", f.kind, f.code, tc.want, tc.code)
			}
			msg := f.cause.Error()
			if strings.Contains(msg, "zq5") {
				t.Errorf("cause %q carries the server's text", msg)
			}
			if !strings.Contains(msg, tc.contains) {
				t.Errorf("cause %q does not mention %q", msg, tc.contains)
			}
			if tc.is != nil && !errors.Is(f.cause, tc.is) {
				t.Errorf("cause %q does not match %v", msg, tc.is)
			}
			var apiErr smithy.APIError
			if tc.code != "" && (!errors.As(f.cause, &apiErr) || apiErr.ErrorCode() != tc.code) {
				t.Errorf("cause %q does not carry the API error code", msg)
			}
		})
	}
}

func TestExtract(t *testing.T) {
	big := strings.Repeat("x", MaxValueSize+1)
	tests := []struct {
		name    string
		p       param
		ref     runtime.Ref
		want    string
		wantErr string
	}{
		{"string", param{value: "a,b", typ: types.ParameterTypeString}, runtime.Ref{Type: "[]string"}, "a,b", ""},
		{"stringlist as list", param{value: "a, b ,c", typ: types.ParameterTypeStringList}, runtime.Ref{Type: "[]string"}, `["a","b","c"]`, ""},
		{"stringlist with quotes and html", param{value: `"q",<b>&`, typ: types.ParameterTypeStringList}, runtime.Ref{Type: "[]string"}, `["\"q\"","<b>&"]`, ""},
		{"stringlist as string", param{value: "a, b", typ: types.ParameterTypeStringList}, runtime.Ref{Type: "string"}, "a, b", ""},
		{"stringlist as map", param{value: "a,b", typ: types.ParameterTypeStringList}, runtime.Ref{Type: "map[string]string"}, "a,b", ""},
		{"at the cap", param{value: big[:MaxValueSize]}, runtime.Ref{}, big[:MaxValueSize], ""},
		{"over the cap", param{value: big}, runtime.Ref{}, "", "more than the 65536"},
		{"key", param{value: `{"a":"x\"y","n":1}`}, runtime.Ref{Key: "a"}, `x"y`, ""},
		{"number key", param{value: `{"a":"x","n":1}`}, runtime.Ref{Key: "n"}, `1`, ""},
		{"missing key", param{value: `{"a":"x"}`}, runtime.Ref{Key: "b"}, "", `key "b" is missing`},
		{"null key", param{value: `{"a":null}`}, runtime.Ref{Key: "a"}, "", `key "a" is null`},
		{"not an object", param{value: `["a"]`}, runtime.Ref{Key: "a"}, "", "not a JSON object"},
		{"json null", param{value: `null`}, runtime.Ref{Key: "a"}, "", "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.p.extract(tc.ref)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestChunks: at most batchSize names a call, never one name twice in a
// call, every target placed once.
func TestChunks(t *testing.T) {
	p := New(nil, "a", "e", &Options{BatchSize: 3})
	var targets []target
	var idx []int
	for i, tc := range []target{{"/a/e/x", ""}, {"/a/e/x", "1"}, {"/a/e/x", "blue"}, {"/a/e/y", ""}, {"/a/e/z", ""}, {"/a/e/w", ""}, {"/a/e/y", "2"}} {
		targets = append(targets, tc)
		idx = append(idx, i)
	}
	chunks := p.chunks(targets, idx)
	var placed []int
	for _, c := range chunks {
		if len(c) > 3 {
			t.Errorf("chunk %v has more than 3 names", c)
		}
		names := map[string]bool{}
		for _, i := range c {
			if names[targets[i].name] {
				t.Errorf("chunk %v asks for %s twice", c, targets[i].name)
			}
			names[targets[i].name] = true
			placed = append(placed, i)
		}
	}
	if len(chunks) != 3 || len(placed) != len(targets) {
		t.Errorf("chunks %v: want 3 chunks holding all %d targets", chunks, len(targets))
	}
}

// FuzzStringList: the JSON array made of a StringList parses back, with
// genimpl.ParseList, to the trimmed comma-separated elements.
func FuzzStringList(f *testing.F) {
	for _, s := range []string{"a,b", " a , b ", "[x,y]", `"q",\`, "", ",", "ä,✓", "a\x00,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text := stringList(s)
		var raw []string
		if err := json.Unmarshal([]byte(text), &raw); err != nil {
			t.Fatalf("stringList(%q) = %q is not a JSON array of strings: %v", s, text, err)
		}
		got, err := genimpl.ParseList(genimpl.ParseString)(text)
		if err != nil {
			t.Fatalf("ParseList(stringList(%q)): %v", s, err)
		}
		var want []string
		if strings.TrimSpace(s) != "" {
			for _, e := range strings.Split(s, ",") {
				want = append(want, strings.TrimSpace(e))
			}
		}
		if len(want) == 0 {
			want = nil
		}
		// JSON has no invalid UTF-8: each bad byte becomes U+FFFD, as
		// encoding/json writes it.
		for i := range want {
			b, _ := json.Marshal(want[i])
			_ = json.Unmarshal(b, &want[i])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("stringList(%q) parses to -want +got:\n%s", s, diff)
		}
	})
}

// TestNoServerCode: an error code the table does not know is server text
// (the response's __type or X-Amzn-ErrorType, copied by the SDK verbatim):
// it never reaches an error, so a line break cannot forge a log line and a
// long code cannot make a long error. A known code is kept.
func TestNoServerCode(t *testing.T) {
	const canary = "canary-code-7d2a"
	wrap := func(status int, code string) error {
		return &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameters",
			Err: &awshttp.ResponseError{RequestID: canary,
				ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
					Err: &smithy.GenericAPIError{Code: code, Message: canary}}}}
	}
	huge := canary + strings.Repeat("A", 100<<10)
	tests := []struct {
		name     string
		status   int
		code     string
		kind     runtime.Kind
		want     string
		wantCode string // what errors.As finds
	}{
		{"known", 400, "ParameterNotFound", runtime.ErrNotFound, "AWS API error (GetParameters): HTTP 400: ParameterNotFound", "ParameterNotFound"},
		{"common", 400, "InvalidParameterValue", runtime.ErrInvalidValue, "AWS API error (GetParameters): HTTP 400: InvalidParameterValue", "InvalidParameterValue"},
		{"unknown", 400, canary, runtime.ErrInvalidValue, "AWS API error (GetParameters): HTTP 400: an error code this adapter does not know", "Unknown"},
		{"line break", 503, canary + "\ntime=2024 level=INFO msg=forged", runtime.ErrUnavailable, "HTTP 503: an error code this adapter does not know", "Unknown"},
		{"100 KB", 400, huge, runtime.ErrInvalidValue, "HTTP 400: an error code this adapter does not know", "Unknown"},
		{"not found status", 404, canary, runtime.ErrNotFound, "HTTP 404: an error code this adapter does not know", "Unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := failed("GetParameters", wrap(tc.status, tc.code))
			if f.kind != tc.kind {
				t.Errorf("kind %v, want %v", f.kind, tc.kind)
			}
			p := New(nil, "app", "prod", nil)
			err := p.error(runtime.Ref{Path: "db/url"}, f.kind, f.code, f.cause)
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v %#v", err, f.cause)} {
				if strings.Contains(s, canary) || strings.Contains(s, "\n") {
					t.Errorf("error %.300q carries the server's code or text", s)
				}
				if len(s) > 2000 {
					t.Errorf("error is %d bytes long", len(s))
				}
			}
			if !strings.HasSuffix(f.cause.Error(), tc.want) {
				t.Errorf("cause %.300q, want it to end with %q", f.cause, tc.want)
			}
			var apiErr smithy.APIError
			if !errors.As(f.cause, &apiErr) || apiErr.ErrorCode() != tc.wantCode {
				t.Errorf("errors.As finds %.300q, want code %q", apiErr.ErrorCode(), tc.wantCode)
			}
		})
	}
}
