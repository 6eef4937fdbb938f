package sqlcred

import (
	"database/sql/driver"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// TestStaticRotationIsNotALeaseEnd: a static role's Lease (Rotation set)
// whose Expires, the next password rotation, is within the margin does
// not make a connection invalid or a login refused: sessions survive a
// rotation. The same Expires as a lease's end does, and so does a revoked
// lease.
func TestStaticRotationIsNotALeaseEnd(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c, err := newConnector(Config{Source: Source{Current: func() runtime.Credential { return runtime.Credential{} }},
		Connector: func(runtime.Credential) (driver.Connector, error) { return nil, nil }}, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	soon := t0.Add(3 * time.Second) // inside the default margin (5 s)
	rot := runtime.NewLease(runtime.LeaseStatus{Expires: soon, NextAction: "read again", Rotation: true})
	end := runtime.NewLease(runtime.LeaseStatus{Expires: soon})
	for _, tc := range []struct {
		name  string
		lease *runtime.Lease
		want  bool
	}{
		{"static rotation", rot, false},
		{"lease end", end, true},
		{"no lease", nil, false},
	} {
		if got := c.ending(runtime.NewCredential("u", "p", nil, tc.lease)); got != tc.want {
			t.Errorf("%s within the margin: ending = %t, want %t", tc.name, got, tc.want)
		}
	}
	rot.Update(func(st *runtime.LeaseStatus) { st.Revoked = true })
	if !c.ending(runtime.NewCredential("u", "p", nil, rot)) {
		t.Error("a revoked lease is not reported ending")
	}
}
