// Command demo loads the Dashtam settings the way a service does at
// start-up and prints them, one per line, with sensitive values shown as
// [REDACTED]:
//
//	SECRETS_ENV_FILE=cmd/demo/demo.env go run ./cmd/demo    # make demo
//	SECRETS_ENV_FILE=cmd/demo/broken.env go run ./cmd/demo  # make demo-broken
//
// A service would write settings := gen.MustLoad(ctx), which panics when a
// secret is missing or invalid. The demo calls the two halves of MustLoad,
// gen.NewProvider and gen.Load, instead, so that it can print the error
// exactly as a user sees it, without a stack trace, and exit with status 1.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dashtam/secretsgen/gen"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

// run loads the settings from the backend SECRETS_BACKEND names and prints
// them to w.
func run(ctx context.Context, w io.Writer) error {
	start := time.Now()
	p, err := gen.NewProvider(ctx)
	if err != nil {
		return err
	}
	s, err := gen.Load(ctx, p)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)

	settings := list(s)
	fmt.Fprintf(w, "backend: %s\n", p.Name())
	fmt.Fprintf(w, "loaded %d settings of %s in %v\n", len(settings), gen.App, elapsed.Round(time.Microsecond))
	for _, st := range settings {
		fmt.Fprintf(w, "%s = %v\n", st.path, st.value)
	}
	return nil
}

// setting is one line of the demo's output.
type setting struct {
	path  string
	value any
}

// list returns every field of s with its manifest path. A runtime.Secret
// prints as [REDACTED] with any fmt verb; only Reveal() gives its value.
// TestListCoversSettings fails when the manifest gains a field this list
// lacks.
func list(s *gen.Settings) []setting {
	return []setting{
		{gen.PathDatabaseURL, s.Database.URL},
		{gen.PathDatabaseMaxConns, s.Database.MaxConns},
		{gen.PathSchwabAPIKey, s.Schwab.APIKey},
		{gen.PathSchwabAPISecret, s.Schwab.APISecret},
		{gen.PathSchwabRedirectURI, s.Schwab.RedirectURI},
		{gen.PathAppSecretKey, s.App.SecretKey},
		{gen.PathAppLogLevel, s.App.LogLevel},
		{gen.PathHTTPPort, s.HTTP.Port},
		{gen.PathHTTPTimeout, s.HTTP.Timeout},
		{gen.PathFeaturesAllowedHosts, s.Features.AllowedHosts},
	}
}
