package runtime

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// timedBatch records when each GetMany after the first load happened.
type timedBatch struct {
	*Memory
	mu    sync.Mutex
	times []time.Time
}

func (b *timedBatch) GetMany(ctx context.Context, refs []Ref) []Result {
	b.mu.Lock()
	b.times = append(b.times, time.Now())
	b.mu.Unlock()
	res := make([]Result, len(refs))
	for i, r := range refs {
		res[i].Value, res[i].Err = b.Memory.Get(ctx, r)
	}
	return res
}

func (b *timedBatch) polls() []time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]time.Time(nil), b.times[1:]...) // times[0] is the first load
}

// TestLivePollJitter: Lives started at the same moment (a deploy) make
// their first polls spread over the first interval, not all at its end,
// and then poll every interval, keeping their places. It runs on
// synctest's fake clock: the times it checks are the Lives' own timers,
// exact however busy the machine is.
func TestLivePollJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			n        = 40
			interval = 400 * time.Millisecond
		)
		backends := make([]*timedBatch, n)
		var loads atomic.Int64
		start := time.Now()
		for i := range backends {
			b := &timedBatch{Memory: NewMemory("mem")}
			b.Set("db/user", "u0")
			b.Set("db/pass", "p0")
			b.Set("http/port", "8080")
			backends[i] = b
			l, err := NewLive(t.Context(), NewCache(b, nil), loadDB(&loads), &LiveOptions{PollInterval: interval, CloseProvider: true})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
		}
		time.Sleep(2*interval + interval/2)
		synctest.Wait()
		var quarters [4]int
		for i, b := range backends {
			polls := b.polls()
			if len(polls) < 2 {
				t.Fatalf("Live %d polled %d times in 2.5 intervals, want 2 or more", i, len(polls))
			}
			first := polls[0].Sub(start)
			if first <= 0 || first > interval {
				t.Errorf("Live %d first polled after %v, want within one interval (%v)", i, first, interval)
			}
			quarters[min(int((first-1)*4/interval), 3)]++
			if gap := polls[1].Sub(polls[0]); gap != interval {
				t.Errorf("Live %d polled again %v after its first poll, want the interval (%v)", i, gap, interval)
			}
		}
		t.Logf("first polls of %d Lives started together, per quarter of the interval: %v", n, quarters)
		for q, c := range quarters {
			if c == 0 {
				t.Errorf("no Live polled first in quarter %d of the interval: %v (the polls are not spread)", q+1, quarters)
			}
		}
	})
}
