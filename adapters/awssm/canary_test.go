package awssm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// TestCanary feeds a known secret value through every failing path of the
// adapter (not-found neighbours in a batch, invalid JSON for a key, a
// missing key, a member of the wrong type, binary data that is not text,
// garbled responses, a denied batch, a cancelled context) and fails if the
// value shows up in any error text.
func TestCanary(t *testing.T) {
	ctx := t.Context()
	moto := testenv.SharedMoto(t)
	c := awstest.NewCanary(t)
	canary := c.Value

	setup := newClient(moto.Endpoint(), awstest.ClientOptions{})
	putSecret(ctx, t, setup, secretID("c/plain"), canary)
	putSecret(ctx, t, setup, secretID("c/notjson"), canary+`{"k":`)
	putSecret(ctx, t, setup, secretID("c/object"), `{"other":"`+canary+`","n":"`+canary+`"}`)
	putSecret(ctx, t, setup, secretID("c/array"), `["`+canary+`"]`)
	putBinary(ctx, t, setup, secretID("c/binary"), append([]byte(canary), 0xff, 0xfe))

	refs := []runtime.Ref{
		{Path: "c/missing-before", Type: "string"},
		{Path: "c/plain", Type: "string"},
		{Path: "c/missing-after", Type: "string"},
		{Path: "c/as-int", Source: "c/plain", Type: "int"},
		{Path: "c/as-url", Source: "c/plain", Type: "url"},
		{Path: "c/as-bytes", Source: "c/plain", Type: "bytes"},
		{Path: "c/notjson-key", Source: "c/notjson", Key: "k", Type: "string"},
		{Path: "c/missing-key", Source: "c/object", Key: "absent", Type: "string"},
		{Path: "c/member-int", Source: "c/object", Key: "n", Type: "int"},
		{Path: "c/array-key", Source: "c/array", Key: "0", Type: "string"},
		{Path: "c/binary-text", Source: "c/binary", Type: "string"},
		{Path: "c/plain-pinned", Source: "c/plain", Version: "AWSPREVIOUS", Type: "string"},
	}
	parsers := []func(string) (any, error){
		awstest.ParseAs(genimpl.ParseString), awstest.ParseAs(genimpl.ParseString), awstest.ParseAs(genimpl.ParseString),
		awstest.ParseAs(genimpl.ParseInt), awstest.ParseAs(genimpl.ParseURL), awstest.ParseAs(genimpl.ParseBytes),
		awstest.ParseAs(genimpl.ParseString), awstest.ParseAs(genimpl.ParseString), awstest.ParseAs(genimpl.ParseInt),
		awstest.ParseAs(genimpl.ParseString), awstest.ParseAs(genimpl.ParseString), awstest.ParseAs(genimpl.ParseString),
	}

	collect := func(name string, p runtime.Provider, ctx context.Context) {
		c.Collect(t, name, p, ctx, refs, parsers)
	}

	collect("plain", awssm.New(setup, testApp, testEnv, nil), ctx)

	deny := &awstest.Fault{Errors: map[string]string{"BatchGetSecretValue": "AccessDeniedException"}}
	collect("batch denied", awssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Transport: deny}), testApp, testEnv, nil), ctx)

	garbled := `{"SecretValues":[{"Name":"` + secretID("c/plain") + `","SecretString":"` + canary + `\q`
	for _, body := range []string{garbled, `{"SecretString":"` + canary, canary} {
		f := &awstest.Fault{Status: 200, Body: body, Errors: map[string]string{"BatchGetSecretValue": "x", "GetSecretValue": "x"}}
		collect("garbled response", awssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Transport: f, Retryer: awstest.FastRetries(1)}), testApp, testEnv, nil), ctx)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	collect("cancelled", awssm.New(setup, testApp, testEnv, nil), cctx)

	// Throttled until the deadline, with every strategy (the batch and
	// pinned reads throttled, then moved or retried).
	for _, s := range []awssm.Strategy{awssm.Adaptive, awssm.BatchOnly, awssm.PerSecret} {
		f := &awstest.Fault{Errors: map[string]string{"BatchGetSecretValue": "ThrottlingException", "GetSecretValue": "ThrottlingException"}}
		p := awssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Transport: f}), testApp, testEnv, &awssm.Options{Strategy: s, BackoffBase: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
		tctx, cancel := context.WithTimeout(ctx, 40*time.Millisecond)
		collect("throttled "+s.String(), p, tctx)
		cancel()
		if st := fmt.Sprintf("%+v", p.Stats()); strings.Contains(st, canary) {
			t.Errorf("Stats contains the secret value: %s", st)
		}
	}

	failures := c.Check(t)
	// Every path above produced errors: 6 Loads, each also through GetMany
	// and Get; at least the two missing secrets fail every time.
	if failures < 6*(1+2+2) {
		t.Errorf("only %d errors collected; the canary paths did not run", failures)
	}
}
