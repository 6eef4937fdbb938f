package gen_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	vaultapi "github.com/hashicorp/vault/api"
	"go.uber.org/goleak"

	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/internal/testing/leaktest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
)

// required are the secrets of secrets.yaml without a default, with valid
// texts.
var required = map[string]string{
	gen.PathDatabaseURL:       "postgres://app:pw@db:5432/app",
	gen.PathSchwabAPIKey:      "key",
	gen.PathSchwabAPISecret:   "secret",
	gen.PathSchwabRedirectURI: "https://example.com/cb",
	gen.PathAppSecretKey:      "c2FtcGxl",
}

// TestNoLeaks checks that MustLoad closes the provider it builds, that a
// MustWatch's Close and NewProvider's Close stop every goroutine they
// started, on each backend: env (without and with a .env file, whose
// fsnotify watcher Watch starts), aws (moto), ssm (moto), files (with its
// fsnotify watcher), the layers env,aws, and vault with token and with
// AppRole login (which starts a LifetimeWatcher and a re-login loop). Idle keep-alive connections
// of net/http are not the provider's goroutines: the transport closes them
// after its idle timeout, so they are ignored.
func TestNoLeaks(t *testing.T) {
	ignore := []goleak.Option{
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
	}
	check := func(t *testing.T) {
		t.Helper()
		before := goleak.IgnoreCurrent()
		for range 3 {
			gen.MustLoad(t.Context())
		}
		if err := gen.MustWatch(t.Context()).Close(); err != nil {
			t.Fatal(err)
		}
		p, err := gen.NewProvider(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := gen.Load(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		leaktest.VerifyNone(t, append(ignore, before)...) // goroutines that end just after Close get time
	}

	t.Run("env", func(t *testing.T) {
		t.Setenv("SECRETS_BACKEND", "env")
		t.Setenv("SECRETS_ENV_FILE", "")
		for path, text := range required {
			t.Setenv(envName(path), text)
		}
		check(t)
	})

	t.Run("env with a .env file", func(t *testing.T) {
		// Watch starts the env provider's .env watcher; Close stops it.
		var text string
		for path, v := range required {
			t.Setenv(envName(path), "")
			os.Unsetenv(envName(path)) // restored by t.Setenv's cleanup
			text += envName(path) + "=" + v + "\n"
		}
		file := filepath.Join(t.TempDir(), ".env")
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("SECRETS_BACKEND", "env")
		t.Setenv("SECRETS_ENV_FILE", file)
		check(t)
	})

	t.Run("aws", func(t *testing.T) {
		moto := testenv.StartMoto(t)
		for k, v := range map[string]string{
			"SECRETS_BACKEND": "aws", "ENVIRONMENT": "test", "AWS_REGION": "us-east-1",
			"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
			"AWS_ENDPOINT_URL_SECRETS_MANAGER": moto.Endpoint(),
		} {
			t.Setenv(k, v)
		}
		sm := secretsmanager.New(secretsmanager.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(moto.Endpoint()),
			Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		})
		for path, text := range required {
			in := &secretsmanager.CreateSecretInput{Name: aws.String("/dashtam/test/" + path)}
			if path == gen.PathAppSecretKey {
				in.SecretBinary = []byte("sample")
			} else {
				in.SecretString = aws.String(text)
			}
			if _, err := sm.CreateSecret(t.Context(), in); err != nil {
				t.Fatal(err)
			}
		}
		check(t)
	})

	t.Run("ssm", func(t *testing.T) {
		moto := testenv.StartMoto(t)
		for k, v := range map[string]string{
			"SECRETS_BACKEND": "ssm", "ENVIRONMENT": "test", "AWS_REGION": "us-east-1",
			"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
			"AWS_ENDPOINT_URL_SSM": moto.Endpoint(),
		} {
			t.Setenv(k, v)
		}
		c := awsssm.New(awsssm.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(moto.Endpoint()),
			Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		})
		for path, text := range required {
			if _, err := c.PutParameter(t.Context(), &awsssm.PutParameterInput{
				Name: aws.String("/dashtam/test/" + path), Value: aws.String(text), Type: ssmtypes.ParameterTypeSecureString,
			}); err != nil {
				t.Fatal(err)
			}
		}
		check(t)
	})

	t.Run("files", func(t *testing.T) {
		dir := t.TempDir()
		for path, text := range required {
			if err := os.WriteFile(filepath.Join(dir, envName(path)), []byte(text+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		t.Setenv("SECRETS_BACKEND", "files")
		t.Setenv("SECRETS_FILES_DIR", dir)
		check(t)
	})

	t.Run("layers env,files", func(t *testing.T) {
		dir := t.TempDir()
		for path, text := range required {
			if path == gen.PathDatabaseURL {
				t.Setenv(envName(path), text) // served by the env layer
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, envName(path)), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		t.Setenv("SECRETS_BACKEND", "env,files")
		t.Setenv("SECRETS_ENV_FILE", "")
		t.Setenv("SECRETS_FILES_DIR", dir)
		check(t)
	})

	t.Run("vault", func(t *testing.T) {
		v := testenv.StartVault(t)
		cfg := vaultapi.DefaultConfig()
		cfg.Address = v.Addr()
		root, err := vaultapi.NewClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		root.SetToken(v.RootToken())
		for path, text := range required {
			if _, err := root.KVv2("secret").Put(context.Background(), "dashtam/test/"+path, map[string]any{"value": text}); err != nil {
				t.Fatal(err)
			}
		}
		for k, val := range map[string]string{"SECRETS_BACKEND": "vault", "ENVIRONMENT": "test", "VAULT_ADDR": v.Addr()} {
			t.Setenv(k, val)
		}
		t.Run("token", func(t *testing.T) {
			t.Setenv("VAULT_TOKEN", v.RootToken())
			check(t)
		})
		t.Run("approle", func(t *testing.T) {
			write := func(path string, data map[string]any) *vaultapi.Secret {
				s, err := root.Logical().Write(path, data)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			write("sys/auth/approle", map[string]any{"type": "approle"})
			write("sys/policies/acl/read", map[string]any{"policy": `path "secret/data/dashtam/*" { capabilities = ["read"] }`})
			write("auth/approle/role/dashtam", map[string]any{"token_policies": "read", "token_ttl": "1h"})
			rid, err := root.Logical().Read("auth/approle/role/dashtam/role-id")
			if err != nil {
				t.Fatal(err)
			}
			sid := write("auth/approle/role/dashtam/secret-id", nil)
			t.Setenv("VAULT_TOKEN", "")
			t.Setenv("SECRETS_VAULT_AUTH", "approle")
			t.Setenv("VAULT_ROLE_ID", rid.Data["role_id"].(string))
			t.Setenv("VAULT_SECRET_ID", sid.Data["secret_id"].(string))
			check(t)
		})
	})
}

// envName is the env backend's variable for a path of secrets.yaml (none
// has an env: override).
func envName(path string) string {
	b := []byte(path)
	for i, c := range b {
		switch {
		case c == '/' || c == '-':
			b[i] = '_'
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
