package runtime_test

import (
	"context"
	"fmt"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// Settings stands in for a generated Settings type.
type Settings struct {
	DatabasePassword runtime.Secret[string]
}

// Load stands in for a generated Load function: it reads its secrets from
// p and parses them, returning every problem at once.
func Load(ctx context.Context, p runtime.Provider) (*Settings, error) {
	v, err := p.Get(ctx, runtime.Ref{Path: "database/password", Type: "string"})
	if err != nil {
		return nil, err
	}
	return &Settings{DatabasePassword: runtime.NewSecret(v.Text)}, nil
}

func ExampleNewLive() {
	backend := runtime.NewMemory("fake")
	backend.Set("database/password", "pw-1")
	ctx := context.Background()

	live, err := runtime.NewLive(ctx, runtime.NewCache(backend, nil), Load,
		&runtime.LiveOptions{PollInterval: time.Minute, CloseProvider: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer live.Close()

	// Settings is one atomic load: call it wherever the value is used.
	fmt.Println(live.Settings().DatabasePassword.Reveal())
	for _, s := range live.Status().Secrets {
		fmt.Println(s.Path, "version", s.Version, "stale", s.Stale)
	}
	// Output:
	// pw-1
	// database/password version 1 stale false
}

func ExampleLive_OnChange() {
	backend := runtime.NewMemory("fake")
	backend.Set("database/password", "pw-1")
	ctx := context.Background()
	live, err := runtime.NewLive(ctx, runtime.NewCache(backend, nil), Load, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan struct{})
	unregister := live.OnChange(func(old, new *Settings, changed []string) {
		fmt.Println("changed:", changed)
		close(done)
	})
	defer unregister()

	backend.Set("database/password", "pw-2")
	_ = live.RefreshNow(ctx) // or wait for the next poll
	<-done
	_ = live.Close()
	// Output:
	// changed: [database/password]
}

func ExampleLive_RefreshNow() {
	backend := runtime.NewMemory("fake")
	backend.Set("database/password", "pw-1")
	ctx := context.Background()
	live, err := runtime.NewLive(ctx, runtime.NewCache(backend, nil), Load, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer live.Close()

	// The database now wants the rotated password; a connection attempt
	// failed with "password authentication failed". Ask for the secret
	// now, then retry with the current settings.
	backend.Set("database/password", "pw-2")
	if err := live.RefreshNow(ctx, "database/password"); err != nil {
		fmt.Println(err)
	}
	fmt.Println(live.Settings().DatabasePassword.Reveal())
	// Output:
	// pw-2
}

func ExampleCache_Refresh() {
	backend := runtime.NewMemory("fake")
	backend.Set("database/password", "pw-1")
	backend.Set("api/key", "key-1")
	ctx := context.Background()
	c := runtime.NewCache(backend, &runtime.CacheOptions{TTL: time.Hour, MaxStale: 24 * time.Hour})
	defer c.Close()
	pw := runtime.Ref{Path: "database/password"}
	key := runtime.Ref{Path: "api/key"}
	_, _ = c.Get(ctx, pw)
	_, _ = c.Get(ctx, key)

	backend.Set("database/password", "pw-2")
	backend.Set("api/key", "key-2")
	// Fetch only the password again; the key stays cached for its TTL.
	if err := c.Refresh(ctx, "database/password"); err != nil {
		fmt.Println(err)
	}
	v1, _ := c.Get(ctx, pw)
	v2, _ := c.Get(ctx, key)
	fmt.Println(v1.Text, v2.Text)
	fmt.Println(c) // prints the backend name only
	// Output:
	// pw-2 key-1
	// runtime.Cache{backend: fake}
}
