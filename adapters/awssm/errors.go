package awssm

import (
	"strings"

	"github.com/dashtam/secretsgen/adapters/internal/awscore"
	"github.com/dashtam/secretsgen/runtime"
)

// deleted classifies a secret that is scheduled for deletion as not found:
// Secrets Manager reports it as InvalidRequestException, and for the
// application that secret is gone. The message ("... because it was marked
// for deletion" from AWS, "... currently marked deleted" from moto) only
// picks the kind; it is never shown.
func deleted(code, message string) runtime.Kind {
	m := strings.ToLower(message)
	if code == "InvalidRequestException" && (strings.Contains(m, "marked for deletion") || strings.Contains(m, "marked deleted")) {
		return runtime.ErrNotFound
	}
	return 0
}

// fetch is what reading one secret version produced: the secret, or the
// failure. It holds a secret value: never print it.
type fetch = awscore.Fetch[secret]

// failed is the fetch of an SDK call op that returned err (see
// awscore.Service.Failed).
func failed(op string, err error) fetch {
	return fetch{Done: true, Fail: service.Failed(op, err)}
}

// service is Secrets Manager as the AWS core sees it: names, the error
// codes of its own (beside the AWS-wide ones of awscore.NewCodes; a code
// in neither is classified by awscore.Rule) and the hints.
var service = awscore.Service{
	Package: "awssm", Backend: "aws", Name: "Secrets Manager", Pin: "@", Host: "secretsmanager",
	EndpointVar: "AWS_ENDPOINT_URL_SECRETS_MANAGER", ResponseLimit: MaxResponseSize,
	Refine: deleted, // before the table: a secret scheduled for deletion
	Codes: awscore.NewCodes(map[string]awscore.CodeClass{
		"ResourceNotFoundException": {Kind: runtime.ErrNotFound},
		// The caller may not use the secret's KMS key.
		"DecryptionFailure": {Kind: runtime.ErrAccessDenied, Hint: "allow kms:Decrypt on the secret's KMS key (in the key policy or IAM)"},
		// The request is refused as not valid for the secret's state (a
		// version id or label it does not accept, a secret whose KMS key
		// is disabled): retrying the same request cannot help, so these
		// are not outages.
		"InvalidParameterException": {Kind: runtime.ErrInvalidValue},
		"InvalidRequestException":   {Kind: runtime.ErrInvalidValue},
		"InternalServiceError":      {Kind: runtime.ErrUnavailable},
	}),
	Hints: awscore.Hints{
		NotFound: "create the secret in AWS Secrets Manager (or restore it if it is scheduled for deletion), or check ENVIRONMENT and AWS_REGION",
		Pinned:   " and the pinned version",
		Denied:   "allow secretsmanager:GetSecretValue on the secret (and kms:Decrypt on its KMS key)",
		Down:     "check network access to Secrets Manager (AWS_REGION, AWS_ENDPOINT_URL) and retry",
		Request:  "AWS refused the request as invalid for this secret: check the entry's source and version in the manifest and the secret's state (aws secretsmanager describe-secret); retrying will not help",
		Holder:   "secret",
	},
}
