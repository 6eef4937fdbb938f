package awssm_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-secretsmanager-caching-go/v2/secretcache"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/internal/testing/awstest"
	"github.com/dashtam/secretsgen/internal/testing/testenv"
	"github.com/dashtam/secretsgen/runtime"
)

// BenchmarkLoad100 loads 100 secrets from moto_server five ways, side by
// side, and reports the Secrets Manager API calls each makes per load
// (calls/op, counted by an SDK middleware):
//
//   - secretsgen: this adapter as generated Load uses it (genimpl.Fetch,
//     then Field for each secret): BatchGetSecretValue, 20 ids a call, the
//     calls in parallel;
//   - sequential: one GetSecretValue per secret, one after another, the way
//     the design document's loader read them;
//   - secretcache-cold: aws-secretsmanager-caching-go v2 with a new cache per
//     load, i.e. a process start (DescribeSecret and GetSecretValue per
//     secret, sequentially);
//   - secretcache-warm: the same cache reused across loads: every read is a
//     hit in memory until its TTL (1h by default) expires, so it measures a
//     cache, not a load;
//   - secretsgen-cache-warm: the same for this adapter behind runtime.Cache.
//
// Run: go test -run '^$' -bench . -benchmem ./adapters/awssm
func BenchmarkLoad100(b *testing.B) {
	const n = 100
	moto := testenv.SharedMoto(b)
	ctx := b.Context()
	calls := &awstest.Counter{}
	client := newClient(moto.Endpoint(), awstest.ClientOptions{Counter: calls})
	refs := make([]runtime.Ref, n)
	ids := make([]string, n)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("bench/secret%03d", i), Type: "string"}
		ids[i] = secretID(refs[i].Path)
		putSecret(ctx, b, client, ids[i], awstest.BenchValue(i))
	}
	b.Run("secretsgen", func(b *testing.B) {
		awstest.BenchLoads(b, ctx, awssm.New(client, testApp, testEnv, nil), refs, calls, 0)
	})
	b.Run("secretsgen-cache-warm", func(b *testing.B) {
		awstest.BenchLoads(b, ctx, runtime.NewCache(awssm.New(client, testApp, testEnv, nil), nil), refs, calls, 1)
	})

	b.Run("sequential", func(b *testing.B) {
		calls.Reset()
		for b.Loop() {
			for i, id := range ids {
				out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
				if err != nil {
					b.Fatal(err)
				}
				awstest.BenchCheck(b, i, aws.ToString(out.SecretString))
			}
		}
		awstest.ReportCalls(b, calls)
	})

	newCache := func(b *testing.B) *secretcache.Cache {
		c, err := secretcache.New(func(c *secretcache.Cache) { c.Client = client })
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	readAll := func(b *testing.B, c *secretcache.Cache) {
		for i, id := range ids {
			s, err := c.GetSecretStringWithContext(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			awstest.BenchCheck(b, i, s)
		}
	}

	b.Run("secretcache-cold", func(b *testing.B) {
		calls.Reset()
		for b.Loop() {
			readAll(b, newCache(b))
		}
		awstest.ReportCalls(b, calls)
	})

	b.Run("secretcache-warm", func(b *testing.B) {
		c := newCache(b)
		readAll(b, c)
		calls.Reset()
		for b.Loop() {
			readAll(b, c)
		}
		awstest.ReportCalls(b, calls)
	})
}
