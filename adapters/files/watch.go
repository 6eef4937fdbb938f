package files

import "github.com/dashtam/secretsgen/adapters/internal/debounce"

// watch turns the watcher's events into Changed signals: every event (or
// watcher error, which may mean lost events) starts or extends a quiet
// period of p.debounce; when it ends, one signal is sent without blocking.
// It returns when Close closes p.stop.
func (p *Provider) watch() {
	defer close(p.done)
	timer := debounce.New(p.debounce, false)
	defer timer.Stop()
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
			timer.Touch()
		case _, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			// An overflow drops events: tell the reader to look again.
			timer.Touch()
		case <-timer.C:
			timer.Fired()
			select {
			case p.changed <- struct{}{}:
			default: // a signal is already waiting
			}
		}
	}
}
