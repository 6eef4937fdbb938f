package awssm_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-secretsmanager-caching-go/v2/secretcache"

	"github.com/dashtam/secretsgen/adapters/awssm"
	"github.com/dashtam/secretsgen/runtime"
)

// fakeSM is an in-memory Secrets Manager client holding one version of each
// secret, serving both this adapter (GetSecretValue, BatchGetSecretValue)
// and aws-secretsmanager-caching-go (GetSecretValue, DescribeSecret). It
// counts the calls that reach it. The embedded interface is nil: a method
// neither cache uses would panic.
type fakeSM struct {
	secretcache.SecretsManagerAPIClient
	vals  map[string]string
	calls atomic.Int64
}

const fakeVersion = "11111111-2222-3333-4444-555555555555"

func (f *fakeSM) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls.Add(1)
	id := aws.ToString(in.SecretId)
	v, ok := f.vals[id]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no such secret")}
	}
	return &secretsmanager.GetSecretValueOutput{ARN: aws.String(id), Name: aws.String(id), SecretString: aws.String(v),
		VersionId: aws.String(fakeVersion), VersionStages: []string{"AWSCURRENT"}}, nil
}

func (f *fakeSM) BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	f.calls.Add(1)
	out := &secretsmanager.BatchGetSecretValueOutput{}
	for _, id := range in.SecretIdList {
		if v, ok := f.vals[id]; ok {
			out.SecretValues = append(out.SecretValues, types.SecretValueEntry{ARN: aws.String(id), Name: aws.String(id),
				SecretString: aws.String(v), VersionId: aws.String(fakeVersion), VersionStages: []string{"AWSCURRENT"}})
		}
	}
	return out, nil
}

func (f *fakeSM) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	f.calls.Add(1)
	id := aws.ToString(in.SecretId)
	return &secretsmanager.DescribeSecretOutput{ARN: aws.String(id), Name: aws.String(id),
		VersionIdsToStages: map[string][]string{fakeVersion: {"AWSCURRENT"}}}, nil
}

// BenchmarkCacheHitVsSecretCache compares a hit of runtime.Cache in front of
// this adapter with a hit of aws-secretsmanager-caching-go v2
// (GetSecretString), both over the same in-memory client, after one warming
// read each; calls/op shows that neither reaches the client.
//
// Run: go test -run '^$' -bench CacheHitVsSecretCache -benchmem -benchtime 200ms ./adapters/awssm
func BenchmarkCacheHitVsSecretCache(b *testing.B) {
	const path = "bench/hit"
	id := secretID(path)
	client := &fakeSM{vals: map[string]string{id: "postgres://db/app"}}
	ctx := context.Background()
	ref := runtime.Ref{Path: path, Type: "url"}

	ours := runtime.NewCache(awssm.New(client, testApp, testEnv, nil), nil)
	defer ours.Close()
	theirs, err := secretcache.New(func(c *secretcache.Cache) { c.Client = client })
	if err != nil {
		b.Fatal(err)
	}
	if v, err := ours.Get(ctx, ref); err != nil || v.Text != "postgres://db/app" {
		b.Fatalf("runtime.Cache warm-up: %q, %v", v.Text, err)
	}
	if s, err := theirs.GetSecretString(id); err != nil || s != "postgres://db/app" {
		b.Fatalf("secretcache warm-up: %q, %v", s, err)
	}

	b.Run("runtime.Cache", func(b *testing.B) {
		base := client.calls.Load()
		b.ReportAllocs()
		for b.Loop() {
			if v, err := ours.Get(ctx, ref); err != nil || v.Text == "" {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(client.calls.Load()-base)/float64(b.N), "calls/op")
	})
	b.Run("secretcache", func(b *testing.B) {
		base := client.calls.Load()
		b.ReportAllocs()
		for b.Loop() {
			if s, err := theirs.GetSecretString(id); err != nil || s == "" {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(client.calls.Load()-base)/float64(b.N), "calls/op")
	})
}
