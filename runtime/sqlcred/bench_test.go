package sqlcred

import (
	"database/sql/driver"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// BenchmarkValidity measures what the connector adds each time database/sql
// returns a connection to its pool or takes it again (IsValid,
// ResetSession): is the credential still the current one and its lease
// not ending. A login takes milliseconds; a query at least tens of
// microseconds.
//
// Run: go test -run '^$' -bench Validity -benchmem ./runtime/sqlcred
func BenchmarkValidity(b *testing.B) {
	cred := runtime.NewCredential("app", "pw-1", nil, runtime.NewLease(runtime.LeaseStatus{Expires: time.Now().Add(time.Hour)}))
	c, err := NewConnector(Config{Source: Source{Current: func() runtime.Credential { return cred }},
		Connector: pgxConnectorNone})
	if err != nil {
		b.Fatal(err)
	}
	x := &conn{c: c, cred: cred, release: cred.Hold()}
	b.ReportAllocs()
	for b.Loop() {
		if !x.c.usable(x.cred) {
			b.Fatal("not usable")
		}
	}
}

func pgxConnectorNone(runtime.Credential) (driver.Connector, error) { return nil, nil }
