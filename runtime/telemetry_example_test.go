package runtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/dashtam/secretsgen/runtime"
)

// A Live given a Telemetry logs one value-free event per rotation it
// applies or rejects, outage, and lease change; with a MeterProvider too,
// it records the metrics (see Telemetry). Here the events go to a text
// handler (without the time, for the example's output).
func ExampleTelemetry() {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	m := runtime.NewMemory("mem")
	m.Set("db/pass", "s3cret-v1")
	ref := runtime.Ref{Path: "db/pass", Type: "string"}
	live, err := runtime.NewLive(ctx, runtime.NewCache(m, &runtime.CacheOptions{
		Telemetry: runtime.Telemetry{Logger: logger}, // and MeterProvider: an OpenTelemetry SDK's
	}), func(ctx context.Context, p runtime.Provider) (*string, error) {
		v, err := p.Get(ctx, ref)
		return &v.Text, err
	}, &runtime.LiveOptions{CloseProvider: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer live.Close()

	m.Set("db/pass", "s3cret-v2")
	_ = live.RefreshNow(ctx, "db/pass")
	// Output:
	// level=INFO msg="secretsgen: rotated value applied" event=rotation.applied backend=mem path=db/pass
}
