package runtime

import (
	"fmt"
	"log/slog"
	"reflect"
)

// Redacted is what every printing path shows instead of a sensitive value.
const Redacted = "[REDACTED]"

// Secret holds a sensitive value. Reveal is the only way to get it out: fmt
// (every verb), encoding/json, encoding.TextMarshaler and log/slog all see
// "[REDACTED]".
//
// Hold a Secret in an exported struct field, or pass it directly. fmt and
// encoding/json cannot call the methods of an unexported field, so they fall
// back to reflection there; the value is then still not printed, because a
// Secret keeps it inside a function (reflection-based printers such as fmt
// and go-cmp show a code address; encoding/json skips unexported fields),
// but the redaction marker is lost.
//
// The zero Secret holds the zero value of T. Secrets are immutable and safe
// to copy.
type Secret[T any] struct {
	get func() T // a closure, so that reflection-based printing cannot reach the value
}

// NewSecret wraps v.
func NewSecret[T any](v T) Secret[T] { return Secret[T]{get: func() T { return v }} }

// Reveal returns the value. Call it where the value is used, never to log it.
func (s Secret[T]) Reveal() T {
	if s.get == nil {
		var zero T
		return zero
	}
	return s.get()
}

// Equal reports whether s and o hold equal values: with T's Equal method
// when T has one (time.Time), else with reflect.DeepEqual. It lets
// github.com/google/go-cmp compare structs that hold secrets.
func (s Secret[T]) Equal(o Secret[T]) bool {
	a, b := s.Reveal(), o.Reveal()
	if e, ok := any(a).(interface{ Equal(T) bool }); ok {
		return e.Equal(b)
	}
	return reflect.DeepEqual(a, b)
}

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
