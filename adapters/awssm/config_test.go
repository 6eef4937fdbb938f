package awssm_test

import (
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/runtime"
)

// TestFromEnvConfigErrorsQuoteNoSecret: shared files that make the SDK's
// configuration fail with a secret in the text it would quote give an
// error naming the file or profile and the setting, never the secret (see
// awstest.ConfigErrorsQuoteNoSecret).
func TestFromEnvConfigErrorsQuoteNoSecret(t *testing.T) {
	awstest.ConfigErrorsQuoteNoSecret(t, "awssm", fromEnv)
}

// TestFromEnvEnvValueNotQuoted: an AWS_* variable with a bad value is
// quoted by the SDK; FromEnv leaves the value out.
func TestFromEnvEnvValueNotQuoted(t *testing.T) { awstest.EnvValueNotQuoted(t, fromEnv) }

// TestCredentialProcessOutputNotQuoted: a credential_process whose output
// is not valid JSON makes the SDK quote that output (the credentials) in
// the error of every read; the provider's errors leave it out. A failing
// credential_process is a credential problem, not an outage: access
// denied, with the credentials hint.
func TestCredentialProcessOutputNotQuoted(t *testing.T) {
	refs := []runtime.Ref{{Path: "a/one"}, {Path: "a/two", Version: "AWSPREVIOUS"}}
	awstest.CredentialProcessOutputNotQuoted(t, fromEnv, refs, []string{"credential_process failed", "check or refresh the AWS credentials"}, []string{"network"})
}

// TestNoCredentials: with no AWS credentials anywhere, a read is access
// denied (no retry makes credentials appear; a cache must not serve stale
// values on it as on an outage) and the hint is about credentials, not
// the network.
func TestNoCredentials(t *testing.T) {
	awstest.SharedFilesEnv(t, "", "")
	p, err := awssm.FromEnv(t.Context(), testApp, testEnv)
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	defer p.Close()
	_, err = p.Get(t.Context(), runtime.Ref{Path: "a/one"})
	if !errors.Is(err, runtime.ErrAccessDenied) || errors.Is(err, runtime.ErrUnavailable) {
		t.Fatalf("Get without credentials: %v; want access denied", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "cannot get AWS credentials") || !strings.Contains(msg, "check or refresh the AWS credentials") || strings.Contains(msg, "network") {
		t.Errorf("Get without credentials: %q; want the credentials hint", msg)
	}
}

// TestFromEnvKeepsCABundle: the response-capping client FromEnv installs
// keeps the TLS settings of the SDK's configuration (AWS_CA_BUNDLE).
func TestFromEnvKeepsCABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write([]byte(`{"Name":"x","SecretString":"ca-ok","VersionId":"v1"}`))
	}))
	defer srv.Close()
	dir := awstest.SharedFilesEnv(t, "", "")
	bundle := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	p, err := awssm.FromEnv(t.Context(), testApp, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if v, err := p.Get(t.Context(), runtime.Ref{Path: "a"}); err != nil || v.Text != "ca-ok" {
		t.Fatalf("Get over TLS with AWS_CA_BUNDLE: %q, %v", v.Text, err)
	}
}
