package ssm_test

import (
	"testing"

	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/runtime"
)

// TestFromEnvConfigErrorsQuoteNoSecret: shared files that make the SDK's
// configuration fail with a secret in the text it would quote give an
// error naming the file or profile and the setting, never the secret (see
// awstest.ConfigErrorsQuoteNoSecret).
func TestFromEnvConfigErrorsQuoteNoSecret(t *testing.T) {
	awstest.ConfigErrorsQuoteNoSecret(t, "ssm", fromEnv)
}

// TestFromEnvEnvValueNotQuoted: an AWS_* variable with a bad value is
// quoted by the SDK; FromEnv leaves the value out.
func TestFromEnvEnvValueNotQuoted(t *testing.T) { awstest.EnvValueNotQuoted(t, fromEnv) }

// TestCredentialProcessOutputNotQuoted: a credential_process whose output
// is not valid JSON makes the SDK quote that output (the credentials) in
// the error of every read; the provider's errors leave it out, and
// classify it as access denied (a credentials problem, not an outage).
func TestCredentialProcessOutputNotQuoted(t *testing.T) {
	refs := []runtime.Ref{{Path: "a/one"}, {Path: "a/two", Version: "2"}}
	awstest.CredentialProcessOutputNotQuoted(t, fromEnv, refs, []string{"credential_process failed"}, nil)
}
