package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// The review's defects (issue 15), each a test that failed before its fix.

// TestLiveValidRotationBesideGarbage: a valid rotation that lands in the
// same poll as a value that does not parse is swapped in; only the value
// that fails is quarantined, and Status names it alone.
func TestLiveValidRotationBesideGarbage(t *testing.T) {
	b, l, _ := newDB(t, &LiveOptions{PollInterval: time.Hour, CoolDown: -1})
	b.Set("db/user", "u1")
	b.Set("db/pass", "p1")
	b.Set("http/port", "not a port")
	if err := l.RefreshNow(t.Context()); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("RefreshNow = %v, want the invalid port reported", err)
	}
	s := l.Settings()
	if s.User != "u1" || s.Pass.Reveal() != "p1" || s.Port != 8080 {
		t.Fatalf("after the poll: user %q, port %d; want the valid rotation (u1) in and the port kept (8080)", s.User, s.Port)
	}
	for _, p := range []string{"db/user", "db/pass", "http/port"} {
		want := Kind(0)
		if p == "http/port" {
			want = ErrInvalidValue
		}
		if got := statusOf(l, p).ErrKind; got != want {
			t.Errorf("Status of %s: %v, want %v", p, got, want)
		}
	}
	// The garbage is fixed: the next poll takes it.
	b.Set("http/port", "9090")
	if err := l.RefreshNow(t.Context(), "http/port"); err != nil {
		t.Fatal(err)
	}
	if s := l.Settings(); s.Port != 9090 || statusOf(l, "http/port").ErrKind != 0 {
		t.Fatalf("port %d (status %v), want 9090 and no problem", s.Port, statusOf(l, "http/port").ErrKind)
	}
}

// TestLiveGroupWithFailingMember: one member of a backend secret that
// cannot be read holds back the whole group, so Settings never mix an old
// member with a new one.
func TestLiveGroupWithFailingMember(t *testing.T) {
	m := NewMemory("mem")
	m.Set("db", `{"user":"u0","pass":"p0"}`)
	refs := []Ref{{Path: "db/user", Source: "db", Key: "user"}, {Path: "db/pass", Source: "db", Key: "pass"}}
	p := &keyed{Memory: m}
	load := func(ctx context.Context, pr Provider) (*[2]string, error) {
		res := GetMany(ctx, pr, refs)
		var out [2]string
		for i, r := range res {
			if r.Err != nil {
				return nil, &LoadError{Backend: pr.Name(), Total: 2, Errors: []*SecretError{r.Err.(*SecretError)}}
			}
			out[i] = r.Value.Text
		}
		return &out, nil
	}
	l, err := NewLive(t.Context(), NewCache(p, nil), load, &LiveOptions{PollInterval: time.Hour, CoolDown: -1, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m.Set("db", `{"user":"u1","pass":"p1"}`)
	p.deny("db/pass")
	_ = l.RefreshNow(t.Context(), "db/user")
	if got := *l.Settings(); got != [2]string{"u0", "p0"} {
		t.Fatalf("settings %v, want the group kept whole (u0, p0)", got)
	}
	p.allow("db/pass")
	if err := l.RefreshNow(t.Context(), "db/user"); err != nil {
		t.Fatal(err)
	}
	if got := *l.Settings(); got != [2]string{"u1", "p1"} {
		t.Fatalf("settings %v, want the new group (u1, p1)", got)
	}
}

// keyed is a Memory whose secrets are JSON objects read by Source and Key,
// with per-path denial.
type keyed struct {
	*Memory
	mu atomic.Pointer[map[string]bool]
}

func (k *keyed) deny(p string)  { k.set(p, true) }
func (k *keyed) allow(p string) { k.set(p, false) }
func (k *keyed) set(p string, on bool) {
	d := map[string]bool{}
	if cur := k.mu.Load(); cur != nil {
		for x, v := range *cur {
			d[x] = v
		}
	}
	d[p] = on
	k.mu.Store(&d)
}

func (k *keyed) Get(ctx context.Context, ref Ref) (Value, error) {
	if d := k.mu.Load(); d != nil && (*d)[ref.Path] {
		return Value{}, &SecretError{Path: ref.Path, Backend: "mem", Kind: ErrAccessDenied}
	}
	v, err := k.Memory.Get(ctx, Ref{Path: ref.SourcePath()})
	if err != nil {
		return v, err
	}
	var obj map[string]string
	if err := json.Unmarshal([]byte(v.Text), &obj); err != nil {
		return Value{}, &SecretError{Path: ref.Path, Backend: "mem", Kind: ErrInvalidValue}
	}
	t, ok := obj[ref.Key]
	if !ok {
		return Value{}, &SecretError{Path: ref.Path, Backend: "mem", Kind: ErrNotFound}
	}
	return Value{Text: t, Version: v.Version}, nil
}

// TestCacheNoFlightAfterCloseForGoneCaller: a fetch whose flight starts
// after Close (the singleflight goroutine runs late) for a caller that is
// gone makes no call: before the fix it ran on a context without the
// caller's cancellation for up to a minute, neither cancelled nor awaited.
func TestCacheNoFlightAfterCloseForGoneCaller(t *testing.T) {
	c := NewCache(NewMemory("mem"), nil)
	_ = c.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	fctx, done := c.flightContext(ctx)
	defer done()
	if fctx.Err() == nil {
		t.Fatal("a flight started after Close for a caller that is gone has a live context: it would call the closed provider")
	}
	m := NewMemory("mem")
	c2 := NewCache(m, nil)
	_ = c2.Close()
	_ = c2.fetchBatch(ctx, getManyAdapter{m}, c2.entries([]Ref{{Path: "a"}}), []int{0}, true)
	if n := m.Calls("a"); n != 0 {
		t.Fatalf("the inner provider got %d call(s) for a caller that was gone", n)
	}
}

// TestKindIsOutermost: a SecretError of kind access denied that wraps a
// not-found cause is access denied: Layers stops there instead of falling
// through to a lower layer.
func TestKindIsOutermost(t *testing.T) {
	inner := &SecretError{Path: "a", Backend: "x", Kind: ErrNotFound}
	err := &SecretError{Path: "a", Backend: "top", Kind: ErrAccessDenied, Err: inner}
	if kindOf(err) != ErrAccessDenied {
		t.Fatalf("kindOf = %v, want access denied", kindOf(err))
	}
	top := NewMemory("top")
	top.SetError("a", err)
	low := NewMemory("low")
	low.Set("a", "from the lower layer")
	ly, _ := NewLayers(top, low)
	if _, err := ly.Get(t.Context(), Ref{Path: "a"}); kindOf(err) != ErrAccessDenied {
		t.Fatalf("Layers.Get = %v, want the top layer's access denied", err)
	}
	if res := ly.GetMany(t.Context(), []Ref{{Path: "a"}}); kindOf(res[0].Err) != ErrAccessDenied {
		t.Fatalf("Layers.GetMany = %v, want the top layer's access denied", res[0].Err)
	}
}

// TestCacheCachesNotFound: an absent secret is an answer like a value:
// 1,000 reads within the TTL make one backend call.
func TestCacheCachesNotFound(t *testing.T) {
	m := NewMemory("mem")
	clk := newClock()
	c := NewCache(m, &CacheOptions{TTL: time.Hour, Now: clk.Now})
	defer c.Close()
	for range 1000 {
		if _, err := c.Get(t.Context(), Ref{Path: "absent"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get = %v, want not found", err)
		}
	}
	if n := m.Calls("absent"); n != 1 {
		t.Fatalf("%d backend calls for 1,000 reads of an absent secret within its TTL, want 1", n)
	}
	m.Set("absent", "now here")
	clk.Add(2 * time.Hour)
	if v, err := c.Get(t.Context(), Ref{Path: "absent"}); err != nil || v.Text != "now here" {
		t.Fatalf("after the TTL: %v, want the new value", err)
	}
}

// TestLiveCoalescesPendingChanges: a callback that blocks while the
// settings swap 2,000 times leaves one pending change (old to newest, every
// changed path), not 2,000.
func TestLiveCoalescesPendingChanges(t *testing.T) {
	b, l, _ := newDB(t, &LiveOptions{PollInterval: time.Hour, CoolDown: -1})
	entered, release := make(chan struct{}), make(chan struct{})
	var calls [][]string
	var first atomic.Bool
	l.OnChange(func(old, new *dbSettings, changed []string) {
		if first.CompareAndSwap(false, true) {
			close(entered)
			<-release
		}
		calls = append(calls, changed)
	})
	b.Set("db/user", "u-first")
	if err := l.RefreshNow(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-entered
	for i := range 2000 {
		b.Set("db/pass", "p"+strconv.Itoa(i))
		if err := l.RefreshNow(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	b.Set("http/port", "1")
	if err := l.RefreshNow(t.Context()); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	n := len(l.queue)
	l.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d pending changes behind a blocked callback, want 1", n)
	}
	close(release)
	_ = l.Close()
	if len(calls) != 2 || !slices.Equal(calls[1], []string{"db/pass", "http/port"}) {
		t.Fatalf("callbacks got %v, want the first change then one folded change of db/pass and http/port", calls)
	}
}
