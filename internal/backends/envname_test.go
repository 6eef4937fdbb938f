package backends_test

import (
	"fmt"
	"testing"

	"github.com/dashtam/secretsgen/internal/backends"
)

func TestEnvName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"database/url", "DATABASE_URL"},
		{"schwab/api_key", "SCHWAB_API_KEY"},
		{"schwab/api-key", "SCHWAB_API_KEY"},
		{"http-client/timeout", "HTTP_CLIENT_TIMEOUT"},
		{"token", "TOKEN"},
		{"a/b/c/d", "A_B_C_D"},
		{"v2/key-1", "V2_KEY_1"},
		{"Already_UPPER", "ALREADY_UPPER"},
		{"a.b", "A.B"},               // only "/" and "-" are replaced
		{"2fa/secret", "2FA_SECRET"}, // not a valid variable: the manifest reports it
		{"", ""},
	}
	for _, tt := range tests {
		if got := backends.EnvName(tt.in); got != tt.want {
			t.Errorf("EnvName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func ExampleEnvName() {
	fmt.Println(backends.EnvName("database/url"))
	fmt.Println(backends.EnvName("http-client/timeout"))
	// Output:
	// DATABASE_URL
	// HTTP_CLIENT_TIMEOUT
}
