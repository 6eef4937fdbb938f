package awssm

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/dashtam/secretsgen/adapters/internal/awscore"
	"github.com/dashtam/secretsgen/adapters/internal/capped"
)

// Strategy says how GetMany reads the current (unpinned) versions of
// secrets. Pinned versions are always read with GetSecretValue.
type Strategy int

const (
	// Adaptive (the default) reads with BatchGetSecretValue, 20 secrets a
	// call. When a batch is throttled, the provider pauses batching for a
	// fully jittered, exponentially growing time and reads the remaining
	// secrets with concurrent GetSecretValue calls, whose quota is separate
	// and 100 times larger (10,000 against 100 requests per second by
	// default); once the pause has passed it batches again. When
	// GetSecretValue is throttled too it waits out whichever pause ends
	// first.
	Adaptive Strategy = iota
	// BatchOnly reads with BatchGetSecretValue only and waits out
	// throttling (with the same jittered backoff).
	BatchOnly
	// PerSecret makes one GetSecretValue call per secret (what DisableBatch
	// selects).
	PerSecret
)

// String returns "adaptive", "batch" or "per-secret".
func (s Strategy) String() string {
	switch s {
	case Adaptive:
		return "adaptive"
	case BatchOnly:
		return "batch"
	case PerSecret:
		return "per-secret"
	}
	return "Strategy(" + strconv.Itoa(int(s)) + ")"
}

// Defaults of the throttling backoff (Options.BackoffBase, MaxBackoff).
const (
	DefaultBackoffBase = 50 * time.Millisecond
	DefaultMaxBackoff  = time.Second
)

// batchBackoffFactor scales BackoffBase for BatchGetSecretValue: a batch
// carries 20 secrets and its quota is 100 times smaller, so a throttled
// batch pauses batching for longer (up to 10*BackoffBase after the first
// throttle, 500ms by default) while GetSecretValue reads the secrets.
const batchBackoffFactor = 10

// Stats counts what a Provider did since it was built. It holds no secret
// ids and no values, so it is safe to log and export as metrics.
type Stats struct {
	Strategy Strategy
	// BatchCalls and GetCalls are the BatchGetSecretValue and
	// GetSecretValue calls made (an SDK-level retry of a transient error
	// within one call is not counted again).
	BatchCalls, GetCalls int64
	// BatchThrottles and GetThrottles are the calls answered with a
	// throttling error (ThrottlingException and the other codes the SDK
	// treats as throttling), plus batch entries throttled one by one.
	BatchThrottles, GetThrottles int64
	// Fallbacks counts throttled batches whose secrets were handed to
	// GetSecretValue (Adaptive only).
	Fallbacks int64
	// Retries counts reads tried again after a throttle.
	Retries int64
	// BatchDisabled is true once batching is off for the provider's
	// lifetime (DisableBatch, PerSecret, or an IAM policy that denied
	// BatchGetSecretValue).
	BatchDisabled bool
	// DescribeCalls and DescribeThrottles are the DescribeSecret calls
	// made to see whether a secret read before changed, and those
	// throttled; Unchanged counts the secrets those calls found unchanged,
	// answered without reading them again (Options.DisableDescribe).
	DescribeCalls, DescribeThrottles, Unchanged int64
	// Describing is true while reads describe secrets read before first:
	// false with DisableDescribe, a client without DescribeSecret, or
	// once an IAM policy denied it.
	Describing bool
}

// stats holds a Provider's counters.
type stats struct {
	batchCalls, getCalls         atomic.Int64
	batchThrottles, getThrottles atomic.Int64
	fallbacks, retries           atomic.Int64
}

// Stats returns the provider's counters. It never includes a secret id or
// value.
func (p *Provider) Stats() Stats {
	return Stats{
		Strategy:       p.strategy,
		BatchCalls:     p.stats.batchCalls.Load(),
		GetCalls:       p.stats.getCalls.Load(),
		BatchThrottles: p.stats.batchThrottles.Load(),
		GetThrottles:   p.stats.getThrottles.Load(),
		Fallbacks:      p.stats.fallbacks.Load(),
		Retries:        p.stats.retries.Load(),
		BatchDisabled:  p.noBatch.Load(),

		DescribeCalls:     p.describeStats.calls.Load(),
		DescribeThrottles: p.describeStats.throttles.Load(),
		Unchanged:         p.describeStats.unchanged.Load(),
		Describing:        p.describing(),
	}
}

// gate is the backoff state of one API for one provider: no call of that
// API starts before notBefore. A throttle that arrives while the gate is
// open closes it for a fully jittered time drawn from [0, min(max,
// base*2^streak)) and grows the streak; throttles of calls that were in
// flight while it was already closed do not extend it. A call that
// succeeds resets the streak.
type gate struct {
	mu        sync.Mutex
	notBefore time.Time
	streak    int
}

// wait returns how long until the gate opens (0 when it is open).
func (g *gate) wait(now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Before(g.notBefore) {
		return g.notBefore.Sub(now)
	}
	return 0
}

func (g *gate) throttled(now time.Time, base, maxWait time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Before(g.notBefore) {
		return
	}
	ceiling := maxWait
	if g.streak < 30 {
		ceiling = min(maxWait, base<<g.streak)
	}
	g.streak++
	g.notBefore = now.Add(time.Duration(rand.Int64N(int64(ceiling) + 1)))
}

func (g *gate) ok() {
	g.mu.Lock()
	g.streak = 0
	g.mu.Unlock()
}

// throttleCodes are the error codes the SDK treats as throttling.
var throttleCodes = retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}

// throttle reports whether err is a throttling error from the service.
func throttle(err error) bool {
	return err != nil && throttleCodes.IsErrorThrottle(err) == aws.TrueTernary
}

// noThrottleRetry is the client's retryer with throttling taken out: the
// SDK still retries transient failures (5xx, connection resets, timeouts)
// with the client's attempts and backoff, but a throttled call comes back
// at once, so that the provider can move the work to the other API and
// back off itself. Retrying a throttle inside the SDK would also spend
// the client's retry token bucket (5 tokens of 500 a retry), after which
// every retry fails with "retry quota exceeded".
type noThrottleRetry struct{ aws.Retryer }

func (r noThrottleRetry) IsErrorRetryable(err error) bool {
	// A response over the body cap would be as large again.
	if throttle(err) || errors.Is(err, capped.ErrTooLarge) {
		return false
	}
	return r.Retryer.IsErrorRetryable(err)
}

func (r noThrottleRetry) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if v2, ok := r.Retryer.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return r.GetInitialToken(), nil
}

// callOptions is applied to every call the provider makes.
func callOptions(o *secretsmanager.Options) {
	if o.Retryer != nil {
		o.Retryer = noThrottleRetry{o.Retryer}
	}
}

// sleep waits d or until ctx is done; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// readOne reads t with GetSecretValue, waiting out throttling while ctx is
// live.
func (p *Provider) readOne(ctx context.Context, t target) fetch {
	var last fetch // the last throttled answer
	for {
		if !sleep(ctx, p.getGate.wait(time.Now())) {
			return keepThrottle(last, failed("", ctx.Err()))
		}
		f, throttled := p.getOne(ctx, t)
		if !throttled && ctx.Err() != nil {
			return keepThrottle(last, f)
		}
		if !throttled || ctx.Err() != nil {
			return f
		}
		last = f
		p.stats.retries.Add(1)
	}
}

// keepThrottle returns the throttle failure last, if there was one, in
// place of f, the failure of a read that ran out of time after it: the
// throttling is why the read failed.
func keepThrottle(last, f fetch) fetch {
	if last.Fail != nil && f.Fail != nil {
		return last
	}
	return f
}

// getOne reads t with one GetSecretValue call and reports whether it was
// throttled (the gate and counters are updated).
func (p *Provider) getOne(ctx context.Context, t target) (fetch, bool) {
	p.stats.getCalls.Add(1)
	out, err := p.client.GetSecretValue(ctx, getInput(t), callOptions)
	if err != nil {
		if throttle(err) {
			p.stats.getThrottles.Add(1)
			p.getGate.throttled(time.Now(), p.backoffBase, p.maxBackoff)
			return failed("GetSecretValue", err), true
		}
		return failed("GetSecretValue", err), false
	}
	p.getGate.ok()
	s := secret{text: out.SecretString, binary: out.SecretBinary, version: aws.ToString(out.VersionId)}
	if t.version == "" || t.current {
		p.seen.remember(t.id, s)
	}
	return fetch{Done: true, Value: s}, false
}

// load is the state of one fetchAll: the targets still to read, split
// into those a batch may read (pending: current versions, while the
// strategy batches) and those only GetSecretValue reads (singles: pinned
// versions, secrets a batch did not return, everything when batching is
// off). Workers take jobs from it until nothing is left or ctx is done.
type load struct {
	p        *Provider
	ctx      context.Context
	targets  []target
	fetched  []fetch
	settled  []bool
	mu       sync.Mutex
	cond     *sync.Cond
	pending  []int
	singles  []int
	inFlight int
}

// job is one call: a batch of target indices, or one target.
type job struct {
	batch  []int
	single int
}

// fetchAll fills fetched[i] for every targets[i] with at most
// p.concurrency calls in flight, following the provider's strategy.
func (p *Provider) fetchAll(ctx context.Context, targets []target, fetched []fetch) {
	l := &load{p: p, ctx: ctx, targets: targets, fetched: fetched, settled: make([]bool, len(targets))}
	l.cond = sync.NewCond(&l.mu)
	var known []int // current versions read before: described first
	for i, t := range targets {
		_, before := p.seen.last(t.id)
		switch {
		case t.version == "" && before && p.describing():
			known = append(known, i)
		case t.version == "" && p.batching():
			l.pending = append(l.pending, i)
		default:
			l.singles = append(l.singles, i)
		}
	}
	if len(known) > 0 {
		// What changed is read one by one: a secret costs a ten-thousandth
		// of a second of GetSecretValue's quota, and a batch a hundredth
		// of BatchGetSecretValue's.
		l.singles = append(l.singles, p.describeAll(ctx, targets, known, fetched, l.settled)...)
	}
	// A worker that finds nothing to do waits for the calls in flight
	// (a throttled batch hands its secrets back), so all of them start,
	// even those with nothing to do yet.
	var wg sync.WaitGroup
	for range min(p.concurrency, len(targets)) {
		wg.Go(l.work)
	}
	wg.Wait()
	for i := range targets {
		if l.settled[i] {
			continue
		}
		// ctx ended first: keep the last throttle error of a target that
		// was tried, else say the context ended.
		if fetched[i].Fail == nil {
			err := ctx.Err()
			if err == nil {
				err = context.Canceled
			}
			fetched[i] = failed("", err)
		}
	}
}

// batching reports whether unpinned secrets go to BatchGetSecretValue.
func (p *Provider) batching() bool {
	return p.strategy != PerSecret && !p.noBatch.Load()
}

func (l *load) work() {
	for {
		j, ok := l.next()
		if !ok {
			return
		}
		if j.batch != nil {
			l.batch(j.batch)
		} else {
			l.single(j.single)
		}
		l.mu.Lock()
		l.inFlight--
		l.cond.Broadcast()
		l.mu.Unlock()
	}
}

// next returns the next job, waiting for a closed gate to open or for
// work to come back from calls in flight; false when everything is read
// or ctx is done.
func (l *load) next() (job, bool) {
	p := l.p
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if l.ctx.Err() != nil {
			return job{}, false
		}
		if len(l.pending) == 0 && len(l.singles) == 0 {
			if l.inFlight == 0 {
				l.cond.Broadcast()
				return job{}, false
			}
			l.cond.Wait()
			continue
		}
		if len(l.pending) > 0 && !p.batching() {
			// Batching was denied meanwhile.
			l.singles = append(l.singles, l.pending...)
			l.pending = nil
		}
		now := time.Now()
		getWait := p.getGate.wait(now)
		batchWait := time.Duration(-1) // no batch to make
		if len(l.pending) > 0 {
			batchWait = p.batchGate.wait(now)
		}
		switch {
		case batchWait == 0:
			n := min(p.batchSize, len(l.pending))
			chunk := l.pending[:n:n]
			l.pending = l.pending[n:]
			l.inFlight++
			return job{batch: chunk}, true
		case getWait == 0 && len(l.singles) > 0:
			i := l.singles[0]
			l.singles = l.singles[1:]
			l.inFlight++
			return job{single: i}, true
		case getWait == 0 && len(l.pending) > 0 && p.strategy != BatchOnly:
			i := l.pending[0]
			l.pending = l.pending[1:]
			l.inFlight++
			return job{single: i}, true
		}
		// Every call we could make is paused: wait for the first gate
		// that matters to open.
		wait := getWait
		if batchWait > 0 && (wait == 0 || batchWait < wait || (p.strategy == BatchOnly && len(l.singles) == 0)) {
			wait = batchWait
		}
		if wait <= 0 {
			// Only a gate with no work behind it is open (a batch-only
			// load whose singles are all in flight): wait for the calls.
			l.cond.Wait()
			continue
		}
		l.mu.Unlock()
		live := sleep(l.ctx, wait)
		l.mu.Lock()
		if !live {
			return job{}, false
		}
	}
}

// requeue hands targets back for another call.
func (l *load) requeue(pending bool, idx ...int) {
	l.mu.Lock()
	if pending {
		l.pending = append(l.pending, idx...)
	} else {
		l.singles = append(l.singles, idx...)
	}
	l.mu.Unlock()
}

func (l *load) single(i int) {
	p := l.p
	f, throttled := p.getOne(l.ctx, l.targets[i])
	if !throttled && l.ctx.Err() != nil {
		f = keepThrottle(l.fetched[i], f)
	}
	l.fetched[i] = f
	if throttled && l.ctx.Err() == nil {
		p.stats.retries.Add(1)
		l.requeue(l.targets[i].version == "" && p.batching(), i)
		return
	}
	l.settled[i] = true
}

// batch reads the current versions of targets[chunk] with one
// BatchGetSecretValue call. Each call writes only its own chunk's
// elements of fetched and settled.
func (l *load) batch(chunk []int) {
	p := l.p
	ids := make([]string, len(chunk))
	byID := make(map[string]int, len(chunk))
	for k, i := range chunk {
		ids[k] = l.targets[i].id
		byID[l.targets[i].id] = i
	}
	p.stats.batchCalls.Add(1)
	out, err := p.client.BatchGetSecretValue(l.ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: ids}, callOptions)
	switch {
	case err == nil:
	case awscore.Denied(err):
		// The policy grants GetSecretValue only: read the chunk one by
		// one and stop batching from now on.
		p.noBatch.Store(true)
		l.requeue(false, chunk...)
		return
	case throttle(err):
		p.stats.batchThrottles.Add(1)
		p.batchGate.throttled(time.Now(), p.backoffBase*batchBackoffFactor, p.maxBackoff)
		f := failed("BatchGetSecretValue", err)
		for _, i := range chunk {
			l.fetched[i] = f
		}
		if l.ctx.Err() != nil {
			for _, i := range chunk {
				l.settled[i] = true
			}
			return
		}
		if p.strategy == Adaptive {
			p.stats.fallbacks.Add(1)
		} else {
			p.stats.retries.Add(1)
		}
		l.requeue(true, chunk...)
		return
	default:
		f := failed("BatchGetSecretValue", err)
		for _, i := range chunk {
			if l.ctx.Err() != nil {
				l.fetched[i] = keepThrottle(l.fetched[i], f)
			} else {
				l.fetched[i] = f
			}
			l.settled[i] = true
		}
		return
	}
	p.batchGate.ok()
	var again []int
	for _, e := range out.SecretValues {
		if i, ok := byID[aws.ToString(e.Name)]; ok {
			s := secret{text: e.SecretString, binary: e.SecretBinary, version: aws.ToString(e.VersionId)}
			p.seen.remember(l.targets[i].id, s)
			l.fetched[i] = fetch{Done: true, Value: s}
			l.settled[i] = true
		}
	}
	for _, e := range out.Errors {
		// An entry naming an id we did not send (an ARN, say) is left to
		// GetSecretValue, which gets its own answer.
		i, ok := byID[aws.ToString(e.SecretId)]
		if !ok {
			continue
		}
		code := aws.ToString(e.ErrorCode)
		l.fetched[i] = fetch{Done: true, Fail: service.Refused("BatchGetSecretValue", code, aws.ToString(e.Message))}
		if _, th := retry.DefaultThrottleErrorCodes[code]; th && l.ctx.Err() == nil {
			p.stats.batchThrottles.Add(1)
			p.stats.retries.Add(1)
			again = append(again, i)
			continue
		}
		l.settled[i] = true
	}
	for _, i := range chunk {
		if !l.settled[i] && !slices.Contains(again, i) {
			l.fetched[i] = fetch{}
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		l.requeue(false, again...)
	}
}
