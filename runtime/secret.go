package runtime

import (
	"fmt"
	"log/slog"
)

// Redacted is what every printing path shows instead of a sensitive value.
const Redacted = "[REDACTED]"

// Secret holds a sensitive value. Reveal is the only way to get it out: fmt
// (every verb), encoding/json, encoding.TextMarshaler and log/slog all see
// "[REDACTED]".
type Secret[T any] struct {
	v T
}

// NewSecret wraps v.
func NewSecret[T any](v T) Secret[T] { return Secret[T]{v: v} }

// Reveal returns the value. Call it where the value is used, never to log it.
func (s Secret[T]) Reveal() T { return s.v }

// String implements fmt.Stringer.
func (Secret[T]) String() string { return Redacted }

// GoString implements fmt.GoStringer (the %#v verb).
func (Secret[T]) GoString() string { return Redacted }

// Format implements fmt.Formatter so that every verb prints Redacted.
func (Secret[T]) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// MarshalJSON implements json.Marshaler.
func (Secret[T]) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (Secret[T]) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue implements slog.LogValuer.
func (Secret[T]) LogValue() slog.Value { return slog.StringValue(Redacted) }
