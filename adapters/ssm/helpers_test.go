package ssm_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/dashtam/secretsgen/adapters/ssm"
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

// paramName is the parameter the provider reads for path in testApp/testEnv.
func paramName(path string) string { return "/" + testApp + "/" + testEnv + "/" + path }

// newClient returns an SSM client for the moto server at endpoint, with
// static test credentials (see awstest.Config).
func newClient(endpoint string, o awstest.ClientOptions) *awsssm.Client {
	return awsssm.NewFromConfig(awstest.Config(endpoint, o))
}

// fromEnv is ssm.FromEnv for the shared awstest checks.
func fromEnv(ctx context.Context, app, environment string) (runtime.Provider, error) {
	return ssm.FromEnv(ctx, app, environment)
}

// putParam creates or overwrites the parameter name and returns its new
// version number.
func putParam(ctx context.Context, t testing.TB, c *awsssm.Client, name, value string, typ types.ParameterType) int64 {
	t.Helper()
	out, err := c.PutParameter(ctx, &awsssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(true), Tier: types.ParameterTierAdvanced,
	})
	if err != nil {
		t.Fatalf("PutParameter(%s): %v", name, err)
	}
	return out.Version
}

// label attaches labels to version v of the parameter name.
func label(ctx context.Context, t testing.TB, c *awsssm.Client, name string, v int64, labels ...string) {
	t.Helper()
	if _, err := c.LabelParameterVersion(ctx, &awsssm.LabelParameterVersionInput{
		Name: aws.String(name), ParameterVersion: aws.Int64(v), Labels: labels,
	}); err != nil {
		t.Fatalf("LabelParameterVersion(%s, %d): %v", name, v, err)
	}
}
