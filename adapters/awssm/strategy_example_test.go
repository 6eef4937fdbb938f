package awssm_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/internal/testing/fleet"
	"github.com/dashtam/secretsgen/runtime"
)

// ExampleProvider_Stats reads 100 secrets with the default Adaptive
// strategy from the fleet simulator (an unthrottled Secrets Manager
// endpoint here) and prints the provider's value-free counters: five
// batches of 20, nothing throttled.
func ExampleProvider_Stats() {
	secrets := map[string]string{}
	refs := make([]runtime.Ref, 100)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("app/secret%03d", i)}
		secrets["/shop/prod/"+refs[i].Path] = fmt.Sprint("value-", i)
	}
	srv, err := fleet.StartServer(fleet.ServerConfig{Secrets: secrets})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	client := secretsmanager.New(secretsmanager.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("id", "key", ""),
		BaseEndpoint: aws.String(srv.URL()),
	})
	p := awssm.New(client, "shop", "prod", &awssm.Options{Strategy: awssm.Adaptive})
	res := p.GetMany(context.Background(), refs)
	fmt.Println(res[42].Value.Text)
	s := p.Stats()
	fmt.Printf("%s: %d batch calls, %d GetSecretValue calls, %d throttles, %d fallbacks\n",
		s.Strategy, s.BatchCalls, s.GetCalls, s.BatchThrottles+s.GetThrottles, s.Fallbacks)
	// Output:
	// value-42
	// adaptive: 5 batch calls, 0 GetSecretValue calls, 0 throttles, 0 fallbacks
}
