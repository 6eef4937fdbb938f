package env_test

import (
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/runtime"
	"github.com/dashtam/secretsgen/runtime/genimpl"
)

// BenchmarkLoad100 reads 100 string secrets from the process environment:
// the naive way (an os.Getenv loop), the anchor library
// (github.com/sethvargo/go-envconfig filling a 100-field struct), one
// Provider.Get per secret, and the way generated Load does it
// (genimpl.Fetch, then Field for each). Compare the sub-benchmarks side by
// side with -benchmem.
func BenchmarkLoad100(b *testing.B) {
	const n = 100
	refs := make([]runtime.Ref, n)
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("bench/secret_%03d", i), Env: fmt.Sprintf("SECRETSGEN_BENCH_SECRET_%03d", i), Type: "string"}
		b.Setenv(refs[i].Env, fmt.Sprintf("value-%03d", i))
	}
	p, err := env.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]string, n)
	// check fails b unless out holds the value of every ref; each
	// sub-benchmark calls it after its loop.
	check := func(b *testing.B) {
		b.Helper()
		for i, ref := range refs {
			if out[i] != fmt.Sprintf("value-%03d", i) {
				b.Fatalf("%s = %q", ref.Env, out[i])
			}
		}
		clear(out)
	}

	b.Run("os.Getenv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i, ref := range refs {
				out[i] = os.Getenv(ref.Env)
			}
		}
		check(b)
	})
	b.Run("go-envconfig", func(b *testing.B) {
		fields := make([]reflect.StructField, n)
		for i, ref := range refs {
			fields[i] = reflect.StructField{
				Name: fmt.Sprintf("S%03d", i),
				Type: reflect.TypeFor[string](),
				Tag:  reflect.StructTag(fmt.Sprintf(`env:"%s,required"`, ref.Env)),
			}
		}
		typ := reflect.StructOf(fields)
		b.ReportAllocs()
		for b.Loop() {
			v := reflect.New(typ)
			if err := envconfig.Process(b.Context(), v.Interface()); err != nil {
				b.Fatal(err)
			}
			for i := range refs {
				out[i] = v.Elem().Field(i).String()
			}
		}
		check(b)
	})
	b.Run("Provider.Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i, ref := range refs {
				v, err := p.Get(b.Context(), ref)
				if err != nil {
					b.Fatal(err)
				}
				out[i] = v.Text
			}
		}
		check(b)
	})
	b.Run("genimpl.Fetch+Field", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l := genimpl.Fetch(b.Context(), p, refs)
			for i := range refs {
				out[i] = genimpl.Field(l, i, genimpl.ParseString)
			}
			if err := l.Err(); err != nil {
				b.Fatal(err)
			}
		}
		check(b)
	})
}
