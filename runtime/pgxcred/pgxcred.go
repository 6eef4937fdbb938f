// Package pgxcred is a pgx v5 connection pool (pgxpool) that follows a
// runtime.Credential through every rotation and lease: each new connection
// logs in with the credential current at that moment, holds it while it is
// open, and is closed before the credential is replaced or its lease ends.
//
// The credential comes from a Source, typically a Live's settings:
//
//	live := gen.MustWatch(ctx) // the generated package's Live; a database/app entry of type credential
//	defer live.Close()
//	cfg, err := pgxpool.ParseConfig("host=db.internal dbname=app sslmode=verify-full")
//	...
//	pool, err := pgxcred.New(ctx, cfg, pgxcred.Source{
//		Current: func() runtime.Credential { return live.Settings().Database.App },
//		Refresh: func(ctx context.Context) error { return live.RefreshNow(ctx, gen.PathDatabaseApp) },
//	}, nil)
//	...
//	defer pool.Close()
//	rows, err := pool.Query(ctx, "SELECT ...") // survives a rotation
//
// What the pool guarantees (docs/credentials.md says more):
//
//   - A connection logs in with one Credential, never the username of one
//     version with the password of another.
//   - A connection holds its credential (runtime.Credential.Hold) from its
//     login until it is closed, so a lease is not revoked under it.
//   - A connection whose credential is no longer the Source's current one,
//     or whose lease ends within Options.Margin (the lease's Expires as it
//     is now: a renewal moves it), or whose lease was revoked, is not
//     handed out again: it is closed when released, when Acquire finds it
//     idle, and by a check of the idle connections every
//     Options.CheckInterval. A connection held by a caller is never closed
//     under it; hold connections for less than Margin.
//   - A request whose login is rejected (SQLSTATE 28P01 invalid_password,
//     28000 invalid_authorization_specification: a dropped role), or
//     whose new connection was refused because the credential's lease is
//     revoked or ending (ErrLeaseEnding), calls Source.Refresh and is tried
//     again, at most Options.LoginRetries times and never after ctx is
//     done. Pool's Acquire, Exec, Query, QueryRow,
//     SendBatch, CopyFrom, Begin, BeginTx, AcquireFunc and Ping do this
//     themselves: a rejected login happens before the statement is sent,
//     so trying again never runs a statement twice. Errors of a statement
//     (a lost grant, a constraint) are returned as they are. Run retries a
//     function of the caller's.
//   - With Options.Members, host, port and dbname come from the
//     credential's members when it has them (an AWS RDS secret).
package pgxcred

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dashtam/secretsgen/runtime"
)

// Source gives the credential new connections log in with.
type Source struct {
	// Current returns the credential in use now. It is called for every
	// new connection and whenever a connection is released or checked, so
	// it must be cheap (a Live's Settings is an atomic load). Required.
	Current func() runtime.Credential
	// Refresh asks the backend for the credential now, after the database
	// rejected a login with the current one. On a Live it is RefreshNow
	// of the credential's path (which tries the current version, then the
	// pending one). Nil: a rejected login is returned at once.
	Refresh func(ctx context.Context) error
}

// Options tune a Pool; the zero value (or nil) gives the defaults.
type Options struct {
	// Margin: a connection whose credential's lease ends (Expires) within
	// Margin is not handed out again, and a new connection is refused
	// while the current credential's lease ends within Margin. It must be
	// longer than the longest time a caller keeps a connection. Default
	// 5s.
	Margin time.Duration
	// CheckInterval is how often the idle connections are checked for an
	// old credential or a lease near its end. Default 1s.
	CheckInterval time.Duration
	// LoginRetries is how many times a request whose login was rejected
	// (or whose lease ended while connecting) is tried again after
	// Source.Refresh. Default 2; negative: never.
	LoginRetries int
	// Members takes the host, port and dbname to connect to from the
	// credential's members of those names when it has them (an AWS RDS
	// secret), over the pool configuration's.
	Members bool
}

const (
	defaultMargin        = 5 * time.Second
	defaultCheckInterval = time.Second
	defaultLoginRetries  = 2
)

// ErrLeaseEnding is returned (wrapped) by a new connection when the
// current credential's lease is revoked or ends within the pool's margin:
// the source has no newer credential yet.
var ErrLeaseEnding = errors.New("the credential's lease is revoked or ends within the pool's margin")

// customKey is the key of a connection's record in pgconn's CustomData.
const customKey = "secretsgen/pgxcred"

// conn is what the pool remembers of a connection: the credential it
// logged in with and the release of its hold.
type conn struct {
	cred    runtime.Credential
	release func()
	inUse   atomic.Bool // acquired by a caller (set by PrepareConn, cleared by AfterRelease)
}

// Stats counts what a Pool did.
type Stats struct {
	// Opened counts connections opened (logged in and held).
	Opened int64
	// ClosedOld counts connections closed because their credential was
	// no longer the current one.
	ClosedOld int64
	// ClosedLease counts connections closed because their lease was
	// revoked or ended within the margin.
	ClosedLease int64
	// Held is how many connections hold their credential now.
	Held int64
	// LoginRetries counts requests tried again after a rejected login.
	LoginRetries int64
}

// Pool is a pgxpool.Pool whose connections follow a Source's credential.
// Its methods that acquire a connection retry a rejected login (see the
// package documentation); the embedded *pgxpool.Pool's own methods do
// not, but keep every other guarantee.
type Pool struct {
	*pgxpool.Pool
	src     Source
	margin  time.Duration
	retries int
	members bool
	now     func() time.Time // time.Now; tests move it

	opened, closedOld, closedLease, held, loginRetries atomic.Int64
	checks                                             atomic.Int64 // idle checks done, for tests

	mu    sync.Mutex
	conns map[*conn]struct{} // open connections, for the idle check

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// New returns a pool configured by cfg (from pgxpool.ParseConfig; it is
// copied, not changed) whose connections log in with src.Current(). The
// user and password of cfg are ignored. cfg's own hooks still run: its
// BeforeConnect before the credential is set, its AfterConnect,
// PrepareConn (or BeforeAcquire), AfterRelease and BeforeClose beside the
// pool's. Close the pool when done.
func New(ctx context.Context, cfg *pgxpool.Config, src Source, opts *Options) (*Pool, error) {
	if src.Current == nil {
		return nil, errors.New("pgxcred: Source.Current is nil: give a function that returns the credential in use (a Live's Settings().<field>)")
	}
	if cfg == nil {
		return nil, errors.New("pgxcred: nil pool configuration: make one with pgxpool.ParseConfig")
	}
	return open(ctx, cfg, src, opts, time.Now)
}

func open(ctx context.Context, cfg *pgxpool.Config, src Source, opts *Options, now func() time.Time) (*Pool, error) {
	p := newPool(src, opts)
	p.now = now
	c := p.configure(cfg.Copy(), p.members)
	pool, err := pgxpool.NewWithConfig(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("pgxcred: %w", err)
	}
	p.Pool = pool
	interval := defaultCheckInterval
	if opts != nil && opts.CheckInterval > 0 {
		interval = opts.CheckInterval
	}
	go p.checkLoop(interval)
	return p, nil
}

func newPool(src Source, opts *Options) *Pool {
	p := &Pool{src: src, margin: defaultMargin, retries: defaultLoginRetries, now: time.Now,
		conns: map[*conn]struct{}{}, stop: make(chan struct{}), done: make(chan struct{})}
	if opts != nil {
		if opts.Margin > 0 {
			p.margin = opts.Margin
		}
		if opts.LoginRetries != 0 {
			p.retries = max(opts.LoginRetries, 0)
		}
		p.members = opts.Members
	}
	return p
}

// configure installs the pool's hooks on c around the user's.
func (p *Pool) configure(c *pgxpool.Config, members bool) *pgxpool.Config {
	userBefore, userAfter, userRelease, userClose := c.BeforeConnect, c.AfterConnect, c.AfterRelease, c.BeforeClose
	userPrepare := c.PrepareConn
	//lint:ignore SA1019 a user's BeforeAcquire still runs, as pgxpool runs it when PrepareConn is nil
	if ba := c.BeforeAcquire; userPrepare == nil && ba != nil {
		userPrepare = func(ctx context.Context, conn *pgx.Conn) (bool, error) { return ba(ctx, conn), nil }
	}
	//lint:ignore SA1019 replaced by the PrepareConn below, which calls it
	c.BeforeAcquire = nil
	c.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
		if userBefore != nil {
			if err := userBefore(ctx, cc); err != nil {
				return err
			}
		}
		return p.beforeConnect(cc, members)
	}
	c.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		if userAfter != nil {
			if err := userAfter(ctx, conn); err != nil {
				return err
			}
		}
		return p.afterConnect(conn)
	}
	c.PrepareConn = func(ctx context.Context, conn *pgx.Conn) (bool, error) {
		if !p.usable(conn) {
			return false, nil
		}
		if userPrepare != nil {
			ok, err := userPrepare(ctx, conn)
			if ok {
				recOf(conn).inUse.Store(true)
			}
			return ok, err
		}
		recOf(conn).inUse.Store(true)
		return true, nil
	}
	c.AfterRelease = func(conn *pgx.Conn) bool {
		if !p.usable(conn) {
			return false
		}
		if userRelease != nil && !userRelease(conn) {
			return false
		}
		recOf(conn).inUse.Store(false)
		return true
	}
	c.BeforeClose = func(conn *pgx.Conn) {
		if userClose != nil {
			userClose(conn)
		}
		p.closed(conn)
	}
	return c
}

// beforeConnect sets the login of a new connection from the current
// credential and has the connection remember it once it is established.
func (p *Pool) beforeConnect(cc *pgx.ConnConfig, members bool) error {
	cred := p.src.Current()
	if cred.IsZero() {
		return errors.New("pgxcred: the source has no credential (Source.Current returned a zero Credential): check that the credential is set in the backend")
	}
	if p.ending(cred) {
		return fmt.Errorf("pgxcred: not connecting as %q: %w (%s); the source should replace it before then: check its lease status", cred.Username, ErrLeaseEnding, p.margin)
	}
	cc.User = cred.Username
	cc.Password = cred.Password.Reveal()
	if members {
		if err := applyMembers(cc, cred); err != nil {
			return err
		}
	}
	prev := cc.AfterConnect
	rec := &conn{cred: cred}
	cc.AfterConnect = func(ctx context.Context, pc *pgconn.PgConn) error {
		if prev != nil {
			if err := prev(ctx, pc); err != nil {
				return err
			}
		}
		pc.CustomData()[customKey] = rec
		return nil
	}
	return nil
}

// applyMembers points cc at the host, port and dbname members of cred.
func applyMembers(cc *pgx.ConnConfig, cred runtime.Credential) error {
	if h, ok := cred.Member("host"); ok && h != "" {
		cc.Host = h
		cc.Fallbacks = nil
		if cc.TLSConfig != nil {
			t := cc.TLSConfig.Clone()
			t.ServerName = h
			cc.TLSConfig = t
		}
	}
	if s, ok := cred.Member("port"); ok && s != "" {
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return fmt.Errorf("pgxcred: the credential's port member %q is not a port number: fix the secret's port", s)
		}
		cc.Port = uint16(n)
	}
	if d, ok := cred.Member("dbname"); ok && d != "" {
		cc.Database = d
	}
	return nil
}

// afterConnect holds the connection's credential until it closes.
func (p *Pool) afterConnect(c *pgx.Conn) error { return p.hold(recOf(c)) }

func (p *Pool) hold(rec *conn) error {
	if rec == nil {
		return errors.New("pgxcred: a connection was opened without the pool's BeforeConnect (a fallback that skipped it); it is closed")
	}
	rec.release = rec.cred.Hold()
	if l := rec.cred.Lease(); l != nil && l.Status().Revoked {
		// Revoked between the login and the hold: drop it.
		rec.release()
		return fmt.Errorf("pgxcred: the lease of %q was revoked while connecting: %w", rec.cred.Username, ErrLeaseEnding)
	}
	p.mu.Lock()
	p.conns[rec] = struct{}{}
	p.mu.Unlock()
	p.opened.Add(1)
	p.held.Add(1)
	return nil
}

// closed releases the hold of a connection the pool closes.
func (p *Pool) closed(c *pgx.Conn) { p.unhold(recOf(c)) }

func (p *Pool) unhold(rec *conn) {
	if rec == nil || rec.release == nil {
		return
	}
	p.mu.Lock()
	delete(p.conns, rec)
	p.mu.Unlock()
	rec.release()
	rec.release = nil
	p.held.Add(-1)
}

func recOf(c *pgx.Conn) *conn {
	rec, _ := c.PgConn().CustomData()[customKey].(*conn)
	return rec
}

// ending reports whether cred's lease is revoked or ends within the margin.
func (p *Pool) ending(cred runtime.Credential) bool {
	l := cred.Lease()
	if l == nil {
		return false
	}
	st := l.Status()
	if st.Revoked {
		return true
	}
	if st.Rotation {
		return false // a static role's rotation: open sessions survive it, a login before it works
	}
	return !st.Expires.IsZero() && !p.now().Before(st.Expires.Add(-p.margin))
}

// usable reports whether c may be handed out (again), counting why not.
func (p *Pool) usable(c *pgx.Conn) bool { return p.usableRec(recOf(c)) }

func (p *Pool) usableRec(rec *conn) bool {
	if rec == nil {
		return false
	}
	if p.ending(rec.cred) {
		p.closedLease.Add(1)
		return false
	}
	if !p.same(p.src.Current(), rec.cred) {
		p.closedOld.Add(1)
		return false
	}
	return true
}

// same reports whether a connection opened with b would log in the same
// way with a: the same user, password and lease, and with Members the same
// host, port and dbname. (Credential.Equal also compares the other
// members, and allocates.)
func (p *Pool) same(a, b runtime.Credential) bool {
	if a.Username != b.Username || a.Lease() != b.Lease() || a.Password.Reveal() != b.Password.Reveal() {
		return false
	}
	if p.members {
		for _, m := range [...]string{"host", "port", "dbname"} {
			x, _ := a.Member(m)
			y, _ := b.Member(m)
			if x != y {
				return false
			}
		}
	}
	return true
}

// Credential returns the credential c logged in with, and false when c is
// not a connection of a pgxcred pool.
func Credential(c *pgx.Conn) (runtime.Credential, bool) {
	if rec := recOf(c); rec != nil {
		return rec.cred, true
	}
	return runtime.Credential{}, false
}

// checkLoop closes idle connections that may not be handed out again.
func (p *Pool) checkLoop(interval time.Duration) {
	defer close(p.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			if p.anyStale() {
				p.CheckIdle(context.Background())
			}
			p.checks.Add(1)
		}
	}
}

// anyStale reports whether an idle connection may not be handed out
// again. Taking every idle connection to look at it would make a busy
// pool open new ones meanwhile, so the check does that only then.
func (p *Pool) anyStale() bool {
	cur := p.src.Current()
	p.mu.Lock()
	defer p.mu.Unlock()
	for rec := range p.conns {
		if rec.inUse.Load() {
			continue // closed when released
		}
		if p.ending(rec.cred) || !p.same(cur, rec.cred) {
			return true
		}
	}
	return false
}

// CheckIdle closes now the idle connections whose credential is old or
// whose lease ends within the margin (the pool does it every
// CheckInterval): the PrepareConn hook destroys them as they are taken.
func (p *Pool) CheckIdle(ctx context.Context) {
	for _, c := range p.Pool.AcquireAllIdle(ctx) {
		c.Release()
	}
}

// Stats returns what the pool did so far.
func (p *Pool) Stats() Stats {
	return Stats{Opened: p.opened.Load(), ClosedOld: p.closedOld.Load(), ClosedLease: p.closedLease.Load(),
		Held: p.held.Load(), LoginRetries: p.loginRetries.Load()}
}

// Close stops the idle check and closes the pool (pgxpool.Pool.Close:
// it waits for acquired connections to be released); every hold is
// released once it returns.
func (p *Pool) Close() {
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.done
	p.Pool.Close()
}
