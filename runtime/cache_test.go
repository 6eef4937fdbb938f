package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

// clock is a fake clock for Cache tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func mustGet(t *testing.T, p Provider, ref Ref) string {
	t.Helper()
	v, err := p.Get(t.Context(), ref)
	if err != nil {
		t.Fatalf("Get(%s): %v", ref.Path, err)
	}
	return v.Text
}

func TestCacheTTL(t *testing.T) {
	m, clk := NewMemory("mem"), newClock()
	c := NewCache(m, &CacheOptions{TTL: time.Minute, Now: clk.Now})
	ref := Ref{Path: "a/b"}
	m.Set("a/b", "v1")
	if got := mustGet(t, c, ref); got != "v1" {
		t.Fatalf("Get = %q", got)
	}
	m.Set("a/b", "v2")
	clk.Add(29 * time.Second) // before the earliest refresh-ahead point (TTL/2)
	if got := mustGet(t, c, ref); got != "v1" {
		t.Errorf("Get before the TTL = %q, want the cached v1", got)
	}
	if n := m.Calls("a/b"); n != 1 {
		t.Errorf("inner Get calls = %d, want 1", n)
	}
	clk.Add(31 * time.Second) // no read since: the next reader fetches
	if got := mustGet(t, c, ref); got != "v2" {
		t.Errorf("Get at the TTL = %q, want v2", got)
	}
	if n := m.Calls("a/b"); n != 2 {
		t.Errorf("inner Get calls = %d, want 2", n)
	}
}

func TestCacheDefaultTTL(t *testing.T) {
	m, clk := NewMemory("mem"), newClock()
	c := NewCache(m, &CacheOptions{Now: clk.Now})
	m.Set("a", "v1")
	mustGet(t, c, Ref{Path: "a"})
	m.Set("a", "v2")
	clk.Add(DefaultCacheTTL/2 - time.Nanosecond)
	if got := mustGet(t, c, Ref{Path: "a"}); got != "v1" || m.Calls("a") != 1 {
		t.Errorf("Get just before 2m30s = %q after %d calls, want v1 after 1", got, m.Calls("a"))
	}
	clk.Add(DefaultCacheTTL/2 + time.Nanosecond)
	if got := mustGet(t, c, Ref{Path: "a"}); got != "v2" {
		t.Errorf("Get at 5m = %q, want v2", got)
	}
}

func TestCacheKey(t *testing.T) {
	// Refs that differ in any fetch-relevant field are cached apart. The
	// Memory reads only Path, so each distinct ref costs one inner call.
	m := NewMemory("mem")
	m.Set("a", "v")
	c := NewCache(m, nil)
	refs := []Ref{
		{Path: "a"}, {Path: "a", Env: "A"}, {Path: "a", Source: "s"}, {Path: "a", Key: "k"},
		{Path: "a", Version: "AWSPREVIOUS"}, {Path: "a", Type: "bytes"},
		{Path: "a"}, // same key as the first
	}
	for _, r := range refs {
		mustGet(t, c, r)
		mustGet(t, c, r)
	}
	if n := m.Calls("a"); n != 6 {
		t.Errorf("inner Get calls = %d, want 6", n)
	}
}

func TestCacheSingleFlight(t *testing.T) {
	m := NewMemory("mem")
	m.Set("a", "v")
	gate := newGated(m)
	c := NewCache(gate, nil)
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			v, err := c.Get(context.Background(), Ref{Path: "a"})
			if err == nil && v.Text != "v" {
				err = fmt.Errorf("Get = %q", v.Text)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	gate.waitForCall()
	time.Sleep(20 * time.Millisecond) // let the other goroutines join the flight
	close(gate.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := m.Calls("a"); got != 1 {
		t.Errorf("inner Get calls = %d, want 1", got)
	}
}

func TestCacheStaleOnError(t *testing.T) {
	m, clk := NewMemory("mem"), newClock()
	c := NewCache(m, &CacheOptions{TTL: time.Hour, Now: clk.Now})
	ref := Ref{Path: "a"}
	m.Set("a", "good")
	mustGet(t, c, ref)

	clk.Add(time.Hour)
	m.SetError("a", ErrUnavailable)
	if got := mustGet(t, c, ref); got != "good" {
		t.Errorf("Get during an outage = %q, want the last good value", got)
	}
	if n := m.Calls("a"); n != 2 {
		t.Errorf("inner calls = %d, want 2", n)
	}
	mustGet(t, c, ref) // within the first backoff (< 1s): no inner call
	if n := m.Calls("a"); n != 2 {
		t.Errorf("inner calls within the retry delay = %d, want 2", n)
	}

	m.SetError("a", nil)
	m.Set("a", "new")
	clk.Add(firstBackoff)
	// The retry runs in the background; the reader gets the old value at once.
	if got := mustGet(t, c, ref); got != "good" {
		t.Errorf("Get when the retry is due = %q, want the last good value while it runs", got)
	}
	c.wg.Wait()
	if got := mustGet(t, c, ref); got != "new" {
		t.Errorf("Get after recovery = %q, want new", got)
	}

	// Not found is an answer: the value is dropped.
	clk.Add(time.Hour)
	m.Delete("a")
	if _, err := c.Get(t.Context(), ref); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a deleted secret = %v, want ErrNotFound", err)
	}

	// Access denied is an answer too: a revoked permission is not served on.
	m.Set("a", "again")
	clk.Add(time.Hour)
	mustGet(t, c, ref)
	clk.Add(time.Hour)
	m.SetError("a", ErrAccessDenied)
	if _, err := c.Get(t.Context(), ref); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("Get after access was revoked = %v, want ErrAccessDenied", err)
	}

	// Without a last good value, the error is returned.
	m.SetError("b", ErrAccessDenied)
	if _, err := c.Get(t.Context(), Ref{Path: "b"}); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("Get = %v, want ErrAccessDenied", err)
	}
}

// TestCacheRefreshAhead: a read after the jittered refresh point returns
// the current value at once and refreshes in the background.
func TestCacheRefreshAhead(t *testing.T) {
	m, clk := NewMemory("mem"), newClock()
	c := NewCache(m, &CacheOptions{TTL: time.Hour, Now: clk.Now})
	defer c.Close()
	ref := Ref{Path: "a"}
	m.Set("a", "v1")
	mustGet(t, c, ref)
	st := c.lookup(ref).st.Load()
	if d := st.next.Sub(st.fetched); d < 30*time.Minute || d >= time.Hour {
		t.Fatalf("next refresh %v after the fetch, want in [TTL/2, TTL)", d)
	}
	m.Set("a", "v2")
	clk.Add(st.next.Sub(clk.Now()) - time.Nanosecond)
	if got := mustGet(t, c, ref); got != "v1" || m.Calls("a") != 1 {
		t.Fatalf("Get before the refresh point = %q after %d calls", got, m.Calls("a"))
	}
	clk.Add(time.Nanosecond)
	if got := mustGet(t, c, ref); got != "v1" {
		t.Errorf("Get at the refresh point = %q, want v1 served while refreshing", got)
	}
	c.wg.Wait()
	if got := mustGet(t, c, ref); got != "v2" || m.Calls("a") != 2 {
		t.Errorf("Get after the background refresh = %q after %d calls, want v2 after 2", got, m.Calls("a"))
	}
}

func TestCacheBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 10: 8 * time.Second, 60: 8 * time.Second} {
		for range 20 {
			if d := backoff(n, 8*time.Second); d < want/2 || d >= want {
				t.Errorf("backoff(%d, 8s) = %v, want in [%v, %v)", n, d, want/2, want)
			}
		}
	}
	m, clk := NewMemory("mem"), newClock()
	c := NewCache(m, &CacheOptions{TTL: time.Minute, Now: clk.Now})
	defer c.Close()
	m.Set("a", "good")
	mustGet(t, c, Ref{Path: "a"})
	m.SetError("a", ErrUnavailable)
	clk.Add(time.Minute)
	var delays []time.Duration
	for range 8 {
		mustGet(t, c, Ref{Path: "a"}) // starts (or, the first time, is) the retry
		c.wg.Wait()
		st := c.lookup(Ref{Path: "a"}).st.Load()
		delays = append(delays, st.next.Sub(clk.Now()))
		clk.Add(st.next.Sub(clk.Now()))
	}
	for i, d := range delays {
		want := min(time.Second<<i, time.Minute)
		if d < want/2 || d >= want {
			t.Errorf("retry %d after %v, want in [%v, %v)", i+1, d, want/2, want)
		}
	}
}

func TestCacheMaxStale(t *testing.T) {
	m, clk := NewMemory("mem"), newClock()
	c := NewCache(m, &CacheOptions{TTL: time.Minute, MaxStale: 10 * time.Minute, Now: clk.Now})
	defer c.Close()
	m.Set("a", "good")
	mustGet(t, c, Ref{Path: "a"})
	m.SetError("a", ErrUnavailable)
	clk.Add(time.Minute)
	if got := mustGet(t, c, Ref{Path: "a"}); got != "good" {
		t.Fatalf("Get in an outage = %q", got)
	}
	clk.Add(9 * time.Minute)
	if got := mustGet(t, c, Ref{Path: "a"}); got != "good" {
		t.Fatalf("Get within MaxStale = %q", got)
	}
	c.wg.Wait()
	clk.Add(time.Minute)
	for _, r := range []Result{c.GetMany(t.Context(), []Ref{{Path: "a"}})[0]} {
		if !errors.Is(r.Err, ErrUnavailable) {
			t.Errorf("GetMany past MaxStale = %q, %v; want ErrUnavailable", r.Value.Text, r.Err)
		}
	}
	if _, err := c.Get(t.Context(), Ref{Path: "a"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Get past MaxStale = %v, want ErrUnavailable", err)
	}
	c.wg.Wait()
	m.SetError("a", nil)
	clk.Add(time.Hour)
	c.wg.Wait()
	mustGet(t, c, Ref{Path: "a"})
	c.wg.Wait()
	if got := mustGet(t, c, Ref{Path: "a"}); got != "good" {
		t.Errorf("Get after recovery = %q", got)
	}
}

func TestCacheRefresh(t *testing.T) {
	m := NewMemory("mem")
	inner := &refresher{Provider: m}
	c := NewCache(inner, nil)
	m.Set("a", "v1")
	mustGet(t, c, Ref{Path: "a"})
	m.Set("a", "v2")
	if got := mustGet(t, c, Ref{Path: "a"}); got != "v1" {
		t.Fatalf("Get before Refresh = %q, want v1", got)
	}
	if err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, c, Ref{Path: "a"}); got != "v2" {
		t.Errorf("Get after Refresh = %q, want v2", got)
	}
	if inner.n != 1 {
		t.Errorf("inner Refresh calls = %d, want 1", inner.n)
	}
	inner.err = errors.New("reload failed")
	if err := c.Refresh(t.Context()); !errors.Is(err, inner.err) {
		t.Errorf("Refresh = %v, want the inner error", err)
	}
}

type refresher struct {
	Provider
	n   int
	err error
}

func (r *refresher) Refresh(context.Context, ...string) error { r.n++; return r.err }

// A fetch that was in flight when Refresh ran is not stored.
func TestCacheRefreshDuringFetch(t *testing.T) {
	m := NewMemory("mem")
	m.Set("a", "old")
	gate := newGated(m)
	c := NewCache(gate, nil)
	done := make(chan string)
	go func() {
		v, _ := c.Get(context.Background(), Ref{Path: "a"})
		done <- v.Text
	}()
	gate.waitForCall()
	if err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	close(gate.release)
	<-done
	m.Set("a", "new")
	if got := mustGet(t, c, Ref{Path: "a"}); got != "new" {
		t.Errorf("Get = %q, want new: a fetch from before Refresh was cached", got)
	}
}

func TestCacheGetMany(t *testing.T) {
	b := &batch{Memory: NewMemory("mem")}
	b.Set("a", "1")
	b.Set("b", "2")
	clk := newClock()
	c := NewCache(b, &CacheOptions{TTL: time.Minute, Now: clk.Now})
	mustGet(t, c, Ref{Path: "a"})
	res := c.GetMany(t.Context(), []Ref{{Path: "b"}, {Path: "a"}, {Path: "missing"}})
	if res[0].Value.Text != "2" || res[1].Value.Text != "1" || !errors.Is(res[2].Err, ErrNotFound) {
		t.Errorf("GetMany = %+v", res)
	}
	if diff := cmp.Diff([][]string{{"b", "missing"}}, b.Batches()); diff != "" {
		t.Errorf("inner batches (-want +got):\n%s", diff)
	}
	res = c.GetMany(t.Context(), []Ref{{Path: "a"}, {Path: "b"}})
	if res[0].Value.Text != "1" || res[1].Value.Text != "2" || len(b.Batches()) != 1 {
		t.Errorf("all-cached GetMany = %+v, batches %v", res, b.Batches())
	}
	// Stale on error in a batch.
	clk.Add(time.Minute)
	b.SetError("a", ErrUnavailable)
	b.Set("b", "3")
	res = c.GetMany(t.Context(), []Ref{{Path: "a"}, {Path: "b"}})
	if res[0].Err != nil || res[0].Value.Text != "1" || res[1].Value.Text != "3" {
		t.Errorf("GetMany during an outage of a = %+v", res)
	}
	cctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, r := range c.GetMany(cctx, []Ref{{Path: "a"}}) {
		if !errors.Is(r.Err, ErrUnavailable) {
			t.Errorf("GetMany with a cancelled context: %v", r.Err)
		}
	}
}

func TestCacheGetManyWithoutBatch(t *testing.T) {
	m := NewMemory("mem")
	m.Set("a", "1")
	c := NewCache(m, nil)
	for range 3 {
		res := c.GetMany(t.Context(), []Ref{{Path: "a"}, {Path: "x"}})
		if res[0].Value.Text != "1" || !errors.Is(res[1].Err, ErrNotFound) {
			t.Fatalf("GetMany = %+v", res)
		}
	}
	if n := m.Calls("a"); n != 1 {
		t.Errorf("inner calls = %d, want 1", n)
	}
}

func TestCacheDelegates(t *testing.T) {
	c := NewCache(NewMemory("fake"), nil)
	if c.Name() != "fake" || c.Where(Ref{Path: "a"}) != "memory:a" {
		t.Errorf("Name, Where = %q, %q", c.Name(), c.Where(Ref{Path: "a"}))
	}
	if got := NewCache(&slow{}, nil).Where(Ref{Path: "a"}); got != "" {
		t.Errorf("Where without a Locator = %q", got)
	}
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	ref := Ref{Path: "database/url", Env: "DATABASE_URL", Type: "url"}
	m := NewMemory("mem")
	m.Set(ref.Path, "postgres://db/app")
	b.Run("Memory", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Get(ctx, ref); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CacheHit", func(b *testing.B) {
		c := NewCache(m, nil)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Get(ctx, ref); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CacheHitParallel", func(b *testing.B) {
		c := NewCache(m, nil)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Get(ctx, ref); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func TestCacheRefreshPaths(t *testing.T) {
	b := &batch{Memory: NewMemory("mem")}
	c := NewCache(b, nil)
	defer c.Close()
	b.Set("a", "a1")
	b.Set("b", "b1")
	mustGet(t, c, Ref{Path: "a"})
	mustGet(t, c, Ref{Path: "b"})
	b.Set("a", "a2")
	b.Set("b", "b2")
	if err := c.Refresh(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}
	if a, bb := mustGet(t, c, Ref{Path: "a"}), mustGet(t, c, Ref{Path: "b"}); a != "a2" || bb != "b1" {
		t.Errorf("after Refresh(a): a=%q b=%q, want a2 b1", a, bb)
	}
	b.Delete("b")
	err := c.Refresh(t.Context())
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Refresh of a deleted secret = %v, want ErrNotFound", err)
	}
	if _, err := c.Get(t.Context(), Ref{Path: "b"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a deleted secret after Refresh = %v", err)
	}
	if got := b.Batches(); len(got) != 2 {
		t.Errorf("inner batches = %v, want one per Refresh", got)
	}
}

func TestCachePrintsNoValue(t *testing.T) {
	m := NewMemory("mem")
	m.Set("a", "zq9canary-cache")
	c := NewCache(m, nil)
	defer c.Close()
	mustGet(t, c, Ref{Path: "a"})
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cache", "p", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cache", "p", c)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%T %p"} {
		fmt.Fprintf(&buf, verb+"\n", c, c)
	}
	if strings.Contains(buf.String(), "zq9canary") {
		t.Errorf("printing a Cache shows a value:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "runtime.Cache{backend: mem}") || !strings.Contains(buf.String(), `"backend":"mem"`) {
		t.Errorf("printing a Cache does not name its backend:\n%s", buf.String())
	}
}

// TestCacheChangedBroadcasts: every Changed caller gets every signal of
// the inner provider (two Lives, or a Live and a user, on one Cache do not
// split them), and Close closes their channels without leaving a goroutine.
func TestCacheChangedBroadcasts(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	if ch := NewCache(NewMemory("m"), nil).Changed(); ch != nil {
		t.Errorf("Changed without an inner Changed = %v, want nil", ch)
	}
	inner := changing{&countingBatch{Memory: NewMemory("m")}, make(chan struct{})}
	c := NewCache(inner, nil)
	subs := []<-chan struct{}{c.Changed(), c.Changed(), c.Changed()}
	for round := range 3 {
		select {
		case inner.ch <- struct{}{}:
		case <-time.After(time.Minute):
			t.Fatalf("round %d: nothing receives the inner signal", round)
		}
		for i, ch := range subs {
			select {
			case <-ch:
			case <-time.After(time.Minute):
				t.Fatalf("round %d: subscriber %d got no signal", round, i)
			}
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for i, ch := range append(subs, c.Changed()) {
		select {
		case _, ok := <-ch:
			if ok {
				t.Errorf("subscriber %d: a signal after Close, want the channel closed", i)
			}
		case <-time.After(time.Minute):
			t.Errorf("subscriber %d: channel not closed by Close", i)
		}
	}
}

// TestCacheChangedInnerClosed: when the inner provider closes its channel,
// every subscriber's channel is closed.
func TestCacheChangedInnerClosed(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	inner := changing{&countingBatch{Memory: NewMemory("m")}, make(chan struct{})}
	c := NewCache(inner, nil)
	a, b := c.Changed(), c.Changed()
	close(inner.ch)
	for _, ch := range []<-chan struct{}{a, b} {
		select {
		case _, ok := <-ch:
			if ok {
				t.Error("a signal, want the channel closed")
			}
		case <-time.After(time.Minute):
			t.Fatal("channel not closed when the inner one was")
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// hanging answers "v1" (Version "1", or what ver holds) until hang is set;
// then each Get blocks until its ctx is done (or release is closed). It
// records a Get that was still running when the provider was closed, and
// counts the hung Gets that ended at their context's deadline rather than
// by a cancellation.
type hanging struct {
	hang            atomic.Bool
	release         chan struct{}
	ver             atomic.Int64
	calls, inflight atomic.Int64
	timedOut        atomic.Int64
	closed          atomic.Bool
	usedAfterClose  atomic.Bool
}

func newHanging() *hanging { return &hanging{release: make(chan struct{})} }

func (p *hanging) Name() string { return "hang" }

func (p *hanging) Close() error { p.closed.Store(true); return nil }

func (p *hanging) Get(ctx context.Context, ref Ref) (Value, error) {
	p.calls.Add(1)
	p.inflight.Add(1)
	defer p.inflight.Add(-1)
	if p.hang.Load() {
		select {
		case <-ctx.Done():
			if p.closed.Load() {
				p.usedAfterClose.Store(true)
			}
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				p.timedOut.Add(1)
			}
			return Value{}, &SecretError{Path: ref.Path, Backend: "hang", Kind: ErrUnavailable, Err: ctx.Err()}
		case <-p.release:
		}
	}
	if p.closed.Load() {
		p.usedAfterClose.Store(true)
	}
	return Value{Text: "v1", Version: strconv.FormatInt(p.ver.Load()+1, 10)}, nil
}

// TestCacheCloseCancelsFetches: Close cancels the fetches in flight (a
// reader's shared fetch and a refresh-ahead) against a hung backend, waits
// for them, and only then closes the inner provider: both hung Gets end
// cancelled (not at the fetch's one-minute bound), nothing uses the
// provider after its Close, and no goroutine is left.
func TestCacheCloseCancelsFetches(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := newHanging()
	clk := newClock()
	c := NewCache(p, &CacheOptions{TTL: time.Minute, Now: clk.Now})
	a, b := Ref{Path: "a"}, Ref{Path: "b"}
	mustGet(t, c, a)
	mustGet(t, c, b)
	p.hang.Store(true)
	clk.Add(time.Minute - time.Nanosecond) // the refresh point is in [TTL/2, TTL): past it, within the TTL
	mustGet(t, c, a)                       // a refresh-ahead that hangs
	clk.Add(2 * time.Minute)
	// Past the TTL: a shared fetch that outlives this reader. The reader
	// gives up only once both fetches are in the inner provider.
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan error, 1)
	go func() {
		_, err := c.Get(ctx, b)
		got <- err
	}()
	waitFor(t, "two inner Gets in flight", func() bool { return p.inflight.Load() >= 2 })
	cancel()
	if err := <-got; !errors.Is(err, ErrUnavailable) {
		t.Errorf("Get of the reader that gave up = %v, want ErrUnavailable", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := p.timedOut.Load(); n != 0 {
		t.Errorf("%d hung inner Gets ended at their deadline, want every one cancelled by Close", n)
	}
	if n := p.inflight.Load(); n != 0 || !p.closed.Load() {
		t.Errorf("after Close: %d inner Gets in flight, inner closed %v; want 0, true", n, p.closed.Load())
	}
	if p.usedAfterClose.Load() {
		t.Error("an inner Get ran on after Close closed the inner provider")
	}
}

// TestCacheTimeoutIsAnOutage: a backend that times out (its error wraps
// context.DeadlineExceeded, as an HTTP client timeout does) is down, like
// one that refuses: the last good value is served and the backend is
// retried after a backoff, not on every read.
func TestCacheTimeoutIsAnOutage(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"refused", errors.New("connection refused")},
		{"timeout", fmt.Errorf("request: %w", context.DeadlineExceeded)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, clk := NewMemory("mem"), newClock()
			c := NewCache(m, &CacheOptions{TTL: time.Minute, Now: clk.Now})
			defer c.Close()
			m.Set("a", "good")
			mustGet(t, c, Ref{Path: "a"})
			m.SetError("a", &SecretError{Path: "a", Backend: "mem", Kind: ErrUnavailable, Err: tc.err})
			clk.Add(2 * time.Minute)
			for range 20 {
				if got := mustGet(t, c, Ref{Path: "a"}); got != "good" {
					t.Fatalf("Get in the outage = %q, want the last good value", got)
				}
			}
			if n := m.Calls("a"); n != 2 {
				t.Errorf("inner calls = %d for 20 reads within the backoff, want 2 (the first fetch and one failure)", n)
			}
		})
	}
}

// TestCacheServesStaleWhileFetchInFlight: past the TTL with a hung backend,
// the reader that starts the fetch waits (here until it gives up), but a
// reader that comes while that fetch runs gets the last good value at once.
func TestCacheServesStaleWhileFetchInFlight(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := newHanging()
	clk := newClock()
	c := NewCache(p, &CacheOptions{TTL: time.Minute, Now: clk.Now})
	defer c.Close()
	ref := Ref{Path: "a"}
	mustGet(t, c, ref)
	p.hang.Store(true)
	clk.Add(2 * time.Minute)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	first := make(chan error, 1)
	go func() {
		_, err := c.Get(ctx, ref)
		first <- err
	}()
	waitFor(t, "the first reader's fetch in the inner provider", func() bool { return p.inflight.Load() >= 1 })
	// The hung fetch ends only when its one-minute bound or Close cancels
	// it: a reader that waited for it would return after it ended.
	v, err := c.Get(t.Context(), ref)
	if err != nil || v.Text != "v1" {
		t.Errorf("Get while the fetch is in flight = %q, %v; want the last good value", v.Text, err)
	}
	if p.inflight.Load() == 0 {
		t.Error("the second reader waited for the fetch in flight, want the last good value at once")
	}
	cancel()
	if err := <-first; !errors.Is(err, ErrUnavailable) {
		t.Errorf("Get of the reader that starts the fetch = %v, want ErrUnavailable when it gives up", err)
	}
	if n := p.calls.Load(); n != 2 {
		t.Errorf("inner calls = %d, want 2", n)
	}
}

// waitFor waits until cond holds, failing the test when it does not within
// a minute: cond is an event that is bound to happen, however slowly.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}

// TestCacheReadsAfterClose: after Close a value within its TTL is served
// from the cache and one past it is fetched again (not served forever).
func TestCacheReadsAfterClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := newHanging()
	clk := newClock()
	c := NewCache(p, &CacheOptions{TTL: 100 * time.Millisecond, Now: clk.Now})
	ref := Ref{Path: "a"}
	if v, err := c.Get(t.Context(), ref); err != nil || v.Version != "1" {
		t.Fatalf("Get = %q, %v", v.Version, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	p.ver.Store(1)
	if v, err := c.Get(t.Context(), ref); err != nil || v.Version != "1" || p.calls.Load() != 1 {
		t.Errorf("Get within the TTL after Close = %q, %v after %d calls; want the cached 1 after 1", v.Version, err, p.calls.Load())
	}
	clk.Add(300 * time.Millisecond)
	if v, err := c.Get(t.Context(), ref); err != nil || v.Version != "2" {
		t.Errorf("Get past the TTL after Close = %q, %v; want the backend's 2", v.Version, err)
	}
}

type closingProvider struct {
	*Memory
	closed int
}

func (p *closingProvider) Close() error {
	p.closed++
	return errors.New("closed")
}

func TestCacheClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	inner := &closingProvider{Memory: NewMemory("closing")}
	inner.Set("a", "v")
	clk := newClock()
	c := NewCache(gatedSlow{inner, 50 * time.Millisecond}, &CacheOptions{TTL: time.Minute, Now: clk.Now})
	mustGet(t, c, Ref{Path: "a"})
	clk.Add(time.Minute - time.Nanosecond) // past the refresh point, within the TTL
	mustGet(t, c, Ref{Path: "a"})          // starts a background refresh
	if err := c.Close(); err == nil || err.Error() != "closed" || inner.closed != 1 {
		t.Errorf("Close = %v with %d inner closes, want the inner error after 1 close", err, inner.closed)
	}
	if err := c.Close(); err != nil || inner.closed != 1 {
		t.Errorf("second Close = %v, %d inner closes; want nil, 1", err, inner.closed)
	}
	if err := NewCache(NewMemory("m"), nil).Close(); err != nil {
		t.Errorf("Close of a Cache around a provider without Close = %v, want nil", err)
	}
}

// gatedSlow answers after a delay, honouring ctx, and forwards Close.
type gatedSlow struct {
	*closingProvider
	delay time.Duration
}

func (p gatedSlow) Get(ctx context.Context, ref Ref) (Value, error) {
	select {
	case <-time.After(p.delay):
		return p.Memory.Get(ctx, ref)
	case <-ctx.Done():
		return Value{}, &SecretError{Path: ref.Path, Kind: ErrUnavailable, Err: ctx.Err()}
	}
}

// ctxGate counts its Gets and holds each until release is closed or its
// ctx is done, whichever comes first.
type ctxGate struct {
	*Memory
	calls   atomic.Int64
	release chan struct{}
}

func (g *ctxGate) Get(ctx context.Context, ref Ref) (Value, error) {
	g.calls.Add(1)
	select {
	case <-g.release:
		return g.Memory.Get(ctx, ref)
	case <-ctx.Done():
		return Value{}, &SecretError{Path: ref.Path, Kind: ErrUnavailable, Err: ctx.Err()}
	}
}

// TestCacheSharedFetchOutlivesImpatientCaller: a caller that gives up
// after starting the fetch does not cancel it: a patient caller still gets
// the value, from that one inner call.
func TestCacheSharedFetchOutlivesImpatientCaller(t *testing.T) {
	t.Parallel()
	inner := &ctxGate{Memory: NewMemory("slow"), release: make(chan struct{})}
	inner.Set("a/b", "value")
	c := NewCache(inner, nil)
	defer c.Close()
	ref := Ref{Path: "a/b"}

	impatient, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Get(impatient, ref)
		errc <- err
	}()
	waitFor(t, "the impatient caller's fetch in the inner provider", func() bool { return inner.calls.Load() >= 1 })
	cancel()
	if err := <-errc; !errors.Is(err, ErrUnavailable) {
		t.Errorf("impatient Get error = %v, want ErrUnavailable", err)
	}
	// Whether the patient caller joins the fetch before it ends or reads
	// what it stored, a fetch the impatient caller had cancelled would
	// fail it or make a second inner call.
	patient := make(chan Result, 1)
	go func() {
		v, err := c.Get(t.Context(), ref)
		patient <- Result{Value: v, Err: err}
	}()
	close(inner.release)
	if r := <-patient; r.Err != nil || r.Value.Text != "value" {
		t.Fatalf("patient Get = %q, %v; want the value", r.Value.Text, r.Err)
	}
	if n := inner.calls.Load(); n != 1 {
		t.Errorf("inner calls = %d, want 1 shared fetch", n)
	}
}

// TestCacheConcurrentRefreshAhead reads one secret from 8 goroutines on the
// real clock with a short TTL while it rotates and Refresh runs: no read
// fails, readers see every rotation (the test waits for each before the
// next), and nothing is left running after Close.
func TestCacheConcurrentRefreshAhead(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b := &batch{Memory: NewMemory("mem")}
	b.Set("a", "0")
	c := NewCache(b, &CacheOptions{TTL: 10 * time.Millisecond})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]bool{}
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, err := c.Get(context.Background(), Ref{Path: "a"})
				if err == nil {
					r := c.GetMany(context.Background(), []Ref{{Path: "a"}})[0]
					err = r.Err
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				seen[v.Text] = true
				mu.Unlock()
			}
		})
	}
	saw := func(v string) bool {
		mu.Lock()
		defer mu.Unlock()
		return seen[v]
	}
rotate:
	for i := 1; i <= 40; i++ {
		v := strconv.Itoa(i)
		b.Set("a", v)
		if i%10 == 0 {
			if err := c.Refresh(t.Context(), "a"); err != nil {
				t.Error(err)
			}
		}
		// The value expires within the TTL and the readers keep reading:
		// one of them gets the new value.
		for deadline := time.Now().Add(time.Minute); !saw(v); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Errorf("no reader saw rotation %d within a minute", i)
				break rotate
			}
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 40 {
		t.Errorf("readers saw %d distinct values during 40 rotations, want 40 or more", len(seen))
	}
}
