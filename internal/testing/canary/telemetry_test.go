package canary_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/dashtam/secretsgen/internal/testing/canary/kitchen"
	"github.com/dashtam/secretsgen/runtime"
)

// tee is a slog.Handler that writes each record through a JSON and a text
// handler into buffers of its own.
type tee struct {
	mu        sync.Mutex
	json, txt bytes.Buffer
	hs        []slog.Handler
}

func newTee() *tee {
	t := &tee{}
	t.hs = []slog.Handler{slog.NewJSONHandler(&t.json, nil), slog.NewTextHandler(&t.txt, nil)}
	return t
}

func (t *tee) Enabled(context.Context, slog.Level) bool { return true }
func (t *tee) WithAttrs([]slog.Attr) slog.Handler       { return t }
func (t *tee) WithGroup(string) slog.Handler            { return t }
func (t *tee) Handle(ctx context.Context, r slog.Record) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, h := range t.hs {
		if err := h.Handle(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func (t *tee) outputs() map[string]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return map[string]string{"JSON handler": t.json.String(), "text handler": t.txt.String()}
}

// TestTelemetry runs the canary settings through a Live with Telemetry: a
// rotation to another canary value, garbage holding the canary, a denied
// and an unavailable secret, the outage's end, a panicking callback. No
// event (JSON and text handlers) and no metric (every data point with its
// attributes) may hold the canary in any form.
func TestTelemetry(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rd := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	defer mp.Shutdown(context.Background())
	log := newTee()
	f := kitchen.NewFake(canarySettings())
	live, err := kitchen.Watch(ctx, runtime.NewCache(f, nil), &runtime.LiveOptions{PollInterval: time.Hour, CoolDown: -1, CloseProvider: true,
		Telemetry: runtime.Telemetry{MeterProvider: mp, Logger: slog.New(log)}})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	live.OnChange(func(_, new *kitchen.Settings, _ []string) { panic("callback: " + new.Scalar.String.Reveal()) })

	f.SetScalarString(token + "-rotated <&>")
	if err := live.RefreshNow(ctx); err != nil {
		t.Fatal(err)
	}
	f.Rotate(kitchen.PathScalarInt, token+"-not-a-number")
	f.Rotate(kitchen.PathObjectJSON, `{"text":"`+token+`-garbage","count":"`+token+`"`)
	f.SetError(kitchen.PathScalarBytes, runtime.ErrAccessDenied)
	f.SetError(kitchen.PathListString, fmt.Errorf("backend down %s: %w", token, runtime.ErrUnavailable))
	if err := live.RefreshNow(ctx); err == nil {
		t.Fatal("RefreshNow with garbage, a denied and an unavailable secret succeeded")
	}
	f.SetError(kitchen.PathListString, nil)
	f.SetError(kitchen.PathScalarBytes, nil)
	_ = live.RefreshNow(ctx)
	if !waitUntil(func() bool { return live.Status().CallbackPanics >= 1 }) {
		t.Fatal("the callback did not run")
	}

	for name, out := range log.outputs() {
		for _, ev := range []string{runtime.EventRotationApplied, runtime.EventRotationRejected, runtime.EventOutageBegun, runtime.EventOutageEnded} {
			if !bytes.Contains([]byte(out), []byte(ev)) {
				t.Errorf("%s: no %s event: the test proves less than it says\n%s", name, ev, out)
			}
		}
		if form, at := findCanary(out); at >= 0 {
			t.Errorf("%s: an event holds the canary (%s) at %d:\n%s", name, form, at, out)
		}
	}
	var rm metricdata.ResourceMetrics
	if err := rd.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	var attrs bytes.Buffer // every attribute of every data point, emitted
	emit := func(set attribute.Set) {
		for _, kv := range set.ToSlice() {
			fmt.Fprintf(&attrs, "%s=%s\n", kv.Key, kv.Value.String())
		}
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					emit(p.Attributes)
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					emit(p.Attributes)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					emit(p.Attributes)
				}
			default:
				t.Errorf("%s: data %T not checked", m.Name, m.Data)
			}
		}
	}
	if !bytes.Contains(attrs.Bytes(), []byte("path="+kitchen.PathScalarInt)) {
		t.Errorf("no metric names %s: the test proves less than it says\n%s", kitchen.PathScalarInt, attrs.String())
	}
	if form, at := findCanary(attrs.String()); at >= 0 {
		t.Errorf("a metric attribute holds the canary (%s) at %d", form, at)
	}
	for _, verb := range verbs {
		if form, at := findCanary(fmt.Sprintf(verb, rm)); at >= 0 {
			t.Errorf("the metrics printed with %s hold the canary (%s)", verb, form)
		}
	}
}
