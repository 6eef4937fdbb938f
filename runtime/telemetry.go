package runtime

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// MeterName is the name of the OpenTelemetry meter secretsgen records its
// metrics with.
const MeterName = "github.com/dashtam/secretsgen"

// Telemetry is where secretsgen reports what it does: metrics through an
// OpenTelemetry MeterProvider (the API only; the caller picks the SDK and
// exporter) and value-free events through a *slog.Logger. The zero
// Telemetry records nothing and costs nothing: without a MeterProvider no
// instrument is created, without a Logger no event is built.
//
// Pass it in CacheOptions and LiveOptions (a Live with none uses its
// Cache's), and to the adapters' FromEnv through the context
// (WithTelemetry), which the generated NewProvider passes on:
//
//	ctx = runtime.WithTelemetry(ctx, runtime.Telemetry{MeterProvider: mp, Logger: logger})
//	p, err := gen.NewProvider(ctx) // the adapters and the Cache record
//	live, err := gen.Watch(ctx, p, nil) // the Live records through p's Telemetry
//
// The instruments: secretsgen.backend.request.duration
// and secretsgen.backend.throttled (adapters, by backend and operation),
// secretsgen.poll.duration, secretsgen.poll.interval,
// secretsgen.secret.staleness, secretsgen.rotations,
// secretsgen.lease.remaining, secretsgen.lease.duration and
// secretsgen.callback.panics (a Live). Attributes are the backend, the
// operation, the outcome and the manifest's logical path: never a value,
// never an error's text.
//
// The events are one log record each, with the attributes event (the
// kind: rotation.applied, rotation.rejected, outage.begun, outage.ended,
// throttling.begun, throttling.ended, lease.renewed, lease.replaced,
// lease.revoked), backend and, for a secret's event, path; never a value.
type Telemetry struct {
	MeterProvider metric.MeterProvider
	Logger        *slog.Logger
}

// IsZero reports whether t records nothing.
func (t Telemetry) IsZero() bool { return t.MeterProvider == nil && t.Logger == nil }

type telemetryKey struct{}

// WithTelemetry returns a copy of ctx that carries t. The adapters' FromEnv
// (and through them the generated NewProvider, which also gives t to its
// Cache) read it there when they build their clients.
func WithTelemetry(ctx context.Context, t Telemetry) context.Context {
	return context.WithValue(ctx, telemetryKey{}, t)
}

// TelemetryFrom returns the Telemetry ctx carries (WithTelemetry), or the
// zero Telemetry.
func TelemetryFrom(ctx context.Context) Telemetry {
	t, _ := ctx.Value(telemetryKey{}).(Telemetry)
	return t
}

// Outcome is the outcome attribute of a backend request or a poll.
type Outcome string

// The outcomes.
const (
	OutcomeOK           Outcome = "ok"
	OutcomeNotFound     Outcome = "not_found"
	OutcomeAccessDenied Outcome = "access_denied"
	OutcomeInvalidValue Outcome = "invalid_value"
	OutcomeUnavailable  Outcome = "unavailable"
	OutcomeThrottled    Outcome = "throttled"
	OutcomeCanceled     Outcome = "canceled"
)

// OutcomeOf returns the outcome of a failure of kind k (OutcomeOK for 0).
func OutcomeOf(k Kind) Outcome {
	switch k {
	case 0:
		return OutcomeOK
	case ErrNotFound:
		return OutcomeNotFound
	case ErrAccessDenied:
		return OutcomeAccessDenied
	case ErrInvalidValue:
		return OutcomeInvalidValue
	}
	return OutcomeUnavailable
}

// outcomeOfErr is the outcome of an operation that returned err.
func outcomeOfErr(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, context.Canceled):
		return OutcomeCanceled
	}
	var le *LoadError
	var se *SecretError
	switch {
	case errors.As(err, &se):
		return OutcomeOf(kindOf(se))
	case errors.As(err, &le):
		return OutcomeInvalidValue
	}
	return OutcomeOf(kindOf(err))
}

// The event kinds (the event attribute of a log record).
const (
	EventRotationApplied  = "rotation.applied"
	EventRotationRejected = "rotation.rejected"
	EventOutageBegun      = "outage.begun"
	EventOutageEnded      = "outage.ended"
	EventThrottlingBegun  = "throttling.begun"
	EventThrottlingEnded  = "throttling.ended"
	EventLeaseRenewed     = "lease.renewed"
	EventLeaseReplaced    = "lease.replaced"
	EventLeaseRevoked     = "lease.revoked"
)

// eventMessages are the log messages of the events.
var eventMessages = map[string]string{
	EventRotationApplied:  "secretsgen: rotated value applied",
	EventRotationRejected: "secretsgen: rotated value rejected; the previous value stays in use",
	EventOutageBegun:      "secretsgen: backend outage begun; last good values stay in use",
	EventOutageEnded:      "secretsgen: backend outage ended",
	EventThrottlingBegun:  "secretsgen: backend throttling begun",
	EventThrottlingEnded:  "secretsgen: backend throttling ended",
	EventLeaseRenewed:     "secretsgen: lease renewed",
	EventLeaseReplaced:    "secretsgen: leased credential replaced",
	EventLeaseRevoked:     "secretsgen: lease revoked",
}

// event logs one event of kind with backend and (when not empty) path.
// Problems are warnings, the rest information.
func event(log *slog.Logger, kind, backend, path string) {
	if log == nil {
		return
	}
	level := slog.LevelInfo
	switch kind {
	case EventRotationRejected, EventOutageBegun, EventThrottlingBegun, EventLeaseRevoked:
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.String("event", kind), slog.String("backend", backend)}
	if path != "" {
		attrs = append(attrs, slog.String("path", path))
	}
	log.LogAttrs(context.Background(), level, eventMessages[kind], attrs...)
}

// secondsBuckets are the histogram boundaries of durations, in seconds:
// from a local read (5ms) to a backend's minute-long timeout.
var secondsBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// instruments are the metrics a Live records. nil when there is no
// MeterProvider.
type instruments struct {
	meter          metric.Meter
	pollDuration   metric.Float64Histogram
	pollInterval   metric.Float64ObservableGauge
	staleness      metric.Float64ObservableGauge
	rotations      metric.Int64Counter
	leaseRemaining metric.Float64ObservableGauge
	leaseDuration  metric.Float64ObservableGauge
	panics         metric.Int64Counter
}

// newInstruments creates the Live's instruments, or returns nil without a
// MeterProvider. An instrument the SDK refuses is still usable (the API
// returns one that records nothing), so errors are not returned: telemetry
// never stops a service.
func newInstruments(mp metric.MeterProvider) *instruments {
	if mp == nil {
		return nil
	}
	m := mp.Meter(MeterName)
	in := &instruments{meter: m}
	in.pollDuration, _ = m.Float64Histogram("secretsgen.poll.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of a Live's poll of every secret, by backend and outcome."),
		metric.WithExplicitBucketBoundaries(secondsBuckets...))
	in.pollInterval, _ = m.Float64ObservableGauge("secretsgen.poll.interval", metric.WithUnit("s"),
		metric.WithDescription("How often a Live polls its backend."))
	in.staleness, _ = m.Float64ObservableGauge("secretsgen.secret.staleness", metric.WithUnit("s"),
		metric.WithDescription("Seconds since the value in use was last confirmed current by a successful fetch, per secret."))
	in.rotations, _ = m.Int64Counter("secretsgen.rotations", metric.WithUnit("{rotation}"),
		metric.WithDescription("Rotated values a Live applied or rejected, by path and outcome."))
	in.leaseRemaining, _ = m.Float64ObservableGauge("secretsgen.lease.remaining", metric.WithUnit("s"),
		metric.WithDescription("Seconds until the lease of the credential in use expires."))
	in.leaseDuration, _ = m.Float64ObservableGauge("secretsgen.lease.duration", metric.WithUnit("s"),
		metric.WithDescription("The last granted duration of the lease of the credential in use."))
	in.panics, _ = m.Int64Counter("secretsgen.callback.panics", metric.WithUnit("{panic}"),
		metric.WithDescription("OnChange callbacks that panicked."))
	return in
}

// throttleQuiet is how long after its last throttled request a backend's
// throttling counts as ended: the next request it answers otherwise after
// that logs throttling.ended. Shorter gaps (an adapter waiting out a
// throttle and retrying) are one run.
const throttleQuiet = 10 * time.Second

// BackendTelemetry records the requests of one backend's adapter: their
// duration by operation and outcome, the throttled ones, and the
// throttling.begun and throttling.ended events. A nil *BackendTelemetry
// records nothing. It is safe for concurrent use.
type BackendTelemetry struct {
	backend   string
	duration  metric.Float64Histogram // nil without a MeterProvider
	throttled metric.Int64Counter
	log       *slog.Logger
	now       func() time.Time

	mu           sync.Mutex // guards what follows; used only with a Logger
	throttling   bool
	lastThrottle time.Time
}

// Backend returns the recorder of backend's requests, nil when t records
// nothing.
func (t Telemetry) Backend(backend string) *BackendTelemetry {
	if t.IsZero() {
		return nil
	}
	b := &BackendTelemetry{backend: backend, log: t.Logger, now: time.Now}
	if t.MeterProvider != nil {
		m := t.MeterProvider.Meter(MeterName)
		b.duration, _ = m.Float64Histogram("secretsgen.backend.request.duration", metric.WithUnit("s"),
			metric.WithDescription("Duration of each request to a backend, by backend, operation and outcome."),
			metric.WithExplicitBucketBoundaries(secondsBuckets...))
		b.throttled, _ = m.Int64Counter("secretsgen.backend.throttled", metric.WithUnit("{request}"),
			metric.WithDescription("Requests a backend refused as throttled, by backend and operation."))
	}
	return b
}

// Request records one request of operation (a fixed name per backend:
// "GetSecretValue", "vault.read") that took d and ended with outcome. A
// throttled request also counts in secretsgen.backend.throttled. The
// first throttled request of a run logs throttling.begun; the first
// request the backend answers otherwise (not unavailable, not cancelled)
// at least 10 seconds after the run's last throttled one logs
// throttling.ended.
func (b *BackendTelemetry) Request(ctx context.Context, operation string, outcome Outcome, d time.Duration) {
	if b == nil {
		return
	}
	if b.duration != nil {
		b.duration.Record(ctx, d.Seconds(), metric.WithAttributes(
			attribute.String("backend", b.backend), attribute.String("operation", operation), attribute.String("outcome", string(outcome))))
		if outcome == OutcomeThrottled {
			b.throttled.Add(ctx, 1, metric.WithAttributes(attribute.String("backend", b.backend), attribute.String("operation", operation)))
		}
	}
	if b.log == nil || outcome == OutcomeUnavailable || outcome == OutcomeCanceled {
		return
	}
	now := b.now()
	b.mu.Lock()
	var kind string
	switch {
	case outcome == OutcomeThrottled:
		if !b.throttling {
			b.throttling, kind = true, EventThrottlingBegun
		}
		b.lastThrottle = now
	case b.throttling && now.Sub(b.lastThrottle) >= throttleQuiet:
		b.throttling, kind = false, EventThrottlingEnded
	}
	b.mu.Unlock()
	if kind != "" {
		event(b.log, kind, b.backend, "")
	}
}
