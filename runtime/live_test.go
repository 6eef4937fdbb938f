package runtime

import (
	"context"
	"errors"
	"fmt"
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
				var e *Error
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
				le.Errors = append(le.Errors, &Error{Path: "http/port", Backend: p.Name(), Kind: ErrInvalidValue, Type: "int", Err: errors.New("not an integer")})
			}
			s.Port = n
		}
		if len(le.Errors) > 0 {
			return nil, le
		}
		return s, nil
	}
}

// countingBatch is a BatchProvider over a Memory that counts GetMany calls.
type countingBatch struct {
	*Memory
	batches atomic.Int64
	refs    atomic.Int64
}

func (b *countingBatch) GetMany(ctx context.Context, refs []Ref) []Result {
	b.batches.Add(1)
	b.refs.Add(int64(len(refs)))
	res := make([]Result, len(refs))
	for i, r := range refs {
		res[i].Value, res[i].Err = b.Memory.Get(ctx, r)
	}
	return res
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
	case <-time.After(5 * time.Second):
		t.Fatal("no OnChange call within 5s")
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
	b.Rotate("db/pass", "p1")
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
		name  string
		break_ func(b *countingBatch)
		fix   func(b *countingBatch)
		kind  error
		paths []string // in the OnChange after the fix
	}{
		{"garbage", func(b *countingBatch) { b.Rotate("http/port", "zq9canary-port") }, func(b *countingBatch) { b.Rotate("http/port", "9090") }, ErrInvalidValue, []string{"http/port"}},
		{"deleted", func(b *countingBatch) { b.Delete("db/pass") }, func(b *countingBatch) { b.Set("db/pass", "p1") }, ErrNotFound, []string{"db/pass"}},
		{"denied", func(b *countingBatch) { b.SetError("db/pass", ErrAccessDenied) }, func(b *countingBatch) { b.SetError("db/pass", nil); b.Rotate("db/pass", "p1") }, ErrAccessDenied, []string{"db/pass"}},
		{"outage", func(b *countingBatch) { b.SetError("db/pass", ErrUnavailable) }, func(b *countingBatch) { b.SetError("db/pass", nil); b.Rotate("db/pass", "p1") }, ErrUnavailable, []string{"db/pass"}},
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
		return Value{}, &Error{Path: ref.Path, Backend: "atomic", Kind: ErrNotFound}
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
			res[i].Err = &Error{Path: r.Path, Backend: "atomic", Kind: ErrNotFound}
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
// with the password of another.
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
	if n < 10 {
		t.Errorf("readers saw only %d distinct settings during 100 rotations", n)
	}
}
