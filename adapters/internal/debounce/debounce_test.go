package debounce

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestTimer, on synctest's fake clock: a burst fires once, a quiet period
// after its last event; a burst that never stops fires at its bound; New
// with now fires at once.
func TestTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const quiet = 100 * time.Millisecond
		d := New(quiet, false)
		defer d.Stop()
		start := time.Now()
		for range 3 { // events 50 ms apart: one burst
			d.Touch()
			time.Sleep(50 * time.Millisecond)
		}
		<-d.C
		d.Fired()
		if got, want := time.Since(start), 150*time.Millisecond+quiet-50*time.Millisecond; got != want {
			t.Errorf("a burst fired after %v, want %v (a quiet period after its last event)", got, want)
		}
		start = time.Now()
		fired := false
		for !fired { // an event every 50 ms, forever
			d.Touch()
			select {
			case <-d.C:
				fired = true
			case <-time.After(50 * time.Millisecond):
			}
		}
		d.Fired()
		if got, want := time.Since(start), MaxDelayFactor*quiet; got != want {
			t.Errorf("an endless burst fired after %v, want %v (its bound)", got, want)
		}
		n := New(quiet, true)
		defer n.Stop()
		start = time.Now()
		<-n.C
		if got := time.Since(start); got != 0 {
			t.Errorf("New(now) fired after %v, want at once", got)
		}
	})
}
