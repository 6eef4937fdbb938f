package runtime

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkLiveSettings measures Live.Settings, sequentially and from 1 to
// 16 goroutines at once (b.RunParallel), against reading the same settings
// through a sync.RWMutex (the usual hand-written alternative).
//
// Run: go test -run '^$' -bench 'LiveSettings|CacheHit' -benchmem -benchtime 200ms ./runtime
func BenchmarkLiveSettings(b *testing.B) {
	m := NewMemory("mem")
	m.Set("db/user", "u")
	m.Set("db/pass", "p")
	m.Set("http/port", "8080")
	var loads atomic.Int64
	l, err := NewLive(context.Background(), NewCache(m, nil), loadDB(&loads), &LiveOptions{PollInterval: time.Hour, CloseProvider: true})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	var mu sync.RWMutex
	locked := l.Settings()
	b.Run("Live.Settings", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if l.Settings().Port != 8080 {
				b.Fatal("wrong settings")
			}
		}
	})
	b.Run("RWMutex", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			mu.RLock()
			s := locked
			mu.RUnlock()
			if s.Port != 8080 {
				b.Fatal("wrong settings")
			}
		}
	})
	for _, g := range []int{1, 2, 4, 8, 16} {
		par := (g + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
		b.Run("Live.Settings/parallel-"+strconv.Itoa(g), func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(par)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if l.Settings().Port != 8080 {
						b.Error("wrong settings")
						return
					}
				}
			})
		})
		b.Run("RWMutex/parallel-"+strconv.Itoa(g), func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(par)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					mu.RLock()
					s := locked
					mu.RUnlock()
					if s.Port != 8080 {
						b.Error("wrong settings")
						return
					}
				}
			})
		})
	}
}

// oldCache is the hit path of the Cache before refresh-ahead (secretsgen at
// commit 4951945): a sync.RWMutex around a map keyed by the Ref's fields,
// and a clock read to check the expiry. It is kept here only as the
// benchmark's baseline.
type oldCache struct {
	mu      sync.RWMutex
	entries map[cacheKey]struct {
		val     Value
		expires time.Time
	}
	now func() time.Time
}

func (c *oldCache) Get(ctx context.Context, ref Ref) (Value, error) {
	if err := ctx.Err(); err != nil {
		return Value{}, err
	}
	c.mu.RLock()
	e, ok := c.entries[keyOf(ref)]
	c.mu.RUnlock()
	if ok && c.now().Before(e.expires) {
		return e.val, nil
	}
	return Value{}, ErrNotFound
}

// BenchmarkCacheHit compares a Cache hit with the previous implementation's
// hit path, sequentially and in parallel.
func BenchmarkCacheHit(b *testing.B) {
	ctx := context.Background()
	ref := Ref{Path: "database/url", Env: "DATABASE_URL", Type: "url"}
	m := NewMemory("mem")
	m.Set(ref.Path, "postgres://db/app")
	c := NewCache(m, nil)
	defer c.Close()
	if _, err := c.Get(ctx, ref); err != nil {
		b.Fatal(err)
	}
	old := &oldCache{now: time.Now, entries: map[cacheKey]struct {
		val     Value
		expires time.Time
	}{keyOf(ref): {val: Value{Text: "postgres://db/app"}, expires: time.Now().Add(time.Hour)}}}
	for _, tc := range []struct {
		name string
		get  func(context.Context, Ref) (Value, error)
	}{{"Cache", c.Get}, {"previous-Cache", old.Get}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if v, err := tc.get(ctx, ref); err != nil || v.Text == "" {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if v, err := tc.get(ctx, ref); err != nil || v.Text == "" {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
