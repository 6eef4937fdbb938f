package fleet

import (
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/awssm"
)

// TestGoals: goals prints a goal line only for rows that ran, with the
// verdict the numbers give, and never a NaN or an infinity.
func TestGoals(t *testing.T) {
	row := func(n int, s awssm.Strategy, bound, all time.Duration, failed int) Result {
		return Result{Config: Config{Replicas: n, Strategy: s}, Bound: bound, AllLoaded: all, Max: all, Failed: failed}
	}
	const line10k = "10000 replicas, adaptive: every replica loaded within 1.3x"
	for _, tc := range []struct {
		name    string
		results []Result
		want    []string
		wantNot []string
	}{
		{
			name:    "10,000 met",
			results: []Result{row(10000, awssm.Adaptive, 83*time.Second, 92*time.Second, 0)},
			want: []string{
				"10000 replicas, adaptive, zero failed loads: 0 failed: met",
				line10k + " of the quota bound 83.00s: all loaded after 92.00s = 1.11x: met",
			},
			wantNot: []string{"1000 replicas, every strategy", "adaptive: throttled", "10 replicas,"},
		},
		{
			name:    "10,000 too slow and failed",
			results: []Result{row(10000, awssm.Adaptive, 83*time.Second, 120*time.Second, 3)},
			want: []string{
				"10000 replicas, adaptive, zero failed loads: 3 failed: NOT met",
				line10k + " of the quota bound 83.00s: all loaded after 120.00s = 1.45x: NOT met",
			},
		},
		{
			name:    "1,000 only: no 10,000 line",
			results: []Result{row(1000, awssm.Adaptive, 8333*time.Millisecond, 10*time.Second, 0)},
			want:    []string{"1000 replicas, every strategy, zero failed loads: 0 failed: met", "adaptive: every replica loaded within 1.3x of the quota bound 8.33s"},
			wantNot: []string{"10000"},
		},
		{
			name:    "10,000 batch-only only: no adaptive 10,000 line",
			results: []Result{row(10000, awssm.BatchOnly, 83*time.Second, 500*time.Second, 0)},
			wantNot: []string{"10000 replicas, adaptive", "1000 replicas, every strategy"},
		},
		{
			name:    "nothing ran",
			wantNot: []string{"replicas"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			goals(&b, tc.results)
			out := b.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("goals lack %q:\n%s", w, out)
				}
			}
			for _, w := range append(tc.wantNot, "NaN", "Inf") {
				if strings.Contains(out, w) {
					t.Errorf("goals print %q:\n%s", w, out)
				}
			}
		})
	}
}
