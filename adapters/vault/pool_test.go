package vault_test

import (
	"context"
	"fmt"
	"net/http/httptrace"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/vault"
	"github.com/dashtam/secretsgen/runtime"
)

// TestLoadReusesConnections: FromEnv keeps as many idle connections as
// GetMany runs reads at once, so after a first load of 100 secrets (which
// opens them) later loads open none.
//
// How many reads overlap is up to the scheduler: on a busy machine the
// first load's workers may start one after another and open fewer
// connections than a later load needs, which then dials (a load once
// "opened 3 connections, want 0"). So in every load the first
// DefaultMaxConcurrency reads hold their connections until all of them
// have one: each load runs that many at once, the first opens exactly
// that many, and a later one opens none only if the idle pool kept them
// all (with cleanhttp's GOMAXPROCS+1 idle connections it would dial most
// of them again). A connection goes back to the pool before the read that
// used it sees the end of the response, so the reads after those never
// need another.
func TestLoadReusesConnections(t *testing.T) {
	srv := startServer(t)
	const env = "pool"
	const conc = vault.DefaultMaxConcurrency
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
	var dials, inFlight, peak, arrived atomic.Int64
	var all atomic.Pointer[chan struct{}] // closed when conc reads of this load have a connection
	var short atomic.Bool                 // a load did not reach conc reads at once
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
			switch k := arrived.Add(1); {
			case k == conc:
				close(*all.Load())
			case k < conc:
				select {
				case <-*all.Load():
				case <-time.After(time.Minute): // GetMany runs fewer at once
					short.Store(true)
				}
			}
		},
		GotFirstResponseByte: func() { inFlight.Add(-1) },
	})
	for load := range 3 {
		dials.Store(0)
		arrived.Store(0)
		ch := make(chan struct{})
		all.Store(&ch)
		for i, r := range p.GetMany(ctx, refs) {
			if r.Err != nil {
				t.Fatalf("load %d, %s: %v", load, refs[i].Path, r.Err)
			}
		}
		t.Logf("load %d: %d connections opened, at most %d requests at once", load, dials.Load(), peak.Load())
		if short.Load() {
			t.Fatalf("load %d: fewer than %d reads at once within a minute (%d reads in all)", load, conc, arrived.Load())
		}
		if load == 0 && dials.Load() != conc {
			t.Errorf("the first load opened %d connections, want the %d reads it runs at once", dials.Load(), conc)
		}
		if load > 0 && dials.Load() != 0 {
			t.Errorf("load %d opened %d connections, want 0 (the idle pool holds %d)", load, dials.Load(), conc)
		}
	}
	if peak.Load() > conc {
		t.Errorf("%d requests at once, over DefaultMaxConcurrency", peak.Load())
	}
}
