package genimpl

import "github.com/dashtam/secretsgen/runtime"

// The runtime names the tests of this package use unqualified; they were
// written when Fetch and the parsers lived in package runtime.
type (
	Ref         = runtime.Ref
	Value       = runtime.Value
	Provider    = runtime.Provider
	LoadError   = runtime.LoadError
	SecretError = runtime.SecretError
)

type Secret[T any] = runtime.Secret[T]

var (
	NewMemory       = runtime.NewMemory
	ErrNotFound     = runtime.ErrNotFound
	ErrAccessDenied = runtime.ErrAccessDenied
	ErrInvalidValue = runtime.ErrInvalidValue
	ErrUnavailable  = runtime.ErrUnavailable
)

func NewSecret[T any](v T) runtime.Secret[T] { return runtime.NewSecret(v) }
