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
// FromEnv reads at most MaxResponseSize of a response. A Provider prints
// as its backend name only (Format, LogValue); Close drops the idle
// connections of a client FromEnv built.
//
// Errors are *runtime.SecretError values naming the path, the backend "ssm" and
// the parameter name (never a value), classified by one table of AWS error
// codes (see errorCodes): not found, access denied (IAM, KMS, rejected or
// missing credentials), unavailable (throttling, 5xx, connection failures
// after the SDK's retries, an expired context), and invalid value for
// requests the service refuses as malformed (ValidationException), which
// retrying cannot mend. No message carries text a server sent: an AWS API
// failure is reported by operation, HTTP status and error code (a code the
// table does not know is left out, by the rule awssm follows too), and
// errors.As still finds a smithy.APIError with that code; other SDK errors
// are rebuilt from their types.
//
// Build one from the SDK's standard configuration chain (AWS_REGION,
// AWS_PROFILE, credentials, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_SSM) with
// FromEnv, or from a client you configured yourself with New.
package ssm

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/dashtam/secretsgen/adapters/internal/awssdk"
	"github.com/dashtam/secretsgen/adapters/internal/jsonobj"
	"github.com/dashtam/secretsgen/internal/foreach"
	"github.com/dashtam/secretsgen/runtime"
)

// backend is the name the provider reports and errors carry.
const backend = "ssm"

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
type Provider struct {
	client      Client // never printed: see Format and LogValue
	closeIdle   func() // closes the connections of a client FromEnv built; nil for New
	root        string // "/{app}/{environment}", the hierarchy GetParametersByPath lists
	concurrency int
	batchSize   int
	noByPath    atomic.Bool // GetParametersByPath is disabled or was denied
	// listPages is what the provider knows of the GetParametersByPath
	// calls a listing of root takes: -1 unknown, else the calls the last
	// listing made (one more when it was stopped early). See GetMany.
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
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = 8
	}
	if o.BatchSize <= 0 || o.BatchSize > MaxBatchSize {
		o.BatchSize = MaxBatchSize
	}
	p := &Provider{
		client:      client,
		root:        "/" + app + "/" + environment,
		concurrency: o.MaxConcurrency,
		batchSize:   o.BatchSize,
	}
	p.noByPath.Store(o.DisableByPath)
	p.listPages.Store(-1)
	return p
}

// FromEnv builds a provider from the AWS SDK's default configuration chain:
// AWS_REGION (or the profile's region), AWS_PROFILE, the credential chain,
// and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SSM for a local endpoint such as
// moto or LocalStack. A configuration that does not load is described by
// file, profile and setting, never by the contents of the shared config and
// credentials files.
//
// app must not be empty, and environment must pass
// backends.CheckEnvironment.
func FromEnv(ctx context.Context, app, environment string) (*Provider, error) {
	cfg, hc, err := awssdk.LoadConfig(ctx, "ssm", app, environment, MaxResponseSize)
	if err != nil {
		return nil, err
	}
	p := New(awsssm.NewFromConfig(cfg), app, environment, nil)
	p.closeIdle = hc.CloseIdle
	return p, nil
}

// Format prints the Provider as its backend name with every verb: it
// holds an AWS client (and through it credentials), none of which is ever
// printed.
func (p *Provider) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "ssm.Provider(ssm)") }

// LogValue implements slog.LogValuer: the backend name only.
func (p *Provider) LogValue() slog.Value {
	return slog.GroupValue(slog.String("backend", backend))
}

// Close closes the idle connections of the HTTP client FromEnv built, so
// that no connection goroutine outlives the Provider. A Provider from New
// uses the caller's client, which the caller closes. Reads after Close
// still work (they dial anew). Close is safe to call more than once.
func (p *Provider) Close() error {
	if p.closeIdle != nil {
		p.closeIdle()
	}
	return nil
}

// Name returns "ssm".
func (p *Provider) Name() string { return backend }

// parameterName returns the parameter ref reads:
// "/{app}/{environment}/" followed by ref.SourcePath().
func (p *Provider) parameterName(ref runtime.Ref) string {
	return p.root + "/" + ref.SourcePath()
}

// Where says where ref lives: the parameter name, then ":version" or
// ":label" when the Ref pins one (the GetParameters selector) and "#key"
// when it reads one member of a JSON parameter.
func (p *Provider) Where(ref runtime.Ref) string {
	w := p.parameterName(ref)
	if ref.Version != "" {
		w += ":" + ref.Version
	}
	if ref.Key != "" {
		w += "#" + ref.Key
	}
	return w
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
	return target{name: p.parameterName(ref), selector: ref.Version}
}

// Get reads one parameter with GetParameters.
func (p *Provider) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	targets := []target{p.target(ref)}
	fetched := make([]fetch, 1)
	p.chunk(ctx, targets, []int{0}, fetched)
	if !fetched[0].done {
		fetched[0] = noAnswer()
	}
	return p.value(ref, &fetched[0])
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
	return awssdk.GetMany(refs, p.target, fetchAll, p.value)
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
		if !fetched[i].done {
			left = append(left, i)
		}
	}
	chunks := p.chunks(targets, left)
	foreach.Run(len(chunks), p.concurrency, func(c int) { p.chunk(ctx, targets, chunks[c], fetched) })
	for i := range fetched {
		if !fetched[i].done {
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
			// Too many parameters under root: keep what was found, leave
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
			if listingDenied(failed("GetParametersByPath", err).code) {
				// The policy grants GetParameters only (an IAM denial,
				// not a credentials problem, which GetParameters would
				// hit too): stop listing from now on.
				p.noByPath.Store(true)
			}
			return // every target is left to GetParameters
		}
		for k := range out.Parameters {
			if i, ok := want[aws.ToString(out.Parameters[k].Name)]; ok {
				found[i] = fetch{done: true, param: newParam(&out.Parameters[k])}
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
		f := failed("GetParameters", err)
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
			fetched[i] = fetch{done: true, param: newParam(&out.Parameters[k])}
		}
	}
	for _, name := range out.InvalidParameters {
		if i, ok := byRequest[name]; ok {
			fetched[i] = missing()
		}
	}
}

// param is one parameter version as Parameter Store returned it. It holds
// a secret value: never print it or put it in an error.
type param struct {
	value   string
	typ     types.ParameterType
	version string

	// The JSON object in the value, decoded by the first ref that reads a
	// member (see member).
	object jsonobj.Object
}

func newParam(in *types.Parameter) param {
	return param{value: aws.ToString(in.Value), typ: in.Type, version: strconv.FormatInt(in.Version, 10)}
}

// value turns what was fetched for ref into its runtime.Value, or into an
// *runtime.SecretError naming ref's path and parameter. It may cache the decoded
// JSON object in f.param, so f must not be shared between goroutines.
func (p *Provider) value(ref runtime.Ref, f *fetch) (runtime.Value, error) {
	if f.kind != 0 {
		return runtime.Value{}, p.error(ref, f.kind, f.code, f.cause)
	}
	text, err := f.param.extract(ref)
	if err != nil {
		return runtime.Value{}, p.error(ref, runtime.ErrInvalidValue, "", err)
	}
	return runtime.Value{Text: text, Version: f.param.version}, nil
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
