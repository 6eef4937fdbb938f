package runtime

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"
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
			res[i].Err = stamp(res[i].Err, refs[i], p)
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
	var g errgroup.Group
	g.SetLimit(maxConcurrentGets)
	for i := range refs {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				res[i].Err = unavailable(p, refs[i], err)
				return nil
			}
			res[i].Value, res[i].Err = p.Get(ctx, refs[i])
			return nil
		})
	}
	_ = g.Wait()
	return res
}

// stamp is the one place that turns what a provider said about a failed
// read into the *SecretError users see: a copy of the *SecretError err is
// or wraps (an adapter's Fail or FailBackend: kind, cause, hint) with ref's
// Path and Type, the backend name and location when the adapter did not
// set them (p's Name, p's Where for ref), and ErrUnavailable for a kind
// not said; any other error becomes an ErrUnavailable wrapping it. GetMany
// (and through it genimpl.Fetch, for Load), the Cache, Layers and Live use
// it.
func stamp(err error, ref Ref, p Provider) *SecretError {
	var c SecretError
	if e := (*SecretError)(nil); errors.As(err, &e) {
		c = *e
	} else if k, ok := err.(Kind); ok {
		c = SecretError{Kind: k} // a bare kind says it all
	} else {
		c = SecretError{Kind: kindOf(err), Err: err} // a cause that wraps a kind keeps it
	}
	c.Path, c.Type = ref.Path, ref.Type
	if c.Backend == "" {
		c.Backend = p.Name()
	}
	if c.Where == "" {
		c.Where = where(p, ref)
	}
	if c.Kind == 0 {
		c.Kind = ErrUnavailable
	}
	return &c
}

// where returns p's location of ref, or "".
func where(p Provider, ref Ref) string {
	if loc, ok := p.(Locator); ok {
		return loc.Where(ref)
	}
	return ""
}

// unavailable is the error of a read of ref that did not reach p: ctx was
// done first (or a Live was closed).
func unavailable(p Provider, ref Ref, cause error) *SecretError {
	return stamp(&SecretError{Kind: ErrUnavailable, Err: cause}, ref, p)
}
