package vault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"
)

// The variables FromEnv reads besides the Vault client's own VAULT_*.
const (
	EnvMount        = "SECRETS_VAULT_MOUNT"          // KV v2 mount; default "secret"
	EnvAuth         = "SECRETS_VAULT_AUTH"           // token (default), approle or kubernetes
	EnvAuthMount    = "SECRETS_VAULT_AUTH_MOUNT"     // auth method mount; default approle / kubernetes
	EnvRoleID       = "VAULT_ROLE_ID"                // approle
	EnvSecretID     = "VAULT_SECRET_ID"              // approle
	EnvSecretIDFile = "VAULT_SECRET_ID_FILE"         // approle, instead of VAULT_SECRET_ID
	EnvK8sRole      = "SECRETS_VAULT_K8S_ROLE"       // kubernetes
	EnvK8sTokenFile = "SECRETS_VAULT_K8S_TOKEN_FILE" // kubernetes; default DefaultKubernetesTokenFile
	EnvDBDrain      = "SECRETS_VAULT_DB_DRAIN"       // Options.DatabaseDrain, a Go duration ("30s")
	EnvKeepLeases   = "SECRETS_VAULT_KEEP_LEASES"    // Options.KeepLeases: true or false
)

// FromEnv returns a Provider configured from the environment: the Vault
// client from api.DefaultConfig (VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE,
// VAULT_CACERT, VAULT_CLIENT_TIMEOUT, VAULT_MAX_RETRIES, ...), the mount from
// SECRETS_VAULT_MOUNT and the login from SECRETS_VAULT_AUTH:
//
//   - token (default): VAULT_TOKEN, used as it is;
//   - approle: VAULT_ROLE_ID and VAULT_SECRET_ID or VAULT_SECRET_ID_FILE;
//   - kubernetes: SECRETS_VAULT_K8S_ROLE and the service-account token file
//     (SECRETS_VAULT_K8S_TOKEN_FILE, default DefaultKubernetesTokenFile).
//
// The client fails fast on a wrong VAULT_ADDR: retries wait
// StartupMinRetryWait to StartupMaxRetryWait (times the retry's number)
// instead of the client's 1 to 1.5 s, a dial times out after DialTimeout
// and is not retried then, and the number of retries stays the client's (2,
// or VAULT_MAX_RETRIES); a 429 (a rate-limit quota) is not one of them:
// the provider retries it while the read's context has time (see
// RateLimitPolicy). A backend-wide failure names the address tried
// (VAULT_ADDR, or the client's default when it is unset).
//
// SECRETS_VAULT_AUTH_MOUNT overrides where the auth method is enabled.
// SECRETS_VAULT_DB_DRAIN and SECRETS_VAULT_KEEP_LEASES set
// Options.DatabaseDrain and Options.KeepLeases (database credentials). FromEnv
// does no I/O beyond reading the configuration (ctx is unused for now): the
// first read logs in. The client it builds reads at most MaxResponseSize of
// a response, and the Provider's Close closes its idle connections. It is
// FromLookup(ctx, app, environment, os.LookupEnv).
func FromEnv(ctx context.Context, app, environment string) (*Provider, error) {
	return FromLookup(ctx, app, environment, os.LookupEnv)
}

// FromLookup is FromEnv with this package's variables (SECRETS_VAULT_*,
// VAULT_ROLE_ID, VAULT_SECRET_ID, VAULT_SECRET_ID_FILE) read through lookup,
// as env.Options.LookupEnv and genimpl.ReadConfig read theirs; nil means
// os.LookupEnv. The Vault client's own VAULT_* settings (VAULT_ADDR,
// VAULT_TOKEN, ...) are read by api.DefaultConfig from the process
// environment, which the client library offers no way to redirect.
func FromLookup(ctx context.Context, app, environment string, lookup func(string) (string, bool)) (*Provider, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	getenv := func(name string) string { v, _ := lookup(name); return v }
	cfg := api.DefaultConfig() // reads the VAULT_* variables
	if cfg.Error != nil {
		return nil, fmt.Errorf("vault: reading the VAULT_* variables: %s", scrub(cfg.Error))
	}
	boundRetries(cfg)
	// GetMany runs up to DefaultMaxConcurrency reads at once; keep that many
	// idle connections instead of cleanhttp's GOMAXPROCS+1, so a Load does
	// not dial anew for most of its reads.
	if tr, ok := cfg.HttpClient.Transport.(*http.Transport); ok && tr.MaxIdleConnsPerHost < DefaultMaxConcurrency {
		tr.MaxIdleConnsPerHost = DefaultMaxConcurrency
	}
	// Both retry behaviours: a 429 comes back to the provider at once,
	// which waits and reads again while the read's context has time (the
	// client would give up after VAULT_MAX_RETRIES); everything else goes
	// to boundRetries' policy (a timed-out dial is not retried).
	cfg.CheckRetry = RateLimitPolicy(cfg.CheckRetry)
	client, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault: creating the client: %s", scrub(err))
	}
	// After NewClient, which sets up a unix:// VAULT_ADDR on the
	// *http.Transport itself; the client shares cfg.HttpClient.
	cfg.HttpClient.Transport = instrument(ctx, LimitTransport(cfg.HttpClient.Transport))
	opts := &Options{Mount: getenv(EnvMount)}
	if v := strings.TrimSpace(getenv(EnvDBDrain)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("vault: %s=%q: want a positive duration such as 30s", EnvDBDrain, v)
		}
		opts.DatabaseDrain = d
	}
	if v := strings.TrimSpace(getenv(EnvKeepLeases)); v != "" {
		keep, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("vault: %s=%q: want true or false", EnvKeepLeases, v)
		}
		opts.KeepLeases = keep
	}
	authMount := getenv(EnvAuthMount)
	switch method := strings.TrimSpace(getenv(EnvAuth)); method {
	case "", "token":
		if client.Token() == "" {
			return nil, errors.New("vault: " + EnvAuth + "=token needs VAULT_TOKEN; set it, or choose approle or kubernetes")
		}
	case "approle":
		if getenv(EnvSecretID) != "" && getenv(EnvSecretIDFile) != "" {
			return nil, errors.New("vault: set one of " + EnvSecretID + " and " + EnvSecretIDFile + ", not both")
		}
		if opts.Auth, err = AppRoleAuth(authMount, getenv(EnvRoleID), getenv(EnvSecretID), getenv(EnvSecretIDFile)); err != nil {
			return nil, err
		}
	case "kubernetes":
		if opts.Auth, err = KubernetesAuth(authMount, getenv(EnvK8sRole), getenv(EnvK8sTokenFile)); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("vault: %s=%q: want token, approle or kubernetes", EnvAuth, method)
	}
	p, err := New(client, app, environment, opts)
	if err != nil {
		return nil, err
	}
	p.closeIdle = cfg.HttpClient.CloseIdleConnections
	p.addrFrom = addrDefault
	if os.Getenv(api.EnvVaultAddress) != "" {
		p.addrFrom = addrFromEnv
	}
	return p, nil
}

// scrub returns err's text unless it quotes the value of a VAULT_* variable
// (a proxy URL with a password, say); then a generic description.
func scrub(err error) string {
	text := err.Error()
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "VAULT_") && len(value) >= 4 && strings.Contains(text, value) {
			return "a VAULT_* variable has an invalid value"
		}
	}
	return text
}
