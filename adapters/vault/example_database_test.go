package vault_test

import (
	"fmt"
	"log"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// A credential of Vault's database secrets engine: a dynamic role's
// lease is held, renewed, replaced and revoked by the provider, a static
// role is read with its rotation time. New does no I/O, so this runs
// without a server; Pending is what a Live's RefreshNow reads after the
// database refused the login (a new lease).
func ExampleOptions_database() {
	client, err := api.NewClient(api.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	p, err := vault.New(client, "dashtam", "production", &vault.Options{
		DatabaseDrain: 10 * time.Second, // replaced credentials drain 10 s at most
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close() // revokes the leases it holds (KeepLeases: true keeps them)
	dynamic := runtime.Ref{Path: "database/app", Type: "credential", Database: "database/creds/app"}
	static := runtime.Ref{Path: "database/report", Type: "credential", Database: "database/static-creds/report"}
	fmt.Println(p.Where(dynamic))
	fmt.Println(p.Where(static))
	_, ok := p.Pending(dynamic)
	fmt.Println("dynamic has a pending version:", ok)
	_, ok = p.Pending(static)
	fmt.Println("static has a pending version:", ok)
	// Output:
	// database/creds/app
	// database/static-creds/report
	// dynamic has a pending version: true
	// static has a pending version: false
}
