package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// dbSettings is a small Settings type: user and pass rotate together (the
// race test gives them matching values), port must parse.
type dbSettings struct {
	User string
	Pass Secret[string]
	Port int
}

var dbRefs = []Ref{{Path: "db/user", Type: "string"}, {Path: "db/pass", Type: "string"}, {Path: "http/port", Type: "int"}}

// loadDB is a hand-written load function shaped like a generated Load: one
// batch read of every ref, then each value parsed, every problem gathered.
// loads counts its calls.
func loadDB(loads *atomic.Int64) func(context.Context, Provider) (*dbSettings, error) {
	return func(ctx context.Context, p Provider) (*dbSettings, error) {
		loads.Add(1)
		res := p.(BatchProvider).GetMany(ctx, dbRefs)
		le := &LoadError{Backend: p.Name(), Total: len(dbRefs)}
		for i, r := range res {
			if r.Err != nil {
				var e *SecretError
				errors.As(r.Err, &e)
				le.Errors = append(le.Errors, e)
				continue
			}
			_ = i
		}
		s := &dbSettings{User: res[0].Value.Text, Pass: NewSecret(res[1].Value.Text)}
		if res[2].Err == nil {
			n, err := strconv.Atoi(res[2].Value.Text)
			if err != nil {
				le.Errors = append(le.Errors, &SecretError{Path: "http/port", Backend: p.Name(), Kind: ErrInvalidValue, Type: "int", Err: errors.New("not an integer")})
			}
			s.Port = n
		}
		if len(le.Errors) > 0 {
			return nil, le
		}
		return s, nil
	}
}

func newDB(t *testing.T, opts *LiveOptions) (*countingBatch, *Live[dbSettings], *atomic.Int64) {
	t.Helper()
	b := &countingBatch{Memory: NewMemory("mem")}
	b.Set("db/user", "u0")
	b.Set("db/pass", "p0")
	b.Set("http/port", "8080")
	loads := &atomic.Int64{}
	if opts == nil {
		opts = &LiveOptions{PollInterval: time.Hour}
	}
	opts.CloseProvider = true
	l, err := NewLive(t.Context(), NewCache(b, nil), loadDB(loads), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return b, l, loads
}

// changes collects OnChange calls.
type changes struct {
	mu    sync.Mutex
	calls [][]string
	got   chan struct{}
}

func watch(l *Live[dbSettings]) *changes {
	c := &changes{got: make(chan struct{}, 100)}
	l.OnChange(func(old, new *dbSettings, changed []string) {
		c.mu.Lock()
		c.calls = append(c.calls, changed)
		c.mu.Unlock()
		c.got <- struct{}{}
	})
	return c
}

func (c *changes) wait(t *testing.T) []string {
	t.Helper()
	select {
	case <-c.got:
	case <-time.After(time.Minute):
		t.Fatal("no OnChange call within a minute")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[len(c.calls)-1]
}

func (c *changes) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

func statusOf(l *Live[dbSettings], path string) SecretStatus {
	for _, s := range l.Status().Secrets {
		if s.Path == path {
			return s
		}
	}
	return SecretStatus{}
}

func TestLiveFirstLoadError(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	m := NewMemory("mem")
	m.Set("http/port", "x")
	var loads atomic.Int64
	_, err := NewLive(t.Context(), NewCache(m, nil), loadDB(&loads), nil)
	var le *LoadError
	if !errors.As(err, &le) || len(le.Errors) != 3 {
		t.Fatalf("NewLive = %v, want the load's LoadError with every problem (3)", err)
	}
}

func TestLivePoll(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b, l, loads := newDB(t, &LiveOptions{PollInterval: 5 * time.Millisecond})
	ch := watch(l)
	first := l.Settings()
	if first.User != "u0" || first.Pass.Reveal() != "p0" || first.Port != 8080 {
		t.Fatalf("Settings = %+v", first)
	}
	// Unchanged polls fire nothing and parse nothing.
	for b.batches.Load() < 4 {
		time.Sleep(time.Millisecond)
	}
	if n := loads.Load(); n != 1 || ch.count() != 0 {
		t.Errorf("after unchanged polls: %d loads, %d OnChange calls; want 1, 0", n, ch.count())
	}
	b.Set("db/pass", "p1")
	if got := ch.wait(t); !slices.Equal(got, []string{"db/pass"}) {
		t.Errorf("changed = %v, want [db/pass]", got)
	}
	if s := l.Settings(); s.Pass.Reveal() != "p1" || s.User != "u0" {
		t.Errorf("Settings after the rotation = %+v", s)
	}
	if st := statusOf(l, "db/pass"); st.Version != "2" || st.Stale || st.Err != nil {
		t.Errorf("status = %+v, want version 2, fresh", st)
	}
	n := b.batches.Load()
	for b.batches.Load() < n+3 {
		time.Sleep(time.Millisecond)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if ch.count() != 1 || loads.Load() != 2 {
		t.Errorf("%d OnChange calls, %d loads; want exactly 1 and 2", ch.count(), loads.Load())
	}
	// Every poll is one batch read of all three secrets.
	if b.refs.Load() != 3*b.batches.Load() {
		t.Errorf("%d refs over %d batches, want 3 a batch", b.refs.Load(), b.batches.Load())
	}
}

func TestLiveKeepsLastGood(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(b *countingBatch)
		fix    func(b *countingBatch)
		kind   error
		paths  []string // in the OnChange after the fix
	}{
		{"garbage", func(b *countingBatch) { b.Set("http/port", "zq9canary-port") }, func(b *countingBatch) { b.Set("http/port", "9090") }, ErrInvalidValue, []string{"http/port"}},
		{"deleted", func(b *countingBatch) { b.Delete("db/pass") }, func(b *countingBatch) { b.Set("db/pass", "p1") }, ErrNotFound, []string{"db/pass"}},
		{"denied", func(b *countingBatch) { b.SetError("db/pass", ErrAccessDenied) }, func(b *countingBatch) { b.SetError("db/pass", nil); b.Set("db/pass", "p1") }, ErrAccessDenied, []string{"db/pass"}},
		{"outage", func(b *countingBatch) { b.SetError("db/pass", ErrUnavailable) }, func(b *countingBatch) { b.SetError("db/pass", nil); b.Set("db/pass", "p1") }, ErrUnavailable, []string{"db/pass"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			b, l, loads := newDB(t, &LiveOptions{PollInterval: time.Hour, CoolDown: -1})
			ch := watch(l)
			good := l.Settings()
			tt.break_(b)
			path := tt.paths[0]
			err := l.RefreshNow(t.Context())
			if !errors.Is(err, tt.kind) {
				t.Errorf("RefreshNow = %v, want %v", err, tt.kind)
			}
			if l.Settings() != good {
				t.Errorf("Settings replaced after %s", tt.name)
			}
			st := statusOf(l, path)
			if !errors.Is(st.ErrKind, tt.kind) || !st.Stale || !errors.Is(st.Err, tt.kind) || l.Status().OK() {
				t.Errorf("status = %+v, want stale, kind %v", st, tt.kind)
			}
			if strings.Contains(fmt.Sprintf("%v %+v", err, l.Status()), "zq9canary") {
				t.Errorf("a value in the error or status: %v", err)
			}
			// A rejected value is not parsed again while it stays.
			n := loads.Load()
			_ = l.RefreshNow(t.Context())
			if loads.Load() != n {
				t.Errorf("unchanged rejected value parsed again")
			}
			tt.fix(b)
			if err := l.RefreshNow(t.Context()); err != nil {
				t.Fatalf("RefreshNow after the fix: %v", err)
			}
			if got := ch.wait(t); !slices.Equal(got, tt.paths) {
				t.Errorf("changed = %v, want %v", got, tt.paths)
			}
			if l.Settings() == good || !l.Status().OK() {
				t.Errorf("not recovered: %+v", l.Status())
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if ch.count() != 1 {
				t.Errorf("%d OnChange calls, want 1", ch.count())
			}
		})
	}
}

// atomicBackend holds all its values in one map swapped as a whole, so a
// batch read never sees half a rotation of several secrets.
type atomicBackend struct {
	vals atomic.Pointer[map[string]Value]
}

func (a *atomicBackend) Name() string { return "atomic" }

func (a *atomicBackend) Get(_ context.Context, ref Ref) (Value, error) {
	v, ok := (*a.vals.Load())[ref.Path]
	if !ok {
		return Value{}, &SecretError{Path: ref.Path, Backend: "atomic", Kind: ErrNotFound}
	}
	return v, nil
}

func (a *atomicBackend) GetMany(_ context.Context, refs []Ref) []Result {
	m := *a.vals.Load()
	res := make([]Result, len(refs))
	for i, r := range refs {
		v, ok := m[r.Path]
		res[i] = Result{Value: v}
		if !ok {
			res[i].Err = &SecretError{Path: r.Path, Backend: "atomic", Kind: ErrNotFound}
		}
	}
	return res
}

func (a *atomicBackend) rotate(i int) {
	v := strconv.Itoa(i)
	a.vals.Store(&map[string]Value{
		"db/user":   {Text: "u" + v, Version: v},
		"db/pass":   {Text: "p" + v, Version: v},
		"http/port": {Text: "8080", Version: "1"},
	})
}

// TestLiveNoMix: 16 goroutines read Settings during 100 rotations (polled
// every millisecond and forced) and never see the user of one rotation
// with the password of another. After each forced refresh the test waits
// until a reader has seen its settings, so the readers see at least the 50
// forced rotations however the machine schedules them.
func TestLiveNoMix(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	a := &atomicBackend{}
	a.rotate(0)
	var loads atomic.Int64
	l, err := NewLive(t.Context(), NewCache(a, nil), loadDB(&loads), &LiveOptions{PollInterval: time.Millisecond, CoolDown: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var seen sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, mixes atomic.Int64
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := l.Settings()
				if s == nil || s.User[1:] != s.Pass.Reveal()[1:] {
					mixes.Add(1)
				}
				seen.Store(s.User, true)
				reads.Add(1)
			}
		})
	}
	for i := 1; i <= 100; i++ {
		a.rotate(i)
		if i%2 == 0 {
			if err := l.RefreshNow(t.Context()); err != nil {
				t.Fatal(err)
			}
			if s := l.Settings(); s.User != "u"+strconv.Itoa(i) {
				t.Fatalf("after the forced refresh of rotation %d: user %s", i, s.User)
			}
			// Settings stays at rotation i until the next one: a reader
			// sees it.
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
				if _, ok := seen.Load("u" + strconv.Itoa(i)); ok {
					break
				}
				if time.Now().After(deadline) {
					close(stop)
					wg.Wait()
					t.Fatalf("no reader saw the settings of rotation %d within a minute", i)
				}
			}
		} else {
			time.Sleep(2 * time.Millisecond)
		}
	}
	close(stop)
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	n := 0
	seen.Range(func(any, any) bool { n++; return true })
	t.Logf("%d reads, %d distinct settings seen, %d loads", reads.Load(), n, loads.Load())
	if mixes.Load() != 0 {
		t.Errorf("%d reads saw a user and password of different rotations", mixes.Load())
	}
	if n < 50 {
		t.Errorf("readers saw only %d distinct settings during 100 rotations, want the 50 forced ones at least", n)
	}
}

func TestLiveRefreshNowSingleFlightAndCoolDown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clk := newClock()
	b := &countingBatch{Memory: NewMemory("mem")}
	b.Set("db/user", "u0")
	b.Set("db/pass", "p0")
	b.Set("http/port", "8080")
	g := &gated{countingBatch: b, called: make(chan struct{}), release: make(chan struct{}), entered: make(chan struct{}, 1)}
	close(g.release) // the first load passes
	var loads atomic.Int64
	l, err := NewLive(t.Context(), NewCache(g, nil), loadDB(&loads), &LiveOptions{PollInterval: time.Hour, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	g.release = make(chan struct{})
	b.Set("db/pass", "p1")
	base := b.batches.Load()

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	wg.Go(func() { errs <- l.RefreshNow(t.Context(), "db/pass") })
	<-g.entered
	for range 19 {
		wg.Go(func() { errs <- l.RefreshNow(t.Context(), "db/pass") })
	}
	time.Sleep(20 * time.Millisecond) // let them queue behind the fetch in flight
	close(g.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := b.batches.Load() - base; n != 1 {
		t.Errorf("20 concurrent RefreshNow calls made %d backend calls, want 1", n)
	}
	if l.Settings().Pass.Reveal() != "p1" {
		t.Errorf("RefreshNow returned before the new settings were in place")
	}
	// Within the cool-down: at once, without asking.
	b.Set("db/pass", "p2")
	clk.Add(DefaultCoolDown - time.Nanosecond)
	if err := l.RefreshNow(t.Context(), "db/pass"); err != nil || b.batches.Load()-base != 1 {
		t.Errorf("RefreshNow within the cool-down = %v after %d calls, want nil after 1", err, b.batches.Load()-base)
	}
	// Another secret is not cooling down.
	if err := l.RefreshNow(t.Context(), "db/user"); err != nil || b.batches.Load()-base != 2 {
		t.Errorf("RefreshNow of another path = %v after %d calls, want 2", err, b.batches.Load()-base)
	}
	clk.Add(time.Nanosecond)
	if err := l.RefreshNow(t.Context(), "db/pass"); err != nil || l.Settings().Pass.Reveal() != "p2" {
		t.Errorf("RefreshNow after the cool-down = %v, pass rotated: %v", err, l.Settings().Pass.Reveal() == "p2")
	}
	if err := l.RefreshNow(t.Context(), "no/such"); err == nil || !strings.Contains(err.Error(), `"no/such"`) {
		t.Errorf("RefreshNow of an unknown path = %v", err)
	}
}

func TestLiveOnChangeCallbacks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b, l, _ := newDB(t, &LiveOptions{PollInterval: time.Hour, CoolDown: -1})
	var running, overlaps, calls, removed atomic.Int64
	for range 3 {
		l.OnChange(func(old, new *dbSettings, changed []string) {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			time.Sleep(time.Millisecond)
			calls.Add(1)
			running.Add(-1)
		})
	}
	l.OnChange(func(old, new *dbSettings, changed []string) {
		panic("zq9canary-panic " + new.Pass.Reveal())
	})
	unregister := l.OnChange(func(*dbSettings, *dbSettings, []string) { removed.Add(1) })
	unregister()
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			b.Set("db/pass", "zq9canary-"+strconv.Itoa(i))
			_ = l.RefreshNow(t.Context())
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil { // queued callbacks run before Close returns
		t.Fatal(err)
	}
	st := l.Status()
	if overlaps.Load() != 0 || removed.Load() != 0 || calls.Load() == 0 || calls.Load() != 3*st.CallbackPanics {
		t.Errorf("overlaps %d, unregistered calls %d, calls %d, panics %d", overlaps.Load(), removed.Load(), calls.Load(), st.CallbackPanics)
	}
	if st.OK() {
		t.Error("Status().OK() after a panicking callback")
	}
	if s := fmt.Sprintf("%v %+v %#v", st, st, st); strings.Contains(s, "zq9canary") {
		t.Errorf("status shows a value: %s", s)
	}
}

func TestLivePollsOnChanged(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b := changing{&countingBatch{Memory: NewMemory("files")}, make(chan struct{})}
	b.Set("db/user", "u0")
	b.Set("db/pass", "p0")
	b.Set("http/port", "8080")
	var loads atomic.Int64
	l, err := NewLive(t.Context(), NewCache(b, nil), loadDB(&loads), &LiveOptions{PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ch := watch(l)
	b.Set("db/user", "u1")
	b.ch <- struct{}{}
	if got := ch.wait(t); !slices.Equal(got, []string{"db/user"}) {
		t.Errorf("changed = %v", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestLiveCloseCancelsRefreshNow: Close returns when a RefreshNow whose
// caller gave up still waits on a hung backend: the Live's own context
// cancels the forced refresh. Without that cancellation Close would wait
// for the refresh's one-minute bound, about as long as this test waits, so
// the outcome decides: the refresh ended cancelled, not at its deadline.
func TestLiveCloseCancelsRefreshNow(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := newHanging()
	c := NewCache(p, nil)
	load := func(ctx context.Context, pr Provider) (*string, error) {
		v, err := pr.Get(ctx, Ref{Path: "a"})
		if err != nil {
			return nil, err
		}
		return &v.Text, nil
	}
	l, err := NewLive(t.Context(), c, load, &LiveOptions{PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	p.hang.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	err = l.RefreshNow(ctx)
	cancel()
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("RefreshNow against a hung backend = %v, want ErrUnavailable at the caller's deadline", err)
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- l.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(time.Minute):
		close(p.release) // let Close return, then fail
		<-done
		t.Errorf("Live.Close blocked %v on an abandoned RefreshNow", time.Since(start))
	}
	if st := l.Status().Secrets[0]; errors.Is(st.Err, context.DeadlineExceeded) {
		t.Errorf("the abandoned RefreshNow ended at its deadline, not cancelled by Close: %v", st.Err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if p.usedAfterClose.Load() {
		t.Error("an inner Get ran on after the Cache closed the provider")
	}
}

// TestLivesShareChanged: two Lives on one Cache both poll when the inner
// provider signals a change (one signal, not split between them).
func TestLivesShareChanged(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b := changing{&countingBatch{Memory: NewMemory("files")}, make(chan struct{})}
	b.Set("db/user", "u0")
	b.Set("db/pass", "p0")
	b.Set("http/port", "8080")
	c := NewCache(b, nil)
	var loads atomic.Int64
	var chs []*changes
	for range 2 {
		l, err := NewLive(t.Context(), c, loadDB(&loads), &LiveOptions{PollInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		chs = append(chs, watch(l))
	}
	// Both poll loops subscribe as they start; wait for that, then signal
	// once.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		n := c.changes.subscribers()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers, want 2", n)
		}
	}
	b.Set("db/user", "u1")
	b.ch <- struct{}{}
	for i, ch := range chs {
		if got := ch.wait(t); !slices.Equal(got, []string{"db/user"}) {
			t.Errorf("Live %d: changed = %v", i, got)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLiveStopsWithContext(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b := &countingBatch{Memory: NewMemory("mem")}
	b.Set("db/user", "u0")
	b.Set("db/pass", "p0")
	b.Set("http/port", "8080")
	ctx, cancel := context.WithCancel(t.Context())
	var loads atomic.Int64
	l, err := NewLive(ctx, NewCache(b, nil), loadDB(&loads), &LiveOptions{PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	l.wg.Wait() // returns only when both goroutines stopped
	n := b.batches.Load()
	time.Sleep(10 * time.Millisecond)
	if b.batches.Load() != n {
		t.Error("polling went on after ctx was done")
	}
	_ = l.Close()
}

// TestLiveSimulatedHour counts backend calls for 100 AWS-like secrets over
// a simulated hour with TTL 1h and two rotations, polled (a) at the default
// interval (the TTL) and (b) every 5 minutes. Each poll is one batch read of
// all 100 (the AWS adapter splits it into ceil(100/20) = 5
// BatchGetSecretValue calls); a rotation costs no extra backend call (the
// new settings are parsed from the polled values) and fires one OnChange.
func TestLiveSimulatedHour(t *testing.T) {
	for _, poll := range []time.Duration{time.Hour, 5 * time.Minute} {
		t.Run(poll.String(), func(t *testing.T) {
			clk := newClock()
			b := &countingBatch{Memory: NewMemory("aws")}
			refs := make([]Ref, 100)
			for i := range refs {
				refs[i] = Ref{Path: fmt.Sprintf("svc/secret%03d", i)}
				b.Set(refs[i].Path, "v0")
			}
			var loads atomic.Int64
			load := func(ctx context.Context, p Provider) (*[]string, error) {
				loads.Add(1)
				out := make([]string, len(refs))
				for i, r := range p.(BatchProvider).GetMany(ctx, refs) {
					if r.Err != nil {
						return nil, r.Err
					}
					out[i] = r.Value.Text
				}
				return &out, nil
			}
			c := NewCache(b, &CacheOptions{TTL: time.Hour, Now: clk.Now})
			// PollInterval is driven by hand below on the fake clock; the
			// ticker is set far out so it never fires.
			l, err := NewLive(t.Context(), c, load, &LiveOptions{PollInterval: 24 * time.Hour, Now: clk.Now, CloseProvider: true})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			var fired atomic.Int64
			var cmu sync.Mutex
			seen := map[string]bool{}
			l.OnChange(func(_, _ *[]string, changed []string) {
				fired.Add(1)
				cmu.Lock()
				for _, p := range changed {
					seen[p] = true
				}
				cmu.Unlock()
			})
			polls := 0
			for elapsed := time.Duration(0); elapsed < time.Hour; {
				step := poll
				elapsed += step
				clk.Add(step)
				switch elapsed {
				case 20 * time.Minute:
					b.Set("svc/secret007", "v1")
				case 40 * time.Minute:
					b.Set("svc/secret042", "v1")
				}
				if poll == time.Hour { // the rotations at 20 and 40 minutes, seen by the one poll
					b.Set("svc/secret007", "v1")
					b.Set("svc/secret042", "v1")
				}
				if err := l.poll(t.Context()); err != nil {
					t.Fatal(err)
				}
				polls++
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			wantCalls := int64(1 + polls)
			t.Logf("poll every %v: %d batch reads (%d secrets read), %d loads, %d OnChange", poll, b.batches.Load(), b.refs.Load(), loads.Load(), fired.Load())
			if b.batches.Load() != wantCalls || b.refs.Load() != 100*wantCalls {
				t.Errorf("%d batch reads of %d secrets, want %d of %d", b.batches.Load(), b.refs.Load(), wantCalls, 100*wantCalls)
			}
			for _, r := range refs {
				if n := b.Calls(r.Path); int64(n) != wantCalls {
					t.Fatalf("%s read %d times, want %d", r.Path, n, wantCalls)
				}
			}
			wantChanges := int64(2)
			if poll == time.Hour {
				wantChanges = 1 // both rotations land between the same two polls
			}
			// Swaps that come while a change is still pending fold into it,
			// so the callbacks may see the two swaps as one.
			if n := fired.Load(); n < 1 || n > wantChanges || loads.Load() != 1+wantChanges || len(seen) != 2 {
				t.Errorf("%d OnChange calls (paths %v), %d loads; want 1 to %d calls naming both rotated paths, %d loads", n, seen, loads.Load(), wantChanges, 1+wantChanges)
			}
			if got := (*l.Settings())[7] + (*l.Settings())[42]; got != "v1v1" {
				t.Errorf("rotated values in Settings: %q", got)
			}
		})
	}
}

// TestLiveCanary feeds a known value through every path of Live that
// reports something (errors of RefreshNow and NewLive, Status in every
// printing form, OnChange panics) and fails if it appears.
func TestLiveCanary(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const canary = "zq9canary-live"
	var out strings.Builder
	record := func(what string, v any) { fmt.Fprintf(&out, "%s: %v | %+v | %#v\n", what, v, v, v) }

	m := NewMemory("mem")
	m.Set("db/user", canary+"-user")
	m.Set("db/pass", canary+"-pass")
	m.Set("http/port", canary+"-port")
	var loads atomic.Int64
	_, err := NewLive(t.Context(), NewCache(m, nil), loadDB(&loads), nil)
	record("NewLive with garbage", err)

	b, l, _ := newDB(t, &LiveOptions{PollInterval: time.Hour, CoolDown: -1})
	b.Set("db/user", canary+"-u1")
	b.Set("db/pass", canary+"-p1")
	l.OnChange(func(_, n *dbSettings, _ []string) { panic(canary + n.Pass.Reveal()) })
	record("RefreshNow", l.RefreshNow(t.Context()))
	b.Set("http/port", canary+"-bad")
	record("RefreshNow garbage", l.RefreshNow(t.Context()))
	b.Delete("db/pass")
	record("RefreshNow deleted", l.RefreshNow(t.Context()))
	b.SetError("db/user", fmt.Errorf("backend down: %w", ErrUnavailable))
	record("RefreshNow outage", l.RefreshNow(t.Context()))
	record("RefreshNow unknown", l.RefreshNow(t.Context(), "no/such"))
	_ = l.Close()
	st := l.Status()
	record("Status", st)
	for _, s := range st.Secrets {
		record("SecretStatus", s)
		if s.Err != nil {
			out.WriteString(s.Err.Error())
		}
	}
	if st.CallbackPanics != 1 {
		t.Errorf("CallbackPanics = %d, want 1", st.CallbackPanics)
	}
	record("Live", l)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("live", "live", l, "status", st)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("live", "live", l, "status", st)
	out.WriteString(logs.String())
	if !strings.Contains(logs.String(), `"live":{"backend":"mem"}`) {
		t.Errorf("slog of a Live = %s, want its backend", logs.String())
	}
	if text := out.String(); strings.Contains(text, canary) {
		t.Errorf("a value reached the output:\n%s", text)
	}
}

// staged serves each path's current value, and its pending value for refs
// with Version "AWSPENDING", like Secrets Manager's staging labels.
type staged struct {
	mu               sync.Mutex
	current, pending map[string]Value
	pendingOf        func(Ref) (Ref, bool)
}

func (s *staged) Name() string                { return "aws" }
func (s *staged) Pending(ref Ref) (Ref, bool) { return s.pendingOf(ref) }

func (s *staged) Get(_ context.Context, ref Ref) (Value, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.current
	if ref.Version == "AWSPENDING" {
		m = s.pending
	}
	v, ok := m[ref.Path]
	if !ok {
		return Value{}, &SecretError{Path: ref.Path, Backend: "aws", Kind: ErrNotFound}
	}
	return v, nil
}

func (s *staged) GetMany(ctx context.Context, refs []Ref) []Result {
	res := make([]Result, len(refs))
	for i, r := range refs {
		res[i].Value, res[i].Err = s.Get(ctx, r)
	}
	return res
}

func (s *staged) set(f func()) { s.mu.Lock(); defer s.mu.Unlock(); f() }

func TestLivePending(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b := &staged{current: map[string]Value{
		"db/user": {Text: "u", Version: "v1"}, "db/pass": {Text: "p1", Version: "v1"}, "http/port": {Text: "8080", Version: "v1"},
	}, pending: map[string]Value{}}
	b.pendingOf = func(r Ref) (Ref, bool) {
		if r.Path != "db/pass" {
			return Ref{}, false
		}
		r.Version = "AWSPENDING"
		return r, true
	}
	var loads atomic.Int64
	l, err := NewLive(t.Context(), NewCache(b, nil), loadDB(&loads), &LiveOptions{PollInterval: time.Hour, CoolDown: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// No pending version: nothing changes.
	if err := l.RefreshNow(t.Context(), "db/pass"); err != nil || l.Settings().Pass.Reveal() != "p1" {
		t.Fatalf("RefreshNow without a pending version = %v, pass %q", err, l.Settings().Pass.Reveal())
	}
	// The rotation created AWSPENDING and changed the database; AWSCURRENT
	// has not moved yet. A forced refresh takes the pending value.
	b.set(func() { b.pending["db/pass"] = Value{Text: "p2", Version: "v2"} })
	if err := l.poll(t.Context()); err != nil || l.Settings().Pass.Reveal() != "p1" {
		t.Fatalf("a poll took the pending value: %v, %q", err, l.Settings().Pass.Reveal())
	}
	if err := l.RefreshNow(t.Context(), "db/pass"); err != nil || l.Settings().Pass.Reveal() != "p2" {
		t.Fatalf("RefreshNow with a pending version = %v, pass %q; want p2", err, l.Settings().Pass.Reveal())
	}
	// Polls keep it while AWSCURRENT stays where it was.
	if err := l.poll(t.Context()); err != nil || l.Settings().Pass.Reveal() != "p2" {
		t.Fatalf("poll during the window = %v, pass %q; want p2 kept", err, l.Settings().Pass.Reveal())
	}
	// AWSCURRENT moves to the pending version: no change, no reload.
	n := loads.Load()
	b.set(func() { b.current["db/pass"] = Value{Text: "p2", Version: "v2"}; delete(b.pending, "db/pass") })
	if err := l.poll(t.Context()); err != nil || l.Settings().Pass.Reveal() != "p2" || loads.Load() != n {
		t.Fatalf("poll after the rotation finished = %v, pass %q, %d loads", err, l.Settings().Pass.Reveal(), loads.Load()-n)
	}
	if st := statusOf(l, "db/pass"); st.Version != "v2" || st.Stale {
		t.Errorf("status = %+v", st)
	}
	// The next rotation moves AWSCURRENT: the current value rules.
	b.set(func() { b.current["db/pass"] = Value{Text: "p3", Version: "v3"} })
	if err := l.poll(t.Context()); err != nil || l.Settings().Pass.Reveal() != "p3" {
		t.Fatalf("poll after the next rotation = %v, pass %q", err, l.Settings().Pass.Reveal())
	}
}

func TestLiveCallbackRefreshesAndClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	b, l, _ := newDB(t, &LiveOptions{PollInterval: time.Hour, CoolDown: -1})
	done := make(chan error, 1)
	var once sync.Once
	l.OnChange(func(_, _ *dbSettings, changed []string) {
		once.Do(func() {
			b.Set("db/user", "u9")
			done <- l.RefreshNow(context.Background(), "db/user") // from inside a callback
		})
	})
	b.Set("db/pass", "p9")
	if err := l.RefreshNow(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil || l.Settings().User != "u9" {
			t.Errorf("RefreshNow from a callback = %v, user %q", err, l.Settings().User)
		}
	case <-time.After(time.Minute):
		t.Fatal("RefreshNow from a callback did not return within a minute")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.RefreshNow(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("RefreshNow after Close = %v, want ErrUnavailable", err)
	}
	if l.Settings().User != "u9" {
		t.Error("Settings changed after Close")
	}
}
