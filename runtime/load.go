package runtime

import (
	"context"
	"errors"
	"fmt"
)

// maxConcurrentGets bounds the Get calls Fetch runs at once on a provider
// that is not a BatchProvider.
const maxConcurrentGets = 16

// Loader holds the results of one Fetch and gathers the problems that Field
// finds. Generated Load functions use it like this:
//
//	l := runtime.Fetch(ctx, p, refs)
//	s.Database.URL = runtime.NewSecret(runtime.Field(l, 0, runtime.ParseURL))
//	s.HTTP.Timeout = runtime.Field(l, 1, runtime.ParseDuration)
//	if err := l.Err(); err != nil {
//		return nil, err
//	}
//
// A Loader is not safe for concurrent use.
type Loader struct {
	backend string
	where   func(Ref) string // nil when the provider is not a Locator
	refs    []Ref
	results []Result
	errs    []*SecretError // errs[i] is the problem with refs[i], if any
}

// Fetch reads every ref from p: with one GetMany call when p is a
// BatchProvider, otherwise with up to 16 concurrent Get calls. Refs that are
// not started before ctx is done fail with ErrUnavailable. Fetch itself never
// fails: read each value with Field and then call Err.
func Fetch(ctx context.Context, p Provider, refs []Ref) *Loader {
	l := &Loader{
		backend: p.Name(),
		refs:    refs,
		results: getAll(ctx, p, refs),
		errs:    make([]*SecretError, len(refs)),
	}
	if loc, ok := p.(Locator); ok {
		l.where = loc.Where
	}
	for i, res := range l.results {
		ref := refs[i]
		if res.Err == nil || (ref.Optional && errors.Is(res.Err, ErrNotFound)) {
			continue
		}
		l.errs[i] = classify(res.Err, ref, l.backend)
	}
	return l
}

// classify turns a provider's error into an *SecretError for ref: a copy of the
// *SecretError it is or wraps (keeping its Kind, Where, Hint and cause), or a new
// one of kind ErrUnavailable. Path is ref.Path and Type ref.Type.
func classify(err error, ref Ref, backend string) *SecretError {
	var e *SecretError
	if errors.As(err, &e) {
		c := *e
		c.Path = ref.Path
		c.Type = ref.Type
		if c.Backend == "" {
			c.Backend = backend
		}
		if c.Kind == nil {
			c.Kind = ErrUnavailable
		}
		return &c
	}
	return &SecretError{Path: ref.Path, Backend: backend, Kind: ErrUnavailable, Type: ref.Type, Err: err}
}

// getAll reads refs from p, with GetMany when p is a BatchProvider,
// otherwise with bounded concurrent Get calls.
func getAll(ctx context.Context, p Provider, refs []Ref) []Result {
	if bp, ok := p.(BatchProvider); ok {
		res := bp.GetMany(ctx, refs)
		if len(res) != len(refs) {
			err := fmt.Errorf("provider %s returned %d results for %d secrets", p.Name(), len(res), len(refs))
			res = make([]Result, len(refs))
			for i := range res {
				res[i].Err = err
			}
		}
		return res
	}
	return getConcurrent(ctx, p, refs)
}

// getConcurrent calls p.Get for each ref with at most maxConcurrentGets calls
// at once. A ref not started before ctx is done gets ctx's error.
func getConcurrent(ctx context.Context, p Provider, refs []Ref) []Result {
	res := make([]Result, len(refs))
	ForEach(len(refs), maxConcurrentGets, func(i int) {
		if err := ctx.Err(); err != nil {
			res[i].Err = &SecretError{Path: refs[i].Path, Backend: p.Name(), Kind: ErrUnavailable, Err: err}
			return
		}
		res[i].Value, res[i].Err = p.Get(ctx, refs[i])
	})
	return res
}

// Field returns the value of the Loader's i-th ref parsed by parse.
//
// When the secret is absent and the ref is optional, Field returns the
// parsed Ref.Default when HasDefault, else the zero value. When it could not
// be read (absent and required, access denied, unavailable) or parse fails,
// Field returns the zero value and records an *SecretError with the ref's Path,
// the backend, the expected Type and the kind, which Err reports.
func Field[T any](l *Loader, i int, parse func(string) (T, error)) T {
	var zero T
	if l.errs[i] != nil {
		return zero
	}
	ref, res := l.refs[i], l.results[i]
	text, fromDefault := res.Value.Text, false
	if res.Err != nil { // optional and not found
		if !ref.HasDefault {
			return zero
		}
		text, fromDefault = ref.Default, true
	}
	v, err := parse(text)
	if err != nil {
		// Where is computed here, on the failure path only: Locators build
		// strings, and a successful Load should not pay for them.
		where := "manifest default"
		if !fromDefault {
			where = ""
			if l.where != nil {
				where = l.where(ref)
			}
		}
		l.errs[i] = &SecretError{Path: ref.Path, Backend: l.backend, Kind: ErrInvalidValue, Where: where, Type: ref.Type, Err: err}
		return zero
	}
	return v
}

// Err returns nil when every ref was read and parsed, else a *LoadError
// listing each failing ref in order.
func (l *Loader) Err() error {
	var errs []*SecretError
	for _, e := range l.errs {
		if e != nil {
			errs = append(errs, e)
		}
	}
	if errs == nil {
		return nil
	}
	return &LoadError{Backend: l.backend, Total: len(l.refs), Errors: errs}
}
