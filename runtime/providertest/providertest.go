// Package providertest is the conformance suite that every runtime.Provider
// passes: the env, aws and vault adapters, runtime.Memory, runtime.Cache and
// generated fakes.
//
// An adapter's test supplies a Harness, which writes secrets into the
// backend (a real server started by the test) and builds the provider under
// test, and calls RunConformanceTests:
//
//	func TestConformance(t *testing.T) {
//		providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
//			return &harness{srv: startServer(t)}
//		})
//	}
//
// Every subtest writes under its own random path below "conformance/", so
// harnesses backed by one shared server do not collide. Run it with -race:
// one subtest reads concurrently.
package providertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// Harness connects the suite to one backend.
type Harness interface {
	// Provider returns the provider under test, reading the secrets Set wrote.
	Provider(ctx context.Context, t *testing.T) runtime.Provider
	// Set creates or overwrites the secret at logical path with text (the backend's text form).
	Set(ctx context.Context, t *testing.T, path, text string)
	// Ref returns the Ref that reads path (e.g. with the env name filled in).
	Ref(path string) runtime.Ref
}

// timeout bounds each subtest, so a hung backend fails the test instead of
// stalling it.
const timeout = 60 * time.Second

// RunConformanceTests runs the suite as subtests of t. newHarness is called
// once per subtest.
func RunConformanceTests(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	tests := []struct {
		name string
		run  func(ctx context.Context, t *testing.T, h Harness)
	}{
		{"Name", testName},
		{"Value", testValue},
		{"EmptyValue", testEmptyValue},
		{"SpecialCharacters", testSpecialCharacters},
		{"NotFound", testNotFound},
		{"Overwrite", testOverwrite},
		{"RefreshThroughCache", testRefreshThroughCache},
		{"CancelledContext", testCancelledContext},
		{"GetMany", testGetMany},
		{"Concurrent", testConcurrent},
		{"Locator", testLocator},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			tc.run(ctx, t, newHarness(t))
		})
	}
}

// uniquePath returns a fresh path "conformance/<name>-<random>/<leaf>" that
// satisfies the manifest's path rule.
func uniquePath(t *testing.T, name, leaf string) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "conformance/" + name + "-" + hex.EncodeToString(b[:]) + "/" + leaf
}

// get reads path and fails the test on error.
func get(ctx context.Context, t *testing.T, p runtime.Provider, h Harness, path string) string {
	t.Helper()
	v, err := p.Get(ctx, h.Ref(path))
	if err != nil {
		t.Fatalf("Get(%s): %v", path, err)
	}
	return v.Text
}

func testName(ctx context.Context, t *testing.T, h Harness) {
	if h.Provider(ctx, t).Name() == "" {
		t.Error("Name() is empty; it is the backend name used in messages")
	}
}

func testValue(ctx context.Context, t *testing.T, h Harness) {
	path := uniquePath(t, "value", "url")
	const want = "postgres://app:pw@db:5432/app"
	h.Set(ctx, t, path, want)
	p := h.Provider(ctx, t)
	if got := get(ctx, t, p, h, path); got != want {
		t.Errorf("Get(%s) = %q, want %q", path, got, want)
	}
}

func testEmptyValue(ctx context.Context, t *testing.T, h Harness) {
	path := uniquePath(t, "empty", "value")
	h.Set(ctx, t, path, "")
	p := h.Provider(ctx, t)
	if got := get(ctx, t, p, h, path); got != "" {
		t.Errorf("Get(%s) = %q, want the empty string", path, got)
	}
}

func testSpecialCharacters(ctx context.Context, t *testing.T, h Harness) {
	texts := []string{
		"line one\nline two\n",
		`{"username":"app","password":"p\"w"}`,
		"  spaces around  ",
		"unicode: äöü ✓ 秘密",
		"a=b; c='d' $HOME `x` #hash",
	}
	paths := make([]string, len(texts))
	for i, text := range texts {
		paths[i] = uniquePath(t, "special", fmt.Sprintf("v%d", i))
		h.Set(ctx, t, paths[i], text)
	}
	p := h.Provider(ctx, t)
	for i, want := range texts {
		if got := get(ctx, t, p, h, paths[i]); got != want {
			t.Errorf("Get(%s) = %q, want %q", paths[i], got, want)
		}
	}
}

// checkNotFound checks that err, p's answer for the missing ref, is a
// not-found error (a *runtime.SecretError of kind runtime.ErrNotFound: the
// adapter says the kind), and that the error runtime builds from it names
// the path and p's backend.
func checkNotFound(ctx context.Context, t *testing.T, p runtime.Provider, err error, ref runtime.Ref) {
	t.Helper()
	if err == nil {
		t.Fatalf("Get(%s) of a missing secret succeeded", ref.Path)
	}
	var e *runtime.SecretError
	if !errors.As(err, &e) {
		t.Errorf("Get(%s) error %q is not a *runtime.SecretError", ref.Path, err)
	} else if e.Kind != runtime.ErrNotFound {
		t.Errorf("Get(%s) error %q is of kind %v, want runtime.ErrNotFound", ref.Path, err, e.Kind)
	}
	stamped := runtime.GetMany(ctx, p, []runtime.Ref{ref})[0].Err
	if !errors.Is(stamped, runtime.ErrNotFound) {
		t.Errorf("runtime.GetMany(%s) error %q is not runtime.ErrNotFound", ref.Path, stamped)
	} else if msg := stamped.Error(); !strings.Contains(msg, ref.Path) || !strings.Contains(msg, p.Name()) {
		t.Errorf("runtime.GetMany(%s) error %q does not name the path and the backend %q", ref.Path, msg, p.Name())
	}
}

func testNotFound(ctx context.Context, t *testing.T, h Harness) {
	present := uniquePath(t, "notfound", "present")
	missing := uniquePath(t, "notfound", "missing")
	h.Set(ctx, t, present, "zq9canary-notfound")
	p := h.Provider(ctx, t)
	_, err := p.Get(ctx, h.Ref(missing))
	checkNotFound(ctx, t, p, err, h.Ref(missing))
	if err != nil && strings.Contains(err.Error(), "zq9canary") {
		t.Errorf("not-found error contains another secret's value: %q", err)
	}
}

func testOverwrite(ctx context.Context, t *testing.T, h Harness) {
	path := uniquePath(t, "overwrite", "key")
	h.Set(ctx, t, path, "v1")
	h.Set(ctx, t, path, "v2")
	p := h.Provider(ctx, t)
	if got := get(ctx, t, p, h, path); got != "v2" {
		t.Errorf("Get(%s) after two Sets = %q, want the second value %q", path, got, "v2")
	}
}

// testRefreshThroughCache checks that a rotated value is seen through
// runtime.Cache after Refresh, and directly (after Refresh when the provider
// is a Refresher).
func testRefreshThroughCache(ctx context.Context, t *testing.T, h Harness) {
	path := uniquePath(t, "refresh", "key")
	h.Set(ctx, t, path, "before")
	p := h.Provider(ctx, t)
	c := runtime.NewCache(p, nil)
	if got := get(ctx, t, c, h, path); got != "before" {
		t.Fatalf("cached Get(%s) = %q, want %q", path, got, "before")
	}
	h.Set(ctx, t, path, "after")
	if got := get(ctx, t, c, h, path); got != "before" {
		t.Errorf("cached Get(%s) before Refresh = %q, want the cached %q", path, got, "before")
	}
	if err := c.Refresh(ctx); err != nil {
		t.Fatalf("Cache.Refresh: %v", err)
	}
	if got := get(ctx, t, c, h, path); got != "after" {
		t.Errorf("cached Get(%s) after Refresh = %q, want %q", path, got, "after")
	}
	if r, ok := p.(runtime.Refresher); ok {
		if err := r.Refresh(ctx); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
	}
	if got := get(ctx, t, p, h, path); got != "after" {
		t.Errorf("Get(%s) after rotation = %q, want %q", path, got, "after")
	}
}

func testCancelledContext(ctx context.Context, t *testing.T, h Harness) {
	path := uniquePath(t, "cancel", "key")
	h.Set(ctx, t, path, "zq9canary-cancel")
	p := h.Provider(ctx, t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	v, err := p.Get(cctx, h.Ref(path))
	if err == nil {
		t.Fatalf("Get(%s) with a cancelled context succeeded", path)
	}
	if !errors.Is(err, runtime.ErrUnavailable) && !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled context: error %q is neither runtime.ErrUnavailable nor context.Canceled", err)
	}
	if v.Text != "" {
		t.Errorf("Get with a cancelled context returned a value along with its error")
	}
	if strings.Contains(err.Error(), "zq9canary") {
		t.Errorf("error contains the secret value: %q", err)
	}
}

func testGetMany(ctx context.Context, t *testing.T, h Harness) {
	a, b := uniquePath(t, "many", "a"), uniquePath(t, "many", "b")
	missing := uniquePath(t, "many", "missing")
	h.Set(ctx, t, a, "value-a")
	h.Set(ctx, t, b, "value-b")
	p := h.Provider(ctx, t)
	bp, ok := p.(runtime.BatchProvider)
	if !ok {
		t.Skipf("%T is not a runtime.BatchProvider", p)
	}
	if got := bp.GetMany(ctx, nil); len(got) != 0 {
		t.Errorf("GetMany(nil) returned %d results, want 0", len(got))
	}
	refs := []runtime.Ref{h.Ref(b), h.Ref(missing), h.Ref(a), h.Ref(b)}
	res := bp.GetMany(ctx, refs)
	if len(res) != len(refs) {
		t.Fatalf("GetMany of %d refs returned %d results", len(refs), len(res))
	}
	for i, want := range []string{"value-b", "", "value-a", "value-b"} {
		if i == 1 {
			checkNotFound(ctx, t, p, res[i].Err, h.Ref(missing))
			continue
		}
		if res[i].Err != nil {
			t.Errorf("GetMany result %d (%s): %v", i, refs[i].Path, res[i].Err)
		} else if res[i].Value.Text != want {
			t.Errorf("GetMany result %d (%s) = %q, want %q", i, refs[i].Path, res[i].Value.Text, want)
		}
	}
}

func testConcurrent(ctx context.Context, t *testing.T, h Harness) {
	const paths, readers = 4, 16
	var ps [paths]string
	for i := range ps {
		ps[i] = uniquePath(t, "concurrent", fmt.Sprintf("k%d", i))
		h.Set(ctx, t, ps[i], fmt.Sprintf("value-%d", i))
	}
	p := h.Provider(ctx, t)
	var wg sync.WaitGroup
	errs := make(chan error, readers*paths)
	for r := range readers {
		wg.Go(func() {
			for j := range paths {
				i := (r + j) % paths
				v, err := p.Get(ctx, h.Ref(ps[i]))
				if err == nil && v.Text != fmt.Sprintf("value-%d", i) {
					err = fmt.Errorf("Get(%s) = %q, want %q", ps[i], v.Text, fmt.Sprintf("value-%d", i))
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testLocator(ctx context.Context, t *testing.T, h Harness) {
	p := h.Provider(ctx, t)
	l, ok := p.(runtime.Locator)
	if !ok {
		t.Skipf("%T is not a runtime.Locator", p)
	}
	path := uniquePath(t, "locator", "key")
	if l.Where(h.Ref(path)) == "" {
		t.Errorf("Where(%s) is empty", path)
	}
}
