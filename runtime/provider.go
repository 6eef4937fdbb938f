// Package runtime is what programs that use secretsgen touch at run time.
//
// A generated package (see the gen directory and docs/design.md) gives you
// Settings, Load, MustLoad, NewProvider and a Fake. NewProvider returns a
// *Cache: read with Load, call Refresh after a rotation and Close when done.
// Sensitive settings are Secret[T] values: they print as [REDACTED] with every
// fmt verb, encoding/json and log/slog, and give their value only to Reveal.
// A failed Load returns a *LoadError listing one *SecretError per path; match
// the kind with errors.Is and ErrNotFound, ErrAccessDenied, ErrInvalidValue
// or ErrUnavailable. Messages never contain a secret value.
//
// Adapter authors implement Provider (and optionally BatchProvider,
// Refresher, Locator) and test it with runtime/providertest; Memory is an
// in-memory Provider for tests. What only generated code calls lives in
// runtime/genimpl.
//
// The name clashes with the standard library's runtime package only as an
// import name: rename one of them (goruntime "runtime") to use both in a file.
package runtime

import (
	"context"
	"time"
)

// Ref names one secret to read. Generated code builds one Ref per manifest
// entry; a provider reads the fields that matter to its backend and ignores
// the rest. A Ref never carries a secret value. Whether a secret is optional
// and its default are load-time data that generated code keeps; providers
// never see them.
type Ref struct {
	// Path is the logical path from the manifest, e.g. "database/url". It is
	// what errors name.
	Path string
	// Env is the environment variable name used by the env backend, e.g.
	// "DATABASE_URL" (the manifest's env: override, or the derived name).
	Env string
	// Source is the backend secret to read, e.g. "mail/smtp"; empty means Path.
	Source string
	// Key selects one member of a JSON secret (AWS) or one field (Vault).
	Key string
	// Version pins a version: an AWS stage or version id, or a Vault KV
	// version number. Empty means the current version.
	Version string
	// Type is the manifest type, e.g. "url" or "[]string". Providers use it
	// for three cases only: "bytes" (AWS SecretBinary), "json" (Vault's
	// whole data map) and "credential" (a username and a password, which a
	// provider returns as one JSON object, see Credential); errors use it to
	// say what was expected.
	Type string
	// Database is the path of a credential in Vault's database secrets
	// engine: "database/creds/<role>" (dynamic, leased) or
	// "database/static-creds/<role>" (a static role), with the mount the
	// manifest names. Only the vault backend reads it; the others read the
	// credential where they keep any secret.
	Database string
}

// SourcePath returns the backend secret the Ref reads: Source, or Path.
func (r Ref) SourcePath() string {
	if r.Source != "" {
		return r.Source
	}
	return r.Path
}

// Value is a secret as a backend stores it: its text form (bytes are
// standard base64, JSON objects and lists are JSON text) and the backend's
// version identifier when it has one (AWS VersionId, Vault KV version).
type Value struct {
	Text    string
	Version string
	// Lease is the lifecycle of a credential its backend hands out for a
	// limited time (Vault's database engine), nil for every other value.
	Lease *Lease
}

// The port: Provider is what every backend adapter implements; the other
// interfaces below are the optional abilities an adapter may add, each
// declared once, here. Cache and Layers offer every ability their inner
// providers have (a Cache over an adapter that signals changes signals
// them; one over an adapter without pending versions says it has none), so
// code that holds a *Cache or a *Layers calls them without assertions.

// Provider is the read-only port every backend adapter implements. No method
// writes, rotates or deletes a secret.
//
// Get returns the value of one secret. A failure says its kind, cause and
// hint with Fail (FailBackend for a failure of the whole backend), never a
// value; runtime adds the path, type, backend and location when it reads
// through the provider. Implementations are safe for concurrent use.
type Provider interface {
	// Name is the backend name used in messages: "env", "aws", "vault",
	// "fake", ...
	Name() string
	Get(ctx context.Context, ref Ref) (Value, error)
}

// BatchProvider is a Provider that can read many secrets in fewer round
// trips. GetMany returns one Result per ref, in the same order.
type BatchProvider interface {
	Provider
	GetMany(ctx context.Context, refs []Ref) []Result
}

// Result is one answer of a batch read.
type Result struct {
	Value Value
	Err   error
}

// Refresher is implemented by providers that hold state which can go stale
// (parsed .env files, a cache). Refresh drops the state of the given
// logical paths (all of it when none are given) so that the next read sees
// the backend's current values, e.g. after a rotation.
type Refresher interface {
	Refresh(ctx context.Context, paths ...string) error
}

// Notifier is implemented by providers that learn of changes without being
// asked (the files backend watches its directory, the env backend its .env
// files). Changed returns a channel that receives a value after a change;
// a Live polls at once when it fires. The channel is closed when the
// provider is closed.
type Notifier interface {
	Changed() <-chan struct{}
}

// Closer is implemented by providers that hold resources (a token renewer,
// a file watcher). Close releases them; Cache.Close and Layers.Close call
// it after their own work has stopped, and nothing uses the provider after.
type Closer interface {
	Close() error
}

// Locator is implemented by providers that can say where a Ref lives in
// their backend ("DATABASE_URL", "/dashtam/production/database/url",
// "secret/dashtam/production/database/url#value"). Errors name it, and
// Load uses it to say where an invalid value came from.
type Locator interface {
	Where(ref Ref) string
}

// Grouper is implemented by providers whose secrets change together in
// groups wider than one backend secret: the files of one Kubernetes
// "..data" generation. Group returns the key of ref's group, or "" when ref
// changes on its own; a Live asks it once per secret, when it starts. A
// Live never swaps in settings that mix two versions
// of one group: it fetches a group's secrets together (RefreshNow of one
// brings the others) and swaps them in together or not at all. Secrets
// read from one backend secret (one Ref.SourcePath and Version: members of
// one JSON secret, fields of one Vault secret) always form a group.
type Grouper interface {
	Group(ref Ref) string
}

// Pender is implemented by providers whose backend stages a new version
// before it becomes current (AWS Secrets Manager's AWSPENDING during a
// rotation). Pending returns the Ref of the version that may be about to
// become current, and false when ref has none (a pinned version). A Live
// reads it on a forced refresh (RefreshNow, after the database rejected a
// password) when the current version did not change: in a rotation window
// the database may already want the pending value. For a leased credential
// (Vault's database engine) the version about to become current is a new
// lease: the rejected one was revoked, e.g. by an operator, and a read of
// the pending Ref replaces it.
type Pender interface {
	Pending(ref Ref) (Ref, bool)
}

// Router is implemented by providers that serve each secret from one of
// several backends (Layers). Served returns the name of the backend that
// gave ref's value in its last read, or "" when none did.
type Router interface {
	Served(ref Ref) string
}

// DefaultCacheTTL is how long a Cache serves a fetched value when neither
// CacheOptions.TTL nor SECRETS_CACHE_TTL says otherwise.
const DefaultCacheTTL = 5 * time.Minute
