package canary_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/internal/testing/canary/kitchen"
	"github.com/dashtam/secretsgen/runtime"
)

// TestLayers loads the canary through layers (the env backend over half
// of the variables, the generated Fake below it with every value), then
// with an invalid value served by the top layer, a failure of the lower
// layer and a secret no layer has, and prints the layers, the cache in
// front of them, the settings, the errors and Live's status.
func TestLayers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	vars := canaryEnv()
	top := map[string]string{}
	i := 0
	for name, v := range vars {
		if i%2 == 0 {
			top[name] = v
		}
		i++
	}
	pairCredentials(top, vars)
	newLayers := func(t *testing.T, envVars map[string]string, fake *kitchen.Fake) *runtime.Layers {
		t.Helper()
		p, err := env.New(&env.Options{LookupEnv: lookup(envVars)})
		if err != nil {
			t.Fatal(err)
		}
		l, err := runtime.NewLayers(p, fake)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}

	t.Run("valid", func(t *testing.T) {
		t.Parallel()
		l := newLayers(t, top, kitchen.NewFake(canarySettings()))
		c := runtime.NewCache(l, nil)
		s, err := kitchen.Load(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(canarySettings(), s); diff != "" {
			t.Errorf("Load through layers (-want +got):\n%s", diff)
		}
		assertSettingsClean(t, s)
		assertPrintsClean(t, "*runtime.Layers", l)
		assertPrintsClean(t, "Cache(*runtime.Layers)", c)

		live, err := runtime.NewLive(ctx, c, kitchen.Load, &runtime.LiveOptions{PollInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer live.Close()
		st := live.Status()
		served := map[string]bool{}
		for _, sec := range st.Secrets {
			served[sec.Backend] = true
		}
		if !served["env"] || !served["fake"] {
			t.Errorf("Live status names the layers %v; want env and fake", served)
		}
		assertPrintsClean(t, "Live status over layers", st)
	})

	t.Run("invalid in the top layer", func(t *testing.T) {
		t.Parallel()
		invalid, paths := allInvalidEnv()
		_, err := kitchen.Load(ctx, newLayers(t, invalid, kitchen.NewFake(canarySettings())))
		assertFails(t, err, runtime.ErrInvalidValue, paths...)
		assertErrorClean(t, "Load error, invalid values served by env over fake", err)
		if !strings.Contains(err.Error(), "served by env") {
			t.Errorf("the error does not name the serving layer: %v", err)
		}
	})

	t.Run("lower layer fails, one secret in no layer", func(t *testing.T) {
		t.Parallel()
		envVars := canaryEnv()
		delete(envVars, "SCALAR_URL")
		delete(envVars, "SCALAR_STRING")
		fake := kitchen.NewFake(canarySettings())
		fake.SetError(kitchen.PathScalarURL, &runtime.SecretError{Kind: runtime.ErrAccessDenied, Hint: "grant read access"})
		fake.Delete(kitchen.PathScalarString)
		_, err := kitchen.Load(ctx, newLayers(t, envVars, fake))
		assertFails(t, err, nil, kitchen.PathScalarString, kitchen.PathScalarURL)
		var le *runtime.LoadError
		if errors.As(err, &le) {
			for _, e := range le.Errors {
				want := map[string]string{kitchen.PathScalarString: "env,fake", kitchen.PathScalarURL: "fake"}[e.Path]
				if e.Backend != want {
					t.Errorf("%s: Backend %q, want %q", e.Path, e.Backend, want)
				}
			}
		}
		assertErrorClean(t, "Load error, a denied lower layer and a miss in every layer", err)
	})
}
