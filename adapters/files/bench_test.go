package files_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dashtam/secretsgen/adapters/env"
	"github.com/dashtam/secretsgen/adapters/files"
	"github.com/dashtam/secretsgen/runtime"
)

// BenchmarkGetMany20 reads 20 secrets of a mounted directory: the naive way
// (an os.ReadFile loop with the trailing newline trimmed, no checks), the
// env backend's NAME_FILE variables (the existing way to read such files),
// and this provider's GetMany over a plain directory and over a kubelet
// volume. Compare the sub-benchmarks side by side with -benchmem.
func BenchmarkGetMany20(b *testing.B) {
	const n = 20
	plain, kube := b.TempDir(), b.TempDir()
	payload := map[string]string{}
	refs := make([]runtime.Ref, n)
	vars := map[string]string{}
	for i := range refs {
		refs[i] = runtime.Ref{Path: fmt.Sprintf("bench/secret_%02d", i), Env: fmt.Sprintf("BENCH_SECRET_%02d", i), Type: "string"}
		payload[refs[i].Env] = fmt.Sprintf("value-%02d\n", i)
		vars[refs[i].Env+"_FILE"] = filepath.Join(plain, refs[i].Env)
	}
	writeFiles(b, plain, payload)
	newKubeVolume(b, kube, payload)
	out := make([]string, n)
	check := func(b *testing.B) {
		b.Helper()
		for i, ref := range refs {
			if out[i] != fmt.Sprintf("value-%02d", i) {
				b.Fatalf("%s = %q", ref.Env, out[i])
			}
		}
		clear(out)
	}

	b.Run("os.ReadFile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i, ref := range refs {
				data, err := os.ReadFile(filepath.Join(plain, ref.Env))
				if err != nil {
					b.Fatal(err)
				}
				out[i] = strings.TrimSuffix(string(data), "\n")
			}
		}
		check(b)
	})
	b.Run("env-NAME_FILE", func(b *testing.B) {
		p, err := env.New(&env.Options{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			for i, r := range p.GetMany(b.Context(), refs) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
				out[i] = r.Value.Text
			}
		}
		check(b)
	})
	for _, tc := range []struct{ name, dir string }{{"files-plain", plain}, {"files-kubelet", kube}} {
		b.Run(tc.name, func(b *testing.B) {
			p := mustNew(b, tc.dir, &files.Options{NoWatch: true})
			b.ReportAllocs()
			for b.Loop() {
				for i, r := range p.GetMany(b.Context(), refs) {
					if r.Err != nil {
						b.Fatal(r.Err)
					}
					out[i] = r.Value.Text
				}
			}
			check(b)
		})
	}
}
