package backends

import (
	"fmt"
	"strings"
	"testing"
)

func TestCheckEnvironment(t *testing.T) {
	for _, env := range []string{"production", "staging_2", "eu-west-1", "0", "dev"} {
		if err := CheckEnvironment(env); err != nil {
			t.Errorf("CheckEnvironment(%q) = %v, want nil", env, err)
		}
	}
	for _, env := range []string{"", "Production", "prod/eu", "../x", "-x", "_x", "a.b", "a b", "é"} {
		err := CheckEnvironment(env)
		if err == nil {
			t.Errorf("CheckEnvironment(%q) = nil, want an error", env)
			continue
		}
		if want := fmt.Sprintf("environment %q is not valid: use lower-case letters", env); !strings.HasPrefix(err.Error(), want) {
			t.Errorf("CheckEnvironment(%q) = %q, want it to start with %q", env, err, want)
		}
	}
}

func TestReservedEnvWhy(t *testing.T) {
	t.Parallel()
	for _, name := range append([]string{"AWS_REGION", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_CONFIG_FILE", "VAULT_ADDR", "VAULT_TOKEN", "SECRETS_NEXT_SETTING"}, ReservedEnv...) {
		if ReservedEnvWhy(name) == "" {
			t.Errorf("ReservedEnvWhy(%q) is empty, want a reason", name)
		}
	}
	for _, name := range []string{"AWS", "VAULT", "SECRETS", "MY_AWS_KEY", "ENVIRONMENT_NAME", "HTTP_PROXY", "HOME", "DATABASE_URL"} {
		if ReservedEnvWhy(name) != "" {
			t.Errorf("ReservedEnvWhy(%q) is not empty", name)
		}
	}
}
