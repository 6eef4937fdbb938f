package awstest

import (
	"context"
	"fmt"
	"testing"

	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// BenchValue is the value the benchmarks store for their i-th secret.
func BenchValue(i int) string { return fmt.Sprintf("value-%03d", i) }

// BenchCheck stops b when got, read for the i-th secret, is not
// BenchValue(i).
func BenchCheck(b *testing.B, i int, got string) {
	if want := BenchValue(i); got != want {
		b.Fatalf("secret %d = %q, want %q", i, got, want)
	}
}

// ReportCalls reports the read calls calls counted per iteration of b.
func ReportCalls(b *testing.B, calls *Counter) {
	b.ReportMetric(float64(calls.Total())/float64(b.N), "calls/op")
}

// BenchLoads times loads of refs from p the way generated code does
// (genimpl.Fetch, then Field; refs[i] must hold BenchValue(i)), after warm
// loads that are not timed, and reports the calls per load.
func BenchLoads(b *testing.B, ctx context.Context, p runtime.Provider, refs []runtime.Ref, calls *Counter, warm int) {
	load := func() {
		l := genimpl.Fetch(ctx, p, refs)
		for i := range refs {
			BenchCheck(b, i, genimpl.Field(l, i, genimpl.ParseString))
		}
		if err := l.Err(); err != nil {
			b.Fatal(err)
		}
	}
	for range warm {
		load()
	}
	calls.Reset()
	for b.Loop() {
		load()
	}
	ReportCalls(b, calls)
}
