package pgxcred

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// IsLoginError reports whether err is a login the database rejected:
// a connection attempt (pgconn.ConnectError) that failed with SQLSTATE
// 28P01 (invalid_password: a rotated password) or 28000
// (invalid_authorization_specification: a dropped role, no pg_hba entry).
// A statement's error never is one, so a request that failed this way sent
// no statement.
func IsLoginError(err error) bool {
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) {
		return false
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "28P01" || pe.Code == "28000")
}

// retryable: a rejected login, or a connection refused because its
// credential's lease was revoked or is ending (the source may have a newer
// one by now). Neither sent a statement.
func retryable(err error) bool { return IsLoginError(err) || errors.Is(err, ErrLeaseEnding) }

// retryBackoff is the wait before trying again when Refresh brought no
// new credential (the backend has not got the rotated one yet); it doubles
// with each try.
const retryBackoff = 100 * time.Millisecond

// Run calls fn and, when it fails with a rejected login (IsLoginError) or
// a connection refused for a revoked or ending lease (ErrLeaseEnding),
// asks the source for the credential now (Source.Refresh) and calls it
// again, at most Options.LoginRetries times and not once ctx is done.
// Other errors are returned at once. fn may run more than once: make it
// one request or one transaction, or idempotent.
func (p *Pool) Run(ctx context.Context, fn func(context.Context) error) error {
	return p.retry(ctx, func() error { return fn(ctx) })
}

func (p *Pool) retry(ctx context.Context, fn func() error) error {
	wait := retryBackoff
	for attempt := 0; ; attempt++ {
		before := p.src.Current()
		err := fn()
		if err == nil || !retryable(err) || attempt >= p.retries || p.src.Refresh == nil || ctx.Err() != nil {
			return err
		}
		if !p.same(p.src.Current(), before) {
			// The source moved while this login was tried: the login
			// may have used the older credential. Try the current one
			// before telling the source it was refused (a Live takes a
			// refresh as a refusal of the value in use).
			p.loginRetries.Add(1)
			continue
		}
		if rerr := p.src.Refresh(ctx); rerr != nil {
			return fmt.Errorf("%w; asking the source for the credential again failed too: %w", err, rerr)
		}
		p.loginRetries.Add(1)
		if p.same(p.src.Current(), before) {
			// Nothing newer yet: give the backend a moment.
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
			wait *= 2
		}
	}
}

// Acquire is pgxpool.Pool.Acquire with the login retry.
func (p *Pool) Acquire(ctx context.Context) (c *pgxpool.Conn, err error) {
	err = p.retry(ctx, func() error {
		c, err = p.Pool.Acquire(ctx)
		return err
	})
	return c, err
}

// AcquireFunc is pgxpool.Pool.AcquireFunc with the login retry.
func (p *Pool) AcquireFunc(ctx context.Context, f func(*pgxpool.Conn) error) error {
	c, err := p.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return f(c)
}

// Exec is pgxpool.Pool.Exec with the login retry.
func (p *Pool) Exec(ctx context.Context, sql string, args ...any) (tag pgconn.CommandTag, err error) {
	err = p.retry(ctx, func() error {
		tag, err = p.Pool.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

// Query is pgxpool.Pool.Query with the login retry.
func (p *Pool) Query(ctx context.Context, sql string, args ...any) (rows pgx.Rows, err error) {
	err = p.retry(ctx, func() error {
		rows, err = p.Pool.Query(ctx, sql, args...)
		return err
	})
	return rows, err
}

// QueryRow is pgxpool.Pool.QueryRow with the login retry.
func (p *Pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c, err := p.Acquire(ctx)
	if err != nil {
		return errRow{err}
	}
	return &connRow{row: c.QueryRow(ctx, sql, args...), c: c}
}

// SendBatch is pgxpool.Pool.SendBatch with the login retry.
func (p *Pool) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	c, err := p.Acquire(ctx)
	if err != nil {
		return errBatch{err}
	}
	return &connBatch{BatchResults: c.SendBatch(ctx, b), c: c}
}

// CopyFrom is pgxpool.Pool.CopyFrom with the login retry.
func (p *Pool) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (n int64, err error) {
	c, err := p.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Release()
	return c.Conn().CopyFrom(ctx, table, columns, src)
}

// Begin is pgxpool.Pool.Begin with the login retry.
func (p *Pool) Begin(ctx context.Context) (tx pgx.Tx, err error) {
	err = p.retry(ctx, func() error {
		tx, err = p.Pool.Begin(ctx)
		return err
	})
	return tx, err
}

// BeginTx is pgxpool.Pool.BeginTx with the login retry.
func (p *Pool) BeginTx(ctx context.Context, opts pgx.TxOptions) (tx pgx.Tx, err error) {
	err = p.retry(ctx, func() error {
		tx, err = p.Pool.BeginTx(ctx, opts)
		return err
	})
	return tx, err
}

// Ping is pgxpool.Pool.Ping with the login retry.
func (p *Pool) Ping(ctx context.Context) error {
	return p.retry(ctx, func() error { return p.Pool.Ping(ctx) })
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// connRow releases its connection once scanned.
type connRow struct {
	row pgx.Row
	c   *pgxpool.Conn
}

func (r *connRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if r.c != nil {
		r.c.Release()
		r.c = nil
	}
	return err
}

type errBatch struct{ err error }

func (b errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b errBatch) QueryRow() pgx.Row                { return errRow(b) }
func (b errBatch) Close() error                     { return b.err }
func (b errBatch) Tx() pgx.Tx                       { return nil }

// connBatch releases its connection on Close.
type connBatch struct {
	pgx.BatchResults
	c *pgxpool.Conn
}

func (b *connBatch) Close() error {
	err := b.BatchResults.Close()
	if b.c != nil {
		b.c.Release()
		b.c = nil
	}
	return err
}
