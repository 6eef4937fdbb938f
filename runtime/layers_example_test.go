package runtime_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/dashtam/secretsgen/runtime"
)

// Two overrides from a local layer, everything else from the remote one:
// the first layer that has a secret serves it, and only "not found" falls
// through to the next layer.
func ExampleNewLayers() {
	local := runtime.NewMemory("env") // stands for the .env overrides
	local.Set("database/url", "postgres://localhost/dev")

	remote := runtime.NewMemory("aws") // stands for the staging backend
	remote.Set("database/url", "postgres://staging/db")
	remote.Set("schwab/api_key", "staging-key")
	remote.SetError("mail/password", &runtime.SecretError{Kind: runtime.ErrAccessDenied})

	p, err := runtime.NewLayers(local, remote)
	if err != nil {
		panic(err)
	}
	defer p.Close()

	ctx := context.Background()
	for _, path := range []string{"database/url", "schwab/api_key", "mail/password", "app/missing"} {
		ref := runtime.Ref{Path: path}
		_, err := p.Get(ctx, ref)
		var e *runtime.SecretError
		switch {
		case err == nil:
			fmt.Printf("%s: served by %s\n", path, p.Served(ref))
		case errors.As(err, &e):
			fmt.Printf("%s: %v in %s\n", path, e.Kind, e.Backend)
		}
	}
	// Output:
	// database/url: served by env
	// schwab/api_key: served by aws
	// mail/password: access denied in aws
	// app/missing: not found in env,aws
}
