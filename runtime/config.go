package runtime

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// DefaultCacheTTL is how long a Cache serves a fetched value when neither
// CacheOptions.TTL nor SECRETS_CACHE_TTL says otherwise.
const DefaultCacheTTL = 5 * time.Minute

// DefaultEnvironment is the ENVIRONMENT of the env backend when it is unset.
const DefaultEnvironment = "development"

// Config is the run-time configuration the generated NewProvider reads from
// the environment.
type Config struct {
	// Backend is SECRETS_BACKEND: "env" (the default), "aws" or "vault".
	Backend string
	// Environment is ENVIRONMENT, the {environment} segment of backend
	// secret names; "development" by default for the env backend, required
	// for the others. For aws and vault it passes CheckEnvironment; the env
	// backend does not use it, so any value is accepted there.
	Environment string
	// CacheTTL is SECRETS_CACHE_TTL, DefaultCacheTTL when unset.
	CacheTTL time.Duration
}

// allBackends lists the backends secretsgen knows, in their usual order.
var allBackends = []string{"env", "aws", "vault"}

var environmentRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// environmentRule says what CheckEnvironment accepts.
const environmentRule = "use lower-case letters, digits, '-' and '_', starting with a letter or digit, such as production (it is the {environment} segment of secret names: [a-z0-9][a-z0-9_-]*)"

// CheckEnvironment reports whether env can be the {environment} segment of
// backend secret names (/{app}/{environment}/{path} in AWS Secrets Manager,
// {app}/{environment}/{path} in Vault): one path segment of lower-case
// letters, digits, '-' and '_' that starts with a letter or digit, the
// pattern [a-z0-9][a-z0-9_-]*. ReadConfig applies it to ENVIRONMENT for the
// aws and vault backends only; the env backend does not use ENVIRONMENT.
func CheckEnvironment(env string) error {
	if !environmentRE.MatchString(env) {
		return fmt.Errorf("environment %q is not valid: %s", env, environmentRule)
	}
	return nil
}

// ReadConfig reads SECRETS_BACKEND, ENVIRONMENT and SECRETS_CACHE_TTL with
// getenv (os.Getenv when nil). backends are the backends this build can use
// (env, aws and vault when nil); SECRETS_BACKEND must name one of them.
func ReadConfig(getenv func(string) string, backends []string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if backends == nil {
		backends = allBackends
	}
	list := strings.Join(backends, ", ")
	c := Config{CacheTTL: DefaultCacheTTL}

	c.Backend = strings.TrimSpace(getenv("SECRETS_BACKEND"))
	switch {
	case c.Backend == "" && !slices.Contains(backends, "env"):
		return Config{}, fmt.Errorf("SECRETS_BACKEND must be set: this build has no env backend; use one of %s", list)
	case c.Backend == "":
		c.Backend = "env"
	case !slices.Contains(backends, c.Backend):
		return Config{}, fmt.Errorf("SECRETS_BACKEND=%q is not a backend of this build; use one of %s", c.Backend, list)
	}

	c.Environment = strings.TrimSpace(getenv("ENVIRONMENT"))
	switch {
	case c.Environment == "" && c.Backend == "env":
		c.Environment = DefaultEnvironment
	case c.Environment == "":
		return Config{}, fmt.Errorf("ENVIRONMENT must be set when SECRETS_BACKEND=%s (it is the {environment} segment of secret names)", c.Backend)
	case c.Backend == "env":
		// The env backend reads variables by name: ENVIRONMENT is only
		// reported, never part of a name, so any value will do.
	case CheckEnvironment(c.Environment) != nil:
		return Config{}, fmt.Errorf("ENVIRONMENT=%q is not valid for SECRETS_BACKEND=%s: %s", c.Environment, c.Backend, environmentRule)
	}

	if s := strings.TrimSpace(getenv("SECRETS_CACHE_TTL")); s != "" {
		d, err := ParseDuration(s)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("SECRETS_CACHE_TTL: expected a positive duration in Go syntax, such as 5m or 30s")
		}
		c.CacheTTL = d
	}
	return c, nil
}
