package awssm

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// A discrete-event model of a fleet of Adaptive loads starting at once,
// in virtual time: each replica's pacer and batch gate exactly as a load
// uses them (at most 8 calls in flight, the first batch alone, pending
// secrets to GetSecretValue while batching pauses), against one token
// bucket per API holding a second of quota, a service time of 20ms and
// throttles answered after 1ms. No HTTP and no wall clock: a fleet of
// 1,000 runs in a fraction of a second, so the pacing constants can be
// checked in every go test. Seeded, so a failure reproduces.
// internal/testing/fleet runs the same deploys through the SDK and HTTP.

type modelEvent struct {
	at        time.Time
	rep       int
	kind      int // modelWake, modelGet or modelBatch
	sent      time.Time
	n         int
	throttled bool
}

const (
	modelWake = iota
	modelGet
	modelBatch
)

type modelQueue []modelEvent

func (q modelQueue) Len() int           { return len(q) }
func (q modelQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q modelQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *modelQueue) Push(x any)        { *q = append(*q, x.(modelEvent)) }
func (q *modelQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

type modelBucket struct {
	rate, tokens, capacity float64
	last                   time.Time
}

func (b *modelBucket) take(now time.Time) bool {
	b.tokens = min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

type modelReplica struct {
	pace              *pacer
	gate              gate
	pending, inFlight int
	left              int
	doneAt, wakeAt    time.Time
}

type modelResult struct {
	getCalls, getThrottles, batchCalls, batchThrottles int
	all, bound                                         time.Duration
}

func (r modelResult) throttledShare() float64 {
	return float64(r.getThrottles+r.batchThrottles) / float64(r.getCalls+r.batchCalls)
}

func (r modelResult) String() string {
	return fmt.Sprintf("GetSecretValue %d calls (%d throttled), BatchGetSecretValue %d (%d throttled): %.1f%% throttled; all loaded after %.2fs = %.2fx the bound %.2fs",
		r.getCalls, r.getThrottles, r.batchCalls, r.batchThrottles, 100*r.throttledShare(), r.all.Seconds(), r.all.Seconds()/r.bound.Seconds(), r.bound.Seconds())
}

// runModel starts replicas loads of secrets each at once against the
// quotas getQ and batchQ (calls a second, buckets holding burst of
// quota, at least one call) with the default backoff.
func runModel(seed uint64, replicas, secrets int, getQ, batchQ float64, burst time.Duration) modelResult {
	const concurrency = 8
	service, throttleRTT := 20*time.Millisecond, time.Millisecond
	base, maxBackoff := DefaultBackoffBase, DefaultMaxBackoff
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(seed, 1))
	capacity := func(q float64) float64 { return max(1, q*burst.Seconds()) }
	getB := &modelBucket{rate: getQ, tokens: capacity(getQ), capacity: capacity(getQ), last: t0}
	batchB := &modelBucket{rate: batchQ, tokens: capacity(batchQ), capacity: capacity(batchQ), last: t0}
	reps := make([]*modelReplica, replicas)
	var q modelQueue
	for i := range reps {
		reps[i] = &modelReplica{pace: newPacer(base, maxBackoff, false, t0), pending: secrets, left: secrets}
		reps[i].pace.rng, reps[i].gate.rng = rng, rng
		heap.Push(&q, modelEvent{at: t0, rep: i})
	}
	var res modelResult
	call := func(i int, now time.Time, b *modelBucket, kind, n int) {
		ok := b.take(now)
		d := service
		if !ok {
			d = throttleRTT
		}
		heap.Push(&q, modelEvent{at: now.Add(d), rep: i, kind: kind, sent: now, n: n, throttled: !ok})
	}
	// try starts the calls replica i may start at now (what load.next
	// decides for its workers), or schedules a wake-up.
	try := func(i int, now time.Time) {
		r := reps[i]
		for r.inFlight < concurrency && r.pending > 0 {
			batchWait := time.Duration(-1)
			if r.pace.batchOpen() {
				batchWait = r.gate.wait(now)
			}
			getPending := batchWait != 0 && (batchWait > 0 || r.pace.isPaced())
			getWait := r.pace.wait(now)
			switch {
			case batchWait == 0:
				n := min(MaxBatchSize, r.pending)
				r.pending -= n
				r.inFlight++
				r.pace.batchSent()
				res.batchCalls++
				call(i, now, batchB, modelBatch, n)
				continue
			case getPending && getWait == 0:
				r.pending--
				r.inFlight++
				r.pace.getSent(now)
				res.getCalls++
				call(i, now, getB, modelGet, 1)
				continue
			}
			wait := time.Duration(-1)
			if getPending {
				wait = getWait
			}
			if getWait < 0 && getPending {
				return // the window is full: a call's answer tries again
			}
			if batchWait > 0 && (wait <= 0 || batchWait < wait) {
				wait = batchWait
			}
			if wait > 0 && (!r.wakeAt.After(now) || now.Add(wait).Before(r.wakeAt)) {
				r.wakeAt = now.Add(wait)
				heap.Push(&q, modelEvent{at: r.wakeAt, rep: i})
			}
			return
		}
	}
	var last time.Time
	for q.Len() > 0 {
		e := heap.Pop(&q).(modelEvent)
		r := reps[e.rep]
		switch e.kind {
		case modelGet:
			r.inFlight--
			r.pace.getDone(e.sent, e.at, e.throttled)
			if e.throttled {
				res.getThrottles++
				r.pending++
			} else {
				r.left--
			}
		case modelBatch:
			r.inFlight--
			if e.throttled {
				res.batchThrottles++
				b, c := batchPause(base, maxBackoff)
				r.gate.throttled(e.at, b, c)
				r.pending += e.n
			} else {
				r.gate.ok()
				r.left -= e.n
			}
			r.pace.batchDone(e.at, e.throttled)
		}
		if r.left == 0 && r.doneAt.IsZero() {
			r.doneAt = e.at
			last = later(last, e.at)
		}
		try(e.rep, e.at)
	}
	for i, r := range reps {
		if r.doneAt.IsZero() {
			panic(fmt.Sprintf("replica %d never loaded: %d left", i, r.left))
		}
	}
	res.all = last.Sub(t0)
	res.bound = time.Duration(float64(replicas*secrets) / (getQ + MaxBatchSize*batchQ) * float64(time.Second))
	return res
}

// TestPaceModel: 10, 100 and 1,000 replicas x 100 secrets starting at
// once at the default quotas (GetSecretValue 10,000/s, batches 100/s).
// 10 replicas make the five batches each that batch-only makes, nothing
// throttled; 1,000 replicas have under 10% of their calls throttled and
// all load within 1.3 times the quota bound (the goal), over
// several seeds.
func TestPaceModel(t *testing.T) {
	for seed := range uint64(3) {
		quiet := runModel(seed, 10, 100, 10000, 100, time.Second)
		if quiet.batchCalls != 50 || quiet.getCalls != 0 || quiet.batchThrottles != 0 {
			t.Errorf("seed %d, 10 replicas: %s; want 50 batch calls and nothing else", seed, quiet)
		}
		mid := runModel(seed, 100, 100, 10000, 100, time.Second)
		if mid.getThrottles != 0 || mid.all > 2*mid.bound {
			t.Errorf("seed %d, 100 replicas: %s; want no GetSecretValue throttled, all loaded within twice the bound", seed, mid)
		}
		big := runModel(seed, 1000, 100, 10000, 100, time.Second)
		if big.throttledShare() >= 0.10 || big.all > 13*big.bound/10 {
			t.Errorf("seed %d, 1000 replicas: %s; want under 10%% throttled, all loaded within 1.3x the bound", seed, big)
		}
		short := runModel(seed, 5, 100, 250, 2.5, 100*time.Millisecond)
		t.Logf("seed %d\n   10: %s\n  100: %s\n 1000: %s\n short: %s", seed, quiet, mid, big, short)
	}
}
