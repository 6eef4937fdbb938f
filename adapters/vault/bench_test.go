package vault_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// BenchmarkLoad100 loads 100 secrets from a Vault dev server, side by side:
//
//   - adapter: what generated Load does, runtime.Fetch (GetMany: up to 8
//     reads at once) then runtime.Field for each secret;
//   - sequential: one read after the other, the design document's way.
//
// Both use the same provider and client, configured by FromEnv.
//
//	go test -run '^$' -bench Load100 ./adapters/vault
func BenchmarkLoad100(b *testing.B) {
	srv := startServer(b)
	const env = "bench"
	refs := make([]runtime.Ref, 100)
	for i := range refs {
		path := fmt.Sprintf("bench/secret%03d", i)
		srv.put(b, env, path, map[string]any{"value": "value-" + path})
		refs[i] = runtime.Ref{Path: path}
	}
	b.Setenv("VAULT_ADDR", srv.Addr())
	b.Setenv("VAULT_TOKEN", srv.RootToken())
	b.Setenv("VAULT_NAMESPACE", "")
	b.Setenv("SECRETS_VAULT_AUTH", "token")
	b.Setenv("SECRETS_VAULT_MOUNT", "")
	ctx := context.Background()
	p, err := vault.FromEnv(ctx, app, env)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()

	b.Run("adapter", func(b *testing.B) {
		for b.Loop() {
			l := runtime.Fetch(ctx, p, refs)
			for i := range refs {
				runtime.Field(l, i, runtime.ParseString)
			}
			if err := l.Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			for _, ref := range refs {
				v, err := p.Get(ctx, ref)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := runtime.ParseString(v.Text); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
