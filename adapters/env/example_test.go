package env_test

import (
	"context"
	"fmt"

	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// New with a fixed environment, as a test would build it. Programs call
// FromEnv, which reads the process environment and SECRETS_ENV_FILE.
func Example() {
	environ := map[string]string{"DATABASE_URL": "postgres://app@db:5432/app", "HTTP_TIMEOUT": "soon"}
	p, err := env.New(&env.Options{
		LookupEnv: func(name string) (string, bool) { v, ok := environ[name]; return v, ok },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	// Programs read through a runtime.Cache (what the generated NewProvider
	// returns): its errors name the path and the backend.
	c := runtime.NewCache(p, nil)
	defer c.Close()

	v, err := c.Get(ctx, runtime.Ref{Path: "database/url", Env: "DATABASE_URL"})
	fmt.Println(v.Text, err)

	_, err = c.Get(ctx, runtime.Ref{Path: "schwab/api_key", Env: "SCHWAB_API_KEY"})
	fmt.Println(err)

	// Generated Load functions read through genimpl.Fetch and Field, which
	// report every problem at once, never with a value.
	l := genimpl.Fetch(ctx, p, []runtime.Ref{
		{Path: "http/timeout", Env: "HTTP_TIMEOUT", Type: "duration"},
		{Path: "schwab/api_key", Env: "SCHWAB_API_KEY", Type: "string"},
	})
	genimpl.Field(l, 0, genimpl.ParseDuration)
	genimpl.Field(l, 1, genimpl.ParseString)
	fmt.Println(l.Err())
	// Output:
	// postgres://app@db:5432/app <nil>
	// schwab/api_key: not found [env SCHWAB_API_KEY]; set SCHWAB_API_KEY or SCHWAB_API_KEY_FILE
	// secrets: 2 of 2 secrets failed to load from backend "env":
	//	http/timeout: invalid value (expected duration) [env HTTP_TIMEOUT]: expected a duration in Go syntax, such as 30s or 1h30m
	//	schwab/api_key: not found (expected string) [env SCHWAB_API_KEY]; set SCHWAB_API_KEY or SCHWAB_API_KEY_FILE
}

// FromLookup reads SECRETS_ENV_FILE and every secret's variables through
// one lookup function: here a fixed map instead of the process
// environment. A _FILE variable naming something other than a regular
// file (a device, a FIFO) is an invalid value naming the variable.
func ExampleFromLookup() {
	environ := map[string]string{
		"SECRETS_ENV_FILE": " ", // no .env files
		"DATABASE_URL":     "postgres://app@db:5432/app",
		"API_TOKEN_FILE":   "/dev/zero",
	}
	p, err := env.FromLookup(context.Background(), func(name string) (string, bool) {
		v, ok := environ[name]
		return v, ok
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	c := runtime.NewCache(p, nil)
	defer c.Close()
	v, err := c.Get(ctx, runtime.Ref{Path: "database/url", Env: "DATABASE_URL"})
	fmt.Println(v.Text, err)
	_, err = c.Get(ctx, runtime.Ref{Path: "api/token", Env: "API_TOKEN"})
	fmt.Println(err)
	// Output:
	// postgres://app@db:5432/app <nil>
	// api/token: invalid value [env API_TOKEN_FILE]: API_TOKEN_FILE names a device, FIFO or socket, not a regular file; point API_TOKEN_FILE at a regular file
}
