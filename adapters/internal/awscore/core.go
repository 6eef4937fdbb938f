// Package awscore is the core the secretsgen AWS adapters share
// (adapters/awssm, the "aws" backend, and adapters/ssm): each adapter keeps
// its requests, the extraction of values from its answers and its own
// error codes, and describes itself in one Service; the rest is here.
//
//   - Core, which each Provider embeds: its Name, Where (the secret or
//     parameter "/{app}/{environment}/{path}"), printing (Format, LogValue:
//     the backend name only) and Close; and the defaults of the options
//     both adapters have (Limits).
//   - FromEnv: construction from the SDK's default configuration chain,
//     with a configuration that does not load described without quoting
//     the shared files (configError), the SDK's own logger silenced, and an
//     HTTP client that caps response bodies and can close its connections
//     (BoundedClient).
//   - Errors: one table of AWS error codes (NewCodes: the AWS-wide codes and
//     a service's own) with one rule for codes it does not know (Rule), one
//     rule for what of an API error reaches a message (APIError: a code the
//     table does not know never does), SDK errors rebuilt from their types
//     without any text a server or a credential process sent, and one
//     classification of a failed call (Service.Failed) that marks the
//     failures of the backend as a whole (an unreachable endpoint, no
//     credentials) so that runtime states them once (runtime.FailBackend).
//   - The frame of Get and GetMany (Fetch, Value, GetMany).
package awscore

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/dashtam/secretsgen/runtime"
)

// Service is what the core needs to know of one AWS service and of the
// adapter that reads it.
type Service struct {
	// Package is the adapter's package name ("awssm"), which starts the
	// messages of FromEnv and the print of a Provider; Backend is the
	// backend name that Name returns and messages carry ("aws").
	Package, Backend string
	// Name is the service in messages: "Secrets Manager".
	Name string
	// Host is the first label of the service's public endpoint
	// (https://{Host}.{region}.amazonaws.com) and EndpointVar the variable
	// that overrides the endpoint for this service alone.
	Host, EndpointVar string
	// Pin separates a pinned version from the name in Where: "@" or ":".
	Pin string
	// ResponseLimit is the cap on a response body of a client FromEnv
	// builds.
	ResponseLimit int64
	// Codes is the service's table of error codes (see NewCodes).
	Codes Codes
	// Refine, when set, classifies an API error before the table does,
	// from its code and the server's message (which only picks a kind and
	// is never shown); 0 leaves it to the table.
	Refine func(code, message string) runtime.Kind
	// Hints say what to do about a failure of each kind (see Hints).
	Hints Hints
}

// Hints are a service's hints by kind, for failures whose error code has
// no hint of its own.
type Hints struct {
	NotFound string // a missing secret; Pinned is added when the Ref pins a version
	Pinned   string
	Denied   string // an IAM or KMS refusal (credentials have their own hint)
	Down     string // an outage
	Request  string // a request the service refused, which retrying cannot mend
	Holder   string // what holds a JSON object: "secret", "parameter"
}

// defaultMaxConcurrency is the default of the adapters' MaxConcurrency
// option: the calls one GetMany has in flight.
const defaultMaxConcurrency = 8

// Limits applies the defaults of the options every AWS adapter has: at
// most concurrency calls in flight (defaultMaxConcurrency when not
// positive) and batch names a call (maxBatch, the API's limit, when not
// positive or larger).
func Limits(concurrency, batch, maxBatch int) (int, int) {
	if concurrency <= 0 {
		concurrency = defaultMaxConcurrency
	}
	if batch <= 0 || batch > maxBatch {
		batch = maxBatch
	}
	return concurrency, batch
}

// Core is the part of an AWS adapter's Provider that does not depend on
// the service's requests: the Provider embeds it, and its methods (Name,
// Where, Format, LogValue, Close) are the Provider's. It holds no client
// and no credentials.
type Core struct {
	svc       *Service
	prefix    string // "/{app}/{environment}/"
	closeIdle func() // closes the connections of a client FromEnv built; nil for New
	endpoint  string // what a backend-wide failure says was tried; see endpointOf
}

// NewCore returns the core of a provider of svc that reads
// "/{app}/{environment}/{path}".
func NewCore(svc *Service, app, environment string) Core {
	return Core{svc: svc, prefix: "/" + app + "/" + environment + "/"}
}

// Name returns the backend name.
func (c *Core) Name() string { return c.svc.Backend }

// Where returns the name of the secret or parameter ref reads,
// "/{app}/{environment}/" followed by ref.SourcePath(), then the service's
// Pin and the version when the Ref pins one, and "#key" when it reads one
// member of a JSON object. Where of a Ref with only a Source is the name
// itself.
func (c *Core) Where(ref runtime.Ref) string {
	w := c.prefix + ref.SourcePath()
	if ref.Version != "" {
		w += c.svc.Pin + ref.Version
	}
	if ref.Key != "" {
		w += "#" + ref.Key
	}
	return w
}

// Format prints the provider as "{package}.Provider({backend})" with every
// verb: it holds an AWS client (and through it credentials), none of which
// is ever printed.
func (c *Core) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, c.svc.Package+".Provider("+c.svc.Backend+")")
}

// LogValue implements slog.LogValuer: the backend name only.
func (c *Core) LogValue() slog.Value {
	return slog.GroupValue(slog.String("backend", c.svc.Backend))
}

// Close closes the idle connections of the HTTP client FromEnv built, so
// that no connection goroutine outlives the Provider. A Provider from New
// uses the caller's client, which the caller closes. Reads after Close
// still work (they dial anew). Close is safe to call more than once.
func (c *Core) Close() error {
	if c.closeIdle != nil {
		c.closeIdle()
	}
	return nil
}
