package runtime_test

import (
	"fmt"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// A Credential prints its username and never its password; a pool holds
// its lease while a connection opened with it is open.
func ExampleCredential() {
	lease := runtime.NewLease(runtime.LeaseStatus{
		Expires:   time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC),
		Renewable: true,
	})
	c := runtime.NewCredential("v-app-7kq2", "s3cr3t", map[string]string{"host": "db.internal"}, lease)
	fmt.Println(c)
	host, _ := c.Member("host")
	fmt.Println("host:", host)

	release := c.Hold() // when a connection opens with c
	fmt.Println("holds:", c.Lease().Holds())
	release() // when that connection closes
	fmt.Println("holds:", c.Lease().Holds(), "expires:", c.Lease().Expires().Format(time.RFC3339))
	// Output:
	// {Username:v-app-7kq2 Password:[REDACTED]}
	// host: db.internal
	// holds: 1
	// holds: 0 expires: 2026-12-04T18:00:00Z
}
