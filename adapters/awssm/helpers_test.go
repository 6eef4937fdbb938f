package awssm_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// The tests of this package share one moto_server (see testenv.SharedMoto);
// tests that stop their server start their own.
func TestMain(m *testing.M) { os.Exit(testenv.MotoMain(m)) }

const (
	testApp = awstest.App
	testEnv = awstest.Env
)

// secretID is the id the provider reads for path in testApp/testEnv.
func secretID(path string) string { return "/" + testApp + "/" + testEnv + "/" + path }

// newClient returns a Secrets Manager client for the moto server at
// endpoint, with static test credentials (see awstest.Config).
func newClient(endpoint string, o awstest.ClientOptions) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(awstest.Config(endpoint, o))
}

// fromEnv is awssm.FromEnv for the shared awstest checks.
func fromEnv(ctx context.Context, app, environment string) (runtime.Provider, error) {
	return awssm.FromEnv(ctx, app, environment)
}

// putSecret creates the secret id with text, or puts text as its new
// current version, and returns the version id.
func putSecret(ctx context.Context, t testing.TB, c *secretsmanager.Client, id, text string) string {
	t.Helper()
	out, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(id), SecretString: aws.String(text)})
	var exists *types.ResourceExistsException
	switch {
	case err == nil:
		return aws.ToString(out.VersionId)
	case errors.As(err, &exists):
		put, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(text)})
		if err != nil {
			t.Fatalf("PutSecretValue(%s): %v", id, err)
		}
		return aws.ToString(put.VersionId)
	default:
		t.Fatalf("CreateSecret(%s): %v", id, err)
		return ""
	}
}

// putBinary creates the secret id with a SecretBinary.
func putBinary(ctx context.Context, t testing.TB, c *secretsmanager.Client, id string, data []byte) {
	t.Helper()
	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(id), SecretBinary: data}); err != nil {
		t.Fatalf("CreateSecret(%s): %v", id, err)
	}
}
