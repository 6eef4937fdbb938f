package ssm_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/dashtam/secretsgen/adapters/ssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// BenchmarkLoad100 loads 100 SecureString parameters from moto_server
// four ways, side by side, and reports the API calls each makes per load
// (calls/op, counted by an SDK middleware):
//
//   - secretsgen: this adapter as generated Load uses it (genimpl.Fetch,
//     then Field for each entry): GetParameters, 10 names a call, the calls
//     in parallel (the hierarchy holds exactly the 100 names, so a listing
//     is never cheaper and is not used after the first load);
//   - sequential: one GetParameter per name, one after another, the naive
//     loader;
//   - by-path-paginator: the SDK's GetParametersByPath paginator over the
//     environment's hierarchy, the way prefix-based loaders (chamber,
//     ssm-env style tools) read it: 10 parameters a page, pages in
//     sequence;
//   - secretsgen-cache-warm: this adapter behind runtime.Cache, every read a
//     hit in memory until its TTL.
//
// Run: go test -run '^$' -bench . -benchtime 20x ./adapters/ssm
func BenchmarkLoad100(b *testing.B) {
	const n = 100
	moto := testenv.SharedMoto(b)
	ctx := b.Context()
	calls := &awstest.Counter{}
	client := newClient(moto.Endpoint(), awstest.ClientOptions{Counter: calls})
	refs := make([]runtime.Ref, n)
	names := make([]string, n)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("bench/p%03d", i), Type: "string"}
		names[i] = paramName(refs[i].Path)
		putParam(ctx, b, client, names[i], awstest.BenchValue(i), types.ParameterTypeSecureString)
	}
	b.Run("secretsgen", func(b *testing.B) {
		// The first load (not timed) learns that a listing is longer.
		awstest.BenchLoads(b, ctx, ssm.New(client, testApp, testEnv, nil), refs, calls, 1)
	})
	b.Run("secretsgen-cache-warm", func(b *testing.B) {
		awstest.BenchLoads(b, ctx, runtime.NewCache(ssm.New(client, testApp, testEnv, nil), nil), refs, calls, 1)
	})

	b.Run("sequential", func(b *testing.B) {
		calls.Reset()
		for b.Loop() {
			for i, name := range names {
				out, err := client.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
				if err != nil {
					b.Fatal(err)
				}
				awstest.BenchCheck(b, i, aws.ToString(out.Parameter.Value))
			}
		}
		awstest.ReportCalls(b, calls)
	})

	b.Run("by-path-paginator", func(b *testing.B) {
		index := make(map[string]int, n)
		for i, name := range names {
			index[name] = i
		}
		calls.Reset()
		for b.Loop() {
			pages := awsssm.NewGetParametersByPathPaginator(client, &awsssm.GetParametersByPathInput{
				Path: aws.String("/" + testApp + "/" + testEnv), Recursive: aws.Bool(true), WithDecryption: aws.Bool(true),
			})
			got := 0
			for pages.HasMorePages() {
				out, err := pages.NextPage(ctx)
				if err != nil {
					b.Fatal(err)
				}
				for _, prm := range out.Parameters {
					awstest.BenchCheck(b, index[aws.ToString(prm.Name)], aws.ToString(prm.Value))
					got++
				}
			}
			if got != n {
				b.Fatalf("listed %d parameters, want %d", got, n)
			}
		}
		awstest.ReportCalls(b, calls)
	})
}

// BenchmarkLoadHalfUnset loads 100 names of which 50 exist (optional
// entries left unset), where one listing of the hierarchy (50 parameters,
// 5 or 6 pages) takes fewer calls than GetParameters (10 calls): the
// adapter's own choice against GetParameters only.
//
// Run: go test -run '^$' -bench LoadHalfUnset -benchtime 20x ./adapters/ssm
func BenchmarkLoadHalfUnset(b *testing.B) {
	const n, app = 100, "half"
	moto := testenv.SharedMoto(b)
	ctx := b.Context()
	calls := &awstest.Counter{}
	client := newClient(moto.Endpoint(), awstest.ClientOptions{Counter: calls})
	refs := make([]runtime.Ref, n)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("opt/p%03d", i), Type: "string"} // optional in the manifest; providers never see it
		if i%2 == 0 {
			putParam(ctx, b, client, "/"+app+"/"+testEnv+"/"+refs[i].Path, awstest.BenchValue(i), types.ParameterTypeSecureString)
		}
	}
	for _, bc := range []struct {
		name string
		opts *ssm.Options
	}{{"secretsgen", nil}, {"get-parameters-only", &ssm.Options{DisableByPath: true}}} {
		b.Run(bc.name, func(b *testing.B) {
			p := ssm.New(client, app, testEnv, bc.opts)
			p.GetMany(ctx, refs) // the first load learns the listing's length
			calls.Reset()
			for b.Loop() {
				for i, r := range p.GetMany(ctx, refs) {
					if (i%2 == 0) != (r.Err == nil) || (r.Err == nil && r.Value.Text != awstest.BenchValue(i)) {
						b.Fatalf("%s: %q, %v", refs[i].Path, r.Value.Text, r.Err)
					}
				}
			}
			awstest.ReportCalls(b, calls)
		})
	}
}
