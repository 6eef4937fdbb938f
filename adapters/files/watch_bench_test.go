package files_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/runtime"
)

// BenchmarkUpdateSeen measures what the tests only log: the time from the
// start of a kubelet ..data swap to the Changed signal after which a read
// sees the new values, with the default debounce (files.DefaultDebounce).
// It reports the slowest update as max-ms and fails above the goal
// of a second; run it on a quiet machine:
//
//	go test -run '^$' -bench UpdateSeen ./adapters/files
func BenchmarkUpdateSeen(b *testing.B) {
	dir := b.TempDir()
	vol := newKubeVolume(b, dir, pair(0))
	p := mustNew(b, dir, nil)
	refs := []runtime.Ref{ref("USERNAME"), ref("PASSWORD")}
	var slowest time.Duration
	n := 0
	for b.Loop() {
		n++
		start := time.Now()
		vol.update(pair(n))
		for {
			<-p.Changed()
			res := p.GetMany(b.Context(), refs)
			if res[0].Value.Text == "user-v"+strconv.Itoa(n) && res[1].Value.Text == "pass-v"+strconv.Itoa(n) {
				break
			}
		}
		slowest = max(slowest, time.Since(start))
	}
	b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(files.DefaultDebounce.Microseconds())/1000, "debounce-ms")
	if slowest > time.Second {
		b.Errorf("an update was seen %v after it began, want within a second", slowest)
	}
}
