package runtime

import (
	"errors"
	"fmt"
	"strings"
)

// The error kinds. Every error from a Provider or from Load matches exactly
// one of them with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrAccessDenied = errors.New("access denied")
	ErrInvalidValue = errors.New("invalid value")
	ErrUnavailable  = errors.New("unavailable")
)

// Error describes why one secret could not be read or parsed. It names the
// path, the backend and where in the backend it looked, never the value.
type SecretError struct {
	Path    string // logical path, e.g. "database/url"
	Backend string // "env", "aws", "vault", ...
	Kind    error  // ErrNotFound, ErrAccessDenied, ErrInvalidValue or ErrUnavailable
	Where   string // backend location, e.g. "DATABASE_URL" or "/dashtam/prod/database/url"
	Type    string // expected manifest type, when known
	Hint    string // what to do, e.g. "set DATABASE_URL or DATABASE_URL_FILE"
	Err     error  // underlying cause; must itself be free of secret values
}

func (e *SecretError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	b.WriteString(": ")
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	} else {
		b.WriteString("error")
	}
	if e.Type != "" {
		fmt.Fprintf(&b, " (expected %s)", e.Type)
	}
	if e.Backend != "" || e.Where != "" {
		b.WriteString(" [")
		b.WriteString(e.Backend)
		if e.Where != "" {
			if e.Backend != "" {
				b.WriteString(" ")
			}
			b.WriteString(e.Where)
		}
		b.WriteString("]")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Is reports whether target is the error's kind.
func (e *SecretError) Is(target error) bool { return target != nil && target == e.Kind }

// Unwrap returns the underlying cause.
func (e *SecretError) Unwrap() error { return e.Err }

// LoadError gathers every problem of one Load: one *SecretError per failing path.
type LoadError struct {
	Backend string
	Total   int // number of secrets Load tried to read
	Errors  []*SecretError
}

func (e *LoadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "secrets: %d of %d secrets failed to load from backend %q:", len(e.Errors), e.Total, e.Backend)
	for _, err := range e.Errors {
		b.WriteString("\n\t")
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns each path's error, so errors.Is(err, ErrNotFound) is true
// when any path was not found.
func (e *LoadError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, err := range e.Errors {
		out[i] = err
	}
	return out
}
