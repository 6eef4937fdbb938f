package awscore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/dashtam/secretsgen/runtime"
)

func TestWhere(t *testing.T) {
	colon := testService
	colon.Pin = ":"
	at, ssm := NewCore(&testService, "dashtam", "production"), NewCore(&colon, "dashtam", "production")
	tests := []struct {
		ref     runtime.Ref
		at, ssm string
	}{
		{runtime.Ref{Path: "database/url"}, "/dashtam/production/database/url", "/dashtam/production/database/url"},
		{runtime.Ref{Path: "mail/password", Source: "mail/smtp", Key: "password"}, "/dashtam/production/mail/smtp#password", "/dashtam/production/mail/smtp#password"},
		{runtime.Ref{Path: "api/key", Version: "AWSPREVIOUS"}, "/dashtam/production/api/key@AWSPREVIOUS", "/dashtam/production/api/key:AWSPREVIOUS"},
		{runtime.Ref{Path: "x", Source: "mail/smtp", Key: "k", Version: "blue"}, "/dashtam/production/mail/smtp@blue#k", "/dashtam/production/mail/smtp:blue#k"},
	}
	for _, tc := range tests {
		if got := at.Where(tc.ref); got != tc.at {
			t.Errorf("Where(%+v) with @ = %q, want %q", tc.ref, got, tc.at)
		}
		if got := ssm.Where(tc.ref); got != tc.ssm {
			t.Errorf("Where(%+v) with : = %q, want %q", tc.ref, got, tc.ssm)
		}
	}
	if at.Name() != "test" || at.Where(runtime.Ref{Source: "b"}) != "/dashtam/production/b" {
		t.Errorf("Name %q, Where of a source %q", at.Name(), at.Where(runtime.Ref{Source: "b"}))
	}
}

// TestPrintsBackendOnly: every fmt verb and slog print the package and
// backend names, never anything a Provider holds.
func TestPrintsBackendOnly(t *testing.T) {
	c := NewCore(&testService, "dashtam", "production")
	c.endpoint = "region us-east-1, endpoint http://user:" + canary + "@127.0.0.1:1"
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		if got := fmt.Sprintf(verb, &c); got != "testsvc.Provider(test)" {
			t.Errorf("Sprintf(%s) = %q, want testsvc.Provider(test)", verb, got)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "provider", &c)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rec["provider"]); got != "map[backend:test]" {
		t.Errorf("slog: %s", buf.String())
	}
}

func TestLimits(t *testing.T) {
	for _, tc := range []struct{ conc, batch, wantConc, wantBatch int }{
		{0, 0, defaultMaxConcurrency, 10},
		{-1, -1, defaultMaxConcurrency, 10},
		{3, 7, 3, 7},
		{3, 11, 3, 10},
	} {
		if c, b := Limits(tc.conc, tc.batch, 10); c != tc.wantConc || b != tc.wantBatch {
			t.Errorf("Limits(%d, %d, 10) = %d, %d; want %d, %d", tc.conc, tc.batch, c, b, tc.wantConc, tc.wantBatch)
		}
	}
}

// TestEndpointOf: what a backend-wide failure says was tried, with the
// variable that set the endpoint and without a user:password part.
func TestEndpointOf(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_TEST", "")
	if got, want := endpointOf(&testService, "eu-west-1", nil), "region eu-west-1, endpoint https://test.eu-west-1.amazonaws.com, the default (AWS_ENDPOINT_URL is unset)"; got != want {
		t.Errorf("no override: %q, want %q", got, want)
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://u:"+canary+"@127.0.0.1:4566")
	if got, want := endpointOf(&testService, "eu-west-1", aws.String("http://u:"+canary+"@127.0.0.1:4566/?x=1")), "region eu-west-1, endpoint http://127.0.0.1:4566/ from AWS_ENDPOINT_URL"; got != want {
		t.Errorf("AWS_ENDPOINT_URL: %q, want %q", got, want)
	}
	t.Setenv("AWS_ENDPOINT_URL_TEST", "http://127.0.0.1:5000")
	if got, want := endpointOf(&testService, "eu-west-1", aws.String("http://127.0.0.1:5000")), "region eu-west-1, endpoint http://127.0.0.1:5000 from AWS_ENDPOINT_URL_TEST"; got != want {
		t.Errorf("the service's variable: %q, want %q", got, want)
	}
}
