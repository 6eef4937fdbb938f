package policy

import (
	"fmt"

	"github.com/dashtam/secretsgen/internal/generator/manifest"
)

// SSM returns an IAM policy document that allows the ssm adapter to read
// exactly the manifest's parameters in environment env:
// ssm:GetParameters on each parameter "/{app}/{env}/{path}" the manifest
// reads (a pinned version or label is authorised on the parameter itself),
// and ssm:GetParametersByPath on the hierarchy "/{app}/{env}", the one
// path the adapter lists when a listing takes fewer calls. IAM authorises
// GetParametersByPath on the requested path, not on the parameters it
// returns, so that statement also reads parameters under the hierarchy
// that the manifest does not name; drop it for strictly per-parameter
// access (the adapter then falls back to GetParameters by itself).
// SecureString parameters under a customer-managed KMS key also need
// kms:Decrypt on that key, which this document cannot name.
func SSM(m *manifest.Manifest, env string) ([]byte, error) {
	arn := func(p string) string { return fmt.Sprintf("arn:aws:ssm:*:*:parameter/%s/%s/%s", m.App, env, p) }
	return iamDocument(m, env, arn, func(arns []string) []awsStatement {
		return []awsStatement{
			{Sid: "ReadManifestParameters", Effect: "Allow", Action: []string{"ssm:GetParameters"}, Resource: arns},
			{Sid: "ListEnvironmentParameters", Effect: "Allow", Action: []string{"ssm:GetParametersByPath"},
				Resource: []string{fmt.Sprintf("arn:aws:ssm:*:*:parameter/%s/%s", m.App, env)}},
		}
	})
}
