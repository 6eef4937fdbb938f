package awscore_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/adapters/internal/awscore"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/runtime"
)

// smServer answers Secrets Manager's JSON protocol: throttles requests
// while throttle > 0 (counting down), fails with a server fault while down
// is set, else returns the secret.
type smServer struct {
	throttle atomic.Int32
	down     atomic.Bool
	calls    atomic.Int32
}

const valueCanary = "s3cret-value-canary"

func (s *smServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	fail := func(status int, code string) {
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":%q,"message":"no"}`, code)
	}
	switch {
	case s.throttle.Add(-1) >= 0:
		fail(400, "ThrottlingException")
	case s.down.Load():
		fail(500, "InternalServiceError")
	case r.Header.Get("X-Amz-Target") == "secretsmanager.GetSecretValue":
		fmt.Fprintf(w, `{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:x","Name":"/dashtam/test/db/pass","SecretString":%q,"VersionId":"11111111-1111-1111-1111-111111111111","VersionStages":["AWSCURRENT"]}`, valueCanary)
	default:
		fail(400, "ValidationException")
	}
}

type recorder struct {
	mu   sync.Mutex
	recs []string
	text strings.Builder
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ev string
	r.text.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "event" {
			ev = a.Value.String()
		}
		fmt.Fprintf(&r.text, " %s=%v", a.Key, a.Value)
		return true
	})
	r.recs = append(r.recs, ev)
	return nil
}

// points returns the data points of name as "attrs=value" lines (a
// histogram's value is its count).
func points(t *testing.T, rd *sdkmetric.ManualReader, name string) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := rd.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	key := func(s attribute.Set) string {
		var kv []string
		for _, a := range s.ToSlice() {
			kv = append(kv, string(a.Key)+"="+a.Value.String())
		}
		return strings.Join(kv, ",")
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out[key(p.Attributes)] = int64(p.Count)
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[key(p.Attributes)] = p.Value
				}
			}
		}
	}
	return out
}

// TestRequestMetrics: a client FromEnv builds with a context that carries
// Telemetry records each request, the real SDK against a local server
// that throttles, answers, and then fails: throttled attempts are counted
// (secretsgen.backend.throttled) and logged once as a run, and an outage
// is recorded as unavailable requests.
func TestRequestMetrics(t *testing.T) {
	srv := &smServer{}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	awstest.SharedFilesEnv(t, "", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret-key-example")
	t.Setenv("AWS_ENDPOINT_URL", hs.URL)

	rd := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	defer mp.Shutdown(context.Background())
	rec := &recorder{}
	ctx := runtime.WithTelemetry(t.Context(), runtime.Telemetry{MeterProvider: mp, Logger: slog.New(rec)})
	p, err := awssm.FromEnv(ctx, awstest.App, awstest.Env)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ref := runtime.Ref{Path: "db/pass", Type: "string"}

	srv.throttle.Store(3)
	rctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if v, err := p.Get(rctx, ref); err != nil || v.Text != valueCanary {
		t.Fatalf("Get after throttling: %v", err)
	}
	if got, want := points(t, rd, "secretsgen.backend.throttled"), map[string]int64{"backend=aws,operation=GetSecretValue": 3}; !equal(got, want) {
		t.Fatalf("throttled = %v, want %v", got, want)
	}
	if got, want := points(t, rd, "secretsgen.backend.request.duration"), map[string]int64{
		"backend=aws,operation=GetSecretValue,outcome=throttled": 3,
		"backend=aws,operation=GetSecretValue,outcome=ok":        1,
	}; !equal(got, want) {
		t.Fatalf("requests = %v, want %v", got, want)
	}

	srv.down.Store(true)
	if _, err := p.Get(rctx, ref); err == nil {
		t.Fatal("Get from a failing server: no error")
	}
	hs.Close() // and now nothing answers at all
	if _, err := p.Get(rctx, ref); err == nil {
		t.Fatal("Get from a closed server: no error")
	}
	got := points(t, rd, "secretsgen.backend.request.duration")
	if n := got["backend=aws,operation=GetSecretValue,outcome=unavailable"]; n < 2 {
		t.Fatalf("requests = %v, want at least 2 unavailable", got)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// Throttles the adapter waits out are one run (its end is logged by an
	// answer ten seconds after the last throttle: runtime's test).
	if want := []string{runtime.EventThrottlingBegun}; !slices.Equal(rec.recs, want) {
		t.Fatalf("events %q, want %q", rec.recs, want)
	}
	if strings.Contains(rec.text.String(), valueCanary) || strings.Contains(rec.text.String(), "db/pass") {
		t.Fatalf("an event names a secret:\n%s", rec.text.String())
	}
}

// TestNoTelemetryNoMiddleware: without a recorder Instrument adds nothing
// to the client's stack; with one, one API option.
func TestNoTelemetryNoMiddleware(t *testing.T) {
	var cfg aws.Config
	svc := &awscore.Service{Backend: "aws", Codes: awscore.NewCodes(nil)}
	awscore.Instrument(&cfg, svc, runtime.Telemetry{}.Backend("aws"))
	if len(cfg.APIOptions) != 0 {
		t.Fatalf("no telemetry: %d API options added", len(cfg.APIOptions))
	}
	awscore.Instrument(&cfg, svc, runtime.Telemetry{Logger: slog.New(&recorder{})}.Backend("aws"))
	if len(cfg.APIOptions) != 1 {
		t.Fatalf("telemetry: %d API options added, want 1", len(cfg.APIOptions))
	}
}

func equal(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
