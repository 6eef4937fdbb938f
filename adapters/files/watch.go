package files

import "time"

// maxDelayFactor bounds how long a burst of changes can hold Changed back:
// a directory that never stops changing still signals every
// maxDelayFactor debounce periods.
const maxDelayFactor = 8

// watch turns the watcher's events into Changed signals: every event (or
// watcher error, which may mean lost events) starts or extends a quiet
// period of p.debounce; when it ends, one signal is sent without blocking.
// It returns when Close closes p.stop.
func (p *Provider) watch() {
	defer close(p.done)
	var (
		timer      = time.NewTimer(time.Hour)
		pending    bool      // an event is waiting for the quiet period to end
		burstStart time.Time // first event of the pending burst
	)
	timer.Stop()
	defer timer.Stop()
	touch := func() {
		now := time.Now()
		if !pending {
			pending, burstStart = true, now
		}
		wait := p.debounce
		if left := burstStart.Add(maxDelayFactor * p.debounce).Sub(now); left < wait {
			wait = max(left, 0)
		}
		timer.Reset(wait)
	}
	events, errs := p.watcher.Events, p.watcher.Errors
	for {
		select {
		case <-p.stop:
			return
		case _, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			touch()
		case _, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			// An overflow drops events: tell the reader to look again.
			touch()
		case <-timer.C:
			pending = false
			select {
			case p.changed <- struct{}{}:
			default: // a signal is already waiting
			}
		}
	}
}
