package awssm

import (
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// pacer is the start-up pacing of one Adaptive load (one GetMany): how
// fast it may start GetSecretValue calls, and whether it may send a batch.
// A fleet starting at once shares the account's quotas; a replica learns
// how crowded it is only from its own throttles, so:
//
//   - Until a call of the load is throttled, nothing is paced (a small
//     fleet loads as fast as its calls go), except that the first batch is
//     sent alone: its answer tells whether the batch quota is crowded
//     before the others are sent, so a crowded fleet loses one batch a
//     replica to throttling, not five.
//   - The first throttle (of either API) starts pacing GetSecretValue at
//     one call per BackoffBase (20 a second by default), in slow start:
//     the rate doubles every slowStartDoubling BackoffBases (250ms) until a
//     paced call is throttled, which cuts it to a quarter (exitCut).
//   - Then the rate is cut in half by each throttle (once for the calls
//     sent at one rate: the throttles of calls sent before the last cut do
//     not cut it again) and grows while calls succeed by additiveRise
//     calls a second every second (2 by default) and successRise (1 %) a
//     success. The additive part brings the replicas of a fleet to equal
//     shares of the quota (a replica cut low catches up in seconds instead
//     of growing in proportion to its own low rate).
//   - After quietFactor BackoffBases (2s) without a throttle the fleet is
//     winding down (replicas that finished free their share): slow start
//     again, so the last replicas take the quota that was freed.
//   - Calls start at jittered intervals (uniform in [0.5, 1.5) times
//     1/rate), so the replicas of a fleet do not call in step; the growth
//     a success brings counts at most two intervals, so a load held up (a
//     busy machine) does not come back at a rate it never used.
//   - Once paced, the GetSecretValue calls in flight are at most 1 + rate
//     × windowFactor b (rate × 40ms by default), so calls held up on a busy
//     machine do not go out in a bunch when it catches up.
//   - Once paced, at most one batch is in flight, and a throttled batch
//     pauses batching for a long, jittered time (batchPause, up to 16s):
//     BatchGetSecretValue's 100 calls a second are a tenth of a call a
//     second for each of 1,000 replicas, so retrying sooner only adds
//     throttles while GetSecretValue reads the secrets.
//
// The constants were chosen with a model of the fleet (pace_model_test.go)
// and checked with the simulator (internal/testing/fleet, docs/fleet.md).
// Its methods are safe for concurrent use.
type pacer struct {
	base, maxBackoff time.Duration
	rng              *rand.Rand // nil: the global source (a model test seeds its own)

	mu         sync.Mutex
	firstBatch int // 0 none sent, 1 in flight, 2 answered
	batches    int // batches in flight
	gets       int // GetSecretValue calls in flight
	paced      bool
	slowStart  bool
	exited     bool      // the first slow start ended
	rate       float64   // GetSecretValue calls a second, while paced
	grown      time.Time // when the rate last grew (or was cut)
	next       time.Time // the earliest start of the next GetSecretValue
	cut        time.Time // when the rate was last cut
}

// The pacing constants, in units of BackoffBase (b, 50ms by default) and
// MaxBackoff (m, 1s by default).
const (
	slowStartDoubling = 5     // b: the rate doubles every 250ms in slow start
	exitCut           = 0.25  // the first cut, out of slow start
	aimdCut           = 0.5   // every later cut
	additiveRise      = 0.005 // calls a second per second, in 1/b²: 2/s²
	successRise       = 0.01  // and 1% a success
	quietFactor       = 40    // b: slow start again after 2s without a throttle
	maxRateFactor     = 100   // at most 100/b calls a second (2,000)
	minRateFactor     = 4     // at least one call every 4m (4s)
	windowFactor      = 0.8   // b: calls in flight while paced: 1 + rate × 40ms
	// batchPauseFactor and batchPauseMax give the pause of batching after
	// a throttled batch in an Adaptive load: a random time in [0,
	// min(batchPauseFactor b × 2^n, batchPauseMax m)), [0, 16s) by
	// default.
	batchPauseFactor = 320
	batchPauseMax    = 16
)

func newPacer(base, maxBackoff time.Duration, paced bool, now time.Time) *pacer {
	p := &pacer{base: base, maxBackoff: maxBackoff}
	if paced {
		p.start(now)
	}
	return p
}

// start begins pacing at one call per base, in slow start. Call with mu
// held.
func (p *pacer) start(now time.Time) {
	p.paced, p.slowStart = true, true
	p.rate = 1 / p.base.Seconds()
	p.grown, p.cut = now, now
	p.next = now.Add(p.gap())
}

// gap is a jittered interval between two calls at the current rate. Call
// with mu held.
func (p *pacer) gap() time.Duration {
	f := rand.Float64
	if p.rng != nil {
		f = p.rng.Float64
	}
	return time.Duration((0.5 + f()) / p.rate * float64(time.Second))
}

func (p *pacer) maxRate() float64 { return maxRateFactor / p.base.Seconds() }
func (p *pacer) minRate() float64 { return 1 / (minRateFactor * p.maxBackoff.Seconds()) }

// batchOpen reports whether a batch may be sent: not while the first one
// is in flight, and once paced one at a time.
func (p *pacer) batchOpen() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.firstBatch != 1 && (!p.paced || p.batches == 0)
}

// batchSent records a batch sent.
func (p *pacer) batchSent() {
	p.mu.Lock()
	if p.firstBatch == 0 {
		p.firstBatch = 1
	}
	p.batches++
	p.mu.Unlock()
}

// batchDone records a batch's answer.
func (p *pacer) batchDone(now time.Time, throttled bool) {
	p.mu.Lock()
	p.firstBatch = 2
	p.batches--
	if throttled && !p.paced {
		p.start(now)
	}
	p.mu.Unlock()
}

// isPaced reports whether GetSecretValue calls are paced.
func (p *pacer) isPaced() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paced
}

// wait returns how long until a GetSecretValue call may start (0: now),
// or -1 while the calls in flight fill the window (one, and one more for
// every windowFactor BackoffBases of calls at the current rate): a paced
// load never has more calls in flight than its rate needs, so calls held
// up on a busy machine do not go out in a bunch.
func (p *pacer) wait(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !p.paced:
		return 0
	case p.gets >= 1+int(p.rate*windowFactor*p.base.Seconds()):
		return -1
	case !now.Before(p.next):
		return 0
	}
	return p.next.Sub(now)
}

// getSent records a GetSecretValue call started at now (after wait
// returned 0).
func (p *pacer) getSent(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gets++
	if p.paced {
		p.next = later(p.next, now).Add(p.gap())
	}
}

// getDone records the answer of a GetSecretValue call sent at sent.
func (p *pacer) getDone(sent, now time.Time, throttled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gets--
	switch {
	case throttled && !p.paced:
		p.start(now)
	case throttled:
		if sent.Before(p.cut) {
			return // sent at a rate already cut
		}
		cut := aimdCut
		if !p.exited {
			cut, p.exited = exitCut, true
		}
		p.slowStart = false
		p.rate = max(p.rate*cut, p.minRate())
		p.cut, p.grown = now, now
		p.next = later(p.next, now.Add(p.gap()))
	case !p.paced:
	case !p.slowStart && now.Sub(p.cut) > quietFactor*p.base:
		// Quiet for long: the fleet is winding down; grow fast again.
		p.slowStart = true
		p.grown = now
	case p.slowStart:
		p.rate = min(p.rate*math.Exp2(p.since(now)/(slowStartDoubling*p.base.Seconds())), p.maxRate())
		p.grown = now
	default:
		p.rate = min(p.rate*(1+successRise)+additiveRise*p.since(now)/(p.base.Seconds()*p.base.Seconds()), p.maxRate())
		p.grown = now
	}
}

// since returns the seconds since the rate last grew, at most two
// intervals at the current rate: a load whose calls were held up (a busy
// machine, a paused batch) grows as if it had called at its rate, not by
// the time it was held up.
func (p *pacer) since(now time.Time) float64 {
	return min(now.Sub(p.grown).Seconds(), 2/p.rate)
}

// batchPause returns the base and the ceiling of batching's backoff in an
// Adaptive load (see batchPauseFactor).
func batchPause(base, maxBackoff time.Duration) (time.Duration, time.Duration) {
	return batchPauseFactor * base, batchPauseMax * maxBackoff
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
