package vault_test

import (
	"log"
	"net/http"

	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/vault"
)

// A client of your own with the rate-limit handling FromEnv installs: a 429
// comes back from the client at once with its Retry-After, and the
// Provider waits (Retry-After plus jitter) and reads again while the
// read's context has time. Size the idle pool to the reads GetMany runs at
// once, so that a load reuses its connections.
func ExampleRateLimitPolicy() {
	cfg := api.DefaultConfig() // VAULT_ADDR, VAULT_CACERT, ...
	cfg.CheckRetry = vault.RateLimitPolicy(cfg.CheckRetry)
	if tr, ok := cfg.HttpClient.Transport.(*http.Transport); ok {
		tr.MaxIdleConnsPerHost = vault.DefaultMaxConcurrency
	}
	client, err := api.NewClient(cfg)
	if err != nil {
		log.Fatal(err)
	}
	p, err := vault.New(client, "dashtam", "production", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
}
