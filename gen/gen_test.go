package gen_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dashtam/secretsgen/gen"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/providertest"
)

// settingsCmp compares Settings. runtime.Secret has an Equal method, which
// go-cmp uses; URLs outside a Secret are compared by their text, and nil
// and empty slices are alike (both have the same text form).
var settingsCmp = cmp.Options{
	cmp.Comparer(func(a, b *url.URL) bool {
		if a == nil || b == nil {
			return a == b
		}
		return a.String() == b.String()
	}),
	cmpopts.EquateEmpty(),
}

func TestSampleRoundTrip(t *testing.T) {
	want := gen.SampleSettings()
	got, err := gen.Load(t.Context(), gen.NewFake(want))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, settingsCmp); diff != "" {
		t.Errorf("Load(NewFake(SampleSettings())) differs (-want +got):\n%s", diff)
	}
	// The comparison must see secret values: a different one must differ.
	other := gen.SampleSettings()
	other.Schwab.APISecret = runtime.NewSecret("different")
	if cmp.Equal(want, other, settingsCmp) {
		t.Error("settingsCmp does not compare secret values")
	}
}

// TestRandomRoundTrip checks Load(ctx, NewFake(s)) == s for many random s.
func TestRandomRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		want := randomSettings(r)
		got, err := gen.Load(t.Context(), gen.NewFake(want))
		if err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
		if diff := cmp.Diff(want, got, settingsCmp); diff != "" {
			t.Fatalf("iteration %d: Load(NewFake(s)) differs (-want +got):\n%s", i, diff)
		}
	}
}

func randomSettings(r *rand.Rand) *gen.Settings {
	s := new(gen.Settings)
	s.Database.URL = runtime.NewSecret(randomURL(r))
	s.Database.MaxConns = r.IntN(1000) - 10
	s.Schwab.APIKey = runtime.NewSecret(randomString(r))
	s.Schwab.APISecret = runtime.NewSecret(randomString(r))
	s.Schwab.RedirectURI = randomURL(r)
	var key []byte // empty bytes load as nil, and Secret.Equal tells nil from empty
	for range r.IntN(64) {
		key = append(key, byte(r.Uint32()))
	}
	s.App.SecretKey = runtime.NewSecret(key)
	levels := []gen.AppLogLevel{gen.AppLogLevelDebug, gen.AppLogLevelInfo, gen.AppLogLevelWarn, gen.AppLogLevelError}
	s.App.LogLevel = levels[r.IntN(len(levels))]
	s.HTTP.Port = r.IntN(1 << 16)
	s.HTTP.Timeout = time.Duration(r.Int64N(int64(24 * time.Hour)))
	for range r.IntN(5) {
		s.Features.AllowedHosts = append(s.Features.AllowedHosts, randomString(r))
	}
	return s
}

// randomString returns valid UTF-8 text with the characters that upset
// naive encodings: commas, quotes, brackets, backslashes, spaces, newlines.
func randomString(r *rand.Rand) string {
	const alphabet = `abcXYZ019 ,"'[]{}\=:;#$` + "\n\té€😀"
	runes := []rune(alphabet)
	var b strings.Builder
	for range r.IntN(20) {
		b.WriteRune(runes[r.IntN(len(runes))])
	}
	return b.String()
}

func randomURL(r *rand.Rand) *url.URL {
	u := &url.URL{Scheme: "https", Host: fmt.Sprintf("h%d.example.com:%d", r.IntN(100), 1+r.IntN(65535)), Path: "/p" + fmt.Sprint(r.IntN(1000))}
	if r.IntN(2) == 0 {
		u.User = url.UserPassword("user", fmt.Sprintf("pw%d", r.IntN(1000)))
	}
	if r.IntN(2) == 0 {
		u.RawQuery = url.Values{"sslmode": {"disable"}, "q": {randomString(r)}}.Encode()
	}
	return u
}

// TestFakeDefaults checks the absent cases of NewFake: an empty Fake gives
// the defaults of optional settings and a not-found error for each
// required secret; a nil required URL is left absent.
func TestFakeDefaults(t *testing.T) {
	_, err := gen.Load(t.Context(), gen.NewFake(nil))
	var le *runtime.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("Load(NewFake(nil)) error = %v, want a *runtime.LoadError", err)
	}
	var failed []string
	for _, e := range le.Errors {
		if !errors.Is(e, runtime.ErrNotFound) {
			t.Errorf("%s: %v, want not found", e.Path, e)
		}
		failed = append(failed, e.Path)
	}
	want := []string{gen.PathDatabaseURL, gen.PathSchwabAPIKey, gen.PathSchwabAPISecret, gen.PathSchwabRedirectURI, gen.PathAppSecretKey}
	if diff := cmp.Diff(want, failed); diff != "" {
		t.Errorf("failing paths (-want +got):\n%s", diff)
	}

	f := gen.NewFake(gen.SampleSettings())
	for _, p := range []string{gen.PathDatabaseMaxConns, gen.PathAppLogLevel, gen.PathHTTPPort, gen.PathHTTPTimeout, gen.PathFeaturesAllowedHosts} {
		f.Delete(p)
	}
	s, err := gen.Load(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if s.Database.MaxConns != 10 || s.App.LogLevel != gen.AppLogLevelInfo || s.HTTP.Port != 8080 || s.HTTP.Timeout != 30*time.Second || s.Features.AllowedHosts != nil {
		t.Errorf("defaults: got %d %s %d %v %q", s.Database.MaxConns, s.App.LogLevel, s.HTTP.Port, s.HTTP.Timeout, s.Features.AllowedHosts)
	}

	f.SetSchwabRedirectURI(nil)
	_, err = gen.Load(t.Context(), f)
	if !errors.Is(err, runtime.ErrNotFound) || !strings.Contains(err.Error(), gen.PathSchwabRedirectURI) {
		t.Errorf("after SetSchwabRedirectURI(nil): %v, want not found for %s", err, gen.PathSchwabRedirectURI)
	}
}

// TestFakeErrorsAndRotation uses the Memory methods a Fake inherits.
func TestFakeErrorsAndRotation(t *testing.T) {
	ctx := t.Context()
	f := gen.NewFake(gen.SampleSettings())
	f.SetError(gen.PathSchwabAPISecret, runtime.ErrAccessDenied)
	f.SetRaw(gen.PathHTTPTimeout, "soon-canary")
	_, err := gen.Load(ctx, f)
	if !errors.Is(err, runtime.ErrAccessDenied) || !errors.Is(err, runtime.ErrInvalidValue) {
		t.Errorf("error = %v, want access denied and invalid value", err)
	}
	if strings.Contains(err.Error(), "soon-canary") {
		t.Errorf("error contains the value: %v", err)
	}
	f.SetError(gen.PathSchwabAPISecret, nil)
	f.SetHTTPTimeout(time.Minute)

	// Through the cache of a composition root: a rotated value is seen
	// after Refresh.
	c := runtime.NewCache(f, nil)
	s, err := gen.Load(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	f.SetSchwabAPISecret("rotated")
	if s, _ := gen.Load(ctx, c); s.Schwab.APISecret.Reveal() == "rotated" {
		t.Error("the cache served the rotated value before Refresh")
	}
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if s2, err := gen.Load(ctx, c); err != nil || s2.Schwab.APISecret.Reveal() != "rotated" {
		t.Errorf("after Refresh: %v, %v; want the rotated value", err, s2)
	}
	// One Get by the first Load, then one per cache fill.
	if s.HTTP.Timeout != time.Minute || f.Calls(gen.PathHTTPTimeout) != 3 {
		t.Errorf("timeout %v, calls %d; want 1m0s and 3", s.HTTP.Timeout, f.Calls(gen.PathHTTPTimeout))
	}
}

// TestFakeConformance runs the provider conformance suite on Fake.
func TestFakeConformance(t *testing.T) {
	providertest.RunConformanceTests(t, func(t *testing.T) providertest.Harness {
		return &fakeHarness{f: gen.NewFake(nil)}
	})
}

type fakeHarness struct{ f *gen.Fake }

func (h *fakeHarness) Provider(context.Context, *testing.T) runtime.Provider  { return h.f }
func (h *fakeHarness) Set(_ context.Context, _ *testing.T, path, text string) { h.f.SetRaw(path, text) }
func (h *fakeHarness) Ref(path string) runtime.Ref                            { return runtime.Ref{Path: path} }

// TestSecretsRedacted prints loaded settings every way a program might and
// checks that no sensitive value shows.
func TestSecretsRedacted(t *testing.T) {
	s := gen.SampleSettings()
	s.Schwab.APISecret = runtime.NewSecret("canary-api-secret")
	s.App.SecretKey = runtime.NewSecret([]byte("canary-key"))
	s, err := gen.Load(t.Context(), gen.NewFake(s))
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, s)
		if strings.Contains(out, "canary") || !strings.Contains(out, runtime.Redacted) {
			t.Errorf("%s of Settings: %s", verb, out)
		}
	}
}

func ExampleNewFake() {
	ctx := context.Background()
	sample := gen.SampleSettings()
	sample.HTTP.Port = 9090
	s, err := gen.Load(ctx, gen.NewFake(sample))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.HTTP.Port, s.HTTP.Timeout, s.App.LogLevel)
	fmt.Println(s.Schwab.APISecret)
	fmt.Println(s.Schwab.APISecret.Reveal())
	// Output:
	// 9090 30s info
	// [REDACTED]
	// sample-schwab-api_secret
}

func ExampleLoad() {
	ctx := context.Background()
	f := gen.NewFake(gen.SampleSettings())
	f.Delete(gen.PathSchwabAPISecret)
	f.SetRaw(gen.PathHTTPTimeout, "soon")
	_, err := gen.Load(ctx, f)
	fmt.Println(err)
	fmt.Println(errors.Is(err, runtime.ErrNotFound), errors.Is(err, runtime.ErrInvalidValue))
	// Output:
	// secrets: 2 of 10 secrets failed to load from backend "fake":
	// 	schwab/api_secret: not found (expected string) [fake memory:schwab/api_secret]; call Set("schwab/api_secret", text)
	// 	http/timeout: invalid value (expected duration) [fake memory:http/timeout]: expected a duration in Go syntax, such as 30s or 1h30m
	// true true
}
