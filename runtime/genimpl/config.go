package genimpl

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// Backend is SECRETS_BACKEND as read: one backend ("env", the default,
	// "aws", "vault", "ssm", "files") or a comma-separated list of them,
	// the layers ("env,aws"), without white space.
	Backend string
	// Layers is Backend as a list: one name per layer, first to last
	// (one name when SECRETS_BACKEND names one backend).
	Layers []string
	// Environment is ENVIRONMENT, the {environment} segment of backend
	// secret names; "development" by default when no layer is scoped (env,
	// files), required otherwise. When a layer is scoped (aws, ssm, vault)
	// it passes backends.CheckEnvironment; unscoped backends do not use it,
	// so any value is accepted there.
	Environment string
	// CacheTTL is SECRETS_CACHE_TTL, DefaultCacheTTL when unset.
	CacheTTL time.Duration
}

// ReadConfig reads SECRETS_BACKEND, ENVIRONMENT and SECRETS_CACHE_TTL with
// getenv (os.Getenv when nil). names are the backends this build can use
// (every backend when nil); SECRETS_BACKEND must name one of them, or list
// several, separated by commas (layers; each at most once).
func ReadConfig(getenv func(string) string, names []string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if names == nil {
		names = backends.Names()
	}
	list := strings.Join(names, ", ")
	c := Config{CacheTTL: runtime.DefaultCacheTTL}

	raw := strings.TrimSpace(getenv("SECRETS_BACKEND"))
	switch {
	case raw == "" && !slices.Contains(names, "env"):
		return Config{}, fmt.Errorf("SECRETS_BACKEND must be set: env (the default) is not in this manifest's backends; use one of %s, or a comma-separated list of them", list)
	case raw == "":
		raw = "env"
	}
	scoped := ""
	for _, name := range strings.Split(raw, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return Config{}, fmt.Errorf("SECRETS_BACKEND=%q has an empty entry; list backends separated by commas, such as env,aws", raw)
		case !slices.Contains(names, name):
			if _, known := backends.Lookup(name); known {
				// A backend secretsgen has, left out of the manifest's
				// backends: list, so the generated code does not import it.
				return Config{}, fmt.Errorf("SECRETS_BACKEND=%q: %q is not in this manifest's backends (%s): add %s to backends: in the manifest and regenerate, or use one of %s", raw, name, list, name, list)
			}
			return Config{}, fmt.Errorf("SECRETS_BACKEND=%q: %q is not a backend of this build; use one of %s, or a comma-separated list of them", raw, name, list)
		case slices.Contains(c.Layers, name):
			return Config{}, fmt.Errorf("SECRETS_BACKEND=%q lists %s twice; list each backend once", raw, name)
		}
		c.Layers = append(c.Layers, name)
		if b, _ := backends.Lookup(name); b.Scoped && scoped == "" {
			scoped = name
		}
	}
	c.Backend = strings.Join(c.Layers, ",")

	c.Environment = strings.TrimSpace(getenv("ENVIRONMENT"))
	switch {
	case c.Environment == "" && scoped == "":
		c.Environment = DefaultEnvironment
	case c.Environment == "":
		return Config{}, fmt.Errorf("ENVIRONMENT must be set when SECRETS_BACKEND=%s (it is the {environment} segment of %s secret names)", c.Backend, scoped)
	case scoped == "":
		// Unscoped backends (env, files) read secrets by name: ENVIRONMENT
		// is only reported, never part of a name, so any value will do.
	case backends.CheckEnvironment(c.Environment) != nil:
		return Config{}, fmt.Errorf("ENVIRONMENT=%q is not valid for SECRETS_BACKEND=%s: %s", c.Environment, c.Backend, backends.EnvironmentRule)
	}

	if d, err := durationEnv(getenv, "SECRETS_CACHE_TTL"); err != nil {
		return Config{}, err
	} else if d > 0 {
		c.CacheTTL = d
	}
	return c, nil
}

// durationEnv reads the variable name (SECRETS_CACHE_TTL,
// SECRETS_POLL_INTERVAL) with getenv: a positive Go duration such as 5m or
// 30s, or 0 when it is unset or blank. The error names the variable, never
// its value.
func durationEnv(getenv func(string) string, name string) (time.Duration, error) {
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return 0, nil
	}
	d, err := ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: expected a positive duration in Go syntax, such as 5m or 30s", name)
	}
	return d, nil
}

// Open builds the provider of cfg: open(ctx, name) for each layer, first to
// last; the provider itself when there is one layer, else a
// *runtime.Layers over them. When a layer cannot be built, the ones built
// before it are closed (those with a Close() error method) and the error
// names the layer. open returning a nil provider and a nil error means the
// name is not a backend of this build.
func Open(ctx context.Context, cfg Config, open func(ctx context.Context, name string) (runtime.Provider, error)) (runtime.Provider, error) {
	layers := cfg.Layers
	if len(layers) == 0 && cfg.Backend != "" {
		layers = strings.Split(cfg.Backend, ",")
	}
	if len(layers) == 0 {
		return nil, errors.New("secrets: no backend configured")
	}
	built := make([]runtime.Provider, 0, len(layers))
	fail := func(err error) (runtime.Provider, error) {
		for i := len(built) - 1; i >= 0; i-- {
			if c, ok := built[i].(io.Closer); ok {
				_ = c.Close()
			}
		}
		return nil, err
	}
	for _, name := range layers {
		p, err := open(ctx, name)
		if err != nil {
			if len(layers) > 1 {
				err = fmt.Errorf("layer %s of SECRETS_BACKEND=%s: %w", name, cfg.Backend, err)
			}
			return fail(err)
		}
		if p == nil {
			return fail(fmt.Errorf("SECRETS_BACKEND=%s: %q is not a backend of this build", cfg.Backend, name))
		}
		built = append(built, p)
	}
	if len(built) == 1 {
		return built[0], nil
	}
	l, err := runtime.NewLayers(built...)
	if err != nil {
		return fail(err)
	}
	return l, nil
}
