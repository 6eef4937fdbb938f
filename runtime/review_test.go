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

// The second review's findings (issue 16's restructuring), each a test
// that failed before its fix.

func stagedLive(t *testing.T, refs []Ref, b *staged) *Live[[2]string] {
	t.Helper()
	load := func(ctx context.Context, p Provider) (*[2]string, error) {
		res := GetMany(ctx, p, refs)
		var out [2]string
		for i, r := range res {
			if r.Err != nil {
				return nil, &LoadError{Backend: p.Name(), Total: 2, Errors: []*SecretError{r.Err.(*SecretError)}}
			}
			out[i] = r.Value.Text
		}
		return &out, nil
	}
	l, err := NewLive(t.Context(), NewCache(b, nil), load, &LiveOptions{PollInterval: time.Hour, CoolDown: -1, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// TestLivePendingAborted: a pending version put in use by RefreshNow is
// dropped once it is gone while the current version stayed (an aborted
// rotation): the current version rules again.
func TestLivePendingAborted(t *testing.T) {
	refs := []Ref{{Path: "a/user"}, {Path: "a/pass"}}
	b := &staged{current: map[string]Value{"a/user": {Text: "u", Version: "1"}, "a/pass": {Text: "p1", Version: "1"}}, pending: map[string]Value{}}
	b.pendingOf = func(r Ref) (Ref, bool) { r.Version = "AWSPENDING"; return r, true }
	l := stagedLive(t, refs, b)
	b.set(func() { b.pending["a/pass"] = Value{Text: "p2", Version: "2"} })
	_ = l.RefreshNow(t.Context(), "a/pass")
	if got := l.Settings()[1]; got != "p2" {
		t.Fatalf("after RefreshNow with a pending version: %q, want p2", got)
	}
	b.set(func() { delete(b.pending, "a/pass") }) // the rotation is aborted
	_ = l.RefreshNow(t.Context(), "a/pass")
	if got := l.Settings()[1]; got != "p1" {
		t.Fatalf("after the pending version went away: %q, want the current p1", got)
	}
}

// TestLivePendingWholeGroup: a group takes pending versions whole or not
// at all: a pending password without a pending user name is not swapped
// in beside the current user name.
func TestLivePendingWholeGroup(t *testing.T) {
	refs := []Ref{{Path: "db/user", Source: "db", Key: "user"}, {Path: "db/pass", Source: "db", Key: "pass"}}
	b := &staged{current: map[string]Value{"db/user": {Text: "u1", Version: "1"}, "db/pass": {Text: "p1", Version: "1"}}, pending: map[string]Value{}}
	b.pendingOf = func(r Ref) (Ref, bool) { r.Version = "AWSPENDING"; return r, true }
	l := stagedLive(t, refs, b)
	b.set(func() { b.pending["db/pass"] = Value{Text: "p2", Version: "2"} }) // no pending user
	_ = l.RefreshNow(t.Context(), "db/pass")
	if got := *l.Settings(); got != [2]string{"u1", "p1"} {
		t.Fatalf("settings %v, want the current group (u1, p1): never half pending", got)
	}
	b.set(func() { b.pending["db/user"] = Value{Text: "u2", Version: "2"} })
	_ = l.RefreshNow(t.Context(), "db/pass")
	if got := *l.Settings(); got != [2]string{"u2", "p2"} {
		t.Fatalf("settings %v, want the whole pending group (u2, p2)", got)
	}
}

// TestLiveUnpinnedLoadErrorRetried: a load error that names no changed
// value keeps the changes out but does not remember them as rejected: once
// the cause is gone, the next refresh takes the valid rotation.
func TestLiveUnpinnedLoadErrorRetried(t *testing.T) {
	m := NewMemory("mem")
	m.Set("db/user", "u0")
	m.Set("http/port", "8080")
	refs := []Ref{{Path: "db/user"}, {Path: "http/port"}}
	load := func(ctx context.Context, p Provider) (*[2]string, error) {
		res := GetMany(ctx, p, refs)
		if res[1].Value.Text == "9999" {
			return nil, errors.New("port 9999 is refused by the service's own check")
		}
		return &[2]string{res[0].Value.Text, res[1].Value.Text}, nil
	}
	l, err := NewLive(t.Context(), NewCache(m, nil), load, &LiveOptions{PollInterval: time.Hour, CoolDown: -1, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m.Set("db/user", "u1")
	m.Set("http/port", "9999")
	if err := l.RefreshNow(t.Context()); err == nil {
		t.Fatal("RefreshNow = nil, want the load error")
	}
	if got := *l.Settings(); got != [2]string{"u0", "8080"} {
		t.Fatalf("settings %v, want the old ones kept", got)
	}
	m.Set("http/port", "8080")
	if err := l.RefreshNow(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := *l.Settings(); got != [2]string{"u1", "8080"} {
		t.Fatalf("settings %v, want the valid rotation of db/user (u1) taken once the cause is gone", got)
	}
}

// bareKind returns the kinds themselves as errors.
type bareKind struct{ Provider }

func (bareKind) Get(context.Context, Ref) (Value, error) { return Value{}, ErrNotFound }

// TestStampBareKind: a provider that returns a kind itself is of that kind
// once runtime stamps it (it was ErrUnavailable).
func TestStampBareKind(t *testing.T) {
	err := GetMany(t.Context(), bareKind{NewMemory("bare")}, []Ref{{Path: "a"}})[0].Err
	if !errors.Is(err, ErrNotFound) || kindOf(err) != ErrNotFound {
		t.Fatalf("stamped error %v, want not found", err)
	}
}

// TestLiveRefreshNowWaitersGetTheError: a RefreshNow that waits for
// another caller's refresh in flight returns that refresh's error, not nil.
func TestLiveRefreshNowWaitersGetTheError(t *testing.T) {
	b := &countingBatch{Memory: NewMemory("mem")}
	b.Set("db/user", "u0")
	b.Set("db/pass", "p0")
	b.Set("http/port", "8080")
	g := &gated{countingBatch: b, called: make(chan struct{}), release: make(chan struct{}), entered: make(chan struct{}, 1)}
	close(g.release)
	var loads atomic.Int64
	l, err := NewLive(t.Context(), NewCache(g, nil), loadDB(&loads), &LiveOptions{PollInterval: time.Hour, CoolDown: -1, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	<-g.entered // the first load's read
	g.release = make(chan struct{})
	b.SetError("http/port", ErrAccessDenied)
	first := make(chan error, 1)
	go func() { first <- l.RefreshNow(t.Context(), "http/port") }()
	<-g.entered // the first caller's refresh is in the backend
	second := make(chan error, 1)
	go func() { second <- l.RefreshNow(t.Context(), "http/port") }()
	// Give the second caller time to find the refresh in flight and wait
	// for it (if it comes later it refreshes on its own, with the same
	// error: the test cannot pass wrongly, only prove less).
	time.Sleep(20 * time.Millisecond)
	close(g.release)
	for name, ch := range map[string]chan error{"first": first, "second": second} {
		if err := <-ch; !errors.Is(err, ErrAccessDenied) {
			t.Errorf("%s caller's RefreshNow = %v, want the refresh's access denied", name, err)
		}
	}
}

// TestLiveUnregisterDuringDispatch: a callback unregistered by an earlier
// callback of the same change does not run for it.
func TestLiveUnregisterDuringDispatch(t *testing.T) {
	b, l, _ := newDB(t, &LiveOptions{PollInterval: time.Hour, CoolDown: -1})
	var second atomic.Int64
	var unregister func()
	done := make(chan struct{}, 1)
	l.OnChange(func(_, _ *dbSettings, _ []string) {
		unregister()
		done <- struct{}{}
	})
	unregister = l.OnChange(func(_, _ *dbSettings, _ []string) { second.Add(1) })
	b.Set("db/user", "u1")
	if err := l.RefreshNow(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-done
	_ = l.Close() // waits for the dispatcher
	if n := second.Load(); n != 0 {
		t.Fatalf("the unregistered callback ran %d time(s)", n)
	}
}
