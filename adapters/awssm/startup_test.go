package awssm_test

import (
	"testing"

	"github.com/dashtam/secretsgen/internal/testing/awstest"
)

// TestWrongEndpointFailsFastOnce: a refused connection, a host that does
// not resolve and no credentials each fail a load quickly, in one line
// naming the region and endpoint tried (see
// awstest.WrongEndpointFailsFastOnce).
func TestWrongEndpointFailsFastOnce(t *testing.T) {
	awstest.WrongEndpointFailsFastOnce(t, fromEnv, awstest.Endpoint{Backend: "aws",
		Var: "AWS_ENDPOINT_URL_SECRETS_MANAGER", Default: "https://secretsmanager.us-east-1.amazonaws.com"})
}
