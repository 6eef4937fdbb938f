package alerts_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/template"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/dashtam/secretsgen/internal/generator/alerts"
)

// service records the instruments of the metric contract
// (docs/operations.md, "Metrics") with the OpenTelemetry SDK, as a Live and
// the adapters do, and serves them through the OpenTelemetry Prometheus
// exporter on a real listener.
type service struct {
	url string

	rotations, panics, throttled metric.Int64Counter
	requests                     metric.Float64Histogram

	mu        sync.Mutex
	staleness map[[2]string]float64 // {path, backend} -> seconds
	interval  map[string]float64    // backend -> seconds
	remaining map[string]float64    // path -> seconds
	duration  map[string]float64    // path -> seconds
}

func startService(t *testing.T) *service {
	t.Helper()
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	m := mp.Meter("github.com/dashtam/secretsgen")
	s := &service{staleness: map[[2]string]float64{}, interval: map[string]float64{}, remaining: map[string]float64{}, duration: map[string]float64{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	s.rotations, err = m.Int64Counter("secretsgen.rotations", metric.WithUnit("{rotation}"))
	must(err)
	s.panics, err = m.Int64Counter("secretsgen.callback.panics", metric.WithUnit("{panic}"))
	must(err)
	s.throttled, err = m.Int64Counter("secretsgen.backend.throttled", metric.WithUnit("{request}"))
	must(err)
	s.requests, err = m.Float64Histogram("secretsgen.backend.request.duration", metric.WithUnit("s"))
	must(err)
	staleness, err := m.Float64ObservableGauge("secretsgen.secret.staleness", metric.WithUnit("s"))
	must(err)
	interval, err := m.Float64ObservableGauge("secretsgen.poll.interval", metric.WithUnit("s"))
	must(err)
	remaining, err := m.Float64ObservableGauge("secretsgen.lease.remaining", metric.WithUnit("s"))
	must(err)
	duration, err := m.Float64ObservableGauge("secretsgen.lease.duration", metric.WithUnit("s"))
	must(err)
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		for k, v := range s.staleness {
			o.ObserveFloat64(staleness, v, metric.WithAttributes(attribute.String("path", k[0]), attribute.String("backend", k[1])))
		}
		for b, v := range s.interval {
			o.ObserveFloat64(interval, v, metric.WithAttributes(attribute.String("backend", b)))
		}
		for p, v := range s.remaining {
			o.ObserveFloat64(remaining, v, metric.WithAttributes(attribute.String("path", p)))
		}
		for p, v := range s.duration {
			o.ObserveFloat64(duration, v, metric.WithAttributes(attribute.String("path", p)))
		}
		return nil
	}, staleness, interval, remaining, duration)
	must(err)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: time.Minute}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.url = "http://" + ln.Addr().String() + "/metrics"
	return s
}

func (s *service) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// tsdb is what Prometheus stores of the scrapes: float samples by series.
// It is the storage.Queryable the PromQL engine reads.
type tsdb struct {
	series map[string]*stored
}

type stored struct {
	lset    labels.Labels
	samples []chunks.Sample
}

// scrape fetches the exposition over HTTP, parses it with Prometheus's
// text parser and stores every float sample at time at, with the job and
// instance labels a Prometheus scrape adds.
func (db *tsdb) scrape(t *testing.T, url, job string, at time.Time) (names []string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p, err := textparse.New(body, resp.Header.Get("Content-Type"), labels.NewSymbolTable(), textparse.ParserOptions{})
	if err != nil {
		t.Fatalf("textparse.New(%q): %v", resp.Header.Get("Content-Type"), err)
	}
	instance := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/metrics")
	for {
		e, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parsing the scrape: %v\n%s", err, body)
		}
		if e != textparse.EntrySeries {
			continue
		}
		var lset labels.Labels
		p.Labels(&lset)
		_, _, v := p.Series()
		b := labels.NewBuilder(lset)
		b.Set("job", job)
		b.Set("instance", instance)
		lset = b.Labels()
		names = append(names, lset.Get(model.MetricNameLabel))
		k := lset.String()
		st := db.series[k]
		if st == nil {
			st = &stored{lset: lset}
			db.series[k] = st
		}
		st.samples = append(st.samples, fSample{t: at.UnixMilli(), f: v})
	}
	return names
}

func (db *tsdb) Querier(_, _ int64) (storage.Querier, error) { return db, nil }

func (db *tsdb) Select(_ context.Context, _ bool, _ *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	var out []storage.Series
	for _, st := range db.series {
		if matchAll(st.lset, ms) {
			out = append(out, storage.NewListSeries(st.lset, st.samples))
		}
	}
	sort.Slice(out, func(i, j int) bool { return labels.Compare(out[i].Labels(), out[j].Labels()) < 0 })
	return &seriesSet{series: out, i: -1}
}

func matchAll(lset labels.Labels, ms []*labels.Matcher) bool {
	for _, m := range ms {
		if !m.Matches(lset.Get(m.Name)) {
			return false
		}
	}
	return true
}

func (db *tsdb) LabelValues(context.Context, string, *storage.LabelHints, ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return nil, nil, nil
}

func (db *tsdb) LabelNames(context.Context, *storage.LabelHints, ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return nil, nil, nil
}

func (db *tsdb) Close() error { return nil }

type seriesSet struct {
	series []storage.Series
	i      int
}

func (s *seriesSet) Next() bool                        { s.i++; return s.i < len(s.series) }
func (s *seriesSet) At() storage.Series                { return s.series[s.i] }
func (s *seriesSet) Err() error                        { return nil }
func (s *seriesSet) Warnings() annotations.Annotations { return nil }

type fSample struct {
	t int64
	f float64
}

func (s fSample) T() int64                      { return s.t }
func (s fSample) ST() int64                     { return 0 }
func (s fSample) F() float64                    { return s.f }
func (s fSample) H() *histogram.Histogram       { return nil }
func (s fSample) FH() *histogram.FloatHistogram { return nil }
func (s fSample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s fSample) Copy() chunks.Sample           { return s }

// TestRulesFireOnScrapedMetrics runs twenty minutes of a service's life,
// one scrape a minute: the instruments recorded with the OpenTelemetry SDK,
// served by its Prometheus exporter on 127.0.0.1, scraped and parsed with
// Prometheus's text parser. At chosen minutes the generated rules'
// expressions, as rulefmt parsed them from `secretsgen alerts` output, are
// evaluated with Prometheus's PromQL engine; each must fire for exactly the
// series the scenario makes bad.
func TestRulesFireOnScrapedMetrics(t *testing.T) {
	t.Parallel()
	m := parseManifest(t, "env, aws, ssm, vault")
	out, err := alerts.Rules(m, "production", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := parser.NewParser(parser.Options{})
	groups := parseRules(t, out)
	rules := map[string]rulefmt.Rule{}
	for _, r := range groups.Groups[0].Rules {
		rules[r.Alert] = r
	}

	svc := startService(t)
	ctx := t.Context()
	svc.set(func() {
		svc.interval["aws"] = 60
		svc.staleness[[2]string{"database/password", "aws"}] = 5
		svc.staleness[[2]string{"api/key", "aws"}] = 5
		svc.staleness[[2]string{"app/key", "aws"}] = 5
		svc.remaining["database/creds"] = 3000
		svc.duration["database/creds"] = 3600
	})
	batch := metric.WithAttributes(attribute.String("backend", "aws"), attribute.String("operation", "BatchGetSecretValue"))
	getParams := metric.WithAttributes(attribute.String("backend", "ssm"), attribute.String("operation", "GetParameters"))
	// minute runs what happens during minute i, before its scrape.
	minute := func(i int) {
		// Steady traffic: aws 100 requests a minute, ssm 100.
		ok := func(backend, op string) metric.MeasurementOption {
			return metric.WithAttributes(attribute.String("backend", backend), attribute.String("operation", op), attribute.String("outcome", "ok"))
		}
		thr := func(backend, op string) metric.MeasurementOption {
			return metric.WithAttributes(attribute.String("backend", backend), attribute.String("operation", op), attribute.String("outcome", "throttled"))
		}
		awsThrottled, ssmThrottled := 0, 0
		if i >= 3 {
			awsThrottled, ssmThrottled = 10, 1 // 10% of aws's requests, 1% of ssm's
		}
		for n := range 100 {
			if n < awsThrottled {
				svc.requests.Record(ctx, 0.05, thr("aws", "BatchGetSecretValue"))
				svc.throttled.Add(ctx, 1, batch)
			} else {
				svc.requests.Record(ctx, 0.05, ok("aws", "BatchGetSecretValue"))
			}
			if n < ssmThrottled {
				svc.requests.Record(ctx, 0.05, thr("ssm", "GetParameters"))
				svc.throttled.Add(ctx, 1, getParams)
			} else {
				svc.requests.Record(ctx, 0.05, ok("ssm", "GetParameters"))
			}
		}
		svc.set(func() {
			// database/password is confirmed every poll; api/key stops
			// being confirmed at minute 2 (an outage of its backend);
			// app/key's rotation is rejected at minute 1, and it is stale
			// from then on.
			svc.staleness[[2]string{"database/password", "aws"}] = 5
			if i >= 2 {
				svc.staleness[[2]string{"api/key", "aws"}] = float64(60*(i-2) + 5)
			}
			if i >= 1 {
				svc.staleness[[2]string{"app/key", "aws"}] = float64(60*(i-1) + 5)
			}
			// The lease is not renewed after minute 0: 3000s left of 3600.
			svc.remaining["database/creds"] = float64(3000 - 60*i)
		})
		switch i {
		case 1:
			svc.rotations.Add(ctx, 1, metric.WithAttributes(attribute.String("path", "app/key"), attribute.String("outcome", "rejected")))
			svc.rotations.Add(ctx, 1, metric.WithAttributes(attribute.String("path", "database/password"), attribute.String("outcome", "applied")))
		case 2:
			svc.panics.Add(ctx, 1)
		case 17:
			svc.rotations.Add(ctx, 1, metric.WithAttributes(attribute.String("path", "app/key"), attribute.String("outcome", "rejected")))
		}
	}

	db := &tsdb{series: map[string]*stored{}}
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return start.Add(time.Duration(i) * time.Minute) }
	var exposed []string
	for i := 0; i <= 20; i++ {
		minute(i)
		exposed = append(exposed, db.scrape(t, svc.url, "payments", at(i))...)
	}

	// The names the rules read are the exporter's.
	for _, name := range []string{
		"secretsgen_secret_staleness_seconds", "secretsgen_poll_interval_seconds", "secretsgen_rotations_total",
		"secretsgen_callback_panics_total", "secretsgen_lease_remaining_seconds", "secretsgen_lease_duration_seconds",
		"secretsgen_backend_throttled_total", "secretsgen_backend_request_duration_seconds_count",
	} {
		if !slices.Contains(exposed, name) {
			slices.Sort(exposed)
			t.Errorf("the exporter exposes no %s; it exposes %v", name, slices.Compact(exposed))
		}
	}

	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1_000_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute, Parser: p, Logger: slog.New(slog.DiscardHandler)})
	eval := func(alert string, i int) (firing []string) {
		t.Helper()
		r, ok := rules[alert]
		if !ok {
			t.Fatalf("no rule %s", alert)
		}
		q, err := engine.NewInstantQuery(ctx, db, nil, r.Expr, at(i))
		if err != nil {
			t.Fatalf("%s: %v", alert, err)
		}
		defer q.Close()
		res := q.Exec(ctx)
		if res.Err != nil {
			t.Fatalf("%s at minute %d: %v", alert, i, res.Err)
		}
		vec, err := res.Vector()
		if err != nil {
			t.Fatalf("%s: %v", alert, err)
		}
		for _, s := range vec {
			id := s.Metric.Get("path")
			if id == "" {
				id = s.Metric.Get("backend") + "/" + s.Metric.Get("operation")
			}
			if id == "/" {
				id = s.Metric.Get("job")
			}
			firing = append(firing, id)
			checkAnnotations(t, r, s, at(i))
		}
		slices.Sort(firing)
		return firing
	}
	tests := []struct {
		alert  string
		minute int
		want   []string
	}{
		// Staleness > 2 * 60s: api/key from minute 2 is 5s, at minute 4
		// 125s; app/key from minute 1 is 5s, at minute 3 125s.
		{"SecretsgenSecretStale", 0, nil},
		{"SecretsgenSecretStale", 2, nil},
		{"SecretsgenSecretStale", 3, []string{"app/key"}}, // 125s > 120s; api/key 65s
		{"SecretsgenSecretStale", 4, []string{"api/key", "app/key"}},
		{"SecretsgenSecretStale", 20, []string{"api/key", "app/key"}},
		// A rejection born with its series at minute 1 fires at once and
		// for the window; the applied rotation never does; a second
		// rejection fires again.
		{"SecretsgenRotationRejected", 0, nil},
		{"SecretsgenRotationRejected", 1, []string{"app/key"}},
		{"SecretsgenRotationRejected", 10, []string{"app/key"}},
		{"SecretsgenRotationRejected", 16, nil},
		{"SecretsgenRotationRejected", 17, []string{"app/key"}},
		{"SecretsgenCallbackPanics", 1, nil},
		{"SecretsgenCallbackPanics", 2, []string{"payments"}},
		{"SecretsgenCallbackPanics", 18, nil},
		// 3600/3 = 1200s: 3000-60i < 1200 from minute 31 on: not in
		// twenty minutes; the scenario below shortens it.
		{"SecretsgenLeaseExpiring", 20, nil},
		// 10% of aws's BatchGetSecretValue throttled from minute 3; 1% of
		// ssm's is under the 5% threshold.
		{"SecretsgenBackendThrottled", 2, nil},
		{"SecretsgenBackendThrottled", 10, []string{"aws/BatchGetSecretValue"}},
	}
	for _, tt := range tests {
		if got := eval(tt.alert, tt.minute); !slices.Equal(got, tt.want) {
			t.Errorf("%s at minute %d fires for %v, want %v", tt.alert, tt.minute, got, tt.want)
		}
	}

	// The lease falls under a third of its duration.
	svc.set(func() { svc.remaining["database/creds"] = 1100 })
	db.scrape(t, svc.url, "payments", at(21))
	if got := eval("SecretsgenLeaseExpiring", 21); !slices.Equal(got, []string{"database/creds"}) {
		t.Errorf("SecretsgenLeaseExpiring at 1100s of 3600s fires for %v, want [database/creds]", got)
	}
	// Another service's series (job) are not this service's alerts.
	svc.set(func() { svc.staleness[[2]string{"other/secret", "aws"}] = 10_000 })
	db.scrape(t, svc.url, "other-service", at(22))
	if got := eval("SecretsgenSecretStale", 22); slices.Contains(got, "other/secret") {
		t.Errorf("SecretsgenSecretStale fires for another job's series: %v", got)
	}
}

var labelRef = regexp.MustCompile(`\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)`)

// checkAnnotations expands the rule's annotations for one firing sample as
// Prometheus does and checks that they render and name the sample's path.
func checkAnnotations(t *testing.T, r rulefmt.Rule, s promql.Sample, at time.Time) {
	t.Helper()
	lm := s.Metric.Map()
	for k, v := range r.Labels {
		lm[k] = v
	}
	data := template.AlertTemplateData(lm, nil, "", s)
	defs := "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$value := .Value}}"
	for name, text := range r.Annotations {
		exp := template.NewTemplateExpander(context.Background(), defs+text, "__alert_"+r.Alert, data, model.TimeFromUnixNano(at.UnixNano()), nil, nil, nil)
		got, err := exp.Expand()
		if err != nil {
			t.Errorf("%s %s: %v", r.Alert, name, err)
			continue
		}
		for _, m := range labelRef.FindAllStringSubmatch(text, -1) {
			if _, ok := lm[m[1]]; !ok {
				t.Errorf("%s %s reads label %s, which the alert lacks (it has %v)", r.Alert, name, m[1], lm)
			}
		}
		if path := lm["path"]; path != "" && name == "summary" && !strings.Contains(got, path) {
			t.Errorf("%s summary %q does not name %s", r.Alert, got, path)
		}
	}
}
