package awssm

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestPacerOperations drives one pacer with seeded random sequences of
// what a load does (send and answer batches, send GetSecretValue calls
// when wait allows, answer them throttled or not, let time pass) and
// checks its rules after every step.
func TestPacerOperations(t *testing.T) {
	base, maxBackoff := DefaultBackoffBase, DefaultMaxBackoff
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		p := newPacer(base, maxBackoff, false, now)
		p.rng = rng
		type call struct{ sent time.Time }
		var gets []call
		batches := 0
		throttledOnce := false
		for step := range 300 {
			fail := func(format string, args ...any) {
				t.Helper()
				t.Fatalf("seed %d step %d: "+format, append([]any{seed, step}, args...)...)
			}
			wasPaced, rate, cut := p.paced, p.rate, p.cut
			switch op := rng.IntN(6); op {
			case 0: // a batch, when the pacer lets one go
				if p.batchOpen() {
					p.batchSent()
					batches++
				}
			case 1: // a batch answers
				if batches > 0 {
					batches--
					th := rng.IntN(2) == 0
					throttledOnce = throttledOnce || th
					p.batchDone(now, th)
					if th && !p.paced {
						fail("a throttled batch did not start pacing")
					}
				}
			case 2: // a GetSecretValue call, when wait allows it
				if w := p.wait(now); w == 0 {
					p.getSent(now)
					gets = append(gets, call{now})
				} else if w > 0 && !p.paced {
					fail("unpaced, wait = %s", w)
				}
			case 3, 4: // a call answers
				if len(gets) == 0 {
					break
				}
				i := rng.IntN(len(gets))
				c := gets[i]
				gets = append(gets[:i], gets[i+1:]...)
				th := rng.IntN(3) == 0
				throttledOnce = throttledOnce || th
				p.getDone(c.sent, now, th)
				switch {
				case th && wasPaced && c.sent.Before(cut) && p.rate != rate:
					fail("a throttle of a call sent before the last cut changed the rate %.2f -> %.2f", rate, p.rate)
				case th && wasPaced && p.rate > rate:
					fail("a throttle raised the rate %.2f -> %.2f", rate, p.rate)
				case !th && p.rate < rate:
					fail("a success lowered the rate %.2f -> %.2f", rate, p.rate)
				}
			case 5:
				now = now.Add(time.Duration(rng.IntN(200)) * time.Millisecond)
			}
			if wasPaced && !p.paced {
				fail("pacing stopped")
			}
			if p.paced != throttledOnce {
				fail("paced %v, a throttle seen %v", p.paced, throttledOnce)
			}
			if p.paced && (p.rate < p.minRate() || p.rate > p.maxRate()) {
				fail("rate %.2f outside [%.2f, %.2f]", p.rate, p.minRate(), p.maxRate())
			}
			if p.gets != len(gets) || p.batches != batches {
				fail("pacer counts %d gets, %d batches in flight; %d and %d are", p.gets, p.batches, len(gets), batches)
			}
			if window := 1 + int(p.rate*windowFactor*base.Seconds()); p.paced && len(gets) > window && p.wait(now) >= 0 {
				fail("%d calls in flight, window %d, and wait lets another go", len(gets), window)
			}
			if p.firstBatch == 1 && p.batchOpen() {
				fail("a second batch may go while the first is in flight")
			}
		}
	}
}

// TestPacerUnpacedUntilThrottle: a load that is never throttled is never
// held back, beyond sending its first batch alone.
func TestPacerUnpacedUntilThrottle(t *testing.T) {
	now := time.Now()
	p := newPacer(DefaultBackoffBase, DefaultMaxBackoff, false, now)
	if !p.batchOpen() {
		t.Fatal("the first batch may not go")
	}
	p.batchSent()
	if p.batchOpen() {
		t.Fatal("a second batch may go before the first answered")
	}
	p.batchDone(now, false)
	for range 8 {
		p.batchSent()
		p.getSent(now)
		if !p.batchOpen() || p.wait(now) != 0 {
			t.Fatal("an unthrottled load is held back")
		}
	}
	if p.isPaced() {
		t.Fatal("paced without a throttle")
	}
	q := newPacer(DefaultBackoffBase, DefaultMaxBackoff, true, now)
	if !q.isPaced() || q.wait(now) <= 0 {
		t.Fatal("a load started after a recent throttle is not paced")
	}
}
