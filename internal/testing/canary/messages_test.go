package canary_test

import (
	"net"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/internal/testing/canary/kitchen"
	"github.com/dashtam/secretsgen/runtime"
)

// The messages of issue 12 (docs/errors.md) hold no canary: a backend-wide
// failure stated once with the address tried, unknown JSON members named,
// the note when no .env file was read.

// closedAddr returns a loopback host:port nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// TestBackendWideFailure loads the kitchen settings from a Vault and an AWS
// endpoint that nothing listens on, with credentials (and a password in
// VAULT_ADDR) that hold the canary: the one-line load error names the
// address tried and never a credential.
func TestBackendWideFailure(t *testing.T) { // not parallel: t.Setenv
	addr := closedAddr(t)
	t.Run("vault", func(t *testing.T) {
		t.Setenv("VAULT_ADDR", "http://canary:"+token+"@"+addr)
		t.Setenv("VAULT_TOKEN", "hvs."+token)
		t.Setenv("VAULT_NAMESPACE", "")
		p, err := vault.FromEnv(t.Context(), "canary", "dev")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		_, err = kitchen.Load(t.Context(), p)
		checkOneLine(t, err, "(tried VAULT_ADDR=http://"+addr+")")
	})
	t.Run("aws", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL", "http://canary:"+token+"@"+addr)
		t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "")
		t.Setenv("AWS_REGION", "us-east-1")
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIA"+token)
		t.Setenv("AWS_SECRET_ACCESS_KEY", token)
		t.Setenv("AWS_SESSION_TOKEN", token)
		t.Setenv("AWS_PROFILE", "")
		t.Setenv("AWS_CONFIG_FILE", writeFile(t, "config", ""))
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", writeFile(t, "credentials", ""))
		t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		p, err := awssm.FromEnv(t.Context(), "canary", "dev")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		_, err = kitchen.Load(t.Context(), p)
		checkOneLine(t, err, "(tried region us-east-1, endpoint http://"+addr+" from AWS_ENDPOINT_URL)")
	})
}

func checkOneLine(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatal("Load succeeded")
	}
	assertErrorClean(t, "backend-wide load error", err)
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "secrets failed to load from backend") || !strings.Contains(msg, want) {
		t.Errorf("load error %q: want one line containing %q", msg, want)
	}
}

// TestUnknownJSONMembers: a json secret whose declared member is missing
// names the unknown members that are near spellings of a declared one,
// never their values, and only counts the others (a key may be a secret).
func TestUnknownJSONMembers(t *testing.T) {
	t.Parallel()
	vars := canaryEnv()
	vars["OBJECT_JSON"] = `{"Text":"` + token + `","count":"` + token + `","zq":"` + token + `"}`
	err := loadErr(t, vars)
	assertErrorClean(t, "unknown JSON members", err)
	if msg := err.Error(); !strings.Contains(msg, `member "text" is missing; the object has "Text", which the manifest does not declare (a misspelling?) and 1 other undeclared member`) {
		t.Errorf("load error %q does not name the unknown members", msg)
	}
}

// TestNoEnvFileNote: the note that no .env file was read.
func TestNoEnvFileNote(t *testing.T) {
	t.Chdir(t.TempDir())
	vars := canaryEnv()
	delete(vars, "SCALAR_STRING")
	p, err := env.FromLookup(t.Context(), lookup(vars))
	if err != nil {
		t.Fatal(err)
	}
	_, err = kitchen.Load(t.Context(), p)
	if err == nil || !strings.Contains(err.Error(), "no .env file was read") {
		t.Fatalf("load error %v: want the no-.env note", err)
	}
	assertErrorClean(t, "no .env note", err)
	var _ runtime.Provider = p
}
