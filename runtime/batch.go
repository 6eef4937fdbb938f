package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/dashtam/secretsgen/internal/foreach"
)

// maxConcurrentGets bounds the Get calls GetMany runs at once on a provider
// that is not a BatchProvider.
const maxConcurrentGets = 16

// GetMany reads every ref from p: with one GetMany call when p is a
// BatchProvider, otherwise with up to 16 concurrent Get calls. It returns
// one Result per ref, in order; a ref not started before ctx is done fails
// with ErrUnavailable. Every failure is classified: its Err is a
// *SecretError with the ref's Path and Type (a copy of the *SecretError the
// provider's error is or wraps, else a new one of kind ErrUnavailable).
func GetMany(ctx context.Context, p Provider, refs []Ref) []Result {
	res := getAll(ctx, p, refs)
	for i := range res {
		if res[i].Err != nil {
			res[i].Err = classify(res[i].Err, refs[i], p.Name())
		}
	}
	return res
}

// getAll is GetMany without the classification of failures.
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
	foreach.Run(len(refs), maxConcurrentGets, func(i int) {
		if err := ctx.Err(); err != nil {
			res[i].Err = &SecretError{Path: refs[i].Path, Backend: p.Name(), Kind: ErrUnavailable, Err: err}
			return
		}
		res[i].Value, res[i].Err = p.Get(ctx, refs[i])
	})
	return res
}

// classify turns a provider's error into a *SecretError for ref: a copy of
// the *SecretError it is or wraps (keeping its Kind, Where, Hint and cause)
// with ref's Path and Type, or a new one of kind ErrUnavailable. GetMany
// (and through it genimpl.Fetch, for Load) and Live use it.
func classify(err error, ref Ref, backend string) *SecretError {
	var e *SecretError
	if errors.As(err, &e) {
		c := *e
		c.Path, c.Type = ref.Path, ref.Type
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
