package runtime

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadErrorGroupsBackendWideFailures(t *testing.T) {
	refused := func(path, backend string) *SecretError {
		return &SecretError{
			Path: path, Backend: backend, Kind: ErrUnavailable, Type: "string",
			Where: "secret/app/prod/" + path + "#value",
			Err:   &BackendError{Address: "http://127.0.0.1:1 (VAULT_ADDR)", Err: errors.New("cannot reach Vault: dial tcp: connection refused")},
			Hint:  "check VAULT_ADDR",
		}
	}
	missing := &SecretError{Path: "c", Backend: "env", Kind: ErrNotFound, Where: "C", Hint: "set C"}
	tests := []struct {
		name      string
		err       *LoadError
		want      string
		wantLines int
	}{
		{
			name: "every secret, one backend",
			err:  &LoadError{Backend: "vault", Total: 3, Errors: []*SecretError{refused("a", "vault"), refused("b", "vault"), refused("c", "vault")}},
			want: `secrets: all 3 secrets failed to load from backend "vault": unavailable: cannot reach Vault: dial tcp: connection refused (tried http://127.0.0.1:1 (VAULT_ADDR)); check VAULT_ADDR`,
		},
		{
			name: "every failure, some secrets served by another layer",
			err:  &LoadError{Backend: "env,vault", Total: 5, Errors: []*SecretError{refused("a", "vault"), refused("b", "vault")}},
			want: `secrets: 2 of 5 secrets failed to load from backend "vault": unavailable: cannot reach Vault: dial tcp: connection refused (tried http://127.0.0.1:1 (VAULT_ADDR)); check VAULT_ADDR`,
		},
		{
			name: "a backend-wide failure beside a per-secret one",
			err:  &LoadError{Backend: "env,vault", Total: 5, Errors: []*SecretError{refused("a", "vault"), missing, refused("b", "vault")}},
			want: "secrets: 3 of 5 secrets failed to load from backend \"env,vault\":\n" +
				"\t2 secrets [vault]: unavailable: cannot reach Vault: dial tcp: connection refused (tried http://127.0.0.1:1 (VAULT_ADDR)); check VAULT_ADDR\n" +
				"\tc: not found [env C]; set C",
		},
		{
			name: "one secret: its own line",
			err:  &LoadError{Backend: "vault", Total: 5, Errors: []*SecretError{refused("a", "vault")}},
			want: "secrets: 1 of 5 secrets failed to load from backend \"vault\":\n" +
				"\ta: unavailable (expected string) [vault secret/app/prod/a#value]: cannot reach Vault: dial tcp: connection refused (tried http://127.0.0.1:1 (VAULT_ADDR)); check VAULT_ADDR",
		},
		{
			name: "per-secret problems stay per secret",
			err: &LoadError{Backend: "env", Total: 2, Errors: []*SecretError{
				{Path: "a", Backend: "env", Kind: ErrNotFound, Where: "A", Hint: "set A"},
				{Path: "b", Backend: "env", Kind: ErrNotFound, Where: "B", Hint: "set B"},
			}},
			want: "secrets: 2 of 2 secrets failed to load from backend \"env\":\n\ta: not found [env A]; set A\n\tb: not found [env B]; set B",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() =\n%s\nwant\n%s", got, tt.want)
			}
			// Every path's error stays reachable.
			if len(tt.err.Unwrap()) != len(tt.err.Errors) {
				t.Errorf("Unwrap() has %d errors, want %d", len(tt.err.Unwrap()), len(tt.err.Errors))
			}
		})
	}
}

func TestBackendErrorKeepsItsChain(t *testing.T) {
	cause := errors.New("x")
	e := &SecretError{Path: "a", Kind: ErrUnavailable, Err: &BackendError{Err: cause}}
	if !errors.Is(e, cause) || !errors.Is(e, ErrUnavailable) {
		t.Fatal("the cause and the kind must stay reachable with errors.Is")
	}
	var be *BackendError
	if !errors.As(e, &be) || strings.Contains(be.Error(), "tried") {
		t.Fatalf("BackendError without an Address: %v", be)
	}
}
