package vault_test

import (
	"testing"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// BenchmarkDynamicCredential: a Get of a dynamic database credential the
// provider holds (no request) against the naive way, reading
// database/creds/<role> at every use (a request, and a new PostgreSQL
// user each time).
func BenchmarkDynamicCredential(b *testing.B) {
	s := startServer(b)
	pg := testenvPostgres(b)
	db := configureVaultDB(b, s, pg)
	path := db.Mount + "/creds/" + db.DynamicRole
	b.Run("held", func(b *testing.B) {
		p, err := vault.New(vaultClient(b, s.Vault), app, "production", nil)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		ref := runtime.Ref{Path: "database/app", Type: "credential", Database: path}
		ctx := ctxFor(b)
		if _, err := p.Get(ctx, ref); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := p.Get(ctx, ref); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read-each-time", func(b *testing.B) {
		c := vaultClient(b, s.Vault)
		ctx := ctxFor(b)
		for b.Loop() {
			sec, err := c.Logical().ReadWithContext(ctx, path)
			if err != nil || sec == nil {
				b.Fatal(err)
			}
		}
	})
}
