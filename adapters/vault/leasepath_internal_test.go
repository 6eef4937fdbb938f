package vault

import (
	"errors"
	"testing"
)

// TestLeasePath: renew and revoke put the lease id in the path
// (sys/leases/renew/<id>), unescaped (the client's url.URL escapes it once),
// and refuse an id that the client's path.Join would turn into another
// path.
func TestLeasePath(t *testing.T) {
	for _, tc := range []struct {
		id, want string
		bad      bool
	}{
		{id: "database/creds/app/2bNzTQdWb7Y0z1Xq8uN5lC9m", want: "sys/leases/renew/database/creds/app/2bNzTQdWb7Y0z1Xq8uN5lC9m"},
		{id: "team/db/creds/app.v2_x-y/abc", want: "sys/leases/renew/team/db/creds/app.v2_x-y/abc"},
		{id: "database/creds/a b/c%d", want: "sys/leases/renew/database/creds/a b/c%d"},
		{id: "database/creds/../../sys/policy/x", bad: true},
		{id: "database/creds/./app", bad: true},
		{id: "database//creds/app", bad: true},
		{id: "", bad: true},
		{id: "database/creds/app/", bad: true},
	} {
		got, err := leasePath("sys/leases/renew/", tc.id)
		switch {
		case tc.bad && !errors.Is(err, errBadLeaseID):
			t.Errorf("leasePath(%q) = %q, %v; want errBadLeaseID", tc.id, got, err)
		case !tc.bad && (err != nil || got != tc.want):
			t.Errorf("leasePath(%q) = %q, %v; want %q", tc.id, got, err, tc.want)
		}
	}
}
