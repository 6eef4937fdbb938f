package runtime

import "sync"

// broadcast passes the change signals of its sources (the Changed channels
// of the Notifiers below a Cache or a Layers) on to every subscriber. Each
// subscriber has a channel of its own with room for one pending signal: a
// receiver that is behind misses none but the repeats. One goroutine per
// source forwards while there is a subscriber; when every source's channel
// is closed, so are the subscribers'. It is the one change broadcaster of
// this package: Cache and Layers both use it.
type broadcast struct {
	from []Provider // the Notifiers

	mu      sync.Mutex
	asked   bool              // sources holds the Changed channels (asked once, at the first subscription)
	sources []<-chan struct{} // nil: closed, or none
	open    int               // sources not yet closed
	subs    map[chan struct{}]struct{}
	run     chan struct{} // closed to stop the running forwarders; nil when none run
	done    bool          // the subscribers' channels are closed: no more signals
	wg      sync.WaitGroup
}

// newBroadcast returns a broadcast of the Changed channels of the
// Notifiers among ps, or nil when there is none: a nil *broadcast has no
// signals. Changed is first called at the first subscription (the env
// backend starts its file watcher there; a program that only loads never
// subscribes).
func newBroadcast(ps ...Provider) *broadcast {
	var from []Provider
	for _, p := range ps {
		if _, ok := p.(Notifier); ok {
			from = append(from, p)
		}
	}
	if len(from) == 0 {
		return nil
	}
	return &broadcast{from: from, subs: map[chan struct{}]struct{}{}}
}

// subscribe returns a new channel that receives every signal and a func
// that unregisters it (without closing it). The channel is nil (it never
// fires) when no source has a channel, and closed after close.
func (b *broadcast) subscribe() (<-chan struct{}, func()) {
	if b == nil {
		return nil, func() {}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.asked && !b.done {
		b.asked = true
		for _, p := range b.from {
			if src := p.(Notifier).Changed(); src != nil {
				b.sources = append(b.sources, src)
				b.open++
			}
		}
	}
	ch := make(chan struct{}, 1)
	switch {
	case b.done:
		close(ch)
		return ch, func() {}
	case b.open == 0:
		return nil, func() {}
	}
	b.subs[ch] = struct{}{}
	if b.run == nil {
		b.run = make(chan struct{})
		for i, src := range b.sources {
			if src != nil {
				b.wg.Add(1)
				go b.forward(i, src, b.run)
			}
		}
	}
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[ch]; !ok {
			return
		}
		delete(b.subs, ch)
		if len(b.subs) == 0 && b.run != nil {
			close(b.run) // the last one left: nobody to signal
			b.run = nil
		}
	}
}

// forward passes the signals of source i on until run is closed, or until
// the source is closed.
func (b *broadcast) forward(i int, src <-chan struct{}, run chan struct{}) {
	defer b.wg.Done()
	for {
		select {
		case <-run:
			return
		case _, ok := <-src:
			b.mu.Lock()
			if !ok {
				if b.sources[i] == nil { // another forwarder of it saw it close
					b.mu.Unlock()
					return
				}
				b.sources[i] = nil
				if b.open--; b.open == 0 {
					b.closeSubs()
				}
				b.mu.Unlock()
				return
			}
			for ch := range b.subs {
				select {
				case ch <- struct{}{}:
				default: // a signal is pending already
				}
			}
			b.mu.Unlock()
		}
	}
}

// closeSubs closes every subscriber's channel, with b.mu held.
func (b *broadcast) closeSubs() {
	if b.done {
		return
	}
	b.done = true
	for ch := range b.subs {
		close(ch)
	}
	clear(b.subs)
}

// close stops the forwarders, waits for them and closes the subscribers'
// channels. It may be called more than once.
func (b *broadcast) close() {
	if b == nil {
		return
	}
	b.mu.Lock()
	if b.run != nil {
		close(b.run)
		b.run = nil
	}
	b.closeSubs()
	b.mu.Unlock()
	b.wg.Wait()
}
