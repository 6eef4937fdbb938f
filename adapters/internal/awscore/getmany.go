package awscore

import "github.com/dashtam/secretsgen/runtime"

// Fetch is what reading one target (a secret or parameter version)
// produced: the service's answer V, or the failure. It holds a secret
// value: never print it.
type Fetch[V any] struct {
	Done  bool // read, or failed; false: not answered yet
	Value V
	Fail  *Failure // nil on success
}

// Value turns f, what was fetched for ref, into ref's result: the error of
// the failure (see Core.fail), or what extract makes of the answer, which
// is an invalid value when extract fails (its error names what was wrong,
// never the value). extract may cache in the answer (a decoded JSON
// object), so f must not be shared between goroutines.
func Value[V any](c *Core, ref runtime.Ref, f *Fetch[V], extract func(*V, runtime.Ref) (runtime.Value, error)) (runtime.Value, error) {
	if f.Fail != nil {
		return runtime.Value{}, c.fail(ref, f.Fail)
	}
	v, err := extract(&f.Value, ref)
	if err != nil {
		return runtime.Value{}, c.fail(ref, &Failure{Kind: runtime.ErrInvalidValue, Cause: err})
	}
	return v, nil
}

// GetMany is the frame of an AWS adapter's GetMany: each distinct target of
// refs (by target) is fetched once, by fetchAll, which fills fetched[i] for
// targets[i]; then Value turns the fetch of each ref into its result, in
// one goroutine (extract may cache the decoded JSON object of a secret in
// the fetch for the next ref that reads a member of it). Results are in the
// order of refs.
func GetMany[T comparable, V any](c *Core, refs []runtime.Ref, target func(runtime.Ref) T, fetchAll func(targets []T, fetched []Fetch[V]), extract func(*V, runtime.Ref) (runtime.Value, error)) []runtime.Result {
	index := make(map[T]int)
	var targets []T
	refTarget := make([]int, len(refs))
	for i, ref := range refs {
		t := target(ref)
		j, ok := index[t]
		if !ok {
			j = len(targets)
			index[t] = j
			targets = append(targets, t)
		}
		refTarget[i] = j
	}

	fetched := make([]Fetch[V], len(targets))
	fetchAll(targets, fetched)

	results := make([]runtime.Result, len(refs))
	for i, ref := range refs {
		v, err := Value(c, ref, &fetched[refTarget[i]], extract)
		results[i] = runtime.Result{Value: v, Err: err}
	}
	return results
}
