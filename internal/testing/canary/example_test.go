package canary_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dashtam/secretsgen/internal/testing/canary/kitchen"
	"github.com/dashtam/secretsgen/runtime"
)

// A unit test serves a credential from the generated Fake, rotates it, and
// sees the Live swap the username and password together.
func ExampleFake_RotateScalarCredential() {
	ctx := context.Background()
	s := kitchen.SampleSettings()
	s.Scalar.Credential = runtime.NewCredential("app", "first-password", nil, nil)
	fake := kitchen.NewFake(s)
	live, err := kitchen.Watch(ctx, runtime.NewCache(fake, nil), &runtime.LiveOptions{PollInterval: time.Hour})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer live.Close()
	fmt.Println(live.Settings().Scalar.Credential)

	version := fake.RotateScalarCredential("app-2", "second-password")
	if err := live.RefreshNow(ctx, kitchen.PathScalarCredential); err != nil {
		fmt.Println(err)
		return
	}
	c := live.Settings().Scalar.Credential
	fmt.Println(version, c, c.Password.Reveal())
	// Output:
	// {Username:app Password:[REDACTED]}
	// 2 {Username:app-2 Password:[REDACTED]} second-password
}

// A credential given with a lease keeps it: the Live reports the lease in
// Status, with the holders a connection pool adds.
func ExampleFake_SetScalarCredential() {
	ctx := context.Background()
	lease := runtime.NewLease(runtime.LeaseStatus{Renewable: true})
	s := kitchen.SampleSettings()
	fake := kitchen.NewFake(s)
	fake.SetScalarCredential(runtime.NewCredential("app", "pw", map[string]string{"port": "5432"}, lease))
	live, err := kitchen.Watch(ctx, runtime.NewCache(fake, nil), &runtime.LiveOptions{PollInterval: time.Hour})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer live.Close()
	release := live.Settings().Scalar.Credential.Hold() // a connection opened with it
	defer release()
	for _, sec := range live.Status().Secrets {
		if sec.Path == kitchen.PathScalarCredential {
			fmt.Println(sec.Lease.Renewable, sec.Lease.Holds)
		}
	}
	// Output:
	// true 1
}
