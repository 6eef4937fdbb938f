package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
	"github.com/dashtam/secretsgen/runtime/providertest"
)

// batchRecorder is a BatchProvider over a Memory that records the paths of
// each GetMany call, and can signal changes and fail Close.
type batchRecorder struct {
	*runtime.Memory
	mu       sync.Mutex
	batches  [][]string
	changed  chan struct{}
	closeErr error
	closed   int
}

func newRecorder(name string) *batchRecorder {
	return &batchRecorder{Memory: runtime.NewMemory(name)}
}

func (b *batchRecorder) GetMany(ctx context.Context, refs []runtime.Ref) []runtime.Result {
	var paths []string
	res := make([]runtime.Result, len(refs))
	for i, ref := range refs {
		paths = append(paths, ref.Path)
		res[i].Value, res[i].Err = b.Get(ctx, ref)
	}
	b.mu.Lock()
	b.batches = append(b.batches, paths)
	b.mu.Unlock()
	return res
}

func (b *batchRecorder) Changed() <-chan struct{} { return b.changed }

func (b *batchRecorder) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed++
	return b.closeErr
}

func (b *batchRecorder) recorded() [][]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.batches
}

func mustLayers(t *testing.T, ps ...runtime.Provider) *runtime.Layers {
	t.Helper()
	l, err := runtime.NewLayers(ps...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLayersRule: the first layer that has a secret serves it; only "not
// found" falls through; any other failure stops at its layer and names it;
// a miss in every layer is not found naming every layer. Get and GetMany
// agree.
func TestLayersRule(t *testing.T) {
	const canary = "zq7canary-layers"
	errOf := func(kind runtime.Kind) error { return &runtime.SecretError{Kind: kind, Hint: "layer hint"} }
	tests := []struct {
		name       string
		top, below func(m *runtime.Memory) // set up the two layers for path "a/b"
		want       string                  // the value, when served
		served     string                  // the serving layer
		kind       error                   // the error kind otherwise
		backend    string                  // the error's Backend
		belowCalls int                     // Get calls the lower layer sees for one Get
	}{
		{name: "top has it", top: func(m *runtime.Memory) { m.Set("a/b", "top") }, below: func(m *runtime.Memory) { m.Set("a/b", "below") },
			want: "top", served: "top"},
		{name: "falls through on not found", top: func(*runtime.Memory) {}, below: func(m *runtime.Memory) { m.Set("a/b", "below") },
			want: "below", served: "below", belowCalls: 1},
		{name: "denied stops", top: func(m *runtime.Memory) { m.SetError("a/b", errOf(runtime.ErrAccessDenied)) }, below: func(m *runtime.Memory) { m.Set("a/b", canary) },
			kind: runtime.ErrAccessDenied, backend: "top"},
		{name: "unavailable stops", top: func(m *runtime.Memory) { m.SetError("a/b", errOf(runtime.ErrUnavailable)) }, below: func(m *runtime.Memory) { m.Set("a/b", canary) },
			kind: runtime.ErrUnavailable, backend: "top"},
		{name: "invalid stops", top: func(m *runtime.Memory) { m.SetError("a/b", errOf(runtime.ErrInvalidValue)) }, below: func(m *runtime.Memory) { m.Set("a/b", canary) },
			kind: runtime.ErrInvalidValue, backend: "top"},
		{name: "unclassified stops as unavailable", top: func(m *runtime.Memory) { m.SetError("a/b", errors.New("boom")) }, below: func(m *runtime.Memory) { m.Set("a/b", canary) },
			kind: runtime.ErrUnavailable, backend: "top"},
		{name: "denied below after a miss", top: func(*runtime.Memory) {}, below: func(m *runtime.Memory) { m.SetError("a/b", errOf(runtime.ErrAccessDenied)) },
			kind: runtime.ErrAccessDenied, backend: "below", belowCalls: 1},
		{name: "every layer misses", top: func(*runtime.Memory) {}, below: func(*runtime.Memory) {},
			kind: runtime.ErrNotFound, backend: "top,below", belowCalls: 1},
	}
	ref := runtime.Ref{Path: "a/b", Type: "string"}
	for _, tc := range tests {
		for _, batch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/batch=%v", tc.name, batch), func(t *testing.T) {
				top, below := newRecorder("top"), newRecorder("below")
				tc.top(top.Memory)
				tc.below(below.Memory)
				l := mustLayers(t, top, below)
				var v runtime.Value
				var err error
				if batch {
					res := l.GetMany(t.Context(), []runtime.Ref{ref})
					v, err = res[0].Value, res[0].Err
				} else {
					v, err = l.Get(t.Context(), ref)
				}
				if got := below.Calls("a/b"); got != tc.belowCalls {
					t.Errorf("lower layer read %d times, want %d", got, tc.belowCalls)
				}
				if tc.kind == nil {
					if err != nil || v.Text != tc.want {
						t.Fatalf("got %q, %v; want %q", v.Text, err, tc.want)
					}
					if got := l.Served(ref); got != tc.served {
						t.Errorf("Served = %q, want %q", got, tc.served)
					}
					if w := l.Where(ref); w != "served by "+tc.served+": memory:a/b" {
						t.Errorf("Where = %q", w)
					}
					return
				}
				var e *runtime.SecretError
				if !errors.Is(err, tc.kind) || !errors.As(err, &e) {
					t.Fatalf("error %v, want a *runtime.SecretError of kind %v", err, tc.kind)
				}
				if e.Backend != tc.backend || e.Path != "a/b" {
					t.Errorf("error Backend %q Path %q; want %q, a/b", e.Backend, e.Path, tc.backend)
				}
				if strings.Contains(err.Error(), canary) {
					t.Errorf("error carries a value: %v", err)
				}
				if got := l.Served(ref); got != "" {
					t.Errorf("Served = %q after a failure", got)
				}
				if tc.kind == runtime.ErrNotFound {
					for _, want := range []string{"[top,below top memory:a/b, below memory:a/b]", "no layer of top,below has it", "add it to one of the layers"} {
						if !strings.Contains(err.Error(), want) {
							t.Errorf("%q does not say %q", err, want)
						}
					}
				}
			})
		}
	}
}

// TestLayersGetManyAsksEachLayerForWhatIsMissing: each layer gets one
// batch read holding only the refs the layers above it did not have, in
// order; a layer below is not asked when nothing is left.
func TestLayersGetManyAsksEachLayerForWhatIsMissing(t *testing.T) {
	env, aws, vault := newRecorder("env"), newRecorder("aws"), newRecorder("vault")
	env.Set("p/1", "env1")
	env.Set("p/4", "env4")
	aws.Set("p/2", "aws2")
	aws.SetError("p/3", &runtime.SecretError{Kind: runtime.ErrAccessDenied})
	vault.Set("p/3", "vault3") // never reached: aws denied it
	vault.Set("p/5", "vault5")
	l := mustLayers(t, env, aws, vault)
	refs := []runtime.Ref{{Path: "p/1"}, {Path: "p/2"}, {Path: "p/3"}, {Path: "p/4"}, {Path: "p/5"}, {Path: "p/6"}}
	res := l.GetMany(t.Context(), refs)

	want := [][][]string{
		{{"p/1", "p/2", "p/3", "p/4", "p/5", "p/6"}},
		{{"p/2", "p/3", "p/5", "p/6"}},
		{{"p/5", "p/6"}},
	}
	for i, r := range []*batchRecorder{env, aws, vault} {
		if got := fmt.Sprint(r.recorded()); got != fmt.Sprint(want[i]) {
			t.Errorf("%s batches %s, want %s", r.Name(), got, fmt.Sprint(want[i]))
		}
	}
	wantServed := []string{"env", "aws", "", "env", "vault", ""}
	wantText := []string{"env1", "aws2", "", "env4", "vault5", ""}
	for i, ref := range refs {
		if got := l.Served(ref); got != wantServed[i] {
			t.Errorf("Served(%s) = %q, want %q", ref.Path, got, wantServed[i])
		}
		if res[i].Value.Text != wantText[i] {
			t.Errorf("%s = %q, want %q", ref.Path, res[i].Value.Text, wantText[i])
		}
	}
	if !errors.Is(res[2].Err, runtime.ErrAccessDenied) || !strings.Contains(res[2].Err.Error(), "[aws memory:p/3]") {
		t.Errorf("p/3: %v; want access denied naming aws", res[2].Err)
	}
	if !errors.Is(res[5].Err, runtime.ErrNotFound) {
		t.Errorf("p/6: %v; want not found", res[5].Err)
	}

	// Everything served by the top layer: no read below.
	env2, aws2 := newRecorder("env"), newRecorder("aws")
	env2.Set("x", "1")
	l2 := mustLayers(t, env2, aws2)
	if res := l2.GetMany(t.Context(), []runtime.Ref{{Path: "x"}}); res[0].Err != nil || len(aws2.recorded()) != 0 {
		t.Errorf("GetMany: %+v; aws batches %v, want none", res, aws2.recorded())
	}
}

// TestLayersDefaultOnlyWhenEveryLayerMisses: through Fetch and Field, an
// optional secret with a default gets the default when no layer has it,
// the lower layer's value when only that one has it, and an error (not the
// default) when a layer fails.
func TestLayersDefaultOnlyWhenEveryLayerMisses(t *testing.T) {
	ref := runtime.Ref{Path: "http/timeout", Type: "duration"}
	load := func(top, below *runtime.Memory) (time.Duration, error) {
		l := mustLayers(t, top, below)
		ld := genimpl.Fetch(t.Context(), l, []runtime.Ref{ref})
		d := genimpl.Default(ld, 0, genimpl.ParseDuration, "30s")
		return d, ld.Err()
	}
	top, below := runtime.NewMemory("env"), runtime.NewMemory("aws")
	if d, err := load(top, below); err != nil || d != 30*time.Second {
		t.Errorf("every layer misses: %v, %v; want the default 30s", d, err)
	}
	below.Set("http/timeout", "5s")
	if d, err := load(top, below); err != nil || d != 5*time.Second {
		t.Errorf("the lower layer has it: %v, %v; want 5s", d, err)
	}
	top.SetError("http/timeout", &runtime.SecretError{Kind: runtime.ErrAccessDenied})
	d, err := load(top, below)
	var le *runtime.LoadError
	if !errors.As(err, &le) || !errors.Is(err, runtime.ErrAccessDenied) || d != 0 {
		t.Fatalf("the top layer is denied: %v, %v; want an access-denied LoadError and no default", d, err)
	}
	if le.Backend != "env,aws" || le.Errors[0].Backend != "env" {
		t.Errorf("LoadError backend %q, entry backend %q; want env,aws and env", le.Backend, le.Errors[0].Backend)
	}

	// An invalid value says which layer served it.
	top2, below2 := runtime.NewMemory("env"), runtime.NewMemory("aws")
	below2.Set("http/timeout", "soon")
	_, err = load(top2, below2)
	if !errors.Is(err, runtime.ErrInvalidValue) || !strings.Contains(err.Error(), "served by aws: memory:http/timeout") {
		t.Errorf("invalid value from aws: %v", err)
	}
}

func TestNewLayersRefuses(t *testing.T) {
	a, a2, comma := runtime.NewMemory("a"), runtime.NewMemory("a"), runtime.NewMemory("a,b")
	for name, ps := range map[string][]runtime.Provider{
		"none":      nil,
		"duplicate": {a, a2},
		"comma":     {comma},
		"empty":     {runtime.NewMemory("")},
		"nil":       {a, nil},
	} {
		if _, err := runtime.NewLayers(ps...); err == nil {
			t.Errorf("%s: NewLayers accepted it", name)
		}
	}
	l := mustLayers(t, runtime.NewMemory("env"), runtime.NewMemory("aws"))
	if l.Name() != "env,aws" || fmt.Sprint(l.Names()) != "[env aws]" {
		t.Errorf("Name %q, Names %v", l.Name(), l.Names())
	}
}

// TestLayersChangedAndClose: Changed forwards any layer's signal, is nil
// when no layer signals, and Close closes every layer (joining their
// errors) and stops the forwarders.
func TestLayersChangedAndClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	plain := runtime.NewMemory("env")
	if ch := mustLayers(t, plain).Changed(); ch != nil {
		t.Error("Changed of layers without signals is not nil")
	}

	a, b := newRecorder("a"), newRecorder("b")
	a.changed, b.changed = make(chan struct{}, 1), make(chan struct{}, 1)
	b.closeErr = errors.New("b failed to close")
	l := mustLayers(t, plain, a, b)
	ch := l.Changed()
	if ch == nil || l.Changed() != ch {
		t.Fatal("Changed is nil or not one channel")
	}
	for _, src := range []chan struct{}{a.changed, b.changed} {
		src <- struct{}{}
		select {
		case <-ch:
		case <-time.After(time.Minute):
			t.Fatal("a layer's change was not forwarded within a minute")
		}
	}
	err := l.Close()
	if err == nil || !strings.Contains(err.Error(), "layer b: b failed to close") {
		t.Errorf("Close: %v", err)
	}
	if err2 := l.Close(); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("second Close: %v", err2)
	}
	if a.closed != 1 || b.closed != 1 {
		t.Errorf("closed a %d, b %d times; want once each", a.closed, b.closed)
	}
}

// TestLayersRefresh: Refresh reaches every layer that is a Refresher and
// forgets the serving layers.
func TestLayersRefresh(t *testing.T) {
	m := runtime.NewMemory("aws")
	m.Set("x", "1")
	c := runtime.NewCache(m, nil)
	l := mustLayers(t, runtime.NewMemory("env"), c)
	if v, err := l.Get(t.Context(), runtime.Ref{Path: "x"}); err != nil || v.Text != "1" {
		t.Fatal(v, err)
	}
	m.Set("x", "2")
	if v, _ := l.Get(t.Context(), runtime.Ref{Path: "x"}); v.Text != "1" {
		t.Fatalf("the cache layer did not cache: %q", v.Text)
	}
	if err := l.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if l.Served(runtime.Ref{Path: "x"}) != "" {
		t.Error("Refresh kept the serving layer")
	}
	if v, _ := l.Get(t.Context(), runtime.Ref{Path: "x"}); v.Text != "2" {
		t.Errorf("after Refresh: %q, want 2", v.Text)
	}
}

func TestLayersPrintNamesOnly(t *testing.T) {
	const canary = "zq7canary-print"
	m := runtime.NewMemory("env")
	m.Set("x", canary)
	l := mustLayers(t, m, runtime.NewMemory("aws"))
	if _, err := l.Get(t.Context(), runtime.Ref{Path: "x"}); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if got := fmt.Sprintf(verb, l); got != "runtime.Layers(env,aws)" {
			t.Errorf("Sprintf(%q) = %q", verb, got)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("p", "layers", l)
	if got := buf.String(); strings.Contains(got, canary) || !strings.Contains(got, `"backend":"env,aws"`) {
		t.Errorf("slog: %s", got)
	}
}

// TestLayersCancelled: a done context stops at the first layer with
// ErrUnavailable, never falling through.
func TestLayersCancelled(t *testing.T) {
	below := runtime.NewMemory("aws")
	below.Set("x", "1")
	l := mustLayers(t, runtime.NewMemory("env"), below)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Get(ctx, runtime.Ref{Path: "x"}); !errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("Get: %v", err)
	}
	if res := l.GetMany(ctx, []runtime.Ref{{Path: "x"}}); !errors.Is(res[0].Err, runtime.ErrUnavailable) {
		t.Errorf("GetMany: %v", res[0].Err)
	}
	if below.Calls("x") != 0 {
		t.Error("the lower layer was read after the context ended")
	}
}

// layersHarness runs the conformance suite over two layers: with top set,
// the values live in the top layer, else in the lower one, so every read
// falls through an empty top layer first.
type layersHarness struct {
	top, below *runtime.Memory
	inTop      bool
}

func (h *layersHarness) Provider(_ context.Context, t *testing.T) runtime.Provider {
	return mustLayers(t, h.top, h.below)
}

func (h *layersHarness) Set(_ context.Context, _ *testing.T, path, text string) {
	if h.inTop {
		h.top.Set(path, text)
	} else {
		h.below.Set(path, text)
	}
}

func (h *layersHarness) Ref(path string) runtime.Ref { return runtime.Ref{Path: path} }

func TestLayersConformance(t *testing.T) {
	for _, inTop := range []bool{true, false} {
		t.Run(fmt.Sprintf("inTop=%v", inTop), func(t *testing.T) {
			providertest.RunConformanceTests(t, func(*testing.T) providertest.Harness {
				return &layersHarness{top: runtime.NewMemory("env"), below: runtime.NewMemory("aws"), inTop: inTop}
			})
		})
	}
}

// TestLiveStatusReportsTheServingLayer: over Layers, each secret's Status
// names the layer that served it, or the layer whose failure it reports.
func TestLiveStatusReportsTheServingLayer(t *testing.T) {
	env, aws := runtime.NewMemory("env"), runtime.NewMemory("aws")
	env.Set("a", "1")
	aws.Set("b", "2")
	aws.Set("c", "3")
	l := mustLayers(t, env, aws)
	c := runtime.NewCache(l, &runtime.CacheOptions{TTL: time.Hour})
	refs := []runtime.Ref{{Path: "a"}, {Path: "b"}, {Path: "c"}}
	load := func(ctx context.Context, p runtime.Provider) (*[3]string, error) {
		ld := genimpl.Fetch(ctx, p, refs)
		var s [3]string
		for i := range refs {
			s[i] = genimpl.Field(ld, i, genimpl.ParseString)
		}
		return &s, ld.Err()
	}
	live, err := runtime.NewLive(t.Context(), c, load, &runtime.LiveOptions{PollInterval: time.Hour, CloseProvider: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	aws.SetError("c", &runtime.SecretError{Kind: runtime.ErrAccessDenied})
	_ = live.RefreshNow(t.Context(), "c")
	st := live.Status()
	if st.Backend != "env,aws" {
		t.Errorf("Status.Backend %q", st.Backend)
	}
	want := map[string]string{"a": "env", "b": "aws", "c": "aws"}
	for _, s := range st.Secrets {
		if s.Backend != want[s.Path] {
			t.Errorf("%s: Backend %q, want %q", s.Path, s.Backend, want[s.Path])
		}
		if s.Path == "c" && !errors.Is(s.Err, runtime.ErrAccessDenied) {
			t.Errorf("c: Err %v, want access denied", s.Err)
		}
	}
}
