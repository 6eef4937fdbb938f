// Package debounce is the quiet-period timer of the adapters' file
// watchers (env's .env files, the files backend's directory): after a burst
// of events it fires once the events have been quiet for a period, and no
// later than MaxDelayFactor periods after the burst began, so that files
// that never stop changing are still read.
package debounce

import "time"

// MaxDelayFactor bounds how long a burst can hold the timer back, in quiet
// periods.
const MaxDelayFactor = 8

// Timer fires on C after a burst of Touch calls has been quiet for the
// period given to New. It is not safe for concurrent use: the watcher's own
// goroutine owns it, and stops it with Stop.
type Timer struct {
	C       <-chan time.Time
	t       *time.Timer
	quiet   time.Duration
	pending bool      // a burst waits for its quiet period to end
	start   time.Time // when that burst began
}

// New returns a Timer with the given quiet period. With now, it fires at
// once, as if a burst had ended (a watcher's first look); else it waits for
// the first Touch.
func New(quiet time.Duration, now bool) *Timer {
	d := &Timer{quiet: quiet}
	if now {
		d.t = time.NewTimer(0)
		d.pending, d.start = true, time.Now()
	} else {
		d.t = time.NewTimer(time.Hour)
		d.t.Stop()
	}
	d.C = d.t.C
	return d
}

// Touch records an event: the timer fires a quiet period from now, or at
// the burst's bound if that comes first.
func (d *Timer) Touch() {
	now := time.Now()
	if !d.pending {
		d.pending, d.start = true, now
	}
	wait := d.quiet
	if left := d.start.Add(MaxDelayFactor * d.quiet).Sub(now); left < wait {
		wait = max(left, 0)
	}
	d.t.Reset(wait)
}

// Fired ends the burst; call it after each receive from C.
func (d *Timer) Fired() { d.pending = false }

// Stop stops the timer.
func (d *Timer) Stop() { d.t.Stop() }
