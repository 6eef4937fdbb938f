// Package foreach runs a function over an index range with bounded
// concurrency, for the runtime and the adapters of this module.
package foreach

import (
	"sync"
	"sync/atomic"
)

// Run calls fn(i) for every i in [0, n), at most limit calls at once
// (limit < 1 means 1), and returns when all have returned. runtime.GetMany uses it for
// providers without a batch read, and adapters use it to bound the requests
// of one GetMany. fn must be safe to call from several goroutines.
func Run(n, limit int, fn func(i int)) {
	workers := min(max(limit, 1), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}
