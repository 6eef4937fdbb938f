package genimpl

import (
	"context"

	"github.com/dashtam/secretsgen/runtime"
)

// Loader holds the results of one Fetch and gathers the problems that Field,
// Optional and Default find. Generated Load functions use it like this:
//
//	l := genimpl.Fetch(ctx, p, refs)
//	s.Database.URL = runtime.NewSecret(genimpl.Field(l, 0, genimpl.ParseURL))
//	s.HTTP.Timeout = genimpl.Default(l, 1, genimpl.ParseDuration, "30s")
//	if err := l.Err(); err != nil {
//		return nil, err
//	}
//
// Call exactly one of Field, Optional or Default for each ref. A Loader is
// not safe for concurrent use.
type Loader struct {
	backend string
	where   func(runtime.Ref) string // nil when the provider is not a Locator
	refs    []runtime.Ref
	results []runtime.Result
	errs    []*runtime.SecretError // errs[i] is the problem with refs[i], if any
}

// Fetch reads every ref from p with runtime.GetMany (one batch read when p
// is a runtime.BatchProvider, else bounded concurrent Get calls), which
// classifies each failure once: a copy of the *runtime.SecretError the
// provider returned with the ref's Path and Type, or a new one of kind
// runtime.ErrUnavailable. Fetch itself never fails: read each value with
// Field, Optional or Default and then call Err.
func Fetch(ctx context.Context, p runtime.Provider, refs []runtime.Ref) *Loader {
	l := &Loader{
		backend: p.Name(),
		refs:    refs,
		results: runtime.GetMany(ctx, p, refs),
		errs:    make([]*runtime.SecretError, len(refs)),
	}
	if loc, ok := p.(runtime.Locator); ok {
		l.where = loc.Where
	}
	for i, res := range l.results {
		if res.Err != nil {
			l.errs[i] = res.Err.(*runtime.SecretError) // classified by GetMany
		}
	}
	return l
}

// Field returns the value of the Loader's i-th ref, a required secret,
// parsed by parse. When it could not be read (absent, access denied,
// unavailable) or parse fails, Field returns the zero value and records a
// *runtime.SecretError with the ref's Path, the backend, the expected Type
// and the kind, which Err reports.
func Field[T any](l *Loader, i int, parse func(string) (T, error)) T {
	if l.errs[i] != nil {
		var zero T
		return zero
	}
	return parseAt(l, i, l.results[i].Value.Text, false, parse)
}

// Optional is Field for an optional secret without a default: when the
// secret is absent (runtime.ErrNotFound) it returns the zero value and
// records nothing.
func Optional[T any](l *Loader, i int, parse func(string) (T, error)) T {
	l.dropNotFound(i)
	return Field(l, i, parse)
}

// Default is Field for a secret with a default: when the secret is absent
// (runtime.ErrNotFound) it returns def parsed by parse. An invalid def (the
// manifest checks it, so only hand-written callers meet this) is reported
// as an invalid value at "manifest default".
func Default[T any](l *Loader, i int, parse func(string) (T, error), def string) T {
	if l.dropNotFound(i) {
		return parseAt(l, i, def, true, parse)
	}
	return Field(l, i, parse)
}

// dropNotFound forgets the i-th ref's error when it is runtime.ErrNotFound
// and reports whether it did.
func (l *Loader) dropNotFound(i int) bool {
	if l.errs[i] != nil && l.errs[i].Kind == runtime.ErrNotFound { // stamped: the kind is said
		l.errs[i] = nil
		return true
	}
	return false
}

// parseAt parses text, the i-th ref's value or (fromDefault) its default,
// and records an invalid value when parse fails.
func parseAt[T any](l *Loader, i int, text string, fromDefault bool, parse func(string) (T, error)) T {
	v, err := parse(text)
	if err == nil {
		return v
	}
	// Where is computed here, on the failure path only: Locators build
	// strings, and a successful Load should not pay for them.
	ref, where := l.refs[i], "manifest default"
	if !fromDefault {
		where = ""
		if l.where != nil {
			where = l.where(ref)
		}
	}
	l.errs[i] = &runtime.SecretError{Path: ref.Path, Backend: l.backend, Kind: runtime.ErrInvalidValue, Where: where, Type: ref.Type, Err: err}
	var zero T
	return zero
}

// Err returns nil when every ref was read and parsed, else a
// *runtime.LoadError listing each failing ref in order.
func (l *Loader) Err() error {
	var errs []*runtime.SecretError
	for _, e := range l.errs {
		if e != nil {
			errs = append(errs, e)
		}
	}
	if errs == nil {
		return nil
	}
	return &runtime.LoadError{Backend: l.backend, Total: len(l.refs), Errors: errs}
}
