package foreach_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/internal/foreach"
)

func TestForEach(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ n, limit, wantMax int }{
		{0, 4, 0}, {1, 4, 1}, {10, 1, 1}, {10, 0, 1}, {10, 3, 3}, {3, 10, 3},
	} {
		var mu sync.Mutex
		seen := make([]int, tc.n)
		var inFlight, peak atomic.Int32
		foreach.Run(tc.n, tc.limit, func(i int) {
			cur := inFlight.Add(1)
			for {
				p := peak.Load()
				if cur <= p || peak.CompareAndSwap(p, cur) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
			inFlight.Add(-1)
			mu.Lock()
			seen[i]++
			mu.Unlock()
		})
		for i, c := range seen {
			if c != 1 {
				t.Errorf("n=%d limit=%d: fn(%d) called %d times, want 1", tc.n, tc.limit, i, c)
			}
		}
		if got := int(peak.Load()); got > tc.wantMax || (tc.n > 0 && got < 1) {
			t.Errorf("n=%d limit=%d: %d calls at once, want at most %d", tc.n, tc.limit, got, tc.wantMax)
		}
	}
}
