package pgxcred_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/pgxcred"
)

// Settings and Load stand in for generated code: a manifest entry of type
// credential becomes a runtime.Credential field.
type Settings struct {
	App runtime.Credential
}

const pathDatabaseApp = "database/app"

func Load(ctx context.Context, p runtime.Provider) (*Settings, error) {
	v, err := p.Get(ctx, runtime.Ref{Path: pathDatabaseApp, Type: "credential"})
	if err != nil {
		return nil, err
	}
	var c struct{ Username, Password, Host, Port, Dbname string }
	if err := json.Unmarshal([]byte(v.Text), &c); err != nil {
		return nil, fmt.Errorf("%s: not a credential", pathDatabaseApp)
	}
	return &Settings{App: runtime.NewCredential(c.Username, c.Password,
		map[string]string{"host": c.Host, "port": c.Port, "dbname": c.Dbname}, v.Lease)}, nil
}

// A pool whose connections follow the credential of a Live: new
// connections log in with live.Settings().App, connections of a replaced
// credential close, and a rejected login refreshes the Live and tries
// again. Creating the pool connects to nothing yet.
func ExampleNew() {
	backend := runtime.NewMemory("fake") // in a service: the backend of SECRETS_BACKEND
	backend.Set(pathDatabaseApp, `{"username":"app","password":"pw-1","host":"db.internal","port":"5432","dbname":"app"}`)
	ctx := context.Background()
	live, err := runtime.NewLive(ctx, runtime.NewCache(backend, nil), Load, &runtime.LiveOptions{PollInterval: time.Minute, CloseProvider: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer live.Close()

	cfg, err := pgxpool.ParseConfig("sslmode=verify-full pool_max_conns=8")
	if err != nil {
		fmt.Println(err)
		return
	}
	pool, err := pgxcred.New(ctx, cfg, pgxcred.Source{
		Current: func() runtime.Credential { return live.Settings().App },
		Refresh: func(ctx context.Context) error { return live.RefreshNow(ctx, pathDatabaseApp) },
	}, &pgxcred.Options{Members: true}) // host, port and dbname from the secret
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()

	// rows, err := pool.Query(ctx, "SELECT ...") // survives a rotation
	fmt.Println(live.Settings().App)
	fmt.Printf("%+v\n", pool.Stats())
	// Output:
	// {Username:app Password:[REDACTED]}
	// {Opened:0 ClosedOld:0 ClosedLease:0 Held:0 LoginRetries:0}
}

// Run retries a function of the caller's when a login is rejected; make it
// one request, one transaction, or idempotent.
func ExamplePool_Run() {
	var pool *pgxcred.Pool // from pgxcred.New
	run := func(ctx context.Context) error {
		return pool.Run(ctx, func(ctx context.Context) error {
			tx, err := pool.Pool.Begin(ctx) // the embedded pool: Run does the retry
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, "UPDATE accounts SET seen = now() WHERE id = $1", 42); err != nil {
				return err
			}
			return tx.Commit(ctx)
		})
	}
	_ = run
}
