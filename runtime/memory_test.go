package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestMemory(t *testing.T) {
	ctx := t.Context()
	m := NewMemory("fake")
	if got := m.Name(); got != "fake" {
		t.Errorf("Name() = %q", got)
	}
	for i, want := range []string{"1", "2", "3"} {
		if v := m.Set("a/b", fmt.Sprint("text", i)); v != want {
			t.Errorf("Set #%d returned version %q, want %q", i, v, want)
		}
	}
	if v, err := m.Get(ctx, Ref{Path: "a/b", Source: "ignored", Key: "k"}); err != nil || v != (Value{Text: "text2", Version: "3"}) {
		t.Errorf("Get = %+v, %v", v, err)
	}
	m.Delete("a/b")
	err := GetMany(ctx, m, []Ref{{Path: "a/b"}})[0].Err // as runtime stamps it
	var e *SecretError
	if !errors.As(err, &e) || e.Kind != ErrNotFound || e.Path != "a/b" || e.Backend != "fake" || e.Where != "memory:a/b" {
		t.Errorf("Get after Delete: %#v", err)
	}
	if !strings.Contains(err.Error(), `call Set("a/b", text)`) {
		t.Errorf("not-found message %q does not say what to do", err)
	}
	if v := m.Set("a/b", "new"); v != "4" {
		t.Errorf("Rotate after Delete returned version %q, want 4 (versions never repeat)", v)
	}
	if got := m.Calls("a/b"); got != 2 {
		t.Errorf("Calls = %d, want 2", got)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Get(cctx, Ref{Path: "a/b"}); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("Get with cancelled context: %v", err)
	}
}

func TestMemorySetError(t *testing.T) {
	boom := errors.New("boom")
	custom := &SecretError{Path: "a", Backend: "other", Kind: ErrAccessDenied, Hint: "ask"}
	tests := []struct {
		err   error
		kind  Kind
		cause error
		same  bool // returned as is
	}{
		{err: ErrNotFound, kind: ErrNotFound},
		{err: ErrAccessDenied, kind: ErrAccessDenied},
		{err: ErrInvalidValue, kind: ErrInvalidValue},
		{err: fmt.Errorf("throttled: %w", ErrUnavailable), kind: ErrUnavailable, cause: ErrUnavailable},
		{err: boom, kind: ErrUnavailable, cause: boom},
		{err: custom, kind: ErrAccessDenied, same: true},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			m := NewMemory("fake")
			m.Set("a", "v")
			m.SetError("a", tt.err)
			err := GetMany(t.Context(), m, []Ref{{Path: "a"}})[0].Err // as runtime stamps it
			var e *SecretError
			if !errors.As(err, &e) {
				t.Fatalf("Get error %v is not an *SecretError", err)
			}
			if tt.same {
				if e.Kind != custom.Kind || e.Hint != custom.Hint || e.Backend != custom.Backend {
					t.Errorf("Get error %v, want the *SecretError given to SetError", err)
				}
				return
			}
			if e.Kind != tt.kind || e.Path != "a" || e.Backend != "fake" {
				t.Errorf("Get error = %#v, want kind %v", e, tt.kind)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("Get error %v does not wrap %v", err, tt.cause)
			}
			m.SetError("a", nil)
			if v, err := m.Get(t.Context(), Ref{Path: "a"}); err != nil || v.Text != "v" {
				t.Errorf("after SetError(nil): %+v, %v", v, err)
			}
		})
	}
}
