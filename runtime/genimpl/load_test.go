package genimpl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// settings is what a generated Load fills.
type settings struct {
	URL     Secret[*url.URL]
	Timeout time.Duration
	Hosts   []string
	Port    int
}

var loadRefs = []Ref{
	{Path: "database/url", Type: "url"},
	{Path: "http/timeout", Type: "duration"},           // default 30s
	{Path: "features/allowed_hosts", Type: "[]string"}, // optional
	{Path: "database/port", Type: "int"},
}

// load is what generated code does.
func load(ctx context.Context, p Provider) (*settings, error) {
	l := Fetch(ctx, p, loadRefs)
	s := &settings{
		URL:     NewSecret(Field(l, 0, ParseURL)),
		Timeout: Default(l, 1, ParseDuration, "30s"),
		Hosts:   Optional(l, 2, ParseList(ParseString)),
		Port:    Field(l, 3, ParseInt),
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

func TestLoad(t *testing.T) {
	type failure struct {
		path, kind, where, typ string
	}
	tests := []struct {
		name    string
		set     map[string]string
		errs    map[string]error
		want    *settings
		failed  []failure
		hasText []string // parts of the error message
	}{
		{
			name: "all set",
			set:  map[string]string{"database/url": "postgres://db/app", "http/timeout": "5s", "features/allowed_hosts": "a, b", "database/port": "5432"},
			want: &settings{URL: NewSecret(mustURL("postgres://db/app")), Timeout: 5 * time.Second, Hosts: []string{"a", "b"}, Port: 5432},
		},
		{
			name: "optional absent: default and zero value",
			set:  map[string]string{"database/url": "postgres://db/app", "database/port": "1"},
			want: &settings{URL: NewSecret(mustURL("postgres://db/app")), Timeout: 30 * time.Second, Port: 1},
		},
		{
			name: "every failure listed in ref order",
			set:  map[string]string{"http/timeout": "zq9canary", "database/port": "zq9canary"},
			failed: []failure{
				{"database/url", "not found", "memory:database/url", "url"},
				{"http/timeout", "invalid value", "memory:http/timeout", "duration"},
				{"database/port", "invalid value", "memory:database/port", "int"},
			},
			hasText: []string{
				`3 of 4 secrets failed to load from backend "mem"`,
				"database/url: not found (expected url) [mem memory:database/url]",
				`call Set("database/url", text)`,
				"http/timeout: invalid value (expected duration) [mem memory:http/timeout]: expected a duration in Go syntax",
				"database/port: invalid value (expected int)",
			},
		},
		{
			name: "provider errors keep their kind; others are unavailable",
			set:  map[string]string{"database/url": "postgres://db/app"},
			errs: map[string]error{
				"database/port":          ErrAccessDenied,
				"features/allowed_hosts": &SecretError{Path: "x", Kind: ErrNotFound, Where: "HOSTS", Hint: "set HOSTS"},
				"database/url":           fmt.Errorf("connection refused"),
			},
			failed: []failure{
				{"database/url", "unavailable", "memory:database/url", "url"},
				{"database/port", "access denied", "memory:database/port", "int"},
			},
			hasText: []string{"connection refused"},
		},
		{
			name: "required not found through a wrapped error keeps Where and Hint",
			set:  map[string]string{"database/url": "postgres://db/app"},
			errs: map[string]error{"database/port": fmt.Errorf("wrapped: %w", &SecretError{Path: "other", Backend: "vault", Kind: ErrNotFound, Where: "secret/x#port", Hint: "write it"})},
			failed: []failure{
				{"database/port", "not found", "secret/x#port", "int"},
			},
			hasText: []string{"database/port: not found (expected int) [vault secret/x#port]; write it"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory("mem")
			for p, v := range tt.set {
				m.Set(p, v)
			}
			for p, err := range tt.errs {
				m.SetError(p, err)
			}
			got, err := load(t.Context(), m)
			if tt.failed == nil {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b Secret[*url.URL]) bool {
					return a.Reveal().String() == b.Reveal().String()
				})); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
				return
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *LoadError", err)
			}
			if le.Total != len(loadRefs) || le.Backend != "mem" {
				t.Errorf("Total, Backend = %d, %q; want %d, mem", le.Total, le.Backend, len(loadRefs))
			}
			var failed []failure
			for _, e := range le.Errors {
				failed = append(failed, failure{e.Path, e.Kind.Error(), e.Where, e.Type})
			}
			if diff := cmp.Diff(tt.failed, failed, cmp.AllowUnexported(failure{})); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
			msg := err.Error()
			for _, s := range tt.hasText {
				if !strings.Contains(msg, s) {
					t.Errorf("message does not contain %q:\n%s", s, msg)
				}
			}
			if strings.Contains(msg, "zq9canary") {
				t.Errorf("message contains a value:\n%s", msg)
			}
			for _, kind := range []error{ErrNotFound, ErrInvalidValue, ErrAccessDenied, ErrUnavailable} {
				want := false
				for _, f := range tt.failed {
					want = want || f.kind == kind.Error()
				}
				if errors.Is(err, kind) != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", kind, !want, want)
				}
			}
		})
	}
}

func TestFieldInvalidDefault(t *testing.T) {
	l := Fetch(t.Context(), NewMemory("mem"), []Ref{{Path: "a/b", Type: "int"}})
	if got := Default(l, 0, ParseInt, "x"); got != 0 {
		t.Errorf("Field = %d, want 0", got)
	}
	err := l.Err()
	if !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), "manifest default") {
		t.Errorf("Err() = %v, want an invalid manifest default", err)
	}
}

// TestFetchCancelled: every ref fails with its Path and Type, unavailable
// and wrapping ctx's error, in the *LoadError. (runtime's GetMany tests
// cover batches, the bound on concurrent Gets and a cancellation while
// Gets are in flight.)
func TestFetchCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	refs := make([]Ref, 40)
	for i := range refs {
		refs[i] = Ref{Path: fmt.Sprintf("p/%d", i), Type: "string"}
	}
	l := Fetch(ctx, NewMemory("mem"), refs)
	var le *LoadError
	if !errors.As(l.Err(), &le) {
		t.Fatalf("Err() = %v, want a *LoadError", l.Err())
	}
	if len(le.Errors) != len(refs) {
		t.Errorf("%d failures, want %d", len(le.Errors), len(refs))
	}
	for i, e := range le.Errors {
		if e.Path != refs[i].Path || !errors.Is(e, ErrUnavailable) || !errors.Is(e, context.Canceled) || e.Type != "string" {
			t.Errorf("failure %d = %#v, want %s unavailable, context.Canceled", i, e, refs[i].Path)
		}
	}
}

func BenchmarkFetchField100(b *testing.B) {
	m := NewMemory("mem")
	refs := make([]Ref, 100)
	for i := range refs {
		refs[i] = Ref{Path: fmt.Sprintf("service/key_%d", i), Type: "int"}
		m.Set(refs[i].Path, fmt.Sprint(i))
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l := Fetch(ctx, m, refs)
		sum := 0
		for i := range refs {
			sum += Field(l, i, ParseInt)
		}
		if l.Err() != nil || sum != 4950 {
			b.Fatal(l.Err(), sum)
		}
	}
}
