package runtime_test

import (
	"context"
	"encoding/json"
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

	backend.Set("schwab/api_key", "key-2")
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

// ExampleExitOnError shows the recommended main: a failure prints one
// value-free message without a goroutine trace and exits with status 1.
func ExampleExitOnError() {
	load := func() (*struct{}, error) { return &struct{}{}, nil } // gen.NewProvider + gen.Load
	settings, err := load()
	runtime.ExitOnError(err)
	fmt.Println(settings != nil)
	// Output: true
}
