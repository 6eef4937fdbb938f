package alerts_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/health"
)

// The function between the markers is docs/operations.md's snippet,
// "Passing telemetry" (TestOperationsSnippet checks the page shows it as
// it is here, where it compiles and runs).

// snippet begin
func instrumented(ctx context.Context, logger *slog.Logger) (*gen.Live, http.Handler, error) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))

	// The adapters record their requests, and the Cache hands the
	// Telemetry to the Live, which records and logs through it.
	ctx = runtime.WithTelemetry(ctx, runtime.Telemetry{MeterProvider: mp, Logger: logger})
	live := gen.MustWatch(ctx)

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("GET /healthz/secrets", health.Handler(live))
	return live, mux, nil
}

// snippet end

// TestOperationsSnippet: docs/operations.md shows instrumented as it is
// here, and it works: over the env backend, the Live's metrics are on
// /metrics (its poll interval and every secret's staleness, labelled env),
// with no value, and the health endpoint answers 200.
func TestOperationsSnippet(t *testing.T) {
	src, err := os.ReadFile("ops_snippet_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, snippet, _ := strings.Cut(string(src), "// snippet begin\n")
	snippet, _, _ = strings.Cut(snippet, "\n// snippet end")
	page, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "```go\n"+snippet+"```\n") {
		t.Errorf("docs/operations.md does not show the snippet of ops_snippet_test.go as it is:\n%s", snippet)
	}

	t.Setenv("SECRETS_BACKEND", "env")
	envFile := filepath.Join(t.TempDir(), ".env") // empty: the variables below are the values
	if err := os.WriteFile(envFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SECRETS_ENV_FILE", envFile)
	t.Setenv("SECRETS_POLL_INTERVAL", "1h")
	for k, v := range map[string]string{
		"DATABASE_URL":        "postgres://app:pw-canary@db.internal/app",
		"SCHWAB_API_KEY":      "key-canary",
		"SCHWAB_API_SECRET":   "secret-canary",
		"SCHWAB_REDIRECT_URI": "https://example.com/callback",
		"APP_SECRET_KEY":      "Y2FuYXJ5LWNhbmFyeS1jYW5hcnktY2FuYXJ5LWNhbmFyeQ==",
	} {
		t.Setenv(k, v)
	}
	var logs strings.Builder
	live, h, err := instrumented(t.Context(), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	code, metrics := get("/metrics")
	for _, want := range []string{
		`secretsgen_poll_interval_seconds{backend="env",`,
		`secretsgen_secret_staleness_seconds{backend="env",`,
		`path="schwab/api_key"`,
	} {
		if code != http.StatusOK || !strings.Contains(metrics, want) {
			t.Errorf("/metrics (%d) has no %s:\n%s", code, want, metrics)
		}
	}
	if code, body := get("/healthz/secrets"); code != http.StatusOK || !strings.Contains(body, `"status": "ok"`) {
		t.Errorf("/healthz/secrets = %d\n%s", code, body)
	}
	if strings.Contains(metrics+logs.String(), "canary") {
		t.Errorf("a value reached the metrics or the log:\n%s\n%s", metrics, logs.String())
	}
}
