// Package ssm is the AWS Systems Manager Parameter Store adapter of
// secretsgen: a runtime.Provider that reads the parameter
// "/{app}/{environment}/{path}" (the Ref's source path). SecureString
// parameters are read decrypted (WithDecryption); String parameters as
// they are; a StringList parameter read by a list entry ("[]string",
// "[]int", ...) becomes a JSON array of its trimmed elements, and its
// comma-separated text for any other entry.
//
// GetMany (what generated Load calls) reads with GetParameters, at most 10
// names a call (the API's limit), the calls running in parallel; entries
// that share a parameter are fetched once, and names in the reply's
// InvalidParameters are not found. When a paginated, recursive
// GetParametersByPath listing of the environment's hierarchy
// "/{app}/{environment}" takes fewer calls than the GetParameters chunks
// (the hierarchy holds fewer parameters than the names asked for, as when
// optional entries are left unset), the provider lists instead: it counts
// both and picks the cheaper (see GetMany). Get reads one name with
// GetParameters, so the IAM actions needed are ssm:GetParameters and
// ssm:GetParametersByPath only.
//
// A Ref with a Version pins it: digits are a parameter version number
// ("name:3"), anything else a label ("name:blue"). A Ref with a Key reads
// one member of a parameter holding a JSON object: a JSON string member
// unquoted, any other member as its JSON text. Value.Version is the
// parameter's version number read, as decimal text. A value longer than
// MaxValueSize is refused as an invalid value, and a client built by
// FromEnv reads at most MaxResponseSize of a response.
//
// Errors say what failed (runtime.Fail: the kind, a cause that holds no
// value, a hint); runtime adds the path, the backend "ssm" and the
// parameter (Where). One table of AWS error codes classifies them by what
// a retry can fix, by the rules of the aws backend: not found, access
// denied (IAM, KMS, rejected or missing credentials), invalid value (a
// request the service refuses, ValidationException or any other 4xx) and
// unavailable (throttling, 5xx, connection failures after the SDK's
// retries, an expired context). An endpoint that cannot be reached and
// missing credentials fail the backend as a whole (runtime.FailBackend):
// a load states them once, with the region and endpoint tried. No text
// the server sent is kept: an API error reads as operation, HTTP status
// and a code the table knows (errors.As finds a smithy.APIError with it),
// and other SDK errors are rebuilt from their types.
//
// Build one from the SDK's standard configuration chain with FromEnv, or
// from a client you configured yourself with New.
package ssm

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"golang.org/x/sync/errgroup"

	"github.com/dashtam/secretsgen/adapters/internal/awscore"
	"github.com/dashtam/secretsgen/runtime"
)

// MaxBatchSize is the largest number of names AWS accepts in one
// GetParameters call, and of parameters in one GetParametersByPath page.
const MaxBatchSize = 10

// MaxValueSize is the largest parameter value the provider accepts, in
// bytes. Parameter Store allows 4 KiB (standard) and 8 KiB (advanced
// parameters); the cap leaves room and guards against a misbehaving
// endpoint.
const MaxValueSize = 64 << 10

// MaxResponseSize is the most a client built by FromEnv reads of one
// response body: 4 MiB, room for 10 parameters of MaxValueSize in JSON
// with every byte escaped. A client passed to New is the caller's, and its
// reads are not capped here.
const MaxResponseSize = 4 << 20

// Client is the part of *ssm.Client (github.com/aws/aws-sdk-go-v2/service/ssm)
// the provider uses.
type Client interface {
	GetParameters(ctx context.Context, in *awsssm.GetParametersInput, optFns ...func(*awsssm.Options)) (*awsssm.GetParametersOutput, error)
	GetParametersByPath(ctx context.Context, in *awsssm.GetParametersByPathInput, optFns ...func(*awsssm.Options)) (*awsssm.GetParametersByPathOutput, error)
}

var _ Client = (*awsssm.Client)(nil)

// Options tunes a Provider. The zero value (or a nil *Options) gives the
// documented defaults.
type Options struct {
	// MaxConcurrency bounds the GetParameters calls one GetMany has in
	// flight. Default 8.
	MaxConcurrency int
	// BatchSize is the number of names per GetParameters call. Default and
	// maximum 10 (larger values are lowered to 10).
	BatchSize int
	// DisableByPath makes GetMany use GetParameters only, for IAM policies
	// that do not grant ssm:GetParametersByPath on the environment's
	// hierarchy. Without it the provider finds out from the first denied
	// listing and stops trying.
	DisableByPath bool
}

// Provider reads parameters from AWS Systems Manager Parameter Store. It
// implements runtime.Provider, runtime.BatchProvider and runtime.Locator
// and is safe for concurrent use.
//
// The AWS core it embeds gives it these methods, as to the aws adapter's
// (awssm): Name returns "ssm"; Where says where a Ref lives: the parameter
// "/{app}/{environment}/" + ref.SourcePath(), then ":version" or ":label"
// when the Ref pins one (the GetParameters selector) and "#key" when it
// reads one member of a JSON parameter; Close closes the idle connections
// of the HTTP client FromEnv built, so that no connection goroutine
// outlives the Provider (a Provider from New uses the caller's client,
// which the caller closes; reads after Close dial anew; Close is safe to
// call more than once); Format and LogValue print it as
// "ssm.Provider(ssm)" with every fmt verb and as backend=ssm in slog: it
// holds an AWS client (and through it credentials), none of which is ever
// printed.
type Provider struct {
	awscore.Core
	client      Client // never printed: see Format and LogValue
	root        string // "/{app}/{environment}", the hierarchy GetParametersByPath lists
	concurrency int
	batchSize   int
	noByPath    atomic.Bool // GetParametersByPath is disabled or was denied
	// listPages is what the provider knows of the GetParametersByPath
	// calls a listing of the hierarchy takes: -1 unknown, else the calls
	// the last listing made (one more when it was stopped early). See
	// GetMany.
	listPages atomic.Int64
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
	p := &Provider{Core: awscore.NewCore(&service, app, environment), client: client, root: "/" + app + "/" + environment}
	p.concurrency, p.batchSize = awscore.Limits(o.MaxConcurrency, o.BatchSize, MaxBatchSize)
	p.noByPath.Store(o.DisableByPath)
	p.listPages.Store(-1)
	return p
}

// FromEnv builds a provider from the AWS SDK's default configuration chain:
// AWS_REGION (or the profile's region), AWS_PROFILE, the credential chain,
// and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SSM for a local endpoint such as
// moto or LocalStack. A configuration that does not load is described by
// file, profile and setting, never by the contents of the shared config and
// credentials files. The SDK's own logger is silenced, and the HTTP client
// reads at most MaxResponseSize of a response.
//
// app must not be empty, and environment must pass
// backends.CheckEnvironment.
func FromEnv(ctx context.Context, app, environment string) (*Provider, error) {
	return awscore.FromEnv(ctx, &service, app, environment, func(cfg aws.Config) (*Provider, *string) {
		client := awsssm.NewFromConfig(cfg)
		return New(client, app, environment, nil), client.Options().BaseEndpoint
	})
}

// target is one parameter version to fetch: a name and the selector
// (version number or label, "" for the current version).
type target struct {
	name, selector string
}

// request is the name GetParameters is asked for: "name" or
// "name:selector".
func (t target) request() string {
	if t.selector == "" {
		return t.name
	}
	return t.name + ":" + t.selector
}

func (p *Provider) target(ref runtime.Ref) target {
	return target{name: p.Where(runtime.Ref{Source: ref.SourcePath()}), selector: ref.Version}
}

// Get reads one parameter with GetParameters (GetMany of ref alone).
func (p *Provider) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	r := p.GetMany(ctx, []runtime.Ref{ref})[0]
	return r.Value, r.Err
}

// GetMany reads refs in as few calls as it can, each parameter version
// once, and returns the results in the order of refs.
//
// Pinned versions and labels are read with GetParameters, at most 10 names
// a call, never two selectors of one parameter in the same call. The
// current versions are read either the same way or with one recursive
// GetParametersByPath listing of "/{app}/{environment}", whichever makes
// fewer calls: n names cost ceil(n/10) GetParameters calls (run in
// parallel, at most MaxConcurrency at a time), a listing of the T
// parameters there at least ceil(T/10) pages (one after another; the
// service may end with an empty page). The provider counts the pages of
// its listings. While that count is unknown, or known to be small enough,
// it lists with a budget of one page less than the GetParameters calls
// would take; a listing that ends within the budget was cheaper and
// answers every name (a name it did not return is not found), and one that
// does not is stopped, the names it did not return are read with
// GetParameters, and the listing is remembered as too long. A first load
// therefore makes at most 2*ceil(n/10)-1 calls, later ones the cheaper
// count. As both calls carry at most 10 parameters, a listing only saves
// calls when many names the manifest reads do not exist (optional entries
// left unset). A denied listing turns listings off for the provider's
// lifetime (see Options.DisableByPath); any other failed listing falls
// back to GetParameters for that call.
func (p *Provider) GetMany(ctx context.Context, refs []runtime.Ref) []runtime.Result {
	fetchAll := func(targets []target, fetched []fetch) { p.fetchAll(ctx, targets, fetched) }
	return awscore.GetMany(&p.Core, refs, p.target, fetchAll, (*param).read)
}

// fetchAll fills fetched[i] for every targets[i].
func (p *Provider) fetchAll(ctx context.Context, targets []target, fetched []fetch) {
	var current []int
	for i, t := range targets {
		if t.selector == "" {
			current = append(current, i)
		}
	}
	if budget := p.listBudget(len(current)); budget > 0 {
		p.byPath(ctx, targets, current, fetched, budget)
	}

	var left []int
	for i := range targets {
		if !fetched[i].Done {
			left = append(left, i)
		}
	}
	chunks := p.chunks(targets, left)
	var g errgroup.Group
	g.SetLimit(max(p.concurrency, 1))
	for _, chunk := range chunks {
		g.Go(func() error { p.chunk(ctx, targets, chunk, fetched); return nil })
	}
	_ = g.Wait()
	for i := range fetched {
		if !fetched[i].Done {
			fetched[i] = noAnswer()
		}
	}
}

// getCalls is the number of GetParameters calls n names take.
func (p *Provider) getCalls(n int) int { return (n + p.batchSize - 1) / p.batchSize }

// listBudget returns how many GetParametersByPath pages a listing may take
// to read n current versions more cheaply than GetParameters, or 0 when
// the provider should not list.
func (p *Provider) listBudget(n int) int {
	if p.noByPath.Load() {
		return 0
	}
	budget := p.getCalls(n) - 1 // a listing must save at least one call
	if budget < 1 {
		return 0
	}
	if known := p.listPages.Load(); known > int64(budget) {
		return 0
	}
	return budget
}

// byPath lists p.root recursively, at most budget pages, and fills
// fetched for the targets[current] it returns. When the listing ends
// within the budget, the targets it did not return are not found.
func (p *Provider) byPath(ctx context.Context, targets []target, current []int, fetched []fetch, budget int) {
	want := make(map[string]int, len(current))
	for _, i := range current {
		want[targets[i].name] = i
	}
	in := &awsssm.GetParametersByPathInput{
		Path:           aws.String(p.root),
		Recursive:      aws.Bool(true),
		WithDecryption: aws.Bool(true),
		MaxResults:     aws.Int32(MaxBatchSize),
	}
	found := make(map[int]fetch, len(current))
	pages := 0
	for ; ; pages++ {
		if pages == budget {
			// Too many parameters in the hierarchy: keep what was found, leave
			// the rest to GetParameters, and remember that a listing takes
			// more calls than this budget.
			p.listPages.Store(int64(pages) + 1)
			for i, f := range found {
				fetched[i] = f
			}
			return
		}
		out, err := p.client.GetParametersByPath(ctx, in)
		if err != nil {
			if awscore.Denied(err) {
				// The policy grants GetParameters only (an IAM denial,
				// not a credentials problem, which GetParameters would
				// hit too): stop listing from now on.
				p.noByPath.Store(true)
			}
			return // every target is left to GetParameters
		}
		for k := range out.Parameters {
			if i, ok := want[aws.ToString(out.Parameters[k].Name)]; ok {
				found[i] = fetch{Done: true, Value: newParam(&out.Parameters[k])}
			}
		}
		if aws.ToString(out.NextToken) == "" {
			pages++
			break
		}
		in.NextToken = out.NextToken
	}
	p.listPages.Store(int64(pages))
	for _, i := range current {
		if f, ok := found[i]; ok {
			fetched[i] = f
		} else {
			fetched[i] = missing()
		}
	}
}

// chunks splits targets[idx] into GetParameters calls of at most
// p.batchSize names each, never two targets of one parameter name in the
// same call: a reply names a parameter without the selector asked for, so
// each name must be unambiguous within a call.
func (p *Provider) chunks(targets []target, idx []int) [][]int {
	var out [][]int
	var names []map[string]bool
	for _, i := range idx {
		placed := false
		for c := range out {
			if len(out[c]) < p.batchSize && !names[c][targets[i].name] {
				out[c] = append(out[c], i)
				names[c][targets[i].name] = true
				placed = true
				break
			}
		}
		if !placed {
			out = append(out, []int{i})
			names = append(names, map[string]bool{targets[i].name: true})
		}
	}
	return out
}

// chunk reads targets[idx] (distinct names, at most 10) with one
// GetParameters call. Each goroutine writes only its own chunk's elements
// of fetched.
func (p *Provider) chunk(ctx context.Context, targets []target, idx []int, fetched []fetch) {
	names := make([]string, len(idx))
	byName := make(map[string]int, len(idx))
	byRequest := make(map[string]int, len(idx))
	for k, i := range idx {
		names[k] = targets[i].request()
		byName[targets[i].name] = i
		byRequest[names[k]] = i
	}
	out, err := p.client.GetParameters(ctx, &awsssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(true)})
	if err != nil {
		f := fetch{Done: true, Fail: service.Failed("GetParameters", err)}
		for _, i := range idx {
			fetched[i] = f
		}
		return
	}
	for k := range out.Parameters {
		// AWS returns the name without the selector (and the selector
		// apart); accept a name that carries it too.
		name, _, _ := strings.Cut(aws.ToString(out.Parameters[k].Name), ":")
		if i, ok := byName[name]; ok {
			fetched[i] = fetch{Done: true, Value: newParam(&out.Parameters[k])}
		}
	}
	for _, name := range out.InvalidParameters {
		if i, ok := byRequest[name]; ok {
			fetched[i] = missing()
		}
	}
}
