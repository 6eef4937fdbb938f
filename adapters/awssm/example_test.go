package awssm_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// Where names the secret a Ref reads: "/{app}/{environment}/{path}", with
// "@version" for a pinned version and "#key" for one member of a JSON
// secret. The provider itself prints as its backend only.
func ExampleProvider_Where() {
	p := awssm.New(nil, "dashtam", "production", nil)
	fmt.Println(p.Where(runtime.Ref{Path: "database/url"}))
	fmt.Println(p.Where(runtime.Ref{Path: "mail/password", Source: "mail/smtp", Key: "password"}))
	fmt.Println(p.Where(runtime.Ref{Path: "schwab/api_key", Version: "AWSPREVIOUS"}))
	fmt.Println(p.Name(), p)
	// Output:
	// /dashtam/production/database/url
	// /dashtam/production/mail/smtp#password
	// /dashtam/production/schwab/api_key@AWSPREVIOUS
	// aws awssm.Provider(aws)
}

// New takes a client you configured yourself; here, from the SDK's default
// chain with a custom retry count. Generated code calls FromEnv instead.
func ExampleNew() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(5))
	if err != nil {
		log.Fatal(err)
	}
	p := awssm.New(secretsmanager.NewFromConfig(cfg), "dashtam", "production", &awssm.Options{MaxConcurrency: 4})

	refs := []runtime.Ref{
		{Path: "database/url", Type: "url"},
		{Path: "mail/password", Source: "mail/smtp", Key: "password", Type: "string"},
	}
	l := genimpl.Fetch(ctx, runtime.NewCache(p, nil), refs) // one BatchGetSecretValue call
	dbURL := genimpl.Field(l, 0, genimpl.ParseURL)
	mailPassword := runtime.NewSecret(genimpl.Field(l, 1, genimpl.ParseString))
	if err := l.Err(); err != nil {
		log.Fatal(err) // names each failing path, never a value
	}
	_, _ = dbURL, mailPassword
}

// FromEnv reads AWS_REGION, AWS_PROFILE, the credential chain and
// AWS_ENDPOINT_URL (e.g. http://127.0.0.1:5000 for moto_server). Close
// drops the connections of the HTTP client FromEnv built.
func ExampleFromEnv() {
	ctx := context.Background()
	p, err := awssm.FromEnv(ctx, "dashtam", "production")
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	v, err := p.Get(ctx, runtime.Ref{Path: "database/url"})
	if err != nil {
		log.Fatal(err)
	}
	_ = v.Text
}
