package ssm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/dashtam/secretsgen/adapters/ssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// TestCanary feeds a known secret value through every failing path of the
// adapter (not-found neighbours in a chunk and in a listing, a missing
// version and label, invalid JSON for a key, a missing key, a member of the
// wrong type, a StringList parsed as the wrong element type, a value over
// the size cap, garbled responses, a denied and a throttled listing, a
// cancelled context) and fails if the value shows up in any error text.
func TestCanary(t *testing.T) {
	ctx := t.Context()
	moto := testenv.SharedMoto(t)
	c := awstest.NewCanary(t)
	canary := c.Value

	setup := newClient(moto.Endpoint(), awstest.ClientOptions{})
	putParam(ctx, t, setup, paramName("c/plain"), canary, types.ParameterTypeSecureString)
	putParam(ctx, t, setup, paramName("c/notjson"), canary+`{"k":`, types.ParameterTypeSecureString)
	putParam(ctx, t, setup, paramName("c/object"), `{"other":"`+canary+`","n":"`+canary+`"}`, types.ParameterTypeSecureString)
	putParam(ctx, t, setup, paramName("c/array"), `["`+canary+`"]`, types.ParameterTypeString)
	putParam(ctx, t, setup, paramName("c/list"), canary+",x", types.ParameterTypeStringList)

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
		{Path: "c/list-int", Source: "c/list", Type: "[]int"},
		{Path: "c/plain-v9", Source: "c/plain", Version: "9", Type: "string"},
		{Path: "c/plain-label", Source: "c/plain", Version: "nolabel", Type: "string"},
	}
	parsers := []func(string) (any, error){
		awstest.ParseAs(genimpl.ParseString), awstest.ParseAs(genimpl.ParseString), awstest.ParseAs(genimpl.ParseString),
		awstest.ParseAs(genimpl.ParseInt), awstest.ParseAs(genimpl.ParseURL), awstest.ParseAs(genimpl.ParseBytes),
		awstest.ParseAs(genimpl.ParseString), awstest.ParseAs(genimpl.ParseString), awstest.ParseAs(genimpl.ParseInt),
		awstest.ParseAs(genimpl.ParseString), awstest.ParseAs(genimpl.ParseList(genimpl.ParseInt)), awstest.ParseAs(genimpl.ParseString),
		awstest.ParseAs(genimpl.ParseString),
	}
	// Enough missing names beside them for GetMany to try a listing.
	for i := range 12 {
		refs = append(refs, runtime.Ref{Path: fmt.Sprintf("c/absent%02d", i), Type: "string"})
		parsers = append(parsers, awstest.ParseAs(genimpl.ParseString))
	}

	collect := func(name string, p runtime.Provider, ctx context.Context) {
		c.Collect(t, name, p, ctx, refs, parsers)
	}

	collect("plain", ssm.New(setup, testApp, testEnv, nil), ctx)
	collect("no listing", ssm.New(setup, testApp, testEnv, &ssm.Options{DisableByPath: true}), ctx)

	for _, code := range []string{"AccessDeniedException", "ThrottlingException"} {
		f := &awstest.Fault{Errors: map[string]string{"GetParametersByPath": code}}
		collect("listing "+code, ssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Transport: f, Retryer: awstest.FastRetries(1)}), testApp, testEnv, nil), ctx)
	}

	name := paramName("c/plain")
	big := canary + strings.Repeat("x", ssm.MaxValueSize)
	for _, body := range []string{
		`{"Parameters":[{"Name":"` + name + `","Type":"String","Value":"` + big + `","Version":1}],"InvalidParameters":[]}`,
		`{"Parameters":[{"Name":"` + name + `","Type":"String","Value":"` + canary + `\q`,
		`{"Parameters":[{"Name":"` + name + `","Value":"` + canary,
		canary,
	} {
		f := &awstest.Fault{Status: 200, Body: body, Errors: map[string]string{"GetParameters": "x", "GetParametersByPath": "x"}}
		collect("garbled response", ssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Transport: f, Retryer: awstest.FastRetries(1)}), testApp, testEnv, nil), ctx)
	}
	for _, status := range []int{400, 500} {
		f := &awstest.Fault{Status: status, Body: `{"__type":"ValidationException","message":"` + canary + `"}`, Errors: map[string]string{"GetParameters": "x", "GetParametersByPath": "x"}}
		collect("error quoting the value", ssm.New(newClient(moto.Endpoint(), awstest.ClientOptions{Transport: f, Retryer: awstest.FastRetries(1)}), testApp, testEnv, nil), ctx)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	collect("cancelled", ssm.New(setup, testApp, testEnv, nil), cctx)

	failures := c.Check(t)
	// 11 providers, each: one Load, then GetMany and Get of the 14 missing
	// or pinned-missing names at least.
	if failures < 11*(1+14+14) {
		t.Errorf("only %d errors collected; the canary paths did not run", failures)
	}
}
