package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dashtam/secretsgen/runtime"
)

// remote is a BatchProvider over a Memory that takes rtt for every call,
// Get or GetMany, as a backend across a network does.
type remote struct {
	*runtime.Memory
	rtt time.Duration
}

func (r *remote) Get(ctx context.Context, ref runtime.Ref) (runtime.Value, error) {
	time.Sleep(r.rtt)
	return r.Memory.Get(ctx, ref)
}

func (r *remote) GetMany(ctx context.Context, refs []runtime.Ref) []runtime.Result {
	time.Sleep(r.rtt)
	res := make([]runtime.Result, len(refs))
	for i, ref := range refs {
		res[i].Value, res[i].Err = r.Memory.Get(ctx, ref)
	}
	return res
}

// BenchmarkLayersLoad reads 40 secrets over two layers (a local one with 4
// overrides, a remote one with the rest, 200µs a call): Layers (one batch
// read per layer) against the naive chain (each secret asks each layer in
// turn with Get until one has it).
func BenchmarkLayersLoad(b *testing.B) {
	local := runtime.NewMemory("env")
	far := &remote{Memory: runtime.NewMemory("aws"), rtt: 200 * time.Microsecond}
	refs := make([]runtime.Ref, 40)
	for i := range refs {
		path := fmt.Sprintf("app/secret_%d", i)
		refs[i] = runtime.Ref{Path: path}
		far.Set(path, "remote")
		if i%10 == 0 {
			local.Set(path, "local")
		}
	}
	layers, err := runtime.NewLayers(local, far)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("layers", func(b *testing.B) {
		for b.Loop() {
			for _, r := range layers.GetMany(ctx, refs) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
	})
	b.Run("naive-chain", func(b *testing.B) {
		for b.Loop() {
			for _, ref := range refs {
				var err error
				for _, p := range []runtime.Provider{local, far} {
					if _, err = p.Get(ctx, ref); !errors.Is(err, runtime.ErrNotFound) {
						break
					}
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
