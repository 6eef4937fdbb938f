package canary_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/adapters/ssm"
	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// TestAdapterProvidersPrintNoCredentials prints the AWS Secrets Manager,
// SSM and Vault providers (a Cache around each, and layers of the three)
// built with credentials that hold the canary: an AWS secret access key
// and session token, and a Vault token. Printing a provider with any verb
// or slog handler must not show them.
func TestAdapterProvidersPrintNoCredentials(t *testing.T) {
	t.Parallel()
	client := secretsmanager.New(secretsmanager.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIA"+token, token, token),
	})
	ap := awssm.New(client, "canary", "dev", nil)
	sp := ssm.New(awsssm.New(awsssm.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIA"+token, token, token),
	}), "canary", "dev", nil)

	vc, err := api.NewClient(&api.Config{Address: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	vc.SetToken("hvs." + token)
	vp, err := vault.New(vc, "canary", "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vp.Close() })

	for name, p := range map[string]runtime.Provider{
		"*awssm.Provider":        ap,
		"*vault.Provider":        vp,
		"Cache(*awssm.Provider)": runtime.NewCache(ap, nil),
		"Cache(*vault.Provider)": runtime.NewCache(vp, nil),
		"*ssm.Provider":          sp,
		"Cache(*ssm.Provider)":   runtime.NewCache(sp, nil),
		"Layers(aws, ssm, vault)": func() runtime.Provider {
			l, err := runtime.NewLayers(ap, sp, vp)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}(),
	} {
		assertPrintsClean(t, name, p)
	}
}
