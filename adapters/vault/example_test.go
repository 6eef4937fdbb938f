package vault_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// Where a manifest entry lives in Vault: New does no I/O, so this runs
// without a server.
func ExampleProvider_Where() {
	client, err := api.NewClient(api.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	p, err := vault.New(client, "dashtam", "production", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Where(runtime.Ref{Path: "database/url"}))
	fmt.Println(p.Where(runtime.Ref{Path: "mail/password", Source: "mail/smtp", Key: "password"}))
	fmt.Println(p.Where(runtime.Ref{Path: "api/key", Version: "3"}))
	// Output:
	// secret/dashtam/production/database/url#value
	// secret/dashtam/production/mail/smtp#password
	// secret/dashtam/production/api/key#value@3
}

// FromEnv with SECRETS_VAULT_AUTH=approle, VAULT_ADDR, VAULT_ROLE_ID and
// VAULT_SECRET_ID_FILE set: the first read logs in, and the provider keeps
// the token alive until Close.
func ExampleFromEnv() {
	ctx := context.Background()
	p, err := vault.FromEnv(ctx, "dashtam", "production")
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	l := genimpl.Fetch(ctx, p, []runtime.Ref{{Path: "database/url", Type: "url"}})
	u := genimpl.Field(l, 0, genimpl.ParseURL)
	if err := l.Err(); err != nil {
		log.Fatal(err) // names each failing path, never a value
	}
	fmt.Println(u.Host)
}

// New with a client you configured and an AppRole login.
func ExampleNew() {
	client, err := api.NewClient(api.DefaultConfig()) // VAULT_ADDR, VAULT_CACERT, ...
	if err != nil {
		log.Fatal(err)
	}
	auth, err := vault.AppRoleAuth("", "my-role-id", "", "/run/secrets/vault-secret-id")
	if err != nil {
		log.Fatal(err)
	}
	p, err := vault.New(client, "dashtam", "production", &vault.Options{Auth: auth, Mount: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	fmt.Println(p.Name())
	// Output: vault
}

// A client you build yourself reads responses of any size; LimitTransport
// caps them at MaxResponseSize as FromEnv's client does. Close stops the
// provider's token renewal; the client and its connections stay yours.
func ExampleLimitTransport() {
	cfg := api.DefaultConfig()
	client, err := api.NewClient(cfg)
	if err != nil {
		log.Fatal(err)
	}
	// After NewClient, which may set up the *http.Transport itself (a
	// unix:// VAULT_ADDR); the client shares cfg.HttpClient.
	cfg.HttpClient.Transport = vault.LimitTransport(cfg.HttpClient.Transport)
	p, err := vault.New(client, "dashtam", "production", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	defer cfg.HttpClient.CloseIdleConnections()
	fmt.Println(p)
	// Output:
	// vault.Provider(vault)
}
