package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
)

// Memory is an in-memory Provider for tests and generated fakes. It holds
// texts by logical path (Ref.Path; Source, Key and Version are ignored),
// can return an injected error for a path, and counts Get calls. It is safe
// for concurrent use.
//
// Printing a Memory with any fmt verb or a log/slog handler shows only its
// name (Format, LogValue), never the texts it serves.
type Memory struct {
	name string
	// state is two pointers away: where fmt cannot call Format (a Memory in
	// an unexported field) it prints through reflection, which follows one
	// pointer at most, so it shows an address and never the texts.
	state **memoryState
}

type memoryState struct {
	mu       sync.Mutex
	texts    map[string]Value
	versions map[string]int // last version number per path; survives Delete
	errs     map[string]error
	calls    map[string]int
}

// NewMemory returns an empty Memory whose Name is name.
func NewMemory(name string) *Memory {
	st := &memoryState{
		texts:    map[string]Value{},
		versions: map[string]int{},
		errs:     map[string]error{},
		calls:    map[string]int{},
	}
	return &Memory{name: name, state: &st}
}

// Format implements fmt.Formatter: every verb prints "runtime.Memory(" and
// the name, so that no fmt verb (%v, %+v, %#v, %s, ...) shows the texts.
func (m Memory) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "runtime.Memory(%s)", m.name) }

// LogValue implements slog.LogValuer: the name only.
func (m Memory) LogValue() slog.Value { return slog.StringValue("runtime.Memory(" + m.name + ")") }

// Name returns the name given to NewMemory.
func (m *Memory) Name() string { return m.name }

// Where returns "memory:" followed by the ref's path.
func (m *Memory) Where(ref Ref) string { return "memory:" + ref.Path }

// Get returns the text set for ref.Path. It fails with the error set by
// SetError, with ErrNotFound when no text is set, and with ErrUnavailable
// when ctx is done. Every call is counted, failed ones included.
func (m *Memory) Get(ctx context.Context, ref Ref) (Value, error) {
	s := *m.state
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[ref.Path]++
	if err := ctx.Err(); err != nil {
		return Value{}, Fail(ErrUnavailable, err, "")
	}
	if err := s.errs[ref.Path]; err != nil {
		var e *SecretError
		if errors.As(err, &e) {
			return Value{}, err
		}
		if k, ok := err.(Kind); ok {
			return Value{}, Fail(k, nil, "")
		}
		return Value{}, Fail(kindOf(err), err, "") // runtime reads a kind not said as ErrUnavailable
	}
	v, ok := s.texts[ref.Path]
	if !ok {
		return Value{}, Fail(ErrNotFound, nil, "call Set("+strconv.Quote(ref.Path)+", text)")
	}
	return v, nil
}

// Set stores text at path and returns its new version: "1" for the first
// Set of path, then "2", "3", ...
func (m *Memory) Set(path, text string) string {
	return m.SetValue(path, Value{Text: text})
}

// SetValue is Set of v.Text that also serves v.Lease (a credential's
// lease); v.Version is ignored.
func (m *Memory) SetValue(path string, v Value) string {
	s := *m.state
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions[path]++
	v.Version = strconv.Itoa(s.versions[path])
	s.texts[path] = v
	return v.Version
}

// Lease returns the lease of the value served at path, nil when there is
// none.
func (m *Memory) Lease(path string) *Lease {
	s := *m.state
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.texts[path].Lease
}

// Delete removes the text at path; Get then fails with ErrNotFound.
func (m *Memory) Delete(path string) {
	s := *m.state
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.texts, path)
}

// SetError makes Get(path) fail with err until SetError(path, nil). An err
// that is not an *SecretError is wrapped into one: the error kinds themselves
// (ErrNotFound, ...) become that kind, errors that wrap a kind keep it, and
// others are ErrUnavailable. err must not contain a secret value.
func (m *Memory) SetError(path string, err error) {
	s := *m.state
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.errs, path)
		return
	}
	s.errs[path] = err
}

// Calls returns the number of Get calls for path so far.
func (m *Memory) Calls(path string) int {
	s := *m.state
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

var (
	_ Provider = (*Memory)(nil)
	_ Locator  = (*Memory)(nil)
)
