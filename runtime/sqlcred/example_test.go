package sqlcred_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/sqlcred"
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
	var c struct{ Username, Password string }
	if err := json.Unmarshal([]byte(v.Text), &c); err != nil {
		return nil, fmt.Errorf("%s: not a credential", pathDatabaseApp)
	}
	return &Settings{App: runtime.NewCredential(c.Username, c.Password, nil, v.Lease)}, nil
}

// A *sql.DB whose connections follow the credential of a Live, here with
// pgx's database/sql driver; any driver works. Opening the DB connects to
// nothing yet.
func ExampleNewConnector() {
	backend := runtime.NewMemory("fake") // in a service: the backend of SECRETS_BACKEND
	backend.Set(pathDatabaseApp, `{"username":"app","password":"pw-1"}`)
	ctx := context.Background()
	live, err := runtime.NewLive(ctx, runtime.NewCache(backend, nil), Load, &runtime.LiveOptions{PollInterval: time.Minute, CloseProvider: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer live.Close()

	conn, err := sqlcred.NewConnector(sqlcred.Config{
		Source: sqlcred.Source{
			Current: func() runtime.Credential { return live.Settings().App },
			Refresh: func(ctx context.Context) error { return live.RefreshNow(ctx, pathDatabaseApp) },
		},
		Driver: stdlib.GetDefaultDriver(),
		DSN: func(c runtime.Credential) string {
			u := url.URL{Scheme: "postgres", User: url.UserPassword(c.Username, c.Password.Reveal()),
				Host: "db.internal:5432", Path: "/app", RawQuery: "sslmode=verify-full"}
			return u.String()
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	db.SetConnMaxIdleTime(time.Minute) // idle connections of an old credential close within a minute

	// rows, err := db.QueryContext(ctx, "SELECT ...") // survives a rotation
	fmt.Printf("%+v\n", conn.Stats())
	// Output:
	// {Opened:0 Invalidated:0 Held:0 LoginRetries:0}
}
