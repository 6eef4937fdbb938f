package files

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fsnotify/fsnotify"

	debouncepkg "github.com/dashtam/secretsgen/adapters/internal/debounce"
)

// The debounce rules of watch, on synctest's fake clock: the tests over a
// real directory (watch_test.go) cannot check them, because a busy machine
// may pause the goroutine that writes an update, or the one that reads the
// kernel's events, for longer than the debounce period, and then one
// update rightly gives two signals.

// fakeWatch runs p.watch over event and error channels the test feeds,
// and stops it when the test ends.
func fakeWatch(t *testing.T, debounce time.Duration) (p *Provider, events chan fsnotify.Event, errs chan error) {
	events, errs = make(chan fsnotify.Event), make(chan error)
	p = &Provider{
		watcher:  &fsnotify.Watcher{Events: events, Errors: errs},
		debounce: debounce,
		changed:  make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go p.watch()
	t.Cleanup(func() { close(p.stop); <-p.done })
	return p, events, errs
}

// signals returns how many signals wait on p.changed (0 or 1) once every
// goroutine of the bubble is blocked, taking it.
func signals(p *Provider) int {
	synctest.Wait()
	select {
	case <-p.changed:
		return 1
	default:
		return 0
	}
}

// TestWatchOneSignalPerBurst: the events of one update (here five, 10ms
// apart) give one signal, debounce after the last of them, not before.
func TestWatchOneSignalPerBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const debounce = 75 * time.Millisecond
		p, events, _ := fakeWatch(t, debounce)
		for range 5 {
			events <- fsnotify.Event{Name: "..data", Op: fsnotify.Create}
			time.Sleep(10 * time.Millisecond)
		}
		// The last event came 10ms ago.
		time.Sleep(debounce - 10*time.Millisecond - time.Nanosecond)
		if n := signals(p); n != 0 {
			t.Fatal("a signal before the directory was quiet for the debounce period")
		}
		time.Sleep(time.Nanosecond)
		if n := signals(p); n != 1 {
			t.Fatal("no signal when the directory had been quiet for the debounce period")
		}
		time.Sleep(10 * debounce)
		if n := signals(p); n != 0 {
			t.Error("a second signal for one burst of events")
		}
	})
}

// TestWatchSignalPerUpdate: updates further apart than the debounce period
// give a signal each; an error of the watcher (lost events) counts as a
// change.
func TestWatchSignalPerUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const debounce = 75 * time.Millisecond
		p, events, errs := fakeWatch(t, debounce)
		for i := range 3 {
			if i == 1 {
				errs <- errors.New("queue overflow")
			} else {
				events <- fsnotify.Event{Name: "A", Op: fsnotify.Write}
			}
			time.Sleep(debounce)
			if n := signals(p); n != 1 {
				t.Fatalf("update %d: %d signals, want 1", i, n)
			}
		}
	})
}

// TestWatchSignalsUnderSteadyChanges: a directory that never stops
// changing still signals, maxDelayFactor debounce periods after the
// first change of the burst.
func TestWatchSignalsUnderSteadyChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const debounce = 50 * time.Millisecond
		p, events, _ := fakeWatch(t, debounce)
		start := time.Now()
		var first time.Duration
		for time.Since(start) < 3*maxDelayFactor*debounce {
			events <- fsnotify.Event{Name: "A", Op: fsnotify.Write}
			time.Sleep(debounce / 5)
			if signals(p) == 1 && first == 0 {
				first = time.Since(start)
			}
		}
		if first == 0 || first > maxDelayFactor*debounce {
			t.Errorf("first signal after %v of steady changes, want by %v", first, maxDelayFactor*debounce)
		}
	})
}

// TestWatchSignalsCoalesce: signals nobody takes do not pile up or block
// the watcher: one waits, and the watcher goes on signalling.
func TestWatchSignalsCoalesce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const debounce = 20 * time.Millisecond
		p, events, _ := fakeWatch(t, debounce)
		for range 5 {
			events <- fsnotify.Event{Name: "..data", Op: fsnotify.Create}
			time.Sleep(3 * debounce)
		}
		if n := signals(p); n != 1 {
			t.Fatalf("%d signals after five updates nobody took, want 1", n)
		}
		events <- fsnotify.Event{Name: "..data", Op: fsnotify.Create}
		time.Sleep(debounce)
		if n := signals(p); n != 1 {
			t.Fatalf("%d signals after the next update, want 1: the watcher is stuck", n)
		}
	})
}

// maxDelayFactor is the shared quiet-period timer's bound, under a name
// the local debounce variables do not shadow.
const maxDelayFactor = debouncepkg.MaxDelayFactor
