package awstest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
	"github.com/google/go-cmp/cmp"
)

// Color is an enum type for the type tables of the adapters' tests.
type Color string

// DBCredentials is a struct type read from a JSON secret in the type
// tables of the adapters' tests.
type DBCredentials struct {
	Username, Password string
	Port               int
}

// ParseCredentials parses a DBCredentials as generated code does.
func ParseCredentials(s string) (any, error) {
	o, err := genimpl.ParseObject(s)
	if err != nil {
		return nil, err
	}
	c := DBCredentials{
		Username: genimpl.Member(o, "username", genimpl.ParseString),
		Password: genimpl.Member(o, "password", genimpl.ParseString),
		Port:     genimpl.Member(o, "port", genimpl.ParseInt),
	}
	return c, o.Err()
}

// Load reads refs from p the way generated code does (genimpl.Fetch, then
// Field with parsers[i] for refs[i]) and returns the parsed values; it
// stops t when the load fails.
func Load(t *testing.T, ctx context.Context, p runtime.Provider, refs []runtime.Ref, parsers []func(string) (any, error)) []any {
	t.Helper()
	l := genimpl.Fetch(ctx, p, refs)
	got := make([]any, len(refs))
	for i := range refs {
		got[i] = genimpl.Field(l, i, parsers[i])
	}
	if err := l.Err(); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return got
}

// Want is what one ref's result must be: the text, or an error of Kind
// whose message contains each of Msg (and no value with it).
type Want struct {
	Ref  runtime.Ref
	Text string
	Kind error
	Msg  []string
}

// CheckResults checks res, the results of reading the Refs of wants in
// order, against wants.
func CheckResults(t *testing.T, wants []Want, res []runtime.Result) {
	t.Helper()
	for i, w := range wants {
		if w.Kind == nil {
			if res[i].Err != nil || res[i].Value.Text != w.Text {
				t.Errorf("%s: got %q, %v; want %q", w.Ref.Path, res[i].Value.Text, res[i].Err, w.Text)
			}
			continue
		}
		if !errors.Is(res[i].Err, w.Kind) {
			t.Errorf("%s: error %v, want kind %v", w.Ref.Path, res[i].Err, w.Kind)
			continue
		}
		if res[i].Value != (runtime.Value{}) {
			t.Errorf("%s: value %q with the error, want none", w.Ref.Path, res[i].Value.Text)
		}
		for _, m := range w.Msg {
			if !strings.Contains(res[i].Err.Error(), m) {
				t.Errorf("%s: error %q does not contain %q", w.Ref.Path, res[i].Err, m)
			}
		}
	}
}

// Refs returns the Refs of wants, in order.
func Refs(wants []Want) []runtime.Ref {
	refs := make([]runtime.Ref, len(wants))
	for i, w := range wants {
		refs[i] = w.Ref
	}
	return refs
}

// ReadsAfterStop calls stop (which stops the server p reads from) and
// checks that reading refs then fails as unavailable, through GetMany and
// Get, with a 1.5 s deadline. It logs how long the reads took; it fails
// only when they outlast the deadline by a minute (a hang: a busy machine
// may well take seconds more).
func ReadsAfterStop(t *testing.T, ctx context.Context, p runtime.BatchProvider, refs []runtime.Ref, stop func()) {
	t.Helper()
	stop()
	const deadline = 1500 * time.Millisecond
	dctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	start := time.Now()
	res := p.GetMany(dctx, refs)
	_, getErr := p.Get(dctx, refs[0])
	elapsed := time.Since(start)
	for i, r := range res {
		if !errors.Is(r.Err, runtime.ErrUnavailable) {
			t.Errorf("GetMany result %d after the stop: error %v, want unavailable", i, r.Err)
		}
	}
	if !errors.Is(getErr, runtime.ErrUnavailable) {
		t.Errorf("Get after the stop: error %v, want unavailable", getErr)
	}
	t.Logf("reads after the stop failed after %v (deadline %v)", elapsed.Round(time.Millisecond), deadline)
	if elapsed > deadline+time.Minute {
		t.Errorf("reads after the stop took %v, beyond the %v deadline", elapsed, deadline)
	}
}

// LoadOneMissing loads refs, whose values are i*7 for refs[i] except the
// missing refs[missing], the way generated code does, checks the values
// and that the load failed for refs[missing] only, as not found, and
// returns that error.
func LoadOneMissing(t *testing.T, ctx context.Context, p runtime.Provider, refs []runtime.Ref, missing int) *runtime.SecretError {
	t.Helper()
	l := genimpl.Fetch(ctx, p, refs)
	for i := range refs {
		if got := genimpl.Field(l, i, genimpl.ParseInt); i != missing && got != i*7 {
			t.Errorf("%s = %d, want %d", refs[i].Path, got, i*7)
		}
	}
	var le *runtime.LoadError
	if err := l.Err(); !errors.As(err, &le) {
		t.Fatalf("Load error %v, want a *runtime.LoadError", err)
	}
	if len(le.Errors) != 1 || le.Errors[0].Path != refs[missing].Path || !errors.Is(le.Errors[0], runtime.ErrNotFound) {
		t.Fatalf("Load error %q, want only %s not found", le, refs[missing].Path)
	}
	return le.Errors[0]
}

// CheckTypes reads refs from p the way generated code does, then one by
// one with Get, and checks that each value parses with parsers[i] to
// wants[i]. badVersion says what is wrong with the Version of a Get result
// ("" when nothing is).
func CheckTypes(t *testing.T, ctx context.Context, p runtime.Provider, refs []runtime.Ref, parsers []func(string) (any, error), wants []any, badVersion func(version string) string) {
	t.Helper()
	got := Load(t, ctx, p, refs, parsers)
	for i, ref := range refs {
		if diff := cmp.Diff(wants[i], got[i]); diff != "" {
			t.Errorf("%s (%s): -want +got\n%s", ref.Path, ref.Type, diff)
		}
	}
	for i, ref := range refs {
		v, err := p.Get(ctx, ref)
		if err != nil {
			t.Errorf("Get(%s): %v", ref.Path, err)
			continue
		}
		if g, err := parsers[i](v.Text); err != nil || !cmp.Equal(wants[i], g) {
			t.Errorf("Get(%s) text does not parse to %v (err %v)", ref.Path, wants[i], err)
		}
		if bad := badVersion(v.Version); bad != "" {
			t.Errorf("Get(%s): %s", ref.Path, bad)
		}
	}
}
