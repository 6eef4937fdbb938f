package awssm_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/leaktest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// TestNoGoroutineOutlivesClose: FromEnv on moto, a batched and a pinned
// read, then Close: no goroutine is left, the HTTP client's connections
// included. moto closes its connections after each answer, so a Go
// reverse proxy (which keeps them alive) stands in front of it: without
// Close the client's idle connection goroutines would remain.
func TestNoGoroutineOutlivesClose(t *testing.T) {
	moto := testenv.SharedMoto(t)
	ctx := t.Context()
	putSecret(ctx, t, newClient(moto.Endpoint(), awstest.ClientOptions{}), secretID("leak/one"), "v1")
	putSecret(ctx, t, newClient(moto.Endpoint(), awstest.ClientOptions{}), secretID("leak/two"), "v2")
	awstest.ProxiedEnv(t, moto.Endpoint())

	defer leaktest.VerifyNone(t, goleak.IgnoreCurrent()) // connection goroutines end just after Close
	p, err := awssm.FromEnv(ctx, testApp, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	refs := []runtime.Ref{{Path: "leak/one"}, {Path: "leak/two"}, {Path: "leak/one", Version: "AWSCURRENT"}, {Path: "leak/two", Version: "AWSPREVIOUS"}}
	res := p.GetMany(ctx, refs)
	if res[0].Err != nil || res[1].Err != nil || res[0].Value.Text != "v1" {
		t.Fatalf("GetMany: %+v", res)
	}
	if _, err := p.Get(ctx, refs[1]); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}
