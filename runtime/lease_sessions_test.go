package runtime_test

import (
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// TestLeaseSessionsEndBy: the pools' rule is EndsBy's, except that a
// static role's rotation (Rotation) ends no session: only its revocation
// does. EndsBy (the Cache's rule) still ends a rotated credential.
func TestLeaseSessionsEndBy(t *testing.T) {
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name           string
		l              *runtime.Lease
		t              time.Time
		sessions, ends bool
	}{
		{"nil lease", nil, at, false, false},
		{"no expiry", runtime.NewLease(runtime.LeaseStatus{}), at, false, false},
		{"before expiry", runtime.NewLease(runtime.LeaseStatus{Expires: at}), at.Add(-time.Nanosecond), false, false},
		{"at expiry", runtime.NewLease(runtime.LeaseStatus{Expires: at}), at, true, true},
		{"revoked", runtime.NewLease(runtime.LeaseStatus{Expires: at, Revoked: true}), at.Add(-time.Hour), true, true},
		{"before rotation", runtime.NewLease(runtime.LeaseStatus{Expires: at, Rotation: true}), at.Add(-time.Second), false, false},
		{"after rotation", runtime.NewLease(runtime.LeaseStatus{Expires: at, Rotation: true}), at.Add(time.Second), false, true},
		{"rotation revoked", runtime.NewLease(runtime.LeaseStatus{Expires: at, Rotation: true, Revoked: true}), at.Add(-time.Hour), true, true},
	} {
		if got := tt.l.SessionsEndBy(tt.t); got != tt.sessions {
			t.Errorf("%s: SessionsEndBy = %t, want %t", tt.name, got, tt.sessions)
		}
		if got := tt.l.EndsBy(tt.t); got != tt.ends {
			t.Errorf("%s: EndsBy = %t, want %t", tt.name, got, tt.ends)
		}
	}
}
