package awscore

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/aws/smithy-go/logging"

	"github.com/dashtam/secretsgen/internal/testing/awstest"
)

// TestSDKLogsNothing: the SDK's own log lines (here the instance metadata
// client's "WARN falling back to IMDSv1", written when the token request
// is refused) never reach stderr of a service or of secretsgen check: the
// configuration loadConfig builds carries a logger that discards, so only
// secretsgen's own value-free messages are printed. The metadata service
// is a stub: it is not a backend of secretsgen, and the refusal is what
// is under test.
func TestSDKLogsNothing(t *testing.T) {
	tests := []struct {
		name        string
		tokenStatus int // the answer to PUT /latest/api/token
	}{
		{"token forbidden", http.StatusForbidden},
		{"token not found", http.StatusNotFound},
		{"token method not allowed", http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tokenAsked atomic.Int32
			imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
					tokenAsked.Add(1)
					w.WriteHeader(tc.tokenStatus)
					return
				}
				http.NotFound(w, r) // no role attached
			}))
			defer imds.Close()
			awstest.SharedFilesEnv(t, "", "")
			for k, v := range map[string]string{
				"AWS_EC2_METADATA_DISABLED":              "",
				"AWS_EC2_METADATA_SERVICE_ENDPOINT":      imds.URL,
				"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
				"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "",
				"AWS_WEB_IDENTITY_TOKEN_FILE":            "",
				"AWS_ROLE_ARN":                           "",
			} {
				t.Setenv(k, v)
			}
			stderr := captureStderr(t)

			cfg, _, err := loadConfig(context.Background(), "ssm", "app", "dev", 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cfg.Credentials.Retrieve(context.Background()); err == nil {
				t.Fatal("credentials from a metadata service with no role")
			}
			if tokenAsked.Load() == 0 {
				t.Fatal("the SDK never asked the metadata service for a token: the test proves nothing")
			}
			if out := stderr(); out != "" {
				t.Errorf("the SDK wrote to stderr:\n%s", out)
			}
			if _, ok := cfg.Logger.(logging.Nop); !ok {
				t.Errorf("cfg.Logger is %T, want logging.Nop", cfg.Logger)
			}
		})
	}
}

// captureStderr points os.Stderr at a file until the test ends; the
// returned func reads what was written so far. The test must not be
// parallel.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	orig := os.Stderr
	os.Stderr = f
	t.Cleanup(func() {
		os.Stderr = orig
		f.Close()
	})
	return func() string {
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}
