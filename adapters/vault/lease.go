package vault

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// The lease manager of one dynamic database credential path
// ("database/creds/app").
//
// Reading a dynamic credential creates a database user, so the manager
// holds one current lease per path: the first Get reads it, later Gets
// return it, and a goroutine drives its lifecycle:
//
//   - renew at about two thirds of the lease (jittered), asking for the
//     lease's first duration again;
//   - when Vault grants less than asked (max_ttl, or the token's own end,
//     caps it: Vault still says renewable=true), or the lease is not
//     renewable, read a new credential early enough that the old one can
//     drain (drainFor) and still be revoked before its end (marginFor);
//   - make the new one current and signal (notify), so a Live polls at once;
//   - revoke a replaced lease as soon as no connection holds it
//     (runtime.Lease.Holds) or its drain time is over, whichever is first;
//   - a forced replacement (the database rejected the login: an operator
//     revoked the lease) reads a new credential at once, at most once per
//     cool-down, and revokes the rejected one without waiting;
//   - failures (Vault down) are retried with backoff; the current
//     credential is served until its end; after it, Get fails and the
//     Lease says why, until Vault answers again.
//
// Vault calls go through dbAPI so that the state machine is tested on
// synctest's fake clock against a model (lease_test.go).

// dbAPI is what the lease manager asks of Vault.
type dbAPI interface {
	// readCreds reads path, creating a new lease.
	readCreds(ctx context.Context, path string) (dbSecret, error)
	// renew asks for increment more and returns what Vault granted.
	renew(ctx context.Context, leaseID string, increment time.Duration) (time.Duration, error)
	// revoke ends the lease (the database user is dropped).
	revoke(ctx context.Context, leaseID string) error
}

// dbSecret is one answer of readCreds.
type dbSecret struct {
	text      string // {"username": ..., "password": ...}
	leaseID   string
	duration  time.Duration
	renewable bool
	tokenGen  uint64 // the login generation it was read with
}

// Defaults of the lease manager.
const (
	// DefaultDatabaseDrain is how long a replaced dynamic credential stays
	// valid for the connections that still use it, when they do not all
	// release it earlier. It is capped at a third of the lease's duration.
	DefaultDatabaseDrain = 30 * time.Second
	// databaseCoolDown is the least time between two forced replacements
	// of one path (Live's DefaultCoolDown).
	databaseCoolDown = 5 * time.Second
	// renewFraction is where in a lease it is renewed, jittered by
	// ±renewJitter of the lease.
	renewFraction = 2.0 / 3
	renewJitter   = 0.05
	// holdPoll is how often a draining lease's holds are looked at: a
	// Lease does not tell when it is released.
	holdPoll = time.Second
	// minBackoff and maxBackoff bound the wait between failed tries.
	minBackoff = time.Second
	maxBackoff = 30 * time.Second
	// closeTimeout bounds the revocations of Close.
	closeTimeout = 30 * time.Second
	// callTimeout bounds one background call to Vault.
	callTimeout = 30 * time.Second
)

// Next actions, as runtime.LeaseStatus.NextAction says them.
const (
	actRenew   = "renew"
	actReplace = "replace"
	actRevoke  = "revoke"
)

// leaseConfig configures a dynamic manager.
type leaseConfig struct {
	drain    time.Duration // 0: DefaultDatabaseDrain
	coolDown time.Duration // 0: databaseCoolDown
	keep     bool          // KeepLeases: Close does not revoke
	rand     func() float64
	notify   func()            // a new credential is current
	describe func(error) error // a value-free form of a Vault error, for Lease.Err and logs
	logger   *slog.Logger
}

// held is one lease the manager holds.
type held struct {
	id        string
	text      string
	version   string
	tokenGen  uint64
	lease     *runtime.Lease
	granted   time.Duration // the first duration: what each renewal asks for
	expires   time.Time
	renewable bool
	next      string    // actRenew or actReplace while current; actRevoke once replaced
	nextAt    time.Time // when next is due
	backoff   time.Duration
	replaced  bool
	// Once replaced: when, and whether the database had rejected it (then
	// it is revoked at once, held or not).
	replacedAt time.Time
	rejected   bool
	// refused: the database refused it and a forced replacement failed;
	// the manager retries the replacement and then revokes it at once.
	refused bool
}

// dynamic manages the lease of one dynamic credential path.
type dynamic struct {
	api  dbAPI
	path string
	cfg  leaseConfig

	fetchMu sync.Mutex // one read of new credentials at a time; taken before mu

	mu      sync.Mutex
	cur     *held
	old     []*held // replaced, not yet revoked
	gen     int     // generations read: the Version of the next
	forced  time.Time
	closed  bool
	started bool
	wake    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
}

func newDynamic(api dbAPI, path string, cfg leaseConfig) *dynamic {
	if cfg.drain <= 0 {
		cfg.drain = DefaultDatabaseDrain
	}
	if cfg.coolDown <= 0 {
		cfg.coolDown = databaseCoolDown
	}
	if cfg.notify == nil {
		cfg.notify = func() {}
	}
	if cfg.describe == nil {
		cfg.describe = func(err error) error { return err }
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &dynamic{api: api, path: path, cfg: cfg, wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// errClosed is Get's cause after Close.
var errClosed = errors.New("the provider is closed")

// errExpired is the Lease's Err when a credential ended before a new one
// could be read.
var errExpired = errors.New("the lease ended before a new credential could be read")

// get returns the current credential, reading one when there is none or
// the current one has ended.
func (d *dynamic) get(ctx context.Context) (runtime.Value, error) {
	if v, ok := d.usable(); ok {
		return v, nil
	}
	d.fetchMu.Lock()
	defer d.fetchMu.Unlock()
	if v, ok := d.usable(); ok {
		return v, nil // another caller read it meanwhile
	}
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return runtime.Value{}, errClosed
	}
	s, err := d.api.readCreds(ctx, d.path)
	if err != nil {
		d.failed(err)
		return runtime.Value{}, err
	}
	d.install(s, false)
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started && !d.closed {
		d.started = true
		go d.run()
	}
	return d.valueLocked(), nil
}

// usable returns the current credential when it has not ended.
func (d *dynamic) usable() (runtime.Value, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cur == nil || !time.Now().Before(d.cur.expires) {
		return runtime.Value{}, false
	}
	return d.valueLocked(), true
}

func (d *dynamic) valueLocked() runtime.Value {
	return runtime.Value{Text: d.cur.text, Version: d.cur.version, Lease: d.cur.lease}
}

// failed records a failed read of new credentials on the current lease.
func (d *dynamic) failed(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cur == nil {
		return
	}
	cause := d.cfg.describe(err)
	if !time.Now().Before(d.cur.expires) {
		cause = errors.Join(errExpired, cause)
	}
	d.cur.lease.Update(func(st *runtime.LeaseStatus) { st.Err = cause })
}

// install makes s the current credential. The previous one drains
// (revoked once released or after the drain), or is revoked at once when
// rejected is true (the database refused it) or it has ended (Vault
// revoked it itself). With fetchMu held.
func (d *dynamic) install(s dbSecret, rejected bool) {
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	h := &held{
		id:        s.leaseID,
		text:      s.text,
		version:   "g" + strconv.Itoa(d.gen),
		tokenGen:  s.tokenGen,
		granted:   s.duration,
		expires:   now.Add(s.duration),
		renewable: s.renewable,
	}
	h.lease = runtime.NewLease(runtime.LeaseStatus{Expires: h.expires, Renewable: h.renewable})
	d.scheduleLocked(h, now)
	if prev := d.cur; prev != nil {
		prev.replaced, prev.replacedAt, prev.rejected = true, now, rejected
		prev.next = actRevoke
		switch {
		case !now.Before(prev.expires):
			prev.lease.Update(func(st *runtime.LeaseStatus) {
				st.Revoked, st.NextAction, st.NextAt = true, "", time.Time{}
			})
		default:
			prev.nextAt = now
			if !rejected {
				prev.nextAt = minTime(now.Add(d.drainFor(prev)), prev.expires.Add(-d.marginFor(prev)))
			}
			prev.backoff = 0
			prev.lease.Update(func(st *runtime.LeaseStatus) { st.NextAction, st.NextAt = actRevoke, prev.nextAt })
			d.old = append(d.old, prev)
		}
	}
	d.cur = h
	d.kickLocked()
	go d.cfg.notify()
}

// drainFor is how long h may drain once replaced: the drain option, at
// most a third of its duration.
func (d *dynamic) drainFor(h *held) time.Duration { return min(d.cfg.drain, h.granted/3) }

// marginFor is how long before h's end it must be revoked at the latest,
// and a replacement read: a tenth of its duration, at most 5 s.
func (d *dynamic) marginFor(h *held) time.Duration { return min(5*time.Second, h.granted/10) }

// replaceAt is when h must be replaced so that it can drain and be
// revoked before its end.
func (d *dynamic) replaceAt(h *held) time.Time {
	return h.expires.Add(-d.drainFor(h) - d.marginFor(h))
}

// scheduleLocked sets h's next step after a read or a renewal at now.
func (d *dynamic) scheduleLocked(h *held, now time.Time) {
	h.backoff = 0
	h.next, h.nextAt = actReplace, d.replaceAt(h)
	if h.renewable {
		// Vault does not say how far a lease can be renewed (max_ttl):
		// a renewal that grants less than asked tells (see renew).
		f := renewFraction + renewJitter*(2*d.rand()-1)
		h.next, h.nextAt = actRenew, now.Add(time.Duration(f*float64(h.expires.Sub(now))))
	}
	if h.nextAt.Before(now) {
		h.nextAt = now
	}
	h.lease.Update(func(st *runtime.LeaseStatus) {
		st.Expires, st.Renewable, st.NextAction, st.NextAt = h.expires, h.renewable, h.next, h.nextAt
	})
}

func (d *dynamic) rand() float64 {
	if d.cfg.rand == nil {
		return 0.5
	}
	return d.cfg.rand()
}

func (d *dynamic) kickLocked() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// force replaces the current credential at once because the database
// rejected it, unless a forced replacement ran less than the cool-down ago.
func (d *dynamic) force(ctx context.Context) error {
	d.fetchMu.Lock()
	defer d.fetchMu.Unlock()
	d.mu.Lock()
	now := time.Now()
	if d.closed || d.cur == nil || (!d.forced.IsZero() && now.Sub(d.forced) < d.cfg.coolDown) {
		d.mu.Unlock()
		return nil
	}
	d.forced = now
	d.mu.Unlock()
	s, err := d.api.readCreds(ctx, d.path)
	if err != nil {
		d.failed(err)
		d.mu.Lock()
		if c := d.cur; c != nil && !d.closed {
			// Retried by the manager with backoff.
			c.refused = true
			c.backoff = nextBackoff(c.backoff)
			c.next, c.nextAt = actReplace, time.Now().Add(c.backoff)
			c.lease.Update(func(st *runtime.LeaseStatus) { st.NextAction, st.NextAt = c.next, c.nextAt })
			d.kickLocked()
		}
		d.mu.Unlock()
		return err
	}
	d.install(s, true)
	return nil
}

// relogin is called after a new login (generation gen): leases read with
// an older token end with it, so the current one is replaced now.
func (d *dynamic) relogin(gen uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cur != nil && d.cur.tokenGen < gen {
		d.cur.next, d.cur.nextAt = actReplace, time.Now()
		d.kickLocked()
	}
}

// run drives the leases until Close.
func (d *dynamic) run() {
	defer close(d.done)
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return
		}
		now := time.Now()
		h, at := d.dueLocked(now)
		d.mu.Unlock()
		if h != nil {
			d.step(h)
			continue
		}
		t := time.NewTimer(at.Sub(now))
		select {
		case <-t.C:
		case <-d.wake:
		case <-d.ctx.Done():
		}
		t.Stop()
	}
}

// dueLocked returns a lease whose step is due now, or else when the next
// one is.
func (d *dynamic) dueLocked(now time.Time) (*held, time.Time) {
	next := now.Add(time.Hour)
	for _, o := range d.old {
		// Due at the drain's end, or at once when released (unless a
		// failed revocation waits for its backoff).
		if !now.Before(o.nextAt) || (o.backoff == 0 && o.lease.Holds() == 0) {
			return o, now
		}
		at := o.nextAt
		if o.backoff == 0 {
			at = minTime(at, now.Add(holdPoll)) // look again whether released
		}
		next = minTime(next, at)
	}
	if c := d.cur; c != nil {
		if !now.Before(c.nextAt) {
			return c, now
		}
		next = minTime(next, c.nextAt)
	}
	return nil, next
}

// step does h's due step: revoke a replaced lease, renew or replace the
// current one.
func (d *dynamic) step(h *held) {
	ctx, cancel := context.WithTimeout(d.ctx, callTimeout)
	defer cancel()
	switch {
	case h.replaced:
		d.revokeOld(ctx, h)
	case h.next == actRenew:
		d.renew(ctx, h)
	default:
		d.replace(ctx, h)
	}
}

func (d *dynamic) revokeOld(ctx context.Context, h *held) {
	err := d.api.revoke(ctx, h.id)
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if err == nil || !now.Before(h.expires) {
		// Revoked, or past its end: Vault revoked it itself.
		d.old = deleteHeld(d.old, h)
		h.lease.Update(func(st *runtime.LeaseStatus) {
			st.Revoked, st.NextAction, st.NextAt, st.Err = true, "", time.Time{}, nil
		})
		if err == nil {
			d.cfg.logger.Debug("vault: revoked a replaced database lease", "path", d.path)
		}
		return
	}
	if d.closed {
		return
	}
	cause := d.cfg.describe(err)
	h.backoff = nextBackoff(h.backoff)
	h.nextAt = minTime(now.Add(h.backoff), h.expires)
	h.lease.Update(func(st *runtime.LeaseStatus) { st.Err, st.NextAt = cause, h.nextAt })
	d.cfg.logger.Warn("vault: revoking a replaced database lease failed; retrying", "path", d.path, "in", h.backoff, "error", cause)
}

func (d *dynamic) renew(ctx context.Context, h *held) {
	granted, err := d.api.renew(ctx, h.id, h.granted)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || h.replaced {
		return
	}
	now := time.Now()
	if err != nil {
		cause := d.cfg.describe(err)
		if gone(err) {
			// Vault no longer knows the lease or refuses to renew it: read
			// a new credential now.
			h.next, h.nextAt = actReplace, now
			h.lease.Update(func(st *runtime.LeaseStatus) { st.Err, st.NextAction, st.NextAt = cause, actReplace, now })
			d.cfg.logger.Info("vault: database lease renewal refused; reading new credentials", "path", d.path, "error", cause)
			return
		}
		h.backoff = nextBackoff(h.backoff)
		h.nextAt = now.Add(h.backoff)
		if !h.nextAt.Before(d.replaceAt(h)) {
			h.next, h.nextAt = actReplace, maxTime(now, minTime(h.nextAt, d.replaceAt(h)))
		}
		h.lease.Update(func(st *runtime.LeaseStatus) { st.Err, st.NextAction, st.NextAt = cause, h.next, h.nextAt })
		d.cfg.logger.Warn("vault: database lease renewal failed; retrying", "path", d.path, "in", h.backoff, "error", cause)
		return
	}
	h.expires = now.Add(granted)
	h.lease.Update(func(st *runtime.LeaseStatus) { st.LastRenewal, st.Err = now, nil })
	d.scheduleLocked(h, now)
	if granted < h.granted {
		// Truncated by max_ttl (or the token's end): Vault still says
		// renewable, so the duration tells. Replace before the end.
		h.renewable = false
		h.next, h.nextAt = actReplace, maxTime(now, d.replaceAt(h))
		h.lease.Update(func(st *runtime.LeaseStatus) { st.NextAction, st.NextAt = h.next, h.nextAt })
	}
	d.cfg.logger.Debug("vault: renewed a database lease", "path", d.path, "granted", granted)
}

func (d *dynamic) replace(ctx context.Context, h *held) {
	d.fetchMu.Lock()
	defer d.fetchMu.Unlock()
	d.mu.Lock()
	if d.closed || d.cur != h {
		d.mu.Unlock()
		return // replaced meanwhile (a Get after its end, a forced replacement)
	}
	d.mu.Unlock()
	s, err := d.api.readCreds(ctx, d.path)
	if err != nil {
		d.failed(err)
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.cur == h {
			h.backoff = nextBackoff(h.backoff)
			h.nextAt = time.Now().Add(h.backoff)
			h.lease.Update(func(st *runtime.LeaseStatus) { st.NextAt = h.nextAt })
		}
		d.cfg.logger.Warn("vault: reading new database credentials failed; retrying", "path", d.path, "in", h.backoff, "error", d.cfg.describe(err))
		return
	}
	d.install(s, h.refused)
	d.cfg.logger.Info("vault: replaced database credentials", "path", d.path)
}

// close stops the manager and, unless keep, revokes every lease it holds.
func (d *dynamic) close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	started := d.started
	d.mu.Unlock()
	d.cancel()
	if started {
		<-d.done
	}
	d.fetchMu.Lock() // a Get or a forced replacement in flight ends first
	defer d.fetchMu.Unlock()
	d.mu.Lock()
	all := append([]*held{}, d.old...)
	if d.cur != nil {
		all = append(all, d.cur)
	}
	d.mu.Unlock()
	if d.cfg.keep {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	var errs []error
	now := time.Now()
	for _, h := range all {
		if !now.Before(h.expires) {
			continue // ended: Vault revoked it
		}
		if err := d.api.revoke(ctx, h.id); err != nil {
			errs = append(errs, d.cfg.describe(err))
			continue
		}
		d.mu.Lock()
		d.old = deleteHeld(d.old, h)
		d.mu.Unlock()
		h.lease.Update(func(st *runtime.LeaseStatus) {
			st.Revoked, st.NextAction, st.NextAt, st.Err = true, "", time.Time{}, nil
		})
	}
	if len(errs) > 0 {
		return errors.Join(append([]error{errors.New("revoking the database leases of " + d.path + " on Close")}, errs...)...)
	}
	return nil
}

// gone reports whether a renewal error says the lease cannot be renewed
// any more (revoked by an operator, not renewable): a refusal, not an
// outage.
func gone(err error) bool {
	var k runtime.Kind
	k, _, _ = classify(err)
	if k == runtime.ErrUnavailable {
		return false
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

func nextBackoff(b time.Duration) time.Duration {
	if b < minBackoff {
		return minBackoff
	}
	return min(2*b, maxBackoff)
}

func deleteHeld(hs []*held, h *held) []*held {
	out := hs[:0]
	for _, x := range hs {
		if x != h {
			out = append(out, x)
		}
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
