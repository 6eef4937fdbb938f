package runtime

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// benchTelemetry are the telemetry set-ups the benchmarks compare: none
// (the default), a MeterProvider of the SDK (a ManualReader, as cheap as
// any reader while nothing collects), and that plus a Logger that
// discards (events built and handled).
func benchTelemetry(b *testing.B) []struct {
	name string
	tel  Telemetry
} {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return []struct {
		name string
		tel  Telemetry
	}{
		{"none", Telemetry{}},
		{"meter", Telemetry{MeterProvider: mp}},
		{"meter+logger", Telemetry{MeterProvider: mp, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}},
	}
}

// BenchmarkTelemetryReads: Live.Settings and the cache hit with and
// without telemetry, side by side. Neither read path records anything, so
// the numbers must match.
//
// Run: go test -run '^$' -bench 'TelemetryReads|TelemetryPoll' -benchmem ./runtime
func BenchmarkTelemetryReads(b *testing.B) {
	ctx := context.Background()
	ref := Ref{Path: "db/user", Type: "string"}
	for _, tc := range benchTelemetry(b) {
		m := NewMemory("mem")
		m.Set("db/user", "u")
		m.Set("db/pass", "p")
		m.Set("http/port", "8080")
		c := NewCache(m, &CacheOptions{Telemetry: tc.tel})
		var loads atomic.Int64
		l, err := NewLive(ctx, c, loadDB(&loads), &LiveOptions{PollInterval: time.Hour, CloseProvider: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("Live.Settings/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if l.Settings().Port != 8080 {
					b.Fatal("wrong settings")
				}
			}
		})
		b.Run("CacheHit/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Get(ctx, ref); err != nil {
					b.Fatal(err)
				}
			}
		})
		_ = l.Close()
	}
}

// BenchmarkTelemetryPoll: one poll of a Live reading n secrets, none of
// which changed (the steady state: the poll confirms every value), with
// and without telemetry, side by side; and the cost of a collection of the
// Live's gauges (what a Prometheus scrape pays per Live).
func BenchmarkTelemetryPoll(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{3, 50} {
		refs := make([]Ref, n)
		m := NewMemory("mem")
		for i := range refs {
			refs[i] = Ref{Path: fmt.Sprintf("app/secret-%02d", i), Type: "string"}
			m.Set(refs[i].Path, "v")
		}
		load := func(ctx context.Context, p Provider) (*[]string, error) {
			res := p.(BatchProvider).GetMany(ctx, refs)
			out := make([]string, len(res))
			for i, r := range res {
				if r.Err != nil {
					return nil, r.Err
				}
				out[i] = r.Value.Text
			}
			return &out, nil
		}
		for _, tc := range benchTelemetry(b) {
			l, err := NewLive(ctx, NewCache(m, nil), load, &LiveOptions{PollInterval: time.Hour, CloseProvider: true, Telemetry: tc.tel})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("poll/secrets-%d/%s", n, tc.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := l.poll(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
			_ = l.Close()
		}
		r := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
		l, err := NewLive(ctx, NewCache(m, nil), load, &LiveOptions{PollInterval: time.Hour, CloseProvider: true, Telemetry: Telemetry{MeterProvider: mp}})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("collect/secrets-%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var rm metricdata.ResourceMetrics
			for b.Loop() {
				if err := r.Collect(ctx, &rm); err != nil {
					b.Fatal(err)
				}
			}
		})
		_ = l.Close()
		_ = mp.Shutdown(ctx)
	}
}
