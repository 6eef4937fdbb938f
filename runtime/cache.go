package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// firstBackoff is the delay before the first retry of a failed refresh; it
// doubles with each further failure, capped at the TTL.
const firstBackoff = time.Second

// CacheOptions are the optional settings of NewCache. A nil *CacheOptions
// means all defaults.
type CacheOptions struct {
	// TTL is how long a fetched value is served as fresh. Zero or negative
	// means DefaultCacheTTL (5 minutes; generated NewProvider passes
	// SECRETS_CACHE_TTL). A value read after a random point in
	// [TTL/2, TTL) of its life is refreshed in the background while the
	// reader gets the current value.
	TTL time.Duration
	// MaxStale bounds how long past its TTL the last good value is served
	// while every refresh fails with ErrUnavailable (an outage); after that
	// reads fail with ErrUnavailable. Zero means no bound: the last good
	// value is served for as long as the outage lasts.
	MaxStale time.Duration
	// Now returns the current time; time.Now when nil. Tests pass a fake
	// clock.
	Now func() time.Time
	// Telemetry is what a Live over this Cache records through when its
	// own LiveOptions.Telemetry is zero (see Telemetry). The Cache itself
	// records nothing: a read costs the same with or without it.
	Telemetry Telemetry
}

// Cache is a Provider that remembers the values another Provider returns.
// It is the provider type generated NewProvider returns and that NewLive
// keeps current.
//
//   - A value is fresh for TTL after it was fetched. A read of a fresh value
//     never waits: it is one atomic load and a map lookup, without locks
//     or allocation.
//   - Refresh-ahead: the first read after a random point in [TTL/2, TTL) of a
//     value's life starts one background refresh and returns the current
//     value at once. A secret read at least once per half TTL therefore
//     never makes a reader wait; one not read for a whole TTL is fetched
//     again by its next reader, who waits for it, as for the first read.
//   - However many goroutines ask for the same secret at once, the inner
//     provider is asked once (golang.org/x/sync/singleflight). That call
//     keeps the starting caller's context values but not its cancellation,
//     and is bounded by one minute and by Close: a caller that gives up
//     early does not fail the others, and each caller stops waiting when
//     its own context is done. While it runs, other readers of a value past
//     its TTL get that value at once (within MaxStale) instead of waiting.
//   - A refresh that fails with ErrUnavailable (an outage; a backend that
//     times out, or hangs until the one-minute bound, is one) keeps the last
//     good value, served past its TTL, and is retried after a backoff that
//     starts at one second and doubles with each failure up to the TTL
//     (each delay jittered in [d/2, d)). With MaxStale set, reads fail with
//     ErrUnavailable once the value is MaxStale past its TTL. "Not found"
//     is an answer like a value: it is cached for the TTL (an absent
//     optional secret costs one backend call per TTL, not one per read)
//     and replaces the value of a deleted secret. Access denied (the
//     permission was revoked) drops the value, and the next read asks
//     again: a revoked secret is not served on.
//   - Refresh(ctx, paths...) fetches those secrets (every cached one when
//     none are named) again at once, in one batch; readers keep getting the
//     old values until the new ones are in.
//   - Close stops the background refreshes and closes the inner provider.
//
// Values are keyed by every Ref field that selects what is read (Path, Env,
// Source, Key, Version, Type). A Cache is safe for concurrent use. It never
// logs; printing a Cache with any fmt verb or log/slog shows only its
// backend name.
type Cache struct {
	// cacheState is one pointer away: where fmt cannot call Format (a
	// *Cache in an unexported field, printed with a verb it rejects) it
	// prints through reflection, which shows an embedded pointer as an
	// address, so neither the values nor the single-flight state (written
	// by fetch goroutines) are read.
	*cacheState
}

// cacheState is the state of a Cache.
type cacheState struct {
	p        Provider
	ttl      time.Duration
	maxStale time.Duration
	now      func() time.Time
	realTime bool // now is time.Now: entry timers mark refreshes due
	group    singleflight.Group

	table atomic.Pointer[cacheTable] // copied on insert; read without locks
	gen   atomic.Uint64              // incremented by Refresh: fetches started before it are not stored
	fresh atomic.Uint64              // numbers fresh reads, which share no flight

	mu     sync.Mutex // serializes inserts into table, settle, and closing
	closed bool
	bg     context.Context // cancels background refreshes and every fetch in flight; cancelled by Close
	stop   context.CancelFunc
	wg     sync.WaitGroup // fetches, background refreshes and the Changed fan-out in flight

	changes *broadcast // the inner provider's change signals; nil when it has none

	tel Telemetry // CacheOptions.Telemetry, for the Lives over it
}

// cacheTable holds the entries by Ref.Path; refs of one path that differ in
// another key field share the slice.
type cacheTable map[string][]*cacheEntry

type cacheKey struct{ path, env, source, key, version, typ string }

func keyOf(r Ref) cacheKey {
	return cacheKey{r.Path, r.Env, r.Source, r.Key, r.Version, r.Type}
}

// cacheEntry is the cache slot of one key. Its state is replaced as a whole.
type cacheEntry struct {
	key  cacheKey
	ref  Ref
	st   atomic.Pointer[entryState] // nil: no value (never fetched, or dropped)
	busy atomic.Bool                // a background refresh is in flight
	// fetching counts the inner calls for this entry in flight (foreground
	// or background): while one runs, readers of a value past its TTL get
	// that value instead of waiting.
	fetching atomic.Int32
}

// entryState is one immutable state of an entry.
type entryState struct {
	val      Value
	err      error     // a cached "not found" answer (val is then empty)
	fetched  time.Time // when val was fetched
	expires  time.Time // fetched + TTL
	next     time.Time // the first read at or after next refreshes (ahead, or a retry)
	failing  error     // the last refresh's outage error; nil when it succeeded
	failures int       // refreshes failed in a row
	// due is set by a timer at next when the cache runs on the real clock,
	// so that a read before next costs no clock read (time.Now is the
	// dearest part of a hit). With a fake clock (CacheOptions.Now) every
	// read compares the time.
	due   atomic.Bool
	timer *time.Timer
}

// flight is the singleflight key of k in generation gen.
func (k cacheKey) flight(b *strings.Builder, gen uint64) {
	b.WriteString(strconv.FormatUint(gen, 10))
	for _, s := range [...]string{k.path, k.env, k.source, k.key, k.version, k.typ} {
		b.WriteByte(0)
		b.WriteString(s)
	}
}

// NewCache returns a Cache in front of p.
func NewCache(p Provider, opts *CacheOptions) *Cache {
	c := &Cache{&cacheState{p: p, ttl: DefaultCacheTTL, now: time.Now, realTime: true}}
	if opts != nil {
		if opts.TTL > 0 {
			c.ttl = opts.TTL
		}
		if opts.MaxStale > 0 {
			c.maxStale = opts.MaxStale
		}
		if opts.Now != nil {
			c.now, c.realTime = opts.Now, false
		}
		c.tel = opts.Telemetry
	}
	c.table.Store(&cacheTable{})
	c.bg, c.stop = context.WithCancel(context.Background())
	c.changes = newBroadcast(p)
	return c
}

// TTL returns the cache's TTL (the default PollInterval of NewLive).
func (c *Cache) TTL() time.Duration { return c.ttl }

// Name returns the inner provider's name.
func (c *Cache) Name() string { return c.p.Name() }

// Where returns the inner provider's location of ref, or "" when it is not a
// Locator.
func (c *Cache) Where(ref Ref) string {
	if l, ok := c.p.(Locator); ok {
		return l.Where(ref)
	}
	return ""
}

// Group returns the inner provider's group of ref (Grouper), or "".
func (c *Cache) Group(ref Ref) string {
	if g, ok := c.p.(Grouper); ok {
		return g.Group(ref)
	}
	return ""
}

// Changed returns a channel of the caller's own that receives when the
// inner provider signals a change (a Notifier: the files backend's file
// events, the env backend's .env edits), or nil, a channel that never
// fires, when it does not. Every call returns a new channel and each one
// receives every signal (at most one pending: a receiver that is behind
// misses none but the repeats), so several Lives and a user can watch one
// Cache. The channels are closed by Close, or when the inner channel is
// closed. NewLive polls at once when it fires.
func (c *Cache) Changed() <-chan struct{} {
	ch, _ := c.changes.subscribe()
	return ch
}

// subscribe is Changed with a func that unregisters the channel.
func (c *Cache) subscribe() (<-chan struct{}, func()) { return c.changes.subscribe() }

// Pending returns the inner provider's pending version of ref (Pender), or
// false.
func (c *Cache) Pending(ref Ref) (Ref, bool) {
	if p, ok := c.p.(Pender); ok {
		return p.Pending(ref)
	}
	return Ref{}, false
}

// Served returns the layer that served ref when the inner provider is a
// Router (Layers), else "".
func (c *Cache) Served(ref Ref) string {
	if r, ok := c.p.(Router); ok {
		return r.Served(ref)
	}
	return ""
}

// Format implements fmt.Formatter: every verb prints the backend name only,
// never a cached value or the inner provider's state.
func (c *Cache) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "runtime.Cache{backend: %s}", c.Name())
}

// LogValue implements slog.LogValuer: the backend name only.
func (c *Cache) LogValue() slog.Value {
	return slog.GroupValue(slog.String("backend", c.Name()))
}

// lookup returns the entry of ref, or nil.
func (c *Cache) lookup(ref Ref) *cacheEntry {
	for _, e := range (*c.table.Load())[ref.Path] {
		// Path is equal by the map lookup; compare the rest.
		if k := &e.key; k.env == ref.Env && k.source == ref.Source && k.key == ref.Key && k.version == ref.Version && k.typ == ref.Type {
			return e
		}
	}
	return nil
}

// entries returns the entries of refs, creating the missing ones.
func (c *Cache) entries(refs []Ref) []*cacheEntry {
	out := make([]*cacheEntry, len(refs))
	missing := false
	for i, ref := range refs {
		if out[i] = c.lookup(ref); out[i] == nil {
			missing = true
		}
	}
	if !missing {
		return out
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.table.Load()
	t := make(cacheTable, len(old)+1)
	for k, v := range old {
		t[k] = v
	}
	for i, ref := range refs {
		if out[i] != nil {
			continue
		}
		k := keyOf(ref)
		for _, e := range t[ref.Path] {
			if e.key == k {
				out[i] = e
			}
		}
		if out[i] == nil {
			out[i] = &cacheEntry{key: k, ref: ref}
			t[ref.Path] = append(slices.Clip(t[ref.Path]), out[i])
		}
	}
	c.table.Store(&t)
	return out
}

// hit returns the value of e when it can be served without waiting, and
// starts a background refresh when it is due. ok is false when the caller
// must fetch (no value, or a value past its TTL that no outage excuses);
// err is set when the value is too stale to serve (MaxStale).
func (c *Cache) hit(e *cacheEntry) (v Value, ok bool, err error) {
	if e == nil {
		return Value{}, false, nil
	}
	st := e.st.Load()
	if st == nil {
		return Value{}, false, nil
	}
	if l := st.val.Lease; l != nil && l.EndsBy(c.now()) {
		return Value{}, false, nil // a revoked or expired credential is never served: fetch the current one
	}
	if c.realTime && !st.due.Load() && st.failing == nil {
		return st.val, true, st.err // the fast path: fresh, no refresh due
	}
	now := c.now()
	if st.failing == nil {
		if now.Before(st.next) {
			return st.val, true, st.err // fresh, no refresh due
		}
		if !now.Before(st.expires) {
			if e.fetching.Load() > 0 && (c.maxStale == 0 || now.Before(st.expires.Add(c.maxStale))) {
				// Another reader's fetch is in flight: serve the value
				// meanwhile, as in an outage, rather than wait on it.
				return st.val, true, st.err
			}
			return Value{}, false, nil
		}
	} else if c.maxStale > 0 && !now.Before(st.expires.Add(c.maxStale)) {
		if !now.Before(st.next) {
			return Value{}, false, nil // too stale to serve: the reader waits for the retry
		}
		return Value{}, true, st.failing
	}
	if !now.Before(st.next) {
		c.refreshAhead(e)
	}
	return st.val, true, st.err
}

// refreshAhead starts one background refresh of e unless one is running or
// the cache is closed.
func (c *Cache) refreshAhead(e *cacheEntry) {
	if !e.busy.CompareAndSwap(false, true) {
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		e.busy.Store(false)
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		defer e.busy.Store(false)
		_, _ = c.fetch(c.bg, e)
	}()
}

// Get returns the cached value of ref, fetching it from the inner provider
// when it is missing or past its TTL (see Cache for refresh-ahead and
// outages). It fails with ErrUnavailable when ctx is done, even when the
// value is cached.
func (c *Cache) Get(ctx context.Context, ref Ref) (Value, error) {
	if err := ctx.Err(); err != nil {
		return Value{}, c.ctxError(ref, err)
	}
	e := c.lookup(ref)
	if v, ok, err := c.hit(e); ok {
		return v, err
	}
	if e == nil {
		e = c.entries([]Ref{ref})[0]
	}
	return c.fetch(ctx, e)
}

// fetch asks the inner provider for e's value, sharing one call among
// concurrent callers, and settles the outcome.
func (c *Cache) fetch(ctx context.Context, e *cacheEntry) (Value, error) {
	if err := ctx.Err(); err != nil {
		return Value{}, c.ctxError(e.ref, err) // no flight for a caller that is gone
	}
	gen := c.gen.Load()
	var b strings.Builder
	b.WriteString("g")
	e.key.flight(&b, gen)
	ch := c.group.DoChan(b.String(), func() (any, error) {
		fctx, done := c.flightContext(ctx)
		defer done()
		if err := fctx.Err(); err != nil {
			return Value{}, c.ctxError(e.ref, err)
		}
		e.fetching.Add(1)
		defer e.fetching.Add(-1)
		start := c.now()
		v, err := c.p.Get(fctx, e.ref)
		if err != nil {
			err = stamp(err, e.ref, c.p)
		}
		return c.settle(e, gen, start, v, err, closedUnder(fctx))
	})
	select {
	case r := <-ch:
		v, _ := r.Val.(Value)
		return v, r.Err
	case <-ctx.Done():
		return Value{}, c.ctxError(e.ref, ctx.Err())
	}
}

// GetMany returns one Result per ref, in order. Values that can be served
// come from the cache; the others are fetched with one inner GetMany when
// the inner provider is a BatchProvider (identical concurrent batches share
// one call), otherwise with concurrent Get calls.
func (c *Cache) GetMany(ctx context.Context, refs []Ref) []Result {
	bp, ok := c.p.(BatchProvider)
	if !ok {
		return getConcurrent(ctx, c, refs)
	}
	res := make([]Result, len(refs))
	if err := ctx.Err(); err != nil {
		for i, ref := range refs {
			res[i].Err = c.ctxError(ref, err)
		}
		return res
	}
	es := c.entries(refs)
	var miss []int
	for i, e := range es {
		if v, ok, err := c.hit(e); ok {
			res[i] = Result{Value: v, Err: err}
			continue
		}
		miss = append(miss, i)
	}
	if len(miss) == 0 {
		return res
	}
	got := c.fetchBatch(ctx, bp, es, miss, true)
	for j, i := range miss {
		res[i] = got[j]
	}
	return res
}

// fetchBatch fetches the entries es[i] for i in idx with one inner GetMany,
// shared with identical concurrent batches, and settles each outcome. It
// returns what readers get (settled) or, when settled is false, the inner
// provider's own results.
func (c *Cache) fetchBatch(ctx context.Context, bp BatchProvider, es []*cacheEntry, idx []int, settled bool) []Result {
	gen := c.gen.Load()
	refs := make([]Ref, len(idx))
	if err := ctx.Err(); err != nil { // no flight for a caller that is gone
		out := make([]Result, len(idx))
		for j, i := range idx {
			out[j].Err = c.ctxError(es[i].ref, err)
		}
		return out
	}
	var b strings.Builder
	if settled {
		b.WriteString("b")
	} else {
		// A fresh read (Live's poll, Refresh) never joins a flight that a
		// reader started earlier: it must see what the backend holds now.
		b.WriteString("f")
		b.WriteString(strconv.FormatUint(c.fresh.Add(1), 10))
	}
	for j, i := range idx {
		refs[j] = es[i].ref
		b.WriteByte(1)
		es[i].key.flight(&b, gen)
	}
	type pair struct{ raw, settled []Result }
	ch := c.group.DoChan(b.String(), func() (any, error) {
		fctx, done := c.flightContext(ctx)
		defer done()
		if err := fctx.Err(); err != nil {
			out := make([]Result, len(idx))
			for j := range out {
				out[j].Err = c.ctxError(refs[j], err)
			}
			return pair{out, out}, nil
		}
		for _, i := range idx {
			es[i].fetching.Add(1)
			defer es[i].fetching.Add(-1)
		}
		start := c.now()
		raw := getAll(fctx, bp, refs)
		for j := range raw {
			if raw[j].Err != nil {
				raw[j].Err = stamp(raw[j].Err, refs[j], c.p)
			}
		}
		closing := closedUnder(fctx)
		out := make([]Result, len(raw))
		for j := range raw {
			out[j].Value, out[j].Err = c.settle(es[idx[j]], gen, start, raw[j].Value, raw[j].Err, closing)
		}
		return pair{raw, out}, nil
	})
	select {
	case r := <-ch:
		p := r.Val.(pair)
		if settled {
			return p.settled
		}
		return p.raw
	case <-ctx.Done():
		out := make([]Result, len(idx))
		for j := range out {
			out[j].Err = c.ctxError(refs[j], ctx.Err())
		}
		return out
	}
}

// fetchFresh fetches refs from the inner provider now, whatever the cache
// holds, with one inner GetMany (or concurrent Gets), stores the outcomes as
// a refresh does, and returns the inner provider's own results. Live polls
// through it.
func (c *Cache) fetchFresh(ctx context.Context, refs []Ref) []Result {
	es := c.entries(refs)
	idx := make([]int, len(refs))
	for i := range idx {
		idx[i] = i
	}
	if bp, ok := c.p.(BatchProvider); ok {
		return c.fetchBatch(ctx, bp, es, idx, false)
	}
	return c.fetchBatch(ctx, getManyAdapter{c.p}, es, idx, false)
}

// getManyAdapter gives a plain Provider the BatchProvider shape with
// bounded concurrent Gets.
type getManyAdapter struct{ Provider }

func (g getManyAdapter) GetMany(ctx context.Context, refs []Ref) []Result {
	return getConcurrent(ctx, g.Provider, refs)
}

// flightTimeout bounds a fetch that several callers share.
const flightTimeout = time.Minute

// errCacheClosed is the cause of a fetch's context when Close cancelled it.
var errCacheClosed = errors.New("the cache was closed")

// flightContext returns the context of a fetch shared by every caller that
// asks for the same secret meanwhile: ctx's values without its cancellation
// (the caller that happened to start the fetch may give up before the others
// do; each caller stops waiting when its own ctx is done), bounded by
// flightTimeout and cancelled by Close, which waits for the fetch (done
// tells it the fetch is over). A fetch that starts after Close (the
// singleflight goroutine may start after its caller asked) runs on the
// caller's own context, as any read after Close does: a caller that is gone
// by then (a Live that was closed) makes no call at all.
func (c *Cache) flightContext(ctx context.Context) (fctx context.Context, done func()) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		fctx, cancel := context.WithTimeout(ctx, flightTimeout)
		return fctx, cancel
	}
	base, cancelBase := context.WithCancelCause(context.WithoutCancel(ctx))
	fctx, cancel := context.WithTimeout(base, flightTimeout)
	c.wg.Add(1)
	c.mu.Unlock()
	stop := context.AfterFunc(c.bg, func() { cancelBase(errCacheClosed) })
	return fctx, func() {
		stop()
		cancel()
		cancelBase(nil)
		c.wg.Done()
	}
}

// closedUnder reports whether Close cancelled the fetch of fctx: its
// outcome is then not the backend's answer.
func closedUnder(fctx context.Context) bool {
	return errors.Is(context.Cause(fctx), errCacheClosed)
}

// jitter returns a random duration in [d/2, d).
func jitter(d time.Duration) time.Duration {
	if d < 2 {
		return d
	}
	return d/2 + rand.N(d-d/2)
}

// backoff returns the delay before the retry that follows the n-th failure
// in a row (n >= 1): 1s doubling, capped at ttl, jittered.
func backoff(n int, ttl time.Duration) time.Duration {
	d := firstBackoff
	for i := 1; i < n && d < ttl; i++ {
		d *= 2
	}
	return jitter(min(d, ttl))
}

// settle records the outcome of fetching e, which began in generation gen,
// and returns what the caller gets: v on success; on an outage
// (ErrUnavailable, a timeout of the fetch included) the last good value
// when there is one (until MaxStale), else err. Other errors drop the
// value. A failure of a fetch that Close cancelled (closing) is not the
// backend's answer and changes nothing.
func (c *Cache) settle(e *cacheEntry, gen uint64, start time.Time, v Value, err error, closing bool) (Value, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen { // Refresh ran meanwhile: v may predate it
		return v, err
	}
	now := c.now()
	if err == nil {
		c.store(e, &entryState{val: v, fetched: now, expires: now.Add(c.ttl), next: now.Add(jitter(c.ttl))}, now)
		return v, nil
	}
	kind := kindOf(err)
	if old := e.st.Load(); kind == ErrNotFound && old != nil && old.err == nil && old.fetched.After(start) {
		// A value fetched after this read started is newer than its "not
		// found" (the secret was created meanwhile): keep it.
		return old.val, nil
	}
	if kind == ErrNotFound && !closing {
		// "Not found" is an answer like a value: cached for the TTL, so an
		// absent optional secret costs one backend call per TTL.
		c.store(e, &entryState{err: err, fetched: now, expires: now.Add(c.ttl), next: now.Add(jitter(c.ttl))}, now)
		return Value{}, err
	}
	old := e.st.Load()
	if old == nil {
		if !closing {
			c.store(e, nil, now)
		}
		return Value{}, err
	}
	if kind != ErrUnavailable {
		if closing {
			return Value{}, err
		}
		c.store(e, nil, now)
		return Value{}, err
	}
	tooStale := c.maxStale > 0 && !now.Before(old.expires.Add(c.maxStale))
	if !closing {
		// The backend's answer (a timeout too: a hung backend is down):
		// back off.
		c.store(e, &entryState{val: old.val, err: old.err, fetched: old.fetched, expires: old.expires,
			failing: err, failures: old.failures + 1, next: now.Add(backoff(old.failures+1, c.ttl))}, now)
	}
	if tooStale {
		return Value{}, err
	}
	return old.val, old.err
}

// store replaces e's state with st (nil: no value), with c.mu held. On the
// real clock it arms st's timer, which marks the refresh due at st.next.
func (c *Cache) store(e *cacheEntry, st *entryState, now time.Time) {
	if old := e.st.Load(); old != nil && old.timer != nil {
		old.timer.Stop()
	}
	switch {
	case st == nil || !c.realTime:
	case c.closed:
		st.due.Store(true) // no timers after Close: reads compare the time
	default:
		st.timer = time.AfterFunc(st.next.Sub(now), func() { st.due.Store(true) })
	}
	e.st.Store(st)
}

// Refresh fetches the cached secrets of the given logical paths (every
// cached secret when none are named) from the inner provider again now, in
// one batch, after calling the inner provider's Refresh when it has one
// (the env backend re-reads its files there). Readers keep getting the old
// values until the new ones are stored; fetches that were in flight when
// Refresh was called are not stored. An outage keeps the last good value;
// a secret now denied is dropped, one now not found is cached as such. Refresh returns the inner
// Refresh error and each failed secret's error, joined.
func (c *Cache) Refresh(ctx context.Context, paths ...string) error {
	var errs []error
	if r, ok := c.p.(Refresher); ok {
		errs = append(errs, r.Refresh(ctx, paths...))
	}
	c.gen.Add(1)
	var refs []Ref
	for path, es := range *c.table.Load() {
		if len(paths) > 0 && !slices.Contains(paths, path) {
			continue
		}
		for _, e := range es {
			if e.st.Load() != nil {
				refs = append(refs, e.ref)
			}
		}
	}
	if len(refs) > 0 {
		for _, r := range c.fetchFresh(ctx, refs) {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}

// Close cancels every fetch in flight and the background refreshes, waits
// for them (a provider that honours its context, as every adapter does,
// returns at once; providertest checks it), closes the Changed channels,
// and then closes the inner provider when it has a Close method (the Vault
// adapter stops its token renewal there), returning its error. Nothing
// uses the inner provider while it closes. Reads after Close still work: a
// value within its TTL is served from the cache; any other read asks the
// inner provider, on the reader's context, as a read without a value does
// (whether the inner provider still answers after its Close is up to it:
// the files backend does; Vault does until its token expires). Nothing is
// refreshed ahead after Close.
func (c *Cache) Close() error {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if already {
		return nil
	}
	c.stop()
	c.wg.Wait()
	c.mu.Lock()
	for _, es := range *c.table.Load() {
		for _, e := range es {
			if st := e.st.Load(); st != nil && st.timer != nil {
				st.timer.Stop()
				st.due.Store(true) // no timers from now on: reads compare the time
			}
		}
	}
	c.mu.Unlock()
	c.changes.close()
	if cl, ok := c.p.(Closer); ok {
		return cl.Close()
	}
	return nil
}

func (c *Cache) ctxError(ref Ref, err error) *SecretError {
	return unavailable(c, ref, err)
}

var (
	_ BatchProvider = (*Cache)(nil)
	_ Refresher     = (*Cache)(nil)
	_ Notifier      = (*Cache)(nil)
	_ Closer        = (*Cache)(nil)
	_ Locator       = (*Cache)(nil)
	_ Grouper       = (*Cache)(nil)
	_ Pender        = (*Cache)(nil)
	_ Router        = (*Cache)(nil)
)
