package ssm_test

import (
	"testing"

	"github.com/dashtam/secretsgen/internal/testing/awstest"
)

// TestWrongEndpointFailsFastOnce: an SSM outage, a host that does not
// resolve and no credentials are each one line for the whole load, naming
// the region and endpoint tried (see awstest.WrongEndpointFailsFastOnce).
func TestWrongEndpointFailsFastOnce(t *testing.T) {
	awstest.WrongEndpointFailsFastOnce(t, fromEnv, awstest.Endpoint{Backend: "ssm",
		Var: "AWS_ENDPOINT_URL_SSM", Default: "https://ssm.us-east-1.amazonaws.com"})
}
