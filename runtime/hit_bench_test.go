package runtime

import (
	"context"
	"testing"
	"time"
)

// BenchmarkHitDesigns compares the cache hit as built (a timer marks a
// value's refresh due, so a hit reads no clock) with the simpler design
// that reads the clock on every hit (what a Cache with CacheOptions.Now
// does), and Live.Settings beside them: the hit's budget is 50 ns and no
// allocation, Settings' 5 ns (docs/benchmarks.md).
func BenchmarkHitDesigns(b *testing.B) {
	ctx := context.Background()
	ref := Ref{Path: "database/url", Env: "DATABASE_URL", Type: "url"}
	m := NewMemory("mem")
	m.Set(ref.Path, "postgres://db/app")
	for _, tc := range []struct {
		name string
		opts *CacheOptions
	}{
		{"CacheHit/timers", nil},
		{"CacheHit/clock-per-read", &CacheOptions{Now: time.Now}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := NewCache(m, tc.opts)
			defer c.Close()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Get(ctx, ref); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("Live.Settings", func(b *testing.B) {
		l, err := NewLive(ctx, NewCache(m, nil), func(ctx context.Context, p Provider) (*string, error) {
			v, err := p.Get(ctx, ref)
			return &v.Text, err
		}, &LiveOptions{PollInterval: time.Hour, CloseProvider: true})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		b.ReportAllocs()
		for b.Loop() {
			if l.Settings() == nil {
				b.Fatal("nil settings")
			}
		}
	})
}
