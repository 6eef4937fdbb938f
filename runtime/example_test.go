package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

func ExampleSecret() {
	type Settings struct {
		APIKey runtime.Secret[string]
		Region string
	}
	s := Settings{APIKey: runtime.NewSecret("sk-live-123"), Region: "eu-west-1"}

	fmt.Printf("%v\n", s)
	fmt.Printf("%+v\n", s)
	b, _ := json.Marshal(s)
	fmt.Println(string(b))
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // keep the output stable
			}
			return a
		},
	}))
	logger.Info("loaded", "api_key", s.APIKey)

	// Reveal where the value is used.
	fmt.Println(len(s.APIKey.Reveal()))
	// Output:
	// {[REDACTED] eu-west-1}
	// {APIKey:[REDACTED] Region:eu-west-1}
	// {"APIKey":"[REDACTED]","Region":"eu-west-1"}
	// level=INFO msg=loaded api_key=[REDACTED]
	// 11
}

// This is the flow of a generated Load function.
func ExampleFetch() {
	p := runtime.NewMemory("fake")
	p.Set("database/url", "postgres://app:pw@db:5432/app")
	p.Set("database/port", "not a number")

	refs := []runtime.Ref{
		{Path: "database/url", Type: "url"},
		{Path: "http/timeout", Type: "duration", Optional: true, Default: "30s", HasDefault: true},
		{Path: "database/port", Type: "int"},
		{Path: "schwab/api_key", Type: "string"},
	}
	l := runtime.Fetch(context.Background(), p, refs)
	dbURL := runtime.NewSecret(runtime.Field(l, 0, runtime.ParseURL))
	timeout := runtime.Field(l, 1, runtime.ParseDuration)
	port := runtime.Field(l, 2, runtime.ParseInt)
	apiKey := runtime.NewSecret(runtime.Field(l, 3, runtime.ParseString))
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

func ExampleCache() {
	backend := runtime.NewMemory("fake")
	backend.Set("schwab/api_key", "key-1")
	c := runtime.NewCache(backend, &runtime.CacheOptions{TTL: 10 * time.Minute})

	ctx := context.Background()
	ref := runtime.Ref{Path: "schwab/api_key"}
	for range 3 {
		_, _ = c.Get(ctx, ref)
	}
	fmt.Println("backend reads:", backend.Calls("schwab/api_key"))

	backend.Rotate("schwab/api_key", "key-2")
	v, _ := c.Get(ctx, ref)
	fmt.Println("before Refresh:", v.Text)

	_ = c.Refresh(ctx) // the design's refresh_cache
	v, _ = c.Get(ctx, ref)
	fmt.Println("after Refresh:", v.Text)
	// Output:
	// backend reads: 1
	// before Refresh: key-1
	// after Refresh: key-2
}

func ExampleReadConfig() {
	env := map[string]string{"SECRETS_BACKEND": "aws", "ENVIRONMENT": "production", "SECRETS_CACHE_TTL": "1m"}
	cfg, err := runtime.ReadConfig(func(k string) string { return env[k] }, []string{"env", "aws"})
	fmt.Printf("%+v %v\n", cfg, err)

	env = map[string]string{"SECRETS_BACKEND": "vault"}
	_, err = runtime.ReadConfig(func(k string) string { return env[k] }, []string{"env", "aws"})
	fmt.Println(err)

	env = map[string]string{"SECRETS_BACKEND": "aws"}
	_, err = runtime.ReadConfig(func(k string) string { return env[k] }, []string{"env", "aws"})
	fmt.Println(err)
	// Output:
	// {Backend:aws Environment:production CacheTTL:1m0s} <nil>
	// SECRETS_BACKEND="vault" is not a backend of this build; use one of env, aws
	// ENVIRONMENT must be set when SECRETS_BACKEND=aws (it is the {environment} segment of secret names)
}

func ExampleParseList() {
	parse := runtime.ParseList(runtime.ParseInt)
	a, _ := parse("[1, 2, 3]")
	b, _ := parse(`["4", 5]`)
	c, _ := parse(" 6, 7 ")
	fmt.Println(a, b, c)
	fmt.Println(runtime.FormatList(c, runtime.FormatInt))

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
		o, err := runtime.ParseObject(s)
		if err != nil {
			return Credentials{}, err
		}
		c := Credentials{
			Username: runtime.Member(o, "username", runtime.ParseString),
			Password: runtime.Member(o, "password", runtime.ParseString),
			Port:     runtime.Member(o, "port", runtime.ParseInt),
		}
		return c, o.Err()
	}
	c, err := parse(`{"username":"app","password":"pw","port":"5432"}`)
	fmt.Println(c.Username, c.Port, err)
	_, err = parse(`{"username":"app","password":"pw"}`)
	fmt.Println(err)
	fmt.Println(runtime.FormatObject("username", "app", "port", runtime.FormatInt(5432)))
	// Output:
	// app 5432 <nil>
	// member "port" is missing
	// {"port":"5432","username":"app"}
}

func ExampleParseURL() {
	u, _ := runtime.ParseURL("postgres://app:pw@db:5432/app")
	fmt.Println(u.Host)
	_, err := runtime.ParseURL("db:5432")
	fmt.Println(err)
	// Output:
	// db:5432
	// expected an absolute URL with scheme and host, such as https://example.com/path
}
