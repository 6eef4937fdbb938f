package genimpl

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/runtime"
)

// DefaultEnvironment is the ENVIRONMENT of the env backend when it is unset.
const DefaultEnvironment = "development"

// Config is the run-time configuration the generated NewProvider reads from
// the environment.
type Config struct {
	// Backend is SECRETS_BACKEND: "env" (the default), "aws" or "vault".
	Backend string
	// Environment is ENVIRONMENT, the {environment} segment of backend
	// secret names; "development" by default for the env backend, required
	// for the others. For a scoped backend (aws, vault) it passes
	// backends.CheckEnvironment; the env backend does not use it, so any
	// value is accepted there.
	Environment string
	// CacheTTL is SECRETS_CACHE_TTL, DefaultCacheTTL when unset.
	CacheTTL time.Duration
}

// ReadConfig reads SECRETS_BACKEND, ENVIRONMENT and SECRETS_CACHE_TTL with
// getenv (os.Getenv when nil). names are the backends this build can use
// (every backend when nil); SECRETS_BACKEND must name one of them.
func ReadConfig(getenv func(string) string, names []string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if names == nil {
		names = backends.Names()
	}
	list := strings.Join(names, ", ")
	c := Config{CacheTTL: runtime.DefaultCacheTTL}

	c.Backend = strings.TrimSpace(getenv("SECRETS_BACKEND"))
	switch {
	case c.Backend == "" && !slices.Contains(names, "env"):
		return Config{}, fmt.Errorf("SECRETS_BACKEND must be set: env (the default) is not in this manifest's backends; use one of %s", list)
	case c.Backend == "":
		c.Backend = "env"
	case !slices.Contains(names, c.Backend):
		if _, known := backends.Lookup(c.Backend); known {
			// A backend secretsgen has, left out of the manifest's
			// backends: list, so the generated code does not import it.
			return Config{}, fmt.Errorf("SECRETS_BACKEND=%q is not in this manifest's backends (%s): add %s to backends: in the manifest and regenerate, or use one of %s", c.Backend, list, c.Backend, list)
		}
		return Config{}, fmt.Errorf("SECRETS_BACKEND=%q is not a backend of this build; use one of %s", c.Backend, list)
	}
	b, _ := backends.Lookup(c.Backend)

	c.Environment = strings.TrimSpace(getenv("ENVIRONMENT"))
	switch {
	case c.Environment == "" && !b.Scoped:
		c.Environment = DefaultEnvironment
	case c.Environment == "":
		return Config{}, fmt.Errorf("ENVIRONMENT must be set when SECRETS_BACKEND=%s (it is the {environment} segment of secret names)", c.Backend)
	case !b.Scoped:
		// An unscoped backend (env) reads secrets by name: ENVIRONMENT is
		// only reported, never part of a name, so any value will do.
	case backends.CheckEnvironment(c.Environment) != nil:
		return Config{}, fmt.Errorf("ENVIRONMENT=%q is not valid for SECRETS_BACKEND=%s: %s", c.Environment, c.Backend, backends.EnvironmentRule)
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
