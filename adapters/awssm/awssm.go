// Package awssm is the AWS Secrets Manager adapter of secretsgen, the
// backend named "aws" (SECRETS_BACKEND=aws): a runtime.Provider that reads
// the secret "/{app}/{environment}/{path}" (the Ref's source path) and
// returns its SecretString, or its SecretBinary as standard base64 for
// "bytes" secrets. It is named for the service, as adapters/ssm is:
// "aws" and "secretsmanager" are the names of the SDK packages that a
// file building a client imports beside it.
//
// GetMany (what generated Load calls) reads every unpinned secret with
// BatchGetSecretValue, at most 20 secret ids per call, the calls running in
// parallel; entries that share a secret are fetched once. Pinned versions
// and anything a batch did not return are read with GetSecretValue. When an
// IAM policy (or a VPC endpoint policy that denies one secret of a batch)
// refuses BatchGetSecretValue, the provider falls back to concurrent
// GetSecretValue calls and keeps doing so for its lifetime. The IAM
// permissions needed are secretsmanager:GetSecretValue on the secrets (and
// kms:Decrypt on their customer-managed KMS keys), plus
// secretsmanager:BatchGetSecretValue on "*" for batched reads.
//
// Throttling (a fleet starting at once exceeds BatchGetSecretValue's quota
// of 100 calls per second per account and region) never fails a read
// while its context has time left. With the default Adaptive strategy a
// throttled batch pauses batching for a fully jittered backoff and its
// secrets move to GetSecretValue, whose quota is 100 times larger; see
// Strategy, Options and docs/fleet.md. The SDK retryer keeps retrying
// transient failures (5xx, connection resets), but not throttling, which
// the provider handles itself and counts (Provider.Stats).
//
// A Ref with a Key reads one member of a secret holding a JSON object: a
// JSON string member unquoted, any other member as its JSON text. A Ref
// with a Version pins it: a value shaped like a UUID is a VersionId,
// anything else (AWSCURRENT, AWSPREVIOUS, a custom label) a VersionStage.
// Value.Version is the VersionId read. Pending (runtime.Pender) offers a
// secret's AWSPENDING version to a runtime.Live during a rotation.
//
// Errors say what failed (runtime.Fail: the kind, a cause that holds no
// value, a hint); runtime adds the path, the backend and the secret id.
// One table of AWS error codes classifies them by what a retry can fix:
// ResourceNotFoundException and a secret scheduled for deletion are not
// found; AccessDeniedException, DecryptionFailure and rejected or missing
// credentials access denied; ValidationException,
// InvalidParameterException, other InvalidRequestExceptions and any other
// 4xx an invalid value; throttling, 5xx, connection failures after the
// SDK's retries and an expired context unavailable. An endpoint that
// cannot be reached and missing credentials fail the backend as a whole
// (runtime.FailBackend): a load states them once, with the region and
// endpoint tried. No text the server or a credential provider sent is
// kept: an API error reads as operation, HTTP status and a code the table
// knows (errors.As finds a smithy.APIError with it), and other SDK errors
// are rebuilt from their types. The SSM adapter follows the same rules. A
// value over MaxValueSize is an invalid value, and a client built by
// FromEnv reads at most MaxResponseSize of a response.
//
// Build one from the SDK's standard configuration chain with FromEnv, or
// from a client you configured yourself with New.
package awssm

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/dashtam/secretsgen/adapters/internal/awscore"
	"github.com/dashtam/secretsgen/internal/backends"
	"github.com/dashtam/secretsgen/runtime"
)

// MaxBatchSize is the largest number of secret ids AWS accepts in one
// BatchGetSecretValue call.
const MaxBatchSize = 20

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
	// DisableDescribe makes every read fetch the secret's value. Without
	// it, a read of the current version of a secret the provider read
	// before (a runtime.Live's poll, a cache refresh) first asks
	// DescribeSecret which version holds AWSCURRENT, and fetches the value
	// only when that version changed; an unchanged secret is answered with
	// the value read last, without reading it again. DescribeSecret's
	// quota (40,000 requests a second by default) is four times
	// GetSecretValue's and 400 times BatchGetSecretValue's, so a fleet's
	// polls leave the quotas that read values to deploys; see
	// docs/fleet.md. It needs secretsmanager:DescribeSecret on the
	// secrets; a policy that denies it turns describing off for the
	// provider's lifetime, and a client that does not implement Describer
	// never describes.
	DisableDescribe bool
}

// Provider reads secrets from AWS Secrets Manager. It implements
// runtime.Provider, runtime.BatchProvider, runtime.Locator and
// runtime.Pender and is safe for concurrent use.
//
// The AWS core it embeds gives it these methods, as to the ssm adapter's:
// Name returns "aws"; Where says where a Ref lives: the secret id
// "/{app}/{environment}/" + ref.SourcePath(), then "@version" when the Ref
// pins a version and "#key" when it reads one member of a JSON secret;
// Close closes the idle connections of the HTTP client FromEnv built, so
// that no connection goroutine outlives the Provider (a Provider from New
// uses the caller's client, which the caller closes; reads after Close
// dial anew; Close is safe to call more than once); Format and LogValue
// print it as "awssm.Provider(aws)" with every fmt verb and as
// backend=aws in slog: it holds an AWS client (and through it
// credentials), none of which is ever printed.
type Provider struct {
	awscore.Core
	client      Client // never printed: see Format and LogValue
	concurrency int
	batchSize   int
	noBatch     atomic.Bool // BatchGetSecretValue is disabled or was denied
	strategy    Strategy
	backoffBase time.Duration
	maxBackoff  time.Duration
	batchGate   gate // backoff after throttled BatchGetSecretValue calls
	getGate     gate // backoff after throttled GetSecretValue calls
	stats       stats

	describer     Describer   // nil: reads always fetch values
	noDescribe    atomic.Bool // DescribeSecret was denied
	seen          seen        // the current version read last, by secret id
	describeStats describeStats
}

var (
	_ runtime.BatchProvider = (*Provider)(nil)
	_ runtime.Locator       = (*Provider)(nil)
	_ runtime.Pender        = (*Provider)(nil)
)

// Client is the part of *secretsmanager.Client the provider uses.
type Client interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error)
}

var _ Client = (*secretsmanager.Client)(nil)

// New returns a provider that reads "/{app}/{environment}/{path}" with
// client; opts may be nil. New takes app and environment as given, without
// checking them: FromEnv is the constructor that validates them.
func New(client Client, app, environment string, opts *Options) *Provider {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.DisableBatch {
		o.Strategy = PerSecret
	}
	p := &Provider{
		Core:        awscore.NewCore(&service, app, environment),
		client:      client,
		strategy:    o.Strategy,
		backoffBase: o.BackoffBase,
		maxBackoff:  max(o.MaxBackoff, o.BackoffBase),
	}
	if d, ok := client.(Describer); ok && !o.DisableDescribe {
		p.describer = d
	}
	p.concurrency, p.batchSize = awscore.Limits(o.MaxConcurrency, o.BatchSize, MaxBatchSize)
	p.noBatch.Store(o.Strategy == PerSecret)
	return p
}

// FromEnv builds a provider from the AWS SDK's default configuration chain:
// AWS_REGION (or the profile's region), AWS_PROFILE, the credential chain,
// and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SECRETS_MANAGER for a local
// endpoint such as moto or LocalStack. A configuration that does not load
// is described by file, profile and setting, never by the contents of the
// shared config and credentials files. The SDK's own logger is silenced,
// and the HTTP client reads at most MaxResponseSize of a response.
//
// app must not be empty, and environment must pass
// backends.CheckEnvironment.
func FromEnv(ctx context.Context, app, environment string) (*Provider, error) {
	return awscore.FromEnv(ctx, &service, app, environment, func(cfg aws.Config) (*Provider, *string) {
		client := secretsmanager.NewFromConfig(cfg)
		return New(client, app, environment, nil), client.Options().BaseEndpoint
	})
}

// Pending implements runtime.Pender: it returns ref with Version
// "AWSPENDING", the staging label a rotation puts on the new version
// before it moves AWSCURRENT to it, so that a runtime.Live can put the new
// value in use during the rotation window. A Ref that pins a version has
// no pending one: false.
func (p *Provider) Pending(ref runtime.Ref) (runtime.Ref, bool) {
	if ref.Version != "" {
		return ref, false
	}
	ref.Version = "AWSPENDING"
	return ref, true
}

// target is one secret version to fetch. version is "" for the current
// version (AWSCURRENT). current marks a read of the version a
// DescribeSecret call just found holding AWSCURRENT (version is its
// VersionId): it is remembered as the current version, as a read of
// AWSCURRENT is.
type target struct {
	id, version string
	current     bool
}

func (p *Provider) target(ref runtime.Ref) target {
	v := ref.Version
	if v == "AWSCURRENT" {
		v = "" // the same as no pin, so it can join a batch
	}
	return target{id: p.Where(runtime.Ref{Source: ref.SourcePath()}), version: v}
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

// Get reads one secret with GetSecretValue; the current version of a
// secret read before is described first and read again only when it
// changed (see Options.DisableDescribe).
func (p *Provider) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	t := p.target(ref)
	if t.version == "" && p.describing() {
		s, ok := p.unchanged(ctx, t.id)
		if ok {
			f := fetch{Done: true, Value: s}
			return awscore.Value(&p.Core, ref, &f, (*secret).read)
		}
		if s.version != "" {
			t.version, t.current = s.version, true // the version describing found
		}
	}
	f := p.readOne(ctx, t)
	return awscore.Value(&p.Core, ref, &f, (*secret).read)
}

// Close forgets the values the provider read last (see
// Options.DisableDescribe) and closes the idle connections of a client
// FromEnv built (see Provider). Reads after Close still work: they read
// every value again.
func (p *Provider) Close() error {
	p.seen.forget()
	return p.Core.Close()
}

// GetMany reads refs in as few calls as it can: one GetSecretValue per
// pinned version, and BatchGetSecretValue for the rest (unless the
// strategy is PerSecret), each secret once, in chunks of at most 20 ids,
// the calls running concurrently (at most MaxConcurrency at a time).
// The current version of a secret the provider read before is described
// first (DescribeSecret) and read again, with GetSecretValue, only when
// AWSCURRENT moved (see Options.DisableDescribe).
// Throttled calls are retried, or moved to the other API (Adaptive), until
// ctx is done. Results are in the order of refs.
func (p *Provider) GetMany(ctx context.Context, refs []runtime.Ref) []runtime.Result {
	fetchAll := func(targets []target, fetched []fetch) { p.fetchAll(ctx, targets, fetched) }
	return awscore.GetMany(&p.Core, refs, p.target, fetchAll, (*secret).read)
}
