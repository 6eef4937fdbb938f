package alerts_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/internal/generator/alerts"
	"github.com/dashtam/secretsgen/internal/generator/manifest"
	"github.com/dashtam/secretsgen/runtime"
)

// signalled is the generated Fake with a change signal (a
// runtime.Notifier): a Live polls at once when it fires, so the test says
// when the Live polls while its PollInterval stays a real minute.
type signalled struct {
	*gen.Fake
	ch chan struct{}
}

func (s *signalled) Changed() <-chan struct{} { return s.ch }

func (s *signalled) signal() {
	select {
	case s.ch <- struct{}{}:
	default: // one is pending: the Live polls after it anyway
	}
}

// fakeClock is the Live's and the Cache's clock (LiveOptions.Now,
// CacheOptions.Now), which stamps every fetch and measures staleness.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// exporter returns a MeterProvider whose metrics the OpenTelemetry
// Prometheus exporter serves on a real 127.0.0.1 listener, and the URL.
func exporter(t *testing.T) (*sdkmetric.MeterProvider, string) {
	t.Helper()
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: time.Minute}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mp, "http://" + ln.Addr().String() + "/metrics"
}

// TestRulesFireOnALive evaluates the rules `secretsgen alerts` writes for
// this repository's secrets.yaml on what the real code records: the
// generated package's Watch (gen.Load over the generated Fake) keeps a
// runtime.Live whose LiveOptions.Telemetry is an OpenTelemetry SDK
// MeterProvider read by the Prometheus exporter on 127.0.0.1. The Live
// polls every minute of a fake clock; every 15 s of it the test scrapes
// the exporter over HTTP, parses the scrape with Prometheus's text parser
// and evaluates the rules' expressions with the PromQL engine.
//
// An outage of schwab/api_key begins at 60 s: SecretsgenSecretStale fires
// for it once its staleness passes two poll intervals (135 s > 120 s, at
// 195 s) and not at 120 s, and stops when the backend answers again. A
// garbage value of http/port rotated in at 135 s fires
// SecretsgenRotationRejected at once, and makes http/port stale too (from
// its last confirmation at 120 s: fires at 255 s). An applied rotation
// fires nothing.
func TestRulesFireOnALive(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "..")
	m, err := manifest.Load(filepath.Join(root, "secrets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := alerts.Rules(m, "production", nil)
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]rulefmt.Rule{}
	for _, r := range parseRules(t, out).Groups[0].Rules {
		rules[r.Alert] = r
	}

	ctx := t.Context()
	mp, url := exporter(t)
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clk := &fakeClock{}
	clk.Set(start)
	src := &signalled{Fake: gen.NewFake(gen.SampleSettings()), ch: make(chan struct{}, 1)}
	cache := runtime.NewCache(src, &runtime.CacheOptions{TTL: time.Minute, Now: clk.Now})
	live, err := gen.Watch(ctx, cache, &runtime.LiveOptions{
		PollInterval: time.Minute, Now: clk.Now, CloseProvider: true,
		Telemetry: runtime.Telemetry{MeterProvider: mp},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = live.Close() })

	secret := func(st runtime.Status, path string) runtime.SecretStatus {
		for _, s := range st.Secrets {
			if s.Path == path {
				return s
			}
		}
		t.Fatalf("the Live reads no %s", path)
		return runtime.SecretStatus{}
	}
	// pollUntil signals a change and waits, for a minute at most, until
	// the Live's Status satisfies done. Polls are serialized, so once a
	// poll's outcome shows, no poll that fetched before it is still to
	// land; a poll of the Live's own ticker meanwhile fetches the same
	// state at the same fake time, and changes nothing.
	pollUntil := func(what string, done func(runtime.Status) bool) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
			src.signal()
			if done(live.Status()) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("within a minute, the Live did not poll so that %s: %+v", what, live.Status())
			}
		}
	}
	polledNow := func(st runtime.Status) bool { return st.LastPoll.Equal(clk.Now()) }

	db := &tsdb{series: map[string]*stored{}}
	at := func(i int) time.Time { return start.Add(time.Duration(i) * 15 * time.Second) }
	p := parser.NewParser(parser.Options{})
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1_000_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute, Parser: p, Logger: slog.New(slog.DiscardHandler)})
	eval := func(alert string, i int) (firing []string) {
		t.Helper()
		q, err := engine.NewInstantQuery(ctx, db, nil, rules[alert].Expr, at(i))
		if err != nil {
			t.Fatalf("%s: %v", alert, err)
		}
		defer q.Close()
		vec, err := q.Exec(ctx).Vector()
		if err != nil {
			t.Fatalf("%s at %s: %v", alert, at(i).Sub(start), err)
		}
		for _, s := range vec {
			firing = append(firing, s.Metric.Get("path"))
			checkAnnotations(t, rules[alert], s, at(i))
		}
		slices.Sort(firing)
		return firing
	}
	want := map[string]map[int][]string{
		"SecretsgenSecretStale": {
			0: nil, 4: nil, 12: nil, // 120 s is not more than two intervals
			13: {gen.PathSchwabAPIKey}, // 135 s
			16: {gen.PathSchwabAPIKey},
			17: {gen.PathHTTPPort, gen.PathSchwabAPIKey}, // http/port: 135 s since 120 s
			18: {gen.PathHTTPPort},                       // schwab/api_key answers again
			24: {gen.PathHTTPPort},
		},
		"SecretsgenRotationRejected": {
			0: nil, 2: nil, 8: nil, // the applied rotation at 30 s never fires
			9:  {gen.PathHTTPPort}, // born with its series
			24: {gen.PathHTTPPort}, // within 15m
		},
	}

	for i := 0; i <= 24; i++ {
		clk.Set(at(i))
		switch {
		case i == 2: // a rotation, applied
			v := src.Rotate(gen.PathSchwabAPISecret, "rotated-secret-canary")
			pollUntil("the rotation is applied", func(st runtime.Status) bool {
				return secret(st, gen.PathSchwabAPISecret).Version == v && polledNow(st)
			})
		case i == 4: // the minute's poll, then the outage begins
			pollUntil("it polled", polledNow)
			src.SetError(gen.PathSchwabAPIKey, runtime.ErrUnavailable)
			pollUntil("schwab/api_key is unavailable", func(st runtime.Status) bool {
				return secret(st, gen.PathSchwabAPIKey).ErrKind == runtime.ErrUnavailable
			})
		case i == 9: // garbage rotated in
			src.Rotate(gen.PathHTTPPort, "garbage-canary")
			pollUntil("http/port's rotation is rejected", func(st runtime.Status) bool {
				return secret(st, gen.PathHTTPPort).ErrKind == runtime.ErrInvalidValue && polledNow(st)
			})
		case i == 18: // the outage ends
			src.SetError(gen.PathSchwabAPIKey, nil)
			pollUntil("schwab/api_key is current", func(st runtime.Status) bool {
				return secret(st, gen.PathSchwabAPIKey).Err == nil && polledNow(st)
			})
		case i%4 == 0 && i > 0: // the Live's poll every minute
			pollUntil("it polled", polledNow)
		}
		db.scrape(t, url, "dashtam", at(i))
		for alert, byStep := range want {
			if w, ok := byStep[i]; ok {
				if got := eval(alert, i); !slices.Equal(got, w) {
					t.Errorf("%s at %s fires for %v, want %v", alert, at(i).Sub(start), got, w)
				}
			}
		}
	}

	// What the rule compared: the exporter's names, with the Live's
	// backend (the Fake) and interval.
	st := db.series
	var interval, staleness bool
	for _, s := range st {
		switch s.lset.Get("__name__") {
		case "secretsgen_poll_interval_seconds":
			interval = s.lset.Get("backend") == "fake" && s.samples[len(s.samples)-1].F() == 60
		case "secretsgen_secret_staleness_seconds":
			staleness = staleness || s.lset.Get("path") == gen.PathSchwabAPIKey
		}
	}
	if !interval || !staleness {
		t.Errorf("the scrapes lack the Live's poll interval (60 s, backend fake: %v) or staleness of schwab/api_key (%v)", interval, staleness)
	}
	// No value reaches the exposition.
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "canary") {
		t.Errorf("the exposition holds a value:\n%s", body)
	}
}
