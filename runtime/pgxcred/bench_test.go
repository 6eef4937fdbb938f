package pgxcred

import (
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dashtam/secretsgen/runtime"
)

type benchSettings struct{ App runtime.Credential }

func benchLive(b *testing.B) *runtime.Live[benchSettings] {
	m := runtime.NewMemory("mem")
	m.Set("database/app", `{"username":"app","password":"pw-1"}`)
	lease := runtime.NewLease(runtime.LeaseStatus{Expires: time.Now().Add(time.Hour), Renewable: true})
	load := func(ctx context.Context, p runtime.Provider) (*benchSettings, error) {
		v, err := p.Get(ctx, runtime.Ref{Path: "database/app", Type: "credential"})
		if err != nil {
			return nil, err
		}
		var c struct{ Username, Password string }
		if err := json.Unmarshal([]byte(v.Text), &c); err != nil {
			return nil, err
		}
		return &benchSettings{App: runtime.NewCredential(c.Username, c.Password, nil, lease)}, nil
	}
	l, err := runtime.NewLive(context.Background(), runtime.NewCache(m, nil), load, &runtime.LiveOptions{PollInterval: time.Hour, CloseProvider: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

// benchPgConn is a connection object for the hooks to write to; nothing is
// sent on it.
func benchPgConn(b *testing.B) *pgconn.PgConn {
	c1, c2 := net.Pipe()
	b.Cleanup(func() { c1.Close(); c2.Close() })
	cfg, err := pgconn.ParseConfig("host=127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	pc, err := pgconn.Construct(&pgconn.HijackedConn{Conn: c1, Config: cfg, CustomData: map[string]any{}})
	if err != nil {
		b.Fatal(err)
	}
	return pc
}

// BenchmarkConnectHooks measures what the pool adds to opening and closing
// one connection (a login itself takes milliseconds): ours reads the Live's
// credential, checks its lease, sets user and password, has the connection
// remember the credential, holds it and releases the hold on close; plain
// is a BeforeConnect that copies a password from the Live's settings.
// AcquireCheck is what every acquire and release adds (is the credential
// still current, its lease not ending).
//
// Run: go test -run '^$' -bench ConnectHooks -benchmem ./runtime/pgxcred
func BenchmarkConnectHooks(b *testing.B) {
	live := benchLive(b)
	src := Source{Current: func() runtime.Credential { return live.Settings().App }}
	p := newPool(src, nil)
	pc := benchPgConn(b)
	ctx := context.Background()
	cc, err := pgx.ParseConfig("host=127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c := live.Settings().App
			cc.User = c.Username
			cc.Password = c.Password.Reveal()
		}
	})
	b.Run("pgxcred", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cc.AfterConnect = nil
			if err := p.beforeConnect(cc, false); err != nil {
				b.Fatal(err)
			}
			if err := cc.AfterConnect(ctx, pc); err != nil {
				b.Fatal(err)
			}
			rec := pc.CustomData()[customKey].(*conn)
			if err := p.hold(rec); err != nil {
				b.Fatal(err)
			}
			p.unhold(rec)
		}
	})
	cc.AfterConnect = nil
	if err := p.beforeConnect(cc, false); err != nil {
		b.Fatal(err)
	}
	if err := cc.AfterConnect(ctx, pc); err != nil {
		b.Fatal(err)
	}
	rec := pc.CustomData()[customKey].(*conn)
	b.Run("AcquireCheck", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !p.usableRec(rec) {
				b.Fatal("not usable")
			}
		}
	})
}
