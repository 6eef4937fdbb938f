package env

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/fsnotify/fsnotify"

	"github.com/dashtam/secretsgen/adapters/internal/debounce"
)

// watchState is the .env file watcher, started by the first Changed call.
type watchState struct {
	mu      sync.Mutex
	changed chan struct{} // nil until Changed is first called
	closed  bool          // Close was called: no signal from now on
	watcher *fsnotify.Watcher
	names   map[string]bool // cleaned paths whose events count: the files and their link targets
	ctx     context.Context // cancelled by Close: stops the goroutine and its reread
	cancel  context.CancelFunc
	done    chan struct{} // closed when the goroutine has returned
	err     error         // why the watcher could not start (Changed then never fires)
}

// Changed returns a channel that receives after one of the .env files was
// edited and read again with new contents (see Change events in the
// package documentation); nil when no .env file is in use. The first call
// starts watching; it is the same channel on every call, meant for one
// reader (runtime.Cache passes it on to each of its subscribers), with a
// buffer of one, never blocked on. Close closes it. When the files cannot
// be watched (inotify limits), the channel never receives, and an edit is
// seen after a Refresh (runtime.Cache's Refresh reaches it).
func (p *Provider) Changed() <-chan struct{} {
	if len(p.files) == 0 {
		return nil
	}
	w := &p.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.changed != nil {
		return w.changed
	}
	w.changed = make(chan struct{}, 1)
	if w.closed {
		close(w.changed)
		return w.changed
	}
	if err := p.startWatch(); err != nil {
		w.err = err
		return w.changed
	}
	return w.changed
}

// startWatch watches the directory of every .env file (and of its target,
// when it is a symbolic link): editors save by writing a new file and
// renaming it over the old one, which a watch of the file itself would
// lose. It is called with p.watch.mu held.
func (p *Provider) startWatch() error {
	w := &p.watch
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("env: cannot watch the .env files: %w", err)
	}
	names := map[string]bool{}
	dirs := map[string]bool{}
	for _, file := range p.files {
		paths := []string{filepath.Clean(file)}
		if target, err := filepath.EvalSymlinks(file); err == nil && filepath.Clean(target) != paths[0] {
			paths = append(paths, filepath.Clean(target))
		}
		for _, path := range paths {
			names[path] = true
			dir := filepath.Dir(path)
			if dirs[dir] {
				continue
			}
			dirs[dir] = true
			if err := watcher.Add(dir); err != nil {
				watcher.Close()
				return fmt.Errorf("env: cannot watch the directory of .env file %s: %w", file, err)
			}
		}
	}
	w.watcher, w.names = watcher, names
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.done = make(chan struct{})
	go p.watchLoop()
	return nil
}

// signal makes Changed receive, without blocking, unless Changed was never
// called or Close was.
func (p *Provider) signal() {
	w := &p.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.changed == nil || w.closed {
		return
	}
	select {
	case w.changed <- struct{}{}:
	default: // a signal is already waiting
	}
}

// watchLoop reads the files again once they have been quiet for
// p.debounce after an event that names one of them (or a watcher error,
// which may mean lost events), and once at the start, for an edit made
// between the first read and the first Changed call. reload signals when
// the contents changed. It returns when Close cancels w.ctx.
func (p *Provider) watchLoop() {
	w := &p.watch
	defer close(w.done)
	timer := debounce.New(p.debounce, true) // the first reread: at once
	defer timer.Stop()
	events, errs := w.watcher.Events, w.watcher.Errors
	for {
		select {
		case <-w.ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if w.names[filepath.Clean(ev.Name)] {
				timer.Touch()
			}
		case _, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			timer.Touch() // an overflow drops events: read again
		case <-timer.C:
			timer.Fired()
			// A file that does not read or parse now (a save in
			// progress) keeps the previous contents; the write that
			// completes it is another event.
			_, _ = p.reload(w.ctx)
		}
	}
}

// Close stops watching the .env files and closes the Changed channel. The
// provider can still read afterwards (Get, Refresh). Close may be called
// more than once; it returns the error of stopping the watcher.
func (p *Provider) Close() error {
	w := &p.watch
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	watcher := w.watcher
	if watcher != nil {
		w.cancel()
	}
	w.mu.Unlock()
	var err error
	if watcher != nil {
		if cerr := watcher.Close(); cerr != nil {
			err = fmt.Errorf("env: stop watching the .env files: %w", cerr)
		}
		<-w.done
	}
	w.mu.Lock()
	if w.changed != nil {
		close(w.changed)
	}
	w.mu.Unlock()
	return err
}
