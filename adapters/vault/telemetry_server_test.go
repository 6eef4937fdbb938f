package vault_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

type eventLog struct {
	mu    sync.Mutex
	kinds []string
	text  strings.Builder
}

func (e *eventLog) Enabled(context.Context, slog.Level) bool { return true }
func (e *eventLog) WithAttrs([]slog.Attr) slog.Handler       { return e }
func (e *eventLog) WithGroup(string) slog.Handler            { return e }
func (e *eventLog) Handle(_ context.Context, r slog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.text.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "event" {
			e.kinds = append(e.kinds, a.Value.String())
		}
		fmt.Fprintf(&e.text, " %s=%v", a.Key, a.Value)
		return true
	})
	return nil
}

// requestCounts returns secretsgen.backend.request.duration's counts and
// secretsgen.backend.throttled's values by "operation/outcome".
func requestCounts(t *testing.T, rd *sdkmetric.ManualReader) (requests, throttled map[string]int64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := rd.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	requests, throttled = map[string]int64{}, map[string]int64{}
	get := func(s attribute.Set, k string) string { v, _ := s.Value(attribute.Key(k)); return v.String() }
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					if get(p.Attributes, "backend") != "vault" {
						t.Errorf("backend attribute %q", get(p.Attributes, "backend"))
					}
					requests[get(p.Attributes, "operation")+"/"+get(p.Attributes, "outcome")] = int64(p.Count)
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					throttled[get(p.Attributes, "operation")] = p.Value
				}
			}
		}
	}
	return requests, throttled
}

// TestTelemetryRealVault: FromEnv with a context that carries Telemetry
// records every request to a real Vault: reads by outcome, the 429s of a
// rate-limit quota as throttled (once begun, once ended), and the failed
// connections of a stopped server as unavailable.
func TestTelemetryRealVault(t *testing.T) {
	s := startServer(t)
	ctx := ctxFor(t)
	s.put(t, "production", "db/pass", map[string]any{"value": "vault-value-canary"})
	t.Setenv("VAULT_ADDR", s.Addr())
	t.Setenv("VAULT_TOKEN", s.RootToken())
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("VAULT_MAX_RETRIES", "0")

	rd := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	defer mp.Shutdown(context.Background())
	ev := &eventLog{}
	p, err := vault.FromEnv(runtime.WithTelemetry(ctx, runtime.Telemetry{MeterProvider: mp, Logger: slog.New(ev)}), app, "production")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ref := runtime.Ref{Path: "db/pass", Type: "string"}
	if _, err := p.Get(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Get(ctx, runtime.Ref{Path: "db/missing", Type: "string"}); err == nil {
		t.Fatal("a missing secret was found")
	}
	req, _ := requestCounts(t, rd)
	if req["vault.read/ok"] < 1 || req["vault.read/not_found"] != 1 {
		t.Fatalf("requests %v: want vault.read/ok and one vault.read/not_found", req)
	}

	// A rate-limit quota of one request a second on the KV mount: reads in
	// a row get 429s, which the provider waits out.
	s.write(t, "sys/quotas/rate-limit/telemetry", map[string]any{"path": "secret/", "rate": 1, "interval": "1s"})
	for range 4 {
		if _, err := p.Get(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	req, thr := requestCounts(t, rd)
	if req["vault.read/throttled"] < 1 || thr["vault.read"] != req["vault.read/throttled"] {
		t.Fatalf("requests %v, throttled %v: want throttled reads counted in both", req, thr)
	}
	s.write(t, "sys/quotas/rate-limit/telemetry", map[string]any{"path": "secret/", "rate": 100000})

	// The server goes away.
	s.Stop()
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := p.Get(rctx, ref); err == nil {
		t.Fatal("a read from a stopped server succeeded")
	}
	req, _ = requestCounts(t, rd)
	if req["vault.read/unavailable"] < 1 {
		t.Fatalf("requests %v: want vault.read/unavailable", req)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	// Reads waiting out a quota are one run of throttling (its end is
	// logged by an answer ten seconds after the last 429: runtime's test).
	if want := []string{runtime.EventThrottlingBegun}; !slices.Equal(ev.kinds, want) {
		t.Fatalf("events %q, want %q", ev.kinds, want)
	}
	if strings.Contains(ev.text.String(), "canary") || strings.Contains(ev.text.String(), "db/pass") {
		t.Fatalf("an event names a secret:\n%s", ev.text.String())
	}
}
