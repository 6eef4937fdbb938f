package runtime

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// contractNames are the Prometheus names of the metric contract (the
// alerts and dashboards are written against them), each with labels one
// of its samples must carry.
var contractNames = map[string]string{
	"secretsgen_backend_request_duration_seconds_bucket": `backend="aws",operation="GetSecretValue",outcome="throttled"`,
	"secretsgen_backend_request_duration_seconds_sum":    `outcome="ok"`,
	"secretsgen_backend_request_duration_seconds_count":  `outcome="ok"`,
	"secretsgen_backend_throttled_total":                 `backend="aws",operation="GetSecretValue"`,
	"secretsgen_secret_staleness_seconds":                `backend="vault",path="db/cred"`,
	"secretsgen_poll_interval_seconds":                   `backend="vault"`,
	"secretsgen_poll_duration_seconds_bucket":            `backend="vault",outcome="ok"`,
	"secretsgen_poll_duration_seconds_sum":               `backend="vault"`,
	"secretsgen_poll_duration_seconds_count":             `backend="vault"`,
	"secretsgen_rotations_total":                         `outcome="applied",path="db/cred"`,
	"secretsgen_lease_remaining_seconds":                 `path="db/cred"`,
	"secretsgen_lease_duration_seconds":                  `path="db/cred"`,
	"secretsgen_callback_panics_total":                   ``,
}

// TestPrometheusExposition serves the metrics through the OpenTelemetry
// Prometheus exporter on a real listener and scrapes the text exposition:
// every name of the contract is there, with its labels, and no value.
func TestPrometheusExposition(t *testing.T) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	defer mp.Shutdown(context.Background())
	tel := Telemetry{MeterProvider: mp, Logger: slog.New(&events{})}

	// A Live over a leased credential: a rotation, a callback that panics,
	// a poll.
	clk := newClock()
	p := &leased{}
	p.set(`{"username":"v-app-1","password":"prom-pass-canary-1"}`, NewLease(LeaseStatus{Expires: clk.Now().Add(time.Hour)}))
	ref := Ref{Path: "db/cred", Type: "credential", Database: "database/creds/app"}
	l, err := NewLive(t.Context(), NewCache(p, &CacheOptions{Now: clk.Now, Telemetry: tel}), func(ctx context.Context, pr Provider) (*string, error) {
		v, err := pr.Get(ctx, ref)
		return &v.Text, err
	}, &LiveOptions{PollInterval: time.Minute, Now: clk.Now, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.OnChange(func(_, _ *string, _ []string) { panic("boom") })
	p.set(`{"username":"v-app-2","password":"prom-pass-canary-2"}`, NewLease(LeaseStatus{Expires: clk.Now().Add(time.Hour)}))
	if err := l.poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); l.Status().CallbackPanics == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the callback did not run within a minute")
		}
	}
	// An adapter's requests.
	b := tel.Backend("aws")
	b.Request(t.Context(), "GetSecretValue", OutcomeThrottled, 20*time.Millisecond)
	b.Request(t.Context(), "GetSecretValue", OutcomeOK, 30*time.Millisecond)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}
	go srv.Serve(ln)
	defer srv.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	if strings.Contains(text, "canary") || strings.Contains(text, "v-app") {
		t.Fatalf("the exposition holds a value:\n%s", text)
	}
	exposed := map[string][]string{} // name -> its sample lines
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		if strings.HasPrefix(name, "secretsgen_") {
			exposed[name] = append(exposed[name], strings.TrimSpace(line))
		}
	}
	var names []string
	for name := range exposed {
		names = append(names, name)
	}
	slices.Sort(names)
	t.Logf("exposed names:\n%s", strings.Join(names, "\n"))
	for name, label := range contractNames {
		lines := exposed[name]
		if len(lines) == 0 {
			t.Errorf("%s is not exposed", name)
			continue
		}
		if !slices.ContainsFunc(lines, func(l string) bool { return allLabels(l, label) }) {
			t.Errorf("%s has no sample with %s:\n%s", name, label, strings.Join(lines, "\n"))
		}
	}
	for _, name := range names {
		if _, ok := contractNames[name]; !ok {
			t.Errorf("%s is exposed but not in the contract", name)
		}
	}
	// The exporter adds the scope's labels to every sample (alerts that
	// aggregate must drop or keep them consistently).
	for _, l := range exposed["secretsgen_rotations_total"] {
		if !strings.Contains(l, fmt.Sprintf("otel_scope_name=%q", MeterName)) {
			t.Errorf("no otel_scope_name label: %s", l)
		}
		t.Logf("sample: %s", l)
	}
}

// allLabels reports whether the sample line has every label of want
// (comma-separated k="v").
func allLabels(line, want string) bool {
	if want == "" {
		return true
	}
	for _, kv := range strings.Split(want, ",") {
		if !strings.Contains(line, kv) {
			return false
		}
	}
	return true
}
