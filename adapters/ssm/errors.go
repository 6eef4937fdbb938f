package ssm

import (
	"errors"

	"github.com/dashtam/secretsgen/adapters/internal/awscore"
	"github.com/dashtam/secretsgen/runtime"
)

// fetch is what reading one parameter version produced: the parameter, or
// the failure. It holds a secret value: never print it.
type fetch = awscore.Fetch[param]

// missing is the fetch of a parameter version that does not exist: in
// GetParameters' InvalidParameters, or absent from a complete listing.
func missing() fetch {
	return fetch{Done: true, Fail: &awscore.Failure{Kind: runtime.ErrNotFound, Cause: errors.New("no such parameter or version")}}
}

// noAnswer is the fetch of a name a GetParameters reply neither returned
// nor listed as invalid.
func noAnswer() fetch {
	return fetch{Done: true, Fail: &awscore.Failure{Kind: runtime.ErrUnavailable, Cause: errors.New("GetParameters: the reply did not answer for the parameter")}}
}

// service is Parameter Store as the AWS core sees it: names, the error
// codes of its own (beside the AWS-wide ones of awscore.NewCodes, among
// them ValidationException; a code in neither is classified by
// awscore.Rule) and the hints.
var service = awscore.Service{
	Package: "ssm", Backend: "ssm", Name: "Parameter Store", Pin: ":", Host: "ssm",
	EndpointVar: "AWS_ENDPOINT_URL_SSM", ResponseLimit: MaxResponseSize,
	Codes: awscore.NewCodes(map[string]awscore.CodeClass{
		"ParameterNotFound":        {Kind: runtime.ErrNotFound},
		"ParameterVersionNotFound": {Kind: runtime.ErrNotFound},
		// The SecureString's KMS key is missing, disabled or not usable by
		// the caller.
		"InvalidKeyId":        {Kind: runtime.ErrAccessDenied, Hint: "allow kms:Decrypt on the SecureString parameter's KMS key (in the key policy or IAM) and check that the key is enabled"},
		"InternalServerError": {Kind: runtime.ErrUnavailable},
	}),
	Hints: awscore.Hints{
		NotFound: "create the parameter in SSM Parameter Store (aws ssm put-parameter), or check ENVIRONMENT and AWS_REGION",
		Pinned:   " and the pinned version or label",
		Denied:   "allow ssm:GetParameters on the parameter (and kms:Decrypt on its KMS key for a SecureString); secretsgen policy ssm prints the policy",
		Down:     "check network access to Systems Manager (AWS_REGION, AWS_ENDPOINT_URL_SSM) and retry",
		Request:  "check the parameter name and source.version (a version number or a label) in the manifest",
		Holder:   "parameter",
	},
}
