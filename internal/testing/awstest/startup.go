package awstest

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// Endpoint names an adapter's service for WrongEndpointFailsFastOnce: its
// backend, the variable that sets its endpoint alone, and its default
// public endpoint in us-east-1.
type Endpoint struct {
	Backend, Var, Default string
}

// WrongEndpointFailsFastOnce: an endpoint nothing listens on, or whose
// host does not resolve, or no credentials at all, fail a load of ten
// secrets from the provider fromEnv builds after the SDK's standard
// retries (3 attempts, the second and third after at most 50 ms and 100
// ms: a few seconds at most; it logs the time and fails only past a
// minute, which a busy machine does not take), and the load error is one
// line that names the region and the endpoint tried, never a credential.
func WrongEndpointFailsFastOnce(t *testing.T, fromEnv FromEnv, ep Endpoint) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	_ = l.Close()
	const key = "zq9canary-secret-access-key"
	for _, tc := range []struct {
		name string
		env  map[string]string
		kind runtime.Kind
		want []string
	}{
		{"connection refused", map[string]string{"AWS_ENDPOINT_URL": closed}, runtime.ErrUnavailable,
			[]string{"connection refused (gave up after 3 attempts) (tried region us-east-1, endpoint " + closed + " from AWS_ENDPOINT_URL)", "; check network access"}},
		{"no such host", map[string]string{ep.Var: "http://aws.invalid:4566"}, runtime.ErrUnavailable,
			[]string{"cannot resolve the host aws.invalid (tried region us-east-1, endpoint http://aws.invalid:4566 from " + ep.Var + ")"}},
		{"no credentials", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_ENDPOINT_URL": ""}, runtime.ErrAccessDenied,
			[]string{"access denied: ", "cannot get AWS credentials", "(tried region us-east-1, endpoint " + ep.Default + ", the default (AWS_ENDPOINT_URL is unset))", "; check or refresh the AWS credentials"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			SharedFilesEnv(t, "", "")
			t.Setenv("AWS_MAX_ATTEMPTS", "")
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE12")
			t.Setenv("AWS_SECRET_ACCESS_KEY", key)
			t.Setenv(ep.Var, "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			p, err := fromEnv(t.Context(), App, Env)
			if err != nil {
				t.Fatal(err)
			}
			defer p.(interface{ Close() error }).Close()
			var refs []runtime.Ref
			for _, s := range "abcdefghij" {
				refs = append(refs, runtime.Ref{Path: "x/" + string(s), Type: "string"})
			}
			start := time.Now()
			res := runtime.GetMany(t.Context(), p, refs)
			elapsed := time.Since(start)
			if elapsed > time.Minute {
				t.Errorf("took %v, want a few seconds", elapsed)
			}
			le := &runtime.LoadError{Backend: ep.Backend, Total: len(refs)}
			for i, r := range res {
				se := r.Err.(*runtime.SecretError) // runtime.GetMany's errors are
				if se.Kind != tc.kind {
					t.Fatalf("result %d: %v, want %v", i, r.Err, tc.kind)
				}
				le.Errors = append(le.Errors, se)
			}
			msg := le.Error()
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, `secrets: all 10 secrets failed to load from backend "`+ep.Backend+`": `) {
				t.Errorf("want one line for 10 secrets, got\n%s", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, key) {
				t.Errorf("message %q quotes the secret access key", msg)
			}
			t.Logf("%v: %s", elapsed.Round(time.Millisecond), msg)
		})
	}
}
