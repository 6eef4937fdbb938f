package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/dashtam/secretsgen/runtime"
)

// terminal returns w when it is a terminal (a *os.File whose descriptor
// is one), else nil: check's progress line goes to a terminal only, never
// into a log or a pipe.
func terminal(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return w
	}
	return nil
}

// progressEvery is how often the progress line is redrawn.
const progressEvery = 100 * time.Millisecond

// progress draws one line on a terminal while check waits for its
// backends: the elapsed time and, per layer, how many secrets it has
// answered, e.g. "checking 10 secrets: env 10/10, aws 4/6 (1.2s)". It is
// erased when check is done. A nil *progress draws nothing. The line holds
// counts and names only, never a value.
type progress struct {
	w      io.Writer
	total  int
	start  time.Time
	layers []*layerCount
	done   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

type layerCount struct {
	name            string
	asked, answered atomic.Int64
}

// newProgress starts the line on w, or returns nil when w is nil.
func newProgress(w io.Writer, total int, layers []string) *progress {
	if w == nil {
		return nil
	}
	p := &progress{w: w, total: total, start: time.Now(), done: make(chan struct{})}
	for _, name := range layers {
		p.layers = append(p.layers, &layerCount{name: name})
	}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer p.wg.Done()
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	for {
		p.draw()
		select {
		case <-p.done:
			fmt.Fprint(p.w, "\r\033[K") // erase the line
			return
		case <-t.C:
		}
	}
}

// line is the progress text.
func (p *progress) line() string {
	var parts []string
	for _, l := range p.layers {
		if asked := l.asked.Load(); asked > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/%d", l.name, l.answered.Load(), asked))
		} else {
			parts = append(parts, l.name+" connecting")
		}
	}
	return fmt.Sprintf("checking %d secrets: %s (%s)", p.total, strings.Join(parts, ", "), time.Since(p.start).Round(100*time.Millisecond))
}

func (p *progress) draw() { fmt.Fprint(p.w, "\r\033[K"+p.line()) }

// stop erases the line and waits for the drawing goroutine; safe to call
// more than once and on nil.
func (p *progress) stop() {
	if p == nil {
		return
	}
	p.once.Do(func() { close(p.done) })
	p.wg.Wait()
}

// watch wraps the layer provider pr so that its reads count on the line;
// without a line it returns pr itself.
func (p *progress) watch(pr runtime.Provider) runtime.Provider {
	if p == nil {
		return pr
	}
	for _, l := range p.layers {
		if l.name == pr.Name() {
			return &counted{Provider: pr, c: l}
		}
	}
	return pr
}

// counted is a layer provider that counts the secrets asked of it and
// answered. It keeps the layer's Where and Close.
type counted struct {
	runtime.Provider
	c *layerCount
}

func (c *counted) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	c.c.asked.Add(1)
	defer c.c.answered.Add(1)
	return c.Provider.Get(ctx, ref)
}

func (c *counted) GetMany(ctx context.Context, refs []runtime.Ref) []runtime.Result {
	c.c.asked.Add(int64(len(refs)))
	defer c.c.answered.Add(int64(len(refs)))
	return runtime.GetMany(ctx, c.Provider, refs)
}

func (c *counted) Where(ref runtime.Ref) string {
	if l, ok := c.Provider.(runtime.Locator); ok {
		return l.Where(ref)
	}
	return ""
}

func (c *counted) Close() error {
	if cl, ok := c.Provider.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}
