package rotation_test

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dashtam/secretsgen/gen"
)

// The code between the markers is the example of docs/rotation.md
// (TestDocsExample keeps the two the same); the tests below run it.

// --- docs example start ---

// poolConfig returns the configuration of a pgx pool whose new connections
// log in with the user and password of the database URL in live's current
// settings: a rotated password is used by the next connection, without a
// restart. Open the pool with pgxpool.NewWithConfig(ctx, cfg).
func poolConfig(live *gen.Live) (*pgxpool.Config, error) {
	u := *live.Settings().Database.URL.Reveal()
	u.User = url.User(u.User.Username()) // the password is read per connection
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, err
	}
	cfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
		cur := live.Settings().Database.URL.Reveal()
		cc.User = cur.User.Username()
		cc.Password, _ = cur.User.Password()
		return nil
	}
	return cfg, nil
}

// withAuthRetry runs fn; when the database rejects the password (SQLSTATE
// 28P01, invalid_password: the password was rotated and the settings do not
// have the new one yet, or the reverse), it asks the Live for the database
// URL now and tries again, until ctx is done. RefreshNow tells the Live that
// the value in use was refused (a pending version in use is dropped), so
// when new settings came in while fn ran, fn may have used the old ones:
// it tries the new ones first.
func withAuthRetry(ctx context.Context, live *gen.Live, fn func(context.Context) error) error {
	for {
		before := live.Settings()
		err := fn(ctx)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
			return err
		}
		if live.Settings() != before {
			continue
		}
		// Fetches the secret at once (one fetch however many goroutines
		// ask; within the cool-down it returns at once) and returns when
		// new settings, if any, are in place. Its error (the backend is
		// down) changes nothing here: the retry uses the last good value.
		_ = live.RefreshNow(ctx, gen.PathDatabaseURL)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// --- docs example end ---
