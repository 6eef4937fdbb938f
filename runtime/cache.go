package runtime

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// staleRetry bounds how long a Cache serves the last good value after a
// failed refresh before it asks the backend again.
const staleRetry = 30 * time.Second

// CacheOptions are the optional settings of NewCache. A nil *CacheOptions
// means all defaults.
type CacheOptions struct {
	// TTL is how long a fetched value is served before it is fetched again.
	// Zero or negative means DefaultCacheTTL (5 minutes).
	TTL time.Duration
	// Now returns the current time; time.Now when nil. Tests pass a fake
	// clock.
	Now func() time.Time
}

// Cache is a Provider that remembers the values another Provider returns.
//
//   - A value is served for TTL after it was fetched.
//   - However many goroutines ask for the same secret at once, the inner
//     provider is asked once (golang.org/x/sync/singleflight). That call
//     keeps the starting caller's context values but not its cancellation,
//     and is bounded by one minute: a caller that gives up early does not
//     fail the others, and each caller stops waiting when its own context
//     is done.
//   - When a value has expired and fetching it again fails, the Cache keeps
//     serving the last good value and asks again after at most 30 seconds
//     (or TTL, if shorter) — when the failure is an outage
//     (ErrUnavailable). Any other answer (not found: the secret was
//     deleted; access denied: the permission was revoked) drops the value
//     and returns the error: a revoked secret is not served on.
//   - Refresh drops every value, e.g. after a rotation.
//
// Values are keyed by every Ref field that selects what is read (Path, Env,
// Source, Key, Version, Type). A Cache is safe for concurrent use. It records
// nothing but the values themselves; it never logs, and printing a Cache
// with fmt or slog shows none of them.
type Cache struct {
	// c is held in a Secret so that printing the Cache (NewProvider's
	// result) never shows the cached values or the inner provider's state.
	c Secret[*cache]
}

// cache is the state of a Cache.
type cache struct {
	p     Provider
	ttl   time.Duration
	now   func() time.Time
	group singleflight.Group

	mu      sync.RWMutex
	gen     uint64 // incremented by Refresh; fetches started before it are not stored
	entries map[cacheKey]cacheEntry
}

type cacheKey struct{ path, env, source, key, version, typ string }

type cacheEntry struct {
	val     Value
	expires time.Time
}

func keyOf(r Ref) cacheKey {
	return cacheKey{r.Path, r.Env, r.Source, r.Key, r.Version, r.Type}
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
	c := &cache{p: p, ttl: DefaultCacheTTL, now: time.Now, entries: map[cacheKey]cacheEntry{}}
	if opts != nil {
		if opts.TTL > 0 {
			c.ttl = opts.TTL
		}
		if opts.Now != nil {
			c.now = opts.Now
		}
	}
	return &Cache{c: NewSecret(c)}
}

// The methods of cache implement those of Cache, which document them.

func (c *cache) Name() string { return c.p.Name() }

func (c *cache) Where(ref Ref) string {
	if l, ok := c.p.(Locator); ok {
		return l.Where(ref)
	}
	return ""
}

func (c *cache) Get(ctx context.Context, ref Ref) (Value, error) {
	if err := ctx.Err(); err != nil {
		return Value{}, c.ctxError(ref, err)
	}
	k := keyOf(ref)
	c.mu.RLock()
	e, ok := c.entries[k]
	gen := c.gen
	c.mu.RUnlock()
	if ok && c.now().Before(e.expires) {
		return e.val, nil
	}
	var b strings.Builder
	b.WriteString("g")
	k.flight(&b, gen)
	ch := c.group.DoChan(b.String(), func() (any, error) {
		fctx, cancel := flightContext(ctx)
		defer cancel()
		v, err := c.p.Get(fctx, ref)
		v, err = c.settle(k, gen, v, err)
		return v, err
	})
	select {
	case r := <-ch:
		v, _ := r.Val.(Value)
		return v, r.Err
	case <-ctx.Done():
		return Value{}, c.ctxError(ref, ctx.Err())
	}
}

func (c *cache) GetMany(ctx context.Context, refs []Ref) []Result {
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
	now := c.now()
	var miss []int
	var keys []cacheKey
	c.mu.RLock()
	gen := c.gen
	for i, ref := range refs {
		k := keyOf(ref)
		if e, ok := c.entries[k]; ok && now.Before(e.expires) {
			res[i].Value = e.val
			continue
		}
		miss = append(miss, i)
		keys = append(keys, k)
	}
	c.mu.RUnlock()
	if len(miss) == 0 {
		return res
	}
	missRefs := make([]Ref, len(miss))
	var b strings.Builder
	b.WriteString("b")
	for j, i := range miss {
		missRefs[j] = refs[i]
		b.WriteByte(1)
		keys[j].flight(&b, gen)
	}
	ch := c.group.DoChan(b.String(), func() (any, error) {
		fctx, cancel := flightContext(ctx)
		defer cancel()
		got := getAll(fctx, bp, missRefs)
		for j := range got {
			got[j].Value, got[j].Err = c.settle(keys[j], gen, got[j].Value, got[j].Err)
		}
		return got, nil
	})
	select {
	case r := <-ch:
		got := r.Val.([]Result)
		for j, i := range miss {
			res[i] = got[j]
		}
	case <-ctx.Done():
		for _, i := range miss {
			res[i].Err = c.ctxError(refs[i], ctx.Err())
		}
	}
	return res
}

// flightTimeout bounds a fetch that several callers share.
const flightTimeout = time.Minute

// flightContext returns the context of a fetch shared by every caller that
// asks for the same secret meanwhile: ctx's values without its cancellation
// (the caller that happened to start the fetch may give up before the others
// do; each caller stops waiting when its own ctx is done), bounded by
// flightTimeout.
func flightContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), flightTimeout)
}

// settle records the outcome of fetching k, which began in generation gen,
// and returns what the caller gets: v on success; on failure the last good
// value when there is one and the failure is an outage (ErrUnavailable), else err.
func (c *cache) settle(k cacheKey, gen uint64, v Value, err error) (Value, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen { // Refresh ran meanwhile: v may predate it
		return v, err
	}
	if err == nil {
		c.entries[k] = cacheEntry{val: v, expires: c.now().Add(c.ttl)}
		return v, nil
	}
	old, ok := c.entries[k]
	if !ok || !errors.Is(err, ErrUnavailable) {
		delete(c.entries, k)
		return Value{}, err
	}
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		old.expires = c.now().Add(min(c.ttl, staleRetry))
		c.entries[k] = old
	}
	return old.val, nil
}

func (c *cache) Refresh(ctx context.Context) error {
	var err error
	if r, ok := c.p.(Refresher); ok {
		err = r.Refresh(ctx)
	}
	c.mu.Lock()
	c.gen++
	c.entries = map[cacheKey]cacheEntry{}
	c.mu.Unlock()
	return err
}

func (c *cache) ctxError(ref Ref, err error) *SecretError {
	return &SecretError{Path: ref.Path, Backend: c.Name(), Kind: ErrUnavailable, Where: c.Where(ref), Err: err}
}

var (
	_ BatchProvider = (*Cache)(nil)
	_ Refresher     = (*Cache)(nil)
	_ Locator       = (*Cache)(nil)
	_ Locator       = (*Memory)(nil)
)

// Name returns the inner provider's name.
func (c *Cache) Name() string { return c.c.Reveal().Name() }

// Where returns the inner provider's location of ref, or "" when it is not a
// Locator.
func (c *Cache) Where(ref Ref) string { return c.c.Reveal().Where(ref) }

// Get returns the cached value of ref, fetching it from the inner provider
// when it is missing or expired. It fails with ErrUnavailable when ctx is
// done, even when the value is cached.
func (c *Cache) Get(ctx context.Context, ref Ref) (Value, error) { return c.c.Reveal().Get(ctx, ref) }

// GetMany returns one Result per ref, in order. Fresh values come from the
// cache; the others are fetched with one inner GetMany when the inner
// provider is a BatchProvider (identical concurrent batches share one call),
// otherwise with concurrent Get calls.
func (c *Cache) GetMany(ctx context.Context, refs []Ref) []Result {
	return c.c.Reveal().GetMany(ctx, refs)
}

// Refresh drops every cached value, so that the next read fetches the
// current one, and calls the inner provider's Refresh when it is a
// Refresher, returning its error. Fetches in flight when Refresh is called
// are not stored.
func (c *Cache) Refresh(ctx context.Context) error { return c.c.Reveal().Refresh(ctx) }

// Close closes the inner provider when it has a Close method (the Vault
// adapter stops its token renewal there), and returns its error.
func (c *Cache) Close() error {
	if cl, ok := c.c.Reveal().p.(interface{ Close() error }); ok {
		return cl.Close()
	}
	return nil
}
