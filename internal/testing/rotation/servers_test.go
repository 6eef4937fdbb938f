package rotation_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/hashicorp/vault/api"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// app is the generated package's app name, the {app} segment of backend
// secret names.
const app = gen.App

// clientTimeout bounds one backend request of the providers under test
// (the clients do not retry): a hang, not a slow answer, which moto gives
// on a busy machine. An outage ends requests at once: the proxy refuses
// and cuts connections.
const clientTimeout = 30 * time.Second

// backend is one real secret store as the tests use it: seed writes
// values through the store's API, rotate writes one new value the way an
// operator or a rotation function does (vault kv put, PutSecretValue) and
// returns when it is stored, cache returns a new provider for the Live
// under test (which closes it), stage and its finish are the two writes of
// a Secrets Manager rotation function (AWS only), closeIdle drops the idle HTTP connections
// of every client made for the test (before goleak looks).
type backend struct {
	name      string
	env       string
	seed      func(t *testing.T, values map[string]string)
	rotate    func(t *testing.T, path, text string)
	stage     func(t *testing.T, path, text string) (finish func(t *testing.T)) // AWS only: stage AWSPENDING; finish moves AWSCURRENT to it
	cache     func(t *testing.T) *runtime.Cache
	closeIdle func()
}

// vaultServer is a Vault -dev server with a root client.
type vaultServer struct {
	*testenv.Vault
	root *api.Client
	http *http.Client
}

func startVault(t *testing.T) *vaultServer {
	t.Helper()
	v := testenv.StartVault(t)
	root, hc, err := vaultClient(v.Addr(), v.RootToken())
	if err != nil {
		t.Fatal(err)
	}
	return &vaultServer{Vault: v, root: root, http: hc}
}

// vaultClient returns a root client for the server at addr that does not
// retry and gives up on a request after clientTimeout.
func vaultClient(addr, token string) (*api.Client, *http.Client, error) {
	cfg := api.DefaultConfig()
	if cfg.Error != nil {
		return nil, nil, cfg.Error
	}
	cfg.Address = addr
	cfg.MaxRetries = 0
	cfg.Timeout = clientTimeout
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, nil, err
	}
	c.ClearNamespace()
	c.SetToken(token)
	return c, cfg.HttpClient, nil
}

// backend returns the Vault backend of environment env; with proxy set the
// provider reaches the server through it (writes go to the server).
func (v *vaultServer) backend(env string, proxy *testenv.Proxy) backend {
	addr := v.Addr()
	if proxy != nil {
		addr = "http://" + proxy.Addr()
	}
	var clients []*http.Client
	return backend{
		name: "vault", env: env,
		seed: func(t *testing.T, values map[string]string) {
			t.Helper()
			for path, text := range values {
				if _, err := v.root.KVv2("secret").Put(context.Background(), app+"/"+env+"/"+path, map[string]any{"value": text}); err != nil {
					t.Fatalf("vault: put %s: %v", path, err)
				}
			}
		},
		rotate: func(t *testing.T, path, text string) {
			t.Helper()
			v.kvPut(t, env, path, text)
		},
		cache: func(t *testing.T) *runtime.Cache {
			t.Helper()
			c, hc, err := vaultClient(addr, v.RootToken())
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, hc)
			p, err := vault.New(c, app, env, &vault.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			return runtime.NewCache(p, nil)
		},
		closeIdle: func() {
			v.http.CloseIdleConnections()
			for _, c := range clients {
				c.CloseIdleConnections()
			}
		},
	}
}

// kvPut runs `vault kv put -mount=secret {app}/{env}/{path} value=-` with
// the text on standard input (so that it is not on a command line).
func (v *vaultServer) kvPut(t *testing.T, env, path, text string) {
	t.Helper()
	bin, err := testenv.VaultBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "kv", "put", "-mount=secret", app+"/"+env+"/"+path, "value=-")
	cmd.Env = append(v.CLIEnv(), "HOME="+t.TempDir())
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vault kv put %s: %v\n%s", path, err, strings.ReplaceAll(string(out), text, "[REDACTED]"))
	}
}

// motoServer is a moto_server with a Secrets Manager client.
type motoServer struct {
	*testenv.Moto
	client *secretsmanager.Client
	http   *http.Client
}

func startMoto(t *testing.T) *motoServer {
	t.Helper()
	m := testenv.StartMoto(t)
	c, hc := smClient(m.Endpoint())
	return &motoServer{Moto: m, client: c, http: hc}
}

// smClient returns a Secrets Manager client for endpoint with test
// credentials that does not retry and gives up after clientTimeout.
func smClient(endpoint string) (*secretsmanager.Client, *http.Client) {
	hc := &http.Client{Timeout: clientTimeout, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	return secretsmanager.New(secretsmanager.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
		HTTPClient:       hc,
	}), hc
}

// backend returns the AWS backend of environment env; with proxy set the
// provider reaches moto through it (writes go to moto).
func (m *motoServer) backend(env string, proxy *testenv.Proxy) backend {
	endpoint := m.Endpoint()
	if proxy != nil {
		endpoint = "http://" + proxy.Addr()
	}
	var clients []*http.Client
	id := func(path string) string { return "/" + app + "/" + env + "/" + path }
	return backend{
		name: "aws", env: env,
		seed: func(t *testing.T, values map[string]string) {
			t.Helper()
			for path, text := range values {
				if _, err := m.client.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String(id(path)), SecretString: aws.String(text)}); err != nil {
					t.Fatalf("aws: CreateSecret %s: %v", path, err)
				}
			}
		},
		rotate: func(t *testing.T, path, text string) {
			t.Helper()
			m.put(t, id(path), text)
		},
		stage: func(t *testing.T, path, text string) func(t *testing.T) {
			t.Helper()
			return m.stage(t, id(path), text)
		},
		cache: func(t *testing.T) *runtime.Cache {
			c, hc := smClient(endpoint)
			clients = append(clients, hc)
			return runtime.NewCache(awssm.New(c, app, env, nil), nil)
		},
		closeIdle: func() {
			m.http.CloseIdleConnections()
			for _, c := range clients {
				c.CloseIdleConnections()
			}
		},
	}
}

// put stores text as the new current version of the secret id
// (PutSecretValue moves AWSCURRENT to it).
func (m *motoServer) put(t *testing.T, id, text string) {
	t.Helper()
	_, err := m.client.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(text)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		_, err = m.client.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String(id), SecretString: aws.String(text)})
	}
	if err != nil {
		t.Fatalf("aws: PutSecretValue %s: %v", id, err)
	}
}

// stage stores text as a new version of the secret id labelled AWSPENDING
// (a rotation function's createSecret) and returns finishSecret: it moves
// AWSCURRENT to that version.
func (m *motoServer) stage(t *testing.T, id, text string) (finish func(t *testing.T)) {
	t.Helper()
	ctx := context.Background()
	out, err := m.client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(text), VersionStages: []string{"AWSPENDING"}})
	if err != nil {
		t.Fatalf("aws: PutSecretValue %s AWSPENDING: %v", id, err)
	}
	return func(t *testing.T) {
		t.Helper()
		d, err := m.client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("aws: DescribeSecret %s: %v", id, err)
		}
		var current string
		for v, stages := range d.VersionIdsToStages {
			if slices.Contains(stages, "AWSCURRENT") {
				current = v
			}
		}
		if _, err := m.client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
			SecretId: aws.String(id), VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: out.VersionId, RemoveFromVersionId: aws.String(current),
		}); err != nil {
			t.Fatalf("aws: UpdateSecretVersionStage %s: %v", id, err)
		}
	}
}

// seedValues are valid values of every required secret of gen, with dbURL
// as the database URL; the optional ones are left to their defaults.
func seedValues(dbURL string) map[string]string {
	return map[string]string{
		gen.PathDatabaseURL:       dbURL,
		gen.PathSchwabAPIKey:      "rotation-key-0",
		gen.PathSchwabAPISecret:   "rotation-secret-0",
		gen.PathSchwabRedirectURI: "https://127.0.0.1:8182/oauth/schwab/callback",
		gen.PathAppSecretKey:      base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))),
	}
}

// randomPassword returns a new password with characters that need
// escaping in a URL and quoting in SQL.
func randomPassword(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "pw'@/" + hex.EncodeToString(b)
}

// withPassword returns dbURL with its password replaced.
func withPassword(t *testing.T, dbURL, password string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal("the database URL does not parse")
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

// eventually bounds the wait for something that must happen: long enough
// that only a hang, never a busy machine, reaches it.
const eventually = time.Minute

// waitFor polls cond every 20ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
