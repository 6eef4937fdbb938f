package runtime

import (
	"context"
	"errors"
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
)

// metrics reads what a ManualReader holds.
type metrics struct {
	t *testing.T
	r *sdkmetric.ManualReader
}

func newMetrics(t *testing.T) (*metrics, *sdkmetric.MeterProvider) {
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return &metrics{t: t, r: r}, mp
}

func (m *metrics) collect() metricdata.ResourceMetrics {
	m.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := m.r.Collect(context.Background(), &rm); err != nil {
		m.t.Fatal(err)
	}
	return rm
}

func find(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			if mt.Name == name {
				return mt, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// match reports whether set has every attribute of want ("k=v" strings).
func match(set attribute.Set, want []string) bool {
	for _, kv := range want {
		k, v, _ := strings.Cut(kv, "=")
		got, ok := set.Value(attribute.Key(k))
		if !ok || got.String() != v {
			return false
		}
	}
	return true
}

// value returns the value of metric name at the data point with the
// attributes want: a gauge's or counter's value, a histogram's count; ok
// is false when there is none.
func (m *metrics) value(name string, want ...string) (float64, bool) {
	m.t.Helper()
	mt, ok := find(m.collect(), name)
	if !ok {
		return 0, false
	}
	switch d := mt.Data.(type) {
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes, want) {
				return p.Value, true
			}
		}
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes, want) {
				return float64(p.Value), true
			}
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes, want) {
				return float64(p.Count), true
			}
		}
	default:
		m.t.Fatalf("%s: unexpected data %T", name, mt.Data)
	}
	return 0, false
}

func (m *metrics) want(name string, want float64, attrs ...string) {
	m.t.Helper()
	got, ok := m.value(name, attrs...)
	if !ok {
		m.t.Fatalf("%s%v: no data point", name, attrs)
	}
	if got != want {
		m.t.Fatalf("%s%v = %v, want %v", name, attrs, got, want)
	}
}

// events is a slog.Handler that records the events.
type events struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (e *events) Enabled(context.Context, slog.Level) bool { return true }
func (e *events) Handle(_ context.Context, r slog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.recs = append(e.recs, r.Clone())
	return nil
}
func (e *events) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e *events) WithGroup(string) slog.Handler      { return e }

// list returns the events as "kind backend path" lines.
func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, r := range e.recs {
		var kind, backend, path string
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "event":
				kind = a.Value.String()
			case "backend":
				backend = a.Value.String()
			case "path":
				path = a.Value.String()
			}
			return true
		})
		out = append(out, strings.TrimSpace(kind+" "+backend+" "+path))
	}
	return out
}

// text returns every event as printed by a text handler would show it.
func (e *events) text() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, r := range e.recs {
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
		b.WriteByte('\n')
	}
	return b.String()
}

func (e *events) take() []string {
	l := e.list()
	e.mu.Lock()
	e.recs = nil
	e.mu.Unlock()
	return l
}

// telemetryDB is newDB with a fake clock and telemetry.
func telemetryDB(t *testing.T) (*countingBatch, *Live[dbSettings], *clock, *metrics, *events) {
	t.Helper()
	m, mp := newMetrics(t)
	ev := &events{}
	clk := newClock()
	b, l, _ := newDB(t, &LiveOptions{PollInterval: time.Hour, Now: clk.Now,
		Telemetry: Telemetry{MeterProvider: mp, Logger: slog.New(ev)}})
	return b, l, clk, m, ev
}

func TestTelemetryRotation(t *testing.T) {
	b, l, clk, m, ev := telemetryDB(t)
	ctx := t.Context()
	m.want("secretsgen.poll.interval", 3600, "backend=mem")
	m.want("secretsgen.secret.staleness", 0, "path=db/pass", "backend=mem")

	// A rotation is applied: counted once, and every secret the poll saw
	// current is confirmed.
	clk.Add(10 * time.Second)
	b.Set("db/pass", "rotated-pass-canary")
	if err := l.poll(ctx); err != nil {
		t.Fatal(err)
	}
	m.want("secretsgen.rotations", 1, "path=db/pass", "outcome=applied")
	m.want("secretsgen.secret.staleness", 0, "path=db/pass")
	m.want("secretsgen.secret.staleness", 0, "path=db/user")
	m.want("secretsgen.poll.duration", 1, "backend=mem", "outcome=ok")
	if got, want := ev.take(), []string{"rotation.applied mem db/pass"}; !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}

	// Garbage rotated in: rejected once however often it is polled, and
	// the value in use goes stale while the others stay confirmed.
	b.Set("http/port", "garbage-canary")
	clk.Add(10 * time.Second)
	if err := l.poll(ctx); err == nil {
		t.Fatal("poll of a garbage value: no error")
	}
	clk.Add(30 * time.Second)
	_ = l.poll(ctx)
	m.want("secretsgen.rotations", 1, "path=http/port", "outcome=rejected")
	m.want("secretsgen.secret.staleness", 40, "path=http/port")
	m.want("secretsgen.secret.staleness", 0, "path=db/user")
	// The first poll's load failed; the second did not parse the known
	// garbage again.
	m.want("secretsgen.poll.duration", 1, "backend=mem", "outcome=invalid_value")
	m.want("secretsgen.poll.duration", 2, "backend=mem", "outcome=ok")
	if got, want := ev.take(), []string{"rotation.rejected mem http/port"}; !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}

	// The garbage is fixed: applied, confirmed.
	b.Set("http/port", "9090")
	clk.Add(time.Second)
	_ = l.poll(ctx)
	m.want("secretsgen.rotations", 1, "path=http/port", "outcome=applied")
	m.want("secretsgen.secret.staleness", 0, "path=http/port")
	if got, want := ev.take(), []string{"rotation.applied mem http/port"}; !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	if strings.Contains(ev.text(), "canary") {
		t.Fatalf("an event holds a value:\n%s", ev.text())
	}
}

func TestTelemetryOutage(t *testing.T) {
	b, l, clk, m, ev := telemetryDB(t)
	ctx := t.Context()
	b.SetError("db/user", ErrUnavailable)
	b.SetError("db/pass", ErrUnavailable)
	for range 3 {
		clk.Add(20 * time.Second)
		if err := l.poll(ctx); err == nil {
			t.Fatal("poll in an outage: no error")
		}
	}
	m.want("secretsgen.secret.staleness", 60, "path=db/user")
	m.want("secretsgen.secret.staleness", 0, "path=http/port")
	m.want("secretsgen.poll.duration", 3, "backend=mem", "outcome=unavailable")
	if got, want := ev.take(), []string{"outage.begun mem"}; !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	b.SetError("db/user", nil)
	b.SetError("db/pass", nil)
	clk.Add(time.Second)
	if err := l.poll(ctx); err != nil {
		t.Fatal(err)
	}
	m.want("secretsgen.secret.staleness", 0, "path=db/user")
	if got, want := ev.take(), []string{"outage.ended mem"}; !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
}

func TestTelemetryCallbackPanics(t *testing.T) {
	b, l, _, m, _ := telemetryDB(t)
	l.OnChange(func(_, _ *dbSettings, _ []string) { panic("boom") })
	b.Set("db/user", "u1")
	if err := l.RefreshNow(t.Context()); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); l.Status().CallbackPanics == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the callback did not run within a minute")
		}
	}
	m.want("secretsgen.callback.panics", 1)
}

// TestTelemetryClosed: a closed Live reports no gauges.
func TestTelemetryClosed(t *testing.T) {
	_, l, _, m, _ := telemetryDB(t)
	m.want("secretsgen.secret.staleness", 0, "path=db/user")
	_ = l.Close()
	if v, ok := m.value("secretsgen.secret.staleness", "path=db/user"); ok {
		t.Fatalf("staleness of a closed Live: %v", v)
	}
}

// TestTelemetryNone: without Telemetry a Live does no telemetry work; a
// Live without its own takes its Cache's.
func TestTelemetryNone(t *testing.T) {
	_, l, _ := newDB(t, nil)
	if l.tel != nil {
		t.Fatal("a Live without Telemetry has telemetry state")
	}
	_, mp := newMetrics(t)
	m := NewMemory("mem")
	m.Set("a", "1")
	c := NewCache(m, &CacheOptions{Telemetry: Telemetry{MeterProvider: mp}})
	l2, err := NewLive(t.Context(), c, func(ctx context.Context, p Provider) (*string, error) {
		v, err := p.Get(ctx, Ref{Path: "a"})
		return &v.Text, err
	}, &LiveOptions{CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if l2.tel == nil || l2.tel.in == nil {
		t.Fatal("a Live over a Cache with Telemetry does not record")
	}
}

// leased serves values with leases: each Set makes a new version and lease.
type leased struct {
	mu    sync.Mutex
	text  string
	ver   int
	lease *Lease
}

func (p *leased) Name() string { return "vault" }
func (p *leased) Get(_ context.Context, ref Ref) (Value, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Value{Text: p.text, Version: fmt.Sprint(p.ver), Lease: p.lease}, nil
}
func (p *leased) set(text string, l *Lease) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.text, p.lease = text, l
	p.ver++
}

func TestTelemetryLease(t *testing.T) {
	m, mp := newMetrics(t)
	ev := &events{}
	clk := newClock()
	p := &leased{}
	first := NewLease(LeaseStatus{Expires: clk.Now().Add(time.Hour), Renewable: true})
	p.set(`{"username":"v-app-1","password":"lease-pass-canary-1"}`, first)
	ref := Ref{Path: "db/cred", Type: "credential", Database: "database/creds/app"}
	l, err := NewLive(t.Context(), NewCache(p, &CacheOptions{Now: clk.Now}), func(ctx context.Context, pr Provider) (*string, error) {
		v, err := pr.Get(ctx, ref)
		return &v.Text, err
	}, &LiveOptions{PollInterval: time.Hour, Now: clk.Now, CloseProvider: true,
		Telemetry: Telemetry{MeterProvider: mp, Logger: slog.New(ev)}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := t.Context()
	m.want("secretsgen.lease.remaining", 3600, "path=db/cred")
	m.want("secretsgen.lease.duration", 3600, "path=db/cred")
	clk.Add(10 * time.Minute)
	m.want("secretsgen.lease.remaining", 3000, "path=db/cred")

	// The adapter renews: a one-hour lease from now.
	first.Update(func(st *LeaseStatus) { st.LastRenewal, st.Expires = clk.Now(), clk.Now().Add(time.Hour) })
	_ = l.poll(ctx)
	m.want("secretsgen.lease.remaining", 3600, "path=db/cred")
	m.want("secretsgen.lease.duration", 3600, "path=db/cred")
	if got, want := ev.take(), []string{"lease.renewed vault db/cred"}; !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}

	// The adapter replaces the credential with a 30-minute lease, then
	// revokes the old one once it is drained.
	second := NewLease(LeaseStatus{Expires: clk.Now().Add(30 * time.Minute)})
	p.set(`{"username":"v-app-2","password":"lease-pass-canary-2"}`, second)
	_ = l.poll(ctx)
	m.want("secretsgen.lease.duration", 1800, "path=db/cred")
	if got, want := ev.take(), []string{"rotation.applied vault db/cred", "lease.replaced vault db/cred"}; !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	first.Update(func(st *LeaseStatus) { st.Revoked = true })
	_ = l.poll(ctx)
	if got, want := ev.take(), []string{"lease.revoked vault db/cred"}; !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	_ = l.poll(ctx)
	if got := ev.take(); len(got) != 0 {
		t.Fatalf("a poll with no change logged %q", got)
	}
	second.Update(func(st *LeaseStatus) { st.Revoked = true })
	_ = l.poll(ctx)
	if got, want := ev.take(), []string{"lease.revoked vault db/cred"}; !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	clk.Add(time.Hour)
	m.want("secretsgen.lease.remaining", 0, "path=db/cred")
	if strings.Contains(ev.text(), "canary") || strings.Contains(ev.text(), "v-app") {
		t.Fatalf("an event holds a value:\n%s", ev.text())
	}
}

// TestBackendTelemetry: requests by operation and outcome, throttled ones
// counted, and one throttling.begun and one throttling.ended per run.
func TestBackendTelemetry(t *testing.T) {
	m, mp := newMetrics(t)
	ev := &events{}
	b := Telemetry{MeterProvider: mp, Logger: slog.New(ev)}.Backend("aws")
	clk := newClock()
	b.now = clk.Now
	ctx := t.Context()
	// A throttle, a retry that gets through a second later, another
	// throttle: one run. Ten seconds after the last throttle, an answer
	// that is not an outage ends it.
	for _, step := range []struct {
		o     Outcome
		after time.Duration
	}{
		{OutcomeOK, 0}, {OutcomeThrottled, 0}, {OutcomeThrottled, time.Second}, {OutcomeOK, time.Second},
		{OutcomeThrottled, time.Second}, {OutcomeNotFound, 5 * time.Second},
		{OutcomeUnavailable, 5 * time.Second}, {OutcomeOK, 0},
	} {
		clk.Add(step.after)
		b.Request(ctx, "GetSecretValue", step.o, time.Millisecond)
		if step.o == OutcomeNotFound && len(ev.list()) != 1 {
			t.Fatalf("events within the run: %q", ev.list())
		}
	}
	m.want("secretsgen.backend.request.duration", 3, "backend=aws", "operation=GetSecretValue", "outcome=ok")
	m.want("secretsgen.backend.request.duration", 3, "outcome=throttled")
	m.want("secretsgen.backend.throttled", 3, "backend=aws", "operation=GetSecretValue")
	if got, want := ev.take(), []string{"throttling.begun aws", "throttling.ended aws"}; !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	var none *BackendTelemetry = Telemetry{}.Backend("aws")
	if none != nil {
		t.Fatal("a zero Telemetry gives a recorder")
	}
	none.Request(ctx, "GetSecretValue", OutcomeOK, time.Millisecond) // records nothing, does not panic
}

func TestOutcomeOfErr(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Outcome
	}{
		{nil, OutcomeOK},
		{&SecretError{Kind: ErrNotFound}, OutcomeNotFound},
		{errors.Join(&SecretError{Kind: ErrAccessDenied}, &SecretError{Kind: ErrUnavailable}), OutcomeAccessDenied},
		{&LoadError{Errors: []*SecretError{{Kind: ErrInvalidValue}}}, OutcomeInvalidValue},
		{fmt.Errorf("x: %w", context.Canceled), OutcomeCanceled},
		{ErrUnavailable, OutcomeUnavailable},
	} {
		if got := outcomeOfErr(tc.err); got != tc.want {
			t.Errorf("outcomeOfErr(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

// TestTelemetryConcurrentCollect: collections (scrapes) run while the Live
// polls, rotates and closes; under -race.
func TestTelemetryConcurrentCollect(t *testing.T) {
	b, l, _, m, _ := telemetryDB(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			b.Set("db/pass", fmt.Sprint("p", i))
			_ = l.poll(t.Context())
		}
		_ = l.Close()
	}()
	for {
		m.collect()
		select {
		case <-done:
			return
		default:
		}
	}
}
