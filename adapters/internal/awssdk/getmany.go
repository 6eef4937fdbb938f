package awssdk

import "github.com/dashtam/secretsgen/runtime"

// GetMany is the frame of an AWS adapter's GetMany: each distinct target of
// refs (by target) is fetched once, by fetchAll, which fills fetched[i] for
// targets[i]; then value turns the fetch of each ref into its result, in
// one goroutine (value may cache the decoded JSON object of a secret in the
// fetch for the next ref that reads a member of it). Results are in the
// order of refs.
func GetMany[T comparable, F any](refs []runtime.Ref, target func(runtime.Ref) T, fetchAll func(targets []T, fetched []F), value func(runtime.Ref, *F) (runtime.Value, error)) []runtime.Result {
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

	fetched := make([]F, len(targets))
	fetchAll(targets, fetched)

	results := make([]runtime.Result, len(refs))
	for i, ref := range refs {
		v, err := value(ref, &fetched[refTarget[i]])
		results[i] = runtime.Result{Value: v, Err: err}
	}
	return results
}
