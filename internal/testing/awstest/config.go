package awstest

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// App and Env are the app and environment the adapters' tests read.
const (
	App = "dashtam"
	Env = "test"
)

// FromEnv is an adapter's FromEnv.
type FromEnv func(ctx context.Context, app, environment string) (runtime.Provider, error)

// SecretKeyCanary stands for an aws_secret_access_key in a shared file.
const SecretKeyCanary = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARYKEY"

// SharedFilesEnv points the SDK at config and credentials files in a
// temporary directory holding the given contents, with no credentials,
// profile or service endpoint from the developer's environment and no EC2
// metadata lookups.
func SharedFilesEnv(t *testing.T, configText, credentialsText string) (dir string) {
	t.Helper()
	dir = t.TempDir()
	for name, text := range map[string]string{"config": configText, "credentials": credentialsText} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":                  filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":      filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID":                "",
		"AWS_SECRET_ACCESS_KEY":            "",
		"AWS_SESSION_TOKEN":                "",
		"AWS_PROFILE":                      "",
		"AWS_DEFAULT_PROFILE":              "",
		"AWS_REGION":                       "us-east-1",
		"AWS_DEFAULT_REGION":               "",
		"AWS_RETRY_MODE":                   "",
		"AWS_MAX_ATTEMPTS":                 "1",
		"AWS_EC2_METADATA_DISABLED":        "true",
		"AWS_ENDPOINT_URL":                 "http://127.0.0.1:1", // never reached: every test fails before sending
		"AWS_ENDPOINT_URL_SSM":             "",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": "",
	} {
		t.Setenv(k, v)
	}
	return dir
}

// CheckNoCanary fails when err, any error it wraps, or any print of it
// holds canary.
func CheckNoCanary(t *testing.T, err error, canary string) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, verb := range []string{"%v", "%+v", "%#v", "%q"} {
			if s := fmt.Sprintf(verb, e); strings.Contains(s, canary) {
				t.Errorf("error printed with %s quotes a secret: %s", verb, s)
			}
		}
	}
}

// ConfigErrorsQuoteNoSecret writes shared config and credentials files
// that make config.LoadDefaultConfig fail with a secret access key in the
// text it would quote: a secret pasted as an indented line under a setting
// (the SDK reads it as that setting's continuation), or as the value of
// the wrong setting. fromEnv's error starts with adapter + ": load the AWS
// configuration" and names the file or profile and the setting, never the
// key.
func ConfigErrorsQuoteNoSecret(t *testing.T, adapter string, fromEnv FromEnv) {
	const creds = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = not-the-canary\n"
	tests := []struct {
		name                string
		config, credentials string
		profile, makeDir    string
		want                []string
	}{
		{name: "secret on a continuation line of the credentials file",
			credentials: creds + "defaults_mode = standard\n    " + SecretKeyCanary + "\n",
			want:        []string{"failed to load defaults_mode from shared config", "left out"}},
		{name: "secret as the value of a setting in the credentials file",
			credentials: creds + "retry_mode = " + SecretKeyCanary + "\n",
			want:        []string{"failed to load retry_mode", "left out"}},
		{name: "quoted secret as a size in the config file",
			config:      "[default]\nrequest_min_compression_size_bytes = \"" + SecretKeyCanary + "\"\n",
			credentials: creds,
			want:        []string{"request_min_compression_size_bytes", "left out"}},
		{name: "secret as an sso_session name",
			config:      "[default]\nsso_session = " + SecretKeyCanary + "\n",
			credentials: creds,
			want:        []string{"failed to find SSO session section", "left out"}},
		{name: "profile not defined",
			credentials: "[default]\naws_secret_access_key = " + SecretKeyCanary + "\n",
			profile:     "staging",
			want:        []string{`profile "staging" is not in`, "credentials"}},
		{name: "source_profile not defined",
			config:      "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\n",
			credentials: "[other]\naws_secret_access_key = " + SecretKeyCanary + "\n",
			profile:     "app",
			want:        []string{`cannot assume role arn:aws:iam::123456789012:role/app with source_profile "base": profile "base" is not in`}},
		{name: "source_profile without credentials",
			config:      "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\n[profile base]\nregion = us-east-1\n",
			credentials: "[other]\naws_secret_access_key = " + SecretKeyCanary + "\n",
			profile:     "app",
			want:        []string{`with source_profile "base": the profile has no credentials`}},
		{name: "credentials file is a directory",
			makeDir: "credentials",
			want:    []string{"shared config file", "credentials", "is a directory"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := SharedFilesEnv(t, tc.config, tc.credentials)
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
			_, err := fromEnv(t.Context(), App, Env)
			if err == nil {
				t.Fatal("FromEnv succeeded, want a configuration error")
			}
			CheckNoCanary(t, err, SecretKeyCanary)
			for _, w := range append([]string{adapter + ": load the AWS configuration"}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// EnvValueNotQuoted: an AWS_* variable with a bad value is quoted by the
// SDK; fromEnv leaves the value out.
func EnvValueNotQuoted(t *testing.T, fromEnv FromEnv) {
	SharedFilesEnv(t, "", "")
	t.Setenv("AWS_RETRY_MODE", SecretKeyCanary)
	_, err := fromEnv(t.Context(), App, Env)
	if err == nil {
		t.Fatal("FromEnv succeeded, want an error for AWS_RETRY_MODE")
	}
	CheckNoCanary(t, err, SecretKeyCanary)
	if !strings.Contains(err.Error(), "AWS_RETRY_MODE") {
		t.Errorf("error %q does not name AWS_RETRY_MODE", err)
	}
}

// CredentialProcessOutputNotQuoted: a credential_process whose output is
// not valid JSON (and holds SecretKeyCanary) makes the SDK quote that
// output (the credentials) in the error of every read. The provider
// fromEnv builds must leave it out of the errors of GetMany and Get of
// refs, and classify them as access denied (a credentials problem, not an
// outage); each message must contain every text in want and none in not.
func CredentialProcessOutputNotQuoted(t *testing.T, fromEnv FromEnv, refs []runtime.Ref, want, not []string) {
	dir := t.TempDir()
	script := filepath.Join(dir, "credentials.sh")
	output := `{"Version": 1, "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "` + SecretKeyCanary + `",`
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s' '"+output+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	SharedFilesEnv(t, "[default]\ncredential_process = "+script+"\n", "")
	p, err := fromEnv(t.Context(), App, Env)
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	errs := []error{}
	for _, r := range p.(runtime.BatchProvider).GetMany(t.Context(), refs) {
		errs = append(errs, r.Err)
	}
	_, err = p.Get(t.Context(), refs[0])
	errs = append(errs, err)
	for _, err := range errs {
		if !errors.Is(err, runtime.ErrAccessDenied) {
			t.Errorf("error %v, want access denied", err)
			continue
		}
		CheckNoCanary(t, err, SecretKeyCanary)
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
		for _, n := range not {
			if strings.Contains(err.Error(), n) {
				t.Errorf("error %q says %q", err, n)
			}
		}
	}
}

// FromEnvSettings runs fromEnv against the moto server at endpoint, which
// holds "env/key" = "from-env" for App/Env, under the settings a user
// gives: AWS_ENDPOINT_URL, the service's own endpoint variable
// serviceEndpointVar winning over it, and the errors for a missing region,
// environment or app.
func FromEnvSettings(t *testing.T, endpoint, serviceEndpointVar string, fromEnv FromEnv) {
	ctx := t.Context()
	closed := "http://127.0.0.1:" + fmt.Sprint(testenv.FreePort(t)) // nothing listens there
	base := map[string]string{
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_DEFAULT_REGION":          "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             t.TempDir() + "/config",
		"AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/credentials",
		"AWS_ENDPOINT_URL":            "",
		serviceEndpointVar:            "",
		"AWS_MAX_ATTEMPTS":            "1",
	}
	tests := []struct {
		name    string
		env     map[string]string
		app     string
		envName string
		wantErr string
	}{
		{name: "AWS_ENDPOINT_URL", env: map[string]string{"AWS_ENDPOINT_URL": endpoint}},
		{name: serviceEndpointVar + " wins", env: map[string]string{"AWS_ENDPOINT_URL": closed, serviceEndpointVar: endpoint}},
		{name: "no region", env: map[string]string{"AWS_REGION": "", "AWS_ENDPOINT_URL": endpoint}, wantErr: "no AWS region"},
		{name: "no environment", env: map[string]string{"AWS_ENDPOINT_URL": endpoint}, envName: "-", wantErr: "ENVIRONMENT"},
		{name: "environment with a slash", env: map[string]string{"AWS_ENDPOINT_URL": endpoint}, envName: "test/other",
			wantErr: `environment "test/other" is not valid`},
		{name: "upper-case environment", env: map[string]string{"AWS_ENDPOINT_URL": endpoint}, envName: "Test", wantErr: "ENVIRONMENT"},
		{name: "no app", env: map[string]string{"AWS_ENDPOINT_URL": endpoint}, app: "-", wantErr: "app name must not be empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range base {
				t.Setenv(k, v)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			app, envName := App, Env
			if tc.app == "-" {
				app = ""
			}
			switch tc.envName {
			case "":
			case "-":
				envName = ""
			default:
				envName = tc.envName
			}
			p, err := fromEnv(ctx, app, envName)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("FromEnv: error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			v, err := p.Get(ctx, runtime.Ref{Path: "env/key"})
			if err != nil || v.Text != "from-env" {
				t.Fatalf("Get through FromEnv: %q, %v", v.Text, err)
			}
		})
	}
}

// ProxiedEnv sets up the environment for FromEnv to reach the moto server
// at endpoint with test credentials through a Go reverse proxy, which
// keeps its connections alive (moto closes them after each answer), so
// that a leak test sees the client's idle connection goroutines.
func ProxiedEnv(t *testing.T, endpoint string) {
	t.Helper()
	SharedFilesEnv(t, "", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	t.Cleanup(proxy.Close)
	t.Setenv("AWS_ENDPOINT_URL", proxy.URL)
}
