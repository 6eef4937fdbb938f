// Package awssm is the AWS Secrets Manager adapter of secretsgen: a
// runtime.Provider that reads the secret "/{app}/{environment}/{path}"
// (the Ref's source path) and returns its SecretString, or its SecretBinary
// encoded as standard base64 for "bytes" secrets.
//
// GetMany (what generated Load calls) reads every unpinned secret with
// BatchGetSecretValue, at most 20 secret ids per call, the calls running in
// parallel; entries that share a secret are fetched once. Pinned versions
// and anything a batch did not return are read with GetSecretValue. When an
// IAM policy denies BatchGetSecretValue the provider falls back to
// concurrent GetSecretValue calls and keeps doing so for its lifetime.
//
// Throttling (a fleet starting at once exceeds BatchGetSecretValue's quota
// of 100 calls per second per account and region) never fails a read
// while its context has time left. With the default Adaptive strategy a
// throttled batch pauses batching for a fully jittered backoff and its
// secrets move to GetSecretValue, whose quota is 100 times larger; see
// Strategy, Options and docs/fleet.md. The SDK retryer keeps retrying
// transient failures (5xx, connection resets) with the client's settings,
// but not throttling, which the provider handles itself and counts
// (Provider.Stats).
//
// A Ref with a Key reads one member of a secret holding a JSON object: a
// JSON string member unquoted, any other member (number, bool, array,
// object) as its JSON text. A Ref with a Version pins it: a value shaped
// like a UUID (the version ids Secrets Manager and the SDKs generate) is a
// VersionId, anything else (AWSCURRENT, AWSPREVIOUS, a custom label) is a
// VersionStage. Value.Version is the VersionId read.
//
// Errors are *runtime.SecretError values naming the path, the backend "aws" and
// the secret id (never a value), classified by what a retry can fix, in one
// table of AWS error codes: ResourceNotFoundException and a secret
// scheduled for deletion are runtime.ErrNotFound; AccessDeniedException,
// DecryptionFailure, rejected credentials and a failure to get credentials
// at all (none configured, a failing credential_process, an expired SSO
// session) are runtime.ErrAccessDenied; ValidationException,
// InvalidParameterException, other InvalidRequestExceptions and any other
// 4xx are runtime.ErrInvalidValue; throttling, 5xx, connection failures
// after the SDK's retries and an expired context are runtime.ErrUnavailable.
// No text the server sent is kept: an API error is reported by operation,
// HTTP status and error code (a code this package does not know is left
// out), and errors.As still finds a smithy.APIError with that code; other
// SDK errors (connections, credential providers, undecodable responses) are
// rebuilt from their types, since a credential provider's text can quote
// credentials. A value over MaxValueSize (64 KiB) is an invalid value, and
// a client built by FromEnv reads at most MaxResponseSize of a response.
//
// Build one from the SDK's standard configuration chain (AWS_REGION,
// AWS_PROFILE, credentials, AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_SECRETS_MANAGER) with FromEnv, or from a client you
// configured yourself with New.
//
// The IAM permissions needed are secretsmanager:GetSecretValue on the
// secrets (and kms:Decrypt on their customer-managed KMS keys), plus
// secretsmanager:BatchGetSecretValue on "*" for batched reads. AWS also
// refuses a whole batch when a VPC endpoint policy denies one secret in
// it; the provider then falls back to GetSecretValue as for a policy
// without BatchGetSecretValue.
package awssm

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/dashtam/secretsgen/adapters/internal/awssdk"
	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/runtime"
)

// backend is the name the provider reports and errors carry.
const backend = "aws"

// MaxBatchSize is the largest number of secret ids AWS accepts in one
// BatchGetSecretValue call.
const MaxBatchSize = 20

// Client is the part of *secretsmanager.Client the provider uses.
type Client interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error)
}

var _ Client = (*secretsmanager.Client)(nil)

// Options tunes a Provider. The zero value (or a nil *Options) gives the
// documented defaults.
type Options struct {
	// MaxConcurrency bounds the API calls one GetMany has in flight.
	// Default 8.
	MaxConcurrency int
	// BatchSize is the number of secret ids per BatchGetSecretValue call.
	// Default and maximum 20 (larger values are lowered to 20).
	BatchSize int
	// DisableBatch makes GetMany use GetSecretValue only, for IAM policies
	// that do not grant secretsmanager:BatchGetSecretValue. Without it the
	// provider finds out from the first denied batch and falls back itself.
	// It is the same as Strategy PerSecret.
	DisableBatch bool
	// Strategy chooses how GetMany reads current versions: Adaptive (the
	// default), BatchOnly or PerSecret. See Strategy and docs/fleet.md.
	Strategy Strategy
	// BackoffBase and MaxBackoff shape the provider's own backoff after a
	// throttled call: each API pauses for a random time in [0,
	// min(MaxBackoff, base*2^n)) after the n-th throttle in a row (full
	// jitter), where base is BackoffBase for GetSecretValue and ten times
	// it for BatchGetSecretValue. Defaults 50ms and 1s. Throttled reads are retried
	// until the context passed to Get or GetMany is done: throttling alone
	// never fails a read that still has time.
	BackoffBase, MaxBackoff time.Duration
}

// Provider reads secrets from AWS Secrets Manager. It implements
// runtime.Provider, runtime.BatchProvider and runtime.Locator and is safe
// for concurrent use.
type Provider struct {
	client      Client // never printed: see Format and LogValue
	closeIdle   func() // closes the connections of a client FromEnv built; nil for New
	prefix      string // "/{app}/{environment}/"
	concurrency int
	batchSize   int
	noBatch     atomic.Bool // BatchGetSecretValue is disabled or was denied
	strategy    Strategy
	backoffBase time.Duration
	maxBackoff  time.Duration
	batchGate   gate // backoff after throttled BatchGetSecretValue calls
	getGate     gate // backoff after throttled GetSecretValue calls
	stats       stats
	endpoint    string // what a backend-wide failure says was tried; see endpointOf
}

var (
	_ runtime.BatchProvider = (*Provider)(nil)
	_ runtime.Locator       = (*Provider)(nil)
)

// New returns a provider that reads "/{app}/{environment}/{path}" with
// client; opts may be nil. New takes app and environment as given, without
// checking them: FromEnv is the constructor that validates them.
func New(client Client, app, environment string, opts *Options) *Provider {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = 8
	}
	if o.BatchSize <= 0 || o.BatchSize > MaxBatchSize {
		o.BatchSize = MaxBatchSize
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.BackoffBase)
	if o.DisableBatch {
		o.Strategy = PerSecret
	}
	p := &Provider{
		client:      client,
		prefix:      "/" + app + "/" + environment + "/",
		concurrency: o.MaxConcurrency,
		batchSize:   o.BatchSize,
		strategy:    o.Strategy,
		backoffBase: o.BackoffBase,
		maxBackoff:  o.MaxBackoff,
	}
	p.noBatch.Store(o.Strategy == PerSecret)
	return p
}

// FromEnv builds a provider from the AWS SDK's default configuration chain:
// AWS_REGION (or the profile's region), AWS_PROFILE, the credential chain,
// and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SECRETS_MANAGER for a local
// endpoint such as moto or LocalStack. A configuration that does not load
// is described by file, profile and setting, never by the contents of the
// shared config and credentials files.
//
// app must not be empty, and environment must pass
// backends.CheckEnvironment.
func FromEnv(ctx context.Context, app, environment string) (*Provider, error) {
	cfg, hc, err := awssdk.LoadConfig(ctx, "awssm", app, environment, MaxResponseSize)
	if err != nil {
		return nil, err
	}
	client := secretsmanager.NewFromConfig(cfg)
	p := New(client, app, environment, nil)
	p.closeIdle = hc.CloseIdle
	p.endpoint = endpointOf(client.Options())
	return p, nil
}

// Name returns "aws".
func (p *Provider) Name() string { return backend }

// secretID returns the Secrets Manager secret id ref reads:
// "/{app}/{environment}/" followed by ref.SourcePath().
func (p *Provider) secretID(ref runtime.Ref) string { return p.prefix + ref.SourcePath() }

// Where says where ref lives: the secret id, then "@version" when the Ref
// pins a version and "#key" when it reads one member of a JSON secret.
func (p *Provider) Where(ref runtime.Ref) string {
	w := p.secretID(ref)
	if ref.Version != "" {
		w += "@" + ref.Version
	}
	if ref.Key != "" {
		w += "#" + ref.Key
	}
	return w
}

// target is one secret version to fetch. version is "" for the current
// version (AWSCURRENT).
type target struct {
	id, version string
}

func (p *Provider) target(ref runtime.Ref) target {
	v := ref.Version
	if v == "AWSCURRENT" {
		v = "" // the same as no pin, so it can join a batch
	}
	return target{id: p.secretID(ref), version: v}
}

// getInput builds the GetSecretValue request for t. The version rule: a
// version that looks like a UUID is a VersionId; anything else (AWSCURRENT,
// AWSPREVIOUS, AWSPENDING, a custom label) is a VersionStage.
func getInput(t target) *secretsmanager.GetSecretValueInput {
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(t.id)}
	switch {
	case t.version == "":
	case backends.AWSVersionID(t.version):
		in.VersionId = aws.String(t.version)
	default:
		in.VersionStage = aws.String(t.version)
	}
	return in
}

// Get reads one secret with GetSecretValue.
func (p *Provider) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	f := p.readOne(ctx, p.target(ref))
	return p.value(ref, &f)
}

// GetMany reads refs in as few calls as it can: one GetSecretValue per
// pinned version, and BatchGetSecretValue for the rest (unless the
// strategy is PerSecret), each secret once, in chunks of at most 20 ids,
// the calls running concurrently (at most MaxConcurrency at a time).
// Throttled calls are retried, or moved to the other API (Adaptive), until
// ctx is done. Results are in the order of refs.
func (p *Provider) GetMany(ctx context.Context, refs []runtime.Ref) []runtime.Result {
	fetchAll := func(targets []target, fetched []fetch) { p.fetchAll(ctx, targets, fetched) }
	return awssdk.GetMany(refs, p.target, fetchAll, p.value)
}

// value turns what was fetched for ref into its runtime.Value, or into an
// *runtime.SecretError naming ref's path and secret id. It may cache the decoded
// JSON object in f.secret, so f must not be shared between goroutines.
func (p *Provider) value(ref runtime.Ref, f *fetch) (runtime.Value, error) {
	if f.kind != 0 {
		return runtime.Value{}, p.error(ref, f.kind, f.code, p.wideCause(f))
	}
	if err := f.secret.checkSize(); err != nil {
		return runtime.Value{}, p.error(ref, runtime.ErrInvalidValue, "", err)
	}
	text, err := f.secret.extract(ref)
	if err != nil {
		return runtime.Value{}, p.error(ref, runtime.ErrInvalidValue, "", err)
	}
	return runtime.Value{Text: text, Version: f.secret.version}, nil
}

// error builds the error for ref; code is the AWS error code, if any.
func (p *Provider) error(ref runtime.Ref, kind runtime.Kind, code string, cause error) *runtime.SecretError {
	return &runtime.SecretError{
		Path:    ref.Path,
		Backend: backend,
		Kind:    kind,
		Where:   p.Where(ref),
		Type:    ref.Type,
		Hint:    hint(kind, code, ref),
		Err:     cause,
	}
}
