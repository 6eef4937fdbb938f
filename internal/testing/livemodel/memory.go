package livemodel

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
)

// Memory is the in-memory Backend: each secret without a Source is a
// backend secret of its own; "db/user" and "db/pass" are the members user
// and pass of the JSON secret "db", written together. Every write of a
// backend secret gives it a new version. It signals changes (Poke), so the
// Live's own poll runs.
type Memory struct {
	mu      sync.Mutex
	secrets map[string]map[string]string // source -> key ("" for plain) -> text
	version map[string]int
	denied  map[string]bool // by logical path
	outage  bool
	hang    chan struct{} // non-nil: reads block until it is closed or ctx is done
	changed chan struct{}
}

// NewMemory returns an empty Memory backend.
func NewMemory(testing.TB) Backend {
	return &Memory{secrets: map[string]map[string]string{}, version: map[string]int{}, denied: map[string]bool{}, changed: make(chan struct{}, 1)}
}

func (m *Memory) Provider(testing.TB) runtime.Provider { return memProvider{m} }
func (m *Memory) CanDeny() bool                        { return true }
func (m *Memory) Groups() [][]string {
	return [][]string{{"a/one"}, {"a/two"}, {"a/three"}, {"b/four"}, {"b/five"}, {"opt/six"}, {"db/user", "db/pass"}}
}

func (m *Memory) Poke() bool {
	select {
	case m.changed <- struct{}{}:
	default:
	}
	return true
}

func (m *Memory) Write(_ testing.TB, texts map[string]string, del []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	touched := map[string]bool{}
	for p, t := range texts {
		src, key := where(p)
		if m.secrets[src] == nil {
			m.secrets[src] = map[string]string{}
		}
		m.secrets[src][key] = t
		touched[src] = true
	}
	for _, p := range del {
		src, key := where(p)
		delete(m.secrets[src], key)
		if len(m.secrets[src]) == 0 {
			delete(m.secrets, src)
		}
		touched[src] = true
	}
	for src := range touched {
		m.version[src]++
	}
}

func (m *Memory) Outage(_ testing.TB, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.outage = on
}

func (m *Memory) Deny(_ testing.TB, path string, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.denied[path] = on
}

func (m *Memory) Hang(_ testing.TB, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case on && m.hang == nil:
		m.hang = make(chan struct{})
	case !on && m.hang != nil:
		close(m.hang)
		m.hang = nil
	}
}

// where returns the backend secret and key of a logical path.
func where(path string) (source, key string) {
	for _, s := range Secrets {
		if s.Ref.Path == path {
			return s.Ref.SourcePath(), s.Ref.Key
		}
	}
	return path, ""
}

type memProvider struct{ m *Memory }

func (p memProvider) Name() string                 { return "model" }
func (p memProvider) Where(ref runtime.Ref) string { return "model:" + ref.SourcePath() }
func (p memProvider) Changed() <-chan struct{}     { return p.m.changed }
func (p memProvider) fail(ref runtime.Ref, kind runtime.Kind) error {
	return &runtime.SecretError{Path: ref.Path, Backend: "model", Kind: kind, Where: p.Where(ref)}
}

func (p memProvider) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	m := p.m
	m.mu.Lock()
	hang := m.hang
	m.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-ctx.Done():
			return runtime.Value{}, &runtime.SecretError{Path: ref.Path, Backend: "model", Kind: runtime.ErrUnavailable, Err: ctx.Err()}
		}
	}
	if ctx.Err() != nil {
		return runtime.Value{}, &runtime.SecretError{Path: ref.Path, Backend: "model", Kind: runtime.ErrUnavailable, Err: ctx.Err()}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.outage:
		return runtime.Value{}, p.fail(ref, runtime.ErrUnavailable)
	case m.denied[ref.Path]:
		return runtime.Value{}, p.fail(ref, runtime.ErrAccessDenied)
	}
	sec, ok := m.secrets[ref.SourcePath()]
	if !ok {
		return runtime.Value{}, p.fail(ref, runtime.ErrNotFound)
	}
	v := strconv.Itoa(m.version[ref.SourcePath()])
	if ref.Key == "" {
		t, ok := sec[""]
		if !ok {
			return runtime.Value{}, p.fail(ref, runtime.ErrNotFound)
		}
		return runtime.Value{Text: t, Version: v}, nil
	}
	// A JSON secret: the member named by Key. (Encoded and decoded, as a
	// real backend's value is.)
	b, _ := json.Marshal(sec)
	var obj map[string]string
	if err := json.Unmarshal(b, &obj); err != nil {
		return runtime.Value{}, p.fail(ref, runtime.ErrInvalidValue)
	}
	t, ok := obj[ref.Key]
	if !ok {
		return runtime.Value{}, p.fail(ref, runtime.ErrNotFound)
	}
	return runtime.Value{Text: t, Version: v}, nil
}
