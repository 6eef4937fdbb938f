package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// Layers is a Provider over an ordered list of providers, the layers
// (SECRETS_BACKEND=env,aws): each secret is taken from the first layer that
// has it.
//
// The rule: a layer that answers "not found" (an error matching
// ErrNotFound) passes the secret on to the next layer; any other failure
// (access denied, invalid value, unavailable, or an unclassified error)
// stops there and is returned, naming that layer as its Backend, so a
// layer is never silently skipped and a broken backend is never hidden by
// an older value below it. When every layer misses, the error is
// ErrNotFound with Backend set to the whole list ("env,aws") and Where
// naming where each layer looked (over a single layer, that layer's own
// error); a manifest default applies then, and
// only then, because Load applies defaults to not-found secrets.
//
// Served reports which layer gave each value, Where names the serving
// layer and its location, Changed forwards the change notifications of
// every layer that has them, Refresh refreshes every layer that is a
// Refresher, and Close closes every layer that has a Close method.
// Printing a Layers (fmt, slog) shows the layer names only. A Layers is
// safe for concurrent use.
type Layers struct {
	layers []Provider
	name   string // the layer names joined by ","

	mu     sync.Mutex
	served map[Ref]string // the layer that gave each ref's value in its last read

	changes   *broadcast // the layers' change signals; nil when none has them
	chOnce    sync.Once
	ch        <-chan struct{} // Changed's channel
	closeOnce sync.Once
	closeErr  error
}

var (
	_ BatchProvider = (*Layers)(nil)
	_ Refresher     = (*Layers)(nil)
	_ Notifier      = (*Layers)(nil)
	_ Closer        = (*Layers)(nil)
	_ Locator       = (*Layers)(nil)
	_ Grouper       = (*Layers)(nil)
	_ Pender        = (*Layers)(nil)
	_ Router        = (*Layers)(nil)
)

// NewLayers returns a Layers over layers, first to last. There must be at
// least one layer, and the layers' names must be distinct and free of ","
// (they name the serving layer in errors and Status).
func NewLayers(layers ...Provider) (*Layers, error) {
	if len(layers) == 0 {
		return nil, errors.New("runtime: NewLayers needs at least one layer")
	}
	names := make([]string, len(layers))
	seen := make(map[string]bool, len(layers))
	for i, p := range layers {
		if p == nil {
			return nil, fmt.Errorf("runtime: NewLayers: layer %d is nil", i+1)
		}
		n := p.Name()
		switch {
		case n == "" || strings.Contains(n, ","):
			return nil, fmt.Errorf("runtime: NewLayers: layer %d has the name %q; a layer's name must be non-empty and free of ','", i+1, n)
		case seen[n]:
			return nil, fmt.Errorf("runtime: NewLayers: backend %q is listed twice; list each backend once", n)
		}
		seen[n] = true
		names[i] = n
	}
	return &Layers{
		layers:  append([]Provider(nil), layers...),
		name:    strings.Join(names, ","),
		served:  make(map[Ref]string),
		changes: newBroadcast(layers...),
	}, nil
}

// Name returns the layer names joined by ",", e.g. "env,aws".
func (l *Layers) Name() string { return l.name }

// Names returns the layers' names, first to last.
func (l *Layers) Names() []string { return strings.Split(l.name, ",") }

// Served returns the name of the layer that gave ref's value in the last
// read of ref, or "" when that read found no value (every layer missed, or
// a layer failed) or ref was never read.
func (l *Layers) Served(ref Ref) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.served[ref]
}

func (l *Layers) record(ref Ref, layer string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if layer == "" {
		delete(l.served, ref)
		return
	}
	l.served[ref] = layer
}

// Get reads ref from the first layer that has it.
func (l *Layers) Get(ctx context.Context, ref Ref) (Value, error) {
	var misses []*SecretError
	for _, p := range l.layers {
		if err := ctx.Err(); err != nil {
			l.record(ref, "")
			return Value{}, unavailable(p, ref, err)
		}
		v, err := p.Get(ctx, ref)
		if err == nil {
			l.record(ref, p.Name())
			return v, nil
		}
		if kindOf(err) != ErrNotFound {
			l.record(ref, "")
			return Value{}, l.layerError(p, ref, err)
		}
		misses = append(misses, l.layerError(p, ref, err))
	}
	l.record(ref, "")
	return Value{}, l.missError(ref, misses)
}

// GetMany reads refs layer by layer: one batch read (GetMany, or
// concurrent Gets) of the first layer for every ref, then one of the next
// layer for the refs the first did not have, and so on. Results are in the
// order of refs.
func (l *Layers) GetMany(ctx context.Context, refs []Ref) []Result {
	results := make([]Result, len(refs))
	servedBy := make([]string, len(refs))
	misses := make([][]*SecretError, len(refs))
	pending := make([]int, len(refs))
	for i := range refs {
		pending[i] = i
	}
	for _, p := range l.layers {
		if len(pending) == 0 {
			break
		}
		batch := make([]Ref, len(pending))
		for k, i := range pending {
			batch[k] = refs[i]
		}
		var res []Result
		if err := ctx.Err(); err != nil {
			res = make([]Result, len(batch))
			for k := range res {
				res[k].Err = unavailable(p, batch[k], err)
			}
		} else {
			res = getAll(ctx, p, batch)
		}
		next := pending[:0]
		for k, i := range pending {
			r := res[k]
			switch {
			case r.Err == nil:
				results[i] = r
				servedBy[i] = p.Name()
			case kindOf(r.Err) == ErrNotFound:
				misses[i] = append(misses[i], l.layerError(p, refs[i], r.Err))
				next = append(next, i)
			default:
				results[i].Err = l.layerError(p, refs[i], r.Err)
			}
		}
		pending = next
	}
	for _, i := range pending {
		results[i].Err = l.missError(refs[i], misses[i])
	}
	l.mu.Lock()
	for i, ref := range refs {
		if servedBy[i] == "" {
			delete(l.served, ref)
		} else {
			l.served[ref] = servedBy[i]
		}
	}
	l.mu.Unlock()
	return results
}

// layerError returns layer p's error for ref, stamped (see stamp) with the
// layer's name as its Backend.
func (l *Layers) layerError(p Provider, ref Ref, err error) *SecretError {
	e := stamp(err, ref, p)
	e.Backend = p.Name()
	return e
}

// missError is the error of a ref that every layer missed: ErrNotFound,
// Backend the whole list, Where each layer's location and Hint each
// layer's hint.
func (l *Layers) missError(ref Ref, misses []*SecretError) *SecretError {
	if len(l.layers) == 1 && len(misses) == 1 {
		return misses[0] // one layer: its own error says it all
	}
	var wheres, hints []string
	for _, m := range misses {
		w := m.Backend
		if m.Where != "" {
			w += " " + m.Where
		}
		wheres = append(wheres, w)
		if m.Hint != "" {
			hints = append(hints, m.Backend+": "+m.Hint)
		}
	}
	hint := "add it to one of the layers"
	if len(hints) > 0 {
		hint += " (" + strings.Join(hints, "; ") + ")"
	}
	return &SecretError{
		Path:    ref.Path,
		Backend: l.name,
		Kind:    ErrNotFound,
		Where:   strings.Join(wheres, ", "),
		Type:    ref.Type,
		Hint:    hint,
		Err:     fmt.Errorf("no layer of %s has it", l.name),
	}
}

// Where says where ref lives: "served by LAYER: LOCATION" when a layer gave
// its value in the last read, else every layer's location in order
// ("env DATABASE_URL, aws /app/env/database/url"). Over one layer it is
// that layer's location.
func (l *Layers) Where(ref Ref) string {
	if len(l.layers) == 1 {
		return where(l.layers[0], ref)
	}
	if name := l.Served(ref); name != "" {
		for _, p := range l.layers {
			if p.Name() == name {
				w := "served by " + name
				if loc := where(p, ref); loc != "" {
					w += ": " + loc
				}
				return w
			}
		}
	}
	var ws []string
	for _, p := range l.layers {
		w := p.Name()
		if loc := where(p, ref); loc != "" {
			w += " " + loc
		}
		ws = append(ws, w)
	}
	return strings.Join(ws, ", ")
}

// Group returns ref's group in the first layer that is a Grouper and puts
// ref in a group, prefixed with that layer's name; else "". The group does
// not depend on which layer served the last read: a file that is missing
// or unreadable now is still part of its ..data generation.
func (l *Layers) Group(ref Ref) string {
	for _, p := range l.layers {
		if g, ok := p.(Grouper); ok {
			if k := g.Group(ref); k != "" {
				return p.Name() + ":" + k
			}
		}
	}
	return ""
}

// Refresh refreshes the given paths (everything when none are given) in
// every layer that is a Refresher and forgets which layer served what. It
// returns every layer's error, joined, each naming its layer.
func (l *Layers) Refresh(ctx context.Context, paths ...string) error {
	var errs []error
	for _, p := range l.layers {
		if r, ok := p.(Refresher); ok {
			if err := r.Refresh(ctx, paths...); err != nil {
				errs = append(errs, fmt.Errorf("layer %s: %w", p.Name(), err))
			}
		}
	}
	l.mu.Lock()
	clear(l.served)
	l.mu.Unlock()
	return errors.Join(errs...)
}

// Pending returns the pending version of ref in the layer that served it
// in the last read, when that layer is a Pender.
func (l *Layers) Pending(ref Ref) (Ref, bool) {
	name := l.Served(ref)
	for _, p := range l.layers {
		if pd, ok := p.(Pender); ok && p.Name() == name {
			return pd.Pending(ref)
		}
	}
	return Ref{}, false
}

// Changed returns a channel that receives when any layer that is a
// Notifier signals, or nil, a channel that never fires, when no layer is
// one. Every call returns the same channel; Close closes it.
func (l *Layers) Changed() <-chan struct{} {
	l.chOnce.Do(func() { l.ch, _ = l.changes.subscribe() })
	return l.ch
}

// Close stops the Changed forwarding and closes every layer that is a
// Closer, last to first. It returns every layer's error,
// joined, each naming its layer. Close may be called more than once.
func (l *Layers) Close() error {
	l.closeOnce.Do(func() {
		l.chOnce.Do(func() { // no subscription after Close: a closed channel
			ch := make(chan struct{})
			close(ch)
			l.ch = ch
		})
		l.changes.close()
		var errs []error
		for i := len(l.layers) - 1; i >= 0; i-- {
			if c, ok := l.layers[i].(Closer); ok {
				if err := c.Close(); err != nil {
					errs = append(errs, fmt.Errorf("layer %s: %w", l.layers[i].Name(), err))
				}
			}
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// Format implements fmt.Formatter: every verb prints the layer names only,
// never a layer's state.
func (l *Layers) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "runtime.Layers(%s)", l.name)
}

// LogValue implements slog.LogValuer: the layer names only.
func (l *Layers) LogValue() slog.Value {
	return slog.GroupValue(slog.String("backend", l.name))
}
