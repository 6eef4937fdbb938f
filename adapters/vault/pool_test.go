package vault_test

import (
	"context"
	"fmt"
	"net/http/httptrace"
	"sync/atomic"
	"testing"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// TestLoadReusesConnections: FromEnv keeps as many idle connections as
// GetMany runs reads at once, so after a first load of 100 secrets (which
// opens them) later loads open none.
func TestLoadReusesConnections(t *testing.T) {
	srv := startServer(t)
	const env = "pool"
	refs := make([]runtime.Ref, 100)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("pool/s%03d", i)}
		srv.put(t, env, refs[i].Path, map[string]any{"value": "v"})
	}
	t.Setenv("VAULT_ADDR", srv.Addr())
	t.Setenv("VAULT_TOKEN", srv.RootToken())
	t.Setenv("VAULT_NAMESPACE", "")
	t.Setenv("SECRETS_VAULT_AUTH", "token")
	t.Setenv("SECRETS_VAULT_MOUNT", "")
	p, err := vault.FromEnv(context.Background(), app, env)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var dials, inFlight, peak atomic.Int64
	ctx := httptrace.WithClientTrace(ctxFor(t), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			if !info.Reused {
				dials.Add(1)
			}
			n := inFlight.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
		},
		GotFirstResponseByte: func() { inFlight.Add(-1) },
	})
	for load := range 3 {
		dials.Store(0)
		for i, r := range p.GetMany(ctx, refs) {
			if r.Err != nil {
				t.Fatalf("load %d, %s: %v", load, refs[i].Path, r.Err)
			}
		}
		t.Logf("load %d: %d connections opened, at most %d requests at once", load, dials.Load(), peak.Load())
		if load == 0 && dials.Load() > vault.DefaultMaxConcurrency {
			t.Errorf("the first load opened %d connections, more than the %d reads it runs at once", dials.Load(), vault.DefaultMaxConcurrency)
		}
		if load > 0 && dials.Load() != 0 {
			t.Errorf("load %d opened %d connections, want 0 (the idle pool holds %d)", load, dials.Load(), vault.DefaultMaxConcurrency)
		}
	}
	if peak.Load() > vault.DefaultMaxConcurrency {
		t.Errorf("%d requests at once, over DefaultMaxConcurrency", peak.Load())
	}
}
