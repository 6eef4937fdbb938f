// Package sqlcred is a database/sql driver.Connector that opens every
// connection with the current runtime.Credential, for any driver: give it
// the driver and a function that makes the driver's data source name for a
// credential, or a function that returns the driver's own connector for
// one. With a Live:
//
//	live := gen.MustWatch(ctx) // the generated package's Live; a database/app entry of type credential
//	defer live.Close()
//	conn, err := sqlcred.NewConnector(sqlcred.Config{
//		Source: sqlcred.Source{
//			Current: func() runtime.Credential { return live.Settings().Database.App },
//			Refresh: func(ctx context.Context) error { return live.RefreshNow(ctx, gen.PathDatabaseApp) },
//		},
//		Driver: stdlib.GetDefaultDriver(), // github.com/jackc/pgx/v5/stdlib, or any driver
//		DSN: func(c runtime.Credential) string {
//			u := url.URL{Scheme: "postgres", User: url.UserPassword(c.Username, c.Password.Reveal()),
//				Host: "db.internal:5432", Path: "/app", RawQuery: "sslmode=verify-full"}
//			return u.String()
//		},
//	})
//	...
//	db := sql.OpenDB(conn)
//	db.SetConnMaxIdleTime(time.Minute) // see below
//
// What it guarantees (docs/credentials.md says more):
//
//   - A connection logs in with one Credential, never half of one version
//     and half of another, and holds it (runtime.Credential.Hold) until
//     database/sql closes it, so a lease is not revoked under it.
//   - A connection whose credential is no longer the current one, or whose
//     lease is revoked or ends within Config.Margin (the lease's Expires as
//     it is now), reports itself invalid (driver.Validator when returned
//     to the pool, driver.SessionResetter when taken from it), so
//     database/sql closes it instead of using it again. database/sql has no
//     hook for connections that stay idle: set DB.SetConnMaxIdleTime so
//     that an idle connection of an old credential does not hold its
//     lease for longer than that.
//   - Connect meets a rejected login (the driver's error has
//     SQLState() 28P01 or 28000, see Config.IsLoginError), or a current
//     credential whose lease is revoked or ending, by calling
//     Source.Refresh and trying again, at most Config.LoginRetries times
//     and never after ctx is done: a plain db.Query survives a rotation the
//     Live has not noticed yet. No statement has been sent at that point.
package sqlcred

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// Source gives the credential new connections log in with.
type Source struct {
	// Current returns the credential in use now. It is called for every
	// new connection and whenever database/sql checks one, so it must be
	// cheap (a Live's Settings is an atomic load). Required.
	Current func() runtime.Credential
	// Refresh asks the backend for the credential now, after the database
	// rejected a login with the current one: on a Live, RefreshNow of the
	// credential's path. Nil: a rejected login is returned at once.
	Refresh func(ctx context.Context) error
}

// Config says how a Connector opens connections.
type Config struct {
	Source Source
	// Driver and DSN open a connection: DSN returns the driver's data
	// source name for a credential (Driver's OpenConnector is used when
	// it is a driver.DriverContext, else Open).
	Driver driver.Driver
	DSN    func(runtime.Credential) string
	// Connector, instead of Driver and DSN, returns the driver's connector
	// for a credential.
	Connector func(runtime.Credential) (driver.Connector, error)
	// Margin: a connection whose credential's lease ends within Margin is
	// not used again, and no connection is opened while the current
	// credential's lease ends within Margin. Default 5s.
	Margin time.Duration
	// LoginRetries is how many times Connect tries again after
	// Source.Refresh when the login was rejected. Default 2; negative:
	// never.
	LoginRetries int
	// IsLoginError reports whether a driver's error is a rejected login.
	// Default: the error (or one it wraps) has a method SQLState() string
	// (pgx's *pgconn.PgError, lib/pq's *pq.Error) returning 28P01
	// (invalid_password) or 28000 (invalid_authorization_specification).
	IsLoginError func(error) bool
}

const (
	defaultMargin       = 5 * time.Second
	defaultLoginRetries = 2
	retryBackoff        = 100 * time.Millisecond
)

// ErrLeaseEnding is returned (wrapped) by Connect when the current
// credential's lease is revoked or ends within the margin and the source
// has no newer one.
var ErrLeaseEnding = errors.New("the credential's lease is revoked or ends within the connector's margin")

// Stats counts what a Connector did.
type Stats struct {
	// Opened counts connections opened (logged in and held).
	Opened int64
	// Invalidated counts connections reported invalid because their
	// credential was old or its lease revoked or ending.
	Invalidated int64
	// Held is how many connections hold their credential now.
	Held int64
	// LoginRetries counts connection attempts tried again.
	LoginRetries int64
}

// Connector is a driver.Connector that opens each connection with the
// source's current credential. Open a *sql.DB with sql.OpenDB.
type Connector struct {
	cfg     Config
	margin  time.Duration
	retries int
	now     func() time.Time // time.Now; tests move it

	opened, invalidated, held, loginRetries atomic.Int64
}

// NewConnector returns a Connector for cfg.
func NewConnector(cfg Config) (*Connector, error) {
	return newConnector(cfg, time.Now)
}

func newConnector(cfg Config, now func() time.Time) (*Connector, error) {
	if cfg.Source.Current == nil {
		return nil, errors.New("sqlcred: Config.Source.Current is nil: give a function that returns the credential in use (a Live's Settings().<field>)")
	}
	if (cfg.Connector == nil) == (cfg.Driver == nil || cfg.DSN == nil) {
		return nil, errors.New("sqlcred: give either Config.Driver and Config.DSN, or Config.Connector")
	}
	c := &Connector{cfg: cfg, margin: defaultMargin, retries: defaultLoginRetries, now: now}
	if cfg.Margin > 0 {
		c.margin = cfg.Margin
	}
	if cfg.LoginRetries != 0 {
		c.retries = max(cfg.LoginRetries, 0)
	}
	if c.cfg.IsLoginError == nil {
		c.cfg.IsLoginError = IsLoginError
	}
	return c, nil
}

// IsLoginError reports whether err (or an error it wraps) has a method
// SQLState() string that returns 28P01 (invalid_password) or 28000
// (invalid_authorization_specification): PostgreSQL's rejected login.
func IsLoginError(err error) bool {
	var s interface{ SQLState() string }
	if !errors.As(err, &s) {
		return false
	}
	code := s.SQLState()
	return code == "28P01" || code == "28000"
}

// Driver implements driver.Connector: Config.Driver, or a driver whose
// Open says to use the Connector.
func (c *Connector) Driver() driver.Driver {
	if c.cfg.Driver != nil {
		return c.cfg.Driver
	}
	return connectorOnly{}
}

type connectorOnly struct{}

func (connectorOnly) Open(string) (driver.Conn, error) {
	return nil, errors.New("sqlcred: this driver opens connections only through its Connector (sql.OpenDB), not by name")
}

// Stats returns what the connector did so far.
func (c *Connector) Stats() Stats {
	return Stats{Opened: c.opened.Load(), Invalidated: c.invalidated.Load(), Held: c.held.Load(), LoginRetries: c.loginRetries.Load()}
}

// Connect implements driver.Connector: it opens a connection with the
// current credential, trying again after Source.Refresh when the login is
// rejected (see the package documentation).
func (c *Connector) Connect(ctx context.Context) (driver.Conn, error) {
	wait := retryBackoff
	for attempt := 0; ; attempt++ {
		cred := c.cfg.Source.Current()
		dc, err := c.connect(ctx, cred)
		if err == nil {
			return dc, nil
		}
		retry := c.cfg.IsLoginError(err) || errors.Is(err, ErrLeaseEnding)
		if !retry || attempt >= c.retries || c.cfg.Source.Refresh == nil || ctx.Err() != nil {
			return nil, err
		}
		if !c.cfg.Source.Current().Equal(cred) {
			// The source moved meanwhile: try the current credential
			// before telling the source this one was refused (a Live
			// takes a refresh as a refusal of the value in use).
			c.loginRetries.Add(1)
			continue
		}
		if rerr := c.cfg.Source.Refresh(ctx); rerr != nil {
			return nil, fmt.Errorf("%w; asking the source for the credential again failed too: %w", err, rerr)
		}
		c.loginRetries.Add(1)
		if c.cfg.Source.Current().Equal(cred) {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, err
			case <-t.C:
			}
			wait *= 2
		}
	}
}

func (c *Connector) connect(ctx context.Context, cred runtime.Credential) (driver.Conn, error) {
	if cred.IsZero() {
		return nil, errors.New("sqlcred: the source has no credential (Source.Current returned a zero Credential): check that the credential is set in the backend")
	}
	if c.ending(cred) {
		return nil, fmt.Errorf("sqlcred: not connecting as %q: %w (%s); the source should replace it before then: check its lease status", cred.Username, ErrLeaseEnding, c.margin)
	}
	var dc driver.Conn
	var err error
	switch {
	case c.cfg.Connector != nil:
		var dconn driver.Connector
		dconn, err = c.cfg.Connector(cred)
		if err == nil {
			dc, err = dconn.Connect(ctx)
		}
	default:
		dsn := c.cfg.DSN(cred)
		if dctx, ok := c.cfg.Driver.(driver.DriverContext); ok {
			var dconn driver.Connector
			dconn, err = dctx.OpenConnector(dsn)
			if err == nil {
				dc, err = dconn.Connect(ctx)
			}
		} else {
			dc, err = c.cfg.Driver.Open(dsn)
		}
	}
	if err != nil {
		return nil, err
	}
	release := cred.Hold()
	if l := cred.Lease(); l != nil && l.Status().Revoked {
		release()
		_ = dc.Close()
		return nil, fmt.Errorf("sqlcred: the lease of %q was revoked while connecting: %w", cred.Username, ErrLeaseEnding)
	}
	c.opened.Add(1)
	c.held.Add(1)
	return &conn{Conn: dc, c: c, cred: cred, release: release}, nil
}

// ending reports whether cred's lease is revoked or ends within the margin
// (a static role's rotation is not an end: Lease.SessionsEndBy).
func (c *Connector) ending(cred runtime.Credential) bool {
	return cred.Lease().SessionsEndBy(c.now().Add(c.margin))
}

// usable reports whether a connection opened with cred may be used again.
func (c *Connector) usable(cred runtime.Credential) bool {
	if c.ending(cred) || !c.cfg.Source.Current().Equal(cred) {
		c.invalidated.Add(1)
		return false
	}
	return true
}

// Credential returns the credential a connection of a Connector logged in
// with: pass the driver connection sql.Conn.Raw gives. False for any other
// value.
func Credential(driverConn any) (runtime.Credential, bool) {
	if x, ok := driverConn.(*conn); ok {
		return x.cred, true
	}
	return runtime.Credential{}, false
}

// Unwrap returns the driver's own connection inside a connection of a
// Connector (what sql.Conn.Raw gives), for a driver's extensions such as
// pgx's *stdlib.Conn; any other value is returned as it is.
func Unwrap(driverConn any) any {
	if x, ok := driverConn.(*conn); ok {
		return x.Conn
	}
	return driverConn
}

// conn is a driver connection that knows its credential. It implements
// the optional interfaces database/sql looks for, passing them on to the
// driver's connection or answering as database/sql would without them.
type conn struct {
	driver.Conn
	c       *Connector
	cred    runtime.Credential
	release func()
	once    sync.Once
}

var (
	_ driver.Validator          = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
)

// Close closes the driver's connection and releases the hold.
func (x *conn) Close() error {
	err := x.Conn.Close()
	x.once.Do(func() {
		x.release()
		x.c.held.Add(-1)
	})
	return err
}

// IsValid implements driver.Validator: false once the credential is old
// or its lease revoked or ending, so database/sql closes the connection
// instead of keeping it.
func (x *conn) IsValid() bool {
	if !x.c.usable(x.cred) {
		return false
	}
	if v, ok := x.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// ResetSession implements driver.SessionResetter: driver.ErrBadConn once
// the credential is old or its lease revoked or ending, so database/sql
// does not use the connection again.
func (x *conn) ResetSession(ctx context.Context) error {
	if !x.c.usable(x.cred) {
		return driver.ErrBadConn
	}
	if r, ok := x.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (x *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := x.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return x.Conn.Prepare(query)
}

func (x *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := x.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	if opts.Isolation != driver.IsolationLevel(0) || opts.ReadOnly {
		return nil, errors.New("sqlcred: the driver does not support transaction options (isolation level, read-only)")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	//lint:ignore SA1019 the driver has only Begin
	return x.Conn.Begin()
}

func (x *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := x.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (x *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := x.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (x *conn) Ping(ctx context.Context) error {
	if p, ok := x.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (x *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if c, ok := x.Conn.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
