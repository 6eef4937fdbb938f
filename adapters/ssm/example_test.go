package ssm_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/dashtam/secretsgen/adapters/ssm"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// Where names the parameter a Ref reads: "/{app}/{environment}/{path}",
// with ":version" or ":label" for a pin (the GetParameters selector) and
// "#key" for one member of a JSON parameter. The provider itself prints as
// its backend only.
func ExampleProvider_Where() {
	p := ssm.New(nil, "dashtam", "production", nil)
	fmt.Println(p.Where(runtime.Ref{Path: "database/url"}))
	fmt.Println(p.Where(runtime.Ref{Path: "mail/password", Source: "mail/smtp", Key: "password"}))
	fmt.Println(p.Where(runtime.Ref{Path: "schwab/api_key", Version: "3"}))
	fmt.Println(p.Where(runtime.Ref{Path: "schwab/api_key", Version: "blue"}))
	fmt.Println(p.Name(), p)
	// Output:
	// /dashtam/production/database/url
	// /dashtam/production/mail/smtp#password
	// /dashtam/production/schwab/api_key:3
	// /dashtam/production/schwab/api_key:blue
	// ssm ssm.Provider(ssm)
}

// New takes a client you configured yourself; here, from the SDK's default
// chain with a custom retry count. Generated code calls FromEnv instead.
func ExampleNew() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(5))
	if err != nil {
		log.Fatal(err)
	}
	p := ssm.New(awsssm.NewFromConfig(cfg), "dashtam", "production", &ssm.Options{MaxConcurrency: 4})

	refs := []runtime.Ref{
		{Path: "database/url", Type: "url"},
		{Path: "features/allowed_hosts", Type: "[]string"}, // a StringList parameter
		{Path: "mail/password", Source: "mail/smtp", Key: "password", Type: "string"},
	}
	l := genimpl.Fetch(ctx, runtime.NewCache(p, nil), refs) // one GetParameters call
	dbURL := genimpl.Field(l, 0, genimpl.ParseURL)
	hosts := genimpl.Field(l, 1, genimpl.ParseList(genimpl.ParseString))
	mailPassword := runtime.NewSecret(genimpl.Field(l, 2, genimpl.ParseString))
	if err := l.Err(); err != nil {
		log.Fatal(err) // names each failing path, never a value
	}
	_, _, _ = dbURL, hosts, mailPassword
}

// FromEnv reads AWS_REGION, AWS_PROFILE, the credential chain and
// AWS_ENDPOINT_URL_SSM or AWS_ENDPOINT_URL (e.g. http://127.0.0.1:5000 for
// moto_server).
func ExampleFromEnv() {
	ctx := context.Background()
	p, err := ssm.FromEnv(ctx, "dashtam", "production")
	if err != nil {
		log.Fatal(err)
	}
	v, err := p.Get(ctx, runtime.Ref{Path: "database/url"})
	if err != nil {
		log.Fatal(err)
	}
	_, _ = v.Text, v.Version // the value, and the parameter's version number
}
