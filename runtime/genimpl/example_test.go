package genimpl_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// This is the flow of a generated Load function.
func ExampleFetch() {
	p := runtime.NewMemory("fake")
	p.Set("database/url", "postgres://app:pw@db:5432/app")
	p.Set("database/port", "not a number")

	refs := []runtime.Ref{
		{Path: "database/url", Type: "url"},
		{Path: "http/timeout", Type: "duration"},
		{Path: "database/port", Type: "int"},
		{Path: "schwab/api_key", Type: "string"},
	}
	l := genimpl.Fetch(context.Background(), p, refs)
	dbURL := runtime.NewSecret(genimpl.Field(l, 0, genimpl.ParseURL))
	timeout := genimpl.Default(l, 1, genimpl.ParseDuration, "30s")
	port := genimpl.Field(l, 2, genimpl.ParseInt)
	apiKey := runtime.NewSecret(genimpl.Field(l, 3, genimpl.ParseString))
	fmt.Println(dbURL.Reveal().Host, timeout, port, apiKey)

	err := l.Err()
	fmt.Println(err)
	fmt.Println(errors.Is(err, runtime.ErrNotFound), errors.Is(err, runtime.ErrAccessDenied))
	// Output:
	// db:5432 30s 0 [REDACTED]
	// secrets: 2 of 4 secrets failed to load from backend "fake":
	// 	database/port: invalid value (expected int) [fake memory:database/port]: expected an integer, such as 5432
	// 	schwab/api_key: not found (expected string) [fake memory:schwab/api_key]; call Set("schwab/api_key", text)
	// true false
}

func ExampleReadConfig() {
	env := map[string]string{"SECRETS_BACKEND": "aws", "ENVIRONMENT": "production", "SECRETS_CACHE_TTL": "1m"}
	cfg, err := genimpl.ReadConfig(func(k string) string { return env[k] }, []string{"env", "aws"})
	fmt.Printf("%+v %v\n", cfg, err)

	env = map[string]string{"SECRETS_BACKEND": "vault"}
	_, err = genimpl.ReadConfig(func(k string) string { return env[k] }, []string{"env", "aws"})
	fmt.Println(err)

	env = map[string]string{"SECRETS_BACKEND": "aws"}
	_, err = genimpl.ReadConfig(func(k string) string { return env[k] }, []string{"env", "aws"})
	fmt.Println(err)
	// Output:
	// {Backend:aws Layers:[aws] Environment:production CacheTTL:1m0s} <nil>
	// SECRETS_BACKEND="vault": "vault" is not in this manifest's backends (env, aws): add vault to backends: in the manifest and regenerate, or use one of env, aws
	// ENVIRONMENT must be set when SECRETS_BACKEND=aws (it is the {environment} segment of aws secret names)
}

func ExampleParseList() {
	parse := genimpl.ParseList(genimpl.ParseInt)
	a, _ := parse("[1, 2, 3]")
	b, _ := parse(`["4", 5]`)
	c, _ := parse(" 6, 7 ")
	fmt.Println(a, b, c)
	fmt.Println(genimpl.FormatList(c, genimpl.FormatInt))

	_, err := parse("8, x")
	fmt.Println(err)
	// Output:
	// [1 2 3] [4 5] [6 7]
	// ["6","7"]
	// element 1: expected an integer, such as 5432
}

func ExampleParseObject() {
	type Credentials struct {
		Username, Password string
		Port               int
	}
	parse := func(s string) (Credentials, error) {
		o, err := genimpl.ParseObject(s)
		if err != nil {
			return Credentials{}, err
		}
		c := Credentials{
			Username: genimpl.Member(o, "username", genimpl.ParseString),
			Password: genimpl.Member(o, "password", genimpl.ParseString),
			Port:     genimpl.Member(o, "port", genimpl.ParseInt),
		}
		return c, o.Err()
	}
	c, err := parse(`{"username":"app","password":"pw","port":"5432"}`)
	fmt.Println(c.Username, c.Port, err)
	_, err = parse(`{"username":"app","password":"pw"}`)
	fmt.Println(err)
	fmt.Println(genimpl.FormatObject("username", "app", "port", genimpl.FormatInt(5432)))
	// Output:
	// app 5432 <nil>
	// member "port" is missing
	// {"port":"5432","username":"app"}
}

func ExampleParseURL() {
	u, _ := genimpl.ParseURL("postgres://app:pw@db:5432/app")
	fmt.Println(u.Host)
	_, err := genimpl.ParseURL("db:5432")
	fmt.Println(err)
	// Output:
	// db:5432
	// expected an absolute URL with scheme and host, such as https://example.com/path
}
