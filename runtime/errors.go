package runtime

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is the kind of a failure to read or parse a secret. Every error from
// a Provider or from Load is of exactly one kind: match it with errors.Is
// (errors.Is(err, runtime.ErrNotFound)) or read it with kindOf. The zero
// Kind means "not said"; runtime reads it as ErrUnavailable.
type Kind uint8

// The kinds.
const (
	ErrNotFound     Kind = iota + 1 // the secret does not exist (a default or a lower layer may apply)
	ErrAccessDenied                 // the backend refused it: credentials or permissions
	ErrInvalidValue                 // it exists but its value cannot be used
	ErrUnavailable                  // the backend could not answer: an outage, a timeout
)

// Error returns the kind's name, e.g. "not found".
func (k Kind) Error() string {
	switch k {
	case ErrNotFound:
		return "not found"
	case ErrAccessDenied:
		return "access denied"
	case ErrInvalidValue:
		return "invalid value"
	case ErrUnavailable:
		return "unavailable"
	}
	return "" // no kind: no error
}

// SecretError describes why one secret could not be read or parsed. It names the
// path, the backend and where in the backend it looked, never the value.
type SecretError struct {
	Path    string // logical path, e.g. "database/url"
	Backend string // "env", "aws", "vault", ...
	Kind    Kind   // ErrNotFound, ErrAccessDenied, ErrInvalidValue or ErrUnavailable
	Where   string // backend location, e.g. "DATABASE_URL" or "/dashtam/prod/database/url"
	Type    string // expected manifest type, when known
	Hint    string // what to do, e.g. "set DATABASE_URL or DATABASE_URL_FILE"
	Err     error  // underlying cause; must itself be free of secret values
}

func (e *SecretError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(kindOf(e).Error()) // a kind not said reads as unavailable
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

// kindOf returns the kind of err: the Kind of the outermost *SecretError
// in its chain (ErrUnavailable when that Kind is zero), or the Kind err is
// or wraps, else 0. A SecretError of one kind that wraps a cause of another
// kind (access denied, caused by a lookup that was not found) is of its own
// kind only; errors.Is would match both.
func kindOf(err error) Kind {
	var e *SecretError
	if errors.As(err, &e) {
		if e.Kind == 0 {
			return ErrUnavailable
		}
		return e.Kind
	}
	var k Kind
	errors.As(err, &k)
	return k
}

// Is reports whether target is the error's kind.
func (e *SecretError) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k != 0 && k == e.Kind
}

// Unwrap returns the underlying cause.
func (e *SecretError) Unwrap() error { return e.Err }

// Fail is what an adapter returns for a read that failed: the kind, the
// cause (free of secret values; nil when the kind says it all) and a hint
// (what to do, e.g. "set DATABASE_URL or DATABASE_URL_FILE"; may be "").
// Runtime builds the error users see from it once: it adds the path, the
// type, the backend name and the location (Locator) when it reads through
// the adapter (Cache, Layers, GetMany, Load, Live).
func Fail(kind Kind, cause error, hint string) error {
	return &SecretError{Kind: kind, Err: cause, Hint: hint}
}

// FailBackend is Fail for a failure of the backend as a whole rather than of
// one secret (see BackendError): address says where the adapter looked
// ("http://127.0.0.1:8200 (VAULT_ADDR)", "/run/secrets"). A LoadError
// states such failures in one line, however many secrets they affect.
func FailBackend(kind Kind, cause error, address, hint string) error {
	return &SecretError{Kind: kind, Err: &BackendError{Address: address, Err: cause}, Hint: hint}
}

// BackendError is the cause of a failure that is about the backend as a
// whole rather than one secret: it cannot be reached (connection refused,
// DNS, TLS), it refuses every request (no or rejected credentials, a
// failed login), it is sealed, or the configured location does not exist
// (a missing Vault mount). Adapters put it in SecretError.Err, so that a
// LoadError states it once for all the secrets it affects instead of once
// per secret.
//
// Address says what was tried: the effective address, region or endpoint
// and where it came from, e.g. "http://127.0.0.1:8200 (VAULT_ADDR)". It
// never holds a token, a password or a secret value.
type BackendError struct {
	Address string
	Err     error // what went wrong; free of secret values
}

func (e *BackendError) Error() string {
	if e.Address == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + " (tried " + e.Address + ")"
}

// Unwrap returns the cause.
func (e *BackendError) Unwrap() error { return e.Err }

// LoadError gathers every problem of one Load: one *SecretError per failing
// path, in the order Load read them.
//
// Its message states a backend-wide failure once: the errors of one backend
// that share a kind, a *BackendError cause and a hint become one line that
// names the backend, what was tried (BackendError.Address) and how many
// secrets it affects. When that is every failure, the whole message is that
// one line. Errors still holds every path's error.
type LoadError struct {
	Backend string
	Total   int // number of secrets Load tried to read
	Errors  []*SecretError
}

// group is one line of a LoadError's message: a per-secret error, or a
// backend-wide failure shared by n errors (wide is true).
type group struct {
	first *SecretError
	wide  bool
	n     int
}

// groups returns the lines of e's message in the order of their first
// error.
func (e *LoadError) groups() []*group {
	type key struct{ backend, kind, cause, hint string }
	var out []*group
	byKey := map[key]*group{}
	for _, err := range e.Errors {
		var be *BackendError
		if !errors.As(err.Err, &be) {
			out = append(out, &group{first: err, n: 1})
			continue
		}
		k := key{err.Backend, kindOf(err).Error(), err.Err.Error(), err.Hint}
		if g := byKey[k]; g != nil {
			g.n++
			continue
		}
		g := &group{first: err, wide: true, n: 1}
		byKey[k] = g
		out = append(out, g)
	}
	return out
}

// line writes a backend-wide failure: the backend, the kind, the cause
// (with what was tried) and the hint, without a path or a location.
func (g *group) line(b *strings.Builder) {
	e := g.first
	b.WriteString(kindOf(e).Error())
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
}

func (e *LoadError) Error() string {
	var b strings.Builder
	gs := e.groups()
	if len(gs) == 1 && gs[0].wide && gs[0].n > 1 {
		g := gs[0]
		if g.n == e.Total {
			fmt.Fprintf(&b, "secrets: all %d secrets failed to load from backend %q: ", g.n, g.first.Backend)
		} else {
			fmt.Fprintf(&b, "secrets: %d of %d secrets failed to load from backend %q: ", g.n, e.Total, g.first.Backend)
		}
		g.line(&b)
		return b.String()
	}
	fmt.Fprintf(&b, "secrets: %d of %d secrets failed to load from backend %q:", len(e.Errors), e.Total, e.Backend)
	for _, g := range gs {
		b.WriteString("\n\t")
		if !g.wide || g.n == 1 {
			b.WriteString(g.first.Error())
			continue
		}
		fmt.Fprintf(&b, "%d secrets [%s]: ", g.n, g.first.Backend)
		g.line(&b)
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
