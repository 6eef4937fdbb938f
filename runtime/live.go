package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCoolDown is how long after a forced refresh of a secret
// (Live.RefreshNow) another forced refresh of it returns at once without
// asking the backend, when LiveOptions.CoolDown is zero.
const DefaultCoolDown = 5 * time.Second

// LiveOptions are the optional settings of NewLive. A nil *LiveOptions
// means all defaults.
type LiveOptions struct {
	// PollInterval is how often every secret is fetched again (one batch
	// read) to look for rotations. Zero or negative means the cache's TTL.
	PollInterval time.Duration
	// CoolDown is how long after a forced refresh of a secret (RefreshNow)
	// a further forced refresh of it returns at once. Zero means
	// DefaultCoolDown (5s); negative means none.
	CoolDown time.Duration
	// CloseProvider makes Close close the Cache as well (set it when the
	// Live owns the Cache, as generated Watch does when it builds it).
	CloseProvider bool
	// Now returns the current time; time.Now when nil. It stamps the
	// status and measures the cool-down.
	Now func() time.Time
	// Telemetry receives the Live's metrics and events (see Telemetry);
	// when it is zero, the Cache's (CacheOptions.Telemetry). A Live with
	// neither records nothing and does no telemetry work.
	Telemetry Telemetry
}

// Live keeps a value of S (generated Settings) current while its secrets
// rotate. NewLive loads it once, then a background goroutine fetches the
// secrets it read every PollInterval (the first time after a random part
// of it, so that a fleet started at once does not poll at once), in one
// batch, and when a version
// changed runs the load function again over the fetched values and swaps
// the result in as a whole. Settings is one atomic load.
//
// What a refresh may swap in: secrets are swapped in by group (the members
// of one backend secret, or a Grouper's group such as the files of one
// Kubernetes ..data generation), whole or not at all, so Settings never mix
// two versions of one group. A value that does not parse (garbage rotated
// in) never replaces good Settings: its group keeps its values and Status
// reports ErrInvalidValue for that path alone, while every other changed
// group is swapped in. A secret deleted, denied or unavailable after start
// keeps its last good value (with its group) and Status reports it (Stale,
// with the error kind). docs/rotation.md lists these guarantees and the
// model test that checks them.
//
// A Live is safe for concurrent use. It never prints a value; its errors
// and Status are value-free, and so are the metrics and events it records
// when given a Telemetry (otherwise it never logs).
type Live[S any] struct {
	cur atomic.Pointer[S]
	*liveState[S]
}

// source is what a Live needs of the provider it keeps current (a *Cache):
// reads that bypass cached values, change signals, and the optional
// abilities of the port, which a Cache offers whatever its inner provider
// is.
type source interface {
	BatchProvider
	Locator
	Grouper
	Pender
	Router
	TTL() time.Duration
	Close() error
	// fetchFresh reads refs from the backend now, whatever is cached, and
	// stores what it got as a refresh does; it returns the backend's own
	// results.
	fetchFresh(ctx context.Context, refs []Ref) []Result
	// subscribe returns a channel of change signals and a func that
	// unregisters it.
	subscribe() (<-chan struct{}, func())
}

// liveState is the state of a Live other than its current Settings. It is
// one pointer away from Live: where fmt cannot call Format (a *Live in an
// unexported field, printed with a verb it rejects) it prints through
// reflection, which shows an embedded pointer as an address, so the
// fetched values it holds are never printed.
type liveState[S any] struct {
	p    source
	load func(context.Context, Provider) (*S, error)
	opts LiveOptions

	ctx    context.Context // the background goroutines' context; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	cerr   error

	upd sync.Mutex // serializes fetch-load-swap
	dmu sync.Mutex // serializes dispatch: callbacks never run concurrently

	mu       sync.Mutex // guards what follows
	closed   bool
	secrets  []liveSecret
	lastPoll time.Time
	subs     []liveSub
	nextSub  int
	queue    []liveChange[S]

	wake   chan struct{} // wakes the dispatcher
	panics atomic.Int64

	tel *liveTelemetry // nil without Telemetry
}

type liveSecret struct {
	ref      Ref
	group    string       // the key of its group (groupOf), fixed at NewLive
	used     Result       // what the current Settings were loaded from
	rejected *Result      // the last value that did not load, while the backend still holds it
	fetched  time.Time    // last successful fetch
	err      *SecretError // the last fetch's error, nil when it succeeded
	invalid  *SecretError // why seen was rejected, nil when it was not
	forced   time.Time    // start of the last forced refresh
	inflight *refresh     // the forced refresh in flight that claimed it
	// overridden is the current value fetched when a pending version was
	// put in use instead (Pender); while the current value
	// stays the same, the pending one stays in use.
	overridden *Result
	// confirmed is when a fetch last saw the value in use current (the
	// staleness metric); lease is what the Live last saw of its lease.
	confirmed time.Time
	lease     leaseWatch
}

// refresh is one forced refresh in flight: its callers wait for done and
// then read err.
type refresh struct {
	done chan struct{}
	err  error
}

type liveSub struct {
	id      int
	fn      func(old, new any, changed []string)
	removed *atomic.Bool // set by unregister: a change being dispatched skips it
}

type liveChange[S any] struct {
	old, new *S
	changed  []string
}

// NewLive loads settings with load over p once and returns a Live that keeps
// them current. load is a generated Load function: NewLive learns which
// secrets it reads by watching it read them, so nothing else needs saying.
// The first load's error is returned as is (every problem at once).
//
// The Live's goroutines stop when ctx is done or Close is called; call Close
// in any case. When p's inner provider signals changes (Cache.Changed), the
// Live polls at once.
func NewLive[S any](ctx context.Context, p *Cache, load func(context.Context, Provider) (*S, error), opts *LiveOptions) (*Live[S], error) {
	l := &Live[S]{liveState: &liveState[S]{p: p, load: load, wake: make(chan struct{}, 1)}}
	if opts != nil {
		l.opts = *opts
	}
	if l.opts.PollInterval <= 0 {
		l.opts.PollInterval = p.TTL()
	}
	if l.opts.CoolDown == 0 {
		l.opts.CoolDown = DefaultCoolDown
	}
	if l.opts.Now == nil {
		l.opts.Now = time.Now
	}
	// Subscribed before the first load: a change signalled while it runs
	// makes the first poll come at once.
	changed, unsubscribe := p.subscribe()
	rec := &recorder{p: p, seen: map[cacheKey]int{}}
	s, err := load(ctx, rec)
	if err == nil && s == nil {
		err = fmt.Errorf("runtime: NewLive: the load function returned nil settings without an error")
	}
	if err != nil {
		unsubscribe()
		return nil, err
	}
	now := l.opts.Now()
	for i, ref := range rec.refs {
		// The group is asked once: a Grouper may stat files, and a poll or
		// RefreshNow (under l.mu) should not do that per secret each time.
		l.secrets = append(l.secrets, liveSecret{ref: ref, group: l.groupOf(ref), used: rec.res[i], fetched: now, confirmed: now})
	}
	l.lastPoll = now
	l.cur.Store(s)
	tel := l.opts.Telemetry
	if tel.IsZero() {
		tel = p.tel
	}
	l.startTelemetry(tel)
	l.ctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))
	stopWithCtx := context.AfterFunc(ctx, l.cancel)
	l.wg.Add(2)
	go func() {
		defer l.wg.Done()
		defer stopWithCtx()
		defer unsubscribe()
		l.pollLoop(changed)
	}()
	go func() {
		defer l.wg.Done()
		l.dispatchLoop()
	}()
	return l, nil
}

// Format implements fmt.Formatter: every verb prints the backend name
// only, never a value the Live holds.
func (l *Live[S]) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "runtime.Live{backend: %s}", l.p.Name())
}

// LogValue implements slog.LogValuer: the backend name only.
func (l *Live[S]) LogValue() slog.Value {
	return slog.GroupValue(slog.String("backend", l.p.Name()))
}

// Settings returns the current settings: one atomic load, never nil, never
// a mix of two versions. Do not modify what it points to.
func (l *Live[S]) Settings() *S { return l.cur.Load() }

// OnChange registers fn to run after each swap of the settings, with the
// previous and the new settings and the logical paths whose values changed
// (sorted). Callbacks run one at a time, in registration order, on a
// goroutine of the Live's; a callback may call RefreshNow or Settings, but
// not Close (Close waits for the callbacks). While a callback runs, swaps
// that follow are folded into one pending change (the settings before the
// first of them, the newest settings, every changed path), so a slow
// callback costs one pending change however many swaps it misses. A
// panicking callback is recovered and counted in Status (its panic value is
// never printed). The returned func unregisters fn.
func (l *Live[S]) OnChange(fn func(old, new *S, changed []string)) (unregister func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := l.nextSub
	l.nextSub++
	removed := new(atomic.Bool)
	l.subs = append(l.subs, liveSub{id: id, fn: func(o, n any, c []string) { fn(o.(*S), n.(*S), c) }, removed: removed})
	return func() {
		removed.Store(true)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.subs = slices.DeleteFunc(l.subs, func(s liveSub) bool { return s.id == id })
	}
}

// RefreshNow fetches the secrets of the given logical paths (every secret
// when none are named) from the backend now and, when a value changed,
// loads and swaps in new settings before it returns: call it when the
// backend's consumer rejected a credential (a database said "password
// authentication failed") in use, then retry (a login that started before
// the settings changed is retried with the new ones first). With a
// provider that stages versions (Pender) it also reads the pending
// version of a secret whose current version did not change and puts it in
// use; a forced refresh while that pending value is in use and the
// current version still has not moved puts the current value back at
// once, whatever the cool-down: the database refused the pending value
// too (a rotation that failed before the database took it). A named path brings along every
// path read from the same backend secret (members of one JSON secret,
// fields of one Vault secret), so a user name and password rotated in one
// write are swapped in together. However many goroutines call it at
// once, each secret is fetched once; a secret whose last forced refresh
// started less than CoolDown ago is not fetched again (the call waits for
// a refresh of it still in flight, else returns at once). It returns the
// fetch errors of the secrets it asked for and the load error when new
// values were rejected; a path this Live does not read is an error.
func (l *Live[S]) RefreshNow(ctx context.Context, paths ...string) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return &SecretError{Path: pathsOf(paths), Backend: l.p.Name(), Kind: ErrUnavailable, Err: errors.New("RefreshNow after Close")}
	}
	var idx []int
	for _, p := range paths {
		if !slices.ContainsFunc(l.secrets, func(s liveSecret) bool { return s.ref.Path == p }) {
			l.mu.Unlock()
			return fmt.Errorf("runtime: RefreshNow: %q is not a secret these settings read", p)
		}
	}
	// A named secret brings along every secret of its group (members of
	// one JSON secret, fields of one Vault secret, the files of one
	// Kubernetes ..data generation), which one write rotates together: new
	// Settings must not mix a new member with an old one.
	named := map[string]bool{}
	for _, s := range l.secrets {
		if slices.Contains(paths, s.ref.Path) {
			named[s.group] = true
		}
	}
	for i, s := range l.secrets {
		if len(paths) == 0 || named[s.group] {
			idx = append(idx, i)
		}
	}
	// This is a second de-duplication beside the Cache's single flight, on
	// purpose: the Cache shares one fetch, but a caller of RefreshNow must
	// wait for the load and the swap that follow the fetch (it retries its
	// database login on the new settings as soon as RefreshNow returns), and
	// the cool-down counts forced refreshes, not fetches. A secret claimed by
	// a RefreshNow in flight is waited for, not fetched again.
	now := l.opts.Now()
	var claim []int
	var wait []*refresh
	for _, i := range idx {
		s := &l.secrets[i]
		switch {
		case s.inflight != nil:
			if !slices.Contains(wait, s.inflight) {
				wait = append(wait, s.inflight)
			}
		case l.opts.CoolDown > 0 && !s.forced.IsZero() && now.Sub(s.forced) < l.opts.CoolDown && s.overridden == nil:
			// A secret on a pending version is not held back: a forced
			// refresh of it puts the current version back (see update),
			// once, so the cool-down does not keep a refused pending
			// value in use.
		default:
			claim = append(claim, i)
		}
	}
	if len(claim) > 0 {
		f := &refresh{done: make(chan struct{})}
		for _, i := range claim {
			l.secrets[i].inflight = f
			l.secrets[i].forced = now
		}
		wait = append(wait, f)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			// The fetch outlives a caller that gives up (other callers
			// wait for it) but not the Live: Close cancels it.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flightTimeout)
			defer cancel()
			defer context.AfterFunc(l.ctx, cancel)()
			f.err = l.update(fctx, claim, true)
			l.mu.Lock()
			for _, i := range claim {
				l.secrets[i].inflight = nil
			}
			l.mu.Unlock()
			close(f.done)
			l.notify()
		}()
	}
	l.mu.Unlock()
	var errs []error
	for _, f := range wait {
		select {
		case <-f.done:
			errs = append(errs, f.err) // every caller learns how the refresh it waited for went
		case <-ctx.Done():
			return &SecretError{Path: pathsOf(paths), Backend: l.p.Name(), Kind: ErrUnavailable, Err: fmt.Errorf("RefreshNow: %w", ctx.Err())}
		}
	}
	return errors.Join(errs...)
}

// Close stops every goroutine NewLive started, cancelling the polls and
// RefreshNow calls in flight and waiting for them, and closes the Cache
// when LiveOptions.CloseProvider is set, returning its error; the Cache's
// Close cancels and awaits the backend reads those started. Without
// CloseProvider a read the Cache shares with its other readers runs on
// (bounded by a minute) until the Cache is closed.
// Settings keeps returning the last settings. Callbacks queued before Close
// still run. Close may be called more than once.
func (l *Live[S]) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true // no RefreshNow starts a goroutine from now on
		l.mu.Unlock()
		l.cancel()
		l.wg.Wait()
		l.dispatch() // changes queued after the dispatcher stopped
		l.stopTelemetry()
		if l.opts.CloseProvider {
			l.cerr = l.p.Close()
		}
	})
	return l.cerr
}

// pollLoop polls every PollInterval. The first poll comes after a random
// part of the interval (uniform in (0, PollInterval]), so that replicas
// started together, as a deploy starts them, poll spread evenly over the
// interval instead of all in the same second; from then on each polls
// every PollInterval, keeping its place.
func (l *Live[S]) pollLoop(changed <-chan struct{}) {
	first := time.NewTimer(rand.N(l.opts.PollInterval) + 1)
	defer first.Stop()
	var tick <-chan time.Time
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-first.C:
			t := time.NewTicker(l.opts.PollInterval)
			defer t.Stop()
			tick = t.C
		case <-tick:
		case _, ok := <-changed:
			if !ok {
				changed = nil
				continue
			}
		}
		_ = l.poll(l.ctx)
	}
}

// poll fetches every secret once and swaps in new settings when a value
// changed.
func (l *Live[S]) poll(ctx context.Context) error {
	l.mu.Lock()
	idx := make([]int, len(l.secrets))
	for i := range idx {
		idx[i] = i
	}
	l.mu.Unlock()
	start := l.opts.Now()
	err := l.update(ctx, idx, false)
	if l.ctx.Err() == nil { // a poll cut by Close records nothing
		l.polled(start, err)
	}
	l.notify()
	return err
}

// update fetches the secrets idx with one batch read, records the outcome,
// and when values changed loads settings over the fetched values and the
// values in use of the rest, swapping them in when they load. Secrets are
// swapped in by group (see Grouper): a group with a member that could not
// be read keeps its values, and a group with a member that does not parse
// is quarantined (that member is rejected) while every other changed group
// is swapped in. A forced update also asks for pending versions (Pender).
func (l *Live[S]) update(ctx context.Context, idx []int, forced bool) error {
	l.upd.Lock()
	defer l.upd.Unlock()
	l.mu.Lock()
	refs := make([]Ref, len(idx))
	keys := make([]string, len(idx)) // each secret's group
	for j, i := range idx {
		refs[j], keys[j] = l.secrets[i].ref, l.secrets[i].group
	}
	l.mu.Unlock()

	res := l.p.fetchFresh(ctx, refs)
	if l.ctx.Err() != nil {
		return nil // closed meanwhile: the reads were cancelled, not answered
	}
	pending, asked := l.pending(ctx, idx, refs, res, forced)
	// A group takes pending versions whole or not at all: when one member
	// has none, the group stays on its current versions.
	if len(pending) > 0 {
		lacking := map[string]bool{}
		for j, i := range idx {
			if _, ok := pending[i]; !ok {
				lacking[keys[j]] = true
			}
		}
		for j, i := range idx {
			if lacking[keys[j]] {
				delete(pending, i)
			}
		}
	}
	now := l.opts.Now()
	backend := l.p.Name()

	defer l.tel.flush() // the events, once l.mu is released
	l.mu.Lock()
	defer l.mu.Unlock()
	defer func() { l.lastPoll = now }() // once the outcome is in use
	var errs []error
	cand := make(map[int]Result, len(idx)) // what each secret read now
	defer l.afterUpdate(idx, cand, now)
	var order []string // the groups, in order
	members := map[string][]int{}
	held := map[string]bool{} // groups with a member that could not be read
	for j, i := range idx {
		s := &l.secrets[i]
		g := keys[j]
		if _, ok := members[g]; !ok {
			order = append(order, g)
		}
		members[g] = append(members[g], i)
		r := res[j]
		if r.Err != nil && !(kindOf(r.Err) == ErrNotFound && s.used.Err != nil) { // absent at a successful load: optional
			s.err = stamp(r.Err, s.ref, l.p)
			errs = append(errs, s.err)
			held[g] = true // the last good values stay in use
			continue
		}
		s.err = nil
		s.fetched = now
		if p, ok := pending[i]; ok {
			cur := r
			s.overridden = &cur
			r = p
		} else if s.overridden != nil {
			switch {
			case asked[i]:
				s.overridden = nil // the pending version is gone (an aborted rotation): the current one rules
			case forced && sameResult(*s.overridden, r):
				// The pending value in use was refused (a forced refresh
				// says so) and the current one has not moved: the
				// rotation that staged it failed before the database took
				// it. The current value rules again.
				s.overridden = nil
			case sameResult(*s.overridden, r):
				r = s.used // the pending value stays in use until the current one moves
			default:
				s.overridden = nil
			}
		}
		cand[i] = r
	}
	var try []string // the changed groups to load
	for _, g := range order {
		if held[g] {
			continue
		}
		changed, known := false, false
		for _, i := range members[g] {
			s := &l.secrets[i]
			changed = changed || !sameResult(s.used, cand[i])
			known = known || (s.rejected != nil && sameResult(*s.rejected, cand[i]))
		}
		switch {
		case !changed: // unchanged, or reverted to what is in use
			for _, i := range members[g] {
				l.secrets[i].rejected, l.secrets[i].invalid = nil, nil
			}
		case known: // holds a value already rejected: not parsed again
		default:
			try = append(try, g)
		}
	}
	first := true
	for len(try) > 0 {
		snap := &snapshot{name: backend, where: l.p.Where, vals: make(map[cacheKey]Result, len(l.secrets))}
		for _, s := range l.secrets {
			snap.vals[keyOf(s.ref)] = s.used
		}
		for _, g := range try {
			for _, i := range members[g] {
				snap.vals[keyOf(l.secrets[i].ref)] = cand[i]
			}
		}
		l.mu.Unlock()
		next, err := l.load(ctx, snap)
		if err == nil && next == nil {
			err = fmt.Errorf("runtime: Live: the load function returned nil settings without an error")
		}
		l.mu.Lock()
		if err == nil {
			l.swap(next, try, members, cand)
			break
		}
		if first {
			errs = append(errs, err)
			first = false
		}
		try = l.quarantine(err, try, members, cand, backend)
	}
	return errors.Join(errs...)
}

// quarantine records, after a load over the groups try failed with err,
// which values were rejected, and returns the groups to load again: those
// without a rejected value. With l.mu held.
func (l *Live[S]) quarantine(err error, try []string, members map[string][]int, cand map[int]Result, backend string) []string {
	var le *LoadError
	errors.As(err, &le)
	bad := map[int]*SecretError{}
	for _, g := range try {
		for _, i := range members[g] {
			if le == nil {
				continue
			}
			for _, e := range le.Errors {
				if e.Path == l.secrets[i].ref.Path && kindOf(e) == ErrInvalidValue && !sameResult(l.secrets[i].used, cand[i]) {
					bad[i] = e
				}
			}
		}
	}
	if len(bad) == 0 {
		// The load failed for a reason it does not pin on a changed value:
		// keep every change out and say so, but remember none of them as
		// rejected, so that the next poll tries them again.
		for _, g := range try {
			for _, i := range members[g] {
				s := &l.secrets[i]
				if !sameResult(s.used, cand[i]) {
					s.invalid = &SecretError{Path: s.ref.Path, Backend: backend, Kind: ErrInvalidValue, Type: s.ref.Type, Err: errors.New("the rotated value was rejected; the previous value stays in use")}
				}
			}
		}
		return nil
	}
	keep := try[:0]
	for _, g := range try {
		if !slices.ContainsFunc(members[g], func(i int) bool { return bad[i] != nil }) {
			keep = append(keep, g)
			continue
		}
		for _, i := range members[g] {
			s := &l.secrets[i]
			if e := bad[i]; e != nil {
				r := cand[i]
				s.rejected, s.invalid = &r, e
				l.rotated(s.ref, false)
			} else {
				s.rejected, s.invalid = nil, nil // held back with its group, not rejected
			}
		}
	}
	return keep
}

// swap puts next in use, loaded with the values of the groups try, and
// queues the change for the callbacks. With l.mu held.
func (l *Live[S]) swap(next *S, try []string, members map[string][]int, cand map[int]Result) {
	var paths []string
	for _, g := range try {
		for _, i := range members[g] {
			s := &l.secrets[i]
			if !sameResult(s.used, cand[i]) && !slices.Contains(paths, s.ref.Path) {
				paths = append(paths, s.ref.Path)
				l.rotated(s.ref, true)
			}
			s.used, s.rejected, s.invalid = cand[i], nil, nil
		}
	}
	slices.Sort(paths)
	old := l.cur.Swap(next)
	if n := len(l.queue); n > 0 {
		// A callback is behind: fold this change into the pending one, so
		// a blocked callback costs one pending change, not one per swap.
		q := &l.queue[n-1]
		q.new = next
		for _, p := range paths {
			if !slices.Contains(q.changed, p) {
				q.changed = append(q.changed, p)
			}
		}
		slices.Sort(q.changed)
		return
	}
	l.queue = append(l.queue, liveChange[S]{old: old, new: next, changed: paths})
}

// groupOf returns the key of ref's group: the provider's (Grouper), else
// its backend secret and version.
func (l *Live[S]) groupOf(ref Ref) string {
	if k := l.p.Group(ref); k != "" {
		return "g\x00" + k
	}
	return "s\x00" + ref.SourcePath() + "\x00" + ref.Version
}

// notify runs the callbacks of queued changes: it wakes the dispatcher, or
// when that has stopped (ctx done or Close) runs them here unless a
// callback is running (it may be the caller of RefreshNow; Close then runs
// them). Updates call it once their secrets are no longer in flight, so a
// callback's RefreshNow fetches anew.
func (l *Live[S]) notify() {
	if l.ctx.Err() != nil {
		if l.dmu.TryLock() {
			l.dispatchLocked()
			l.dmu.Unlock()
		}
		return
	}
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// pending fetches, on a forced update, the pending versions (Pender) of the
// secrets whose current value (res) is the value in use (not those on a
// pending value: the forced update puts their current value back), in one
// batch, and
// returns those that exist (found) and which secrets it asked about, by
// secret index.
func (l *Live[S]) pending(ctx context.Context, idx []int, refs []Ref, res []Result, forced bool) (found map[int]Result, asked map[int]bool) {
	if !forced {
		return nil, nil
	}
	var which []int
	var prefs []Ref
	l.mu.Lock()
	for j, i := range idx {
		if res[j].Err != nil {
			continue
		}
		s := &l.secrets[i]
		if s.overridden != nil && sameResult(*s.overridden, res[j]) {
			continue // on the pending value, refused: the current one is put back (update)
		}
		if !sameResult(s.used, res[j]) {
			continue // the current value moved: it rules
		}
		if pr, ok := l.p.Pending(refs[j]); ok {
			which = append(which, i)
			prefs = append(prefs, pr)
		}
	}
	l.mu.Unlock()
	if len(prefs) == 0 {
		return nil, nil
	}
	found, asked = map[int]Result{}, map[int]bool{}
	got := l.p.fetchFresh(ctx, prefs)
	for j, i := range which {
		asked[i] = true
		if got[j].Err == nil {
			found[i] = got[j]
		}
	}
	return found, asked
}

// dispatchLoop runs the callbacks of queued changes, one at a time, until
// the Live is closed; changes queued by then still run.
func (l *Live[S]) dispatchLoop() {
	for {
		select {
		case <-l.wake:
			l.dispatch()
		case <-l.ctx.Done():
			l.dispatch()
			return
		}
	}
}

func (l *Live[S]) dispatch() {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	l.dispatchLocked()
}

func (l *Live[S]) dispatchLocked() {
	for {
		l.mu.Lock()
		if len(l.queue) == 0 {
			l.mu.Unlock()
			return
		}
		ch := l.queue[0]
		l.queue = l.queue[1:]
		subs := slices.Clone(l.subs)
		l.mu.Unlock()
		for _, s := range subs {
			if !s.removed.Load() { // unregistered by an earlier callback of this change
				l.call(s.fn, ch)
			}
		}
	}
}

// call runs one callback, recovering (and counting, never printing) a panic.
func (l *Live[S]) call(fn func(old, new any, changed []string), ch liveChange[S]) {
	defer func() {
		if recover() != nil {
			l.panics.Add(1)
			l.panicked()
		}
	}()
	fn(ch.old, ch.new, slices.Clone(ch.changed))
}

// Status describes a Live for health endpoints. It holds no secret value.
type Status struct {
	Backend string // the backend name, e.g. "aws"
	// PollInterval is how often the Live polls the backend.
	PollInterval time.Duration
	// LastPoll is when the last poll or forced refresh finished.
	LastPoll time.Time
	// CallbackPanics counts OnChange callbacks that panicked.
	CallbackPanics int64
	// Secrets has one entry per secret the settings read, by path.
	Secrets []SecretStatus
}

// SecretStatus is the state of one secret of a Live.
type SecretStatus struct {
	Path string // logical path, e.g. "database/password"
	// Backend is the backend name; over Layers, the layer that served the
	// value (or whose failure Err reports; the whole list when every layer
	// missed).
	Backend string
	// Version is the backend version of the value in use (AWS VersionId,
	// Vault KV version); "" for backends without versions and for an
	// optional secret that is absent.
	Version string
	// Fetched is when the secret was last fetched successfully.
	Fetched time.Time
	// ErrKind is the kind of the last refresh's problem (ErrNotFound,
	// ErrAccessDenied, ErrUnavailable, or ErrInvalidValue when a rotated
	// value was rejected), 0 when there was none.
	ErrKind Kind
	// Err is that problem in full (path, backend, where, hint; never a
	// value), nil when there was none.
	Err error
	// Stale is true when the value in use may not be what the backend
	// holds now, as far as the Live knows: the last fetch failed, or the
	// rotated value was rejected. (A value held back because another
	// member of its group was rejected is not marked: its group's rejected
	// member is.)
	Stale bool
	// Lease is the lifecycle of the credential in use when its backend
	// leases it (expiry, last renewal, next action; never an id or a
	// value), nil otherwise.
	Lease *LeaseStatus
}

// OK reports whether no secret has a problem and no callback panicked.
func (s Status) OK() bool {
	for _, sec := range s.Secrets {
		if sec.Err != nil {
			return false
		}
	}
	return s.CallbackPanics == 0
}

// Status returns the Live's current state, without any secret value.
func (l *Live[S]) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Status{Backend: l.p.Name(), PollInterval: l.opts.PollInterval, LastPoll: l.lastPoll, CallbackPanics: l.panics.Load()}
	for _, s := range l.secrets {
		ss := SecretStatus{Path: s.ref.Path, Backend: st.Backend, Fetched: s.fetched}
		// Over Layers: the layer that served the value in use, or the one
		// whose failure the error reports.
		served := l.p.Served(s.ref)
		if served != "" {
			ss.Backend = served
		}
		if s.used.Err == nil {
			ss.Version = s.used.Value.Version
			if ls := s.used.Value.Lease; ls != nil {
				st := ls.Status()
				ss.Lease = &st
			}
		}
		var e *SecretError
		if s.err != nil {
			e = s.err
		} else if s.invalid != nil {
			e = s.invalid
		}
		if e != nil {
			ss.Err, ss.ErrKind, ss.Stale = e, e.Kind, true
			if e.Backend != "" && served == "" { // a failed read: the layer that failed
				ss.Backend = e.Backend
			}
		}
		st.Secrets = append(st.Secrets, ss)
	}
	slices.SortStableFunc(st.Secrets, func(a, b SecretStatus) int { return strings.Compare(a.Path, b.Path) })
	return st
}

// pathsOf names the paths of a RefreshNow call in an error.
func pathsOf(paths []string) string {
	if len(paths) == 0 {
		return "(every secret)"
	}
	return strings.Join(paths, ", ")
}

// sameResult reports whether two fetches of one secret returned the same
// thing: the same version when the backend has versions, else the same
// text; or the same kind of error.
func sameResult(a, b Result) bool {
	if (a.Err != nil) != (b.Err != nil) {
		return false
	}
	if a.Err != nil {
		return kindOf(a.Err) == kindOf(b.Err)
	}
	if a.Value.Version != "" || b.Value.Version != "" {
		return a.Value.Version == b.Value.Version
	}
	return a.Value.Text == b.Value.Text
}

// recorder is the Provider NewLive's first load reads through: it passes
// every read on to the Cache and records which refs were read and what
// they returned.
type recorder struct {
	p    source
	mu   sync.Mutex
	refs []Ref
	res  []Result
	seen map[cacheKey]int
}

func (r *recorder) Name() string         { return r.p.Name() }
func (r *recorder) Where(ref Ref) string { return r.p.Where(ref) }

func (r *recorder) record(ref Ref, res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := keyOf(ref)
	if i, ok := r.seen[k]; ok {
		r.res[i] = res
		return
	}
	r.seen[k] = len(r.refs)
	r.refs = append(r.refs, ref)
	r.res = append(r.res, res)
}

func (r *recorder) Get(ctx context.Context, ref Ref) (Value, error) {
	v, err := r.p.Get(ctx, ref)
	r.record(ref, Result{Value: v, Err: err})
	return v, err
}

func (r *recorder) GetMany(ctx context.Context, refs []Ref) []Result {
	res := r.p.GetMany(ctx, refs)
	for i, ref := range refs {
		if i < len(res) {
			r.record(ref, res[i])
		}
	}
	return res
}

// snapshot is the Provider a refresh loads through: it serves fetched
// values without asking the backend.
type snapshot struct {
	name  string
	where func(Ref) string
	vals  map[cacheKey]Result
}

func (s *snapshot) Name() string         { return s.name }
func (s *snapshot) Where(ref Ref) string { return s.where(ref) }

func (s *snapshot) Get(_ context.Context, ref Ref) (Value, error) {
	r, ok := s.vals[keyOf(ref)]
	if !ok {
		return Value{}, &SecretError{Path: ref.Path, Backend: s.name, Kind: ErrUnavailable, Type: ref.Type,
			Err: errors.New("this secret was not read by the first load; the load function must read the same secrets each time")}
	}
	return r.Value, r.Err
}

func (s *snapshot) GetMany(ctx context.Context, refs []Ref) []Result {
	res := make([]Result, len(refs))
	for i, ref := range refs {
		res[i].Value, res[i].Err = s.Get(ctx, ref)
	}
	return res
}

var (
	_ BatchProvider = (*recorder)(nil)
	_ Locator       = (*recorder)(nil)
	_ BatchProvider = (*snapshot)(nil)
	_ Locator       = (*snapshot)(nil)
)
