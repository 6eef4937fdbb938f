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

// ExampleOptions_describe polls 40 secrets three times, as a
// runtime.Live does, against the fleet simulator: the load reads them in
// two batches; the polls describe every secret and read only the one a
// rotation changed (Options.DisableDescribe turns this off).
func ExampleOptions_describe() {
	secrets := map[string]string{}
	refs := make([]runtime.Ref, 40)
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
	p := awssm.New(client, "shop", "prod", nil)
	ctx := context.Background()
	report := func(what string, res []runtime.Result) {
		s := p.Stats()
		fmt.Printf("%s: secret 7 = %s; %d batch, %d GetSecretValue, %d DescribeSecret calls so far, %d unchanged\n",
			what, res[7].Value.Text, s.BatchCalls, s.GetCalls, s.DescribeCalls, s.Unchanged)
	}
	report("load", p.GetMany(ctx, refs))
	report("poll", p.GetMany(ctx, refs))
	srv.Rotate("/shop/prod/app/secret007", "rotated")
	report("poll after a rotation", p.GetMany(ctx, refs))
	// Output:
	// load: secret 7 = value-7; 2 batch, 0 GetSecretValue, 0 DescribeSecret calls so far, 0 unchanged
	// poll: secret 7 = value-7; 2 batch, 0 GetSecretValue, 40 DescribeSecret calls so far, 40 unchanged
	// poll after a rotation: secret 7 = rotated; 2 batch, 1 GetSecretValue, 80 DescribeSecret calls so far, 79 unchanged
}
