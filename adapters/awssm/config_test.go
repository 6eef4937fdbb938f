package awssm_test

import (
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/runtime"
)

// secretKeyCanary stands for an aws_secret_access_key in a shared file.
const secretKeyCanary = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY"

// sharedFilesEnv points the SDK at config and credentials files in a
// temporary directory holding the given contents, with no credentials or
// profile from the developer's environment and no EC2 metadata lookups.
func sharedFilesEnv(t *testing.T, configText, credentialsText string) (dir string) {
	t.Helper()
	dir = t.TempDir()
	for name, text := range map[string]string{"config": configText, "credentials": credentialsText} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID":           "",
		"AWS_SECRET_ACCESS_KEY":       "",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_REGION":                  "us-east-1",
		"AWS_DEFAULT_REGION":          "",
		"AWS_RETRY_MODE":              "",
		"AWS_MAX_ATTEMPTS":            "1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            "http://127.0.0.1:1", // never reached: every test fails before sending
	} {
		t.Setenv(k, v)
	}
	return dir
}

// checkNoCanary fails when err, any error it wraps, or any print of it
// holds canary.
func checkNoCanary(t *testing.T, err error, canary string) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, verb := range []string{"%v", "%+v", "%#v", "%q"} {
			if s := fmt.Sprintf(verb, e); strings.Contains(s, canary) {
				t.Errorf("error printed with %s quotes a secret: %s", verb, s)
			}
		}
	}
}

// TestFromEnvConfigErrorsQuoteNoSecret writes shared config and
// credentials files that make config.LoadDefaultConfig fail with a secret
// access key in the text it would quote: a secret pasted as an indented
// line under a setting (the SDK reads it as that setting's continuation),
// or as the value of the wrong setting. FromEnv's error names the file or
// profile and the setting, never the key.
func TestFromEnvConfigErrorsQuoteNoSecret(t *testing.T) {
	const creds = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = not-the-canary\n"
	tests := []struct {
		name                  string
		config, credentials   string
		profile, makeDir      string
		want                  []string
		wantCredentialsInPath bool
	}{
		{name: "secret on a continuation line of the credentials file",
			credentials: creds + "defaults_mode = standard\n    " + secretKeyCanary + "\n",
			want:        []string{"failed to load defaults_mode from shared config", "left out"}},
		{name: "secret as the value of a setting in the credentials file",
			credentials: creds + "retry_mode = " + secretKeyCanary + "\n",
			want:        []string{"failed to load retry_mode", "left out"}},
		{name: "quoted secret as a size in the config file",
			config:      "[default]\nrequest_min_compression_size_bytes = \"" + secretKeyCanary + "\"\n",
			credentials: creds,
			want:        []string{"request_min_compression_size_bytes", "left out"}},
		{name: "secret as an sso_session name",
			config:      "[default]\nsso_session = " + secretKeyCanary + "\n",
			credentials: creds,
			want:        []string{"failed to find SSO session section", "left out"}},
		{name: "profile not defined",
			credentials: "[default]\naws_secret_access_key = " + secretKeyCanary + "\n",
			profile:     "staging",
			want:        []string{`profile "staging" is not in`, "credentials"}},
		{name: "source_profile not defined",
			config:      "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\n",
			credentials: "[other]\naws_secret_access_key = " + secretKeyCanary + "\n",
			profile:     "app",
			want:        []string{`cannot assume role arn:aws:iam::123456789012:role/app with source_profile "base": profile "base" is not in`}},
		{name: "source_profile without credentials",
			config:      "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\n[profile base]\nregion = us-east-1\n",
			credentials: "[other]\naws_secret_access_key = " + secretKeyCanary + "\n",
			profile:     "app",
			want:        []string{`with source_profile "base": the profile has no credentials`}},
		{name: "credentials file is a directory",
			makeDir: "credentials",
			want:    []string{"shared config file", "credentials", "is a directory"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := sharedFilesEnv(t, tc.config, tc.credentials)
			if tc.profile != "" {
				t.Setenv("AWS_PROFILE", tc.profile)
			}
			if tc.makeDir != "" {
				path := filepath.Join(dir, tc.makeDir)
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			_, err := awssm.FromEnv(t.Context(), testApp, testEnv)
			if err == nil {
				t.Fatal("FromEnv succeeded, want a configuration error")
			}
			checkNoCanary(t, err, secretKeyCanary)
			for _, w := range append([]string{"awssm: load the AWS configuration"}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestFromEnvEnvValueNotQuoted: an AWS_* variable with a bad value is
// quoted by the SDK; FromEnv leaves the value out.
func TestFromEnvEnvValueNotQuoted(t *testing.T) {
	sharedFilesEnv(t, "", "")
	t.Setenv("AWS_RETRY_MODE", secretKeyCanary)
	_, err := awssm.FromEnv(t.Context(), testApp, testEnv)
	if err == nil {
		t.Fatal("FromEnv succeeded, want an error for AWS_RETRY_MODE")
	}
	checkNoCanary(t, err, secretKeyCanary)
	if !strings.Contains(err.Error(), "AWS_RETRY_MODE") {
		t.Errorf("error %q does not name AWS_RETRY_MODE", err)
	}
}

// TestCredentialProcessOutputNotQuoted: a credential_process whose output
// is not valid JSON makes the SDK quote that output (the credentials) in
// the error of every read; the provider's errors leave it out.
func TestCredentialProcessOutputNotQuoted(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "credentials.sh")
	output := `{"Version": 1, "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "` + secretKeyCanary + `",`
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s' '"+output+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	sharedFilesEnv(t, "[default]\ncredential_process = "+script+"\n", "")
	p, err := awssm.FromEnv(t.Context(), testApp, testEnv)
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	refs := []runtime.Ref{{Path: "a/one"}, {Path: "a/two", Version: "AWSPREVIOUS"}}
	errs := []error{}
	for _, r := range p.GetMany(t.Context(), refs) {
		errs = append(errs, r.Err)
	}
	_, err = p.Get(t.Context(), refs[0])
	errs = append(errs, err)
	for _, err := range errs {
		// A failing credential_process is a credential problem, not an
		// outage: access denied, with the credentials hint.
		if !errors.Is(err, runtime.ErrAccessDenied) {
			t.Errorf("error %v, want access denied", err)
			continue
		}
		checkNoCanary(t, err, secretKeyCanary)
		if !strings.Contains(err.Error(), "credential_process failed") || !strings.Contains(err.Error(), "check or refresh the AWS credentials") || strings.Contains(err.Error(), "network") {
			t.Errorf("error %q does not say the credential_process failed", err)
		}
	}
}

// TestNoCredentials: with no AWS credentials anywhere, a read is access
// denied (no retry makes credentials appear; a cache must not serve stale
// values on it as on an outage) and the hint is about credentials, not
// the network.
func TestNoCredentials(t *testing.T) {
	sharedFilesEnv(t, "", "")
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
	dir := sharedFilesEnv(t, "", "")
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
